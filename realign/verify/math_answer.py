"""The final answer of a text for the math check (`math`), and the original's reference answer.

The reference is read from the original by explicit statements only (`math_statements`); an original
that is just a short answer with a single number also counts. Without any of these the check does
not apply (a guessed reference would reject good rewrites). The rewrite's final answer is read with
`extract_final_answer`: explicit statements win; when there are none, a concluding sentence ("So she
makes $18 a day."), then a bold number in the last paragraph, then the last number in the text are
fallbacks, in that order. GSM8K calculator notes (``<<9*2=18>>``) are ignored: the visible text
states the values; after an "Answer:" breakdown the conclusion ("Total: 160 + 80 + 20 = 260") is the
answer. `read_answer` gives every answer statement of a text (assertions and later revisions), and
`restated_forms` the values written beside the answer as another form of it.

>>> a = extract_final_answer("So 9 * 2 = 18.\\n\\n**Final answer:** $1,234.00 (rounded)")
>>> a.value, a.style
(Fraction(1234, 1), 'final answer')
>>> gsm8k_reference("16 - 3 - 4 = 9\\n#### 18")
Fraction(18, 1)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from fractions import Fraction

from realign.verify.math_numbers import (
    FinalAnswer, NumberMatch, _all_numbers, _normalize_latex, parse_number, same_answer,
)
from realign.verify.math_question import asks_percent
from realign.verify.math_statements import _Statement, _explicit_statements, _numbers, _question_values


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


# (led by the character a break starts with, consumed, each branch naming it by a lookbehind: a pattern
# that opens with a consumed class lets the regex engine skip to each such character in C, where a
# leading lookahead or lookbehind makes it enter the pattern at every position of the text)
_SENT_BREAK = re.compile(r"[.!?](?:(?<=\.)(?<!\d\.)(?:\s|$)|(?<=\.)(?=\s+[A-Z])|(?<=[!?])(?:\s|$))")


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


# A value hedged against another anywhere in the prose, beside or without an explicit statement:
# a cue right before the second number ("$18, or maybe $20", "though the true answer might be
# $20", "(it could also be $22 ...)"), "between $18 and $20", or a bare "18 or 20" that ends its
# sentence. The number before the cue is the nearest one in the same sentence. Only a cue followed
# at once by a number counts: "18 could be split into 9 and 9" offers no alternative.
_HEDGE_CUE = re.compile(
    r"\b(?:or\s+(?:maybe|perhaps|possibly|even|else|about|around|so)|maybe|perhaps|possibly|"
    r"(?:might|may|could|would)\s+(?:also\s+|even\s+|actually\s+|instead\s+)?be|either|between)\b"
    r"(?P<gap>\s+(?:about|around|approximately|roughly|closer\s+to)?\s*[$€£]?\s*)(?=\d)", re.I)
_BARE_OR = re.compile(r"(?P<a>\d[\d,]*(?:\.\d+)?)%?(?:[ \t]+(?:[A-Za-z]+[ \t]+)?|[ \t]*,[ \t]*)or[ \t]+[$€£]?[ \t]*"
                      r"(?P<b>\d[\d,]*(?:\.\d+)?)(?=%?(?:[ \t]+[A-Za-z]+){0,2}[ \t]*(?:[.!?]|$))", re.M)
_OPERAND_BEFORE = re.compile(r"(?:\b(?:times|plus|minus|divided[ \t]+by|multiplied[ \t]+by|of|over)|[×x*+\-/÷])[ \t]*[$€£]?[ \t]*$",
                             re.I)
# the word of a hedge before the second number (or the first, for "between" / "either"): where
# `_hedges` looks
_HEDGE_WORDS = ("or", "be", "maybe", "perhaps", "possibly", "either", "between")
_HEDGE_NEAR = re.compile(r"(?:or|be|maybe|perhaps|possibly|either|between)[ \t]+(?:(?:about|around|approximately|"
                         r"roughly|closer[ \t]+to|maybe|perhaps|possibly|even|else|so)[ \t]+)?[$€£]?[ \t]*\d", re.I)


def _hedge_sites(text: str) -> list[int]:
    """Where `_HEDGE_NEAR` matches, in order: its words found with str.find, then the pattern tried
    at each (a regex scan of every position cost a verification about 15 us a row)."""
    return [m.start() for m in _cue_matches(text, _lowered(text), _HEDGE_NEAR, _HEDGE_WORDS, 0)]


def _hedges(text: str) -> list[tuple[str, NumberMatch, NumberMatch]]:
    """(sentence, value, value offered beside it) for each hedge of `_HEDGE_CUE` / `_BARE_OR` in `text`."""
    out: list[tuple[str, NumberMatch, NumberMatch]] = []
    done = -1
    for at in _hedge_sites(text):  # a hedge word right before a number: most texts have none
        if at < done:
            continue
        line = text.rfind("\n", 0, at) + 1
        m = next((x for x in _SENTENCES.finditer(text, line) if x.end() > at), None)
        if m is None:
            continue
        done = m.end()
        shown = m.group(0).strip()[:160]
        sent = _normalize_latex(m.group(0))
        nums = [(n, at) for n, neg, at in _numbers(sent) if not neg]
        if len(nums) < 2:
            continue
        for c in _HEDGE_CUE.finditer(sent):
            after = next((i for i, (_, at) in enumerate(nums) if at >= c.end("gap")), None)
            if after is None or nums[after][1] > c.end("gap") + 1:
                continue
            if c.group(0).lower().startswith(("between", "either")):
                pair = nums[after:after + 2] if after + 1 < len(nums) else []
            else:
                before = [x for x in nums if x[1] < c.start()]
                pair = [before[-1], nums[after]] if before else []
            if len(pair) == 2:
                out.append((shown, pair[0][0], pair[1][0]))
        for b in _BARE_OR.finditer(sent):
            if _OPERAND_BEFORE.search(sent, max(0, b.start("a") - 16), b.start("a")):
                continue  # "5 times 50, or 250", "80% of $400, or $320": the result said again, not a hedge
            first = next((n for n, at in nums if at == b.start("a")), None)
            second = next((n for n, at in nums if at == b.start("b")), None)
            if first is not None and second is not None:
                out.append((shown, first, second))
    return out


# A second answer offered beside the stated one without a hedge word: attributed to others ("(some
# textbooks give $20)", "other sources say 20", "according to some keys, 20"), put in brackets as an
# alternative ("$18 (or $20)", "(alternatively 20)"), or a total under another condition ("(If she
# sold the muffins too it would be $26.)", "at $3 it would be $27"). Each cue is followed within a
# few words by the number it offers; `_alternatives` pairs that number with the numbers written
# just before it (its sentence and the one before, on the same or the previous line), where the
# answer it stands beside is.
_ALT_ATTRIBUTED = re.compile(
    r"\b(?:(?:some|other|many|several|most|certain)[ \t]+(?:[a-z]+[ \t]+)?"
    r"(?:sources|textbooks|books|people|students|teachers|answer[ \t]+keys|keys|solutions|references|versions|"
    r"editions|websites|sites|calculators|readers|authors|answers)|others)"
    r"[ \t]+(?:might[ \t]+|may[ \t]+|would[ \t]+|will[ \t]+)?(?:say|says|said|give|gives|gave|get|gets|got|list|lists|"
    r"claim|claims|state|states|report|reports|put|puts|show|shows|quote|quotes|suggest|suggests|use|uses|"
    r"have|has|write|writes|arrive[ \t]+at|come[ \t]+to)\b(?P<gap>[^\n.!?;()\d]{0,25}?[$€£]?[ \t]*)(?=\d)"
    r"|\baccording[ \t]+to[ \t]+(?:some|other|many|several)\b[^\n.!?;()\d]{0,40}?(?P<gap2>[$€£]?[ \t]*)(?=\d)",
    re.I)
_ALT_BRACKET = re.compile(
    r"\([ \t]*(?:or|alternatively|otherwise|else|or[ \t]+else|or[ \t]+possibly|or[ \t]+perhaps|or[ \t]+maybe)\b"
    r"[ \t,:]*(?:about[ \t]+|around[ \t]+)?(?P<gap>[$€£]?[ \t]*)(?=\d)", re.I)
_ALT_CONDITIONAL = re.compile(
    r"\bwould[ \t]+(?:then[ \t]+|instead[ \t]+|also[ \t]+)?(?:be|give|make|come[ \t]+to|total|equal|cost|get|earn|have)\b"
    r"(?P<gap>[ \t]+(?:about|around|only|just)?[ \t]*[$€£]?[ \t]*)(?=\d)", re.I)
# the conditions that make "would be N" a hypothetical total rather than the answer itself
_CONDITION = re.compile(r"\b(?:if|at|with|without|assuming|had|were|instead|otherwise|unless|suppose|supposing)\b", re.I)
# the words each cue opens with, found with str.find and the pattern tried at each (a scan of every
# position with a pattern led by \b costs each reading several microseconds)
_ALT_SITES = ((("attributed", _ALT_ATTRIBUTED), ("some", "other", "many", "several", "most", "certain", "according")),
              (("bracketed", _ALT_BRACKET), ("(",)), (("conditional", _ALT_CONDITIONAL), ("would",)))


def _closing_start(text: str) -> int:
    """Where the closing lines of `text` start: the last two non-blank lines that are not a `#### N` line."""
    end, found = len(text), 0
    while end > 0 and found < 2:
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end].strip()
        if line and not line.startswith("####"):
            found += 1
            if found == 2:
                return start
            last = start
        end = start - 1
    return last if found else 0


def _lowered(text: str) -> str:
    """`text` in lower case with its positions kept: a letter whose lower case is longer ("İ") stays."""
    low = text.lower()
    return low if len(low) == len(text) else "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)


def _cue_matches(text: str, low: str, pattern: re.Pattern[str], words: tuple[str, ...], pos: int):
    """The matches of `pattern` at the word-initial places of `words` in `low` from `pos`, in order."""
    found = []
    for word in words:
        i = low.find(word, pos)
        while i >= 0:
            if word == "(" or i == 0 or not low[i - 1].isalnum():
                m = pattern.match(text, i)
                if m is not None:
                    found.append(m)
            i = low.find(word, i + 1)
    return sorted(found, key=lambda m: m.start())


def _alternatives(text: str) -> list[tuple[str, str, tuple[NumberMatch, ...], NumberMatch]]:
    """(kind, sentence, numbers written just before, number offered) for each second answer of
    `_ALT_ATTRIBUTED` / `_ALT_BRACKET` / `_ALT_CONDITIONAL` in `text`. A conditional counts only in
    the closing lines (the last two lines other than a `#### N` line) and only with a condition
    before it in its sentence ("if", "at $3", "assuming", "with"); its sentence's own numbers before
    the cue are the condition's, so the answer is looked for in the sentences before it."""
    low = _lowered(text)
    out: list[tuple[str, str, tuple[NumberMatch, ...], NumberMatch]] = []
    for (kind, pattern), words in _ALT_SITES:
        pos = _closing_start(text) if kind == "conditional" else 0
        for m in _cue_matches(text, low, pattern, words, pos):
            num_at = m.end()
            offered = _numbers(_normalize_latex(text[num_at : num_at + 40]))
            if not offered or offered[0][2] > 2 or offered[0][1]:
                continue
            line = text.rfind("\n", 0, m.start()) + 1
            sent = next((x for x in _SENTENCES.finditer(text, line) if x.end() > m.start()), None)
            if sent is None:
                continue
            if kind == "conditional" and not _CONDITION.search(text, sent.start(), m.start()):
                continue
            # the sentence before (on this line, else the previous line) and this one up to the cue
            prev_line = text.rfind("\n", 0, max(0, line - 1)) + 1 if not text[line : sent.start()].strip() else line
            prev = None
            for x in _SENTENCES.finditer(text, prev_line):
                if x.start() >= sent.start():
                    break
                if x.group(0).strip():
                    prev = x
            ctx_start = prev.start() if prev is not None else sent.start()
            ctx_end = sent.start() if kind == "conditional" else m.start()
            ctx = tuple(n for n, neg, _ in _numbers(_normalize_latex(text[ctx_start:ctx_end])) if not neg)
            if kind == "conditional":  # the answer can also open the conditional's own sentence: "$18, but at $3 ..."
                head = text[sent.start() : m.start()]
                cond = _CONDITION.search(head)
                ctx += tuple(n for n, neg, _ in _numbers(_normalize_latex(head[: cond.start()])) if not neg)
            out.append((kind, sent.group(0).strip()[:160], ctx, offered[0][0]))
    return out


