"""Rows written as Parquet shards and a calls journal (the Ray engine's storage), imported into DuckDB.

No Ray here: the local engine runs with a `ShardSink` in place of the store sink, against the
local test server over real HTTP, and its import must give the store a plain local run gives.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from realign.config import load_config
from realign.engines.local import LocalEngine
from realign.engines.shards import ShardCache, ShardSink, import_shards
from realign.exporting import export_run
from realign.pipeline import Pipeline, build_llm
from realign.store import Store
from realign.testing.openai_server import Fault, FaultPlan, OpenAIServer
from realign.testing.responders import RealignResponder

TABLES = ("examples", "results", "rewrites", "checks", "quarantine", "llm_calls")


def _rows(path: Path, n: int = 24) -> None:
    rows = []
    for i in range(n):
        if i % 2:
            rows.append({"id": f"m{i}", "instruction": f"Ann has {i} pens and gets 2 more. How many?", "input": "",
                         "output": f"{i} + 2 = {i + 2}\n#### {i + 2}"})
        else:
            rows.append({"id": f"q{i}", "instruction": f"Why do leaves fall? ({i})", "input": "",
                         "output": "Trees shed leaves to save water in winter."})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + "{not json\n")


def _run(cfg, db: Path, data: Path, shards: Path | None) -> str:
    async def go() -> str:
        with Store(db) as store:
            llm = build_llm(cfg, store)
            try:
                pipe = Pipeline(cfg, store, llm=llm, classifier=None)
                sink = ShardSink(shards, "w1") if shards is not None else None
                engine = LocalEngine(pipe, store, sink) if sink is not None else LocalEngine(pipe, store)
                summary = await engine.run(str(data))
                if shards is not None:
                    import_shards(store, shards, summary["run_id"])
                return summary["run_id"]
            finally:
                await llm.aclose()
    return asyncio.run(go())


def _counts(db: Path) -> dict[str, int]:
    with Store(db, read_only=True) as st:
        return {t: st.query(f"SELECT count(*) AS n FROM {t}")[0]["n"] for t in TABLES}


def test_rows_written_as_shards_and_imported_export_exactly_like_rows_written_to_the_store(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    _rows(data)
    responder = FaultPlan(RealignResponder(), [Fault("server_error", fraction=0.2), Fault("malformed", every=7)])
    with OpenAIServer(responder) as srv:
        cfg = load_config(None, {"model": {"model": "m", "base_url": srv.base_url, "max_attempts": 6},
                                 "tasks": {"force_task": "math_puzzles"}}, env={})
        run_a = _run(cfg, tmp_path / "a.duckdb", data, None)
        run_b = _run(cfg, tmp_path / "b.duckdb", data, tmp_path / "shards" / "run")
    assert run_a == run_b  # where the rows were written is not part of a run's identity
    for fmt in ("jsonl", "alpaca"):
        export_run(str(tmp_path / "a.duckdb"), str(tmp_path / f"a.{fmt}"), fmt)
        export_run(str(tmp_path / "b.duckdb"), str(tmp_path / f"b.{fmt}"), fmt)
        assert (tmp_path / f"a.{fmt}").read_text() == (tmp_path / f"b.{fmt}").read_text()
    a, b = _counts(tmp_path / "a.duckdb"), _counts(tmp_path / "b.duckdb")
    assert a["results"] == 24 and a["quarantine"] == 1
    assert {t: b[t] for t in TABLES if t != "llm_calls"} == {t: a[t] for t in TABLES if t != "llm_calls"}


def test_importing_the_same_shards_twice_changes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    _rows(data, 6)
    root = tmp_path / "shards"
    with OpenAIServer(RealignResponder()) as srv:
        cfg = load_config(None, {"model": {"model": "m", "base_url": srv.base_url},
                                 "tasks": {"force_task": "math_puzzles"}}, env={})
        run_id = _run(cfg, tmp_path / "r.duckdb", data, root)
    before = _counts(tmp_path / "r.duckdb")
    with Store(tmp_path / "r.duckdb") as st:
        import_shards(st, root, run_id)
    assert _counts(tmp_path / "r.duckdb") == before
    # `realign import` over a folder of run folders, as `--engine ray` lays them out
    root.rename(tmp_path / run_id)
    (tmp_path / "all").mkdir()
    (tmp_path / run_id).rename(tmp_path / "all" / run_id)
    proc = subprocess.run([sys.executable, "-m", "realign.cli", "import", "--shards", str(tmp_path / "all"),
                           "--db", str(tmp_path / "r.duckdb"), "--json"], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["imported"][0]["rows"] == 6
    assert _counts(tmp_path / "r.duckdb") == before


def test_import_into_a_database_without_the_run_is_one_line_naming_the_database(tmp_path: Path) -> None:
    (tmp_path / "shards" / "r0123456789ab" / "results").mkdir(parents=True)
    proc = subprocess.run([sys.executable, "-m", "realign.cli", "import", "--shards", str(tmp_path / "shards"),
                           "--db", str(tmp_path / "other.duckdb")], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent, timeout=120)
    assert proc.returncode == 2
    assert "other.duckdb" in proc.stderr and "--db" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "other.duckdb").exists()


def test_the_calls_journal_answers_a_later_worker_and_a_line_cut_short_is_skipped(tmp_path: Path) -> None:
    first = ShardCache(tmp_path, "w1")
    first.put_call("k1", kind="rewrite", request={"model": "m"}, response={"choices": []}, prompt_tokens=3)
    first.put_call("k2", kind="rewrite", request={"model": "m"}, response=None, error="server_error 500")
    first.close()
    with (tmp_path / "calls" / "w1.jsonl").open("a") as f:
        f.write('{"key": "k3", "response": {"choi')  # the process was killed mid-line
    later = ShardCache(tmp_path, "w2")
    assert later.get_call("k1") == {"choices": []}
    assert later.get_call("k2") is None and later.get_call("k3") is None
    later.close()


def test_engine_ray_without_ray_installed_is_one_line_naming_the_extra(tmp_path: Path) -> None:
    import importlib.util

    import pytest

    if importlib.util.find_spec("ray") is not None:
        pytest.skip("Ray is installed here: this checks the message a default install gives")
    data = tmp_path / "in.jsonl"
    _rows(data, 2)
    proc = subprocess.run([sys.executable, "-m", "realign.cli", "rewrite", "--in", str(data), "--db",
                           str(tmp_path / "r.duckdb"), "--model", "m", "--base-url", "http://127.0.0.1:9/v1",
                           "--engine", "ray", "-q"], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parent.parent)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "realign[ray]" in proc.stderr
    assert not (tmp_path / "r.duckdb").exists()


LONG = "Rivers carry sediment downstream and drop it where the water slows. " * 60  # ~4,100 characters


def _stage_batch(rows: list[dict]) -> dict:
    from realign.records import Example, TaskPrediction

    examples = [Example(id=r["id"], source_index=i, format="alpaca",
                        turns=[{"role": "user", "content": r["instruction"]},
                               {"role": "assistant", "content": r["output"]}]) for i, r in enumerate(rows)]
    pred = TaskPrediction(task="open_qa", confidence=1.0, method="forced")
    return {"example": [e.model_dump_json() for e in examples], "prediction": [pred.model_dump_json()] * len(rows)}


def test_a_ray_worker_answers_a_prompt_refused_as_too_long_from_the_journal_instead_of_sending_it_again(
        tmp_path: Path) -> None:
    """The Ray engine's row worker (`RowStage`, here without Ray): a prompt the server refused as
    longer than the model's context is not sent again, by the same worker within its session or
    by another worker reading the journal."""
    from realign.engines.raydata import RowStage

    deltas = {"instruction": "Explain how deltas form.", "output": LONG}
    root = tmp_path / "shards" / "rtest"
    with OpenAIServer(RealignResponder(), dialect="vllm", context_chars=3000) as srv:
        cfg = load_config(None, {"model": {"model": "m", "base_url": srv.base_url},
                                 "tasks": {"force_task": "open_qa"}}, env={})
        data = cfg.model_dump(mode="json", exclude={"model": {"api_key"}})
        stages = []
        try:
            first = RowStage(data, None, "rtest", str(root), 1)
            stages.append(first)
            out = first(_stage_batch([{"id": "l1", **deltas}, {"id": "s1", "instruction": "Name the largest planet.",
                                                                 "output": "Jupiter is the largest planet."}]))
            assert list(out["status"]) == ["kept_original", "rewritten"]
            assert (srv.count, srv.too_long) == (2, 1)
            out = first(_stage_batch([{"id": "l2", **deltas}]))  # the same request, later in the session
            assert list(out["status"]) == ["kept_original"] and (srv.count, srv.too_long) == (2, 1)
            later = RowStage(data, None, "rtest", str(root), 1)  # another worker of the run
            stages.append(later)
            out = later(_stage_batch([{"id": "l3", **deltas}]))
            assert list(out["status"]) == ["kept_original"] and (srv.count, srv.too_long) == (2, 1)
        finally:
            for stage in stages:
                asyncio.run_coroutine_threadsafe(stage.llm.aclose(), stage.loop).result()
                stage.sink.close()
                stage.cache.close()
                stage.loop.call_soon_threadsafe(stage.loop.stop)
    db = tmp_path / "r.duckdb"
    with Store(db) as store:
        store.start_run(run_id="rtest", name="t", config={}, config_hash="h", input_path="in", input_hash="i",
                        model="m", base_url=None)
        import_shards(store, root, "rtest")
        reasons = {r["example_id"]: r["reason"] for r in store.query(
            "SELECT example_id, reason FROM rewrites WHERE status = 'kept_original'")}
    assert sorted(reasons) == ["l1", "l2", "l3"]
    assert all(r.startswith("too_long: This model's maximum context length") for r in reasons.values())


def _close(stage) -> None:
    asyncio.run_coroutine_threadsafe(stage.llm.aclose(), stage.loop).result()
    stage.sink.close()
    stage.cache.close()
    stage.loop.call_soon_threadsafe(stage.loop.stop)


def test_a_ray_worker_answers_from_the_store_a_local_run_filled_and_sends_nothing_paid_before(
        tmp_path: Path) -> None:
    """A local run answered one row and saw the other's prompt refused as too long; the Ray
    driver's snapshot of the store lets a worker (`RowStage`, without Ray) finish both rows again
    without a request: neither the answer nor the refusal is paid twice."""
    from realign.engines.raydata import RowStage
    from realign.engines.shards import snapshot_store

    rows = [{"id": "long", "instruction": "Explain how deltas form.", "input": "", "output": LONG},
            {"id": "short", "instruction": "Name the largest planet.", "input": "",
             "output": "Jupiter is the largest planet."}]
    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    db, root = tmp_path / "local.duckdb", tmp_path / "shards" / "rnext"
    with OpenAIServer(RealignResponder(), dialect="vllm", context_chars=3000) as srv:
        cfg = load_config(None, {"model": {"model": "m", "base_url": srv.base_url},
                                 "tasks": {"force_task": "open_qa"}}, env={})
        _run(cfg, db, data, None)
        assert (srv.count, srv.too_long) == (2, 1)
        with Store(db) as store:
            store.remember_dialect(srv.base_url, "m", "json_object")  # as if learned by the local run
            shared = snapshot_store(store, root, "m", [srv.base_url])
        assert shared == 2  # one answer, one refusal
        stage = RowStage(cfg.model_dump(mode="json", exclude={"model": {"api_key"}}), None, "rnext", str(root), 1)
        try:
            out = stage(_stage_batch(rows))
            assert list(out["status"]) == ["kept_original", "rewritten"]
            assert (srv.count, srv.too_long) == (2, 1)  # nothing sent: both came from the store's copy
            assert stage.llm.stats.too_long == 1 and stage.llm.stats.cache_hits == 2  # the refusal counts as one
            assert stage.llm.structured_mode == "json_object"  # the form the store had learned
        finally:
            _close(stage)
    with Store(db) as store:
        import_shards(store, root, "rnext")
        kept = store.query("SELECT reason FROM rewrites WHERE run_id = 'rnext' AND status = 'kept_original'")
    assert [r["reason"][:40] for r in kept] == ["too_long: This model's maximum context l"]


def test_the_store_copy_leaves_out_other_models_and_unsettled_failures_and_an_answer_beats_a_refusal(
        tmp_path: Path) -> None:
    from realign.engines.shards import ShardCache, snapshot_store

    refusal = {"choices": [], "error": {"kind": "too_long", "status": 400, "message": "too long", "url": "u"}}
    with Store(tmp_path / "s.duckdb") as store:
        store.put_call("a" * 64, kind="rewrite", request={"model": "m"}, response={"choices": ["ok"]})
        store.put_call("b" * 64, kind="rewrite", request={"model": "other"}, response={"choices": ["no"]})
        store.put_call("c" * 64, kind="rewrite", request={"model": "m"}, response=refusal, finish_reason="too_long",
                       error="too_long")
        store.put_call("d" * 64, kind="rewrite", request={"model": "m"}, response=None, error="server_error 500")
        store.put_call("e" * 64, kind="search:serper", request={"q": "x"}, response={"organic": []})
        store.put_call("f" * 64, kind="rewrite", request={"model": "m"}, response=refusal, finish_reason="too_long",
                       error="too_long")
        store.put_call("f" * 64, kind="rewrite", request={"model": "m"}, response={"choices": ["later"]})
        assert snapshot_store(store, tmp_path, "m", []) == 4
    cache = ShardCache(tmp_path, "w1")
    try:
        assert cache.get_call("a" * 64) == {"choices": ["ok"]} and cache.get_cutoff("a" * 64) is None
        assert cache.get_call("b" * 64) is None  # another model's answer: no request of this run has its key
        assert cache.get_call("c" * 64) is None and cache.get_cutoff("c" * 64) == refusal
        assert cache.get_call("d" * 64) is None and cache.get_cutoff("d" * 64) is None  # a 500 is asked again
        assert cache.get_call("e" * 64) == {"organic": []}  # web searches have no model: kept
        assert cache.get_call("f" * 64) == {"choices": ["later"]} and cache.get_cutoff("f" * 64) is None
    finally:
        cache.close()


def test_a_structured_output_form_a_worker_steps_down_to_reaches_later_workers_and_the_store(tmp_path: Path) -> None:
    """A worker whose endpoint rejected response_format in one form keeps the form it stepped down
    to: the next window's workers start there, and the import keeps it for later sessions."""
    root = tmp_path / "run"
    first = ShardCache(root, "w1")
    assert first.learned_dialect("http://a/v1", "m") is None
    first.remember_dialect("http://a/v1", "m", "json_object")
    first.remember_dialect("http://b/v1", "m", "off")
    first.close()
    later = ShardCache(root, "w2")
    try:
        assert later.learned_dialect("http://a/v1", "m") == "json_object"
        assert later.learned_dialect("http://a/v1", "other") is None
        later.remember_dialect("http://a/v1", "m", "off")  # stepped further down: the newest file wins
    finally:
        later.close()
    with Store(tmp_path / "s.duckdb") as store:
        store.start_run(run_id="run", name="t", config={}, config_hash="h", input_path="in", input_hash="i",
                        model="m", base_url=None)
        import_shards(store, root, "run")
        assert store.learned_dialect("http://a/v1", "m") == "off"
        assert store.learned_dialect("http://b/v1", "m") == "off"


