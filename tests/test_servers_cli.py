"""The CLI against servers that answer like the ones people run: each structured-output dialect,
a server that rejects everything, a model that answers badly; through the test server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from realign.testing.openai_server import OpenAIServer, Reply
from realign.testing.responders import RealignResponder
from test_e2e_cli import pipeline_file, realign, summary_of, write_alpaca


@pytest.mark.parametrize("dialect, mode, steps", [("openai", "json_schema", 0), ("llama_cpp", "json_object", 1),
                                                  ("vllm_legacy", "json_object", 1), ("ollama", "vllm", 2),
                                                  ("text_only", "off", 3)])
def test_every_dialect_rewrites_every_row_and_says_how_it_sent_json(tmp_path: Path, dialect: str, mode: str,
                                                                     steps: int) -> None:
    data = tmp_path / "in.jsonl"
    write_alpaca(data, 12)
    with OpenAIServer(RealignResponder(), dialect=dialect) as srv:
        proc = realign("rewrite", "--in", str(data), "--pipeline", str(pipeline_file(tmp_path)), "--model", "test-model",
                       "--base-url", srv.base_url, "--db", str(tmp_path / "r.duckdb"), "--json", "-q")
    summary = summary_of(proc)
    assert summary["failed"] == 0 and summary["structured_output"] == mode
    assert summary["format_fallbacks"] == steps and proc.stderr.count("rejected response_format") == steps


def test_a_server_rejecting_everything_stops_the_run_resumably(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    write_alpaca(data, 120)
    db = str(tmp_path / "r.duckdb")
    cfg = str(pipeline_file(tmp_path))
    broken = lambda body: Reply(status=400, error_message="'max_tokens' must be at most 512")  # noqa: E731
    with OpenAIServer(broken) as srv:
        proc = realign("rewrite", "--in", str(data), "--pipeline", cfg, "--model", "test-model",
                       "--base-url", srv.base_url, "--db", db, "-q")  # default concurrency 64
        sent = srv.count
    assert proc.returncode != 0 and sent <= 50
    (line,) = [l for l in proc.stderr.splitlines() if l.startswith("error:")]
    assert "max_tokens" in line and "Fix:" in line and "resume" in line and "Traceback" not in proc.stderr
    # The fix: a working endpoint (another URL, same model). Same run, failed rows retried.
    with OpenAIServer(RealignResponder()) as srv:
        again = summary_of(realign("rewrite", "--in", str(data), "--pipeline", cfg, "--model", "test-model",
                                   "--base-url", srv.base_url, "--db", db, "--json", "-q"))
    assert again["failed"] == 0 and again["rows"] == 120
    runs = json.loads(realign("stats", "--db", db, "--json").stdout)
    assert len(runs) == 1  # changing --base-url did not start a new run


def test_a_failed_row_keeps_its_prompt_and_answers_and_says_why_once(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    data.write_text(json.dumps({"instruction": "Explain why the sky looks blue.", "input": "",
                                "output": "Short blue wavelengths scatter the most."}) + "\n")
    db = str(tmp_path / "r.duckdb")
    with OpenAIServer(lambda body: Reply(content="I cannot answer in JSON, sorry.")) as srv:
        summary = summary_of(realign("rewrite", "--in", str(data), "--pipeline", str(pipeline_file(tmp_path)),
                                     "--model", "test-model", "--base-url", srv.base_url, "--db", db, "--json", "-q"))
        assert srv.count == 2  # the same bad answer twice: not retried further
    assert summary["failed"] == 1
    story = json.loads(realign("show", summary_ids(db)[0], "--db", db, "--json").stdout)
    (turn,) = story["turns"]
    assert turn["raw_answers"] == ["I cannot answer in JSON, sorry."]
    assert turn["prompt"] and "<original_response>" in turn["prompt"][-1]["content"]
    assert "invalid_output: invalid_output" not in story["error"] and "the same answer each time" in story["error"]
    shown = realign("show", summary_ids(db)[0], "--db", db).stdout
    assert "prompt sent" in shown and "raw answer 1" in shown and "1 rewrite attempt)" in shown


def summary_ids(db: str) -> list[str]:
    import duckdb

    with duckdb.connect(db, read_only=True) as con:
        return [r[0] for r in con.execute("SELECT example_id FROM examples").fetchall()]


def test_rewrite_flags_reach_the_request(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    write_alpaca(data, 2)
    with OpenAIServer(RealignResponder()) as srv:
        summary_of(realign("rewrite", "--in", str(data), "--pipeline", str(pipeline_file(tmp_path)), "--model",
                           "test-model", "--base-url", srv.base_url, "--db", str(tmp_path / "r.duckdb"), "--json",
                           "-q", "--max-tokens", "333", "--temperature", "0.5", "--timeout", "9",
                           "--structured-output", "json_object"))
        bodies = [b for b in srv.requests if "<original_response>" in json.dumps(b)]
    assert bodies and all(b["max_tokens"] == 333 and b["temperature"] == 0.5 for b in bodies)
    assert all(b["response_format"]["type"] == "json_object" for b in bodies)
