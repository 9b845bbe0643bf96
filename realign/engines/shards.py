"""A run's results and request cache as files on storage every node sees, for the Ray engine.

One DuckDB file cannot take writers from many machines, so each Ray worker writes its own files
under ``ROOT/<run_id>/`` and the driver (or `realign import`) loads them into the DuckDB store:

- ``<table>/<worker>-<seq>.parquet`` for examples, evidence, checks, rewrites, results and
  quarantine: the rows `realign.sinks.StoreSink` writes, buffered in an in-memory store of the
  same schema and copied out at each flush. The results file of a flush is written last and
  every file appears by rename, so a result on disk means its row's other files are there too.
- ``calls/<worker>.jsonl``: every answered request, one line appended with one ``os.write``
  before the pipeline uses the answer (a killed process loses none); every worker reads all
  of them when it starts, so a rerun sends no request that was answered before. It keeps
  where each answer is, not the answer (`JournalIndex`), and saves that index under
  ``calls/.index/`` for the workers after it. Settled
  failures are read back too (a prompt refused as longer than the model's context, the same
  cut-off or rejected answer twice: `realign.store.SETTLED_FAILURES`), so a worker answers them
  as the local store does (`get_cutoff`) instead of sending them again.
- ``store/calls/bucket=XX/*.parquet`` and ``store/meta.json``: what the DuckDB store knew when the driver
  started the session (`snapshot_store`): every stored answer and settled failure of the run's
  model, from any earlier run or engine, and the structured-output form each endpoint was found
  to take. Workers cannot open the store itself (the driver holds DuckDB's one writer lock, and
  other nodes may not see the file), so they read this copy (`StoreSnapshot`): a row finished
  by the local engine, or a prompt it saw refused as too long, costs nothing on Ray either.
- ``usage/<session>-<worker>.json``: the worker's usage ledger (requests, tokens by purpose).
- ``learned/<worker>.json``: the structured-output forms a worker stepped down to (an
  endpoint that rejects ``response_format`` in one form): later workers start there, and the
  import keeps them in the store for later sessions.

Import is idempotent: per example the newest result wins (with the files of its flush), answered
requests already in the store are skipped, and a session's ledger is the sum of its workers'. Each
journal is read from where the store's last import of it ended (an offset in its `meta` table).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from realign.sinks import RowResult, StoreSink
from realign.store import SETTLED_FAILURES, Store, transaction

ROW_TABLES = ("examples", "evidence", "checks", "rewrites", "quarantine", "results")  # results last
_STORY_TABLES = ("examples", "evidence", "checks", "rewrites", "results")


class ShardSink:
    """A `Sink` writing Parquet shards under `root` (one run's folder); see the module docstring."""

    def __init__(self, root: str | Path, worker: str) -> None:
        self.root = Path(root)
        self.worker = worker
        self.store = Store(":memory:", flush_rows=1 << 30, flush_seconds=1e9)  # flushed by us only
        self._rows = StoreSink(self.store)
        self._seq = 0
        for t in ROW_TABLES:
            (self.root / t).mkdir(parents=True, exist_ok=True)

    def write(self, run_id: str, result: RowResult) -> None:
        self._rows.write(run_id, result)

    def quarantine(self, run_id: str, bad: Any) -> None:
        self._rows.quarantine(run_id, bad)

    def flush(self) -> None:
        """Copy every buffered row out as shards of this flush, results last, then drop them."""
        self.store.flush()
        con = self.store.con
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ROW_TABLES}
        if not any(counts.values()):
            return
        self._seq += 1
        name = f"{self.worker}-{self._seq:06d}.parquet"
        for t in ROW_TABLES:
            if counts[t]:
                final = self.root / t / name
                tmp = final.with_name("." + name + ".tmp")
                quoted = str(tmp).replace("'", "''")
                con.execute(f"COPY (SELECT * FROM {t}) TO '{quoted}' (FORMAT parquet)")
                os.replace(tmp, final)
                con.execute(f"DELETE FROM {t}")

    def close(self) -> None:
        self.flush()
        self.store.close()


