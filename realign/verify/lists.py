"""List answers: a rewrite keeps every item of a short list, and its order when order is asked.

An original whose answer is a list ("Name five invasive species" -> "1. Zebra mussels\\n2. Kudzu
..."; "Generate five adjectives" -> "Vibrant, cheerful, bright, warm, and glorious."; "Sort these
numbers" -> "[-7, -3, -2, 4, 8]") has no final number, option or label, yet its items are the
answer: a rewrite that drops two of five terms, or swaps two numbers of a sorted list, changed it.

Items are read from marked lines (``-``, ``*``, ``•``, ``1.``, ``a)``) or from a one-line list of
short comma-separated terms. An item is held by its key: the whole item when it is short, the head
of a "Term: explanation" item, and nothing for a long sentence with no head (explanations are
what reformatting rewrites). A key is found in the rewrite when its words are there (word forms
folded, so "Exercise" matches "exercising"; at least half of the words of a key of three or more,
so "Set a budget" matches "Establish a budget"). When the request asks for an order (sort, rank,
arrange, alphabetical, ascending ...) or the task is `ordering`, the keys must also appear in the
original's order.

>>> from realign.verify.base import CheckInput
>>> check_list(CheckInput(task="brainstorming", instruction="Name three techniques for reducing stress.",
...     original="- Meditation\\n- Exercise\\n- Mindful breathing", candidate="Try meditation and exercise.")).passed
False
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from realign.records import CheckResult
from realign.verify.base import Check, CheckInput
from realign.verify.options import VerifyOptions

NAME = "list_items"

MIN_ITEMS = 3  # two terms are a pair, not a list a rewrite could thin out
SHORT_ITEM_WORDS = 6  # an item this short is its own key
HEAD_MAX_WORDS = 6  # "Term: explanation" heads longer than this are sentences, not terms
INLINE_MAX_CHARS = 240
INLINE_ITEM_WORDS = 4

_MARKED = re.compile(r"^[ \t]*(?:[-*•▪◦–]|\d{1,2}[.)]|[a-zA-Z][.)])[ \t]+(\S.*)$", re.M)
_HEAD = re.compile(r"^\**([^:*\n]{1,80}?)\**\s*(?::(?!//)|\s[-–—]\s)")
_ORDER_ASKED = re.compile(
    r"\b(?:sort|order|rank|arrange|rearrange|alphabeti[sz]e|alphabetical|ascending|descending|chronolog\w*|"
    r"sequence|smallest to|largest to|lowest to|highest to|oldest to|newest to)\w*", re.I)
# A one-line answer is a list only when it reads like one (no verbs, pronouns or clauses) and the
# request asks for several things: "Edit the text" -> "The news wasn't great, but I'm hopeful" is a sentence.
_SENTENCE = re.compile(r"\b(?:is|are|was|were|has|have|had|will|can|should|would|does|do|did|i|i'm|we|you|he|she|"
                       r"it|they|but|because|which|that|n't)\b|n't\b|'m\b|'re\b", re.I)
_LIST_ASKED = re.compile(
    r"\b(?:list|name|identify|sort|order|rank|arrange|rearrange|enumerate|suggest|brainstorm|"
    r"come up with|what are|which|select|choose|categori[sz]e|classify|retrieve|extract|"
    r"two|three|four|five|six|seven|eight|nine|ten|\d+)\b", re.I)
_CODE_CHARS = re.compile(r"[=;{}<>]|\w\(")
_WORD = re.compile(r"-?\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)?")
_STOP = frozenset(
    """a an the of to in on at for and or with by from as is are be its it this that these those your
    you our we their they his her my into than then very more most some any each what which who whom
    whose when where why how many much does do did can could will would should""".split())


def _fold(word: str) -> str:
    """A word form fold, enough to match "exercises" with "exercise" and "mussels" with "mussel"."""
    w = word.lower().replace("’", "'")
    for suffix in ("ing", "ed", "es", "s"):
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w


def _words(text: str) -> list[str]:
    return [_fold(w) for w in _WORD.findall(text)]


def _key(words: list[str]) -> tuple[str, ...]:
    content = [w for w in words if w not in _STOP]
    return tuple(content or words)


def _distinctive(keys: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Each key without the words other items share ("self-care" in every podcast title): what
    tells an item from its neighbours is what must be found. A key with nothing of its own is
    kept whole."""
    seen: dict[str, int] = {}
    for key in keys:
        for w in set(key):
            seen[w] = seen.get(w, 0) + 1
    return [key if _numeric(key) else tuple(w for w in key if seen[w] == 1) or key for key in keys]


