"""An open answer keeps its letter frame and its closing content whatever its length (issue #9, trial
findings D7 and D8): the length check rejects a rewrite that drops the greeting, the sign-off or the
last sentences, and passes one that rewords, reorders, bullets or trims a courtesy."""

from __future__ import annotations

import pytest

from realign.testing.adversarial import ending_cases
from realign.verify.base import CheckInput
from realign.verify.length_parts import closing_part, dropped_ending, dropped_frame, letter_frame
from realign.verify.registry import verify_candidate

LANDLORD = "Write a short email to my landlord asking to fix the heating."
# the README's demo row; SmolLM2-135M's accepted rewrite of it had no greeting (trial finding D7)
EMAIL = "Hi Mr. Lee,\nThe heating in my flat stopped working yesterday. Could you arrange a repair this week?\nThanks,\nSam"

ESSAY_Q = "Why should cities plant more trees?"
ESSAY = ("Trees cool city streets by shading asphalt and releasing water vapour. They also filter dust and "
         "nitrogen dioxide from the air that people breathe.\n\nBeyond health, trees raise property values and "
         "slow storm water, which eases the load on old drains. Planting programmes therefore pay for themselves "
         "within two decades through lower cooling bills and fewer flood repairs.")


def verdict(instruction: str, original: str, candidate: str, task: str = "default"):
    return verify_candidate(CheckInput(task=task, instruction=instruction, original=original, candidate=candidate), [])


def length_reason(v) -> str:
    return next(c.reason for c in v.checks if c.name == "length")


@pytest.mark.parametrize("candidate, ok", [
    ("The heating in my flat stopped working yesterday. Could you arrange a repair this week?\nThanks,\nSam", False),
    ("Hi Mr. Lee,\nThe heating in my flat stopped working yesterday. Could you arrange a repair this week?", False),
    ("Hello Mr. Lee,\n\nThe heating in my flat broke down yesterday. Could you arrange for a repair this week?\n\n"
     "Best regards,\nSam", True),
    ("Subject: Heating repair\n\nDear Mr. Lee,\n\nThe heating in my flat stopped working yesterday. Would it be "
     "possible to arrange a repair this week?\n\nKind regards,\nSam", True),
    ("Here is the email:\n\nHi Mr. Lee,\nThe heating in my flat stopped working yesterday. Could you arrange a "
     "repair this week?\nThanks,\nSam\n\nFeel free to add your flat number.", True),
])
def test_a_letter_keeps_its_greeting_and_sign_off_in_some_form(candidate: str, ok: bool) -> None:
    v = verdict(LANDLORD, EMAIL, candidate, "email_generation")
    assert v.passed is ok, [c.reason for c in v.checks if not c.passed]
    if not ok:
        assert length_reason(v).startswith("rewrite drops part of the original: the original is a letter")


def test_the_frame_is_read_from_the_original_lines() -> None:
    assert letter_frame(EMAIL) == (0, 2)
    assert letter_frame("Dear Bob,\n\nSee you on Tuesday.\n\nSincerely,\n[Your Name]") == (0, 2)
    assert letter_frame("Hello! How are you doing today?") == (-1, -1)  # a greeting, not a letter
    assert letter_frame("Hello everyone! My name is Ana and it is a pleasure to meet you all.\nSee you soon.") == (-1, -1)
    assert dropped_frame("Anything at all.", "One line, no frame.") is None


@pytest.mark.parametrize("candidate, ok", [
    # the last sentence, the last paragraph, the text cut after its second sentence
    (ESSAY.rsplit(" Planting", 1)[0], False),
    (ESSAY.split("\n\n")[0] + " Beyond health, trees raise property values and slow storm water.", False),
    # reworded, reordered, bulleted, under a heading: the closing content is still there
    ("## Why plant trees\n\n" + ESSAY, True),
    ("- Shade: trees cool streets and release water vapour.\n- Clean air: they filter dust and nitrogen dioxide.\n"
     "- Money: they raise property values and slow storm water.\n- Payback: planting pays for itself in about twenty "
     "years through lower cooling bills and fewer flood repairs.", True),
    ("Planting programmes pay for themselves within two decades, thanks to lower cooling bills and fewer flood "
     "repairs. Trees cool city streets by shading asphalt and releasing water vapour, and filter dust and nitrogen "
     "dioxide from the air; they also raise property values and slow storm water, easing the load on old drains.",
     True),
])
def test_an_open_answer_keeps_its_closing_content(candidate: str, ok: bool) -> None:
    v = verdict(ESSAY_Q, ESSAY, candidate)
    assert v.passed is ok, [c.reason for c in v.checks if not c.passed]
    if not ok:
        assert length_reason(v).startswith("rewrite drops part of the original")


