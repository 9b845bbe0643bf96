"""Parts of an open answer that a rewrite must keep whatever its length: a letter's greeting and
sign-off, and the content of the original's closing sentence.

The length window (length.py) lets a rewrite lose half of the original, so a rewrite that drops
the end of an answer passes it: SmolLM2-135M, asked to reformat an email, returned it without its
"Hi Mr. Lee," greeting (issue #9, trial finding D7), and open answers came back without their
closing sentences (D8). ReAlign-style rewrites legitimately restructure, reorder and trim filler,
so both tests here ask for little:

- Letter frame. An original that opens with a salutation line ("Dear Bob,", "Hi Mr. Lee,",
  "To whom it may concern:") needs a line opening with a greeting among the rewrite's first
  lines (any greeting: "Hello Mr. Lee," for "Hi Mr. Lee," is a rewrite). An original that ends
  with a sign-off ("Sincerely,\n[Your Name]", "Thanks,\nSam") needs a closing line in the
  rewrite's second half, or the original's signature (or a "[Name]" to fill in) among the short
  lines after the rewrite's last line of text.
- Closing content. The original's last sentence that is not a pleasantry ("I hope this helps!",
  "Let me know if ...") is read for its own units: content words and numbers that no earlier
  part of the original uses (a word the answer repeats throughout says nothing about its end).
  A rewrite that drops that sentence keeps none of them; a rewrite that reorders or rephrases it
  keeps some, anywhere in its text: KEEP_SHARE of them (rounded up, at least one) is asked. Words are compared on a light stem cut to its first
  PREFIX letters ("moderation" = "moderately"), so a change of word form is no loss. When the
  last sentence has fewer than MIN_UNITS own units (a restating summary), the sentence before is
  taken with it; the test is then about the pair and says nothing of the last sentence alone.
  And a rewrite whose last sentence is an earlier sentence of the original, word for word, with
  none of the original's later sentences in it, stops early (`stops_early`): a restating last
  sentence, whose words all come before, is caught so when the text is cut as written.

Only originals with no closed answer are read (the contract kinds in `OPEN_KINDS`): a number,
option, label or code answer has its own check, and a worked solution's last line is its answer.
A candidate of a task in `NEW_CONTENT_TASKS` is not held to the original's parts.
"""

from __future__ import annotations

import re
from functools import lru_cache

from realign.verify.text_kept import _STOP, _WORD, _stem

OPEN_KINDS = frozenset({"none", "facts", "list"})
# tasks whose candidate is meant to say something else than the original: a `rejecting` turn's
# revision declines what the original helped with (stakeholder_sim verifies its revision as one)
NEW_CONTENT_TASKS = frozenset({"rejecting"})
PREFIX = 6  # letters of a stem compared ("moderat-ion" / "moderat-ely")
MIN_UNITS = 2  # own units of the closing part below which the sentence before is taken with it
KEEP_SHARE = 0.1  # of the closing part's own units (rounded up, at least one) the rewrite must keep
MIN_SENTENCES = 2  # an original of one sentence is its own closing: text_kept and the window judge it
_HEAD_LINES = 6  # non-empty lines at the top of a rewrite searched for its greeting

_GREETING = re.compile(
    r"(?:dear|hi|hello|hey|hiya|greetings|good (?:morning|afternoon|evening|day)|to whom it may concern|"
    r"attention|attn)\b", re.I)
# a closing phrase alone on its line, optionally followed by a name ("Best, Sam")
_CLOSING = re.compile(
    r"(?:(?:yours )?(?:sincerely|truly|faithfully|respectfully|cordially|warmly)(?: yours)?|"
    r"(?:with )?(?:best|kind|kindest|warm|warmest|warm best)(?: regards| wishes)?|regards|"
    r"(?:many )?thanks(?: again| so much| in advance)?|thank you(?: again| so much| in advance)?|"
    r"cheers|all the best|take care|love|much love|with (?:love|gratitude|appreciation|thanks)|"
    r"yours|best regards|respectfully submitted|see you soon|talk soon)\b\s*[,.!—–-]?", re.I)
