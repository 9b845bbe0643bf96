"""`realign report`: one self-contained HTML page per run, to look at rather than read.

Not to be confused with `realign.report`, which prints summaries to the terminal. This module
gathers a run's figures (the queries behind `realign stats`, `run_stats`, plus the few the page
alone needs: a binned length-ratio histogram, the stored evaluations, a sample of turns), draws the
charts with plotly and writes one HTML file that carries plotly.js inline, so it opens offline.

Why plotly: a maintained library (MIT) whose Python package ships the full plotly.js bundle, so the
page needs no network and no second install step; its figures are JSON, drawn by the browser with
hover and zoom. The bundle is about 4.8 MB, paid once per page; everything else is aggregated in
SQL, and only a stratified sample of turns (default 600) goes into the page, so its size does not
grow with the run.

Example::

    from realign.html_report import write_report
    summary = write_report("realign.duckdb", "report.html")   # latest run
    print(summary["bytes"], summary["sampled_turns"])
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from realign.errors import ConfigError
from realign.store import Store, run_stats

SAMPLE_TURNS = 600  # turns shown side by side; the charts cover every row
TEXT_CHARS = 6000  # longer texts are cut in the sample (the page stays small; `realign show` has all)
RATIO_BIN = 0.1  # width of a length-ratio histogram bin
RATIO_MAX = 3.0  # ratios at or above it share the last bin
STATUS_COLORS = {"rewritten": "#2e7d32", "kept_original": "#f9a825", "passthrough": "#90a4ae",
                 "failed": "#c62828", "pending": "#6d4c41"}


def _plotly() -> Any:
    try:
        import plotly.graph_objects as go
        from plotly.offline import get_plotlyjs
    except ImportError:
        raise ConfigError("realign report draws its charts with plotly, which is not installed; "
                          "install it with: pip install 'realign[report]'") from None
    return go, get_plotlyjs


def _tables(store: Store) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for t, c in store.con.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main' "
            "ORDER BY table_name, ordinal_position").fetchall():
        out.setdefault(t, []).append(c)
    return out


# ---- the figures the page adds to `run_stats` ----------------------------------------------------

def ratio_histogram(store: Store, run_id: str) -> list[dict[str, Any]]:
    """Candidates per length-ratio bin and turn status (accepted or rejected), counted in SQL."""
    last = int(round(RATIO_MAX / RATIO_BIN))
    return store.query(
        f"""SELECT least(CAST(floor(length_ratio / {RATIO_BIN}) AS INTEGER), {last}) AS bin, status,
                   count(*) AS turns
            FROM rewrites WHERE run_id = ? AND length_ratio IS NOT NULL
            GROUP BY 1, 2 ORDER BY 1, 2""", [run_id])


def _json_metrics(raw: Any) -> list[dict[str, Any]]:
    """Metrics kept in the evals' `metrics` JSON (BBQ, Winogender: realign/evals/storage.py): a
    number `X` beside its interval `X_ci` = [low, high] is one metric."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return []
    if not isinstance(raw, dict):
        return []
    out = []
    for name, value in raw.items():
        ci = raw.get(f"{name}_ci")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and isinstance(ci, list) and len(ci) == 2 \
                and all(isinstance(x, (int, float)) for x in ci):
            out.append({"name": name, "value": value, "low": ci[0], "high": ci[1]})
    return out


