"""Read an instruction-tuning corpus into a stream of `Example` (or `BadRow`) records.

Where the rows come from (the *container*):

- ``*.jsonl`` / ``*.ndjson``: JSON Lines, read line by line in binary, so memory does not grow
  with the file and a line of invalid UTF-8 becomes a `BadRow` instead of a crash.
- ``*.json``: a JSON array of objects (parsed whole: keep big corpora in JSONL or Parquet), or
  JSON Lines under a ``.json`` name (detected from the first non-blank byte).
- ``*.parquet``: streamed in record batches with ``pyarrow.parquet.ParquetFile.iter_batches``.
- a folder written by ``datasets.Dataset.save_to_disk`` (memory-mapped, iterated in batches).
  A ``DatasetDict`` folder gives its ``train`` split (or its only split); write ``FOLDER:SPLIT``
  to pick another one.
- ``hf:NAME[:CONFIG][:SPLIT]``: a Hugging Face Hub dataset, streamed with
  ``datasets.load_dataset(NAME, CONFIG, split=SPLIT, streaming=True)``; the split defaults to
  ``train``. Write ``hf:NAME::SPLIT`` for a split without a config (see `parse_hf_spec`).

What the rows look like (the *shape*, one of `FORMATS`), detected from the keys of the first row
that matches one, or forced with ``format=``:

==========  =======================================  ======================================
shape       keys                                     turns
==========  =======================================  ======================================
messages    messages: [{role, content}], system?     as listed, a top-level system first
sharegpt    conversations: [{from, value}], system?  as listed, a top-level system first
alpaca      instruction, input?, output,             system?, history pairs, then user =
            system?, history? (LLaMA-Factory)        instruction [+ "\\n\\n" + input], output
dolly       instruction, context?, response          like alpaca with context as input
gsm8k       question, answer                         user = question, assistant = answer
prompt_     prompt, completion (TRL): strings or     user = prompt, assistant = completion;
completion  lists of {role, content}                 lists as listed, prompt first
==========  =======================================  ======================================

JSON Lines and JSON files may be gzip- or zstd-compressed (``.jsonl.gz``, ``.jsonl.zst``): the
compression is recognised by the file's first bytes and read on the fly.

The two conversation shapes accept either item convention (``{from, value}`` or
``{role, content}``), role names case-insensitively (human/user, gpt/assistant/chatgpt/bing/bard/
model, system/developer), and content as a string or a list of ``{"type": "text", "text": ...}``
parts (joined with newlines). Non-text parts make the row a `BadRow`: dropping them would leave a
conversation that no longer makes sense.

Function-calling rows are read whole. A turn that calls a tool becomes a ``tool_call`` turn: an
assistant message with ``tool_calls`` / ``function_call`` (OpenAI; its ``content`` may be null or
absent, `BARE_CONTENT_KEY` remembers which), ShareGPT's ``function_call`` / ``tool_call``, and an
assistant text holding a Hermes ``<tool_call>`` block. What a tool returned becomes a ``tool``
turn (``tool``, ``function``, ``observation``, ``ipython``; content given as a JSON object is held
as its JSON text). Their other keys (``tool_call_id``, ``name``, ``tool_calls``) stay in
`Turn.extra`, the row's ``tools`` among its other keys, the role as written in `ROLE_NAMES_KEY`
and the key order in `KEY_ORDER_KEY`, so the row's own shape is written back as read. A row needs
a user turn and either an assistant text or a tool call (a row of calls alone is read, and has
nothing to rewrite).

`Example.fields` keeps the flat shapes' own fields for the exporters: alpaca ``instruction`` and
``input``; dolly ``instruction``, ``input`` (its context) and ``category``; gsm8k ``question``.
The conversation shapes keep none.

Every turn is kept. A row becomes an `Example` when it has at least one user turn and at least
one assistant turn with non-blank content; anything wrong with a row (bad JSON, invalid UTF-8,
not an object, a missing or mistyped field, an empty response) gives a `BadRow` naming the
field and the problem; problems with the input as a whole raise `InputError`.

Ids: the row's own id (``id_field``, else the first present of `ID_FIELDS`; integers become
strings), else ``"h"`` + 16 hex digits of the SHA-256 of the row's canonical JSON (sorted keys,
no whitespace, null values dropped so the same row hashes alike from JSONL, Parquet or a
dataset). The position is not part of the hash: the same content gets the same id in any order.

Example:
    >>> for row in read_examples("data/alpaca.jsonl"):  # doctest: +SKIP
    ...     if isinstance(row, BadRow):
    ...         print(row.describe("data/alpaca.jsonl"))
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import hashlib
import io
import itertools
import json
import logging
import os
import re
import socket
import sys
from dataclasses import dataclass
from typing import Any, BinaryIO, Iterable, Iterator

from realign.errors import ConfigError, InputError
from realign.records import TOOL_ROLES, BadRow, Example, Turn, row_name

FORMATS = ("alpaca", "sharegpt", "messages", "dolly", "gsm8k", "prompt_completion")
CONTAINERS = ("jsonl", "json", "parquet", "hf_disk", "hf_hub")
ID_FIELDS = ("id", "idx", "uid", "example_id", "conversation_id")

# Shape detection: the first shape whose keys are all present (and not null) wins, in this order.
_SHAPE_KEYS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("messages", ("messages",)),
    ("sharegpt", ("conversations",)),
    ("alpaca", ("instruction", "output")),
    ("dolly", ("instruction", "response")),
    ("gsm8k", ("question", "answer")),
    ("prompt_completion", ("prompt", "completion")),
)
_DETECT_LIMIT = 1000  # rows looked at to detect the shape before giving up
_BATCH_ROWS = 1024  # rows per batch read from Parquet / a saved dataset

_ROLE_MAP = {
    "system": "system",
    "developer": "system",
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "chatgpt": "assistant",
    "bing": "assistant",
    "bard": "assistant",
    "model": "assistant",
    "function_call": "tool_call",
    "tool_call": "tool_call",
    "tool": "tool",
    "function": "tool",
    "observation": "tool",
    "ipython": "tool",
}
_CALL_KEYS = ("tool_calls", "function_call")  # an assistant message holding one of these calls a tool
_HERMES_CALL = re.compile(r"<tool_call>.*?</tool_call>", re.DOTALL)  # Hermes: a call written in the text


# --------------------------------------------------------------------------------------------
# containers


@dataclass(frozen=True)
class _Source:
    path: str  # as the user wrote it, for messages
    container: str
    location: str  # file / folder path, or the hub dataset name
    config: str | None = None  # hub config
    split: str | None = None  # hub or DatasetDict split


def parse_hf_spec(spec: str) -> tuple[str, str | None, str]:
    """Split ``hf:NAME[:CONFIG][:SPLIT]`` into ``(name, config, split)``.

    A missing or empty config is None; a missing or empty split is ``"train"``.

    >>> parse_hf_spec("hf:openai/gsm8k:main:test")
    ('openai/gsm8k', 'main', 'test')
    >>> parse_hf_spec("hf:tatsu-lab/alpaca")
    ('tatsu-lab/alpaca', None, 'train')
    >>> parse_hf_spec("hf:org/data::validation")
    ('org/data', None, 'validation')
    """
    if not spec.startswith("hf:"):
        raise InputError(f"{spec!r} is not a Hugging Face dataset spec: write hf:NAME[:CONFIG][:SPLIT]")
    parts = spec[3:].split(":")
    name = parts[0].strip()
    if not name or len(parts) > 3:
        raise InputError(
            f"{spec!r} is not a valid Hugging Face dataset spec: write hf:NAME[:CONFIG][:SPLIT], "
            "e.g. hf:openai/gsm8k:main:train (hf:NAME::SPLIT for a split without a config)"
        )
    config = parts[1].strip() if len(parts) > 1 and parts[1].strip() else None
    split = parts[2].strip() if len(parts) > 2 and parts[2].strip() else "train"
    return name, config, split


# json.loads recurses once per nesting level: a row nested deeper than Python's stack allows is
# bad input, quarantined like any other.
TOO_DEEP = "JSON nested too deeply to read (thousands of levels of [ or {)"


_MAGIC = {b"\x1f\x8b": "gzip", b"\x28\xb5\x2f\xfd": "zstd"}
_SUFFIX = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd"}


def _codec(path: str) -> str | None:
    """gzip / zstd when the file is compressed (by its first bytes), else None."""
    with open(path, "rb") as f:
        magic = f.read(4)
    for prefix, codec in _MAGIC.items():
        if magic.startswith(prefix):
            return codec
    return None


def _open(path: str) -> BinaryIO:
    """The file's bytes, decompressed on the fly when it is .gz or .zst (pyarrow's zstd codec)."""
    codec = _codec(path)
    if codec == "gzip":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if codec == "zstd":
        import pyarrow as pa

        return io.BufferedReader(pa.input_stream(path, compression="zstd"))  # type: ignore[arg-type]
    return open(path, "rb")


def _inner_name(path: str) -> str:
    """The name without its compression suffix: data.jsonl.gz -> data.jsonl."""
    root, ext = os.path.splitext(path)
    return root if ext.lower() in _SUFFIX else path


def _first_bytes(path: str, n: int = 4096) -> bytes:
    try:
        with _open(path) as f:
            head = f.read(n)
    except (OSError, EOFError) as e:
        raise InputError(f"{path}: cannot decompress it ({e}); is the file complete?") from None
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return head.lstrip()


def _wide_encoding(head: bytes) -> str | None:
    """"UTF-16" / "UTF-32" when the file starts like text in that encoding (a byte-order mark, or
    zero bytes beside the first ASCII character), else None. Windows tools write UTF-16 (PowerShell's
    `>`); read as UTF-8, every line of such a file would be quarantined as invalid UTF-8."""
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")) or head[:4] in (b"{\x00\x00\x00", b"[\x00\x00\x00",
                                                                             b"\x00\x00\x00{", b"\x00\x00\x00["):
        return "UTF-32"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:2] in (b"{\x00", b"[\x00", b"\x00{", b"\x00["):
        return "UTF-16"
    return None


def _resolve(path: str) -> _Source:
    """Work out the container of `path`; raise InputError when it cannot be read."""
    if path.startswith("hf:"):
        name, config, split = parse_hf_spec(path)
        return _Source(path, "hf_hub", name, config, split)
    if os.path.isdir(path):
        return _Source(path, "hf_disk", path)
    if not os.path.exists(path):
        if os.path.islink(path):
            try:
                os.stat(path)
            except OSError as e:
                if e.errno == errno.ELOOP:
                    raise InputError(f"{path}: symbolic link loop (the link leads back to itself); "
                                     "point it at a real file") from None
            raise InputError(f"{path}: broken symbolic link to {os.readlink(path)}; point it at a real file")
        folder, sep, split = path.rpartition(":")
        if sep and folder and split and os.path.isdir(folder):
            return _Source(path, "hf_disk", folder, split=split)
        raise InputError(f"{path}: no such file or folder; check the path (or write hf:NAME for a Hub dataset)")
    if not os.path.isfile(path):
        raise InputError(f"{path}: not a regular file")
    if os.path.getsize(path) == 0:
        raise InputError(f"{path}: the file is empty; give a file with at least one row")

    lower = _inner_name(path).lower()
    with open(path, "rb") as f:
        magic = f.read(4)
    if lower.endswith(".parquet") or magic == b"PAR1":
        return _Source(path, "parquet", path)
    if _codec(path) is None and path.lower().endswith((".bz2", ".xz", ".zip")):
        raise InputError(f"{path}: this compression is not supported (.gz and .zst are); decompress it first")
    head = _first_bytes(path)
    wide = _wide_encoding(head)
    if wide:
        stem, ext = os.path.splitext(path)
        raise InputError(f"{path}: the file is {wide} text; realign reads UTF-8: convert it first, e.g. "
                         f"`iconv -f {wide} -t UTF-8 {path} > {stem}.utf8{ext}`")
    if not head:
        raise InputError(f"{path}: the file holds only whitespace; give a file with at least one row")
    suffix = os.path.splitext(path)[1].lower()
    if suffix in _SUFFIX and _codec(path) is None and head[:1] not in (b"{", b"["):
        # plain JSON under a compression suffix is read as it is; anything else is a broken or
        # mislabelled file, and reading it line by line would only report every line as bad JSON
        raise InputError(f"{path}: named {suffix} but not {_SUFFIX[suffix]}-compressed (its first bytes are "
                         f"neither {_SUFFIX[suffix]} nor JSON); compress it with {_SUFFIX[suffix]} or fix the name")
    if lower.endswith((".jsonl", ".ndjson")):
        return _Source(path, "jsonl", path)
    if head[:1] == b"[":
        return _Source(path, "json", path)
    if head[:1] == b"{":
        if not lower.endswith(".json") or _first_line_parses(path):
            return _Source(path, "jsonl", path)
        _reject_single_object(path)
        return _Source(path, "jsonl", path)
    raise InputError(
        f"{path}: unknown file type; expected JSON Lines (.jsonl), a JSON array (.json), "
        "Parquet (.parquet), a save_to_disk dataset folder, or hf:NAME"
    )


def _first_line_parses(path: str) -> bool:
    with _open(path) as f:
        for bline in f:
            if bline.strip():
                try:
                    json.loads(bline.decode("utf-8-sig"))
                    return True
                except (ValueError, RecursionError):
                    return False
    return False


def _reject_single_object(path: str) -> None:
    """A .json file starting with '{' whose first line is not JSON: one pretty-printed object?"""
    try:
        with _open(path) as f:
            whole = json.loads(f.read().decode("utf-8-sig"))
    except (ValueError, RecursionError):
        return  # not one object either: read it as JSON Lines, bad lines become BadRows
    if isinstance(whole, dict):
        raise InputError(
            f"{path}: holds a single JSON object; expected a JSON array of row objects "
            "or JSON Lines (one object per line)"
        )


# --------------------------------------------------------------------------------------------
# raw rows


@dataclass
class RawRecord:
    """One row as stored, before any shape is applied: what `read_records` yields."""

    index: int  # source_index
    line: int | None
    obj: Any = None  # the parsed JSON object; None when `error` is set
    raw: str = ""
    error: str | None = None  # set when the row could not even be parsed


_Raw = RawRecord


def _dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)


def type_name(value: Any) -> str:
    """A JSON value's type as a user reads it in an error ("int", "list", "object", "null")."""
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, bool):
        return "bool"
    return type(value).__name__


