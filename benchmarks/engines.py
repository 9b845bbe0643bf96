"""Local engine against the Ray engine: sustained rows/s and peak memory. Prints figures; asserts nothing.

    .venv-ray/bin/python benchmarks/engines.py                 # 2,000 rows, two servers at 200 ms
    .venv-ray/bin/python benchmarks/engines.py --rows 4000 --workers 1 2

Two test servers (separate processes, `--mode realign`, 200 ms per answer) stand for two model
servers; realign keeps 64 requests in flight on each (`--concurrency 64`, two `--base-url`), so
the bound is 2 x 64 / 0.2 s = 640 requests/s. Each engine runs as the CLI does, in its own
process session; memory is the peak of the summed RSS of that process and every process under it
(Ray's raylet, GCS and workers included), sampled every 0.2 s. The local engine's rate is its
summary's rows/s (start-up excluded); the Ray engine's sustained rate is read from its progress
lines, from the first finished batch to the last (Ray's start-up and the actors' start excluded),
and its wall time is printed beside it. The local engine runs with .venv/bin/python, the Ray
engine with .venv-ray/bin/python (`make test-ray` makes it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import Server, make_input  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def _tree_rss_mib(root: int) -> float:
    """Summed RSS of `root` and every process under it."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            parents[int(d)] = int(fields[1])
            rss[int(d)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total = 0
    for pid, size in rss.items():
        p, hops = pid, 0
        while p and p != root and hops < 64:
            p, hops = parents.get(p, 0), hops + 1
        if p == root:
            total += size
    return total / 2**20


def run(python: str, args: list[str]) -> dict:
    started = time.perf_counter()
    proc = subprocess.Popen([python, "-m", "realign.cli", *args], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    peak = 0.0
    marks: list[tuple[float, int]] = []

    def read_err() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith("ray: ") and "rows done" in line:
                marks.append((time.perf_counter(), int(line.split()[1])))

    reader = threading.Thread(target=read_err, daemon=True)
    reader.start()
    while proc.poll() is None:
        peak = max(peak, _tree_rss_mib(proc.pid))
        time.sleep(0.2)
    out = proc.stdout.read() if proc.stdout else ""
    reader.join(timeout=5)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args[:3])} failed (exit {proc.returncode})")
    summary = json.loads(out)
    sustained = summary["rows_per_s"]
    if len(marks) >= 2 and marks[-1][0] > marks[0][0]:
        sustained = (marks[-1][1] - marks[0][1]) / (marks[-1][0] - marks[0][0])
    return {"rows": summary["rows"], "failed": summary["failed"], "requests": summary["llm_requests"],
            "rows_per_s": round(sustained, 1), "wall_s": round(wall, 1), "peak_rss_mib": round(peak)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--concurrency", type=int, default=64, help="requests in flight per endpoint")
    ap.add_argument("--workers", type=int, nargs="+", default=[2], help="Ray LLM actors (several values: one run each)")
    ap.add_argument("--local-python", default=str(REPO / ".venv" / "bin" / "python"))
    ap.add_argument("--ray-python", default=str(REPO / ".venv-ray" / "bin" / "python"))
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="realign-engines-"))
    data = tmp / "in.jsonl"
    make_input(data, a.rows)
    servers = [Server(a.latency), Server(a.latency)]
    try:
        common = ["rewrite", "--in", str(data), "--model", "test-model", "--classifier", "embedded",
                  "--concurrency", str(a.concurrency), "--json", "-q"]
        for s in servers:
            common += ["--base-url", s.url]
        print(f"{a.rows} rows, 2 test servers at {a.latency * 1000:.0f} ms, {a.concurrency} in flight per endpoint "
              f"(bound {2 * a.concurrency / a.latency:.0f} requests/s), {os.cpu_count()} cores")
        local = run(a.local_python, [*common, "--db", str(tmp / "local.duckdb")])
        print(f"local engine            : {local}")
        for w in a.workers:
            # without -q: its progress lines (one per finished batch) give the sustained rate
            r = run(a.ray_python, [*[c for c in common if c != "-q"], "--db", str(tmp / f"ray{w}.duckdb"),
                                   "--engine", "ray", "--workers", str(w)])
            print(f"ray engine, {w} worker(s) : {r}")
    finally:
        for s in servers:
            s.close()


if __name__ == "__main__":
    main()
