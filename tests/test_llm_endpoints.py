"""Several endpoints of one model: balanced by requests outstanding, a failing one taken out.

Three local test servers over real HTTP; one of them fails every request (5xx) or is not
listening at all.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from realign.config import load_config
from realign.errors import ConfigError
from realign.llm.client import LLMClient, LLMSettings
from realign.testing.openai_server import Fault, FaultPlan, OpenAIServer, echo_responder

SAMPLING = {"temperature": 0.0, "max_tokens": 32}


def _settings(urls: list[str], **extra: Any) -> LLMSettings:
    values: dict[str, Any] = {"timeout_s": 5.0, "max_attempts": 4, "backoff_initial_s": 0.01, "backoff_max_s": 0.05,
                              **extra}
    return LLMSettings(base_url=urls[0], base_urls=urls[1:], model="test-model", **values)


def _chats(settings: LLMSettings, n: int, notices: list[str]) -> list[Any]:
    async def go() -> list[Any]:
        async with LLMClient(settings, None, on_notice=notices.append) as client:
            await client.check_endpoint()
            return await asyncio.gather(*(client.chat([{"role": "user", "content": f"row {i}"}], sampling=SAMPLING)
                                          for i in range(n)))
    return asyncio.run(go())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_requests_are_spread_over_the_endpoints_by_requests_outstanding() -> None:
    with OpenAIServer(latency_s=0.05) as a, OpenAIServer(latency_s=0.05) as b:
        results = _chats(_settings([a.base_url, b.base_url], concurrency=4), 40, [])
    assert len(results) == 40
    assert a.count + b.count == 40
    assert min(a.count, b.count) >= 15  # neither server idles while the other has a queue
    assert a.max_in_flight + b.max_in_flight <= 8  # --concurrency per endpoint, in all


def test_a_cut_for_a_queueing_endpoint_leaves_the_quick_one_its_full_concurrency() -> None:
    """A serial server (llama.cpp on a CPU) beside a quick concurrent one: the serial one slows
    down once both caps have ramped up, its requests time out in its queue and its cap is cut,
    the quick one keeps --concurrency."""
    from test_llm_concurrency import slows_down

    notices: list[str] = []

    async def go() -> tuple[list[Any], list[int], dict[str, Any]]:
        settings = _settings([quick.base_url, serial.base_url], concurrency=6, timeout_s=0.7, max_attempts=6,
                             endpoint_failures=50)  # never taken out: the cap alone must cope
        async with LLMClient(settings, None, on_notice=notices.append) as client:
            results = await asyncio.gather(*(client.chat([{"role": "user", "content": f"row {i}"}],
                                                         sampling=SAMPLING) for i in range(90)))
            return list(results), [ep.cap.limit.limit for ep in client.endpoints], client.stats.as_dict()

    with OpenAIServer(latency_s=0.05) as quick, \
            OpenAIServer(slows_down(15, 0.18), latency_s=0.02, serial=True) as serial:
        results, limits, stats = asyncio.run(go())
        quick_peak, serial_url = quick.max_in_flight, serial.base_url
    assert len(results) == 90 and all(r.content for r in results)
    assert limits[0] == 6 and limits[1] < 6  # only the queueing server was cut
    assert quick_peak == 6  # and the quick one was sent its full concurrency all along
    assert stats["cap_cuts"] >= 1 and stats["cap"] == sum(limits) and stats["cap_lowest"] <= stats["cap"]
    assert any(serial_url in n and "at a time from now on" in n for n in notices)


def test_a_request_cancelled_while_it_waits_for_a_slot_on_several_endpoints_leaks_no_slot() -> None:
    async def go() -> tuple[list[int], int]:
        with OpenAIServer(latency_s=0.2) as a, OpenAIServer(latency_s=0.2) as b:
            async with LLMClient(_settings([a.base_url, b.base_url], concurrency=1), None) as client:
                busy = [asyncio.ensure_future(client.chat([{"role": "user", "content": f"busy {i}"}],
                                                          sampling=SAMPLING)) for i in range(2)]
                await asyncio.sleep(0.05)  # both slots taken: the next call waits
                waiting = asyncio.ensure_future(client.chat([{"role": "user", "content": "gives up"}],
                                                            sampling=SAMPLING))
                await asyncio.sleep(0.05)
                waiting.cancel()
                await asyncio.gather(*busy)
                after = await asyncio.gather(*(client.chat([{"role": "user", "content": f"after {i}"}],
                                                           sampling=SAMPLING) for i in range(4)))
                return [ep.cap.limit.held for ep in client.endpoints], len(after)

    held, answered = asyncio.run(go())
    assert held == [0, 0] and answered == 4


def test_an_endpoint_that_fails_every_request_is_taken_out_and_every_call_still_succeeds() -> None:
    broken = FaultPlan(echo_responder, [Fault("server_error", fraction=1.0, times=None, status=503)])
    notices: list[str] = []
    with OpenAIServer() as a, OpenAIServer(broken) as bad, OpenAIServer() as c:
        results = _chats(_settings([a.base_url, bad.base_url, c.base_url], concurrency=2,
                                   endpoint_failures=2, endpoint_cooldown_s=60.0), 60, notices)
        answered = a.count + c.count
        sent_to_bad, bad_url = bad.count, bad.base_url
    assert len(results) == 60 and all(r.content for r in results)
    assert answered == 60
    # taken out after 2 failures in a row; only requests already on their way got there too
    assert 2 <= sent_to_bad <= 2 + 6
    assert any("failed 2 requests in a row" in n and bad_url in n for n in notices)


@pytest.mark.parametrize("dead_first", [True, False])
def test_an_endpoint_not_listening_is_left_out_at_the_start_and_the_run_goes_on(dead_first: bool) -> None:
    # dead second: the check once stopped at the first endpoint that listed its models
    dead = f"http://127.0.0.1:{_free_port()}/v1"
    notices: list[str] = []
    with OpenAIServer() as a:
        urls = [dead, a.base_url] if dead_first else [a.base_url, dead]
        results = _chats(_settings(urls, endpoint_cooldown_s=60.0), 10, notices)
        assert a.count == 10
    assert len(results) == 10
    assert any(dead in n and "leaving" in n for n in notices)


def test_when_every_endpoint_is_unreachable_the_check_names_the_first() -> None:
    dead1, dead2 = (f"http://127.0.0.1:{_free_port()}/v1" for _ in range(2))
    with pytest.raises(ConfigError, match="cannot reach"):
        _chats(_settings([dead1, dead2]), 1, [])


def test_a_list_of_base_urls_in_the_config_or_repeated_flags_fills_base_url_and_base_urls() -> None:
    cfg = load_config(None, {"model": {"base_url": ["http://a/v1", "http://b/v1", "http://a/v1"]}}, env={})
    assert cfg.model.base_url == "http://a/v1"
    assert cfg.model.endpoints == ["http://a/v1", "http://b/v1"]
    one = load_config(None, {"model": {"base_url": ["http://a/v1"]}}, env={})
    assert one.model.base_url == "http://a/v1" and one.model.base_urls == []
    # where the model is served is not part of the run's identity: adding a server resumes the run
    assert cfg.identity() == one.identity()


def test_rewrite_with_two_base_url_flags_completes_every_row_when_one_server_fails(tmp_path) -> None:
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from realign.testing.responders import RealignResponder

    rows = [{"id": f"r{i}", "instruction": f"What is {i} + {i}?", "input": "", "output": f"{i} + {i} = {2 * i}."}
            for i in range(30)]
    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_") and k != "REALIGN_MODEL"}
    broken = FaultPlan(RealignResponder(), [Fault("server_error", fraction=1.0, times=None, status=502)])
    with OpenAIServer(RealignResponder()) as good, OpenAIServer(broken) as bad:
        proc = subprocess.run(
            [sys.executable, "-m", "realign.cli", "rewrite", "--in", str(data), "--db", str(tmp_path / "r.duckdb"),
             "--model", "test-model", "--base-url", bad.base_url, "--base-url", good.base_url,
             "--task", "math_puzzles", "--json", "-q"],
            capture_output=True, text=True, env=env, timeout=240, cwd=Path(__file__).resolve().parent.parent)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert good.count >= 30
    summary = json.loads(proc.stdout)
    assert summary["rows"] == 30 and summary["failed"] == 0
    assert "sending to the other endpoints" in proc.stderr


def test_backend_vllm_without_vllm_installed_is_one_line_naming_the_extra(tmp_path) -> None:
    import importlib.util
    import os
    import subprocess
    import sys
    from pathlib import Path

    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vLLM is installed here: this checks the message a machine without it gets")
    data = tmp_path / "in.jsonl"
    data.write_text('{"instruction": "What is 2 + 2?", "input": "", "output": "4"}\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_") and k != "REALIGN_MODEL"}
    proc = subprocess.run([sys.executable, "-m", "realign.cli", "rewrite", "--in", str(data), "--db",
                           str(tmp_path / "r.duckdb"), "--backend", "vllm", "--model", "/models/qwen", "-q"],
                          capture_output=True, text=True, env=env, timeout=120,
                          cwd=Path(__file__).resolve().parent.parent)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "realign[vllm]" in proc.stderr and "Traceback" not in proc.stderr


def test_when_every_endpoint_is_out_the_one_that_answered_last_gets_the_request() -> None:
    # Found trying two --base-url servers: one killed mid-run (connections refused), the other
    # taken out by three hung requests in a row. With both out, every retry went to the dead
    # one (the first taken out, so the first "to come back") and rows failed while the live
    # server was there.
    dead = f"http://127.0.0.1:{_free_port()}/v1"
    hangs = FaultPlan(echo_responder, [Fault("hang", at=[2, 3, 4], times=None)])
    notices: list[str] = []

    async def go(live_url: str) -> tuple[Any, Any]:
        settings = LLMSettings(base_url=dead, base_urls=[live_url], model="test-model", timeout_s=0.5,
                               max_attempts=4, backoff_initial_s=0.01, backoff_max_s=0.05, concurrency=1,
                               endpoint_failures=3, endpoint_cooldown_s=60.0)
        async with LLMClient(settings, None, on_notice=notices.append) as client:
            # dead refuses 3 times (taken out), then the live server answers request 1
            first = await client.chat([{"role": "user", "content": "row 1"}], sampling=SAMPLING)
            # the live server hangs on requests 2-4 (taken out too): the 4th attempt has no
            # endpoint in service and must go to the one that answered, not to the dead one
            second = await client.chat([{"role": "user", "content": "row 2"}], sampling=SAMPLING)
            return first, second

    with OpenAIServer(hangs) as live:
        first, second = asyncio.run(go(live.base_url))
        assert live.count == 5
    assert first.content and second.content
    assert sum("failed 3 requests in a row" in n for n in notices) == 2


def test_rows_failed_on_the_second_base_url_are_blamed_on_it_not_on_the_first(tmp_path) -> None:
    # Found trying two --base-url servers: rows failed because the second server refused
    # connections, and the end-of-run warning said to check the first one.
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from realign.testing.responders import RealignResponder

    rows = [{"id": f"r{i}", "instruction": f"What is {i} + {i}?", "input": "", "output": f"{i} + {i} = {2 * i}."}
            for i in range(3)]
    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "p.toml").write_text("[model]\nmax_attempts = 2\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_") and k != "REALIGN_MODEL"}
    dead = f"http://127.0.0.1:{_free_port()}/v1"
    hangs = FaultPlan(RealignResponder(), [Fault("hang", fraction=1.0, times=None)])
    with OpenAIServer(hangs) as hanging:
        # the dead server is left out at the start; the hanging one takes the first attempts and
        # is taken out after 3 timeouts; retries then reach the dead one (out first, back first)
        proc = subprocess.run(
            [sys.executable, "-m", "realign.cli", "rewrite", "--in", str(data), "--db", str(tmp_path / "r.duckdb"),
             "--pipeline", str(tmp_path / "p.toml"), "--model", "test-model", "--base-url", hanging.base_url,
             "--base-url", dead, "--timeout", "1", "--task", "math_puzzles", "--json", "-q"],
            capture_output=True, text=True, env=env, timeout=240, cwd=Path(__file__).resolve().parent.parent)
        first_url = hanging.base_url
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads(proc.stdout)
    assert summary["failed"] == 3
    # (a row whose retry still reached the hanging server before it was taken out fails on
    # a timeout instead: the first request goes out alone, to learn the server's JSON dialect)
    [failed] = [f for f in summary["failed_by_kind"] if f["kind"] == "connection"]
    assert failed["fix"].startswith(f"check that the server at {dead} is up")  # the warning prints it
    assert first_url not in failed["fix"]


def test_a_run_stopped_by_one_failing_endpoint_names_that_endpoint() -> None:
    # Two servers, the second serving another model (404 on every chat): the stop message said
    # "calls to <first url> failed ... check --model against the ids GET <first url>/models lists",
    # the one server that lists the model.
    from realign.llm.client import RunStopped

    # --concurrency 1: both endpoints hold one request from the start. (At 2, the slow start
    # keeps the failing one at 1, since only an HTTP 200 answer counts toward a doubling, while
    # the good one doubles to 2: it got about a third of the calls, and in 1 of 7 runs fewer
    # than the failure watch's 20 of the last 50.)
    async def go(urls: list[str]) -> list[Any]:
        async with LLMClient(_settings(urls, concurrency=1), None, on_notice=lambda _: None) as client:
            return await asyncio.gather(*(client.chat([{"role": "user", "content": f"row {i}"}], sampling=SAMPLING)
                                          for i in range(80)), return_exceptions=True)

    wrong_model = FaultPlan(echo_responder, [Fault("bad_request", fraction=1.0, times=None, status=404)])
    with OpenAIServer() as good, OpenAIServer(wrong_model) as bad:
        outcomes = asyncio.run(go([good.base_url, bad.base_url]))
        good_url, bad_url = good.base_url, bad.base_url
    stopped = [o for o in outcomes if isinstance(o, RunStopped)]
    assert stopped
    assert f"calls failed the same way at {bad_url}: http_4xx (HTTP 404)" in str(stopped[0])
    assert good_url not in str(stopped[0])


def test_the_summary_and_stats_name_each_endpoint_with_its_requests_cap_and_take_outs(tmp_path) -> None:
    """With several servers a data team must see which one was cut or taken out, not only a sum."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from realign.testing.responders import RealignResponder

    rows = [{"id": f"r{i}", "instruction": f"What is {i} + {i}?", "input": "", "output": f"{i} + {i} = {2 * i}."}
            for i in range(30)]
    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    db = str(tmp_path / "r.duckdb")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_") and k != "REALIGN_MODEL"}
    repo = Path(__file__).resolve().parent.parent

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "realign.cli", *args], capture_output=True, text=True,
                              env=env, timeout=240, cwd=repo)

    broken = FaultPlan(RealignResponder(), [Fault("server_error", fraction=1.0, times=None, status=502)])
    with OpenAIServer(RealignResponder()) as good, OpenAIServer(broken) as bad:
        common = ["rewrite", "--in", str(data), "--db", db, "--model", "test-model", "--base-url", bad.base_url,
                  "--base-url", good.base_url, "--task", "math_puzzles"]
        proc = cli(*common, "--json", "-q")
        assert proc.returncode == 0, proc.stderr[-2000:]
        sent = {bad.base_url: bad.count, good.base_url: good.count}
        urls = (bad.base_url, good.base_url)
    summary = json.loads(proc.stdout)
    endpoints = {e["url"]: e for e in summary["endpoints"]}
    assert set(endpoints) == set(urls)
    assert endpoints[urls[0]]["taken_out"] >= 1 and endpoints[urls[1]]["taken_out"] == 0
    for url in urls:  # what each server was sent is what the summary says it was sent
        assert endpoints[url]["requests"] == sent[url]
        # each began its slow start at 1 (a new database) and was never cut; the failing one
        # answered nothing quickly, so it stayed there
        assert endpoints[url]["cap"] == endpoints[url]["cap_lowest"] and endpoints[url]["cap_cuts"] == 0
        assert endpoints[url]["cap_ramp_from"] == 1 and endpoints[url]["cap_start"] is None
    assert endpoints[urls[0]]["cap"] == 1 and endpoints[urls[1]]["cap"] > 1
    assert endpoints[urls[0]]["failed"] == sent[urls[0]] and endpoints[urls[1]]["failed"] == 0

    stats = json.loads(cli("stats", "--db", db, "--json").stdout)[0]
    assert {e["url"]: e["taken_out"] for e in stats["endpoints"]} == {u: endpoints[u]["taken_out"] for u in urls}
    human = cli("stats", "--db", db)
    assert human.returncode == 0
    line = next(ln for ln in human.stdout.splitlines() if urls[0] in ln)
    assert "taken out 1" in line or f"taken out {endpoints[urls[0]]['taken_out']}" in line