class ShardCache:
    """The request cache (`realign.llm.base.CallCache`) of one worker: answers from every
    worker's journal under `root/calls/`, new ones appended to its own.

    The journals' answers stay on disk: `JournalIndex` keeps where each one is (20 bytes an
    answer), so a worker's memory and start-up do not grow with the answers' text; this worker's
    own answers of the session are held as they come.
    """

    def __init__(self, root: str | Path, worker: str) -> None:
        folder = Path(root) / "calls"
        folder.mkdir(parents=True, exist_ok=True)
        # the DuckDB store as the driver found it this session; the journals (newer) come first
        self.snapshot = StoreSnapshot.open(Path(root) / SNAPSHOT)
        self.root, self.worker = Path(root), worker
        self.journals = JournalIndex(folder, worker)
        # structured-output forms learned by the run's workers so far: (base_url, model) -> form
        self.learned: dict[tuple[str, str], str] = read_learned(root)
        self._mine: dict[tuple[str, str], str] = {}  # what this worker learned (its learned/ file)
        self.answers: dict[str, dict[str, Any]] = {}  # this worker's, this session
        self.settled: dict[str, dict[str, Any]] = dict(self.journals.settled)  # key -> the stored failure
        self._fd = os.open(folder / f"{worker}.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def _remember(self, key: str, response: dict[str, Any] | None, finish_reason: str | None,
                  error: str | None) -> None:
        """Keep an answer, or a failure the same request meets every time, as `Store` does."""
        if response is None:
            return
        if error is None:
            self.answers[key] = response
            self.settled.pop(key, None)
        elif finish_reason in SETTLED_FAILURES:
            self.settled[key] = response

    def get_call(self, key: str) -> dict[str, Any] | None:
        found = self.answers.get(key)
        if found is None:
            found = self.journals.get(key)
        if found is None and self.snapshot is not None:
            found = self.snapshot.get_call(key)
        return found

    def get_cutoff(self, key: str) -> dict[str, Any] | None:
        """The stored failure of `key` that the client answers instead of sending it again (see
        `realign.llm.base.CallCache.get_cutoff`): a prompt too long for the endpoint's model, the
        same cut-off or the same rejected answer twice; None otherwise."""
        found = self.settled.get(key)
        if found is None and self.snapshot is not None:
            found = self.snapshot.get_cutoff(key)
            if found is not None and (key in self.answers or self.journals.get(key) is not None):
                found = None  # answered in this run since the store was copied
        return found

    def learned_dialect(self, base_url: str, model: str) -> str | None:
        """The structured-output form this endpoint and model were found to take: by this worker,
        by an earlier worker of the run (`learned/`), or by the store's earlier sessions."""
        found = self.learned.get((base_url, model))
        if found is None and self.snapshot is not None:
            found = self.snapshot.learned_dialect(base_url, model)
        return found

    def remember_dialect(self, base_url: str, model: str, mode: str) -> None:
        """Keep the form the client stepped down to, for the workers after this one (the next
        window's) and, through `import_shards`, for the store's later sessions."""
        self.learned[(base_url, model)] = self._mine[(base_url, model)] = mode
        folder = self.root / "learned"
        folder.mkdir(exist_ok=True)
        tmp = folder / f".{self.worker}.json.tmp"
        tmp.write_text(json.dumps([[u, m, d] for (u, m), d in self._mine.items()]))
        os.replace(tmp, folder / f"{self.worker}.json")  # a reader sees the whole file or the one before

    def put_call(self, key: str, *, kind: str, request: dict[str, Any], response: dict[str, Any] | None,
                 finish_reason: str | None = None, prompt_tokens: int | None = None,
                 completion_tokens: int | None = None, latency_s: float | None = None,
                 error: str | None = None) -> None:
        line = json.dumps({"key": key, "kind": kind, "request": request, "response": response,
                           "finish_reason": finish_reason, "prompt_tokens": prompt_tokens,
                           "completion_tokens": completion_tokens, "latency_s": latency_s, "error": error},
                          ensure_ascii=False, separators=(",", ":"))
        os.write(self._fd, (line + "\n").encode("utf-8"))  # one write: whole lines or nothing in practice
        self._remember(key, response, finish_reason, error)

    def close(self) -> None:
        os.close(self._fd)
        self.journals.close()
        if self.snapshot is not None:
            self.snapshot.close()


