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
    if not ok:  # a text replaced by another is also added content (text_added)
        assert [c.name for c in v.checks if not c.passed][0] == "text_kept"


@pytest.mark.parametrize("task", ["instructional_rewriting", "language_polishing", "paraphrasing", "text_correction"])
def test_every_rewriting_task_lists_the_check(task: str) -> None:
    assert "text_kept" in load_tasks()[task].verifiers


def test_a_one_word_answer_is_held_and_an_empty_one_is_not_applicable() -> None:
    assert not verdict("instructional_rewriting", "Convert the word discovery into a noun", "Discovery.",
                       "Interest groups have spent $6.2 million on TV ads this year.").passed
    v = verdict("text_correction", "Fix: it are.", "It is.", "It is, indeed.")
    assert next(c for c in v.checks if c.name == "text_kept").reason.startswith("not applicable")


PARAPHRASE = "Rewrite the following sentence in different words without changing what it says:\n\n"


@pytest.mark.parametrize("original, candidate, ok", [
    # the negation undone on a word the rewrite keeps, or a negative prefix dropped
    ("He did not live to finish the novel, which was printed after his death.",
     "He lived to finish the novel, which was printed after his death.", False),
    ("The ministers met informally at the level of heads of state.",
     "The ministers met formally at the level of heads of state.", False),
    ("Unlike other cats, they do not groom their faces.", "Just like other cats, they do not groom their faces.", False),
    ("The bridge was opened in 1932 and carries trains.", "The bridge was never opened in 1932 and carries no trains.",
     False),
    # the same meaning in other words: negation moved, replaced or kept
    ("The population of the colonies was not homogeneous in its views.",
     "The population of the colonies was heterogeneous in its views.", True),
    ("He rewrote the part as neither a hero nor a villain.", "He rewrote the part as hardly a hero and hardly a villain.",
     True),
    ("The single barely charted in Australia.", "The single hardly touched the charts in Australia.", True),
    ("Both the state and the federal government refused him full reimbursement.",
     "Both the state and the federal government turned him down for full reimbursement.", True),
    ("Jackson did not want to condone open revolt.", "Jackson was unwilling to condone open revolt.", True),
    ("Trams have not stopped running in the city since 1885.", "Since 1885, trams in the city have never stopped running.",
     True),
])
def test_a_rewrite_that_reverses_a_negation_is_rejected(original: str, candidate: str, ok: bool) -> None:
    v = verdict("paraphrasing", PARAPHRASE + original, original, candidate)
    assert v.passed is ok, [c.reason for c in v.checks if not c.passed]
    if not ok:
        reason = next(c.reason for c in v.checks if c.name == "text_kept")
        assert reason.startswith("rewritten text reversed: negation")


def test_a_request_to_reword_a_sentence_asks_for_no_quotation() -> None:
    """'in different words' asks to transform the text: its rewrite need not repeat it word for word
    (the key-facts check read the whole answer as a quotation the question asked for)."""
    original = "Both the state and the federal government refused him full reimbursement."
    v = verdict("paraphrasing", PARAPHRASE + original, original,
                "Both the state and the federal government turned him down for full reimbursement.")
    assert v.passed, [c.reason for c in v.checks if not c.passed]
    q = "What was the famous reply of the golfer in his own words?"
    v = verdict("open_qa", q, "Hit the ball closer to the hole", "Hit the ball farther from the hole")
    assert not v.passed  # a question asking for someone's words still holds them
