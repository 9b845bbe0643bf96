from __future__ import annotations

import json
from pathlib import Path

import pytest

from realign.errors import ConfigError, InputError
from realign.verify.audit import audit_file, infer_checks, summarize

GSM = "Janet sells 16 - 3 - 4 = 9 eggs.\nShe makes 9 * 2 = $18.\n#### 18"


def write_jsonl(path: Path, rows: list) -> str:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return str(path)


def test_audit_jsonl_with_data_driven_checks(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "instruction": "How much?", "response": GSM, "rewrite": "She sells 16 - 3 - 4 = 9 eggs at $2: 9 * 2 = 18.\n\n**Final answer:** $18"},
        {"id": "b", "instruction": "How much?", "response": GSM, "rewrite": "She sells 16 - 3 - 4 = 9 eggs at $2: 9 * 2 = 18.\n\n**Final answer:** $16"},
        '{"id": "c", "instruction": "x"',  # broken JSON
        {"id": "d", "instruction": "x", "response": "y"},  # missing rewrite
    ]
    recs = list(audit_file(write_jsonl(tmp_path / "r.jsonl", rows), task=None))
    assert [r["index"] for r in recs] == [0, 1, 2, 3]
    assert recs[0]["passed"] and recs[0]["checks_from"] == "contract"
    assert recs[0]["contract"]["kind"] == "number" and recs[0]["contract"]["value"] == "18"
    assert "math_answer" in [c["name"] for c in recs[0]["checks"]]
    assert recs[0]["repairs"] == ["restored the '#### 18' answer line"] and recs[0]["repaired"].endswith("\n#### 18")
    assert not recs[1]["passed"] and recs[1]["failed"] == ["math_answer", "answer_line"]
    assert "line" in recs[2] and recs[2]["line"] == 3 and "not valid JSON" in recs[2]["error"]
    assert ":4, field 'rewrite'" in recs[3]["error"]
    s = summarize(recs)
    assert s["rows"] == 4 and s["passed"] == 1 and s["failed"] == 1 and s["errors"] == 2 and s["repaired"] == 1
    assert s["by_contract"] == {"number": {"rows": 2, "passed": 1, "failed": 1}}
    assert s["failed_by_check"] == {"math_answer": 1, "answer_line": 1}
    assert s["failed_by_reason"] == {"math_answer: final answer changed": 1, "answer_line: answer line dropped": 1}


def test_audit_records_hold_the_models_own_dumps(tmp_path: Path) -> None:
    # audit builds the contract's and each check's dict by hand (speed); they must stay what
    # pydantic's model_dump gives, whatever fields the models gain
    from realign.verify.base import CheckInput
    from realign.verify.contract import read_contract
    from realign.verify.registry import verify_candidate

    rows = [{"instruction": "How much?", "response": GSM, "rewrite": "She makes 9 * 2 = $18.\n#### 16"},
            {"instruction": "Is it spam? Answer spam or not spam.", "response": "Not spam", "rewrite": "Spam."},
            {"instruction": "Who wrote Harvest Moon?", "response": "Neil Young wrote it in 1992.", "rewrite": "Neil Young."}]
    recs = list(audit_file(write_jsonl(tmp_path / "r.jsonl", rows), task=None))
    for row, rec in zip(rows, recs):
        contract = read_contract(row["instruction"], row["response"])
        verdict = verify_candidate(CheckInput(task="default", instruction=row["instruction"], original=row["response"],
                                              candidate=row["rewrite"]), ["refusal", "language"], contract)
        assert rec["contract"] == contract.model_dump()
        assert rec["checks"] == [c.model_dump() for c in verdict.checks]
    assert {r["contract"]["kind"] for r in recs} == {"number", "option", "facts"}


def test_audit_json_array_custom_fields_and_task(tmp_path: Path) -> None:
    rows = [{"q": "Is the sky blue?", "orig": "Yes.", "new": "No, it is grey.", "kind": "closed_qa"}]
    p = tmp_path / "r.json"
    p.write_text(json.dumps(rows), encoding="utf-8")
    recs = list(audit_file(str(p), task=None, instruction_field="q", response_field="orig", rewrite_field="new",
                           task_field="kind"))
    assert recs[0]["task"] == "closed_qa" and recs[0]["checks_from"] == "task + contract"
    assert "choice_answer" in recs[0]["failed"]


def test_audit_explicit_checks_and_errors(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "r.jsonl", [{"instruction": "q", "response": "Paris.", "rewrite": "Paris."}])
    recs = list(audit_file(path, task=None, checks=["leak"]))
    assert [c["name"] for c in recs[0]["checks"]] == ["length", "leak", "refusal", "language"]
    with pytest.raises(ConfigError):
        list(audit_file(path, task=None, checks=["nope"]))
    with pytest.raises(ConfigError):
        list(audit_file(path, task="no_such_task"))
    with pytest.raises(InputError):
        list(audit_file(str(tmp_path / "missing.jsonl"), task=None))
    bad_task = write_jsonl(tmp_path / "t.jsonl", [{"instruction": "q", "response": "a", "rewrite": "a", "task": "zzz"}])
    rec = next(audit_file(bad_task, task=None))
    assert "field 'task'" in rec["error"] and "zzz" in rec["error"]


