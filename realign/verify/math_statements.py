"""Explicit final-answer statements of a text, for the math check (`math_answer` reads with them).

A statement is a GSM8K `#### N` line, `\\boxed{...}`, "The answer is ...", "Final answer: ...", an
`Answer:` line or a JSON ``"answer": "18"`` field, in the styles models write ("**Final answer:**
1,234", "The answer is $1,234.00", `\\boxed{\\frac{3}{4}}`, "75%", "-5", "18 eggs"). A value stated
first and then worked out ("0.68 (5,121.3 / 7,491.5)", "1.73. This is calculated by dividing ...")
is read as the answer, not the last operand. An "Answer:" that lists several quantities ("A has 160,
B 80 and C 20") is a breakdown, not the answer. An answer statement with several numbers gives the
one in the unit the question asks for, else one the question does not give; clock times are not
quantities; a denied value ("not 18") and a hedge ("18 or 20") are read as such; an "Answer:"
section that opens with an unresolved equation ("x = y + 30") or with a number in another unit ("30
pages" for "how many hours") is read down its next lines to the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from fractions import Fraction
from typing import Iterator

from realign.verify.math_numbers import (
    NumberMatch, _NUM, _WORD_NUM, _normalize_latex, _to_number, _word_number, num_matches,
)


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
# led by its first character, consumed (as math_answer._SENT_BREAK): the branches, one led by a class,
# made the regex engine enter the pattern at every position of the text
_SENT_END = re.compile(r"[.!?;\n](?:(?<=\.)(?=\s|$)(?<!\d\.)|(?<=[!?;\n])|(?<=\.)\s)")
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
    for m in _NUM.finditer(seg):  # a statement is short: the plain scan costs less than num_matches
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
_DIGIT_RUNS = re.compile(r"\d\d*")  # (led by a class: the engine skips to each digit in C, see language._WORD)


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


@lru_cache(maxsize=64)
def _question_values(question: str) -> frozenset[Fraction]:
    if not question:
        return frozenset()
    q = _normalize_latex(question)
    return frozenset(n.value for m in num_matches(q) if (n := _to_number(m, q)) is not None)
