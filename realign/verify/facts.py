"""Key facts: a short factual answer keeps the facts that answer the question.

The answer facts of an original are the numbers (dates and years included) and names
(capitalised spans: "Neil Young", "December", "Treaty of Paris") it states that the question does
not already give; a short answer in plain words that states neither ("uvea", "hit points or health
points") is held by its content words; a quotation longer than that (a quoted span, or the whole
short answer to a question that asks for words: "Hit the ball closer to the hole") must come back
whole, case and punctuation aside. A rewrite passes when it keeps at least one answer fact (and
every quotation) and substitutes none:

- a number substitution is an answer number the rewrite drops while stating a number that neither
  the original, the question, the conversation nor the evidence gives ("ratified on December 15,
  1791" -> "came out on December 16, 1689"; "about 1,497 people" -> "1,350");
- a name substitution likewise ("The capital is Canberra" -> "It is Sydney"), including one name
  of a pair ("Mutt and Jeff" -> "Benjamin Franklin and Jeff"; a pair is kept only by both its
  names, in either order);
- a range (or a score) written with another end: "30–31 October" -> "31–31 October", "1989 to
  1996" -> "1989–97", whatever the dash or word (-, –, —, to, through, until, between X and Y).
- an answer taken back or hedged: kept, then corrected to a new fact ("Neil Young. No wait, it
  was Bruce Springsteen", "..., but it was actually ...", "Correction: 1792", a closing "The
  answer is ..." naming another, a number the question gives, another quotation, or one end of the
  original's range: "30–31 October. Correction: it was actually 31"), or offered beside one
  ("either Neil Young or Bruce Springsteen", "1791 or 1792", "X, though possibly Y"); the same
  value in another form beside it is no hedge ("0.54 or 54.00%", "17.98, or rounded, 18.00").

A fact is kept in the forms long answers write it: numbers in words, ordinals and scale words
("the eighth", "eighteen million"), a rounding under an approximation word ("about 1,500" for
1,497; a year is not kept by its century or decade alone: "the 16th century" for 1524 drops it),
a value written to more places that rounds to the original's ("4.19%" for "4.2%"), as a percent
of a fraction ("65.4%" for "0.654"), or with the scale word of a unit the question states ("$1,577
million" for "1577" to a question "in USD millions"), dates with abbreviated months or in digits
("Dec. 15, 1791", "12/15/1791"), fiscal years shortened ("FY2022", "FY 2022", "FY22"), a value written with a
scale word compared at its unit's precision ("$1,824 million" for "$1.8 bn"), a dollar amount written out under a
question's millions or billions ("$381,603,000" for "382"), a value that rounds to the original at the decimal
places the question asks for ("-0.0153" for "-0.02" to "round to two decimal places"), names with a title,
a shortened given name or middle names written out, added or left out ("Dr. George Berkeley",
"Dave Gahan", "Hugh Samuel Johnson" for "Hugh S. Johnson"; not "George W. Bush" for "George
H. W. Bush"), abbreviated name words ("Mount" / "Mt.", "Boulevard" / "Blvd", "U.S." / "United
States", ", Jr."), citation marks dropped ("Elena Anaya⁶"), plurals and spelling variants of plain
words ("temporal lobe" for "the temporal lobes"), pet forms of given names ("Eddie" / "Edward"), names
in an all lower-case rewrite ("roger l. jackson"), dotted and mixed-case acronyms ("U.S.", "BSkyB"), one word of a
name written as its acronym ("Consumer Healthcare JV Transaction" / "... Joint Venture transaction"),
compounds spaced, joined or split ("Twenty - sixth", "sea water" for "seawater"), a title before the surname
alone ("President Lincoln", "Dr. King"), a nickname quoted inside a name or standing for it ('Dwayne "The Rock"
Johnson' / "The Rock"), letters written without their marks ("Søren" / "Soren", "Strauß" / "Strauss"), a name
with a number in any form ("World War II" / "World War 2" / "the Second World War", "Louis XIV" / "Louis the
Fourteenth", "Super Bowl LII" / "Super Bowl 52"), "1st" / "first", numbers in words with a scale word ("two
hundred and fifty", "a dozen"), decades and years written short ("the '60s", "the sixties", "'99"), a century
by its number or its hundreds ("the 16th century" / "the 1500s"), one era mark (BCE / BC, CE / AD), a unit in
its spellings ("42 km" / "42 kilometres", "100 °C" / "100 degrees Celsius"), money shortened after a currency
sign ("$5M", "$40K"). The same name with another number ("World War I"), the same number with another unit of
the same kind ("70 mph" -> "70 km/h", "$5" -> "€5") and another given name before the surname of a name
written surname first ("Hess, Rudolf" -> "Walter Hess") change the answer.
A short answer made of the question's own words ("egg" to "... the hen or the egg") is held by those
words, and the other side of the question's "A or B" in the rewrite changes it; an answer phrase cut
from a text ("until their objectives were met": lower-case opening, no names or numbers) is held by
two fifths of its content words; a colon pair ("22:28") is one fact. A fact stated only under a negation ("not
written by Neil Young but ...") is not kept. A rewrite that keeps no whole fact but a clear part of the answer's
words (a run at their start or end: "magnetic" for "magnetic field", "jerry reed" for "Jerry Reed Hubbard")
and states nothing that could be another answer keeps it (`_part_kept`). Money shortened as "$2,018mn" /
"$2.5bn" or written as an accounting negative "$(473) million" is the written-out amount; a symbol answer ("/")
is held by the symbol.

Dropping some facts is allowed (the answer "Neil Young" for "Neil Young wrote it in 1970") and so
is adding facts beside the kept ones: a deterministic check cannot tell an elaboration from an
invention, which is what the optional LLM judge is for.

>>> from realign.verify.base import CheckInput
>>> check_facts(CheckInput(task="open_qa", instruction="When was the Bill of Rights ratified?",
...     original="It was ratified on December 15, 1791.", candidate="December 16, 1689.")).passed
False
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from fractions import Fraction

from realign.records import CheckResult
from realign.verify.base import Check, CheckInput
from realign.verify.math import _NUM, _WORD_NUM, _to_number, _word_number, in_question_scale, places_asked, restated_forms
from realign.verify.options import VerifyOptions

NAME = "key_facts"

# Words that open sentences or headings without naming anything.
_STOP = frozenset(
    """a an the this that these those it its he she they we i you his her their our my your in on at
    for from by with as if when while yes no there here some many most each every one both after before
    during since because however also then so but and or although though today according answer note
    what who where which why how is are was were do does did can could will would should may might
    sure certainly well overall first second third finally next let yes okay ok thus therefore hence
    summary explanation final step question""".split()
)
_NAME = re.compile(
    r"(?<![\w'’])(?:[A-Z][\w'’.\-]*|[0-9]+(?:st|nd|rd|th))"
    r"(?:[ \t]+(?:(?:of|de|da|di|del|van|von|der|la|le|the|and|&|for|on|upon)[ \t]+)?[A-Z][\w'’.\-]*)*"
)
_SENTENCE_END = re.compile(r"(?<=[a-z]{3}\.)[ \t]+")  # "Thomas Lanier Williams. He took": two spans


class _Span:
    """A part of a name match (a match with a sentence end inside is read as two)."""

    def __init__(self, text: str, start: int) -> None:
        self.text, self._start = text, start

    def start(self) -> int:
        return self._start

    def group(self, _: int = 0) -> str:
        return self.text


def _name_spans(body: str) -> list[_Span]:
    out = []
    for m in _NAME.finditer(body):
        text, start = m.group(0), m.start()
        cut = _SENTENCE_END.search(text)
        while cut is not None:
            out.append(_Span(text[: cut.start()], start))
            start += cut.end()
            text = text[cut.end() :]
            cut = _SENTENCE_END.search(text)
        out.append(_Span(text, start))
    return out


_SENT_START = re.compile(r"(?:^|[.!?:;\n]\s*|[\-*#>]\s+|\d+[.)]\s+|[\"“(]\s*)$")
_LIST_MARK = re.compile(r"^[ \t]*\d{1,2}[.)][ \t]", re.M)


_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_SCALE = re.compile(r"[ \t-]+(hundred|thousand|million|billion|trillion)\b", re.I)
# "first" and "second" are left out: "at first", "a second" are no numbers
_ORDINALS = {w: i for i, w in enumerate(
    "_ _ _ third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth fifteenth "
    "sixteenth seventeenth eighteenth nineteenth twentieth".split()) if w != "_"}
_ORDINALS.update(thirtieth=30, fortieth=40, fiftieth=50, sixtieth=60, seventieth=70, eightieth=80, ninetieth=90,
                 hundredth=100)
_TENS_ORD = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
             "ninety": 90}
_ORDINAL = re.compile(r"\b(?:(twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)[- ])?(" + "|".join(_ORDINALS)
                      + r")\b", re.I)
# after a tens word they are ordinals: "the Twenty-first Amendment" is the 21st, not "twenty"
_TENS_FIRST = re.compile(r"\b(twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)-(first|second)\b", re.I)


# Month and day names name a date wherever they stand: "November 15, 1791 is when ..." changes
# "December 15, 1791" even at the start of a sentence.
_CALENDAR = frozenset(
    """january february march april may june july august september october november december monday tuesday
    wednesday thursday friday saturday sunday""".split()
)


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


def _clean_name(span: str, at_start: bool) -> str:
    words = span.split()
    while words and (words[0].lower().strip(".") in _STOP and (at_start or len(words) > 1)):
        words = words[1:]
    while words and words[-1].lower() in {"of", "de", "the", "and", "&", "for", "on", "upon"}:
        words = words[:-1]
    name = " ".join(words).strip(".'’-")
    if not name or (len(words) == 1 and name.lower() in _STOP):
        return ""
    return name


# Dates in other formats: "Dec. 15, 1791" names December; "12/15/1791" and "1791-12-15" are three
# numbers, not a fraction and negative numbers.
_MONTH_ABBR = {"jan": "January", "feb": "February", "mar": "March", "apr": "April", "jun": "June", "jul": "July",
               "aug": "August", "sep": "September", "sept": "September", "oct": "October", "nov": "November",
               "dec": "December"}
_MONTH_SHORT = re.compile(r"\b(" + "|".join(_MONTH_ABBR) + r")\.?(?=[ \t]+\d)", re.I)
_ANY_DIGIT = re.compile(r"\d")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{2,4})\b|\b(\d{4})-(\d{1,2})-(\d{1,2})\b")


# A fiscal year written as filings shorten it: "FY2022", "FY 2022", "FY22", "FY'22" all state the year 2022
# ("FY2022" glued is no number to the number reader, so a rewrite writing it where the original wrote
# "FY 2022" dropped the year). A two-digit year is this century's up to FISCAL_CENTURY_CUT, the last one's after.
_FISCAL_YEAR = re.compile(r"\bFY[ \t]?['’]?(\d{4}|\d{2})\b")
FISCAL_CENTURY_CUT = 50


def _fiscal_year(m: re.Match[str]) -> str:
    year = m.group(1)
    if len(year) == 2:
        year = ("20" if int(year) <= FISCAL_CENTURY_CUT else "19") + year
    return "fiscal " + year


def _dates_spelled(text: str) -> str:
    if not _ANY_DIGIT.search(text):
        return text
    text = _MONTH_SHORT.sub(lambda m: _MONTH_ABBR[m.group(1).lower()], text)
    if "FY" in text:
        text = _FISCAL_YEAR.sub(_fiscal_year, text)
    return _NUMERIC_DATE.sub(lambda m: " ".join(g for g in m.groups() if g), text)


# A number in words with a scale word inside ("two hundred and fifty", "two thousand and one", "a hundred",
# "a dozen", "three hundred thousand"): one number, not its parts. Counted from a count word ("a" only
# right before a scale word), so "the Hundred Years' War" states no number.
_UNIT_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
_SCALE_WORDS = {"hundred": 100, "dozen": 12, "thousand": 1000, "million": 10**6, "billion": 10**9}
_COUNT = "|".join(list(_UNIT_WORDS)[1:] + list(_TENS_ORD)) + "|a|an"
_COMPOUND_HINT = re.compile(r"\b(?:hundred|dozen|thousand|million|billion)\b", re.I)
_COMPOUND_NUMBER = re.compile(
    rf"\b(?:{_COUNT})(?:(?:[ \t]+|-)(?:and[ \t]+)?(?:{'|'.join(list(_UNIT_WORDS)[1:] + list(_TENS_ORD) + list(_SCALE_WORDS))}))+\b",
    re.I)


def _compound_numbers(text: str) -> list[tuple[int, int, Fraction]]:
    """(start, end, value) of each number in words with a scale word inside."""
    out = []
    for m in _COMPOUND_NUMBER.finditer(text):
        words = [w for w in re.split(r"[ \t-]+", m.group(0).lower()) if w != "and"]
        if not any(w in _SCALE_WORDS for w in words) or (words[0] in ("a", "an") and words[1] not in _SCALE_WORDS):
            continue
        total = current = 0
        for w in words:
            if w in _SCALE_WORDS and _SCALE_WORDS[w] < 1000:
                current = max(current, 1) * _SCALE_WORDS[w]
            elif w in _SCALE_WORDS:
                total, current = total + max(current, 1) * _SCALE_WORDS[w], 0
            else:
                current += 1 if w in ("a", "an") else _UNIT_WORDS.get(w) or _TENS_ORD[w]
        out.append((m.start(), m.end(), Fraction(total + current)))
    return out


@lru_cache(maxsize=256)  # within one row the same texts are read several times: read them once
def read_facts(text: str) -> Facts:
    """The numbers and names `text` states (list markers "1." are not numbers). The result is
    shared between calls: do not change it."""
    body = _dates_spelled(_LIST_MARK.sub(" ", _uncited(text)))
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
        if at_start and " " not in m.group(0).strip() and not fragment and not _ACRONYM.fullmatch(m.group(0)) \
                and m.group(0).lower().rstrip(".") not in _CALENDAR:
            continue  # "Sunlight scatters ...": a capital that opens a sentence names nothing by itself
        name = _clean_name(m.group(0), at_start)
        if not name and m.group(0).strip() == "May" and _DAY_BESIDE.search(body, max(0, m.start() - 4)):
            name = "May"  # "May 31, 2012", "31 May": the month, not the verb
        if name and not name[0].isdigit():
            names.setdefault(name.lower(), name)
    return Facts(numbers, names)


# "one" standing for a noun said before it: a determiner at most two words back, and no noun after
_PRONOUN_ONE = re.compile(r"one(?=[ \t]*(?:[.,:;!?)\]\n]|$|of\b|that\b|who\b|which\b))", re.I)
_ONE_AFTER_DETERMINER = re.compile(
    r"\b(?:the|a|an|this|that|which|another|any|each|every|no|other)[ \t]+"
    r"(?:(?!(?:is|are|was|were|be|been|has|have|had|equals?)\b)[\w'’\-]+[ \t]+){0,2}$", re.I)  # "the answer is one" is 1
_ACRONYM = re.compile(r"[A-Z]{2,6}s?")
_DOTTED = re.compile(r"(?:[A-Z]\.){1,5}[A-Z]\.?")
# an acronym with lower-case letters from inside its words ("BSkyB": British Sky Broadcasting, "NatWest"),
# not a name with an inner capital after a surname prefix ("McCain", "DeVito")
_MIXED_ACRONYM = re.compile(r"(?=[A-Z][a-z]*[A-Z])[A-Z][A-Za-z]{2,6}")
_SURNAME_PREFIX = re.compile(r"(?:Mc|Mac|De|Di|Da|Du|La|Le|Van|Von|O)[A-Z]")
_LINK_WORDS = frozenset({"of", "the", "and", "&", "for", "on", "in", "de", "a"})
_WORDS = re.compile(r"[A-Za-z][\w'’\-]*")
_LINK_NAME = frozenset({"of", "von", "van", "de", "da", "di", "del", "der", "la", "le", "the", "and", "&"})
_INITIALS = re.compile(r"(?:[A-Z]\.[ \t]?){1,3}$")
NICKNAME_PREFIX = 3  # "Dave" / "David", "Dolly" / "Dollree": the same given name, shortened


def _spells(acronym: str, words: list[str]) -> bool:
    """Whether `words` spell `acronym` ("Department of Motor Vehicles" -> DMV, "adenosine
    diphosphate" -> ADP): each word gives its initial in order, a letter may also come from inside
    the current word, link words ("of", "the") may be skipped, and every word is used."""
    letters = acronym.lower()

    def fit(i: int, j: int) -> bool:  # letters[i:] from words[j:]
        if j == len(words):
            return i == len(letters)
        w = words[j].lower()
        if i < len(letters) and w[0] == letters[i]:
            k, pos = i + 1, 1
            while True:
                if fit(k, j + 1):
                    return True
                if k == len(letters):
                    break
                pos = w.find(letters[k], pos) + 1
                if pos <= 0:
                    break
                k += 1
        return w in _LINK_WORDS and fit(i, j + 1)

    return bool(words) and len(words) <= 2 * len(letters) and fit(0, 0)


def _acronym_kept(name: str, text: str) -> bool:
    """An acronym and its expansion name the same thing: "DMV" in the original is kept by
    "Department of Motor Vehicles" in the rewrite and the other way round."""
    cased = name.strip()
    if "." in cased and _DOTTED.fullmatch(cased):  # "U.S." is the acronym US
        cased = cased.replace(".", "")
    if _ACRONYM.fullmatch(cased) or (_MIXED_ACRONYM.fullmatch(cased) and not _SURNAME_PREFIX.match(cased)):
        acr = cased.rstrip("s") if len(cased) > 2 else cased
        words = _WORDS.findall(text)
        n = len(acr)
        for i, w in enumerate(words):
            if w[0].lower() != acr[0].lower():
                continue
            for k in range(1, min(2 * n, len(words) - i) + 1):
                if _spells(acr, words[i : i + k]):
                    return True
        return False
    words = _WORDS.findall(cased)
    if len(words) < 2:
        return False
    return any(_spells(a.rstrip("s") if len(a) > 2 else a, words) for a in _ACRONYM.findall(text))


def _acronym_inside(name: str, text: str) -> tuple[int, int] | None:
    """Where `text` writes a name of several words with one of its words as an acronym and the other
    its expansion ("Consumer Healthcare JV Transaction" / "Consumer Healthcare Joint Venture
    transaction", either way round): the other words as written (case aside), the acronym's words
    spelling it (`_spells`). (start, end) of the match in `text`, or None."""
    mine = _WORDS.findall(name)
    if len(mine) < 2:
        return None
    spans = [(m.group(0), m.start(), m.end()) for m in _WORDS.finditer(text)]
    theirs = [w for w, _, _ in spans]

    def acronym(w: str) -> str | None:
        return w if _ACRONYM.fullmatch(w) and len(w) >= 2 else None

    def fit(i: int, j: int) -> int | None:  # mine[i:] from theirs[j:]; the end index in theirs
        if i == len(mine):
            return j
        if j == len(theirs):
            return None
        a = acronym(mine[i])
        if a is not None:
            for k in range(1, min(2 * len(a), len(theirs) - j) + 1):
                if _spells(a, theirs[j : j + k]):
                    end = fit(i + 1, j + k)
                    if end is not None:
                        return end
        b = acronym(theirs[j])
        if b is not None:
            for k in range(1, min(2 * len(b), len(mine) - i) + 1):
                if _spells(b, mine[i : i + k]):
                    end = fit(i + k, j + 1)
                    if end is not None:
                        return end
        return fit(i + 1, j + 1) if mine[i].lower() == theirs[j].lower() else None

    if not any(acronym(w) for w in mine) and not _ACRONYM.search(text):
        return None
    first = mine[0].lower()
    for j, w in enumerate(theirs):
        if w.lower() == first or (w[0].lower() == first[0] and (acronym(w) or acronym(mine[0]))):
            end = fit(0, j)
            if end is not None and any(acronym(x) for x in mine + theirs[j:end]):
                return spans[j][1], spans[end - 1][2]
    return None


def _same_person(given: list[str], before: str) -> bool:
    """Whether the words before a kept surname name the same person as the original's given names:
    initials ("B.R." for Bhimrao Ramji) or a shortened given name ("Dave" for David)."""
    if _INITIALS.search(before):
        initials = re.findall(r"([A-Z])\.", before[-8:])
        return [g[0] for g in given[: len(initials)]] == [i.lower() for i in initials]
    m = re.search(r"([A-Za-z][\w'’\-]*)[ \t]*$", before)
    if m is None or not given:
        return False
    first = m.group(1).lower()
    return len(first) >= NICKNAME_PREFIX and given[0][:NICKNAME_PREFIX] == first[:NICKNAME_PREFIX]


# a capitalised word right before a name, other than an abbreviated title ("Dr.", "St."):
# "Theodora Erma's Cope Book" is not "Aunt Erma's Cope Book" written shorter
_OTHER_NAME_BEFORE = re.compile(r"(?<![\w.])(?![A-Z][a-z]{0,3}\.[ \t]*$)[A-Z][\w'’\-]*\.?[ \t]+$")


# Titles before a name ("Dr. Isabel Maru", "President Richard Nixon"): not given names.
_TITLES = frozenset("""dr mr mrs ms miss sir dame lord lady president king queen prince princess general gen
    rev reverend prof professor captain capt saint st pope senator sen governor gov judge justice""".split())
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
# Titles written before a surname alone ("President Lincoln", "Dr. King", "General Patton"). Not the ones
# that say whose wife or which given name ("Mrs. Lincoln", "Sir Edmund", "Queen Victoria"): another person.
_SURNAME_TITLES = frozenset("""dr doctor prof professor president senator sen governor gov judge justice general gen
    captain capt colonel col admiral adm lieutenant lt sergeant sgt commander chancellor chairman premier minister
    secretary ambassador mayor rev reverend bishop cardinal archbishop rabbi detective inspector coach""".split())
GIVEN_MAX = 4  # given and middle names looked at before a surname


def _name_tokens(words: list[str]) -> list[str]:
    """Given names as lower-case tokens, initials split ("B.R." -> b, r), titles and link words out."""
    out: list[str] = []
    for w in words:
        for piece in w.lower().strip(",").split("."):
            if piece and piece not in _LINK_NAME:
                out.append(piece)
    while out and out[0] in _TITLES:
        out = out[1:]
    return out


def _given_names(name: str, surname: str) -> list[str]:
    """The original name's given and middle names (lower case): "hugh s. johnson" -> hugh, s."""
    words = name.split()
    at = len(words) - 1 - words[::-1].index(surname) if surname in words else len(words) - 1
    return _name_tokens(words[:at])


def _given_before(text: str, start: int) -> list[str]:
    """The capitalised words standing right before a surname in `text` ("Hugh Samuel" before
    "Johnson"), at most GIVEN_MAX, read without a regex (no backtracking on long texts)."""
    words = text[max(0, start - 60) : start].split()
    run: list[str] = []
    for w in reversed(words):
        if len(run) == GIVEN_MAX or not w[0].isupper() or not w.replace(".", "").replace("'", "").replace("’", "")\
                .replace("-", "").isalpha() or w.lower().rstrip(".") in _STOP:
            break
        run.append(w)
    return _name_tokens(run[::-1])


# Common English pet forms whose spelling does not start like the full name ("Bill" / "William",
# "Peggy" / "Margaret"): pet form -> the full given names it stands for.
_PET_NAMES: dict[str, frozenset[str]] = {pet: frozenset(full.split()) for pet, full in {
    "bill": "william", "billy": "william", "will": "william", "willy": "william", "liam": "william",
    "bob": "robert", "bobby": "robert", "rob": "robert", "robbie": "robert", "bert": "robert albert herbert",
    "dick": "richard", "rick": "richard", "ricky": "richard", "rich": "richard",
    "jim": "james", "jimmy": "james", "jamie": "james", "jack": "john", "johnny": "john",
    "ted": "edward theodore", "teddy": "edward theodore", "ed": "edward edwin edmund", "eddie": "edward edwin edmund",
    "eddy": "edward edwin edmund", "ned": "edward", "tom": "thomas", "tommy": "thomas", "tony": "anthony antonio",
    "chuck": "charles", "charlie": "charles", "hank": "henry", "harry": "henry harold", "larry": "lawrence laurence",
    "jerry": "gerald jerome jeremiah", "peggy": "margaret", "meg": "margaret", "maggie": "margaret",
    "betty": "elizabeth", "beth": "elizabeth", "liz": "elizabeth", "lizzie": "elizabeth", "eliza": "elizabeth",
    "kate": "katherine catherine kathleen", "kathy": "katherine catherine kathleen", "katie": "katherine catherine",
    "sally": "sarah", "molly": "mary", "polly": "mary", "sue": "susan suzanne", "jenny": "jennifer",
    "mike": "michael", "mick": "michael", "dave": "david", "steve": "stephen steven", "joe": "joseph",
    "sam": "samuel samantha", "ben": "benjamin", "nick": "nicholas", "pat": "patrick patricia", "dan": "daniel",
    "danny": "daniel", "al": "albert alfred alan allan", "fred": "frederick alfred", "freddie": "frederick alfred",
    "andy": "andrew", "greg": "gregory", "matt": "matthew", "chris": "christopher christine", "alex": "alexander",
    "ken": "kenneth", "kenny": "kenneth", "ron": "ronald", "ronnie": "ronald", "don": "donald", "donnie": "donald",
    "doug": "douglas", "gene": "eugene", "jeff": "jeffrey", "abe": "abraham", "vince": "vincent", "walt": "walter",
    "wally": "walter", "zach": "zachary", "tim": "timothy", "phil": "philip phillip", "nate": "nathan nathaniel",
    "geoff": "geoffrey", "len": "leonard", "lenny": "leonard", "leo": "leonard", "frank": "francis franklin",
    "jon": "jonathan", "josh": "joshua", "becky": "rebecca", "debbie": "deborah", "cindy": "cynthia",
    "sandy": "sandra alexander", "terry": "terence theresa", "trish": "patricia", "vicky": "victoria",
}.items()}


def _given_word_same(a: str, b: str) -> bool:
    """One given name written two ways: equal, an initial of the other, shortened ("Dave" / "David")
    or a common pet form ("Eddie" / "Edward", "Bill" / "William")."""
    if a == b:
        return True
    if len(a) == 1 or len(b) == 1:
        return a[0] == b[0]
    if b in _PET_NAMES.get(a, ()) or a in _PET_NAMES.get(b, ()):
        return True
    return len(a) >= NICKNAME_PREFIX and len(b) >= NICKNAME_PREFIX and a[:NICKNAME_PREFIX] == b[:NICKNAME_PREFIX]


def _given_agree(original: list[str], written: list[str]) -> bool | None:
    """Whether the given names before a kept surname name the original's person: the first given
    name agrees (in full, as an initial or shortened) and, when both write middle names, they agree
    one for one ("Hugh Samuel Johnson" for "Hugh S. Johnson", "Richard Noel Marx" for "Richard
    Marx", not "George W. Bush" for "George H. W. Bush"). None: the first names differ, so this
    cannot tell (another rule decides)."""
    if not original or not written or not _given_word_same(original[0], written[0]):
        return None
    om, wm = original[1:], written[1:]
    if om and wm:
        return len(om) == len(wm) and all(_given_word_same(a, b) for a, b in zip(om, wm))
    return True


def _suffix_differs(name: str, text: str, end: int) -> bool:
    """"Robert Downey Sr." is not "Robert Downey Jr.": a generational suffix after the surname
    that differs from the original's."""
    mine = name.split()[-1].rstrip(".")
    after = text[end : end + 8].replace(",", " ").split()
    theirs = after[0].lower().rstrip(".") if after else ""
    return theirs in _SUFFIXES and mine in _SUFFIXES and theirs != mine


def _word_at(text: str, phrase: str, every: bool = False) -> list[int]:
    """Where `phrase` stands in `text` as whole words (the first place, or `every` place): a
    string search, not a regex compiled per name."""
    out: list[int] = []
    i = text.find(phrase) if phrase else -1
    while i >= 0:
        j = i + len(phrase)
        if (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")) and \
                (j == len(text) or not (text[j].isalnum() or text[j] == "_")):
            out.append(i)
            if not every:
                break
        i = text.find(phrase, i + 1)
    return out


_PAIR = re.compile(r" (?:and|&) ")


def _has_name(text_lower: str, name: str, text: str | None = None, cased: str = "") -> bool:
    """Whether `name` (lower-cased) is in the text; with `text` (the same text, cased) a name is
    also kept by its last word alone ("George Washington" as "Washington"), unless another
    capitalised word stands before it ("Emmitt Smith" is not "Timmy Smith") that is not the same
    person written shorter ("B.R. Ambedkar", "Dave Gahan"); and by its acronym or expansion."""
    if _word_at(text_lower, name):
        return True
    if text is None:
        return False
    if cased and (_acronym_kept(cased, text) or (" " in cased and _acronym_inside(cased, text))):
        return True
    pair = _PAIR.split(name) if " and " in name or " & " in name else ()
    if len(pair) > 1:
        # "Mutt and Jeff", "Simon & Garfunkel": every name of the pair, in either order ("Jeff and
        # Mutt" is the same pair), never one of them standing for both
        return all(part and _has_name(text_lower, part, text) for part in pair)
    words = name.split()
    for i in range(1, len(words) - 1):  # "Philosopher George Berkeley" as "Dr. George Berkeley": a title
        rest = [w for w in words[i:] if w not in _LINK_NAME]
        if len(rest) >= 2 and words[i - 1] not in _LINK_NAME and words[i] not in _LINK_NAME and \
                words[i][0].isalpha() and not _INITIALS.fullmatch(words[i].upper()) and \
                any(not _OTHER_NAME_BEFORE.search(text[max(0, at - 30) : at])
                    for at in _word_at(text_lower, " ".join(words[i:]), every=True)):
            return True
    # initials count as given names ("J. S. Bach"); a generational suffix is no surname ("King" in
    # "Martin Luther King Jr.")
    parts = [p for p in name.split() if p not in _STOP and (len(p) > 2 or p in _FOLDED_SHORT
                                                            or _INITIALS.fullmatch(p.upper()))]
    while len(parts) > 1 and parts[-1].rstrip(".") in _SUFFIXES:
        parts.pop()
    if len(parts) < 2 or len(parts[-1]) < 3:
        return False
    given = _given_names(name, parts[-1])
    for start in _word_at(text_lower, parts[-1], every=True):
        if not text[start].isupper():
            continue  # "Beehive State" is not kept by "the last state": the last word alone must name
        agree = _given_agree(given, _given_before(text, start))
        if agree is not None:
            if agree and not _suffix_differs(name, text, start + len(parts[-1])):
                return True
            continue
        window = " " + text[max(0, start - 60) : start].rstrip(" \t")
        # "Tokyo von Neumann", "Marie Curie of Mecklenburg Strelitz": look past link words and the
        # name's own words to the word before the name
        own = set(name.split()) | {"of", "von", "van", "de", "da", "di", "del", "der", "la", "le"}
        while True:
            w = re.search(r"[ \t]+([A-Za-z][\w'’.\-]*)$", window)
            if w is None or w.group(1).lower() not in own:
                break
            window = window[: w.start()]
        before = re.search(r"([A-Za-z][\w'’.\-]*)$", window)
        if before is None or not before.group(1)[0].isupper():
            return True
        if before.group(1).lower().rstrip(".") in _SURNAME_TITLES \
                and not _suffix_differs(name, text, start + len(parts[-1])):
            return True  # "President Lincoln", "Dr. King": a title, then the surname
        if _same_person(parts[:-1], window):
            return True
    return False


# Words a name is written with either in full or abbreviated ("Mt. Kilimanjaro" / "Mount
# Kilimanjaro", "Sunset Blvd" / "Sunset Boulevard", "U.S." / "US", "Robert Downey, Jr."): both
# sides are folded to one form before they are compared. "St." stands for Saint and for Street,
# so both full words fold to it.
_ABBREVIATED = {"mount": "Mt", "mt": "Mt", "fort": "Ft", "ft": "Ft", "saint": "St", "street": "St", "st": "St",
                "boulevard": "Blvd", "blvd": "Blvd", "avenue": "Ave", "ave": "Ave", "u.s.": "US", "u.s": "US",
                "u.s.a.": "US", "u.s.a": "US", "usa": "US", "u.k.": "UK", "u.k": "UK", "united states of america": "United States", "jr": "Jr", "sr": "Sr"}
_FOLDED_SHORT = frozenset({"mt", "ft", "st"})  # "Mt Kilimanjaro" kept as "Kilimanjaro", as "Mt. Kilimanjaro" was
_ABBREVIATION = re.compile(r"(?:,[ \t]*(?=[JS]r\b)|(?<![\w.]))(u\.s\.a\.?|u\.s\.?|u\.k\.?|united states of america|mount|mt|fort|"
                           r"ft|saint|street|st|boulevard|blvd|avenue|ave|usa|jr|sr)(?:\.(?=[ \t]|$))?(?![\w])", re.I)
_ABBREVIATION_HINT = re.compile(r"(?i:\b(?:mt|ft|st|blvd|ave|u\.[sk]|usa|jr|sr|mount|fort|saint|boulevard|avenue|"
                                r"united states of america))")
# Citation marks glued to a word ("Elena Anaya⁶", "Paris[2]"): Bing-style answers carry them.
_CITATION = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹]+|\[\^?\d{1,3}\^?\]")


def _abbreviated(m: re.Match[str]) -> str:
    word = m.group(1)
    short = _ABBREVIATED[word.lower()]
    if m.group(0).startswith(","):
        short = " " + short
    return short if word[0].isupper() else short.lower()


def _uncited(text: str) -> str:
    return _CITATION.sub("", text) if ("[" in text or not text.isascii()) else text


# Letters that Unicode decomposition keeps whole, in the spelling English texts use for them ("Søren" /
# "Soren", "Łódź" / "Lodz", "Strauß" / "Strauss", "Æthelred" / "Aethelred").
_PLAIN_LETTERS = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss", "æ": "ae", "Æ": "Ae", "œ": "oe",
                                "Œ": "Oe", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "ı": "i",
                                "’": "'", "‘": "'"})  # and one apostrophe: "Guns N’ Roses" is "Guns N' Roses"


