"""Key facts: a short factual answer keeps the facts that answer the question.

The answer facts of an original (`facts_answer.answer_facts`) are the numbers (dates and years
included) and names (capitalised spans: "Neil Young", "December", "Treaty of Paris") it states that
the question does not already give; a short answer in plain words that states neither ("uvea", "hit
points or health points") is held by its content words; a quotation longer than that (a quoted span,
or the whole short answer to a question that asks for words: "Hit the ball closer to the hole") must
come back whole, case and punctuation aside. A rewrite passes when it keeps at least one answer fact
(and every quotation) and substitutes none:

- a number substitution is an answer number the rewrite drops while stating a number that neither
  the original, the question, the conversation nor the evidence gives ("ratified on December 15,
  1791" -> "came out on December 16, 1689"; "about 1,497 people" -> "1,350");
- a name substitution likewise ("The capital is Canberra" -> "It is Sydney"), including one name
  of a pair ("Mutt and Jeff" -> "Benjamin Franklin and Jeff"; a pair is kept only by both its
  names, in either order);
- a range (or a score) written with another end: "30–31 October" -> "31–31 October", "1989 to
  1996" -> "1989–97", whatever the dash or word (-, –, —, to, through, until, between X and Y);
  a colon pair ("22:28") is one fact.
- an answer taken back or hedged: kept, then corrected to a new fact ("Neil Young. No wait, it
  was Bruce Springsteen", "..., but it was actually ...", "Correction: 1792", a closing "The
  answer is ..." naming another, a number the question gives, another quotation, or one end of the
  original's range: "30–31 October. Correction: it was actually 31"), or offered beside one
  ("either Neil Young or Bruce Springsteen", "1791 or 1792", "X, though possibly Y"); the same
  value in another form beside it is no hedge ("0.54 or 54.00%", "17.98, or rounded, 18.00").

A fact is kept in the forms long answers write it; each kind of form is read by its own module:
numbers, dates, roundings, decades, centuries, ranges and money by `facts_numbers`, units,
temperatures and eras by `facts_units`, names with a number ("World War II") by `facts_numerals`,
names (titles, given names, pet forms, acronyms, abbreviations, folded letters) by `facts_names`,
plain-word answers by `facts_terms` (also a short answer capitalised only at its opening: "Cartoon" is
kept by "satirical cartoons", `_plain_word_kept`), quotations by `facts_quotes`. This module runs the check and
gives its reasons: besides the above, a value with the scale word of a unit the question states
("$1,577 million" for "1577" to a question "in USD millions", `math.in_question_scale`) and a
compound the rewrite spaces out ("Twenty - sixth") are read as the original's. The same name with
another number ("World War I"), the same number with another unit of the same kind ("70 mph" -> "70
km/h", "$5" -> "€5"), another given name before the surname of a name written surname first ("Hess,
Rudolf" -> "Walter Hess") and the other side of the question's "A or B" ("hen" for "egg" to "...
the hen or the egg") change the answer. A fact stated only under a negation ("not written by Neil
Young but ...") is not kept. A rewrite that keeps no whole fact but a clear part of the answer's
words (a run at their start or end: "magnetic" for "magnetic field", "jerry reed" for "Jerry Reed
Hubbard") and states nothing that could be another answer keeps it (`_part_kept`).

A short answer to a question that asks how someone acted or felt, or what someone thinks, is held
like any plain-word answer ("boos" to "how did the crowd react?", "a sister" to "what does he think of
her as?"); asked of the reader ("how do you feel about ...?") or answered in more than three words, such
a question asks for an opinion or an explanation, and the original is one way of saying it
(`facts_answer._asks_explanation`).

Dropping some facts is allowed (the answer "Neil Young" for "Neil Young wrote it in 1970"; a date stated
to its year, "in 1976" for "July 14, 1976", when the rewrite writes no month and no day number nobody
gave: `facts_numbers.dates_made_coarser`) and so
is adding facts beside the kept ones: a deterministic check cannot tell an elaboration from an
invention, which is what the optional LLM judge is for.

>>> from realign.verify.base import CheckInput
>>> check_facts(CheckInput(task="open_qa", instruction="When was the Bill of Rights ratified?",
...     original="It was ratified on December 15, 1791.", candidate="December 16, 1689.")).passed
False
"""

from __future__ import annotations

import re
from fractions import Fraction

