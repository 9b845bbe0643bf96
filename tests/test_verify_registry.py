from __future__ import annotations

import pytest

from realign.errors import ConfigError
from realign.verify.base import CheckInput
from realign.verify.registry import ALWAYS, CHECK_NAMES, VerifyOptions, get_check, run_checks


def inp(original: str, candidate: str, task: str = "open_qa", instruction: str = "q") -> CheckInput:
    return CheckInput(task=task, instruction=instruction, original=original, candidate=candidate)


def test_every_name_resolves_to_a_check() -> None:
    opts = VerifyOptions()
    for name in CHECK_NAMES:
        res = get_check(name, opts)(inp("Hello there, this is an answer.", "Hello there, this is an answer."))
        assert res.name == name
        assert res.passed, res.reason
        assert res.reason


def test_unknown_check_names_the_valid_ones() -> None:
    with pytest.raises(ConfigError) as e:
        get_check("math", VerifyOptions())
    assert "'math'" in str(e.value) and "math_answer" in str(e.value)
    with pytest.raises(ConfigError):
        run_checks(["nope"], inp("a", "a"))


def test_run_checks_adds_always_dedups_and_orders() -> None:
    v = run_checks(["code_preserved", "leak", "code_preserved"], inp("x = 1", "x = 1"))
    names = [c.name for c in v.checks]
    assert names == ["length", "leak", "code_preserved", "refusal", "language"]
    assert set(ALWAYS) <= set(names)
    assert v.passed


def test_verdict_fails_when_one_check_fails_and_feedback_names_it() -> None:
    v = run_checks([], inp("The capital is Paris.", "### Original response\nThe capital is Paris."))
    assert not v.passed
    assert [c.name for c in v.failures] == ["leak"]
    assert "Original response" in v.feedback()


def test_options_default_is_used() -> None:
    v = run_checks([], inp("a" * 100, "a" * 100))
    assert v.passed
