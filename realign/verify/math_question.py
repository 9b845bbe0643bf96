"""What a question asks of a numeric answer, for the math and key-facts checks: a percent ("what
percent ..."), a unit scale ("in USD millions": "$1,577 million" and "$1,577,000,000" are then the bare
1577, `in_question_scale`) and decimal places ("Round your answer to two decimal places",
`places_asked`). Apart from the answer readers because it reads the question, not the answer.
"""

from __future__ import annotations

import re
from functools import lru_cache

from realign.verify.base import CheckInput
from realign.verify.math_numbers import _MULT, _to_number, format_value, num_matches


_ASKS_PERCENT = re.compile(
    # (the lookahead: the first letters a match can start with, so other positions fail at once)
    r"(?=[whbpai%])"
    r"(?:\b(?:what|which|how many|how much|by how much|by what)\b[^.?!\n]{0,80}?\b(?:percent(?:age)?s?|per cent|%)"
    r"|\b(?:percent(?:age)?|per cent)[ \t]+(?:of|is|was|did|does|do|has|have|are|were|will)\b[^.!\n]{0,120}\?"
    r"|\b(?:as|in|into)[ \t]+(?:a[ \t]+)?percent(?:age)?s?\b"
    r"|%[ \t]*\?)",
    re.I,
)


@lru_cache(maxsize=256)
def asks_percent(question: str) -> bool:
    """Whether the question asks for a percent ("What percent of ...?", "... as a percentage"),
    not merely mentions one ("She gets a 10% discount. How much does she pay?")."""
    if not question:
        return False
    low = question.lower()
    if "%" not in question and "percent" not in low and "per cent" not in low:
        return False  # every way of asking names "%", "percent" or "per cent"
    return bool(_ASKS_PERCENT.search(question))


# A unit scale the question states ("in USD millions", "(in thousands)", "Answer in billions", "in
# millions of dollars"): the answer is a count of that unit, so a bare "1577" and "$1,577 million"
# are one value. Without such a question "1577" and "1,577 million" stay different numbers.
_STATED_SCALE = re.compile(
    r"\bin[ \t]+(?:(?:units[ \t]+of|terms[ \t]+of)[ \t]+)?(?:(?:usd|us\$|\$|us[ \t]+dollars?|dollars?|eur|euros?|gbp)[ \t]+)?"
    r"(thousands|millions|billions)\b"
    r"|\((?:[ \t]*(?:in|usd|us\$|\$|eur|gbp)[ \t]*)*(thousands|millions|billions)[ \t]*\)",
    re.I,
)


@lru_cache(maxsize=256)
def stated_scale(question: str) -> int | None:
    """The unit scale the question asks the answer in (10**6 for "in USD millions"), else None; one
    scale only (a question naming two has no single unit)."""
    if not question or not any(w in question.lower() for w in ("thousands", "millions", "billions")):
        return None
    found = {next(g for g in m.groups() if g).lower() for m in _STATED_SCALE.finditer(question)}
    if len(found) != 1:
        return None
    return _MULT[found.pop()[:-1]]


def in_question_scale(inp: CheckInput) -> CheckInput:
    """`inp` with the original's, rewrite's, conversation's and evidence's numbers in the unit
    the question states (`in_stated_scale`, `_full_amounts_in_scale`); `inp` itself when it states none."""
    scale = stated_scale(inp.instruction)
    if scale is None:
        return inp
    full = scale >= _FULL_AMOUNT_MIN_SCALE and any(c in inp.candidate for c in "$€£")
    return inp.model_copy(update={f: _full_amounts_in_scale(in_stated_scale(getattr(inp, f), scale), scale) if full
                                  else in_stated_scale(getattr(inp, f), scale)
                                  for f in ("original", "candidate", "context", "evidence")})


# A question "in USD millions" answered with the amount written out in dollars ("$381,603,000" for
# "382"): a currency amount of at least one unit of the scale, with no scale word, is restated in that
# unit ("$381.603"), so it is compared at the original's precision. Only for millions and billions: under
# "in thousands" a table's "$12,500" is itself a count of thousands.
_FULL_AMOUNT_MIN_SCALE = 10**6


def _full_amounts_in_scale(text: str, scale: int) -> str:
    out: list[str] = []
    at = 0
    for m in num_matches(text):
        if m.group("cur") is None or m.group("mult") or m.group("pct") or m.group("den"):
            continue
        n = _to_number(m, text)
        if n is None or abs(n.value) < scale:
            continue
        out += [text[at : m.start("num")], format_value(abs(n.value) / scale)]
        at = m.end("num")
    return "".join(out) + text[at:] if out else text


# The precision a question asks for: "Round your answer to two decimal places", "to one decimal place".
_PLACES_ASKED = re.compile(r"\b(one|two|three|four|[1-4])[ \t]+decimal[ \t]+places?\b", re.I)
_PLACE_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4}


@lru_cache(maxsize=256)
def places_asked(instruction: str) -> int | None:
    """The decimal places the question asks the answer in, when it names one count only."""
    if "decimal" not in instruction:
        return None
    found = {_PLACE_WORDS.get(m.group(1).lower()) or int(m.group(1)) for m in _PLACES_ASKED.finditer(instruction)}
    return found.pop() if len(found) == 1 else None


def in_stated_scale(text: str, scale: int | None) -> str:
    """`text` with every number written with a scale word restated in the question's unit:
    "$1,577 million" -> "$1577", "$1.58 billion" -> "$1580" when the question asks in millions."""
    if not scale or not any(w in text.lower() for w in _MULT):
        return text
    out: list[str] = []
    at = 0
    for m in num_matches(text):
        if not m.group("mult"):
            continue
        n = _to_number(m, text)
        if n is None:
            continue
        start = m.start("num") if not m.group("whole") else m.start("whole")
        out.append(text[at:start])
        out.append(format_value(abs(n.value) / scale))
        end = m.end("mult")
        out.append(text[end : m.end()])  # a percent sign after it, if any
        at = m.end()
    if not out:
        return text
    out.append(text[at:])
    return "".join(out)