from realign.records import CheckResult
from realign.verify.base import Check, CheckInput
from realign.verify.facts_answer import Facts, _symbol_answer, answer_facts, describe, read_facts
from realign.verify.facts_names import (
    _PAIR, _SURNAME_TITLES, _TITLES, _acronym_inside, _acronym_kept, _caseless_name_kept, _fold, _given_word_same,
    _has_name, _negated_name, _nicknames, _positions, _variant_of, styled_letters_plain,
)
from realign.verify.facts_numbers import (
    _dates_spelled, _money_written_out, _negated_numbers, _zero_counted, _original_ranges, _ranges, approximations,
    dates_made_coarser,
)
from realign.verify.facts_numerals import _numbered_names, _numerals_aligned
from realign.verify.facts_quotes import _QUOTED, _mask_quotations, _quote_key, quote_span
from realign.verify.facts_terms import (
    TERM_MAX_WORDS, _TERM_ALT, _TERM_STOP, _fragment_kept, _stem, _stems, _term_kept, opening_capital_term,
)
from realign.verify.facts_units import (
    _UNIT_KIND, _eras_written, _temperatures_written, _units_after, converted_quantities,
)
from realign.verify.facts_words import _ANY_DIGIT, _STOP, _TERM_WORD, _negated, _same_word, _word_at, _words_of
from realign.verify.math_answer import restated_forms
from realign.verify.math_numbers import _NUM, _to_number
from realign.verify.math_question import in_question_scale, places_asked
from realign.verify.options import VerifyOptions

NAME = "key_facts"


_OR_PAIR = re.compile(r"([^\W\d_]+)[ \t]*,?[ \t]+or[ \t]+(?:(?:the|a|an)[ \t]+)?([^\W\d_]+)", re.I)


def _other_alternative(instruction: str, want: Facts, text: str) -> str | None:
    """For an answer that is one side of the question's "A or B" ("egg" to "... hen or egg"): the
    other side when the rewrite states it, not under a negation ("The hen came first" changes the
    answer; "the egg, not the hen" keeps it)."""
    for key in want.spans:
        mine = _stem(key.split()[-1])
        for m in _OR_PAIR.finditer(instruction):
            a, b = _stem(m.group(1)), _stem(m.group(2))
            if mine not in (a, b) or a == b:
                continue
            rival = m.group(2) if mine == a else m.group(1)
            if any(not _negated(text, i) for i in _word_at(text.lower(), rival.lower(), every=True)):
                return rival
    return None


# A rewrite may say less of the answer than the original did: "magnetic" for "magnetic field", "a
# majority" for "qualified majority", "jerry reed" for "Jerry Reed Hubbard", "Chivas" for "Chivas USA".
# That is read as kept when the words it keeps are a clear part of the answer's own words (a run at
# the start or at the end of them, not the question's words) and nothing else in the rewrite could be
# another answer: a short rewrite adds no word of its own, a longer one keeps two words or more and
# names no name and no number the original, the question or the context does not give. Numbers are never shortened (a date cut to
# its year drops the answer's day), nor a pair ("Jeff" for "Mutt and Jeff" loses one of two), nor a
# quotation; a run in the middle ("George W. Bush" within "George H. W. Bush") is no part.
PART_SHORT_WORDS = TERM_MAX_WORDS  # a rewrite this short is read as a bare answer: it may add no word
_PART_STOP = _TERM_STOP | frozenset({"all", "just", "only", "very", "called", "known", "named"})


def _answer_words(text: str, given: frozenset[str]) -> list[str]:
    return [_stem(w) for w in _TERM_WORD.findall(_fold(text).replace("-", " "))
            if w.lower() not in _PART_STOP and _stem(w) not in given]


# a snake_case or camelCase name written as one token: its words are not parts of a longer name
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+_?|[a-z]+(?:[A-Z][a-z0-9]*)+")


def _part_kept(inp: CheckInput, want: Facts, new_names: list[str], new_numbers: bool) -> str | None:
    """The part of the original's answer the rewrite keeps when it keeps no whole fact, or None."""
    if want.numbers or want.quotes or _ANY_DIGIT.search(inp.original) or _PAIR.search(inp.original):
        return None
    given = _stems(inp.instruction)
    short = _words_of(inp.candidate) <= PART_SHORT_WORDS
    if not short and (new_names or new_numbers):
        return None
    cand = _answer_words(inp.candidate, given)
    if short and (not cand or _ANY_DIGIT.search(inp.candidate)):
        return None
    for alt in _TERM_ALT.split(inp.original.strip().rstrip(".!")):
        if _IDENTIFIER.fullmatch(alt.strip()):
            continue  # one identifier ("collect_data_for_new_project"): a piece of it is another answer
        words = _answer_words(alt.split(",")[0].split("(")[0], given)
        if len(words) < 2:
            continue
        # in a longer text one common word turns up by chance ("cell" in "the nucleus of cells" for
        # "chromosomes in a cell"): there the kept run must be two words or more
        for n in range(len(words) - 1, 0 if short else 1, -1):
            for part in (words[:n], words[-n:]):
                if short:
                    if len(cand) == n and all(_same_word(a, b) for a, b in zip(part, cand)):
                        return " ".join(part)
                elif _run_in(part, cand):
                    return " ".join(part)
    return None