@lru_cache(maxsize=256)
def _fold(text: str) -> str:
    """`text` with accents and citation marks dropped, hyphens as spaces and abbreviated name
    words in one form: "Beyoncé" is "Beyonce", "Mecklenburg-Strelitz" is "Mecklenburg Strelitz",
    "Mount Kilimanjaro" is "Mt Kilimanjaro"."""
    text = _uncited(text)
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
        text = text.translate(_PLAIN_LETTERS)
    text = _dates_spelled(text)
    if _ABBREVIATION_HINT.search(text):
        text = _ABBREVIATION.sub(_abbreviated, text)
    return text.replace("-", " ") if "-" in text else text


# A short answer in plain words ("uvea", "beneath the liver", "hit points or health points") names
# nothing, yet it is the answer: its content words must come back (plurals and -ise/-ize spellings
# folded). Alternatives ("A or B", "A / B") are kept by any one of them.
TERM_MAX_WORDS = 6
_TERM_STOP = _STOP | frozenset(
    """of to into onto over under below beneath underneath above inside outside within without between among
    through across around about near till until upon via per than not be been being""".split()
)
_TERM_ALT = re.compile(r"\s*(?:/|;|\bor\b)\s*", re.I)
_TERM_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def _stem(word: str) -> str:
    w = _fold(word.lower()).replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = re.sub(r"is(?=ation|e$|ed$|es$|ing$)", "iz", w)
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        return w[:-1]
    return w