def _object_row(index: int, line: int | None, obj: Any, raw: str | None = None) -> _Raw:
    raw = _dump(obj) if raw is None else raw
    if not isinstance(obj, dict):
        return _Raw(index, line, None, raw, f"row must be a JSON object, got {type_name(obj)}")
    return _Raw(index, line, obj, raw)


def _without_column_fill(obj: Any) -> Any:
    """A row read from a columnar source (Parquet, a datasets folder or the hub) without the nulls
    its schema fills in: every row gets every column, and every turn struct every key any turn
    had (`"weight": null, "tool_calls": null` on a plain user turn). A null that stands for a
    missing key is dropped at the top level and in the turns; a turn's null text stays (an OpenAI
    tool call's `content` is null as written)."""
    if not isinstance(obj, dict):
        return obj
    out = {}
    for key, value in obj.items():
        if value is None:
            continue
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            value = [{k: v for k, v in turn.items() if v is not None or k in _TURN_TEXT_KEYS} for turn in value]
        out[key] = value
    return out


_TURN_TEXT_KEYS = ("content", "value")  # a turn's text, in the OpenAI and the ShareGPT layouts


def _iter_jsonl(src: _Source, start: int) -> Iterator[_Raw]:
    index = 0
    with _open(src.location) as f:
        for lineno, bline in enumerate(f, 1):
            if lineno == 1 and bline.startswith(b"\xef\xbb\xbf"):
                bline = bline[3:]
            if not bline or bline.isspace():
                continue  # blank lines are not rows
            if index < start:
                index += 1
                continue
            bline = bline.rstrip(b"\r\n")
            try:
                text = bline.decode("utf-8")
            except UnicodeDecodeError as e:
                bad = bline[e.start : e.start + 1].hex()
                yield _Raw(
                    index, lineno, None, bline.decode("utf-8", errors="replace"),
                    f"line is not valid UTF-8 (byte 0x{bad} at offset {e.start})",
                )
                index += 1
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as e:
                yield _Raw(index, lineno, None, text, f"line is not valid JSON: {_json_error(e)}")
            except RecursionError:
                yield _Raw(index, lineno, None, text[:1000], TOO_DEEP)
            else:
                yield _object_row(index, lineno, obj, text)
            index += 1


