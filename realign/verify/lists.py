"""List answers: a rewrite keeps every item of a list, and its order when order is asked.

An original whose answer is a list ("Name five invasive species" -> "1. Zebra mussels\\n2. Kudzu
..."; "Generate five adjectives" -> "Vibrant, cheerful, bright, warm, and glorious."; "Sort these
numbers" -> "[-7, -3, -2, 4, 8]") has no final number, option or label, yet its items are the
answer: a rewrite that drops two of five terms, or swaps two numbers of a sorted list, changed it.

Items are read from marked lines (``-``, ``*``, ``•``, ``1.``, ``a)``) or from a one-line list of
short comma-separated terms ("etc." and "and so on" are no items). An item is held by its key: the
whole item when it is short, the head of a "Term: explanation" item (a head has a letter: "8 - 5 =
3" is an equation), and nothing for a long sentence with no head (explanations are what
reformatting rewrites). When two items of one list share a head ("name: Build", "name: Test"; titles
that share their first half) heads do not tell that list's items apart, and each is its whole line; a
head said again in another list ("Speed" under "### Trains" and under "### Planes") is an item of
each. Every list of the answer is read, sub-items of a nested list included. An item the
answer says twice (a "Key takeaways" list repeating the items above) is held twice. On one line,
"Anna: 9-10 am, Ben: 1-2 pm" are "Term: value" pairs, not a lead-in; "9-10" is a range. A key is found in the rewrite when its words are there (word forms folded,
so "Exercise" matches "exercising", "berries" "berry", "Earth's" "Earth"; at least half of the
words of a key of three or more, so "Set a budget" matches "Establish a budget").

When the rewrite is a list too (marked lines, table rows, or sections headed by the items), each
key needs an item of its own (a matching): an item whose head names one of the original's stands
for that one; a heading of the rewrite's own ("**Body**: exercise and diet") or a short item may
stand for several; sub-items may be folded into their parent's line or written as prose under it
(kept there, they take no other item's line), and into a line that restates a parent no key holds
("Roll the d4 to ...: 1: Hamlet; 2: Village"), by what the line adds to it. An item named in a rewrite
item's head keeps it unless another rewrite item that names it in its head can take it over. A rewrite item that restates
an original item stands only for what that item stood for (a recipe step "Add the diced tomatoes"
kept as it was does not keep "1 can diced tomatoes" of the ingredient list), a line the original
wrote under one of its items (a step's explanation) keeps no item where the rewrite kept it under
another line (a step whose line was replaced is gone, however many of its words that explanation
repeats), and the text after
the last item ("Answer: Magnesium.", a conclusion) holds none. A rewrite left with one or two items
needs an item or a mention in its own prose for each of the original's. The original's lead-in and
conclusion kept as written name no item (they are read out of the rewrite first). When the request asks for an order
(sort, rank, arrange, alphabetical, ascending ...) or the task is `ordering`, the keys must also
appear in the original's order, read within each list of the original (a reasoning answer lists
the clues, then the steps, then the result; a new list starts after an introducing line or where
the numbering starts again), in a list of the rewrite that has them one item after another (a
sub-item may share the item of its parent or sibling).

A list of full-sentence items is held too when it is the answer the request asks for ("Generate 5
questions you would ask as a movie reviewer" -> five one-line questions; "Give five tips" -> five
one-sentence tips): the request counts as many things as the original lists ("5 questions") or
asks for a list, and every item is one line with nothing under it and no head. Each item is held
by the content words that tell it from the others, found near each other anywhere in the rewrite
(no matching of items: a rewrite may split an item's sentences into bullets of their own), so a
rewrite may reword, reorder, reformat, split or merge the items, but not drop, replace or lose one
in a merge; a question item must still be asked (found in a sentence of the rewrite that ends
with "?"), not stated.

A key with no word of its own ("Bananas > Apples" beside "Bananas > Oranges") is found only where
all its words but one are (both of two). Fenced code is left out of both texts (a JSON block
beside the list is the code check's; the contract then holds both), and an original that is
unfenced code as a whole (a YAML workflow) has no list.

>>> from realign.verify.base import CheckInput
>>> check_list(CheckInput(task="brainstorming", instruction="Name three techniques for reducing stress.",
...     original="- Meditation\\n- Exercise\\n- Mindful breathing", candidate="Try meditation and exercise.")).passed
False
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from realign.records import CheckResult
from realign.verify.base import Check, CheckInput
from realign.verify.code import looks_like_code, strip_code
from realign.verify.options import VerifyOptions

NAME = "list_items"

MIN_ITEMS = 3  # two terms are a pair, not a list a rewrite could thin out
SHORT_ITEM_WORDS = 6  # an item this short is its own key
HEAD_MAX_WORDS = 6  # "Term: explanation" heads longer than this are sentences, not terms
INLINE_MAX_CHARS = 240
INLINE_ITEM_WORDS = 4

_MARKED = re.compile(r"^[ \t]*(?:[-*•▪◦–]|\d{1,2}[.)]|[a-zA-Z][.)])[ \t]+(\S.*)$", re.M)
_HEAD = re.compile(r"^\**([^:*\n]{1,80}?)\**\s*(?::(?!//)|\s[-–—]\s)")
# what a list writes instead of its further items: "etc.", "and so on", "and more"
_OPEN_END = re.compile(r"(?:and\s+|or\s+)?(?:etc\.?|\.\.\.|…|so on|(?:many\s+)?(?:more|others))", re.I)
_LETTER = re.compile(r"[^\W\d_]")
# a list marker at the start of a line: its number is the item's place, not part of the item
_MARKER = re.compile(r"^[ \t]*(?:[-*•▪◦–]|\d{1,2}[.)]|[a-zA-Z][.)])[ \t]+(?=\S)", re.M)
# a blank line, then unindented text: what follows a list is its conclusion, not its last item
_TAIL = re.compile(r"\n[ \t]*\n(?=\S)")
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
# a minus sign only where no word or number runs into it: "9-9:30 am" and "1-2 cups" are ranges
_WORD = re.compile(r"(?:(?<![\w.])-)?\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)?")
_STOP = frozenset(
    """a an the of to in on at for and or with by from as is are be its it this that these those your
    you our we their they his her my into than then very more most some any each what which who whom
    whose when where why how many much does do did can could will would should""".split())


@lru_cache(maxsize=8192)  # the same words come back in every candidate
def _fold(word: str) -> str:
    """A word form fold, enough to match "exercises" / "exercising" with "exercise", "berries"
    with "berry" and "Earth's" with "Earth"."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) > 5 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("sses", "ches", "shes", "xes", "zes")):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ing", "ed"):
        if len(w) >= len(suffix) + 3 and w.endswith(suffix):
            w = w[: -len(suffix)]
            if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":  # "planning", "stopped"
                w = w[:-1]
            break
    return w[:-1] if len(w) > 3 and w.endswith("e") else w


