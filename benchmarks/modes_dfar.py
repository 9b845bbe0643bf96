"""label_reason on the whole DFAR train split against a scripted server (printed, not asserted).

    .venv/bin/python benchmarks/modes_dfar.py [--data ../shared/data/dfar] [--limit N] [--flip 0.10] [--hedge 0.05]

The server answers each label_reason request with one sentence stating the label and the first
two sentences of DFAR's own human-written reason (third-party text, MIT); for a share of rows,
chosen by a hash of the statement, it flips the label (--flip) or hedges between the labels
(--hedge), on the first request and on the feedback retry alike. The run goes through the real
pipeline (HTTP, verification, DuckDB) with pipelines/dfar.toml (reason judge on; the scripted
judge says "other" when the reason says "is <other label>"). Printed: labels of the dfar_label
export equal to the gold, false acceptances (a flipped or hedged answer accepted), correct
label + reason answers rejected, reason length, judge support rate, requests per row.
Skipped with a message when the data folder is absent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from realign.config import load_config
from realign.exporting import export_run
from realign.io.dfar import prepare_dfar
from realign.store import Store, run_stats
from realign.testing.openai_server import OpenAIServer
from realign.testing.responders import dfar_case, dfar_responder
from realign.testing.runs import run_pipeline


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dfar"))
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--flip", type=float, default=0.10)
    ap.add_argument("--hedge", type=float, default=0.05)
    a = ap.parse_args()
    if not (Path(a.data) / "DFAR_trainset.csv").is_file():
        print(f"skipped: no DFAR_trainset.csv in {a.data} (github.com/apurba-nsu-rnd-lab/DFAR, MIT)")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        prep = prepare_dfar(a.data, str(t / "dfar"))
        data = t / "dfar" / "train.jsonl"
        rows = [json.loads(x) for x in data.read_text(encoding="utf-8").splitlines()][: a.limit]
        data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        db = t / "r.duckdb"
        started = time.perf_counter()
        with OpenAIServer(dfar_responder(rows, a.flip, a.hedge)) as srv:
            cfg = load_config("dfar", {"model": {"model": "m", "base_url": srv.base_url, "concurrency": 16}}, env={})
            summary = asyncio.run(run_pipeline(cfg, db, data))
        seconds = time.perf_counter() - started
        export_run(str(db), str(t / "L.jsonl"), "dfar_label")
        export_run(str(db), str(t / "LR.jsonl"), "dfar_reason")
        labels = [json.loads(x) for x in (t / "L.jsonl").read_text().splitlines()]
        reasoned = [json.loads(x) for x in (t / "LR.jsonl").read_text().splitlines()]
        with Store(db, read_only=True) as st:
            status = {r["example_id"]: r["status"] for r in st.query("SELECT example_id, status FROM rewrites")}
            support = [r["s"] for r in st.query(
                "SELECT reason_supports_label AS s FROM rewrites WHERE status = 'rewritten'")]
            mode = run_stats(st, summary["run_id"])["by_mode"][0]
    gold = {r["id"]: ("unethical" if r["label"] == 1 else "ethical") for r in rows}
    cases = {r["id"]: dfar_case(r["input"], a.flip, a.hedge) for r in rows}
    good = [i for i, c in cases.items() if c == "ok"]
    bad = [i for i, c in cases.items() if c != "ok"]
    false_acc = sum(status.get(i) == "rewritten" for i in bad)
    false_rej = sum(status.get(i) != "rewritten" for i in good)
    same = sum(x["output"].lower() == gold[x["id"]] for x in labels)
    lengths = [len(x["output"]) for x in reasoned]
    judged = [s for s in support if s is not None]
    print(f"data: DFAR train split ({prep['train']} rows; {prep['test_removed_as_in_train']} test statements "
          f"that occur in train dropped from test, {prep['test']} left), first {len(rows)} rows")
    print(f"scripted server: {len(bad)} rows flipped or hedged ({sum(c == 'flip' for c in cases.values())} flips, "
          f"{sum(c == 'hedge' for c in cases.values())} hedges), {len(good)} answered right with DFAR's human reason")
    print(f"exported labels equal to the gold: {same}/{len(labels)} ({100 * same / max(len(labels), 1):.2f}%)")
    print(f"false acceptances (a flipped or hedged answer accepted): {false_acc}/{len(bad)}")
    print(f"correct label + reason answers rejected: {false_rej}/{len(good)} ({100 * false_rej / max(len(good), 1):.2f}%)")
    print(f"label + reason rows exported: {len(reasoned)}; reason length chars median {statistics.median(lengths):.0f}, "
          f"p90 {sorted(lengths)[int(0.9 * (len(lengths) - 1))]}" if lengths else "no label + reason rows")
    print(f"judge: reason supports label {sum(judged)}/{len(judged)} ({100 * sum(judged) / max(len(judged), 1):.1f}%)")
    print(f"requests: {mode['requests']} for {mode['rows']} rows = {mode['requests_per_row']} per row "
          f"(label_reason + feedback retries + reason judge)")
    print(f"wall time {seconds:.1f} s on this machine ({len(rows) / seconds:.1f} rows/s, scripted server in process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
