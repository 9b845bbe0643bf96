"""Question kept: an answer that ends by asking the user something, and that the user's next turn
replies to, must still ask it after the rewrite (trial finding D4).

Checks see one turn at a time; in a chat the next user turn often answers the assistant's closing
question ("Which city do you mean?" -> "Paris."; "Would you like me to book it?" -> "Yes please."). A
rewrite that drops the question, or turns it into a statement ("I can book it for you."), leaves that
reply answering nothing. The check runs only when `CheckInput.next_user` holds that reply (the
registry adds it to the turn's checks then).

The original's question: its closing sentences (the last two of its last paragraph, code blocks left
out) that end with a question mark, or that ask the user for something in words ("Please tell me
which ...", "Let me know whether ..."; a generic "Let me know if you have any questions" is not one).
The rewrite keeps it when one of its own asking sentences, anywhere in it, shares a content word with
that question, or asks anything at all when the question itself is generic ("Anything else?", "Does
that help?"); an asking sentence sharing no word passes as the question reworded ("How long should
your password be?" -> "How many characters do you want?") unless every one the rewrite has is
generic: a specific question swapped for "Is there anything else I can help with?" is rejected.
A question the original asked earlier on and answered itself ("Why does this happen? Because ...")
does not count as the rewrite's question.

>>> inp = CheckInput(task="", instruction="What's the weather like?", original="I can look it up. Which city do you mean?",
...     candidate="I can look it up for you.", next_user="Paris, please.")
>>> check_question_kept(inp).passed
False
>>> check_question_kept(inp.with_changes(candidate="Sure! **Which city** do you mean?")).passed
True
"""

from __future__ import annotations

import re

from realign.records import CheckResult
from realign.verify.base import Check, CheckInput, fixed_result
from realign.verify.options import VerifyOptions
from realign.verify.text_kept import content_words

NAME = "question_kept"
CLOSING_SENTENCES = 2  # sentences at the end of the original's last paragraph searched for its question

_FENCE = re.compile(r"```.*?(?:```|\Z)", re.S)
_PARAGRAPH = re.compile(r"\n[ \t]*\n")
# a sentence ends at . ! ? (full-width too) and any closing quote, bracket or emphasis before a space, or at a line end
_SENTENCE_END = re.compile(r"(?<=[.!?？])[\"'”’)\]*_]*[ \t]+|\n")
_LEAD = re.compile(r"^[\s>*_#\"'“”`-]*(?:\d{1,3}[.)]\s+)?")
_ASKS_MARK = re.compile(r"[?？][\"'”’)\]*_]*\s*$")
# asking in words, without a question mark: a request addressed to the user for something they are to say
# ("Please tell me ...", "Let me know which ...", "Share with me ..."); an instruction of a how-to ("Confirm the
# service runs.", "Share your results with the team.") and the courtesy "Let me know if you have any questions"
# are not requests
_ASKS_WORDS = re.compile(
    r"^(?:(?:so|and|then|now|alternatively|otherwise),?\s+)?(?:just\s+)?(?!(?:please\s+)?let\s+(?:me|us)\s+know"
    r"\s+if\s+you\s+(?:have|need)\b)(?:"
    r"please\s+(?:provide|share|send|give|tell|let|specify|confirm|clarify|describe|list|enter|choose|select)\b"
    r"|(?:let|tell|inform|advise)\s+(?:me|us)\b|(?:provide|share|send|give)\s+(?:me|us)\b"
    r"|(?:confirm|clarify|specify)\s+(?:whether|which|what|if|how|when|where)\b"
    r"|i(?:['’]d|\s+would|\s+will)?\s+(?:need|like|want)\s+to\s+know\b|i\s+(?:need|require)\s+(?:the|your|some|more)\b"
    r"|(?:i\s+)?(?:look(?:ing)?\s+forward\s+to|await(?:ing)?)\s+(?:your|hearing)\b)",
    re.I)


# a question any answer could end with, asking for nothing in particular
_GENERIC = re.compile(
    r"\b(?:anything\s+else|any(?:thing)?\s+(?:other|more|further)\b|(?:other|further|more)\s+questions?"
    r"|(?:does|did|do)\s+(?:that|this|these)\s+(?:help|answer|make\s+sense|sound\s+good|work\s+for\s+you)"
    r"|(?:is|was)\s+(?:that|this)\s+(?:clear|helpful|ok(?:ay)?|what\s+you)|makes?\s+sense"
    r"|(?:need|want|like)\s+(?:any\s+)?(?:more|further|additional)\s+(?:help|information|details|assistance))", re.I)


def _sentences(paragraph: str) -> list[str]:
    return [s for s in (_LEAD.sub("", x).strip() for x in _SENTENCE_END.split(paragraph)) if s]


def _asks(sentence: str) -> bool:
    return bool(_ASKS_MARK.search(sentence) or _ASKS_WORDS.match(sentence))


def _prose(text: str) -> str:
    return _FENCE.sub("\n\n", text)


def closing_question(original: str) -> tuple[list[str], list[str]]:
    """(the original's closing asking sentences, its other sentences with a question mark) as the
    module docstring defines them; the first list is empty when the original asks the user nothing."""
    paragraphs = [p for p in _PARAGRAPH.split(_prose(original)) if p.strip()]
    if not paragraphs:
        return [], []
    last = _sentences(paragraphs[-1])
    closing = [s for s in last[-CLOSING_SENTENCES:] if _asks(s)]
    earlier = [s for p in paragraphs for s in _sentences(p) if _ASKS_MARK.search(s) and s not in closing]
    return closing, earlier


def _norm(sentence: str) -> str:
    return " ".join(re.findall(r"\w+", sentence.lower()))


def check_question_kept(inp: CheckInput) -> CheckResult:
    if not inp.next_user.strip():
        return fixed_result(NAME, True, "not applicable: no user turn replies to this answer")
    asked, earlier = closing_question(inp.original)
    if not asked:
        return fixed_result(NAME, True, "not applicable: the original asks the user nothing at its end")
    own = {_norm(s) for s in earlier}
    paragraphs = [p for p in _PARAGRAPH.split(_prose(inp.candidate)) if p.strip()]
    asks = [s for p in paragraphs for s in _sentences(p) if _asks(s) and _norm(s) not in own]
    question = " ".join(asked)
    shown = question if len(question) <= 160 else question[:157] + "..."
    if not asks:
        return CheckResult(name=NAME, passed=False, reason=(
            f"question to the user dropped: the original ends by asking {shown!r} and the next user turn "
            "replies to it, but the rewrite asks nothing; keep that question (reworded if you like) in the rewrite"))
    words = content_words(question)
    for a in reversed(asks):
        shared = words.keys() & content_words(a).keys()
        if shared:
            return CheckResult(name=NAME, passed=True, reason=(
                f"question to the user kept: {a[:120]!r} (shares {', '.join(sorted(words[w] for w in shared)[:4])})"))
    if not words or _GENERIC.search(question):
        return CheckResult(name=NAME, passed=True, reason=f"question to the user kept: {asks[-1][:120]!r}")
    specific = [a for a in asks if not _GENERIC.search(a)]
    if not specific:
        return CheckResult(name=NAME, passed=False, reason=(
            f"question to the user replaced by a generic one: the original ends by asking {shown!r} and the next "
            f"user turn replies to it, but the rewrite only asks {asks[-1][:120]!r}; keep that question in the rewrite"))
    return CheckResult(name=NAME, passed=True, reason=f"question to the user reworded: {specific[-1][:120]!r}")


def make_check(options: VerifyOptions) -> Check:
    return check_question_kept
