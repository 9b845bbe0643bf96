from __future__ import annotations

import json
from pathlib import Path

import pytest

from realign.errors import ConfigError
from realign.io import EXPORT_FORMATS, export_examples, read_examples
from realign.io.exporters import DFAR_FORMATS
from realign.records import Example, Turn

FIX = Path(__file__).parent / "fixtures" / "io"


def _read(path: Path | str) -> list[Example]:
    rows = list(read_examples(str(path)))
    assert all(isinstance(r, Example) for r in rows), rows
    return rows  # type: ignore[return-value]


def _with_meta(examples: list[Example]) -> list[tuple[Example, dict]]:
    return [(ex, {"id": ex.id, "task": "open_qa", "status": "rewritten"}) for ex in examples]


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


ALL_FIXTURES = ["alpaca.jsonl", "dolly.jsonl", "gsm8k.jsonl", "sharegpt.jsonl", "messages.jsonl"]


# dpo: pairs, not rows; dfar_label / dfar_reason: DFAR's training sets, label rows only, outputs rewritten
@pytest.mark.parametrize("fmt", [f for f in EXPORT_FORMATS if f not in ("dpo", *DFAR_FORMATS)])
@pytest.mark.parametrize("fixture", ALL_FIXTURES)
def test_round_trip_keeps_turns_and_ids(tmp_path: Path, fmt: str, fixture: str) -> None:
    examples = _read(FIX / fixture)
    out = tmp_path / "nested" / "dir" / f"out.{fmt}"  # the folder is created
    assert export_examples(_with_meta(examples), str(out), fmt) == len(examples)
    back = _read(out)
    assert [r.turns for r in back] == [r.turns for r in examples]
    assert [r.id for r in back] == [r.id for r in examples]
    assert not list(out.parent.glob("*.partial"))


@pytest.mark.parametrize("fmt", ["alpaca", "sharegpt", "messages"])
@pytest.mark.parametrize("fixture", ALL_FIXTURES)
def test_an_sft_shape_to_a_parquet_name_is_parquet_with_the_jsonl_records(tmp_path: Path, fmt: str, fixture: str) -> None:
    import pyarrow.parquet as pq

    examples = _read(FIX / fixture)
    jsonl, parquet = tmp_path / "out.jsonl", tmp_path / "out.parquet"
    export_examples(_with_meta(examples), str(jsonl), fmt)
    assert export_examples(_with_meta(examples), str(parquet), fmt) == len(examples)
    records = pq.read_table(parquet).to_pylist()  # raises on a file that is not Parquet
    # the same records; a key the JSONL record leaves out is null in the table (in a turn too: the
    # messages columns have room for tool calls)
    def bare(value):
        if isinstance(value, dict):
            return {k: bare(v) for k, v in value.items() if v is not None}
        return [bare(v) for v in value] if isinstance(value, list) else value

    assert [bare(r) for r in records] == _lines(jsonl)
    if fmt != "alpaca":  # alpaca drops user turns after the last answer (module doc)
        assert [r.turns for r in _read(parquet)] == [r.turns for r in examples]


def test_a_provenance_export_whose_name_says_the_other_container_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"out\.jsonl: --format parquet writes Parquet.*--format jsonl"):
        export_examples([], str(tmp_path / "out.jsonl"), "parquet")
    assert not list(tmp_path.iterdir())


def test_alpaca_shapes(tmp_path: Path) -> None:
    rows = _read(FIX / "alpaca.jsonl") + _read(FIX / "dolly.jsonl") + _read(FIX / "gsm8k.jsonl")
    out = tmp_path / "a.jsonl"
    export_examples(_with_meta(rows), str(out), "alpaca")
    recs = _lines(out)
    assert recs[1] == {"id": rows[1].id, "instruction": "Translate to French.", "input": "Good morning", "output": "Bonjour."}
    assert recs[3]["input"] == "The novel was written by a retired sailor in 1902."  # dolly context
    assert recs[5]["instruction"].startswith("Tom has 3 apples") and recs[5]["input"] == ""  # gsm8k
    assert all("history" not in r and "system" not in r for r in recs)