@lru_cache(maxsize=256)
def _stems(text: str) -> frozenset[str]:
    return frozenset(_stem(w) for w in _TERM_WORD.findall(text))


# "a number of qualifications" is "qualifications": a quantity word before "of" counts nothing the
# answer names
_QUANTIFIER = re.compile(r"\b(?:an?|the)[ \t]+(?:number|lot|couple|variety|range|series|handful|majority|few)[ \t]+of\b",
                         re.I)


def _term_alternatives(term: str, given: frozenset[str]) -> list[list[str]]:
    """Each alternative of a plain-word answer as the stems of its content words, less the words the
    question already gives ("callable bonds" to "a bond that ..." is "callable")."""
    alts = []
    for alt in _TERM_ALT.split(_QUANTIFIER.sub(" ", term) if " of" in term else term):
        head = alt.split(",")[0]  # "Octopussy, a James Bond film": what follows the comma describes the head
        words = [_stem(w) for w in _TERM_WORD.findall(head) if w.lower() not in _TERM_STOP]
        words = [w for w in words if w not in given]
        if words:
            alts.append(words)
    return alts


TERM_PREFIX = 6  # "mitochondrial" / "mitochondria", "alchemy" / "alchemical": one word written two ways


def _same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n >= TERM_PREFIX and n >= 0.75 * min(len(a), len(b))