def _json_error(e: json.JSONDecodeError) -> str:
    # json's message may end in "at" already ("Unterminated string starting at")
    return f"{e.msg.removesuffix(' at')} at column {e.colno}"


def _load_json_array(src: _Source) -> list[Any]:
    with _open(src.location) as f:
        data = f.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{src.path}: not valid UTF-8 (byte at offset {e.start}); re-encode the file as UTF-8") from None
    del data
    try:
        rows = json.loads(text)
    except RecursionError:
        raise InputError(f"{src.path}: {TOO_DEEP}; convert it to JSON Lines so such a row is quarantined alone") from None
    except json.JSONDecodeError as e:
        raise InputError(
            f"{src.path}:{e.lineno}: not valid JSON ({_json_error(e)}); "
            "fix the file, or convert it to JSON Lines so one bad row does not spoil the rest"
        ) from None
    if not isinstance(rows, list):
        raise InputError(f"{src.path}: expected a JSON array of row objects, got a JSON {type_name(rows)}")
    return rows


def _iter_json_array(src: _Source, start: int) -> Iterator[_Raw]:
    rows = _load_json_array(src)
    for i in range(start, len(rows)):
        yield _object_row(i, None, rows[i])


def _open_parquet(src: _Source) -> Any:
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(src.location)
    except Exception as e:  # pyarrow raises ArrowInvalid, OSError ... for a damaged file
        raise InputError(f"{src.path}: cannot read this Parquet file ({e}); check that it is complete and valid") from None


