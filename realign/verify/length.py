"""Length window: the rewrite's length must sit between a lower and an upper bound.

Lengths are counted in characters of the stripped text (language-neutral; tokens would tie the
check to one tokenizer). The bounds combine a ratio to the original with absolute slack, because
a ratio makes no sense for very short originals (a one-word label that the criteria ask to
explain in a sentence):

    lower = max(min_chars, min(min_ratio * original, original - short_floor_chars))
    upper = max(max_ratio * original, short_ceiling_chars), capped by max_chars when set

With the defaults: an 8-char original ("positive") may become 1..600 chars; a 2,000-char
original may become 1,000..8,000 chars. A short original (<= short_answer_chars) whose answer
contract is deterministic has no ratio floor and a higher ceiling (closed_ceiling_chars, 1,500: a
short answer explained with evidence): its contract check proves the answer is kept; a
worked solution rewritten shorter keeps a lower floor (worked_min_ratio) while it still writes
calculations, and a higher ceiling (worked_max_ratio): models write 4-7x the gold's length. A
worked original rewritten with no calculation left fails with its own reason: it dropped the
working.

A list answer (contract ``list``) may grow by ``list_item_chars`` per item: a rewrite that explains
each of 21 one-word items is a good rewrite whatever its ratio to the bare list. A list of short
items with nothing written under them may lose its framing ("Here are some ideas for your party:"):
the floor is then counted on the items alone.

A ratio cannot tell a complete short answer from a cut-off long one, so the window is followed
by two shape tests that fail whatever the length: a truncated text (an unclosed code fence, a
last sentence that stops on a comma, a conjunction or mid-phrase where the original ended
properly) and a degenerate one (one phrase repeated over and over).
"""

from __future__ import annotations

import re
from collections import Counter

from realign.records import CheckResult
from realign.verify.base import Check, CheckInput
from realign.verify.length_parts import NEW_CONTENT_TASKS, OPEN_KINDS, dropped_ending, dropped_frame
from realign.verify.refusal import refusal_phrase
from realign.verify.lists import read_list
from realign.verify.options import VerifyOptions

NAME = "length"


def bounds(original_len: int, options: VerifyOptions) -> tuple[int, int]:
    """(lower, upper) allowed rewrite length in characters for an original of `original_len`."""
    lower = max(
        options.min_chars,
        int(min(options.min_ratio * original_len, original_len - options.short_floor_chars) + 0.999999),
    )
    upper = int(max(options.max_ratio * original_len, options.short_ceiling_chars))
    if options.max_chars is not None:
        upper = min(upper, options.max_chars)
    return lower, max(upper, lower)


_CLOSED = frozenset({"option", "label", "facts"})
# "9 * 2 = 18", "9 \\times 2 = 18", "9 · $2 = $18", "2 pads/week × 4 weeks = 8": a written calculation
# a number and a few unit words, taken without backtracking (possessive: the check runs on every
# candidate, and a backtracking unit group made it 6x slower); "x" is the operator, not a unit
_OPERAND = r"\\?\$?\d[\d.,]*+(?:\s*+(?!x(?:\b|\d))[A-Za-z%/][\w/%'’-]*+){0,5}+"
_OP = r"\s*(?:[+\-*/×x÷·⋅∙−]|\\times|\\cdot|\\div)\s*\(?\s*"
# "a op b = c", or "... = a op b" (LaTeX and prose often put the calculation after the equals sign):
#   _OPERAND _OP _OPERAND \s*\)?\s*(?:\\text\{[^}]*\}\s*)?=\s*\\?\$?\d   or   =\s*\\?\$?\d[\d.,]*_OP\\?\$?\d
# A match starts with '\', '$', a digit or '='. The pattern opens with that class, consumed (a
# pattern that opens with a consumed class lets the regex engine skip every other character of the
# text in one tight loop, where a lookahead made it enter the pattern at each one: a third of the
# scan's cost), then each branch reads on from the character it took, which a lookbehind names.
# A digit right after a digit starts no match that the digit before it does not start too (its
# operand reads on to the same end), so only a number's first digit is tried: `(?<!\d\d)`.
# A chain ("(16 - 3 - 4) * 2 = 18") reads on operand by operand: possessive, it only ever takes
# ") op operand" pieces, which no "=" can be.
_CALC_AFTER_FIRST = (r"[\d.,]*+(?:\s*+(?!x(?:\b|\d))[A-Za-z%/][\w/%'’-]*+){0,5}+" + _OP + _OPERAND
                     + r"(?:\s*\)?" + _OP + _OPERAND + r")*+"
                     + r"\s*\)?\s*(?:\\text\{[^}]*\}\s*)?=\s*\\?\$?\d")  # an _OPERAND calculation after its first digit