def test_alpaca_conversation_convention(tmp_path: Path) -> None:
    rows = _read(FIX / "sharegpt.jsonl")
    out = tmp_path / "a.jsonl"
    export_examples(_with_meta(rows), str(out), "alpaca")
    rec = _lines(out)[0]
    assert rec == {
        "id": "conv-1",
        "instruction": "And its population?",
        "input": "",
        "output": "About ten million in the metro area.",
        "system": "You are a terse assistant.",
        "history": [["What is the capital of Peru?", "Lima."]],
    }


def test_final_response_is_exported(tmp_path: Path) -> None:
    (ex,) = _read(FIX / "alpaca.jsonl")[:1]
    final = ex.model_copy(update={"turns": [ex.turns[0], Turn(role="assistant", content="Red, yellow, blue.")]})
    for fmt, key in (("alpaca", "output"), ("jsonl", "output")):
        out = tmp_path / f"{fmt}.jsonl"
        export_examples([(final, {"id": ex.id, "task": "open_qa", "status": "rewritten"})], str(out), fmt)
        assert _lines(out)[0][key] == "Red, yellow, blue."


def test_sharegpt_and_messages_records(tmp_path: Path) -> None:
    rows = _read(FIX / "sharegpt.jsonl")[:1]
    sg, msg = tmp_path / "sg.jsonl", tmp_path / "m.jsonl"
    export_examples(_with_meta(rows), str(sg), "sharegpt")
    export_examples(_with_meta(rows), str(msg), "messages")
    # read with a top-level `system`, the row's own shape writes it there again (LLaMA-Factory's column);
    # the other shape has it as its first turn
    s = _lines(sg)[0]
    assert s["system"] == "You are a terse assistant."
    assert [c["from"] for c in s["conversations"]] == ["human", "gpt", "human", "gpt"]
    m = _lines(msg)[0]
    assert set(m) == {"id", "messages"}
    assert [t["role"] for t in m["messages"]] == ["system", "user", "assistant", "user", "assistant"]


def test_jsonl_is_provenance_rich_and_unicode(tmp_path: Path) -> None:
    ex = Example(
        id="x1",
        source_index=4,
        format="alpaca",
        turns=[Turn(role="user", content="Traduis « chat »"), Turn(role="assistant", content="cat 🐈")],
        fields={"instruction": "Traduis « chat »", "input": ""},
    )
    meta = {"id": "x1", "task": "text_to_text_translation", "status": "kept_original", "attempts": 2, "reason": "leak"}
    out = tmp_path / "p.jsonl"
    export_examples([(ex, meta)], str(out), "jsonl")
    text = out.read_text(encoding="utf-8")
    assert "🐈" in text and "«" in text  # ensure_ascii=False
    (rec,) = _lines(out)
    assert rec["id"] == "x1" and rec["task"] == "text_to_text_translation" and rec["status"] == "kept_original"
    assert rec["attempts"] == 2 and rec["reason"] == "leak"
    assert rec["source_index"] == 4 and rec["format"] == "alpaca"
    assert rec["fields"] == {"instruction": "Traduis « chat »", "input": ""}
    assert rec["messages"][1] == {"role": "assistant", "content": "cat 🐈"}


