"""Throughput of `realign.llm.client.LLMClient` against the local test server.

Starts ``python -m realign.testing.openai_server`` in a separate process (echo mode), then runs
N chat calls (distinct prompts, so no cache hits) at the given concurrency, once per latency,
and prints completions per second and the client's CPU time per call, for each realign HTTP
stack asked for (--transports). Beside them, on the same server: "sdk-aiohttp", the bare OpenAI
SDK (`chat.completions.create` under a semaphore, its aiohttp client, no cache, no retries of
ours): the bar realign's own client is held to; and "bare", 64 keep-alive sockets driven by a
minimal asyncio client: the server's own capacity.

With concurrency C and server latency L no client can exceed C / L calls per second
(64 / 0.2 s = 320/s), the "ceiling" column; a run of N calls also pays for its last partial
wave, so 2,000 calls cannot beat 2000 / (ceil(2000 / 64) * 0.2 s) = 312.5/s.

    .venv/bin/python benchmarks/llm_client.py                 # 2,000 calls, C=64, L=0.2 and 0
    .venv/bin/python benchmarks/llm_client.py --calls 5000 --latencies 0.2 --cache
    .venv/bin/python benchmarks/llm_client.py --transports aiohttp,httpx --repeat 3

``--serial`` measures overload instead: a server answering one request at a time (llama.cpp on a
CPU; the test server's ``--serial``) with L seconds a request, sent C calls at once with timeout
T where C x L >> T. For the fixed cap (``adaptive_concurrency=False``) and the adaptive one it
prints the requests sent, the copies re-sent after a timeout, the calls that failed for good,
the seconds until every call ended, and the cap's cuts and lowest value:

    .venv/bin/python benchmarks/llm_client.py --serial --calls 40 --serial-latency 0.2 --timeout 1
    .venv/bin/python benchmarks/llm_client.py --serial ... --drop-abandoned   # as llama-cpp-python

On a new client the adaptive cap starts at one request and doubles while answers come within
half the timeout (realign.llm.flow's slow start); ``lowest`` is its lowest value once it stopped
doubling. ``--ramp`` measures what that costs a server that answers many requests at once (the
test server without ``--serial``, at ``--latencies``' first value): the same columns, fixed vs
adaptive, with no warm-up, so the adaptive run pays its whole ramp:

    .venv/bin/python benchmarks/llm_client.py --ramp --calls 640 --concurrency 64 --latencies 0.2 --timeout 5

``--mixed`` measures two endpoints of unequal speed (``--base-url`` twice): a quick concurrent
server (``--latencies``' first value) beside a serial one (``--serial-latency``) that queues what
it is sent and lets requests pass the timeout. It prints, per run, the seconds until every call
ended, the calls each endpoint answered, the copies re-sent and the cap's cuts, so a cut made for
the slow server can be seen to hold back the quick one or not:

    .venv/bin/python benchmarks/llm_client.py --mixed --calls 400 --concurrency 16 --latencies 0.05 \
        --serial-latency 0.2 --timeout 1 --repeat 3
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from realign.llm.client import LLMClient, LLMSettings  # noqa: E402

SYSTEM = (
    "You rewrite answers of an instruction-tuning corpus so that they follow the format the task "
    "calls for, keeping their meaning. " * 8
)
SAMPLING = {"temperature": 0.0, "top_p": 1.0, "max_tokens": 1024, "seed": 0}


class MemoryCache:
    def __init__(self) -> None:
        self.calls: dict[str, dict[str, Any]] = {}

    def get_call(self, key: str) -> dict[str, Any] | None:
        entry = self.calls.get(key)
        return entry["response"] if entry else None

    def put_call(self, key: str, **fields: Any) -> None:
        if fields.get("error") is None:
            self.calls[key] = fields


def start_server(latency: float, *extra: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "realign.testing.openai_server", "--port", "0", "--latency", str(latency),
         "--mode", "echo", *extra],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert process.stdout is not None
    port = int(process.stdout.readline())
    return process, f"http://127.0.0.1:{port}/v1"


async def run(
    base_url: str, calls: int, concurrency: int, use_cache: bool, transport: str
) -> tuple[float, float, dict[str, int]]:
    settings = LLMSettings(
        base_url=base_url, api_key=None, model="bench-model", concurrency=concurrency, http_transport=transport
    )
    async with LLMClient(settings, MemoryCache() if use_cache else None) as client:

        async def one(i: int) -> None:
            messages = [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": f"Row {i}: what is {i} + {i}? The answer is {2 * i}."},
            ]
            await client.chat(messages, sampling=SAMPLING)

        # warm-up: open the keep-alive connections
        await asyncio.gather(*(one(-1 - i) for i in range(concurrency)))
        cpu = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(calls)))
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu
        return wall, cpu, client.stats.as_dict()


async def run_sdk(base_url: str, calls: int, concurrency: int) -> tuple[float, float]:
    """The OpenAI SDK alone on its aiohttp client: what realign's client adds is measured against it."""
    import openai

    limits = openai._base_client.httpx2.Limits(max_connections=max(100, concurrency + 8),
                                                max_keepalive_connections=max(20, concurrency))
    sdk = openai.AsyncOpenAI(base_url=base_url, api_key="EMPTY", max_retries=0,
                             http_client=openai.DefaultAioHttpClient(limits=limits))
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        messages = [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"Row {i}: what is {i} + {i}? The answer is {2 * i}."},
        ]
        async with gate:
            await sdk.chat.completions.create(model="bench-model", messages=messages, **SAMPLING)  # type: ignore[arg-type]

    try:
        await asyncio.gather(*(one(-1 - i) for i in range(concurrency)))
        cpu = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(calls)))
        return time.perf_counter() - started, time.process_time() - cpu
    finally:
        await sdk.close()