@lru_cache(maxsize=256)
def _joined_pairs(text: str) -> frozenset[str]:
    """Each two neighbouring words of `text` written as one ("sea water" -> "seawater")."""
    words = [_fold(w.lower()) for w in _TERM_WORD.findall(text)]
    return frozenset(_stem(a + b) for a, b in zip(words, words[1:]))


def _term_kept(term: str, text: str, given: frozenset[str]) -> bool:
    """Whether `text` keeps one alternative of a plain-word answer: all its content words, or all
    but one of three or more ("inner mitochondrial membrane" as "the inner membrane of the
    mitochondria"); a compound counts written as one word or as two ("seawater" / "sea water")."""
    have = _stems(text)
    for alt in _term_alternatives(term, given):
        found = sum(any(w == h or _same_word(w, h) for h in have) for w in alt)
        if found >= len(alt) - (len(alt) >= 3):
            return True
        if len(alt) == 1 and alt[0] in _joined_pairs(text):
            return True
        if len(alt) == 2 and _stem(alt[0] + alt[1]) in have:
            return True
    return False


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


def _fragment_kept(fragment: str, text: str, given: frozenset[str]) -> bool:
    """Whether `text` keeps at least FRAGMENT_SHARE of an answer phrase's content words (those the
    question does not give), each as written or as another form of the word."""
    words = {w for alt in _term_alternatives(fragment, given) for w in alt}
    have = _stems(text)
    found = sum(any(w == h or _same_word(w, h) for h in have) for w in words)
    return bool(words) and found >= FRAGMENT_SHARE * len(words)