def _head(item: str) -> str | None:
    """The term of a "Term: explanation" item, or None. A head is a term of a few words with a
    letter in it: "8 - 5 = 3" is an equation, not the term "8" explained."""
    m = _HEAD.match(item)
    if m is None or len(m.group(1).split()) > HEAD_MAX_WORDS or not _LETTER.search(m.group(1)):
        return None
    return m.group(1)


def _words(text: str) -> list[str]:
    return [_fold(w) for w in _WORD.findall(text)]


def _key(words: list[str]) -> tuple[str, ...]:
    """The content words of an item. A word said twice is one word of the key ("Practice,
    practice, practice" is held by "practice"), except in numbers, whose repeats and order are the
    item ("2 + 2 = 4")."""
    content = tuple(w for w in words if w not in _STOP) or tuple(words)
    return content if _numeric(content) else tuple(dict.fromkeys(content))


def _distinctive(keys: list[tuple[str, ...]]) -> tuple[list[tuple[str, ...]], tuple[int, ...]]:
    """Each key without the words other items share ("self-care" in every podcast title): what
    tells an item from its neighbours is what must be found. A key with nothing of its own is
    kept whole, with how many items name its words: "Exercise" beside "Mindful breathing
    exercises" is kept only when the rewrite says "exercise" twice."""
    seen: dict[str, int] = {}
    for key in keys:
        for w in set(key):
            seen[w] = seen.get(w, 0) + 1
    out, times = [], []
    for key in keys:
        own = tuple(w for w in key if seen[w] == 1)
        if len(own) > 1 and _numeric(own) and not _numeric(key):
            # the numbers of its own an item with words keeps ("Room 4: 9-11 am" beside "Room 2: 11-12
            # am": 4 and 9) are not written in a row, which is how an all-number key is found
            # (`_found_at`): the first one is kept
            own = own[:1]
        out.append(key if _numeric(key) else own or key)
        times.append(1 if own or _numeric(key) else min(seen[w] for w in key))
    return out, tuple(times)


def _numeric(key: tuple[str, ...]) -> bool:
    return all(w[-1:].isdigit() for w in key)


EXPLAINED_MIN_WORDS = 4  # a shorter line under an item ("Example:") is too plain to tell where it came from
EXPLAINED_SHARE = 0.8


@dataclass(frozen=True)
class Explanations:
    """What the original wrote under its items, to tell a rewrite's own lines from restated ones."""
    lines: tuple[frozenset[str], ...] = ()  # content words of each line under an item
    items: tuple[tuple[str, ...], ...] = ()  # each held item's key words, all of them

    def restated(self, line: str) -> bool:
        """Whether `line` restates one of the original's lines under an item (most of its content
        words are that line's) and does not open with an item of the original ("Start Xvfb with a
        virtual display: this command starts ..." merges the item's line with its explanation)."""
        if not self.lines:
            return False
        words = _words(line)
        content = frozenset(_key(words))
        if not content or not any(len(content & e) >= EXPLAINED_SHARE * len(content) for e in self.lines):
            return False
        return not any(set(k) <= set(words[:2 * len(k) + 3]) for k in self.items)


@dataclass(frozen=True)
class ListAnswer:
    items: list[str]  # the items as written (their keys' source)
    keys: list[tuple[str, ...]]  # folded content words of each held item
    inline: bool
    held: list[int]  # index of each held item among all the items (marked lines or parts)
    # for each held item, the held item it is nested under ("- Apple" indented under "1. Fruits"), if any
    parent: tuple[int | None, ...] = ()
    # for each held item, the marked line of the original it is nested under, held or not (its
    # place among the marked lines), if any
    under: tuple[int | None, ...] = ()
    # for each held item, how many items name its words when it has none of its own (1 otherwise)
    times: tuple[int, ...] = ()
    # short items only, one a line, nothing written under them: the text around the list is framing
    bare: bool = False
    # the sentences of the original around its list (lead-in, conclusion): kept as written in a
    # rewrite they still name what the original named there, not the items the rewrite dropped
    framing: tuple[str, ...] = ()
    # for each held item, which list of the original it is in (a reasoning answer may list the
    # clues, then the steps, then the result): an order is read within one list
    group: tuple[int, ...] = ()
    # the lines the original writes under its items (explanations, not marked lines): kept under
    # another line in a rewrite, they tell nothing about which item that line is
    explained: Explanations = Explanations()
    # a list of full-sentence items the request asked for (`_sentence_list`): each held by its
    # distinctive content words, questions asked as questions
    sentences: bool = False