def stored_evals(store: Store, tables: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Every row of `evals`, with its metrics found by name so that any benchmark shows: a column
    pair `X_ci_low` / `X_ci_high` is one metric, its value in `X`, `X_accuracy`, `X_score` or
    `X_rate`; so is a number beside its `X_ci` pair in the `metrics` JSON column. A long table
    `eval_metrics` (eval_id, metric, value, ci_low, ci_high) adds more."""
    cols = tables.get("evals")
    if not cols:
        return []
    order = "started_at" if "started_at" in cols else "eval_id"
    rows = store.query(f"SELECT * FROM evals ORDER BY {order}")
    extra: dict[str, list[dict[str, Any]]] = {}
    if {"eval_id", "metric", "value", "ci_low", "ci_high"} <= set(tables.get("eval_metrics", [])):
        for m in store.query("SELECT eval_id, metric, value, ci_low, ci_high FROM eval_metrics ORDER BY metric"):
            extra.setdefault(m["eval_id"], []).append(
                {"name": m["metric"], "value": m["value"], "low": m["ci_low"], "high": m["ci_high"]})
    out = []
    for r in rows:
        metrics = []
        for c in cols:
            if not c.endswith("ci_low") or c[:-len("ci_low")] + "ci_high" not in cols:
                continue
            stem = c[:-len("ci_low")].rstrip("_")
            names = [f"{stem}_{s}" if stem else s for s in ("accuracy", "score", "rate", "value")]
            value_col = next((v for v in ([stem] if stem else []) + names if v in cols), None)
            if value_col is None or not isinstance(r.get(value_col), (int, float)):
                continue
            metrics.append({"name": stem or value_col, "value": r[value_col], "low": r[c],
                            "high": r[c[:-len("ci_low")] + "ci_high"]})
        metrics += _json_metrics(r.get("metrics"))
        eval_id = str(r.get("eval_id", ""))
        metrics += extra.get(eval_id, [])
        name = r.get("benchmark") or r.get("name") or r.get("eval") or "evaluation"
        details = {k: r[k] for k in ("model", "split", "data", "n", "shots", "started_at") if r.get(k) is not None}
        out.append({"eval_id": eval_id, "benchmark": str(name), "metrics": metrics,
                    "details": {k: str(v) for k, v in details.items()}})
    return out


def _trace_table(tables: dict[str, list[str]]) -> str | None:
    """The table of mode traces (one row per LLM step of a turn): the modes' `mode_steps`
    (store migration m004), else any table with "trace" in its name and the row keys."""
    if {"run_id", "example_id", "turn_index"} <= set(tables.get("mode_steps", [])):
        return "mode_steps"
    for name in sorted(tables):
        if "trace" in name and {"run_id", "example_id"} <= set(tables[name]):
            return name
    return None


AUDIT_ROWS = 200  # rows of an audit table shown


def audit_rows(store: Store, run_id: str, tables: dict[str, list[str]]) -> dict[str, Any] | None:
    """The run's rows of `trust_audit` (written by `realign audit`), as they are: its columns are
    its owner's, so the page shows them without assuming any."""
    cols = tables.get("trust_audit")
    if not cols:
        return None
    where = "WHERE run_id = ?" if "run_id" in cols else ""
    shown = [c for c in cols if c != "run_id"]
    quoted = ", ".join(f'"{c}"' for c in shown)
    rows = store.query(f"SELECT {quoted} FROM trust_audit {where} LIMIT {AUDIT_ROWS + 1}",
                       [run_id] if where else [])
    return {"columns": shown, "rows": [[_cut(r[c]) for c in shown] for r in rows[:AUDIT_ROWS]],
            "more": len(rows) > AUDIT_ROWS}


def _cut(text: Any) -> str | None:
    if text is None:
        return None
    s = str(text)
    return s if len(s) <= TEXT_CHARS else s[:TEXT_CHARS] + f"\n… ({len(s) - TEXT_CHARS:,} more characters)"


def _instruction(turns: list[dict[str, Any]], turn_index: int) -> str:
    for t in reversed(turns[:turn_index]):
        if t.get("role") == "user":
            return str(t.get("content", ""))
    return ""


def sample_turns(store: Store, run_id: str, tables: dict[str, list[str]], limit: int = SAMPLE_TURNS) -> list[dict[str, Any]]:
    """Up to `limit` turns, taken in turn from every (task, status, contract kind) group in a fixed
    hashed order, so rare outcomes show up next to common ones and a rerun picks the same rows."""
    picked = store.query(
        """WITH t AS (
               SELECT w.example_id, w.turn_index, e.task, w.status, coalesce(w.contract_kind, 'unknown') AS kind,
                      hash(w.example_id, w.turn_index) AS h
               FROM rewrites w JOIN examples e USING (run_id, example_id) WHERE w.run_id = ?),
           ranked AS (SELECT *, row_number() OVER (PARTITION BY task, status, kind ORDER BY h) AS k FROM t)
           SELECT example_id, turn_index FROM ranked ORDER BY k, task, status, kind, h LIMIT ?""",
        [run_id, limit])
    if not picked:
        return []
    ids = sorted({p["example_id"] for p in picked})
    rows = store.query(
        """SELECT w.example_id, w.turn_index, e.task, e.task_confidence, e.turns, w.status, w.reason,
                  w.original, w.candidate, w.final, w.attempts, w.length_ratio, w.verdicts,
                  coalesce(w.contract_kind, 'unknown') AS contract_kind, w.contract, w.repairs, w.error
           FROM rewrites w JOIN examples e USING (run_id, example_id)
           WHERE w.run_id = ? AND w.example_id IN (SELECT unnest(?))""", [run_id, ids])
    by_key = {(r["example_id"], r["turn_index"]): r for r in rows}
    traces: dict[tuple[str, int | None], list[dict[str, Any]]] = {}
    trace_table = _trace_table(tables)
    if trace_table:
        order = " ORDER BY example_id, turn_index, seq" if "seq" in tables.get(trace_table, []) else ""
        for t in store.query(f"SELECT * FROM {trace_table} WHERE run_id = ? AND example_id IN (SELECT unnest(?)){order}",
                             [run_id, ids]):
            key = (t.pop("example_id"), t.get("turn_index"))
            t.pop("run_id", None)
            traces.setdefault(key, []).append({k: _cut(v) for k, v in t.items()})
    out = []
    for p in picked:
        r = by_key.get((p["example_id"], p["turn_index"]))
        if r is None:
            continue
        verdicts = json.loads(r["verdicts"]) if r["verdicts"] else []
        for v in verdicts:
            for c in v.get("checks", []):
                c["reason"] = _cut(c.get("reason"))
        failed = sorted({c["name"] for v in verdicts for c in v.get("checks", []) if not c.get("passed")})
        turns = json.loads(r["turns"]) if r["turns"] else []
        out.append({
            "id": r["example_id"], "turn": r["turn_index"], "task": r["task"], "status": r["status"],
            "kind": r["contract_kind"], "ratio": None if r["length_ratio"] is None else round(r["length_ratio"], 3),
            "reason": _cut(r["reason"]), "error": _cut(r["error"]), "attempts": r["attempts"],
            "instruction": _cut(_instruction(turns, r["turn_index"])),
            "original": _cut(r["original"]), "candidate": _cut(r["candidate"]), "final": _cut(r["final"]),
            "contract": json.loads(r["contract"]) if r["contract"] else None,
            "repairs": json.loads(r["repairs"]) if r["repairs"] else [],
            "verdicts": verdicts, "failed": failed,
            "trace": traces.get((r["example_id"], r["turn_index"])) or traces.get((r["example_id"], None)) or [],
        })
    return out


def gather(store: Store, run_id: str, *, sample: int = SAMPLE_TURNS) -> dict[str, Any]:
    """Everything the page shows, as plain data (the tests and `--json` read this)."""
    tables = _tables(store)
    return {
        "stats": run_stats(store, run_id),
        "ratio_bins": ratio_histogram(store, run_id),
        "evals": stored_evals(store, tables),
        "sample": sample_turns(store, run_id, tables, sample),
        "trace_table": _trace_table(tables),
        "audit": audit_rows(store, run_id, tables),
    }


# ---- charts --------------------------------------------------------------------------------------

def _layout(title: str, height: int, **more: Any) -> dict[str, Any]:
    return {"title": {"text": title, "x": 0, "font": {"size": 15}}, "height": height, "template": "plotly_white",
            "margin": {"l": 10, "r": 10, "t": 40, "b": 40}, "barmode": "stack",
            "legend": {"orientation": "h", "y": -0.12}, **more}


def _charts(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{element id: plotly figure as JSON-ready dict}; a chart without data is left out."""
    from realign.evals.gsm8k import wilson_interval

    go, _ = _plotly()
    s = data["stats"]
    charts: dict[str, Any] = {}
    by_task = list(reversed(s["by_task"]))  # plotly draws the first category at the bottom
    if by_task:
        tasks = [r["task"] for r in by_task]
        height = 120 + 22 * len(tasks)
        fig = go.Figure(layout=_layout("Rows per task, by outcome", height, yaxis={"automargin": True}))
        for status in ("rewritten", "kept_original", "passthrough", "failed"):
            fig.add_bar(y=tasks, x=[r[status] for r in by_task], name=status, orientation="h",
                        marker_color=STATUS_COLORS[status])
        charts["chart-tasks"] = fig
        tried = [r for r in by_task if r["rewritten"] + r["kept_original"]]
        if tried:
            acc, lo, hi = [], [], []
            for r in tried:
                n = r["rewritten"] + r["kept_original"]
                low, high = wilson_interval(r["rewritten"], n)
                acc.append(r["rewritten"] / n)
                lo.append(acc[-1] - low)
                hi.append(high - acc[-1])
            fig = go.Figure(layout=_layout("Acceptance per task (rewrites kept / rewrites tried, 95% Wilson interval)",
                                           120 + 22 * len(tried), yaxis={"automargin": True},
                                           xaxis={"range": [0, 1.02], "tickformat": ".0%"}))
            fig.add_bar(y=[r["task"] for r in tried], x=acc, orientation="h", marker_color=STATUS_COLORS["rewritten"],
                        error_x={"type": "data", "array": hi, "arrayminus": lo, "symmetric": False},
                        customdata=[[r["rewritten"], r["rewritten"] + r["kept_original"]] for r in tried],
                        hovertemplate="%{y}: %{x:.1%} (%{customdata[0]} of %{customdata[1]})<extra></extra>")
            charts["chart-acceptance"] = fig
    if s["by_contract"]:
        kinds = [r["kind"] for r in s["by_contract"]]
        fig = go.Figure(layout=_layout("Turns per answer-contract kind, by outcome", 360))
        for status in ("rewritten", "kept_original", "failed"):
            fig.add_bar(x=kinds, y=[r[status] for r in s["by_contract"]], name=status,
                        marker_color=STATUS_COLORS[status])
        charts["chart-contracts"] = fig
    if s["rejection_reasons"]:
        fig = go.Figure(layout=_layout("Why rewrites were not used, grouped by check (rows)", 140 + 28 * len(
            {r["check"] for r in s["rejection_reasons"]}), yaxis={"automargin": True}, showlegend=False))
        for r in s["rejection_reasons"]:
            fig.add_bar(y=[r["check"]], x=[r["rows"]], orientation="h", name=r["kind"][:60],
                        hovertemplate=f"{html.escape(r['check'])}: %{{x}} rows<br>{html.escape(r['kind'][:120])}<extra></extra>")
        charts["chart-reasons"] = fig
    if data["ratio_bins"]:
        last = int(round(RATIO_MAX / RATIO_BIN))
        fig = go.Figure(layout=_layout("Length of the candidate / length of the original", 340, barmode="stack",
                                       xaxis={"title": {"text": "length ratio (last bin: ≥ %.1f)" % RATIO_MAX}},
                                       yaxis={"title": {"text": "candidates"}}, bargap=0.05))
        for status in sorted({b["status"] for b in data["ratio_bins"]}):
            bins = [b for b in data["ratio_bins"] if b["status"] == status]
            fig.add_bar(x=[(b["bin"] + 0.5) * RATIO_BIN for b in bins], y=[b["turns"] for b in bins], width=RATIO_BIN,
                        name=status, marker_color=STATUS_COLORS.get(status, "#555"),
                        customdata=[[b["bin"] * RATIO_BIN, "+" if b["bin"] == last else f"{(b['bin'] + 1) * RATIO_BIN:.1f}"]
                                    for b in bins],
                        hovertemplate="%{customdata[0]:.1f} – %{customdata[1]}: %{y}<extra>" + status + "</extra>")
        charts["chart-ratio"] = fig
    usage = s.get("usage") or {}
    if usage:
        purposes = list(usage)
        fig = go.Figure(layout=_layout("Tokens by purpose", 320))
        fig.add_bar(x=purposes, y=[usage[p]["prompt_tokens"] for p in purposes], name="prompt", marker_color="#1565c0")
        fig.add_bar(x=purposes, y=[usage[p]["completion_tokens"] for p in purposes], name="completion",
                    marker_color="#90caf9")
        charts["chart-usage"] = fig
        if any(usage[p]["cost_usd"] for p in purposes):
            fig = go.Figure(layout=_layout("Cost by purpose (USD)", 320, yaxis={"tickprefix": "$"}))
            fig.add_bar(x=purposes, y=[usage[p]["cost_usd"] or 0 for p in purposes], marker_color="#6a1b9a")
            charts["chart-cost"] = fig
    for i, bench in enumerate(sorted({e["benchmark"] for e in data["evals"]})):
        rows = [e for e in data["evals"] if e["benchmark"] == bench and e["metrics"]]
        if not rows:
            continue
        fig = go.Figure(layout=_layout(f"{bench}: stored evaluations with 95% intervals", 140 + 40 * len(rows),
                                       yaxis={"automargin": True, "type": "category"}, barmode="group"))
        for metric in sorted({m["name"] for e in rows for m in e["metrics"]}):
            pts = [(f"{e['eval_id']} · {e['details'].get('model', '')}", m) for e in rows for m in e["metrics"]
                   if m["name"] == metric]
            fig.add_scatter(y=[p[0] for p in pts], x=[p[1]["value"] for p in pts], mode="markers", name=metric,
                            marker={"size": 10},
                            error_x={"type": "data", "symmetric": False,
                                     "array": [(m["high"] - m["value"]) if m["high"] is not None else 0 for _, m in pts],
                                     "arrayminus": [(m["value"] - m["low"]) if m["low"] is not None else 0 for _, m in pts]})
        charts[f"chart-eval-{i}"] = fig
    return {k: json.loads(v.to_json()) for k, v in charts.items()}


# ---- the page ------------------------------------------------------------------------------------

def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element: no '<' at all, so no '</script>' or '<!--' can end it."""
    return json.dumps(value, ensure_ascii=False, default=str).replace("<", "\\u003c")


def _table(header: list[str], rows: list[list[Any]]) -> str:
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{e('' if c is None else str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table class='grid'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _money(v: float | None) -> str:
    return "—" if v is None else f"${v:,.4f}"


def render(data: dict[str, Any]) -> str:
    """The page as one string: CSS, plotly.js, the figures and the sample inline."""
    _, get_plotlyjs = _plotly()
    e = html.escape
    s = data["stats"]
    charts = _charts(data)
    tiles = [("rows", f"{s['rows']:,}")] + [(k, f"{v:,}") for k, v in s["by_status"].items()] + [
        ("quarantined", f"{s['quarantined']:,}"),
        ("tokens", f"{s['tokens']['prompt_tokens'] + s['tokens']['completion_tokens']:,}"),
        ("cost", _money(s["cost_usd"]))]
    lr = s["length_ratio"]
    usage = s.get("usage") or {}

    def chart(cid: str) -> str:
        return f"<div class='chart' id='{cid}'></div>" if cid in charts else ""

    reasons = _table(["check", "kind of reason", "rows", "example"],
                     [[r["check"], r["kind"], r["rows"], r["example"]] for r in s["rejection_reasons"]]) \
        if s["rejection_reasons"] else "<p class='muted'>No rewrite was rejected.</p>"
    usage_table = _table(["purpose", "requests", "cached", "retries", "prompt tokens", "completion tokens", "cost"],
                         [[p, f"{v['requests']:,}", f"{v['cached']:,}", f"{v['retries']:,}", f"{v['prompt_tokens']:,}",
                           f"{v['completion_tokens']:,}", _money(v["cost_usd"])] for p, v in usage.items()]) \
        if usage else "<p class='muted'>No usage ledger for this run.</p>"
    eval_parts = []
    for i, bench in enumerate(sorted({ev["benchmark"] for ev in data["evals"]})):
        rows = [ev for ev in data["evals"] if ev["benchmark"] == bench]
        eval_parts.append(f"<h3>{e(bench)}</h3>" + chart(f"chart-eval-{i}") + _table(
            ["evaluation", "details", "metric", "value", "95% interval"],
            [[ev["eval_id"], ", ".join(f"{k} {v}" for k, v in ev["details"].items()), m["name"], f"{m['value']:.4g}",
              "—" if m["low"] is None else f"{m['low']:.4g} – {m['high']:.4g}"]
             for ev in rows for m in ev["metrics"]]))
    evals_html = "".join(eval_parts) or ("<p class='muted'>No evaluation is stored in this database "
                                         "(<code>realign eval gsm8k ... --db</code> adds one).</p>")
    audit = data.get("audit")
    if audit is None:
        audit_html = "<p class='muted'>No trust audit in this database (<code>realign audit</code> adds one).</p>"
    elif not audit["rows"]:
        audit_html = "<p class='muted'>The trust audit holds no row for this run.</p>"
    else:
        audit_html = _table(audit["columns"], audit["rows"]) + (
            f"<p class='muted'>First {AUDIT_ROWS} rows; the rest are in table <code>trust_audit</code>.</p>"
            if audit["more"] else "")
    ratio_line = (f"n={lr['n']:,} accepted rewrites: median {lr['p50']}, p10 {lr['p10']}, p90 {lr['p90']}, "
                  f"min {lr['min']}, max {lr['max']}") if lr.get("n") else "No accepted rewrite."
    trace_note = (f"mode traces from table <code>{e(data['trace_table'])}</code>" if data["trace_table"]
                  else "no mode traces in this database")
    return _PAGE.format(
        title=e(f"realign report: run {s['run_id']}"),
        plotly_js=get_plotlyjs(),
        css=_CSS, js=_JS,
        run_id=e(s["run_id"]), name=e(str(s["name"])), model=e(str(s["model"])), input=e(str(s["input"])),
        status=e(str(s["status"])), started=e(s["started_at"]), finished=e(s["finished_at"] or "not finished"),
        sessions=e(str(s["sessions"])),
        tiles="".join(f"<div class='tile'><div class='v'>{e(v)}</div><div class='k'>{e(k)}</div></div>" for k, v in tiles),
        warnings="".join(f"<p class='warn'>{e(w)}</p>" for w in s.get("warnings") or []),
        chart_tasks=chart("chart-tasks"), chart_acceptance=chart("chart-acceptance"),
        chart_contracts=chart("chart-contracts"), chart_reasons=chart("chart-reasons"), reasons=reasons,
        chart_ratio=chart("chart-ratio"), ratio_line=e(ratio_line),
        chart_usage=chart("chart-usage"), chart_cost=chart("chart-cost"), usage_table=usage_table,
        evals=evals_html, audit=audit_html, n_sample=len(data["sample"]), trace_note=trace_note,
        figures=_script_json(charts), sample=_script_json(data["sample"]), status_colors=_script_json(STATUS_COLORS),
    )


def write_report(db: str, out: str, *, run: str | None = None, sample: int = SAMPLE_TURNS) -> dict[str, Any]:
    """Write the page of run `run` (default: the latest) of database `db` to `out`; returns what was written."""
    if sample < 0:
        raise ConfigError("--sample must be 0 or more")
    _plotly()  # before any work: the one missing piece a user can install
    target = Path(out)
    if target.is_dir():
        raise ConfigError(f"--out {out} is a folder; give a file name, e.g. --out {target / 'report.html'}")
    if not target.parent.exists():
        raise ConfigError(f"--out {out}: folder {target.parent} does not exist; create it or pick another path")
    with Store(db, read_only=True) as store:
        run_id = store.resolve_run(run)
        data = gather(store, run_id, sample=sample)
    page = render(data)
    target.write_text(page, encoding="utf-8")
    return {"run_id": run_id, "out": str(target), "bytes": len(page.encode("utf-8")),
            "rows": data["stats"]["rows"], "sampled_turns": len(data["sample"]), "evals": len(data["evals"]),
            "charts": sorted(_charts_ids(page))}


def _charts_ids(page: str) -> list[str]:
    return re.findall(r"<div class='chart' id='([^']+)'>", page)


_CSS = """
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2430;background:#f5f6f8}
header{background:#1d2430;color:#fff;padding:14px 24px}header h1{font-size:19px;margin:0 0 4px}header .meta{color:#c5cbd6;font-size:13px}
main{max-width:1280px;margin:0 auto;padding:16px 24px}section{background:#fff;border-radius:8px;padding:14px 18px;margin:0 0 16px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
h2{font-size:16px;margin:0 0 10px}h3{font-size:14px;margin:14px 0 6px}.tiles{display:flex;flex-wrap:wrap;gap:10px}
.tile{background:#eef1f6;border-radius:6px;padding:8px 14px;min-width:110px}.tile .v{font-size:20px;font-weight:600}.tile .k{color:#5b6473;font-size:12px}
.two{display:grid;grid-template-columns:1fr 1fr;gap:16px}@media(max-width:900px){.two{grid-template-columns:1fr}}
.chart{min-height:200px}.muted{color:#6b7380}.warn{color:#8a5300;background:#fff4d6;padding:6px 10px;border-radius:4px}
table.grid{border-collapse:collapse;width:100%;font-size:13px}table.grid th,table.grid td{border-bottom:1px solid #e3e6eb;padding:4px 8px;text-align:left;vertical-align:top}
table.grid th{background:#f0f2f5;font-weight:600}.filters{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:8px}
.filters select,.filters input{padding:4px 6px;font:inherit}#sample-list{max-height:320px;overflow:auto;border:1px solid #e3e6eb}
#sample-list tr{cursor:pointer}#sample-list tr:hover{background:#f3f7ff}#sample-list tr.sel{background:#dbe8ff}
.badge{display:inline-block;padding:0 6px;border-radius:3px;color:#fff;font-size:12px}
.side{display:grid;grid-template-columns:1fr 1fr;gap:12px;margin-top:10px}.pane{border:1px solid #e3e6eb;border-radius:6px;overflow:hidden}
.pane h4{margin:0;padding:6px 10px;background:#f0f2f5;font-size:13px}.pane pre{margin:0;padding:10px;white-space:pre-wrap;word-break:break-word;font:13px/1.4 ui-monospace,Menlo,Consolas,monospace;max-height:480px;overflow:auto}
.ok{color:#2e7d32;font-weight:600}.fail{color:#c62828;font-weight:600}code{background:#eef1f6;padding:0 3px;border-radius:3px}
"""

_JS = r"""
(function () {
  var figures = JSON.parse(document.getElementById('figures').textContent);
  Object.keys(figures).forEach(function (id) {
    var f = figures[id];
    Plotly.newPlot(id, f.data, f.layout, {responsive: true, displaylogo: false, displayModeBar: false});
  });
  var rows = JSON.parse(document.getElementById('sample-data').textContent);
  var colors = JSON.parse(document.getElementById('status-colors').textContent);
  var $ = function (id) { return document.getElementById(id); };
  function el(tag, text, cls) { var n = document.createElement(tag); if (text != null) n.textContent = text; if (cls) n.className = cls; return n; }
  function fill(select, values) {
    values.forEach(function (v) { var o = el('option', v); o.value = v; select.appendChild(o); });
  }
  function uniq(key) { var s = {}; rows.forEach(function (r) { (Array.isArray(r[key]) ? r[key] : [r[key]]).forEach(function (v) { s[v] = 1; }); }); return Object.keys(s).sort(); }
  fill($('f-task'), uniq('task')); fill($('f-status'), uniq('status')); fill($('f-kind'), uniq('kind')); fill($('f-check'), uniq('failed'));
  var shown = [];
  function matches(r) {
    var t = $('f-task').value, s = $('f-status').value, k = $('f-kind').value, c = $('f-check').value;
    var q = $('f-text').value.toLowerCase();
    if (t && r.task !== t) return false; if (s && r.status !== s) return false; if (k && r.kind !== k) return false;
    if (c && r.failed.indexOf(c) < 0) return false;
    if (q && [r.id, r.instruction, r.original, r.candidate, r.final, r.reason].join('\n').toLowerCase().indexOf(q) < 0) return false;
    return true;
  }
  function badge(status) { var b = el('span', status, 'badge'); b.style.background = colors[status] || '#555'; return b; }
  function list() {
    var body = $('sample-rows'); body.textContent = '';
    shown = rows.filter(matches);
    $('sample-count').textContent = shown.length + ' of ' + rows.length + ' sampled turns match';
    shown.forEach(function (r, i) {
      var tr = el('tr'); tr.dataset.i = i;
      tr.appendChild(el('td', r.id + (r.turn ? ' #' + r.turn : '')));
      tr.appendChild(el('td', r.task)); var td = el('td'); td.appendChild(badge(r.status)); tr.appendChild(td);
      tr.appendChild(el('td', r.kind)); tr.appendChild(el('td', r.ratio == null ? '' : r.ratio));
      tr.appendChild(el('td', r.failed.join(', ')));
      tr.addEventListener('click', function () { show(i); });
      body.appendChild(tr);
    });
    if (shown.length) show(0); else $('detail').textContent = 'No sampled turn matches the filters.';
  }
  function pane(title, text, cls) {
    var p = el('div', null, 'pane ' + cls); p.appendChild(el('h4', title)); p.appendChild(el('pre', text == null ? '' : text)); return p;
  }
  function show(i) {
    var r = shown[i], d = $('detail'); d.textContent = '';
    Array.prototype.forEach.call(document.querySelectorAll('#sample-rows tr'), function (tr) { tr.classList.toggle('sel', +tr.dataset.i === i); });
    var h = el('h3', r.id + ' · turn ' + r.turn + ' · ' + r.task + ' · '); h.appendChild(badge(r.status)); d.appendChild(h);
    d.appendChild(el('p', (r.reason || '') + (r.error ? ' · error: ' + r.error : '') + ' · attempts ' + r.attempts
      + (r.ratio == null ? '' : ' · length ratio ' + r.ratio), 'muted'));
    d.appendChild(pane('instruction', r.instruction, 'instruction'));
    var side = el('div', null, 'side');
    side.appendChild(pane('original', r.original, 'original'));
    var label = r.status === 'rewritten' ? 'rewritten (accepted)' : (r.candidate ? 'candidate (not used: ' + r.status + ')' : 'no candidate: final = original');
    side.appendChild(pane(label, r.status === 'rewritten' ? r.final : (r.candidate || r.final), 'rewritten'));
    d.appendChild(side);
    if (r.contract) d.appendChild(el('p', 'answer contract: ' + r.kind + ' ' + JSON.stringify(r.contract)));
    r.repairs.forEach(function (x) { d.appendChild(el('p', 'repair: ' + (typeof x === 'string' ? x : JSON.stringify(x)))); });
    if (r.verdicts.length) {
      var t = el('table', null, 'grid checks'); var hd = el('tr');
      ['attempt', 'candidate', 'check', 'outcome', 'reason'].forEach(function (x) { hd.appendChild(el('th', x)); });
      t.appendChild(hd);
      r.verdicts.forEach(function (v) { (v.checks || []).forEach(function (c) {
        var tr = el('tr'); tr.appendChild(el('td', v.attempt)); tr.appendChild(el('td', v.candidate)); tr.appendChild(el('td', c.name));
        tr.appendChild(el('td', c.passed ? 'pass' : 'FAIL', c.passed ? 'ok' : 'fail')); tr.appendChild(el('td', c.reason)); t.appendChild(tr);
      }); });
      d.appendChild(el('h3', 'checks')); d.appendChild(t);
    }
    if (r.trace.length) {
      var cols = Object.keys(r.trace[0]); var tt = el('table', null, 'grid trace'); var th = el('tr');
      cols.forEach(function (c) { th.appendChild(el('th', c)); }); tt.appendChild(th);
      r.trace.forEach(function (s) { var tr = el('tr'); cols.forEach(function (c) { tr.appendChild(el('td', s[c] == null ? '' : String(s[c]))); }); tt.appendChild(tr); });
      d.appendChild(el('h3', 'mode trace')); d.appendChild(tt);
    }
  }
  ['f-task', 'f-status', 'f-kind', 'f-check'].forEach(function (id) { $(id).addEventListener('change', list); });
  $('f-text').addEventListener('input', list);
  list();
})();
"""

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>{css}</style>
<script>{plotly_js}</script></head>
<body>
<header><h1>realign run {run_id} <span style="font-weight:400">({name}, {status})</span></h1>
<div class="meta">model {model} · input {input} · sessions {sessions} · {started} → {finished}</div></header>
<main>
<section><div class="tiles">{tiles}</div>{warnings}</section>
<section><h2>Tasks</h2><div class="two"><div>{chart_tasks}</div><div>{chart_acceptance}</div></div></section>
<section><h2>Answer contracts</h2>{chart_contracts}</section>
<section><h2>Rejections</h2>{chart_reasons}{reasons}</section>
<section><h2>Length ratio</h2>{chart_ratio}<p class="muted">{ratio_line}</p></section>
<section><h2>Tokens and cost</h2><div class="two"><div>{chart_usage}</div><div>{chart_cost}</div></div>{usage_table}</section>
<section><h2>Evaluations</h2>{evals}</section>
<section><h2>Trust audit</h2>{audit}</section>
<section id="sample"><h2>Sample: original and rewrite side by side</h2>
<p class="muted">{n_sample} turns, taken from every task, outcome and contract kind; {trace_note}. Click a row; <code>realign show ID</code> prints everything about it.</p>
<div class="filters"><select id="f-task"><option value="">every task</option></select>
<select id="f-status"><option value="">every outcome</option></select>
<select id="f-kind"><option value="">every contract</option></select>
<select id="f-check"><option value="">any check</option></select>
<input id="f-text" type="search" placeholder="search text"> <span id="sample-count" class="muted"></span></div>
<div id="sample-list"><table class="grid"><thead><tr><th>example</th><th>task</th><th>outcome</th><th>contract</th><th>ratio</th><th>failed checks</th></tr></thead>
<tbody id="sample-rows"></tbody></table></div>
<div id="detail"></div></section>
</main>
<script type="application/json" id="figures">{figures}</script>
<script type="application/json" id="sample-data">{sample}</script>
<script type="application/json" id="status-colors">{status_colors}</script>
<script>{js}</script>
</body></html>
"""
