"""The adaptive in-flight cap of the LLM client, against the local test server over real HTTP.

A server that answers one request at a time (llama.cpp on a CPU) queues what it is sent; with
more requests in flight than it answers within the timeout, the later ones time out and are
sent again while the server still works on the first copies: paid twice. The client's cap
starts at one request and doubles while answers come quickly (slow start), so such a server is
never sent that many; it cuts the cap when requests time out all the same (the server slowed
down), and brings a healthy concurrent server to full concurrency within a few rounds."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import urllib.error
import urllib.request
from collections import Counter
from typing import Any

import pytest

from realign.llm.client import LLMClient, LLMError, LLMSettings
from realign.llm.flow import SLOW_START, AdaptiveCap, InFlightLimit
from realign.testing.openai_server import Fault, FaultPlan, OpenAIServer, Reply, Responder, body_key, echo_responder

SAMPLING = {"temperature": 0.0, "top_p": 1.0, "max_tokens": 64, "seed": 7}


def settings(srv: OpenAIServer, **overrides: Any) -> LLMSettings:
    values: dict[str, Any] = {"base_url": srv.base_url, "model": "test-model", "max_attempts": 5,
                              "backoff_initial_s": 0.01, "backoff_max_s": 0.05}
    values.update(overrides)
    return LLMSettings(**values)


def ask_all(client_settings: LLMSettings, prompts: int, cache: Any = None) -> tuple[list[Any], dict[str, Any], list[str]]:
    """Send `prompts` distinct chat calls at once; results (an LLMError in place of a failed
    call), the client's stats and its notices."""
    notices: list[str] = []

    async def go() -> tuple[list[Any], dict[str, Any]]:
        async with LLMClient(client_settings, cache, on_notice=notices.append) as client:
            calls = [client.chat([{"role": "user", "content": f"question {i}"}], sampling=SAMPLING)
                     for i in range(prompts)]
            results = await asyncio.gather(*calls, return_exceptions=True)
            return list(results), client.stats.as_dict()

    results, stats = asyncio.run(go())
    return results, stats, notices


def resent(srv: OpenAIServer) -> int:
    """Requests the server received beyond the first copy of each distinct request."""
    copies = Counter(body_key(body) for body in srv.requests)
    return sum(n - 1 for n in copies.values())


def slows_down(after: int, extra_s: float) -> Responder:
    """Echo answers, each `extra_s` slower after the first `after` requests: a server that slows
    down once the cap has ramped up (longer answers, another user), so requests time out in its
    queue all the same: what the cuts are for."""
    seen = itertools.count(1)

    def respond(body: dict[str, Any]) -> Reply:
        reply = echo_responder(body)
        if next(seen) > after:
            reply.delay_s = extra_s
        return reply

    return respond


@pytest.mark.parametrize("drop", [False, True], ids=["works-through-abandoned", "drops-abandoned"])
def test_a_serial_server_on_a_new_database_gets_each_request_once(tmp_path, drop: bool):
    """llama.cpp on a CPU, latency L well under the timeout (6 L), 40 calls at once with
    --concurrency 32 and a new database: the slow start never queues a request past the timeout,
    so the server is sent each request once. With the cap fixed at 32 the back of the first
    wave times out and is sent again (whether the server works through the copies or, as
    llama-cpp-python does, drops those whose client left)."""
    from realign.store import Store

    with OpenAIServer(echo_responder, latency_s=0.1, serial=True, drop_abandoned=drop) as srv, \
            Store(tmp_path / "new.duckdb") as store:
        results, stats, notices = ask_all(settings(srv, concurrency=32, timeout_s=0.6), 40, store)
        received, copies = srv.count, resent(srv)
    with OpenAIServer(echo_responder, latency_s=0.1, serial=True, drop_abandoned=drop) as srv:
        ask_all(settings(srv, concurrency=32, timeout_s=0.6, adaptive_concurrency=False), 40)
        fixed = resent(srv)

    assert [r for r in results if isinstance(r, LLMError)] == []
    assert (received, copies) == (40, 0)  # every request sent once: nothing paid twice
    assert stats["retries"] == 0 and "timeout" not in stats["retry_causes"]
    # 0.1 s per request, half the timeout 0.3 s: held at 2-4, never cut, no notice
    assert stats["cap"] <= 4 and stats["cap_cuts"] == 0 and notices == []
    assert fixed >= 10  # the same calls on a fixed cap: the back of the wave was sent twice


