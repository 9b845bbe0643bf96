"""Ray Data's HTTP request processor against realign's client in a Ray actor pool. Prints figures.

    .venv-ray/bin/python benchmarks/ray_http.py --requests 200 --latency 0.2

The same chat requests go to one test server (its own process, `--mode plain`, fixed latency)
through (a) `ray.data.llm.HttpRequestProcessorConfig` with `concurrency` workers and (b) a
`map_batches` actor pool of the same size whose actors send with `realign.llm.client.LLMClient`
(64 requests in flight each, realign's retries and request keys), on a local Ray with 2 CPUs.
Each figure is requests/s over the dataset's execution (`materialize`), actor start-up included,
so both carry the same fixed cost.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import Server  # noqa: E402

import ray  # noqa: E402


class RealignSender:
    def __init__(self, base_url: str, concurrency: int) -> None:
        from realign.llm.client import LLMClient, LLMSettings

        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

        async def make() -> LLMClient:
            return LLMClient(LLMSettings(base_url=base_url, model="test-model", concurrency=concurrency), None)

        self.client = asyncio.run_coroutine_threadsafe(make(), self.loop).result()

    def __call__(self, batch: dict) -> dict:
        async def all_rows() -> list[str]:
            results = await asyncio.gather(*(self.client.chat(
                [{"role": "user", "content": f"question {int(i)}"}], sampling={"temperature": 0.0, "max_tokens": 16})
                for i in batch["id"]))
            return [r.content for r in results]

        return {"answer": asyncio.run_coroutine_threadsafe(all_rows(), self.loop).result()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=64)
    a = ap.parse_args()
    server = Server(a.latency, mode="plain")  # plain answers: no rewrite JSON needed
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        from ray.data import ActorPoolStrategy
        from ray.data.llm import HttpRequestProcessorConfig, build_processor

        config = HttpRequestProcessorConfig(url=server.url + "/chat/completions", concurrency=a.workers,
                                            batch_size=a.batch_size)
        processor = build_processor(
            config,
            preprocess=lambda row: {"payload": {"model": "test-model", "temperature": 0.0, "max_tokens": 16,
                                                "messages": [{"role": "user", "content": f"question {row['id']}"}]}},
            postprocess=lambda row: {"answer": str(row["http_response"])[:300]},
        )
        started = time.perf_counter()
        out = processor(ray.data.range(a.requests, override_num_blocks=a.workers * 4)).materialize()
        n = sum(1 for r in out.iter_rows() if "choices" in r["answer"])
        ray_s = time.perf_counter() - started

        started = time.perf_counter()
        m = ray.data.range(a.requests, override_num_blocks=a.workers * 4).map_batches(
            RealignSender, batch_size=a.batch_size, compute=ActorPoolStrategy(size=a.workers),
            fn_constructor_kwargs={"base_url": server.url, "concurrency": 64}, num_cpus=0.25).materialize().count()
        ours_s = time.perf_counter() - started
    finally:
        ray.shutdown()
        server.close()
    print(f"{a.requests} requests, server latency {a.latency * 1000:.0f} ms, {a.workers} workers, batch {a.batch_size}")
    print(f"ray.data.llm HttpRequestProcessor : {n} answers in {ray_s:.1f} s = {n / ray_s:.1f} requests/s")
    print(f"realign LLMClient in an actor pool: {m} answers in {ours_s:.1f} s = {m / ours_s:.1f} requests/s")


if __name__ == "__main__":
    main()