def _iter_parquet(src: _Source, start: int) -> Iterator[_Raw]:
    pf = _open_parquet(src)
    meta = pf.metadata
    # skip whole row groups before `start` without reading them
    groups, first_row = [], 0
    for g in range(meta.num_row_groups):
        n = meta.row_group(g).num_rows
        if first_row + n <= start and not groups:
            first_row += n
            continue
        groups.append(g)
    if not groups:
        return
    index = first_row
    try:
        for batch in pf.iter_batches(batch_size=_BATCH_ROWS, row_groups=groups):
            for obj in batch.to_pylist():
                if index >= start:
                    yield _object_row(index, None, _without_column_fill(obj))
                index += 1
    except InputError:
        raise
    except Exception as e:
        raise InputError(f"{src.path}: cannot read this Parquet file at {row_name(index)} ({e}); check that it is complete and valid") from None


def _load_disk(src: _Source) -> Any:
    import datasets

    try:
        ds = datasets.load_from_disk(src.location)
    except Exception as e:
        raise InputError(
            f"{src.path}: not a dataset folder written by datasets' save_to_disk ({e}); "
            "give a .jsonl / .json / .parquet file or a save_to_disk folder"
        ) from None
    if isinstance(ds, datasets.DatasetDict):
        splits = list(ds.keys())
        split = src.split
        if split is None:
            split = "train" if "train" in ds else (splits[0] if len(splits) == 1 else None)
            if split is None:
                raise InputError(f"{src.path}: the dataset has splits {splits} and none is 'train'; write {src.location}:SPLIT")
        if split not in ds:
            raise InputError(f"{src.path}: no split {split!r} in this dataset; its splits are {splits}")
        ds = ds[split]
    elif src.split is not None:
        raise InputError(f"{src.path}: the dataset at {src.location} has no splits; drop ':{src.split}'")
    return ds


def _iter_disk(src: _Source, start: int) -> Iterator[_Raw]:
    ds = _load_disk(src)
    n = len(ds)
    if start >= n:
        return
    if start:
        ds = ds.select(range(start, n))
    index = start
    for batch in ds.iter(batch_size=_BATCH_ROWS):
        cols = list(batch.keys())
        size = len(batch[cols[0]]) if cols else 0
        for i in range(size):
            yield _object_row(index, None, _without_column_fill({c: batch[c][i] for c in cols}))
            index += 1


