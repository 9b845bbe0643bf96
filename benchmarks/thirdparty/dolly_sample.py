"""A sample of databricks-dolly-15k for the routing benchmark: every complete record of 11 pages.

    python benchmarks/thirdparty/dolly_sample.py [--raw DIR] [--out FILE]

The pages were read at the offsets i * size // 11 (i = 0..10) of the 15k-record JSONL file (16,000
characters each, as the search tool's read_file returns them); a record counts when its whole line
is on the page. The transcription under --raw keeps each record's instruction, category and the
start of its context (`cut` marks a context transcribed only in part); this script cuts every
context to its first CONTEXT characters and writes {"instruction", "context", "category"} rows,
the shape `realign.classify.evaluate.read_labelled` reads. Responses are not needed and not kept.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

CONTEXT = 200


def sample(rows: list[dict]) -> list[dict]:
    return [{"instruction": r["instruction"], "context": r["context"][:CONTEXT].rstrip(), "category": r["category"]}
            for r in rows]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--raw", type=Path, default=Path("/work/thirdparty/raw/dolly"))
    ap.add_argument("--out", type=Path, default=Path("/work/thirdparty/routing/dolly_sample.jsonl"))
    args = ap.parse_args()
    rows = [json.loads(line) for p in sorted(args.raw.glob("pages_*.jsonl"))
            for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    for r in rows:
        if r.get("cut") and len(r["context"]) < CONTEXT:
            raise SystemExit(f"context transcribed too short to cut at {CONTEXT}: {r['instruction'][:60]!r}")
    out = sample(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out), encoding="utf-8")
    print(f"{len(out)} records from {len({r['page'] for r in rows})} pages -> {args.out}")


if __name__ == "__main__":
    main()
