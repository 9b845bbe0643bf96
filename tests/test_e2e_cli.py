"""End to end through the CLI, in a subprocess, against the local OpenAI-compatible test server."""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import duckdb
import pytest

from realign.llm.base import request_key
from realign.testing.openai_server import Fault, FaultPlan, OpenAIServer, Reply
from realign.testing.responders import RealignResponder, reformat

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "data" / "demo" / "mixed_tasks.jsonl"


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_") and k != "REALIGN_MODEL"}
    env.update(extra)
    return env


def realign(*args: str, env: dict[str, str] | None = None, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "realign.cli", *args], capture_output=True, text=True,
                          env=env or cli_env(), timeout=timeout, cwd=REPO)


def write_alpaca(path: Path, n: int, *, bad: bool = False) -> int:
    """n rows of varied tasks; with bad=True five of them are broken in five different ways."""
    lines = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            row = {"instruction": f"Tom has {i + 3} apples and buys {i + 5} more. How many apples does he have now?",
                   "input": "", "output": f"Tom has {i + 3} + {i + 5} = {2 * i + 8} apples.\n#### {2 * i + 8}"}
        elif kind == 1:
            row = {"instruction": f"Explain why the sky looks blue, briefly (variant {i}).", "input": "",
                   "output": "Sunlight scatters off air molecules, and short blue wavelengths scatter the most, "
                             "so blue light reaches our eyes from every part of the sky."}
        elif kind == 2:
            row = {"instruction": "Write a Python function that adds two numbers.", "input": f"call it add_{i}",
                   "output": f"def add_{i}(a, b):\n    return a + b"}
        else:
            row = {"instruction": f"Write a short poem about the number {i}.", "input": "",
                   "output": f"Number {i}, small and bright,\nyou count the stars at night."}
        lines.append(json.dumps(row).encode())
    n_bad = 0
    if bad:
        lines[10] = b'{"instruction": "broken", "output": '  # not JSON
        lines[20] = json.dumps({"instruction": "no output here"}).encode()  # missing field
        lines[30] = json.dumps({"instruction": "typed", "input": "", "output": ["a", "list"]}).encode()
        lines[40] = json.dumps({"instruction": "empty", "input": "", "output": "   "}).encode()
        lines[50] = b'{"instruction": "bad bytes \xff\xfe", "input": "", "output": "x"}'
        n_bad = 5
    path.write_bytes(b"\n".join(lines) + b"\n")
    return n_bad


def pipeline_file(tmp: Path, **model: object) -> Path:
    body = "\n".join(f"{k} = {json.dumps(v)}" for k, v in model.items())
    p = tmp / "test.toml"
    p.write_text(f'name = "test"\n[model]\n{body}\n[classify]\nkind = "embedded"\n')
    return p


def summary_of(proc: subprocess.CompletedProcess) -> dict:
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


# ---- without a model -----------------------------------------------------------------------

def test_dry_run_needs_no_model(tmp_path: Path) -> None:
    proc = realign("rewrite", "--in", str(DEMO), "--dry-run", "--json", "--db", str(tmp_path / "x.duckdb"))
    s = summary_of(proc)
    assert s["dry_run"] is True and s["rows"] == 24
    assert 0 < s["requests"] <= 24 and s["estimated_prompt_tokens"] > 0
    assert sum(v["rows"] for v in s["by_task"].values()) == 24
    assert s["sample_prompts"] and "<original_response>" in s["sample_prompts"][0]["messages"][1]["content"]
    assert not (tmp_path / "x.duckdb").exists()


def test_plain_run_without_endpoint_says_how_to_configure(tmp_path: Path) -> None:
    proc = realign("rewrite", "--in", str(DEMO), "--db", str(tmp_path / "x.duckdb"))
    assert proc.returncode == 2
    assert "vllm serve" in proc.stderr and "OPENAI_API_KEY" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_and_empty_input_are_one_clear_error(tmp_path: Path) -> None:
    proc = realign("rewrite", "--in", str(tmp_path / "nope.jsonl"), "--dry-run")
    assert proc.returncode == 2 and "nope.jsonl" in proc.stderr and "Traceback" not in proc.stderr
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    proc = realign("rewrite", "--in", str(empty), "--dry-run")
    assert proc.returncode == 2 and "empty.jsonl" in proc.stderr and "Traceback" not in proc.stderr


def test_unreachable_server_is_one_clear_error(tmp_path: Path) -> None:
    proc = realign("rewrite", "--in", str(DEMO), "--db", str(tmp_path / "x.duckdb"), "--model", "m",
                   "--base-url", "http://127.0.0.1:9/v1")
    assert proc.returncode == 2
    assert "127.0.0.1:9" in proc.stderr and "Traceback" not in proc.stderr


