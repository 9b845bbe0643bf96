"""What a Ray worker's start costs as the run's calls journals grow (`realign.engines.shards.ShardCache`).

The Ray engine starts new row workers for every window of rows, and each reads the journals of
every answered request of the run so far. This writes N journal lines (requests and answers of
about the size a rewrite has: a 2 KB prompt, a 1.2 KB answer; 1% settled refusals) in W
journals, then starts a worker three ways, each in a fresh child process, and prints its
start-up time and peak memory, and the time of a lookup:

- reading every line in full and holding every answer (how the cache worked before the index);
- `JournalIndex` with no saved index (the first worker after the journals were written);
- `JournalIndex` with the saved indexes (every later worker: it reads only appended bytes).

    PYTHONPATH=. .venv/bin/python benchmarks/shard_cache.py --calls 200000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def write(folder: Path, calls: int, journals: int) -> list[str]:
    folder.mkdir(parents=True)
    rng = random.Random(0)
    words = ("rivers", "carry", "sediment", "the", "water", "slows", "and", "deltas", "form")
    keys = [hashlib.sha256(f"request {i}".encode()).hexdigest() for i in range(calls)]
    files = [(folder / f"s0001-w{j:03d}.jsonl").open("w", encoding="utf-8") for j in range(journals)]
    for i, key in enumerate(keys):
        prompt = " ".join(rng.choice(words) for _ in range(330))
        refused = i % 100 == 99
        answer = ({"choices": [], "error": {"kind": "too_long", "status": 400, "message": "too long", "url": "u"}}
                  if refused else
                  {"model": "m", "choices": [{"index": 0, "message": {"content": " ".join(
                      rng.choice(words) for _ in range(200))}, "finish_reason": "stop"}]})
        entry = {"key": key, "kind": "rewrite", "request": {"model": "m", "messages": [
            {"role": "user", "content": prompt}]}, "response": answer,
            "finish_reason": "too_long" if refused else "stop", "prompt_tokens": 900, "completion_tokens": 300,
            "latency_s": 1.5, "error": "too_long" if refused else None}
        files[i % journals].write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")
    for f in files:
        f.close()
    return keys


def child(variant: str, root: Path, lookups: int) -> None:
    """One worker start in this process: prints a JSON line of its figures."""
    sys.path.insert(0, str(REPO))
    from realign.engines.shards import SETTLED_FAILURES, ShardCache, read_journal

    keys = [hashlib.sha256(f"request {i}".encode()).hexdigest() for i in range(lookups)]
    t = time.perf_counter()
    if variant == "full":
        answers, settled = {}, {}
        for path in sorted((root / "calls").glob("*.jsonl")):
            for e in read_journal(path):
                if e.get("response") is None:
                    continue
                if e.get("error") is None:
                    answers[e["key"]] = e["response"]
                    settled.pop(e["key"], None)
                elif e.get("finish_reason") in SETTLED_FAILURES:
                    settled[e["key"]] = e["response"]
        start = time.perf_counter() - t
        get = answers.get
        read = None
    else:
        cache = ShardCache(root, f"bench-{variant}")
        start = time.perf_counter() - t
        get = cache.get_call
        read = cache.journals.bytes_read
    t = time.perf_counter()
    hits = sum(get(k) is not None for k in keys)
    lookup_us = (time.perf_counter() - t) / len(keys) * 1e6
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"start_s": start, "peak_mib": peak, "lookup_us": lookup_us, "hits": hits, "read": read}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=200_000)
    ap.add_argument("--journals", type=int, default=8)
    ap.add_argument("--lookups", type=int, default=2_000)
    ap.add_argument("--child", nargs=2, metavar=("VARIANT", "ROOT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), args.lookups)
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        write(root / "calls", args.calls, args.journals)
        size = sum(p.stat().st_size for p in (root / "calls").glob("*.jsonl"))
        print(f"{args.calls:,} journal lines in {args.journals} journals, {size / 2**20:,.0f} MiB "
              f"(written in {time.perf_counter() - t:.1f} s)")
        base = subprocess.run([sys.executable, "-c", "import resource, sys; sys.path.insert(0, %r); "
                               "import realign.engines.shards; "
                               "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)" % str(REPO)],
                              capture_output=True, text=True, check=True)
        print(f"a process that imports realign.engines.shards: {float(base.stdout):,.0f} MiB peak")
        for variant, label in (("full", "every line read, every answer held (before)"),
                               ("index", "JournalIndex, no saved index (first worker)"),
                               ("saved", "JournalIndex, saved indexes (later workers)")):
            out = subprocess.run([sys.executable, __file__, "--lookups", str(args.lookups), "--child", variant,
                                  str(root)], capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            read = "" if r["read"] is None else f", {r['read'] / 2**20:,.0f} MiB of journal scanned"
            print(f"{label}: start {r['start_s']:.2f} s, peak {r['peak_mib']:,.0f} MiB, "
                  f"lookup {r['lookup_us']:.1f} us ({r['hits']:,} of {args.lookups:,} hit){read}")


if __name__ == "__main__":
    main()
