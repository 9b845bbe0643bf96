"""Math final answer: the rewrite must state the same final answer as the original.

The original's reference answer and the rewrite's final answer are read by `math_answer` (explicit
answer statements by `math_statements`), numbers by `math_numbers`, what the question asks (a
percent, a unit scale, decimal places) by `math_question`; this module runs the check and gives its
reasons. A rewrite that states two different final answers fails; the same value written beside it
in another form ("0.54 or 54%", "17.98, or rounded, 18.00") is one answer. A unit scale the question
states ("in USD millions") makes "$1,577 million" and "$1,577,000,000" the bare 1577; without one they
are different numbers. Such a scale, or decimal places the question asks for ("Round your answer to
two decimal places"), also fixes the original's precision: "$8.738 billion" keeps "8.7" in billions,
79.82% keeps "0.8" to two places (elsewhere 18.4 is no 18).
"""

from __future__ import annotations

from fractions import Fraction

from realign.records import CheckResult
from realign.verify.base import Check, CheckInput
from realign.verify.math_answer import (
    _visible, extract_final_answer, extract_reference, gsm8k_reference, read_answer, restated_forms,
)
from realign.verify.math_numbers import FinalAnswer, NumberMatch, _all_numbers, format_value, parse_number, same_answer
from realign.verify.math_question import asks_percent, in_question_scale, in_stated_scale, places_asked, stated_scale
from realign.verify.options import VerifyOptions

NAME = "math_answer"

__all__ = [
    "FinalAnswer",
    "NumberMatch",
    "extract_final_answer",
    "extract_reference",
    "gsm8k_reference",
    "parse_number",
    "same_answer",
    "format_value",
    "asks_percent",
    "stated_scale",
    "in_stated_scale",
    "in_question_scale",
    "make_check",
]


# A question that states the answer's unit ("in USD billions") or its decimal places ("Round your answer
# to two decimal places") fixes the precision of the original's value: a rewrite's value written to more
# places that rounds to it there is the same answer ("$8.738 billion" for "8.7" in billions; 0.7982 for
# "0.8" to two places), even when the original has fewer places than `math_round_min_places` asks of a
# value in general. Only for such questions: elsewhere 18.4 is no 18.
STATED_PRECISION_MIN_DIGITS = 2  # a value read at its own places needs this many significant digits


def _precision_stated(question: str) -> tuple[int | None] | None:
    """(the decimal places asked for, or None for the original's own places) when the question states a
    precision or a unit scale; None when it states neither."""
    asked = places_asked(question)
    if asked is not None:
        return (asked,)
    return (None,) if stated_scale(question) is not None else None


def _rounds_at_stated_precision(ref: NumberMatch | FinalAnswer, cand: NumberMatch | FinalAnswer,
                                stated: tuple[int | None]) -> bool:
    a, b = abs(ref.value), abs(cand.value)
    if (ref.value < 0) != (cand.value < 0) or not a:
        return False
    ap, bp = ref.places or 0, cand.places or 0
    if cand.percent and not ref.percent:
        b, bp = b / 100, bp + 2
    elif ref.percent and not cand.percent:
        a, ap = a / 100, ap + 2
    (asked,) = stated
    if asked is not None and ap <= asked < bp:
        at = asked
    elif bp > ap and len(str(round(a * 10**ap)).lstrip("0")) >= STATED_PRECISION_MIN_DIGITS:
        at = ap
    else:
        return False
    return Fraction(int(b * 10**at + Fraction(1, 2)), 10**at) == a


def _shown(v: FinalAnswer | NumberMatch) -> str:
    return format_value(v.value) + ("%" if v.percent else "")


# Verdicts remembered by input, oldest forgotten first: the repair step and the check ask about the
# same rows, and a batch (registry.verify_candidates) asks the check after up to two entries for
# each of its other rows, far fewer than MEMO_SIZE.
MEMO_SIZE = 1024
_memo: dict[tuple[str, str, str, int], CheckResult] = {}


def _remember(key: tuple[str, str, str, int], res: CheckResult) -> None:
    if len(_memo) >= MEMO_SIZE:
        del _memo[next(iter(_memo))]
    _memo[key] = res


def check_math(inp: CheckInput, options: VerifyOptions) -> CheckResult:
    """`_check_math`, remembered by input: the repair step and the check ask the same."""
    key = (inp.instruction, inp.original, inp.candidate, options.math_round_min_places)
    res = _memo.get(key)
    if res is None:
        res = _check_math(inp, options)
        _remember(key, res)
    return res


def same_verdict_for(inp: CheckInput, text: str, options: VerifyOptions) -> None:
    """Remember `check_math(inp)`'s result for `inp` with `text` as the candidate: the repair step
    adds or normalises a '#### N' line with the original's own value, which cannot change it."""
    res = _memo.get((inp.instruction, inp.original, inp.candidate, options.math_round_min_places))
    if res is not None:
        _remember((inp.instruction, inp.original, text, options.math_round_min_places), res)