_WORKING = re.compile(r"[\\$\d=](?<!\d\d)(?:(?<=\\)\$?\d" + _CALC_AFTER_FIRST + r"|(?<=\$)\d" + _CALC_AFTER_FIRST
                      + r"|(?<=\d)" + _CALC_AFTER_FIRST + r"|(?<==)\s*\\?\$?\d[\d.,]*" + _OP + r"\\?\$?\d)")
_FENCE = re.compile(r"^[ \t]{0,3}(?:`{3,}|~{3,})", re.M)
_DANGLING = re.compile(
    r"(?:[,:(\[{\-–—]|\b(?:and|or|but|the|a|an|of|to|with|for|in|on|at|by|from|that|which|is|are|was|were|"
    r"because|so|then|if|as|than|its|their|his|her)\b)[ \t*_]*$",
    re.I,
)
_ENDS_WELL = re.compile(r"[.!?)\]}\"'”’`*|>:;]\s*$|\d\s*$|\n\s*$")


def _works(text: str) -> bool:
    """Whether `text` writes out a calculation (`_WORKING`; each one has an '=', so a text without
    one is not scanned)."""
    return "=" in text and _WORKING.search(text) is not None


def _fences(text: str) -> int:
    """How many code fences `text` opens or closes (no regex scan when it has no fence at all)."""
    return len(_FENCE.findall(text)) if "```" in text or "~~~" in text else 0


def _dangles(text: str) -> bool:
    """`_DANGLING.search(text)`, read from the end only: its match ends on the last character that
    is not a space, '*' or '_', and is at most 7 characters long ("because"); `text` must not end
    with a newline."""
    return _DANGLING.search(text, max(0, len(text.rstrip(" \t*_")) - 7)) is not None


def _ends_well(text: str) -> bool:
    """`_ENDS_WELL.search(text)` for a right-stripped `text`: with no trailing whitespace the match
    can only be its last character, so only that one is tried."""
    return _ENDS_WELL.search(text, max(0, len(text) - 1)) is not None


def stops_mid_sentence(candidate: str, original: str) -> str | None:
    """Why `candidate` stops mid-sentence (a last line of 6 words or more ending on a comma, a
    conjunction, an article ... where the original does not), or None. The answer-line repair asks
    it too: a text cut off like this gets no '#### N' line that would hide the cut."""
    last_line = candidate.rstrip().rsplit("\n", 1)[-1]
    if len(last_line.split()) >= 6 and _dangles(last_line) and not _dangles(original.rstrip()):
        return f"the text stops mid-sentence: ...{last_line[-40:]!r}"
    return None


def truncation(candidate: str, original: str) -> str | None:
    """Why `candidate` looks cut off, or None."""
    text = candidate.rstrip()
    if _fences(text) % 2 == 1 and _fences(original) % 2 == 0:
        return "a code fence is opened and never closed"
    cut = stops_mid_sentence(candidate, original)
    if cut is not None:
        return cut
    last_line = text.rsplit("\n", 1)[-1]
    last_words = len(last_line.split())
    if (last_words >= 12 and not _ends_well(text) and _ends_well(original.rstrip())
            and not last_line.lstrip().startswith(("-", "*", "|", "#"))):
        return f"the last sentence has no ending: ...{last_line[-40:]!r}"
    return None


_LETTER_WORD = re.compile(r"[^\W\d_]{2,}")  # two letters or more, any script
_MARKUP = re.compile(r"[{}\[\]<>|\\`]")