_PLACEHOLDER = re.compile(r"\[[^\]\n]{1,40}\]$")  # a signature to fill in: "[Your Name]"
_HEADER = re.compile(r"(?:subject|re|to|from|date|cc)\s*:", re.I)
_LEAD = re.compile(r"^(?:[\s>*_#\"'“”`-]+|\d{1,3}[.)](?=\s))+")  # markdown, quoting or a list number before a line's first word
# a last sentence that is a courtesy, not content: dropping it is a legitimate trim
_PLEASANTRY = re.compile(
    r"(?:i\s+hope\s+(?:this|that|these|it|you)|hope\s+(?:this|that|it)\s+helps|let\s+me\s+know|feel\s+free|"
    r"good\s+luck|best\s+of\s+luck|enjoy\b|have\s+(?:fun|a\s+(?:great|good|nice|wonderful))|happy\s+\w+ing\b|"
    r"thank\s+you|thanks\b|if\s+you\s+have\s+any\s+(?:other\s+|further\s+|more\s+)?questions|"
    r"please\s+(?:let|don['’]t|do\s+not|feel)|cheers\b|is\s+there\s+anything\s+else|"
    r"(?:i\s+)?look(?:ing)?\s+forward\s+to)", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
# words that join sentences rather than carry their content ("Finally, ...", "Overall, ...")
_DISCOURSE = frozenset("""finally lastly therefore overall additionally furthermore moreover however thus hence
    ultimately conclusion summary example instance also another other addition""".split())
_NORM = re.compile(r"[^\w]+")
_MARKERS = re.compile(r"^[ \t>*_#\"'“”`-]*(?:\d{1,3}[.)](?=\s))?", re.M)  # `_LEAD` on every line at once


def _lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.strip().splitlines() if ln.strip()]


def _bare(line: str) -> str:
    return _LEAD.sub("", line).strip()


def _is_salutation(line: str) -> bool:
    """A line that is only a salutation: "Dear Bob,", "Hi Mr. Lee,", "Hello everyone!", "Dear Hiring Manager"."""
    bare = _bare(line)
    m = _GREETING.match(bare)
    return bool(m) and len(bare.split()) <= 8 and (bare[-1] in ",:!]" or bare[-1].isalnum())


def _is_closing(line: str, whole: bool) -> bool:
    """A sign-off line. `whole`: the closing phrase is all the line says, but for a name after it
    ("Sincerely,", "Best, Sam"); else (read in a rewrite) a line that opens with one ("Thanks again for
    your help!")."""
    bare = _bare(line)
    m = _CLOSING.match(bare)
    if not m:
        return False
    rest = bare[m.end():].strip()
    return not whole or len(rest.split()) <= 3 and not re.search(r"[.?]", rest)


@lru_cache(maxsize=1024)  # an original is read for each of its candidates, and by both tests
def letter_frame(original: str) -> tuple[int, int]:
    """(index of the original's salutation line or -1, index of its sign-off line or -1) among its
    non-empty lines: a salutation as the first line after any mail headers; a sign-off among the last
    four (with a line under it when the text has no salutation), or a last line that is only a
    signature to fill in ("[Your name]") under a salutation."""
    lines = _lines(original)
    if len(lines) < 2:
        return -1, -1
    head = next((i for i, ln in enumerate(lines[:3]) if not _HEADER.match(_bare(ln))), -1)
    greet = head if head >= 0 and _is_salutation(lines[head]) else -1
    sign = -1
    for i in range(len(lines) - 1, max(greet, len(lines) - 5), -1):
        if _is_closing(lines[i], whole=True):
            sign = i
            break
    if sign == len(lines) - 1 and greet < 0:
        sign = -1  # "See you soon." closing an answer with no greeting: a letter's sign-off has a name under it
    if sign < 0 and greet >= 0 and _PLACEHOLDER.match(_bare(lines[-1])):
        sign = len(lines) - 1  # "Thank you for your consideration.\n[Your name]": the signature alone
    return greet, sign