def test_parquet_schema_and_batches(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from realign.io import exporters

    examples = [
        Example(
            id=f"e{i}",
            source_index=i,
            format="gsm8k",
            turns=[Turn(role="user", content=f"q{i}"), Turn(role="assistant", content=f"a{i}")],
            fields={"question": f"q{i}"},
        )
        for i in range(2 * exporters._BATCH_ROWS + 5)
    ]

    def gen():  # a generator: the exporter must not need a list
        for ex in examples:
            yield ex, {"id": ex.id, "task": "math_puzzles", "status": "rewritten", "tokens": 10}

    out = tmp_path / "o.parquet"
    assert export_examples(gen(), str(out), "parquet") == len(examples)
    pf = pq.ParquetFile(out)
    assert pf.metadata.num_rows == len(examples)
    names = pf.schema_arrow.names
    for col in ("id", "task", "status", "messages", "instruction", "input", "output"):
        assert col in names
    first = pf.read_row_group(0).slice(0, 1).to_pylist()[0]
    assert first["messages"] == [{"role": "user", "content": "q0"}, {"role": "assistant", "content": "a0"}]
    assert first["instruction"] == "q0" and first["output"] == "a0" and first["task"] == "math_puzzles"
    assert json.loads(first["meta"])["tokens"] == 10


def test_empty_export(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    assert export_examples([], str(tmp_path / "e.parquet"), "parquet") == 0
    assert pq.ParquetFile(tmp_path / "e.parquet").metadata.num_rows == 0
    assert export_examples([], str(tmp_path / "e.jsonl"), "messages") == 0
    assert (tmp_path / "e.jsonl").read_text() == ""


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown export format 'csv'"):
        export_examples([], str(tmp_path / "x.csv"), "csv")
    with pytest.raises(ConfigError, match="is a folder"):
        export_examples([], str(tmp_path), "jsonl")
    # a spreadsheet name would get JSON lines without a word (trial12 D14)
    with pytest.raises(ConfigError, match=r"x\.csv: the alpaca format writes JSON lines .* not CSV"):
        export_examples([], str(tmp_path / "x.csv"), "alpaca")
    assert not (tmp_path / "x.csv").exists()


def test_failed_export_leaves_no_file(tmp_path: Path) -> None:
    ex = _read(FIX / "alpaca.jsonl")[0]

    def broken():
        yield ex, {"id": ex.id}
        raise RuntimeError("store went away")

    out = tmp_path / "o.jsonl"
    with pytest.raises(RuntimeError):
        export_examples(broken(), str(out), "jsonl")
    assert list(tmp_path.iterdir()) == []


def test_hf_export_is_a_datasets_folder_that_reads_back(tmp_path: Path) -> None:
    import datasets

    from realign.io import read_examples

    examples = [
        Example(id=f"e{i}", source_index=i, format="alpaca",
                turns=[Turn(role="user", content=f"q{i}"), Turn(role="assistant", content=f"a{i}")],
                fields={"instruction": f"q{i}", "input": ""})
        for i in range(7)
    ]
    out = tmp_path / "sft_hf"
    n = export_examples(((ex, {"id": ex.id, "task": "open_qa", "status": "rewritten"}) for ex in examples), str(out), "hf")
    assert n == 7
    ds = datasets.load_from_disk(str(out))
    assert len(ds) == 7 and ds[3]["output"] == "a3" and ds[3]["task"] == "open_qa"
    assert ds[0]["messages"] == [{"role": "user", "content": "q0"}, {"role": "assistant", "content": "a0"}]
    back = [e for e in read_examples(str(out)) if isinstance(e, Example)]
    assert [t.content for t in back[5].turns] == ["q5", "a5"]
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("keep me")
    with pytest.raises(ConfigError):
        export_examples(((ex, {}) for ex in examples), str(tmp_path / "taken"), "hf")
    assert (tmp_path / "taken" / "x").read_text() == "keep me"


def test_export_says_why_dpo_is_empty_and_that_quarantined_rows_are_left_out(tmp_path: Path) -> None:
    """No rewritten row: dpo writes nothing and says why; the one kept row reads '1 row'; a
    quarantined input row is named as missing from the export."""
    import subprocess
    import sys

    from realign.records import BadRow
    from realign.store import Store

    db = tmp_path / "x.duckdb"
    with Store(str(db)) as st:
        st.start_run(run_id="r1", name="t", config={}, config_hash="h", input_path="in.jsonl", input_hash="ih",
                     model="m", base_url="u")
        ex = Example(id="e1", source_index=0, format="alpaca",
                     turns=[Turn(role="user", content="q"), Turn(role="assistant", content="a")])
        st.add_example("r1", ex, "open_qa", 0.9, "embedded")
        st.add_result("r1", "e1", status="kept_original", task="open_qa", final_turns=[], attempts=1,
                      prompt_tokens=1, completion_tokens=1, error=None)
        st.add_quarantine("r1", BadRow(source_index=1, line=2, error="line is not valid JSON", raw="{"))
        st.finish_run("r1", "completed", {"total": 2})

    def export(fmt: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "realign.cli", "export", "--db", str(db), "--format", fmt,
                               "--out", str(tmp_path / f"out.{fmt}.jsonl")], capture_output=True, text=True)

    dpo = export("dpo")
    assert dpo.returncode == 0 and "wrote 0 rows" in dpo.stdout
    assert "dpo wrote 0 of the run's 1 rows: only rewritten turns make a pair" in dpo.stderr
    jsonl = export("jsonl")
    assert jsonl.returncode == 0 and "wrote 1 row of run r1" in jsonl.stdout
    assert "1 quarantined input row(s) are not in the export" in jsonl.stderr
    assert "dpo wrote" not in jsonl.stderr


@pytest.mark.parametrize("fmt,only_rewritten,exported", [
    ("alpaca", False, True), ("jsonl", False, True), ("alpaca", True, False), ("dpo", False, False), ("dfar_reason", False, False)])
def test_the_failed_rows_warning_says_whether_this_export_holds_them(
        tmp_path: Path, fmt: str, only_rewritten: bool, exported: bool) -> None:
    """A failed row is written with its original by the formats that take every row, and left out
    by --only-rewritten, dpo and dfar_reason: the warning says which (it said 'exported with their
    original responses' for all)."""
    from realign.exporting import export_run
    from realign.store import Store

    db = tmp_path / "x.duckdb"
    with Store(str(db)) as st:
        st.start_run(run_id="r1", name="t", config={}, config_hash="h", input_path="in.jsonl", input_hash="ih",
                     model="m", base_url="u")
        ex = Example(id="e1", source_index=0, format="alpaca",
                     turns=[Turn(role="user", content="Classify: I crushed the frog. Ethical or unethical?"),
                            Turn(role="assistant", content="Unethical")])
        st.add_example("r1", ex, "value_judgement", 0.9, "embedded")
        st.add_result("r1", "e1", status="failed", task="value_judgement", final_turns=[], attempts=1,
                      prompt_tokens=1, completion_tokens=1, error="invalid_output")
        st.finish_run("r1", "completed", {"total": 1})
    out = tmp_path / "out.jsonl"
    summary = export_run(str(db), str(out), fmt, only_rewritten=only_rewritten)
    assert summary["rows"] == (1 if exported else 0) == len(_lines(out))
    failed = [w for w in summary["warnings"] if w.startswith("1 row(s) failed")]
    assert len(failed) == 1
    assert ("exported with their original responses" in failed[0]) is exported
    assert ("left out of this export" in failed[0]) is not exported


def test_dfar_reason_leaves_out_a_reason_the_judge_found_unsupported() -> None:
    """New-user trial 11, D10: a reason the reason judge said does not support the label was exported."""
    from realign.io.exporters import dfar_records

    ex = Example(id="d1", source_index=0, format="alpaca",
                 turns=[Turn(role="user", content="Is the following statement ethical or unethical?\n\nI help a friend."),
                        Turn(role="assistant", content="Ethical. Helping a friend is kind.")])
    turn = {"status": "rewritten", "mode": "label_reason", "final": "Ethical. Helping a friend is kind.",
            "contract": {"kind": "label", "value": "ethical"}}
    assert [r["output"] for r in dfar_records(ex, {"turns": [turn]}, True)] == ["Ethical. Helping a friend is kind."]
    assert dfar_records(ex, {"turns": [{**turn, "reason_supports_label": True}]}, True)
    assert dfar_records(ex, {"turns": [{**turn, "reason_supports_label": False}]}, True) == []
    assert dfar_records(ex, {"turns": [{**turn, "reason_supports_label": False}]}, False)  # the label set keeps it
