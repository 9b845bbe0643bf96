"""The Ray Data engine on a local Ray (`ray.init(num_cpus=2)`) against the local test server.

Marked `ray`: left out of `make test`; `make test-ray` installs realign[ray] into .venv-ray and
runs these. Without Ray installed they skip with a message.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed: `make test-ray` installs realign[ray] into .venv-ray")

from realign.config import load_config  # noqa: E402
from realign.engines.raydata import RayEngine  # noqa: E402
from realign.engines.shards import read_journal  # noqa: E402
from realign.exporting import export_run  # noqa: E402
from realign.pipeline import Pipeline, build_llm  # noqa: E402
from realign.store import Store  # noqa: E402
from realign.testing.openai_server import Fault, FaultPlan, OpenAIServer, body_key  # noqa: E402
from realign.testing.responders import RealignResponder  # noqa: E402

pytestmark = pytest.mark.ray
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def write_rows(path: Path, n: int) -> None:
    rows = []
    for i in range(n):
        kind = i % 3
        if kind == 0:
            rows.append({"id": f"m{i}", "instruction": f"Tom has {i} apples and buys 3 more. How many apples?",
                         "input": "", "output": f"{i} + 3 = {i + 3}\n#### {i + 3}"})
        elif kind == 1:
            rows.append({"id": f"q{i}", "instruction": f"Why is the sky blue? (asked {i} times)", "input": "",
                         "output": "Air scatters short blue wavelengths of sunlight the most."})
        else:
            rows.append({"id": f"p{i}", "instruction": f"Write a two-line poem about the number {i}.", "input": "",
                         "output": f"Number {i}, small and bright,\nyou count the stars at night."})
    lines = [json.dumps(r) for r in rows]
    lines[n // 2] = '{"instruction": "broken", "output": '  # one bad row: quarantined by both engines
    path.write_text("\n".join(lines) + "\n")


def run_local(cfg, db: Path, data: Path) -> dict:
    async def go() -> dict:
        from realign.runner import _classifier

        with Store(db) as store:
            llm = build_llm(cfg, store)
            try:
                return await Pipeline(cfg, store, llm=llm, classifier=_classifier(cfg, llm)).run(str(data))
            finally:
                await llm.aclose()
    return asyncio.run(go())


def exports(db: Path, out: Path) -> dict[str, str]:
    texts = {}
    for fmt in ("jsonl", "alpaca"):
        target = out.with_suffix(f".{fmt}")
        export_run(str(db), str(target), fmt)
        texts[fmt] = target.read_text()
    return texts


def test_the_same_1000_rows_with_faults_give_identical_exports_on_both_engines(tmp_path: Path, local_ray) -> None:
    data = tmp_path / "in.jsonl"
    write_rows(data, 1000)
    faults = [Fault("server_error", fraction=0.05), Fault("rate_limit", fraction=0.03, retry_after=0),
              Fault("malformed", fraction=0.02), Fault("bad_request", fraction=0.01, times=None, salt="x")]
    with OpenAIServer(FaultPlan(RealignResponder(), faults)) as srv:
        cfg = load_config(None, {"model": {"model": "test-model", "base_url": srv.base_url, "max_attempts": 6,
                                           "concurrency": 16}, "classify": {"kind": "embedded"}}, env={})
        local = run_local(cfg, tmp_path / "local.duckdb", data)
        with Store(tmp_path / "ray.duckdb") as store:
            summary = RayEngine(cfg, store, tmp_path / "shards", workers=2).run(str(data))
    assert summary["run_id"] == local["run_id"]
    assert summary["rows"] == local["rows"] == 1000
    assert local["failed"] > 0 and summary["failed"] == local["failed"]  # the permanent 400s, on both
    assert exports(tmp_path / "local.duckdb", tmp_path / "local") == exports(tmp_path / "ray.duckdb", tmp_path / "ray")


def test_a_killed_driver_resumes_with_nothing_lost_or_duplicated_and_no_answered_request_sent_again(
        tmp_path: Path) -> None:
    data, db, shards = tmp_path / "in.jsonl", tmp_path / "ray.duckdb", tmp_path / "shards"
    write_rows(data, 300)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_") and k != "REALIGN_MODEL"}
    srv = OpenAIServer(RealignResponder(), latency_s=0.2).start()
    try:
        args = [sys.executable, "-m", "realign.cli", "rewrite", "--in", str(data), "--db", str(db),
                "--model", "test-model", "--base-url", srv.base_url, "--classifier", "embedded",
                "--concurrency", "4", "--engine", "ray", "--shards", str(shards), "--json", "-q"]
        first = subprocess.Popen(args, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 start_new_session=True)
        deadline = time.monotonic() + 180
        while srv.count < 60 and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert first.poll() is None, "the first run ended before it could be killed"
        os.killpg(first.pid, signal.SIGKILL)  # the driver and the local Ray it started, all at once
        first.wait()
        answered = {e["key"] for p in shards.glob("*/calls/*.jsonl") for e in read_journal(p) if e["error"] is None}
        sent_before = srv.count
        assert answered, "nothing was answered before the kill"
        srv.reset()
        second = subprocess.run(args, env=env, cwd=REPO, capture_output=True, text=True, timeout=600)
        assert second.returncode == 0, second.stderr[-3000:]
        resent = {body_key(b) for b in srv.requests} & answered
    finally:
        srv.stop()
    assert sent_before < 200  # it really was killed mid-run
    assert resent == set()
    summary = json.loads(second.stdout)
    assert summary["rows"] == 300 and summary["failed"] == 0
    with Store(db, read_only=True) as st:
        per_row = st.query("SELECT count(*) AS n, count(DISTINCT example_id) AS ids FROM results")[0]
        assert per_row["n"] == per_row["ids"] == 299  # one row per example, none twice
    # and the rows are those of one uninterrupted local run
    with OpenAIServer(RealignResponder()) as clean:
        cfg = load_config(None, {"model": {"model": "test-model", "base_url": clean.base_url},
                                 "classify": {"kind": "embedded"}}, env={})
        run_local(cfg, tmp_path / "local.duckdb", data)
    assert exports(tmp_path / "local.duckdb", tmp_path / "local") == exports(db, tmp_path / "ray")


def row_actor_pids() -> list[int]:
    """Processes of RowStage actors: Ray titles an actor's process `ray::...RowStage...`."""
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                title = Path(f"/proc/{d}/cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if title.startswith("ray::") and "RowStage" in title:
                pids.append(int(d))
    return pids


def test_the_rows_of_a_crashed_actor_are_retried_and_every_row_is_stored_once(tmp_path: Path, local_ray) -> None:
    import threading

    data = tmp_path / "in.jsonl"
    write_rows(data, 240)
    with OpenAIServer(RealignResponder(), latency_s=0.2) as srv:
        cfg = load_config(None, {"model": {"model": "test-model", "base_url": srv.base_url, "concurrency": 4},
                                 "classify": {"kind": "embedded"}}, env={})
        outcome: dict = {}

        def drive() -> None:
            with Store(tmp_path / "ray.duckdb") as store:
                outcome["summary"] = RayEngine(cfg, store, tmp_path / "shards", workers=2).run(str(data))

        driver = threading.Thread(target=drive)
        driver.start()
        deadline = time.monotonic() + 180
        while srv.count < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        victims = row_actor_pids()
        assert victims, "no RowStage actor found to crash"
        os.kill(victims[0], signal.SIGKILL)
        driver.join(timeout=600)
        served = srv.count
        with OpenAIServer(RealignResponder()) as clean:
            clean_cfg = load_config(None, {"model": {"model": "test-model", "base_url": clean.base_url},
                                           "classify": {"kind": "embedded"}}, env={})
            run_local(clean_cfg, tmp_path / "local.duckdb", data)
            expected_requests = clean.count
    summary = outcome["summary"]
    assert summary["rows"] == 240 and summary["failed"] == 0
    with Store(tmp_path / "ray.duckdb", read_only=True) as st:
        per_row = st.query("SELECT count(*) AS n, count(DISTINCT example_id) AS ids FROM results")[0]
        assert per_row["n"] == per_row["ids"] == 239
    # the crashed actor's answered requests were journaled: at most those in flight went out twice
    assert served <= expected_requests + 2 * 4 * 1
    assert exports(tmp_path / "local.duckdb", tmp_path / "local") == exports(tmp_path / "ray.duckdb", tmp_path / "ray")


def test_a_ray_address_where_nothing_answers_is_one_line_and_leaves_no_database(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    write_rows(data, 4)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_") and k != "REALIGN_MODEL"}
    with OpenAIServer(RealignResponder()) as srv:
        proc = subprocess.run([sys.executable, "-m", "realign.cli", "rewrite", "--in", str(data), "--db",
                               str(tmp_path / "r.duckdb"), "--model", "test-model", "--base-url", srv.base_url,
                               "--engine", "ray", "--ray-address", "127.0.0.1:1", "-q"],
                              env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
        assert srv.count == 0
    assert proc.returncode == 2
    assert "--ray-address 127.0.0.1:1" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "r.duckdb").exists()


def test_the_summary_names_each_endpoint_with_what_the_workers_sent_it(tmp_path: Path, local_ray) -> None:
    """The driver's own client sends nothing; the endpoint lines must add up the workers' figures."""
    data = tmp_path / "in.jsonl"
    write_rows(data, 60)
    broken = FaultPlan(RealignResponder(), [Fault("server_error", fraction=1.0, times=None, status=502)])
    with OpenAIServer(RealignResponder()) as good, OpenAIServer(broken) as bad:
        cfg = load_config(None, {"model": {"model": "test-model", "base_url": [bad.base_url, good.base_url],
                                           "max_attempts": 6, "concurrency": 8},
                                 "classify": {"kind": "embedded"}}, env={})
        with Store(tmp_path / "ray.duckdb") as store:
            summary = RayEngine(cfg, store, tmp_path / "shards", workers=2).run(str(data))
        sent = {bad.base_url: bad.count, good.base_url: good.count}
    assert summary["failed"] == 0
    endpoints = {e["url"]: e for e in summary["endpoints"]}
    assert {u: e["requests"] for u, e in endpoints.items()} == sent
    assert endpoints[bad.base_url]["failed"] == sent[bad.base_url] and endpoints[bad.base_url]["taken_out"] >= 1
    assert endpoints[good.base_url]["failed"] == 0
    # each worker's cap began its slow start at 1 and doubles up to --concurrency: summed over
    # the workers that got a batch, never cut
    assert 1 <= endpoints[good.base_url]["cap"] <= 16 and endpoints[good.base_url]["cap_cuts"] == 0


LONG = "Rivers carry sediment downstream and drop it where the water slows. " * 60  # ~4,100 characters


def test_rows_a_local_run_paid_for_or_saw_refused_as_too_long_cost_nothing_on_ray(tmp_path: Path, local_ray) -> None:
    """The same rows in another order (another input, so another run) on the same store: every
    request was answered, or refused as longer than the model's context, by the local run, and
    the Ray workers answer each from the driver's copy of the store."""
    data, again = tmp_path / "in.jsonl", tmp_path / "again.jsonl"
    write_rows(data, 30)
    lines = data.read_text().splitlines()
    lines += [json.dumps({"id": f"long{i}", "instruction": f"Explain how deltas form ({i}).", "input": "",
                          "output": LONG}) for i in range(2)]
    data.write_text("\n".join(lines) + "\n")
    again.write_text("\n".join(reversed(lines)) + "\n")
    db = tmp_path / "one.duckdb"
    with OpenAIServer(RealignResponder(), dialect="vllm", context_chars=3000) as srv:
        cfg = load_config(None, {"model": {"model": "test-model", "base_url": srv.base_url, "concurrency": 8},
                                 "classify": {"kind": "embedded"}}, env={})
        local = run_local(cfg, db, data)
        paid, refused = srv.count, srv.too_long
        assert refused == 2 and local["too_long"] == 2
        with Store(db) as store:
            summary = RayEngine(cfg, store, tmp_path / "shards", workers=2).run(str(again))
        assert (srv.count, srv.too_long) == (paid, refused)  # nothing paid twice
    assert summary["run_id"] != local["run_id"] and summary["rows"] == local["rows"] == 32
    assert summary["too_long"] == 2 and summary["store_calls_shared"] >= paid
    for key in ("rewritten", "kept_original", "passthrough", "failed"):
        assert summary.get(key) == local.get(key), key


def test_max_cost_holds_across_the_workers_and_a_higher_cap_goes_on_without_sending_a_request_twice(
        tmp_path: Path, local_ray) -> None:
    """Two workers, 4 requests in flight each, one cap: the run stops with exit 3 under it, every
    row done or left for the rerun, which finishes and pays for no answered request again."""
    from realign.errors import Interrupted
    from realign.store import run_usage

    data = tmp_path / "in.jsonl"
    write_rows(data, 120)
    db = tmp_path / "ray.duckdb"
    cap = 0.15
    with OpenAIServer(RealignResponder(), latency_s=0.05) as srv:
        def cfg(max_cost: float):
            return load_config(None, {"model": {"model": "test-model", "base_url": srv.base_url, "concurrency": 4,
                                                "prompt_price": 10, "completion_price": 10, "max_cost": max_cost},
                                      "classify": {"kind": "embedded"}}, env={})

        with Store(db) as store, pytest.raises(Interrupted) as stopped:
            RayEngine(cfg(cap), store, tmp_path / "shards", workers=2, batch_rows=8).run(str(data))
        first_keys = [body_key(b) for b in srv.requests]
        with Store(db, read_only=True) as st:
            stored = st.query("SELECT count(*) AS n, count(*) FILTER (status = 'failed') AS failed FROM results")[0]
        srv.reset()
        with Store(db) as store:
            done = RayEngine(cfg(100), store, tmp_path / "shards", workers=2, batch_rows=8).run(str(data))
        again = {body_key(b) for b in srv.requests} & set(first_keys)
    assert stopped.value.exit_code == 3 and "--max-cost $0.15 reached" in str(stopped.value)
    first = stopped.value.summary
    assert first["interrupted"] == "max_cost" and first["status"] == "interrupted"
    assert 0 < stored["n"] < 119 and stored["failed"] == 0  # the rows left undone are not stored, not failed
    with Store(db, read_only=True) as st:
        cost = run_usage(st, first["run_id"])["total"]["cost_usd"]
        per_row = st.query("SELECT count(*) AS n, count(DISTINCT example_id) AS ids FROM results")[0]
    assert len(first_keys) == len(set(first_keys)) and again == set()  # nothing sent twice, in or across runs
    assert done["rows"] == 120 and done["failed"] == 0 and done["resumed"] == stored["n"]
    assert per_row["n"] == per_row["ids"] == 119
    assert cost is not None and cost > cap  # the second session paid for the rest
    print(f"first session: {stored['n']} rows, {len(first_keys)} requests, "
          f"${first['cost_usd']:.4f} of a ${cap} cap; rerun: {done['llm_requests']} requests")
    assert first["cost_usd"] <= cap * 1.1  # the overshoot left is the error of the estimate
    with OpenAIServer(RealignResponder()) as clean:  # one uncapped run sends each request once
        run_local(load_config(None, {"model": {"model": "test-model", "base_url": clean.base_url},
                                     "classify": {"kind": "embedded"}}, env={}), tmp_path / "local.duckdb", data)
        assert len(first_keys) + done["llm_requests"] == clean.count
