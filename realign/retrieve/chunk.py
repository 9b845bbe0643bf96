"""Split a document into overlapping passages of whole words.

Rule: words are whitespace-separated runs. Passage i holds words [i*step, i*step + size) where
step = size - overlap. A passage is emitted only if it adds words the previous one did not have,
so a document of `size` words or fewer is one passage and no passage is a pure copy of the
previous passage's tail. Whitespace inside a passage is normalised to single spaces.

Example:
    >>> chunk_words("a b c d e f g", size=4, overlap=1)
    ['a b c d', 'd e f g']
"""

from __future__ import annotations

from realign.errors import ConfigError


def check_chunking(size: int, overlap: int) -> None:
    if size < 1:
        raise ConfigError(f"chunk size must be at least 1 word, got {size}")
    if overlap < 0 or overlap >= size:
        raise ConfigError(f"chunk overlap must be between 0 and chunk size - 1 ({size - 1}), got {overlap}")


def chunk_words(text: str, size: int = 100, overlap: int = 20) -> list[str]:
    """The passages of `text` (see the module docstring for the rule); [] for blank text."""
    check_chunking(size, overlap)
    words = text.split()
    if not words:
        return []
    step = size - overlap
    passages = []
    start = 0
    while True:
        passages.append(" ".join(words[start : start + size]))
        if start + size >= len(words):
            break
        start += step
    return passages
