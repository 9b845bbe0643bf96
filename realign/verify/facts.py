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
        if at_start and " " not in m.group(0).strip() and not fragment:
            continue  # "Sunlight scatters ...": a capital that opens a sentence names nothing by itself
        name = _clean_name(m.group(0), at_start)
        if name and not name[0].isdigit():
            names.setdefault(name.lower(), name)
    return Facts(numbers, names)


def _has_name(text_lower: str, name: str, text: str | None = None) -> bool:
    """Whether `name` (lower-cased) is in the text; with `text` (the same text, cased) a name is
    also kept by its last word alone ("George Washington" as "Washington"), unless another
    capitalised word stands before it ("Emmitt Smith" is not "Timmy Smith")."""
    if re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text_lower):
        return True
    parts = [p for p in name.split() if p not in _STOP and len(p) > 2]
    if text is None or len(parts) < 2:
        return False
    for m in re.finditer(r"(?<!\w)" + re.escape(parts[-1]) + r"(?!\w)", text_lower):
        before = re.search(r"([A-Za-z][\w'’.\-]*)[ \t]+$", text[max(0, m.start() - 40) : m.start()])
        if before is None or not before.group(1)[0].isupper() or before.group(1).lower() in name.split():
            return True
    return False


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
    cand_low, known_low = inp.candidate.lower(), known_text.lower()
    kept_nums = [t for v, t in want.numbers.items() if v in cand.numbers]
    kept_names = [n for k, n in want.names.items() if _has_name(cand_low, k, inp.candidate)]
    lost_names = [n for k, n in want.names.items() if not _has_name(cand_low, k, inp.candidate)]
    new_names = [n for k, n in cand.names.items() if not _has_name(known_low, k) and k not in known.names]
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
