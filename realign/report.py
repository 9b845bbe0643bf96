"""Human-readable printing of summaries, stats and row stories (the --json forms bypass this)."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from realign.records import Turn, row_name, where_in

# Piped into a file or a pager, rich would cut every table to 80 columns; a terminal keeps its
# width, and COLUMNS, when set, decides.
console = Console(width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160)


def _table(*headers: str) -> Table:
    """A table whose cells wrap instead of being cut with an ellipsis: at 80 columns a task name
    ("natural_language_learning_tutor") or a header ("rewritten") stays readable."""
    t = Table(*headers)
    for col in t.columns:
        col.overflow = "fold"
    return t


def _folded(dups: dict[str, int]) -> str:
    return " and ".join(f"{n:,} {kind}" for kind, n in (("rewrite", dups.get("rewrite", 0)),
                                                        ("classification", dups.get("classify", 0))) if n)


def print_rewrite_summary(s: dict[str, Any]) -> None:
    if s.get("dry_run"):
        console.print(f"[bold]dry run[/bold]: {s['rows']} rows read, {s['quarantined']} would be quarantined")
        if s.get("resumed"):
            console.print(f"{s['resumed']:,} rows already done in run {s['resumed_run']} of this database: "
                          "a rerun resumes them and sends nothing for them (not counted below)", markup=False)
        for b in s["bad_rows"]:
            console.print(f"  bad row: {b}", markup=False)
        t = _table("task", "rows", "rewrite", "passthrough")
        for task, v in s["by_task"].items():
            t.add_row(task, str(v["rows"]), str(v["rewrite"]), str(v["passthrough"]))
        console.print(t)
        cost = s.get("estimated_cost_usd")
        console.print(
            f"would send {s['classify_requests']:,} classification and {s['requests']:,} rewrite requests "
            f"(up to {s['requests_with_feedback_retry_max']:,} rewrite requests with feedback retries"
            + (f"; not counted: {_folded(s['duplicate_requests'])} requests that repeat one counted, sent once"
               if any(s.get("duplicate_requests", {}).values()) else "") + "); "
            f"{s['rows_needing_evidence']:,} of them are of tasks that take evidence "
            f"(retrieval: {s['retrieval']}); estimated tokens: "
            f"{s['estimated_prompt_tokens']:,} prompt + {s['estimated_completion_tokens']:,} completion "
            f"(prompt from {s['prompt_estimate_from']}; completion from {s['completion_estimate_from']}); "
            + ("estimated cost unknown (no price for this model: --price-in / --price-out)" if cost is None
               else f"estimated cost ${cost:,.4f}")
        )
        tl = s.get("too_long_turns") or {}
        parts = [text.format(n=tl[name]) for name, text in (
            ("known", "{n:,} refused before as longer than the model's context (answered by the cache)"),
            ("over_max_prompt_tokens_counted", "{n:,} counted over --max-prompt-tokens by an earlier session "
                                               "(the count is stored; never sent)"),
            ("over_max_prompt_chars", "{n:,} over --max-prompt-chars (never sent)")) if tl.get(name)]
        if parts:
            console.print("turns kept as too long for the model, not counted above: " + "; ".join(parts), markup=False)
        if tl.get("over_max_prompt_tokens_estimated"):
            console.print(f"{tl['over_max_prompt_tokens_estimated']:,} turns not counted yet look longer than "
                          "--max-prompt-tokens at the estimate's characters per token: the server counts them "
                          "first, and those over the limit are kept without a request (counted above)", markup=False)
        if s.get("turns_by_mode"):
            console.print("turns by mode: " + ", ".join(f"{m} {n:,}" for m, n in s["turns_by_mode"].items())
                          + " (estimates count one rewrite-sized request per turn; label_reason and "
                          "critique_revise send their own prompts and more requests: see `realign stats`)")
        for sample in s["sample_prompts"]:
            console.rule(f"sample prompt: {sample['example_id']} ({sample['task']})")
            for m in sample["messages"]:
                console.print(f"[bold]{m['role']}[/bold]")
                console.print(m["content"], markup=False, highlight=False)
        for w in s.get("warnings") or []:
            Console(stderr=True).print(f"warning: {w}", markup=False)
        console.print("No model was called. To run it for real, give --model and --base-url (or OPENAI_BASE_URL).")
        return
    console.print(
        f"run {s['run_id']}: {s['rows']} rows | rewritten {s['rewritten']} | kept original "
        f"{s['kept_original']} | passthrough {s['passthrough']} | failed {s['failed']} | "
        f"quarantined {s['quarantined']} | resumed {s['resumed']}"
    )
    console.print(
        f"requests: {s['llm_requests']} sent"
        + (f" (and {s['batch_requests']} in batch files over {s['batch_rounds']} round(s))" if s.get("batch_requests") else "")
        + f", {s['cached_requests']} from cache, {s['retries']} retries"
        + (f" ({', '.join(f'{k} {n}' for k, n in s['retry_causes'].items())})" if s.get("retry_causes") else "")
        + " | "
        f"tokens {s['prompt_tokens']:,} prompt + {s['completion_tokens']:,} completion"
        + ("" if s.get("cost_usd") is None else f" (${s['cost_usd']:.4f})")
        + f" | {s['elapsed_s']:.1f} s, {_rate(s['rows_per_s'])}"
    )
    if s.get("format_fallbacks") or s.get("structured_output") not in (None, "json_schema"):
        steps = s.get("format_fallbacks", 0)
        console.print(f"structured output: sent as {s['structured_output']} " + (
            f"({steps} step{'s' if steps != 1 else ''} down from json_schema)" if steps
            else "(the dialect learned from this server in an earlier session)"))
    cap = s.get("in_flight_cap")
    endpoints = s.get("endpoints") or []
    if len(endpoints) > 1:  # the caps are per server: a sum of them would hide which one was cut
        _print_endpoints(console, endpoints)
    elif cap and cap["cuts"]:
        console.print(f"in flight: cut {cap['cuts']} time{'s' * (cap['cuts'] != 1)} when requests timed out in the "
                      f"server's queue, to {cap['lowest']} at the lowest, {cap['end']} at the end")
    elif cap and cap.get("held"):
        console.print(f"in flight: at most {cap['end']} at a time at the end: the slow start (from "
                      f"{cap.get('ramp_from') or 1}) stopped doubling there, as answers came after more than half of "
                      "--timeout (the server answers few requests at once)")
    if s.get("classifier_fallbacks"):
        console.print(f"classifier: {s['classifier_fallbacks']} rows kept the embedded label (the LLM gave no usable answer)")
    if s.get("too_long"):
        Console(stderr=True).print(
            f"note: {s['too_long']} turn(s) kept as they are: the prompt is longer than the model's context "
            f"(reason too_long, `realign stats`); to rewrite them: {s['too_long_fix']}, then rerun the same command "
            "(those rows are done again, from the cache unless the request changed)", markup=False)
    for f in s.get("failed_by_kind") or []:
        Console(stderr=True).print(f"warning: {f['turns']} turn(s) failed ({f['kind']}); fix: {f['fix']}, then rerun "
                                   "the same command to retry them", markup=False)
    _print_usage(s.get("usage") or {})
    for w in s.get("warnings") or []:
        Console(stderr=True).print(f"warning: {w}", markup=False)
    if s.get("row_errors"):
        Console(stderr=True).print(
            f"warning: {s['row_errors']} rows failed with an internal error (logged above, stored as failed "
            "with the error: `realign show ID`); a rerun retries them. Please report it.", markup=False)


def _print_endpoints(console: Console, endpoints: list[dict[str, Any]], when: str = "") -> None:
    """One line per server of several: what it was sent, how much failed, its take-outs and its
    own in-flight cap (cut when requests timed out in its queue)."""
    for e in endpoints:
        moves = [f"began at {e['cap_start']}, an earlier session's cut"] if e.get("cap_start") else []
        if e.get("cap_held"):
            moves.append(f"slow start from {e.get('cap_ramp_from') or 1} held there by slow answers")
        if e["cap_cuts"]:
            moves.append(f"cut {e['cap_cuts']} time{'s' * (e['cap_cuts'] != 1)}, to {e['cap_lowest']} at the lowest")
        console.print(f"endpoint {e['url']}{when}: {e['requests']:,} requests, {e['failed']:,} failed | "
                      f"taken out {e['taken_out']} time{'s' * (e['taken_out'] != 1)} | in flight at most "
                      f"{e['cap']} at the end ({'; '.join(moves) or 'never cut'})", markup=False)


def _print_usage(by_purpose: dict[str, dict[str, Any]]) -> None:
    """The ledger by purpose: one line each, the figures the totals above add up from."""
    width = max([9, *map(len, by_purpose)])  # the modes' purposes (sim_summary) are longer than 9
    for purpose, v in by_purpose.items():
        cost = "" if v.get("cost_usd") is None else f" ${v['cost_usd']:,.4f}"
        console.print(f"  {purpose:<{width}} {v['requests']:>8,} sent {v['cached']:>8,} cached {v['retries']:>6,} retries | "
                      f"tokens {v['prompt_tokens']:,} + {v['completion_tokens']:,}{cost}", markup=False)


def _rate(rows_per_s: float) -> str:
    """Rows per second, or seconds per row for runs slower than one row a second (a CPU model)."""
    if rows_per_s >= 1 or rows_per_s <= 0:
        return f"{rows_per_s:.1f} rows/s"
    return f"{1 / rows_per_s:.1f} s/row"


def print_stats(d: dict[str, Any]) -> None:
    console.rule(f"run {d['run_id']} ({d['name']}) {d['status']}")
    console.print(f"input {d['input']} | model {d['model']} | sessions {d['sessions']} | "
                  f"{d['started_at']} → {d['finished_at'] or 'still running or stopped without finishing'}", markup=False)
    console.print(f"rows {d['rows']}: " + ", ".join([*(f"{k} {v}" for k, v in d["by_status"].items()),
                                                     f"quarantined {d['quarantined']}"]))
    tools = d.get("tool_turns") or {}
    if tools.get("rows"):
        console.print(f"tool turns: {tools['rows']:,} rows hold {tools['tool_calls']:,} tool calls and "
                      f"{tools['tool_results']:,} tool results, exported as read (never rewritten)", markup=False)
    t = _table("task", "rows", "rewritten", "kept", "passthrough", "failed", "acceptance")
    for r in d["by_task"]:
        acc = "-" if r["acceptance_rate"] is None else f"{100 * r['acceptance_rate']:.1f}%"
        t.add_row(r["task"], *(str(r[k]) for k in ("rows", "rewritten", "kept_original", "passthrough", "failed")), acc)
    console.print(t)
    if d.get("by_contract"):
        t = _table("answer contract", "turns", "rewritten", "kept", "failed", "repaired", "acceptance")
        for r in d["by_contract"]:
            acc = "-" if r["acceptance_rate"] is None else f"{100 * r['acceptance_rate']:.1f}%"
            t.add_row(r["kind"], *(str(r[k]) for k in ("turns", "rewritten", "kept_original", "failed", "repaired")), acc)
        console.print(t)
    if d.get("by_mode"):
        t = _table("mode", "rows", "turns", "rewritten", "kept", "failed", "requests", "per row", "chars",
                  "reason supports label")
        for r in d["by_mode"]:
            judged = f"{r['reasons_supported']}/{r['reasons_judged']}" if r["reasons_judged"] else "-"
            t.add_row(r["mode"], *(str(r[k]) for k in ("rows", "turns", "rewritten", "kept_original", "failed",
                                                         "requests", "requests_per_row")),
                      "-" if r["final_chars_median"] is None else f"{r['final_chars_median']:.0f}", judged)
        console.print(t)
    if d["failed_checks"]:
        console.print("failed checks: " + ", ".join(f"{r['check_name']} {r['failures']}" for r in d["failed_checks"]))
    if d["rejection_reasons"]:
        console.print("why rewrites were not used (rows, check or 'model', kind of reason, one example):")
        for r in d["rejection_reasons"]:
            console.print(f"  {r['rows']:>6}  {r['check']}: {r['kind']}", markup=False)
            if r["example"] != r["kind"]:
                console.print(f"          e.g. {r['example']}", markup=False)
    if d.get("quarantined_rows"):
        console.print(f"quarantined rows ({d['quarantined']:,}; first {len(d['quarantined_rows'])}):")
        for r in d["quarantined_rows"]:
            where = where_in(r["file"], r["line"], r["source_index"])
            console.print(f"  {where}" + (f" field {r['field']}" if r["field"] else "") + f": {r['reason']}",
                          markup=False)
        if d["quarantined"] > len(d["quarantined_rows"]):
            console.print(f"  ... and {d['quarantined'] - len(d['quarantined_rows']):,} more: "
                          "`realign stats --quarantined` lists every one", markup=False)
    for w in d.get("warnings") or []:
        Console(stderr=True).print(f"warning: {w}", markup=False)
    ta = d.get("trust_audit")
    if ta:  # a short section: the checks that found anything, before -> after (made worse)
        found = [f"{c} {v['before']}->{v['after']}" + (f" ({v['regressed']} worse)" if v["regressed"] else "")
                 for c, v in ta["overall"].items() if v["before"] or v["after"]]
        gates = [f"{g['gate']} {'pass' if g['passed'] else 'FAIL'}" for g in ta["gates"]]
        console.print(f"trust audit ({ta['turns']:,} turns, {ta['audited_at']}): " + (", ".join(found) or "nothing found")
                      + (f" | gates: {', '.join(gates)}" if gates else ""), markup=False)
    lr = d["length_ratio"]
    if lr.get("n"):
        console.print(f"length ratio of accepted rewrites (n={lr['n']}): min {lr['min']} p10 {lr['p10']} "
                      f"median {lr['p50']} p90 {lr['p90']} max {lr['max']}")
    tok, req = d["tokens"], d["requests"]
    cost = "unknown (no price for this model)" if d["cost_usd"] is None else f"${d['cost_usd']:.4f}"
    console.print(f"tokens {tok['prompt_tokens']:,} prompt + {tok['completion_tokens']:,} completion | "
                  f"requests over all sessions: {req['fresh']} sent, {req['cached']} from cache, "
                  f"{req['retries']} retries | cost {cost}")
    _print_usage(d.get("usage") or {})
    if len(d.get("endpoints") or []) > 1:
        _print_endpoints(console, d["endpoints"], " (last session)")


def print_quarantined(s: dict[str, Any]) -> None:
    where = f"line {s['line']}" if s["line"] is not None else row_name(s["source_index"])
    console.rule(f"{s['input_path']} {where} (run {s['run_id']}): quarantined, not processed")
    if s["example_id"]:
        console.print(f"id {s['example_id']}", markup=False, highlight=False)
    console.print(f"field: {s['field'] or '(the whole row)'}", markup=False, highlight=False)
    console.print(f"reason: {s['reason']}", markup=False, highlight=False)
    console.print("[bold]raw[/bold]" + (f" (first {len(s['raw']):,} of {s['raw_chars']:,} characters)"
                                         if s["raw_truncated"] else ""))
    console.print(s["raw"], markup=False, highlight=False, soft_wrap=True)
    console.print("fix the row and rerun", markup=False, highlight=False)


def evidence_lines(evidence: list[dict[str, Any]]) -> list[str]:
    """`show`'s evidence lines: what the prompt got, then what the relevance floor kept out and why
    (a turn whose every hit was dropped is named: its prompt had no evidence)."""
    lines = []
    turns_with_kept = {e["turn_index"] for e in evidence if not e.get("dropped")}
    for turn in sorted({e["turn_index"] for e in evidence} - turns_with_kept):
        lines.append(f"turn {turn}: no passage passed the relevance floor; the prompt had no evidence")
    for e in evidence:
        if e.get("dropped"):
            lines.append(f"dropped (BM25 rank {e['rank']}) {e['source']} {e['doc_id']}: {e['dropped']}")
            continue
        match = f" (match {e['match']:.0%})" if e.get("match") is not None else ""
        lines.append(f"[{e['rank']}] {e['source']} {e['doc_id']} {e['title']}{match}: {e['text'][:300]}")
    return lines


def print_story(s: dict[str, Any]) -> None:
    if s["status"] == "quarantined":
        print_quarantined(s)
        return
    console.rule(f"{s['example_id']} (run {s['run_id']}, {row_name(s['source_index'])}"
                 + (f", line {s['line']}" if s["line"] else "") + ")")
    console.print(f"task [bold]{s['task']}[/bold] (confidence {s['task_confidence']:.2f}, {s['classifier']}) | "
                  f"status [bold]{s['status']}[/bold]" + (f" | error: {s['error']}" if s["error"] else ""))
    if s.get("task_read_from") and s["task_read_from"] != "the first user turn":
        console.print(f"task read from {s['task_read_from']}", markup=False, highlight=False)
    if s["status"] == "passthrough":
        # the row was never sent: say which setting decided it, so it can be changed
        console.print(f"passthrough: task {s['task']} is not rewritten (`rewrite = false` in criteria/{s['task']}.md, "
                      f"or a pipeline's [tasks] rewrite table); the original is exported as it is",
                      markup=False, highlight=False)
    console.print("[bold]original[/bold]")
    for t in s["original_turns"]:
        console.print(f"[{t['role']}] {Turn(**t).shown()}", markup=False, highlight=False)
    if s["evidence"]:
        console.print("[bold]evidence[/bold]")
        for line in evidence_lines(s["evidence"]):
            console.print(line, markup=False, highlight=False)
    for t in s.get("untouched_turns") or []:
        console.rule(f"turn {t['turn_index']}: {t['reason']}")
    for t in s["turns"]:
        tries = f"{t['attempts']} rewrite attempt{'s' if t['attempts'] != 1 else ''}"
        console.rule(f"turn {t['turn_index']}: {t['status']} ({tries}): {t['reason']}")
        h = t.get("history_rewritten")
        if h:  # a later answer rewritten against earlier rewrites: say which, so its prompt reads right
            console.print("history: the rewritten text of turn" + ("s " if len(h) > 1 else " ")
                          + ", ".join(str(i) for i in h) + " (as exported), not the original",
                          markup=False, highlight=False)
        c = t.get("contract")
        if c:
            from realign.verify.contract import AnswerContract, shown

            console.print("answer contract: " + shown(AnswerContract(**c))
                          + (f"; enforced by {', '.join(c['checks'])}" if c.get("checks") else ""),
                          markup=False, highlight=False)
        for r in t.get("repairs") or []:
            console.print(f"repair: {r}", markup=False, highlight=False)
        if t.get("reason_supports_label") is not None:
            console.print("judge: the reason " + ("supports" if t["reason_supports_label"] else
                          "argues for another label than") + " the label", markup=False)
        if t.get("trace"):
            n = len(t["trace"])
            console.print(f"[bold]mode {t.get('mode') or 'rewrite'}[/bold]: {n} step{'s' if n != 1 else ''}")
            for st in t["trace"]:
                out = json.dumps(st["output"], ensure_ascii=False) if st["output"] is not None else "(unparsed)"
                key = (st["request_key"] or "-")[:12]
                console.print(f"  {st['seq']}. {st['step']} [{key}] {out[:400]}", markup=False, highlight=False)
        if t.get("prompt"):
            console.print("[bold]prompt sent[/bold]")
            for m in t["prompt"]:
                console.print(f"({m['role']})\n{m['content']}", markup=False, highlight=False)
        for i, raw in enumerate(t.get("raw_answers") or []):
            console.print(f"[bold]raw answer {i + 1}[/bold]")
            console.print(raw, markup=False, highlight=False)
        for v in t.get("verdicts") or []:
            console.print(f"[bold]checks[/bold] (attempt {v['attempt']}, candidate {v['candidate']}): "
                          + ("passed" if v["passed"] else "failed"))
            for c in v["checks"]:
                console.print(f"  {'ok  ' if c['passed'] else 'FAIL'} {c['name']}: {c['reason']}", markup=False)
    if s["final_turns"]:
        console.rule("final")
        for t in s["final_turns"]:
            console.print(f"[{t['role']}] {Turn(**t).shown()}", markup=False, highlight=False)




def print_classification(r: dict[str, Any]) -> None:
    console.print(f"{r['n']} rows classified ({', '.join(f'{m} {n}' for m, n in r['methods'].items())}); "
                  f"mean confidence {r['mean_confidence']}" + (f"; {len(r['skipped'])} rows skipped" if r["skipped"] else ""))
    for line in r["skipped"][:5]:
        console.print(f"  skipped {line}", markup=False)
    t = _table("task", "rows", "share")
    for task, n in r["distribution"].items():
        t.add_row(task, str(n), f"{100 * n / r['n']:.1f}%")
    console.print(t)
    if "accuracy" in r:
        console.print(f"[bold]accuracy[/bold] {100 * r['accuracy']:.1f}% top-1, {100 * r['group_accuracy']:.1f}% "
                      f"on the 10 groups (n={r['n']})" + (f"; {r['n_unknown_gold']} gold labels name no task"
                                                          if r.get("n_unknown_gold") else ""))
        weak = sorted(r["per_task"].items(), key=lambda kv: kv[1]["recall"] if kv[1]["recall"] is not None else 1)[:8]
        if weak:
            console.print("lowest recall: " + ", ".join(
                f"{t} {v['recall']:.2f} (n={v['support']})" for t, v in weak if v["recall"] is not None))
        if r["confusions"]:
            console.print("most frequent confusions (gold → predicted):")
            for gold, pred, n in r["confusions"][:10]:
                console.print(f"  {n:>4}  {gold} → {pred}", markup=False)


def print_audit(a: dict[str, Any]) -> None:
    """The trust audit: turns with findings before / after the rewrite, overall and by task."""
    console.rule(f"trust audit of run {a['run_id']}: {a['turns']:,} turns sent for rewriting (kept and failed ones compare the original with itself)")
    t = _table("check", "before", "after", "made worse")
    for check, v in a["overall"].items():
        t.add_row(check, f"{v['before']:,}", f"{v['after']:,}", f"{v['regressed']:,}")
    console.print(t)
    for task, checks in a["by_task"].items():  # per task: the checks that found anything, before -> after
        found = [f"{c} {v['before']}->{v['after']}" + (f" ({v['regressed']} worse)" if v["regressed"] else "")
                 for c, v in checks.items() if c != "turns"]
        if found:
            console.print(f"  {task} ({checks['turns']:,} turns): " + ", ".join(found), markup=False)
    for g in a["gates"]:
        mark = "pass" if g["passed"] else "FAIL"
        console.print(f"gate {g['gate']} <= {g['limit']}: {g['count']} {mark}", markup=False)


def print_gate_failures(a: dict[str, Any]) -> None:
    """One line per failed gate and one per row it names, on stderr."""
    err = Console(stderr=True)
    for g in a["gates"]:
        if g["passed"]:
            continue
        err.print(f"gate {g['gate']} failed: {g['count']} turn(s) over the limit of {g['limit']}", markup=False)
        for r in g["rows"]:
            err.print(f"  {r['example_id']} turn {r['turn_index']} ({r['task']}): {r['detail']}", markup=False)
        if g["count"] > len(g["rows"]):
            err.print(f"  ... and {g['count'] - len(g['rows'])} more (realign audit --json, or the trust_audit table)",
                      markup=False)
