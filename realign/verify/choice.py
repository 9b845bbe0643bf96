"""Multiple choice and closed answers: the rewrite must state the original's option / yes-no /
true-false answer.

Options are read from the instruction ("A) ...", "(B) ...", "C. ..." lines, or inline
"(A) x (B) y"). The original's answer is an option letter stated explicitly ("Answer: B", "The
correct option is (B)", a text that starts with "B)" / "**B**" / "B."), else the one option text
it mentions. The rewrite must state that letter (or, stating no letter, that option's text) and no
other letter. Without options, an original that opens with (or states "the answer is") yes / no /
true / false fixes a polarity the rewrite must state too ("not true" is false). An original with
neither: not applicable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from realign.records import CheckResult
from realign.verify.base import Check, CheckInput
from realign.verify.options import VerifyOptions

NAME = "choice_answer"

_OPT_LINE = re.compile(r"^[ \t]*(?:[-*][ \t]+)?\(?([A-Ha-h])[).:][ \t]+(\S.{0,300}?)[ \t]*$", re.M)
_OPT_INLINE = re.compile(r"\(([A-H])\)[ \t]*([^()\n]{1,200}?)(?=[ \t]*\([A-H]\)|[ \t]*$|\n)", re.M)

_LETTER = r"\(?([A-H])(?![\w'’])\)?"
_ADVERBS = r"(?:(?i:probably|likely|most likely|definitely|clearly|therefore|thus|indeed|then|still|option|choice)[ \t,]+){0,2}"
# A letter stated as the answer: "the answer is (probably) B", "Answer: B", "the correct option is
# B", "I choose B"; a second letter joined by or / and / a comma list is a second statement.
# "option B doesn't make sense" is a mention, not a statement.
_LETTER_CUE = re.compile(
    r"(?:(?i:\b(?:answer|correct[ \t]+(?:option|choice|letter)|best[ \t]+(?:option|choice|answer)|right[ \t]+(?:option|choice)"
    r"|option|choice)(?:[ \t]+(?:is|would[ \t]+be|should[ \t]+be|will[ \t]+be|must[ \t]+be))"
    r"|\banswer(?:\*\*|__)?[ \t]*[:=\-–]|\b(?:choose|pick|select|go[ \t]+with)))"
    r"[ \t]*[:=]?[ \t]*(?:\*\*|__)?[ \t]*" + _ADVERBS + _LETTER
    + r"((?:[ \t]*(?i:,[ \t]*or|,|or|/|and/or|and)[ \t]*(?i:option[ \t]+)?\(?[A-H](?![\w'’])\)?)*)"
)
_MORE_LETTERS = re.compile(r"\(?([A-H])(?![\w'’])\)?")
_LETTER_START = re.compile(r"^[\s>#*_]*(?:\*\*|__)?\(?([A-H])(?:[).:]|\*\*|__|[ \t]*$|[ \t]+[-–—]|\s*\n)")

_POLAR_START = re.compile(
    r"^[\s>#*_\"'“]*(yes|no|true|false|correct|incorrect)(?![\w-])(?![ \t]+(?:problem|worries|need|doubt)\b)"
    r"(?=[\s]*[,.!:;—–\-*_\"'”]|\s*$|\s*\n)",
    re.I,
)
_POLAR_CUE = re.compile(
    r"\b(?:answer|statement|claim|it|this|that)[ \t]+(?:is|would[ \t]+be)[ \t]*:?[ \t]*(?:\*\*)?[ \t]*"
    r"(not[ \t]+)?(yes|no|true|false|correct|incorrect)\b",
    re.I,
)
# "Answer: False", "**Verdict:** true", "In short: yes"
_POLAR_LABEL = re.compile(
    r"\b(?:answer|verdict|conclusion|in short|in brief|bottom line)[ \t]*(?:\*\*)?[ \t]*:[ \t]*(?:\*\*)?[ \t]*(not[ \t]+)?"
    r"(yes|no|true|false|correct|incorrect)\b",
    re.I,
)
# a verdict that opens a later paragraph: "Let me check.\n\nFalse. The wall is ..."
_POLAR_PARAGRAPH = re.compile(
    r"\n[ \t]*\n[\s>#*_\"'“]*(yes|no|true|false|correct|incorrect)(?![\w-])(?=[ \t]*[,.!:;—–*_\"'”]|[ \t]*\n)",
    re.I,
)
# Words that offer several answers at once: "It could be X or Y", "either X or Y", "maybe X".
_HEDGE_WORDS = re.compile(
    r"\b(?:could be|might be|may be|maybe|possibly|perhaps|either|not sure|hard to say|or possibly|and/or)\b"
    r"|[\"'”][ \t]*(?:or|/)[ \t]*[\"'“]",
    re.I,
)
_POLARITY = {"yes": True, "true": True, "correct": True, "no": False, "false": False, "incorrect": False}


@dataclass(frozen=True)
class Choice:
    letter: str | None  # option letter when options exist
    polarity: bool | None  # yes/true -> True, no/false -> False
    shown: str  # as found in the text
    how: str  # "letter", "option text", "opening word", "statement"


def parse_options(instruction: str) -> dict[str, str]:
    """Option letter -> option text, when the instruction lists at least two options A, B, ..."""
    opts: dict[str, str] = {}
    for m in _OPT_LINE.finditer(instruction):
        opts.setdefault(m.group(1).upper(), m.group(2).strip())
    if len(opts) < 2:
        opts = {}
        for m in _OPT_INLINE.finditer(instruction):
            opts.setdefault(m.group(1), m.group(2).strip(" ,;"))
    letters = sorted(opts)
    if len(letters) < 2 or letters[0] != "A" or any(ord(b) - ord(a) != 1 for a, b in zip(letters, letters[1:])):
        return {}
    return opts


def _text_pattern(text: str) -> re.Pattern[str] | None:
    t = text.strip().strip(".").strip()
    if len(t) < 1 or len(t) > 120:
        return None
    return re.compile(r"(?<![\w])" + re.escape(t) + r"(?![\w])", re.I)


def stated_letters(text: str, options: dict[str, str]) -> list[tuple[str, str]]:
    """(letter, shown) for every option letter the text states as its answer, in order."""
    out: list[tuple[str, str]] = []
    m = _LETTER_START.match(text)
    if m and m.group(1) in options:
        out.append((m.group(1), m.group(0).strip()))
    for m in _LETTER_CUE.finditer(text):
        letters = [m.group(1)] + _MORE_LETTERS.findall(m.group(2) or "")
        for letter in letters:
            if letter in options:
                out.append((letter, m.group(0).strip()))
    return out


def mentioned_option_texts(text: str, options: dict[str, str]) -> list[str]:
    """Letters whose option text the text mentions, longest option texts first (no overlaps)."""
    found: list[str] = []
    taken: list[tuple[int, int]] = []
    for letter, opt in sorted(options.items(), key=lambda kv: -len(kv[1])):
        pat = _text_pattern(opt)
        if pat is None:
            continue
        for m in pat.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            found.append(letter)
            break
    return found


def stated_polarity(text: str) -> Choice | None:
    m = _POLAR_START.match(text)
    if m:
        return Choice(None, _POLARITY[m.group(1).lower()], m.group(1), "opening word")
    for cue in (_POLAR_CUE, _POLAR_LABEL):
        m = cue.search(text)
        if m:
            pol = _POLARITY[m.group(2).lower()]
            if m.group(1):
                pol = not pol
            return Choice(None, pol, m.group(0).strip(), "statement")
    m = _POLAR_PARAGRAPH.search(text)
    if m:
        return Choice(None, _POLARITY[m.group(1).lower()], m.group(1), "paragraph opening")
    return None


def _polar_word(p: bool, shown: str) -> str:
    s = shown.lower()
    if "true" in s or "false" in s:
        return "true" if p else "false"
    return "yes" if p else "no"


def check_choice(inp: CheckInput, options_: VerifyOptions) -> CheckResult:
    options = parse_options(inp.instruction)
    if options:
        return _check_options(inp, options)
    ref = stated_polarity(inp.original)
    if ref is None:
        return CheckResult(
            name=NAME,
            passed=True,
            reason="not applicable: the instruction lists no options and the original gives no yes/no or true/false answer",
        )
    assert ref.polarity is not None
    want = _polar_word(ref.polarity, ref.shown)
    got = stated_polarity(inp.candidate)
    if got is None:
        return CheckResult(
            name=NAME,
            passed=False,
            reason=f"closed answer missing: the original answers {want!r}, the rewrite does not open with or state "
            f"yes/no/true/false",
        )
    have = _polar_word(bool(got.polarity), got.shown)
    if got.polarity != ref.polarity:
        return CheckResult(
            name=NAME,
            passed=False,
            reason=f"closed answer changed: the original answers {want!r}, the rewrite states {have!r} ({got.shown!r})",
        )
    return CheckResult(name=NAME, passed=True, reason=f"closed answer kept: {want!r} ({got.how} {got.shown!r})")


def _original_letter(text: str, options: dict[str, str]) -> tuple[str, str] | None:
    letters = stated_letters(text, options)
    if letters:
        return letters[-1] if len({l for l, _ in letters}) == 1 else letters[0]
    texts = mentioned_option_texts(text, options)
    if len(texts) == 1:
        return texts[0], options[texts[0]]
    return None


def _check_options(inp: CheckInput, options: dict[str, str]) -> CheckResult:
    ref = _original_letter(inp.original, options)
    if ref is None:
        return CheckResult(
            name=NAME,
            passed=True,
            reason=f"not applicable: the original states none of the options {', '.join(options)} unambiguously",
        )
    want, _ = ref
    want_s = f"({want}) {options[want][:60]}"
    letters = stated_letters(inp.candidate, options)
    distinct = list(dict.fromkeys(l for l, _ in letters))
    if distinct:
        if distinct == [want]:
            return CheckResult(name=NAME, passed=True, reason=f"option kept: {want_s} ({letters[0][1]!r})")
        if len(distinct) > 1:
            return CheckResult(
                name=NAME,
                passed=False,
                reason=f"rewrite states several options: {', '.join(distinct)}; expected only {want_s} (original)",
            )
        got = distinct[0]
        return CheckResult(
            name=NAME,
            passed=False,
            reason=f"option changed: the original chose {want_s}, the rewrite states ({got}) {options[got][:60]}",
        )
    texts = mentioned_option_texts(inp.candidate, options)
    if want in texts:
        others = [l for l in texts if l != want]
        if others and _HEDGE_WORDS.search(inp.candidate):
            return CheckResult(
                name=NAME,
                passed=False,
                reason=f"rewrite hedges between options: {want_s} and "
                + ", ".join(f"({l}) {options[l][:40]}" for l in others) + "; expected only the original's",
            )
        return CheckResult(
            name=NAME, passed=True, reason=f"option kept: the rewrite states the option text of {want_s}"
        )
    if texts:
        return CheckResult(
            name=NAME,
            passed=False,
            reason=f"option changed: the original chose {want_s}, the rewrite names "
            + ", ".join(f"({l}) {options[l][:40]}" for l in texts),
        )
    return CheckResult(
        name=NAME,
        passed=False,
        reason=f"option missing: the original chose {want_s}, the rewrite states no option letter or option text",
    )


def make_check(options: VerifyOptions) -> Check:
    def check(inp: CheckInput) -> CheckResult:
        return check_choice(inp, options)

    return check