def dropped_frame(candidate: str, original: str) -> str | None:
    """Why the rewrite lost the letter frame the original has (its greeting, its sign-off), or None."""
    if "\n" not in original.strip():
        return None  # a one-line original has no frame (the greeting test reads lines)
    greet, sign = letter_frame(original)
    if greet < 0 and sign < 0:
        return None
    olines = _lines(original)
    clines = _lines(candidate)
    if greet >= 0 and not any(_GREETING.match(_bare(ln)) for ln in clines[:_HEAD_LINES]):
        return (f"the original is a letter that opens with {olines[greet]!r}; the rewrite has no greeting "
                f"in its first {_HEAD_LINES} lines")
    if sign >= 0:
        signature = {_bare(ln).lower() for ln in olines[sign + 1:] if len(ln.split()) <= 4}
        second_half = clines[len(clines) // 2:] if len(clines) > 1 else clines
        # the short lines after the rewrite's last line of text: where a signature stands
        long_at = max((i for i, ln in enumerate(clines) if len(ln.split()) >= 6), default=-1)
        tail = [_bare(ln) for ln in clines[long_at + 1:]]
        if not (any(_is_closing(ln, whole=True) for ln in second_half)
                or any(ln.lower() in signature or _PLACEHOLDER.match(ln) for ln in tail)):
            return (f"the original is a letter that signs off with {olines[sign]!r}; the rewrite has no "
                    f"sign-off")
    return None


def _units(text: str) -> set[str]:
    """Content words of four letters or more (stemmed, cut to PREFIX letters; discourse words left
    out) and numbers (without thousands commas) of `text`, list markers stripped (a "5." that
    numbers an item is no number of the text). Each distinct word is stemmed once: this runs on every
    open-answer candidate."""
    bare = _MARKERS.sub("", text)
    out = {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(bare)}
    words = {w for w in _WORD.findall(bare.lower()) if len(w) >= 4 and not w.isdigit()}
    words -= _STOP
    words -= _DISCOURSE
    seen = _UNIT_OF
    if len(seen) > 50_000:
        seen.clear()
    for w in words:
        unit = seen.get(w)
        if unit is None:
            unit = seen[w] = _stem(w)[:PREFIX]
        out.add(unit)
    return out


_UNIT_OF: dict[str, str] = {}  # word -> its unit: a word's stem is worked out once per process


def _norm(sentence: str) -> str:
    return _NORM.sub(" ", sentence.lower()).strip()


def is_pleasantry(sentence: str) -> bool:
    """A courtesy rather than content ("I hope this helps!", "Let me know if ...", "Good luck!")."""
    return _PLEASANTRY.match(sentence) is not None


@lru_cache(maxsize=1024)
def body_sentences(original: str) -> tuple[str, ...]:
    """The sentences of the original's body (its letter frame left out; a line is at least one
    sentence; list markers and markdown stripped), trailing pleasantries dropped."""
    lines = _lines(original)
    greet, sign = letter_frame(original)
    sentences: list[str] = []
    for line in lines[greet + 1:sign if sign >= 0 else None]:
        sentences += [x for x in _SENTENCE_END.split(_bare(line)) if x.strip()]
    while sentences and is_pleasantry(sentences[-1]):
        sentences.pop()
    return tuple(sentences)


@lru_cache(maxsize=1024)
def closing_part(original: str) -> tuple[str, frozenset[str]] | None:
    """The original's closing part (its last sentence that is not a pleasantry, with the one before
    when it has fewer than MIN_UNITS own units) and its own units, or None when the original is too
    short or its end has too few own units to test."""
    sentences = body_sentences(original)
    if len(sentences) < MIN_SENTENCES:
        return None
    greet, _ = letter_frame(original)
    headers = "\n".join(_lines(original)[:max(greet, 0)])  # "Subject: ..." above the greeting is text too
    for take in (1, 2):
        if len(sentences) <= take:
            return None
        part = " ".join(sentences[-take:])
        own = _units(part) - _units(headers + "\n" + " ".join(sentences[:-take]))
        if len(own) >= MIN_UNITS:
            return part, frozenset(own)
    return None


def _last_sentence(text: str) -> str:
    """The last sentence of `text` that is not a courtesy, normalised (`_norm`), or ""."""
    for line in reversed(text.strip().splitlines()):
        for sentence in reversed(_SENTENCE_END.split(_bare(line))):
            if sentence.strip() and not is_pleasantry(sentence):
                return _norm(sentence)
    return ""


def stops_early(candidate: str, original: str) -> str | None:
    """Why the rewrite stops where the original goes on, or None: its last sentence is one of the
    original's, word for word, and none of the original's content sentences after that one is in
    it (the original text cut short, a rewrite that reorders keeps the later sentences)."""
    sentences = body_sentences(original)
    if len(sentences) < MIN_SENTENCES:
        return None
    last = _last_sentence(candidate)
    if not last:
        return None
    at = max((i for i, x in enumerate(sentences) if _norm(x) == last), default=-1)
    if at < 0 or at == len(sentences) - 1:
        return None
    text = " " + _norm(candidate) + " "
    later = [x for x in sentences[at + 1:] if _norm(x)]
    if not later or any(f" {_norm(x)} " in text for x in later):
        return None
    return (f"the rewrite stops at the original's sentence {sentences[at][-50:]!r}; the {len(later)} sentence(s) "
            f"after it are missing (the original ends ...{sentences[-1][-50:]!r})")


def dropped_ending(candidate: str, original: str, contract_kind: str, instruction: str = "") -> str | None:
    """Why the rewrite lost the original's closing content, or None (see the module docstring). Words
    the request also uses prove nothing: a rewrite that dropped the closing part still has them
    ("important" of "Explain why visualization is important"); they count only when the closing
    part has fewer than MIN_UNITS others."""
    if contract_kind not in OPEN_KINDS:
        return None
    found = closing_part(original)
    if found is not None:
        part, own = found
        if instruction:
            rest = own - _units(instruction)
            own = rest if len(rest) >= MIN_UNITS else own  # too few left to test: as before
        kept = own & _units(candidate)
        need = max(1, -int(-KEEP_SHARE * len(own) // 1))
        if len(kept) < need:
            shown = ", ".join(sorted(own)[:6])
            return (f"the original's closing content is missing: the rewrite keeps {len(kept)} of the {len(own)} "
                    f"words and numbers that only the original's closing part uses ({shown}; {need} needed); "
                    f"that part ends ...{part[-60:]!r}")
    return stops_early(candidate, original)