async def run_raw(base_url: str, calls: int, concurrency: int) -> float:
    """The server alone: `concurrency` keep-alive connections driven by a bare asyncio client."""
    host, port = base_url.split("//", 1)[1].split("/", 1)[0].split(":")
    body = (
        '{"model":"bench-model","n":1,"messages":[{"role":"system","content":"%s"},'
        '{"role":"user","content":"Row: what is 2 + 2?"}],"temperature":0.0}' % SYSTEM
    ).encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nhost: {host}:{port}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    ).encode()
    remaining = calls

    async def worker() -> None:
        nonlocal remaining
        reader, writer = await asyncio.open_connection(host, int(port))
        while remaining > 0:
            remaining -= 1
            writer.write(head + body)
            response_head = await reader.readuntil(b"\r\n\r\n")
            assert response_head.startswith(b"HTTP/1.1 200"), response_head
            length = int(response_head.lower().split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
            await reader.readexactly(length)
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


async def run_overload(urls: list[str], calls: int, concurrency: int, timeout: float, adaptive: bool = True
                       ) -> dict[str, Any]:
    """`calls` distinct calls at once over the endpoints `urls`; every call's outcome is awaited
    (a failed one counts)."""
    settings = LLMSettings(base_url=urls[0], base_urls=urls[1:], api_key=None, model="bench-model",
                           concurrency=concurrency, timeout_s=timeout, adaptive_concurrency=adaptive)
    async with LLMClient(settings, on_notice=lambda text: None) as client:
        started = time.perf_counter()
        outcomes = await asyncio.gather(*(
            client.chat([{"role": "user", "content": f"Row {i}: what is {i} + {i}?"}], sampling=SAMPLING)
            for i in range(calls)), return_exceptions=True)
        s = client.stats
        return {"sent": s.requests_sent, "resent": s.retries, "failed": sum(isinstance(o, Exception) for o in outcomes),
                "seconds": time.perf_counter() - started, "cuts": s.cap_cuts, "lowest": s.cap_lowest, "end": s.cap,
                "answered": [ep.answered for ep in client.endpoints]}


def mixed_endpoints(args: argparse.Namespace) -> None:
    fast = float(args.latencies.split(",")[0])
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; endpoint 1 concurrent, {fast:g} s a request; "
          f"endpoint 2 serial, {args.serial_latency:g} s a request; {args.calls} calls at once, concurrency "
          f"{args.concurrency} an endpoint, timeout {args.timeout:g} s; fresh servers per run")
    print(f"{'seconds':>8} {'quick':>6} {'serial':>7} {'re-sent':>8} {'failed':>7} {'cuts':>5} {'lowest':>7} {'end':>4}")
    for _ in range(args.repeat):
        quick, quick_url = start_server(fast)
        serial, serial_url = start_server(args.serial_latency, "--serial")
        try:
            r = asyncio.run(run_overload([quick_url, serial_url], args.calls, args.concurrency, args.timeout))
        finally:
            for process in (quick, serial):
                process.terminate()
                process.wait(timeout=10)
                if process.stdout is not None:
                    process.stdout.close()
        print(f"{r['seconds']:>8.1f} {r['answered'][0]:>6} {r['answered'][1]:>7} {r['resent']:>8} {r['failed']:>7} "
              f"{r['cuts']:>5} {r['lowest']:>7} {r['end']:>4}", flush=True)