def _run_in(part: list[str], words: list[str]) -> bool:
    n = len(part)
    return any(all(_same_word(a, b) for a, b in zip(part, words[i : i + n])) for i in range(len(words) - n + 1))


def _known_text(inp: CheckInput) -> str:
    """Everything the rewriter was given: a fact found here is not an invention."""
    return "\n".join((inp.instruction, inp.original, inp.context, inp.evidence))


def _number_substitution(inp: CheckInput, cand: Facts, known: Facts) -> str | None:
    """A number of the original (even one the question gives: "in 2012" -> "in 2019") that the
    rewrite drops while stating a number nobody gave it."""
    approx = approximations(inp.original, inp.candidate, places_asked(inp.instruction))
    denied = _negated_numbers(inp.candidate)
    _, days_dropped = dates_made_coarser(inp.instruction, inp.original, inp.candidate, set(known.numbers))
    lost = {v: t for v, t in read_facts(inp.original).numbers.items()
            if (v not in cand.numbers or v in denied) and v not in approx and v not in days_dropped}
    short: dict[Fraction, Fraction] = {}  # "1989–96" states 1996
    if lost:
        _ranges(_dates_spelled(inp.candidate), short)
        lost = {v: t for v, t in lost.items() if v not in short.values()}
    if lost:  # the original's "2010–11" is kept by "2010-2011"
        mine: dict[Fraction, Fraction] = {}
        _ranges(_dates_spelled(inp.original), mine)
        lost = {v: t for v, t in lost.items() if not (v in mine and mine[v] in cand.numbers)}
    new = [t for v, t in cand.numbers.items() if v not in known.numbers and v not in approx.values()
           and not (v in short and short[v] in known.numbers)] if lost else []
    if not new:
        return None
    return f"fact changed: the original's {', '.join(list(lost.values())[:3])} became {', '.join(new[:3])} in the rewrite"


def _range_changed(inp: CheckInput, want: Facts) -> str | None:
    """A range of the original's answer (at least one end an answer number) that the rewrite
    writes as a range with another end ("30–31 October" -> "31–31 October"; "1989 to 1996" ->
    "1989 to 1997"). The same ends in another form ("30 to 31", "between 30 and 31") keep it; one
    end alone ("Daniel 5:1-5" cited as "Daniel 5:5") is a narrower citation, not a new range."""
    if not want.numbers:
        return None
    ranges = [r for r in _original_ranges(inp.original) if r[0] != r[1] and (r[0] in want.numbers or r[1] in want.numbers)]
    if not ranges:
        return None
    cand_text = _dates_spelled(inp.candidate)
    cand_ranges = _ranges(cand_text)
    for lo, hi in ranges:
        if (lo, hi) in cand_ranges:
            continue
        shown = f"{want.numbers.get(lo, lo)}–{want.numbers.get(hi, hi)}"
        other = next((r for r in cand_ranges if (lo in r or hi in r)), None)
        if other is not None:
            return f"fact changed: the original's range {shown} became {other[0]}–{other[1]} in the rewrite"
    return None


# "Numbers 22:28", "at 10:30", "won 3:1": two numbers joined by a colon are one fact, like a range
_COLON_PAIR = re.compile(r"(?<![\w.:])(\d{1,3}):(\d{1,3})(?![\w:]|\.\d|[ \t]*[-–—][ \t]*\d)")  # "5:1-5" is a range


def _pair_changed(inp: CheckInput, want: Facts) -> str | None:
    """A colon pair of the original's answer (a verse, a time, a score) that the rewrite writes with
    one part changed ("Numbers 22:28" -> "Numbers 22:22")."""
    if ":" not in inp.original or ":" not in inp.candidate or not want.numbers:
        return None
    mine = {(int(a), int(b)) for a, b in _COLON_PAIR.findall(inp.original)}
    if not mine:
        return None
    theirs = {(int(a), int(b)) for a, b in _COLON_PAIR.findall(inp.candidate)}
    if mine & theirs:
        return None
    for a, b in mine:
        other = next((t for t in theirs if a in t or b in t), None)
        if other is not None:
            return f"fact changed: the original's {a}:{b} became {other[0]}:{other[1]} in the rewrite"
    return None


def kept_nums_of(want: Facts, cand: Facts, approx: dict[Fraction, Fraction] | None = None) -> list[str]:
    return [t for v, t in want.numbers.items() if v in cand.numbers or v in (approx or {})]


