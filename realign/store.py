"""DuckDB store: schema, batched writes, resume and cache queries, stats queries.

One file holds every run. Only `results` (the resume lookup) and `llm_calls.key` (the cache) are
indexed: DuckDB keeps index nodes in memory, and the other tables' uniqueness is the pipeline's
job (finished rows are skipped, retried ones replace their old rows). Writes are buffered and flushed in one transaction per batch (DuckDB is
slow row by row), with the LLM calls of a batch written in the same transaction as the results
that used them, so a crash loses at most the rows in flight and never leaves a result whose
answer is missing from the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import duckdb
import pyarrow as pa

from realign.errors import ConfigError

SCHEMA_VERSION = 1

_DDL = [
    """CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS runs (
        run_id VARCHAR PRIMARY KEY, name VARCHAR, config JSON, config_hash VARCHAR,
        input_path VARCHAR, input_hash VARCHAR, model VARCHAR, base_url VARCHAR,
        started_at TIMESTAMP, finished_at TIMESTAMP, status VARCHAR, sessions INTEGER,
        counts JSON)""",
    """CREATE TABLE IF NOT EXISTS examples (
        run_id VARCHAR, example_id VARCHAR, source_index BIGINT, line BIGINT, format VARCHAR,
        turns JSON, fields JSON, task VARCHAR, task_confidence DOUBLE, classifier VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS results (
        run_id VARCHAR, example_id VARCHAR, status VARCHAR, task VARCHAR, final_turns JSON,
        attempts INTEGER, prompt_tokens BIGINT, completion_tokens BIGINT, error VARCHAR,
        finished_at TIMESTAMP, PRIMARY KEY (run_id, example_id))""",
    """CREATE TABLE IF NOT EXISTS rewrites (
        run_id VARCHAR, example_id VARCHAR, turn_index INTEGER, status VARCHAR, reason VARCHAR,
        original VARCHAR, candidate VARCHAR, final VARCHAR, keep_original BOOLEAN,
        attempts INTEGER, length_ratio DOUBLE, request_keys JSON, raw_answers JSON,
        verdicts JSON, error VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS checks (
        run_id VARCHAR, example_id VARCHAR, turn_index INTEGER, attempt INTEGER,
        candidate INTEGER, check_name VARCHAR, passed BOOLEAN, reason VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS evidence (
        run_id VARCHAR, example_id VARCHAR, turn_index INTEGER, rank INTEGER, source VARCHAR,
        doc_id VARCHAR, title VARCHAR, url VARCHAR, text VARCHAR, score DOUBLE)""",
    """CREATE TABLE IF NOT EXISTS llm_calls (
        key VARCHAR, kind VARCHAR, request JSON, response JSON, finish_reason VARCHAR,
        prompt_tokens BIGINT, completion_tokens BIGINT, latency_s DOUBLE, error VARCHAR,
        created_at TIMESTAMP)""",
    """CREATE INDEX IF NOT EXISTS llm_calls_key ON llm_calls (key)""",
    # Long message texts shared by many requests (a task's system prompt), stored once.
    """CREATE TABLE IF NOT EXISTS texts (sha256 VARCHAR, text VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS quarantine (
        run_id VARCHAR, source_index BIGINT, line BIGINT, field VARCHAR, error VARCHAR,
        raw VARCHAR)""",
]

# Column order of each buffered table, used to build the Arrow batch of a flush.
_COLUMNS: dict[str, tuple[str, ...]] = {
    "examples": ("run_id", "example_id", "source_index", "line", "format", "turns", "fields",
                 "task", "task_confidence", "classifier"),
    "results": ("run_id", "example_id", "status", "task", "final_turns", "attempts",
                "prompt_tokens", "completion_tokens", "error", "finished_at"),
    "rewrites": ("run_id", "example_id", "turn_index", "status", "reason", "original",
                 "candidate", "final", "keep_original", "attempts", "length_ratio",
                 "request_keys", "raw_answers", "verdicts", "error"),
    "checks": ("run_id", "example_id", "turn_index", "attempt", "candidate", "check_name",
               "passed", "reason"),
    "evidence": ("run_id", "example_id", "turn_index", "rank", "source", "doc_id", "title",
                 "url", "text", "score"),
    "llm_calls": ("key", "kind", "request", "response", "finish_reason", "prompt_tokens",
                  "completion_tokens", "latency_s", "error", "created_at"),
    "quarantine": ("run_id", "source_index", "line", "field", "error", "raw"),
    "texts": ("sha256", "text"),
}
# Message texts at least this long are stored once in `texts` and referenced from requests.
SHARED_TEXT_CHARS = 1024
# Flush order: the cache and the rows a result depends on go before the result.
_FLUSH_ORDER = ("texts", "llm_calls", "examples", "evidence", "checks", "rewrites", "quarantine", "results")


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


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Store:
    """The realign database. Not thread-safe by design: one writer, the pipeline's event loop."""

    def __init__(self, path: str | Path, *, read_only: bool = False, flush_rows: int = 512,
                 flush_seconds: float = 1.0):
        self.path = str(path)
        if read_only and not Path(self.path).exists():
            raise ConfigError(
                f"database {self.path} does not exist; run `realign rewrite --db {self.path} ...` first"
            )
        # DuckDB's buffer pool may otherwise grow to 80% of RAM as a run writes; a bounded pool
        # keeps the process flat whatever the input size (pages beyond it go back to disk).
        config = {"memory_limit": os.environ.get("REALIGN_DUCKDB_MEMORY", "128MB")}
        try:
            self.con = duckdb.connect(self.path, read_only=read_only, config=config)
        except duckdb.IOException as e:
            raise ConfigError(f"cannot open database {self.path}: {e}") from None
        self.read_only = read_only
        self.flush_rows = flush_rows
        self.flush_seconds = flush_seconds  # a slow run still reaches the disk every second
        self._last_flush = time.monotonic()
        self._buffers: dict[str, list[tuple[Any, ...]]] = {t: [] for t in _COLUMNS}
        self._pending_calls: dict[str, dict[str, Any]] = {}
        self._forget: list[tuple[str, str]] = []  # (run_id, example_id) whose old rows go first
        # 64-bit prefixes of the keys with a stored answer: a cache miss, the common case, is
        # then answered without a query (~8 bytes a key in the set's hash table plus the int).
        self._known_keys: set[int] = set()
        self._known_texts: set[str] = set()  # sha256 of the texts already in `texts`
        # One writer thread on its own cursor: DuckDB releases the GIL while it writes, so the
        # event loop keeps serving requests during a flush.
        self._writer: ThreadPoolExecutor | None = None
        self._flushing: Future[None] | None = None
        self._flushing_calls: dict[str, dict[str, Any]] = {}
        self._buffered = 0
        self._lock = threading.Lock()
        if not read_only:
            for ddl in _DDL:
                self.con.execute(ddl)
            self.con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
            )
            self._known_texts.update(r[0] for r in self.con.execute("SELECT sha256 FROM texts").fetchall())
            cur = self.con.execute("SELECT DISTINCT key FROM llm_calls WHERE error IS NULL")
            while rows := cur.fetchmany(65536):
                self._known_keys.update(int(r[0][:16], 16) for r in rows)

    # ---- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        if not self.read_only:
            self.flush()
        if self._writer is not None:
            self._writer.shutdown(wait=True)
        self.con.close()

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
        self._flushing = self._writer.submit(self._write_batch, cursor, batch[0], batch[1], close=True)
        return True

    def flush(self) -> None:
        """Write every buffered row now (waits for a background flush first)."""
        if self._flushing is not None:
            self._finish_background_flush()
        if not self._buffered:
            return
        buffers, forget, _ = self._take_batch()
        self._write_batch(self.con, buffers, forget)

    def _finish_background_flush(self) -> None:
        assert self._flushing is not None
        try:
            self._flushing.result()  # re-raises a failed write here, on the pipeline's thread
        finally:
            self._flushing = None
            self._flushing_calls = {}

    def _take_batch(self) -> tuple[dict[str, list[tuple[Any, ...]]], list[tuple[str, str]], dict[str, dict[str, Any]]]:
        batch = (self._buffers, self._forget, self._pending_calls)
        self._buffers = {t: [] for t in _COLUMNS}
        self._forget = []
        self._pending_calls = {}
        self._buffered = 0
        self._last_flush = time.monotonic()
        return batch

    @staticmethod
    def _write_batch(con: duckdb.DuckDBPyConnection, buffers: dict[str, list[tuple[Any, ...]]],
                     forget: list[tuple[str, str]], close: bool = False) -> None:
        """One transaction: drop the stories of retried rows, then append every buffered row."""
        try:
            with transaction(con):
                if forget:
                    gone = pa.table({"run_id": [r for r, _ in forget], "example_id": [e for _, e in forget]})
                    con.register("_gone", gone)
                    for table in ("results", "rewrites", "checks", "evidence", "examples"):
                        con.execute(f"DELETE FROM {table} t USING _gone g "
                                    "WHERE t.run_id = g.run_id AND t.example_id = g.example_id")
                    con.unregister("_gone")
                for table in _FLUSH_ORDER:
                    if buffers[table]:
                        insert_rows(con, table, _COLUMNS[table], buffers[table])
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
        if response is not None and error is None:
            self._pending_calls[key] = response
            self._known_keys.add(int(key[:16], 16))
        self._add(
            "llm_calls",
            (key, kind, _json(self._share_texts(request)), None if response is None else _json(response),
             finish_reason, prompt_tokens, completion_tokens, latency_s, error, _now()),
        )

    def _share_texts(self, request: dict[str, Any]) -> dict[str, Any]:
        """The request with each long message text replaced by {"$text": sha256}, stored once."""
        messages = request.get("messages")
        if not isinstance(messages, list):
            return request
        out = []
        for m in messages:
            content = m.get("content") if isinstance(m, dict) else None
            if isinstance(content, str) and len(content) >= SHARED_TEXT_CHARS:
                sha = hashlib.sha256(content.encode("utf-8")).hexdigest()
                if sha not in self._known_texts:
                    self._known_texts.add(sha)
                    self._add("texts", (sha, content))
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
            return True
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

    def fallback_classified(self, run_id: str, example_ids: Sequence[str]) -> set[str]:
        """Those of `example_ids` whose task came from the embedded fallback after the LLM
        classifier failed: a resume classifies them again."""
        if not example_ids:
            return set()
        rows = self.con.execute(
            "SELECT example_id FROM examples WHERE run_id = ? AND classifier = 'embedded_fallback' "
            "AND example_id IN (SELECT unnest(?))",
            [run_id, list(example_ids)],
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
                                   ev.title, ev.url, ev.text, ev.score))

    def add_check(self, run_id: str, example_id: str, turn_index: int, attempt: int,
                  candidate: int, name: str, passed: bool, reason: str) -> None:
        self._add("checks", (run_id, example_id, turn_index, attempt, candidate, name, passed, reason))

    def add_rewrite(self, run_id: str, example_id: str, turn_index: int, **cols: Any) -> None:
        row = [run_id, example_id, turn_index]
        for col in _COLUMNS["rewrites"][3:]:
            value = cols.get(col)
            if col in ("request_keys", "raw_answers", "verdicts") and value is not None:
                value = _json(value)
            row.append(value)
        self._add("rewrites", tuple(row))

    def add_result(self, run_id: str, example_id: str, *, status: str, task: str,
                   final_turns: list[dict[str, str]], attempts: int, prompt_tokens: int,
                   completion_tokens: int, error: str | None) -> None:
        self._add("results", (run_id, example_id, status, task, _json(final_turns), attempts,
                              prompt_tokens, completion_tokens, error, _now()))

    # ---- reads ----------------------------------------------------------------------------
    def iter_final(self, run_id: str, batch: int = 2048) -> Iterator[dict[str, Any]]:
        """Every example of a run in input order with its final turns (original where no result)."""
        cur = self.con.execute(
            """SELECT e.example_id, e.source_index, e.line, e.format, e.turns, e.fields, e.task,
                      coalesce(r.status, 'pending') AS status, r.final_turns
               FROM examples e LEFT JOIN results r USING (run_id, example_id)
               WHERE e.run_id = ? ORDER BY e.source_index""",
            [run_id],
        )
        names = [d[0] for d in cur.description]
        while True:
            rows = cur.fetchmany(batch)
            if not rows:
                return
            for r in rows:
                yield dict(zip(names, r))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = self.con.execute(sql, list(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def run_info(self, run_id: str) -> dict[str, Any]:
        return self.query("SELECT * FROM runs WHERE run_id = ?", [run_id])[0]



def run_stats(store: Store, run_id: str) -> dict[str, Any]:
    """Everything `realign stats` shows for one run, as plain data."""
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
    reasons = q(
        """SELECT reason, count(*) AS rows FROM rewrites
           WHERE run_id = ? AND status IN ('kept_original', 'failed') GROUP BY 1 ORDER BY 2 DESC LIMIT 10""",
        [run_id])
    ratio = q(
        """SELECT count(length_ratio) AS n, min(length_ratio) AS min,
                  quantile_cont(length_ratio, 0.1) AS p10, quantile_cont(length_ratio, 0.5) AS p50,
                  quantile_cont(length_ratio, 0.9) AS p90, max(length_ratio) AS max
           FROM rewrites WHERE run_id = ? AND status = 'rewritten'""", [run_id])[0]
    tokens = q(
        """SELECT coalesce(sum(prompt_tokens), 0) AS prompt_tokens,
                  coalesce(sum(completion_tokens), 0) AS completion_tokens
           FROM results WHERE run_id = ?""", [run_id])[0]
    quarantined = q("SELECT count(*) AS n FROM quarantine WHERE run_id = ?", [run_id])[0]["n"]
    counts = json.loads(info["counts"]) if info.get("counts") else {}
    return {
        "run_id": run_id, "name": info["name"], "input": info["input_path"], "model": info["model"],
        "status": info["status"], "sessions": info["sessions"],
        "started_at": str(info["started_at"]), "finished_at": str(info["finished_at"]),
        "rows": sum(by_status.values()) + quarantined, "by_status": by_status, "quarantined": quarantined,
        "by_task": by_task, "failed_checks": failed_checks, "rejection_reasons": reasons,
        "length_ratio": {k: (round(v, 3) if isinstance(v, float) else v) for k, v in ratio.items()},
        "tokens": tokens,
        "requests": {"fresh": counts.get("totals", {}).get("llm_requests", 0),
                     "cached": counts.get("totals", {}).get("cached_requests", 0),
                     "retries": counts.get("totals", {}).get("retries", 0)},
        "cost_usd": counts.get("totals", {}).get("cost_usd"),
    }


def row_story(store: Store, example_id: str, run_id: str) -> dict[str, Any]:
    """Everything known about one row: `realign show`."""
    q = store.query
    ex = q("SELECT * FROM examples WHERE run_id = ? AND example_id = ?", [run_id, example_id])
    if not ex:
        near = [r["example_id"] for r in q(
            "SELECT example_id FROM examples WHERE run_id = ? AND example_id LIKE ? || '%' LIMIT 5",
            [run_id, example_id])]
        if len(near) == 1:
            return row_story(store, near[0], run_id)
        hint = f"; ids starting so: {', '.join(near)}" if near else ""
        raise ConfigError(f"no example '{example_id}' in run {run_id} of {store.path}{hint}")
    e = ex[0]
    result = q("SELECT * FROM results WHERE run_id = ? AND example_id = ?", [run_id, example_id])
    turns = q("SELECT * FROM rewrites WHERE run_id = ? AND example_id = ? ORDER BY turn_index", [run_id, example_id])
    evidence = q("""SELECT turn_index, rank, source, doc_id, title, url, text, score FROM evidence
                    WHERE run_id = ? AND example_id = ? ORDER BY turn_index, rank""", [run_id, example_id])
    for t in turns:
        for col in ("request_keys", "raw_answers", "verdicts"):
            if t.get(col):
                t[col] = json.loads(t[col])
        # The prompt lives once, in the cache: the request of the turn's first call.
        keys = t.get("request_keys") or []
        first = store.stored_request(keys[0]) if keys else None
        t["prompt"] = first["messages"] if first else None
    return {
        "run_id": run_id, "example_id": example_id, "source_index": e["source_index"], "line": e["line"],
        "format": e["format"], "task": e["task"], "task_confidence": e["task_confidence"],
        "classifier": e["classifier"], "original_turns": json.loads(e["turns"]),
        "status": result[0]["status"] if result else "pending",
        "final_turns": json.loads(result[0]["final_turns"]) if result else None,
        "error": result[0]["error"] if result else None,
        "turns": turns, "evidence": evidence,
    }
