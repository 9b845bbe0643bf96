"""DuckDB store: schema, batched writes, resume and cache queries, stats queries.

One file holds every run. Only `results` (the resume lookup) and `llm_calls.key` (the cache) are
indexed: DuckDB keeps index nodes in memory, and the other tables' uniqueness is the pipeline's
job (finished rows are skipped, retried ones replace their old rows). Writes are buffered and flushed in one transaction per batch (DuckDB is
slow row by row), with the LLM calls of a batch written in the same transaction as the results
that used them, so a crash loses at most the rows in flight and never leaves a result whose
answer is missing from the cache.

The schema is `TABLES` (each column listed once); `migrate` creates it in a new file and brings an
older file to it through `MIGRATIONS`, an ordered list of named steps recorded in `migrations`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import duckdb
import pyarrow as pa

from realign.errors import ConfigError

# Message texts at least this long are stored once in `texts` and referenced from requests.
SHARED_TEXT_CHARS = 1024
# finish_reason of the llm_calls rows the cache answers a failure from (LLMError.settled): the
# same cut-off twice, the same rejected answer twice, a prompt longer than the model's context.
SETTLED_FAILURES = ("length", "invalid_output", "too_long")
# How the reason of a turn kept because its prompt is longer than the model's context begins
# (the server's message, or --max-prompt-chars, follows). Such rows are done again by a resume:
# their requests come from the cache at no cost, unless the fix changed them (--max-tokens,
# another endpoint, --max-prompt-chars), and then they are asked.
TOO_LONG_REASON = "too_long: "
# Flush order: the cache and the rows a result depends on go before the result.
_FLUSH_ORDER = ("texts", "llm_calls", "examples", "evidence", "checks", "mode_steps", "rewrites", "quarantine",
                "results")


def _now() -> datetime:
    # Naive UTC: TIMESTAMPTZ values need pytz to be read back in Python.
    return datetime.now(timezone.utc).replace(tzinfo=None)


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, cols: Sequence[str],
                rows: Sequence[tuple[Any, ...]]) -> None:
    """Append `rows` (tuples in `cols` order) to `table` as one Arrow batch: DuckDB is slow row by row."""
    batch = pa.Table.from_arrays([pa.array(list(c)) for c in zip(*rows)], names=list(cols))
    con.register("_batch", batch)
    collist = ", ".join(cols)
    con.execute(f"INSERT INTO {table} ({collist}) SELECT {collist} FROM _batch")
    con.unregister("_batch")


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _json(value: Any) -> str:
    # What json.dumps(value, ensure_ascii=False, separators=(",", ":")) returns, without building
    # an encoder per call (a dozen calls per row).
    return _ENCODER.encode(value)


# ---- schema and migrations --------------------------------------------------------------------
# Each table's columns are listed once, here, in insert order: a fresh database is created from
# this picture and an older one is brought to it by MIGRATIONS. To add a column: append it here,
# then append a migration that calls `add_columns` (see MIGRATIONS below).


@dataclass(frozen=True)
class Table:
    columns: tuple[tuple[str, str], ...]  # (name, DuckDB type) in insert order
    key: tuple[str, ...] = ()  # primary key columns

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns)

    def type_of(self, column: str) -> str:
        return dict(self.columns)[column]


def _cols(spec: str) -> tuple[tuple[str, str], ...]:
    """'a VARCHAR, b BIGINT' -> (('a', 'VARCHAR'), ('b', 'BIGINT'))."""
    return tuple((p.split()[0], " ".join(p.split()[1:])) for p in (s.strip() for s in spec.split(",")) if p)


TABLES: dict[str, Table] = {
    "meta": Table(_cols("key VARCHAR, value VARCHAR"), key=("key",)),
    "runs": Table(_cols(
        "run_id VARCHAR, name VARCHAR, config JSON, config_hash VARCHAR, input_path VARCHAR, "
        "input_hash VARCHAR, model VARCHAR, base_url VARCHAR, started_at TIMESTAMP, "
        "finished_at TIMESTAMP, status VARCHAR, sessions INTEGER, counts JSON"), key=("run_id",)),
    "examples": Table(_cols(
        "run_id VARCHAR, example_id VARCHAR, source_index BIGINT, line BIGINT, format VARCHAR, "
        "turns JSON, fields JSON, task VARCHAR, task_confidence DOUBLE, classifier VARCHAR")),
    "results": Table(_cols(
        "run_id VARCHAR, example_id VARCHAR, status VARCHAR, task VARCHAR, final_turns JSON, "
        "attempts INTEGER, prompt_tokens BIGINT, completion_tokens BIGINT, error VARCHAR, "
        "finished_at TIMESTAMP"), key=("run_id", "example_id")),
    "rewrites": Table(_cols(
        "run_id VARCHAR, example_id VARCHAR, turn_index INTEGER, status VARCHAR, reason VARCHAR, "
        "original VARCHAR, candidate VARCHAR, final VARCHAR, keep_original BOOLEAN, attempts INTEGER, "
        "length_ratio DOUBLE, request_keys JSON, raw_answers JSON, verdicts JSON, error VARCHAR, "
        # the turn's answer contract (verify/contract.py) and the answer-neutral repairs made
        "contract_kind VARCHAR, contract JSON, repairs JSON, "
        # the mode that produced the candidates (realign/modes/), and label_reason's judged support
        "mode VARCHAR, reason_supports_label BOOLEAN, "
        # earlier answers the turn's prompt showed as rewritten (JSON list of turn indices; []: the
        # input's own conversation; NULL: a turn stored before this was recorded)
        "history_rewritten JSON")),
    # One row per LLM step of a mode (realign/modes/base.TraceStep): the request is in llm_calls.
    "mode_steps": Table(_cols(
        "run_id VARCHAR, example_id VARCHAR, turn_index INTEGER, seq INTEGER, mode VARCHAR, step VARCHAR, "
        "request_key VARCHAR, output JSON")),
    "checks": Table(_cols(
        "run_id VARCHAR, example_id VARCHAR, turn_index INTEGER, attempt INTEGER, candidate INTEGER, "
        "check_name VARCHAR, passed BOOLEAN, reason VARCHAR")),
    "evidence": Table(_cols(
        "run_id VARCHAR, example_id VARCHAR, turn_index INTEGER, rank INTEGER, source VARCHAR, "
        "doc_id VARCHAR, title VARCHAR, url VARCHAR, text VARCHAR, score DOUBLE, match DOUBLE, dropped VARCHAR")),
    "llm_calls": Table(_cols(
        "key VARCHAR, kind VARCHAR, request JSON, response JSON, finish_reason VARCHAR, "
        "prompt_tokens BIGINT, completion_tokens BIGINT, latency_s DOUBLE, error VARCHAR, "
        "created_at TIMESTAMP")),
    # Long message texts shared by many requests (a task's system prompt), stored once.
    "texts": Table(_cols("sha256 VARCHAR, text VARCHAR")),
    "quarantine": Table(_cols(
        "run_id VARCHAR, source_index BIGINT, line BIGINT, field VARCHAR, error VARCHAR, raw VARCHAR")),
    # The ledger: what each session of a run sent and was billed, by purpose (classify, rewrite,
    # feedback, judge ...); every token and cost figure (summary, stats, --json) is read from it.
    "usage": Table(_cols(
        "run_id VARCHAR, session INTEGER, purpose VARCHAR, requests BIGINT, cached BIGINT, "
        "retries BIGINT, prompt_tokens BIGINT, completion_tokens BIGINT"),
        key=("run_id", "session", "purpose")),
    # The trust audit (realign/trust/audit.py): one row per turn and check that found something
    # before or after the rewrite; `regressed` marks what the rewrite made worse (what gates count).
    "trust_audit": Table(_cols(
        "run_id VARCHAR, example_id VARCHAR, turn_index INTEGER, task VARCHAR, check_name VARCHAR, "
        "before DOUBLE, after DOUBLE, regressed BOOLEAN, detail VARCHAR, audited_at TIMESTAMP")),
}
_INDEXES = ("CREATE INDEX IF NOT EXISTS llm_calls_key ON llm_calls (key)",)

# Column order of each buffered table, used to build the Arrow batch of a flush.
_COLUMNS: dict[str, tuple[str, ...]] = {t: TABLES[t].names for t in TABLES
                                        if t not in ("meta", "runs", "usage", "trust_audit")}

Migration = Callable[[duckdb.DuckDBPyConnection], None]


def create_table(con: duckdb.DuckDBPyConnection, name: str, tables: dict[str, Table] = TABLES) -> None:
    t = tables[name]
    body = ", ".join(f"{c} {ty}" for c, ty in t.columns)
    if t.key:
        body += f", PRIMARY KEY ({', '.join(t.key)})"
    con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({body})")


def add_columns(con: duckdb.DuckDBPyConnection, table: str, *columns: str,
                tables: dict[str, Table] = TABLES) -> None:
    """Migration helper: add `columns` to `table` with the types TABLES gives them (NULL in old rows)."""
    for c in columns:
        con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {c} {tables[table].type_of(c)}")


def _m001_initial(con: duckdb.DuckDBPyConnection) -> None:
    # The schema of the first release (meta.schema_version = 1). Fresh databases never run this:
    # they are created from TABLES, which already holds every migration's effect.
    for name in TABLES:
        if name not in ("usage", "mode_steps", "trust_audit"):  # m002's, m004's, m005's (later columns are added IF NOT EXISTS)
            create_table(con, name)
    for ddl in _INDEXES:
        con.execute(ddl)


# Ordered and append-only: a migration's name is recorded in `migrations` once it has run, and a
# database opened later runs only the names it lacks, each in its own transaction. Example:
#   def _m002_results_contract(con): add_columns(con, "results", "contract")
#   MIGRATIONS.append(("m002_results_contract", _m002_results_contract))  # after adding the column to TABLES
def _m002_usage(con: duckdb.DuckDBPyConnection) -> None:
    create_table(con, "usage")  # the token ledger by purpose; older runs have none


def _m003_rewrites_contract(con: duckdb.DuckDBPyConnection) -> None:
    add_columns(con, "rewrites", "contract_kind", "contract", "repairs")  # older turns have none


def _m004_modes(con: duckdb.DuckDBPyConnection) -> None:
    create_table(con, "mode_steps")  # traces of the modes' LLM steps; older turns have none
    add_columns(con, "rewrites", "mode", "reason_supports_label")  # NULL in older turns: mode rewrite


def _m005_trust_audit(con: duckdb.DuckDBPyConnection) -> None:
    create_table(con, "trust_audit")  # `realign audit` results; older databases have none


def _m006_rewrites_history(con: duckdb.DuckDBPyConnection) -> None:
    add_columns(con, "rewrites", "history_rewritten")  # NULL in older turns: not recorded


def _m007_evidence_floor(con: duckdb.DuckDBPyConnection) -> None:
    add_columns(con, "evidence", "match", "dropped")  # NULL in older turns: no relevance floor then


MIGRATIONS: list[tuple[str, Migration]] = [
    ("m001_initial", _m001_initial),
    ("m002_usage", _m002_usage),
    ("m003_rewrites_contract", _m003_rewrites_contract),
    ("m004_modes", _m004_modes),
    ("m005_trust_audit", _m005_trust_audit),
    ("m006_rewrites_history", _m006_rewrites_history),
    ("m007_evidence_floor", _m007_evidence_floor),
]


def _table_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}


def schema_of(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """{table: [(column, type), ...]} as the database has it (tests compare migrated and fresh)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for t, c, ty in con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position").fetchall():
        out.setdefault(t, []).append((c, ty))
    return out