class JournalIndex:
    """Where each answer of the run's calls journals is, without holding the answers.

    A journal line is found again by its key's 64-bit prefix (`key_prefix`): sorted prefixes and,
    for each, the journal and the byte offset of its line (20 bytes an answer in memory, whatever
    the answer's size). A lookup seeks to the line and parses it. The settled failures (few) are
    parsed and held, as before.

    Reading a journal parses only each line's key and its closing fields (`finish_reason` ...
    `error`, which come after the request and the answer), not the request or the answer. What a
    scan found is saved beside the journals (``calls/.index/<journal>.npz``: the bytes read, the
    prefixes and offsets); the next worker, in the next window of the run or a later session,
    loads it and reads only what was appended since. The Ray engine starts new workers for each
    window of `WINDOW_ROWS` rows, and each reads every journal of the run: without this, each
    start parsed every answer so far (benchmarks/shard_cache.py gives the figures).

    The verdicts are those of reading every line in order (`read_journal` and
    `ShardCache._remember`): a line that is not whole JSON is skipped, the newest answer of a key
    wins, and an answer later than a key's settled failure removes the failure.
    """

    SAVE_AFTER_BYTES = 1 << 20  # an index is (re)written once a scan read at least this much

    def __init__(self, folder: Path, worker: str) -> None:
        self.folder = folder
        self.worker = worker
        self.paths: list[Path] = []
        self.bytes_read = 0  # journal bytes scanned at start (what saved indexes did not cover)
        self._files: dict[int, Any] = {}
        self._lock = threading.Lock()
        prefixes: list[np.ndarray] = []
        offsets: list[np.ndarray] = []
        owners: list[np.ndarray] = []
        # settled failures in journal order: key -> (file number, offset, stored failure)
        settled: dict[str, tuple[int, int, dict[str, Any]]] = {}
        for path in sorted(folder.glob("*.jsonl")):
            n = len(self.paths)
            self.paths.append(path)
            prefix, offset, settled_at = self._scan(path)
            prefixes.append(prefix)
            offsets.append(offset)
            owners.append(np.full(len(prefix), n, dtype=np.int32))
            for at in settled_at.tolist():
                entry = self._line(n, int(at))
                if entry is not None and entry.get("response") is not None:
                    settled[entry["key"]] = (n, int(at), entry["response"])
        prefix = np.concatenate(prefixes) if prefixes else np.zeros(0, dtype=np.uint64)
        order = np.argsort(prefix, kind="stable")  # equal prefixes stay in journal order
        self.prefix = prefix[order]
        self.offset = (np.concatenate(offsets) if offsets else np.zeros(0, dtype=np.int64))[order]
        self.owner = (np.concatenate(owners) if owners else np.zeros(0, dtype=np.int32))[order]
        # an answer after a key's settled failure removes it (ShardCache._remember)
        self.settled: dict[str, dict[str, Any]] = {}
        for key, (n, at, response) in settled.items():
            if not any((o, off) > (n, at) for o, off, _ in self._answers(key)):
                self.settled[key] = response

    def __len__(self) -> int:
        return len(self.prefix)

    def get(self, key: str) -> dict[str, Any] | None:
        """The newest answer to `key` in the journals as they were read, or None."""
        for _, _, entry in sorted(self._answers(key), key=lambda a: (a[0], a[1]), reverse=True)[:1]:
            return entry["response"]
        return None

    def _answers(self, key: str) -> list[tuple[int, int, dict[str, Any]]]:
        p = np.uint64(key_prefix(key))
        lo, hi = np.searchsorted(self.prefix, p, "left"), np.searchsorted(self.prefix, p, "right")
        found = []
        for i in range(lo, hi):
            n, at = int(self.owner[i]), int(self.offset[i])
            entry = self._line(n, at)
            if entry is not None and entry.get("key") == key and entry.get("response") is not None \
                    and entry.get("error") is None:
                found.append((n, at, entry))
        return found

    def _line(self, n: int, at: int) -> dict[str, Any] | None:
        with self._lock:
            f = self._files.get(n)
            if f is None:
                f = self._files[n] = self.paths[n].open("rb")
            f.seek(at)
            raw = f.readline()
        try:
            entry = json.loads(raw)
        except ValueError:
            return None
        return entry if isinstance(entry, dict) else None

    def close(self) -> None:
        with self._lock:
            for f in self._files.values():
                f.close()
            self._files.clear()

    # -- reading a journal ------------------------------------------------------------------------

    def _scan(self, path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(prefixes, offsets) of the journal's answer lines and the offsets of its settled
        failure lines; from its saved index where one is, plus what was appended since."""
        saved = self.folder / INDEX_DIR / (path.name + ".npz")
        size = path.stat().st_size
        start = 0
        prefix, offset, settled = array("Q"), array("q"), array("q")
        old: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        try:
            with np.load(saved) as z:
                done = int(z["size"])
                if done <= size and len(z["prefix"]) == len(z["offset"]):
                    start, old = done, (z["prefix"].copy(), z["offset"].copy(), z["settled"].copy())
        except (OSError, ValueError, KeyError):
            pass  # none yet, or unreadable: read the whole journal
        end = start
        if size > start:
            with path.open("rb") as f:
                f.seek(start)
                at = start
                for raw in f:
                    if not raw.endswith(b"\n"):
                        break  # a line still being written, or cut by a killed process: read again next time
                    kind, key = _classify_line(raw)
                    if kind == "answer":
                        prefix.append(key_prefix(key))
                        offset.append(at)
                    elif kind == "settled":
                        settled.append(at)
                    at += len(raw)
                end = at
        self.bytes_read += end - start
        new = (np.frombuffer(prefix, dtype=np.uint64).copy(), np.frombuffer(offset, dtype=np.int64).copy(),
               np.frombuffer(settled, dtype=np.int64).copy())
        if old is not None:
            new = tuple(np.concatenate([a, b]) for a, b in zip(old, new))  # type: ignore[assignment]
        if end - start >= self.SAVE_AFTER_BYTES:
            self._save(saved, end, *new)
        return new

    def _save(self, saved: Path, size: int, prefix: np.ndarray, offset: np.ndarray, settled: np.ndarray) -> None:
        """Write an index by rename (a reader sees a whole one or none); a failure only costs the
        next worker a longer read."""
        try:
            saved.parent.mkdir(exist_ok=True)
            tmp = saved.with_name(f".{saved.name}.{self.worker}.tmp")
            with tmp.open("wb") as f:
                np.savez(f, size=np.int64(size), prefix=prefix, offset=offset, settled=settled)
            os.replace(tmp, saved)
        except OSError:
            pass


INDEX_DIR = ".index"  # under calls/: the saved journal indexes (JournalIndex)
_TAIL = b',"finish_reason":'
_NULL_RESPONSE = b'"response":null'


def key_prefix(key: str) -> int:
    """A request key's 64-bit prefix: its first 16 hex digits (request keys are SHA-256 hex), or
    a hash of any other key."""
    try:
        return int(key[:16], 16)
    except ValueError:
        return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "big")


def _classify_line(raw: bytes) -> tuple[str | None, str]:
    """("answer" | "settled" | None, key) of one journal line, as `ShardCache._remember` would
    take the whole line. The line as `put_call` writes it is read from its ends only: the key
    first, then the closing fields (scalars, after the request and the answer). Any other shape
    is parsed whole; a line that is not whole JSON is skipped, as `read_journal` does."""
    if raw.startswith(b'{"key":"'):
        close = raw.find(b'"', 8)
        cut = raw.rfind(_TAIL)
        # inside a JSON string every '"' is escaped, so the last ',"finish_reason":' is the line's own
        if close > 8 and cut > close:
            try:
                tail = json.loads(b"{" + raw[cut + 1:])
                key = raw[8:close].decode("ascii")
            except (ValueError, UnicodeDecodeError):
                tail = None
            if isinstance(tail, dict):
                null = raw[cut - len(_NULL_RESPONSE):cut] == _NULL_RESPONSE
                return _kind(null, tail.get("finish_reason"), tail.get("error")), key
    try:
        entry = json.loads(raw)
    except ValueError:
        return None, ""
    if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
        return None, ""
    return _kind(entry.get("response") is None, entry.get("finish_reason"), entry.get("error")), entry["key"]


def _kind(no_response: bool, finish_reason: Any, error: Any) -> str | None:
    if no_response:
        return None
    if error is None:
        return "answer"
    return "settled" if finish_reason in SETTLED_FAILURES else None


SNAPSHOT = "store"  # the folder of a run's shards holding the store's snapshot


def snapshot_store(store: Store, root: str | Path, model: str | None, base_urls: Sequence[str]) -> int:
    """Copy what `store` would answer requests from into `root/store/` for this session's workers
    (see the module docstring); the copy of an earlier session is replaced. Returns the number of
    request keys copied."""
    folder = Path(root) / SNAPSHOT
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"model": model, "dialects": {}}
    if model is not None:
        for url in base_urls:
            mode = store.learned_dialect(url, model)
            if mode is not None:
                meta["dialects"][url] = mode
    tmp = folder / ".meta.json.tmp"
    tmp.write_text(json.dumps(meta))
    os.replace(tmp, folder / "meta.json")
    return store.copy_reusable_calls(folder / "calls", model)


class StoreSnapshot:
    """A worker's read-only view of `snapshot_store`'s copy.

    The settled failures (few) are held in memory; of the answers only each key's 64-bit prefix
    is (as `Store` does), and a key whose prefix is known is looked up in its bucket's Parquet
    file (`Store.copy_reusable_calls`), whose keys are read at most: a worker's memory does not
    grow with the answers' text (benchmarks/store_copy.py gives the figures).
    """

    def __init__(self, folder: Path) -> None:
        meta_path = folder / "meta.json"
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        self.model: str | None = meta.get("model")
        self.dialects: dict[str, str] = meta.get("dialects") or {}
        # bucket (the keys' first hex digits) -> its files
        self.buckets: dict[str, list[str]] = {}
        for part in sorted((folder / "calls").glob("bucket=*")):
            files = sorted(str(f) for f in part.glob("*.parquet"))
            if files:
                self.buckets[part.name.partition("=")[2]] = files
        self.width = len(next(iter(self.buckets), ""))
        # bounded like the store's (several workers share a node); the files' footers are kept
        self.con = duckdb.connect(config={"memory_limit": os.environ.get("REALIGN_DUCKDB_MEMORY", "128MB")})
        self.con.execute("SET parquet_metadata_cache = true")
        self._lock = threading.Lock()  # one connection, asked from the worker's loop and its owner
        self.known: set[int] = set()
        self.settled: dict[str, dict[str, Any]] = {}
        every = [f for files in self.buckets.values() for f in files]
        if every:
            cur = self.con.execute("SELECT key, answer IS NOT NULL, settled FROM read_parquet(?)", [every])
            while rows := cur.fetchmany(65536):
                for key, answered, settled in rows:
                    if answered:
                        self.known.add(int(key[:16], 16))
                    elif settled is not None:
                        self.settled[key] = json.loads(settled)
        for key in [k for k in self.settled if int(k[:16], 16) in self.known]:
            del self.settled[key]  # answered after all: the answer wins (Store.put_call does the same)

    @classmethod
    def open(cls, folder: Path) -> StoreSnapshot | None:
        """The snapshot under `folder`, or None where the driver wrote none (a run folder of an
        older version, or a stage started by hand)."""
        return cls(folder) if (folder / "calls").is_dir() else None

    def get_call(self, key: str) -> dict[str, Any] | None:
        if int(key[:16], 16) not in self.known:
            return None
        files = self.buckets.get(key[: self.width])
        if not files:
            return None
        with self._lock:  # filtered on the key alone: a filter on the answer would decode every answer
            rows = self.con.execute("SELECT answer FROM read_parquet(?) WHERE key = ?", [files, key]).fetchall()
        answer = next((r[0] for r in rows if r[0] is not None), None)
        return json.loads(answer) if answer is not None else None

    def get_cutoff(self, key: str) -> dict[str, Any] | None:
        return self.settled.get(key)

    def learned_dialect(self, base_url: str, model: str) -> str | None:
        return self.dialects.get(base_url) if model == self.model else None

    def close(self) -> None:
        self.con.close()


def read_journal(path: Path) -> list[dict[str, Any]]:
    """The entries of one calls journal; a line cut short by a killed process is skipped."""
    out = []
    with path.open("rb") as f:
        for raw in f:
            try:
                out.append(json.loads(raw))
            except ValueError:
                continue
    return out


def read_journal_from(path: Path, start: int) -> tuple[list[dict[str, Any]], int]:
    """The entries of the whole lines of a calls journal from byte `start` on, and the offset
    after the last of them (a last line without its newline is being written, or was cut short:
    it is not read). A whole line that is not JSON, or has no key, is skipped."""
    out = []
    at = start
    with path.open("rb") as f:
        f.seek(start)
        for raw in f:
            if not raw.endswith(b"\n"):
                break
            at += len(raw)
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            if isinstance(entry, dict) and isinstance(entry.get("key"), str):
                out.append(entry)
    return out, at


def _replace_json(root: str | Path, kind: str, session: int, worker: str, data: Any) -> None:
    """Write a worker's figures of one session under `root/kind/`, replacing the file at once (a
    reader never sees half of it)."""
    folder = Path(root) / kind
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{session:04d}-{worker}.json"
    tmp = final.with_name("." + final.name + ".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, final)


def read_learned(root: str | Path) -> dict[tuple[str, str], str]:
    """The structured-output forms the run's workers stepped down to (`learned/*.json`), the
    newest file last so that its form wins: (base_url, model) -> form."""
    found: dict[tuple[str, str], str] = {}
    paths = sorted((Path(root) / "learned").glob("*.json"), key=lambda p: (p.stat().st_mtime_ns, p.name))
    for path in paths:
        try:
            for url, model, mode in json.loads(path.read_text()):
                found[(url, model)] = mode
        except (OSError, ValueError, TypeError):
            continue  # replaced while read: the worker writes it whole again at its next step-down
    return found


def write_usage(root: str | Path, session: int, worker: str, by_purpose: dict[str, dict[str, int]]) -> None:
    _replace_json(root, "usage", session, worker, by_purpose)


def write_endpoints(root: str | Path, session: int, worker: str, endpoints: list[dict[str, Any]]) -> None:
    """A worker's per-endpoint figures (`LLMClient.endpoint_report`), replaced at each batch."""
    _replace_json(root, "endpoints", session, worker, endpoints)