def _caseless_name_kept(name_low: str, text: str) -> bool:
    """A name in a rewrite written all in lower case, where capitals cannot mark it: its words in
    order, each as written, as a spelling variant or a shortened or pet form of a given name
    ("gajraj" / "Gajaraj", "eddie" / "Edward"), and at most one middle name of three or more left
    out or written as its initial ("roger l. jackson" for "Roger Labon Jackson"). The first and the
    last word and every initial must be there."""
    words = [w for w in (_fold(x) for x in _TERM_WORD.findall(name_low)) if w not in _LINK_NAME]
    have = [_fold(x) for x in _TERM_WORD.findall(text.lower())]
    if len(words) < 2 or not have:
        return False
    at, missed = 0, 0
    for i, w in enumerate(words):
        j = next((j for j in range(at, len(have)) if have[j] == w or _same_word(w, have[j])
                  or (i < len(words) - 1 and len(w) > 1 and have[j] not in _STOP
                       and _given_word_same(w, have[j]))), None)
        if j is None:
            if i in (0, len(words) - 1) or len(w) == 1 or len(words) < 3 or missed:
                return False
            missed += 1
            continue
        at = j + 1
    return True


# A request for an explanation or a composition: a short original is then one way of saying it
# ("Sunlight scatters off air molecules"), not an answer whose words must come back.
_EXPLANATION = re.compile(r"\b(?:why|explain|describe|discuss|how (?:do|does|did|can|could|should|would|to|is|are|was|"
                          r"were)|write|compose|tell me about|summari[sz]e|opinion|think|feel)\b", re.I)


_POLAR_OPENING = re.compile(r"\s*(?:yes|no)\b", re.I)  # "No, possession isn't real": the no is the answer


def _short_term(original: str) -> str | None:
    """The original as a plain-word answer: one line of at most TERM_MAX_WORDS words, no sentence
    break inside."""
    t = original.strip().rstrip(".!")
    if not t or "\n" in t or len(t.split()) > TERM_MAX_WORDS or re.search(r"[.!?:]\s", t):
        return None
    return t


# A quotation or a title longer than a plain-word answer ("Hit the ball closer to the hole", a
# motto, a line of a song) is held whole: its words in their order are the answer, and a rewrite
# that keeps most of them ("Hit the ball farther from the hole") changes it. Up to QUOTE_MAX_WORDS;
# a longer quoted span is a passage the answer cites, not the answer.
QUOTE_MAX_WORDS = 20
_QUOTED = re.compile(r"\"([^\"\n]{3,200})\"|“([^”\n]{3,200})”|‘([^’\n]{3,200})’(?![\w])|(?<![\w])'([^'\n]{3,200})'(?![\w])")
# a question that asks for words, not for a thing: the whole short answer is then a quotation
_WORDS_ASKED = re.compile(r"\b(?:reply|replied|quote|quotation|motto|slogan|catch[ -]?phrase|tag ?line|lines?|lyrics?|words|"
                          r"phrase|saying|proverb|epitaph|inscription|headline|title|titled|refrain|chorus)\b", re.I)
_ANSWER_CUE = re.compile(r"^\s*(?:(?:the\s+)?(?:final\s+)?answer\s*(?:is|:)|answer:)\s*", re.I)


def _quote_key(text: str) -> str:
    """`text` as compared for a quotation: folded, lower case, apostrophes dropped, every other run
    of non-letters one space ("Hit the ball closer to the hole." = "hit the ball closer, to the hole")."""
    return " ".join(re.sub(r"['’]", "", _fold(text).lower()).translate(_NON_WORD).split())


_NON_WORD = {i: " " for i in range(0x2FFF) if not chr(i).isalnum() and chr(i) not in "'’"}


def quote_span(quote_key: str, text: str) -> tuple[int, int] | None:
    """Where the quotation (its `_quote_key`) stands in `text`, as (start, end) in `text`."""
    chars: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch in "'’":
            continue
        low = ch.lower()
        if low.isalnum():
            chars.append(low)
            where.append(i)
        elif chars and chars[-1] != " ":
            chars.append(" ")
            where.append(i)
    flat = "".join(chars)
    at = (" " + flat + " ").find(" " + quote_key + " ")
    if at < 0:
        return None
    return where[at], where[at + len(quote_key) - 1] + 1


def _mask_quotations(text: str, instruction: str) -> str:
    """`text` with every quotation of `instruction` written in it blanked (same length, so spans
    found in the result are spans of `text`)."""
    for m in _QUOTED.finditer(instruction):
        span = next(g for g in m.groups() if g is not None).strip()
        if span:
            text = re.sub(re.escape(span), lambda x: " " * len(x.group(0)), text, flags=re.IGNORECASE)
    return text


def _words_of(text: str) -> int:
    return len(_TERM_WORD.findall(text))


def _quotations(instruction: str, original: str, whole: bool) -> list[str]:
    """The quotations the original answers with: quoted spans longer than TERM_MAX_WORDS (and not
    the question's own), shorter quoted spans that are not one of the question's quotations, and with `whole`, the whole short answer when the question asks for words
    ("What was Hogan's famous reply ...?" -> "Hit the ball closer to the hole")."""
    asked = _quote_key(instruction)
    asked_quotes = {_quote_key(next(g for g in m.groups() if g is not None)) for m in _QUOTED.finditer(instruction)}
    out = []
    for m in _QUOTED.finditer(original):
        span = next(g for g in m.groups() if g is not None).strip()
        words, key = _words_of(span), _quote_key(span)
        if TERM_MAX_WORDS < words <= QUOTE_MAX_WORDS and f" {key} " not in f" {asked} ":
            out.append(span)
        elif 0 < words <= TERM_MAX_WORDS and key and key not in asked_quotes:
            # a short quoted answer is the answer even when its words are the question's own: 'The
            # conjunction in "freedom and justice" is "and"' (a rewrite to "or" changes it); the
            # question's own quotation repeated is not
            out.append(span)
    # a question that quotes the words itself asks about them ("Who said, "Insanity is ..."?"), not for them
    if not out and whole and _WORDS_ASKED.search(instruction) and not _QUOTED.search(instruction):
        t = _ANSWER_CUE.sub("", original.strip(), count=1).strip().strip("\"“”'‘’").rstrip(".!").strip()
        if t and "\n" not in t and not re.search(r"[.!?:;]\s", t) and TERM_MAX_WORDS < _words_of(t) <= QUOTE_MAX_WORDS:
            out.append(t)
    return out


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
    if not numbers and not names and not _EXPLANATION.search(instruction) and not _polar(instruction, original):
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


# A nickname quoted between a given name and a surname ('Earvin "Magic" Johnson', 'Thomas “Stonewall” Jackson')
# (one to three words, no punctuation inside: 'In "Home Alone 2: Lost in New York," Kevin' quotes a title)
_NICKNAME = re.compile(r"(?<![\w'’])([A-Z][\w'’.\-]*)[ \t]+[\"“]([A-Z][\w'’.\-]*(?:[ \t][\w'’.\-]+){0,2})[\"”]"
                       r"[ \t]+([A-Z][\w'’\-]*)")


def _nicknames(text: str) -> list[re.Match[str]]:
    return [m for m in _NICKNAME.finditer(text) if m.group(1).lower() not in _STOP and m.group(3).lower() not in _STOP]


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


SPAN_MAX_WORDS = 3  # a longer answer made of the question's words restates the question
# An answer phrase longer than a plain-word answer, cut from a text ("until their economic and political
# objectives were met", "by assuming the task of interpreting the treaties"): no sentence (it opens in
# lower case), so not one way of saying something but the answer's own words. Held by at least
# FRAGMENT_SHARE of its content words: a rewrite may reorder and shorten it, not answer with other words.
FRAGMENT_MAX_WORDS = 30
FRAGMENT_SHARE = 0.4


def _fragment(original: str) -> str | None:
    t = original.strip().rstrip(".,;")
    if not t or not t[0].islower() or "\n" in t or re.search(r"[.!?:]\s", t) \
            or not TERM_MAX_WORDS < len(t.split()) <= FRAGMENT_MAX_WORDS:
        return None
    return t


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


def describe(f: Facts, limit: int = 6) -> str:
    items = list(f.names.values()) + list(f.numbers.values())
    more = f" (+{len(items) - limit} more)" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _known_text(inp: CheckInput) -> str:
    """Everything the rewriter was given: a fact found here is not an invention."""
    return "\n".join((inp.instruction, inp.original, inp.context, inp.evidence))


# A number written as an approximation of another: "about 1,500" for 1,497 (or "1,497" for the
# original's "about 1,500") keeps it; "1,350" does not.
_APPROX = re.compile(r"(?:about|approximately|approx\.?|around|roughly|nearly|almost|some|close to|estimated|"
                     r"more than|over|just under|just over|~|≈)\s*$", re.I)
APPROX_DIGITS = 3  # rounded to at most this many significant digits


def _cued_numbers(text: str) -> list[tuple[Fraction, bool, int, bool]]:
    """Each number of `text` with whether an approximation word stands right before it, its
    decimal places as written (0 for a whole number; with a scale word, counted in units: "$1.8
    billion" is precise to 10**8, places -8) and whether it is a percent."""
    out = []
    for m in _NUM.finditer(text):
        n = _to_number(m, text)
        if n is not None:
            places = n.places or 0
            mult = m.group("mult")
            if mult:
                raw = m.group("num")
                places = (len(raw) - raw.index(".") - 1 if "." in raw else 0) - _SCALE_DIGITS[mult.strip().lower()]
            out.append((abs(n.value), bool(_APPROX.search(text[max(0, m.start() - 20) : m.start()])), places,
                        n.percent))
    return out


_SCALE_DIGITS = {"thousand": 3, "million": 6, "billion": 9}


