"""`realign verify` end to end on real solutions, beside the verification loop it wraps (prints, asserts nothing).

The rows are the speed rows of `benchmarks/verify.py` (the third-party GSM8K model solutions, kind
"math", read by its `load_labelled`), written as a JSONL of {instruction, response, rewrite}. Three
figures, rows/s of CPU time:

1. the inner loop: `verify_candidate` on prepared inputs with the benchmark's options (what
   `benchmarks/verify.py` prints as its speed), row by row and in batches of `audit.BATCH`
   (`verify_candidates`, as the audit runs it);
2. the audit in process: `audit.audit_file` reading the file, reading each row's contract and
   running the CLI's checks (with no task: the contract's checks plus refusal and language),
   `summarize`, and each verdict written as a JSON line, as `realign verify --out` does;
3. the CLI as a user runs it: `realign verify --in FILE --out FILE` in a child process, its CPU
   time (user + system, start-up and imports included) and its wall clock; and the same with
   start-up taken out (the child's CPU on a one-row toy file, "2+2?" / "4", subtracted); and the
   marginal rate, what a long run gets: the child's CPU on a file of the first real row subtracted
   and that row left out of the count. A real row imports arithmetic.py, whose patterns take
   about 125M instructions to compile once per run: the figure without start-up counts that as
   row time, the marginal one as start-up. The children read compiled bytecode, as an installed
   package does (`child_env`).

    .venv/bin/python benchmarks/verify_cli.py [--thirdparty DIR] [--copies N] [--repeat N]

`--copies` writes the rows N times over (a larger file, so that start-up weighs less). The math
check remembers its last 1,024 verdicts (`math.MEMO_SIZE`) and the contract / language / refusal
readers their last 256 originals: on the 634 committed rows, copies after the first are cheaper
than a user's file of distinct rows, so `--copies 1` gives the honest figure. Missing data:
skipped with a message.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

import verify as bench  # noqa: E402  (the benchmark's own loader and options)

from realign.verify.audit import BATCH, audit_file, summarize  # noqa: E402
from realign.verify.base import CheckInput  # noqa: E402
from realign.verify.registry import verify_candidate, verify_candidates  # noqa: E402


def inner(rows: list[dict[str, str]], batched: bool = False) -> float:
    inputs = [CheckInput(task="default", instruction=r["instruction"], original=r["original"], candidate=r["candidate"])
              for r in rows]
    t = time.process_time()
    if batched:
        for k in range(0, len(inputs), BATCH):
            verify_candidates([(inp, [], None) for inp in inputs[k:k + BATCH]], bench.OPTS)
    else:
        for inp in inputs:
            verify_candidate(inp, [], None, bench.OPTS)
    return len(inputs) / (time.process_time() - t)


def in_process(path: Path, n: int) -> float:
    sink = io.StringIO()
    t = time.process_time()

    line = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode

    def tee():  # what the CLI's tee does with --out
        for r in audit_file(str(path), task=None):
            sink.write(line(r) + "\n")
            yield r

    summary = summarize(tee())
    cpu = time.process_time() - t
    assert summary["rows"] == n, summary
    return n / cpu


def child_env(pycache: Path) -> dict[str, str]:
    """The children's environment: a fixed hash seed, and bytecode cached under `pycache`. With
    PYTHONDONTWRITEBYTECODE set (as in some sandboxes) a checkout without its own __pycache__
    compiles every module from source on each run, and a module imported only by the first real
    row (arithmetic.py) then counts as row time: 2.6% of the row instructions on the 634 rows.
    An installed package has its bytecode, so the children use a cache, written by a warm-up run."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONHASHSEED": "0", "PYTHONPYCACHEPREFIX": str(pycache)}


def child(path: Path, out: Path, env: dict[str, str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of `realign verify --in path --out out` in a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    w = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "realign"), "verify", "--in", str(path), "--out", str(out), "--json"],
                   check=True, stdout=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - w
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--thirdparty", type=Path, default=Path("/work/thirdparty/verify"))
    ap.add_argument("--copies", type=int, default=5, help="write the rows this many times into the file")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each figure (the median is printed)")
    args = ap.parse_args()
    rows = [r for rs in bench.load_labelled(args.thirdparty).values() for r in rs if r["kind"] == "math"]
    if not rows:
        print(f"no math rows in {args.thirdparty}: nothing to measure")
        return
    with tempfile.TemporaryDirectory() as d:
        path, empty, out = Path(d) / "rows.jsonl", Path(d) / "empty.jsonl", Path(d) / "verdicts.jsonl"
        first = Path(d) / "first.jsonl"
        with path.open("w", encoding="utf-8") as f:
            for _ in range(args.copies):
                for r in rows:
                    f.write(json.dumps({"instruction": r["instruction"], "response": r["original"],
                                        "rewrite": r["candidate"]}, ensure_ascii=False) + "\n")
        empty.write_text(json.dumps({"instruction": "2+2?", "response": "4", "rewrite": "4"}) + "\n")
        first.write_text(json.dumps({"instruction": rows[0]["instruction"], "response": rows[0]["original"],
                                     "rewrite": rows[0]["candidate"]}, ensure_ascii=False) + "\n")
        n = len(rows) * args.copies
        loop = statistics.median(inner(rows) for _ in range(args.repeat))
        batched = statistics.median(inner(rows, batched=True) for _ in range(args.repeat))
        audit = statistics.median(in_process(path, n) for _ in range(args.repeat))
        env = child_env(Path(d) / "pycache")
        child(path, out, env)  # warm-up: writes the bytecode of every module a run imports
        runs = [child(path, out, env) for _ in range(args.repeat)]
        start = statistics.median(child(empty, out, env)[0] for _ in range(args.repeat))
        one_row = statistics.median(child(first, out, env)[0] for _ in range(args.repeat))
        cpu, wall = statistics.median(c for c, _ in runs), statistics.median(w for _, w in runs)
    print(f"{len(rows)} real model solutions x {args.copies} = {n} rows; load average {os.getloadavg()[0]:.1f}")
    print(f"1. verification loop (verify_candidate, benchmark options): {loop:,.0f} rows/s of CPU time row by row, "
          f"{batched:,.0f} in batches of {BATCH} (verify_candidates)")
    print(f"2. audit in process (read, contract, checks + refusal + language, JSON lines, summary): {audit:,.0f} rows/s")
    print(f"3. `realign verify --in --out` child process: {n / cpu:,.0f} rows/s of CPU time with start-up "
          f"({cpu:.2f} s CPU, {wall:.2f} s wall), {n / max(cpu - start, 1e-9):,.0f} rows/s without it "
          f"(start-up {start:.2f} s CPU)")
    print(f"   marginal, what a long run gets (minus a run of the first real row, n - 1 rows): "
          f"{(n - 1) / max(cpu - one_row, 1e-9):,.0f} rows/s (one real row {one_row:.2f} s CPU)")


if __name__ == "__main__":
    main()
