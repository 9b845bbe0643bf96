"""Plain-word answers for the key-facts check (`facts`): a short answer that names nothing ("uvea",
"hit points or health points") is held by its content words, folded for plurals and spelling variants
("temporal lobe" for "the temporal lobes"; British and American spellings: "grey matter" / "gray
matter"), a compound counted written as one word or two ("sea water" for "seawater", "beekeeper" for "bee
keeping"). A short answer whose one capital is its opening letter
("Cartoon") may be such plain words too (`opening_capital_term`). A short answer made of the question's
own words ("egg" to "... the hen or the egg") is held by those words; an answer phrase cut from a text
("until their objectives were met": lower-case opening, no names or numbers) by two fifths of its content
words.
"""

from __future__ import annotations

import re
from functools import lru_cache

from realign.verify.facts_names import _fold
from realign.verify.facts_words import TERM_PREFIX, _STOP, _TERM_WORD, _same_word


# A short answer in plain words ("uvea", "beneath the liver", "hit points or health points") names
# nothing, yet it is the answer: its content words must come back (plurals and -ise/-ize spellings
# folded). Alternatives ("A or B", "A / B") are kept by any one of them.
TERM_MAX_WORDS = 6
_TERM_STOP = _STOP | frozenset(
    """of to into onto over under below beneath underneath above inside outside within without between among
    through across around about near till until upon via per than not be been being""".split()
)
_TERM_ALT = re.compile(r"\s*(?:/|;|\bor\b)\s*", re.I)


# British and American spellings of one word ("grey" / "gray", "colour" / "color", "centre" / "center",
# "defence" / "defense", "analyse" / "analyze") read as one: both sides are written the American way.
# Listed word openings only, so "hour", "four" or "genre" keep their letters.
_OUR = re.compile(r"^(arm|behavi|clam|col|endeav|fav|flav|harb|hon|hum|lab|neighb|od|parl|rig|rum|sav|splend|val|vap|"
                  r"vig)our(?=$|s$|ed$|ing$|ful$|hood$|ite$|ites$|less$|able$|ably$|ist$|ists$|ure$|ures$|er$|ers$|y$)")
_RE_END = re.compile(r"^(calib|cent|fib|lit|lust|meag|met|sab|somb|spect|theat)re(?=$|s$|d$)")
_SPELLED = {"grey": "gray", "greys": "grays", "greyish": "grayish", "defence": "defense", "offence": "offense",
            "licence": "license", "programme": "program", "programmes": "programs", "catalogue": "catalog",
            "catalogues": "catalogs", "aluminium": "aluminum", "tyre": "tire", "tyres": "tires", "jewellery": "jewelry",
            "mould": "mold", "plough": "plow", "sceptic": "skeptic", "sceptical": "skeptical", "pyjamas": "pajamas",
            "ageing": "aging", "manoeuvre": "maneuver", "manoeuvres": "maneuvers"}


def _american(w: str) -> str:
    """`w` (lower case) in its American spelling when it is a listed British one."""
    if w in _SPELLED:
        return _SPELLED[w]
    if "our" in w:
        w = _OUR.sub(r"\1or", w)
    elif w.endswith(("re", "res", "red")):
        w = _RE_END.sub(r"\1er", w)
    if w.endswith(("yse", "ysed", "yses", "ysing")):
        w = re.sub(r"ys(?=e$|ed$|es$|ing$)", "yz", w)
    return w


def _stem(word: str) -> str:
    w = _american(_fold(word.lower()).replace("’", "'"))
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
        found = sum(_similar_in(w, have) for w in alt)
        if found >= len(alt) - (len(alt) >= 3):
            return True
        # a compound written as one word or two, in either form of the word ("bee keeping" / "beekeeper")
        if len(alt) == 1 and _similar_in(alt[0], _joined_pairs(text)):
            return True
        if len(alt) == 2 and _similar_in(_stem(alt[0] + alt[1]), have):
            return True
    return False


def _similar_in(word: str, words: frozenset[str]) -> bool:
    """Whether `words` holds `word` or another form of it (`_same_word`: a shared opening of
    TERM_PREFIX letters or more), looking only at the words that share that opening."""
    if word in words:
        return True
    if len(word) < TERM_PREFIX:
        return False
    head = word[:TERM_PREFIX]
    return any(w.startswith(head) and _same_word(word, w) for w in words)


def opening_capital_term(original: str, name: str) -> str | None:
    """The original as plain words when its one capital is its opening letter ("Cartoon", "Bee
    keeping", "Pixie dust"): a short answer written as a sentence capitalises its first word, so that
    word may be a name ("Iran") or a plain word ("cartoon"), and a rewrite that writes it as a plain
    word ("satirical cartoons", "a beekeeper") keeps it. `name` is the name read from the original.
    None when another capital, a digit or a longer text shows the original is no plain phrase."""
    t = _short_term(original)
    if t is None or " " in name or not t.startswith(name) or any(ch.isdigit() for ch in t) \
            or any(ch.isupper() for ch in t[1:]):
        return None
    return t


def _fragment_kept(fragment: str, text: str, given: frozenset[str]) -> bool:
    """Whether `text` keeps at least FRAGMENT_SHARE of an answer phrase's content words (those the
    question does not give), each as written or as another form of the word."""
    words = {w for alt in _term_alternatives(fragment, given) for w in alt}
    have = _stems(text)
    found = sum(_similar_in(w, have) for w in words)
    return bool(words) and found >= FRAGMENT_SHARE * len(words)


def _short_term(original: str) -> str | None:
    """The original as a plain-word answer: one line of at most TERM_MAX_WORDS words, no sentence
    break inside."""
    t = original.strip().rstrip(".!")
    if not t or "\n" in t or len(t.split()) > TERM_MAX_WORDS or re.search(r"[.!?:]\s", t):
        return None
    return t


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
