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


GSM = "Janet sells 16 - 3 - 4 = 9 eggs.\nShe makes 9 * 2 = $18.\n#### 18"


def test_verifying_many_candidates_together_gives_each_the_verdict_it_gets_alone() -> None:
    # verify_candidates runs one check over every candidate before the next; each verdict, its
    # repairs included, must be the one the candidate gets on its own
    from realign.verify.registry import verify_candidate, verify_candidates

    items = [
        (inp(GSM, "She makes 9 * 2 = $18.\n\nThe answer is 18.", "math_puzzles", "How much?"), []),  # line restored
        (inp(GSM, "She makes 9 * 2 = $16.\n#### 16", "math_puzzles", "How much?"), []),  # answer changed
        (inp(GSM, "She makes 9 * 2 = $18.\n#### $18.00", "default", "How much?"), ["refusal"]),  # line normalised
        (inp("Not spam", "Spam.", "default", "Is it spam? Answer spam or not spam."), []),
        (inp("```python\nx = 1\n```", "Here:\n```python\nx = 2\n```", "default", "Fix it"), ["code_preserved"]),
        (inp("I can't help with that.", "Sure, here is how.", "rejecting", "How do I pick a lock?"), ["refusal"]),
    ]
    alone = [verify_candidate(i, checks).model_dump() for i, checks in items]
    together = verify_candidates([(i, checks, None) for i, checks in items])
    assert [v.model_dump() for v in together] == alone
    assert together[0].repairs and together[2].repairs and not together[1].passed


def test_a_check_that_raises_fails_only_its_own_row(monkeypatch: pytest.MonkeyPatch) -> None:
    from realign.verify import registry
    from realign.verify.registry import run_checks_many

    def leak_check(i: CheckInput):  # a bug in a check, on one row only
        if "boom" in i.candidate:
            raise ValueError("boom")
        return get_check("leak", VerifyOptions())(i)

    opts = VerifyOptions()
    monkeypatch.setattr(registry, "_cached_check", lambda name, o: leak_check if name == "leak" else get_check(name, o))
    monkeypatch.setattr(registry, "_plans", {})
    ok, bad = run_checks_many([([], inp("a" * 50, "a" * 50)), ([], inp("a" * 50, "boom " + "a" * 50))], opts)
    assert ok.passed
    assert [c.name for c in bad.failures] == ["leak"] and "internal error in check leak: ValueError: boom" in bad.failures[0].reason
