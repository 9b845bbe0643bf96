"""Rows rewritten / kept / failed, and why, for each rewrite answer schema, against a served model.

Each design (`rewrite.answer_schema`: derived, rewrite_first, decide_first) rewrites the same
rows into its own database; the script prints the counts and the reasons per design. For the
figures in the README: SmolLM2-135M-Instruct behind llama-cpp-python's server (`make test-real`
builds it), on the project's own Alpaca-shaped rows and the GSM8K slice (MIT):

    .venv-real/bin/python -m llama_cpp.server --model GGUF --model_alias smollm2 --port 8765 &
    .venv/bin/python benchmarks/rewrite_designs.py --base-url http://127.0.0.1:8765/v1 --model smollm2 \\
        --in tests/fixtures/real/alpaca_own.jsonl --in tests/fixtures/gsm8k/train.jsonl:gsm8k:10
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from realign.runner import run_rewrite  # noqa: E402
from realign.store import Store  # noqa: E402

DESIGNS = ("derived", "rewrite_first", "decide_first")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--in", dest="inputs", action="append", required=True,
                        help="FILE, or FILE:PIPELINE:LIMIT (e.g. train.jsonl:gsm8k:10); repeat")
    parser.add_argument("--designs", default=",".join(DESIGNS))
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--max-tokens", type=int, default=512)
    args = parser.parse_args()

    print(f"model {args.model} at {args.base_url}")
    for design in args.designs.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            db = str(Path(tmp) / "d.duckdb")
            totals: Counter[str] = Counter()
            for spec in args.inputs:
                path, _, rest = spec.partition(":")
                pipeline, _, limit = rest.partition(":")
                overrides = {"model": {"model": args.model, "base_url": args.base_url,
                                       "concurrency": args.concurrency},
                             "sampling": {"max_tokens": args.max_tokens},
                             "rewrite": {"answer_schema": design},
                             "classify": {"kind": "embedded"}}
                s = run_rewrite(path, pipeline=pipeline or None, overrides=overrides, db=db,
                                limit=int(limit) if limit else None, strict=False, dry_run=False, progress=False)
                for k in ("rewritten", "kept_original", "passthrough", "failed"):
                    totals[k] += s[k]
            with Store(db, read_only=True) as store:
                reasons = store.query("SELECT status, reason, count(*) AS n FROM rewrites GROUP BY ALL ORDER BY n DESC")
        print(f"\n{design}: rewritten {totals['rewritten']}, kept {totals['kept_original']}, "
              f"passthrough {totals['passthrough']}, failed {totals['failed']}")
        for r in reasons:
            print(f"  {r['n']:>3}  {r['status']}: {str(r['reason'])[:150]}")


if __name__ == "__main__":
    main()
