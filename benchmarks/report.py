"""Time and size of `realign report` on a large run.

Builds a database holding one run of --rows rows (examples, results, one rewritten turn each with
its contract, verdicts and checks, a usage ledger, a GSM8K evaluation row), with the mix of a real
run: 46 tasks, a fifth of the rows passthrough, a tenth of the tries rejected by a check, varied
length ratios and texts of a few hundred characters. Then times `write_report` (the queries, the
charts and the page) and prints the page's size. The charts are aggregated in SQL; only --sample
turns go into the page, so its size should not grow with --rows.

    .venv/bin/python benchmarks/report.py --rows 100000
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from realign.html_report import SAMPLE_TURNS, write_report
from realign.store import Store, _COLUMNS, insert_rows, transaction
from realign.tasks import load_tasks

CHECKS = ("length", "leak", "math_answer", "refusal", "language")


def build(db: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    tasks = sorted(load_tasks())
    with Store(db) as st:
        st.start_run(run_id="r1", name="bench", config={}, config_hash="h", input_path="in.jsonl",
                     input_hash="ih", model="gpt-4o-mini", base_url="u")
        st.flush()
        for start in range(0, rows, 20_000):
            ex, res, rw, ck = [], [], [], []
            for n in range(start, min(rows, start + 20_000)):
                eid, task = f"e{n:07d}", tasks[n % len(tasks)]
                question = f"Question {n}: " + "please explain the matter in some detail. " * rng.randint(2, 8)
                original = f"Answer {n}. " + "The reason is as follows, step by step. " * rng.randint(3, 15) + f"#### {n}"
                ex.append(("r1", eid, n, n + 1, "alpaca", json.dumps([{"role": "user", "content": question},
                                                                       {"role": "assistant", "content": original}]),
                           "{}", task, rng.random(), "embedded"))
                if n % 5 == 0:
                    res.append(("r1", eid, "passthrough", task, "[]", 0, 0, 0, None, None))
                    continue
                rejected = rng.random() < 0.1
                candidate = ("Short." if rejected else "Here it is, laid out clearly.\n\n" + original * rng.randint(1, 2))
                failed = rng.choice(CHECKS) if rejected else None
                checks = [{"name": c, "passed": c != failed,
                           "reason": f"{c} failed: saw {rng.randint(1, 99)} where the original had {n}" if c == failed
                           else f"{c} ok"} for c in CHECKS]
                verdicts = [{"attempt": a, "candidate": 0, "passed": not rejected, "checks": checks}
                            for a in ((1, 2) if rejected else (1,))]
                status = "kept_original" if rejected else "rewritten"
                kind = ("number", "none", "option", "code", "facts")[n % 5]
                rw.append(("r1", eid, 1, status, f"rejected: {failed}" if rejected else "passed all checks",
                           original, candidate, original if rejected else candidate, rejected, len(verdicts),
                           len(candidate) / len(original), json.dumps([f"{n:064x}"]), json.dumps([candidate]),
                           json.dumps(verdicts), None, kind, json.dumps({"kind": kind, "value": str(n)}), None))
                for v in verdicts:
                    ck.extend(("r1", eid, 1, v["attempt"], 0, c["name"], c["passed"], c["reason"]) for c in checks)
                res.append(("r1", eid, status, task, json.dumps([{"role": "assistant", "content": candidate}]),
                            len(verdicts), 900, 250, None, None))
            with transaction(st.con):
                insert_rows(st.con, "examples", _COLUMNS["examples"], ex)
                insert_rows(st.con, "results", _COLUMNS["results"], res)
                insert_rows(st.con, "rewrites", _COLUMNS["rewrites"], rw)
                insert_rows(st.con, "checks", _COLUMNS["checks"], ck)
        st.set_usage("r1", 1, {
            "classify": {"requests": rows, "cached": 0, "retries": 3, "prompt_tokens": 120 * rows, "completion_tokens": 8 * rows},
            "rewrite": {"requests": rows, "cached": 10, "retries": 40, "prompt_tokens": 800 * rows, "completion_tokens": 230 * rows},
            "feedback": {"requests": rows // 10, "cached": 0, "retries": 2, "prompt_tokens": 90 * rows, "completion_tokens": 20 * rows}})
        st.finish_run("r1", "completed", {})
        from realign.evals.gsm8k import ensure_tables

        ensure_tables(st)
        st.con.execute("""INSERT INTO evals (eval_id, benchmark, model, n, strict_accuracy, strict_ci_low, strict_ci_high,
                          flexible_accuracy, flexible_ci_low, flexible_ci_high)
                          VALUES ('e1', 'gsm8k', 'base', 1319, 0.46, 0.43, 0.49, 0.5, 0.47, 0.53)""")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--sample", type=int, default=SAMPLE_TURNS)
    ap.add_argument("--out", help="keep the page here (default: a temporary file)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db, out = Path(tmp) / "bench.duckdb", Path(args.out or Path(tmp) / "report.html")
        t0 = time.perf_counter()
        build(db, args.rows)
        built = time.perf_counter() - t0
        print(f"built a run of {args.rows:,} rows in {built:.1f} s ({db.stat().st_size / 2**20:.1f} MiB database)")
        t0 = time.perf_counter()
        s = write_report(str(db), str(out), sample=args.sample)
        took = time.perf_counter() - t0
        print(f"realign report: {took:.2f} s, {s['bytes'] / 2**20:.2f} MiB page "
              f"({len(s['charts'])} charts, {s['sampled_turns']} sampled turns, {s['rows']:,} rows counted)")


if __name__ == "__main__":
    main()
