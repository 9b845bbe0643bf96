"""realign's sustained request rate in a whole run against the bare OpenAI SDK's, same requests.

For each server latency: `realign rewrite` runs 2,000 rows (math word problems, embedded
classifier, concurrency 64) as the CLI does, against the test server in its own process; then
the bare SDK (`AsyncOpenAI` with its aiohttp client, `chat.completions.create` under a
semaphore of 64, nothing else) sends the very request bodies realign sent (read back from
realign's database) to a fresh server of the same kind. The rates come from the server: the
arrival time of every chat request. "sustained" counts the requests that arrived between the
10th and the 90th percentile of arrivals, over that span, so start-up, the first answer and the
last partial wave are left out of both; "overall" is all requests over first-to-last arrival.
Runs alternate (realign, SDK, realign, SDK ...) so that load from elsewhere falls on both.
Prints figures; asserts nothing.

    .venv/bin/python benchmarks/pipeline_vs_sdk.py                      # L = 0.2 s and 0, 3 repeats
    .venv/bin/python benchmarks/pipeline_vs_sdk.py --latencies 0.2 --repeat 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from throughput import make_input  # noqa: E402  (the rows the throughput benchmark uses)


class Server:
    """The test server in its own process, writing request arrival times when stopped."""

    def __init__(self, latency: float, work: Path, name: str) -> None:
        self.times = work / f"{name}.times"
        port_file = work / f"{name}.port"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "realign.testing.openai_server", "--mode", "realign", "--latency", str(latency),
             "--port-file", str(port_file), "--times-file", str(self.times)], stdout=subprocess.DEVNULL, cwd=REPO)
        deadline = time.time() + 30
        while not port_file.exists():
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("test server did not start")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{port_file.read_text().strip()}/v1"

    def stop(self) -> list[float]:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        return [float(x) for x in self.times.read_text().split()]


def child_cpu() -> float:
    """CPU seconds (user + system) of the finished children so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def rates(arrivals: list[float]) -> tuple[float, float, int]:
    """(sustained, overall) requests/s and the number of requests."""
    t = sorted(arrivals)
    n = len(t)
    lo, hi = int(n * 0.1), int(n * 0.9)
    sustained = (hi - lo) / (t[hi] - t[lo]) if t[hi] > t[lo] else float("nan")
    overall = (n - 1) / (t[-1] - t[0]) if t[-1] > t[0] else float("nan")
    return sustained, overall, n


def run_realign(data: Path, db: Path, url: str, concurrency: int) -> None:
    cmd = [sys.executable, "-m", "realign.cli", "rewrite", "--in", str(data), "--db", str(db), "--model", "bench",
           "--base-url", url, "--concurrency", str(concurrency), "--classifier", "embedded", "--json", "-q"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO,
                          env={k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")})
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])


def dump_requests(db: Path, out: Path) -> int:
    """The request bodies realign sent, as it sent them (shared texts put back), one a line."""
    from realign.store import Store

    with Store(db, read_only=True) as st:
        keys = [r[0] for r in st.con.execute("SELECT key FROM llm_calls WHERE error IS NULL ORDER BY created_at").fetchall()]
        with out.open("w") as f:
            for key in keys:
                f.write(json.dumps(st.stored_request(key)) + "\n")
    return len(keys)


def sdk_driver(bodies_path: str, url: str, concurrency: int) -> None:
    """The bare SDK: each body through chat.completions.create, `concurrency` at a time; prints its
    CPU and wall seconds over the gather as JSON (run_cpu.py reads them; this script does not)."""
    import openai

    bodies = [json.loads(line) for line in Path(bodies_path).read_text().splitlines()]

    async def go() -> dict[str, float]:
        client = openai.AsyncOpenAI(base_url=url, api_key="x", max_retries=0, timeout=60,
                                    http_client=openai.DefaultAioHttpClient(timeout=60))
        gate = asyncio.Semaphore(concurrency)

        async def one(body: dict[str, Any]) -> None:
            async with gate:
                await client.chat.completions.create(**body)

        p0, w0 = time.process_time(), time.perf_counter()
        await asyncio.gather(*(one(b) for b in bodies))
        used = {"process": time.process_time() - p0, "wall": time.perf_counter() - w0, "requests": len(bodies)}
        await client.close()
        return used

    print(json.dumps(asyncio.run(go())))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--latencies", default="0.2,0")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sdk-driver", nargs=2, metavar=("BODIES", "URL"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.sdk_driver:
        sdk_driver(args.sdk_driver[0], args.sdk_driver[1], args.concurrency)
        return
    work = Path(tempfile.mkdtemp(prefix="realign-vs-sdk-"))
    data = work / "rows.jsonl"
    make_input(data, args.rows)
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}; {args.rows} rows, "
          f"concurrency {args.concurrency}")
    for latency in (float(x) for x in args.latencies.split(",")):
        got: dict[str, list[tuple[float, float, int]]] = {"realign": [], "sdk": []}
        cpu: dict[str, list[float]] = {"realign": [], "sdk": []}  # client CPU ms per request
        bodies = work / f"bodies_{latency}.jsonl"
        for r in range(args.repeat):
            srv = Server(latency, work, f"realign_{latency}_{r}")
            try:
                db = work / f"run_{latency}_{r}.duckdb"
                before = child_cpu()
                run_realign(data, db, srv.url, args.concurrency)
                used = child_cpu() - before
            finally:
                got["realign"].append(rates(srv.stop()))
            cpu["realign"].append(1000 * used / got["realign"][-1][2])
            if r == 0:
                dump_requests(db, bodies)
            srv = Server(latency, work, f"sdk_{latency}_{r}")
            try:
                before = child_cpu()
                subprocess.run([sys.executable, __file__, "--concurrency", str(args.concurrency),
                                "--sdk-driver", str(bodies), srv.url], check=True, cwd=REPO,
                               stdout=subprocess.DEVNULL)
                used = child_cpu() - before
            finally:
                got["sdk"].append(rates(srv.stop()))
            cpu["sdk"].append(1000 * used / got["sdk"][-1][2])
        for who, runs in got.items():
            print(f"  L={latency:g}s {who:>7}: sustained " + ", ".join(f"{s:.0f}" for s, _, _ in runs)
                  + " req/s; overall " + ", ".join(f"{o:.0f}" for _, o, _ in runs)
                  + f" req/s; {runs[0][2]} requests; client CPU (start-up included) "
                  + ", ".join(f"{c:.2f}" for c in cpu[who]) + " ms a request")
        med = {who: statistics.median(s for s, _, _ in runs) for who, runs in got.items()}
        med_all = {who: statistics.median(o for _, o, _ in runs) for who, runs in got.items()}
        print(f"L={latency:g}s: realign / SDK, medians: sustained {med['realign']:.0f} / {med['sdk']:.0f} = "
              f"{med['realign'] / med['sdk']:.3f}; overall {med_all['realign']:.0f} / {med_all['sdk']:.0f} = "
              f"{med_all['realign'] / med_all['sdk']:.3f}")


if __name__ == "__main__":
    main()