def test_a_serial_server_that_slows_down_after_the_ramp_is_cut_and_gets_few_copies():
    """Quick at first (the slow start reaches --concurrency 16), then 10 times slower: 16 queued
    requests are 1.6 s of work against a 0.35 s timeout. The cap is cut once per wave of
    timeouts, few requests are sent twice, and every call is answered."""
    with OpenAIServer(slows_down(40, 0.09), latency_s=0.01, serial=True) as srv:
        results, stats, notices = ask_all(settings(srv, concurrency=16, timeout_s=0.35), 80)
        adaptive = resent(srv)
    with OpenAIServer(slows_down(40, 0.09), latency_s=0.01, serial=True) as srv:
        ask_all(settings(srv, concurrency=16, timeout_s=0.35, adaptive_concurrency=False), 80)
        fixed = resent(srv)

    assert [r for r in results if isinstance(r, LLMError)] == []
    assert stats["cap_cuts"] >= 1 and stats["cap"] < 16 and stats["cap_lowest"] <= stats["cap"]
    # measured 28 copies in each of 3 runs (the 16 in flight when it slowed, and the next
    # wave's back before the second cut); the fixed cap 142-152, and 19 of 80 calls failed
    assert adaptive <= 32
    assert fixed >= 3 * adaptive
    cuts = [n for n in notices if "at a time from now on" in n]
    assert len(cuts) == stats["cap_cuts"]  # one notice per cut, not one per timeout
    assert "--timeout 0.35 s" in cuts[0] and f"at most {stats['cap_lowest']} at a time" in " ".join(cuts)


def test_a_healthy_concurrent_server_reaches_full_concurrency_within_a_few_rounds():
    """The slow start doubles once per round of answers: 1, 2, 4, 8, 16, 32. Of 64 calls at
    once the first 31 or so go out while it ramps, so the server must see all 32 in flight."""
    with OpenAIServer(echo_responder, latency_s=0.2) as srv:
        results, stats, notices = ask_all(settings(srv, concurrency=32, timeout_s=5.0), 64)
        assert srv.max_in_flight == 32
        assert srv.count == 64
    assert all(not isinstance(r, LLMError) for r in results)
    assert (stats["cap"], stats["cap_lowest"], stats["cap_cuts"]) == (32, 32, 0)
    assert notices == []


def test_a_sporadic_hang_on_a_quick_server_does_not_cut_the_cap():
    plan = FaultPlan(echo_responder, [Fault("hang", every=7, times=2)])
    with OpenAIServer(plan, latency_s=0.01) as srv:
        results, stats, notices = ask_all(settings(srv, concurrency=8, timeout_s=0.5), 30)
    assert all(not isinstance(r, LLMError) for r in results)
    assert stats["retries"] >= 1  # the hung requests timed out and were sent again
    assert (stats["cap"], stats["cap_cuts"]) == (8, 0)
    assert not any("at a time from now on" in n for n in notices)


def test_the_cap_grows_back_while_answers_come_quickly():
    async def go() -> tuple[int, int, int]:
        with OpenAIServer(echo_responder, latency_s=0.01) as srv:
            async with LLMClient(settings(srv, concurrency=8, timeout_s=2.0)) as client:
                cap = client.endpoints[0].cap
                cap.limit.resize(2)  # as after a cut, which ends the slow start
                cap.ramping = False
                client.stats.cap = 2
                low = cap.limit.limit
                for i in range(12):
                    await client.chat([{"role": "user", "content": f"q{i}"}], sampling=SAMPLING)
                return low, cap.limit.limit, client.stats.cap

    low, high, reported = asyncio.run(go())
    assert low == 2 and high > 2 and reported == high


def test_a_lowered_limit_admits_nobody_until_its_holders_are_under_it():
    async def go() -> list[str]:
        limit = InFlightLimit(3)
        for _ in range(3):
            await limit.acquire()
        limit.resize(1)
        order: list[str] = []

        async def wait(name: str) -> None:
            await limit.acquire()
            order.append(name)

        a = asyncio.ensure_future(wait("a"))
        cancelled = asyncio.ensure_future(wait("cancelled"))
        b = asyncio.ensure_future(wait("b"))
        await asyncio.sleep(0)
        cancelled.cancel()
        limit.release()
        limit.release()  # one holder left: still not under 1
        await asyncio.sleep(0)
        order.append("two released")
        limit.release()
        await asyncio.sleep(0)
        limit.release()
        await asyncio.sleep(0)
        await asyncio.gather(a, b)
        return order

    assert asyncio.run(go()) == ["two released", "a", "b"]