# The answer stated and then taken back: a correction ("..., but it was actually written by Bruce
# Springsteen", "No wait, it was ...", "Correction: 1792") or a closing answer line ("The answer
# is ...") with a new fact after it and the answer not stated again; or the answer hedged against
# another ("either Neil Young or Bruce Springsteen", "1791 or 1792", "Neil Young, though possibly
# ..."). Bounded patterns only: no backtracking on long candidates.
_CORRECTION = re.compile(
    r"\b(?:correction|no,?[ \t]+wait|wait,?[ \t]+no|just[ \t]+kidding|scratch[ \t]+that|on[ \t]+second[ \t]+thought|"
    r"i[ \t]+was[ \t]+wrong|my[ \t]+mistake|i[ \t]+mean|(?:the|my)[ \t]+(?:final|correct|right|real|actual)[ \t]+answer|"
    r"final[ \t]+answer|the[ \t]+answer[ \t]+is)\b|\bbut\b[^.!?\n]{0,40}?\b(?:actually|really|in[ \t]+fact|instead)\b",
    re.I)
_HEDGE_BETWEEN = re.compile(
    r"[ \t]*,?[ \t]*\(?[ \t]*(?:either[ \t]+)?(?:(?:or|and/or)(?:[ \t]+(?:possibly|perhaps|maybe|even|probably))?|"
    r"(?:though|although|but)[ \t]+(?:possibly|perhaps|maybe|probably))[ \t]+(?:it[ \t]+(?:may|might|could)[ \t]+"
    r"(?:have[ \t]+)?be(?:en)?[ \t]+)?(?:(?:the|a|an)[ \t]+)?", re.I)
_HEDGE_HINT = re.compile(r"\b(?:or|though|although|correction|wait|kidding|scratch|second|wrong|mistake|mean|answer|"
                         r"actually|really|fact|instead)\b", re.I)
HEDGE_GAP = 40  # characters between a kept and a new fact read as one hedge ("X, though possibly Y")
# "Eobard Thawne, also known as Reverse-Flash or Professor Zoom": a bare "or" in a list of other names is
# no hedge ("or possibly" still is)
_ALIAS_CUE = re.compile(r"\b(?:also|otherwise|better|sometimes|often)[ \t]+(?:known|called|referred[ \t]+to)[ \t]+as\b|"
                        r"\ba\.?k\.?a\b\.?|\bnicknamed\b", re.I)
_ALIAS_OR = re.compile(r"[ \t]*,?[ \t]*or[ \t]+(?:the[ \t]+)?", re.I)


def _in_alias_list(text: str, start: int) -> bool:
    """Whether `start` stands in a list of other names ("also known as A or B") begun in its clause."""
    window = text[max(0, start - HEDGE_GAP) : start]
    cues = list(_ALIAS_CUE.finditer(window))
    return bool(cues) and not re.search(r"[.!?;\n]", window[cues[-1].end() :])


def _number_positions(text: str, values: set[Fraction]) -> list[tuple[int, int]]:
    out = []
    for m in _NUM.finditer(text):
        n = _to_number(m, text)
        if n is not None and abs(n.value) in values:
            out.append((m.start(), m.end()))
    return out


