"""Pipeline throughput and memory against the local test server. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/throughput.py            # all three measurements
    .venv/bin/python benchmarks/throughput.py --rows 2000 --memory-rows 100000

(a) 2,000 rows, 200 ms server latency, concurrency 64: rows/s as a ratio to the bound
    64 / 0.2 s = 320 rows/s (target >= 0.9).
(b) 2,000 rows, zero latency: pure pipeline overhead (target >= 300 rows/s on 2 cores).
(c) peak RSS of `realign rewrite` on 10,000 and on 100,000 rows: it must not grow with the input.

The server runs in its own process; `realign rewrite` runs as the CLI does, in a subprocess, and
its rows/s comes from its own --json summary (start-up excluded). Every row is a math word
problem, classified by the embedded classifier, rewritten, checked (math answer, length, leak)
and stored.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def make_input(path: Path, rows: int) -> None:
    with path.open("w") as f:
        for i in range(rows):
            a, b = 3 + i % 97, 5 + i % 89
            f.write(json.dumps({
                "instruction": f"A farmer has {a} sheep and buys {b} more at the market. How many sheep does the farmer have now? (case {i})",
                "input": "",
                "output": f"The farmer starts with {a} sheep and adds {b}, so {a} + {b} = {a + b}.\n#### {a + b}",
            }) + "\n")


class Server:
    def __init__(self, latency: float, mode: str = "realign"):
        self.tmp = tempfile.mkdtemp()
        port_file = Path(self.tmp) / "port"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "realign.testing.openai_server", "--mode", mode, "--latency", str(latency),
             "--port-file", str(port_file)], stdout=subprocess.DEVNULL, cwd=REPO)
        deadline = time.time() + 30
        while not port_file.exists():
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("test server did not start")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{port_file.read_text().strip()}/v1"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def rewrite(data: Path, db: Path, url: str, concurrency: int) -> tuple[dict, float]:
    """Run the CLI; return its summary and the child's peak RSS in MiB."""
    cmd = [sys.executable, "-c",
           "import resource, sys, runpy; sys.argv = ['realign'] + sys.argv[1:];\n"
           "try:\n    runpy.run_module('realign.cli', run_name='__main__')\n"
           "finally:\n    print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)",
           "rewrite", "--in", str(data), "--db", str(db), "--model", "bench", "--base-url", url,
           "--concurrency", str(concurrency), "--classifier", "embedded", "--json", "-q"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO,
                          env={k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")})
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    rss = next(int(l.split()[1]) for l in proc.stderr.splitlines() if l.startswith("MAXRSS")) / 1024
    return json.loads(proc.stdout), rss


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--memory-rows", type=int, default=100_000)
    ap.add_argument("--skip-memory", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="realign-bench-"))
    data = work / "rows.jsonl"
    make_input(data, args.rows)
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")

    srv = Server(0.2)
    try:
        s, _ = rewrite(data, work / "a.duckdb", srv.url, 64)
    finally:
        srv.close()
    bound = 64 / 0.2
    print(f"(a) latency 200 ms, concurrency 64, {s['rows']} rows ({s['llm_requests']} requests, "
          f"{s['rewritten']} rewritten): {s['rows_per_s']:.1f} rows/s = {s['rows_per_s'] / bound:.3f} of the "
          f"{bound:.0f} rows/s bound (target >= 0.9)")

    srv = Server(0.0)
    try:
        s, _ = rewrite(data, work / "b.duckdb", srv.url, 64)
        print(f"(b) zero latency, concurrency 64, {s['rows']} rows ({s['llm_requests']} requests): "
              f"{s['rows_per_s']:.1f} rows/s (target >= 300)")
        if not args.skip_memory:
            for n in (args.memory_rows // 10, args.memory_rows):
                big = work / f"rows_{n}.jsonl"
                make_input(big, n)
                s, rss = rewrite(big, work / f"m{n}.duckdb", srv.url, 64)
                print(f"(c) {n:>7} rows: peak RSS {rss:.0f} MiB, {s['rows_per_s']:.1f} rows/s, "
                      f"input {big.stat().st_size / 2**20:.1f} MiB, database {(work / f'm{n}.duckdb').stat().st_size / 2**20:.1f} MiB")
    finally:
        srv.close()


if __name__ == "__main__":
    main()
