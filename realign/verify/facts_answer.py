"""The facts of a text and the answer facts of an original for the key-facts check (`facts`).

`read_facts` reads the numbers and names a text states (numbers by `facts_numbers`, names by
`facts_names`); `answer_facts` keeps those of the original that the question does not give and,
where there are none, reads the answer as plain words (`facts_terms`), a quotation (`facts_quotes`)
or a symbol ("/"). A yes / no answer and the answer to a request for an explanation have no such
words to keep. `contract` reads them to state the contract of a short factual answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from fractions import Fraction

from realign.verify.facts_names import _ACRONYM, _clean_name, _has_name, _name_spans, _nicknames, _uncited
from realign.verify.facts_numbers import times_counted, zero_counted
from realign.verify.facts_numbers import (
    _COMPOUND_HINT, _ONE_AFTER_DETERMINER, _ORDINAL, _ORDINALS, _PRONOUN_ONE, _SCALE, _SCALES, _TENS_FIRST, _TENS_ORD,
    _compound_numbers, _dates_spelled,
)
from realign.verify.facts_quotes import _quotations, _quote_key
from realign.verify.facts_terms import (
    SPAN_MAX_WORDS, TERM_MAX_WORDS, _fragment, _short_term, _stems, _term_alternatives,
)
from realign.verify.facts_words import _CALENDAR, _words_of
from realign.verify.math_numbers import _NUM, _WORD_NUM, _to_number, _word_number


_SENT_START = re.compile(r"(?:^|[.!?:;\n]\s*|[\-*#>]\s+|\d+[.)]\s+|[\"“(]\s*)$")
# one capitalised word that fills a parenthesis, "(Tokyo)": an aside naming something, not the first word
# of a sentence in parentheses
_PAREN_BEFORE = re.compile(r"\(\s*$")
_PAREN_AFTER = re.compile(r"\s*\)")
_LIST_MARK = re.compile(r"^[ \t]*\d{1,2}[.)][ \t]", re.M)
_FIRST_MARK = re.compile(r"^[ \t]*1[.)][ \t]", re.M)


def _unmarked(text: str) -> str:
    """`text` without its list markers ("1. ", "2) "): a number and a dot open a list item when the text
    has two of them or the one is "1."; "50. were coming" alone opens with the answer 50."""
    if len(_LIST_MARK.findall(text)) >= 2 or _FIRST_MARK.search(text):
        return _LIST_MARK.sub(" ", text)
    return text


_DAY_BESIDE = re.compile(r"\d{1,2}(?:st|nd|rd|th)?[ \t]+May\b|\bMay[ \t]+\d")


@dataclass(frozen=True)
class Facts:
    numbers: dict[Fraction, str]  # value -> as written
    names: dict[str, str]  # lower-cased -> as written
    # keys of `names` that are the plain words of a short answer ("uvea", "hit points or health
    # points"): matched word by word (plurals, spelling variants), not as a proper name
    terms: frozenset[str] = frozenset()
    # keys of `names` that are a quotation or title longer than TERM_MAX_WORDS ("Hit the ball
    # closer to the hole"): the rewrite must write the whole span, case and punctuation aside
    quotes: frozenset[str] = frozenset()
    # keys of `terms` whose words the question itself gives ("egg" to "... hen or egg"): held by
    # those words, which are then not discounted as the question's
    spans: frozenset[str] = frozenset()
    # keys of `terms` that are a longer answer phrase (FRAGMENT_MAX_WORDS): held by a share of its words
    fragments: frozenset[str] = frozenset()
    # (nickname key, key of the name it is quoted in): 'Dwayne "The Rock" Johnson' is kept by either
    nicknames: tuple[tuple[str, str], ...] = ()


@lru_cache(maxsize=256)  # within one row the same texts are read several times: read them once
def read_facts(text: str) -> Facts:
    """The numbers and names `text` states (list markers "1." are not numbers). The result is
    shared between calls: do not change it."""
    body = _dates_spelled(_unmarked(_uncited(text)))
    numbers: dict[Fraction, str] = {}
    for m in _NUM.finditer(body):
        n = _to_number(m, body)
        if n is not None:
            numbers.setdefault(abs(n.value), n.text)
    compounds = _compound_numbers(body) if _COMPOUND_HINT.search(body) else []
    for start, end, value in compounds:
        numbers.setdefault(value, body[start:end])
    for w in _WORD_NUM.finditer(body):
        if _ORDINAL.match(body, w.start()) or _TENS_FIRST.match(body, w.start()):
            continue  # "twenty-third": read as an ordinal below
        if any(s <= w.start() < e for s, e, _ in compounds):
            continue
        if _PRONOUN_ONE.match(body, w.start()) and _ONE_AFTER_DETERMINER.search(body, max(0, w.start() - 40), w.start()):
            continue  # "the Muslim one.", "a better one", "the other one of them": a pronoun, not 1
        n = _word_number(w)
        scale = _SCALE.match(body, w.end())  # "eighteen million" is 18,000,000, not 18
        value = abs(n.value) * (_SCALES[scale.group(1).lower()] if scale else 1)
        numbers.setdefault(value, n.text + (scale.group(0) if scale else ""))
    for o in _ORDINAL.finditer(body):  # "the eighth season" states 8 as "Season 8" does
        numbers.setdefault(Fraction(_TENS_ORD.get((o.group(1) or "").lower(), 0) + _ORDINALS[o.group(2).lower()]),
                           o.group(0))
    for o in _TENS_FIRST.finditer(body):
        numbers.setdefault(Fraction(_TENS_ORD[o.group(1).lower()] + (1 if o.group(2).lower() == "first" else 2)),
                           o.group(0))
    names: dict[str, str] = {}
    fragment = len(body.split()) <= 4  # "Iran", "Kobol's Last Gleaming": an answer, not a sentence
    for m in _name_spans(body):
        at_start = bool(_SENT_START.search(body[max(0, m.start() - 6) : m.start()])) or m.start() == 0
        word = m.group(0).rstrip()
        if at_start and " " not in word and _PAREN_BEFORE.search(body[max(0, m.start() - 3) : m.start()]) \
                and _PAREN_AFTER.match(body, m.start() + len(word)):
            at_start = False  # "adenosine diphosphate (Tokyo)": the parenthesis holds a name, not a sentence
        if at_start and " " not in m.group(0).strip() and not fragment and not _ACRONYM.fullmatch(m.group(0)) \
                and m.group(0).lower().rstrip(".") not in _CALENDAR:
            continue  # "Sunlight scatters ...": a capital that opens a sentence names nothing by itself
        name = _clean_name(m.group(0), at_start)
        if not name and m.group(0).strip() == "May" and _DAY_BESIDE.search(body, max(0, m.start() - 4)):
            name = "May"  # "May 31, 2012", "31 May": the month, not the verb
        if name and not name[0].isdigit():
            names.setdefault(name.lower(), name)
    return Facts(numbers, names)


# A request for an explanation or a composition: a short original is then one way of saying it
# ("Sunlight scatters off air molecules"), not an answer whose words must come back.
_EXPLANATION = re.compile(r"\b(?:why|explain|describe|discuss|write|compose|tell me about|summari[sz]e|opinion)\b", re.I)
# Cues that ask for an explanation or an opinion only sometimes: "how does it work?", "what do you think?"
# ask for one, "how did the crowd react?" ("boos"), "how did he plead?" ("guilty"), "what does he think of
# her as?" ("a sister") ask what a text or a story states. Read as a request for an explanation unless the
# answer is a plain phrase of at most MANNER_MAX_WORDS words and the question does not ask the reader
# ("you", "I", "we": an opinion or a procedure of one's own).
_EXPLANATION_MAYBE = re.compile(r"\b(?:how (?:do|does|did|can|could|should|would|to|is|are|was|were)|think|feel)\b",
                                re.I)
_READER = re.compile(r"\b(?:you|your|yours|yourself|i|me|my|we|us|our)\b", re.I)
MANNER_MAX_WORDS = 3


def _asks_explanation(instruction: str, original: str) -> bool:
    """Whether the instruction asks for an explanation, an opinion or a composition (`_EXPLANATION`,
    `_EXPLANATION_MAYBE`): a short original is then one way of saying it, not words to keep."""
    if _EXPLANATION.search(instruction):
        return True
    if not _EXPLANATION_MAYBE.search(instruction):
        return False
    term = _short_term(original)
    return term is None or len(term.split()) > MANNER_MAX_WORDS or bool(_READER.search(instruction))


_POLAR_OPENING = re.compile(r"\s*(?:yes|no)\b", re.I)  # "No, possession isn't real": the no is the answer


SYMBOL_MAX_CHARS = 5


def _symbol_answer(original: str) -> str | None:
    """An answer that is a symbol alone ("/" for "an example of a file path", "&", "->"): no word or
    number holds it, the symbol written anywhere in the rewrite does ("/Payroll/Salaries")."""
    t = original.strip()
    if not t or len(t) > SYMBOL_MAX_CHARS or any(ch.isalnum() for ch in t) or t.strip(".!?") == "":
        return None
    return t


def answer_facts(instruction: str, original: str) -> Facts:
    """Facts of the original that the instruction does not already give; for a short plain-word
    answer with no such number or name, the answer's words (`Facts.terms`); and its quotations
    (`Facts.quotes`)."""
    given = read_facts(instruction)
    original = zero_counted(instruction, original)  # "no brother" to "how many brothers": the count zero
    original = times_counted(instruction, original)  # "twice" is the count two
    low = instruction.lower()
    nicknames: dict[str, str] = {}
    nick_of: list[tuple[str, str]] = []
    found = _nicknames(original) if '"' in original or "“" in original else []
    if found:
        # 'Dwayne "The Rock" Johnson' names Dwayne Johnson, also called The Rock: either keeps it, and
        # the nickname is no quotation the rewrite must write
        for m in found:
            nick = _clean_name(m.group(2), True)
            if nick:
                nicknames[nick.lower()] = nick
                nick_of.append((nick.lower(), f"{m.group(1)} {m.group(3)}".lower()))
        for m in reversed(found):
            original = original[: m.start()] + f"{m.group(1)} {m.group(3)}" + original[m.end() :]
    facts = read_facts(original)
    numbers = {v: t for v, t in facts.numbers.items() if v not in given.numbers}
    # given also as its surname or acronym: "James Bond" to "... which Bond film?", "United States"
    # to "... the last US state?"
    names = {k: n for k, n in facts.names.items() if not _has_name(low, k, instruction, n) or _picked_as_one(original, n)}
    names.update((k, n) for k, n in nicknames.items() if k not in names and not _has_name(low, k, instruction, n))
    quoted = _quotations(instruction, original, whole=not numbers and not names) \
        if ('"' in original or "“" in original or "'" in original or "‘" in original or len(original) < 200) else []
    if quoted:
        quotes = {_quote_key(q): q for q in quoted}
        # the first fact is the answer's head (check_facts): a long quotation is the answer itself, a
        # short one ('Ethel "Edy" Proctor', 'in "The Hours"') comes after the names it stands among
        long = {k: q for k, q in quotes.items() if _words_of(q) > TERM_MAX_WORDS}
        return Facts(numbers, {**long, **names, **quotes}, quotes=frozenset(quotes))
    if not numbers and not names and not _asks_explanation(instruction, original) and not _polar(instruction, original):
        term = _short_term(original)
        if term is not None and _term_alternatives(term, _stems(instruction)):
            return Facts({}, {term.lower(): term}, frozenset({term.lower()}))
        fragment = _fragment(original) if term is None else None
        if fragment is not None and _term_alternatives(fragment, _stems(instruction)):
            key = fragment.lower()
            return Facts({}, {key: fragment}, frozenset({key}), fragments=frozenset({key}))
        if term is not None and instruction.strip() and _term_alternatives(term, frozenset()) \
                and not facts.numbers and not facts.names and len(term.split()) <= SPAN_MAX_WORDS:
            # every word of the answer is the question's ("egg" to "who came first, hen or egg", "town"
            # to "what type of community is Brown's Town"): the answer picks that span, and a rewrite
            # must say it too
            key = term.lower()
            return Facts({}, {key: term}, frozenset({key}), spans=frozenset({key}))
    if not numbers and not names:
        symbol = _symbol_answer(original)
        if symbol:
            return Facts({}, {symbol: symbol})
    return Facts(numbers, names, nicknames=tuple((n, k) for n, k in nick_of if n in names and k in names))


def _picked_as_one(original: str, name: str) -> bool:
    """Whether the original picks `name` with a pronoun "one" ("It is the Muslim one."): a name the
    question gives is then the answer's choice among those it offers, and a fact to keep."""
    at = 0
    while (at := original.find(name, at)) >= 0:
        after = at + len(name)
        gap = len(original) - len(original[after:].lstrip(" \t"))
        if gap > after and _PRONOUN_ONE.match(original, gap) and (at == 0 or not original[at - 1].isalnum()):
            return True
        at = after
    return False


# a question that opens with an auxiliary ("Is ...", "Didn't ...") asks for yes or no
_CLOSED_OPENING = re.compile(r"\s*(?:is|are|was|were|do|does|did|can|could|will|would|should|shall|has|have|had|"
                             r"may|might|must|isn['’]t|aren['’]t|wasn['’]t|don['’]t|doesn['’]t|didn['’]t)\b", re.I)


def _polar(instruction: str, original: str) -> bool:
    """Whether the original opens with a yes / no answer: "No, possession isn't real", "Yes." (to any
    question), or "No ..." to a closed question; "No taxation without representation" to "what
    was the rallying cry" is a slogan, not a no."""
    m = _POLAR_OPENING.match(original)
    if m is None:
        return False
    rest = original[m.end() :].lstrip(" \t")
    return not rest or not rest[0].isalpha() or bool(_CLOSED_OPENING.match(instruction))


def describe(f: Facts, limit: int = 6) -> str:
    items = list(f.names.values()) + list(f.numbers.values())
    more = f" (+{len(items) - limit} more)" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more
