"""`--backend batch`: requests go out as OpenAI Batch files to the test server's /files and
/batches endpoints (real HTTP), in rounds, and the run ends as the online run does."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from realign.config import load_config
from realign.exporting import export_run
from realign.llm.backend import settings_of
from realign.llm.batch import submit_and_wait, write_requests
from realign.runner import run_rewrite
from realign.testing.openai_server import Fault, FaultPlan, OpenAIServer
from realign.testing.responders import RealignResponder


def _rows(path: Path, n: int) -> None:
    rows = []
    for i in range(n):
        if i % 2:
            rows.append({"id": f"m{i}", "instruction": f"Sue has {i} cards and wins 4. How many cards?", "input": "",
                         "output": f"{i} + 4 = {i + 4}\n#### {i + 4}"})
        else:
            rows.append({"id": f"q{i}", "instruction": f"Why does ice float? ({i})", "input": "",
                         "output": "Ice is less dense than liquid water."})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _rewrite(data: Path, db: Path, url: str, **model: object) -> dict:
    overrides = {"model": {"model": "test-model", "base_url": url, "batch_poll_s": 0.01, **model},
                 "classify": {"kind": "embedded"}}
    return run_rewrite(str(data), pipeline=None, overrides=overrides, db=str(db), limit=None, strict=False,
                       dry_run=False, progress=False)


def _ledger(db: Path) -> list[str]:
    from realign.store import Store

    with Store(db, read_only=True) as st:
        return [r["purpose"] for r in st.query("SELECT DISTINCT purpose FROM usage")]


def _export(db: Path) -> str:
    out = db.with_suffix(".jsonl")
    export_run(str(db), str(out), "jsonl")
    return out.read_text()


def test_a_batch_run_exports_what_the_online_run_exports_with_no_request_sent_online(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    _rows(data, 60)
    with OpenAIServer(RealignResponder()) as online:
        _rewrite(data, tmp_path / "online.duckdb", online.base_url)
    with OpenAIServer(RealignResponder()) as srv:
        summary = _rewrite(data, tmp_path / "batch.duckdb", srv.base_url, backend="batch")
        assert srv.count == 0  # no chat request: every answer came through a batch file
        assert srv.batch_desk.lines_answered > 0
    assert summary["rows"] == 60 and summary["batch_rounds"] >= 1
    assert summary["batch_requests"] == srv.batch_desk.lines_answered  # this command's, over every round
    # what the batches were billed is in the run's ledger, beside the online run's figures
    assert summary["run_total"]["requests"] == 60 and summary["run_total"]["prompt_tokens"] > 0
    assert any(p.endswith("(batch)") for p in summary["usage"]) or any(
        p.endswith("(batch)") for p in _ledger(tmp_path / "batch.duckdb"))
    assert _export(tmp_path / "batch.duckdb") == _export(tmp_path / "online.duckdb")
    assert list((tmp_path / "batch.duckdb.batch").glob("requests-01-*.jsonl"))


def test_a_chat_batch_sends_each_later_answer_once_after_the_earlier_rewrite_came_back(tmp_path: Path) -> None:
    # A later answer is rewritten against the earlier answers' rewrites, so it cannot go in the
    # same batch as them: it waits a round instead of going out with the original history and
    # being paid for again once the earlier rewrite is back. More rounds than MAX_ROUNDS is fine.
    data = tmp_path / "chat.jsonl"
    rows = []
    for i in range(6):
        msgs = []
        for k in range(5):  # five answers: five rounds at least
            msgs += [{"role": "user", "content": f"Question {k} of chat {i}: why is the sky blue?"},
                     {"role": "assistant", "content": f"Answer {k} of chat {i}: air scatters blue light most."}]
        rows.append({"id": f"c{i}", "messages": msgs})
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with OpenAIServer(RealignResponder()) as online:
        expected = _rewrite(data, tmp_path / "online.duckdb", online.base_url)
        sent_online = online.count
    with OpenAIServer(RealignResponder()) as srv:
        summary = _rewrite(data, tmp_path / "batch.duckdb", srv.base_url, backend="batch")
        assert srv.count == 0
    assert expected["rewritten"] == 6 and summary["rewritten"] == 6 and summary["failed"] == 0
    assert summary["batch_requests"] == sent_online == 30  # nothing asked twice, nothing thrown away
    assert summary["batch_rounds"] >= 5
    assert _export(tmp_path / "batch.duckdb") == _export(tmp_path / "online.duckdb")


def test_an_answer_cut_off_in_the_batch_fails_its_row_like_online_and_the_rest_complete(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    _rows(data, 30)
    cut = FaultPlan(RealignResponder(), [Fault("length", fraction=0.15, times=None)])
    with OpenAIServer(cut) as online:
        expected = _rewrite(data, tmp_path / "online.duckdb", online.base_url)
    with OpenAIServer(cut) as srv:
        summary = _rewrite(data, tmp_path / "batch.duckdb", srv.base_url, backend="batch")
        assert srv.count == 0
    assert expected["failed"] > 0
    assert {k: summary[k] for k in ("rewritten", "kept_original", "passthrough", "failed")} == \
        {k: expected[k] for k in ("rewritten", "kept_original", "passthrough", "failed")}


def test_a_rerun_after_a_crash_while_polling_collects_the_submitted_batch_instead_of_paying_again(
        tmp_path: Path) -> None:
    data, db = tmp_path / "in.jsonl", tmp_path / "b.duckdb"
    _rows(data, 10)
    with OpenAIServer(RealignResponder()) as srv:
        srv.batch_desk.polls_to_finish = 10**9  # the batch never finishes while the first command waits
        with pytest.raises(TimeoutError):
            _rewrite_with_timeout(data, db, srv.base_url)
        submitted = len(srv.batch_desk.batches)
        assert submitted == 1 and (tmp_path / "b.duckdb.batch" / "state.json").exists()
        srv.batch_desk.polls_to_finish = 0
        summary = _rewrite(data, db, srv.base_url, backend="batch")
        assert len(srv.batch_desk.batches) == submitted  # the first round's batch was polled, not sent again
        assert srv.count == 0
    assert summary["rows"] == 10 and summary["failed"] == 0


def _rewrite_with_timeout(data: Path, db: Path, url: str) -> None:
    """The first round of a batch run, stopped (as by a crash) while it polls."""
    cfg = load_config(None, {"model": {"model": "test-model", "base_url": url, "backend": "batch",
                                       "batch_poll_s": 0.01}, "classify": {"kind": "embedded"}}, env={})
    from realign.runner import _run

    backends: list = []
    asyncio.run(_run(cfg, str(data), db=str(db), limit=None, strict=False, progress=False, backend_out=backends))
    folder = Path(str(db) + ".batch")
    files = write_requests(folder, backends[0].pending, 1)
    asyncio.run(asyncio.wait_for(submit_and_wait(settings_of(cfg), folder, files, poll_s=0.01), timeout=1.0))


def test_request_files_run_elsewhere_then_imported_let_the_same_command_complete_from_the_cache(
        tmp_path: Path) -> None:
    import subprocess
    import sys
    import urllib.request

    data, db = tmp_path / "in.jsonl", tmp_path / "b.duckdb"
    _rows(data, 12)
    with OpenAIServer(RealignResponder()) as online:
        _rewrite(data, tmp_path / "online.duckdb", online.base_url)
    with OpenAIServer(RealignResponder()) as srv, OpenAIServer(RealignResponder()) as elsewhere:
        first = _rewrite(data, db, srv.base_url, backend="batch", batch_submit=False)
        assert first["batch_files"] and "realign batch import" in first["next"]
        # the rows waiting on those files are not a server fault: the fix says what to do with them
        [waiting] = first["failed_by_kind"]
        assert waiting["kind"] == "deferred" and "realign batch import" in waiting["fix"]
        assert "server log" not in waiting["fix"]
        # stands in for `vllm run-batch -i FILE -o RESULTS`: each line's body answered by a server
        results = tmp_path / "results.jsonl"
        with results.open("w") as out:
            for path in first["batch_files"]:
                for raw in Path(path).read_text().splitlines():
                    line = json.loads(raw)
                    req = urllib.request.Request(elsewhere.base_url + "/chat/completions",
                                                 data=json.dumps(line["body"]).encode(),
                                                 headers={"Content-Type": "application/json"})
                    body = json.loads(urllib.request.urlopen(req, timeout=30).read())
                    out.write(json.dumps({"id": "x", "custom_id": line["custom_id"],
                                          "response": {"status_code": 200, "body": body}, "error": None}) + "\n")
        proc = subprocess.run([sys.executable, "-m", "realign.cli", "batch", "import", str(results), "--db", str(db),
                               "--json"], capture_output=True, text=True, timeout=120,
                              cwd=Path(__file__).resolve().parent.parent)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["answers"] == 12
        second = _rewrite(data, db, srv.base_url, backend="batch", batch_submit=False)
        assert srv.count == 0 and not srv.batch_desk.batches  # nothing was sent to the configured server
    assert "batch_files" not in second and second["rows"] == 12 and second["failed"] == 0
    assert _export(db) == _export(tmp_path / "online.duckdb")


def test_progress_counts_rows_waiting_for_a_batch_as_waiting_not_failed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, db = tmp_path / "in.jsonl", tmp_path / "w.duckdb"
    _rows(data, 8)
    with OpenAIServer(RealignResponder()) as srv:
        overrides = {"model": {"model": "test-model", "base_url": srv.base_url, "backend": "batch",
                               "batch_submit": False}, "classify": {"kind": "embedded"}}
        summary = run_rewrite(str(data), pipeline=None, overrides=overrides, db=str(db), limit=None, strict=False,
                              dry_run=False, progress=True)
    assert summary["batch_files"]
    last = [line for line in capsys.readouterr().err.splitlines() if line.startswith("rows ")][-1]
    assert "waiting for the batch 8" in last and "failed 0" in last, last


LONG = "Rivers carry sediment downstream and drop it where the water slows. " * 60  # ~4,100 characters


def _long_rows(path: Path) -> None:
    rows = [{"id": "s1", "instruction": "At what temperature does water boil?", "input": "",
             "output": "Water boils at 100 degrees Celsius at sea level."},
            {"id": "l1", "instruction": "Explain how deltas form.", "input": "", "output": LONG},
            {"id": "s2", "instruction": "Name the largest planet.", "input": "", "output": "Jupiter is the largest planet."},
            {"id": "l2", "instruction": "Explain deltas again, briefly.", "input": "", "output": LONG}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _rewrite_open_qa(data: Path, db: Path, url: str, **model: object) -> dict:
    overrides = {"model": {"model": "test-model", "base_url": url, "batch_poll_s": 0.01, **model},
                 "tasks": {"force_task": "open_qa"}}
    return run_rewrite(str(data), pipeline=None, overrides=overrides, db=str(db), limit=None, strict=False,
                       dry_run=False, progress=False)


def test_a_batch_line_refused_as_too_long_keeps_its_turn_like_online_and_is_never_submitted_again(
        tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    _long_rows(data)
    statuses = ("rewritten", "kept_original", "passthrough", "failed", "too_long")
    with OpenAIServer(RealignResponder(), dialect="vllm", context_chars=3000) as online:
        expected = _rewrite_open_qa(data, tmp_path / "online.duckdb", online.base_url)
    assert {k: expected[k] for k in statuses} == {"rewritten": 2, "kept_original": 2, "passthrough": 0,
                                                 "failed": 0, "too_long": 2}
    db = tmp_path / "batch.duckdb"
    with OpenAIServer(RealignResponder(), dialect="vllm", context_chars=3000) as srv:
        summary = _rewrite_open_qa(data, db, srv.base_url, backend="batch")
        assert srv.count == 0 and srv.too_long == 2  # both long rows were refused inside the batch, once
        assert {k: summary[k] for k in statuses} == {k: expected[k] for k in statuses}
        submitted, lines = len(srv.batch_desk.batches), srv.batch_desk.lines_answered
        again = _rewrite_open_qa(data, db, srv.base_url, backend="batch")  # the resume redoes the long rows
        assert len(srv.batch_desk.batches) == submitted and srv.batch_desk.lines_answered == lines
        assert srv.count == 0 and srv.too_long == 2 and "batch_files" not in again
        assert {k: again[k] for k in statuses} == {k: expected[k] for k in statuses}
    # the same rows; a batch's refusal always comes back through the cache, and its reason says so
    assert _export(db).replace(" (answered by the cache: this request was refused before)", "") == \
        _export(tmp_path / "online.duckdb")
    from realign.store import Store

    with Store(db, read_only=True) as st:
        reasons = [r["reason"] for r in st.query("SELECT reason FROM rewrites WHERE status = 'kept_original'")]
    assert len(reasons) == 2 and all(r.startswith("too_long: This model's maximum context length") for r in reasons)


def test_a_batch_run_skips_prompts_over_max_prompt_chars_without_writing_them_down(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    _long_rows(data)
    with OpenAIServer(RealignResponder()) as srv:
        summary = _rewrite_open_qa(data, tmp_path / "b.duckdb", srv.base_url, backend="batch", max_prompt_chars=3000)
        assert srv.batch_desk.lines_answered == 2  # the short rows only
    assert (summary["rewritten"], summary["too_long"], summary["failed"]) == (2, 2, 0)
    written = [json.loads(x) for p in (tmp_path / "b.duckdb.batch").glob("requests-*.jsonl")
               for x in p.read_text().splitlines()]
    assert len(written) == 2 and not any(LONG in m["content"] for w in written for m in w["body"]["messages"])


@pytest.mark.parametrize("line, too_long", [
    # the OpenAI Batch API: the error body under response.body
    ({"custom_id": "k", "response": {"status_code": 400, "body": {"error": {
        "message": "This model's maximum context length is 4096 tokens.", "code": "context_length_exceeded"}}},
      "error": None}, True),
    # vllm run-batch: the status code in response, the error object beside it
    ({"custom_id": "k", "response": {"status_code": 400, "request_id": "r"}, "error": {
        "object": "error", "message": "This model's maximum context length is 2048 tokens. However, you requested "
        "2100 tokens", "type": "BadRequestError", "code": 400}}, True),
    ({"custom_id": "k", "response": {"status_code": 400, "body": {"error": {"message": "Bad request"}}}}, False),
    ({"custom_id": "k", "response": {"status_code": 500, "body": {"error": {
        "message": "maximum context length exceeded while paging"}}}}, False),
])
def test_a_batch_result_line_is_read_as_too_long_only_when_it_says_the_context_is_exceeded(
        line: dict, too_long: bool) -> None:
    from realign.llm.batch import refusal_of

    got = refusal_of(line, "http://x/v1")
    assert (got is not None) == too_long
    if got is not None:
        assert got.kind == "too_long" and got.url == "http://x/v1" and "maximum context length" in got.message