def _percent_form(ov: Fraction, op: int, opct: bool, cv: Fraction, cp: int, cpct: bool, asked: int | None = None) -> bool:
    """"65.4%" for "0.654" (or the other way round): one value, exactly or to the original's
    precision ("65.38%" for "0.654")."""
    if opct == cpct or not ov:
        return False
    if cpct:  # the rewrite's percent, the original's fraction
        return cv == ov * 100 or _more_precise(cv / 100, cp + 2, ov, op, asked)
    return cv * 100 == ov or _more_precise(cv * 100, max(cp - 2, 0), ov, op, asked)


def _rounds_to(exact: Fraction, approx: Fraction) -> bool:
    if exact == approx or exact == 0 or approx == 0 or approx.denominator != 1:
        return False
    lead = 10 ** (len(str(int(abs(exact)))) - 1) if abs(exact) >= 1 else 1
    first = 1 if abs(exact) < 100 else 2  # "about 50" for 47, but not "about 1,000" for 1,497
    return any(round(exact / (lead / 10 ** (d - 1))) * (lead / 10 ** (d - 1)) == approx
               for d in range(first, APPROX_DIGITS + 1))


# A value written to more places than the original that rounds to it at the original's precision
# ("4.19%" for "4.2%", "$302.578 million" for "303" million) is the same value, not a new one; the
# original must carry at least this many significant digits ("2.5" is no precise "3").
PRECISION_MIN_DIGITS = 2


def _significant(v: Fraction, places: int) -> int:
    digits = str(round(v * Fraction(10) ** places)).lstrip("0")
    return len(digits)


def _more_precise(exact: Fraction, places: int, shown: Fraction, shown_places: int, asked: int | None = None) -> bool:
    """Whether `exact` (written with `places` decimals) rounds, half away from zero, to `shown`
    (written with fewer, `shown_places`). With `asked` (the decimal places the question asks for)
    an original written to at most those places is read to them, whatever its significant digits:
    "-0.02" to "round to two decimal places" is kept by -0.0153."""
    if asked is not None and 0 <= shown_places <= asked < places:
        shown_places = asked
    elif places <= shown_places or _significant(shown, shown_places) < PRECISION_MIN_DIGITS:
        return False
    scale = Fraction(10) ** shown_places  # below 1 for a value written with a scale word ("1.8 billion")
    return Fraction(int(abs(exact) * scale + Fraction(1, 2))) / scale == abs(shown)


# A decade or a year written short: "the '60s", "the 60s", "the sixties" for "the 1960s"; "'99" for 1999.
_FULL_DECADE = re.compile(r"(?<![\w.,])(1[0-9]|20)([0-9]0)s\b")
_FULL_YEAR = re.compile(r"(?<![\w.,$])(1[0-9]|20)([0-9]{2})(?![\w,]|\.\d)")
_DECADE_WORDS = {"twenties": 20, "thirties": 30, "forties": 40, "fifties": 50, "sixties": 60, "seventies": 70,
                 "eighties": 80, "nineties": 90}
_SHORT_DECADE = re.compile(r"(?:['’]|(?<![\w.,'’$]))([0-9]0)s\b|\b(" + "|".join(_DECADE_WORDS) + r")\b", re.I)
_SHORT_YEAR = re.compile(r"(?<![\w'’])['’]([0-9]{2})\b(?!['’]|s\b)")


def _decades_shortened(full: str, short: str) -> dict[Fraction, Fraction]:
    """Each decade (or year) of `full` that `short` writes shortened, as {full value: short value}."""
    out: dict[Fraction, Fraction] = {}
    decades = {int(m.group(2)): int(m.group(1) + m.group(2)) for m in _FULL_DECADE.finditer(full)}
    for m in _SHORT_DECADE.finditer(short) if decades else ():
        two = int(m.group(1)) if m.group(1) else _DECADE_WORDS[m.group(2).lower()]
        if two in decades:
            out[Fraction(decades[two])] = Fraction(two)
    years = {int(m.group(2)): int(m.group(1) + m.group(2)) for m in _FULL_YEAR.finditer(full)}
    for m in _SHORT_YEAR.finditer(short) if years else ():
        if int(m.group(1)) in years:
            out[Fraction(years[int(m.group(1))])] = Fraction(int(m.group(1)))
    return out


# A century by its number or by its hundreds: "the 16th century" is "the 1500s".
_CENTURY = re.compile(r"\b(?:(\d{1,2})(?:st|nd|rd|th)|(" + _ORDINAL.pattern.replace("\\b", "") + r"|first|second))"
                      r"[ \t-]+century\b", re.I)
_HUNDREDS = re.compile(r"(?<![\w.,'’$])(\d{1,2})00s\b")


def _centuries(original: str, candidate: str) -> dict[Fraction, Fraction]:
    """{original value: candidate value} for a century one side writes by number, the other by hundreds."""
    def numbered(text: str) -> set[int]:
        out = set()
        for m in _CENTURY.finditer(text):
            word = m.group(2)
            out.add(int(m.group(1)) if m.group(1) else {"first": 1, "second": 2}.get(word.lower()) or _ordinal_value(word))
        return out

    pairs: dict[Fraction, Fraction] = {}
    for n in numbered(original):
        if any(int(m.group(1)) == n - 1 for m in _HUNDREDS.finditer(candidate)):
            pairs[Fraction(n)] = Fraction((n - 1) * 100)
    for m in _HUNDREDS.finditer(original):
        if int(m.group(1)) + 1 in numbered(candidate):
            pairs[Fraction(int(m.group(1)) * 100)] = Fraction(int(m.group(1)) + 1)
    return pairs


_DIGIT_FIRST_SECOND = re.compile(r"(?<![\w.,])([12])(?:st|nd)\b", re.I)


@lru_cache(maxsize=64)  # asked for by several steps of one row's check
def approximations(original: str, candidate: str, asked: int | None = None) -> dict[Fraction, Fraction]:
    """Original number -> the candidate's approximation of it (or exact value of the original's
    approximation, or the candidate's more precise value that rounds to it, at the original's
    precision or at the `asked` decimal places). A year written only as its century or decade ("the
    16th century" for 1524) is not one: the rewrite dropped the year. Shared between calls: do not
    change it."""
    cand = _cued_numbers(candidate)
    pairs: dict[Fraction, Fraction] = {}
    if "entur" in original + candidate and "00s" in original + candidate:
        pairs.update(_centuries(original, candidate))
    if "'" in candidate or "’" in candidate or "ties" in candidate or "0s" in candidate:
        pairs.update(_decades_shortened(original, candidate))
    if "'" in original or "’" in original or "ties" in original or "0s" in original:
        pairs.update({v: k for k, v in _decades_shortened(candidate, original).items()})
    # "1st" / "2nd" said as "first" / "second" (words the number reader leaves alone: "at first", "a second")
    for m in _DIGIT_FIRST_SECOND.finditer(original) if ("st" in original or "nd" in original) else ():
        word = "first" if m.group(1) == "1" else "second"
        if any(not _negated(candidate, i) for i in _word_at(candidate.lower(), word, every=True)):
            pairs[Fraction(int(m.group(1)))] = Fraction(int(m.group(1)))
    for ov, ocue, op, opct in _cued_numbers(original):
        for cv, ccue, cp, cpct in cand:
            if (ccue and _rounds_to(ov, cv)) or (ocue and _rounds_to(cv, ov)) or (opct == cpct and _more_precise(
                    cv, cp, ov, op, asked)) or _percent_form(ov, op, opct, cv, cp, cpct, asked):
                pairs[ov] = cv
    return pairs


# "It was not Neil Young but Bruce Springsteen", "not 1,497 but 1,350": a fact stated only under a
# negation is not kept.
_NEGATED = re.compile(r"(?i:\bnot|n['’]t|\bnever|\bno longer|\brather than|\binstead of|\bas opposed to)"
                      r"(?:[ \t]+[a-z]+){0,3}[ \t]*[\"“'‘]?$")  # "was not written by Neil Young"


def _negated(text: str, start: int) -> bool:
    return bool(_NEGATED.search(text[max(0, start - 30) : start]))


def _negated_numbers(candidate: str) -> set[Fraction]:
    """Values the candidate states only under a negation."""
    said, denied = set(), set()
    for m in _NUM.finditer(candidate):
        n = _to_number(m, candidate)
        if n is not None:
            (denied if _negated(candidate, m.start()) else said).add(abs(n.value))
    return denied - said


def _negated_name(name_low: str, text: str) -> bool:
    """Whether every literal mention of `name_low` in `text` is negated (no mention: False)."""
    hits = _word_at(text.lower(), name_low, every=True)
    return bool(hits) and all(_negated(text, h) for h in hits)


def _number_substitution(inp: CheckInput, cand: Facts, known: Facts) -> str | None:
    """A number of the original (even one the question gives: "in 2012" -> "in 2019") that the
    rewrite drops while stating a number nobody gave it."""
    approx = approximations(inp.original, inp.candidate, places_asked(inp.instruction))
    denied = _negated_numbers(inp.candidate)
    lost = {v: t for v, t in read_facts(inp.original).numbers.items()
            if (v not in cand.numbers or v in denied) and v not in approx}
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


# A range or a pair of numbers is one fact with two ends: "30–31 October", "1989 to 1996",
# "between 5 and 10", a score "3-1". Written with any dash or word; an abbreviated end year
# ("1989–90") is the full year.
_END = r"(\d{1,3}(?:,\d{3})++(?![\d,])|\d++)(?:\.\d++)?+"
_RANGE = re.compile(r"(?<![\w.,])" + _END + r"[ \t]*+(?:[-–—‐−]|to\b|through\b|thru\b|until\b|till\b)[ \t]*+"
                    + _END + r"(?![\w])"
                    r"|\bbetween[ \t]++" + _END + r"[ \t]++and[ \t]++" + _END + r"(?![\w])", re.I)


