"""The evaluation tables in the run database, and the item-by-item comparison of two evaluations.

Every benchmark writes one `evals` row (the summary; benchmark-specific figures in its `metrics`
JSON) and one `eval_items` row per item: prompt, answer, request key, whether it was right.
GSM8K fills its two score columns (`strict_correct`, `flexible_correct`); the other benchmarks
fill `correct`, `extracted` (the answer as read) and `detail` (JSON: what their metrics need,
such as BBQ's context condition and whether the answer was the biased one), so `--compare` can
recompute any metric on the items two evaluations share.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator

from realign.errors import ConfigError
from realign.evals.stats import mcnemar_exact

__all__ = ["ensure_tables", "resolve_eval", "write_eval", "now", "RecordOnly", "score_columns", "paired",
           "compare_evals", "compare_lines", "ITEM_COLUMNS"]

_DDL = [
    """CREATE TABLE IF NOT EXISTS evals (
        eval_id VARCHAR PRIMARY KEY, benchmark VARCHAR, model VARCHAR, base_url VARCHAR,
        data VARCHAR, split VARCHAR, n INTEGER, shots INTEGER,
        strict_correct INTEGER, flexible_correct INTEGER,
        strict_accuracy DOUBLE, flexible_accuracy DOUBLE,
        strict_ci_low DOUBLE, strict_ci_high DOUBLE, flexible_ci_low DOUBLE, flexible_ci_high DOUBLE,
        errors INTEGER, llm_requests INTEGER, cached_requests INTEGER,
        started_at TIMESTAMP, finished_at TIMESTAMP, config JSON)""",
    """CREATE TABLE IF NOT EXISTS eval_items (
        eval_id VARCHAR, item_index INTEGER, item_id VARCHAR, question VARCHAR, reference VARCHAR,
        gold VARCHAR, prompt JSON, request_key VARCHAR, answer VARCHAR,
        strict_answer VARCHAR, flexible_answer VARCHAR, strict_correct BOOLEAN, flexible_correct BOOLEAN,
        cached BOOLEAN, error VARCHAR, prompt_tokens BIGINT, completion_tokens BIGINT,
        PRIMARY KEY (eval_id, item_index))""",
    # Added with BBQ and Winogender; ADD COLUMN IF NOT EXISTS upgrades a database GSM8K wrote before.
    "ALTER TABLE evals ADD COLUMN IF NOT EXISTS metrics JSON",
    "ALTER TABLE eval_items ADD COLUMN IF NOT EXISTS correct BOOLEAN",
    "ALTER TABLE eval_items ADD COLUMN IF NOT EXISTS extracted VARCHAR",
    "ALTER TABLE eval_items ADD COLUMN IF NOT EXISTS detail JSON",
]

ITEM_COLUMNS = ("eval_id", "item_index", "item_id", "question", "reference", "gold", "prompt", "request_key",
                "answer", "strict_answer", "flexible_answer", "strict_correct", "flexible_correct", "cached",
                "error", "prompt_tokens", "completion_tokens", "correct", "extracted", "detail")

# The right/wrong columns `--compare` pairs, per benchmark; every other benchmark has one, `correct`.
_SCORES = {"gsm8k": {"strict": "strict_correct", "flexible": "flexible_correct"}}


def score_columns(benchmark: str) -> dict[str, str]:
    """Name -> eval_items column of each right/wrong score a benchmark stores."""
    return _SCORES.get(benchmark, {"accuracy": "correct"})


def ensure_tables(store: Any) -> None:
    """Create the `evals` and `eval_items` tables, or add the columns a newer release uses."""
    for ddl in _DDL:
        store.con.execute(ddl)


def _has_tables(store: Any) -> bool:
    rows = store.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('evals', 'eval_items')").fetchone()
    return bool(rows and rows[0] == 2)


def resolve_eval(store: Any, eval_id: str, benchmark: str | None = None) -> str:
    """The evaluation an id (or a unique prefix of one) names, of `benchmark` when given;
    ConfigError otherwise."""
    if not _has_tables(store):
        raise ConfigError(f"database {store.path} holds no evaluation yet; --compare needs an earlier "
                          f"`realign eval {benchmark or 'BENCHMARK'}` in the same --db")
    rows = store.con.execute("SELECT eval_id, benchmark FROM evals WHERE eval_id LIKE ? || '%'", [eval_id]).fetchall()
    if len(rows) != 1:
        known = [f"{r[0]} ({r[1]})" for r in store.con.execute(
            "SELECT eval_id, benchmark FROM evals ORDER BY started_at").fetchall()]
        what = "no" if not rows else "more than one"
        raise ConfigError(f"{what} evaluation matches '{eval_id}' in {store.path}; evaluations: "
                          f"{', '.join(known) or 'none'}")
    found, kind = str(rows[0][0]), rows[0][1]
    if benchmark is not None and kind != benchmark:
        raise ConfigError(f"--compare {eval_id}: evaluation {found} is a {kind} evaluation, not {benchmark}; "
                          f"give the id of an earlier `realign eval {benchmark}`")
    return found


def now() -> datetime:
    """Naive UTC, as the rest of the store writes timestamps."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def write_eval(store: Any, row: dict[str, Any], items: list[dict[str, Any]]) -> None:
    """The evaluation and its items in one transaction."""
    from realign.store import insert_rows, transaction

    with transaction(store.con):
        cols = tuple(row)
        insert_rows(store.con, "evals", cols, [tuple(row[c] for c in cols)])
        if items:
            insert_rows(store.con, "eval_items", ITEM_COLUMNS, [tuple(it.get(c) for c in ITEM_COLUMNS) for it in items])


