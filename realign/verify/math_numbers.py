"""Numbers of the math check (`math`): reading them as written (digits with separators, currency and
percent, scale words, number words, LaTeX fractions), the values an answer reading gives
(`NumberMatch`, `FinalAnswer`), comparing two answers and writing a value back.

Values compare exactly as fractions (18 == 18.00, 3/4 == 0.75); a percent may be written as 75% or
0.75; a decimal with >= 2 places may round the reference (0.33 for 1/3). The key-facts readers
(`facts_numbers`, `facts_units`, `facts_answer`) read numbers with the same patterns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from fractions import Fraction
from typing import Iterator


@dataclass(frozen=True)
class NumberMatch:
    value: Fraction
    text: str  # as written, e.g. "$1,234.00"
    percent: bool = False  # written with %, "percent"
    places: int | None = None  # decimal places as written ("18.50" -> 2), None for integers/fractions


@dataclass(frozen=True)
class FinalAnswer:
    """The final answer a text states."""

    value: Fraction
    text: str  # the matched statement, e.g. "**Final answer:** $1,234.00"
    style: str  # "gsm8k", "boxed", "final answer", "the answer is", "answer line", "conclusion",
    #             "bold", "last number", "only number"
    conflicting: bool = False  # several explicit final statements with different values
    values: tuple[Fraction, ...] = ()  # the distinct values of the explicit statements, in order
    percent: bool = False
    places: int | None = None
    start: int = 0  # offset of the statement in the text
    explicit: bool = True  # from an explicit statement (not a fallback)
    statements: tuple[str, ...] = field(default=(), compare=False)  # texts of conflicting statements

    @property
    def number(self) -> NumberMatch:
        return NumberMatch(self.value, self.text, self.percent, self.places)




_NUM = re.compile(
    # the characters a number can start with (a sign, a currency, a space before either, a digit,
    # a point): every other position fails on this one test (numbers are read in every statement)
    r"(?=[-−$€£¥₹ .\d])"
    r"(?<![\w.])"
    r"(?P<sign>[-−](?=[ ]?[$€£¥₹]?[ ]?[.\d]))?[ ]?"
    r"(?P<cur>[$€£¥₹](?=[ ]?-?[.\d]))?[ ]?"
    r"(?P<sign2>-(?=[.\d]))?"
    r"(?:(?P<whole>\d+)[ ](?=\d+/\d))?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?![\d,])(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?:/(?P<den>\d+)(?![\d.]))?"
    r"(?P<mult>[ ]?(?:thousand|million|billion)\b)?"
    r"(?P<pct>[ ]?(?:%|\\%|percent\b|per[ ]cent\b))?",
    re.I,
)
# A search for `_NUM` enters the pattern at every position of the text (it opens with a lookahead,
# so the regex engine has no first character to skip to); a search for one digit skips in C. Every
# match of `_NUM` has its first digit at most NUMBER_LEAD characters after its start (a sign, a
# space, a currency, a space, a second sign, a point; one each at most), with only those lead
# characters between them. Over a whole GSM8K solution (645 characters) starting from the digits
# costs 436k instructions against the plain scan's 545k (valgrind).
NUMBER_LEAD = 6
_NUM_LEADS = frozenset("-−$€£¥₹ .")
_DIGIT = re.compile(r"\d")
_DIGITS = re.compile(r"\d+")


def num_matches(text: str, pos: int = 0) -> Iterator[re.Match[str]]:
    """The matches of `_NUM.finditer(text, pos)`, in order, for a long text (a whole answer or
    question; on a statement of 20 characters it costs about 25% more than the plain scan).

    Found from the digits: for each next digit, `_NUM` is tried from the start of the run of lead
    characters before it (within NUMBER_LEAD), one position after another, as the search would; a
    digit that starts no number skips its run of digits (no number starts right after a digit: the
    pattern's lookbehind)."""
    digit, match, leads = _DIGIT.search, _NUM.match, _NUM_LEADS
    while (d := digit(text, pos)) is not None:
        at = d.start()
        start, low = at, max(pos, at - NUMBER_LEAD)
        while start > low and text[start - 1] in leads:
            start -= 1
        for p in range(start, at + 1):
            m = match(text, p)
            if m is not None:
                yield m
                pos = m.end()
                break
        else:
            pos = _DIGITS.match(text, at).end()


_MULT = {"thousand": 1000, "million": 10**6, "billion": 10**9}
_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_WORD_NUM = re.compile(
    r"\b(?P<neg>negative |minus )?(?P<w>(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
    r"(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?|zero|one|two|three|four|five|six|seven|"
    r"eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)\b",
    re.I,
)
_BINARY_BEFORE = re.compile(r"[\d)\]}%]")


@lru_cache(maxsize=4096)  # the same few numbers recur in every solution
def _magnitude(raw: str, den: str | None, whole: str | None, mult: str | None) -> tuple[Fraction, int | None] | None:
    """The unsigned value of a number as written, and its decimal places."""
    plain = raw.replace(",", "") if "," in raw else raw
    dot = plain.find(".")
    if dot < 0:
        value = Fraction(int(plain))
        places = None
    else:
        places = len(plain) - dot - 1
        value = Fraction(int(plain[:dot] + plain[dot + 1 :]), 10**places)
    if den:
        d = int(den)
        if d == 0:
            return None
        value = value / d
        places = None
    if whole:
        value = int(whole) + value
    if mult:
        value *= _MULT[mult.strip().lower()]
        places = None
    return value, places


def _to_number(m: re.Match[str], text: str) -> NumberMatch | None:
    # _NUM's groups by position (a name lookup each cost more); a match of another pattern by name
    sign, cur, sign2, whole, raw, den, mult, pct = (
        m.groups() if m.re is _NUM else m.group("sign", "cur", "sign2", "whole", "num", "den", "mult", "pct"))
    neg = bool(sign or sign2)
    if sign and not sign2:
        # "16 - 3" is a subtraction, not -3: look at what precedes the sign
        j = m.start() - 1
        while j >= 0 and text[j] == " ":
            j -= 1
        if j >= 0 and _BINARY_BEFORE.match(text[j]):
            neg = False
    parsed = _magnitude(raw, den, whole, mult)
    if parsed is None:
        return None
    value, places = parsed
    if neg:
        value = -value
    if sign2:
        start = m.start("cur") if cur else m.start("sign2")
    else:
        start = m.start("sign") if sign and neg else m.start("cur") if cur else m.start("num")
    return NumberMatch(value, text[start : m.end()].strip(), bool(pct), places)


def parse_number(text: str) -> NumberMatch | None:
    """The first number written in `text` (digits, LaTeX fraction or a number word)."""
    text = _normalize_latex(text)
    for m in _NUM.finditer(text):
        n = _to_number(m, text)
        if n is not None:
            return n
    w = _WORD_NUM.search(text)
    if w:
        return _word_number(w)
    return None


def _word_number(w: re.Match[str]) -> NumberMatch:
    word = w.group("w").lower()
    parts = re.split(r"[- ]", word)
    val = _TENS.get(parts[0], _WORDS.get(parts[0], 0))
    if len(parts) > 1:
        val += _WORDS[parts[1]]
    if w.group("neg"):
        val = -val
    return NumberMatch(Fraction(val), w.group(0))


_LATEX_FRAC = re.compile(r"(-?)\\[dt]?frac\s*\{\s*(-?[\d.,]+)\s*\}\s*\{\s*([\d.,]+)\s*\}|(-?)\\[dt]?frac\s*(\d)\s*(\d)")
_LATEX_TEXT = re.compile(r"\\(?:text|mathrm|textbf|mathbf|operatorname)\s*\{([^{}]*)\}")
_LATEX_DROP = re.compile(r"\\[,;!: ]|\\left|\\right|\\quad|\\qquad|\^\s*\{?\\circ\}?|\\\$|\$")


def _frac_sub(m: re.Match[str]) -> str:
    if m.group(2) is not None:
        sign = "-" if (m.group(1) or m.group(2).startswith("-")) and not (m.group(1) and m.group(2).startswith("-")) else ""
        return f" {sign}{m.group(2).lstrip('-').replace(',', '')}/{m.group(3).replace(',', '')} "
    return f" {m.group(4)}{m.group(5)}/{m.group(6)} "


def _normalize_latex(s: str) -> str:
    if "\\" not in s and "$" not in s and "{,}" not in s:
        return s
    if "{,}" in s:
        s = s.replace("{,}", ",")
    if "\\" not in s:
        return s.replace("$", "")  # without a backslash only _LATEX_DROP's bare "$" can match
    s = _LATEX_FRAC.sub(_frac_sub, s)
    s = _LATEX_TEXT.sub(r" \1 ", s)
    s = s.replace("\\times", "×").replace("\\cdot", "·").replace("\\div", "÷").replace("\\%", "%")
    s = _LATEX_DROP.sub(lambda m: "$" if m.group(0) == "\\$" else " " if m.group(0) != "$" else "", s)
    return s


def _all_numbers(text: str) -> list[tuple[re.Match[str], NumberMatch]]:
    return [(m, n) for m in num_matches(text) if (n := _to_number(m, text)) is not None]


def _rounds_to(exact: Fraction, shown: Fraction, places: int | None, min_places: int) -> bool:
    if not min_places or places is None or places < min_places:
        return False
    scale = 10**places
    # round half away from zero
    q = abs(exact) * scale
    r = int(q + Fraction(1, 2))
    r = r if exact >= 0 else -r
    return Fraction(r, scale) == shown


def same_answer(
    ref: NumberMatch | FinalAnswer, cand: NumberMatch | FinalAnswer, *, percent_question: bool = False, round_places: int = 2
) -> bool:
    """Whether `cand` states the same value as `ref` (exact; percent forms; rounding).

    Percent forms: "75%" and 0.75 are the same when either side is written with a percent sign;
    when the question asks for a percent, a bare 0.75 stands for the reference 75 (never the
    other way round: 7,500 is not 75%)."""
    a, b = ref.value, cand.value
    if a == b:
        return True
    options = []
    if cand.percent and not ref.percent:
        options.append((a, b / 100))
    if ref.percent and not cand.percent:
        options.append((a / 100, b))
    if percent_question and not cand.percent and abs(b) <= 1 and b != 0:
        options.append((a, b * 100))
    if percent_question and not ref.percent and abs(a) <= 1 and a != 0:
        options.append((a * 100, b))
    options.insert(0, (a, b))
    for x, y in options:
        if x == y:
            return True
        if _rounds_to(x, y, cand.places, round_places) or _rounds_to(y, x, ref.places, round_places):
            return True
    return False


def format_value(v: Fraction) -> str:
    if v.denominator == 1:
        return str(v.numerator)
    d = v.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    if d == 1:  # terminating decimal
        s = f"{float(v):.10f}".rstrip("0").rstrip(".")
        return s
    return f"{v.numerator}/{v.denominator}"