def _ranges(text: str, short_years: dict[Fraction, Fraction] | None = None) -> list[tuple[Fraction, Fraction]]:
    """The ranges of `text`; `short_years` collects each abbreviated end year (90 -> 1990)."""
    out = []
    if not _ANY_DIGIT.search(text):
        return out
    for m in _RANGE.finditer(text):
        a, b = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        lo, hi = Fraction(a.replace(",", "")), Fraction(b.replace(",", ""))
        if lo >= 1000 and 0 <= hi < 100 and len(b) == 2:  # "1989–90"
            full = hi + lo - lo % 100
            if short_years is not None:
                short_years[hi] = full
            hi = full
        out.append((lo, hi))
    return out


@lru_cache(maxsize=256)  # one original, many candidates
def _original_ranges(original: str) -> tuple[tuple[Fraction, Fraction], ...]:
    return tuple(_ranges(_dates_spelled(original)))


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


def _positions(text_low: str, key: str) -> list[tuple[int, int]]:
    """Where a name stands in `text_low` (folded, lower case), or, for a name of several words not
    written whole, each of its longer words ("Cathy Dennis (or ...) and Rob Davis"): (start, end)."""
    hits = [(i, i + len(key)) for i in _word_at(text_low, key, every=True)]
    if not hits and " " in key:
        for word in key.split():
            if len(word) > 3 and word not in _LINK_NAME:
                hits += [(i, i + len(word)) for i in _word_at(text_low, word, every=True)]
    return hits


def _number_positions(text: str, values: set[Fraction]) -> list[tuple[int, int]]:
    out = []
    for m in _NUM.finditer(text):
        n = _to_number(m, text)
        if n is not None and abs(n.value) in values:
            out.append((m.start(), m.end()))
    return out


def _variant_of(name: str, kept_words: set[str]) -> bool:
    """Whether every longer word of `name` is a word of a kept name or a spelling of one."""
    words = [w for w in _fold(name).lower().split() if len(w) > 3]
    return bool(words) and all(w in kept_words or any(_same_word(w, k) for k in kept_words) for w in words)


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
            if 0 <= b - a <= HEDGE_GAP and _HEDGE_BETWEEN.fullmatch(cand_text, a, b):
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


# Money written the way filings and analysts shorten it: "$2,018mn" / "$2.5bn" are "$2,018 million" /
# "$2.5 billion", and an accounting negative "$(473) million" is "-$473 million". Only these two
# unambiguous scale abbreviations ("m" may be metres, "k" a kilo) after any digit; after an amount with a
# currency sign the one-letter ones too ("$5M", "£5m", "$2B", "$40K": no metre or kilo has a dollar sign).
_SCALE_SHORT = re.compile(r"(?<=\d)[ \t]?(mn|mln|bn|bln)\b", re.I)
_SCALE_FULL = {"mn": "million", "mln": "million", "bn": "billion", "bln": "billion", "k": "thousand", "m": "million",
               "b": "billion"}
_CURRENCY_LETTER = re.compile(r"([$€£¥₹][ \t]?\d[\d,]*(?:\.\d+)?)(k|m|b)\b", re.I)
_MONEY_HINT = re.compile(r"\d[ \t]?(?:mn|mln|bn|bln)\b|[$€£]\(|[$€£¥₹][ \t]?\d[\d,]*(?:\.\d+)?[kmb]\b", re.I)
_PAREN_NEGATIVE = re.compile(r"([$€£])\((\d[\d,]*(?:\.\d+)?)\)")


def _money_spelled(text: str) -> str:
    if "(" in text:
        text = _PAREN_NEGATIVE.sub(r"-\1\2", text)
    text = _CURRENCY_LETTER.sub(lambda m: f"{m.group(1)} {_SCALE_FULL[m.group(2).lower()]}", text)
    return _SCALE_SHORT.sub(lambda m: " " + _SCALE_FULL[m.group(1).lower()], text)


def _money_written_out(inp: CheckInput) -> CheckInput:
    """The original and the rewrite with shortened money forms written out (`_money_spelled`)."""
    if not _MONEY_HINT.search(inp.original) and not _MONEY_HINT.search(inp.candidate):
        return inp
    original, candidate = _money_spelled(inp.original), _money_spelled(inp.candidate)
    if original == inp.original and candidate == inp.candidate:
        return inp
    return inp.model_copy(update={"original": original, "candidate": candidate})


# A name with a number in it ("World War II", "Henry VIII", "Super Bowl LII", "Type 2", "Rocky IV") is
# written by long answers in several forms: a Roman numeral, digits, "the Eighth" after the name, "the
# Second" / "the 2nd" before it ("the Second World War"), a number word ("World War Two"). The rewrite's
# form is written back as the original's (`_numerals_aligned`), and the same name with another number
# ("World War I" for "World War II", "Henry VII" for "Henry VIII") changes the answer (`_numeral_changed`).
# Roman numerals only from I, V, X and L and below NUMERAL_MAX: "Vitamin C", "Washington DC" are letters.
NUMERAL_MAX = 99
_CARDINAL_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_ORD_WORD = r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)[- ])?(?:first|second|" + \
    "|".join(_ORDINALS) + r")"
_CAP = r"[A-Z][\w'’\-]*"
_NUMERAL_AFTER = re.compile(
    rf"(?<![\w'’\-])((?:{_CAP}[ \t]+){{0,2}})({_CAP})[ \t]+(?:(?i:the)[ \t]+((?i:{_ORD_WORD}))|([IVXL]{{1,7}})|"
    rf"(\d{{1,2}})((?i:st|nd|rd|th))?|((?i:{'|'.join(w for w in _CARDINAL_WORDS if w != 'zero')})))"
    rf"(?![\w'’]|-\w|[.,:/]\d)")
_NUMERAL_BEFORE = re.compile(rf"(?<![\w'’\-])((?i:the)[ \t]+)?(?:((?i:{_ORD_WORD}))|(\d{{1,2}})(?i:st|nd|rd|th))[ \t]+"
                             rf"({_CAP}(?:[ \t]+{_CAP}){{0,2}})(?![\w'’\-])")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50}


def _roman(text: str) -> int | None:
    """The value of an upper-case Roman numeral written the standard way, or None."""
    if not text.isupper():
        return None
    values = [_ROMAN_VALUES[ch] for ch in text]
    total = sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))
    return total if 0 < total <= NUMERAL_MAX and _to_roman(total) == text else None


