"""Arithmetic: every calculation a rewrite writes out must be right.

A rewrite of a worked solution may keep the final answer and still teach wrong working
("3 pens cost 3 x 2 = $7. The total is 7 + 10 = $16."). Every written calculation of the form
``a op b [op c ...] = r`` (numbers, + - x * / ÷, parentheses; currency signs, thousands separators
and a trailing unit allowed) is evaluated exactly and compared with r, allowing r to be rounded
to the places it is written with. A wrong calculation that the original also writes is not the
rewrite's fault and does not count; chains ("2 + 3 = 5 x 4 = 20") are read link by link, and a link
whose two sides are both calculations ("14 * 1/2 = 15 / 2") must hold too. Units between the
operands ("9 hours * 2/3 = 6 hours", "$30/hour * 3 hours") are read past when they name one kind of
quantity (different units mean a conversion done in the head, which is left alone).
GSM8K's calculator notes ("<<48/2=24>>") are calculations too and must hold as well. Equations in
one unknown ("3x + 4 = 28", "3x + 4 - 4 = 24", "x = 8") are solved in order: one whose value
differs from the agreeing equations around it is a wrong step.

A right final answer does not excuse wrong working: the math check alone judges the final answer,
this check the working, and the number contract runs both when the original writes calculations.

>>> from realign.verify.base import CheckInput
>>> check_arithmetic(CheckInput(task="", instruction="", original="3*2 = 6\\n#### 16",
...     candidate="3 pens cost 3 x 2 = $7. The total is 7 + 10 = $17.")).reason
"wrong calculation: '3 x 2 = $7' (3 x 2 is 6)"
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache
from math import gcd

from realign.records import CheckResult
from realign.verify.base import Check, CheckInput, fixed_result
from realign.verify.math_numbers import _NUM as _READ_NUM
from realign.verify.math_numbers import _MULT, _WORD_NUM, NumberMatch, _all_numbers, _to_number, _word_number, format_value, same_answer
from realign.verify.options import VerifyOptions

NAME = "arithmetic"

# bounded lengths: a run of hundreds of digits ("2.666666...") must not make the scan quadratic
_NUM = (r"[$€£]?\d{1,3}(?:,\d{3}){1,5}(?:\.\d{1,12})?"
        r"|[$€£]\d{1,3}(?:[ \u00a0\u202f]\d{3}){1,4}(?![\d,]|\.\d|[ \t]\d)"  # "$400 000": a space between thousands
        r"|[$€£]?\d{1,15}(?:\.\d{1,12})?|[$€£]?\.\d{1,12}")  # ".5": GSM8K's notes
_OP = r"[+\-−*/×÷xX]"
# A unit written after an operand ("9 hours * 2/3", "$30/hour * 3 hours", "$5 per hour"): one word,
# never a word that scales the number ("2 dozen", "25 cents") or joins phrases ("3 and 4")
_UNIT = (r"(?:[ \t]*/[ \t]*|[ \t]+per[ \t]+|[ \t]+)"
         r"(?!(?:dozens?|scores?|hundreds?|thousands?|millions?|billions?|half|halves|quarters?|thirds?|percent|"
         r"times|twice|cents?|pennies|nickels|dimes|and|or|of|to|in|on|at|for|from|by|is|are|was|were|each|every|"
         r"more|less|than|plus|minus)\b)[A-Za-z]{2,}\b")
# an expression: number (op number)+, parentheses allowed, then "=" and a result number; every run
# of spaces has exactly one way to match (an optional "\s*" beside another one makes the scan
# exponential in the number of terms: "50 + 80 + ... + 60 = <<...>>" took 90 ms)
# _NUM after its first character: a currency sign, or a digit (what follows a digit-led _NUM)
_NUM_AFTER_CURRENCY = (r"\d{1,3}(?:,\d{3}){1,5}(?:\.\d{1,12})?"
                       r"|\d{1,3}(?:[ \u00a0\u202f]\d{3}){1,4}(?![\d,]|\.\d|[ \t]\d)"
                       r"|\d{1,15}(?:\.\d{1,12})?|\.\d{1,12}")
_NUM_AFTER_DIGIT = r"\d{0,2}(?:,\d{3}){1,5}(?:\.\d{1,12})?|\d{0,14}(?:\.\d{1,12})?"
_CALC = re.compile(
    # an expression: (?:\(\s*)?(?:_NUM)(?:_UNIT)?(?:\s*\))?(?:\s*_OP\s*(?:\(\s*)?(?:_NUM)(?:_UNIT)?(?:\s*\))?)+
    # opened by the one character it can start with, consumed: a pattern that opens with a
    # consumed class lets the regex engine skip every other character of a line in one tight loop
    # (a lookahead there made it enter the pattern at each one: the scan is the cost of this
    # check); the lookbehinds then look past that character, and each branch reads on from it
    r"(?P<expr>[($€£.\d]"
    # not inside a larger expression with a variable ("M + 4 + 2 = 8", "X*2 - 40 = 250"), a
    # mixed number ("8 x 1 1/2 = 12"), or one it cannot read ("2% x $100 x 3 = $6": never from "100")
    r"(?<![\w.,/^$€£%].)(?<!\d:.)(?<![+\-−–*/×÷xX]\s.)(?<![+\-−–*/×÷].)(?<!\d\s.)"
    rf"(?:(?<=\()\s*(?:{_NUM})|(?<=[$€£])(?:{_NUM_AFTER_CURRENCY})|(?<=\d)(?:{_NUM_AFTER_DIGIT})|(?<=\.)\d{{1,12}})"
    rf"(?:{_UNIT})?(?:\s*\))?(?:\s*{_OP}\s*(?:\(\s*)?(?:{_NUM})(?:{_UNIT})?(?:\s*\))?)+)\s*=\s*(?P<res>-?(?:{_NUM}))(?!\d|,\d|/\d|/[A-Za-z](?![A-Za-z])|\.\d|:\d)"
    # a result that is itself the start of an expression ("= 45 + 110 + 72 = 227") is a chain
    # link, read on its own from there
    rf"(?![ \t]*{_OP}[ \t]*[\d($€£])(?![A-Za-z]|[ \t]\d+/\d)"
    r"(?P<pct>(?:\.{2,3}|…)?\s*(?:%|percent\b|cents?\b|¢))?"
)


_SYMBOLS = str.maketrans("", "", "$€£, \u00a0\u202f")
_UNIT_RE = re.compile(_UNIT)
_BINARY = re.compile(r"\s*([$€£]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[$€£]?\.\d+)\s*([-+*/])\s*"
                     r"([$€£]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[$€£]?\.\d+)\s*")
_NON_X_LETTER = re.compile(r"[A-WYZa-wyz]")
_THOUSANDS_SPACE = re.compile(r"(?<=\d)[ \u00a0\u202f](?=\d{3}(?!\d))")
_X = re.compile(r"(?<=[\d)\s])[xX](?=[\s\d($€£])")
_TOKENS = re.compile(r"[$€£]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[$€£]?\d+(?:\.\d+)?|[$€£]?\.\d+|[-+*/()]")
_SPACE = re.compile(r"\s+")
_CLOCK = re.compile(r"(?<![\d.,])0\d")
_DIVIDED_BY_FRACTION = re.compile(r"(?<=/\s)(\d+/\d+)")


@lru_cache(maxsize=4096)  # the same few numbers recur in every solution
def _value(token: str) -> Fraction:
    # built from ints: Fraction("12.5") parses with a regex and is the hot spot of this check
    plain = token.translate(_SYMBOLS)
    whole, dot, frac = plain.partition(".")
    if not dot:
        return Fraction(int(whole))
    return Fraction(int((whole or "0") + frac), 10 ** len(frac))


@lru_cache(maxsize=512)  # a note and its visible working, and common small sums, repeat a calculation
def _evaluate(expr: str) -> Fraction | None:
    """Exact value of a + - * / expression with parentheses; None if it is not one."""
    text = expr.replace("×", "*").replace("÷", "/").replace("−", "-")
    if _NON_X_LETTER.search(text):
        text = _UNIT_RE.sub("", text)  # "9 hours * 2/3": the units are not part of the arithmetic
    if ("$" in text or "€" in text or "£" in text) and (" " in text or "\u00a0" in text or "\u202f" in text):
        text = _THOUSANDS_SPACE.sub("", text)  # "$400 000" (only after a currency sign, as _NUM reads it)
    if "x" in text or "X" in text:
        text = _X.sub("*", text)
    if _CLOCK.search(text):
        return None  # "0900 - 0130 = 0730": clock times, not numbers
    if "/" in text:
        text = _DIVIDED_BY_FRACTION.sub(r"(\1)", text)  # "25 / 1/3" is 25 divided by a third
    two = _BINARY.fullmatch(text)
    if two is not None:  # "a op b", most calculations: no parser needed
        a, op, b = _value(two.group(1)), two.group(2), _value(two.group(3))
        if a.denominator == 1 and b.denominator == 1:  # whole numbers: int arithmetic, one Fraction built
            x, y = a.numerator, b.numerator
            if op == "/":
                return Fraction(x, y) if y else None
            return Fraction(x + y if op == "+" else x - y if op == "-" else x * y)
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        return a / b if b else None
    tokens = _TOKENS.findall(text)
    if "".join(tokens) != _SPACE.sub("", text):
        return None
    pos = 0

    def atom() -> Fraction:
        nonlocal pos
        tok = tokens[pos]
        if tok == "(":
            pos += 1
            v = sum_()
            if pos >= len(tokens) or tokens[pos] != ")":
                raise ValueError("unbalanced")
            pos += 1
            return v
        if tok == "-" or tok == "+":  # "<<+2=3>>": a sign, not an operation
            pos += 1
            return -atom() if tok == "-" else atom()
        pos += 1
        return _value(tok)

    def product() -> Fraction:
        nonlocal pos
        v = atom()
        while pos < len(tokens) and tokens[pos] in "*/":
            op = tokens[pos]
            pos += 1
            rhs = atom()
            v = v * rhs if op == "*" else v / rhs
        return v

    def sum_() -> Fraction:
        nonlocal pos
        v = product()
        while pos < len(tokens) and tokens[pos] in "+-":
            op = tokens[pos]
            pos += 1
            rhs = product()
            v = v + rhs if op == "+" else v - rhs
        return v

    try:
        v = sum_()
    except (ValueError, ZeroDivisionError, IndexError):
        return None
    return v if pos == len(tokens) else None


def _close(exact: Fraction, written: str) -> bool:
    """Whether `written` states `exact`, allowing rounding to its own decimal places (one unit
    in the last place, so a truncation such as 2.666 for 8/3 passes too)."""
    shown = _value(written)
    if shown == exact:
        return True
    places = len(written.split(".", 1)[1]) if "." in written else 0
    if places == 0:
        # a whole number for a fraction is a rounding (up or down: "10 / 3 = 3 full boxes");
        # for a whole-number result it must be exact
        return exact.denominator != 1 and abs(exact - shown) < 1
    return abs(exact - shown) <= Fraction(1, 10**places)


_ANNOTATION = re.compile(r"<<[^<>\n]{0,200}>>")  # GSM8K's calculator notes repeat the visible working
# ... and are calculations themselves: "<<48/2=24>>" must hold even where the visible text only
# says "24 clips" (the note is the working a calculator-trained model learns from)
_NOTE = re.compile(rf"<<(?P<expr>[^<>=\n]{{1,160}})=(?P<res>-?(?:{_NUM}))>>")


@lru_cache(maxsize=256)
def wrong_calculations(text: str) -> list[tuple[str, Fraction]]:
    """(calculation as written, its true value) for each wrong one in `text` (remembered: the
    original of a turn is asked about once per candidate)."""
    out: list[tuple[str, Fraction]] = []
    if "=" not in text:
        return out
    if "<<" in text:
        for m in _NOTE.finditer(text):
            exact = _evaluate(m.group("expr").strip())
            if exact is not None and not _close(exact, m.group("res")):
                out.append((f"{m.group('expr').strip()} = {m.group('res')}", exact))
        text = _ANNOTATION.sub("", text)
    # line by line, and only the lines with an '=': the scan is the cost of this check
    lines = [line for line in text.split("\n") if "=" in line]
    for line in lines:
        start = _scan_start(line)
        for m in (_CALC.finditer(line, start) if start >= 0 else ()):
            expr = m.group("expr").strip()
            if expr.startswith("(") and _WORD_BEFORE.search(line, 0, m.start()):
                continue  # "... + 2 rides on the luge (2 x 6 tickets) = 24": an aside in a longer sum
            if expr.startswith("(") and expr.count("(") > expr.count(")"):
                expr = expr[1:].strip()
            if _NON_X_LETTER.search(expr) and not _units_agree(expr, line, m):
                continue
            if _LINK_AFTER.match(line, m.end("res")):
                continue  # "= 93 days + 28 + ...": the result opens the next link of a chain
            exact = _evaluate(expr)
            if exact is None:
                continue
            res = m.group("res")
            if m.group("pct") and not _close(exact, res) and _close(exact * 100, res):
                continue  # "3/4 = 75%", "$2.50 - $2.24 = 26 cents"
            if not _close(exact, res):
                out.append((f"{expr} = {res}", exact))
        if line.count("=") >= 2:
            out += _wrong_links(line)
    out += _inconsistent_algebra(lines)
    return list(dict.fromkeys(out))  # a note and the visible working may write the same calculation


# an operation and the first characters of the number after it, as _CALC reads them
_OP_NUMBER = re.compile(rf"{_OP}\s*(?:\(\s*)?[$€£]?\.?\d")
_RESULT_AFTER = re.compile(r"=\s*-?[$€£]?\.?\d")  # "= " and the first characters of _CALC's result


# the parts of a first operand read backwards, each skipped whole (greedy, always a match): spaces and ')';
# a unit word; its separator ("/", " per "); the number; spaces and '('
_OPERAND_BACKWARDS = re.compile(r"[\s)]*[A-Za-z]*[ \t/]*[A-Za-z]*[ \t/]*[\d$€£,. \u00a0\u202f]*[\s(]*")


def _scan_start(line: str) -> int:
    """-1 when `_CALC` cannot match in `line`: no operation before a number, or no '=' before a number
    after it (half the lines with an '=' have none: "Cost per bag = $2", "d = s * t", LaTeX); else a
    position no match starts before, so that the scan skips the text before the first calculation.

    Every match's first operation is followed by a number as `_OP_NUMBER` reads it, so it is at or
    after the first `_OP_NUMBER` site q. A match that starts before q has its first operation at q:
    q cannot lie inside a first operand (its only operation characters are a unit's '/', followed by
    a letter, and a unit's 'x', followed by a letter, a space, ')' or an operation, none of which
    `_OP_NUMBER` reads on with). That first operand, read backwards from q, is: spaces and ')'; a
    unit word; its separator (spaces, tabs, '/', "per"); the number; spaces and '('. Each part is
    skipped with a set of characters holding it, each skip going on from where the one before it
    stopped (a skip that goes too far only lowers the bound), so the start is at or after the end
    (`_OPERAND_BACKWARDS` on the text before q reversed: a slice and a match, both in C)."""
    op = _OP_NUMBER.search(line)
    if op is None or _RESULT_AFTER.search(line, op.end()) is None:
        return -1
    q = op.start()
    return q - _OPERAND_BACKWARDS.match(line[q - 1 :: -1] if q else "").end()  # type: ignore[union-attr]


def _unit_name(word: str) -> str:
    w = word.lower()
    if w.endswith("es") and w[:-2].endswith(("ch", "sh", "x", "s")):
        return w[:-2]
    return w[:-1] if w.endswith("s") and not w.endswith("ss") else w


_WORD_BEFORE = re.compile(r"[A-Za-z][ \t]*$")
_LINK_AFTER = re.compile(rf"(?:{_UNIT})[ \t]*{_OP}[ \t]*[\d($€£]")
_COMPOUND_BEFORE = re.compile(r"\d[ \t]*[A-Za-z]+[ \t]*$")
_COMPOUND_AFTER = re.compile(r"[ \t]*[A-Za-z]+[ \t]+\d")


def _units_agree(expr: str, line: str, m: re.Match[str]) -> bool:
    """Whether the units written between the operands leave the arithmetic as written: one kind
    of quantity, and rates per that quantity ("$30/hour * 3 hours"). Different units ("1 hour +
    30 minutes", "30 minutes * $20/hour") mean a conversion the text does in its head, and a
    compound quantity ("2 hours 30 minutes + ...") is not one operand."""
    plain: set[str] = set()
    per: set[str] = set()
    for u in _UNIT_RE.finditer(expr):
        raw = u.group(0)
        word = _unit_name(raw.strip(" \t/").split()[-1])
        (per if "/" in raw or raw.strip().lower().startswith("per ") else plain).add(word)
    if len(plain) > 1 or (per and plain and not per <= plain):
        return False
    return not (_COMPOUND_BEFORE.search(line, 0, m.start()) or _COMPOUND_AFTER.match(line, m.end()))


# A pure calculation between two '=' of a chain, and the calculation that ends the text before it
# (led, like _CALC, by the characters it can start with)
_PURE = re.compile(rf"(?:\(\s*)?(?:{_NUM})(?:\s*\))?(?:\s*{_OP}\s*(?:\(\s*)?(?:{_NUM})(?:\s*\))?)+")
_TAIL = re.compile(rf"(?=[($€£.\d])(?<![\w.,/^])(?<!\d\s)(?:\(\s*)?(?:{_NUM})(?:\s*\))?(?:\s*{_OP}\s*(?:\(\s*)?(?:{_NUM})(?:\s*\))?)*\s*$")


LINK_TAIL = 80  # characters before an '=' that can hold the calculation of a chain link
_OF_BEFORE = re.compile(r"\bof[ \t]*$", re.I)
_RANGE = re.compile(r"\d+[-–]\d+")  # "Weeks 1-2 = 96 - 70": a range that names a part, not a subtraction
_HAS_OP = re.compile(r"\S[ \t]*[+\-−*/×÷xX][ \t]*\S")


def _wrong_links(line: str) -> list[tuple[str, Fraction]]:
    """Links of a chain whose two sides are both calculations: "14 * 1/2 = 15 / 2 = 7" says
    14 * 1/2 is 15 / 2. (A link whose right side is a plain number is `_CALC`'s.)"""
    out: list[tuple[str, Fraction]] = []
    parts = line.split("=")
    for i in range(1, len(parts) - 1):
        mid = parts[i].strip()
        if not _PURE.fullmatch(mid):
            continue
        tail = _TAIL.search(parts[i - 1], max(0, len(parts[i - 1]) - LINK_TAIL))
        before = parts[i - 1][max(0, tail.start() - 40) : tail.start()] if tail is not None else ""
        if (tail is None or not _HAS_OP.search(tail.group(0).strip()) or _RANGE.fullmatch(tail.group(0).strip())
                or before.rstrip().endswith(tuple("+-−–*/×÷"))
                or _OF_BEFORE.search(before) or (tail.group(0).lstrip().startswith("(") and _WORD_BEFORE.search(before))):
            continue  # "3/5 of (1000 - 300) = 3/5 × 700": the calculation is a part of a phrase
        left, right = _evaluate(tail.group(0).strip()), _evaluate(mid)
        if left is None or right is None or left == right:
            continue
        first = _TOKENS.search(mid.replace("(", " "))
        if first is not None and first.group(0) not in "+-*/" and _close(left, first.group(0)):
            continue  # "3/2 = 1.50 + 3.00 = 4.50": a running total, the link goes on from the result
        if "." in tail.group(0) + mid and abs(left - right) <= abs(left) / 100:
            continue  # a rounded intermediate ("10/3 = 3.33 * 1")
        out.append((f"{tail.group(0).strip()} = {mid}", left))
    return out


def _shown(v: Fraction) -> str:
    if v.denominator == 1:
        return str(v.numerator)
    return f"{float(v):.4g}"


def check_arithmetic(inp: CheckInput, options: VerifyOptions | None = None) -> CheckResult:
    wrong = wrong_calculations(inp.candidate)
    if not wrong:
        return fixed_result(NAME, True, "every written calculation is right")
    inherited = {re.sub(r"\s+", "", w) for w, _ in wrong_calculations(inp.original)}
    own = [(w, v) for w, v in wrong if re.sub(r"\s+", "", w) not in inherited]
    if not own:
        return fixed_result(NAME, True, "the only wrong calculations are the original's own")
    w, v = own[0]
    lhs = w.rsplit("=", 1)[0].strip()
    more = f" (+{len(own) - 1} more)" if len(own) > 1 else ""
    return CheckResult(name=NAME, passed=False, reason=f"wrong calculation: {w!r} ({lhs} is {_shown(v)}){more}")


def make_check(options: VerifyOptions) -> Check:
    def check(inp: CheckInput) -> CheckResult:
        return check_arithmetic(inp, options)

    return check


# --- algebra: the equations of one unknown must agree on its value ---------------------------------

_ALGEBRA_LINE = re.compile(r"\d[A-Za-z]\b|(?<![A-Za-z])[A-Za-z][ \t]*[=+\-−–*/×÷)]|[=+\-−–*/×÷(][ \t]*[A-Za-z](?![A-Za-z])")
_OPS = frozenset("+-−–*/×÷")
_ASSIGNED_QUICK = re.compile(r"\b[A-Za-z][ \t]*=[ \t]*-?\$?\d")


def _assigns_number(text: str) -> bool:
    """`_ASSIGNED_QUICK.search(text)`, tried only at the letter before each '=' (the one place a
    match can start): a regex scan of every position cost more than the rest of the algebra."""
    i = text.find("=")
    while i >= 0:
        j = i - 1
        while j >= 0 and text[j] in " \t":
            j -= 1
        if j >= 0 and _ASSIGNED_QUICK.match(text, j):
            return True
        i = text.find("=", i + 1)
    return False


def _assigned(text: str) -> set[str]:
    """Single letters given a number: "x = 8", "B = 53 - 8" (a scan of the '=' signs: cheaper than a regex)."""
    out: set[str] = set()
    i = text.find("=")
    while i >= 0:
        j, k = _beside(text, i, " \t", " \t-$")
        if (j >= 0 and text[j].isalpha() and (j == 0 or not text[j - 1].isalpha()) and k < len(text)
                and text[k].isdigit()):
            out.add(text[j])
        i = text.find("=", i + 1)
    return out


def _beside(text: str, i: int, skip_before: str, skip_after: str) -> tuple[int, int]:
    """The positions of the nearest characters before and after `text[i]` that are not in the skip
    sets (-1 / len(text) at an end), found without copying the text on either side (quadratic on
    a long text)."""
    j = i - 1
    while j >= 0 and text[j] in skip_before:
        j -= 1
    k = i + 1
    while k < len(text) and text[k] in skip_after:
        k += 1
    return j, k


def _in_terms(text: str, u: str) -> int:
    """How often the letter `u` stands in a calculation: "3x", "+ x", "x +", "(x"."""
    n = 0
    i = text.find(u)
    while i >= 0:
        before = text[i - 1] if i else " "
        after = text[i + 1] if i + 1 < len(text) else " "
        if not before.isalpha() and not after.isalpha():
            # the nearest characters that are no space or tab on each side ("" at an end)
            j, k = _beside(text, i, " \t", " \t")
            b = text[j] if j >= 0 else ""
            a = text[k] if k < len(text) else ""
            if before.isdigit() or b in _OPS or b == "(" or a in _OPS or a == ")":
                n += 1
        i = text.find(u, i + 1)
    return n


_TIMES_X = re.compile(r"(?<=[\d)])[ \t]+[xX][ \t]+(?=[\d($])")
_LTOK = re.compile(r"\d+(?:\.\d+)?|[A-Za-z]+|[-+*/()]|\S")
Linear = tuple[float, float, str]  # a * v + b, and v ("" for a constant); floats: this is a screen, compared with a tolerance


def _linear(expr: str) -> Linear | None:
    """`expr` as a * v + b in one single-letter unknown v ("3x + 4", "5(r + 2)", "3x/3"), or None."""
    if expr.isdigit():
        return 0.0, float(expr), ""
    if len(expr) == 1 and expr.isalpha():
        return 1.0, 0.0, expr
    text = expr.replace("×", "*").replace("÷", "/").replace("−", "-").replace("–", "-")
    toks = _LTOK.findall(text)
    if not toks:
        return None
    pos = 0

    def combine(x: Linear, y: Linear, op: str) -> Linear:
        v = x[2] or y[2]
        if x[2] and y[2] and x[2] != y[2]:
            raise ValueError("two unknowns")
        if op == "+":
            return x[0] + y[0], x[1] + y[1], v
        if op == "-":
            return x[0] - y[0], x[1] - y[1], v
        if op == "*":
            if x[0] and y[0]:
                raise ValueError("not linear")
            return x[0] * y[1] + y[0] * x[1], x[1] * y[1], v
        if y[0] or not y[1]:
            raise ValueError("division by the unknown or by zero")
        return x[0] / y[1], x[1] / y[1], v

    def factor() -> Linear:
        nonlocal pos
        tok = toks[pos]
        pos += 1
        if tok in "+-" and len(tok) == 1:
            f = factor()
            return (-f[0], -f[1], f[2]) if tok == "-" else f
        if tok == "(":
            e = expr_()
            if pos >= len(toks) or toks[pos] != ")":
                raise ValueError("unbalanced")
            pos += 1
            return e
        if tok[0].isdigit():
            return 0.0, float(tok), ""
        if tok.isalpha() and len(tok) == 1:
            return 1.0, 0.0, tok
        raise ValueError(tok)

    def term() -> Linear:
        nonlocal pos
        v = factor()
        while pos < len(toks):
            tok = toks[pos]
            if tok in ("*", "/"):
                pos += 1
                v = combine(v, factor(), tok)
            elif tok == "(" or tok.isalpha() or (tok[0].isdigit() and toks[pos - 1] == ")"):
                v = combine(v, factor(), "*")  # "3x", "5(r + 2)", "(x + 1)2"
            else:
                break
        return v

    def expr_() -> Linear:
        nonlocal pos
        v = term()
        while pos < len(toks) and toks[pos] in ("+", "-"):
            op = toks[pos]
            pos += 1
            v = combine(v, term(), op)
        return v

    try:
        v = expr_()
    except (ValueError, IndexError, ZeroDivisionError):
        return None
    return v if pos == len(toks) else None


def _equation_sides(left: str, right: str) -> tuple[str, Linear, str, Linear] | None:
    """The calculation that ends `left` and the one that starts `right`: each stops at a word of
    two or more letters ("the sum of their ages is (2x + 2) + (x + 2)" -> "(2x + 2) + (x + 2)")."""
    left = left[-EQUATION_SIDE:]
    w = _LHS_START.match(left)
    lhs = left[w.end() if w else 0 :].strip(" ,")
    rt = _RHS_RUN.match(right, 0, EQUATION_SIDE).group(0).split(", ")[0]  # type: ignore[union-attr]
    w2 = _WORD2.search(rt)
    rhs, rest = (rt[: w2.start()], rt[w2.start() :]) if w2 else (rt, "")
    rhs = rhs.strip(" .,")
    if not lhs or not rhs or _OPEN_REST.search(rest) or not (_LETTER.search(lhs) or _LETTER.search(rhs)):
        return None  # "30 feet / 6": the side goes on past its unit
    lf, rf = _linear(lhs), _linear(rhs)
    if lf is None or rf is None:
        return None
    return lhs, lf, rhs, rf


# the left side starts after the last word of two or more letters or other text ("... is (2x + 2)")
EQUATION_SIDE = 120  # characters of each side looked at: an equation is short
_LHS_START = re.compile(r".*(?:[A-Za-z]{2,}|[^0-9A-Za-z .,+\-−–*/×÷()])")
_RHS_RUN = re.compile(r"[0-9A-Za-z .,+\-−–*/×÷()]*")
_WORD2 = re.compile(r"[A-Za-z]{2,}")
_LETTER = re.compile(r"[A-Za-z]")
_OPEN_REST = re.compile(r"[\d+\-−–*/×÷(]")


_NEAR_LETTER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'’")


def _mentions(line: str, unknowns: set[str]) -> bool:
    """Whether one of the single-letter `unknowns` stands alone in `line`, no ASCII letter or
    apostrophe beside it. Found by `find`: a pattern built for each set of letters was compiled
    again for each new set, a fortieth of a row's cost on real GSM8K solutions."""
    for u in unknowns:
        i = line.find(u)
        while i >= 0:
            if (i == 0 or line[i - 1] not in _NEAR_LETTER) and (i + 1 == len(line) or line[i + 1] not in _NEAR_LETTER):
                return True
            i = line.find(u, i + 1)
    return False


def _inconsistent_algebra(lines: list[str]) -> list[tuple[str, Fraction]]:
    """Equations in one unknown, solved in the order written; one whose solution differs from
    the equations just before and after it, which agree with each other, is a wrong step
    ("3x + 4 = 28", then "3x + 4 - 4 = 29 - 4", then "x = 8"). A letter reused for a new unknown
    changes the value for good, so it is not flagged."""
    solved: dict[str, list[tuple[float, str, Linear]]] = {}
    joined = "\n".join(lines)
    if not _assigns_number(joined):
        return []
    unknowns = {u for u in _assigned(joined) if _in_terms(joined, u) >= 2}
    if not unknowns:
        return []  # no "x = 8" for an unknown that calculations use ("x = 4 * 12 + 22" only names a result)
    lines = [line for line in lines if _mentions(line, unknowns) and _ALGEBRA_LINE.search(line)]
    if sum(line.count("=") for line in lines) < 3:
        return []  # a wrong step needs an agreeing equation before and after it
    for line in lines:
        line = _TIMES_X.sub(" * ", line)
        parts = line.split("=")
        for i in range(len(parts) - 1):
            sides = _equation_sides(parts[i], parts[i + 1])
            if sides is None:
                continue
            ltext, lf, rtext, rf = sides
            var = lf[2] or rf[2]
            if not var or (lf[2] and rf[2] and lf[2] != rf[2]) or _same(lf[0], rf[0]):
                continue
            value = (rf[1] - lf[1]) / (lf[0] - rf[0])
            solved.setdefault(var, []).append((value, f"{ltext} = {rtext}", lf))
    out: list[tuple[str, Fraction]] = []
    for var, seq in solved.items():
        for i in range(1, len(seq) - 1):
            before, here, after = seq[i - 1][0], seq[i][0], seq[i + 1][0]
            if _same(before, after) and not _same(here, before):
                lf = seq[i][2]
                out.append((seq[i][1], Fraction(lf[0] * before + lf[1]).limit_denominator(1000)))
    return out


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


# --- the working kept: a rewrite keeps the original's intermediate results ---------------------------
#
# A right final answer and right arithmetic do not make a rewrite of a worked solution: "She makes
# 9 * 2 = $18" alone drops how the 9 was found. The original's intermediate results are the values
# its calculations arrive at: every GSM8K calculator note's result ("<<16-3-4=9>>") and every
# number written right after an "=" ("16 - 3 - 4 = 9", "= $1,300", "= 3/4"), less the final answer
# (the math check's). A result the original writes as the result of a calculation ("= 9") is kept
# when the rewrite writes it as one too: after an "=" or "equals", in a calculator note, or after
# "is", "makes", "gives" ... that follow a calculation ("3 times 4 is 12"). A mention alone ("he
# needs 15 packs", a later step's operand "15 * 5") does not keep the step that found it: the
# original's own later lines restate results, and a rewrite that drops a step keeps those. A result
# that only a calculator note gives ("So she has <<3*4=12>>12 apples") is kept by any mention that
# is not an operand. Values compare as the math check compares answers: 1,000 = 1000 = 1000.0 =
# $1,000, 50% = 0.5, 33.33 for 33.333.

WORKING_NAME = "working_kept"

WORKING_KEPT_SHARE = Fraction(1, 2)
"""The share of the original's intermediate results a rewrite must state (dev data: see
benchmarks/verify.py, "the working kept"). A rewrite may condense a worked solution (drop or merge
a step of five, or re-derive one another way, as models' own correct solutions do); one that keeps
fewer than half of its results threw the working away (D6: one of three kept). On dev, all results
required rejected 19 of 42 correct model-written solutions, half of them 8; rewrites that drop more
than half of the steps were accepted 0/247 and 2/247; Socratic controls rejected 0/192 by both."""

_EQUALS_NUMBER = re.compile(r"=[ \t]*")
_ALGEBRA_AFTER = re.compile(r"[ \t]*[A-Za-z](?![A-Za-z])")  # "= 2x", "= 4s": an expression in an unknown
_OPERATOR = r"[+\-−–*/×÷xX·]"
# an operand: an operator (after a number, a closing parenthesis or a unit) just before, or an
# operator and a number just after ("9 * 2", "$30/hour * 3 hours", "3 miles * (5280 feet/1 mile)")
_OPERAND_AFTER = re.compile(rf"[ \t]*(?:/?[A-Za-z]+\.?[ \t]*){{0,2}}\)?[ \t]*{_OPERATOR}[ \t]*\(?[ \t]*[$€£]?[ \t]*\.?\d")
_OPERAND_BEFORE = re.compile(rf"(?:[\d)%]|[A-Za-z]\.?)[ \t]*\)?[ \t]*{_OPERATOR}[ \t]*\(?[ \t]*[$€£]?[ \t]*$")
_RESULT_BEFORE = re.compile(r"(?:=|≈|\bequals?)[ \t]*(?:\*\*|__)?[ \t]*[$€£]?[ \t]*$", re.I)  # "= **8**" too
# "3 times 4 is 12", "7 x 1.5 ... gives 10.5": a result word after a calculation, in words or signs
_SAID_RESULT_BEFORE = re.compile(r"\b(?:is|are|was|were|makes?|gives?|get|gets|comes? to|totals?|leaves?|"
                                 r"equal(?:s|ling)?)[ \t]+(?:a[ \t]+total[ \t]+of[ \t]+|about[ \t]+)?[$€£]?[ \t]*$", re.I)
# a conclusion drawn in words ("That's 120 raspberries", "so he pays $36.00", "That means there are 8")
_CONCLUSION_BEFORE = re.compile(r"\b(?:that's|that is|which is|this is|so|thus|therefore|hence|means?|making|in total|"
                                r"altogether)\b[^.\n\d$€£]{0,30}[$€£]?[ \t]*$", re.I)
_CALCULATION_BEFORE = re.compile(rf"\d[ \t]*(?:[A-Za-z]+[ \t]*)?(?:{_OPERATOR}|times|plus|minus|divided by|multiplied by)[ \t]*\(?[ \t]*[$€£]?\d", re.I)
_EQUALS_AFTER = re.compile(r"[ \t]*=")
OPERAND_LOOK = 40  # characters looked at on each side of a number
CALCULATION_LOOK = 60  # characters before a result word that may hold its calculation


_NOTE_CALCULATES = re.compile(r"[\d.)][ \t]*[-+*/][ \t]*[(.\d]")


def _note_results(text: str) -> list[NumberMatch]:
    """The results of the calculator notes that calculate ("<<48/2=24>>"; not a restatement such
    as "<<12=12>>" or "<<+8=8>>")."""
    out = []
    for m in _NOTE.finditer(text):
        if not _NOTE_CALCULATES.search(m.group("expr")):
            continue
        res = m.group("res")
        plain = res.translate(_SYMBOLS)
        places = len(plain.split(".", 1)[1]) if "." in plain else None
        out.append(NumberMatch(-_value(res[1:]) if res.startswith("-") else _value(res), res, False, places))
    return out


def _visible(text: str) -> str:
    visible = _ANNOTATION.sub(" ", text) if "<<" in text else text
    end = visible.rfind("####")
    return visible[:end] if end >= 0 else visible


def _bare(m: re.Match[str], n: NumberMatch) -> NumberMatch:
    """`n` without its scale word: GSM8K writes "= $<<32/2=16>>16 million", the note's 16 and the
    text's 16 are one value (a rewrite is read the same way)."""
    mult = m.group("mult")
    if not mult:
        return n
    return NumberMatch(n.value / _MULT[mult.strip().lower()], n.text, n.percent, n.places)


def _start(m: re.Match[str]) -> int:
    """Where the number of `m` starts: its sign, currency, whole part or digits (not a space)."""
    i = m.start()
    while m.string[i] == " ":
        i += 1
    return i


@lru_cache(maxsize=256)
def intermediate_results(original: str, question: str = "") -> tuple[tuple[NumberMatch, str, int], ...]:
    """(value, how the original writes it, how many calculations arrive at it) for each value the
    original's calculations arrive at, in order, the final answer's too (the step that finds it is
    working: "3 + 5 = 8" kept, not only "8"; and a second step arriving at the same value is a
    step of its own). How:
    "result" (after an "=" of its visible text), "note" (only a calculator note calculates it: the
    check asks `_said_in_text` whether the text states it, "So she has <<3*4=12>>12 apples", or uses
    it only as an operand, "S + <<30+46=76>>76", only when the plain search does not decide). A note
    and the visible text beside it write one calculation twice: a value counts as often as the one
    of the two that writes it more often."""
    notes = _note_results(original) if "<<" in original else []
    visible = _visible(original)
    written = []
    for eq in _EQUALS_NUMBER.finditer(visible):
        m = _READ_NUM.match(visible, eq.end())
        if m is None or _ALGEBRA_AFTER.match(visible, m.end()):
            continue
        n = _to_number(m, visible)
        if n is not None:
            written.append(_bare(m, n))
    # values keyed by (numerator, denominator): one value, and hashed far faster than a Fraction
    keys = [(n.value.numerator, n.value.denominator) for n in written + notes]
    in_text: dict[tuple[int, int], int] = {}
    in_notes: dict[tuple[int, int], int] = {}
    for i, key in enumerate(keys):
        count = in_text if i < len(written) else in_notes
        count[key] = count.get(key, 0) + 1
    out: dict[tuple[int, int], tuple[NumberMatch, str, int]] = {}
    for n, key in zip(written + notes, keys):
        if key not in out:
            times = max(in_text.get(key, 0), in_notes.get(key, 0))
            out[key] = (n, "result" if key in in_text else "note", times)
    return tuple(out.values())


@lru_cache(maxsize=256)
def _said_in_text(original: str, question: str = "") -> frozenset[Fraction]:
    """The values of the original's note-only results ("note" of `intermediate_results`) that its
    visible text states, not only as an operand (reading only the numbers near them)."""
    only = [n.value for n, how, _ in intermediate_results(original, question) if how == "note"]
    if not only:
        return frozenset()
    near = {round(float(v)) for v in only}
    return frozenset(w.value for w in stated_values(original, near)[2]) & frozenset(only)


def stated_values(text: str, near: set[int] | None = None, words: bool = True,
                  values: set[tuple[int, int]] | None = None) -> tuple[list[NumberMatch], list[NumberMatch], list[NumberMatch]]:
    """(calculator-note results, the other results of `text`'s calculations, every number it states
    that is not only an operand): results are written after an "=", in a calculator note, or after
    a result word that follows a calculation; numbers of its prose are stated, the operands of a
    calculation are not. With `near`, only the numbers whose nearest whole number is in it are
    looked at (what a number is does not depend on the others: the check asks only about the values
    it needs); with `values` too, only those of them that `_may_be` one of `values`; `words` False
    leaves the number words out."""
    notes = _note_results(text) if "<<" in text else []
    results: list[NumberMatch] = []
    said: list[NumberMatch] = []
    visible = _visible(text)
    for m, n in (_all_numbers(visible) if near is None else _numbers_near(visible, near, values)):
        n = _bare(m, n)
        if near is not None and round(float(n.value)) not in near and (
                m.group("whole") is None or int(m.group("whole")) not in near):
            continue
        if values is not None and not _may_be(m, n, values):
            continue
        start, end = _start(m), m.end()
        before = visible[max(0, start - OPERAND_LOOK): start]
        if _result_before(before):
            results.append(n)
            if m.group("whole") is not None:  # "= 700 3/5 of ...": 700, then a fraction
                results.append(NumberMatch(Fraction(int(m.group("whole"))), m.group("whole")))
            continue
        if m.group("den") is not None and _EQUALS_AFTER.match(visible, end):
            continue  # "60/15 = 4": a division, not the fraction 4
        if _operand_before(before) or _OPERAND_AFTER.match(visible, end, end + OPERAND_LOOK):
            continue
        word = _said_result_before(before)
        if word is not None:
            # the calculation in the same sentence, before the result word
            at = start - len(word.group(0))
            since = max(visible.rfind("\n", 0, at), visible.rfind(". ", 0, at), start - CALCULATION_LOOK, 0)
            if _CALCULATION_BEFORE.search(visible, since, at):
                results.append(n)
        elif _CONCLUSION_BEFORE.search(before):
            results.append(n)
        said.append(n)
    if words:
        said += [_word_number(w) for w in _WORD_NUM.finditer(visible)]
    return notes, results, said + results + notes


# What comes before a number, read from its end. The patterns above end at the end of the text (`$`,
# which also matches before a final newline) with a tail of a few kinds of characters; the helpers
# below find where that tail starts (`_tail_start`), return early when the character before it
# cannot end the pattern, and search only from where a match could start: the same answers as a
# search of the whole text (which tries every position of it, for every number read).


def _tail_start(before: str, tail: str) -> tuple[int, int]:
    """(where the characters of `tail` that end `before` start, the length of `before` less a final
    newline)."""
    n = len(before) - 1 if before.endswith("\n") else len(before)
    return len(before[:n].rstrip(tail)), n


def _result_before(before: str) -> bool:
    """`_RESULT_BEFORE.search(before)`: "=", "≈" or "equal(s)" (its last character a letter) right
    before the tail, so a match starts at most 7 characters before it (with the \\b's look back)."""
    e, _ = _tail_start(before, " \t*_$€£")
    if e == 0 or not (before[e - 1] in "=≈" or before[e - 1].isalpha()):
        return False
    return _RESULT_BEFORE.search(before, max(0, e - 7)) is not None


def _operand_before(before: str) -> bool:
    """`_OPERAND_BEFORE.search(before)`: an operator right before the tail, and before the operator
    only spaces, a parenthesis and a point back to the operand's character."""
    e, _ = _tail_start(before, " \t($€£")
    if e == 0 or before[e - 1] not in "+-−–*/×÷xX·":
        return False
    k = len(before[:e - 1].rstrip(" \t)."))
    return _OPERAND_BEFORE.search(before, max(0, k - 1)) is not None


def _said_result_before(before: str) -> re.Match[str] | None:
    """`_SAID_RESULT_BEFORE.search(before)`: its words end in a letter followed by a space or tab."""
    e, n = _tail_start(before, " \t$€£")
    if e == 0 or e == n or before[e] not in " \t" or not before[e - 1].isalpha():
        return None
    return _SAID_RESULT_BEFORE.search(before)


def _mentioned(text: str, near: set[int], values: set[tuple[int, int]] | None) -> list[NumberMatch]:
    visible = _visible(text)
    bare = [(m, _bare(m, n)) for m, n in _numbers_near(visible, near, values)]
    return [n for m, n in bare if values is None or _may_be(m, n, values)] + _note_results(text)


def _may_be(m: re.Match[str], n: NumberMatch, values: set[tuple[int, int]]) -> bool:
    """Whether the number `n` (read by `m`) may state one of `values` as `same_answer` compares
    them, when `values` holds each reference value, its hundredfold and its hundredth (the percent
    forms, each as its (numerator, denominator): `_forms`) and no reference is written to two places
    or more: its value or its whole part is one of them, or it is written to two places or more (a
    rounding of one)."""
    v = n.value
    if (v.numerator, v.denominator) in values or (n.places is not None and n.places >= 2):
        return True
    whole = m.group("whole")
    return whole is not None and (int(whole), 1) in values


def _forms(v: Fraction) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """`v`, its hundredfold and its hundredth, each as (numerator, denominator) in lowest terms (as a
    Fraction holds it; reduced with whole numbers: hashed and compared far faster than Fractions)."""
    num, den = v.numerator, v.denominator
    up, down = gcd(100, den), gcd(num, 100)  # v is in lowest terms: only 100's factors can cancel
    return (num, den), (num * (100 // up), den // up), (num // down, den * (100 // down))


# a stretch of digits, read from where a search starts (the rest of one a number ends inside, too);
# group 1 matches (empty) when it is plain: no point, slash or comma before it; no comma, slash,
# space and digit, or decimals and a slash after it. Opened by its first digit, consumed: the regex
# engine then skips to each digit in C (a leading lookbehind made it enter the pattern at every
# character); the lookbehind looks at the text before the search's start too
_STRETCH = re.compile(r"\d(?:(?<=[./,]\d)\d*|\d*(?=[,/]|[ ]\d|\.\d+/)|\d*())")
# how far before its first digit a number of `_READ_NUM` may start: a sign, a space, a currency, a
# space, a second sign and a point come before the digits, one character each at most
NUMBER_LEAD = 6


def _numbers_near(visible: str, near: set[int],
                  values: set[tuple[int, int]] | None = None) -> list[tuple[re.Match[str], NumberMatch]]:
    """`_all_numbers(visible)` less the numbers that cannot lie near a value of `near` (their nearest
    whole number, their whole part: `stated_values`; signs dropped): a number with a fraction is
    kept, and one without whose whole part and the next one up (12.5 is near 13) are both not near
    is not read. The reading of numbers is the cost of the working check, so:
    - each search for the next number starts `NUMBER_LEAD` characters before the next stretch of
      digits (the pattern's own scan, position by position, over the words between numbers costs
      more than all the rest): no number starts further before its first digit, and a search from
      anywhere between the end of the last number and that start finds the same one first;
    - a plain stretch (no point, slash or comma before it; no comma, slash, space and digit, or
      decimals and a slash after it) is the whole part of the number that holds it, if any: when
      it is not near, the number is not read, and the next search starts after the stretch (a
      number's own decimals and words, "12.5", "12 thousand", "12 percent", hold no start of one).
    - with `values` (what the callers then keep of the numbers: `_may_be`), a whole number written
      without a point (no fraction, no mixed number) is only read when it or its negative is one of
      them: its value, its scale word taken off (`_bare`), is k or -k, with no decimal places. A plain
      stretch with no decimals after it is such a number's digits, so it is not even searched from.
    The numbers found are those of `_READ_NUM.finditer(visible)` (less those whole numbers), in order."""
    out: list[tuple[re.Match[str], NumberMatch]] = []
    stretch, read = _STRETCH.search, _READ_NUM.search
    pos = 0
    while (d := stretch(visible, pos)) is not None:
        start, end = d.span()
        if d.group(1) is not None:  # a plain stretch: the whole part of the number that holds it, if any
            k = int(d.group())
            # near: k or k + 1 (12.5 is near 13) is in `near`, signs dropped (no set of them is built)
            if (k not in near and k + 1 not in near and -k not in near and -k - 1 not in near) or (values is not None and (k, 1) not in values and (-k, 1) not in values
                                 and not (visible[end:end + 1] == "." and visible[end + 1:end + 2].isdecimal())):
                pos = end
                continue  # not near; or, with no decimals after it, a whole number `_may_be` drops
        m = read(visible, max(pos, start - NUMBER_LEAD))
        if m is None:
            break
        pos = m.end()
        _, _, _, whole, num, den, _, _ = m.groups()
        if den is None and whole is None:
            k = int(num.partition(".")[0].replace(",", "") or 0)
            if k not in near and k + 1 not in near and -k not in near and -k - 1 not in near:
                continue
            if values is not None and "." not in num and (k, 1) not in values and (-k, 1) not in values:
                continue  # a whole number, k or -k (its scale word taken off), that `_may_be` drops
        n = _to_number(m, visible)
        if n is not None:
            out.append((m, n))
    return out




# a number right after an "=" ("= 9", "=$1,300", "= **18**"), read whole: digits with their commas,
# points and slashes ("1,300.50", "3/4"); then not a percent, nor the whole part of a mixed number
_AFTER_EQUALS = re.compile(r"=[ \t*_$€£]*(\d+(?:[.,/]\d+)*)(?![%\d]|[ \t]?\d+/\d)")


def _written_again(steps: tuple[tuple[NumberMatch, str, int], ...], candidate: str) -> list[int]:
    """The common case, counted cheaply: for each step, how often the rewrite writes its result after
    an "=", as digits the way the original writes them ("1300" or "1,300"), at most as often as the
    original's calculations arrive at it (a result written otherwise counts 0 here). Each such
    number is one the full reading counts as that result too: a lower bound of what it finds, so a
    total that reaches the share passes without reading the rewrite's numbers, and a step found as
    often as it is needed is not read again. One pass of one pattern over the rewrite."""
    if "=" not in candidate:
        return [0] * len(steps)
    after: dict[str, int] = {}  # how often each number is written after an "=" (a Counter cost more)
    for number in _AFTER_EQUALS.findall(candidate):
        after[number] = after.get(number, 0) + 1
    found = []
    for value, how, times in steps:
        if how != "result" or value.value.denominator != 1 or value.percent:
            found.append(0)
            continue
        plain = str(value.value.numerator)
        n = after.get(plain, 0)
        if n < times and len(plain) > 3:
            n += after.get(f"{value.value.numerator:,}", 0)
        found.append(min(n, times))
    return found


def check_working_kept(inp: CheckInput, options: VerifyOptions | None = None) -> CheckResult:
    """Pass when the rewrite states at least `WORKING_KEPT_SHARE` of the original's intermediate
    results (`intermediate_results`), each as the original does (a result as a result, as many times
    as the original's calculations arrive at it); not applicable when the original has none. The
    original's results are read once per original (remembered); the rewrite's numbers only when the
    plain search of `_written_again` does not reach the share, and then only the numbers that may lie
    near one of those results (`_numbers_near`)."""
    steps = intermediate_results(inp.original, inp.instruction)
    if not steps:
        return fixed_result(WORKING_NAME, True, "not applicable: the original writes no calculation")
    total = sum(times for _, _, times in steps)
    found = _written_again(steps, inp.candidate)
    quick = sum(found)
    if quick == total:
        return CheckResult(name=WORKING_NAME, passed=True,
                           reason=f"working kept: the rewrite states all {total} results of the original's calculations")
    # kept >= WORKING_KEPT_SHARE * total, in whole numbers
    share_num, share_den = WORKING_KEPT_SHARE.numerator, WORKING_KEPT_SHARE.denominator
    if quick * share_den >= share_num * total:
        return CheckResult(name=WORKING_NAME, passed=True,
                           reason=f"working kept: the rewrite states at least {quick} of the {total} results of the "
                                  f"original's calculations")
    # the whole numbers near which a number of the rewrite must lie to be one of the open steps'
    # (as written, as a percent or its fraction, rounded: `same_answer`): the others are not looked at
    near: set[int] = set()
    values: set[tuple[int, int]] | None = set()  # and the values themselves, unless a rounding may match
    for (value, _, times), got in zip(steps, found):
        if got == times:
            continue
        forms = _forms(value.value)
        for num, den in forms:
            k = round(num / den)  # as round(float(Fraction(num, den))): one correctly rounded division
            near |= {k - 1, k, k + 1}
        if values is not None:
            values = None if value.places is not None and value.places >= 2 else values | set(forms)
    notes, results, said = stated_values(inp.candidate, near, words=False, values=values)
    missing: list[str] = []
    anywhere: list[NumberMatch] | None = None
    for (value, how, times), got in zip(steps, found):
        if got == times:
            continue  # found after an "=" as often as needed
        if how == "note":
            how = "said" if value.value in _said_in_text(inp.original, inp.instruction) else "any"
        if how == "result":
            got = max(sum(same_answer(value, n, round_places=2) for n in notes),
                      sum(same_answer(value, n, round_places=2) for n in results))
        else:
            if how == "any" and anywhere is None:
                anywhere = _mentioned(inp.candidate, near, values)
            got = times if any(same_answer(value, n, round_places=2) for n in (said if how == "said" else anywhere or [])) else 0
            if not got and how == "said":  # a number word ("nine eggs"): read only when it is needed
                got = times if any(same_answer(value, _word_number(w), round_places=2)
                                   for w in _WORD_NUM.finditer(_visible(inp.candidate))) else 0
        if got < times:
            shown = format_value(value.value) + ("%" if value.percent else "")
            missing += [shown] * (times - got)
    kept = total - len(missing)
    if kept * share_den >= share_num * total:
        if not missing:
            return CheckResult(name=WORKING_NAME, passed=True,
                               reason=f"working kept: the rewrite states all {total} results of the original's calculations")
        return CheckResult(name=WORKING_NAME, passed=True,
                           reason=f"working kept: the rewrite states {kept} of the {total} results of the original's calculations")
    more = f" (+{len(missing) - 6} more)" if len(missing) > 6 else ""
    return CheckResult(name=WORKING_NAME, passed=False,
                       reason=f"working dropped: the rewrite states {kept} of the {total} results of the original's "
                              f"calculations; missing {', '.join(missing[:6])}{more}")


def make_working_check(options: VerifyOptions) -> Check:
    def check(inp: CheckInput) -> CheckResult:
        return check_working_kept(inp, options)

    return check
