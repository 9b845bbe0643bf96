"""A rewriting task's response is its answer: a rewrite that replaces the text is rejected, one
that keeps it with a heading, markup or a line of explanation passes."""

from __future__ import annotations

import pytest

from realign.tasks import load_tasks
from realign.verify.base import CheckInput
from realign.verify.registry import verify_candidate

FORMAL = "Rewrite this sentence to sound more formal.\n\nHey, can you send me that report real quick?"
FORMAL_ANSWER = "Could you please send me the report at your earliest convenience?"


def verdict(task: str, instruction: str, original: str, candidate: str):
    spec = load_tasks()[task]
    return verify_candidate(CheckInput(task=task, instruction=instruction, original=original, candidate=candidate),
                            spec.verifiers)


@pytest.mark.parametrize("candidate, ok", [
    # SmolLM2-135M's rewrite in the README's real-model run: every other check passed it
    ("The report was sent to you yesterday.", False),
    (FORMAL_ANSWER, True),
    (f"Formal version:\n\n{FORMAL_ANSWER}", True),
    (f"**{FORMAL_ANSWER}**", True),
    (f"{FORMAL_ANSWER}\n\nThis version replaces the casual 'real quick' with a polite request.", True),
    ("Would you kindly send me the report at your earliest convenience?", True),  # polished further
])
def test_a_rewriting_tasks_text_is_kept(candidate: str, ok: bool) -> None:
    v = verdict("instructional_rewriting", FORMAL, FORMAL_ANSWER, candidate)
    assert v.passed is ok, [c.reason for c in v.checks if not c.passed]
    if not ok:
        assert [c.name for c in v.checks if not c.passed] == ["text_kept"]


@pytest.mark.parametrize("task", ["instructional_rewriting", "language_polishing", "paraphrasing", "text_correction"])
def test_every_rewriting_task_lists_the_check(task: str) -> None:
    assert "text_kept" in load_tasks()[task].verifiers


def test_a_one_word_answer_is_held_and_an_empty_one_is_not_applicable() -> None:
    assert not verdict("instructional_rewriting", "Convert the word discovery into a noun", "Discovery.",
                       "Interest groups have spent $6.2 million on TV ads this year.").passed
    v = verdict("text_correction", "Fix: it are.", "It is.", "It is, indeed.")
    assert next(c for c in v.checks if c.name == "text_kept").reason.startswith("not applicable")
