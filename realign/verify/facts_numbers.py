"""Numbers of the key-facts check (`facts`) and the forms a rewrite may write them in.

Read as the number they state: numbers in words, ordinals and scale words ("the eighth", "eighteen
million", "two hundred and fifty", "a dozen"; "one" standing for a noun is no number), counts of times
("twice", "thrice"; "once" to a question asking how many times), dates with
abbreviated months or in digits ("Dec. 15, 1791", "12/15/1791"), fiscal years shortened ("FY2022",
"FY 2022", "FY22") and money as filings shorten it ("$2,018mn", "$2.5bn", "$5M", "$40K", an
accounting negative "$(473) million").

Kept as another form of the original's number (`approximations`): a rounding under an approximation
word ("about 1,500" for 1,497), a value written to more places that rounds to the original's ("4.19%"
for "4.2%", or at the decimal places the question asks for: "-0.0153" for "-0.02"), a value with a
scale word compared at its unit's precision ("$1,824 million" for "$1.8 bn"), a percent of a fraction
("65.4%" for "0.654"), decades and years written short ("the '60s", "the sixties", "'99"), a decade by
a year inside it ("born in 1931" for "the 1930s", no year of another decade of that century beside it),
a century by its number or its hundreds ("the 16th century" / "the 1500s"), a quantity in another unit
of its kind ("2 hours" for "120 minutes", `facts_units.converted_quantities`) and "1st" / "first". A year
is not kept by its century or decade alone: "the 16th century" for 1524 drops it. Ranges ("1989–96",
"between 5 and 10") are read with their ends, an abbreviated end year as the full year.
"""

from __future__ import annotations

import re
from functools import lru_cache
from fractions import Fraction

from realign.verify.base import CheckInput
from realign.verify.facts_units import converted_quantities
from realign.verify.facts_words import _ANY_DIGIT, _STOP, _negated, _word_at
from realign.verify.math_numbers import _NUM, _to_number


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


# Dates in other formats: "Dec. 15, 1791" names December; "12/15/1791" and "1791-12-15" are three
# numbers, not a fraction and negative numbers.
_MONTH_ABBR = {"jan": "January", "feb": "February", "mar": "March", "apr": "April", "jun": "June", "jul": "July",
               "aug": "August", "sep": "September", "sept": "September", "oct": "October", "nov": "November",
               "dec": "December"}
_MONTH_SHORT = re.compile(r"\b(" + "|".join(_MONTH_ABBR) + r")\.?(?=[ \t]+\d)", re.I)

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


# A date of the original stated less precisely: "July 14, 1976" / "September 1999" answered "in 1976" /
# "in 1999". The rewrite keeps the year and writes no month at all, so its other names and numbers (a
# book's title, the year of another event) are no other day or month; a month it writes ("October 1999")
# or a day number nobody gave ("the 26th") still changes the date.
_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                "november", "december")
_MONTH = "|".join(_MONTH_NAMES)
_DATE = re.compile(rf"\b(?:(?P<m1>{_MONTH})(?:[ \t]+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?)?"
                   rf"|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?[ \t]+(?:of[ \t]+)?(?P<m2>{_MONTH}))"
                   rf"[ \t]*,?[ \t]*(?P<y>1[0-9]{{3}}|20[0-9]{{2}})\b", re.I)
_ANY_MONTH = re.compile(rf"\b(?:{_MONTH})\b", re.I)
_DATE_SLOT_FILLED = re.compile(r"(\b[A-Z][\w'’.\-]*|\d)[ \t]*,?[ \t]*$")  # "In" 1999 is read as a stop word
DAY_MAX = 31


def dates_made_coarser(instruction: str, original: str, candidate: str,
                       known: set[Fraction]) -> tuple[frozenset[str], frozenset[Fraction]]:
    """The month names (lower case) and day numbers of the original's dates that the candidate drops
    while keeping their year: the candidate states the year, names no month and states no day number
    (1-31) that `known` (the numbers the rewriter was given) lacks. A year the question gives makes the
    month the answer, so such a date is left out."""
    original = _dates_spelled(original)
    if not _ANY_MONTH.search(original):
        return frozenset(), frozenset()
    candidate = _dates_spelled(candidate)
    if _ANY_MONTH.search(candidate) or _NUMERIC_DATE.search(candidate):
        return frozenset(), frozenset()
    # a bare year: a lower-case word or a mark before it, no name or day number in the month's place
    # ("in 1999", not "Benjamin Franklin 1999" or "Mount Everest 8, 2018")
    years = {int(m.group(1) + m.group(2)) for m in _YEAR_IN_TEXT.finditer(candidate)
             if not ((w := _DATE_SLOT_FILLED.search(candidate[max(0, m.start() - 40) : m.start()]))
                     and w.group(1).lower() not in _STOP)}
    asked = {int(a + b) for a, b in _YEAR_IN_TEXT.findall(instruction)}
    days_said = {n.value for m in _NUM.finditer(candidate) if (n := _to_number(m, candidate)) is not None
                 and n.value.denominator == 1 and 1 <= n.value <= DAY_MAX and n.value not in known}
    if days_said:
        return frozenset(), frozenset()
    months, days = set(), set()
    for m in _DATE.finditer(original):
        year = int(m.group("y"))
        if year in years and year not in asked:
            months.add((m.group("m1") or m.group("m2")).lower())
            day = m.group("d1") or m.group("d2")
            if day:
                days.add(Fraction(int(day)))
    return frozenset(months), frozenset(days)


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