def _numeric(key: tuple[str, ...]) -> bool:
    return all(w[-1:].isdigit() for w in key)


@dataclass(frozen=True)
class ListAnswer:
    items: list[str]  # the items as written (their keys' source)
    keys: list[tuple[str, ...]]  # folded content words of each held item
    inline: bool
    held: list[int]  # index of each held item among all the items (marked lines or parts)


def read_list(instruction: str, original: str) -> ListAnswer | None:
    """The list the original answers with, or None when it is not a list answer."""
    text = original.strip()
    marked = [m.group(1).strip() for m in _MARKED.finditer(text)]
    if len(marked) >= MIN_ITEMS:
        items, keys, held = [], [], []
        for n, item in enumerate(marked):
            head = _HEAD.match(item)
            if head and len(head.group(1).split()) <= HEAD_MAX_WORDS:
                source = head.group(1)
            elif len(item.split()) <= SHORT_ITEM_WORDS:
                source = item
            else:
                continue  # a sentence: its wording is what a rewrite may change
            key = _key(_words(source))
            if key and key not in keys:  # "Friend 1:" heading every line of a dialogue is one item
                items.append(source.strip(" *_.,;"))
                keys.append(key)
                held.append(n)
        if len(keys) >= MIN_ITEMS:
            return ListAnswer(items, _distinctive(keys), inline=False, held=held)
        return None
    if (not text or "\n" in text or len(text) > INLINE_MAX_CHARS or text[-1] in "!?" or _CODE_CHARS.search(text)
            or _SENTENCE.search(text) or not _LIST_ASKED.search(instruction)):
        return None
    body = text.strip("[](){}. ")
    if ":" in body:  # "Three colours: red, green and blue"
        body = body.split(":", 1)[1]
    parts = _inline_parts(body)
    parts = [p for p in parts if p]
    if len(parts) < MIN_ITEMS or any(len(p.split()) > INLINE_ITEM_WORDS for p in parts):
        return None
    keys = [_key(_words(p)) for p in parts]
    if not all(keys):
        return None
    return ListAnswer(parts, _distinctive(keys), inline=True, held=list(range(len(parts))))


def _inline_parts(body: str) -> list[str]:
    return [p.strip(" '\"*") for p in re.split(r"\s*[,;]\s*(?:and\s+|or\s+)?|\s+and\s+", body)]


def order_asked(task: str, instruction: str) -> bool:
    return task == "ordering" or bool(_ORDER_ASKED.search(instruction))


def _found_at(key: tuple[str, ...], words: list[str], start: int) -> int | None:
    """Index in `words` (the rewrite's words, from `start`) where `key` is found, or None:
    a one-word key (a term, a number) itself; the numbers of an all-number key in a row; a longer
    key one word of two, or half of its words, near each other (within twice its length plus four
    words, articles included): "Choose a venue" is found in "select a venue"."""
    n = len(key)
    if n > 1 and _numeric(key):
        # "9 - 1 = 8": its numbers in a row, whatever is written between them
        at = [i for i in range(start, len(words)) if words[i][-1:].isdigit()]
        for j in range(len(at) - n + 1):
            if tuple(words[i] for i in at[j:j + n]) == key:
                return at[j]
        return None
    if n == 1:
        try:
            return words.index(key[0], start)
        except ValueError:
            return None
    need = 1 if n == 2 else (n + 1) // 2
    window = 3 * n + 6  # the rewrite's words, articles and all
    wanted = set(key)
    for i in range(start, len(words)):
        if words[i] in wanted and len(wanted.intersection(words[i:i + window])) >= need:
            return i
    return None


def _blocks(text: str) -> list[tuple[list[str], int, list[str]]]:
    """The rewrite's list items: (words of the item with the lines under it, how many items it may
    stand for (0: as many as its first line names), the words of its head or first line). An item with a head ("**Deep Learning**: ... neural networks ...") stands for one;
    a short item may name several ("Meditation and exercise")."""
    starts = [m.start() for m in _MARKED.finditer(text)]
    out = []
    for a, b in zip(starts, starts[1:] + [len(text)]):
        block = text[a:b]
        first = _MARKED.match(block)
        line = first.group(1) if first else block
        head = _HEAD.match(line.strip())
        headed = bool(head) and len(head.group(1).split()) <= HEAD_MAX_WORDS
        out.append((_words(block), 1 if headed else 0, _words(head.group(1) if headed else line)))
    return out


