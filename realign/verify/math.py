"""Math final answer: the rewrite must state the same final answer as the original.

The reference answer is read from the original by explicit statements only: a GSM8K
`#### N` line, `\\boxed{...}`, "The answer is ...", "Final answer: ...", an `Answer:` line; an
original that is just a short answer with a single number also counts. Without any of these the
check does not apply (a guessed reference would reject good rewrites).

The rewrite's final answer is read with `extract_final_answer`, which knows the styles models
write ("**Final answer:** 1,234", "The answer is $1,234.00", `\\boxed{\\frac{3}{4}}`, "75%",
"-5", "18 eggs", "#### 18"). Explicit statements win; when there are none, a concluding sentence
("So she makes $18 a day."), then a bold number in the last paragraph, then the last number in
the text are fallbacks, in that order. Values compare exactly as fractions (18 == 18.00,
3/4 == 0.75); a percent may be written as 75% or 0.75; a decimal with >= 2 places may round
the reference (0.33 for 1/3). A rewrite that states two different final answers fails; the same
value written beside it in another form ("0.54 or 54%", "17.98, or rounded, 18.00") is one answer.
A unit scale the question states ("in USD millions") makes "$1,577 million" and "$1,577,000,000" the bare
1577; without one they are different numbers. Such a scale, or decimal places the question asks for
("Round your answer to two decimal places"), also fixes the original's precision: "$8.738 billion"
keeps "8.7" in billions, 79.82% keeps "0.8" to two places (elsewhere 18.4 is no 18). A value stated first and then worked out ("0.68 (5,121.3 /
7,491.5)", "1.73. This is calculated by dividing ...") is read as the answer, not the last operand.
The forms real model outputs take are read as such: a JSON ``"answer": "18"`` field is an answer
line; GSM8K calculator notes (``<<9*2=18>>``) are ignored, the visible text states the values; an
"Answer:" that lists several quantities ("A has 160, B 80 and C 20") is a breakdown, not the
answer, and the conclusion after it ("Total: 160 + 80 + 20 = 260") is. An answer statement with
several numbers gives the one in the unit the question asks for, else one the question does not
give; clock times are not quantities; an "Answer:" section that opens with an unresolved equation
("x = y + 30") or with a number in another unit ("30 pages" for "how many hours") is read down its
next lines to the value.

>>> a = extract_final_answer("So 9 * 2 = 18.\\n\\n**Final answer:** $1,234.00 (rounded)")
>>> a.value, a.style
(Fraction(1234, 1), 'final answer')
>>> gsm8k_reference("16 - 3 - 4 = 9\\n#### 18")
Fraction(18, 1)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from fractions import Fraction
from typing import Iterator

from realign.records import CheckResult
from realign.verify.base import Check, CheckInput
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


# --- numbers ---------------------------------------------------------------------------------

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


# --- final-answer statements -------------------------------------------------------------------

# Cue scanning is two-stage for speed: a cheap scan for the literal heads, then an anchored
# match of the full cue at each hit.
_CUE_HEAD = re.compile(r"####|\\(?:boxed|fbox)|final|answer|^[ \t>*_]*A(?=(?:\*\*|__)?[ \t]*:)", re.I | re.M)
_CUE_AT = {
    "#": re.compile(r"####[ \t]*"),
    "\\": re.compile(r"\\(?:boxed|fbox)[ \t]*\{"),
    "f": re.compile(r"final[ \t]+(?:answer|result)\b(?:[ \t]*\**[ \t]*(?:is\b|=|:|-|would be\b|will be\b))?", re.I),
    "a": re.compile(
        r"(?P<answer_is>answer(?:[ \t]+to[ \t]+(?:the|this)[ \t]+(?:question|problem))?[ \t]+"
        r"(?:is|would be|will be|should be|comes to|equals|=)(?!\w))"
        r"|(?P<answer_line>answer(?:\*\*|__|\")?[ \t]*[:=])",  # 'Answer:', '**Answer:**', JSON '"answer": "18"'
        re.I,
    ),
}
_CUE_KIND = {"#": "gsm8k", "\\": "boxed", "f": "final"}
# "A: 36" closing a "Q: ... A: ..." exchange (a few-shot habit of small models); only at a line start
_A_LINE = re.compile(r"[ \t>*_]*A(?:\*\*|__)?[ \t]*:", re.M)


_CUE_LITERALS = ("####", "\\boxed", "\\fbox", "final", "answer")


def _cue_heads(text: str) -> list[int]:
    """Where `_CUE_HEAD` matches, found with str.find (the regex scan of every position was the
    cost of reading a text): the literal heads in a lower-cased copy, and "A:" at a line start
    found back from each ':'."""
    low = text.lower()
    if len(low) != len(text):  # a character whose lower case is longer: offsets would shift
        return [h.start() for h in _CUE_HEAD.finditer(text)]
    out: list[int] = []
    for lit in _CUE_LITERALS:
        i = low.find(lit)
        while i >= 0:
            out.append(i)
            i = low.find(lit, i + len(lit))
    i = text.find(":")
    while i >= 0:
        j = i - 1
        while j >= 0 and text[j] in " \t":
            j -= 1
        if j >= 1 and text[j - 1 : j + 1] in ("**", "__"):
            if j >= 2 and text[j - 2] in "Aa":
                j -= 2
        if j >= 0 and text[j] in "Aa":
            k = j - 1
            while k >= 0 and text[k] in " \t>*_":
                k -= 1
            if k < 0 or text[k] == "\n":
                out.append(k + 1)
        i = text.find(":", i + 1)
    out.sort()
    return out


def _cues(text: str) -> Iterator[tuple[str, int, int]]:
    """(kind, start, end) of each final-answer cue in `text`."""
    for p in _cue_heads(text):
        c = text[p].lower()
        if c in " \t>*_" or (c == "a" and text[p] == "A" and text[p + 1 : p + 2] in (":", " ", "\t", "*", "_")):
            m = _A_LINE.match(text, p)
            if m is not None and (p == 0 or text[p - 1] == "\n"):
                yield "a_line", p, m.end()
                continue
            if c != "a":
                continue
        if c != "#" and c != "\\" and p > 0 and (text[p - 1].isalnum() or text[p - 1] == "_"):
            continue
        m = _CUE_AT[c].match(text, p)
        if m is None:
            continue
        if c == "#":
            ls = text.rfind("\n", 0, p) + 1
            if text[ls:p].strip(" \t"):
                continue
            yield "gsm8k", p, m.end()
        elif c == "a":
            yield m.lastgroup or "answer_line", p, m.end()
        else:
            yield _CUE_KIND[c], p, m.end()


_STYLE = {
    "gsm8k": "gsm8k",
    "boxed": "boxed",
    "final": "final answer",
    "answer_is": "the answer is",
    "answer_line": "answer line",
    "a_line": "A: line",
}
_LEAD = re.compile(
    r"(?:[\s*_#:=>–—]|-(?![\d$.€£¥₹]))*(?:is\b|would be\b|will be\b|equals\b|of\b)?(?:[\s*_:=>]|-(?![\d$.€£¥₹]))*",
    re.I,
)
_SENT_END = re.compile(r"\.(?=\s|$)(?<!\d\.)|[!?;\n]|\.\s")
_EXPR_HEAD = re.compile(r"^[\s\d.,$€£¥₹%+\-−*/×x÷·()^]*=", re.I)


def _boxed_content(text: str, open_end: int) -> tuple[str, int]:
    """Content of a \\boxed{ whose '{' ends at open_end; and the index after the closing brace."""
    depth = 1
    i = open_end
    n = len(text)
    while i < n:
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return text[open_end:i], i + 1
        i += 1
    return text[open_end : open_end + 200], n


def _segment_after(text: str, pos: int) -> tuple[str, int]:
    """The statement that follows a cue: the rest of its line (or the next non-blank line when the
    cue ends its line), up to the end of the sentence; and the segment's start offset."""
    n = len(text)
    m = _LEAD.match(text, pos)
    start = m.end() if m else pos
    # a cue that ends its line ("**Final answer**\n\n$18$"): the statement is on the next line
    while start < n and text[start] == "\n":
        start += 1
        m = _LEAD.match(text, start)
        start = m.end() if m else start
    end = text.find("\n", start)
    if end < 0:
        end = n
    end = min(end, start + 240)
    seg = text[start:end]
    return seg, start


@lru_cache(maxsize=64)  # each statement is cut by the reader, the hedge, breakdown and shown-text steps
def _cut_sentence(seg: str) -> str:
    # the sentence ends at ". " / "!" / "?" / ";" (a decimal point "18.5" is not an end)
    for m in _SENT_END.finditer(seg):
        if m.start() > 0:
            return seg[: m.start()]
    return seg


# A number written right after a negation is denied, not stated: "not 18", "isn't 18", "rather
# than 18", "instead of 18" ("The answer is not 18, it is 20"; "20, not 18").
_NEG_BEFORE = re.compile(
    r"(?:\bnot|n't|\bnever|\bno longer|\brather than|\binstead of|\bother than|\bunlike)"
    r"[ \t]*(?:(?:equal to|equals?|exactly|quite|just|simply|the|a|an|be)[ \t]+){0,2}[ \t*_\"'“(]*[$€£¥₹]?[ \t]*$",
    re.I,
)
_NOT_ONLY = re.compile(r"\bnot[ \t]+(?:only|just|merely)[ \t]*$", re.I)
# Every negation _NEG_BEFORE reads holds one of these lower-case pieces (none with an "i" or "s":
# IGNORECASE also matches those to "ı" / "ſ", which lower() leaves apart). The text before a number
# rarely holds one, and this plain scan costs a tenth of _NEG_BEFORE's.
_NEG_HINT = re.compile(r"n(?:o|'t|ever)|rather|tead|other|unl")


def _denies(before: str) -> bool:
    """Whether `before` ends with a negation of the number that follows it (`_NEG_BEFORE`)."""
    return _NEG_HINT.search(before.lower()) is not None and _NEG_BEFORE.search(before) is not None


_CLOCK_AFTER = re.compile(r":\d\d(?!\d)")


def _clock(seg: str, m: re.Match[str]) -> bool:
    """Whether the number is a part of a clock time ("from 1:00 PM to 5:00 PM"): a time of day
    is when something happens, not a quantity the answer states."""
    at, end = m.start("num"), m.end()
    if _CLOCK_AFTER.match(seg, end) and len(m.group("num")) <= 2:
        return True
    return at >= 2 and seg[at - 1] == ":" and seg[at - 2].isdigit() and len(m.group("num")) == 2


def _number_spans(seg: str) -> list[tuple[NumberMatch, bool, int, int]]:
    """(number, negated, start, end) for every number written in `seg` (already LaTeX-normalised)."""
    out: list[tuple[NumberMatch, bool, int, int]] = []
    colon = ":" in seg
    for m in _NUM.finditer(seg):
        n = _to_number(m, seg)
        if n is None or (colon and _clock(seg, m)):
            continue
        before = seg[max(0, m.start() - 40) : m.start()]
        neg = _denies(before) and not _NOT_ONLY.search(before)
        out.append((n, neg, m.start(), m.end()))
    return out


def _numbers(seg: str) -> list[tuple[NumberMatch, bool, int]]:
    """(number, negated, offset) for every number written in `seg` (already LaTeX-normalised)."""
    return [(n, neg, at) for n, neg, at, _ in _number_spans(seg)]


_COPULA = re.compile(r"\b(?:is|are|was|were|will be|would be|equals|comes to|come to|totals?|makes|gives)\b", re.I)

# The unit a question asks its answer in: "(in miles per hour)", "... in seconds?", "how many
# slices ...", or money for "how much ... $". Used only to tell apart several numbers of one
# answer statement.
# (each led by the letters it can start with: the scan of a question then fails at once elsewhere)
_UNIT_IN = re.compile(r"(?=[(i])(?:\(\s*in ([a-z]+(?:[ -]per[ -][a-z]+)?)\s*\)|\bin ([a-z]+(?: per [a-z]+)?)\s*\?\s*$)",
                      re.I)
_HOW_MANY = re.compile(r"(?=h)\bhow many ((?:[a-z]+ ){0,3}?)([a-z]+)\b", re.I)
_HOW_MUCH_MONEY = re.compile(r"(?=h)\bhow much\b", re.I)
_MODIFIERS = frozenset("more fewer less extra additional total different whole full new other of the his her their its "
                       "in all".split())
_NOT_UNITS = frozenset("do does did will would can could is are was were has have had should must times per there "
                       "it they he she we you".split())
_MONEY_AFTER = re.compile(r"[ \t]*(?:dollars?|usd)\b", re.I)


_WORDS_AFTER = re.compile(r"[ \t]*([A-Za-z'-]+)(?:[ \t/]+([A-Za-z'-]+))?(?:[ \t/]+([A-Za-z'-]+))?")


def _stem(word: str) -> str:
    return word[: max(3, len(word) - 2)]


@lru_cache(maxsize=256)
def _asked_unit(question: str) -> tuple[str, tuple[str, ...]] | None:
    """The unit a question asks for: ("phrase", stems) for "(in miles per hour)" / "in seconds?",
    ("noun", (stem,)) for "how many slices", ("money", ()) for "how much ... $", or None."""
    m = _UNIT_IN.search(question)
    if m:
        words = (m.group(1) or m.group(2)).lower().replace("-", " ").split()
        if words[0] not in _NOT_UNITS and words[0] not in ("a", "an", "the", "total", "all"):
            return "phrase", tuple(_stem(w) for w in words)
    m = _HOW_MANY.search(question)
    if m:
        words = (m.group(1) + m.group(2)).lower().split()
        noun = next((w for w in words if w not in _MODIFIERS), "")
        return ("noun", (_stem(noun),)) if noun and noun not in _NOT_UNITS else None
    if _HOW_MUCH_MONEY.search(question) and ("$" in question or "dollar" in question.lower()):
        return "money", ()
    return None


def _in_asked_unit(question: str, seg: str, n: NumberMatch, end: int) -> bool:
    unit = _asked_unit(question)
    if unit is None:
        return False
    kind, stems = unit
    if kind == "money":
        return any(c in n.text for c in "$€£¥₹") or bool(_MONEY_AFTER.match(seg, end))
    m = _WORDS_AFTER.match(seg, end)
    if m is None:
        return False
    after = [w.lower() for w in m.groups() if w]
    if kind == "noun":
        return any(w.startswith(stems[0]) for w in after)  # "31 slices", "18 pink flamingos"
    return len(after) >= len(stems) and all(w.startswith(st) for w, st in zip(after, stems))


def _restates_question(seg: str, span: tuple[NumberMatch, bool, int, int], question: str) -> bool:
    """Whether the number at `span` is followed by the word that follows the same number in the
    question ("8 pens" in the statement and in "How much will 8 pens cost?")."""
    n, neg, _, end = span
    m = _WORDS_AFTER.match(seg, end)
    if neg or m is None:
        return False
    stem = _stem(m.group(1).lower())
    q = _normalize_latex(question).lower()
    return re.search(rf"(?<![\d.,]){re.escape(n.text.lower())}[ \t]+{re.escape(stem)}", q) is not None


def _value_of_statement(seg: str, question: str = "") -> tuple[NumberMatch | None, list[NumberMatch]]:
    """(the value a final-answer statement asserts, the values it denies) for the text after a
    cue: "18" -> 18; "9 x 2 = 18" -> 18; "not 18, it is 20" -> 20, denies 18. With several
    numbers and no result or verb to tell, the one in the unit the question asks for ("the
    remaining 6 miles at 3 miles per hour" for a speed "in miles per hour" -> 3), else the first
    one the question does not already give ("After 60 days, she spends $16" -> 16)."""
    seg = _normalize_latex(seg)
    if "\\boxed" in seg:
        return None, []  # the boxed cue reports it
    seg = _cut_sentence(seg)
    spans = _number_spans(seg)
    denied = [n for n, neg, _, _ in spans if neg]
    said = [(n, at) for n, neg, at, _ in spans if not neg]
    several = len({n.value for n, _ in said}) > 1

    def in_unit() -> NumberMatch | None:
        """The one number in the unit the question asks for, when the statement has several."""
        if not (several and question):
            return None
        unit = [n for n, neg, _, end in spans if not neg and _in_asked_unit(question, seg, n, end)]
        return unit[0] if len({n.value for n in unit}) == 1 else None

    # a statement that opens with its number says it first: "18 apples, which is 2 more"; unless
    # that number is the subject: another one carries the asked unit ("5 hours, that is 300
    # minutes" for "how many minutes"), or it restates the question's own quantity ("8 pens will
    # cost $12.00" for "how much will 8 pens cost?")
    if said and not _EXPR_HEAD.match(seg) and not seg[: said[0][1]].strip(" \t*_$€£¥₹(:-\"'"):
        if not (several and question):
            return said[0][0], denied
        asked = in_unit()
        if asked is not None and asked.value != said[0][0].value:
            return asked, denied
        first = next(sp for sp in spans if sp[2] == said[0][1])
        if not _restates_question(seg, first, question):
            return said[0][0], denied
    # "9 x 2 = 18", "Total = 175 + 140 + 280 = 595": the result after the last '='
    if "=" in seg:
        last_eq = seg.rfind("=")
        after = [n for n, at in said if at > last_eq]
        if after:
            return after[0], denied
    asked = in_unit()
    if asked is not None:
        return asked, denied
    # "Charlie's net profit from 20 candles is $30.00": the number after the verb
    verb = _COPULA.search(seg)
    if verb is not None:
        after = [n for n, at in said if at >= verb.end()]
        if after:
            return after[0], denied
    if several and question:
        given = _question_values(question)
        new_ = [n for n, _ in said if n.value not in given]
        if new_:
            return new_[0], denied
    if said:
        return said[0][0], denied
    if not spans:
        w = _WORD_NUM.match(seg.strip())
        if w:
            return _word_number(w), []
    return None, denied


_HEDGE = re.compile(
    r"\b(?:or|and/or|between\b[^.\n]*?\band|to)\s+(?:maybe\s+|possibly\s+|perhaps\s+|even\s+|about\s+|around\s+)?",
    re.I,
)


# the end of a range's first number before "to": "72 to 74", "72 pages to 74"; not across punctuation
_RANGE_FROM = re.compile(r"\d[^\d,;:()\n]{0,12}$")


def _alternative(seg: str, first: NumberMatch) -> NumberMatch | None:
    """A second number offered in the same final-answer sentence ("72 or 74", "between 70 and
    74", "72 to 74"), or None. The same number repeated ("18, or 18 apples") is not an
    alternative, and "or" after a full stop of the statement is not read."""
    sentence = _normalize_latex(_cut_sentence(seg))
    for m in _HEDGE.finditer(sentence):
        if m.group(0).lower().startswith("to") and not _RANGE_FROM.search(sentence, 0, m.start()):
            continue  # "to" hedges only right after a number ("72 to 74"), not "comes to 72" or "4 hours, to dig 30"
        for nm in _NUM.finditer(sentence, m.end()):
            n = _to_number(nm, sentence)
            if nm.start() - m.end() > 20 or _clock(sentence, nm):
                break  # far away, or a time of day ("from 1:00 PM to 5:00 PM")
            if n is not None and n.value != first.value:
                before = sentence[max(0, nm.start() - 40) : nm.start()]
                if _denies(before):
                    return None
                return n
            break
    return None


def _boxed_value(content: str) -> NumberMatch | None:
    content = _normalize_latex(content)
    if "=" in content:
        content = content[content.rfind("=") + 1 :]
    for m in _NUM.finditer(content):
        n = _to_number(m, content)
        if n is not None:
            return n
    return None


def _asks(seg: str) -> bool:
    """Whether the statement after a cue is a question (least-to-most prompting writes "Final
    Answer: <the question>" and answers on the next line)."""
    for m in _SENT_END.finditer(seg):
        if m.start() > 0:
            return seg[m.start()] == "?"
    return False


_PARENS = re.compile(r"\([^()]*\)")
_NOT_BREAKDOWN = re.compile(r"=|\b(?:or|between|either|maybe|possibly|perhaps|approximately|about)\b", re.I)
BREAKDOWN_VALUES = 3
_DIGIT_RUNS = re.compile(r"\d+")


def _is_breakdown(seg: str) -> bool:
    """Whether an answer statement lists several quantities ("Toulouse has 160 sheep, Charleston
    80 and Seattle 20") instead of giving one value: a breakdown, as Plan-and-Solve style "Answer:"
    sections write before the total. It asserts no single answer; the text's conclusion does.
    A hedge ("18 or 20") and a calculation ("2 + 1 = 3") are not breakdowns."""
    sentence = _cut_sentence(_normalize_latex(seg))
    if len(_DIGIT_RUNS.findall(sentence)) < BREAKDOWN_VALUES:
        return False  # each number holds a run of digits of its own: too few runs, too few values
    if _NOT_BREAKDOWN.search(sentence):
        return False
    # "a total of 30 apples (10 for Jenna and 20 for her mom)": the parts in brackets explain the
    # one value outside them
    if "(" in sentence:
        sentence = _PARENS.sub(" ", sentence)
    values = {n.value for n, neg, _ in _numbers(sentence) if not neg}
    return len(values) >= BREAKDOWN_VALUES


@dataclass(frozen=True)
class _Statement:
    style: str
    number: NumberMatch
    start: int
    text: str
    denied: bool = False  # "the answer is not 18": a statement that rules 18 out


# An equation whose right side is still a calculation or a formula ("x = y + 30", "x = 40 + 30")
# has not reached its value yet; a fraction "3/4" or a negative "-15" is a value.
_OPEN_RHS = re.compile(r"(?:\d|\b[a-z]\b|\))[ \t]*(?:[+*×÷·−]|-|[ \t][x/][ \t])[ \t]*(?:\d|\b[a-z]\b|\(|[$€£¥₹])", re.I)


def _unresolved(seg: str) -> bool:
    sentence = _cut_sentence(_normalize_latex(seg))
    i = sentence.rfind("=")
    if i < 0:
        return False
    rhs = sentence[i + 1 :]
    return bool(_OPEN_RHS.search(rhs)) or not any(c.isdigit() for c in rhs)


RESOLVE_LINES = 6


def _resolved_line(text: str, pos: int) -> tuple[str, int] | None:
    """The first of the next few lines after `pos` that states a resolved value: an "Answer:"
    section that opens with the equation ("x = y + 30") gives its value a few lines down
    ("x = 70")."""
    for _ in range(RESOLVE_LINES):
        nl = text.find("\n", pos)
        if nl < 0:
            return None
        pos = nl + 1
        end = text.find("\n", pos)
        line = text[pos : end if end >= 0 else len(text)]
        if any(c.isdigit() for c in line) and not _unresolved(line):
            lead = _LEAD.match(line)
            off = lead.end() if lead else 0
            return line[off:], pos + off
    return None


_WORD_AFTER = re.compile(r"[ \t]*[A-Za-z]{2,}")
UNIT_BLOCK_LINES = 3


def _unit_line_below(text: str, seg: str, seg_start: int, num: NumberMatch,
                     question: str) -> tuple[str, int, NumberMatch] | None:
    """An "Answer:" section whose first sentence gives a number in another unit than the question
    asks for ("30 pages" for "how many hours") and whose next lines, before a blank line, give one
    value in the asked unit: that value is the answer."""
    if _asked_unit(question) is None:
        return None
    norm = _normalize_latex(_cut_sentence(seg))
    at = norm.find(num.text)
    if at < 0 or not _WORD_AFTER.match(norm, at + len(num.text)) or _in_asked_unit(question, norm, num, at + len(num.text)):
        return None  # a bare number, or one already in the asked unit
    pos = seg_start
    for _ in range(UNIT_BLOCK_LINES):
        nl = text.find("\n", pos)
        if nl < 0 or text.startswith("\n", nl + 1):
            return None  # the section ends at a blank line
        pos = nl + 1
        end = text.find("\n", pos)
        line = _normalize_latex(text[pos : end if end >= 0 else len(text)])
        hits = [n for n, neg, _, e in _number_spans(line) if not neg and _in_asked_unit(question, line, n, e)]
        if hits and len({n.value for n in hits}) == 1:
            return line, pos, hits[0]
    return None


def _explicit_statements(text: str, question: str = "") -> list[_Statement]:
    """Every explicit final-answer statement, in order; denied values as `denied` statements."""
    out: list[_Statement] = []
    skip_until = -1
    for kind, start, end in _cues(text):
        if start < skip_until:
            continue
        if kind == "boxed":
            content, after = _boxed_content(text, end)
            num = _boxed_value(content)
            if num is not None:
                out.append(_Statement("boxed", num, start, text[start:after]))
            continue
        seg, seg_start = _segment_after(text, end)
        if _asks(seg):
            continue  # "Final Answer: How far is he from home after those 4 hours?" restates the question
        if kind != "gsm8k" and "=" in seg and _unresolved(seg):
            nxt = _resolved_line(text, seg_start)
            if nxt is not None:
                seg, seg_start = nxt
        num, denied = _value_of_statement(seg, question)
        if num is not None and kind == "answer_line" and question:
            later = _unit_line_below(text, seg, seg_start, num, question)
            if later is not None:  # "Answer:\nHe writes 30 pages.\nThat is 180 minutes (3 hours)." for "how many hours"
                seg, seg_start, num = later
        shown = (text[start:seg_start] + _cut_sentence(seg)).strip()[:120]
        for d in denied:
            out.append(_Statement(_STYLE[kind], d, start, shown, denied=True))
        if num is None:
            continue
        if kind != "gsm8k" and _is_breakdown(seg):
            continue  # "Answer: A has 160, B has 80 and C has 20": parts of the answer, not the answer
        out.append(_Statement(_STYLE[kind], num, start, shown))
        alt = _alternative(seg, num)
        if alt is not None:  # "the answer is 72 or 74": a hedge states two final answers
            out.append(_Statement(_STYLE[kind], alt, start, shown))
        skip_until = seg_start + 1
    return out


_CONCLUDES = (r"(?:so|therefore|thus|hence|in total|altogether|in all|overall|consequently|that means|this means|"
              r"in conclusion|as a result)\b[^\n.!?]*?\d(?:\.(?=\d)|[^\n.!?])*")
_CONCLUSION = re.compile(r"(?:^|(?<=[.!?:\n])[ \t*_]*)[ \t*_]*" + _CONCLUDES, re.I | re.M)
# The same sentences after the first character of the text: led by the character before the
# sentence, so that the scan jumps from one such character to the next in C instead of testing
# every position (a match of either ends before one of [\n.!?] or at the end, so the character that
# leads the next one is never inside it)
_CONCLUSION_AFTER = re.compile(r"[.!?:\n](?P<c>[ \t*_]*" + _CONCLUDES + ")", re.I)


def _last_conclusion(text: str) -> tuple[int, str] | None:
    """(start, text) of the last match of `_CONCLUSION.finditer(text)`, found with `_CONCLUSION_AFTER`."""
    first = _CONCLUSION.match(text)
    last = (first.start(), first.group(0)) if first is not None else None
    for m in _CONCLUSION_AFTER.finditer(text, first.end() if first is not None else 0):
        last = m.start("c"), m.group("c")
    return last


_BOLD = re.compile(r"\*\*([^*\n]{1,80}?)\*\*")


@lru_cache(maxsize=64)
def _question_values(question: str) -> frozenset[Fraction]:
    if not question:
        return frozenset()
    q = _normalize_latex(question)
    return frozenset(n.value for m in _NUM.finditer(q) if (n := _to_number(m, q)) is not None)


def _sentence_value(sentence: str, question: str = "") -> NumberMatch | None:
    """The value a concluding sentence gives: a bold number, else the result after the last '=',
    else its last number that the question does not already give ("After 3 days she has 12
    apples" -> 12; "He needs 5 more to reach 20" -> 5), else its last number."""
    sentence = _normalize_latex(_cut_sentence_keep(sentence))
    b = _BOLD.search(sentence)
    if b:
        n = parse_number(b.group(1))
        if n is not None:
            return n
    if "=" in sentence:
        n = parse_number(sentence[sentence.rfind("=") + 1 :])
        if n is not None:
            return n
    said = [n for n, neg, _ in _numbers(sentence) if not neg]
    if len(said) <= 1:  # one number is the value whatever the question gives: its numbers are not read
        return said[0] if said else None
    given = _question_values(question)
    return next((n for n in reversed(said) if n.value not in given), said[-1])


# (led by the characters a break starts with: the lookbehind of the first branch made every position a test)
_SENT_BREAK = re.compile(r"(?=[.!?])(?:(?<!\d)\.(?:\s|$)|\.(?=\s+[A-Z])|[!?](?:\s|$))")


def _cut_sentence_keep(s: str) -> str:
    m = _SENT_BREAK.search(s)
    return s[: m.start()] if m else s


def _fallback(text: str, question: str = "") -> FinalAnswer | None:
    # (1) the last concluding sentence (so/therefore/thus/... with a number) and (2) the last bold
    # number of the last paragraph: whichever comes later in the text; else (3) the last number.
    found: list[FinalAnswer] = []
    last_c = _last_conclusion(text)
    if last_c is not None:
        c_start, c_text = last_c
        n = _sentence_value(c_text, question)
        if n is not None:
            found.append(
                FinalAnswer(
                    n.value, _cut_sentence_keep(c_text).strip()[:120], "conclusion", False, (n.value,),
                    n.percent, n.places, c_start, explicit=False,
                )
            )
    stripped = text.rstrip()
    para_start = stripped.rfind("\n\n") + 1
    last_para = stripped[para_start:]
    if "**" in last_para:
        bold = None
        for b in _BOLD.finditer(last_para):
            n = parse_number(b.group(1))
            if n is not None:
                bold = (b, n)
        if bold is not None:
            b, n = bold
            found.append(
                FinalAnswer(
                    n.value, b.group(0), "bold", False, (n.value,), n.percent, n.places, para_start + b.start(),
                    explicit=False,
                )
            )
    # (4) the closing sentence: the last sentence with a number, when it ends the paragraph of
    # the conclusion ("So x = 19.50/0.75. The original price was $26."); a later paragraph
    # ("Let me know if you have 2 more questions") does not overrule a conclusion; read only when
    # there is one to overrule
    closing = _closing_sentence(text, question) if found else None
    if closing is not None:
        best = max(found, key=lambda a: a.start)
        if closing.start > best.start and ("\n\n" not in text[best.start : closing.start]
                                           or _RESULT.search(closing.text)):
            return closing  # a later paragraph overrules only when it concludes: "Total: 1 + 2 = 3"
        return best
    if found:
        return max(found, key=lambda a: a.start)
    norm = _normalize_latex(text)
    # the last number: read from the end of the text (parsing every number of a long solution
    # to keep the last one is the cost of this fallback)
    start = max(0, len(norm) - LAST_NUMBER_WINDOW)
    while start > 0 and not norm[start - 1].isspace() and len(norm) - start < 2 * LAST_NUMBER_WINDOW:
        start -= 1
    nums = _numbers(norm[start:])
    said = [(n, at + start) for n, neg, at in nums if not neg]  # "18, not 20": 20 is denied, not stated
    if not said and start:
        nums, start = _numbers(norm), 0
        said = [(n, at) for n, neg, at in nums if not neg]
    if not said:
        return None
    n, at = said[-1]
    if len(said) > 1 and _working_hint(norm, max(0, at - 400)):
        # value first, then how it was found: "0.68 (5,121.3 / 7,491.5)", "1.73. This is calculated
        # by dividing ... ($1,001,425) by ... ($577,464)": the working's operands are not the answer
        stated = [(x, a) for x, a in said if not _in_working(norm, a)]
        if stated and stated[-1][1] != at:
            n, at = stated[-1]
    only = len(nums) == 1 and not _DIGIT.search(norm, 0, start)
    style = "only number" if only else "last number"
    return FinalAnswer(n.value, n.text, style, False, (n.value,), n.percent, n.places, at, explicit=False)


LAST_NUMBER_WINDOW = 300
# How a value was found, written after it: a parenthesised calculation (`_working_hint`) or a
# sentence that describes the calculation ("This is calculated by dividing ...").
_WORKING_WORDS = re.compile(r"\b(?:calculated|computed|derived|obtained)[ \t]+(?:by|as|from|using)\b|\bby[ \t]+dividing\b",
                            re.I)
_BRACKET = re.compile(r"\(([^()\n]*)\)")


def _working_hint(text: str, pos: int) -> bool:
    """Whether a bracket at or after `pos` holds a calculation (a digit, then one of / ÷ × * +, then a
    digit, on one line) or a sentence from there describes one (`_WORKING_WORDS`). Read bracket by
    bracket: one regex for the bracket tried every split of a long bracket that holds no calculation."""
    for m in _BRACKET.finditer(text, pos):
        body = m.group(1)
        d = _DIGIT.search(body)
        if d is None:
            continue
        ops = [i for i in (body.find(c, d.end()) for c in "/÷×*+") if i >= 0]
        if ops and _DIGIT.search(body, min(ops) + 1):
            return True
    return _WORKING_WORDS.search(text, pos) is not None


_WORKING_SENTENCE = re.compile(r"^[^.!?\n]{0,40}?\b(?:calculated|computed|derived|obtained)[ \t]+(?:by|as|from|using)\b"
                               r"|^[^.!?\n]{0,40}?\bby[ \t]+dividing\b", re.I)


def _in_working(text: str, at: int) -> bool:
    """Whether the number at `at` is an operand of a calculation written after the value: inside a
    parenthesis holding an operation, or in a sentence describing the calculation."""
    open_ = text.rfind("(", 0, at)
    if open_ >= 0 and text.find(")", open_) >= at and text.find("\n", open_, at) < 0:
        close = text.find(")", at)
        if close >= 0 and re.search(r"[/÷×*+]", text[open_:close]):
            return True
    sent = max(text.rfind(". ", 0, at), text.rfind("\n", 0, at), -1) + 1
    return bool(_WORKING_SENTENCE.search(text[sent:at].lstrip()))


_DIGIT = re.compile(r"\d")


_RESULT = re.compile(r"=|\b(?:total|sum|altogether|in all|result|answer)\b", re.I)


def _closing_sentence(text: str, question: str) -> FinalAnswer | None:
    """The last sentence of `text` that has a number, read like a conclusion."""
    last = next((i for i in range(len(text) - 1, -1, -1) if text[i].isdigit()), -1)
    if last < 0:
        return None
    start = 0
    for m in _SENTENCES.finditer(text, max(0, text.rfind("\n", 0, last) + 1)):
        if m.end() > last:
            start = m.start()
            break
    sentence = text[start : last + 1]
    end = _SENTENCES.match(text, start)
    if end is not None and end.end() > last:
        sentence = end.group(0)
    n = _sentence_value(sentence, question)
    if n is None:
        return None
    return FinalAnswer(n.value, sentence.strip()[:120], "closing sentence", False, (n.value,), n.percent, n.places,
                       start + (len(sentence) - len(sentence.lstrip())), explicit=False)


def extract_final_answer(text: str, *, question: str = "") -> FinalAnswer | None:
    """The final answer stated in `text`, or None when it states no number at all.

    Explicit statements (`#### N`, `\\boxed{}`, "final answer", "the answer is", "Answer:", an
    "A:" line) win; the last of them is the answer and `conflicting` is set when they disagree.
    Denied values ("the answer is not 18") are not statements of the answer. Without any
    explicit statement, the fallbacks are a concluding sentence, a bold number in the last
    paragraph, the last number. `question` is used to read "0.75" as 75 when the question asks
    for a percent.
    """
    text = _visible(text)
    statements = [s for s in _explicit_statements(text, question) if not s.denied]
    if not statements:
        return _fallback(text, question)
    percent_q = asks_percent(question)
    distinct: list[_Statement] = []
    for s in statements:
        if not any(same_answer(d.number, s.number, percent_question=percent_q, round_places=0) for d in distinct):
            distinct.append(s)
    final = statements[-1]
    return FinalAnswer(
        value=final.number.value,
        text=final.text,
        style=final.style,
        conflicting=len(distinct) > 1,
        values=tuple(d.number.value for d in distinct),
        percent=final.number.percent,
        places=final.number.places,
        start=final.start,
        explicit=True,
        statements=tuple(d.text for d in distinct),
    )


# --- every answer statement of a text ------------------------------------------------------------

# After the answer has been given, a sentence with one of these revises or restates it: "The
# total is 49", "Correction: the actual total is 20", "but after adjusting ... becomes 20",
# "no wait, 20", "just kidding". Plain reasoning words ("so", "in total, she sold 9") are not
# enough: an explanation often follows the answer.
_REVISION = re.compile(
    r"(?=[abcijmorstuw])"  # the first letters of the phrases below: other positions fail on one test
    r"\b(?:actually|correction|corrected|wait|just kidding|i mean|on second thought|oops|my mistake|"
    r"mistake|instead|should (?:be|have been)|becomes|became|changes to|revised|updated|in fact|rather)\b"
    r"|\bthe[ \t]+(?:\w+[ \t]+)?(?:total|result|answer|sum|amount)[ \t]+(?:is|was|will be|would be|becomes|comes to|equals|=)",
    re.I,
)
_SENTENCES = re.compile(r"[^\n.!?;]*(?:(?<=\d)\.(?=\d)[^\n.!?;]*)*[.!?;]?", re.M)


@dataclass(frozen=True)
class AnswerReading:
    """What a text says its answer is: the statements that assert a value, the values it denies,
    and later sentences that restate or revise it (each with the numbers it asserts)."""

    asserted: tuple[FinalAnswer, ...]
    denied: tuple[FinalAnswer, ...]
    revisions: tuple[tuple[str, tuple[NumberMatch, ...], tuple[NumberMatch, ...]], ...]  # text, asserted, denied


def _as_final(s: _Statement) -> FinalAnswer:
    n = s.number
    return FinalAnswer(n.value, s.text, s.style, False, (n.value,), n.percent, n.places, s.start, explicit=True)


def read_answer(text: str, *, question: str = "") -> AnswerReading:
    """Every statement of the answer in `text`, not only the first or the last.

    Asserted: each explicit statement (a hedge "72 or 74" asserts both); with none, the fallback
    of `extract_final_answer`. Revisions: sentences after the first assertion that revise or
    restate the answer (`_REVISION`).
    """
    text = _visible(text)
    statements = _explicit_statements(text, question)
    asserted = [_as_final(s) for s in statements if not s.denied]
    denied = tuple(_as_final(s) for s in statements if s.denied)
    if not asserted:
        fb = _fallback(text, question)
        asserted = [fb] if fb is not None else []
    revisions: list[tuple[str, tuple[NumberMatch, ...], tuple[NumberMatch, ...]]] = []
    if asserted:
        anchor = asserted[0].start
        # skip the rest of the anchor's own sentence
        nl = _SENT_BREAK.search(text, anchor)
        after = text.find("\n", anchor)
        cut = min(x for x in ((nl.end() if nl else len(text)), (after if after >= 0 else len(text))))
        for m in (_SENTENCES.finditer(text, cut) if _REVISION.search(text, cut) else ()):
            sent = m.group(0).strip()
            if not sent or not _REVISION.search(sent):
                continue
            nums = _numbers(_normalize_latex(sent))
            if nums:
                revisions.append((sent[:160], tuple(n for n, neg, _ in nums if not neg),
                                  tuple(n for n, neg, _ in nums if neg)))
    return AnswerReading(tuple(asserted), denied, tuple(revisions))


_ANNOTATION = re.compile(r"<<[^<>\n]{0,200}>>")


def _visible(text: str) -> str:
    """`text` without GSM8K calculator annotations ("48/2 = <<48/2=24>>24"): the visible text
    states the values; an annotation repeats the working and may even disagree with it."""
    return _ANNOTATION.sub("", text) if "<<" in text else text


def gsm8k_reference(answer: str) -> Fraction | None:
    """The value after the last '####' of a GSM8K answer ("... #### 1,234" -> 1234), or None."""
    i = answer.rfind("####")
    if i < 0:
        return None
    n = parse_number(answer[i + 4 : i + 60].split("\n", 1)[0])
    return n.value if n is not None else None


@lru_cache(maxsize=256)  # the contract read and the check both ask, once per candidate
def extract_reference(original: str, *, question: str = "") -> FinalAnswer | None:
    """The reference answer of an original: explicit statements only, or a short original whose
    single number is the answer ("18", "$18 per day."). None when there is none."""
    i = original.rfind("####")
    if i >= 0:
        line_end = original.find("\n", i)
        tail = original[i + 4 : line_end if line_end >= 0 else len(original)]
        n = parse_number(tail)
        if n is not None:
            return FinalAnswer(n.value, original[i : i + 4 + len(tail)].strip(), "gsm8k", False, (n.value,), n.percent, n.places, i)
    a = extract_final_answer(original, question=question)
    if a is None:
        return None
    if a.explicit or (a.style == "only number" and len(original) <= 200):
        return a
    return None


# --- comparing --------------------------------------------------------------------------------

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
    for m in _NUM.finditer(text):
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
    for m in _NUM.finditer(text):
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


# The same value written twice, side by side: as a fraction and a percent ("0.54 or 54.00%",
# "16.52% (0.1652)"), or with its rounding ("17.98, or rounded to two decimal places, 18.00",
# "4.19, approximately 4.2"). One answer, not a hedge: "0.54 or 0.55" stays two answers, and so
# does a rounding offered without a rounding word ("17.98 or 18").
_ROUNDING_CUE = re.compile(r"\b(?:round(?:ed|ing)?|approx(?:imately|\.)?|about|roughly|around|nearly|or so)\b|[≈~]", re.I)
RESTATE_GAP = 60  # characters between a value and its restatement, within one sentence


def _restates(a: NumberMatch, b: NumberMatch, gap: str) -> bool:
    """Whether `b` is `a` written in another form (percent, or a rounding under a rounding word)."""
    x, y = abs(a.value), abs(b.value)
    if a.percent != b.percent and x and (y * 100 == x if a.percent else x * 100 == y):
        return True
    if not _ROUNDING_CUE.search(gap):
        return False
    for big, small in ((a, b), (b, a)):
        bp, sp = big.places or 0, small.places or 0
        if bp > sp or (bp == sp and big.value != small.value):
            scale = 10**sp
            want = abs(small.value) * (100 if small.percent and not big.percent else 1) \
                / (100 if big.percent and not small.percent else 1)
            if Fraction(int(abs(big.value) * scale + Fraction(1, 2)), scale) == want or \
                    int(abs(big.value) + Fraction(1, 2)) == want:
                return True
    return False


def _all_numbers(text: str) -> list[tuple[re.Match[str], NumberMatch]]:
    return [(m, n) for m in _NUM.finditer(text) if (n := _to_number(m, text)) is not None]


def restated_forms(text: str, values: set[Fraction],
                   nums: list[tuple[re.Match[str], NumberMatch]] | None = None) -> set[Fraction]:
    """The values (unsigned) of numbers in `text` that restate, right beside it, a number whose
    unsigned value is in `values`: "0.54 or 54.00%" with 0.54 given -> {54}. `nums`: the text's
    numbers when the caller has read them already (`_all_numbers(text)`)."""
    if nums is None:
        nums = _all_numbers(text)
    out: set[Fraction] = set()
    for (pm, p), (nm, n) in zip(nums, nums[1:]):
        gap = text[pm.end() : nm.start()]
        if len(gap) > RESTATE_GAP or _SENT_BREAK.search(gap + " "):
            continue
        if abs(p.value) in values and _restates(p, n, gap):
            out.add(abs(n.value))
        elif abs(n.value) in values and _restates(n, p, gap):
            out.add(abs(p.value))
    return out - set(values)


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


# --- the check --------------------------------------------------------------------------------


def _shown(v: FinalAnswer | NumberMatch) -> str:
    return format_value(v.value) + ("%" if v.percent else "")


_last: list[tuple[tuple[str, str, str, int], CheckResult]] = []


def check_math(inp: CheckInput, options: VerifyOptions) -> CheckResult:
    """`_check_math`, remembered for the last input: the repair step and the check ask the same."""
    key = (inp.instruction, inp.original, inp.candidate, options.math_round_min_places)
    if _last and _last[0][0] == key:
        return _last[0][1]
    res = _check_math(inp, options)
    _last[:] = [(key, res)]
    return res


def same_verdict_for(inp: CheckInput, text: str, options: VerifyOptions) -> None:
    """Remember `check_math(inp)`'s result for `inp` with `text` as the candidate: the repair step
    adds or normalises a '#### N' line with the original's own value, which cannot change it."""
    if _last and _last[0][0] == (inp.instruction, inp.original, inp.candidate, options.math_round_min_places):
        _last[:] = [((inp.instruction, inp.original, text, options.math_round_min_places), _last[0][1])]


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
    got = kept[-1]
    how = got.style if got.explicit else f"{got.style}, no explicit final-answer statement"
    return CheckResult(
        name=NAME,
        passed=True,
        reason=f"final answer kept: original {want}, rewrite states {got.text!r} ({how})",
    )


def make_check(options: VerifyOptions) -> Check:
    def check(inp: CheckInput) -> CheckResult:
        return check_math(inp, options)

    return check
