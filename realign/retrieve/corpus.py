"""Read corpus documents (JSONL or Parquet) for indexing, reporting bad rows instead of failing.

A document is a mapping with an id, an optional title and a text; the field names are
configurable. Rows that cannot be used (invalid UTF-8, bad JSON, not an object, missing or empty
text) come back as `BadCorpusRow` with the file and the 1-based line (JSONL) or row (Parquet)
number, so the caller can count and report them and go on.

Example:
    >>> for item in read_corpus(["wiki.jsonl"]):           # doctest: +SKIP
    ...     if isinstance(item, BadCorpusRow):
    ...         print(item.describe())
    ...     else:
    ...         print(item.doc_id, item.title)
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass
from typing import IO, Any, Iterator

from pydantic import BaseModel

from realign.errors import InputError

PARQUET_SUFFIXES = (".parquet", ".pq")


class BadCorpusRow(BaseModel):
    """A corpus row that was skipped, with where it is and why."""

    file: str
    line: int  # 1-based line (JSONL) or row (Parquet) number
    reason: str

    def describe(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    text: str
    file: str
    line: int


@dataclass(frozen=True)
class FieldMap:
    id: str = "id"  # document id; a missing id falls back to "<file name>:<line>"
    title: str = "title"  # optional; a missing title is ""
    text: str = "text"  # required and non-empty, else the row is bad


def check_corpus_files(paths: list[str]) -> None:
    """Raise InputError unless every path is an existing, readable file."""
    if not paths:
        raise InputError("no corpus file given: pass at least one JSONL or Parquet file with --corpus")
    for p in paths:
        if not os.path.exists(p):
            raise InputError(f"corpus file not found: {p}")
        if not os.path.isfile(p):
            raise InputError(f"corpus path is not a file: {p}")
        if not os.access(p, os.R_OK):
            raise InputError(f"corpus file is not readable: {p}")


def read_corpus(paths: list[str], fields: FieldMap = FieldMap()) -> Iterator[Document | BadCorpusRow]:
    """Yield documents and bad rows from each file in turn, in file order (streams; O(1) memory)."""
    check_corpus_files(paths)
    for path in paths:
        if path.lower().endswith(PARQUET_SUFFIXES):
            yield from _read_parquet(path, fields)
        else:
            yield from _read_jsonl(path, fields)


def _open_binary(path: str) -> IO[bytes]:
    if path.lower().endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


def _read_jsonl(path: str, fields: FieldMap) -> Iterator[Document | BadCorpusRow]:
    with _open_binary(path) as f:
        for line_no, raw in enumerate(f, start=1):
            if not raw.strip():
                continue  # blank lines are not rows
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                yield BadCorpusRow(file=path, line=line_no, reason=f"invalid UTF-8 at byte {e.start}")
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                yield BadCorpusRow(file=path, line=line_no, reason=f"bad JSON: {e.msg} (column {e.colno})")
                continue
            if not isinstance(obj, dict):
                yield BadCorpusRow(
                    file=path, line=line_no, reason=f"expected a JSON object, got {type(obj).__name__}"
                )
                continue
            yield _to_document(obj, path, line_no, fields)


def _read_parquet(path: str, fields: FieldMap) -> Iterator[Document | BadCorpusRow]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as e:  # pyarrow raises several types for a corrupt / non-Parquet file
        raise InputError(f"cannot read Parquet file {path}: {e}") from None
    names = set(pf.schema_arrow.names)
    if fields.text not in names:
        raise InputError(
            f"{path}: no text column '{fields.text}' (columns: {', '.join(sorted(names))}); "
            "name the right one with the text field option"
        )
    columns = [c for c in (fields.id, fields.title, fields.text) if c in names]
    row_no = 0
    for batch in pf.iter_batches(batch_size=4096, columns=columns):
        for obj in batch.to_pylist():
            row_no += 1
            yield _to_document(obj, path, row_no, fields)


def _as_str(value: Any) -> str | None:
    """A field value as text: str as is, bytes decoded strictly, numbers formatted; else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8")  # UnicodeDecodeError is handled by the caller
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return str(value)
    return None


def _to_document(obj: dict[str, Any], path: str, line: int, fields: FieldMap) -> Document | BadCorpusRow:
    try:
        text = _as_str(obj.get(fields.text))
        doc_id = _as_str(obj.get(fields.id))
        title = _as_str(obj.get(fields.title)) or ""
    except UnicodeDecodeError as e:
        return BadCorpusRow(file=path, line=line, reason=f"invalid UTF-8 in a field at byte {e.start}")
    if text is None:
        why = "missing" if obj.get(fields.text) is None else f"not a string ({type(obj[fields.text]).__name__})"
        return BadCorpusRow(file=path, line=line, reason=f"text field '{fields.text}' is {why}")
    if not text.strip():
        return BadCorpusRow(file=path, line=line, reason=f"text field '{fields.text}' is empty")
    if doc_id is None or not doc_id.strip():
        doc_id = f"{os.path.basename(path)}:{line}"
    try:  # JSON escapes can smuggle in lone surrogates, which cannot be stored as UTF-8
        text.encode("utf-8")
        title.encode("utf-8")
        doc_id.encode("utf-8")
    except UnicodeEncodeError:
        return BadCorpusRow(file=path, line=line, reason="invalid Unicode (a lone surrogate escape)")
    return Document(doc_id=doc_id, title=title, text=text, file=path, line=line)
