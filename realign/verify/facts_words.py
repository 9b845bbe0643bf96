"""Words every reader of the key-facts check shares: the stop words that name nothing, month and day
names, a whole-word search, one word written two ways, and negation ("not 1,497 but 1,350").

Apart so that the number, name and term readers (`facts_numbers`, `facts_names`, `facts_terms`) can
all use them without importing one another in a circle.
"""

from __future__ import annotations

import re


# Words that open sentences or headings without naming anything.
_STOP = frozenset(
    """a an the this that these those it its he she they we i you his her their our my your in on at
    for from by with as if when while yes no there here some many most each every one both after before
    during since because however also then so but and or although though today according answer note
    what who where which why how is are was were do does did can could will would should may might
    sure certainly well overall first second third finally next let yes okay ok thus therefore hence
    summary explanation final step question""".split()
)


# Month and day names name a date wherever they stand: "November 15, 1791 is when ..." changes
# "December 15, 1791" even at the start of a sentence.
_CALENDAR = frozenset(
    """january february march april may june july august september october november december monday tuesday
    wednesday thursday friday saturday sunday""".split()
)

_ANY_DIGIT = re.compile(r"\d")


def _word_at(text: str, phrase: str, every: bool = False) -> list[int]:
    """Where `phrase` stands in `text` as whole words (the first place, or `every` place): a
    string search, not a regex compiled per name."""
    out: list[int] = []
    i = text.find(phrase) if phrase else -1
    while i >= 0:
        j = i + len(phrase)
        if (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")) and \
                (j == len(text) or not (text[j].isalnum() or text[j] == "_")):
            out.append(i)
            if not every:
                break
        i = text.find(phrase, i + 1)
    return out


_TERM_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


TERM_PREFIX = 6  # "mitochondrial" / "mitochondria", "alchemy" / "alchemical": one word written two ways


def _same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n >= TERM_PREFIX and n >= 0.75 * min(len(a), len(b))


def _words_of(text: str) -> int:
    return len(_TERM_WORD.findall(text))


# "It was not Neil Young but Bruce Springsteen", "not 1,497 but 1,350": a fact stated only under a
# negation is not kept.
_NEGATED = re.compile(r"(?i:\bnot|n['’]t|\bnever|\bno longer|\brather than|\binstead of|\bas opposed to)"
                      r"(?:[ \t]+[a-z]+){0,3}[ \t]*[\"“'‘]?$")  # "was not written by Neil Young"


def _negated(text: str, start: int) -> bool:
    return bool(_NEGATED.search(text[max(0, start - 30) : start]))


# "Which grand slam did Sampras not win?" -> "Sampras did not win the French Open": a question about
# what did not happen is answered under its own negation. The rewrite's negation is the question's when
# the question is negated and the rewrite's sentence restates it (a content word of the question in it).
_QUESTION_NEGATION = re.compile(r"\b(?:not|never)\b|n['’]t\b", re.I)
_SENTENCE_BREAK = re.compile(r"[.!?;\n]")
_CONTENT_MIN = 4  # shorter words ("win", "the") say too little to tie a sentence to the question


def restates_question_negation(question: str, text: str, start: int) -> bool:
    """Whether the negation before `start` in `text` is the question's own: the question is negated
    and the sentence up to `start` shares a content word with it."""
    if not question or not _QUESTION_NEGATION.search(question):
        return False
    lo = max((m.end() for m in _SENTENCE_BREAK.finditer(text, 0, start)), default=0)
    asked = {w.lower() for w in _TERM_WORD.findall(question) if len(w) >= _CONTENT_MIN and w.lower() not in _STOP}
    said = {w.lower() for w in _TERM_WORD.findall(text[lo:start])}
    return bool(asked & said)