@lru_cache(maxsize=256)  # read by the contract, the list check and the length check of every candidate
def read_list(instruction: str, original: str) -> ListAnswer | None:
    """The list the original answers with, or None when it is not a list answer. The result is
    shared between calls: do not change it."""
    if looks_like_code(original):
        return None  # unfenced code as a whole (a YAML workflow): its "- name: Build" lines are code
    text = _prose(original).strip()
    found = list(_MARKED.finditer(text))
    marked = [m.group(1).strip() for m in found]
    if _OPEN_END.fullmatch(marked[-1] if marked else ""):
        marked.pop()  # "- etc.": the list says it goes on, it names no item
    if len(marked) >= MIN_ITEMS:
        items, keys, held = [], [], []
        # every line from the first item to the last a short item of its own: the list is the
        # answer and what stands around it is framing ("Here are some ideas:")
        span = text[found[0].start():found[len(marked) - 1].end()]
        bare = len(span.strip().split("\n")) - span.count("\n\n") == len(marked)
        heads = [_head(item) for item in marked]
        lists = _list_of(text, found)
        # two items of one list under one head: the heads are field names ("name: Build", "name:
        # Test") or the first halves of titles ("Robust QA: A Survey", "Robust QA: A Review"), not
        # what tells the items apart; each item of that list is then its whole line, when that is
        # short. A head said again in another list ("Parallel Lines" under "### Euclidean
        # Geometry" and under "### Riemannian Geometry") is an item of each section
        whole_lines = _shared_heads(heads, lists)
        for n, (item, head) in enumerate(zip(marked, heads)):
            bare = bare and head is None and len(item.split()) <= SHORT_ITEM_WORDS
            if head is not None and lists[n] in whole_lines:
                source = item if len(item.split()) <= SHORT_ITEM_WORDS + HEAD_MAX_WORDS else None
            elif head is not None:
                source = head
            else:
                source = item if len(item.split()) <= SHORT_ITEM_WORDS else None
            if source is None:
                continue  # a sentence: its wording is what a rewrite may change
            key = _key(_words(source))
            if key:  # an item said twice ("Key takeaways" repeating the list above) is held twice
                items.append(source.strip(" *_.,;"))
                keys.append(key)
                held.append(n)
        if len(keys) >= MIN_ITEMS:
            whole = tuple(keys)
            keys, times = _distinctive(keys)
            return ListAnswer(items, keys, inline=False, held=held, parent=_parents(found, held),
                              under=tuple(_nesting(found)[n] for n in held), times=times,
                              bare=bare, framing=_framing(text, found[:len(marked)], keys if bare else []),
                              group=tuple(lists[n] for n in held), explained=Explanations(_explanations(text), whole))
        if text != original.strip():
            return None  # code beside the list: a worked answer whose steps may be restructured
        return _sentence_list(instruction, text, found[:len(marked)], marked, heads, lists)
    if (not text or "\n" in text or len(text) > INLINE_MAX_CHARS or text[-1] in "!?" or _CODE_CHARS.search(text)
            or _SENTENCE.search(text) or not _LIST_ASKED.search(instruction)):
        return None
    body = text.strip("[](){}. ")
    parts = _inline_parts(body)
    if ":" in body and not all(_head(p) is not None for p in parts):
        # "Three colours: red, green and blue" has a lead-in; "Person1: 9-9:30 am, Person2: 1-2:30 pm,
        # ..." is a list of "Term: value" parts, the first one's term included
        parts = _inline_parts(body.split(":", 1)[1])
    parts = [p for p in parts if p and not _OPEN_END.fullmatch(p)]  # "apples, pears, etc."
    if len(parts) < MIN_ITEMS or any(len(p.split()) > INLINE_ITEM_WORDS for p in parts):
        return None
    keys = [_key(_words(p)) for p in parts]
    if not all(keys):
        return None
    keys, times = _distinctive(keys)
    return ListAnswer(parts, keys, inline=True, held=list(range(len(parts))), times=times, bare=True,
                      group=(0,) * len(parts))