def test_an_import_reads_each_journal_from_where_the_last_import_into_that_store_ended(tmp_path: Path) -> None:
    root = tmp_path / "run"
    cache = ShardCache(root, "w1")
    for k in "ab":
        cache.put_call(k * 64, kind="rewrite", request={"model": "m"}, response={"choices": [k]},
                       prompt_tokens=3, completion_tokens=2)
    journal = root / "calls" / "w1.jsonl"

    def offset(store: Store) -> int:
        return int(store.query("SELECT value FROM meta WHERE key = 'journal run w1.jsonl'")[0]["value"])

    with Store(tmp_path / "s.duckdb") as store:
        store.start_run(run_id="run", name="t", config={}, config_hash="h", input_path="in", input_hash="i",
                        model="m", base_url=None)
        assert import_shards(store, root, "run")["calls"] == 2
        assert offset(store) == journal.stat().st_size
        assert import_shards(store, root, "run")["calls"] == 0  # nothing appended: nothing read
        cache.put_call("c" * 64, kind="rewrite", request={"model": "m"}, response={"choices": ["c"]})
        whole = journal.stat().st_size
        with journal.open("ab") as f:
            f.write(b'{"key":"' + b"d" * 64 + b'","kind":"rewrite","requ')  # a worker killed mid-line
        assert import_shards(store, root, "run")["calls"] == 1
        assert offset(store) == whole  # the cut line is not passed over as read
        assert store.get_call("c" * 64) == {"choices": ["c"]} and store.get_call("d" * 64) is None
        cache.close()
        # a journal replaced by a shorter one (another copy of the run's folder) is read from its start
        journal.write_bytes(journal.read_bytes().splitlines(keepends=True)[0])
        assert import_shards(store, root, "run")["calls"] == 0  # its one line was stored before
        assert offset(store) == journal.stat().st_size
    with Store(tmp_path / "other.duckdb") as other:  # the offsets are the store's: another store reads all
        other.start_run(run_id="run", name="t", config={}, config_hash="h", input_path="in", input_hash="i",
                        model="m", base_url=None)
        assert import_shards(other, root, "run")["calls"] == 1


def test_realign_import_keeps_the_ledger_of_every_session_of_the_run(tmp_path: Path) -> None:
    from realign.engines.raydata import import_run
    from realign.engines.shards import write_usage

    root = tmp_path / "shards" / "run"
    fig = {"requests": 2, "cached": 0, "retries": 0, "prompt_tokens": 100, "completion_tokens": 50}
    for session in (1, 2):
        write_usage(root, session, f"w{session}", {"rewrite": fig})
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        store.start_run(run_id="run", name="t", config={}, config_hash="h", input_path="in", input_hash="i",
                        model="m", base_url=None)
    import_run(str(db), str(tmp_path / "shards"))
    with Store(db, read_only=True) as st:
        rows = st.query("SELECT session, requests, prompt_tokens FROM usage WHERE run_id = 'run' ORDER BY session")
    assert rows == [{"session": 1, "requests": 2, "prompt_tokens": 100}, {"session": 2, "requests": 2, "prompt_tokens": 100}]
