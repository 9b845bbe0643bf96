"""Reading the model's rewrite answer: each schema design, lenient JSON, placeholders, contradictions."""

from __future__ import annotations

import pytest

from realign.rewrite import RewriteAnswer, decide, parse_answer, rewrite_schema

ORIGINAL = "Blue light scatters the most.\n#### blue"


@pytest.mark.parametrize("text, rewritten, keep", [
    ('{"rewritten": "New text"}', "New text", None),
    ('{"rewritten": "line one\nline two", "keep_original": false}', "line one\nline two", False),  # raw newline
    ('```json\n{"keep_original": true, "rewritten": ""}\n```', "", True),
    ('{"keep_original": true}', "", True),
    ("<rewritten>Tagged text</rewritten>", "Tagged text", None),
    ("KEEP_ORIGINAL", "", True),
])
def test_answers_are_read_leniently(text: str, rewritten: str, keep: bool | None):
    answer = parse_answer(text)
    assert answer.rewritten == rewritten and answer.keep_original is keep


@pytest.mark.parametrize("text", [
    '{"keep_original": false, "rewritten": "the complete rewritten response"}',
    '{"rewritten": "..."}',
    '{"keep_original": "maybe", "rewritten": "x"}',
    "Sure, here is a better answer without any JSON.",
])
def test_unusable_answers_are_rejected(text: str):
    with pytest.raises(ValueError):
        parse_answer(text)


@pytest.mark.parametrize("answer, keep, note", [
    (RewriteAnswer(rewritten="A new layout.\n#### blue"), False, ""),
    (RewriteAnswer(rewritten="Blue light scatters the most.  #### blue"), True, "copy"),  # a copy, spaced anew
    (RewriteAnswer(rewritten="", keep_original=True), True, ""),
    (RewriteAnswer(rewritten=""), True, "no rewrite"),  # an empty answer offers nothing: the original stays
    (RewriteAnswer(rewritten=ORIGINAL, keep_original=False), True, "unchanged"),
    (RewriteAnswer(rewritten="Something else entirely", keep_original=True), False, "contradiction"),
])
def test_the_decision_follows_the_text(answer: RewriteAnswer, keep: bool, note: str):
    decided, why = decide(answer, ORIGINAL)
    assert decided is keep
    assert (note == "") == (why == "")
    if note == "contradiction":
        assert "keep_original but wrote a different text" in why


@pytest.mark.parametrize("design, keys", [("derived", ["rewritten"]), ("rewrite_first", ["rewritten", "keep_original"]),
                                          ("decide_first", ["keep_original", "rewritten"])])
def test_each_design_asks_for_its_fields_in_order(design: str, keys: list[str]):
    schema = rewrite_schema(design)["json_schema"]["schema"]
    assert list(schema["properties"]) == keys and schema["required"] == keys