def residue(candidate: str, original: str) -> str | None:
    """Why `candidate` is a markup fragment rather than text (no word at all, only numbers and
    brackets: "{ { 314.16 }}", "{ { 27 } 30, 1549680000 }" from a small model's broken JSON) when
    the original has words, or when the original is itself a bare answer with fewer brackets
    ("$1382.20" rewritten as "{ { 1382.2 }}" by SmolLM2-135M), or None. A bare number or formula
    without brackets is left to the other checks; so are the brackets the original has too ("[1, 2, 3]")
    and, for a bare answer, one pair more ("{4}" for "4")."""
    if _LETTER_WORD.search(candidate):
        return None
    marks = len(_MARKUP.findall(candidate))
    if marks < 2:
        return None
    if _LETTER_WORD.search(original) is None and marks < len(_MARKUP.findall(original)) + 3:
        return None  # one pair of brackets more ("{4}" for "4") may be notation; nested ones are not
    return f"the rewrite has no words, only symbols and numbers: {candidate.strip()[:40]!r}"


# A bare value in braces that nothing opens: "{15} square units" (SmolLM2-135M, a tool row's answer
# "... is 15 square units"). LaTeX ("\\frac{1}{2}", "x^{2}"), regex quantifiers ("[a-z]{2,}", "){3}"),
# "${x}" and quoted format fields ("'{0}'") are preceded by a letter, a bracket, "$", "\\" or a quote.
# The pattern opens with the '{' it needs, consumed, and the lookbehind names the character before it
# from there: the regex engine then skips to each '{' in C, where a leading lookbehind made it enter the
# pattern at every character of the text (28 times the cost on real GSM8K solutions)
_BRACED_VALUE = re.compile(r"\{(?<![\w\\^_{}()\[\]$'\"`]\{)\s*[$€£]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?\s*%?\s*\}")
_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]*`", re.S)


def braced_value(candidate: str, original: str) -> str | None:
    """Why `candidate`, a text with words, carries a template's braces around a value ("{15} square
    units"), or None when it has none outside code, or the original has them too. Measured on third-party answers
    (README, verification: 0 of the answers of GSM8K, Alpaca, Self-Instruct, Vicuna, MT-bench,
    Arena-Hard and AlpacaEval outside their code)."""
    if "{" not in candidate or _LETTER_WORD.search(candidate) is None:
        return None  # a wordless rewrite is residue()'s to judge ("{4}" for "4" may be a set)
    found = _BRACED_VALUE.search(_CODE.sub(" ", candidate) if "`" in candidate else candidate)
    if found is None or _BRACED_VALUE.search(original):
        return None
    return f"a value is wrapped in template braces: {found.group(0)!r}"


def degeneration(candidate: str, original: str, n: int = 6) -> str | None:
    """Why `candidate` looks degenerate (one n-word phrase repeated), or None."""
    words = candidate.lower().split()
    if len(words) < 8 * n:
        return None
    counts = Counter(words)
    if len(counts) > 0.6 * len(words):
        return None  # varied wording cannot be one phrase over and over
    # Each word of a phrase said k times is said at least k times itself: with no run of n words
    # that are each said often enough, no phrase can be, and counting the n-grams (the cost of
    # this test) is skipped.
    top = max(counts.values())
    if top < 5 or top * n < 0.3 * len(words):
        return None  # no word is said often enough (the set below would be empty)
    often = {w for w, k in counts.items() if k >= 5 and k * n >= 0.3 * len(words)}
    if not often or b"\x01" * n not in bytes(map(often.__contains__, words)):  # one byte per word, in C
        return None
    grams = Counter(zip(*(words[i:] for i in range(n))))  # the n-grams, counted in C
    gram, count = grams.most_common(1)[0]
    if count < 5 or count * n < 0.3 * len(words):
        return None
    if " ".join(gram) in " ".join(original.lower().split()):
        return None  # the original repeats it too (a song chorus, a table)
    # A loop repeats a whole stretch word for word; a plan or a table repeats a phrase with other
    # words between ("1. Distance covered by each train in the first day ... 2. ... the second day").
    at = [i for i in range(len(words) - n + 1) if tuple(words[i:i + n]) == gram]
    cycles = [tuple(words[a:b]) for a, b in zip(at, at[1:])]
    run = longest = 1
    for a, b in zip(cycles, cycles[1:]):
        run = run + 1 if a == b else 1
        longest = max(longest, run)
    if longest < 3:
        return None
    return f"one phrase is repeated {count} times: {' '.join(gram)!r}"


