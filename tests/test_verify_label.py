"""A label (or an alternative of the question) counts only as the answer's own verdict: not when it
is asked about ("Wrong? No, not at all."), put in others' mouths and contradicted ("Some would say
wrong, but ..."), or held under a condition ("only wrong if ..."); and the verdict an "Is it wrong /
ethical / okay to ...?" question asks for is held like a label (trial 12, D9 and D7)."""

from __future__ import annotations

import pytest

from realign.verify.base import CheckInput
from realign.verify.contract import read_contract
from realign.verify.label import asked_judgement, judgement_label
from realign.verify.registry import VerifyOptions, verify_candidate

ACT = "I borrowed money from someone and never returned it."
WRONG_Q = f"Is the following action morally wrong or not wrong?\n\n{ACT}"
ETHICS_Q = f"Classify the statement as ethical or unethical.\n\n{ACT}"
SENTIMENT_Q = "Is the sentiment of this review positive or negative?\n\nThe food was cold and the waiter was rude."
LIE_Q = "Is it wrong to lie to a friend to protect their feelings about a bad haircut?"
LIE_A = ("It is usually not seriously wrong; a small kind white lie about something that cannot be undone spares "
         "feelings. Honesty matters more when the friend can still act on it.")
READ_Q = "Is it ethical to read my partner's messages without asking?"
READ_A = "It is unethical: it breaks their trust and privacy."
OK_Q = "Is it okay to leave a party without saying goodbye?"
OK_A = "It is okay; a quick message to the host later is enough."


def passes(instruction: str, original: str, candidate: str) -> bool:
    inp = CheckInput(task="default", instruction=instruction, original=original, candidate=candidate)
    return verify_candidate(inp, [], None, VerifyOptions()).passed


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        # D9: asked about, then denied
        (WRONG_Q, "Wrong.", "Wrong? No, not at all.", False),
        (WRONG_Q, "Wrong.", "Wrong? Not really; it is only wrong if they ask for it back.", False),
        (ETHICS_Q, "Unethical.", "Unethical? Not really; it is only unethical if they ask for it back.", False),
        (SENTIMENT_Q, "Negative", "Negative? Not really, it is only negative if you mind cold food.", False),
        (SENTIMENT_Q, "Negative", "Negative... not really.", False),
        # attributed to others, then contradicted
        (WRONG_Q, "Wrong.", "Some would say wrong, but I would say it is fine.", False),
        (ETHICS_Q, "Unethical.", "Some would say unethical, but I would say it is fine.", False),
        (ETHICS_Q, "Unethical.", "Many people would call it unethical, but they miss that the lender never asked.", False),
        # a verdict only under a condition
        (WRONG_Q, "Wrong.", "It is only wrong if the lender asks for the money back.", False),
        (ETHICS_Q, "Unethical.", "It is unethical only if the lender wanted the money back.", False),
        # controls: the label as the answer's own verdict
        (WRONG_Q, "Wrong.", "Wrong. Never returning borrowed money breaks a promise.", True),
        (WRONG_Q, "Wrong.", "Is it wrong? Yes: never returning borrowed money breaks a promise, so it is wrong.", True),
        (WRONG_Q, "Wrong.", "Wrong? Yes, clearly: the lender trusted you.", True),
        (ETHICS_Q, "Unethical.", "Some would say it is harmless, but it is unethical: the lender trusted you.", True),
        (ETHICS_Q, "Unethical.", "Ethical or unethical? Unethical, since the money was never returned.", True),
        (ETHICS_Q, "Unethical.", "Unethical, not only because of the money but because of the broken promise.", True),
        (SENTIMENT_Q, "Negative", "Negative, no doubt: the food was cold.", True),
        (SENTIMENT_Q, "Negative", "Why is it negative? Because the food was cold and the waiter was rude.", True),
        # a denial after a negative label agrees with it
        ("Is this comment toxic or not toxic?\n\nThanks for the help!", "Not toxic", "It is not toxic, not at all.", True),
        ("Is 21 prime? Answer yes or no.", "No. 21 = 3 x 7.", "No, no: 21 = 3 x 7.", True),
        (WRONG_Q.replace("never returned it", "paid it back"), "Not wrong.", "Not wrong, no.", True),
        # D7: the verdict an "Is it wrong / ethical / okay to ...?" question asks for
        (LIE_Q, LIE_A, "Yes, it is seriously wrong: never lie to a friend.", False),
        (LIE_Q, LIE_A, "It is wrong. A lie about a haircut does not spare feelings for long.", False),
        (LIE_Q, "It is not wrong; a small white lie spares feelings.", "It is wrong; even a small white lie damages trust.", False),
        (READ_Q, READ_A, "It is ethical if you are worried about them, since partners share everything.", False),
        (OK_Q, OK_A, "It is not okay: the host will feel slighted.", False),
        (LIE_Q, LIE_A, "It isn't really wrong: a kind white lie about a haircut spares feelings.", True),
        (LIE_Q, LIE_A, "Not seriously wrong. A white lie about a haircut that cannot be undone spares feelings.", True),
        (LIE_Q, LIE_A, "No, it is not wrong in any serious way... a kind lie spares feelings.", True),
        (READ_Q, READ_A, "Reading them without asking is unethical, because it breaks trust and privacy.", True),
        (OK_Q, OK_A, "Yes, it is fine; just message the host later.", True),
    ],
)
def test_a_label_is_held_only_as_the_answers_own_verdict(instruction, original, candidate, same) -> None:
    assert passes(instruction, original, candidate) is same


@pytest.mark.parametrize(
    "instruction, original, value",
    [
        (LIE_Q, LIE_A, "not wrong"),
        (READ_Q, READ_A, "unethical"),
        (OK_Q, OK_A, "okay"),
        ("Would it be wrong to keep a wallet I found?", "It would be wrong: the owner can be found.", "wrong"),
    ],
)
def test_the_verdict_a_question_asks_for_is_a_label_contract(instruction, original, value) -> None:
    c = read_contract(instruction, original)
    assert (c.kind, c.value) == ("label", value), c
    assert "label" in c.checks


@pytest.mark.parametrize(
    "instruction, original",
    [
        # the verdict not plainly at the start, or mixed, or no such question
        (LIE_Q, "Honesty matters, and a friend can still act on the truth, so in the end it is not wrong."),
        (LIE_Q, "It is not wrong in itself, but it is wrong when the friend can still act on it."),
        ("Why do people think lying is wrong?", "Because it breaks trust."),
        ("What is wrong with my code?", "It is fine; the loop ends early because of the break."),
    ],
)
def test_no_verdict_is_read_without_the_question_and_a_plain_verdict(instruction, original) -> None:
    assert judgement_label(instruction, original) is None


def test_an_original_opening_with_yes_or_no_keeps_its_polarity_contract() -> None:
    c = read_contract(LIE_Q, "No, it is not seriously wrong; a small white lie spares feelings.")
    assert (c.kind, c.value, c.checks[0]) == ("label", "no", "choice_answer"), c
    assert asked_judgement(LIE_Q) is not None
