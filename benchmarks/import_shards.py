"""What importing a Ray run's calls journals into the store costs, the first time and again
(`realign.engines.shards.import_shards`).

The driver imports a run's shards when a session ends and again when a resumed session starts,
and `realign import` may be run by hand any number of times. This writes N journal lines (the
sizes of `benchmarks/shard_cache.py`: a 2 KB prompt, a 1.2 KB answer, 1% settled refusals) in W
journals, then imports them into a fresh store three times: all of them, again with nothing new,
and again after 1% more lines were appended to one journal. Run it with PYTHONPATH pointing at
another checkout to compare versions.

    PYTHONPATH=. .venv/bin/python benchmarks/import_shards.py --calls 20000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from shard_cache import write  # noqa: E402

from realign.engines.shards import import_shards  # noqa: E402
from realign.store import Store  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=20_000)
    ap.add_argument("--journals", type=int, default=4)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "run"
        write(root / "calls", args.calls, args.journals)
        extra = Path(tmp) / "extra"
        write(extra, args.calls + args.calls // 100, 1)  # the same first keys, then 1% new ones
        tail = (extra / "s0001-w000.jsonl").read_bytes().splitlines(keepends=True)[args.calls:]
        with Store(Path(tmp) / "s.duckdb") as store:
            store.start_run(run_id="run", name="bench", config={}, config_hash="h", input_path="in",
                            input_hash="i", model="m", base_url=None)
            for what in ("first import", "again, nothing new", f"again, {len(tail)} lines appended"):
                if what.endswith("appended"):
                    with (root / "calls" / "s0001-w000.jsonl").open("ab") as f:
                        f.writelines(tail)
                started = time.perf_counter()
                got = import_shards(store, root, "run")
                print(f"{what}: {time.perf_counter() - started:.2f} s, {got['calls']} calls stored")


if __name__ == "__main__":
    main()