@dataclass(frozen=True)
class AnswerReading:
    """What a text says its answer is: the statements that assert a value, the values it denies,
    later sentences that restate or revise it (each with the numbers it asserts), and values the
    prose hedges against each other ("$18, or maybe $20"), which a '#### N' line does not undo.

    `revisions` and `hedges` are read from the text when first asked for: the math check asks only
    when the asserted values agree with the original (most rewrites it rejects state another value
    and end there), and they cost about half a reading."""

    asserted: tuple[FinalAnswer, ...]
    denied: tuple[FinalAnswer, ...]
    text: str  # the visible text read
    cut: int | None  # where revisions are looked for (after the first assertion's sentence); None: no assertion

    @cached_property
    def revisions(self) -> tuple[tuple[str, tuple[NumberMatch, ...], tuple[NumberMatch, ...]], ...]:
        """(text, asserted, denied) of each later sentence that revises or restates the answer (`_REVISION`)."""
        return _revisions(self.text, self.cut) if self.cut is not None else ()

    @cached_property
    def hedges(self) -> tuple[tuple[str, NumberMatch, NumberMatch], ...]:
        """(sentence, one value, the other) of each hedge in the text (`_hedges`)."""
        return tuple(_hedges(self.text))

    @cached_property
    def alternatives(self) -> tuple[tuple[str, str, tuple[NumberMatch, ...], NumberMatch], ...]:
        """(kind, sentence, numbers just before, number offered) of each second answer offered beside
        the answer: attributed to others, bracketed as an alternative, or a conditional total in the
        closing lines (`_alternatives`)."""
        return tuple(_alternatives(self.text))


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
    cut = None
    if asserted:
        anchor = asserted[0].start
        # skip the rest of the anchor's own sentence
        nl = _SENT_BREAK.search(text, anchor)
        after = text.find("\n", anchor)
        cut = min(x for x in ((nl.end() if nl else len(text)), (after if after >= 0 else len(text))))
    return AnswerReading(tuple(asserted), denied, text, cut)