def _to_roman(n: int) -> str:
    out = ""
    for value, letters in ((50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + letters, n - value
    return out


def _ordinal_value(word: str) -> int:
    parts = re.split(r"[- ]", word.lower())
    last = {"first": 1, "second": 2}.get(parts[-1]) or _ORDINALS[parts[-1]]
    return last + (_TENS_ORD[parts[0]] if len(parts) > 1 else 0)


@dataclass(frozen=True)
class _Numbered:
    start: int
    end: int
    key: str  # the name's last word, lower case ("war" in "World War II")
    value: int
    words: bool  # written without digits (a numeral, an ordinal or a number word): another form than the number reader's
    before: bool  # the ordinal stands before the name ("the Second World War")
    name: str  # the name's words as written ("World War")
    numeral: str  # the number as written ("II", "the Second", "2")


@lru_cache(maxsize=256)  # one original, many candidates
def _numbered_names(text: str) -> tuple[_Numbered, ...]:
    """Every name written with a number in `text` (`_NUMERAL_AFTER`, `_NUMERAL_BEFORE`)."""
    out: list[_Numbered] = []
    if " " not in text:
        return ()
    for m in _NUMERAL_AFTER.finditer(text):
        name_word = m.group(2)
        if not name_word[0].isupper() or name_word.lower() in _STOP:
            continue
        if m.group(4):
            value = _roman(m.group(4))
        elif m.group(5):
            if name_word.lower() in _CALENDAR:
                continue  # "May 31": a day of the month
            value = int(m.group(5))
        elif m.group(3):
            value = _ordinal_value(m.group(3))
        else:
            value = _CARDINAL_WORDS[m.group(7).lower()]
        if not value:
            continue
        numeral = m.group(0)[m.end(2) - m.start() :].strip()
        lead = [w for w in m.group(1).split() if w.lower() not in _STOP]
        start = m.start(1) + m.group(1).find(lead[0]) if lead else m.start(2)
        out.append(_Numbered(start, m.end(), name_word.lower(), value, not m.group(5), False,
                             " ".join(lead + [name_word]), numeral))
    for m in _NUMERAL_BEFORE.finditer(text):
        name = m.group(4)
        value = _ordinal_value(m.group(2)) if m.group(2) else int(m.group(3))
        if value and name.split()[0].lower() not in _STOP:
            out.append(_Numbered(m.start(), m.end(), name.split()[-1].lower(), value, bool(m.group(2)), True, name,
                                 m.group(0)[len(m.group(1) or "") : m.start(4) - m.start()].strip()))
    return tuple(out)


def _written(name: str, like: _Numbered) -> str:
    """`name` written with the number the way `like` writes it."""
    return f"the {like.numeral} {name}" if like.before else f"{name} {like.numeral}"


def _numerals_aligned(inp: CheckInput) -> CheckInput:
    """The rewrite with each name the original writes with a number written back in the original's form
    when it writes the same number another way ("Super Bowl 52" for "Super Bowl LII", "the Second World
    War" for "World War II", "Louis the Fourteenth" for "Louis XIV")."""
    mine = {(n.key, n.value): n for n in _numbered_names(inp.original)}
    if not mine:
        return inp
    cand = inp.candidate
    for n in sorted(_numbered_names(cand), key=lambda x: -x.start):
        like = mine.get((n.key, n.value))
        if like is None or (like.numeral == n.numeral and like.before == n.before):
            continue
        if any(o.start <= n.start < o.end and o is not n and (o.end - o.start) > (n.end - n.start)
               for o in _numbered_names(inp.candidate)):
            continue  # read inside a longer match: leave it
        cand = cand[: n.start] + _written(n.name, like) + cand[n.end :]
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


# Units after a number. One unit in its other spellings keeps the fact ("42 km" / "42 kilometres",
# "212 °F" / "212 degrees Fahrenheit"); the same number with another unit of the same kind changes it
# ("60 mph" -> "60 km/h", "3 hours" -> "3 minutes", "5 kg" -> "5 pounds"). A spelling may stand for two
# units ("pound": a weight and a currency): the two sides agree when they share one.
_UNIT_SPELLINGS: dict[str, tuple[str, ...]] = {
    # length
    "km": ("km", "kms", "kilometer", "kilometers", "kilometre", "kilometres"),
    "m": ("m", "meter", "meters", "metre", "metres"),
    "cm": ("cm", "centimeter", "centimeters", "centimetre", "centimetres"),
    "mm": ("mm", "millimeter", "millimeters", "millimetre", "millimetres"),
    "mi": ("mi", "mile", "miles"),
    "nmi": ("nmi", "nautical mile", "nautical miles"),
    "ft": ("ft", "foot", "feet"),
    "in": ("inch", "inches"),
    "yd": ("yd", "yds", "yard", "yards"),
    # weight
    "kg": ("kg", "kgs", "kilogram", "kilograms", "kilogramme", "kilogrammes", "kilo", "kilos"),
    "g": ("g", "gram", "grams", "gramme", "grammes"),
    "lb": ("lb", "lbs", "pound", "pounds"),
    "oz": ("oz", "ounce", "ounces"),
    # time
    "s": ("sec", "secs", "second", "seconds"),
    "min": ("min", "mins", "minute", "minutes"),
    "h": ("h", "hr", "hrs", "hour", "hours"),
    "day": ("day", "days"),
    "week": ("week", "weeks", "wk", "wks"),
    "month": ("month", "months"),
    "year": ("year", "years", "yr", "yrs"),
    # speed
    "mph": ("mph", "miles per hour", "miles an hour", "mi/h"),
    "km/h": ("km/h", "kph", "kmh", "km per hour", "kilometers per hour", "kilometres per hour", "kilometers an hour",
             "kilometres an hour"),
    "m/s": ("m/s", "meters per second", "metres per second"),
    "kn": ("knot", "knots", "kn", "kt", "kts"),
    # temperature (written as "°C" / "°F" by `_temperatures_written`)
    "°C": ("°C",), "°F": ("°F",), "K": ("kelvin", "kelvins"),
    # area and volume
    "km2": ("km2", "km²", "sq km", "square kilometers", "square kilometres"),
    "mi2": ("mi2", "mi²", "sq mi", "square miles"),
    "acre": ("acre", "acres"), "ha": ("ha", "hectare", "hectares"),
    "l": ("l", "L", "liter", "liters", "litre", "litres"), "ml": ("ml", "milliliter", "milliliters", "millilitre", "millilitres"),
    "gal": ("gal", "gallon", "gallons"),
    # energy and power
    "kcal": ("kcal", "calorie", "calories", "cal"), "kj": ("kj", "kilojoule", "kilojoules"),
    "w": ("w", "watt", "watts"), "kw": ("kw", "kilowatt", "kilowatts"), "hp": ("hp", "horsepower"),
    # money by name (a sign is read by the number reader)
    "gbp": ("pound", "pounds", "pounds sterling", "£"), "usd": ("dollar", "dollars", "usd", "$"),
    "eur": ("euro", "euros", "eur", "€"), "jpy": ("yen", "jpy", "¥"), "inr": ("rupee", "rupees", "inr", "₹"),
}
_UNIT_KIND = {u: kind for kind, units in {
    "length": "km m cm mm mi nmi ft in yd", "weight": "kg g lb oz", "time": "s min h day week month year",
    "speed": "mph km/h m/s kn", "temperature": "°C °F K", "area": "km2 mi2 acre ha", "volume": "l ml gal",
    "energy": "kcal kj", "power": "w kw hp", "money": "gbp usd eur jpy inr"}.items() for u in units.split()}
_UNITS_OF: dict[str, frozenset[str]] = {}
for _unit, _spellings in _UNIT_SPELLINGS.items():
    for _sp in _spellings:
        _UNITS_OF[_sp.lower()] = _UNITS_OF.get(_sp.lower(), frozenset()) | {_unit}
# after the number: a unit written out may take any case ("42 Kilometres"); a symbol only as written
_UNIT_AFTER = re.compile(r"[ \t]*(" + "|".join(sorted((re.escape(s) for s in _UNITS_OF if s not in "£$€¥₹"),
                                                     key=len, reverse=True)) + r")(?![\w/²])", re.I)
_CURRENCY_SIGN = {"$": "usd", "€": "eur", "£": "gbp", "¥": "jpy", "₹": "inr"}
_TEMPERATURE = re.compile(r"(?<=\d)[ \t]*(?:(?:°|º|degrees?[ \t]+|deg\.?[ \t]*)[ \t]*(C|F|Celsius|centigrade|Fahrenheit)|"
                          r"(Celsius|centigrade|Fahrenheit))\b", re.I)


def _temperatures_written(text: str) -> str:
    """Temperatures in one form: "100 degrees Celsius", "100 ° C", "100 Celsius" are "100 °C"."""
    if not _ANY_DIGIT.search(text) or not re.search(r"°|º|(?i:celsius|centigrade|fahrenheit|degree)", text):
        return text
    return _TEMPERATURE.sub(lambda m: " °" + ("F" if (m.group(1) or m.group(2))[0] in "fF" else "C"), text)


# Era marks in one form: "406 BCE" is "406 BC", "800 CE" / "AD 800" are "AD 800".
_ERA = re.compile(r"(?<=\d)[ \t]*(?:(B\.?[ \t]?C\.?(?:[ \t]?E\.?)?)|(C\.?[ \t]?E\.?|A\.?[ \t]?D\.?))(?![\w])"
                  r"|\b(?:A\.?D\.?|C\.?E\.?)[ \t]*(?=\d)")


def _eras_written(text: str) -> str:
    if not ("BC" in text or "CE" in text or "AD" in text or "B.C" in text or "A.D" in text or "C.E" in text):
        return text
    def era(m: re.Match[str]) -> str:
        if m.group(1):
            return " BC"
        return " AD" if m.group(2) else "AD "
    return _ERA.sub(era, text)


def _units_after(text: str, value: Fraction) -> list[frozenset[str]]:
    """The unit of each place `text` states `value`, in digits or in words (an empty set where it
    states no unit)."""
    out = []
    places = []
    for m in _NUM.finditer(text):
        n = _to_number(m, text)
        if n is not None and abs(n.value) == value and not n.percent:
            sign = m.group("cur")
            places.append((m.end(), {_CURRENCY_SIGN[sign]} if sign else set()))
    if value.denominator == 1 and value <= 99:
        places += [(w.end(), set()) for w in _WORD_NUM.finditer(text) if abs(_word_number(w).value) == value]
    for end, units in places:
        u = _UNIT_AFTER.match(text, end)
        # a spelling of three letters or more in any case ("42 Kilometres"), a shorter one as written ("5 m", not "5 M")
        if u is not None and (len(u.group(1)) > 2 or any(u.group(1) in _UNIT_SPELLINGS[x]
                                                          for x in _UNITS_OF[u.group(1).lower()])):
            units |= _UNITS_OF[u.group(1).lower()]
        out.append(frozenset(units))
    return out


def _unit_changed(inp: CheckInput, want: Facts) -> str | None:
    """An answer number the rewrite states only with another unit of the same kind ("60 mph" ->
    "60 km/h"): every place it writes the number with a unit of that kind gives a unit the original's
    does not, and none gives the original's."""
    if not want.numbers:
        return None
    approx = approximations(inp.original, inp.candidate, places_asked(inp.instruction))
    for value in want.numbers:
        mine = {u for units in _units_after(inp.original, value) for u in units}
        if not mine:
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

def check_facts(inp: CheckInput, options: VerifyOptions | None = None) -> CheckResult:
    inp = in_question_scale(inp)  # "$1,577 million" is the bare "1577" a question "in USD millions" asks for
    inp = _numerals_aligned(_rejoined(_money_written_out(inp)))
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
    kept_names = [n for k, n in want.names.items()
                  if (k in want.quotes or (_fragment_kept(k, cand_text, given) if k in want.fragments
                                            else _term_kept(k, cand_text, frozenset() if k in want.spans else given)
                                            if k in want.terms
                                            else (k in cand_text if _symbol_answer(k) else
                                                  _has_name(cand_low, _fold(k), cand_text, n))
                                            or (caseless and _caseless_name_kept(k, cand_text))))
                  and not _negated_name(_fold(k), cand_text)]
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
    lost_names = [n for n in want.names.values() if n not in kept_names]
    proper = [k for k in want.names if k not in want.terms and k not in want.quotes]
    # "Consumer Healthcare Joint Venture" inside the kept "Consumer Healthcare JV Transaction" is no new name
    expanded = [at for k in proper if " " in k for at in [_acronym_inside(want.names[k], cand_text)] if at]
    new_names = [n for k, n in cand.names.items() if not _has_name(known_low, _fold(k)) and k not in known.names
                 and not any(a <= i and i + len(n) <= b for a, b in expanded for i in [cand_text.find(n)])
                 and not any(_acronym_kept(w, _fold(n)) for w in want.names.values())
                 # "Dr. George Berkeley" for "George Berkeley": the same name with a title, not a new one
                 and not any(_has_name(_fold(k), _fold(w), _fold(n)) for w in proper)]
    by_alias = [n for k, n in want.names.items() if n in kept_names and k not in want.terms
                and not _symbol_answer(k) and not _has_name(cand_low, _fold(k), cand_text)]
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
