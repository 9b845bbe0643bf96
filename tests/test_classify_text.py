"""What a classifier sees of a conversation: the request only (`classification_text`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from realign.classify.base import classification_source, classification_text
from realign.classify.evaluate import read_labelled
from realign.io.readers import read_examples
from realign.records import Turn

GENERIC_SYSTEM = "You are a helpful assistant."
REQUESTS = [
    "What is the capital of Australia?",
    "Janet has 3 apples and buys 5 more. How many apples does she have?",
    "Write a Python function that reverses a string.",
    "Summarize this:\n\nThe committee met on Monday and agreed to postpone the vote until spring.",
]


@pytest.mark.parametrize("request_text", REQUESTS)
def test_a_system_turn_does_not_change_what_the_classifier_sees(request_text: str) -> None:
    bare = [Turn(role="user", content=request_text), Turn(role="assistant", content="...")]
    with_system = [Turn(role="system", content=GENERIC_SYSTEM), *bare]
    assert classification_text(with_system) == classification_text(bare) == request_text


def test_the_response_and_later_user_turns_are_not_read() -> None:
    turns = [
        Turn(role="user", content="Write a haiku about rain."),
        Turn(role="assistant", content="def f(): return 1"),
        Turn(role="user", content="Now translate it into French."),
        Turn(role="assistant", content="..."),
    ]
    assert classification_text(turns) == "Write a haiku about rain."


def test_a_row_with_only_a_system_turn_is_classified_from_it() -> None:
    turns = [Turn(role="system", content="Translate the user's text into German."), Turn(role="user", content="  ")]
    assert classification_text(turns) == "Translate the user's text into German."


def test_rewrite_and_classify_read_the_same_request_from_a_chat_file(tmp_path: Path) -> None:
    """`realign rewrite` classifies Example turns, `realign classify` raw rows: both skip the system turn."""
    rows = [
        {"messages": [{"role": "system", "content": GENERIC_SYSTEM}, {"role": "user", "content": q},
                      {"role": "assistant", "content": "ok"}], "category": "open_qa"}
        for q in REQUESTS
    ]
    path = tmp_path / "chat.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    from_rows = read_labelled(path).texts
    from_examples = [classification_text(ex.turns) for ex in read_examples(str(path)) if hasattr(ex, "turns")]
    assert from_rows == from_examples == REQUESTS


def test_show_says_which_turn_named_the_task_and_what_it_left_out() -> None:
    assert classification_source(["user", "assistant"]) == "the first user turn"
    assert classification_source(["system", "user", "assistant", "user", "assistant"]) == (
        "the first user turn (the system turn and later user turns left out)")
    assert classification_source(["system", "user", "assistant"]) == "the first user turn (the system turn left out)"
    assert classification_source(["system", "assistant"]) == "the system turn (the row has no user text)"
