"""Quotations for the key-facts check (`facts`): a quoted span, or the whole short answer to a question
that asks for words ("What was Hogan's famous reply?" -> "Hit the ball closer to the hole"), is held
whole: its words in their order, case and punctuation aside. Apart from `facts_terms` because a
quotation is kept only written out, never by a share of its words.
"""

from __future__ import annotations

import re

from realign.verify.facts_names import _fold
from realign.verify.facts_terms import TERM_MAX_WORDS
from realign.verify.facts_words import _words_of


# A quotation or a title longer than a plain-word answer ("Hit the ball closer to the hole", a
# motto, a line of a song) is held whole: its words in their order are the answer, and a rewrite
# that keeps most of them ("Hit the ball farther from the hole") changes it. Up to QUOTE_MAX_WORDS;
# a longer quoted span is a passage the answer cites, not the answer.
QUOTE_MAX_WORDS = 20
_QUOTED = re.compile(r"\"([^\"\n]{3,200})\"|“([^”\n]{3,200})”|‘([^’\n]{3,200})’(?![\w])|(?<![\w])'([^'\n]{3,200})'(?![\w])")
# a question that asks for words, not for a thing: the whole short answer is then a quotation
_WORDS_ASKED = re.compile(r"\b(?:reply|replied|quote|quotation|motto|slogan|catch[ -]?phrase|tag ?line|lines?|lyrics?|words|"
                          r"phrase|saying|proverb|epitaph|inscription|headline|title|titled|refrain|chorus)\b", re.I)
# ... unless it asks to transform a text ("Rewrite the sentence in different words: ..."): its
# answer is the text made over, which another wording keeps (`text_kept` holds it), not a quotation
_REWRITE_ASKED = re.compile(r"\b(?:re-?write|rephrase|paraphrase|re-?word|restate|reformulate|revise|proofread|polish|"
                            r"in (?:your own|other|different|simpler|plain(?:er)?|fewer|more formal|formal|"
                            r"informal) words)", re.I)
_ANSWER_CUE = re.compile(r"^\s*(?:(?:the\s+)?(?:final\s+)?answer\s*(?:is|:)|answer:)\s*", re.I)


def _quote_key(text: str) -> str:
    """`text` as compared for a quotation: folded, lower case, apostrophes dropped, every other run
    of non-letters one space ("Hit the ball closer to the hole." = "hit the ball closer, to the hole")."""
    return " ".join(re.sub(r"['’]", "", _fold(text).lower()).translate(_NON_WORD).split())


_NON_WORD = {i: " " for i in range(0x2FFF) if not chr(i).isalnum() and chr(i) not in "'’"}


def quote_span(quote_key: str, text: str) -> tuple[int, int] | None:
    """Where the quotation (its `_quote_key`) stands in `text`, as (start, end) in `text`."""
    chars: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch in "'’":
            continue
        low = ch.lower()
        if low.isalnum():
            chars.append(low)
            where.append(i)
        elif chars and chars[-1] != " ":
            chars.append(" ")
            where.append(i)
    flat = "".join(chars)
    at = (" " + flat + " ").find(" " + quote_key + " ")
    if at < 0:
        return None
    return where[at], where[at + len(quote_key) - 1] + 1


def _mask_quotations(text: str, instruction: str) -> str:
    """`text` with every quotation of `instruction` written in it blanked (same length, so spans
    found in the result are spans of `text`)."""
    for m in _QUOTED.finditer(instruction):
        span = next(g for g in m.groups() if g is not None).strip()
        if span:
            text = re.sub(re.escape(span), lambda x: " " * len(x.group(0)), text, flags=re.IGNORECASE)
    return text


def _quotations(instruction: str, original: str, whole: bool) -> list[str]:
    """The quotations the original answers with: quoted spans longer than TERM_MAX_WORDS (and not
    the question's own), shorter quoted spans that are not one of the question's quotations, and with `whole`, the whole short answer when the question asks for words
    ("What was Hogan's famous reply ...?" -> "Hit the ball closer to the hole")."""
    asked = _quote_key(instruction)
    asked_quotes = {_quote_key(next(g for g in m.groups() if g is not None)) for m in _QUOTED.finditer(instruction)}
    out = []
    for m in _QUOTED.finditer(original):
        span = next(g for g in m.groups() if g is not None).strip()
        words, key = _words_of(span), _quote_key(span)
        if TERM_MAX_WORDS < words <= QUOTE_MAX_WORDS and f" {key} " not in f" {asked} ":
            out.append(span)
        elif 0 < words <= TERM_MAX_WORDS and key and key not in asked_quotes:
            # a short quoted answer is the answer even when its words are the question's own: 'The
            # conjunction in "freedom and justice" is "and"' (a rewrite to "or" changes it); the
            # question's own quotation repeated is not
            out.append(span)
    # a question that quotes the words itself asks about them ("Who said, "Insanity is ..."?"), not for them
    if not out and whole and _WORDS_ASKED.search(instruction) and not _QUOTED.search(instruction) \
            and not _REWRITE_ASKED.search(instruction):
        t = _ANSWER_CUE.sub("", original.strip(), count=1).strip().strip("\"“”'‘’").rstrip(".!").strip()
        if t and "\n" not in t and not re.search(r"[.!?:;]\s", t) and TERM_MAX_WORDS < _words_of(t) <= QUOTE_MAX_WORDS:
            out.append(t)
    return out