def check_length(inp: CheckInput, options: VerifyOptions) -> CheckResult:
    o = len(inp.original.strip())
    c = len(inp.candidate.strip())
    lower, upper = bounds(o, options)
    # a worked solution ("3 + 5 = 8\n#### 8") keeps its reasoning; a bare "18 eggs" need not grow
    closed = inp.contract_kind in _CLOSED or (inp.contract_kind == "number" and len(inp.original.split(None, 4)) <= 4)
    if closed and o <= options.short_answer_chars:
        lower = max(options.min_chars, 1)
        if options.max_chars is None:
            upper = max(upper, options.closed_ceiling_chars)
    floor_ratio = options.min_ratio
    # the candidate's working is looked for once: the floor and the ceiling both ask
    worked = inp.contract_kind == "number" and _works(inp.candidate)
    if (not closed or o > options.short_answer_chars) and inp.contract_kind == "number" and c < lower \
            and worked and _works(inp.original):
        floor_ratio = options.worked_min_ratio  # the working is kept: a shorter solution, not a cut one
        lower = min(lower, max(options.min_chars, int(floor_ratio * o + 0.999999)))
    if inp.contract_kind == "list" and options.max_chars is None:
        # each item of a list may get its own explanation ("- Moss: a plant that ..."); the list
        # check proves every item is still there
        found = read_list(inp.instruction, inp.original)
        if found is not None:
            upper = max(upper, o + options.list_item_chars * len(found.items))
            if found.bare:
                # "Here are some great ideas for your party:" dropped, every item kept: the floor is
                # the items' own length
                listed = sum(len(i) for i in found.items) + 2 * len(found.items)
                lower = min(lower, max(options.min_chars, int(options.min_ratio * listed + 0.999999)))
    if worked and options.max_chars is None:
        upper = max(upper, int(options.worked_max_ratio * o), options.worked_ceiling_chars)
    if c:
        for why in (truncation(inp.candidate, inp.original), degeneration(inp.candidate, inp.original),
                    residue(inp.candidate, inp.original), braced_value(inp.candidate, inp.original)):
            if why:
                return CheckResult(name=NAME, passed=False, reason=f"rewrite looks incomplete: {why}")
    ratio = f"{c / o:.2f}x" if o else "n/a"
    if c < lower:
        if c == 0:
            reason = "rewrite is empty"
        elif inp.contract_kind == "number" and not worked and _works(inp.original):
            # the right number alone is not a rewrite of a worked solution: the training answer
            # would teach the result without the reasoning the original shows
            reason = (f"rewrite drops the working: the original shows its calculations, the rewrite "
                      f"({c} chars vs {o}) writes none; expected at least {lower} chars")
        else:
            reason = (
                f"rewrite too short: {c} chars vs original {o} chars (ratio {ratio}); "
                f"expected at least {lower} chars (min ratio {floor_ratio:g})"
            )
        return CheckResult(name=NAME, passed=False, reason=reason)
    if c > upper:
        return CheckResult(
            name=NAME,
            passed=False,
            reason=(
                f"rewrite too long: {c} chars vs original {o} chars (ratio {ratio}); "
                f"expected at most {upper} chars (max ratio "
                f"{options.worked_max_ratio if worked else options.max_ratio:g})"
            ),
        )
    if inp.contract_kind in OPEN_KINDS and not (inp.task in NEW_CONTENT_TASKS and refusal_phrase(inp.candidate)):
        # whatever its length, an open answer keeps its letter frame and its closing content
        # (length_parts.py); a `rejecting` turn's rewrite is exempt only when it declines: one that
        # still answers (a design request the classifier filed under rejecting) is a rewrite like any
        why = dropped_frame(inp.candidate, inp.original) or dropped_ending(inp.candidate, inp.original, inp.contract_kind, inp.instruction)
        if why:
            return CheckResult(name=NAME, passed=False, reason=f"rewrite drops part of the original: {why}")
    return CheckResult(
        name=NAME,
        passed=True,
        reason=f"length ok: rewrite {c} chars, original {o} chars (ratio {ratio}; allowed {lower}-{upper} chars)",
    )


def make_check(options: VerifyOptions) -> Check:
    def check(inp: CheckInput) -> CheckResult:
        return check_length(inp, options)

    return check
