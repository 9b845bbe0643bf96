"""Key facts: a short factual answer keeps the facts that answer the question.

The answer facts of an original are the numbers (dates and years included) and names
(capitalised spans: "Neil Young", "December", "Treaty of Paris") it states that the question does
not already give. A rewrite passes when it keeps at least one answer fact and substitutes none:

- a number substitution is an answer number the rewrite drops while stating a number that neither
  the original, the question, the conversation nor the evidence gives ("ratified on December 15,
  1791" -> "came out on December 16, 1689"; "about 1,497 people" -> "1,350");
- a name substitution likewise ("The capital is Canberra" -> "It is Sydney").

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
from fractions import Fraction

from realign.records import CheckResult
from realign.verify.base import Check, CheckInput
from realign.verify.math import _NUM, _WORD_NUM, _to_number, _word_number
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
_SENT_START = re.compile(r"(?:^|[.!?:;\n]\s*|[\-*#>]\s+|\d+[.)]\s+|[\"“(]\s*)$")
_LIST_MARK = re.compile(r"^[ \t]*\d{1,2}[.)][ \t]", re.M)


@dataclass(frozen=True)
class Facts:
    numbers: dict[Fraction, str]  # value -> as written
    names: dict[str, str]  # lower-cased -> as written


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


def read_facts(text: str) -> Facts:
    """The numbers and names `text` states (list markers "1." are not numbers)."""
    body = _LIST_MARK.sub(" ", text)
    numbers: dict[Fraction, str] = {}
    for m in _NUM.finditer(body):
        n = _to_number(m, body)
        if n is not None:
            numbers.setdefault(abs(n.value), n.text)
    for w in _WORD_NUM.finditer(body):
        n = _word_number(w)
        numbers.setdefault(abs(n.value), n.text)
    names: dict[str, str] = {}
    fragment = len(body.split()) <= 4  # "Iran", "Kobol's Last Gleaming": an answer, not a sentence
    for m in _NAME.finditer(body):
        at_start = bool(_SENT_START.search(body[max(0, m.start() - 6) : m.start()])) or m.start() == 0
        if at_start and " " not in m.group(0).strip() and not fragment and not _ACRONYM.fullmatch(m.group(0)):
            continue  # "Sunlight scatters ...": a capital that opens a sentence names nothing by itself
        name = _clean_name(m.group(0), at_start)
        if name and not name[0].isdigit():
            names.setdefault(name.lower(), name)
    return Facts(numbers, names)


_ACRONYM = re.compile(r"[A-Z]{2,6}s?")
_LINK_WORDS = frozenset({"of", "the", "and", "&", "for", "on", "in", "de", "a"})
_WORDS = re.compile(r"[A-Za-z][\w'’\-]*")
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
    if _ACRONYM.fullmatch(cased):
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


def _has_name(text_lower: str, name: str, text: str | None = None, cased: str = "") -> bool:
    """Whether `name` (lower-cased) is in the text; with `text` (the same text, cased) a name is
    also kept by its last word alone ("George Washington" as "Washington"), unless another
    capitalised word stands before it ("Emmitt Smith" is not "Timmy Smith") that is not the same
    person written shorter ("B.R. Ambedkar", "Dave Gahan"); and by its acronym or expansion."""
    if re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text_lower):
        return True
    if text is None:
        return False
    if cased and _acronym_kept(cased, text):
        return True
    parts = [p for p in name.split() if p not in _STOP and len(p) > 2]
    if len(parts) < 2:
        return False
    for m in re.finditer(r"(?<!\w)" + re.escape(parts[-1]) + r"(?!\w)", text_lower):
        window = " " + text[max(0, m.start() - 60) : m.start()].rstrip(" \t")
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
        if _same_person(parts[:-1], window):
            return True
    return False


def _fold(text: str) -> str:
    """`text` with accents dropped and hyphens as spaces: "Beyoncé" is "Beyonce",
    "Mecklenburg-Strelitz" is "Mecklenburg Strelitz"."""
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return text.replace("-", " ") if "-" in text else text


def answer_facts(instruction: str, original: str) -> Facts:
    """Facts of the original that the instruction does not already give."""
    given = read_facts(instruction)
    low = instruction.lower()
    facts = read_facts(original)
    return Facts(
        {v: t for v, t in facts.numbers.items() if v not in given.numbers},
        {k: n for k, n in facts.names.items() if not _has_name(low, k)},
    )


def describe(f: Facts, limit: int = 6) -> str:
    items = list(f.names.values()) + list(f.numbers.values())
    more = f" (+{len(items) - limit} more)" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _known_text(inp: CheckInput) -> str:
    """Everything the rewriter was given: a fact found here is not an invention."""
    return "\n".join((inp.instruction, inp.original, inp.context, inp.evidence))


def _number_substitution(inp: CheckInput, cand: Facts, known: Facts) -> str | None:
    """A number of the original (even one the question gives: "in 2012" -> "in 2019") that the
    rewrite drops while stating a number nobody gave it."""
    lost = [t for v, t in read_facts(inp.original).numbers.items() if v not in cand.numbers]
    new = [t for v, t in cand.numbers.items() if v not in known.numbers] if lost else []
    if not new:
        return None
    return f"fact changed: the original's {', '.join(lost[:3])} became {', '.join(new[:3])} in the rewrite"


def kept_nums_of(want: Facts, cand: Facts) -> list[str]:
    return [t for v, t in want.numbers.items() if v in cand.numbers]


def check_facts(inp: CheckInput, options: VerifyOptions | None = None) -> CheckResult:
    want = answer_facts(inp.instruction, inp.original)
    cand = read_facts(inp.candidate)
    known_text = _known_text(inp)
    known = read_facts(known_text)
    changed = _number_substitution(inp, cand, known)
    if changed:
        return CheckResult(name=NAME, passed=False, reason=changed)
    if not want.numbers and not want.names:
        return CheckResult(name=NAME, passed=True,
                           reason="not applicable: the original states no number or name beyond the question's")
    cand_text, known_low = _fold(inp.candidate), _fold(known_text.lower())
    cand_low = cand_text.lower()
    kept_nums = kept_nums_of(want, cand)
    kept_names = [n for k, n in want.names.items() if _has_name(cand_low, _fold(k), cand_text, n)]
    lost_names = [n for n in want.names.values() if n not in kept_names]
    new_names = [n for k, n in cand.names.items() if not _has_name(known_low, _fold(k)) and k not in known.names
                 and not any(_acronym_kept(w, n) for w in want.names.values())]
    by_alias = [n for k, n in want.names.items() if n in kept_names and not _has_name(cand_low, _fold(k), cand_text)]
    if new_names and kept_names and len(by_alias) == len(kept_names) and not kept_nums_of(want, cand):
        # kept only as an acronym or expansion while a new name stands beside it: "adenosine
        # diphosphate (Mount Everest)" for "adenosine diphosphate (ADP)"
        lost_names = by_alias
    if lost_names and new_names:
        return CheckResult(name=NAME, passed=False,
                           reason=f"fact changed: the original names {', '.join(lost_names[:3])}, the rewrite "
                                  f"names {', '.join(new_names[:3])} instead")
    if not kept_nums and not kept_names:
        return CheckResult(name=NAME, passed=False,
                           reason=f"answer facts missing: the original states {describe(want)}; the rewrite "
                                  "states none of them")
    return CheckResult(name=NAME, passed=True,
                       reason=f"key facts kept: {', '.join((kept_names + kept_nums)[:6])}")


def make_check(options: VerifyOptions) -> Check:
    def check(inp: CheckInput) -> CheckResult:
        return check_facts(inp, options)

    return check
