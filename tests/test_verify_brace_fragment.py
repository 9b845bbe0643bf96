"""A brace fragment or template placeholder in place of a prose answer fails the leak check (trial 12,
finding D1: SmolLM2 answered "{ number }" for "Number the largest find." and it was accepted on a task
whose checks hold no words)."""

from __future__ import annotations

import pytest

from realign.verify.base import CheckInput
from realign.verify.registry import verify_candidate

ASK = "Given a sentence, return the sentence with all the words in alphabetical order.\n\nFind the largest number."


def failed(candidate: str, original: str = "Number the largest find.", instruction: str = ASK,
           task: str = "text_to_code_translation") -> list[str]:
    v = verify_candidate(CheckInput(task=task, instruction=instruction, original=original, candidate=candidate), [])
    return [f"{c.name}: {c.reason}" for c in v.checks if not c.passed]


@pytest.mark.parametrize("candidate", ["{ number }", "{", '{"answer": "find largest number the"}', "{{number}}"])
@pytest.mark.parametrize("task", ["text_to_code_translation", "default", "instructional_rewriting"])
def test_a_brace_fragment_for_a_prose_answer_is_a_broken_output(candidate: str, task: str) -> None:
    reasons = failed(candidate, task=task)
    assert any(r.startswith("leak: broken output: the rewrite holds the brace fragment") for r in reasons)


def test_a_placeholder_inside_prose_fails_too() -> None:
    original = "Dear Anna, thank you for the flowers; they brighten the whole room. See you on Sunday. Best, Tom"
    candidate = "Dear {name}, thank you for the flowers; they brighten the whole room. See you on Sunday. Best, Tom"
    assert any("'{name}'" in r for r in failed(candidate, original, "Write a thank-you note to Anna.", "email_generation"))


@pytest.mark.parametrize("original, instruction, candidate", [
    # braces the original or the question already has: code, JSON asked for, a set
    ("Use {name} in an f-string: f'Hello {name}'.", "How do I put a variable in a string?", "Write f'Hello {name}' to insert it."),
    ("Return the object.", 'Convert to JSON like {"a": 1}.', '{"a": 1}'),
    ("Number the largest find.", ASK, "Number the largest find."),
    ("Number the largest find.", ASK, "Number, the, largest, find."),
])
def test_braces_the_original_or_question_has_and_prose_rewrites_pass(original: str, instruction: str, candidate: str) -> None:
    assert not [r for r in failed(candidate, original, instruction) if r.startswith("leak")]


def test_a_latex_group_in_a_math_answer_is_no_placeholder() -> None:
    original = "She works 5 days a week and 3 weeks, so 5 * 3 = 15 days.\n#### 15"
    candidate = "She works $5 \\text{ days} \\times 3 = 15 \\text{ days}$ and $x^{2}$ stays.\n#### 15"
    assert not [r for r in failed(candidate, original, "How many days does she work?", "math_puzzles") if r.startswith("leak")]


def test_a_whole_json_answer_is_left_to_the_other_checks() -> None:
    original = "Janet sells 16 - 3 - 4 = 9 eggs a day at $2 each, so she makes 9 * 2 = $18.\n#### 18"
    candidate = '{"reasoning": "Janet sells 16 - 3 - 4 = 9 eggs at $2 each, so 9 * 2 = 18 dollars a day.", "answer": 18}'
    assert not [r for r in failed(candidate, original, "How much does Janet make a day?", "math_puzzles")
                if r.startswith("leak")]