def session_endpoints(root: str | Path, session: int) -> list[dict[str, Any]] | None:
    """One session's servers as the run summary gives them, summed over its workers: requests,
    answers, failures, take-outs and cuts added; the caps added too, since each worker keeps its
    own per server (what a server may have in flight at once is the sum). None: no worker wrote."""
    merged: dict[str, dict[str, Any]] = {}
    for path in sorted((Path(root) / "endpoints").glob(f"{session:04d}-*.json")):
        for e in json.loads(path.read_text()):
            row = merged.setdefault(e["url"], {"url": e["url"], "requests": 0, "answered": 0, "failed": 0,
                                               "taken_out": 0, "cap": 0, "cap_lowest": 0, "cap_cuts": 0,
                                               "cap_start": None, "cap_ramp_from": None, "cap_held": False})
            for k in ("requests", "answered", "failed", "taken_out", "cap", "cap_lowest", "cap_cuts"):
                row[k] += int(e.get(k) or 0)
            for k in ("cap_start", "cap_ramp_from"):
                if e.get(k):
                    row[k] = (row[k] or 0) + int(e[k])
            row["cap_held"] = row["cap_held"] or bool(e.get("cap_held"))
    return list(merged.values()) or None


def session_usage(root: str | Path, session: int) -> dict[str, dict[str, int]]:
    """The ledger of one session: each purpose's figures summed over its workers."""
    total: dict[str, dict[str, int]] = {}
    for path in sorted((Path(root) / "usage").glob(f"{session:04d}-*.json")):
        for purpose, fig in json.loads(path.read_text()).items():
            row = total.setdefault(purpose, {})
            for k, v in fig.items():
                row[k] = row.get(k, 0) + int(v or 0)
    return total