def _unmatched(keys: list[tuple[str, ...]], blocks: list[tuple[list[str], int, list[str]]]) -> list[int]:
    """Keys that cannot each be given an item of their own in the rewrite (a matching: an item
    that names one thing cannot hold two of the original's). A key found only inside another
    item's explanation ("neural networks" under "Deep Learning") is not kept."""
    in_head = [{j for j, (_w, _cap, head) in enumerate(blocks) if _found_at(key, head, 0) is not None}
               for key in keys]
    # an item's own head first, then an item that mentions it further down
    fits = [sorted((j for j, (words, _cap, _h) in enumerate(blocks) if _found_at(key, words, 0) is not None),
                   key=lambda j, i=i: j not in in_head[i]) for i, key in enumerate(keys)]
    capacity = [cap or max(1, sum(1 for f in fits if j in f)) for j, (_w, cap, _h) in enumerate(blocks)]
    holders: list[list[int]] = [[] for _ in blocks]

    def place(i: int, seen: set[int]) -> bool:  # augmenting path (Kuhn's algorithm), tens of items at most
        for j in fits[i]:
            if j in seen:
                continue
            seen.add(j)
            if len(holders[j]) < capacity[j]:
                holders[j].append(i)
                return True
            for other in list(holders[j]):
                holders[j].remove(other)
                holders[j].append(i)
                if place(other, seen):
                    return True
                holders[j].remove(i)
                holders[j].append(other)
        return False

    order = sorted(range(len(keys)), key=lambda i: not in_head[i])  # named in a head: placed first
    return sorted(i for i in order if not place(i, set()))


def check_list(inp: CheckInput, answer: ListAnswer | None = None) -> CheckResult:
    answer = answer if answer is not None else read_list(inp.instruction, inp.original)
    if answer is None:
        return CheckResult(name=NAME, passed=True, reason="the original is not a list answer")
    words = _words(inp.candidate)
    missing = [item for item, key in zip(answer.items, answer.keys) if _found_at(key, words, 0) is None]
    if not missing:
        text = inp.candidate.strip()
        blocks = _blocks(text)
        if len(blocks) < MIN_ITEMS and answer.inline and "\n" not in text and len(text) <= 2 * INLINE_MAX_CHARS:
            # a one-line list rewritten as one: its parts are its items
            blocks = [(_words(p), 1, _words(p)) for p in _inline_parts(text.strip("[](){}. ")) if p]
        if len(blocks) >= MIN_ITEMS:  # the rewrite is a list too: each item needs one of its own
            missing = [answer.items[i] for i in _unmatched(answer.keys, blocks)]
        elif answer.inline:  # "F, A, A, F": a repeated item must be there as many times
            for key in set(answer.keys):
                if len(key) == 1 and answer.keys.count(key) > 1 and words.count(key[0]) < answer.keys.count(key):
                    missing.append(answer.items[answer.keys.index(key)])
    if missing:
        shown = ", ".join(repr(m[:40]) for m in missing[:4]) + (" ..." if len(missing) > 4 else "")
        return CheckResult(name=NAME, passed=False,
                           reason=f"the rewrite drops {len(missing)} of the original's {len(answer.items)} "
                                  f"list items: {shown}")
    if order_asked(inp.task, inp.instruction):
        # the items in the original's order, each after the previous one (the earliest such
        # placement exists whenever any does)
        at = 0
        for item, key in zip(answer.items, answer.keys):
            found = _found_at(key, words, at)
            if found is None:
                return CheckResult(name=NAME, passed=False,
                                   reason=f"the rewrite changes the order the request asked for: {item[:40]!r} "
                                          f"is no longer where the original put it")
            at = found + 1
    return CheckResult(name=NAME, passed=True,
                       reason=f"keeps all {len(answer.items)} list items"
                              + (" in order" if order_asked(inp.task, inp.instruction) else ""))


def make_check(options: VerifyOptions) -> Check:
    def check(inp: CheckInput) -> CheckResult:
        return check_list(inp)

    return check