# "one" standing for a noun said before it: a determiner at most two words back, and no noun after
_PRONOUN_ONE = re.compile(r"one(?=[ \t]*(?:[.,:;!?)\]\n]|$|of\b|that\b|who\b|which\b))", re.I)
_ONE_AFTER_DETERMINER = re.compile(
    r"\b(?:the|a|an|this|that|which|another|any|each|every|no|other)[ \t]+"
    r"(?:(?!(?:is|are|was|were|be|been|has|have|had|equals?)\b)[\w'’\-]+[ \t]+){0,2}$", re.I)  # "the answer is one" is 1


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


_YEAR_IN_TEXT = re.compile(r"(?<![\w.,$])(1[0-9]|20)([0-9]{2})(?!\w|,\d|\.\d)")  # "in 1931, making": a year


def _years_in_decade(original: str, candidate: str) -> dict[Fraction, Fraction]:
    """{decade: year} for each full decade of `original` ("the 1930s") that `candidate` answers with a
    year inside it ("born in 1931"): the same answer, stated more precisely. The candidate must write
    no decade of its own (the original's is kept as written; another one, "1920s (1931)", answers with
    that decade) and no year of another decade of the century ("1931, or else 1945")."""
    decades = {int(m.group(1) + m.group(2)) for m in _FULL_DECADE.finditer(original)}
    if not decades or _FULL_DECADE.search(candidate) or _SHORT_DECADE.search(candidate):
        return {}
    years = {int(m.group(1) + m.group(2)) for m in _YEAR_IN_TEXT.finditer(candidate)}
    out: dict[Fraction, Fraction] = {}
    for d in decades:
        inside = sorted(y for y in years if d <= y < d + 10)
        # a year of the same century outside the decade beside it could be the answer as well
        if inside and not any(y // 100 == d // 100 and not d <= y < d + 10 for y in years):
            out[Fraction(d)] = Fraction(inside[0])
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
    if "0s" in original:
        pairs.update(_years_in_decade(original, candidate))
    pairs.update(converted_quantities(original, candidate))
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


def _negated_numbers(candidate: str) -> set[Fraction]:
    """Values the candidate states only under a negation."""
    said, denied = set(), set()
    for m in _NUM.finditer(candidate):
        n = _to_number(m, candidate)
        if n is not None:
            (denied if _negated(candidate, m.start()) else said).add(abs(n.value))
    return denied - said


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


# "How many brothers does David have?" answered "David has no brother" (MT-bench 104): "no" before
# the noun the question counts is the count zero, written so that the number readers see it; a
# rewrite saying "three brothers" then changes the answer, and "no brothers at all" keeps "zero".
_HOW_MANY = re.compile(r"\bhow[ \t]+many[ \t]+([a-z][a-z'’-]*)", re.I)


def zero_counted(instruction: str, text: str) -> str:
    """`text` with "no" before a noun the instruction asks "how many" of written as "zero"."""
    if "many" not in instruction.lower() or not re.search(r"\bno\b", text, re.I):
        return text
    for m in _HOW_MANY.finditer(instruction):
        noun = m.group(1).lower()
        stem = noun[:-1] if noun.endswith("s") and len(noun) > 3 else noun  # "brothers" -> "brother"
        text = re.sub(rf"\b(?:no)(?=[ \t]+{re.escape(stem)}(?:s|es)?\b)", lambda n: "Zero" if n.group(0)[0] == "N" else "zero",
                      text, flags=re.I)
    return text


# "How many times has Brazil won?" answered "twice": a count of times in one word is the number ("two
# times"), so a rewrite writing "2 times" keeps it and "three times" changes it. "once" counts only where the
# question asks how many times or how often ("once upon a time", "once he left" count nothing).
_TIMES_WORD = re.compile(r"\b(twice|thrice)\b", re.I)
_ONCE = re.compile(r"\bonce\b", re.I)
_ASKS_TIMES = re.compile(r"\bhow[ \t]+(?:many[ \t]+times|often)\b", re.I)


def times_counted(instruction: str, text: str) -> str:
    """`text` with "twice" / "thrice" (and, to a question asking how many times, "once") as "two times" ..."""
    def written(m: re.Match[str]) -> str:
        word = {"twice": "two", "thrice": "three", "once": "one"}[m.group(0).lower()]
        return (word.capitalize() if m.group(0)[0].isupper() else word) + (" time" if word == "one" else " times")

    if "ice" in text:
        text = _TIMES_WORD.sub(written, text)
    if "nce" in text and _ASKS_TIMES.search(instruction):
        text = _ONCE.sub(written, text)
    return text


def _zero_counted(inp: CheckInput) -> CheckInput:
    """The original and the rewrite with a counted "no" written as "zero" (`zero_counted`) and a count of
    times in one word written with its number (`times_counted`)."""
    original, candidate = zero_counted(inp.instruction, inp.original), zero_counted(inp.instruction, inp.candidate)
    original, candidate = times_counted(inp.instruction, original), times_counted(inp.instruction, candidate)
    if original == inp.original and candidate == inp.candidate:
        return inp
    return inp.model_copy(update={"original": original, "candidate": candidate})


def _ordinal_value(word: str) -> int:
    parts = re.split(r"[- ]", word.lower())
    last = {"first": 1, "second": 2}.get(parts[-1]) or _ORDINALS[parts[-1]]
    return last + (_TENS_ORD[parts[0]] if len(parts) > 1 else 0)