class RecordOnly:
    """A cache that never answers but still records every call (``--no-cache``)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def get_call(self, key: str) -> None:
        return None

    def put_call(self, key: str, **kwargs: Any) -> None:
        self.store.put_call(key, **kwargs)


# --- comparing --------------------------------------------------------------------------------

def paired(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Items of both evaluations paired by item id (the k-th copy of an id with the k-th)."""
    def keyed(rows: Iterable[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
        seen: dict[str, int] = {}
        out = {}
        for r in rows:
            k = seen.get(r["item_id"], 0)
            seen[r["item_id"]] = k + 1
            out[(r["item_id"], k)] = r
        return out

    b = keyed(before)
    for key, a in keyed(after).items():
        if key in b:
            yield b[key], a


PairedMetrics = Callable[[list[tuple[dict[str, Any], dict[str, Any]]]], dict[str, Any]]


def compare_evals(store: Any, before_id: str, after_id: str,
                  metrics: PairedMetrics | None = None) -> dict[str, Any]:
    """Accuracy differences between two evaluations on the items both scored, the items that
    flipped and McNemar's exact p-value, for each right/wrong score of the benchmark; with
    `metrics`, also what it computes from the paired items (their `detail` parsed), under
    "metrics"."""
    info = {r["eval_id"]: r for r in store.query(
        "SELECT eval_id, benchmark, model, split, shots, data FROM evals WHERE eval_id IN (?, ?)",
        [before_id, after_id])}
    b_info, a_info = info.get(before_id, {}), info.get(after_id, {})
    scores = score_columns(str(a_info.get("benchmark") or b_info.get("benchmark") or "gsm8k"))
    cols = ", ".join(["item_index", "item_id", "detail", *scores.values()])
    q = f"SELECT {cols} FROM eval_items WHERE eval_id = ? ORDER BY item_index"
    before = store.query(q, [before_id])
    after = store.query(q, [after_id])
    pairs = list(paired(before, after))
    warnings = []
    for field in ("benchmark", "split", "shots", "data"):
        if b_info.get(field) != a_info.get(field):
            warnings.append(f"{field} differs: {b_info.get(field)} (before) vs {a_info.get(field)} (after)")
    if len(pairs) < max(len(before), len(after)):
        warnings.append(f"only {len(pairs)} items are in both evaluations ({len(before)} before, {len(after)} after)")
    out: dict[str, Any] = {"before": before_id, "after": after_id, "paired": len(pairs),
                           "before_model": b_info.get("model"), "after_model": a_info.get("model"),
                           "scores": list(scores)}
    n = len(pairs)
    for kind, col in scores.items():
        gained = [a["item_index"] for b, a in pairs if not b[col] and a[col]]
        lost = [a["item_index"] for b, a in pairs if b[col] and not a[col]]
        b_acc = sum(1 for b, _ in pairs if b[col]) / n if n else 0.0
        a_acc = sum(1 for _, a in pairs if a[col]) / n if n else 0.0
        out[kind] = {
            "before_accuracy": b_acc, "after_accuracy": a_acc, "difference": a_acc - b_acc,
            "gained": len(gained), "lost": len(lost), "mcnemar_p": mcnemar_exact(len(lost), len(gained)),
            "gained_items": gained, "lost_items": lost,
        }
    if metrics is not None and pairs:
        for b, a in pairs:
            for r in (b, a):
                if isinstance(r.get("detail"), str):
                    r["detail"] = json.loads(r["detail"])
        out["metrics"] = metrics(pairs)
    out["warnings"] = warnings
    return out


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.2f}%"


def _num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:+.3f}"


def _pts(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:+.2f} points"


def compare_lines(c: dict[str, Any] | None) -> list[str]:
    """The report lines of a `compare_evals` result with benchmark metrics (BBQ, Winogender)."""
    if not c:
        return []
    lines = [f"compared with {c['before']} ({c['before_model']}), on {c['paired']} paired items:"]
    for kind in c["scores"]:
        k = c[kind]
        lines.append(f"  {kind:<16} {_pct(k['before_accuracy'])} -> {_pct(k['after_accuracy'])} "
                     f"({100 * k['difference']:+.2f} points): {k['gained']} items gained, {k['lost']} lost, "
                     f"McNemar exact p = {k['mcnemar_p']:.3g}")
    for name, m in (c.get("metrics") or {}).items():
        lo, hi = m["difference_ci"]
        # accuracies in percent, gaps between accuracies and every difference of them in points;
        # bias scores as they are
        value, diff = ((_pct, _pts) if name.startswith("accuracy") else (_pts, _pts) if name.startswith("gap")
                       else (_num, _num))
        lines.append(f"  {name:<16} {value(m['before'])} -> {value(m['after'])} (difference {diff(m['difference'])}, "
                     f"95% CI {diff(lo)} .. {diff(hi)})")
    for w in c["warnings"]:
        lines.append(f"  warning: {w}")
    return lines


def closing_lines(s: dict[str, Any]) -> list[str]:
    """The last lines of a benchmark evaluation's report (BBQ, Winogender): requests, the
    comparison, the rows written for `realign rewrite`, where the items are."""
    lines = []
    if s["source"] == "model":
        lines.append(f"  requests: {s['llm_requests']} sent, {s['cached_requests']} from the cache; "
                     f"{s['errors']} failed (scored as wrong)")
    lines.extend(compare_lines(s.get("compare")))
    if s.get("rows_file"):
        lines.append(f"wrote {s['rows_written']} rows for `realign rewrite` to {s['rows_file']}")
    lines.append(f"items: SELECT * FROM eval_items WHERE eval_id = '{s['eval_id']}'")
    return lines