def test_a_cap_cut_for_a_queueing_endpoint_is_where_the_next_session_starts(tmp_path) -> None:
    """A rerun (after a crash, or to resume) against the same serial server must not send it
    --concurrency requests again, most of which time out in its queue and are paid twice: the
    store keeps the cap each endpoint was cut to, as it keeps the structured-output form. (The
    serial server slows down after the first session's slow start, so requests do time out.)"""
    from test_llm_concurrency import slows_down

    from realign.store import Store

    db = tmp_path / "caps.duckdb"
    notices: list[str] = []

    async def session(n: int, start: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        settings = _settings([quick.base_url, serial.base_url], concurrency=6, timeout_s=0.7, max_attempts=6,
                             endpoint_failures=50)
        with Store(db) as st:
            async with LLMClient(settings, st, on_notice=notices.append) as client:
                before = client.endpoint_report()
                await asyncio.gather(*(client.chat([{"role": "user", "content": f"row {i}"}], sampling=SAMPLING)
                                       for i in range(start, start + n)))
                return before, client.endpoint_report()

    with OpenAIServer(latency_s=0.05) as quick, \
            OpenAIServer(slows_down(15, 0.18), latency_s=0.02, serial=True) as serial:
        first_start, first_end = asyncio.run(session(90, 0))
        assert [e["cap"] for e in first_start] == [1, 1]  # a new database: both begin their slow start
        assert [e["cap_ramp_from"] for e in first_start] == [1, 1]
        cut = first_end[1]["cap"]
        assert first_end[1]["cap_cuts"] >= 1 and cut < 6  # the serial server was cut ...
        notices.clear()
        second_start, _ = asyncio.run(session(10, 1000))
        serial_url = serial.base_url
    # ... and the next session starts there for it, with no slow start; the quick one, never
    # cut, has nothing kept and ramps again
    assert [e["cap"] for e in second_start] == [1, cut]
    assert [e["cap_start"] for e in second_start] == [None, cut]
    assert [e["cap_ramp_from"] for e in second_start] == [1, None]
    assert any(serial_url in n and f"at most {cut} at a time" in n and "earlier" in n for n in notices)