def test_infer_checks_rule() -> None:
    assert "math_answer" in infer_checks("q", GSM)
    assert "code_preserved" in infer_checks("q", "```python\nx = 1\n```")
    assert "choice_answer" in infer_checks("Pick:\nA) x\nB) y", "B")
    assert "label" in infer_checks("Classify as positive or negative: good", "Positive")
    assert infer_checks("Tell me about Paris", "Paris is big.") == ["refusal", "language"]


def test_audit_over_several_batches_keeps_the_input_order_and_each_rows_verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from realign.verify import audit

    rows = [
        {"id": "a", "instruction": "How much?", "response": GSM, "rewrite": "She keeps 16 - 3 - 4 = 9 and makes 9 * 2 = $18.\n\nThe answer is 18."},
        '{"id": "b", "instruction": "x"',  # broken JSON between verified rows
        {"id": "c", "instruction": "How much?", "response": GSM, "rewrite": "She makes 9 * 2 = $16.\n#### 16"},
        {"id": "d", "instruction": "Is it spam? Answer spam or not spam.", "response": "Not spam", "rewrite": "Spam."},
        {"id": "e", "instruction": "x", "response": "y"},  # missing rewrite
        {"id": "f", "instruction": "Who wrote Harvest Moon?", "response": "Neil Young wrote it in 1992.", "rewrite": "Neil Young."},
        {"id": "g", "instruction": "How much?", "response": GSM, "rewrite": "She keeps 16 - 3 - 4 = 9 and makes 9 * 2 = $18.\n#### 18"},
    ]
    path = write_jsonl(tmp_path / "r.jsonl", rows)
    whole = list(audit_file(path, task=None))  # one batch
    monkeypatch.setattr(audit, "BATCH", 2)
    assert list(audit_file(path, task=None)) == whole
    assert [r["id"] for r in whole] == ["a", None, "c", "d", "e", "f", "g"]
    assert [r.get("passed") for r in whole] == [True, None, False, False, None, True, True]
    assert whole[0]["repairs"] and "error" in whole[1] and "error" in whole[4]
    flagged = list(audit_file(path, task=None, checks=["math_answer"]))
    monkeypatch.setattr(audit, "BATCH", 1000)
    assert list(audit_file(path, task=None, checks=["math_answer"])) == flagged
    assert [r.get("checks_from") for r in flagged] == ["flag", None, "flag", "flag", None, "flag", "flag"]


def test_an_export_is_counted_by_row_and_by_rewritten_turn(tmp_path: Path) -> None:
    """A 14-row export said '17 rows' (its rewritten turns plus the rows without one); a row with two
    rewritten turns is one row and two verdicts."""
    chat = [{"role": "user", "content": "How much?"}, {"role": "assistant", "content": GSM},
            {"role": "user", "content": "And for two days?"}, {"role": "assistant", "content": "Twice: 2 * 18 = 36\n#### 36"}]
    two = {"id": "two", "original_messages": chat, "turns": [
        {"turn_index": 1, "status": "rewritten", "original": GSM, "final": "16 - 3 - 4 = 9 eggs at $2 each: 9 * 2 = 18.\n\n**Final answer:** 18"},
        {"turn_index": 3, "status": "rewritten", "original": "Twice: 2 * 18 = 36\n#### 36", "final": "2 * 18 = 36\n#### 36"}]}
    none = {"id": "kept", "status": "kept_original", "original_messages": chat[:2],
            "turns": [{"turn_index": 1, "status": "kept_original", "original": GSM, "final": GSM}]}
    one = {**two, "id": "one", "turns": two["turns"][:1]}
    recs = list(audit_file(write_jsonl(tmp_path / "export.jsonl", [two, none, one]), task=None))
    s = summarize(recs)
    assert (s["rows"], s["turns"], s["passed"], s["skipped"]) == (3, 3, 3, 1)
    assert s["by_contract"]["number"]["rows"] == 3  # verdicts, i.e. turns


def test_a_chat_turn_whose_reply_answers_its_question_must_keep_asking_it(tmp_path: Path) -> None:
    """`realign verify` judges a chat turn as the pipeline does (trial finding D4): a row's `next_user`
    field, or the user turn after a turn of an export, makes question_kept run for it."""
    ask = "I found two recipes: a stir fry and a casserole. Which one would you like to try?"
    statement = "I found two recipes: a stir fry and a casserole. You can try either one."
    plain = [{"id": "alone", "instruction": "Find a recipe.", "response": ask, "rewrite": statement},
             {"id": "chat", "instruction": "Find a recipe.", "response": ask, "rewrite": statement,
              "next_user": "The stir fry, please."}]
    chat = [{"role": "user", "content": "Find a recipe."}, {"role": "assistant", "content": ask},
            {"role": "user", "content": "The stir fry, please."}, {"role": "assistant", "content": "Here it is."}]
    export = {"id": "export", "original_messages": chat, "turns": [
        {"turn_index": 1, "status": "rewritten", "original": ask, "final": statement}]}
    recs = list(audit_file(write_jsonl(tmp_path / "chat.jsonl", [*plain, export]), task=None))
    assert [r["passed"] for r in recs] == [True, False, False]
    assert recs[1]["failed"] == recs[2]["failed"] == ["question_kept"]