def pending_migrations(con: duckdb.DuckDBPyConnection,
                       migrations: Sequence[tuple[str, Migration]] = MIGRATIONS) -> list[str]:
    """Names a writable open would apply; [] for an up-to-date database."""
    present = _table_names(con)
    if "migrations" not in present:
        # Before migrations existed the first release's tables stood alone: all but m001 pend.
        return [n for n, _ in migrations[1:]] if "runs" in present else [n for n, _ in migrations]
    done = {r[0] for r in con.execute("SELECT name FROM migrations").fetchall()}
    return [n for n, _ in migrations if n not in done]


def _db_path(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return str(row[0]) if row and row[0] else "the database"


def up_to_date(con: duckdb.DuckDBPyConnection,
               migrations: Sequence[tuple[str, Migration]] = MIGRATIONS) -> bool:
    return "migrations" in _table_names(con) and not pending_migrations(con, migrations)


def migrate(con: duckdb.DuckDBPyConnection, *, tables: dict[str, Table] = TABLES,
            migrations: Sequence[tuple[str, Migration]] = MIGRATIONS) -> list[str]:
    """Bring the database to `tables`; returns the names of the migrations applied now."""
    present = _table_names(con)
    if present and not present & {"migrations", "runs"}:
        raise ConfigError(f"{_db_path(con)} is a DuckDB database but not a realign one (its tables: "
                          f"{', '.join(sorted(present)[:5])}); pass another --db")
    con.execute("CREATE TABLE IF NOT EXISTS migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP)")
    applied: list[str] = []
    if "migrations" not in present:
        if "runs" in present:  # the first release: its tables are m001's
            con.execute("INSERT INTO migrations VALUES (?, ?)", [migrations[0][0], _now()])
        else:  # a fresh database: today's schema at once, every migration counted as applied
            with transaction(con):
                for name in tables:
                    create_table(con, name, tables)
                for ddl in _INDEXES:
                    con.execute(ddl)
                for name, _ in migrations:
                    con.execute("INSERT INTO migrations VALUES (?, ?)", [name, _now()])
            return [n for n, _ in migrations]
    done = {r[0] for r in con.execute("SELECT name FROM migrations").fetchall()}
    for name, fn in migrations:
        if name in done:
            continue
        with transaction(con):
            fn(con)
            con.execute("INSERT INTO migrations VALUES (?, ?)", [name, _now()])
        applied.append(name)
    have = schema_of(con)
    for name, t in tables.items():
        missing = [c for c in t.names if c not in {c for c, _ in have.get(name, [])}]
        if missing:  # a column added to TABLES without its migration: the author's mistake
            raise RuntimeError(f"store schema: table {name} lacks {', '.join(missing)} after every "
                               "migration ran; add a migration that calls add_columns")
    return applied


class _Locked(Exception):
    """Another process holds the database's write lock."""


def check_database_file(path: str) -> None:
    """Refuse, before DuckDB touches it, a --db that exists and is not a DuckDB file (an input
    file given by mistake): DuckDB would otherwise read some such files as views, or overwrite them."""
    p = Path(path)
    if path == ":memory:" or not p.exists():
        return
    if p.is_dir():
        raise ConfigError(f"--db {path} is a folder; give a database file, e.g. --db realign.duckdb")
    with p.open("rb") as f:
        head = f.read(12)
    if head and head[8:12] != b"DUCK":
        raise ConfigError(f"--db {path} is not a DuckDB database (did you mean --in?); nothing was written to it. "
                          "Give a new or existing realign database, e.g. --db realign.duckdb")


def remove_database(path: str) -> None:
    """Delete a database file this command created and never used (a failed first command)."""
    _remove([path, path + ".wal"])


class CallJournal:
    """Answered requests, appended to a file beside the database before the pipeline uses them.

    An answer costs money and reaches DuckDB only with the next batch (up to a second later), so
    each one is first written here: one `os.write` of one JSON line, which survives the process
    being killed (the kernel holds it); `sync` fsyncs the lines written since the last one, at
    most every SYNC_SECONDS, against power loss, on a thread of its own (an fsync waits on the
    disk for milliseconds, which the event loop would otherwise spend waiting). The file is cut
    into segments: a flush takes the current segment with the calls it commits and deletes it
    after the commit; segments left by a killed run are replayed into `llm_calls` when the
    database is next opened for writing.
    """

    SYNC_SECONDS = 0.2  # power loss may cost the answers of the last 0.2 s; a killed process none

    def __init__(self, db_path: str) -> None:
        self.prefix = db_path + ".journal-"
        self._fd: int | None = None
        self._seq = 1 + max((self._seq_of(p) for p in self.segments()), default=0)
        self._unsynced = 0
        self._synced_at = time.monotonic()
        self._syncer: ThreadPoolExecutor | None = None
        self._syncing: Future[None] | None = None

    @staticmethod
    def _seq_of(path: Path) -> int:
        return int(path.name.rsplit("-", 1)[1].split(".")[0])

    def segments(self) -> list[Path]:
        parent = Path(self.prefix).parent
        name = Path(self.prefix).name
        return sorted((p for p in parent.glob(name + "*.jsonl") if p.name[len(name):-6].isdigit()),
                      key=self._seq_of)

    def _path(self) -> str:
        return f"{self.prefix}{self._seq:06d}.jsonl"

    def append_line(self, line: str) -> None:
        """One JSON record (a line without its newline)."""
        if self._fd is None:
            self._fd = os.open(self._path(), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.write(self._fd, (line + "\n").encode("utf-8"))
        self._unsynced += 1

    def sync(self, *, force: bool = False) -> None:
        """fsync the lines written since the last sync, at most every SYNC_SECONDS unless forced:
        an fsync costs milliseconds, and rows finish far more often than that. Unforced, it runs
        on the journal's thread (on its own copy of the descriptor, so a rotation may close
        ours meanwhile) and returns at once; forced, it waits for that one and syncs here."""
        if self._fd is None or not self._unsynced:
            return
        now = time.monotonic()
        if not force and now - self._synced_at < self.SYNC_SECONDS:
            return
        if self._syncing is not None and (force or self._syncing.done()):
            self._syncing.result()  # re-raises a failed fsync here
            self._syncing = None
        if force:
            os.fsync(self._fd)
        elif self._syncing is None:
            if self._syncer is None:
                self._syncer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="realign-journal")
            self._syncing = self._syncer.submit(_fsync_and_close, os.dup(self._fd))
        else:
            return  # the last fsync is still running: the next call covers these lines
        self._unsynced = 0
        self._synced_at = now

    def rotate(self) -> list[str]:
        """Close the current segment (its lines go with the batch being flushed); [] if none."""
        if self._fd is None:
            return []
        self.sync(force=True)
        os.close(self._fd)
        self._fd = None
        done = [self._path()]
        self._seq += 1
        return done

    def close(self) -> None:
        if self._fd is not None:
            self.sync(force=True)
            os.close(self._fd)
            self._fd = None
        if self._syncing is not None:
            self._syncing.result()
            self._syncing = None
        if self._syncer is not None:
            self._syncer.shutdown(wait=True)
            self._syncer = None

    @staticmethod
    def read(path: Path) -> Iterator[dict[str, Any]]:
        with path.open("rb") as f:
            for line in f:
                try:
                    yield json.loads(line)
                except ValueError:
                    continue  # the line being written when the process died


def _fsync_and_close(fd: int) -> None:
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(paths: Sequence[str]) -> None:
    for p in paths:
        try:
            os.remove(p)
        except (FileNotFoundError, NotADirectoryError):
            pass


class Store:
    """The realign database. Not thread-safe by design: one writer, the pipeline's event loop."""

    def __init__(self, path: str | Path, *, read_only: bool = False, flush_rows: int = 8192,
                 flush_seconds: float = 1.0):
        self.path = str(path)
        if read_only and not Path(self.path).exists():
            raise ConfigError(
                f"database {self.path} does not exist; run `realign rewrite --db {self.path} ...` first"
            )
        check_database_file(self.path)
        if not read_only and self.path != ":memory:":
            # Like `export`, a run may name a folder that does not exist yet; DuckDB would refuse it.
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise ConfigError(f"cannot create the folder of --db {self.path}: {e.strerror}; "
                                  "give a path whose folders are folders") from None
        # DuckDB's buffer pool may otherwise grow to 80% of RAM as a run writes; a bounded pool
        # keeps the process flat whatever the input size (pages beyond it go back to disk).
        config = {"memory_limit": os.environ.get("REALIGN_DUCKDB_MEMORY", "128MB")}
        self._open_path = self.path  # a private snapshot instead, while another process writes
        self._snapshot_dir: str | None = None
        try:
            self.con = self._connect(read_only, config)
        except _Locked:
            if not read_only:
                raise ConfigError(f"database {self.path} is in use by another realign command that writes to it "
                                  "(a run in progress?); wait for it to finish or pass another --db") from None
            self._open_path = self._snapshot()
            self.con = self._connect(True, config)
        if read_only and not up_to_date(self.con):
            # A database from an older release (or a snapshot of one): bring it up to date, then read it.
            self.con.close()
            writable = self._connect(False, config)
            try:
                migrate(writable)
            finally:
                writable.close()
            self.con = self._connect(True, config)
        self.read_only = read_only
        # Buffered table rows (about 8 per example) that start a flush before flush_seconds is up.
        # Each flush costs DuckDB a fixed few milliseconds per table, so batches stay large: at
        # hundreds of rows/s the one-second timer decides, and memory holds at most ~8k rows.
        self.flush_rows = flush_rows
        self.flush_seconds = flush_seconds  # a slow run still reaches the disk every second
        self._last_flush = time.monotonic()
        self._buffers: dict[str, list[tuple[Any, ...]]] = {t: [] for t in _COLUMNS}
        self._pending_calls: dict[str, dict[str, Any]] = {}
        self._forget: list[tuple[str, str]] = []  # (run_id, example_id) whose old rows go first
        self._usage: tuple[str, int, dict[str, dict[str, Any]]] | None = None  # latest ledger snapshot
        self.session = 1  # of the run started by start_run
        self.run_id: str | None = None
        # Called at each flush for the ledger snapshot to write with the batch, so the usage stored
        # always covers the calls stored (and the journal segments deleted) with it.
        self.usage_source: Callable[[], tuple[str, int, dict[str, dict[str, Any]]]] | None = None
        # 64-bit prefixes of the keys with a stored answer: a cache miss, the common case, is
        # then answered without a query (~8 bytes a key in the set's hash table plus the int).
        self._known_keys: set[int] = set()
        self._known_texts: set[str] = set()  # sha256 of the texts already in `texts`
        # text -> sha256 of the long texts seen lately: a task's system prompt comes with every
        # one of its requests, and hashing it each time cost more than the rest of put_call.
        self._text_sha: dict[str, str] = {}
        # Requests whose answer was cut off at max_tokens with the same text twice: sending them
        # again is paying for the same cut-off (the key holds max_tokens, so raising it asks anew).
        self._cutoffs: dict[str, dict[str, Any]] = {}
        # One writer thread on its own cursor: DuckDB releases the GIL while it writes, so the
        # event loop keeps serving requests during a flush.
        self._writer: ThreadPoolExecutor | None = None
        self._flushing: Future[None] | None = None
        self._flushing_calls: dict[str, dict[str, Any]] = {}
        self._buffered = 0
        self._lock = threading.Lock()
        if not read_only:
            migrate(self.con)
            self._known_texts.update(r[0] for r in self.con.execute("SELECT sha256 FROM texts").fetchall())
            cur = self.con.execute("SELECT DISTINCT key FROM llm_calls WHERE error IS NULL")
            while rows := cur.fetchmany(65536):
                self._known_keys.update(int(r[0][:16], 16) for r in rows)
            for key, response in self.con.execute(
                    "SELECT key, any_value(response) FROM llm_calls WHERE error IS NOT NULL"
                    f" AND finish_reason IN {SETTLED_FAILURES}"
                    " AND response IS NOT NULL GROUP BY key").fetchall():
                self._cutoffs[key] = json.loads(response)
        if not read_only:
            # pyarrow imports pandas (when installed) the first time it converts a list: here,
            # before a run, rather than on the writer thread mid-run, where that import held the
            # GIL (and so the event loop) for a quarter of a second.
            pa.array([])
        self._journal: CallJournal | None = None
        self.replayed = 0  # answers recovered from the journal of a run that was killed
        if not read_only and self.path != ":memory:":
            self._journal = CallJournal(self.path)
            self._replay(self._journal.segments())

    def _connect(self, read_only: bool, config: dict[str, Any]) -> duckdb.DuckDBPyConnection:
        try:
            return duckdb.connect(self._open_path, read_only=read_only, config=config)
        except duckdb.IOException as e:
            if "Conflicting lock" in str(e):
                raise _Locked() from None
            raise ConfigError(f"cannot open database {self.path}: {e}") from None

    def _snapshot(self) -> str:
        """Copy the database and its WAL into a private folder, for reading while a run writes.

        DuckDB lets one process hold a file that is being written. A run writes every commit to the
        WAL and the main file only at checkpoints, so a copy is consistent when the main file did
        not change while both were copied (its size and mtime are compared); otherwise it is taken
        again. A torn last WAL entry is dropped by DuckDB's checksums. Costs one file copy (see
        benchmarks/read_while_writing.py).
        """
        self._snapshot_dir = tempfile.mkdtemp(prefix="realign-snapshot-")
        dst = os.path.join(self._snapshot_dir, Path(self.path).name)
        wal = self.path + ".wal"
        for _ in range(5):
            before = os.stat(self.path)
            shutil.copyfile(self.path, dst)
            if os.path.exists(wal):
                try:
                    shutil.copyfile(wal, dst + ".wal")
                except FileNotFoundError:  # checkpointed away meanwhile: the stat check retries
                    pass
            after = os.stat(self.path)
            if (before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns):
                return dst
            _remove([dst, dst + ".wal"])
            time.sleep(0.2)
        raise ConfigError(f"database {self.path} is being checkpointed by the run writing it; try again in a moment")

    def _replay(self, segments: list[Path]) -> None:
        """Store the answers a killed run journaled but never flushed, then drop its segments."""
        if not segments:
            return
        journal, self._journal = self._journal, None  # replayed calls are journaled already
        billed: dict[tuple[str, int, str], list[int]] = {}  # the ledger of the calls recovered
        try:
            for seg in segments:
                for rec in CallJournal.read(seg):
                    if "text" in rec:  # a long prompt text, referenced by the calls after it
                        if rec["text"] not in self._known_texts:
                            self._known_texts.add(rec["text"])
                            self._add("texts", (rec["text"], rec.get("content")))
                        continue
                    if not isinstance(rec.get("call"), list) or len(rec["call"]) != 8:
                        continue  # not a record this release writes
                    run_id, session, key, kind, finish_reason, p_tok, c_tok, latency = rec["call"]
                    if not isinstance(key, str) or self.get_call(key) is not None:
                        continue
                    if rec.get("error") is not None:  # a deterministic cut-off: known, not an answer
                        if key not in self._cutoffs:
                            self._cutoffs[key] = rec["response"]
                            self._add("llm_calls", (key, kind, _json(rec["request"]), _json(rec["response"]),
                                                    finish_reason, p_tok, c_tok, latency, rec["error"], _now()))
                        continue
                    if run_id and session:
                        row = billed.setdefault((run_id, int(session), kind), [0, 0, 0])
                        row[0] += 1
                        row[1] += int(p_tok or 0)
                        row[2] += int(c_tok or 0)
                    self._pending_calls[key] = rec["response"]
                    self._known_keys.add(int(key[:16], 16))
                    self._add("llm_calls", (key, kind, _json(rec["request"]), _json(rec["response"]), finish_reason,
                                            p_tok, c_tok, latency, None, _now()))
                    self.replayed += 1
            self.flush()
            for (run_id, session, purpose), (n, p_tok, c_tok) in billed.items():
                self.con.execute(
                    """INSERT INTO usage VALUES (?, ?, ?, ?, 0, 0, ?, ?)
                       ON CONFLICT DO UPDATE SET requests = usage.requests + excluded.requests,
                           prompt_tokens = usage.prompt_tokens + excluded.prompt_tokens,
                           completion_tokens = usage.completion_tokens + excluded.completion_tokens""",
                    [run_id, session, purpose, n, p_tok, c_tok])
        finally:
            self._journal = journal
        _remove([str(p) for p in segments])

    # ---- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        if not self.read_only:
            self.flush()
        if self._writer is not None:
            self._writer.shutdown(wait=True)
        if self._journal is not None:
            self._journal.close()  # anything still in it was not committed: replayed next time
        self.con.close()
        if self._snapshot_dir is not None:
            shutil.rmtree(self._snapshot_dir, ignore_errors=True)

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- buffered writes ------------------------------------------------------------------
    def _add(self, table: str, row: tuple[Any, ...]) -> None:
        self._buffers[table].append(row)
        self._buffered += 1

    def maybe_flush(self) -> bool:
        """Start a background flush when enough rows or time have gathered and none is running."""
        if self._journal is not None:
            self._journal.sync()  # the answers journaled since the last call, in one fsync
        if not self._buffered:
            return False
        if self._buffered < self.flush_rows and time.monotonic() - self._last_flush < self.flush_seconds:
            return False
        if self._flushing is not None:
            if not self._flushing.done():
                return False
            self._finish_background_flush()
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="realign-store")
        batch = self._take_batch()
        self._flushing_calls = batch[2]
        cursor = self.con.cursor()
        self._flushing = self._writer.submit(self._write_batch, cursor, batch[0], batch[1], close=True,
                                             journaled=batch[3], usage=batch[4])
        return True

    def flush(self) -> None:
        """Write every buffered row now (waits for a background flush first)."""
        if self._flushing is not None:
            self._finish_background_flush()
        if not self._buffered:
            return
        buffers, forget, _, journaled, usage = self._take_batch()
        self._write_batch(self.con, buffers, forget, journaled=journaled, usage=usage)

    def _finish_background_flush(self) -> None:
        assert self._flushing is not None
        try:
            self._flushing.result()  # re-raises a failed write here, on the pipeline's thread
        finally:
            self._flushing = None
            self._flushing_calls = {}

    def _take_batch(self) -> tuple[dict[str, list[tuple[Any, ...]]], list[tuple[str, str]],
                                   dict[str, dict[str, Any]], list[str], Any]:
        journaled = self._journal.rotate() if self._journal is not None else []
        usage = self.usage_source() if self.usage_source is not None else self._usage
        batch = (self._buffers, self._forget, self._pending_calls, journaled, usage)
        self._usage = None
        self._buffers = {t: [] for t in _COLUMNS}
        self._forget = []
        self._pending_calls = {}
        self._buffered = 0
        self._last_flush = time.monotonic()
        return batch

    @staticmethod
    def _write_batch(con: duckdb.DuckDBPyConnection, buffers: dict[str, list[tuple[Any, ...]]],
                     forget: list[tuple[str, str]], close: bool = False, journaled: Sequence[str] = (),
                     usage: tuple[str, int, dict[str, dict[str, Any]]] | None = None) -> None:
        """One transaction: drop the stories of retried rows, then append every buffered row;
        the journal segments of the calls it holds go once it has committed."""
        try:
            with transaction(con):
                if forget:
                    gone = pa.table({"run_id": [r for r, _ in forget], "example_id": [e for _, e in forget]})
                    con.register("_gone", gone)
                    for table in ("results", "rewrites", "checks", "mode_steps", "evidence", "examples"):
                        con.execute(f"DELETE FROM {table} t USING _gone g "
                                    "WHERE t.run_id = g.run_id AND t.example_id = g.example_id")
                    con.unregister("_gone")
                for table in _FLUSH_ORDER:
                    if buffers[table]:
                        insert_rows(con, table, _COLUMNS[table], buffers[table])
                if usage is not None:
                    run_id, session, by_purpose = usage
                    con.execute("DELETE FROM usage WHERE run_id = ? AND session = ?", [run_id, session])
                    cols = TABLES["usage"].names
                    if by_purpose:
                        insert_rows(con, "usage", cols, [
                            (run_id, session, p, *(v.get(c) for c in cols[3:])) for p, v in sorted(by_purpose.items())])
            _remove(journaled)
        finally:
            if close:
                con.close()

    # ---- cache (CallCache protocol) -------------------------------------------------------
    def get_call(self, key: str) -> dict[str, Any] | None:
        pending = self._pending_calls.get(key) or self._flushing_calls.get(key)
        if pending is not None:
            return pending
        if int(key[:16], 16) not in self._known_keys:
            return None
        row = self.con.execute(
            "SELECT response FROM llm_calls WHERE key = ? AND error IS NULL AND response IS NOT NULL LIMIT 1",
            [key],
        ).fetchone()
        return json.loads(row[0]) if row else None

    def completion_per_char(self) -> dict[str, float]:
        """Completion tokens the model wrote per character of the original, by task and overall
        ("*"), over every finished rewrite in this database: what --dry-run estimates with."""
        rows = self.con.execute(
            "WITH o AS (SELECT run_id, example_id, sum(length(original)) AS chars FROM rewrites GROUP BY ALL) "
            "SELECT r.task, sum(r.completion_tokens), sum(o.chars) FROM results r JOIN o USING (run_id, example_id) "
            "WHERE r.completion_tokens > 0 AND o.chars > 0 GROUP BY r.task").fetchall()
        out = {task: tokens / chars for task, tokens, chars in rows if chars >= 2000}
        total_tokens, total_chars = sum(r[1] for r in rows), sum(r[2] for r in rows)
        if total_chars >= 1000:  # a handful of short rows says little
            out["*"] = total_tokens / total_chars
        return out

    def prompt_chars_per_token(self, sample: int = 2000) -> float | None:
        """Characters of message text per prompt token the server counted, over the latest
        `sample` answered requests of this database (None with too few): what --dry-run divides
        prompt characters by instead of assuming 4 (tokenizers differ: code, other languages)."""
        rows = self.con.execute(
            "SELECT request, prompt_tokens FROM llm_calls WHERE prompt_tokens > 0 AND error IS NULL "
            "ORDER BY created_at DESC LIMIT ?", [sample]).fetchall()
        lengths: dict[str, int] = {}  # shared texts by sha256, each looked up once
        chars = tokens = 0
        for request_json, prompt_tokens in rows:
            messages = json.loads(request_json).get("messages")
            if not isinstance(messages, list):
                continue
            size = 0
            for m in messages:
                content = m.get("content") if isinstance(m, dict) else None
                if isinstance(content, dict) and "$text" in content:
                    sha = content["$text"]
                    if sha not in lengths:
                        row = self.con.execute("SELECT length(text) FROM texts WHERE sha256 = ? LIMIT 1",
                                               [sha]).fetchone()
                        lengths[sha] = int(row[0]) if row and row[0] is not None else 0
                    size += lengths[sha]
                elif isinstance(content, str):
                    size += len(content)
            chars, tokens = chars + size, tokens + int(prompt_tokens)
        # a handful of requests says little about a tokenizer
        return chars / tokens if len(rows) >= 20 and tokens >= 2000 else None

    def learned_dialect(self, base_url: str, model: str) -> str | None:
        """The structured-output form an earlier session learned that this endpoint and model take."""
        if self.read_only:
            return None
        row = self.con.execute("SELECT value FROM meta WHERE key = ?", [f"dialect {base_url} {model}"]).fetchone()
        return row[0] if row else None

    def remember_dialect(self, base_url: str, model: str, mode: str) -> None:
        """Keep the form the client stepped down to, so the next session starts there."""
        with self._lock:
            self.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [f"dialect {base_url} {model}", mode])

    def learned_cap(self, base_url: str, model: str) -> int | None:
        """The in-flight cap an earlier session cut this endpoint to (it queued requests), if any."""
        if self.read_only:
            return None
        row = self.con.execute("SELECT value FROM meta WHERE key = ?", [f"cap {base_url} {model}"]).fetchone()
        return int(row[0]) if row and str(row[0]).isdigit() else None

    def remember_cap(self, base_url: str, model: str, cap: int | None) -> None:
        """Keep the cap the client cut this endpoint to (None: it grew back to --concurrency)."""
        with self._lock:
            if cap is None:
                self.con.execute("DELETE FROM meta WHERE key = ?", [f"cap {base_url} {model}"])
            else:
                self.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [f"cap {base_url} {model}", str(cap)])

    def get_cutoff(self, key: str) -> dict[str, Any] | None:
        """The stored answer of a request that was cut off at max_tokens the same way twice, or
        whose same answer was rejected twice (finish_reason "invalid_output"), or the refusal of a
        prompt too long for the model (finish_reason "too_long": no choices, an "error" entry
        with the server's message and URL), or None."""
        return self._cutoffs.get(key)

    def refusals(self) -> dict[str, dict[str, Any]]:
        """Every stored refusal of a prompt longer than the model's context (finish_reason
        "too_long"), by request key: what `get_cutoff` answers them with, read from the table
        (a read-only store, e.g. --dry-run's, loads no cut-offs)."""
        return {key: json.loads(response) for key, response in self.con.execute(
            "SELECT key, any_value(response) FROM llm_calls WHERE error IS NOT NULL AND finish_reason = 'too_long'"
            " AND response IS NOT NULL GROUP BY key").fetchall()}

    def copy_reusable_calls(self, folder: str | Path, model: str | None) -> int:
        """Write every stored call the cache would answer from as Parquet files under `folder`,
        for workers that cannot open this database (the Ray engine's,
        `realign.engines.shards.StoreSnapshot`); returns the number of request keys written.

        One row per stored call (a key stored twice has two rows): `key`, `answer` (a stored
        answer, as `get_call` gives it) or `settled` (a stored failure `get_cutoff` gives: a
        prompt too long for the model, the same cut-off or rejected answer twice; an answer of the
        same key wins, as in the client). The rows go to ``bucket=XX/`` folders by the key's first
        hex digits (one to three: buckets of up to about 2,000 keys), so a lookup reads one bucket: a
        partitioned copy streams, where sorting megabytes of answers by key would not fit the
        store's memory limit. Chat calls of another model than `model` are left out (their keys
        hold the model, so no request of this run can match them); calls without a model in
        their request (web searches) are kept. `folder` is replaced whole."""
        self.flush()
        where = (f"response IS NOT NULL AND (error IS NULL OR finish_reason IN {SETTLED_FAILURES}) "
                 "AND coalesce(json_extract_string(request, '$.model') = ?, true)")
        keys = int(self.con.execute(f"SELECT count(DISTINCT key) FROM llm_calls WHERE {where}", [model]).fetchone()[0])
        # buckets of about 2,000 keys at most (a lookup reads one bucket's keys), 4,096 at most
        width = 1 if keys <= 2_000 * 16 else 2 if keys <= 2_000 * 256 else 3
        final = Path(folder)
        tmp, old = final.with_name("." + final.name + ".tmp"), final.with_name("." + final.name + ".old")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
        tmp.mkdir(parents=True)
        if keys:
            quoted = str(tmp).replace("'", "''")
            self.con.execute(f"""COPY (
                SELECT substr(key, 1, {width}) AS bucket, key, CASE WHEN error IS NULL THEN response END AS answer,
                       CASE WHEN error IS NOT NULL THEN response END AS settled
                FROM llm_calls WHERE {where}
            ) TO '{quoted}' (FORMAT parquet, PARTITION_BY (bucket), OVERWRITE_OR_IGNORE, ROW_GROUP_SIZE 2048)""",
                             [model])
        if final.exists():
            os.replace(final, old)
        os.replace(tmp, final)  # a worker never sees half a copy
        shutil.rmtree(old, ignore_errors=True)
        return keys

    def put_call(
        self,
        key: str,
        *,
        kind: str,
        request: dict[str, Any],
        response: dict[str, Any] | None,
        finish_reason: str | None = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        latency_s: float | None = None,
        error: str | None = None,
    ) -> None:
        request_json = _json(self._share_texts(request))
        response_json = None if response is None else _json(response)
        if response is not None and error is None:
            if self._journal is not None:
                # The stored forms, dumped once: the request with its long texts by reference
                # (each new text was journaled by _share_texts just before).
                self._journal.append_line(
                    f'{{"call":{_json([self.run_id, self.session, key, kind, finish_reason, prompt_tokens, completion_tokens, latency_s])},'
                    f'"request":{request_json},"response":{response_json}}}')
            self._pending_calls[key] = response
            self._known_keys.add(int(key[:16], 16))
            self._cutoffs.pop(key, None)
        elif response is not None and finish_reason in SETTLED_FAILURES:
            # a deterministic cut-off (or the same answer rejected twice) was paid for like an
            # answer: journaled too, so a kill before the flush does not make the rerun pay again
            if self._journal is not None:
                self._journal.append_line(
                    f'{{"call":{_json([self.run_id, self.session, key, kind, finish_reason, prompt_tokens, completion_tokens, latency_s])},'
                    f'"request":{request_json},"response":{response_json},"error":{_json(error)}}}')
            self._cutoffs[key] = response
        self._add("llm_calls", (key, kind, request_json, response_json, finish_reason, prompt_tokens,
                                completion_tokens, latency_s, error, _now()))

    def _share_texts(self, request: dict[str, Any]) -> dict[str, Any]:
        """The request with each long message text replaced by {"$text": sha256}, stored once."""
        messages = request.get("messages")
        if not isinstance(messages, list):
            return request
        out = []
        for m in messages:
            content = m.get("content") if isinstance(m, dict) else None
            if isinstance(content, str) and len(content) >= SHARED_TEXT_CHARS:
                sha = self._text_sha.get(content)
                if sha is None:
                    if len(self._text_sha) >= 256:  # a row's own long texts pass once: keep it small
                        self._text_sha.clear()
                    sha = self._text_sha[content] = hashlib.sha256(content.encode("utf-8")).hexdigest()
                if sha not in self._known_texts:
                    self._known_texts.add(sha)
                    self._add("texts", (sha, content))
                    if self._journal is not None:
                        self._journal.append_line(_json({"text": sha, "content": content}))
                m = {**m, "content": {"$text": sha}}
            out.append(m)
        return {**request, "messages": out}

    def stored_request(self, key: str) -> dict[str, Any] | None:
        """The request sent under `key`, with its shared texts put back."""
        row = self.con.execute("SELECT request FROM llm_calls WHERE key = ? LIMIT 1", [key]).fetchone()
        if row is None:
            return None
        request = json.loads(row[0])
        for m in request.get("messages") or []:
            ref = m.get("content") if isinstance(m, dict) else None
            if isinstance(ref, dict) and "$text" in ref:
                text = self.con.execute("SELECT text FROM texts WHERE sha256 = ? LIMIT 1", [ref["$text"]]).fetchone()
                m["content"] = text[0] if text else None
        return request

    def set_usage(self, run_id: str, session: int, by_purpose: dict[str, dict[str, Any]]) -> None:
        """The session's ledger so far (requests, cached, retries, tokens, cost by purpose),
        replacing the previous snapshot at the next flush."""
        if self._usage is None:
            self._buffered += 1
        self._usage = (run_id, session, {p: dict(v) for p, v in by_purpose.items()})

    # ---- runs -----------------------------------------------------------------------------
    def start_run(self, *, run_id: str, name: str, config: dict[str, Any], config_hash: str,
                  input_path: str, input_hash: str, model: str | None, base_url: str | None) -> bool:
        """Register a run or a new session of an existing one. Returns True when resuming."""
        existing = self.con.execute("SELECT sessions FROM runs WHERE run_id = ?", [run_id]).fetchone()
        if existing:
            self.con.execute(
                "UPDATE runs SET sessions = sessions + 1, status = 'running', finished_at = NULL WHERE run_id = ?",
                [run_id],
            )
            self.session = int(existing[0] or 0) + 1
            self.run_id = run_id
            return True
        self.session = 1
        self.run_id = run_id
        self.con.execute(
            "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 'running', 1, NULL)",
            [run_id, name, _json(config), config_hash, input_path, input_hash, model, base_url, _now()],
        )
        return False

    # Per-session figures that add up over the sessions of a run (a resumed run has several).
    SESSION_TOTALS = ("llm_requests", "cached_requests", "retries", "prompt_tokens", "completion_tokens", "cost_usd")

    def finish_run(self, run_id: str, status: str, counts: dict[str, Any]) -> None:
        """Store the last session's counts, and the run's totals over all its sessions."""
        self.flush()
        row = self.con.execute("SELECT counts FROM runs WHERE run_id = ?", [run_id]).fetchone()
        before = (json.loads(row[0]) or {}).get("totals", {}) if row and row[0] else {}
        totals = {}
        for k in self.SESSION_TOTALS:
            if counts.get(k) is None and before.get(k) is None:
                totals[k] = None
            else:
                totals[k] = round((before.get(k) or 0) + (counts.get(k) or 0), 6)
        self.con.execute(
            "UPDATE runs SET finished_at = ?, status = ?, counts = ? WHERE run_id = ?",
            [_now(), status, _json({**counts, "totals": totals}), run_id],
        )

    def latest_run(self) -> str | None:
        row = self.con.execute("SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def resolve_run(self, run_id: str | None) -> str:
        """The run a read command talks about: the given one (a unique prefix is enough) or the latest."""
        if run_id is None:
            latest = self.latest_run()
            if latest is None:
                raise ConfigError(f"database {self.path} holds no run yet; run `realign rewrite` first")
            return latest
        rows = self.con.execute(
            "SELECT run_id FROM runs WHERE run_id LIKE ? || '%'", [run_id]
        ).fetchall()
        if len(rows) != 1:
            known = [r[0] for r in self.con.execute("SELECT run_id FROM runs").fetchall()]
            what = "no" if not rows else "more than one"
            raise ConfigError(f"{what} run matches '{run_id}' in {self.path}; runs: {', '.join(known) or 'none'}")
        return rows[0][0]

    # ---- rows -----------------------------------------------------------------------------
    def result_statuses(self, run_id: str, example_ids: Sequence[str]) -> dict[str, str]:
        """The stored status of each of `example_ids` that has a result in the run."""
        if not example_ids:
            return {}
        rows = self.con.execute(
            "SELECT example_id, status FROM results WHERE run_id = ? AND example_id IN (SELECT unnest(?))",
            [run_id, list(example_ids)],
        ).fetchall()
        return dict(rows)

    def finished_ids(self, run_id: str, example_ids: Sequence[str] | None = None) -> set[str]:
        """Ids of the run's rows (of `example_ids`, or all) that a resume skips: a result that did
        not fail, whose task did not come from the embedded fallback after the LLM classifier
        failed (those are classified again), and none of whose turns was kept as too long for the
        model (`TOO_LONG_REASON`: done again, from the cache unless the fix changed the request).
        The one rule `engines.admit` and --dry-run share."""
        if example_ids is not None and not example_ids:
            return set()
        among = "" if example_ids is None else " AND r.example_id IN (SELECT unnest(?))"
        rows = self.con.execute(
            "SELECT r.example_id FROM results r WHERE r.run_id = ? AND r.status <> 'failed' AND NOT EXISTS "
            "(SELECT 1 FROM examples e WHERE e.run_id = r.run_id AND e.example_id = r.example_id "
            "AND e.classifier = 'embedded_fallback') AND NOT EXISTS "
            "(SELECT 1 FROM rewrites w WHERE w.run_id = r.run_id AND w.example_id = r.example_id "
            "AND w.status = 'kept_original' AND starts_with(w.reason, ?))" + among,
            [run_id, TOO_LONG_REASON] + ([] if example_ids is None else [list(example_ids)]),
        ).fetchall()
        return {r[0] for r in rows}

    def forget_example(self, run_id: str, example_id: str) -> None:
        """Drop a row's stored story at the next flush, before its new rows are written."""
        self._forget.append((run_id, example_id))

    def quarantined_indices(self, run_id: str) -> set[int]:
        return {r[0] for r in self.con.execute(
            "SELECT source_index FROM quarantine WHERE run_id = ?", [run_id]).fetchall()}

    def add_example(self, run_id: str, ex: Any, task: str, confidence: float, classifier: str) -> None:
        self._add("examples", (
            run_id, ex.id, ex.source_index, ex.line, ex.format,
            _json([t.model_dump() for t in ex.turns]), _json(ex.fields), task, confidence, classifier,
        ))

    def add_quarantine(self, run_id: str, bad: Any) -> None:
        self._add("quarantine", (run_id, bad.source_index, bad.line, bad.field, bad.error, bad.raw))

    def add_evidence(self, run_id: str, example_id: str, turn_index: int, evidence: Iterable[Any]) -> None:
        for ev in evidence:
            self._add("evidence", (run_id, example_id, turn_index, ev.rank, ev.source, ev.doc_id,
                                   ev.title, ev.url, ev.text, ev.score, ev.match, ev.dropped))

    def add_check(self, run_id: str, example_id: str, turn_index: int, attempt: int,
                  candidate: int, name: str, passed: bool, reason: str) -> None:
        self._add("checks", (run_id, example_id, turn_index, attempt, candidate, name, passed, reason))

    def add_rewrite(self, run_id: str, example_id: str, turn_index: int, **cols: Any) -> None:
        row = [run_id, example_id, turn_index]
        for col in _COLUMNS["rewrites"][3:]:
            value = cols.get(col)
            if col in ("request_keys", "raw_answers", "verdicts", "contract", "repairs", "history_rewritten") \
                    and value is not None:
                value = _json(value)
            row.append(value)
        self._add("rewrites", tuple(row))

    def add_mode_steps(self, run_id: str, example_id: str, turn_index: int, steps: Iterable[Any]) -> None:
        """A turn's trace (realign/modes/base.TraceStep), numbered in the order the steps ran."""
        for seq, s in enumerate(steps):
            self._add("mode_steps", (run_id, example_id, turn_index, seq, s.mode, s.step, s.request_key,
                                     None if s.output is None else _json(s.output)))

    def add_result(self, run_id: str, example_id: str, *, status: str, task: str,
                   final_turns: list[dict[str, str]], attempts: int, prompt_tokens: int,
                   completion_tokens: int, error: str | None) -> None:
        self._add("results", (run_id, example_id, status, task, _json(final_turns), attempts,
                              prompt_tokens, completion_tokens, error, _now()))

    # ---- reads ----------------------------------------------------------------------------
    def iter_final(self, run_id: str, batch: int = 2048) -> Iterator[dict[str, Any]]:
        """Every example of a run in input order with its final turns (original where no result).

        Only the row ids are sorted; the rows themselves are fetched `batch` at a time (see
        `rows_by_rowid`): sorting whole rows under the bounded memory fails on a few very long ones."""
        keys = self.con.cursor()
        wide = self.con.cursor()
        try:
            keys.execute(
                """SELECT e.rowid, r.rowid FROM examples e LEFT JOIN results r USING (run_id, example_id)
                   WHERE e.run_id = ? ORDER BY e.source_index""",
                [run_id],
            )
            while rows := keys.fetchmany(batch):
                examples = self.rows_by_rowid(wide, "examples", "example_id, source_index, line, format, turns, "
                                              "fields, task", [r[0] for r in rows])
                results = self.rows_by_rowid(wide, "results", "status, final_turns",
                                             [r[1] for r in rows if r[1] is not None])
                for erow, rrow in rows:
                    row = examples[erow]
                    result = results.get(rrow) if rrow is not None else None
                    row["status"] = (result or {}).get("status") or "pending"
                    row["final_turns"] = (result or {}).get("final_turns")
                    yield row
        finally:
            keys.close()
            wide.close()

    @staticmethod
    def rows_by_rowid(cur: Any, table: str, columns: str, rowids: list[int]) -> dict[int, dict[str, Any]]:
        """The rows of `table` (these `columns`) with these DuckDB rowids, by rowid. Rows near one
        another in input order were written at about the same time, so the rowid bounds let DuckDB
        skip the other row groups, and nothing is sorted. When the rows do not fit the bounded
        memory together (a few hold megabytes), each half is fetched on its own, down to one row."""
        if not rowids:
            return {}
        try:
            cur.execute(f"SELECT rowid AS _rowid, {columns} FROM {table} WHERE rowid BETWEEN ? AND ? "
                        "AND rowid IN (SELECT unnest(?::BIGINT[]))", [min(rowids), max(rowids), rowids])
            names = [d[0] for d in cur.description][1:]
            return {r[0]: dict(zip(names, r[1:])) for r in cur.fetchall()}
        except duckdb.OutOfMemoryException:
            if len(rowids) == 1:
                raise ConfigError(
                    f"one row of table {table} does not fit the database's memory limit "
                    f"({os.environ.get('REALIGN_DUCKDB_MEMORY', '128MB')}); set REALIGN_DUCKDB_MEMORY higher "
                    "(e.g. REALIGN_DUCKDB_MEMORY=1GB) and run the command again") from None
            half = len(rowids) // 2
            return {**Store.rows_by_rowid(cur, table, columns, rowids[:half]),
                    **Store.rows_by_rowid(cur, table, columns, rowids[half:])}

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = self.con.execute(sql, list(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def run_info(self, run_id: str) -> dict[str, Any]:
        return self.query("SELECT * FROM runs WHERE run_id = ?", [run_id])[0]



LEDGER_FIELDS = ("requests", "cached", "retries", "prompt_tokens", "completion_tokens", "cost_usd")


def run_price(store: Store, run_id: str) -> tuple[float, float] | None:
    """The run's price per million tokens: its config's, else the model's list price."""
    from realign.llm.prices import price_of

    row = store.con.execute("SELECT config, model FROM runs WHERE run_id = ?", [run_id]).fetchone()
    model_cfg = (json.loads(row[0]) or {}).get("model", {}) if row and row[0] else {}
    return price_of(row[1] if row else None, model_cfg.get("prompt_price"), model_cfg.get("completion_price"))


def run_usage(store: Store, run_id: str, price: tuple[float, float] | None = None) -> dict[str, Any]:
    """The ledger of a run over all its sessions: {"by_purpose": {purpose: figures}, "total": figures}.
    Cost is the tokens at `price` (default: the run's); None where the model has no price."""
    from realign.llm.prices import cost_usd

    price = price if price is not None else run_price(store, run_id)
    rows = store.query(
        """SELECT purpose, sum(requests) AS requests, sum(cached) AS cached, sum(retries) AS retries,
                  sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens
           FROM usage WHERE run_id = ? GROUP BY purpose ORDER BY purpose""", [run_id])
    by_purpose = {r.pop("purpose"): {k: int(v or 0) for k, v in r.items()} for r in rows}
    for v in by_purpose.values():
        v["cost_usd"] = cost_usd(price, v["prompt_tokens"], v["completion_tokens"])
    total: dict[str, Any] = {k: sum(v[k] or 0 for v in by_purpose.values()) for k in LEDGER_FIELDS}
    total["cost_usd"] = cost_usd(price, total["prompt_tokens"], total["completion_tokens"])
    return {"by_purpose": by_purpose, "total": total}


# A rejection reason with its specifics blanked, for grouping: a quoted fragment becomes '…' and a
# number N, only where a token starts (\B, \b): an apostrophe inside a word ("original's") opens
# no quote, and a digit inside a word (GSM8K) is no number.
_REASON_KIND = (r"""regexp_replace(regexp_replace(reason, '\B''[^'']*''\B|\B"[^"]*"\B', '''…''', 'g'), """
                r"""'\b[0-9]+([.,][0-9]+)*', 'N', 'g')""")


def quarantine_warnings(rows: int, quarantined: int, format_from: str | None = None) -> list[str]:
    """A warning when most rows could not be read: usually a wrong format or field mapping.

    `format_from` names where the format was forced ("--format", "input.format in FILE"); None
    when the shape was detected."""
    if rows and quarantined * 2 > rows:
        check = (f"Check {format_from} (or remove it to detect the shape)" if format_from else
                 "The shape was detected: check the file, or force it with --format")
        return [f"most rows were quarantined ({quarantined:,} of {rows:,}): is the input's shape right? "
                f"{check} and see `realign stats` for the reasons"]
    return []


def _stored_format_from(run: dict[str, Any]) -> str | None:
    """Where a stored run's forced format came from, as far as its stored config tells."""
    cfg = run.get("config") or {}
    fmt = ((json.loads(cfg) if isinstance(cfg, str) else cfg).get("input") or {}).get("format")
    return f"the format '{fmt}' (--format or input.format of the pipeline file)" if fmt else None


# `stats` lists this many quarantined rows unless asked for all (`--quarantined`)
QUARANTINE_SHOWN = 20


def run_stats(store: Store, run_id: str, *, quarantine_limit: int | None = QUARANTINE_SHOWN) -> dict[str, Any]:
    """Everything `realign stats` shows for one run, as plain data; `quarantine_limit`: how many
    quarantined rows to list (None: every one)."""
    q = store.query
    info = store.run_info(run_id)
    by_status = {r["status"]: r["n"] for r in q(
        "SELECT status, count(*) AS n FROM results WHERE run_id = ? GROUP BY 1 ORDER BY 2 DESC", [run_id])}
    by_task = q(
        """SELECT task, count(*) AS rows,
                  count(*) FILTER (status = 'rewritten') AS rewritten,
                  count(*) FILTER (status = 'kept_original') AS kept_original,
                  count(*) FILTER (status = 'passthrough') AS passthrough,
                  count(*) FILTER (status = 'failed') AS failed
           FROM results WHERE run_id = ? GROUP BY task ORDER BY rows DESC, task""", [run_id])
    for row in by_task:
        tried = row["rewritten"] + row["kept_original"]
        row["acceptance_rate"] = round(row["rewritten"] / tried, 4) if tried else None
    failed_checks = q(
        """SELECT check_name, count(*) AS failures FROM checks
           WHERE run_id = ? AND NOT passed GROUP BY 1 ORDER BY 2 DESC""", [run_id])
    # One line per check and kind of reason: quoted text and numbers are the row's, not the kind's.
    reasons = q(
        f"""WITH failures AS (
               SELECT check_name AS "check", example_id, turn_index, reason FROM checks
               WHERE run_id = ? AND NOT passed
               UNION ALL
               SELECT 'request' AS "check", example_id, turn_index, coalesce(error, reason) FROM rewrites
               WHERE run_id = ? AND status = 'failed'
               UNION ALL
               SELECT 'internal' AS "check", example_id, -1, error FROM results r
               WHERE run_id = ? AND status = 'failed' AND error LIKE 'internal error:%'
               UNION ALL  -- kept without a failed check: the model kept it, gave no rewrite, or the
                          -- prompt did not fit the model's context (too_long)
               SELECT CASE WHEN starts_with(reason, '{TOO_LONG_REASON}') THEN 'too_long' ELSE 'model' END
                      AS "check", example_id, turn_index, reason FROM rewrites
               WHERE run_id = ? AND status = 'kept_original' AND reason NOT LIKE 'rejected%')
           SELECT "check", {_REASON_KIND} AS kind, count(DISTINCT (example_id, turn_index)) AS rows,
                  min(reason) AS example
           FROM failures GROUP BY 1, 2 ORDER BY rows DESC, "check", kind LIMIT 15""",
        [run_id, run_id, run_id, run_id])
    ratio = q(
        """SELECT count(length_ratio) AS n, min(length_ratio) AS min,
                  quantile_cont(length_ratio, 0.1) AS p10, quantile_cont(length_ratio, 0.5) AS p50,
                  quantile_cont(length_ratio, 0.9) AS p90, max(length_ratio) AS max
           FROM rewrites WHERE run_id = ? AND status = 'rewritten'""", [run_id])[0]
    quarantined = q("SELECT count(*) AS n FROM quarantine WHERE run_id = ?", [run_id])[0]["n"]
    # rows with tool calls / tool results (records.TOOL_ROLES): exported as read, never rewritten.
    # The text test skips the JSON of every row that holds no tool turn at all.
    tools = q(
        """SELECT count(DISTINCT example_id) AS rows, count(*) FILTER (role = 'tool_call') AS tool_calls,
                  count(*) FILTER (role = 'tool') AS tool_results
           FROM (SELECT example_id, unnest(json_extract_string(turns, '$[*].role')) AS role FROM examples
                 WHERE run_id = ? AND contains(CAST(turns AS VARCHAR), '"role":"tool'))
           WHERE role IN ('tool_call', 'tool')""", [run_id])[0]
    by_contract = q(
        """SELECT coalesce(contract_kind, 'unknown') AS kind, count(*) AS turns,
                  count(*) FILTER (status = 'rewritten') AS rewritten,
                  count(*) FILTER (status = 'kept_original') AS kept_original,
                  count(*) FILTER (status = 'failed') AS failed,
                  count(*) FILTER (repairs IS NOT NULL) AS repaired
           FROM rewrites WHERE run_id = ? GROUP BY 1 ORDER BY 2 DESC, 1""", [run_id])
    for row in by_contract:
        tried = row["rewritten"] + row["kept_original"]
        row["acceptance_rate"] = round(row["rewritten"] / tried, 4) if tried else None
    # per mode: turns, outcomes and requests per row (every LLM step of the mode, cached ones too)
    by_mode = q(
        """SELECT coalesce(mode, 'rewrite') AS mode, count(*) AS turns, count(DISTINCT example_id) AS rows,
                  count(*) FILTER (status = 'rewritten') AS rewritten,
                  count(*) FILTER (status = 'kept_original') AS kept_original,
                  count(*) FILTER (status = 'failed') AS failed,
                  coalesce(sum(json_array_length(request_keys)), 0) AS requests,
                  coalesce(max(json_array_length(request_keys)), 0) AS requests_max_turn,
                  count(reason_supports_label) AS reasons_judged,
                  count(*) FILTER (reason_supports_label) AS reasons_supported,
                  median(length(final)) FILTER (status = 'rewritten') AS final_chars_median
           FROM rewrites WHERE run_id = ? GROUP BY 1 ORDER BY 2 DESC, 1""", [run_id])
    for row in by_mode:
        row["requests_per_row"] = round(row["requests"] / row["rows"], 3) if row["rows"] else None
    bad_rows = [{"file": info["input_path"], **r} for r in q(
        """SELECT line, source_index, field, error AS reason FROM quarantine WHERE run_id = ?
           ORDER BY source_index""" + ("" if quarantine_limit is None else f" LIMIT {int(quarantine_limit)}"),
        [run_id])]
    counts = json.loads(info["counts"]) if info.get("counts") else {}
    usage = run_usage(store, run_id)
    if not usage["by_purpose"]:  # a run of a release before the ledger: its session totals
        old = counts.get("totals", {})
        usage["total"] = {"requests": old.get("llm_requests", 0), "cached": old.get("cached_requests", 0),
                          "retries": old.get("retries", 0), "prompt_tokens": old.get("prompt_tokens", 0),
                          "completion_tokens": old.get("completion_tokens", 0), "cost_usd": old.get("cost_usd")}
    total = usage["total"]
    tokens = {"prompt_tokens": total["prompt_tokens"], "completion_tokens": total["completion_tokens"]}
    from realign.trust.audit import audit_summary, stored_audit_config

    trust = audit_summary(store, run_id, stored_audit_config(store, run_id).gates)
    return {
        "run_id": run_id, "name": info["name"], "input": info["input_path"], "model": info["model"],
        "status": info["status"], "sessions": info["sessions"],
        "started_at": str(info["started_at"]),
        "finished_at": None if info["finished_at"] is None else str(info["finished_at"]),  # null while running
        "rows": sum(by_status.values()) + quarantined, "by_status": by_status, "quarantined": quarantined,
        # turns kept because their prompt is longer than the model's context (or --max-prompt-chars)
        "too_long": q("SELECT count(*) AS n FROM rewrites WHERE run_id = ? AND status = 'kept_original' "
                      "AND starts_with(reason, ?)", [run_id, TOO_LONG_REASON])[0]["n"],
        "quarantined_rows": bad_rows,
        "warnings": quarantine_warnings(sum(by_status.values()) + quarantined, quarantined,
                                        _stored_format_from(info)),
        "tool_turns": {k: int(v) for k, v in tools.items()},
        "by_task": by_task, "by_contract": by_contract, "by_mode": by_mode, "failed_checks": failed_checks,
        "rejection_reasons": reasons,
        "length_ratio": {k: (round(v, 3) if isinstance(v, float) else v) for k, v in ratio.items()},
        "tokens": tokens,
        "requests": {"fresh": total["requests"], "cached": total["cached"], "retries": total["retries"]},
        "cost_usd": total["cost_usd"],
        "usage": usage["by_purpose"],
        "trust_audit": trust,  # None until `realign audit` ran on the run
        # the last session's servers: requests, failures, take-outs, in-flight cap (several --base-url)
        "endpoints": counts.get("endpoints"),
    }


def quarantined_row(store: Store, example_id: str, run_id: str) -> dict[str, Any] | None:
    """The quarantine entry of the input row whose own id field holds `example_id` (or, for one
    row only, starts with it), with that id as `own_id`, or None.

    A quarantined row has no example id (it never became an Example), so the id is read back
    from its raw text with the reader's id fields (the run's `input.id_field` first)."""
    from realign.io.readers import ID_FIELDS

    info = store.query("SELECT input_path, config FROM runs WHERE run_id = ?", [run_id])
    if not info:
        return None
    cfg = json.loads(info[0]["config"] or "{}")
    own = (cfg.get("input") or {}).get("id_field")
    fields = ([own] if own else []) + list(ID_FIELDS)
    by_prefix: list[dict[str, Any]] = []  # rows whose id starts with `example_id`, as `show` takes example ids
    where = {"input_path": info[0]["input_path"]}
    for row in store.query(
            """SELECT source_index, line, field, error, raw FROM quarantine
               WHERE run_id = ? AND strpos(raw, ?) > 0 ORDER BY source_index LIMIT 100""", [run_id, example_id]):
        try:
            data = json.loads(row["raw"])
        except ValueError:
            data = None
        if isinstance(data, dict):
            ids = [str(data[k]) for k in fields if k in data]
            if example_id in ids:
                return {**row, **where, "own_id": example_id}
            whole = [i for i in ids if i.startswith(example_id)]
            if whole:  # the whole id, so `show` names the row by it rather than by the prefix typed
                by_prefix.append({**row, "own_id": whole[0]})
        elif f'"{example_id}"' in row["raw"]:  # not JSON: the id as a quoted string in the raw text
            return {**row, **where, "own_id": example_id}
    return {**by_prefix[0], **where} if len(by_prefix) == 1 else None


def quarantined_at(store: Store, where: str, run_id: str) -> dict[str, Any] | None:
    """The quarantine entry at `where`: "FILE:LINE" (FILE the run's input, by path or file name),
    a bare line number, or "FILE row N" / "row N" (N counted from 1, `records.row_name`: how `stats`
    names a row of a JSON array or Parquet file, which has no line); None when no quarantined row is there."""
    by_row = re.fullmatch(r"(?:(.*\S)\s+)?row\s+(\d+)", where.strip())
    if by_row:
        path, number, column = by_row.group(1) or "", by_row.group(2), "source_index"
    else:
        path, _, number = where.rpartition(":")
        column = "line"
    if not number.isdigit():
        return None
    info = store.query("SELECT input_path FROM runs WHERE run_id = ?", [run_id])
    if not info:
        return None
    input_path = info[0]["input_path"] or ""
    if path and path != input_path and Path(path).name != Path(input_path).name:
        return None
    at = int(number) - 1 if column == "source_index" else int(number)
    rows = store.query(f"SELECT source_index, line, field, error, raw FROM quarantine WHERE run_id = ? AND {column} = ?",
                       [run_id, at])
    return {**rows[0], "input_path": input_path} if rows else None


def _other_runs_holding(store: Store, example_id: str, run_id: str) -> list[str]:
    """The runs other than `run_id`, newest first, where `show` finds `example_id` (an id or its
    prefix, a quarantined row's id or FILE:LINE / FILE row N): one database often holds a run per
    input file, and `show` reads only the latest unless told. A bare line or row number names no
    file, so it is not looked for elsewhere."""
    where_only = re.fullmatch(r"(?:row\s+)?\d+", example_id.strip()) is not None
    found = []
    for r in store.query("SELECT run_id FROM runs WHERE run_id <> ? ORDER BY started_at DESC", [run_id]):
        other = r["run_id"]
        if store.query("SELECT 1 FROM examples WHERE run_id = ? AND starts_with(example_id, ?) LIMIT 1",
                       [other, example_id]) or quarantined_row(store, example_id, other) is not None \
                or not where_only and quarantined_at(store, example_id, other) is not None:
            found.append(other)
    return found


# `show` of a quarantined row gives this much of its raw text: enough to see what is wrong with
# it, while a row of megabytes (a pasted file, a base64 blob) does not flood the terminal.
RAW_SHOWN_CHARS = 2000


def quarantine_story(bad: dict[str, Any], run_id: str, example_id: str | None) -> dict[str, Any]:
    """`show` of a quarantined row: where it is, the field and reason it was set aside for, and
    its raw text (the first RAW_SHOWN_CHARS characters; `raw_chars` says how long it is)."""
    raw = bad["raw"] or ""
    return {
        "run_id": run_id, "status": "quarantined", "example_id": example_id,
        "input_path": bad["input_path"], "line": bad["line"], "source_index": bad["source_index"],
        "field": bad["field"], "reason": bad["error"],
        "raw": raw[:RAW_SHOWN_CHARS], "raw_chars": len(raw), "raw_truncated": len(raw) > RAW_SHOWN_CHARS,
    }


NOT_LAST_REASON = "left as it is: the run rewrote only each conversation's last answer (--turns last)"


def _run_turns(store: Store, run_id: str) -> str | None:
    """The run's `rewrite.turns` setting ("all" or "last"), from its stored config."""
    row = store.con.execute("SELECT config FROM runs WHERE run_id = ?", [run_id]).fetchone()
    cfg = json.loads(row[0]) if row and row[0] else {}
    return ((cfg or {}).get("rewrite") or {}).get("turns")


def row_story(store: Store, example_id: str, run_id: str) -> dict[str, Any]:
    """Everything known about one row: `realign show`. A quarantined row (named by its id, or by
    FILE:LINE / FILE row N) has a shorter story: `status` "quarantined", see quarantine_story."""
    from realign.classify.base import classification_source

    q = store.query
    ex = q("SELECT * FROM examples WHERE run_id = ? AND example_id = ?", [run_id, example_id])
    if not ex:
        near = [r["example_id"] for r in q(
            "SELECT example_id FROM examples WHERE run_id = ? AND starts_with(example_id, ?) "
            "ORDER BY example_id LIMIT 5", [run_id, example_id])]
        if len(near) == 1:
            return row_story(store, near[0], run_id)
        bad = quarantined_row(store, example_id, run_id)
        if bad is not None:
            return quarantine_story(bad, run_id, bad["own_id"])
        # FILE:LINE, LINE or FILE row N, how quarantined rows without an id are named
        bad = quarantined_at(store, example_id, run_id)
        if bad is not None:
            return quarantine_story(bad, run_id, None)
        if near:
            n = q("SELECT count(*) AS n FROM examples WHERE run_id = ? AND starts_with(example_id, ?)",
                  [run_id, example_id])[0]["n"]
            raise ConfigError(f"ambiguous: {n:,} ids start with '{example_id}' in run {run_id}: {', '.join(near)}"
                              + (", ..." if n > len(near) else "") + "; give more of the id")
        elsewhere = _other_runs_holding(store, example_id, run_id)
        if elsewhere:
            raise ConfigError(f"no example '{example_id}' in run {run_id} of {store.path}; it is in run "
                              f"{', '.join(elsewhere)}: add --run {elsewhere[0]}")
        raise ConfigError(f"no example '{example_id}' in run {run_id} of {store.path} (ids: `realign export "
                          "--format jsonl` writes each row's id; a quarantined row is named FILE:LINE, or FILE row N "
                          "in a JSON array or Parquet file, as `realign stats` lists it)")
    e = ex[0]
    result = q("SELECT * FROM results WHERE run_id = ? AND example_id = ?", [run_id, example_id])
    turns = q("SELECT * FROM rewrites WHERE run_id = ? AND example_id = ? ORDER BY turn_index", [run_id, example_id])
    evidence = q("""SELECT turn_index, rank, source, doc_id, title, url, text, score, match, dropped
                    FROM evidence WHERE run_id = ? AND example_id = ?
                    ORDER BY turn_index, dropped IS NOT NULL, rank""", [run_id, example_id])
    steps = q("""SELECT turn_index, seq, mode, step, request_key, output FROM mode_steps
                 WHERE run_id = ? AND example_id = ? ORDER BY turn_index, seq""", [run_id, example_id])
    for t in turns:
        t["trace"] = [{k: (json.loads(v) if k == "output" and v is not None else v) for k, v in s.items()
                       if k != "turn_index"} for s in steps if s["turn_index"] == t["turn_index"]]
        for col in ("request_keys", "raw_answers", "verdicts", "contract", "repairs", "history_rewritten"):
            if t.get(col):
                t[col] = json.loads(t[col])
        # The prompt lives once, in the cache: the request of the turn's first call.
        keys = t.get("request_keys") or []
        first = store.stored_request(keys[0]) if keys else None
        t["prompt"] = first["messages"] if first else None
    from realign.records import Example

    original = json.loads(e["turns"])
    example = Example(id=example_id, source_index=e["source_index"], format=e["format"] or "", turns=original)
    untouched = example.untouched()
    status = result[0]["status"] if result else None
    last = example.answer_indices()[-1:]
    # (a row whose last answer is empty had nothing to rewrite under --turns last: passthrough)
    if (status not in (None, "passthrough") or (status == "passthrough" and set(last) <= set(example.empty_indices())
                                                and last)) and _run_turns(store, run_id) == "last":
        # the answers before the last were never asked for: say so instead of leaving them unexplained
        asked = {t["turn_index"] for t in turns}
        untouched.update((i, NOT_LAST_REASON) for i in example.answer_indices()[:-1]
                         if i not in asked and i not in untouched)
        untouched = dict(sorted(untouched.items()))
    return {
        "run_id": run_id, "example_id": example_id, "source_index": e["source_index"], "line": e["line"],
        "format": e["format"], "task": e["task"], "task_confidence": e["task_confidence"],
        "classifier": e["classifier"], "original_turns": json.loads(e["turns"]),
        "task_read_from": None if e["classifier"] == "config" else classification_source(
            [t.get("role") for t in json.loads(e["turns"])]),
        "status": result[0]["status"] if result else "pending",
        "final_turns": json.loads(result[0]["final_turns"]) if result else None,
        "error": result[0]["error"] if result else None,
        "turns": turns, "evidence": evidence,
        "untouched_turns": [{"turn_index": i, "reason": why} for i, why in untouched.items()],
    }