@contextlib.contextmanager
def _hub_quiet() -> Iterator[None]:
    """Hugging Face Hub and datasets log only errors inside the block (an unreachable Hub prints
    "Retrying in 8s [Retry 4/5]" lines before the one error realign gives)."""
    loggers = [logging.getLogger(name) for name in ("huggingface_hub", "datasets")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


_HUB_PROBE_SECONDS = 3.0


def hub_unreachable() -> str | None:
    """Why the Hub's host cannot be reached (name lookup or connect within 3 s), or None.

    Without a network the Hub client retries with back-off for about 25 s before it gives up;
    one connect attempt says the same at once. The host is HF_ENDPOINT's when that names a mirror.
    """
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}:
        return None  # the user chose offline: the Hub client reads its cache without asking
    from urllib.parse import urlsplit

    endpoint = urlsplit(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    host, port = endpoint.hostname or "huggingface.co", endpoint.port or (80 if endpoint.scheme == "http" else 443)
    try:
        socket.create_connection((host, port), timeout=_HUB_PROBE_SECONDS).close()
    except OSError as e:
        return f"{host}:{port} is not reachable ({e.strerror or type(e).__name__})"
    return None


def use_hub_cache_only() -> None:
    """Make the Hub client read only its local cache (a dataset loaded before still loads), for the
    rest of the process: the probe found no network, and a CLI run is one process."""
    os.environ["HF_HUB_OFFLINE"] = "1"  # read at import by huggingface_hub and datasets ...
    for module, name in (("huggingface_hub.constants", "HF_HUB_OFFLINE"), ("datasets.config", "HF_HUB_OFFLINE")):
        loaded = sys.modules.get(module)  # ... so set it where they were imported already
        if loaded is not None and hasattr(loaded, name):
            setattr(loaded, name, True)


def _iter_hub(src: _Source, start: int) -> Iterator[_Raw]:
    what = f"Hugging Face dataset {src.location!r} (config {src.config!r}, split {src.split!r})"
    unreachable = hub_unreachable()
    if unreachable:
        use_hub_cache_only()
    import datasets

    try:
        with _hub_quiet():  # the Hub client logs each of its retries; the error below says it once
            ds = datasets.load_dataset(src.location, src.config, split=src.split, streaming=True)
            if start:
                ds = ds.skip(start)
            rows = iter(ds)
    except Exception as e:
        if unreachable:
            raise InputError(
                f"{src.path}: cannot load the {what}: {unreachable} and no copy is in the local "
                f"Hugging Face cache ({type(e).__name__}); connect to the network once, or give a "
                "local .jsonl / .parquet / save_to_disk folder"
            ) from None
        raise InputError(
            f"{src.path}: cannot load the {what}: {e}; check the name, config and split, "
            "your network, and HF_TOKEN for gated datasets"
        ) from None
    index = start
    while True:
        try:
            obj = next(rows)
        except StopIteration:
            return
        except Exception as e:
            raise InputError(f"{src.path}: reading the {what} failed at {row_name(index)}: {e}") from None
        yield _object_row(index, None, _without_column_fill(obj))
        index += 1


_ITERATORS = {
    "jsonl": _iter_jsonl,
    "json": _iter_json_array,
    "parquet": _iter_parquet,
    "hf_disk": _iter_disk,
    "hf_hub": _iter_hub,
}


# --------------------------------------------------------------------------------------------
# shapes


def _shape_of(obj: dict[str, Any]) -> str | None:
    for shape, keys in _SHAPE_KEYS:
        if all(obj.get(k) is not None for k in keys):
            return shape
    return None


def _describe_shapes() -> str:
    return "; ".join(f"{s} ({', '.join(k)})" for s, k in _SHAPE_KEYS)


def _detect(src: _Source, rows: Iterator[_Raw]) -> tuple[str, list[_Raw]]:
    """Read rows until one has a known shape; return the shape and the rows read so far."""
    seen: list[_Raw] = []
    for r in itertools.islice(rows, _DETECT_LIMIT):
        seen.append(r)
        if r.obj is not None:
            shape = _shape_of(r.obj)
            if shape:
                return shape, seen
    if not seen:
        raise InputError(f"{src.path}: has no rows; give a file with at least one row")
    objs = [r for r in seen if r.obj is not None]
    if objs:
        keys = ", ".join(sorted(map(str, objs[0].obj.keys()))) or "none"
        raise InputError(
            f"{src.path}: cannot detect the format: the first row has keys [{keys}], which match none of "
            f"{_describe_shapes()}; rename the columns or pass --format ({'/'.join(FORMATS)})"
        )
    first = seen[0]
    where = f"line {first.line}" if first.line is not None else f"row {first.index}"
    raise InputError(
        f"{src.path}: no valid row in the first {len(seen)} rows ({where}: {first.error}); "
        "is this the right file?"
    )


class _RowError(Exception):
    def __init__(self, field: str | None, error: str) -> None:
        super().__init__(error)
        self.field = field
        self.error = error


def _get_str(row: dict[str, Any], key: str, *, required: bool, label: str | None = None) -> str:
    label = label or key
    if key not in row or row[key] is None:
        if required:
            raise _RowError(label, f"field '{label}' is missing" if key not in row else f"field '{label}' is null")
        return ""
    value = row[key]
    if not isinstance(value, str):
        raise _RowError(label, f"field '{label}' must be a string, got {type_name(value)}")
    return value


def _non_blank(text: str, field: str, what: str) -> None:
    if not text.strip():
        raise _RowError(field, f"{what} is empty")


def _join(instruction: str, extra: str) -> str:
    if instruction.strip() and extra.strip():
        return f"{instruction}\n\n{extra}"
    return instruction if instruction.strip() else extra


def _history_turns(row: dict[str, Any]) -> list[Turn]:
    """LLaMA-Factory alpaca extras: an optional `system` string and `history` [[user, assistant], ...]."""
    turns: list[Turn] = []
    system = _get_str(row, "system", required=False)
    if system.strip():
        turns.append(Turn(role="system", content=system))
    history = row.get("history")
    if history is None:
        return turns
    if not isinstance(history, (list, tuple)):
        raise _RowError("history", f"field 'history' must be a list of [user, assistant] pairs, got {type_name(history)}")
    for i, pair in enumerate(history):
        if (
            not isinstance(pair, (list, tuple))
            or len(pair) != 2
            or not all(isinstance(p, str) for p in pair)
        ):
            raise _RowError(f"history[{i}]", f"field 'history[{i}]' must be a [user, assistant] pair of strings")
        turns.append(Turn(role="user", content=pair[0]))
        turns.append(Turn(role="assistant", content=pair[1]))
    return turns


def _instruction_exchange(row: dict[str, Any], input_key: str, output_key: str) -> tuple[str, str, list[Turn]]:
    """Instruction, its extra input and the user/assistant pair of an Alpaca- or Dolly-shaped row."""
    instruction = _get_str(row, "instruction", required=True)
    extra = _get_str(row, input_key, required=False)
    output = _get_str(row, output_key, required=True)
    user = _join(instruction, extra)
    _non_blank(user, "instruction", "instruction")
    _non_blank(output, output_key, "response")
    return instruction, extra, [Turn(role="user", content=user), Turn(role="assistant", content=output)]


def _alpaca(row: dict[str, Any]) -> tuple[list[Turn], dict[str, Any]]:
    instruction, extra, exchange = _instruction_exchange(row, "input", "output")
    return _history_turns(row) + exchange, {"instruction": instruction, "input": extra}


def _dolly(row: dict[str, Any]) -> tuple[list[Turn], dict[str, Any]]:
    instruction, context, exchange = _instruction_exchange(row, "context", "response")
    fields: dict[str, Any] = {"instruction": instruction, "input": context}
    if row.get("category") is not None:
        fields["category"] = row["category"]
    return exchange, fields


def _gsm8k(row: dict[str, Any]) -> tuple[list[Turn], dict[str, Any]]:
    question = _get_str(row, "question", required=True)
    answer = _get_str(row, "answer", required=True)
    _non_blank(question, "question", "question")
    _non_blank(answer, "answer", "response")
    return [Turn(role="user", content=question), Turn(role="assistant", content=answer)], {"question": question}


def _content(value: Any, label: str) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        raise _RowError(label, f"field '{label}' is null")
    if isinstance(value, (list, tuple)):
        texts = []
        for j, part in enumerate(value):
            plabel = f"{label}[{j}]"
            if isinstance(part, str):
                texts.append(part)
                continue
            if not isinstance(part, dict):
                raise _RowError(plabel, f"field '{plabel}' must be a text part object, got {type_name(part)}")
            kind = part.get("type", "text")
            if kind != "text":
                raise _RowError(plabel, f"field '{plabel}' has type {kind!r}; only text parts are supported")
            text = part.get("text")
            if not isinstance(text, str):
                raise _RowError(f"{plabel}.text", f"field '{plabel}.text' must be a string, got {type_name(text)}")
            texts.append(text)
        return "\n".join(texts)
    raise _RowError(label, f"field '{label}' must be a string or a list of text parts, got {type_name(value)}")


def _conversation(row: dict[str, Any], key: str) -> tuple[list[Turn], dict[str, Any]]:
    if key not in row:
        raise _RowError(key, f"field '{key}' is missing")
    items = row[key]
    if not isinstance(items, (list, tuple)):
        raise _RowError(key, f"field '{key}' must be a list of turns, got {type_name(items)}")
    # the shape's own item keys first, the other convention accepted too
    default_role, default_content = ("from", "value") if key == "conversations" else ("role", "content")
    turns: list[Turn] = []
    system = row.get("system")
    system_turn = False  # the row's top-level `system` became its first turn
    if system is not None:
        if not isinstance(system, str):
            raise _RowError("system", f"field 'system' must be a string, got {type_name(system)}")
        if system.strip():
            turns.append(Turn(role="system", content=system))
            system_turn = True
    last_assistant: str | None = None  # label of the last assistant content, for the error
    role_names: dict[str, str] = {}  # turn index -> the role as written, where the shape names it otherwise
    bare: dict[str, str] = {}  # turn index -> "null" / "absent" / "json": a tool turn's content as read
    key_order: dict[str, list[str]] = {}  # turn index -> its keys in the order read, where not role, content, ...
    for i, item in enumerate(items):
        label = f"{key}[{i}]"
        if not isinstance(item, dict):
            raise _RowError(label, f"field '{label}' must be an object, got {type_name(item)}")
        role_key = next((k for k in (default_role, "from", "role") if item.get(k) is not None), default_role)
        content_key = next(
            (k for k in (default_content, "value", "content") if item.get(k) is not None),
            next((k for k in (default_content, "value", "content") if k in item), default_content),
        )
        rlabel = f"{label}.{role_key}"
        raw_role = item.get(role_key)
        if raw_role is None:
            raise _RowError(rlabel, f"field '{rlabel}' is missing")
        if not isinstance(raw_role, str):
            raise _RowError(rlabel, f"field '{rlabel}' must be a string, got {type_name(raw_role)}")
        name = raw_role.strip().lower()
        role = _ROLE_MAP.get(name)
        if role is None:
            raise _RowError(
                rlabel,
                f"field '{rlabel}' has unknown role {raw_role!r}; expected human/user, "
                "gpt/assistant/chatgpt/bing/bard/model, system, a tool call (function_call) or a tool "
                "result (tool/function/observation/ipython)",
            )
        if role == "assistant" and any(item.get(k) for k in _CALL_KEYS):
            role = "tool_call"
        clabel = f"{label}.{content_key}"
        value = item.get(content_key)
        if role == "tool_call" and value is None:
            # OpenAI writes a call's content as null, or leaves it out: written back the same way
            bare[str(len(turns))] = "null" if content_key in item else "absent"
            value = ""
        elif content_key not in item:
            raise _RowError(clabel, f"field '{clabel}' is missing")
        if role in TOOL_ROLES and isinstance(value, dict):
            # a result (or call) given as a JSON object, not a string: held as its JSON text
            bare[str(len(turns))] = "json"
            value = json.dumps(value, ensure_ascii=False)
        content = _content(value, clabel)
        if role == "assistant" and _HERMES_CALL.search(content):
            role = "tool_call"  # a Hermes call in the text: the text is the call, never reformatted
        extra = {k: v for k, v in item.items() if k not in (role_key, content_key)}  # weight, name, tool_call_id ...
        if raw_role != OWN_ROLE_NAMES[key][role]:  # "user" under ShareGPT's `from`, "developer", "Human"
            role_names[str(len(turns))] = raw_role
        if list(item) != [role_key, *([content_key] if content_key in item else []), *extra]:
            key_order[str(len(turns))] = list(item)  # e.g. {"role", "tool_call_id", "content"}
        turns.append(Turn(role=role, content=content, extra=extra))  # type: ignore[arg-type]
        if role == "assistant":
            last_assistant = clabel
    if not any(t.role == "user" and t.content.strip() for t in turns):
        raise _RowError(key, f"field '{key}' has no user turn with content")
    if not any(t.role == "assistant" and t.content.strip() or t.role == "tool_call" for t in turns):
        if last_assistant is None:
            raise _RowError(key, f"field '{key}' has no assistant turn")
        raise _RowError(last_assistant, "response is empty")
    # the row's other keys (source, tags, ...) under "extra", so nothing reads them as an alpaca
    # row's instruction; the sharegpt / messages exports write them back beside the turns. A blank
    # `system` made no turn: it stays a key. One that did is marked, so the export of the row's own
    # shape puts it back at the top (LLaMA-Factory reads ShareGPT's system prompt from there)
    extra = {k: v for k, v in row.items() if k != key and not (k == "system" and system_turn)}
    fields: dict[str, Any] = {"extra": extra} if extra else {}
    if system_turn:
        fields[SYSTEM_KEY] = True
    if role_names:
        fields[ROLE_NAMES_KEY] = role_names
    if bare:
        fields[BARE_CONTENT_KEY] = bare
    if key_order:
        fields[KEY_ORDER_KEY] = key_order
    return turns, fields


def _prompt_completion(row: dict[str, Any]) -> tuple[list[Turn], dict[str, Any]]:
    """TRL's prompt-completion rows: each side a string or a list of {role, content} messages."""
    messages: list[Any] = []
    for key, role in (("prompt", "user"), ("completion", "assistant")):
        value = row.get(key)
        if value is None:
            raise _RowError(key, f"field '{key}' is missing")
        if isinstance(value, str):
            messages.append({"role": role, "content": value})
        elif isinstance(value, (list, tuple)):
            messages.extend(value)
        else:
            raise _RowError(key, f"field '{key}' must be a string or a list of messages, got {type_name(value)}")
    return _conversation({"messages": messages}, "messages")


# Example.fields key: the row held its system prompt in a top-level `system` key (not as a turn)
SYSTEM_KEY = "system_key"
# Example.fields key: {turn index: role as written} for the turns whose role the row names otherwise
# than its shape's exporter would ("user" under ShareGPT's `from`, "developer"), so that exporter
# writes them back as read (a trainer's config names the role tags it accepts)
ROLE_NAMES_KEY = "role_names"
# Example.fields key: {turn index: "null" | "absent" | "json"} for the tool calls whose content was
# null or left out (OpenAI's `{"role": "assistant", "content": null, "tool_calls": [...]}`; the turn
# holds "") and the tool turns whose content was a JSON object (the turn holds its JSON text): the
# export of the row's own shape writes null, no content key, or the object back
BARE_CONTENT_KEY = "bare_content"
# Example.fields key: {turn index: [its keys as read]} for the turns whose keys did not come in the
# order the exporters write (role, content, the others): the export of the row's own shape keeps it
KEY_ORDER_KEY = "key_order"
# the names each conversation shape's exporter writes, by realign's role (LLaMA-Factory's ShareGPT
# tags for tool calls and results)
OWN_ROLE_NAMES = {"conversations": {"system": "system", "user": "human", "assistant": "gpt",
                                     "tool_call": "function_call", "tool": "observation"},
                   "messages": {"system": "system", "user": "user", "assistant": "assistant",
                                "tool_call": "assistant", "tool": "tool"}}


_SHAPES = {
    "alpaca": _alpaca,
    "dolly": _dolly,
    "gsm8k": _gsm8k,
    "sharegpt": lambda row: _conversation(row, "conversations"),
    "messages": lambda row: _conversation(row, "messages"),
    "prompt_completion": _prompt_completion,
}


# --------------------------------------------------------------------------------------------
# ids


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_drop_nulls(v) for v in value]
    return value


