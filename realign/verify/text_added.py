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


def units(text: str) -> set[str]:
    """The content units of `text`: words of three letters or more that are no stop or discourse word,
    on a light stem cut to PREFIX letters, and numbers (without thousands commas); list markers left out."""
    out: set[str] = set()
    for w in _TOKEN.findall(_MARKERS.sub("", text)):
        if w[0].isdigit():
            out.add(w.replace(",", "").rstrip("."))
            continue
        w = w.lower()
        if len(w) >= 3 and w not in _STOP and w not in _DISCOURSE:
            out.add(_stem(w)[:PREFIX])
    return out


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

# a sentence ends at . ! ? and white space (whatever case follows: "fuel. although ..."), a list
# marker after it dropped; and before a capitalised function word glued to the text before it
# ("... in my studies When you're ...", a sentence added without a full stop)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?:[-*•]\s+)?")
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
    return None


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
