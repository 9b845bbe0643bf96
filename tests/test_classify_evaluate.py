"""score() on hand-computed cases, and read_labelled() on the formats users hand it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from realign.classify.evaluate import read_labelled, score
from realign.errors import InputError


def test_score_hand_computed():
    gold = ["open_qa", "open_qa", "closed_qa", "poem_generation", "Story Generation", "not_a_task"]
    pred = ["open_qa", "closed_qa", "closed_qa", "story_generation", "story_generation", "open_qa"]
    s = score(pred, gold)
    # 5 scored rows (the unknown gold label is reported, not scored); 3 exactly right.
    assert s["n"] == 5
    assert s["accuracy"] == pytest.approx(3 / 5)
    # Groups: open_qa/closed_qa are both Conversation, poem/story both Generation -> all 5 right.
    assert s["group_accuracy"] == pytest.approx(1.0)
    assert s["per_task"]["open_qa"] == {"precision": 1.0, "recall": 0.5, "support": 2}
    assert s["per_task"]["closed_qa"] == {"precision": 0.5, "recall": 1.0, "support": 1}
    assert s["per_task"]["story_generation"] == {"precision": 0.5, "recall": 1.0, "support": 1}
    assert s["per_task"]["poem_generation"] == {"precision": 0.0, "recall": 0.0, "support": 1}
    assert s["confusions"] == [("open_qa", "closed_qa", 1), ("poem_generation", "story_generation", 1)]
    assert s["unknown_gold"] == {"not_a_task": 1} and s["n_unknown_gold"] == 1


def test_score_group_errors_and_empty():
    s = score(["open_qa", "code_correction"], ["poem_generation", "code_simplification"])
    assert s["accuracy"] == 0.0 and s["group_accuracy"] == 0.5
    empty = score([], [])
    assert empty["n"] == 0 and empty["accuracy"] == 0.0
    with pytest.raises(ValueError):
        score(["open_qa"], [])


def test_read_labelled_json_array(tmp_path: Path):
    p = tmp_path / "gold.json"
    p.write_text(json.dumps([
        {"instruction": "Why is the sea salty?", "category": "explain_answer"},
        {"instruction": "Summarize:", "input": "Long text here.", "category": "text_summarization"},
        {"instruction": "no label here"},
    ]))
    d = read_labelled(p)
    assert d.texts == ["Why is the sea salty?", "Summarize:\n\nLong text here."]
    assert d.gold == ["explain_answer", "text_summarization"]
    assert len(d.skipped) == 1 and "gold.json row 3" in d.skipped[0] and "category" in d.skipped[0]


def test_read_labelled_jsonl_conversations_use_the_first_user_turn_not_the_system_turn(tmp_path: Path):
    p = tmp_path / "gold.jsonl"
    rows = [
        {"conversations": [{"from": "system", "value": "You are a poet."}, {"from": "human", "value": "one about rain"},
                           {"from": "gpt", "value": "Rain..."}, {"from": "human", "value": "now translate it"}],
         "task": "poem_generation"},
        {"messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}], "task": "math_puzzles"},
    ]
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n\nnot json\n")
    d = read_labelled(p, gold_field="task")
    assert d.texts == ["one about rain", "2+2?"]
    assert d.gold == ["poem_generation", "math_puzzles"]
    assert len(d.skipped) == 1 and ":4:" in d.skipped[0]


def test_a_row_whose_instruction_is_no_string_is_skipped_naming_the_field(tmp_path: Path):
    p = tmp_path / "typed.jsonl"
    p.write_text('{"instruction": "Add 2 and 3.", "output": "5"}\n{"instruction": 5, "output": "x"}\n'
                 '{"messages": "hi"}\n{"instruction": "  ", "output": "x"}\n')
    d = read_labelled(p, gold_field=None)
    assert d.skipped == [f"{p}:2: field 'instruction' must be a string, got int",
                         f"{p}:3: field 'messages' must be a list of turns, got str",
                         f"{p}:4: field 'instruction' is empty"]


def test_read_labelled_errors(tmp_path: Path):
    with pytest.raises(InputError, match="no such file"):
        read_labelled(tmp_path / "missing.jsonl")
    p = tmp_path / "nolabels.jsonl"
    p.write_text('{"instruction": "hi"}\n')
    with pytest.raises(InputError, match="no labelled rows"):
        read_labelled(p)
