"""Names for the key-facts check (`facts`): where a text names something, and whether a rewrite keeps
a name of the original (`_has_name`).

A name is kept in the forms long answers write it: with a title, a shortened given name or middle
names written out, added or left out ("Dr. George Berkeley", "Dave Gahan", "Hugh Samuel Johnson"
for "Hugh S. Johnson"; not "George W. Bush" for "George H. W. Bush"), by its surname alone unless
another given name stands before it, a title before the surname alone ("President Lincoln", "Dr.
King"), pet forms of given names ("Eddie" / "Edward"), abbreviated name words ("Mount" / "Mt.",
"Boulevard" / "Blvd", "U.S." / "United States", ", Jr."), citation marks dropped ("Elena Anaya⁶"),
letters written without their marks ("Søren" / "Soren", "Strauß" / "Strauss"), dotted and mixed-case
acronyms and their expansions ("U.S.", "BSkyB", "DMV" / "Department of Motor Vehicles"), one word of
a name written as its acronym ("Consumer Healthcare JV Transaction" / "... Joint Venture
transaction"), a nickname quoted inside a name or standing for it ('Dwayne "The Rock" Johnson' /
"The Rock"), names in an all lower-case rewrite ("roger l. jackson"), a pair of given names in their
other forms ("Vince and Dom" for "Dom & Vincent"), a word opening the sentence before the name
("Journalist Seymour Hersh" for "Seymour M. Hersh") and a name of two words or more without a place
abbreviation after it ("Hollywood Park" for "Hollywood Park L.A"), a city's area by the city ("Kansas
City" for "Kansas City Metropolitan Area") and a stage name's styled letters written plain ("Kesha" for
"Ke$ha", `styled_letters_plain`).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from realign.verify.facts_numbers import _dates_spelled
from realign.verify.facts_words import _STOP, _TERM_WORD, _negated, _same_word, _word_at, restates_question_negation


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


_ACRONYM = re.compile(r"[A-Z]{2,6}s?")
_DOTTED = re.compile(r"(?:[A-Z]\.){1,5}[A-Z]\.?")
_DOTTED_LOWER = re.compile(r"(?:[a-z]\.){1,3}[a-z]?\.?")
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


_OPENS = re.compile(r"(?:^|[.!?:;\n][\"”')]?|[\"“(]|[\-*#>][ \t])[ \t]*$")


def _run_opens_sentence(text: str, start: int, n: int) -> bool:
    """Whether the `n` words before `start` (`_given_before`'s run) begin a sentence: the first of them
    is then capitalised because it opens the sentence, not because it names."""
    lo = max(0, start - 60)
    words = list(re.finditer(r"\S+", text[lo:start]))
    if len(words) < n:
        return False
    before = text[: lo + words[-n].start()]
    return not before.strip() or bool(_OPENS.search(before[-4:]))


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


_PAIR = re.compile(r" (?:and|&) ")
# the words after a city's name that make it the area around the city
_AREA_TAILS = ("metropolitan area", "metro area", "metropolitan region", "metropolitan statistical area")


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
    words = name.split()
    tail = cased.split()[-1] if cased else ""
    if len(words) >= 3 and (_DOTTED_LOWER.fullmatch(words[-1]) or (_ACRONYM.fullmatch(tail) and len(tail) <= 3)):
        # "Hollywood Park L.A", "Bristol Zoo UK": a place's abbreviation after a name of two words or
        # more locates it; the name without it is kept ("held at Hollywood Park in Inglewood")
        if _word_at(text_lower, " ".join(words[:-1])):
            return True
    tail = next((t for t in _AREA_TAILS if name.endswith(" " + t)), "")
    if tail and _has_name(text_lower, name[: -len(tail) - 1], text):
        # "Kansas City Metropolitan Area": the area around a city is named by the city ("in Kansas City,
        # Missouri"); the city's name itself is still needed, so another city is no such answer
        return True
    pair = _PAIR.split(name) if " and " in name or " & " in name else ()
    if len(pair) > 1:
        # "Mutt and Jeff", "Simon & Garfunkel": every name of the pair, in either order ("Jeff and
        # Mutt" is the same pair), never one of them standing for both
        return all(part and (_has_name(text_lower, part, text) or _given_form_in(part, text)) for part in pair)
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
        written = _given_before(text, start)
        agree = _given_agree(given, written)
        if agree is None and len(written) >= 2 and _run_opens_sentence(text, start, len(written)):
            # "Journalist Seymour Hersh first told ...": the sentence's capitalised first word is no given name
            agree = _given_agree(given, written[1:])
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


_CAPITAL_WORD = re.compile(r"(?<![\w'’])[A-Z][a-z]{2,}(?![\w'’])")


def _given_form_in(part: str, text: str) -> bool:
    """Whether one given name of a pair ("Dom & Vincent") stands in `text` in another of its forms: a
    pet form or the name cut short or written out ("Vince and Dom DiMaggio"), capitalised as names are."""
    if " " in part or len(part) < NICKNAME_PREFIX or part in _STOP:
        return False
    for w in _CAPITAL_WORD.findall(text):
        w = w.lower()
        if w not in _STOP and (w in _PET_NAMES.get(part, ()) or part in _PET_NAMES.get(w, ())
                               or w.startswith(part) or part.startswith(w)):
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


# Stage names styled with a symbol for a letter ("Ke$ha", "Ma$e", "A$AP Rocky", "P!nk") are written in plain
# letters too ("Kesha", "Mase", "ASAP Rocky", "Pink"): the symbol next to a letter, never before a digit
# ("$5" stays money, "Wow!" a mark).
_STYLED_S = re.compile(r"(?<=[A-Za-z])\$(?![\d.,])|\$(?=[A-Za-z])")
_STYLED_I = re.compile(r"(?<=[A-Za-z])!(?=[a-z])")


def styled_letters_plain(text: str) -> str:
    """`text` with each styled letter of a name written plain, in the case of the letters around it."""
    def letter(m: re.Match[str]) -> str:  # a word's first letter is a capital ("$ign"), else as the letters around it
        around = text[max(0, m.start() - 1) : m.end() + 1].strip("$")
        return "S" if m.start() == 0 or not text[m.start() - 1].isalpha() or around.isupper() else "s"

    if "$" in text:
        text = _STYLED_S.sub(letter, text)
    return _STYLED_I.sub("i", text) if "!" in text else text


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


# A nickname quoted between a given name and a surname ('Earvin "Magic" Johnson', 'Thomas “Stonewall” Jackson')
# (one to three words, no punctuation inside: 'In "Home Alone 2: Lost in New York," Kevin' quotes a title)
_NICKNAME = re.compile(r"(?<![\w'’])([A-Z][\w'’.\-]*)[ \t]+[\"“]([A-Z][\w'’.\-]*(?:[ \t][\w'’.\-]+){0,2})[\"”]"
                       r"[ \t]+([A-Z][\w'’\-]*)")


def _nicknames(text: str) -> list[re.Match[str]]:
    return [m for m in _NICKNAME.finditer(text) if m.group(1).lower() not in _STOP and m.group(3).lower() not in _STOP]


def _negated_name(name_low: str, text: str, question: str = "") -> bool:
    """Whether every literal mention of `name_low` in `text` is negated (no mention: False), a negation
    that restates the question's own aside (`restates_question_negation`)."""
    hits = _word_at(text.lower(), name_low, every=True)
    return bool(hits) and all(_negated(text, h) and not restates_question_negation(question, text, h) for h in hits)


def _positions(text_low: str, key: str) -> list[tuple[int, int]]:
    """Where a name stands in `text_low` (folded, lower case), or, for a name of several words not
    written whole, each of its longer words ("Cathy Dennis (or ...) and Rob Davis"): (start, end)."""
    hits = [(i, i + len(key)) for i in _word_at(text_low, key, every=True)]
    if not hits and " " in key:
        for word in key.split():
            if len(word) > 3 and word not in _LINK_NAME:
                hits += [(i, i + len(word)) for i in _word_at(text_low, word, every=True)]
    return hits


def _variant_of(name: str, kept_words: set[str]) -> bool:
    """Whether every longer word of `name` is a word of a kept name or a spelling of one."""
    words = [w for w in _fold(name).lower().split() if len(w) > 3]
    return bool(words) and all(w in kept_words or any(_same_word(w, k) for k in kept_words) for w in words)
