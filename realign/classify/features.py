"""Text features of the embedded classifier: character and word n-grams, pure Python + numpy.

The same code turns text into features at training time (`char_hashes`, `word_feats`, building
the vocabulary) and at inference time (`Featurizer.transform`, looking the vocabulary up), so the two can never
drift apart. Features are:

- character 3..5-grams of the normalised text (lowercased, digits folded to `0`, whitespace
  runs collapsed), which catch stems, typos, code punctuation and other languages' scripts;
- word unigrams and bigrams (punctuation marks count as words, so `?`, `{`, `def` all matter);
- the first two words of the text, marked as such ("how" opening a text is a strong cue);
- a length bucket, and whether an input part follows (with its length and whether the
  instruction is a question): the passage is what separates closed_qa from open_qa, or
  topic_classification from a general question.

The text is split into the instruction and the pasted input: at its first blank line (how
`instruction\n\ninput` rows arrive), else after its first sentence when a long passage follows on
the same line ("What is the history of X? x was founded in ..."), as real users often paste,
unless the text ends in a question mark (a word problem states facts, then asks). Character n-grams and the word features above come from the
instruction alone; the input part only adds its own word unigrams and bigrams, as a separate,
down-weighted block (`INPUT_WEIGHT`): pasted passages carry content words that say little about
the task and used to pull predictions towards whatever the passage was about.

Character n-grams are hashed to 64 bits with a vectorised polynomial hash over the whole
batch (numpy, no Python loop per n-gram) and looked up in the sorted array of the hashes seen
in training; word features are looked up by string. Values are sublinear term frequency times idf, L2-normalised separately within the character
block, the instruction-word block and the input-word block (as in scikit-learn's
`TfidfVectorizer(sublinear_tf=True)`), the input block then scaled by `INPUT_WEIGHT`.
Long texts (pasted documents, code) are cut to their head and tail: the request usually sits
at one end, and the cut bounds the cost per text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Sequence

import numpy as np

FEATURES_VERSION = 5  # bump when features change; models record it and older ones are refused
CHAR_ORDERS = (3, 4, 5)
HEAD_CHARS = 700  # characters kept from the start of a long text
TAIL_CHARS = 300  # ... and from its end
WORD_MARK = "\x01"  # prefix of word features; never survives normalisation, so no clash with chars
INPUT_MARK = "\x02"  # prefix of the input part's word features
INPUT_WEIGHT = 0.5  # weight of the input-word block relative to the instruction blocks
_DIGITS = re.compile(r"\d")
_SPACE = re.compile(r"\s+")
_WORDS = re.compile(r"\w+|[^\w\s]")
_SENTENCE_END = re.compile(r"(?<=[.?!:])\s+(?=\S)")
INLINE_MIN_INPUT_WORDS = 15  # a same-line remainder this long is treated as pasted input ...
INLINE_MAX_HEAD_WORDS = 40  # ... when the first sentence (the request) is at most this long


def normalize(text: str) -> str:
    """Lowercase, fold digits, collapse whitespace, keep head and tail of a long text."""
    if len(text) > HEAD_CHARS + TAIL_CHARS:
        text = text[:HEAD_CHARS] + " \u2026 " + text[-TAIL_CHARS:]
    text = _SPACE.sub(" ", text.lower()).strip()
    return _DIGITS.sub("0", text).replace(WORD_MARK, " ").replace(INPUT_MARK, " ").replace("\x00", " ")


def split_input(text: str) -> tuple[str, str]:
    """(instruction, input): the text before and after its first blank line; without one, the
    first sentence and the rest when the rest is a passage of its own and the text does not end
    in a question (see the module docstring)."""
    text = text.strip()
    head, sep, tail = text.partition("\n\n")
    if sep:
        return head, tail
    m = _SENTENCE_END.search(text)
    if m and not text.endswith("?"):
        # A text ending in a question carries its request at the end (a word problem, a
        # scenario then "what should I do?"): its first sentence is set-up, not the request.
        head, tail = text[: m.start()], text[m.end() :]
        # maxsplit bounds the work on long pastes: only "at least 15" / "at most 40" matters
        if (
            len(tail.split(maxsplit=INLINE_MIN_INPUT_WORDS)) >= INLINE_MIN_INPUT_WORDS
            and len(head.split(maxsplit=INLINE_MAX_HEAD_WORDS)) <= INLINE_MAX_HEAD_WORDS
        ):
            return head, tail
    return text, ""


def normalize_parts(text: str) -> tuple[str, str]:
    """The normalised instruction and input parts of a text."""
    head, tail = split_input(text)
    return normalize(head), normalize(tail)


_P = np.uint64(1000003)  # multiplier of the polynomial n-gram hash (uint64 arithmetic wraps)
_ORDER_SALT = {n: np.uint64((n * 0x9E3779B97F4A7C15) % 2**64) for n in CHAR_ORDERS}


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, vectorised: spreads the polynomial hash over all 64 bits."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def char_hashes(norms: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(text index, 64-bit hash) of every character n-gram of already normalised texts.

    Each text is padded with a space on both sides; n-grams never span two texts.
    """
    if not norms:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    joined = "\x00".join(f" {s} " for s in norms)
    u = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    seps = np.zeros(len(u) + 1, dtype=np.int64)
    np.cumsum(u == 0, out=seps[1:])  # seps[i]: separators in u[:i], i.e. the text index at i
    docs, hashes = [], []
    with np.errstate(over="ignore"):
        for n in CHAR_ORDERS:
            m = len(u) - n + 1
            if m <= 0:
                continue
            h = u[:m].copy()
            for k in range(1, n):
                h *= _P
                h += u[k : k + m]
            valid = seps[n : n + m] == seps[:m]  # no separator inside the window
            docs.append(seps[:m][valid])
            hashes.append(_mix(h[valid] + _ORDER_SALT[n]))
    return np.concatenate(docs), np.concatenate(hashes)