def _taken_back(inp: CheckInput, cand: Facts, known: Facts, cand_text: str, kept_names: list[str],
                new_names: list[str], kept_spans: list[tuple[int, int]] | None = None) -> str | None:
    """A reason when the rewrite keeps the answer (a kept name, a kept quotation at `kept_spans`, or
    any number of the original) but takes it back or hedges it against a new fact."""
    if not _HEDGE_HINT.search(cand_text):
        return None
    cand_low = cand_text.lower()
    approx = approximations(inp.original, inp.candidate, places_asked(inp.instruction))
    kept_vals = {v for v in read_facts(inp.original).numbers if v in cand.numbers or v in approx} | set(approx.values())
    new_vals = {v for v in cand.numbers if v not in known.numbers and v not in kept_vals}
    if new_vals and kept_vals:  # "0.54 or 54.00%", "17.98, or rounded, 18.00": one value in two forms
        new_vals -= restated_forms(cand_text, kept_vals)
    kept_words = {w for n in kept_names for w in _fold(n).lower().split() if len(w) > 3}
    # a spelling variant of a kept name ("Cyclopes (or Cyclops)") is not another answer
    fresh = [n for n in new_names if not _variant_of(n, kept_words)]
    kept = [p for n in kept_names for p in _positions(cand_low, _fold(n).lower())]
    kept += _number_positions(cand_text, kept_vals)
    for ks, ke in kept_spans or ():  # with its quotation marks: '"X", or possibly "Y"' hedges X
        while ks > 0 and cand_text[ks - 1] in "\"“‘'":
            ks -= 1
        while ke < len(cand_text) and cand_text[ke] in "\"”’'":
            ke += 1
        kept.append((ks, ke))
    new = [p for n in fresh for p in _positions(cand_low, _fold(n).lower())]
    new += _number_positions(cand_text, new_vals)
    if kept_spans:  # a quotation answered: another quotation nobody gave is another answer
        given = _quote_key(_known_text(inp))
        new += [m.span() for m in _QUOTED.finditer(cand_text)
                if f" {_quote_key(next(g for g in m.groups() if g is not None))} " not in f" {given} "]
    if not kept:
        return None
    for ks, ke in kept if new else ():
        for ns, ne in new:
            a, b = (ke, ns) if ke <= ns else (ne, ks)
            if 0 <= b - a <= HEDGE_GAP and _HEDGE_BETWEEN.fullmatch(cand_text, a, b) \
                    and not (_ALIAS_OR.fullmatch(cand_text, a, b) and _in_alias_list(cand_text, min(ks, ns))):
                return (f"fact hedged: the rewrite gives {cand_text[ks:ke]} or {cand_text[ns:ne]} as the answer, "
                        f"the original only {cand_text[ks:ke]}")
    first_kept = min(k[0] for k in kept)
    # in a correction, a number the question gives is another answer too: "1969. Correction: it was
    # actually 2010" (2010 from the question) takes 1969 back as much as a new number does
    others = _number_positions(cand_text, {v for v in cand.numbers if v not in kept_vals and v not in new_vals
                                           and v not in read_facts(inp.original).numbers})
    ranges = [r for r in _original_ranges(inp.original) if r[0] != r[1]]
    for m in _CORRECTION.finditer(cand_text):
        if m.start() < first_kept:
            continue
        after_new = [p for p in new + others if p[0] >= m.end()]
        if after_new and not any(k[0] >= m.start() for k in kept):
            ns, ne = after_new[0]
            return (f"fact changed: the rewrite states the original's answer, then takes it back for "
                    f"{cand_text[ns:ne]} ({m.group(0)!r})")
        narrowed = _narrowed(cand_text, m.end(), ranges)
        if narrowed:
            return f"fact changed: the rewrite states the original's answer, then narrows it ({m.group(0)!r}): {narrowed}"
    return None


_CLAUSE_END = re.compile(r"[.!?](?=\s|$)|\n")


def _narrowed(text: str, start: int, ranges: list[tuple[Fraction, Fraction]]) -> str | None:
    """A correction (the clause from `start`) that states one end of an original range without the
    range: "30–31 October. Correction: it was actually 31" gives a narrower answer."""
    if not ranges:
        return None
    end = _CLAUSE_END.search(text, start)
    clause = _dates_spelled(text[start : end.start() if end else len(text)])
    stated = {abs(n.value) for m in _NUM.finditer(clause) if (n := _to_number(m, clause)) is not None}
    if not stated:
        return None
    written = _ranges(clause)
    for lo, hi in ranges:
        if (lo, hi) not in written and (lo in stated) != (hi in stated):
            return f"the range {lo}–{hi} became {lo if lo in stated else hi} alone"
    return None


_SPACED_DASH = re.compile(r"[ \t](?:-|–|—)|(?:-|–|—)[ \t]|--")
_COMPOUND = re.compile(r"(?<![\w-])([^\W\d_]+)[-–]([^\W\d_]+)(?![\w-])")


def _rejoined(inp: CheckInput) -> CheckInput:
    """The rewrite with each hyphenated compound of the original written back joined where the rewrite
    spaces it out ("Twenty - sixth" for "Twenty-sixth", "Jean -- Jacques"): a tokenizer's spacing is
    no other word. Only the original's own compounds: a spaced dash elsewhere may part two clauses."""
    if ("-" not in inp.original and "–" not in inp.original) or not _SPACED_DASH.search(inp.candidate):
        return inp
    cand = inp.candidate
    for m in _COMPOUND.finditer(inp.original):
        spaced = re.compile(rf"\b{re.escape(m.group(1))}(?:[ \t]+(?:-{{1,2}}|[–—])[ \t]*|[ \t]*(?:-{{1,2}}|[–—])[ \t]+)"
                            rf"{re.escape(m.group(2))}\b", re.I)
        cand = spaced.sub(lambda x: x.group(0)[: len(m.group(1))] + "-" + x.group(0)[-len(m.group(2)):], cand)
    return inp if cand == inp.candidate else inp.model_copy(update={"candidate": cand})


