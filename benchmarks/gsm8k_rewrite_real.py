"""The GSM8K rewrite loop with real model-written solutions as the "rewrites" (issue #9's first bar).

`tests/test_gsm8k_pipeline.py` scripts the wrong and right rewrites in our own styles. Here the
scripted server answers each GSM8K question's rewrite request with a solution a real model wrote
for that question (third-party, with the source's own correctness label), so the answer styles,
slips and odd formats are the models'. Each row goes through `realign rewrite` as a user runs it
(a subprocess, routing included), once with `--pipeline gsm8k` and once with the default pipeline
(embedded classifier). On the feedback retry the server sends the same solution again (a model
that does not fix it), so a rejected solution leaves the original in the export.

Printed per source and pipeline: rows; exported answers that equal the gold (a kept original
states the gold by construction; an accepted solution does when its label says it is correct);
labelled-correct solutions rejected (false rejections), and of those the ones rejected for a
reason other than the four by design (the working dropped, a wrong calculation written on the
way, steps of the original's working left out, chat-template tokens); labelled-wrong solutions exported (false acceptances); rows failed;
then which checks rejected the labelled-correct solutions. A question answered by several models runs in several rounds (one
solution per question per run).

Data (the same rows as benchmarks/verify.py reads; every source's licence in its SOURCES.md):
`--thirdparty DIR` (default /work/thirdparty/verify, outside the repo: sources without a licence
stay there) or, when it is absent, the committed MIT fixtures in tests/fixtures/verify/
(Faithful-CoT and simple-evals-ru). The rows are those benchmarks/verify.py scores: rows whose label
the source visibly misread (`label_suspect`), prompt examples and bare Program-of-Thought programs
are left out. The `split` column says whether a source was read while building the checks (dev) or
not (held), as in benchmarks/verify.py.

    .venv/bin/python benchmarks/gsm8k_rewrite_real.py [--thirdparty DIR] [--limit N] [--pipelines gsm8k,default]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from verify import load_labelled, split_of  # noqa: E402  (the same rows and dev / held split)

from realign.testing.openai_server import OpenAIServer  # noqa: E402
from realign.testing.responders import RealignResponder  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures" / "verify"


def load_rows(thirdparty: Path | None, limit: int | None) -> list[dict[str, Any]]:
    """The GSM8K rows benchmarks/verify.py scores (same filters: no visibly misread labels, no
    prompt examples, no bare programs), with the same dev / held split."""
    folder = thirdparty if thirdparty is not None else FIXTURES  # the fixtures are read either way
    rows: list[dict[str, Any]] = []
    for source, labelled in load_labelled(folder).items():
        for index, r in enumerate(labelled[:limit] if limit else labelled):
            if r.get("kind") == "math" and r.get("candidate", "").strip():
                rows.append({**r, "split": split_of(source, r.get("split_index", index))})
    print(f"data: {folder} ({len(rows)} solutions with labels)", file=sys.stderr)
    return rows


def rounds_of(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Rows in rounds with each question at most once, so the server knows which solution to send."""
    rounds: list[list[dict[str, Any]]] = []
    seen: list[set[str]] = []
    for r in rows:
        for k, qs in enumerate(seen):
            if r["instruction"].strip() not in qs:
                break
        else:
            k = len(seen)
            seen.append(set())
            rounds.append([])
        seen[k].add(r["instruction"].strip())
        rounds[k].append(r)
    return rounds