def _revisions(text: str, cut: int) -> tuple[tuple[str, tuple[NumberMatch, ...], tuple[NumberMatch, ...]], ...]:
    """The sentences of `text` from `cut` on that revise or restate the answer, each with the
    numbers it asserts and those it denies."""
    revisions: list[tuple[str, tuple[NumberMatch, ...], tuple[NumberMatch, ...]]] = []
    for m in (_SENTENCES.finditer(text, cut) if _REVISION.search(text, cut) else ()):
        sent = m.group(0).strip()
        if not sent or not _REVISION.search(sent):
            continue
        nums = _numbers(_normalize_latex(sent))
        if nums:
            revisions.append((sent[:160], tuple(n for n, neg, _ in nums if not neg),
                              tuple(n for n, neg, _ in nums if neg)))
    return tuple(revisions)


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


def restated_forms(text: str, values: set[Fraction],
                   nums: list[tuple[re.Match[str], NumberMatch]] | None = None) -> set[Fraction]:
    """The values (unsigned) of numbers in `text` that restate, right beside it, a number whose
    unsigned value is in `values`: "0.54 or 54.00%" with 0.54 given -> {54}. `nums`: the text's
    numbers when the caller has read them already (`_all_numbers(text)`)."""
    if nums is None:
        nums = _all_numbers(text)
    out: set[Fraction] = set()
    # which numbers have a value in `values`, each number looked up once (a Fraction's abs and hash
    # are Python code, and each number is in two pairs): a pair with neither is skipped before its gap is read
    given = [abs(n.value) in values for _, n in nums]
    for i, ((pm, p), (nm, n)) in enumerate(zip(nums, nums[1:])):
        if not (given[i] or given[i + 1]):
            continue
        gap = text[pm.end() : nm.start()]
        if len(gap) > RESTATE_GAP or _SENT_BREAK.search(gap + " "):
            continue
        if given[i] and _restates(p, n, gap):
            out.add(abs(n.value))
        elif given[i + 1] and _restates(n, p, gap):
            out.add(abs(p.value))
    return out - set(values)