SENTENCE_ITEM_MAX_WORDS = 40  # a longer item is a paragraph: what a rewrite may restructure
_COUNT_WORDS = {w: n for n, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
# the request asks for N things: a count, then within three words a plural ("generate 5
# questions", "give five tips", "three key benefits"), on a line of prose (not in code)
_COUNT_ASKED = re.compile(r"\b(\d{1,2}|" + "|".join(_COUNT_WORDS) + r")\s+(?:[a-z-]+\s+){0,2}?"
                          r"(?!(?:words|characters|minutes|hours|days|years|times|percent)\b)[a-z]{2,}(?<![su]s)s\b", re.I)
_LIST_OF = re.compile(r"\b(?:list|enumerate|bullet(?:ed)? points?)\b", re.I)


def _sentence_list(instruction: str, text: str, found: list[re.Match[str]], marked: list[str],
                   heads: list[str | None], lists: list[int]) -> ListAnswer | None:
    """A list of N full-sentence items that is the answer ("Generate 5 questions you would ask as
    a movie reviewer" -> "1. What challenges did the crew face? ..."; five one-sentence tips), or
    None. Read only when the request asks for as many things as the original lists, or for a
    list, and the list is the answer: one list, every item a line of its own with nothing written
    under it, no "Term: explanation" heads (those are held by their heads), no item longer than
    SENTENCE_ITEM_MAX_WORDS. Each item is held by the content words that tell it from the others
    (`_distinctive`): a rewrite may reword, reorder, renumber and merge them, not drop one."""
    if len(marked) < MIN_ITEMS or set(lists) != {0} or any(h is not None for h in heads) \
            or any(len(m.split()) > SENTENCE_ITEM_MAX_WORDS for m in marked):
        return None
    span = text[found[0].start():found[-1].end()]
    if len(span.strip().split("\n")) - span.count("\n\n") != len(marked) \
            or len({_indent(m.group(0)) for m in found}) != 1:
        return None  # lines under the items, or a nested list: explanations a rewrite may restructure
    request = "\n".join(ln for ln in instruction.split("\n") if not _CODE_CHARS.search(ln))
    counts = {int(m.group(1)) if m.group(1).isdigit() else _COUNT_WORDS[m.group(1).lower()]
              for m in _COUNT_ASKED.finditer(request)}
    if len(marked) not in counts and not _LIST_OF.search(request):
        return None
    items = [m.strip(" *_") for m in marked]
    keys = [_key(_words(m)) for m in items]
    if not all(keys):
        return None
    keys, times = _distinctive(keys)
    held = list(range(len(items)))
    return ListAnswer(items, keys, inline=False, held=held, parent=(None,) * len(items),
                      under=(None,) * len(items), times=times, framing=_framing(text, found, []),
                      group=(0,) * len(items), sentences=True)


def _asked_questions(answer: ListAnswer, candidate: str) -> list[str]:
    """The question items of a sentence list (`_sentence_list`) that the rewrite no longer asks:
    its words are found in no question of the rewrite. A question turned into a statement ("How
    does the movie depict the consequences?" -> "The movie depicts the consequences") is not the
    question the request asked for."""
    asked = [_words(q) for q in _SENTENCE_STOP.split(candidate) if "?" in q]
    return [item for item, key, t in zip(answer.items, answer.keys, answer.times)
            if item.endswith("?") and not any(_found_at(key, q, 0, t > 1) is not None for q in asked)]


# where a sentence ends: after "?" or "!", after a full stop that follows a word ("U.S.", "e.g."
# and "3.5" go on), at a line break
_SENTENCE_STOP = re.compile(r"(?<=[!?])\s+|(?<=[^\W\d_]{2}\.)\s+|\n+")


def _shared_heads(heads: list[str | None], lists: list[int]) -> set[int]:
    """The lists (numbers from `_list_of`) in which two items have the same head."""
    seen: set[tuple[int, tuple[str, ...]]] = set()
    out: set[int] = set()
    for head, which in zip(heads, lists):
        if head is None:
            continue
        mark = (which, _key(_words(head)))
        if mark in seen:
            out.add(which)
        seen.add(mark)
    return out


def _explanations(text: str) -> tuple[frozenset[str], ...]:
    """The content words of each line `text` writes under one of its list items (see
    `_regions`), when the line has EXPLAINED_MIN_WORDS of them."""
    out = []
    for region in _regions(text):
        for line in region.split("\n")[1:]:
            content = frozenset(_key(_words(line)))
            if len(content) >= EXPLAINED_MIN_WORDS:
                out.append(content)
    return tuple(dict.fromkeys(out))


def _own_text(region: str, explained: Explanations) -> str:
    """`region` (a rewrite item: its line and the lines under it) without the lines under its
    first one that restate a line the original wrote under one of its items. A numbered step whose
    line was replaced but whose explanation was kept ("2. Start Xvfb with a virtual display:" ->
    "2. Quantum entanglement", "This command starts Xvfb with display number 1 ..." under both) no
    longer names the step: what the original wrote under an item is not the item."""
    first, *under = region.split("\n")
    return "\n".join([first] + [line for line in under if not explained.restated(line)])


def _prose(text: str) -> str:
    """`text` without its fenced and <pre> code: a JSON or CSV block beside a list is held by the
    code check, and the list is read, and found, outside it. Inline `code` spans stay: "- `ls`"
    is an item."""
    return strip_code(text, spans=False) if "```" in text or "~~~" in text or "<pre" in text else text


_NUMBER = re.compile(r"^[ \t]*(\d{1,2})[.)]")


def _list_of(text: str, found: list[re.Match[str]]) -> list[int]:
    """For each marked line of `text`, the number of the list it belongs to. A new list starts
    after an unindented line of prose that introduces it ("From last to first, the colours are:",
    a heading), or after prose where the numbering starts again at 1 at the same indentation
    ("2. Blue" right above "1. Red" is one list with two items swapped)."""
    out, current = [], 0
    last_number: dict[int, int] = {}  # indentation -> the number of the last numbered item there
    for k, m in enumerate(found):
        if k:
            between = text[found[k - 1].end():m.start()].split("\n")[1:]
            intro = any(ln.strip() and not ln[:1].isspace() and (ln.rstrip().endswith(":") or ln.startswith("#"))
                        for ln in between)
            number = _NUMBER.match(m.group(0))
            depth = _indent(m.group(0))
            prose = any(ln.strip() and not ln[:1].isspace() for ln in between)
            restart = prose and number is not None and number.group(1) == "1" and last_number.get(depth, 0) > 1
            if intro or restart:
                current += 1
                last_number.clear()
        number = _NUMBER.match(m.group(0))
        if number is not None:
            last_number[_indent(m.group(0))] = int(number.group(1))
        out.append(current)
    return out


_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+|\n+")
FRAMING_MIN_WORDS = 4  # a shorter sentence ("Here are some:") names nothing an item could hide behind


def _framing(text: str, found: list[re.Match[str]], keys: list[tuple[str, ...]]) -> tuple[str, ...]:
    """The sentences of `text` before its first list item and after its last one: after a blank
    line, or on the next unindented line when every item is one line ("6. Speed: ...\nOverall,
    Python is ..."). A sentence that names every one of `keys` (the items of a bare list: "The
    primary colours are red, yellow and blue.") states the whole answer and is left out."""
    lead = text[:found[0].start()]
    rest = text[found[-1].end():]
    one_line_items = all("\n" not in text[a.end():b.start()].strip("\n") for a, b in zip(found, found[1:]))
    tail = _TAIL.search(rest)
    if tail is not None:
        rest = rest[tail.end():]
    elif not (one_line_items and rest.startswith("\n") and rest[1:2].strip()):
        rest = ""
    sentences = (x for part in (lead, rest) for x in (y.strip() for y in _SENTENCE_END.split(part)))
    return tuple(x for x in sentences if len(x.split()) >= FRAMING_MIN_WORDS
                 and not (keys and all(_found_at(k, _words(x), 0) is not None for k in keys)))


def _without_framing(candidate: str, framing: tuple[str, ...]) -> str:
    for sentence in framing:
        if sentence in candidate:
            candidate = candidate.replace(sentence, " ")
    return candidate


def _indent(line: str) -> int:
    return len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())