def import_shards(store: Store, root: str | Path, run_id: str) -> dict[str, int]:
    """Load one run's shards into `store` (whose `runs` row the caller made). Returns counts."""
    root = Path(root)
    store.flush()
    con = store.con
    imported = {"rows": 0, "calls": 0, "quarantined": 0}

    def files(table: str) -> str | None:
        found = sorted(str(p) for p in (root / table).glob("*.parquet"))
        if not found:
            return None
        return "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in found) + "]"  # a DuckDB list literal

    results = files("results")
    if results is not None:
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _winners AS
            SELECT example_id, arg_max(parse_filename(filename, true), finished_at) AS shard
            FROM read_parquet({results}, filename = true) WHERE run_id = ? GROUP BY example_id""", [run_id])
        with transaction(con):
            _replace_stories(con, run_id, files)
        imported["rows"] = con.execute("SELECT count(*) FROM _winners").fetchone()[0]
        con.execute("DROP TABLE _winners")
    quarantine = files("quarantine")
    if quarantine is not None:
        con.execute(f"""INSERT INTO quarantine SELECT * EXCLUDE (filename, rn) FROM (
                SELECT *, row_number() OVER (PARTITION BY source_index) AS rn
                FROM read_parquet({quarantine}, filename = true) WHERE run_id = ?) q
            WHERE rn = 1 AND source_index NOT IN (SELECT source_index FROM quarantine WHERE run_id = ?)""",
                    [run_id, run_id])
        imported["quarantined"] = con.execute("SELECT count(*) FROM quarantine WHERE run_id = ?",
                                              [run_id]).fetchone()[0]
    for (url, model), mode in read_learned(root).items():
        store.remember_dialect(url, model, mode)  # the next session's workers and local runs start there
    for path in sorted((root / "calls").glob("*.jsonl")):
        imported["calls"] += _import_journal(store, path, run_id)
    store.flush()
    return imported


def _import_journal(store: Store, path: Path, run_id: str) -> int:
    """Store the calls of one journal that an earlier import into `store` did not read.

    Where the last import of this journal ended is kept in the store's `meta` table (key
    ``journal RUN NAME``, the offset after its last whole line), so an import reads only what was
    appended since: the driver imports at the start of every resumed session and at its end, and
    `realign import` may run again, each of them parsing every journal of the run before. The
    offset is written after the calls are flushed; an import that dies between the two reads the
    same lines again, and the check below stores none of them twice. A journal shorter than its
    offset (replaced) is read again from the start; a line cut short by a killed worker (its
    last) is left for the next import, which finds it still cut and skips it again.
    """
    mark = f"journal {run_id} {path.name}"
    row = store.con.execute("SELECT value FROM meta WHERE key = ?", [mark]).fetchone()
    start = int(row[0]) if row else 0
    if path.stat().st_size < start:
        start = 0
    entries, end = read_journal_from(path, start)
    if end == start:
        return 0
    keys = sorted({e["key"] for e in entries})
    stored = {r[0] for r in store.con.execute(
        "SELECT DISTINCT key FROM llm_calls WHERE key IN (SELECT unnest(?::VARCHAR[]))", [keys]).fetchall()} if keys else set()
    n = 0
    for e in entries:
        if e["key"] in stored and (e.get("error") is not None or store.get_call(e["key"]) is not None):
            continue  # stored by an earlier import (or by the run that answered it locally)
        store.put_call(e["key"], kind=e.get("kind") or "chat", request=e.get("request") or {},
                       response=e.get("response"), finish_reason=e.get("finish_reason"),
                       prompt_tokens=e.get("prompt_tokens"), completion_tokens=e.get("completion_tokens"),
                       latency_s=e.get("latency_s"), error=e.get("error"))
        n += 1
    store.flush()
    store.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [mark, str(end)])
    return n


def _replace_stories(con: Any, run_id: str, files: Any) -> None:
    for t in _STORY_TABLES:
        con.execute(f"DELETE FROM {t} WHERE run_id = ? AND example_id IN (SELECT example_id FROM _winners)",
                    [run_id])
        found = files(t)
        if found is None:
            continue
        con.execute(f"""INSERT INTO {t} SELECT s.* EXCLUDE (filename) FROM read_parquet({found}, filename = true) s
            JOIN _winners w ON s.example_id = w.example_id AND parse_filename(s.filename, true) = w.shard
            WHERE s.run_id = ?""", [run_id])


def worker_name(session: int) -> str:
    """A name no other worker of the run has (its files are its own)."""
    return f"s{session:04d}-{uuid.uuid4().hex[:12]}"
