"""question_kept: a chat answer's closing question to the user, which the next user turn replies to,
survives the rewrite (trial finding D4); the check runs only for a turn a user turn follows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from realign.records import Example, Turn
from realign.rewrite import next_user_turn
from realign.testing.adversarial import question_cases
from realign.verify.base import CheckInput
from realign.verify.question_kept import check_question_kept, closing_question
from realign.verify.registry import verify_candidate

GLAIVE_TURNS = Path(__file__).parent / "fixtures" / "verify" / "glaive_turns.jsonl"
LOAN = ("Of course, I can help with that. Could you please provide me with the principal amount of the loan, "
        "the interest rate, and the term of the loan in months?")
RECIPES = ("I found two recipes for you: a stir fry and a casserole.\n\n"
           "Which one would you like to try?")


def _check(original: str, candidate: str, next_user: str = "The stir fry, please.") -> tuple[bool, str]:
    r = check_question_kept(CheckInput(task="", instruction="Help me cook.", original=original,
                                       candidate=candidate, next_user=next_user))
    return r.passed, r.reason


@pytest.mark.parametrize("candidate, passed, reason", [
    (RECIPES, True, "kept"),
    ("**Which recipe would you like to try?**\n\nI found two: a stir fry and a casserole.", True, "kept"),
    ("I found two recipes for you: a stir fry and a casserole.", False, "question to the user dropped"),
    ("I found two recipes for you: a stir fry and a casserole. You can try either one.", False, "dropped"),
    ("I found two recipes: a stir fry and a casserole.\n\nLet me know if you have any other questions.", False,
     "dropped"),
    ("I found two recipes: a stir fry and a casserole. Is there anything else I can help you with?", False,
     "replaced by a generic one"),
    ("I found two recipes: a stir fry and a casserole. Which of the two do you fancy?", True, "reworded"),
])
def test_a_rewrite_of_an_answer_ending_in_a_question_must_still_ask_it(candidate: str, passed: bool,
                                                                       reason: str) -> None:
    got, why = _check(RECIPES, candidate)
    assert got is passed and reason in why


def test_a_request_without_a_question_mark_is_a_question_to_the_user() -> None:
    assert closing_question("Sure. Please let me know which city you mean.")[0]
    assert _check("Sure. Please let me know which city you mean.", "Sure.", "Paris.")[0] is False
    assert _check("Sure. Please let me know which city you mean.", "Sure. Which city do you mean?", "Paris.")[0]


@pytest.mark.parametrize("original", [
    "Done. Let me know if you have any other questions.",  # a courtesy, not a question the reply answers
    "Why does ice float? Because it is less dense than water.\n\nThat is the whole story.",  # asked and answered
    "Run this:\n\n```python\nname = input('Which city?')\n```",  # a question inside code
    "Install the package and restart.\n\nConfirm the service runs. Share the log with your team.",  # how-to steps
])
def test_an_answer_that_asks_the_user_nothing_is_not_held_to_a_question(original: str) -> None:
    passed, reason = _check(original, "Reformatted.")
    assert passed and "not applicable" in reason


def test_a_question_the_original_asked_and_answered_does_not_stand_in_for_the_closing_one() -> None:
    original = "Why does ice float? Because it is less dense than water.\n\nWould you like a diagram of it?"
    assert _check(original, "Why does ice float? Because it is less dense than water.")[0] is False


def test_a_generic_closing_question_may_be_reworded_freely() -> None:
    assert _check("Here it is. Does that answer your question?", "Here it is. Does this help?")[0]


def test_the_check_runs_only_when_a_user_turn_replies_to_the_answer() -> None:
    inp = CheckInput(task="default", instruction="I need a loan payment.", original=LOAN,
                     candidate="Of course, I can help with that.")
    assert "question_kept" not in [c.name for c in verify_candidate(inp, []).checks]
    verdict = verify_candidate(inp.with_changes(next_user="$50000, 5%, 60 months."), [])
    kept = next(c for c in verdict.checks if c.name == "question_kept")
    assert not kept.passed and not verdict.passed and "principal amount" in kept.reason


def test_the_reply_to_a_turn_is_the_next_turn_when_a_user_wrote_it() -> None:
    ex = Example(id="x", source_index=0, format="sharegpt", turns=[
        Turn(role="user", content="Find me a recipe."),
        Turn(role="assistant", content="Which ingredients do you have?"),
        Turn(role="user", content="Chicken and rice."),
        Turn(role="tool_call", content='{"name": "search_recipes"}'),
        Turn(role="tool", content='{"recipes": []}'),
        Turn(role="assistant", content="I found nothing."),
    ])
    assert next_user_turn(ex, 1) == "Chicken and rice."
    assert next_user_turn(ex, 5) == ""


def test_on_the_dev_half_of_the_glaive_turns_every_changing_case_is_rejected_and_no_control() -> None:
    """Third-party chat turns (glaive function-calling rows, tests/fixtures/verify/glaive_turns.jsonl);
    the held half is measured by benchmarks/verify.py --turns-only, not read here."""
    rows = [json.loads(x) for x in GLAIVE_TURNS.read_text(encoding="utf-8").splitlines()]
    cases = [c for r in rows if r["split"] == "dev" for c in question_cases(r["instruction"], r["original"],
                                                                            r["next_user"])]
    assert {c.same_answer for c in cases} == {True, False}
    wrong = []
    for c in cases:
        inp = CheckInput(task="default", instruction=c.instruction, original=c.original, candidate=c.candidate,
                         next_user=c.next_user)
        if verify_candidate(inp, []).passed != c.same_answer:
            wrong.append((c.cls, c.candidate))
    assert wrong == []