def serial_overload(args: argparse.Namespace) -> None:
    if args.ramp:
        latency = float(args.latencies.split(",")[0])
        server: tuple[str, ...] = ()
        what = f"concurrent server {latency:g} s a request"
    else:
        latency = args.serial_latency
        server = ("--serial", *(["--drop-abandoned"] if args.drop_abandoned else []))
        what = (f"serial server {latency:g} s a request"
                f"{' (drops requests whose client left)' if args.drop_abandoned else ''}")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; {what}, "
          f"{args.calls} calls at once, concurrency {args.concurrency}, timeout {args.timeout:g} s, "
          f"max_attempts {LLMSettings.model_fields['max_attempts'].default}; a fresh server per run")
    print(f"{'cap':>9} {'sent':>6} {'re-sent':>8} {'failed':>7} {'seconds':>8} {'cuts':>5} {'lowest':>7} {'end':>4}")
    for _ in range(args.repeat):
        for adaptive in (False, True):
            process, base_url = start_server(latency, *server)
            try:
                r = asyncio.run(run_overload([base_url], args.calls, args.concurrency, args.timeout, adaptive))
            finally:
                process.terminate()
                process.wait(timeout=10)
                if process.stdout is not None:
                    process.stdout.close()
            print(f"{'adaptive' if adaptive else 'fixed':>9} {r['sent']:>6} {r['resent']:>8} {r['failed']:>7} "
                  f"{r['seconds']:>8.1f} {r['cuts']:>5} {r['lowest']:>7} {r['end']:>4}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latencies", default="0.2,0", help="comma-separated server latencies in seconds")
    parser.add_argument("--cache", action="store_true", help="record every call in an in-memory cache")
    parser.add_argument("--transports", default="aiohttp,httpx",
                        help="LLMSettings.http_transport values to measure")
    parser.add_argument("--repeat", type=int, default=1, help="runs per row; the median is printed")
    parser.add_argument("--no-raw", action="store_true", help="skip the bare-socket run (server alone)")
    parser.add_argument("--serial", action="store_true", help="overload a one-at-a-time server: fixed vs adaptive cap")
    parser.add_argument("--ramp", action="store_true",
                        help="as --serial, against a concurrent server: what the adaptive cap's slow start costs")
    parser.add_argument("--mixed", action="store_true",
                        help="a quick concurrent endpoint beside a serial one: does a cut for one hold back the other")
    parser.add_argument("--serial-latency", type=float, default=0.2, help="--serial: seconds per request")
    parser.add_argument("--timeout", type=float, default=1.0, help="--serial: the client's timeout in seconds")
    parser.add_argument("--drop-abandoned", action="store_true",
                        help="--serial: the server skips requests whose client left (llama-cpp-python)")
    args = parser.parse_args()
    if args.serial or args.ramp:
        serial_overload(args)
        return
    if args.mixed:
        mixed_endpoints(args)
        return
    transports = [t for t in args.transports.split(",") if t]

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.calls} calls, "
          f"concurrency {args.concurrency}, cache {'on' if args.cache else 'off'}, median of {args.repeat}")
    print(f"{'client':>18} {'latency':>8} {'calls/s':>9} {'ceiling':>9} {'vs sdk':>7} {'client CPU ms/call':>19}")
    for latency in (float(x) for x in args.latencies.split(",")):
        ceiling = f"{args.concurrency / latency:.0f}" if latency > 0 else "-"
        process, base_url = start_server(latency)
        try:
            def row(name: str, measure: Any) -> float:
                rates, cpus = [], []
                for _ in range(args.repeat):
                    wall, cpu = measure()
                    rates.append(args.calls / wall)
                    cpus.append(cpu)
                rate = statistics.median(rates)
                ratio = f"{rate / sdk_rate:.2f}" if sdk_rate else "-"
                print(f"{name:>18} {latency:>8.3f} {rate:>9.1f} {ceiling:>9} {ratio:>7} "
                      f"{1000 * statistics.median(cpus) / args.calls:>19.2f}", flush=True)
                return rate

            sdk_rate = 0.0
            sdk_rate = row("sdk-aiohttp", lambda: asyncio.run(run_sdk(base_url, args.calls, args.concurrency)))
            for transport in transports:
                def realign_once(transport: str = transport) -> tuple[float, float]:
                    wall, cpu, stats = asyncio.run(run(base_url, args.calls, args.concurrency, args.cache, transport))
                    assert stats["errors"] == 0, stats
                    return wall, cpu

                row(f"LLMClient {transport}", realign_once)
            if not args.no_raw:
                def raw_once() -> tuple[float, float]:
                    cpu = time.process_time()
                    wall = asyncio.run(run_raw(base_url, args.calls, args.concurrency))
                    return wall, time.process_time() - cpu

                row("bare", raw_once)
        finally:
            process.terminate()
            process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()


if __name__ == "__main__":
    main()
