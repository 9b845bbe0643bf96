"""Arithmetic: every calculation a rewrite writes out must be right.

A rewrite of a worked solution may keep the final answer and still teach wrong working
("3 pens cost 3 x 2 = $7. The total is 7 + 10 = $16."). Every written calculation of the form
``a op b [op c ...] = r`` (numbers, + - x * / ÷, parentheses; currency signs, thousands separators
and a trailing unit allowed) is evaluated exactly and compared with r, allowing r to be rounded
to the places it is written with. A wrong calculation that the original also writes is not the
rewrite's fault and does not count; chains ("2 + 3 = 5 x 4 = 20") are read link by link.
GSM8K's calculator notes ("<<48/2=24>>") are calculations too and must hold as well.

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

from realign.records import CheckResult
from realign.verify.base import Check, CheckInput
from realign.verify.options import VerifyOptions

NAME = "arithmetic"

# bounded lengths: a run of hundreds of digits ("2.666666...") must not make the scan quadratic
_NUM = r"[$€£]?\d{1,3}(?:,\d{3}){1,5}(?:\.\d{1,12})?|[$€£]?\d{1,15}(?:\.\d{1,12})?|[$€£]?\.\d{1,12}"  # ".5": GSM8K's notes
_OP = r"[+\-−*/×÷xX]"
# an expression: number (op number)+, parentheses allowed, then "=" and a result number; every run
# of spaces has exactly one way to match (an optional "\s*" beside another one makes the scan
# exponential in the number of terms: "50 + 80 + ... + 60 = <<...>>" took 90 ms)
_CALC = re.compile(
    # not inside a larger expression with a variable ("M + 4 + 2 = 8", "X*2 - 40 = 250") or a
    # mixed number ("8 x 1 1/2 = 12")
    rf"(?<![\w.,/^])(?<![+\-−*/×÷xX]\s)(?<![+\-−*/×÷])(?<!\d\s)(?P<expr>(?:\(\s*)?(?:{_NUM})(?:\s*\))?(?:\s*{_OP}\s*(?:\(\s*)?(?:{_NUM})(?:\s*\))?)+)\s*=\s*(?P<res>-?(?:{_NUM}))(?![\d/]|\.\d)"
    # a result that is itself the start of an expression ("= 45 + 110 + 72 = 227") is a chain
    # link, read on its own from there
    rf"(?![ \t]*{_OP}[ \t]*[\d($€£])(?![A-Za-z]|[ \t]\d+/\d)"
    r"(?P<pct>\s*(?:%|percent\b|cents?\b|¢))?"
)


_SYMBOLS = str.maketrans("", "", "$€£,")
_X = re.compile(r"(?<=[\d)\s])[xX](?=[\s\d($€£])")
_TOKENS = re.compile(r"[$€£]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[$€£]?\d+(?:\.\d+)?|[$€£]?\.\d+|[-+*/()]")
_SPACE = re.compile(r"\s+")
_CLOCK = re.compile(r"(?<![\d.,])0\d")
_DIVIDED_BY_FRACTION = re.compile(r"(?<=/\s)(\d+/\d+)")


def _value(token: str) -> Fraction:
    # built from ints: Fraction("12.5") parses with a regex and is the hot spot of this check
    plain = token.translate(_SYMBOLS)
    whole, dot, frac = plain.partition(".")
    if not dot:
        return Fraction(int(whole))
    return Fraction(int((whole or "0") + frac), 10 ** len(frac))


def _evaluate(expr: str) -> Fraction | None:
    """Exact value of a + - * / expression with parentheses; None if it is not one."""
    text = expr.replace("×", "*").replace("÷", "/").replace("−", "-")
    if "x" in text or "X" in text:
        text = _X.sub("*", text)
    if _CLOCK.search(text):
        return None  # "0900 - 0130 = 0730": clock times, not numbers
    if "/" in text:
        text = _DIVIDED_BY_FRACTION.sub(r"(\1)", text)  # "25 / 1/3" is 25 divided by a third
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
        if tok == "-":
            pos += 1
            return -atom()
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
    matches = (m for line in text.split("\n") if "=" in line for m in _CALC.finditer(line))
    for m in matches:
        expr = m.group("expr").strip()
        if expr.startswith("(") and expr.count("(") > expr.count(")"):
            expr = expr[1:].strip()
        exact = _evaluate(expr)
        if exact is None:
            continue
        res = m.group("res")
        if m.group("pct") and not _close(exact, res) and _close(exact * 100, res):
            continue  # "3/4 = 75%", "$2.50 - $2.24 = 26 cents"
        if not _close(exact, res):
            out.append((f"{expr} = {res}", exact))
    return list(dict.fromkeys(out))  # a note and the visible working may write the same calculation


def _shown(v: Fraction) -> str:
    if v.denominator == 1:
        return str(v.numerator)
    return f"{float(v):.4g}"


def check_arithmetic(inp: CheckInput, options: VerifyOptions | None = None) -> CheckResult:
    wrong = wrong_calculations(inp.candidate)
    if not wrong:
        return CheckResult(name=NAME, passed=True, reason="every written calculation is right")
    inherited = {re.sub(r"\s+", "", w) for w, _ in wrong_calculations(inp.original)}
    own = [(w, v) for w, v in wrong if re.sub(r"\s+", "", w) not in inherited]
    if not own:
        return CheckResult(name=NAME, passed=True,
                           reason="the only wrong calculations are the original's own")
    w, v = own[0]
    lhs = w.rsplit("=", 1)[0].strip()
    more = f" (+{len(own) - 1} more)" if len(own) > 1 else ""
    return CheckResult(name=NAME, passed=False, reason=f"wrong calculation: {w!r} ({lhs} is {_shown(v)}){more}")


def make_check(options: VerifyOptions) -> Check:
    def check(inp: CheckInput) -> CheckResult:
        return check_arithmetic(inp, options)

    return check
