"""CPU a request of a whole `realign rewrite` run, start-up left out, beside the bare SDK's.

pipeline_vs_sdk.py compares request rates, and its CPU figure includes each process's start-up
(imports, the classifier: a second or more, spread over 2,000 requests). This script measures
the CPU spent while requests flow, which is what bounds the rate on a busy machine:

- realign: the CLI's `rewrite` runs in this process against the test server (its own process,
  0 ms latency unless --latency); CPU of the whole process, of the event-loop thread and of the
  store's writer thread (inside `Store._write_batch`) is taken over `LocalEngine.run`.
- SDK: `AsyncOpenAI` on its aiohttp client sends the very bodies realign sent
  (`chat.completions.create` under a semaphore of 64), in a fresh process and to a fresh server;
  CPU over the `gather` of all requests.

CPU time is used, not wall time: the development machine is shared, and the CPU a request
costs is what decides how many requests two cores can serve. Runs alternate; prints figures,
asserts nothing.

    .venv/bin/python benchmarks/run_cpu.py                 # 2,000 rows, 3 repeats
    .venv/bin/python benchmarks/run_cpu.py --repeat 5 --latency 0.2
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from pipeline_vs_sdk import Server, dump_requests  # noqa: E402
from throughput import make_input  # noqa: E402


def realign_run(data: Path, db: Path, url: str, concurrency: int) -> dict[str, float]:
    """One `realign rewrite` in this process; CPU seconds over LocalEngine.run, and requests."""
    import realign.engines.local as local
    import realign.store as store_mod
    from realign.cli import app

    got: dict[str, float] = {"writer": 0.0}
    write_batch = store_mod.Store._write_batch
    engine_run = local.LocalEngine.run

    def timed_write(*args: Any, **kwargs: Any) -> None:
        started = time.thread_time()
        try:
            write_batch(*args, **kwargs)
        finally:
            if threading.current_thread() is not threading.main_thread():
                got["writer"] += time.thread_time() - started

    async def timed_run(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        t0, p0, w0 = time.thread_time(), time.process_time(), time.perf_counter()
        try:
            return await engine_run(self, *args, **kwargs)
        finally:
            got.update(loop=time.thread_time() - t0, process=time.process_time() - p0,
                       wall=time.perf_counter() - w0)

    store_mod.Store._write_batch = staticmethod(timed_write)  # type: ignore[method-assign]
    local.LocalEngine.run = timed_run  # type: ignore[method-assign]
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            app(["rewrite", "--in", str(data), "--db", str(db), "--model", "bench", "--base-url", url,
                 "--concurrency", str(concurrency), "--classifier", "embedded", "--json", "-q"],
                standalone_mode=False)
    finally:
        store_mod.Store._write_batch = write_batch  # type: ignore[method-assign]
        local.LocalEngine.run = engine_run  # type: ignore[method-assign]
    got["requests"] = json.loads(out.getvalue())["llm_requests"]
    return got


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--latency", type=float, default=0.0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    for k in [k for k in os.environ if k.startswith("OPENAI_")]:
        del os.environ[k]
    work = Path(tempfile.mkdtemp(prefix="realign-run-cpu-"))
    data = work / "rows.jsonl"
    make_input(data, args.rows)
    bodies = work / "bodies.jsonl"
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}; {args.rows} rows, "
          f"concurrency {args.concurrency}, latency {args.latency:g} s; load average {os.getloadavg()[0]:.1f}")
    per: dict[str, list[float]] = {"realign": [], "loop": [], "writer": [], "sdk": []}
    for r in range(args.repeat):
        srv = Server(args.latency, work, f"realign_{r}")
        try:
            got = realign_run(data, work / f"run_{r}.duckdb", srv.url, args.concurrency)
        finally:
            srv.stop()
        n = got["requests"]
        per["realign"].append(1000 * got["process"] / n)
        per["loop"].append(1000 * got["loop"] / n)
        per["writer"].append(1000 * got["writer"] / n)
        if r == 0:
            dump_requests(work / "run_0.duckdb", bodies)
        srv = Server(args.latency, work, f"sdk_{r}")
        try:
            # the bare SDK sender lives in pipeline_vs_sdk.py (one copy); it prints its CPU as JSON
            proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "pipeline_vs_sdk.py"),
                                   "--concurrency", str(args.concurrency), "--sdk-driver", str(bodies), srv.url],
                                  check=True, cwd=REPO, capture_output=True, text=True)
        finally:
            srv.stop()
        sdk = json.loads(proc.stdout.strip().splitlines()[-1])
        per["sdk"].append(1000 * sdk["process"] / sdk["requests"])
        print(f"  run {r + 1}: realign {per['realign'][-1]:.2f} ms CPU a request (event loop "
              f"{per['loop'][-1]:.2f}, store writer {per['writer'][-1]:.2f}), {n / got['wall']:.0f} req/s; "
              f"SDK {per['sdk'][-1]:.2f} ms, {sdk['requests'] / sdk['wall']:.0f} req/s; "
              f"load average {os.getloadavg()[0]:.1f}", flush=True)
    med = {k: statistics.median(v) for k, v in per.items()}
    print(f"medians: realign {med['realign']:.2f} ms CPU a request (loop {med['loop']:.2f}, writer "
          f"{med['writer']:.2f}), SDK {med['sdk']:.2f} ms: realign / SDK = {med['realign'] / med['sdk']:.3f}")


if __name__ == "__main__":
    main()