def _nesting(found: list[re.Match[str]]) -> list[int | None]:
    """For each marked line, the one it is nested under: the nearest marked line above it that is
    indented less, if any."""
    indents = [_indent(m.group(0)) for m in found]
    out: list[int | None] = []
    for n, depth in enumerate(indents):
        out.append(next((m for m in range(n - 1, -1, -1) if indents[m] < depth), None))
    return out


def _parents(found: list[re.Match[str]], held: list[int]) -> tuple[int | None, ...]:
    """For each held item, the held item it is nested under: the marked line it is nested under
    (`_nesting`), when that line is held."""
    key_of = {n: k for k, n in enumerate(held)}
    nesting = _nesting(found)
    return tuple(key_of.get(nesting[n]) if nesting[n] is not None else None for n in held)


def _inline_parts(body: str) -> list[str]:
    return [p.strip(" '\"*") for p in re.split(r"\s*[,;]\s*(?:and\s+|or\s+)?|\s+and\s+", body)]


def order_asked(task: str, instruction: str) -> bool:
    return task == "ordering" or bool(_ORDER_ASKED.search(instruction))


def _found_at(key: tuple[str, ...], words: list[str], start: int, whole: bool = False) -> int | None:
    """Index in `words` (the rewrite's words, from `start`) where `key` is found, or None:
    a one-word key (a term, a number) itself; the numbers of an all-number key in a row; a longer
    key one word of two, or half of its words, near each other (within twice its length plus four
    words, articles included): "Choose a venue" is found in "select a venue". A `whole` key (one
    with no word of its own: "Bananas > Apples" beside "Bananas > Oranges") needs all its words
    but one (both of two): only together do they tell it from its neighbours."""
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
    need = max(n - 1, 2) if whole else 1 if n == 2 else (n + 1) // 2
    window = 3 * n + 6  # the rewrite's words, articles and all
    wanted = set(key)
    for i in range(start, len(words)):
        if words[i] in wanted and len(wanted.intersection(words[i:i + window])) >= need:
            return i
    return None


RESTATED_MIN_WORDS = 4  # an original item this long, most of whose words a rewrite item repeats, is restated by it
RESTATED_SHARE = 0.6


def _regions(text: str) -> list[str]:
    """The list items of `text`: each marked line with the lines under it, up to the next marked
    line. What follows the last item after a blank line, unindented ("Answer: Magnesium.", a
    closing sentence), is the text's conclusion, not part of that item."""
    starts = [m.start() for m in _MARKED.finditer(text)]
    out = [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]
    if out:
        tail = _TAIL.search(out[-1])
        if tail is not None:
            out[-1] = out[-1][:tail.start()]
    return out


def _outside(text: str) -> str:
    """The text of `text` that is no list item: before the first item, and the conclusion after
    the last one (see `_regions`)."""
    starts = [m.start() for m in _MARKED.finditer(text)]
    if not starts:
        return text
    last = text[starts[-1]:]
    tail = _TAIL.search(last)
    return text[:starts[0]] + ("\n" + last[tail.end():] if tail is not None else "")


@dataclass(frozen=True)
class _Block:
    words: list[str]  # the item with the lines under it, list marker left out
    cap: int  # how many of the original's items it may stand for (0: as many as its first line names)
    head: list[str]  # the words of its head, or of its first line when it has none
    content: frozenset[str]  # its content words, to tell which original item it restates


_TABLE_ROW = re.compile(r"^[ \t]*\|(.*)\|[ \t]*$", re.M)
_TABLE_RULE = re.compile(r"[\s|:-]*")


