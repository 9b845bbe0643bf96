"""realign's own CPU a row, the HTTP round trip taken out: what the pipeline adds to the SDK.

`realign rewrite` runs in this process on 2,000 math rows (embedded classifier, concurrency 64)
as the CLI does, except that the SDK's `post` is answered in process by the test server's own
handler (`OpenAIServer._chat`, realign's scripted rewrite answers) instead of over HTTP; that
handler's CPU is measured afterwards on the same bodies and subtracted. What is left is
realign's own work a row (classification, prompt, request key, cache and journal, parsing,
verification, the store's writes, scheduling, garbage collection), which is what has to stay
small for a run to keep up with the bare SDK. Also printed: the store writer thread's CPU and
the garbage collector's (young / middle / old generation). CPU time, so a shared machine
inflates it less than wall time; prints figures, asserts nothing.

    .venv/bin/python benchmarks/row_cpu.py                  # 2,000 rows, 3 runs
    .venv/bin/python benchmarks/row_cpu.py --rows 5000 --repeat 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import io
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import types
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from throughput import make_input  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    for k in [k for k in os.environ if k.startswith("OPENAI_")]:
        del os.environ[k]

    import openai

    import realign.engines.local as local
    import realign.store as store_mod
    from realign.cli import app
    from realign.testing.openai_server import OpenAIServer, _or_echo
    from realign.testing.responders import SimResponder

    server = OpenAIServer(_or_echo(SimResponder()), record=False)
    bodies: list[bytes] = []
    got: dict[str, float] = {}
    gc_cpu = [0.0, 0.0, 0.0]
    gc_started = [0.0]

    async def post(self: Any, path: str, *, cast_to: Any, content: bytes, options: Any = None, **kw: Any) -> Any:
        await asyncio.sleep(0)  # a request is a suspension point, as over HTTP
        bodies.append(content)
        status, payload, _ = await server._chat({}, content)
        return types.SimpleNamespace(content=payload)

    async def get(self: Any, path: str, *, cast_to: Any, options: Any = None, **kw: Any) -> Any:
        return types.SimpleNamespace(content=json.dumps({"data": [{"id": "bench"}]}).encode())

    write_batch = store_mod.Store._write_batch
    engine_run = local.LocalEngine.run

    def timed_write(*a: Any, **k: Any) -> None:
        started = time.thread_time()
        try:
            write_batch(*a, **k)
        finally:
            if threading.current_thread() is not threading.main_thread():
                got["writer"] += time.thread_time() - started

    async def timed_run(self: Any, *a: Any, **k: Any) -> dict[str, Any]:
        started = time.process_time()
        try:
            return await engine_run(self, *a, **k)
        finally:
            got["process"] = time.process_time() - started

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            gc_started[0] = time.thread_time()
        else:
            gc_cpu[info["generation"]] += time.thread_time() - gc_started[0]

    openai.AsyncOpenAI.post = post  # type: ignore[method-assign, assignment]
    openai.AsyncOpenAI.get = get  # type: ignore[method-assign, assignment]
    store_mod.Store._write_batch = staticmethod(timed_write)  # type: ignore[method-assign]
    local.LocalEngine.run = timed_run  # type: ignore[method-assign]
    gc.callbacks.append(on_gc)

    work = Path(tempfile.mkdtemp(prefix="realign-row-cpu-"))
    data = work / "rows.jsonl"
    make_input(data, args.rows)
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}; {args.rows} rows, concurrency 64, "
          f"no HTTP; load average {os.getloadavg()[0]:.1f}")
    own: list[float] = []
    try:
        for r in range(args.repeat):
            got.update(writer=0.0)
            gc_cpu[:] = [0.0, 0.0, 0.0]
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                app(["rewrite", "--in", str(data), "--db", str(work / f"r{r}.duckdb"), "--model", "bench",
                     "--base-url", "http://127.0.0.1:9/v1", "--concurrency", "64", "--classifier", "embedded",
                     "--json", "-q"], standalone_mode=False)
            n = json.loads(out.getvalue())["llm_requests"]
            gc_ms = [1000 * x / n for x in gc_cpu]

            async def replay() -> float:
                started = time.process_time()
                for body in bodies:
                    await server._chat({}, body)
                return time.process_time() - started

            handler = asyncio.run(replay())
            bodies.clear()
            own.append(1000 * (got["process"] - handler) / n)
            print(f"  run {r + 1}: {own[-1]:.3f} ms CPU a row of realign's own (test server's handler, "
                  f"{1000 * handler / n:.3f} ms, subtracted); store writer {1000 * got['writer'] / n:.3f} ms; "
                  f"garbage collection {sum(gc_ms):.3f} ms ({' / '.join(f'{x:.3f}' for x in gc_ms)}); "
                  f"load average {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"median {statistics.median(own):.3f} ms CPU a row, min {min(own):.3f}")


if __name__ == "__main__":
    main()