def _check_math(inp: CheckInput, options: VerifyOptions) -> CheckResult:
    """Pass only when at least one statement of the rewrite gives the original's final answer and
    none gives another: no second final answer, no hedge, no later revision to another value,
    no denial of the answer ("not 18")."""
    question = inp.instruction
    inp = in_question_scale(inp)
    ref = extract_reference(inp.original, question=question)
    if ref is None:
        return CheckResult(
            name=NAME,
            passed=True,
            reason="not applicable: the original states no final answer ('#### N', \\boxed{}, "
            "'The answer is ...', an 'Answer:' line)",
        )
    want = _shown(ref)
    if ref.conflicting:
        return CheckResult(
            name=NAME,
            passed=True,
            reason="not applicable: the original itself states different final answers ("
            + ", ".join(format_value(v) for v in ref.values) + ")",
        )
    pq = asks_percent(question)
    rp = options.math_round_min_places
    to_places = _precision_stated(question)

    def agrees(x: FinalAnswer | NumberMatch) -> bool:
        return same_answer(ref, x, percent_question=pq, round_places=rp) or (
            to_places is not None and _rounds_at_stated_precision(ref, x, to_places))

    reading = read_answer(inp.candidate, question=question)
    if not reading.asserted:
        return CheckResult(
            name=NAME, passed=False, reason=f"final answer missing: original {want}, the rewrite states no number"
        )
    agreeing = [agrees(a) for a in reading.asserted]  # each statement compared once
    kept = [a for a, ok in zip(reading.asserted, agreeing) if ok]
    other = [a for a, ok in zip(reading.asserted, agreeing) if not ok]
    v = abs(float(ref.value))
    if other and any(min(abs(x - v), abs(x - 100 * v), abs(x - v / 100)) <= 1
                     for x in (abs(float(a.value)) for a in other)):
        # "17.98, or rounded to two decimal places, 18.00", "0.54 or 54%": the original's value
        # and the same value in another form beside it are one answer (only a value near the
        # original's, or its percent form, can be one: the rest are not looked at)
        text = _visible(inp.candidate)
        nums = _all_numbers(text)  # read once for both steps
        same = {abs(n.value) for _, n in nums if agrees(n)}
        forms = restated_forms(text, same, nums) if same else set()
        if forms:
            kept += [a for a in other if abs(a.value) in forms]
            other = [a for a in other if abs(a.value) not in forms]
    if kept and other:
        vals = " and ".join(dict.fromkeys([_shown(kept[0])] + [_shown(o) for o in other]))
        return CheckResult(
            name=NAME,
            passed=False,
            reason=f"rewrite states different final answers: {vals}; expected only {want} (original)",
        )
    if other:
        got = other[-1]
        have = _shown(got)
        if got.explicit:
            reason = f"final answer changed: original {want}, rewrite states {have} ({got.text!r})"
        else:
            reason = (
                f"final answer changed or not stated: original {want}; the rewrite has no explicit final-answer "
                f"statement and its {got.style} is {have} ({got.text!r})"
            )
        return CheckResult(name=NAME, passed=False, reason=reason)
    for d in reading.denied:
        if agrees(d):
            return CheckResult(
                name=NAME, passed=False,
                reason=f"rewrite denies the original's answer {want}: {d.text!r}",
            )
    for text, said, denied in reading.revisions:
        if any(agrees(n) for n in denied) and not any(agrees(n) for n in said):
            return CheckResult(
                name=NAME, passed=False,
                reason=f"rewrite later denies the original's answer {want}: {text!r}",
            )
        if said and not any(agrees(n) for n in said):
            return CheckResult(
                name=NAME, passed=False,
                reason=f"rewrite states different final answers: {want} and then {_shown(said[-1])} in a later "
                f"revision {text!r}; expected only {want} (original)",
            )
    for text, a, b in reading.hedges:
        if agrees(a) != agrees(b) and not _one_value(ref, a, b):
            other_value = b if agrees(a) else a
            return CheckResult(
                name=NAME, passed=False,
                reason=f"rewrite hedges its answer: {want} beside {_shown(other_value)} in {text!r}; "
                f"expected only {want} (original)",
            )
    for kind, text, before, offered in reading.alternatives:
        if not agrees(offered) and any(agrees(n) and not _one_value(ref, n, offered) for n in before):
            what = {"attributed": "attributed to others", "bracketed": "in brackets",
                    "conditional": "under another condition"}[kind]
            return CheckResult(
                name=NAME, passed=False,
                reason=f"rewrite offers a second answer beside its answer ({what}): {want} beside "
                f"{_shown(offered)} in {text!r}; expected only {want} (original)",
            )
    got = kept[-1]
    how = got.style if got.explicit else f"{got.style}, no explicit final-answer statement"
    return CheckResult(
        name=NAME,
        passed=True,
        reason=f"final answer kept: original {want}, rewrite states {got.text!r} ({how})",
    )


def _one_value(ref: FinalAnswer, a: NumberMatch, b: NumberMatch) -> bool:
    """Whether a hedge's two numbers are one value in two forms ("0.54 or 54%", "$18, or 1,800
    cents"): the second is the first times or divided by 100."""
    x, y = abs(a.value), abs(b.value)
    return x != 0 and y != 0 and (x == 100 * y or y == 100 * x)


def make_check(options: VerifyOptions) -> Check:
    def check(inp: CheckInput) -> CheckResult:
        return check_math(inp, options)

    return check
