"""What the Ray engine's copy of the store costs (`realign.engines.shards.snapshot_store`).

The driver copies every stored answer and settled refusal of the run's model into
``store/calls/`` under the run's shards; each Ray worker keeps the keys' 64-bit prefixes
and the refusals in memory and looks answers up in the file. This builds a store of N answered
requests (about 1.2 KB of answer each) and N/100 refusals, then prints: the copy's time and size,
a worker's load time and memory, and the time of one lookup (hit, miss).

    PYTHONPATH=. .venv/bin/python benchmarks/store_copy.py --calls 100000
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import tempfile
import time
from pathlib import Path

from realign.engines.shards import ShardCache, snapshot_store
from realign.store import Store


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=100_000)
    ap.add_argument("--lookups", type=int, default=2_000)
    args = ap.parse_args()
    rng = random.Random(0)
    keys = [hashlib.sha256(f"request {i}".encode()).hexdigest() for i in range(args.calls)]
    refused = [hashlib.sha256(f"long {i}".encode()).hexdigest() for i in range(args.calls // 100)]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "s.duckdb"
        t = time.perf_counter()
        with Store(db) as store:
            for i, key in enumerate(keys):
                text = " ".join(rng.choice(("rivers", "carry", "sediment", "the", "water", "slows", str(i)))
                                for _ in range(180))
                store.put_call(key, kind="rewrite", request={"model": "m", "messages": [], "n": 1},
                               response={"model": "m", "choices": [{"index": 0, "message": {"content": text},
                                                                    "finish_reason": "stop"}]},
                               finish_reason="stop", prompt_tokens=900, completion_tokens=300)
            for key in refused:
                store.put_call(key, kind="rewrite", request={"model": "m"}, finish_reason="too_long", error="too_long",
                               response={"model": "m", "choices": [], "error": {"kind": "too_long", "status": 400,
                                                                                "message": "too long", "url": "u"}})
        built = time.perf_counter() - t
        root = Path(tmp) / "run"
        with Store(db) as store:
            t = time.perf_counter()
            shared = snapshot_store(store, root, "m", [])
            copy_s = time.perf_counter() - t
        size = sum(f.stat().st_size for f in (root / "store" / "calls").rglob("*.parquet"))
        before = rss_mib()
        t = time.perf_counter()
        cache = ShardCache(root, "w1")
        load_s = time.perf_counter() - t
        grew = rss_mib() - before
        sample = rng.sample(keys, min(args.lookups, len(keys)))
        t = time.perf_counter()
        assert all(cache.get_call(k) is not None for k in sample)
        hit_us = (time.perf_counter() - t) / len(sample) * 1e6
        misses = [hashlib.sha256(f"new {i}".encode()).hexdigest() for i in range(len(sample))]
        t = time.perf_counter()
        assert all(cache.get_call(k) is None for k in misses)
        miss_us = (time.perf_counter() - t) / len(misses) * 1e6
        assert all(cache.get_cutoff(k) is not None for k in refused)
        cache.close()
    print(f"store: {args.calls:,} answers + {len(refused):,} refusals, built in {built:.1f} s")
    print(f"copy: {shared:,} keys in {copy_s:.2f} s, {size / 2**20:.1f} MiB of Parquet")
    print(f"worker: loaded in {load_s:.2f} s, RSS +{grew:.0f} MiB; lookup {hit_us:.0f} us a hit, {miss_us:.1f} us a miss")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
