"""The read-side commands through the CLI: classify, verify, index build / search."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from realign.testing.openai_server import OpenAIServer
from realign.testing.responders import RealignResponder

from test_e2e_cli import REPO, cli_env, realign, summary_of


def test_classify_scores_itself_against_gold(tmp_path: Path) -> None:
    s = summary_of(realign("classify", "--in", str(REPO / "data/classify/dev.jsonl"), "--gold-field", "category", "--json"))
    assert s["n"] >= 400 and s["accuracy"] >= 0.75 and s["group_accuracy"] >= 0.85
    assert s["methods"] == {"embedded": s["n"]}
    assert sum(s["distribution"].values()) == s["n"]
    assert set(s["per_task"]) and s["confusions"]


def test_classify_plain_file_and_json_array_of_instruction_category(tmp_path: Path) -> None:
    arr = tmp_path / "labelled.json"
    arr.write_text(json.dumps([
        {"instruction": "Write a haiku about the sea.", "category": "poem_generation"},
        {"instruction": "Translate 'good morning' into Spanish.", "category": "text_to_text_translation"},
        {"instruction": "no label here"},
    ]))
    out = tmp_path / "preds.jsonl"
    s = summary_of(realign("classify", "--in", str(arr), "--gold-field", "category", "--json", "--out", str(out)))
    assert s["n"] == 2 and s["accuracy"] == 1.0 and len(s["skipped"]) == 1 and "category" in s["skipped"][0]
    preds = [json.loads(x) for x in out.read_text().splitlines()]
    # each prediction says which row it is (the unlabelled one in between is skipped) and its gold
    assert [(p["row"], p["task"], p["gold"]) for p in preds] == [
        (0, "poem_generation", "poem_generation"), (1, "text_to_text_translation", "text_to_text_translation")]
    assert all(p["id"].startswith("h") for p in preds)  # no id field: the content id `rewrite` gives the row
    s = summary_of(realign("classify", "--in", str(REPO / "data/demo/mixed_tasks.jsonl"), "--json"))
    assert s["n"] == 24 and "accuracy" not in s


def test_classify_cascade_asks_the_model_only_when_unsure(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    rows = [{"instruction": "Write a poem about the moon and the tides.", "category": "poem_generation"},
            {"instruction": "Tell me about Python", "category": "default"},
            {"instruction": "Review my essay: Dogs are loyal animals.", "category": "default"}]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    db = tmp_path / "c.duckdb"
    with OpenAIServer(RealignResponder(task_for=lambda text: "default")) as srv:
        args = ["classify", "--in", str(data), "--gold-field", "category", "--model", "m", "--base-url", srv.base_url,
                "--db", str(db), "--json", "--threshold", "0.9"]
        s = summary_of(realign(*args))
        asked = srv.count
        assert 1 <= asked < 3 and s["methods"].get("llm", 0) == asked
        assert s["methods"].get("embedded", 0) >= 1  # the poem is decided offline
        again = summary_of(realign(*args))
        assert srv.count == asked and again["cached_requests"] == asked  # answered from the database


def test_verify_audits_a_file(tmp_path: Path) -> None:
    data = tmp_path / "audit.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in [
        {"instruction": "Tom has 3 apples and buys 5. How many?", "response": "3+5=8\n#### 8",
         "rewrite": "Tom has 3 + 5 = **8** apples.\n#### 8"},
        {"instruction": "Tom has 3 apples and buys 5. How many?", "response": "3+5=8\n#### 8",
         "rewrite": "Tom has 3 + 5 = 9 apples.\n#### 9"},
        {"instruction": "Is this review positive or negative? 'Awful.'", "response": "Negative", "rewrite": "Positive"},
        {"instruction": "missing the rewrite", "response": "x"},
    ]) + "\n")
    out = tmp_path / "verdicts.jsonl"
    s = summary_of(realign("verify", "--in", str(data), "--out", str(out), "--json"))
    assert (s["rows"], s["passed"], s["failed"], s["errors"]) == (4, 1, 2, 1)
    # 3 + 5 = 9 is wrong working too, and no step of the rewrite arrives at the original's 8
    assert s["failed_by_check"] == {"math_answer": 1, "arithmetic": 1, "working_kept": 1, "label": 1}
    verdicts = [json.loads(x) for x in out.read_text().splitlines()]
    assert [v.get("passed") for v in verdicts] == [True, False, False, None]
    assert "audit.jsonl:4" in verdicts[3]["error"] and "rewrite" in verdicts[3]["error"]
    wrong = next(c for c in verdicts[1]["checks"] if c["name"] == "math_answer")
    assert "8" in wrong["reason"] and "9" in wrong["reason"]


def test_verify_on_an_sft_export_says_which_export_it_reads(tmp_path: Path) -> None:
    """A chat export (sharegpt / messages / alpaca) holds the final text only: a new user's first try,
    `realign verify --in sft.sharegpt.jsonl`, must say that the provenance export is the one to give."""
    data = tmp_path / "sft.sharegpt.jsonl"
    data.write_text(json.dumps({"id": "r", "conversations": [{"from": "human", "value": "What is 2 + 2?"},
                                                             {"from": "gpt", "value": "4"}]}) + "\n")
    proc = realign("verify", "--in", str(data), "--out", str(tmp_path / "v.jsonl"))
    assert proc.returncode == 2
    assert "--format jsonl" in proc.stderr and "sft.sharegpt.jsonl:1" in proc.stderr


def test_index_build_and_search(tmp_path: Path) -> None:
    corpus = tmp_path / "docs.jsonl"
    corpus.write_text("\n".join([
        json.dumps({"id": "a", "title": "Tides", "text": "Tides are caused mainly by the gravitational pull of the Moon."}),
        json.dumps({"id": "b", "title": "Volcanoes", "text": "A volcano is an opening where molten rock escapes."}),
        "{broken json",
        json.dumps({"id": "c", "title": "no text"}),
    ]) + "\n")
    index = tmp_path / "idx"
    proc = realign("index", "build", "--corpus", str(corpus), "--index", str(index), "--json")
    report = summary_of(proc)
    assert report["docs"] == 2 and report["bad_row_count"] == 2
    assert "docs.jsonl:3" in proc.stderr and "docs.jsonl:4" in proc.stderr
    hits = summary_of(realign("index", "search", "what causes the tides", "--index", str(index), "--k", "2", "--json"))
    assert hits[0]["doc_id"].startswith("a") and hits[0]["rank"] == 1 and hits[0]["score"] > 0
    proc = realign("index", "search", "x", "--index", str(tmp_path / "missing"))
    assert proc.returncode == 2 and "missing" in proc.stderr and "Traceback" not in proc.stderr


def test_stats_add_up_sessions_and_price_known_models(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    data.write_text("\n".join(json.dumps({"instruction": f"What is the capital of country {i}?", "input": "",
                                          "output": f"The capital of country {i} is City {i}."}) for i in range(6)) + "\n")
    db = tmp_path / "s.duckdb"
    with OpenAIServer(RealignResponder()) as srv:
        common = ["rewrite", "--in", str(data), "--db", str(db), "--base-url", srv.base_url, "--task", "open_qa", "-q", "--json"]
        first = summary_of(realign(*common, "--model", "gpt-4o-mini", "--limit", "4"))
        second = summary_of(realign(*common, "--model", "gpt-4o-mini"))
        local = summary_of(realign(*common, "--model", "Qwen/Qwen2.5-7B-Instruct", "--db", str(tmp_path / "q.duckdb")))
    assert first["llm_requests"] == 4 and second["llm_requests"] == 2 and second["resumed"] == 4
    assert first["cost_usd"] > 0 and local["cost_usd"] is None  # a self-hosted model has no list price
    st = summary_of(realign("stats", "--db", str(db), "--json"))[0]
    assert st["sessions"] == 2 and st["requests"]["fresh"] == 6 and st["rows"] == 6
    # the run total is priced from its token totals; each figure is rounded to a micro-dollar
    assert abs(st["cost_usd"] - (first["cost_usd"] + second["cost_usd"])) <= 2e-6


def test_show_says_why_a_passthrough_row_was_not_rewritten(tmp_path: Path) -> None:
    data = tmp_path / "poem.jsonl"
    data.write_text(json.dumps({"id": "p1", "instruction": "Write a short poem about the sea.", "input": "",
                                "output": "Waves roll in, waves roll out."}) + "\n")
    db = tmp_path / "p.duckdb"
    with OpenAIServer(RealignResponder()) as srv:
        s = summary_of(realign("rewrite", "--in", str(data), "--db", str(db), "--model", "m", "--base-url", srv.base_url,
                               "--task", "poem_generation", "-q", "--json"))
        assert s["passthrough"] == 1 and srv.count == 0
    shown = realign("show", "p1", "--db", str(db)).stdout
    assert "passthrough: task poem_generation is not rewritten" in " ".join(shown.split())


def test_show_of_a_quarantined_row_prints_where_why_and_the_raw_text_and_exits_0(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    data.write_text(json.dumps({"id": "ok1", "instruction": "What is 2 + 3?", "input": "", "output": "5"}) + "\n"
                    + '{"id": "cut", "instruction": "broken", "output": \n'
                    + json.dumps({"id": "q3", "instruction": "no output here"}) + "\n")
    db = tmp_path / "q.duckdb"
    with OpenAIServer(RealignResponder()) as srv:
        s = summary_of(realign("rewrite", "--in", str(data), "--db", str(db), "--model", "m", "--base-url", srv.base_url,
                               "--classifier", "embedded", "-q", "--json"))
    assert s["quarantined"] == 2
    plain = realign("show", f"{data.name}:2", "--db", str(db))
    assert plain.returncode == 0 and "error" not in plain.stderr, plain.stderr
    text = " ".join(plain.stdout.split())
    assert f"{data} line 2" in text and "quarantined" in text and "line is not valid JSON" in text
    assert '{"id": "cut", "instruction": "broken", "output":' in text
    story = summary_of(realign("show", "q3", "--db", str(db), "--json"))
    assert {k: story[k] for k in ("status", "example_id", "input_path", "line", "field", "reason")} == {
        "status": "quarantined", "example_id": "q3", "input_path": str(data), "line": 3, "field": "output",
        "reason": "field 'output' is missing"}
    assert json.loads(story["raw"]) == {"id": "q3", "instruction": "no output here"}


def test_help_shows_bracketed_names_as_written() -> None:
    # typer renders help with rich markup, where "[audit]" or "realign[ray]" would be read as a
    # style tag and vanish ("Take the  gates"); the CLI escapes them
    env = {**cli_env(), "COLUMNS": "400"}

    def words(command: str) -> str:  # the help as one line, without the panel's borders
        return " ".join(w for w in realign(command, "--help", env=env).stdout.split() if w != "\u2502")

    rewrite_help = words("rewrite")
    assert "the pipeline's [modes] entries" in rewrite_help
    assert "pip install 'realign[ray]'" in rewrite_help and "pip install 'realign[vllm]'" in rewrite_help
    assert "Take the [audit] gates" in words("audit")


def test_rewrite_help_on_an_80_column_terminal_shows_every_option_name_whole() -> None:
    # rich sizes the name columns to the widest entry: one long secondary name ("--batch-files-only"
    # beside "--batch-submit") cut "--structured-output" to "--structured-o…" on a standard terminal
    proc = realign("rewrite", "--help", env={**cli_env(), "COLUMNS": "80"})
    assert proc.returncode == 0, proc.stderr
    names = [m for line in proc.stdout.splitlines() for m in line.split() if m.startswith("--")]
    cut = [n for n in names if n.endswith("\u2026")]
    assert not cut, cut
    for flag in ("--structured-output", "--instruction-field", "--response-field", "--batch-files-only"):
        assert flag in names


def test_python_dash_m_realign_runs_the_cli() -> None:
    # `python -m realign` is what people type when the `realign` script is not on PATH
    r = subprocess.run([sys.executable, "-m", "realign", "--help"], capture_output=True, text=True,
                       env=cli_env(), timeout=120, cwd=REPO)
    assert r.returncode == 0, r.stderr
    assert "rewrite" in r.stdout and "export" in r.stdout
