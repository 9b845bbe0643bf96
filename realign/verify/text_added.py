"""A rewriting task's rewrite must not add a sentence that neither the original nor the request says.

A transformation task (make this formal, put it in the passive voice, paraphrase it, fix its
grammar) answers with the text the user gave, transformed: everything its rewrite says is in the
original response or in the request already. SmolLM2-135M, asked to rewrite such an answer, kept
the text and added an unrelated sentence (issue #9, trial finding D2); `text_kept` passed it, since
every word of the original was still there. This check reads the rewrite sentence by sentence (a
line is at least one sentence; list markers and markdown stripped; a sentence glued on without a full
stop is cut off before its capitalised first word when that is a function word) and rejects one that
brings its own content: at least MIN_UNITS content units (words of three letters or more on a stem
cut to six letters, numbers) of which at least NEW_SHARE (two thirds) are in neither the original,
the request, the earlier turns nor the evidence. Two thirds, not all: another row's sentence shares
a common word ("people", "time") with the text often enough; a real paraphrase that explains a
phrase ("overseas" -> "in the European continent and ...") brings up to about 60% new words
(CondaQA's paraphrase edits, the dev split: benchmarks/verify.py --added-only).

What a good rewrite of such a text adds is talk about the text: "Revised version:", "This version
keeps the meaning and adjusts the wording", a list of corrections "'becuse' -> 'because': spelling".
Those sentences use the words of editing (`EDIT_WORDS`: sentence, wording, tone, passive, spelling,
replaced ...), which count as known; a courtesy ("I hope this helps!") is not read. A note on the
edit (NOTE_WORDS edit words or more) that quotes words neither the original nor the request has
speaks of another text ("The reflexive pronoun 'themselves' is unnecessary" under a text with no
"themselves") and is added content too.

A sentence glued into one of the text's sentences ("..., she is going to the store", "... and the
government should think about nature", "... the law Humans have been ...") leaves that sentence mostly
known, so the sentences are read as a run of content units too (`added_run`). What tells such a run from
a paraphrase is what happens around it: an addition inserts new words and keeps the original's words
around them; a paraphrase substitutes, dropping about as many of the original's words at that place as
it brings ("which was illegal" -> "which was against the law"; human paraphrases in CondaQA and MRPC
reword four words in a row and more). A run counts as added when the original words dropped at its place are
fewer than half the run: a run of LONG_RUN (four) or more wherever it stands, a run of MIN_RUN (two) or
three where it starts a clause (after a comma, a conjunction, a capital letter) and nothing is dropped.

The answer contract cannot tell a transformation from any other open answer (both are `none`), so
the check is gated on the task: the rewriting tasks' criteria list it (`verifiers`).
"""

from __future__ import annotations

import re

from realign.records import CheckResult
from realign.verify.base import Check, CheckInput, fixed_result
from realign.verify.length_parts import _DISCOURSE, _MARKERS, _bare, is_pleasantry
from realign.verify.options import VerifyOptions
from realign.verify.text_kept import _STOP, _stem

NAME = "text_added"

MIN_UNITS = 2  # content units a sentence needs before it is judged ("Passive voice:" is all edit words anyway)
NEW_SHARE = 2 / 3  # of a sentence's units in none of the original, request, context, evidence: added
PREFIX = 6  # letters of a stem compared, as in length_parts ("moderat-ion" / "moderat-ely")

_TOKEN = re.compile(r"\d[\d,]*(?:\.\d+)?|[^\W_]+(?:['’][^\W_]+)?")


def _unit(word: str) -> str | None:
    """The content unit of one token of `_TOKEN`, or None for a stop, discourse or short word."""
    if word[0].isdigit():
        return word.replace(",", "").rstrip(".")
    word = re.sub(r"['’]s?$", "", word.lower())  # "Reed's" is "Reed"
    return _stem(word)[:PREFIX] if len(word) >= 3 and word not in _STOP and word not in _DISCOURSE else None


def unit_sequence(text: str) -> list[str]:
    """The content units of `text` in their order, repeats kept; list markers left out."""
    return [u for w in _TOKEN.findall(_MARKERS.sub("", text)) if (u := _unit(w)) is not None]


def units(text: str) -> set[str]:
    """The content units of `text`: words of three letters or more that are no stop or discourse word,
    on a light stem cut to PREFIX letters, and numbers (without thousands commas); list markers left out."""
    return set(unit_sequence(text))