def test_strict_stops_at_first_bad_row_naming_file_line_field(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    write_alpaca(data, 60, bad=True)
    with OpenAIServer(RealignResponder()) as srv:
        proc = realign("rewrite", "--in", str(data), "--db", str(tmp_path / "x.duckdb"), "--model", "m",
                       "--base-url", srv.base_url, "--strict", "-q")
    assert proc.returncode == 2
    assert f"{data}:11" in proc.stderr and "Traceback" not in proc.stderr
    # a dry run checks the file the same way: --strict stops it at the same row (it planned on before)
    proc = realign("rewrite", "--in", str(data), "--dry-run", "--strict")
    assert proc.returncode == 2
    assert f"{data}:11" in proc.stderr and "--strict" in proc.stderr and "Traceback" not in proc.stderr
    proc = realign("rewrite", "--in", str(data), "--dry-run")
    assert proc.returncode == 0 and "quarantin" in (proc.stdout + proc.stderr)


# ---- a full run with faults ------------------------------------------------------------------

def test_200_rows_with_faults_every_row_accounted_for(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    n_bad = write_alpaca(data, 200, bad=True)
    db = tmp_path / "run.duckdb"

    def rewrite(parts: dict) -> str | None:
        original = parts["original"]
        if "variant 13" in parts["instruction"] or "variant 17" in parts["instruction"]:
            return "Too short."  # fails the length window on both attempts -> kept_original
        if "variant 21" in parts["instruction"]:
            return None  # the model says the original is fine
        return reformat(original)

    faults = FaultPlan(RealignResponder(rewrite), [
        Fault("rate_limit", fraction=0.05, retry_after=0.05, salt="a"),
        Fault("server_error", fraction=0.05, salt="b"),
        Fault("malformed", fraction=0.03, salt="c"),
        Fault("length", fraction=0.03, salt="d"),
        Fault("hang", fraction=0.02, salt="e"),
        Fault("bad_request", fraction=0.03, times=None, salt="f"),  # permanent: the row fails
    ])
    cfg = pipeline_file(tmp_path, timeout_s=1.0, max_attempts=6, concurrency=16)
    with OpenAIServer(faults) as srv:
        env = cli_env(OPENAI_API_KEY="sk-test-secret-do-not-store")
        proc = realign("rewrite", "--in", str(data), "--db", str(db), "--model", "m", "--base-url",
                       srv.base_url, "--pipeline", str(cfg), "--json", env=env)
        s = summary_of(proc)
        injected = dict(faults.injected)
    assert s["rows"] == 200
    assert s["quarantined"] == n_bad
    assert s["rewritten"] + s["kept_original"] + s["passthrough"] + s["failed"] + s["quarantined"] == 200
    assert s["failed"] >= 1 and s["failed"] == injected["bad_request"]  # only the permanent 4xx fail
    assert [(f["kind"], f["turns"]) for f in s["failed_by_kind"]] == [("http_4xx", s["failed"])]
    assert s["failed_by_kind"][0]["fix"]  # says what to do about them
    assert s["kept_original"] >= 3 and s["passthrough"] >= 40 and s["rewritten"] >= 80
    assert all(injected[k] > 0 for k in ("rate_limit", "server_error", "malformed", "length", "hang"))
    # every retry says what the attempt before it failed with
    assert sum(s["retry_causes"].values()) == s["retries"]
    assert {"rate_limited", "server_error", "timeout", "length"} <= set(s["retry_causes"])

    con = duckdb.connect(str(db), read_only=True)
    q = con.execute("SELECT line, field, error FROM quarantine ORDER BY line").fetchall()
    assert [r[0] for r in q] == [11, 21, 31, 41, 51]
    assert q[1][1] == "output" and q[2][1] == "output"
    reasons = con.execute("SELECT reason FROM rewrites WHERE status = 'kept_original'").fetchall()
    assert any("length" in r[0].lower() or "short" in r[0].lower() for r in reasons)
    con.close()
    assert b"sk-test-secret-do-not-store" not in db.read_bytes()

    out = tmp_path / "sft.jsonl"
    summary_of(realign("export", "--db", str(db), "--out", str(out), "--format", "alpaca", "--json"))
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(rows) == 200 - n_bad and len({r["id"] for r in rows}) == len(rows)

    st = summary_of(realign("stats", "--db", str(db), "--json"))
    assert st[0]["rows"] == 200 and st[0]["quarantined"] == n_bad
    proc = realign("show", rows[0]["id"], "--db", str(db), "--json")
    story = summary_of(proc)
    assert story["example_id"] == rows[0]["id"] and story["original_turns"]


def test_the_summary_names_what_the_retried_attempts_failed_with(tmp_path: Path) -> None:
    """'13 retries' alone does not say whether the server or the model needs a look."""
    data = tmp_path / "in.jsonl"
    write_alpaca(data, 12)
    faults = FaultPlan(RealignResponder(), [Fault("server_error", every=3, salt="s")])
    with OpenAIServer(faults) as srv:
        proc = realign("rewrite", "--in", str(data), "--db", str(tmp_path / "r.duckdb"), "--model", "m",
                       "--base-url", srv.base_url, "--pipeline", str(pipeline_file(tmp_path, max_attempts=4)))
    assert proc.returncode == 0, proc.stderr
    m = re.search(r"(\d+) retries \(server_error (\d+)\)", proc.stdout.replace("\n", " "))
    assert m and m.group(1) == m.group(2) and int(m.group(1)) >= 1, proc.stdout


# ---- resume ------------------------------------------------------------------------------

def _export(db: Path, out: Path) -> list[dict]:
    summary_of(realign("export", "--db", str(db), "--out", str(out), "--format", "jsonl", "--json"))
    return [json.loads(x) for x in out.read_text().splitlines()]


CONCURRENCY = 4


@pytest.fixture(scope="module")
def stoppable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """300 rows, a server answering in 0.04 s, and the export of an uninterrupted run of them: the
    reference every stopped-and-resumed run below must match. One per module: the reference is the
    same for each signal, and it is a full run of its own."""
    tmp = tmp_path_factory.mktemp("stoppable")
    data = tmp / "in.jsonl"
    write_alpaca(data, 300)
    with OpenAIServer(RealignResponder(), latency_s=0.04) as srv:
        base = ["--in", str(data), "--model", "m", "--base-url", srv.base_url, "--concurrency", str(CONCURRENCY),
                "--classifier", "embedded", "-q"]
        ref_db = tmp / "ref.duckdb"
        summary_of(realign("rewrite", *base, "--db", str(ref_db), "--json"))
        yield {"srv": srv, "base": base, "reference": _export(ref_db, tmp / "ref.jsonl")}


def _stop_mid_run(tmp_path: Path, sig: signal.Signals, stoppable: dict) -> dict:
    """A run of `stoppable`'s rows stopped by `sig` after 40 requests (before the store's first
    one-second flush) and rerun. Returns what the checks below need."""
    srv, base = stoppable["srv"], stoppable["base"]
    db = tmp_path / "stopped.duckdb"
    srv.reset()
    proc = subprocess.Popen([sys.executable, "-m", "realign.cli", "rewrite", *base, "--db", str(db), "--json"],
                            env=cli_env(), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while srv.count < 40 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    assert proc.poll() is None, "the run finished before it could be stopped"
    os.kill(proc.pid, sig)
    stdout, stderr = proc.communicate(timeout=60)
    before = {request_key(b) for b in srv.requests}

    con = duckdb.connect(str(db), read_only=True)
    status = con.execute("SELECT status FROM runs").fetchone()[0]
    saved = con.execute("SELECT (SELECT count(*) FROM results) + (SELECT count(*) FROM quarantine)").fetchone()[0]
    con.close()

    srv.reset()
    resumed = summary_of(realign("rewrite", *base, "--db", str(db), "--json"))
    resent = [b for b in srv.requests if request_key(b) in before]
    after = _export(db, tmp_path / "resumed.jsonl")
    srv.reset()
    again = summary_of(realign("rewrite", *base, "--db", str(db), "--json"))
    sent_again = srv.count
    print(f"{sig.name}: {len(before)} requests before the stop, {len(resent)} of them sent again after it; "
          f"{saved} rows saved at the stop, {resumed['resumed']} resumed")
    return {"rc": proc.returncode, "stdout": stdout, "stderr": stderr, "status": status, "saved": saved, "resumed": resumed,
            "resent": resent, "reference": stoppable["reference"], "after": after, "again": again,
            "sent_again": sent_again}


def test_sigkill_then_rerun_sends_no_answered_request_again(tmp_path: Path, stoppable: dict) -> None:
    r = _stop_mid_run(tmp_path, signal.SIGKILL, stoppable)
    assert r["rc"] == -signal.SIGKILL
    # only the requests in flight at the kill (at most --concurrency) may go out again: every
    # answer received was journaled before use, whether or not it had reached DuckDB
    assert len(r["resent"]) <= CONCURRENCY, f"{len(r['resent'])} answered requests were sent again"
    assert r["resumed"]["rows"] == 300 and r["after"] == r["reference"]
    assert r["sent_again"] == 0 and r["again"]["llm_requests"] == 0 and r["again"]["rows"] == 300


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"])
def test_sigterm_and_sigint_stop_cleanly_and_the_rerun_completes(
        tmp_path: Path, stoppable: dict, sig: signal.Signals, code: int) -> None:
    r = _stop_mid_run(tmp_path, sig, stoppable)
    assert r["rc"] == code, r["stderr"][-2000:]
    assert "Traceback" not in r["stderr"] and "Error" not in r["stderr"]
    lines = r["stderr"].strip().splitlines()
    assert lines[-1] == f"interrupted: {r['saved']} rows saved; rerun the same command to resume"
    assert r["stderr"].endswith("resume\n")
    stopped = json.loads(r["stdout"])  # --json: the summary so far, on stdout
    assert stopped["status"] == "interrupted" and stopped["rows"] == r["saved"]
    assert r["status"] == "interrupted"
    assert r["resent"] == []  # the answers in flight at the stop were awaited and stored
    assert r["resumed"]["resumed"] >= r["saved"] and r["resumed"]["rows"] == 300
    assert r["after"] == r["reference"] and r["sent_again"] == 0


def test_a_stop_waits_for_the_answers_in_flight_so_the_rerun_pays_for_none_twice(tmp_path: Path) -> None:
    """SIGTERM / Ctrl-C while requests are on the wire: nothing new is sent, the answers already
    asked for are awaited and stored, and the rerun sends none of them again."""
    data = tmp_path / "in.jsonl"
    write_alpaca(data, 60)
    with OpenAIServer(RealignResponder(), latency_s=0.5) as srv:
        base = ["--in", str(data), "--model", "m", "--base-url", srv.base_url, "--concurrency", str(CONCURRENCY),
                "--classifier", "embedded", "-q", "--db", str(tmp_path / "db.duckdb"), "--json"]
        proc = subprocess.Popen([sys.executable, "-m", "realign.cli", "rewrite", *base],
                                env=cli_env(), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 120
        while srv.count < 2 * CONCURRENCY and time.time() < deadline and proc.poll() is None:
            time.sleep(0.01)
        assert proc.poll() is None, "the run finished before it could be stopped"
        os.kill(proc.pid, signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 143, stderr[-2000:]
        before = {request_key(b) for b in srv.requests}
        srv.reset()
        resumed = summary_of(realign("rewrite", *base))
        resent = [b for b in srv.requests if request_key(b) in before]
    assert resumed["rows"] == 60 and resumed["failed"] == 0
    assert resent == [], f"{len(resent)} requests sent before the stop were sent again"
    assert "waiting for" in stderr and "Traceback" not in stderr


def test_a_second_signal_stops_at_once_without_waiting_for_the_answers(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    write_alpaca(data, 8)
    with OpenAIServer(RealignResponder(), latency_s=600) as srv:  # answers that never come in time
        proc = subprocess.Popen([sys.executable, "-m", "realign.cli", "rewrite", "--in", str(data), "--model", "m",
                                 "--base-url", srv.base_url, "--classifier", "embedded", "-q",
                                 "--db", str(tmp_path / "db.duckdb")],
                                env=cli_env(), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 120
        while srv.count < 1 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGINT)
        time.sleep(0.5)
        os.kill(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)  # far less than the 600 s the answers would take
    assert proc.returncode == 130, stderr[-2000:]
    assert "waiting for the 1 request(s) in flight" in stderr  # the first signal waited ...
    assert re.fullmatch(r"interrupted: \d+ rows saved; rerun the same command to resume",  # ... the second did not
                        stderr.strip().splitlines()[-1]), stderr[-2000:]


# ---- multi-turn ------------------------------------------------------------------------------

def test_every_assistant_turn_rewritten_or_only_the_last(tmp_path: Path) -> None:
    data = tmp_path / "chat.jsonl"
    convo = {"id": "c1", "conversations": [
        {"from": "system", "value": "You are a helpful tutor."},
        {"from": "human", "value": "What is the boiling point of water at sea level?"},
        {"from": "gpt", "value": "Water boils at 100 degrees Celsius at sea level."},
        {"from": "human", "value": "And why does it boil at a lower temperature on a mountain?"},
        {"from": "gpt", "value": "Air pressure is lower up high, so water needs less heat to boil."},
    ]}
    data.write_text(json.dumps(convo) + "\n")
    with OpenAIServer(RealignResponder()) as srv:
        common = ["--in", str(data), "--model", "m", "--base-url", srv.base_url, "--task", "open_qa", "-q", "--json"]
        s = summary_of(realign("rewrite", *common, "--db", str(tmp_path / "all.duckdb")))
        assert s["rewritten"] == 1 and srv.count == 2
        second = srv.requests[1]["messages"][1]["content"]
        assert "boiling point" in second and "lower temperature" in second  # earlier turns as context
        srv.reset()
        s = summary_of(realign("rewrite", *common, "--turns", "last", "--db", str(tmp_path / "last.duckdb")))
        assert s["rewritten"] == 1 and srv.count == 1
        summary_of(realign("rewrite", *common[:-4], "-q", "--json", "--db", str(tmp_path / "routed.duckdb")))
    routed = summary_of(realign("show", "c1", "--db", str(tmp_path / "routed.duckdb"), "--json"))
    assert routed["task"] == "open_qa" and routed["classifier"] == "embedded"
    assert routed["task_read_from"] == "the first user turn (the system turn and later user turns left out)"
    forced = summary_of(realign("show", "c1", "--db", str(tmp_path / "all.duckdb"), "--json"))
    assert forced["task_read_from"] is None  # --task named it: no turn was read
    out = tmp_path / "out.jsonl"
    summary_of(realign("export", "--db", str(tmp_path / "all.duckdb"), "--out", str(out), "--format", "sharegpt", "--json"))
    conv = json.loads(out.read_text())["conversations"]
    assert [t["from"] for t in conv] == ["system", "human", "gpt", "human", "gpt"]
    assert conv[2]["value"].startswith("Here is a clear answer.") and conv[4]["value"].startswith("Here is a clear answer.")


def test_a_later_turn_is_rewritten_against_the_earlier_turns_as_exported_and_resume_repays_nothing(
        tmp_path: Path) -> None:
    # A follow-up that leans on the previous answer ("make your previous answer ..."): its rewrite
    # must see turn 1 as the export carries it (the rewrite), or the exported chat stops making sense.
    data = tmp_path / "chat.jsonl"
    first, second = "Plant beans in spring, about 5 cm deep.", "Beans: spring, 5 cm deep."
    convo = {"id": "c1", "messages": [
        {"role": "user", "content": "When and how deep should I plant beans?"},
        {"role": "assistant", "content": first},
        {"role": "user", "content": "Now shorten your previous answer to one line."},
        {"role": "assistant", "content": second},
    ]}
    data.write_text(json.dumps(convo) + "\n")
    broken = {"on": first}  # which turn's request fails (HTTP 400, not retried)
    inner = RealignResponder()

    def respond(body: dict) -> Reply:
        if broken["on"] and f"<original_response>\n{broken['on']}" in body["messages"][-1]["content"]:
            return Reply(status=400, error_message="scripted failure")
        return inner(body)

    db = tmp_path / "r.duckdb"
    with OpenAIServer(respond) as srv:
        args = ["rewrite", "--in", str(data), "--model", "m", "--base-url", srv.base_url, "--task", "open_qa",
                "-q", "--json", "--db", str(db)]
        # turn 1 fails: the follow-up is not asked against a history the rerun would replace
        s = summary_of(realign(*args))
        assert s["failed"] == 1 and srv.count == 1 and [k["turns"] for k in s["failed_by_kind"]] == [1]
        story = summary_of(realign("show", "c1", "--db", str(db), "--json"))
        assert "waits for turn 1" in story["turns"][1]["reason"] and not story["turns"][1]["request_keys"]
        broken["on"] = second  # turn 1 now goes through, the follow-up fails
        srv.reset()
        assert summary_of(realign(*args))["failed"] == 1 and srv.count == 2
        broken["on"] = None
        srv.reset()
        s = summary_of(realign(*args))  # the resume: turn 1 from the cache, the follow-up sent once
        assert s["rewritten"] == 1 and srv.count == 1 and s["cached_requests"] == 1
        prompt = srv.requests[0]["messages"][-1]["content"]
    exported_first = reformat(first)
    assert exported_first in prompt  # the follow-up saw turn 1 as rewritten ...
    assert f"[assistant]\n{first}\n" not in prompt  # ... not the original alone
    story = summary_of(realign("show", "c1", "--db", str(db), "--json"))
    by_turn = {t["turn_index"]: t for t in story["turns"]}
    assert by_turn[1]["history_rewritten"] == [] and by_turn[3]["history_rewritten"] == [1]
    assert story["final_turns"][1]["content"] == exported_first
    shown = realign("show", "c1", "--db", str(db))
    assert shown.returncode == 0 and "history: the rewritten text of turn 1" in shown.stdout


def test_a_leading_assistant_greeting_is_left_as_is_and_show_says_why(tmp_path: Path) -> None:
    data = tmp_path / "greet.jsonl"
    convo = {"id": "g1", "conversations": [
        {"from": "gpt", "value": "Hello! How can I help?"},
        {"from": "human", "value": "What's the capital of France?"},
        {"from": "gpt", "value": "The capital of France is Paris."},
    ]}
    data.write_text(json.dumps(convo) + "\n")
    db = tmp_path / "g.duckdb"
    with OpenAIServer(RealignResponder()) as srv:
        s = summary_of(realign("rewrite", "--in", str(data), "--model", "m", "--base-url", srv.base_url,
                               "--task", "open_qa", "-q", "--json", "--db", str(db)))
        sent = [m["content"] for b in srv.requests for m in b["messages"]]
    assert s["rewritten"] == 1 and srv.count == 1  # only the answer to the question went out
    # the greeting may be context of the answer, never a response to rewrite
    assert not any("<original_response>\nHello! How can I help?" in t or "<original_response>Hello! How" in t
                   for t in sent)
    assert any("The capital of France is Paris." in t for t in sent)
    story = summary_of(realign("show", "g1", "--db", str(db), "--json"))
    assert [t["turn_index"] for t in story["turns"]] == [2]
    assert story["untouched_turns"][0]["turn_index"] == 0
    assert "answers nothing" in story["untouched_turns"][0]["reason"]
    assert story["final_turns"][0]["content"] == "Hello! How can I help?"
    shown = realign("show", "g1", "--db", str(db))
    assert shown.returncode == 0 and "turn 0: left as it is" in shown.stdout
    out = tmp_path / "out.jsonl"
    summary_of(realign("export", "--db", str(db), "--out", str(out), "--format", "sharegpt", "--json"))
    conv = json.loads(out.read_text())["conversations"]
    assert conv[0] == {"from": "gpt", "value": "Hello! How can I help?"}
    assert conv[2]["value"].startswith("Here is a clear answer.")


def test_an_empty_assistant_turn_in_a_chat_is_left_empty_not_written_and_show_says_why(tmp_path: Path) -> None:
    # MT-bench's reference answers leave some second turns empty (questions 103, 108, 110): a chat
    # corpus with such a turn must not get a response invented for it, in any turn mode.
    data = tmp_path / "empty.jsonl"
    convo = {"id": "e1", "messages": [
        {"role": "user", "content": "Thomas is very healthy, but he has to go to the hospital every day. Why?"},
        {"role": "assistant", "content": "Thomas may work at a hospital."},
        {"role": "user", "content": "Can you explain why the above question is interesting?"},
        {"role": "assistant", "content": ""},
    ]}
    data.write_text(json.dumps(convo) + "\n")
    for turns in ("all", "last"):
        db = tmp_path / f"e-{turns}.duckdb"
        with OpenAIServer(RealignResponder()) as srv:
            s = summary_of(realign("rewrite", "--in", str(data), "--model", "m", "--base-url", srv.base_url,
                                   "--task", "open_qa", "--turns", turns, "-q", "--json", "--db", str(db)))
            originals = [m["content"] for b in srv.requests for m in b["messages"]
                         if "<original_response>" in m["content"]]
        assert s["quarantined"] == 0
        # nothing asks the model to rewrite an empty response; with --turns last nothing is sent at all
        assert not any("<original_response>\n\n</original_response>" in t for t in originals)
        assert srv.count == (1 if turns == "all" else 0), turns
        story = summary_of(realign("show", "e1", "--db", str(db), "--json"))
        assert [t["turn_index"] for t in story["turns"]] == ([1] if turns == "all" else [])
        untouched = {t["turn_index"]: t["reason"] for t in story["untouched_turns"]}
        assert sorted(untouched) == ([3] if turns == "all" else [1, 3]) and "empty" in untouched[3]
        if turns == "last":  # the earlier answer was not asked for, and show says so
            assert "--turns last" in untouched[1]
        assert story["final_turns"][3]["content"] == ""
        shown = realign("show", "e1", "--db", str(db))
        assert shown.returncode == 0 and "turn 3: left as it is" in shown.stdout
        out = tmp_path / f"out-{turns}.jsonl"
        summary_of(realign("export", "--db", str(db), "--out", str(out), "--format", "messages", "--json"))
        msgs = json.loads(out.read_text())["messages"]
        assert msgs[3] == {"role": "assistant", "content": ""}


def test_an_answer_looping_to_max_tokens_keeps_the_original_and_only_a_real_cut_says_raise(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    data.write_text(json.dumps({"id": "loop", "instruction": "Explain why the sky looks blue.", "input": "",
                                "output": "Sunlight scatters off air, and blue light scatters the most."}) + "\n"
                    + json.dumps({"id": "cut", "instruction": "Explain why leaves turn red in autumn.", "input": "",
                                  "output": "Chlorophyll fades and red pigments show through."}) + "\n"
                    + json.dumps({"id": "runaway", "instruction": "Polish this sentence: the tide come in fast.",
                                  "input": "", "output": "The tide comes in fast."}) + "\n")

    def responder(body: dict) -> Reply:
        if "sky looks blue" in body["messages"][-1]["content"]:
            return Reply(content='{"rewritten": "' + "The sky is blue because light scatters. " * 40,
                         finish_reason="length")
        if "tide" in body["messages"][-1]["content"]:  # runs on, a new ending each time: no loop word for word
            return Reply(content='{"rewritten": "' + " ".join(f"You can rephrase to: the tide comes in fast, variant {i}."
                                                               for i in range(120)), finish_reason="length")
        return Reply(content='{"rewritten": "Chlorophyll breaks down in the cold and', finish_reason="length")

    db = tmp_path / "l.duckdb"
    with OpenAIServer(responder) as srv:
        args = ["rewrite", "--in", str(data), "--model", "m", "--base-url", srv.base_url, "--task", "open_qa",
                "--db", str(db)]
        s = summary_of(realign(*args, "--json"))
        rerun = realign(*args)  # the human summary; the looping row is final, only the cut one is retried
    assert s["kept_original"] == 2 and s["failed"] == 1
    assert summary_of(realign("show", "runaway", "--db", str(db), "--json"))["turns"][0]["reason"] == \
        "the model's answer loops (cut at max_tokens)"
    assert s["failed_by_kind"] == [{"kind": "length", "turns": 1, "fix": "raise --max-tokens"}]
    assert rerun.returncode == 0 and "1 turn(s) failed (length); fix: raise --max-tokens" in rerun.stderr
    looped = summary_of(realign("show", "loop", "--db", str(db), "--json"))
    assert looped["status"] == "kept_original" and looped["error"] is None
    assert looped["turns"][0]["reason"] == "the model's answer loops (cut at max_tokens)"
    assert looped["final_turns"][-1]["content"] == "Sunlight scatters off air, and blue light scatters the most."
    assert summary_of(realign("show", "cut", "--db", str(db), "--json"))["status"] == "failed"


def test_raising_max_tokens_after_a_cut_off_resumes_the_run_and_sends_only_the_cut_rows_again(tmp_path: Path) -> None:
    """The summary's fix for a cut-off turn is 'raise --max-tokens, then rerun the same command to
    retry them': that rerun must be the same run, not a new one re-paying every finished row."""
    data = tmp_path / "in.jsonl"
    write_alpaca(data, 8)
    inner = RealignResponder()

    def responder(body: dict) -> Reply:
        if "variant 5" in json.dumps(body) and body.get("max_tokens", 0) < 1000:
            return Reply(content='{"rewritten": "Sunlight scatters off air molecules, and', finish_reason="length")
        return inner(body)

    with OpenAIServer(responder) as srv:
        args = ["rewrite", "--in", str(data), "--model", "m", "--base-url", srv.base_url, "--task", "open_qa",
                "--db", str(tmp_path / "m.duckdb"), "--json", "-q"]
        first = summary_of(realign(*args, "--max-tokens", "512"))
        sent = srv.count
        second = summary_of(realign(*args, "--max-tokens", "2048"))
    assert first["failed"] == 1 and first["failed_by_kind"][0]["fix"] == "raise --max-tokens"
    assert second["run_id"] == first["run_id"] and second["resumed"] == 7
    assert second["failed"] == 0 and second["llm_requests"] == 1 and srv.count == sent + 1


def test_a_row_longer_than_the_models_context_names_that_fix_in_the_summary(tmp_path: Path) -> None:
    """Seen on SmolLM2 (n_ctx 4096) with a long pasted passage: the turn failed http_4xx and the
    summary said only 'check the server log'; the server's own message says what is wrong. Such a
    turn is now kept as it is (reason too_long, tests/test_e2e_row_failures.py), with the fix."""
    data = tmp_path / "in.jsonl"
    long = {"id": "long", "messages": [{"role": "user", "content": "How often did the committee meet?\n\n"
                                        + "The committee met again. " * 400},
                                       {"role": "assistant", "content": "The committee met 400 times."}]}
    short = {"id": "short", "messages": [{"role": "user", "content": "What is the capital of France?"},
                                         {"role": "assistant", "content": "Paris."}]}
    data.write_text(json.dumps(long) + "\n" + json.dumps(short) + "\n")
    inner = RealignResponder()

    def responder(body: dict) -> Reply:
        if "committee met again" in json.dumps(body):
            return Reply(status=400, error_message="This model's maximum context length is 4096 tokens. However, "
                         "you requested 19071 tokens (18559 in the messages, 512 in the completion).")
        return inner(body)

    with OpenAIServer(responder) as srv:
        args = ["rewrite", "--in", str(data), "--model", "m", "--base-url", srv.base_url, "--task", "open_qa",
                "--db", str(tmp_path / "c.duckdb")]
        s = summary_of(realign(*args, "--json"))
        human = realign(*args)
    assert s["failed"] == 0 and s["rewritten"] == 1 and s["kept_original"] == 1 and s["too_long"] == 1
    assert s["failed_by_kind"] == [] and "longer context" in s["too_long_fix"]
    assert "1 turn(s) kept as they are: the prompt is longer than the model's context" in \
        " ".join(human.stderr.split())  # rich wraps the warning at the terminal's width
    assert "lower --max-tokens (the server counts it into the context) or use a model with a longer context" in \
        " ".join(human.stderr.split())


# ---- evidence ------------------------------------------------------------------------------

def test_evidence_is_retrieved_numbered_stored_and_shown(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(json.dumps(d) for d in [
        {"id": "canberra", "title": "Canberra", "text": "Canberra is the capital city of Australia; it was chosen "
         "as a compromise between Sydney and Melbourne and built from 1913."},
        {"id": "sky", "title": "Rayleigh scattering", "text": "The sky looks blue because molecules in the air "
         "scatter short blue wavelengths of sunlight much more strongly than long red ones."},
        {"id": "bread", "title": "Sourdough", "text": "Sourdough bread rises with wild yeast and lactic acid bacteria."},
    ]) + "\n")
    index = tmp_path / "index"
    proc = realign("index", "build", "--corpus", str(corpus), "--index", str(index), "--json")
    assert proc.returncode == 0, proc.stderr
    data = tmp_path / "in.jsonl"
    data.write_text(json.dumps({"id": "q1", "instruction": "What is the capital of Australia?", "input": "",
                                "output": "Canberra."}) + "\n" + json.dumps(
        {"id": "q2", "instruction": "Write a poem about bread.", "input": "", "output": "Warm loaf, soft crumb."}) + "\n")
    db = tmp_path / "ev.duckdb"
    with OpenAIServer(RealignResponder()) as srv:
        s = summary_of(realign("rewrite", "--in", str(data), "--db", str(db), "--model", "m", "--base-url", srv.base_url,
                               "--retrieval", "local", "--index", str(index), "--classifier", "embedded", "-q", "--json"))
        prompts = [b["messages"][1]["content"] for b in srv.requests]
    assert s["rows"] == 2
    story = summary_of(realign("show", "q1", "--db", str(db), "--json"))
    assert story["task"] == "open_qa"
    assert story["evidence"] and story["evidence"][0]["doc_id"].startswith("canberra")
    assert any("<evidence>" in p and "[1]" in p and "canberra" in p.lower() for p in prompts)
    con = duckdb.connect(str(db), read_only=True)
    sources = con.execute("SELECT DISTINCT example_id FROM evidence").fetchall()
    con.close()
    assert sources == [("q1",)]  # the poem's task does not ask for evidence


# ---- candidates and progress ---------------------------------------------------------------------

def test_first_passing_candidate_wins_not_the_longest(tmp_path: Path) -> None:
    from realign.testing.openai_server import Reply
    from realign.testing.responders import request_parts

    def responder(body: dict) -> Reply:
        original = request_parts(body)["original"]
        wrong = json.dumps({"keep_original": False, "rewritten": "Tom has 3 + 5 = 9 apples.\n#### 9"})
        good = json.dumps({"keep_original": False, "rewritten": "Tom has 3 + 5 = 8 apples.\n#### 8"})
        longest = json.dumps({"keep_original": False, "rewritten": original + "\n\n" + "Extra padding. " * 40})
        return Reply(content=[wrong, good, longest][: body.get("n", 1)])

    data = tmp_path / "in.jsonl"
    data.write_text(json.dumps({"id": "m1", "instruction": "Tom has 3 apples and buys 5 more. How many now?",
                                "input": "", "output": "3 + 5 = 8\n#### 8"}) + "\n")
    db = tmp_path / "n.duckdb"
    with OpenAIServer(responder) as srv:
        s = summary_of(realign("rewrite", "--in", str(data), "--db", str(db), "--model", "m", "--base-url",
                               srv.base_url, "--n", "3", "--task", "math_puzzles", "-q", "--json"))
        assert srv.count == 1 and srv.requests[0]["n"] == 3
    assert s["rewritten"] == 1
    story = summary_of(realign("show", "m1", "--db", str(db), "--json"))
    assert story["final_turns"][-1]["content"] == "Tom has 3 + 5 = 8 apples.\n#### 8"
    verdicts = story["turns"][0]["verdicts"]
    assert [v["passed"] for v in verdicts] == [False, True]  # the third candidate was never needed


def test_plain_progress_line_on_stderr_when_not_a_terminal(tmp_path: Path) -> None:
    with OpenAIServer(RealignResponder()) as srv:
        proc = realign("rewrite", "--in", str(DEMO), "--db", str(tmp_path / "p.duckdb"), "--model", "m",
                       "--base-url", srv.base_url, "--classifier", "embedded")
    assert proc.returncode == 0, proc.stderr
    assert "rows 24/24 (100%)" in proc.stderr and "rows/s" in proc.stderr and "ETA" in proc.stderr
    assert proc.stdout.startswith("run r")  # the human summary on stdout, progress kept off it


def test_progress_after_a_resume_counts_earlier_sessions_rows_as_resumed_apart_from_this_sessions(
        tmp_path: Path) -> None:
    db = str(tmp_path / "r.duckdb")
    args = ["rewrite", "--in", str(DEMO), "--db", db, "--model", "m", "--classifier", "embedded"]
    with OpenAIServer(RealignResponder()) as srv:
        assert realign(*args, "--base-url", srv.base_url, "--limit", "10", "-q").returncode == 0
        proc = realign(*args, "--base-url", srv.base_url)
    assert proc.returncode == 0, proc.stderr
    last = [ln for ln in proc.stderr.splitlines() if ln.startswith("rows 24/24")][-1]
    counts = re.search(r"resumed (\d+), this session: rewritten (\d+) kept (\d+) pass (\d+) failed (\d+) quar (\d+)",
                       last)
    assert counts, last
    # the earlier session's 10 rows and this session's outcomes make up the 24 rows shown done
    assert int(counts.group(1)) == 10 and sum(int(n) for n in counts.groups()) == 24


# ---- a database of the previous release --------------------------------------------------------

def test_database_of_the_previous_release_is_read_and_extended_through_the_cli(tmp_path: Path) -> None:
    import gzip

    fixture = REPO / "tests" / "fixtures" / "store"
    db = tmp_path / "old.duckdb"
    db.write_bytes(gzip.decompress((fixture / "v1_realign.duckdb.gz").read_bytes()))
    st = summary_of(realign("stats", "--db", str(db), "--json"))
    assert st[0]["by_status"] == {"rewritten": 4} and st[0]["quarantined"] == 1
    with OpenAIServer(RealignResponder()) as srv:
        s = summary_of(realign("rewrite", "--in", str(fixture / "v1_input.jsonl"), "--db", str(db), "--model", "m",
                               "--base-url", srv.base_url, "--task", "open_qa", "-q", "--json"))
    assert s["rows"] == 8 and s["quarantined"] == 1 and s["failed"] == 0
    rows = _export(db, tmp_path / "out.jsonl")
    assert len(rows) == 7 and {r["id"] for r in rows} >= {"m1", "q1", "c1", "q2", "q3", "m2", "q4"}


# ---- bad state -------------------------------------------------------------------------------

def test_db_pointing_at_an_input_file_is_one_line_and_leaves_it_untouched(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    write_alpaca(data, 8)
    before = data.read_bytes()
    for args in (["rewrite", "--in", str(data), "--model", "m", "--base-url", "http://127.0.0.1:9/v1"],
                 ["stats"], ["show", "x"], ["export", "--out", str(tmp_path / "o.jsonl")]):
        proc = realign(*args, "--db", str(data))
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stderr.count("\n") == 1 and "is not a DuckDB database" in proc.stderr and str(data) in proc.stderr
    assert data.read_bytes() == before and not (tmp_path / "o.jsonl").exists()


def test_a_failed_first_command_leaves_no_empty_database(tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"
    proc = realign("rewrite", "--in", str(DEMO), "--db", str(db), "--model", "m", "--base-url", "http://127.0.0.1:9/v1")
    assert proc.returncode == 2 and not db.exists() and not list(tmp_path.iterdir())


def test_db_in_a_folder_not_made_yet_is_created_and_a_file_in_the_way_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    write_alpaca(data, 4)
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    with OpenAIServer(RealignResponder()) as srv:
        db = tmp_path / "runs" / "nested" / "r.duckdb"
        s = summary_of(realign("rewrite", "--in", str(data), "--db", str(db), "--model", "m",
                               "--base-url", srv.base_url, "-q", "--json"))
        assert s["rows"] == 4 and db.is_file()
        proc = realign("rewrite", "--in", str(data), "--db", str(blocker / "r.duckdb"), "--model", "m",
                       "--base-url", srv.base_url, "-q")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "afile" in proc.stderr and "Traceback" not in proc.stderr and blocker.read_text() == "x"


def test_a_template_that_breaks_the_sandbox_is_one_line_naming_template_and_expression(tmp_path: Path) -> None:
    import shutil

    templates = tmp_path / "templates"
    shutil.copytree(REPO / "templates", templates)
    evil = "{{ original.__class__.__mro__[1].__subclasses__() }}"
    with (templates / "rewrite_user.j2").open("a") as f:
        f.write("\n" + evil + "\n")
    with OpenAIServer(RealignResponder()) as srv:
        proc = realign("rewrite", "--in", str(DEMO), "--db", str(tmp_path / "t.duckdb"), "--model", "m",
                       "--base-url", srv.base_url, "--task", "open_qa", "-q",
                       env=cli_env(REALIGN_TEMPLATES_DIR=str(templates)))
        assert srv.count == 0
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    line = proc.stderr.strip().splitlines()[-1]
    assert "rewrite_user.j2:" in line and evil in line and "sandbox" in line


def test_api_key_from_a_file_is_sent_and_never_stored_or_printed(tmp_path: Path) -> None:
    secret = "sk-from-file-0123456789abcdef"
    keyfile = tmp_path / "key.txt"
    keyfile.write_text(secret + "\n")
    db = tmp_path / "k.duckdb"
    with OpenAIServer(RealignResponder(), api_key=secret) as srv:
        args = ["rewrite", "--in", str(DEMO), "--db", str(db), "--model", "m", "--base-url", srv.base_url,
                "--classifier", "embedded", "--limit", "3", "-q", "--json"]
        ok = realign(*args, "--api-key", f"@{keyfile}")
        assert summary_of(ok)["rows"] == 3 and srv.count > 0
        from_env = realign(*args, "--api-key", "env:MY_KEY", env=cli_env(MY_KEY=secret))
        assert from_env.returncode == 0, from_env.stderr
        refused = realign(*args, "--api-key", "env:MY_KEY", env=cli_env(MY_KEY="sk-wrong-key-0000"))
    assert refused.returncode == 2 and "401" in refused.stderr and "--api-key @FILE" in refused.stderr
    assert "sk-wrong-key-0000" not in refused.stderr and "Traceback" not in refused.stderr
    missing = realign(*args[:-1], "--api-key", f"@{tmp_path / 'nope.txt'}")
    assert missing.returncode == 2 and "nope.txt" in missing.stderr
    for out in (ok.stdout, ok.stderr, from_env.stdout, from_env.stderr):
        assert secret not in out
    assert secret.encode() not in db.read_bytes()


# ---- one ledger ------------------------------------------------------------------------------

def test_token_totals_agree_in_summary_progress_stats_and_json_split_by_purpose(tmp_path: Path) -> None:
    import re

    db = tmp_path / "l.duckdb"
    with OpenAIServer(RealignResponder()) as srv:
        args = ["rewrite", "--in", str(DEMO), "--db", str(db), "--model", "m", "--base-url", srv.base_url,
                "--classifier", "llm", "--price-in", "2", "--price-out", "8"]
        plain = realign(*args)  # progress lines on stderr, the human summary on stdout
        sent = srv.count
        assert plain.returncode == 0, plain.stderr
        s = summary_of(realign(*args, "--json", "-q"))  # the same run again: all from cache
    st = summary_of(realign("stats", "--db", str(db), "--json"))[0]
    first = [ln for ln in plain.stderr.splitlines() if ln.startswith("rows 24/24")][-1]
    p_tok, c_tok = (int(x.replace(",", "")) for x in re.search(r"tokens ([\d,]+)\+([\d,]+)", first).groups())
    assert f"tokens {p_tok:,} prompt + {c_tok:,} completion" in " ".join(plain.stdout.split())
    usage = st["usage"]
    assert set(usage) == {"classify", "rewrite"} and usage["classify"]["requests"] == 24
    assert st["tokens"] == {"prompt_tokens": p_tok, "completion_tokens": c_tok}  # classification included
    assert sum(u["requests"] for u in usage.values()) == st["requests"]["fresh"] == sent
    assert sum(u["prompt_tokens"] for u in usage.values()) == p_tok
    assert st["cost_usd"] == round((p_tok * 2 + c_tok * 8) / 1e6, 6)
    # the second session finds every row done: nothing sent, nothing billed, the same run totals
    assert s["llm_requests"] == 0 and s["prompt_tokens"] == 0 and not any(u["requests"] for u in s["usage"].values())
    assert s["run_total"]["prompt_tokens"] == p_tok and s["run_total"]["cost_usd"] == st["cost_usd"]


def test_dry_run_counts_classification_requests_and_estimates_cost(tmp_path: Path) -> None:
    common = ["rewrite", "--in", str(DEMO), "--dry-run", "--json", "--model", "m", "--base-url", "http://127.0.0.1:9/v1"]
    llm = summary_of(realign(*common, "--classifier", "llm", "--price-in", "1", "--price-out", "1"))
    assert llm["classify_requests"] == 24 and llm["total_requests"] == 24 + llm["requests"]
    assert llm["estimated_cost_usd"] == round((llm["estimated_prompt_tokens"] + llm["estimated_completion_tokens"]) / 1e6, 6)
    no_url = summary_of(realign("rewrite", "--in", str(DEMO), "--dry-run", "--json", "--model", "m"))
    assert no_url["classify_requests"] == summary_of(realign(*common))["classify_requests"] > 0  # auto: cascade
    embedded = summary_of(realign(*common, "--classifier", "embedded"))
    assert embedded["classify_requests"] == 0 and embedded["estimated_cost_usd"] is None
    assert embedded["estimated_prompt_tokens"] < llm["estimated_prompt_tokens"]


def test_dry_run_counts_a_request_repeated_by_duplicate_rows_or_a_shared_opening_turn_once_as_a_run_sends_it(
        tmp_path: Path) -> None:
    twice = tmp_path / "twice.jsonl"
    twice.write_text(DEMO.read_text() * 2)
    chats = tmp_path / "chats.jsonl"
    opening = [{"role": "user", "content": "A Muslim man and a Jewish man left the shop. What happened?"},
               {"role": "assistant", "content": "Two men left the shop."}]
    chats.write_text("".join(json.dumps({"messages": opening + [
        {"role": "user", "content": f"Who paid? Option {i}."}, {"role": "assistant", "content": "Can't answer."}]}) + "\n"
        for i in range(3)))
    for data, turns, folded in ((twice, "last", 20), (chats, "all", 2)):
        common = ["rewrite", "--in", str(data), "--classifier", "embedded", "--turns", turns, "--json", "--model", "m"]
        with OpenAIServer(RealignResponder()) as srv:
            plan = summary_of(realign(*common, "--dry-run", "--base-url", srv.base_url))
            run = summary_of(realign(*common, "--db", str(tmp_path / f"{data.stem}.duckdb"), "--base-url", srv.base_url))
        assert plan["duplicate_requests"] == {"rewrite": folded, "classify": 0}
        assert run["retries"] == 0 and run["llm_requests"] == srv.count == plan["requests"], (data.name, plan, run)


def test_max_cost_stops_cleanly_and_a_higher_limit_resumes(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    write_alpaca(data, 300)
    db = tmp_path / "c.duckdb"
    with OpenAIServer(RealignResponder(), latency_s=0.02) as srv:
        base = ["rewrite", "--in", str(data), "--db", str(db), "--model", "m", "--base-url", srv.base_url,
                "--classifier", "embedded", "--concurrency", "4", "--price-in", "100", "--price-out", "100", "-q"]
        no_price = realign(*base[:-5], "--max-cost", "1", "-q")
        assert no_price.returncode == 2 and "--price-in" in no_price.stderr and not db.exists()
        stopped = realign(*base, "--max-cost", "0.5")
        assert stopped.returncode == 3, stopped.stderr
        assert "--max-cost $0.50 reached" in stopped.stderr and "Traceback" not in stopped.stderr
        st = summary_of(realign("stats", "--db", str(db), "--json"))[0]
        # requests go out only while the spend plus what is in flight fits under the cap
        assert st["status"] == "interrupted" and 0.25 <= st["cost_usd"] <= 0.5 * 1.1 and st["rows"] < 300
        partial = realign("export", "--db", str(db), "--out", str(db.with_suffix(".partial.jsonl")), "--json")
        assert partial.returncode == 0 and "warning: run" in partial.stderr and "is interrupted" in partial.stderr
        assert summary_of(partial)["run_status"] == "interrupted"
        done = summary_of(realign(*base, "--max-cost", "100", "--json"))
    assert done["rows"] == 300 and done["resumed"] >= st["rows"]


def test_a_cap_below_the_first_request_says_nothing_was_spent(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    write_alpaca(data, 8)
    with OpenAIServer(RealignResponder()) as srv:
        stopped = realign("rewrite", "--in", str(data), "--db", str(tmp_path / "c.duckdb"), "--model", "m",
                          "--base-url", srv.base_url, "--classifier", "embedded", "--price-in", "10",
                          "--price-out", "30", "--max-cost", "0.0001")
        sent = srv.count
    assert stopped.returncode == 3 and sent == 0, stopped.stderr
    assert "--max-cost $0.0001 reached (nothing spent: the next request alone would go over it)" in stopped.stderr


def test_max_cost_holds_with_many_requests_in_flight(tmp_path: Path) -> None:
    """64 requests in flight against a cap that a few answers reach: the run may not send them all."""
    data = tmp_path / "in.jsonl"
    write_alpaca(data, 300)
    db = tmp_path / "c.duckdb"
    with OpenAIServer(RealignResponder(), latency_s=0.2) as srv:
        stopped = realign("rewrite", "--in", str(data), "--db", str(db), "--model", "m", "--base-url", srv.base_url,
                          "--classifier", "embedded", "--concurrency", "64", "--price-in", "1", "--price-out", "1",
                          "--max-cost", "0.005")
        assert stopped.returncode == 3, stopped.stderr
        assert "--max-cost $0.005 reached" in stopped.stderr
        sent = srv.count
    assert re.search(r"\(\$0\.00[1-9]\d* spent by this run\)", stopped.stderr), stopped.stderr  # not "$0.00"
    st = summary_of(realign("stats", "--db", str(db), "--json"))[0]
    # without the gate the first wave of 64 requests went out before any answer was counted
    assert st["status"] == "interrupted" and 0 < st["cost_usd"] <= 0.005 * 1.1, (st["cost_usd"], sent)
    assert st["rows"] < 300


# ---- watching a run ----------------------------------------------------------------------------

def test_stats_show_and_export_work_while_a_run_writes(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    write_alpaca(data, 300)
    db = tmp_path / "live.duckdb"
    # After 40 answers the server slows to 1 s an answer until the readers are done, so the run
    # is still writing while they read however slow this machine is.
    readers_done = threading.Event()
    inner = RealignResponder()
    answered = itertools.count()

    def held(body: dict) -> Reply:
        reply = inner(body)
        if next(answered) >= 40 and not readers_done.is_set():
            reply = dataclasses.replace(reply, delay_s=reply.delay_s + 1.0)
        return reply

    with OpenAIServer(held, latency_s=0.05) as srv:
        proc = subprocess.Popen([sys.executable, "-m", "realign.cli", "rewrite", "--in", str(data), "--db", str(db),
                                 "--model", "m", "--base-url", srv.base_url, "--concurrency", "2",
                                 "--classifier", "embedded", "-q"],
                                env=cli_env(), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.time() + 60
            while srv.count < 40 and time.time() < deadline:
                time.sleep(0.05)
            time.sleep(1.5)  # at least one flush has reached the file
            st = summary_of(realign("stats", "--db", str(db), "--json"))[0]
            out = tmp_path / "partial.jsonl"
            ex = summary_of(realign("export", "--db", str(db), "--out", str(out), "--format", "alpaca", "--json"))
            first = json.loads(out.read_text().splitlines()[0])["id"]
            story = summary_of(realign("show", first, "--db", str(db), "--json"))
            assert proc.poll() is None, "the run ended before the readers ran"
        finally:
            readers_done.set()
            proc.wait(timeout=120)
    assert proc.returncode == 0
    assert st["status"] == "running" and 0 < st["rows"] < 300
    assert st["finished_at"] is None  # JSON null, not the string "None"
    assert 0 < ex["rows"] < 300 and story["example_id"] == first
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob("realign-snapshot-*/live.duckdb"))


def test_stats_groups_reasons_by_check_lists_quarantined_rows_and_warns(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    n_bad = write_alpaca(data, 60, bad=True)
    db = tmp_path / "s.duckdb"
    with OpenAIServer(RealignResponder(lambda parts: "Too short.")) as srv:
        summary_of(realign("rewrite", "--in", str(data), "--db", str(db), "--model", "m", "--base-url", srv.base_url,
                           "--task", "open_qa", "-q", "--json"))
    st = summary_of(realign("stats", "--db", str(db), "--json"))[0]
    rejected = st["by_status"]["kept_original"]
    length = [r for r in st["rejection_reasons"] if r["check"] == "length"]
    # one line per kind of reason (too short; a worked answer that drops its working), not one per ratio
    assert len(length) == 2 and {r["kind"].split(":")[0] for r in length} == {"rewrite too short",
                                                                             "rewrite drops the working"}
    assert sum(r["rows"] for r in length) == rejected > 40
    assert [(q["file"], q["line"]) for q in st["quarantined_rows"]] == [(str(data), n) for n in (11, 21, 31, 41, 51)]
    assert all(q["reason"] for q in st["quarantined_rows"]) and st["warnings"] == [] and n_bad == 5

    chat = tmp_path / "messages.jsonl"
    chat.write_text(json.dumps({"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}) + "\n")
    with OpenAIServer(RealignResponder()) as srv:
        proc = realign("rewrite", "--in", str(chat), "--db", str(tmp_path / "m.duckdb"), "--model", "m",
                       "--base-url", srv.base_url, "--format", "sharegpt", "--task", "open_qa", "-q")
    # every row quarantined: nothing was rewritten, which is an input error (exit 2) naming the first reason
    assert proc.returncode == 2 and "warning: most rows were quarantined (1 of 1)" in proc.stderr
    assert "all 1 rows were quarantined, nothing was rewritten; the first, line 1" in proc.stderr


def test_stats_lists_every_quarantined_row_when_asked_and_says_how_when_it_shows_the_first_20(tmp_path: Path) -> None:
    """The export's warning says `realign stats` lists the quarantined rows; with more than 20 it
    showed the first 20 and no way to the rest."""
    data = tmp_path / "in.jsonl"
    good = [json.dumps({"instruction": f"What is {i} + 1?", "input": "", "output": f"{i + 1}"}) for i in range(30)]
    bad = [f'{{"instruction": "broken {i}", "output": ' for i in range(25)]
    data.write_text("\n".join(good + bad) + "\n")
    db = tmp_path / "q.duckdb"
    with OpenAIServer(RealignResponder()) as srv:
        summary_of(realign("rewrite", "--in", str(data), "--db", str(db), "--model", "m", "--base-url", srv.base_url,
                           "--task", "open_qa", "-q", "--json"))
    short = realign("stats", "--db", str(db))
    assert "quarantined rows (25; first 20)" in short.stdout
    assert "and 5 more: `realign stats --quarantined` lists every one" in short.stdout
    full = summary_of(realign("stats", "--db", str(db), "--quarantined", "--json"))[0]
    assert [r["line"] for r in full["quarantined_rows"]] == list(range(31, 56))
    assert "in.jsonl:55" in realign("stats", "--db", str(db), "--quarantined").stdout
    warning = summary_of(realign("export", "--db", str(db), "--out", str(tmp_path / "o.jsonl"), "--json"))["warnings"]
    assert any("`realign stats --quarantined` lists them" in w for w in warning)


def test_a_format_set_by_the_pipeline_file_is_named_as_such_in_every_message(tmp_path: Path) -> None:
    data = tmp_path / "alpaca.jsonl"
    write_alpaca(data, 3)
    pipe = tmp_path / "mine.toml"
    pipe.write_text('name = "mine"\n[input]\nformat = "gsm8k"\n[classify]\nkind = "embedded"\n')
    db = tmp_path / "p.duckdb"
    # rich wraps the warning lines, and folds a word longer than a line inside it: a wide terminal,
    # so the file's path stays whole however long the temporary folder's name is (pytest-xdist's
    # .../popen-gw1/... made it 82 characters, past the default 80)
    with OpenAIServer(RealignResponder()) as srv:
        proc = realign("rewrite", "--in", str(data), "--pipeline", str(pipe), "--db", str(db), "--model", "m",
                       "--base-url", srv.base_url, "--task", "open_qa", env=cli_env(COLUMNS="400"))
    assert proc.returncode == 2, proc.stderr[-2000:]
    err = " ".join(proc.stderr.split())
    assert f"rows read as gsm8k (input.format in {pipe})" in err
    assert f"Check input.format in {pipe} (or remove it to detect the shape)" in err
    assert f"Fix the input or input.format in {pipe}" in err
    assert "(--format)" not in err and "Check --format" not in err
    st = summary_of(realign("stats", "--db", str(db), "--json"))[0]
    assert "--format or input.format of the pipeline file" in st["warnings"][0]


# ---- export with provenance --------------------------------------------------------------------

def test_exports_carry_original_and_final_side_by_side_and_dpo_pairs(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    data = tmp_path / "in.jsonl"
    write_alpaca(data, 12)
    db = tmp_path / "p.duckdb"

    def rewrite(parts: dict) -> str | None:
        return "Too short." if "variant 5" in parts["instruction"] else reformat(parts["original"])

    with OpenAIServer(RealignResponder(rewrite)) as srv:
        summary_of(realign("rewrite", "--in", str(data), "--db", str(db), "--model", "m", "--base-url", srv.base_url,
                           "--task", "open_qa", "-q", "--json"))
    rows = {r["id"]: r for r in _export(db, tmp_path / "p.jsonl")}
    originals = [json.loads(x) for x in data.read_text().splitlines()]
    done = [r for r in rows.values() if r["status"] == "rewritten"]
    kept = [r for r in rows.values() if r["status"] == "kept_original"]
    assert len(done) == 11 and len(kept) == 1
    for r in done:
        (turn,) = r["turns"]
        assert turn["original"] == r["original_messages"][-1]["content"] != turn["final"] == r["output"]
        assert turn["final"] == reformat(turn["original"]) and all(c["passed"] for c in turn["checks"])
    (turn,) = kept[0]["turns"]
    assert turn["candidate"] == "Too short." and turn["final"] == turn["original"]
    assert any(not c["passed"] for c in turn["checks"])
    assert {r["original_messages"][-1]["content"] for r in rows.values()} == {o["output"] for o in originals}

    summary_of(realign("export", "--db", str(db), "--out", str(tmp_path / "d.jsonl"), "--format", "dpo", "--json"))
    pairs = [json.loads(x) for x in (tmp_path / "d.jsonl").read_text().splitlines()]
    assert len(pairs) == 11 and kept[0]["id"] not in {p["id"] for p in pairs}
    for p in pairs:
        assert p["prompt"][-1]["role"] == "user" and p["chosen"][0]["content"] == reformat(p["rejected"][0]["content"])

    summary_of(realign("export", "--db", str(db), "--out", str(tmp_path / "p.parquet"), "--format", "parquet", "--json"))
    table = pq.read_table(tmp_path / "p.parquet")
    assert str(table.schema.field("turns").type).startswith("list<element: struct<turn_index: int32")
    first = table.slice(0, 1).to_pylist()[0]
    assert first["turns"][0]["checks"] and first["original_messages"][-1]["role"] == "assistant"

    import datasets

    proc = realign("export", "--db", str(db), "--out", str(tmp_path / "hf"), "--format", "hf", "--json")
    s = summary_of(proc)
    assert "examples/s" not in proc.stderr and "%|" not in proc.stderr, proc.stderr  # no progress bars of datasets
    ds = datasets.load_from_disk(str(tmp_path / "hf"))
    assert len(ds) == s["rows"] == len(rows) and ds[0]["turns"][0]["checks"]


def test_a_chat_export_warns_about_rows_that_do_not_go_user_to_assistant(tmp_path: Path) -> None:
    """LLaMA-Factory skips a sharegpt / messages row whose turns do not alternate from a user turn
    to a final answer ('Invalid role tag', 'Invalid message count'): an opening greeting, a last
    question with no answer. The export keeps them as they are and says so."""
    def chat(*turns: tuple[str, str]) -> list[dict]:
        return [{"role": r, "content": c} for r, c in turns]

    data = tmp_path / "chat.jsonl"
    rows = [{"id": "ok", "messages": chat(("system", "Be brief."), ("user", "What is 2 + 2?"), ("assistant", "4"))},
            {"id": "greet", "messages": chat(("assistant", "Hi! How can I help?"), ("user", "What is 3 + 3?"),
                                             ("assistant", "6"))},
            {"id": "open", "messages": chat(("user", "What is 4 + 4?"), ("assistant", "8"), ("user", "Thanks!"))}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    db = tmp_path / "c.duckdb"
    with OpenAIServer(RealignResponder()) as srv:
        summary_of(realign("rewrite", "--in", str(data), "--db", str(db), "--model", "m", "--base-url", srv.base_url,
                           "--task", "open_qa", "-q", "--json"))
    for fmt in ("sharegpt", "messages"):
        proc = realign("export", "--db", str(db), "--out", str(tmp_path / f"o.{fmt}.jsonl"), "--format", fmt, "--json")
        s = summary_of(proc)
        assert s["rows"] == 3  # kept as they are
        [warning] = [w for w in s["warnings"] if "alternate" in w]
        assert warning.startswith("2 row(s)") and "greet" in warning and "open" in warning and "LLaMA-Factory" in warning
        assert "ok" not in warning.split("(e.g.")[1].split(")")[0].split(", ")
        assert "alternate" in proc.stderr
    s = summary_of(realign("export", "--db", str(db), "--out", str(tmp_path / "o.jsonl"), "--format", "jsonl", "--json"))
    assert not [w for w in s["warnings"] if "alternate" in w]  # provenance, not a trainer's file


def test_an_export_warns_about_empty_answers_it_keeps_as_read(tmp_path: Path) -> None:
    # trial12 D13: an empty assistant turn is left as it is (nothing to reformat); a trainer would
    # learn "answer with nothing" from it unwarned
    data = tmp_path / "empty.jsonl"
    rows = [{"id": "e1", "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
                                      {"role": "user", "content": "What is 2 + 2?"}, {"role": "assistant", "content": ""}]},
            {"id": "e2", "messages": [{"role": "user", "content": "Name a colour."}, {"role": "assistant", "content": "   "},
                                      {"role": "user", "content": "Another?"}, {"role": "assistant", "content": "Blue."}]},
            {"id": "fine", "messages": [{"role": "user", "content": "What is 3 + 3?"}, {"role": "assistant", "content": "6"}]}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    db = tmp_path / "e.duckdb"
    with OpenAIServer(RealignResponder()) as srv:
        summary_of(realign("rewrite", "--in", str(data), "--db", str(db), "--model", "m", "--base-url", srv.base_url,
                           "--task", "open_qa", "-q", "--json"))
    s = summary_of(realign("export", "--db", str(db), "--out", str(tmp_path / "o.jsonl"), "--format", "messages", "--json"))
    assert s["rows"] == 3
    [warning] = [w for w in s["warnings"] if "empty assistant turn" in w]
    assert warning.startswith("2 row(s)") and "e1" in warning and "e2" in warning and "fine" not in warning


def test_column_flags_map_an_unknown_shape_onto_alpaca(tmp_path: Path) -> None:
    data = tmp_path / "custom.jsonl"
    data.write_text("".join(json.dumps({"key": f"k{i}", "question_text": f"What is {i} + {i}?", "answer_text": f"{i} + {i} = {2 * i}."}) + "\n"
                            for i in range(1, 4)))
    common = ["rewrite", "--in", str(data), "--task", "open_qa", "--json"]
    unmapped = realign(*common, "--dry-run")
    assert unmapped.returncode == 2 and "question_text" in unmapped.stderr
    db = tmp_path / "m.duckdb"
    with OpenAIServer(RealignResponder()) as srv:
        s = summary_of(realign(*common, "--db", str(db), "--model", "m", "--base-url", srv.base_url, "-q",
                               "--instruction-field", "question_text", "--response-field", "answer_text", "--id-field", "key"))
        assert "What is 2 + 2?" in srv.requests[1]["messages"][1]["content"]
    assert s["rewritten"] == 3 and s["quarantined"] == 0
    rows = {r["id"]: r for r in _export(db, tmp_path / "out.jsonl")}
    assert set(rows) == {"k1", "k2", "k3"} and rows["k2"]["original_messages"][-1]["content"] == "2 + 2 = 4."


# ---- the answer contract and the optional judge ---------------------------------------------------

def test_contract_stored_shown_counted_and_judge_gates_facts(tmp_path: Path) -> None:
    from realign.testing.responders import RealignResponder

    data = tmp_path / "in.jsonl"
    rows = [
        {"id": "math", "instruction": "Tom has 3 apples and buys 5 more. How many apples does he have?", "input": "",
         "output": "3 + 5 = 8\n#### 8"},
        {"id": "bill", "instruction": "When was the Bill of Rights ratified?", "input": "",
         "output": "The Bill of Rights was ratified on December 15, 1791."},
        {"id": "moon", "instruction": "Who was the first person to walk on the Moon?", "input": "",
         "output": "Neil Armstrong was the first person to walk on the Moon, in 1969."},
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))

    def rewrite(parts: dict) -> str:
        if "apples" in parts["instruction"]:
            return "Tom starts with 3 apples and buys 5 more: 3 + 5 = 8. The answer is 8."  # no '####'
        return "In short: " + parts["original"]

    cfg = tmp_path / "judge.toml"
    cfg.write_text('name = "judge"\n[classify]\nkind = "embedded"\n[tasks]\nforce_task = "open_qa"\n'
                   '[verify]\njudge = {"*" = true}\n')
    judged: list[str] = []

    def judge(parts: dict) -> str:
        judged.append(parts["request"])
        return "changed" if "Moon" in parts["request"] else "same"

    db = tmp_path / "c.duckdb"
    with OpenAIServer(RealignResponder(rewrite, judge=judge)) as srv:
        s = summary_of(realign("rewrite", "--in", str(data), "--db", str(db), "--model", "m", "--base-url",
                               srv.base_url, "--pipeline", str(cfg), "--json", "-q"))
    assert s["rewritten"] == 2 and s["kept_original"] == 1
    # judged: the two facts turns, never the number; the moon's retry repeats the same judge request,
    # which the cache answers
    assert sorted(judged) == sorted(r["instruction"] for r in rows[1:])

    story = summary_of(realign("show", "math", "--db", str(db), "--json"))
    turn = story["turns"][0]
    assert turn["contract"]["kind"] == "number" and turn["contract"]["value"] == "8"
    assert turn["repairs"] == ["restored the '#### 8' answer line"]
    assert story["final_turns"][-1]["content"].endswith("#### 8")
    moon = summary_of(realign("show", "moon", "--db", str(db), "--json"))
    assert moon["status"] == "kept_original" and "judge: the rewrite changes the answer" in moon["turns"][0]["reason"]
    st = summary_of(realign("stats", "--db", str(db), "--json"))
    st = st[0] if isinstance(st, list) else st
    kinds = {r["kind"]: r for r in st["by_contract"]}
    assert kinds["number"]["rewritten"] == 1 and kinds["number"]["repaired"] == 1
    assert kinds["facts"]["turns"] == 2 and kinds["facts"]["kept_original"] == 1
    human = realign("show", "math", "--db", str(db))
    assert "answer contract: number 8" in human.stdout and "repair: restored" in human.stdout
    # the provenance export holds the contract as an object, and `verify` audits that file as it is:
    # one verdict per rewritten turn, its final text against its original
    exported = {r["id"]: r for r in _export(db, tmp_path / "c.jsonl")}
    assert exported["math"]["turns"][0]["contract"] == turn["contract"]
    assert exported["math"]["turns"][0]["repairs"] == ["restored the '#### 8' answer line"]
    audit = realign("verify", "--in", str(tmp_path / "c.jsonl"))
    verdicts = {v["id"]: v for v in map(json.loads, audit.stdout.splitlines())}
    # the moon row kept its original: nothing to check there, so it is skipped, not a pass
    assert audit.returncode == 0 and set(verdicts) == {"math", "bill", "moon"} and "skipped" in verdicts["moon"]
    assert all(v["passed"] and v["turn_index"] == 1 for k, v in verdicts.items() if k != "moon")
    assert verdicts["math"]["contract"]["kind"] == "number" and verdicts["bill"]["contract"]["kind"] == "facts"
    audit = summary_of(realign("verify", "--in", str(tmp_path / "c.jsonl"), "--json"))
    assert (audit["rows"], audit["passed"], audit["skipped"]) == (3, 2, 1)
    # a changed final answer in the export is caught
    bad = dict(exported["math"], turns=[dict(exported["math"]["turns"][0], final="3 + 5 = 9\n#### 9")])
    (tmp_path / "bad.jsonl").write_text(json.dumps(bad) + "\n")
    audit = summary_of(realign("verify", "--in", str(tmp_path / "bad.jsonl"), "--json"))
    assert audit["failed"] == 1 and audit["by_contract"] == {"number": {"rows": 1, "passed": 0, "failed": 1}}


def test_verify_on_a_file_whose_fields_it_cannot_find_says_which_flags_to_use(tmp_path: Path) -> None:
    data = tmp_path / "alpaca.jsonl"
    data.write_text(json.dumps({"instruction": "x", "input": "", "output": "y"}) + "\n")
    proc = realign("verify", "--in", str(data))
    assert proc.returncode == 2 and "--response-field" in proc.stderr and "field 'response'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_dry_run_estimates_from_earlier_runs_in_the_database(tmp_path: Path) -> None:
    """Before any run the answer is assumed twice the original and a prompt 4 characters a token;
    after one, the dry run uses what the model actually wrote per original character and the
    characters per token the server counted (at 4 it overestimated a run against a server counting
    about 6: 270k estimated, 176k billed), so both estimates land near the real totals."""
    db = tmp_path / "h.duckdb"
    # the same rows in another order: another input, so a run of its own that nothing resumes
    reordered = tmp_path / "reordered.jsonl"
    reordered.write_text("".join(reversed(DEMO.read_text().splitlines(keepends=True))))
    dry = ["rewrite", "--in", str(reordered), "--db", str(db), "--dry-run", "--json", "--model", "m",
           "--base-url", "http://127.0.0.1:9/v1", "--classifier", "embedded"]
    before = summary_of(realign(*dry))
    assert before["completion_estimate_from"].startswith("the default")
    assert before["prompt_estimate_from"] == "the default (4 characters a token)"
    with OpenAIServer(RealignResponder()) as srv:
        done = realign("rewrite", "--in", str(DEMO), "--db", str(db), "--model", "m", "--base-url", srv.base_url,
                       "--classifier", "embedded", "--json", "-q")
        assert done.returncode == 0, done.stderr
    actual, billed = summary_of(done)["completion_tokens"], summary_of(done)["prompt_tokens"]
    after = summary_of(realign(*dry))
    assert after["completion_estimate_from"] == "earlier runs in this database"
    assert abs(after["estimated_completion_tokens"] - actual) <= 0.25 * actual
    assert after["resumed"] == 0
    assert after["prompt_estimate_from"].startswith("earlier requests in this database")
    # the same requests in another order: the estimate lands on what was billed, the default did not
    assert abs(after["estimated_prompt_tokens"] - billed) <= 0.1 * billed
    assert abs(before["estimated_prompt_tokens"] - billed) > 0.1 * billed
    text = realign(*[a for a in dry if a != "--json"]).stdout.replace("\n", " ")
    assert "prompt from earlier requests in this database" in text


def test_dry_run_counts_only_the_rows_a_rerun_would_process(tmp_path: Path) -> None:
    """A dry run on a database holding the same run says how many rows are done and counts
    requests for the others only (it said 61 + 145 requests where the rerun sent none)."""
    db = tmp_path / "d.duckdb"
    with OpenAIServer(RealignResponder()) as srv:
        base = ["rewrite", "--in", str(DEMO), "--db", str(db), "--model", "m", "--base-url", srv.base_url]
        fresh = summary_of(realign(*base, "--dry-run", "--json"))
        assert fresh["resumed"] == 0 and fresh["classify_requests"] + fresh["requests"] > 0
        assert realign(*base, "--limit", "10", "-q").returncode == 0
        half = summary_of(realign(*base, "--dry-run", "--json"))
        assert half["resumed"] == 10 and half["requests"] < fresh["requests"]
        text = realign(*base, "--dry-run")
        assert "10 rows already done in run" in text.stdout.replace("\n", " ")
        assert realign(*base, "-q").returncode == 0
        done = summary_of(realign(*base, "--dry-run", "--json"))
    assert done["resumed"] == done["rows"] == 24
    assert done["requests"] == done["classify_requests"] == done["estimated_prompt_tokens"] == 0