def test_a_trailing_courtesy_is_no_content_and_a_closed_answer_is_left_to_its_own_check() -> None:
    polite = ESSAY + "\n\nI hope this helps!"
    assert closing_part(polite) == closing_part(ESSAY)
    assert verdict(ESSAY_Q, polite, ESSAY).passed
    worked = "Tom has 3 apples and buys 5.\nHe now has 3 + 5 = 8 apples.\nSo the answer is 8.\n#### 8"
    assert dropped_ending("He has 3 + 5 = 8 apples.\n#### 8", worked, "number") is None


def test_the_reason_names_the_missing_words() -> None:
    why = dropped_ending(ESSAY.rsplit(" Planting", 1)[0], ESSAY, "none")
    assert why is not None and "closing content is missing" in why and "decade" in why


@pytest.mark.parametrize("original", [EMAIL, ESSAY, ESSAY + "\n\nI hope this helps!"])
def test_every_generated_degradation_is_rejected_and_every_control_passes(original: str) -> None:
    cases = ending_cases(LANDLORD if original == EMAIL else ESSAY_Q, original)
    assert {c.cls for c in cases if not c.same_answer} >= ({"greeting_dropped", "signoff_dropped", "last_sentence_dropped"}
                                                          if original == EMAIL else {"last_sentence_dropped"})
    for c in cases:
        v = verdict(c.instruction, c.original, c.candidate)
        assert v.passed is c.same_answer, (c.cls, [x.reason for x in v.checks if not x.passed])


def test_words_the_request_also_uses_do_not_prove_the_closing_kept() -> None:
    """New-user trial 11, D4 (an Alpaca row, CC BY-NC, quoted as a test of ours): SmolLM2-135M's accepted
    rewrite dropped the closing sentence; the parts test passed on "important", a word of the request."""
    ask = "Explain why using visualization for data analysis is important."
    original = ("Using visualization for data analysis helps to quickly identify patterns, outliers and correlations "
                "in the data. It can be used to better communicate and explain complex relationships that exist in "
                "the data and provide more comprehensive insights. Visualization also makes understanding complex "
                "data sets more intuitive, and enables the user to more easily draw the necessary conclusions. This "
                "is particularly important when analyzing large, highly dimensional datasets.")
    rewrite = ("Using visualization for data analysis is important because it allows us to uncover hidden patterns and "
               "correlations in the data that might not be apparent through traditional methods. It provides a more "
               "comprehensive understanding of complex relationships, which can help in making data-driven decisions.")
    assert dropped_ending(rewrite, original, "none") is None  # "important" alone passed
    assert dropped_ending(rewrite, original, "none", ask) is not None
    kept = rewrite + " This matters most for large, high-dimensional datasets."
    assert dropped_ending(kept, original, "none", ask) is None


def test_a_rejecting_turn_is_exempt_from_the_parts_test_only_when_its_rewrite_declines() -> None:
    """New-user trial 11, D13: the cascade filed a logo design request under `rejecting`, and the
    accepted rewrite lost the logo's name: the exemption meant for revisions that decline applied."""
    ask = "Design a logo for a company named Lightning Cloud."
    original = ("The logo shows a white cloud on a dark blue circle. Three yellow zig-zag lines cross the cloud like "
                "lightning. Below the circle, the name Lightning Cloud is written in bold capitals.")
    lost = ("The logo shows a white cloud on a dark blue circle. Yellow zig-zag lines sit above the cloud like "
            "lightning. The design is simple and modern.")
    declines = "I can't help with designing that logo, but I can describe what makes a logo memorable."
    for task, text, ok in (("rejecting", lost, False), ("default", lost, False), ("rejecting", declines, True)):
        v = verify_candidate(CheckInput(task=task, instruction=ask, original=original, candidate=text), [], None)
        dropped = any(c.name == "length" and "drops part of the original" in c.reason for c in v.checks)
        assert dropped is not ok, (task, v.checks)