def content_id(row: dict[str, Any]) -> str:
    """``"h"`` + 16 hex digits of SHA-256 over the row's canonical JSON (position-free)."""
    canon = json.dumps(_drop_nulls(row), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return "h" + hashlib.sha256(canon.encode("utf-8")).hexdigest()[:16]


def _row_id(row: dict[str, Any], id_field: str | None) -> str:
    if id_field is not None:
        value = row.get(id_field)
        if value is None:
            raise _RowError(id_field, f"field '{id_field}' (the id field) is missing")
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise _RowError(id_field, f"field '{id_field}' (the id field) must be a string or an integer, got {type_name(value)}")
        if isinstance(value, str) and not value.strip():
            raise _RowError(id_field, f"field '{id_field}' (the id field) is empty")
        return str(value)
    for key in ID_FIELDS:
        value = row.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int) or (isinstance(value, str) and value.strip()):
            return str(value)
    return content_id(row)


def row_id(row: dict[str, Any]) -> str:
    """The id `rewrite` gives a row read with no --id-field: its own id field, else `content_id`
    (a duplicate id gets a `~N` suffix in a run; that is decided across rows, not here)."""
    return _row_id(row, None)


# --------------------------------------------------------------------------------------------
# public API


def _check_format(format: str | None) -> None:
    if format is not None and format not in FORMATS:
        raise ConfigError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")