def test_a_rewrite_run_on_a_new_database_sends_a_serial_server_each_request_once(tmp_path):
    """The first run a new user makes: `realign rewrite` with the default --concurrency against
    llama.cpp on a CPU (the test server answering one at a time, 0.1 s each, --timeout 0.6),
    40 rows, a new database. Each row's request reaches the server once, no row fails, and the
    summary says where the slow start stopped and why."""
    import duckdb
    from test_e2e_cli import realign, summary_of, write_alpaca

    from realign.testing.responders import RealignResponder

    data, db = tmp_path / "in.jsonl", tmp_path / "db.duckdb"
    write_alpaca(data, 40)
    with OpenAIServer(RealignResponder(), latency_s=0.1, serial=True) as srv:
        # a model already loaded: the test server's first answer took 2.8 s on the busy 2-core
        # machine (`python -m realign.testing.openai_server --mode realign`, then 0.13 s), past
        # the 0.6 s timeout; a cold first request is no steady latency. This one is refused (it
        # is no rewrite request) but warms the same path.
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(urllib.request.Request(
                srv.base_url + "/chat/completions", data=json.dumps(
                    {"model": "m", "messages": [{"role": "user", "content": "warm up"}]}).encode(),
                headers={"Content-Type": "application/json"}), timeout=30)
        srv.reset()
        proc = realign("rewrite", "--in", str(data), "--model", "m", "--base-url", srv.base_url, "--timeout", "0.6",
                       "--classifier", "embedded", "-q", "--db", str(db), "--json")
        copies, sent = resent(srv), srv.count
    summary = summary_of(proc)
    assert summary["rows"] == 40 and summary["failed"] == 0
    assert (copies, summary["retries"]) == (0, 0), f"{copies} of {sent} requests were copies"
    assert sent == summary["llm_requests"]
    cap = summary["in_flight_cap"]
    assert cap["cuts"] == 0 and cap["held"] and cap["ramp_from"] == SLOW_START and cap["end"] <= 4
    assert "Traceback" not in proc.stderr and "at a time from now on" not in proc.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        stored = json.loads(con.execute("SELECT counts FROM runs").fetchone()[0])
        kept = con.execute("SELECT count(*) FROM meta WHERE key LIKE 'cap %'").fetchone()[0]
    assert stored["in_flight_cap"] == cap
    assert kept == 0  # a slow start held by slow answers is no cut: the next run ramps again


def test_kept_slots_count_against_the_limit_but_one_live_request_goes_beside_them():
    async def go() -> tuple[bool, bool, bool]:
        limit = InFlightLimit(2)
        await limit.acquire()
        await limit.acquire()
        limit.keep()
        limit.keep()  # both holders gave up; their copies may still be worked on
        live = asyncio.ensure_future(limit.acquire())
        second = asyncio.ensure_future(limit.acquire())
        await asyncio.sleep(0)
        first_went, second_waited = live.done(), not second.done()
        limit.release(kept=True)
        limit.release(kept=True)
        await asyncio.sleep(0)
        return first_went, second_waited, second.done()

    assert asyncio.run(go()) == (True, True, True)


def test_the_slow_start_doubles_on_quick_answers_under_load_and_only_then():
    """AdaptiveCap alone, answers fed by hand: what counts toward a doubling, what holds it, and
    that none of it is told to the store (`on_resize`), which keeps cuts only."""
    class Stats:
        in_flight = cap = cap_lowest = cap_cuts = 0

    told: list[int | None] = []
    stats = Stats()
    cap = AdaptiveCap(16, 1.0, True, stats, lambda text: None, on_resize=told.append)
    limit = cap.limit

    def answer(latency: float, load: int) -> int:
        cap.got_answer(time.monotonic(), latency, load)
        return limit.limit

    assert (limit.limit, cap.ramping, cap.ramp_from) == (1, True, 1)
    assert answer(0.1, 1) == 2  # one quick answer with the cap full
    assert answer(0.1, 1) == 2  # one in flight of a cap of 2 says nothing about 2
    assert answer(0.1, 2) == 4
    assert answer(0.1, 3) == 4  # two (half of 4) are needed
    assert answer(0.6, 4) == 4 and cap.held  # slow: the count starts again
    assert answer(0.1, 4) == 4 and not cap.held
    assert answer(0.1, 4) == 8
    for _ in range(4):
        answer(0.1, 5)
    assert limit.limit == 8  # enough quick answers, but none with the cap full: 5 say nothing of 16
    assert answer(0.1, 8) == 16
    assert (stats.cap, stats.cap_lowest) == (16, 16) and not cap.ramping
    assert told == []  # doublings are no cut: nothing for the store
    assert answer(0.1, 16) == 16  # never past --concurrency

    learned = AdaptiveCap(16, 1.0, True, Stats(), lambda text: None, start=3)
    fixed = AdaptiveCap(16, 1.0, False, Stats(), lambda text: None)
    assert (learned.limit.limit, learned.ramping, learned.learned_start) == (3, False, 3)
    assert (fixed.limit.limit, fixed.ramping, fixed.ramp_from) == (16, False, None)


def test_timeouts_before_any_answer_double_the_slow_start_once_per_wave():
    """Nothing answered: the ramp learns nothing. A cold first request costs one doubling, and
    a server that never answers gets --concurrency after a few waves, so that the failure watch
    stops the run after a few timeouts, not after them one request at a time."""
    class Stats:
        in_flight = cap = cap_lowest = cap_cuts = 0

    notices: list[str] = []
    stats = Stats()
    cap = AdaptiveCap(4, 1.0, True, stats, notices.append)
    before = time.monotonic() - 1.0  # sent before any doubling
    assert cap.timed_out("http://x/v1", before) is False
    assert (cap.limit.limit, stats.cap, stats.cap_cuts) == (2, 2, 0)
    cap.timed_out("http://x/v1", before)  # the same wave: no second doubling
    assert cap.limit.limit == 2
    cap.timed_out("http://x/v1", time.monotonic())  # sent after it: the next wave
    assert (cap.limit.limit, cap.ramping) == (4, False)
    assert len(notices) == 1 and "--timeout 1 s" in notices[0]
