"""The quantities of an open answer: a rewrite must state each of them again (trial 12, finding D6).

An open answer (contract `none`: a how-to, advice, an explanation) has no single answer for the
contract to lock, yet its amounts, durations and temperatures are facts a reader acts on. A real
SmolLM2 rewrite of a sourdough recipe turned "bake at 240 C for 40 minutes" into "240 degrees for 4
hours" and dropped "500 g of flour" altogether, and every check passed. This check holds each
quantity of the original: a number written in digits with a unit after it ("500 g", "40 minutes",
"240 °C", "$5", "20%"). The rewrite must state the same value, in digits or in words ("forty
minutes"), rounded as the number readers allow ("about 5,000" for "4,987") or converted to another
unit of its kind ("2 hours" for "120 minutes"); a value it states only with another unit of the same
kind ("40 hours" for "40 minutes") changes it. Numbers without a unit (years, counts, "3 tips", step
numbers) are not held: a rewrite may renumber or regroup them, and what such a number counts is not
read (a scope choice, not a measured one: too few of the third-party revisions state one to tell).

The number and unit readers are the key-facts check's (`facts_answer.read_facts`, `facts_units`,
`facts_numbers.approximations`). The check runs for turns whose contract is `none`
(registry.verify_candidates adds it) on every task but those in FREE_TASKS, whose answers are made
up (a story's "3 days" is not a fact a rewrite must keep).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from realign.records import CheckResult
from realign.verify.base import Check, CheckInput
from realign.verify.facts_answer import _unmarked, read_facts
from realign.verify.facts_numbers import approximations
from realign.verify.facts_units import (_CURRENCY_SIGN, _UNIT_AFTER, _UNIT_KIND, _UNIT_SPELLINGS, _UNITS_OF,
                                        _temperatures_written, _units_after, converted_quantities)
from realign.verify.facts_words import _ANY_DIGIT
from realign.verify.math_numbers import _NUM, _to_number
from realign.verify.options import VerifyOptions

NAME = "quantities_kept"

# Tasks whose answers are invented or transformed rather than stated as facts: a rewrite may change
# their numbers (or other checks hold them: code_preserved, label, text_kept).
FREE_TASKS = frozenset({"story_generation", "poem_generation", "question_generation", "data_generation",
                        "roleplay", "email_generation"})


@dataclass(frozen=True)
class Quantity:
    value: Fraction
    start: int  # where the number begins (a currency sign included)
    end: int  # where the number ends
    unit_end: int  # where its unit ends (== end for a sign or a percent)
    units: frozenset[str]  # facts_units' unit names, or {"%"}
    shown: str  # as written, unit included: "500 g", "$5", "20%"


def _unit_at(text: str, end: int) -> tuple[frozenset[str], int]:
    """The units of a unit written right after `end` (facts_units' spellings: three letters or more in
    any case, a shorter one as written) and where it ends; (empty, end) when none is."""
    u = _UNIT_AFTER.match(text, end)
    if u is None or not (len(u.group(1)) > 2
                         or any(u.group(1) in _UNIT_SPELLINGS[x] for x in _UNITS_OF[u.group(1).lower()])):
        return frozenset(), end
    return _UNITS_OF[u.group(1).lower()], u.end()


def quantities(text: str) -> list[Quantity]:
    """Each number `text` writes in digits with a unit after it, a currency sign before it or a percent
    sign, in order (a value with units of one kind once)."""
    out: list[Quantity] = []
    seen: set[tuple[Fraction, frozenset[str]]] = set()
    for m in _NUM.finditer(text):
        n = _to_number(m, text)
        if n is None or not n.value:
            continue
        value = abs(n.value)
        if n.percent:
            units, unit_end = frozenset({"%"}), m.end()
        elif m.group("cur"):
            units, unit_end = frozenset({_CURRENCY_SIGN[m.group("cur")]}), m.end()
        else:
            units, unit_end = _unit_at(text, m.end())
        if not units:
            continue
        key = (value, frozenset(_UNIT_KIND.get(u, u) for u in units))
        if key in seen:
            continue
        seen.add(key)
        start = m.start() + len(m.group(0)) - len(m.group(0).lstrip(" \t,;:(["))
        out.append(Quantity(value, start, m.end(), unit_end, units, text[start:unit_end].strip()))
    return out


def check_quantities(inp: CheckInput) -> CheckResult:
    """Passes when the rewrite states every quantity of the original (see the module docstring)."""
    if inp.task in FREE_TASKS or not _ANY_DIGIT.search(inp.original):
        return CheckResult(name=NAME, passed=True, reason="n/a (no quantity to hold)")
    original = _temperatures_written(inp.original)
    want = quantities(original)
    if not want:
        return CheckResult(name=NAME, passed=True, reason="n/a (no number with a unit in the original)")
    candidate = _temperatures_written(inp.candidate)
    have = read_facts(candidate).numbers
    approx = approximations(original, candidate)
    converted = converted_quantities(original, candidate)
    theirs = quantities(candidate)
    body = _unmarked(candidate)  # "5." opening a list item states no 5
    mine = {q.value for q in want}
    for q in want:
        if q.value in converted:
            continue
        target = approx.get(q.value, q.value)
        kinds = {_UNIT_KIND.get(u, u) for u in q.units}
        if q.units == {"%"}:
            places = [frozenset({"%"})] if target in have else []  # read_facts reads "20 percent" as 20
        else:
            # each place the rewrite states the value, by its unit; one with another kind's unit ("5 minutes"
            # for "5 oz") does not state it; one with no unit ("240 degrees", "forty") does
            places = [us for us in _units_after(body, target) if not us or {_UNIT_KIND[u] for u in us} & kinds]
            if not places and target in have and not _ANY_DIGIT.search(have[target]):
                places = [frozenset()]  # a number in words the unit reader skipped ("five hundred grams")
        if not places:
            other = next((t.shown for t in theirs if t.value not in mine
                          and {_UNIT_KIND.get(u, u) for u in t.units} & kinds), None)
            return CheckResult(name=NAME, passed=False, reason=(
                f"quantity changed: the original's {q.shown!r} became {other!r} in the rewrite" if other else
                f"quantity dropped: the original's {q.shown!r} is not in the rewrite"))
        if q.units != {"%"} and not any(not us or us & q.units for us in places):
            return CheckResult(name=NAME, passed=False, reason=(
                f"quantity changed: the original's {q.shown!r} is in {sorted(places[0])[0]} in the rewrite"))
    return CheckResult(name=NAME, passed=True, reason=f"all {len(want)} quantities of the original kept")


def make_check(options: VerifyOptions) -> Check:
    return check_quantities