def _table_rows(text: str) -> list[_Block]:
    """The rows of a markdown table, as items headed by their first cell: "| Venus | hottest,
    Earth's twin |" stands for Venus, not for Earth."""
    out = []
    for m in _TABLE_ROW.finditer(text):
        if _TABLE_RULE.fullmatch(m.group(1)):
            continue  # the |---|---| line under the header
        cells = [c.strip() for c in m.group(1).split("|")]
        first = next((c for c in cells if c), "")
        words = _words(" ".join(cells))
        out.append(_Block(words, 1, _words(first), frozenset(_key(words))))
    return out


def _blocks(text: str, explained: Explanations = Explanations()) -> list[_Block]:
    """The list items of a text: marked items or, when there are none, the rows of a table. An
    item with a head ("**Deep Learning**: ... neural networks ...") stands for one; a short item
    may name several ("Meditation and exercise"). The words an item holds leave out the lines
    under it that restate the original's `explained` lines (`_own_text`); what it restates is read
    from all of it."""
    if "|" in text and len(_MARKED.findall(text)) < MIN_ITEMS:
        rows = _table_rows(text)
        if len(rows) >= MIN_ITEMS:
            return rows
    out = []
    for region in _regions(text):
        first = _MARKED.match(region)
        line = first.group(1) if first else region
        head = _head(line.strip())
        words = _words(_MARKER.sub("", region))
        own = _words(_MARKER.sub("", _own_text(region, explained))) if explained.lines else words
        out.append(_Block(own, 1 if head is not None else 0, _words(head if head is not None else line),
                          frozenset(_key(words))))
    return out


_HEADING = re.compile(r"^[ \t]{0,3}(?:#{1,6}[ \t]+(\S[^\n]*)|\*\*([^*\n]{1,80})\*\*[ \t]*:?[ \t]*)$", re.M)


def _heading_blocks(text: str, keys: list[tuple[str, ...]], explained: Explanations = Explanations()) -> list[_Block]:
    """A rewrite that writes each item as a section ("### 1. Meditation" or a bold line, then
    its explanation): the sections whose heading names an item of the original, each standing for
    what its heading names, when there are at least MIN_ITEMS of them. Otherwise none: headings
    such as "## Overview" are a text's structure, not its items."""
    found = list(_HEADING.finditer(text))
    heads = [_words(_MARKER.sub("", (m.group(1) or m.group(2)).strip(" *:#"))) for m in found]
    names = [any(_found_at(k, h, 0) is not None for k in keys) for h in heads]
    if sum(names) < MIN_ITEMS:
        return []
    out = []
    for m, nxt, head, named in zip(found, found[1:] + [None], heads, names):
        if not named:
            continue  # "## Conclusion": what it mentions is a summary, not an item of the list
        section = text[m.start():nxt.start() if nxt else len(text)]
        words = _words(_MARKER.sub("", section))
        own = _words(_MARKER.sub("", _own_text(section, explained))) if explained.lines else words
        out.append(_Block(own, 1, head, frozenset(_key(words))))
    return out


def _restates(original: str, blocks: list[_Block]) -> list[tuple[int, _Block] | None]:
    """For each rewrite item, the item of the original it restates best (its place among the
    original's marked lines, and the item), or None: the largest share of that item's words, then
    the closest in size (a rewrite of "Spinach salad with walnuts" restates that item, not the
    longer "Walnuts: great in a spinach salad" whose words it also has)."""
    sources = [(n, b) for n, b in enumerate(_blocks(original.strip())) if b.content]
    out: list[tuple[int, _Block] | None] = []
    for block in blocks:
        best, score = None, (RESTATED_SHARE, -len(block.content))
        for n, source in sources:
            s = (len(source.content & block.content) / len(source.content),
                 -abs(len(source.content) - len(block.content)))
            if s >= score:
                best, score = (n, source), s
        out.append(best)
    return out


def _restated(answer: ListAnswer, restates: list[tuple[int, _Block] | None], blocks: list[_Block]) -> list[set[int]]:
    """For each rewrite item, the original's items it may not stand for because it restates
    (`restates`, from `_restates`) another item of the original that only mentions them: step 5
    of a recipe, "Add the diced tomatoes, onion and garlic", kept as it was, does not keep "1 can
    diced tomatoes" of the ingredient list; a restated "Term: explanation" item stands for its
    term, not for the terms its explanation names."""
    own = {n: k for k, n in enumerate(answer.held)}
    barred: list[set[int]] = []
    for block, best in zip(blocks, restates):
        if best is None or len(best[1].content) < RESTATED_MIN_WORDS:
            barred.append(set())  # a short item's words are too few to tell what it restates
            continue
        n, source = best
        mine = answer.keys[own[n]] if n in own else None  # an item said twice has one key twice: both are its own
        barred.append({k for k, key in enumerate(answer.keys)
                       if key != mine and _found_at(key, source.words, 0) is not None
                       and not (block.cap and _found_at(key, block.head, 0) is not None)})
    return barred