def _numeral_changed(inp: CheckInput) -> str | None:
    """A name of the original's answer written with a number ("World War II") that the rewrite writes
    with another number and never with the original's ("World War I", "the First World War"). Two
    numbers in digits are the number check's to compare."""
    mine = _numbered_names(inp.original)
    if not mine:
        return None
    given = {(n.key, n.value) for n in _numbered_names(inp.instruction)}
    mine = tuple(n for n in mine if (n.key, n.value) not in given)
    theirs = _numbered_names(inp.candidate)
    for n in mine:
        same = [t for t in theirs if t.key == n.key]
        if not same or any(t.value == n.value for t in same):
            continue
        other = next((t for t in same if t.words or n.words), None)
        if other is not None:
            return (f"fact changed: the original's {n.name} {n.numeral} became {other.name} {other.numeral} "
                    "in the rewrite")
    return None


def _unit_changed(inp: CheckInput, want: Facts) -> str | None:
    """An answer number the rewrite states only with another unit of the same kind ("60 mph" ->
    "60 km/h"): every place it writes the number with a unit of that kind gives a unit the original's
    does not, and none gives the original's."""
    if not want.numbers:
        return None
    approx = approximations(inp.original, inp.candidate, places_asked(inp.instruction))
    converted = converted_quantities(inp.original, inp.candidate)
    for value in want.numbers:
        mine = {u for units in _units_after(inp.original, value) for u in units}
        if not mine or value in converted:  # "2 hours" for "120 minutes": converted, not relabelled
            continue
        kinds = {_UNIT_KIND[u] for u in mine}
        theirs = [units for units in _units_after(inp.candidate, approx.get(value, value))
                  if any(_UNIT_KIND[u] in kinds for u in units)]
        if theirs and not any(units & mine for units in theirs):
            other = sorted(theirs[0])[0]
            return (f"fact changed: the original's {want.numbers[value]} {'/'.join(sorted(mine))} is in {other} in "
                    "the rewrite")
    return None



# A name written surname first, as indexes and alias lists write it ("Hess, Rudolf"), or a place with its
# region ("Plymouth, Massachusetts"): the rewrite that puts another given name before that surname ("Walter
# Hess", "New Plymouth") or another second part after it ("Plymouth, England") and never writes the
# original's second part names another person or place (the name reader takes the two parts apart, so
# "Hess" or "Plymouth" alone would keep it).
_LAST_FIRST = re.compile(r"\s*([A-Z][\w'’\-]+),[ \t]+([A-Z][\w'’\-]+)(?:[ \t]+[A-Z][\w'’.\-]*)?\.?\s*")


def _other_given_name(inp: CheckInput) -> str | None:
    m = _LAST_FIRST.fullmatch(inp.original)
    if m is None or m.group(1).lower() not in inp.candidate.lower():
        return None
    surname, given = m.group(1), m.group(2)
    text = _fold(inp.candidate)
    if _word_at(text.lower(), _fold(given).lower()):
        return None
    caseless = not any(ch.isupper() for ch in text)  # "plymouth, england": a system's lower-cased answer
    if caseless:
        surname = surname.lower()
    for at in _word_at(text, _fold(surname), every=True):
        # "Paris, Texas" for "Paris, France", "Hess, Walter" for "Hess, Rudolf": the same first part with
        # another second one (an abbreviation, "Landover, MD", may be the same)
        after = re.match(r",[ \t]+([a-z]{4,}[\w'’\-]*)" if caseless else r",[ \t]+([A-Z][a-z][\w'’\-]*)",
                         text[at + len(_fold(surname)) :])
        if after is not None and after.group(1).lower() not in _STOP and not _given_word_same(after.group(1).lower(),
                                                                                               given.lower()):
            return f"fact changed: the original names {surname}, {given}, the rewrite names {surname}, {after.group(1)}"
        before = None if caseless else re.search(r"([A-Z][\w'’\-]*)\.?[ \t]+$", text[max(0, at - 30) : at])
        if before is None:
            continue
        word = before.group(1)
        if word.lower() in _STOP or word.lower() in _TITLES or word.lower() in _SURNAME_TITLES \
                or _given_word_same(word.lower(), given.lower()):
            continue
        return f"fact changed: the original names {given} {surname}, the rewrite names {word} {surname}"
    return None


_STYLED_HINT = re.compile(r"[A-Za-z][$!][A-Za-z]|\$[A-Za-z]")  # a symbol inside a word: a styled name


def _plain_word_kept(inp: CheckInput, name: str, text: str, given: frozenset[str]) -> bool:
    """A one-word name that opens the original and is its only capital ("Cartoon", "Bee keeping")
    kept as plain words (`facts_terms.opening_capital_term`): "cartoons", "a beekeeper"."""
    term = opening_capital_term(inp.original, name)
    return term is not None and _term_kept(term, text, given)


