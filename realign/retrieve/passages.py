"""On-disk passage store: one JSON line per passage plus an offsets array, read through mmap.

`passages.jsonl` is an ordinary JSONL file (line i = passage number i in the BM25 index:
{"doc_id", "passage", "title", "text"}), so it can be inspected with any tool;
`passages.offsets.npy` holds the n + 1 byte offsets of the lines. Looking a passage up reads
one slice of a memory-mapped file: O(1), and the resident memory is only the pages touched.
"""

from __future__ import annotations

import json
import mmap
import os
from dataclasses import dataclass
from typing import IO

import numpy as np

PASSAGES_FILE = "passages.jsonl"
OFFSETS_FILE = "passages.offsets.npy"


@dataclass(frozen=True)
class Passage:
    number: int  # row in the index
    doc_id: str
    passage: int  # 0-based passage number within the document
    title: str
    text: str

    @property
    def passage_id(self) -> str:
        return passage_id(self.doc_id, self.passage)


def passage_id(doc_id: str, passage: int) -> str:
    """The id a hit is known by: '<doc id>#<passage number>'."""
    return f"{doc_id}#{passage}"


class PassageWriter:
    """Appends passages; `close()` writes the offsets file."""

    def __init__(self, directory: str) -> None:
        self._dir = directory
        self._f: IO[bytes] = open(os.path.join(directory, PASSAGES_FILE), "wb")
        # offsets grow in a compact typed array, not a list of Python ints
        self._offsets = np.empty(1 << 16, dtype=np.int64)
        self._offsets[0] = 0
        self._n = 0
        self._pos = 0

    def encode(self, doc_id: str, passage: int, title: str, text: str) -> bytes:
        """The line for one passage; raises UnicodeEncodeError on lone surrogates."""
        rec = {"doc_id": doc_id, "passage": passage, "title": title, "text": text}
        return (json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8")

    def write(self, line: bytes) -> int:
        """Append an encoded line; returns its passage number."""
        self._f.write(line)
        self._pos += len(line)
        self._n += 1
        if self._n + 1 > len(self._offsets):
            self._offsets = np.resize(self._offsets, len(self._offsets) * 2)
        self._offsets[self._n] = self._pos
        return self._n - 1

    def __len__(self) -> int:
        return self._n

    def close(self) -> None:
        self._f.close()
        np.save(os.path.join(self._dir, OFFSETS_FILE), self._offsets[: self._n + 1])


class PassageStore:
    """Read-only random access to the passages of an index directory."""

    def __init__(self, directory: str) -> None:
        self._offsets = np.load(os.path.join(directory, OFFSETS_FILE), mmap_mode="r")
        self._file = open(os.path.join(directory, PASSAGES_FILE), "rb")
        size = os.fstat(self._file.fileno()).st_size
        self._mm = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ) if size else None

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def get(self, number: int) -> Passage:
        if not 0 <= number < len(self) or self._mm is None:
            raise IndexError(f"passage {number} out of range (0..{len(self) - 1})")
        start, end = int(self._offsets[number]), int(self._offsets[number + 1])
        rec = json.loads(self._mm[start:end])
        return Passage(number, rec["doc_id"], rec["passage"], rec["title"], rec["text"])

    def close(self) -> None:
        if self._mm is not None:
            self._mm.close()
        self._file.close()