def _unmatched(keys: list[tuple[str, ...]], blocks: list[_Block], barred: list[set[int]] | None = None,
               whole: tuple[bool, ...] = (), folded: frozenset[int] = frozenset()) -> list[int]:
    """Keys that cannot each be given an item of their own in the rewrite (a matching: an item
    that names one thing cannot hold two of the original's). A key found only inside another
    item's explanation ("neural networks" under "Deep Learning") is not kept. The `folded` keys
    (sub-items the rewrite wrote into their parent's item, `_folded`) are kept there and take no
    item: "Euclidean geometry is for flat spaces" merged into "**Space Type**: ..." does not
    compete with "**Parallel Lines**" for the line that says "In Euclidean geometry, parallel
    lines do not meet"."""
    barred = barred or [set() for _ in blocks]
    whole = whole or (False,) * len(keys)
    in_head = [{j for j, b in enumerate(blocks) if _found_at(key, b.head, 0, whole[i]) is not None}
               for i, key in enumerate(keys)]
    # an item's own head first, then an item that mentions it further down
    fits = [[] if i in folded else
            sorted((j for j, b in enumerate(blocks) if i not in barred[j] and _found_at(key, b.words, 0, whole[i]) is not None),
                   key=lambda j, i=i: j not in in_head[i]) for i, key in enumerate(keys)]
    # a head that names one of the original's items stands for that one; a head that names none
    # is a new heading over several ("**Body**: exercise and a balanced diet")
    named = {j for heads in in_head for j in heads}
    capacity = [b.cap if b.cap and j in named else max(1, sum(1 for f in fits if j in f)) for j, b in enumerate(blocks)]
    holders: list[list[int]] = [[] for _ in blocks]

    def place(i: int, seen: set[int], heads_only: bool = False) -> bool:
        # augmenting path (Kuhn's algorithm), tens of items at most
        for j in fits[i]:
            if j in seen or (heads_only and j not in in_head[i]):
                continue
            seen.add(j)
            if len(holders[j]) < capacity[j]:
                holders[j].append(i)
                return True
            for other in list(holders[j]):
                # an item gives up a rewrite item that names it in its head only for another one that
                # does ("Person Singular: -t" named by every "Person Singular" head moves over for "-e")
                moved_off_head = j in in_head[other] and j not in in_head[i]
                holders[j].remove(other)
                holders[j].append(i)
                if place(other, seen, moved_off_head):
                    return True
                holders[j].remove(i)
                holders[j].append(other)
        return False

    order = sorted((i for i in range(len(keys)) if i not in folded), key=lambda i: not in_head[i])  # named in a head first
    return sorted(i for i in order if not place(i, set()))


def _folded(answer: ListAnswer, blocks: list[_Block], restates: list[tuple[int, _Block] | None]) -> frozenset[int]:
    """The sub-items a rewrite folded into their parent's item: an item of the rewrite headed by
    the parent says them ("1. Fruits / - Apple / - Banana" rewritten "1. **Fruits**: apple,
    banana", or with the sub-items as a paragraph under "1. Fruits"), or, when the parent is a
    sentence no key holds ("1. Roll the d4 to determine the size of the city:"), an item of the
    rewrite that restates that line (`restates`) says them in what it adds to it ("...: 1: Small
    town; 2: Medium town; 3: Large town; 4: City"; the line's own "city" keeps no "4: City")."""
    out = set()
    for i, (p, line) in enumerate(zip(answer.parent, answer.under)):
        whole = answer.times[i] > 1
        if p is not None and any(_found_at(answer.keys[p], b.head, 0, answer.times[p] > 1) is not None
                                 and _found_at(answer.keys[i], b.words, 0, whole) is not None for b in blocks):
            out.add(i)
        elif p is None and line is not None and any(
                r is not None and r[0] == line and _found_at(answer.keys[i], _less(b.words, r[1].words), 0, whole) is not None
                for b, r in zip(blocks, restates)):
            out.add(i)
    return frozenset(out)


def _less(words: list[str], taken: list[str]) -> list[str]:
    """`words` without one occurrence of each word of `taken`: what a rewrite item adds to the
    line it restates."""
    left = {}
    for w in taken:
        left[w] = left.get(w, 0) + 1
    out = []
    for w in words:
        if left.get(w, 0):
            left[w] -= 1
        else:
            out.append(w)
    return out


def _out_of_order(answer: ListAnswer, candidate: str) -> str | None:
    """The first item of one of the original's lists that the rewrite no longer puts after the
    one before it, or None. A list of the original keeps its order when a list of the rewrite has
    its items one rewrite item after the other, or else when the rest of the rewrite (its prose,
    a table, an inline list) has them in order, leaving out the lists of the rewrite that have all
    its items out of order: a list that states the items twice, or a conclusion that names them
    again, cannot stand in for the list that was reordered. Words are placed at the earliest spot
    after the previous item (such a placement exists whenever any does)."""
    text = candidate.strip()
    found = list(_MARKED.finditer(text))
    which = _list_of(text, found)
    spans: dict[int, list[tuple[int, int]]] = {}
    for k, m in enumerate(found):
        end = found[k + 1].start() if k + 1 < len(found) else len(text)
        if k + 1 == len(found) or which[k + 1] != which[k]:
            tail = _TAIL.search(text, m.end(), end)  # the prose after a list is not its last item
            end = tail.start() if tail is not None else end
        spans.setdefault(which[k], []).append((m.start(), end))
    blocks = {n: [_words(_MARKER.sub("", text[a:b])) for a, b in sp] for n, sp in spans.items()}
    whole = [t > 1 for t in answer.times]

    def in_order(mine: list[int], seq: list[list[str]], per_item: bool) -> str | None:
        at, prev = 0, None
        for i in mine:
            if per_item:  # each in an item of its own, after the previous one's; a sub-item may
                # share its parent's item, or its sibling's ("- **Fruits**: apple; banana")
                p = answer.parent[i] if i < len(answer.parent) else None
                folded = p is not None and prev is not None and p in (prev, answer.parent[prev])
                start = at - 1 if folded and at else at
                j = next((j for j in range(start, len(seq)) if _found_at(answer.keys[i], seq[j], 0, whole[i]) is not None), None)
            else:
                j = _found_at(answer.keys[i], seq[0], at, whole[i])
            if j is None:
                return answer.items[i]
            at, prev = j + 1, i
        return None

    for g in sorted(set(answer.group)):
        mine = [i for i, x in enumerate(answer.group) if x == g]
        if len(mine) < 2 or any(in_order(mine, bs, True) is None for bs in blocks.values()):
            continue
        covering = {n for n, bs in blocks.items()
                    if all(any(_found_at(answer.keys[i], b, 0, whole[i]) is not None for b in bs) for i in mine)}
        rest, last = [], 0
        for a, b in sorted(x for n in covering for x in spans[n]):
            rest.append(text[last:a])
            last = b
        rest.append(text[last:])
        moved = in_order(mine, [_words(_MARKER.sub("", " ".join(rest)))], False)
        if moved is not None:
            return moved
    return None