# The words of talking about a text and its edits: a rewrite's note on what it changed uses them
# whatever the text is about.
EDIT_WORDS = units("""sentence sentences text texts version versions rewrite rewritten rewording reworded rephrased
    rephrasing paraphrase paraphrased revised revision original wording phrase phrasing word words meaning
    tone voice passive active formal informal casual polite politer professional friendly style stylistic
    grammar grammatical grammatically spelling spelled misspelled punctuation capitalization capitalized capital
    letter tense present past future plural singular agreement article preposition verb verbs noun nouns
    adjective adverb pronoun subject object clause comma commas apostrophe hyphen period typo typos redundant
    repetition repeated removed added replaced changed change changes corrected correction corrections correct
    fixed fix fixes edit edited edits simplified simpler simplify clearer clarity concise readable readability
    fluent fluency flow structure converted conversion translated translation improved improve keeps kept
    adjusted adjusts instead better error errors mistake mistakes unnecessary necessary note""")
NOTE_WORDS = 2  # edit words that make a sentence a note on the edit, whose quotations must be in the text
MIN_RUN = 2  # new content words in a row that make a clause glued in where the original drops nothing
LONG_RUN = 4  # new content words in a row that are read wherever they stand, added unless they replace words
SUBSTITUTION = 2  # a run is inserted when the original's words dropped at its place are under 1/2 of its length
SHORT_PREFIX = 5  # letters of a unit that match a known unit's first letters in a run ("mobili-sation"/"-zation")
# where a run of new words starts a clause: after a comma, colon, semicolon, full stop or line end, after a
# conjunction, or at a capital letter (a sentence run on without a full stop, "... the law She is ...")
_JOIN = re.compile(r"[,;:.!?\n]|\b(?:and|but|so|or|yet|while|whereas|because|then)\b|\b[A-Z]")

# a sentence ends at . ! ? and white space (whatever case follows: "fuel. although ..."), a list
# marker after it dropped, unless the full stop ends a title or company abbreviation ("No. 2 Ford Motor
# Co. declined"); and before a capitalised function word glued to the text before it
# ("... in my studies When you're ...", a sentence added without a full stop)
_ABBREVIATIONS = ("Mr", "Mrs", "Ms", "Dr", "St", "No", "Co", "Inc", "Jr", "Sr", "vs")
_SENTENCE_END = re.compile("".join(rf"(?<!\b{a}\.)" for a in _ABBREVIATIONS)
                           + r"(?<=[.!?])[\"'”’)\]]*\s+(?:[-*•]\s+)?")
_GLUED = re.compile(r"(?<=[a-z0-9)\]])\s+(?=(?:" + "|".join(sorted(w.capitalize() for w in _STOP | _DISCOURSE if len(w) > 1))
                    + r")\s)")
_QUOTE = re.compile(r"[\"“]([^\"“”\n]{1,60})[\"”]|(?<!\w)['‘]([^'‘’\n]{1,60})['’](?!\w)")


def sentences(text: str) -> list[str]:
    """The sentences of `text`: each non-empty line, list markers and markdown stripped, split at
    sentence ends and before a capitalised function word that follows a word with no stop between."""
    out: list[str] = []
    for line in text.splitlines():
        bare = _bare(line.strip())
        for part in _SENTENCE_END.split(bare) if bare else ():
            out += [s.strip() for s in _GLUED.split(part) if s.strip()]
    return out


def _is_note(sentence: str) -> bool:
    """A note on the edit: NOTE_WORDS edit words or more, making half its content words or more
    ("- 'illegal' -> corrected: spelling or grammar")."""
    seq = unit_sequence(sentence)
    edit = [u for u in seq if u in EDIT_WORDS]
    return len(set(edit)) >= NOTE_WORDS and 2 * len(edit) >= len(seq)


def _knows(known: set[str]):
    """Whether a unit is known: in `known`, or sharing its first SHORT_PREFIX letters with a known unit,
    or starting with a known unit of four letters or more ("leadership" under "leader", "mobilization"
    under "mobilisation")."""
    heads = {k[:SHORT_PREFIX] for k in known if len(k) >= SHORT_PREFIX}
    return lambda u: (u in known or (len(u) >= SHORT_PREFIX and u[:SHORT_PREFIX] in heads)
                      or any(u[:n] in known for n in range(4, len(u))))


def _dropped(order: list[str], kept, lo: int, hi: int) -> int:
    """How many of the original's content units order[lo:hi] the rewrite does not have (`kept` tells)."""
    return sum(not kept(u) for u in order[lo:hi])