def realign(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_") and k != "REALIGN_MODEL"}
    return subprocess.run([sys.executable, "-m", "realign.cli", *args], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=3600)


# Rejections by design, not misreadings: a rewrite that keeps the right number but drops the
# working, writes a wrong calculation on the way, or carries chat-template tokens is not a good
# training answer (README, "The arithmetic decision"); nor is one that leaves out steps of the
# original's working (working_kept: a model's own solution often takes other steps).
BY_DESIGN = {"length (drops the working)", "arithmetic", "working_kept", "leak"}


def _why(check: dict[str, Any]) -> str:
    name = check["name"]
    if name == "length":
        reason = check.get("reason") or ""
        return "length (drops the working)" if "drops the working" in reason else \
            "length (too long)" if "too long" in reason else "length (other)"
    return name


def run_round(rows: list[dict[str, Any]], pipeline: str, work: Path) -> list[dict[str, Any]]:
    """One `realign rewrite` over `rows`; per row: exported text and status."""
    by_question = {r["instruction"].strip(): r["candidate"] for r in rows}
    data = work / "in.jsonl"
    data.write_text("".join(json.dumps({"question": r["instruction"], "answer": r["original"]}) + "\n"
                            for r in rows), encoding="utf-8")
    db, out = work / "run.duckdb", work / "out.jsonl"
    for p in (db, out):
        p.unlink(missing_ok=True)
    responder = RealignResponder(rewrite=lambda parts: by_question.get(parts["instruction"].strip()))
    with OpenAIServer(responder, record=False) as srv:
        args = ["rewrite", "--in", str(data), "--db", str(db), "--model", "m", "--base-url", srv.base_url,
                "--classifier", "embedded", "--concurrency", "16", "-q", "--json"]
        if pipeline != "default":
            args += ["--pipeline", pipeline]
        proc = realign(*args)
    if proc.returncode != 0:
        raise SystemExit(f"rewrite failed ({proc.returncode}): {proc.stderr[-2000:]}")
    summary = json.loads(proc.stdout)
    exp = realign("export", "--db", str(db), "--out", str(out), "--format", "parquet")
    if exp.returncode != 0:
        raise SystemExit(f"export failed: {exp.stderr[-2000:]}")
    import pyarrow.parquet as pq

    table = pq.read_table(out).to_pylist()
    if len(table) != len(rows):
        raise SystemExit(f"export has {len(table)} rows for {len(rows)} inputs")
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    failed_checks: dict[int, list[str]] = {}
    for index, verdicts in con.execute("""SELECT e.source_index, w.verdicts FROM rewrites w
                                          JOIN examples e USING (run_id, example_id)""").fetchall():
        last = (json.loads(verdicts) if isinstance(verdicts, str) else verdicts or [None])[-1] or {}
        failed_checks[int(index)] = sorted({_why(c) for c in last.get("checks") or [] if not c.get("passed")})
    con.close()
    results = []
    for r, rec in zip(rows, sorted(table, key=lambda t: int(t["source_index"]))):
        results.append({**r, "status": rec["status"], "task": rec.get("task"),
                        "failed_checks": failed_checks.get(int(rec["source_index"]), [])})
    results_summary = {k: summary.get(k, 0) for k in ("rewritten", "kept_original", "failed", "passthrough")}
    print(f"    round of {len(rows)} ({pipeline}): {results_summary}", file=sys.stderr)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--thirdparty", type=Path, default=Path("/work/thirdparty/verify"))
    ap.add_argument("--limit", type=int, default=None, help="at most N rows per source")
    ap.add_argument("--pipelines", default="gsm8k,default")
    args = ap.parse_args()
    rows = load_rows(args.thirdparty, args.limit)
    print("| pipeline | source | split | rows | exported = gold | correct rejected | of which not by design "
          "| wrong exported | failed | routed math_puzzles |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    reasons: dict[tuple[str, str], Counter[str]] = {}
    for pipeline in args.pipelines.split(","):
        done: list[dict[str, Any]] = []
        with tempfile.TemporaryDirectory() as tmp:
            for part in rounds_of(rows):
                done += run_round(part, pipeline, Path(tmp))
        groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for r in done:
            groups[(r["source"], r["split"])].append(r)
            groups[("all", r["split"])].append(r)
        for (source, split), rs in sorted(groups.items(), key=lambda kv: (kv[0][0] == "all", kv[0])):
            accepted = [r for r in rs if r["status"] == "rewritten"]
            wrong_out = sum(1 for r in accepted if not r["same_answer"])
            correct = [r for r in rs if r["same_answer"]]
            rejected = sum(1 for r in correct if r["status"] == "kept_original")
            misread = sum(1 for r in correct if r["status"] == "kept_original"
                          and not set(r["failed_checks"]) & BY_DESIGN)
            failed = sum(1 for r in rs if r["status"] == "failed")
            gold = len(rs) - wrong_out - failed
            math = sum(1 for r in rs if r.get("task") == "math_puzzles")
            if source == "all":
                why = Counter(name for r in correct if r["status"] == "kept_original" for name in r["failed_checks"])
                reasons[(pipeline, split)] = why
            print(f"| {pipeline} | {source} | {split} | {len(rs)} | {gold}/{len(rs)} ({gold / len(rs):.2%}) "
                  f"| {rejected}/{len(correct)} ({rejected / max(1, len(correct)):.2%}) "
                  f"| {misread}/{len(correct)} ({misread / max(1, len(correct)):.2%}) | {wrong_out} | {failed} "
                  f"| {math}/{len(rs)} |")


    for (pipeline, split), why in reasons.items():
        print(f"checks that rejected labelled-correct solutions ({pipeline}, {split}): "
              + (", ".join(f"{name} {n}" for name, n in why.most_common()) or "none"))


if __name__ == "__main__":
    main()
