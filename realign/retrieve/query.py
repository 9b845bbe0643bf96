"""Turn an instruction (and its input) into a search query of bounded length.

The rule, in order:

1. Whitespace is collapsed. Leading request boilerplate is removed from the instruction, repeatedly
   ("Please", "Can you", "Could you please", "I want you to", "Explain to me", "Tell me about",
   "Give me", "Describe", "Write a short ...", "Help me understand" ...), as are trailing
   politeness ("please", "thanks") and a trailing colon, and references to the input ("the
   following text", "the given passage"). An instruction that is nothing but boilerplate is kept
   as it is when there is no input. What remains is the instruction's subject,
   which is what a search engine needs; question words ("how", "why", "what is") are kept because
   they help web search and cost BM25 nothing (they are stop words there).
2. If the instruction and the input both fit in `max_chars`, the query is "instruction input".
3. Otherwise the instruction is kept first. If it alone is too long, its stop words are dropped,
   then it is cut at a word boundary.
4. The input fills the room left (if at least a few words fit) with its most informative words:
   distinct non-stop words, ranked by a score that favours names, acronyms and numbers mixed with
   letters (+2), long words (+1 from 7 letters) and words repeated in the input (+log2 of the
   count, at most +2), ties going to earlier words; the chosen words are written in the order they first
   appear in the input.

The result never exceeds `max_chars` and never ends in a cut word.

Example:
    >>> make_query("Please explain how photosynthesis works in plants.")
    'how photosynthesis works in plants.'
"""

from __future__ import annotations

import math
import re

# words that carry no search value; a compact English list (the index tokenizer has its own)
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his i if in into is it its itself just me
    more most my myself no nor not now of off on once only or other our ours ourselves out over own
    same she should so some such than that the their theirs them themselves then there these they
    this those through to too under until up very was we were what when where which while who whom
    why will with would you your yours yourself yourselves also may might must shall us let please
    how""".split()
)

_BOILERPLATE = re.compile(
    r"""^(?:
        please|kindly|hey|hi|hello|ok(?:ay)?|so|now|
        (?:can|could|would|will)\s+you(?:\s+please)?|
        i\s+(?:want|need|would\s+like|'d\s+like)\s+(?:you\s+)?to|
        i\s+(?:want|need|would\s+like|'d\s+like)|
        (?:help\s+me|let\s+me\s+know|tell\s+me|show\s+me|teach\s+me)(?:\s+(?:about|understand))?|
        (?:briefly\s+|simply\s+|clearly\s+)?(?:explain|describe|summari[sz]e|discuss|outline|elaborate\s+on)(?:\s+to\s+me)?(?:\s+in\s+(?:detail|simple\s+terms))?|
        (?:give|provide|write|create|generate|make|compose)(?:\s+me)?(?:\s+(?:a|an|some|the))?
            (?:\s+(?:short|brief|detailed|concise|quick|simple|few))?
            (?:\s+(?:explanation|description|overview|summary|list|answer|paragraph|essay|article|note|sentences?))?
            (?:\s+(?:of|on|about|for))?|
        what\s+do\s+you\s+know\s+about|
        (?:for|in|from|using)?\s*the\s+(?:following|given|above|below)
            (?:\s+(?:text|article|passage|paragraph|sentences?|story|email|document|input|code|snippet|
                     poem|list|data|information|question|statement|words?))?|
        do\s+you\s+know
    )\b[\s,:;.!-]*""",
    re.IGNORECASE | re.VERBOSE,
)
_TRAILING = re.compile(r"(?:[\s,]+(?:please|thanks?(?:\s+you)?|thx))+[\s.!]*$|\s*:\s*$", re.IGNORECASE)
_WORD = re.compile(r"[^\W_][\w'’.-]*[^\W_]|[^\W_]", re.UNICODE)

MIN_INPUT_ROOM = 16  # characters: below this, the input is left out rather than mangled


def _clean(text: str) -> str:
    return " ".join(text.split())


def strip_boilerplate(instruction: str) -> str:
    """The instruction without leading request phrases and trailing politeness ('' if that is all)."""
    text = _clean(instruction)
    while True:
        stripped = _BOILERPLATE.sub("", text, count=1).strip()
        if stripped == text:
            break
        text = stripped
    return _TRAILING.sub("", text).strip()


def _cut(text: str, max_chars: int) -> str:
    """`text` cut to at most max_chars at a word boundary."""
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars + 1].rsplit(" ", 1)[0] if " " in text[: max_chars + 1] else ""
    return cut[:max_chars].rstrip(" ,;:-")


def _content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text) if w.lower() not in STOPWORDS and len(w) > 1 or w.isdigit()]


def _informative_words(text: str, room: int) -> str:
    """Distinct informative words of `text` that fit in `room` characters, in their text order."""
    words = _content_words(text)
    first: dict[str, int] = {}
    count: dict[str, int] = {}
    shown: dict[str, str] = {}
    for i, w in enumerate(words):
        key = w.lower()
        if key not in first:
            first[key] = i
            shown[key] = w
        count[key] = count.get(key, 0) + 1

    def score(key: str) -> float:
        w = shown[key]
        s = 0.0
        if (w[0].isupper() and first[key] > 0) or (w.isupper() and len(w) > 1):
            s += 2  # a name or an acronym
        if any(c.isdigit() for c in w) and any(c.isalpha() for c in w):
            s += 2  # model numbers, versions, chemical formulas
        if len(w) >= 7:
            s += 1
        return s + min(2.0, math.log2(count[key]))  # repeated words matter, with diminishing weight

    ranked = sorted(first, key=lambda k: (-score(k), first[k]))
    chosen: list[str] = []
    used = 0
    for key in ranked:
        need = len(shown[key]) + (1 if chosen else 0)
        if used + need <= room:
            chosen.append(key)
            used += need
    chosen.sort(key=lambda k: first[k])
    return " ".join(shown[k] for k in chosen)


def make_query(instruction: str, input_text: str = "", max_chars: int = 256) -> str:
    """A search query for an instruction and its optional input; see the module docstring."""
    if max_chars <= 0:
        return ""
    instr = strip_boilerplate(instruction)
    inp = _clean(input_text)
    if not instr and not inp:
        instr = _clean(instruction)  # nothing but boilerplate: better than an empty query
    both = f"{instr} {inp}".strip()
    if len(both) <= max_chars:
        return both
    if len(instr) > max_chars:
        instr = _cut(" ".join(_content_words(instr)), max_chars) or _cut(instr, max_chars)
    room = max_chars - len(instr) - (1 if instr else 0)
    if not inp or room < MIN_INPUT_ROOM:
        return instr
    extra = _informative_words(inp, room)
    return f"{instr} {extra}".strip() if extra else instr
