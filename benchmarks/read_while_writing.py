"""Cost of reading a database while a run writes it (`stats` / `show` / `export` take a snapshot).

Builds a database of --rows result rows (with their examples and cached calls, about what a run
of that many rows stores), then times `Store(read_only=True)` + `run_stats` twice: with the file
free (a direct read-only open) and while another process holds the write lock (a private copy of
the file and its WAL is read). Prints the file size and both timings.

    .venv/bin/python benchmarks/read_while_writing.py --rows 100000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from realign.store import Store, run_stats, transaction, insert_rows, _COLUMNS


def build(db: Path, rows: int) -> None:
    answer = json.dumps({"choices": [{"message": {"content": "Reformatted answer. " * 20}}]})
    with Store(db) as st:
        st.start_run(run_id="r1", name="bench", config={}, config_hash="h", input_path="in.jsonl",
                     input_hash="ih", model="m", base_url="u")
        st.flush()
        for start in range(0, rows, 20_000):
            ids = [f"e{i}" for i in range(start, min(rows, start + 20_000))]
            with transaction(st.con):
                insert_rows(st.con, "examples", _COLUMNS["examples"], [
                    ("r1", i, n, n + 1, "alpaca", json.dumps([{"role": "user", "content": "q " * 40}]), "{}",
                     "open_qa", 0.9, "embedded") for n, i in enumerate(ids, start)])
                insert_rows(st.con, "results", _COLUMNS["results"], [
                    ("r1", i, "rewritten", "open_qa", "[]", 1, 300, 60, None, None) for i in ids])
                insert_rows(st.con, "llm_calls", _COLUMNS["llm_calls"], [
                    (f"{n:064x}", "rewrite", "{}", answer, "stop", 300, 60, 0.1, None, None) for n in range(start, start + len(ids))])


def timed_read(db: Path) -> float:
    t = time.perf_counter()
    with Store(db, read_only=True) as st:
        run_stats(st, "r1")
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        build(db, args.rows)
        size = db.stat().st_size + (Path(str(db) + ".wal").stat().st_size if Path(str(db) + ".wal").exists() else 0)
        free = min(timed_read(db) for _ in range(3))
        holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                                   "print('ready', flush=True); time.sleep(600)", str(db)], stdout=subprocess.PIPE, text=True)
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        try:
            locked = min(timed_read(db) for _ in range(3))
        finally:
            holder.kill()
            holder.wait()
    print(f"{args.rows:,} rows, database {size / 2**20:,.1f} MiB: stats with the file free {free:.3f} s, "
          f"while a writer holds it (snapshot copy) {locked:.3f} s, extra {locked - free:.3f} s")


if __name__ == "__main__":
    main()