def check_facts(inp: CheckInput, options: VerifyOptions | None = None) -> CheckResult:
    inp = in_question_scale(inp)  # "$1,577 million" is the bare "1577" a question "in USD millions" asks for
    inp = _numerals_aligned(_rejoined(_money_written_out(_zero_counted(inp))))
    found = _nicknames(inp.candidate) if '"' in inp.candidate or "“" in inp.candidate else []
    if found:
        # the nickname after the name ('Ethel Proctor "Edy"'), so the given name before the surname is read
        cand = inp.candidate
        for m in reversed(found):
            cand = cand[: m.start()] + f'{m.group(1)} {m.group(3)} "{m.group(2)}"' + cand[m.end() :]
        inp = inp.model_copy(update={"candidate": cand})
    if "°" in inp.original + inp.candidate or _ANY_DIGIT.search(inp.original):
        original, candidate = _temperatures_written(inp.original), _temperatures_written(inp.candidate)
        original, candidate = _eras_written(original), _eras_written(candidate)
        if (original, candidate) != (inp.original, inp.candidate):
            inp = inp.model_copy(update={"original": original, "candidate": candidate})
    if _STYLED_HINT.search(inp.original) or _STYLED_HINT.search(inp.candidate):
        # "Ma$e" is "Mase" in either text
        inp = inp.model_copy(update={"original": styled_letters_plain(inp.original),
                                     "candidate": styled_letters_plain(inp.candidate)})
    want = answer_facts(inp.instruction, inp.original)
    cand = read_facts(inp.candidate)
    known_text = _known_text(inp)
    known = read_facts(known_text)
    changed = (_numeral_changed(inp) or _number_substitution(inp, cand, known) or _range_changed(inp, want)
               or _pair_changed(inp, want) or _unit_changed(inp, want) or _other_given_name(inp))
    if changed:
        return CheckResult(name=NAME, passed=False, reason=changed)
    if not want.numbers and not want.names:
        # a number the question gives is still the answer's: "landed in 1969 or 1976" hedges it
        taken_back = _taken_back(inp, cand, known, _fold(inp.candidate), [], [])
        if taken_back:
            return CheckResult(name=NAME, passed=False, reason=taken_back)
        return CheckResult(name=NAME, passed=True,
                           reason="not applicable: the original states no number or name beyond the question's")
    cand_text, known_low = _fold(inp.candidate), _fold(known_text.lower())
    cand_low = cand_text.lower()
    given = _stems(inp.instruction)
    denied = _negated_numbers(inp.candidate)
    kept_nums = [t for t in kept_nums_of(want, cand, approximations(inp.original, inp.candidate, places_asked(inp.instruction)))
                 if not any(want.numbers[v] == t and v in denied for v in want.numbers)]
    if len(kept_nums) < len(want.numbers) and _ANY_DIGIT.search(inp.candidate):
        ends: dict[Fraction, Fraction] = {}  # "the 2014-15 season" states the year 2015
        _ranges(_dates_spelled(inp.candidate), ends)
        kept_nums += [t for v, t in want.numbers.items() if v in ends.values() and t not in kept_nums and v not in denied]
    # the question's own quotations are blanked out first: "and" is not kept by "freedom and justice"
    quote_text = _mask_quotations(cand_text, inp.instruction) if want.quotes else cand_text
    # in the order the original gives them (names keeps it), so the reason names the same quote every run
    quote_at = {k: quote_span(k, quote_text) for k in want.names if k in want.quotes}
    lost_quotes = [want.names[k] for k, at in quote_at.items() if at is None or _negated(cand_text, at[0])]
    if lost_quotes:
        return CheckResult(name=NAME, passed=False,
                           reason=f"answer quotation missing: the original answers with {lost_quotes[0]!r}; the "
                                  "rewrite does not write it")
    caseless = not any(ch.isupper() for ch in cand_text)  # "raj guru gajraj mishra": a system's lower-cased answer
    plain: dict[str, bool] = {}  # `_plain_word_kept` per name, read at most once

    def as_plain_words(name: str) -> bool:
        if name not in plain:
            plain[name] = _plain_word_kept(inp, name, cand_text, given)
        return plain[name]

    kept_names = [n for k, n in want.names.items()
                  if (k in want.quotes or (_fragment_kept(k, cand_text, given) if k in want.fragments
                                            else _term_kept(k, cand_text, frozenset() if k in want.spans else given)
                                            if k in want.terms
                                            else (k in cand_text if _symbol_answer(k) else
                                                  _has_name(cand_low, _fold(k), cand_text, n))
                                            or (caseless and _caseless_name_kept(k, cand_text))
                                            or as_plain_words(n)))
                  and not _negated_name(_fold(k), cand_text, inp.instruction)]
    for nick, full in want.nicknames:  # the nickname kept keeps the name it stands in, unless the rewrite
        last = full.split()[-1]  # gives the surname another given name ('Edith "Edy" Proctor')
        if want.names[nick] in kept_names and want.names[full] not in kept_names \
                and not any(k.split()[-1] == last and " " in k and k.rsplit(" ", 1)[0] != nick for k in cand.names):
            kept_names.append(want.names[full])
    other = _other_alternative(inp.instruction, want, cand_text)
    if other:
        return CheckResult(name=NAME, passed=False,
                           reason=f"fact changed: the question offers {other} beside the original's answer and the "
                                  f"rewrite gives {other}")
    # "September 1999" answered "in 1999": the month dropped with the year kept is a coarser date, not a lost name
    months_dropped, _ = dates_made_coarser(inp.instruction, inp.original, inp.candidate, set(known.numbers))
    lost_names = [n for k, n in want.names.items() if n not in kept_names and k not in months_dropped]
    proper = [k for k in want.names if k not in want.terms and k not in want.quotes]
    # "Consumer Healthcare Joint Venture" inside the kept "Consumer Healthcare JV Transaction" is no new name
    expanded = [at for k in proper if " " in k for at in [_acronym_inside(want.names[k], cand_text)] if at]
    new_names = [n for k, n in cand.names.items() if not _has_name(known_low, _fold(k)) and k not in known.names
                 and not any(a <= i and i + len(n) <= b for a, b in expanded for i in [cand_text.find(n)])
                 and not any(_acronym_kept(w, _fold(n)) for w in want.names.values())
                 # "Dr. George Berkeley" for "George Berkeley": the same name with a title, not a new one
                 and not any(_has_name(_fold(k), _fold(w), _fold(n)) for w in proper)]
    by_alias = [n for k, n in want.names.items() if n in kept_names and k not in want.terms
                and not _symbol_answer(k) and not _has_name(cand_low, _fold(k), cand_text)
                and not as_plain_words(n)]
    if new_names and kept_names and len(by_alias) == len(kept_names) and not kept_nums:
        # kept only as an acronym or expansion while a new name stands beside it: "adenosine
        # diphosphate (Mount Everest)" for "adenosine diphosphate (ADP)"
        lost_names = by_alias
    # the answer's first name is its head ("Mississippi" in "In Mississippi, as Thomas Lanier
    # Williams"): with the head kept, other names may be dropped and new ones added
    head = next(iter(want.names.values()), None)
    lost_last = {n.lower().split()[-1] for n in lost_names if n not in want.terms}
    variant = any(n.lower().split()[-1] in lost_last for n in new_names)  # "Timmy Smith" for "Emmitt Smith"
    # "Benjamin Franklin and Jeff" for "Mutt and Jeff": a pair with one of its names replaced by a
    # name nobody gave
    lost_pairs = [set(_PAIR.split(_fold(n.lower()))) for n in lost_names if _PAIR.search(n)]
    variant = variant or any(lp & pair and any(not _has_name(known_low, x) for x in pair - lp)
                             for lp in lost_pairs for k in cand.names if _PAIR.search(k)
                             for pair in [set(_PAIR.split(_fold(k)))])
    if lost_names and (new_names or variant) and (head is None or head in lost_names or head in want.terms or variant):
        return CheckResult(name=NAME, passed=False,
                           reason=f"fact changed: the original names {', '.join(lost_names[:3])}, the rewrite "
                                  f"names {', '.join((new_names or [n for n in cand.names.values() if _PAIR.search(n)])[:3])} "
                                  "instead")
    if not kept_nums and not kept_names:
        part = _part_kept(inp, want, new_names, any(v not in known.numbers for v in cand.numbers))
        if part is not None:
            return CheckResult(name=NAME, passed=True,
                               reason=f"part of the answer kept: {part!r} of {describe(want)}, no other answer stated")
        return CheckResult(name=NAME, passed=False,
                           reason=f"answer facts missing: the original states {describe(want)}; the rewrite "
                                  "states none of them")
    taken_back = _taken_back(inp, cand, known, cand_text,
                             [n for n in kept_names if n.lower() not in want.terms and _quote_key(n) not in want.quotes],
                             new_names, [at for at in quote_at.values() if at is not None])
    if taken_back:
        return CheckResult(name=NAME, passed=False, reason=taken_back)
    return CheckResult(name=NAME, passed=True,
                       reason=f"key facts kept: {', '.join((kept_names + kept_nums)[:6])}")


def make_check(options: VerifyOptions) -> Check:
    def check(inp: CheckInput) -> CheckResult:
        return check_facts(inp, options)

    return check