_FIELD_FLAGS = {"instruction": "--instruction-field", "input": "--input-field", "output": "--response-field"}


def _mapped(rows: Iterator[_Raw], field_map: dict[str, str] | None, path: str = "") -> Iterator[_Raw]:
    """Rows with the user's columns also under realign's names (``{"output": "answer_text"}``
    makes a row's answer_text its output); the original keys stay, for ids and fields. A column
    named by the user and missing is never replaced by realign's default column: missing in the
    first row, it stops the command (a typo); missing later, the row is quarantined."""
    if not field_map:
        yield from rows
        return
    first = True
    for r in rows:
        if isinstance(r.obj, dict):
            missing = [(ours, theirs) for ours, theirs in field_map.items() if theirs not in r.obj]
            if missing:
                ours, theirs = missing[0]
                what = f"column {theirs!r} (given by {_FIELD_FLAGS.get(ours, ours)}) is missing"
                if first:
                    raise InputError(f"{path}:{r.line or r.index + 1}: {what}; the rows have "
                                     f"{', '.join(map(repr, list(r.obj)[:12]))}")
                r.error, r.obj = what, None
            else:
                r.obj = {**r.obj, **{ours: r.obj[theirs] for ours, theirs in field_map.items()}}
            first = False
        yield r


def detect_format(path: str, *, field_map: dict[str, str] | None = None) -> tuple[str, str]:
    """Return ``(container, shape)`` for `path`, e.g. ``("jsonl", "alpaca")``.

    Raises InputError when the path cannot be read or no known shape is found in its first rows.
    """
    src = _resolve(path)
    rows = _mapped(_ITERATORS[src.container](src, 0), field_map, str(src.path))
    try:
        shape, _ = _detect(src, rows)
    finally:
        close = getattr(rows, "close", None)
        if close:
            close()
    return src.container, shape


