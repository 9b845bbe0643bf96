"""Names written with a number for the key-facts check (`facts`): "World War II" / "World War 2" / "the
Second World War", "Louis XIV" / "Louis the Fourteenth", "Super Bowl LII" / "Super Bowl 52".

Apart from `facts_numbers` because such a number belongs to a name: it is read with the name's last
word, and the rewrite's form is written back as the original's (`_numerals_aligned`) before the
check compares them; the same name with another number changes the answer (`facts._numeral_changed`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from realign.verify.base import CheckInput
from realign.verify.facts_numbers import _ORDINALS, _ordinal_value
from realign.verify.facts_words import _CALENDAR, _STOP


# A name with a number in it ("World War II", "Henry VIII", "Super Bowl LII", "Type 2", "Rocky IV") is
# written by long answers in several forms: a Roman numeral, digits, "the Eighth" after the name, "the
# Second" / "the 2nd" before it ("the Second World War"), a number word ("World War Two"). The rewrite's
# form is written back as the original's (`_numerals_aligned`), and the same name with another number
# ("World War I" for "World War II", "Henry VII" for "Henry VIII") changes the answer (`facts._numeral_changed`).
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