def added_run(inp: CheckInput, known: set[str]) -> tuple[str, str] | None:
    """Words glued into a sentence of the text without a full stop of their own ("..., she is going to the
    store", "... and the government should think about nature", "... the law She is ..."): the first run of
    content words in a row that none of the original, request, context or evidence has, LONG_RUN words long
    anywhere or MIN_RUN words long where it starts a clause (after a comma, a conjunction, a capital letter,
    at the start of a sentence), that is inserted rather than put in place of the original's words.

    An insertion brings new words while the original's words around them all stay; a paraphrase puts new
    words where it drops the original's ("in the absence of any evidence" -> "due to the lack of proof").
    The run's place in the original lies between the original's positions of the kept words on either side
    of it (the closest pair in order; the original's start or end at an edge), or is the whole original
    when those words come in another order (a clause moved). The run is inserted when the original content
    words the rewrite drops there are fewer than 1/SUBSTITUTION of the run, and none for a run shorter
    than LONG_RUN (a phrase explained in three words, "Down Under" -> "English-speaking nations of the
    Southern hemisphere", drops one). Notes on the edit and courtesies are not read."""
    text = "\n".join(s for s in sentences(inp.candidate) if not is_pleasantry(s) and not _is_note(s))
    seq = [(u, m.start(), m.start() + len(m.group().rstrip(",")))  # "2009," ends before its comma
           for m in _TOKEN.finditer(text) if (u := _unit(m.group())) is not None]
    order = unit_sequence(inp.original)
    at: dict[str, list[int]] = {}
    for i, u in enumerate(order):
        at.setdefault(u, []).append(i)
    knows, kept = _knows(known), _knows({u for u, _, _ in seq})
    i = 0
    while i < len(seq):
        if knows(seq[i][0]):
            i += 1
            continue
        j = i
        while j < len(seq) and not knows(seq[j][0]):
            j += 1
        run, span = j - i, text[seq[i][1]:seq[j - 1][2]]
        if run >= LONG_RUN or (run >= MIN_RUN and (i == 0 or _JOIN.search(text[seq[i - 1][2]:seq[i][2]]))):
            before = next((at[u] for u, _, _ in reversed(seq[:i]) if u in at), [-1])  # -1: the original's start
            after = next((at[u] for u, _, _ in seq[j:] if u in at), [len(order)])  # or its end
            pairs = [(b - a, a, b) for a in before for b in after if b > a]
            if pairs:  # its place: between the original's positions of the kept words around it, the closest pair
                _, a, b = min(pairs)
                dropped = _dropped(order, kept, a + 1, b)
            else:  # those words come in another order (a clause moved): its place in the original is unclear
                dropped = _dropped(order, kept, 0, len(order))
            if SUBSTITUTION * dropped < run and (dropped == 0 or run >= LONG_RUN):
                return span, (f"{run} content words in a row that neither has, where the rewrite drops "
                              f"{dropped} of the original's: inserted, not put in place of the original's words")
        i = j
    return None


def added_sentence(inp: CheckInput) -> tuple[str, str] | None:
    """The first sentence of the rewrite that says what neither the original nor the request does,
    with why, or None."""
    reference = ""
    known: set[str] = set()
    for sentence in sentences(inp.candidate):
        own = units(sentence)
        if len(own) < MIN_UNITS or is_pleasantry(sentence):
            continue
        if not reference:  # read once, when a sentence is long enough to judge
            reference = "\n".join((inp.original, inp.instruction, inp.context, inp.evidence))
            known = units(reference) | EDIT_WORDS
        new = own - known
        if len(new) >= NEW_SHARE * len(own):
            return sentence, f"{len(new)} of its {len(own)} content words are in neither"
        if len(own & EDIT_WORDS) >= NOTE_WORDS:
            lower = reference.lower()
            for m in _QUOTE.finditer(sentence):
                quoted = (m.group(1) or m.group(2)).strip()
                if quoted and quoted.lower() not in lower:
                    return sentence, f"a note on the edit that quotes {quoted!r}, which neither has"
    if not reference:
        reference = "\n".join((inp.original, inp.instruction, inp.context, inp.evidence))
        known = units(reference) | EDIT_WORDS
    return added_run(inp, known)


def check_text_added(inp: CheckInput) -> CheckResult:
    found = added_sentence(inp)
    if found is None:
        return fixed_result(NAME, True, "no added sentence: every sentence of the rewrite is in the original or the "
                            "request, or talks about the edit")
    sentence, why = found
    shown = sentence if len(sentence) <= 120 else sentence[:117] + "..."
    return CheckResult(name=NAME, passed=False, reason=f"rewrite adds a sentence that neither the original nor the "
                       f"request says: {shown!r} ({why}; a sentence with {NEW_SHARE:.0%} or more of its content words "
                       f"new is added content)")


def make_check(options: VerifyOptions) -> Check:
    return check_text_added