def read_records(path: str) -> Iterator[RawRecord]:
    """Stream the raw rows of any supported container (JSONL, JSON array, Parquet, a saved
    dataset, hf:NAME) with their index and line, for readers of other row layouts (audit files,
    labelled sets). A row that is not a JSON object, or not valid JSON or UTF-8, comes back
    with `error` set; problems with the input as a whole raise InputError.
    """
    src = _resolve(path)
    return _ITERATORS[src.container](src, 0)


def read_examples(
    path: str,
    *,
    format: str | None = None,
    id_field: str | None = None,
    start: int = 0,
    field_map: dict[str, str] | None = None,
) -> Iterator[Example | BadRow]:
    """Stream the rows of `path` as `Example` (or `BadRow` for a row that cannot be used).

    `format` forces the shape (one of `FORMATS`) instead of detecting it; `id_field` names the
    column holding the row id; `start` skips that many rows (source indices stay absolute);
    `field_map` maps realign's field names to the input's columns (``{"instruction": "question",
    "output": "answer_text"}``) before the shape is detected. Problems with the input as a whole (missing, empty, unreadable, unknown shape) raise
    InputError here, before the first row is yielded.
    """
    _check_format(format)
    if start < 0:
        raise ConfigError(f"start must be >= 0, got {start}")
    src = _resolve(path)
    rows = _mapped(_ITERATORS[src.container](src, start), field_map, str(src.path))
    if format is None:
        shape, head = _detect(src, rows)
    else:
        shape, head = format, list(itertools.islice(rows, 1))
        if not head and start == 0:
            raise InputError(f"{src.path}: has no rows; give a file with at least one row")
    return _convert(itertools.chain(head, rows), shape, id_field, forced=format is not None)


def _convert(rows: Iterable[_Raw], shape: str, id_field: str | None, *,
             forced: bool = False) -> Iterator[Example | BadRow]:
    build = _SHAPES[shape]
    for r in rows:
        if r.error is not None:
            yield BadRow(source_index=r.index, line=r.line, error=r.error, raw=r.raw)
            continue
        try:
            turns, fields = build(r.obj)
            ex_id = _row_id(r.obj, id_field)
        except _RowError as e:
            yield BadRow(source_index=r.index, line=r.line, field=e.field, error=e.error + _other_shape(r.obj, shape, forced),
                         raw=r.raw)
            continue
        yield Example(id=ex_id, source_index=r.index, line=r.line, format=shape, turns=turns, fields=fields)


def _other_shape(obj: dict[str, Any], shape: str, forced: bool) -> str:
    """For a row the file's shape cannot read: the shape it has instead, when it has one (a file
    mixing ShareGPT and messages rows is read in the shape of its first row)."""
    other = _shape_of(obj)
    if other is None or other == shape:
        return ""
    keys = ", ".join(dict(_SHAPE_KEYS)[other])
    if forced:
        return f"; this row has the {other} shape ({keys}), not the {shape} that --format asks for"
    return f"; this row has the {other} shape ({keys}), the file is read as {shape}: give each shape its own file"


def count_rows(path: str) -> int | None:
    """A cheap row count for a progress total, or None when it is not known without reading.

    JSON Lines: non-blank lines; JSON array: its length (the file is parsed); Parquet: from the
    metadata; a saved dataset: its length; a Hub dataset: None.
    """
    src = _resolve(path)
    if src.container == "jsonl":
        with _open(src.location) as f:
            return sum(1 for line in f if line and not line.isspace())
    if src.container == "json":
        return len(_load_json_array(src))
    if src.container == "parquet":
        return int(_open_parquet(src).metadata.num_rows)
    if src.container == "hf_disk":
        return len(_load_disk(src))
    return None