def _length_bucket(n_words: int) -> str:
    for limit in (3, 8, 16, 32, 64, 128):
        if n_words <= limit:
            return f"{WORD_MARK}#len<={limit}"
    return f"{WORD_MARK}#len>128"


# Words skipped when looking for the first content word (usually the verb: "please *list*...").
_LEAD_STOP = frozenset(
    "please can could would you i me kindly now ok okay hey hi so just also then and the a an to for "
    "of in on with this that following given below above here there is are be will should want need "
    "like help pls let us s do task your my".split()
)


def word_feats(norm: str) -> list[str]:
    """Word unigrams and bigrams, the first word and first two words, the first one or two content
    words (stop words and punctuation skipped), a length bucket."""
    words = _WORDS.findall(norm)
    m = WORD_MARK
    feats = [m + w for w in words]
    feats.extend([f"{m}{a} {b}" for a, b in zip(words, words[1:])])
    if words:
        feats.append(f"{m}^{words[0]}")
        if len(words) > 1:
            feats.append(f"{m}^{words[0]} {words[1]}")
    content = [w for w in words[:12] if w.isalpha() and w not in _LEAD_STOP][:2]
    if content:
        feats.append(f"{m}V:{content[0]}")
        if len(content) > 1:
            feats.append(f"{m}V:{content[0]} {content[1]}")
    feats.append(_length_bucket(len(words)))
    return feats


def input_feats(norm: str) -> list[str]:
    """Word unigrams and bigrams of the (normalised) input part, marked as such."""
    words = _WORDS.findall(norm)
    m = INPUT_MARK
    feats = [m + w for w in words]
    feats.extend([f"{m}{a} {b}" for a, b in zip(words, words[1:])])
    return feats


def text_word_feats(parts: tuple[str, str]) -> list[str]:
    """All word features of a text given its normalised (instruction, input) parts."""
    feats = word_feats(parts[0])
    m = WORD_MARK
    if parts[1]:
        n = len(parts[1].split())
        feats.append(f"{m}#input")
        feats.append(f"{m}#input<=8" if n <= 8 else f"{m}#input<=40" if n <= 40 else f"{m}#input>40")
        if parts[0].rstrip().endswith("?"):
            feats.append(f"{m}#question+input")
        feats.extend(input_feats(parts[1]))
    else:
        feats.append(f"{m}#noinput")
    return feats


@dataclass
class Featurizer:
    """Maps texts to sparse tf-idf rows over a fixed vocabulary.

    Columns: first the character n-grams (`char_keys`, their sorted 64-bit hashes: column i is
    `char_keys[i]`), then the word features (`words`: feature string -> column).
    `idf` has one extra trailing zero entry: the column every unknown word feature maps to.
    """

    char_keys: np.ndarray  # uint64, sorted, len n_char
    words: dict[str, int]  # word feature -> column (n_char ...)
    idf: np.ndarray  # float32, n_char + len(words) + 1
    input_weight: float = INPUT_WEIGHT

    def __post_init__(self) -> None:
        # Block of every column: 0 characters, 1 instruction words, 2 input words.
        block = np.zeros(self.unknown + 1, dtype=np.int64)
        block[self.n_char :] = 1
        for f, col in self.words.items():
            if f.startswith(INPUT_MARK):
                block[col] = 2
        self.block = block
        self.block_weight = np.array([1.0, 1.0, self.input_weight], dtype=np.float64)

    @property
    def n_char(self) -> int:
        return len(self.char_keys)

    @property
    def unknown(self) -> int:
        return self.n_char + len(self.words)

    def transform(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR arrays (indptr, indices, values) of the texts' tf-idf rows, columns sorted per row."""
        parts = [normalize_parts(t) for t in texts]
        n_docs = len(parts)
        cdoc, ch = char_hashes([p[0] for p in parts])
        if self.n_char:
            pos = np.searchsorted(self.char_keys, ch)
            pos[pos == self.n_char] = 0
            hit = self.char_keys[pos] == ch
            cdoc, ccol = cdoc[hit], pos[hit].astype(np.int64)
        else:
            cdoc, ccol = cdoc[:0], np.zeros(0, dtype=np.int64)
        get, unk = self.words.get, repeat(self.unknown)
        wlists = [list(map(get, text_word_feats(p), unk)) for p in parts]
        lengths = np.fromiter(map(len, wlists), dtype=np.int64, count=n_docs)
        wcol = np.fromiter(chain.from_iterable(wlists), dtype=np.int64, count=int(lengths.sum()))
        wdoc = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
        known = wcol != self.unknown
        doc = np.concatenate([cdoc, wdoc[known]])
        col = np.concatenate([ccol, wcol[known]])
        width = self.unknown + 1
        keys, counts = np.unique(doc * width + col, return_counts=True)
        doc_u = keys // width
        col = keys % width
        val = (1.0 + np.log(counts)).astype(np.float32) * self.idf[col]
        # L2-normalise each block (character / instruction words / input words) of each row on
        # its own, then weight the blocks.
        blk = self.block[col]
        slot = doc_u * 3 + blk
        norms2 = np.sqrt(np.bincount(slot, weights=val.astype(np.float64) ** 2, minlength=3 * n_docs))
        norms2[norms2 == 0] = 1.0
        val = (val * (self.block_weight[blk] / norms2[slot])).astype(np.float32)
        indptr = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(np.bincount(doc_u, minlength=n_docs), out=indptr[1:])
        return indptr, col, val