def check_list(inp: CheckInput, answer: ListAnswer | None = None) -> CheckResult:
    answer = answer if answer is not None else read_list(inp.instruction, inp.original)
    if answer is None:
        return CheckResult(name=NAME, passed=True, reason="the original is not a list answer")
    # the original's lead-in or conclusion kept as written ("Governments can use both fiscal and
    # monetary policies ...") keeps none of the items it mentions
    candidate = _without_framing(_prose(inp.candidate), answer.framing)
    words = _words(_MARKER.sub("", candidate))
    whole = tuple(t > 1 for t in answer.times)
    missing = [item for item, key, w in zip(answer.items, answer.keys, whole) if _found_at(key, words, 0, w) is None]
    for item, key, times in zip(answer.items, answer.keys, answer.times):
        if times > 1 and item not in missing and any(words.count(w) < times for w in key):
            missing.append(item)  # "Exercise" beside "Mindful breathing exercises": named once is one of them
    if not missing and not answer.sentences:
        # (a sentence item is found by its words anywhere near each other: a rewrite may split its
        # sentences into bullets of their own, or merge items, so it takes no rewrite item of its own)
        text = candidate.strip()
        blocks = _blocks(text, answer.explained)
        if len(blocks) < MIN_ITEMS and ("#" in text or "**" in text):
            blocks = _heading_blocks(text, answer.keys, answer.explained) or blocks
        if len(blocks) < MIN_ITEMS and answer.inline and "\n" not in text and len(text) <= 2 * INLINE_MAX_CHARS:
            # a one-line list rewritten as one: its parts are its items
            blocks = [_Block(_words(p), 1, _words(p), frozenset()) for p in _inline_parts(text.strip("[](){}. ")) if p]
        # the rewrite is a list too: each item needs one of its own
        if len(blocks) >= MIN_ITEMS:
            restates = [] if answer.inline else _restates(_prose(inp.original), blocks)
            barred = None if answer.inline else _restated(answer, restates, blocks)
            folded = frozenset() if answer.inline else _folded(answer, blocks, restates)
            missing = [answer.items[i] for i in _unmatched(answer.keys, blocks, barred, whole, folded)]
        elif blocks and not answer.inline:
            # fewer items than a list (a list of five cut to two, or to one item and prose): each
            # item of the original needs an item of its own or a mention in the prose around them;
            # a term named only in another item's explanation was dropped
            prose = _outside(text)
            blocks = blocks + [_Block(_words(prose), 0, [], frozenset())]
            restates = _restates(_prose(inp.original), blocks[:-1]) + [None]
            barred = _restated(answer, restates[:-1], blocks[:-1]) + [set()]
            folded = _folded(answer, blocks, restates)
            missing = [answer.items[i] for i in _unmatched(answer.keys, blocks, barred, whole, folded)]
        elif answer.inline:  # "F, A, A, F": a repeated item must be there as many times
            for key in set(answer.keys):
                if len(key) == 1 and answer.keys.count(key) > 1 and words.count(key[0]) < answer.keys.count(key):
                    missing.append(answer.items[answer.keys.index(key)])
    if not missing and answer.sentences:
        unasked = _asked_questions(answer, candidate)
        if unasked:
            shown = ", ".join(repr(m[:40]) for m in unasked[:4]) + (" ..." if len(unasked) > 4 else "")
            return CheckResult(name=NAME, passed=False,
                               reason=f"the rewrite no longer asks {len(unasked)} of the original's "
                                      f"{len(answer.items)} questions: {shown}")
    if missing:
        shown = ", ".join(repr(m[:40]) for m in missing[:4]) + (" ..." if len(missing) > 4 else "")
        return CheckResult(name=NAME, passed=False,
                           reason=f"the rewrite drops {len(missing)} of the original's {len(answer.items)} "
                                  f"list items: {shown}")
    if order_asked(inp.task, inp.instruction):
        moved = _out_of_order(answer, candidate)
        if moved is not None:
            return CheckResult(name=NAME, passed=False,
                               reason=f"the rewrite changes the order the request asked for: {moved[:40]!r} "
                                      f"is no longer where the original put it")
    return CheckResult(name=NAME, passed=True,
                       reason=f"keeps all {len(answer.items)} list items"
                              + (" in order" if order_asked(inp.task, inp.instruction) else ""))


def make_check(options: VerifyOptions) -> Check:
    def check(inp: CheckInput) -> CheckResult:
        return check_list(inp)

    return check
