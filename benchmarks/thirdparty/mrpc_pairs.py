"""MRPC's paraphrase pairs as rewrites of a news sentence (our converter; the data stays outside the repo).

    python benchmarks/thirdparty/mrpc_pairs.py [--raw DIR] [--out FILE]

The Microsoft Research Paraphrase Corpus (Dolan and Brockett, IWP 2005) pairs sentences from news
stories of one event that annotators judged to say the same thing (Quality 1) or not (0). Two writers
word the same fact their own way, so a pair rewords long stretches ("delivered their summary
assessments to" / "presented their assessments at"), which is what a paraphrase control of
`text_added` needs: CondaQA's crowdworkers edited one phrase at a time. Judged-equivalent pairs still
differ in detail now and then (one names the day, the other the place); the shorter sentence (in
words) is taken as the rewrite of the longer, as a rewrite that says no more than its original.

Input: tab-separated lines `Quality, #1 ID, #2 ID, #1 String, #2 String` under --raw (the Quality 1
lines of the source file, copied verbatim; see the README.txt there). Output, one row per pair:

    instruction   REQUEST + the original sentence
    original      the longer sentence
    candidate     the shorter one
    pair_id       "#1 ID-#2 ID"
    split         "dev" when the SHA-256 of pair_id is even, else "held" (fixed before any check ran)
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import Counter
from pathlib import Path

REQUEST = "Rewrite the following sentence in different words without changing what it says:"


def split_of(pair_id: str) -> str:
    return "dev" if int(hashlib.sha256(pair_id.encode()).hexdigest(), 16) % 2 == 0 else "held"


def convert(lines: list[str]) -> list[dict[str, str]]:
    rows, seen = [], set()
    for line in lines:
        fields = line.rstrip("\n").split("\t")
        if len(fields) != 5 or fields[0] != "1":
            continue
        pair_id = f"{fields[1]}-{fields[2]}"
        if pair_id in seen:
            continue
        seen.add(pair_id)
        original, candidate = sorted((fields[3].strip(), fields[4].strip()), key=lambda s: -len(s.split()))
        rows.append({"instruction": f"{REQUEST}\n\n{original}", "original": original, "candidate": candidate,
                     "pair_id": pair_id, "split": split_of(pair_id)})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--raw", type=Path, default=Path("/work/thirdparty/raw/mrpc"))
    ap.add_argument("--out", type=Path, default=Path("/work/thirdparty/added/mrpc_paraphrases.jsonl"))
    args = ap.parse_args()
    lines = [x for p in sorted(args.raw.glob("*.tsv")) for x in p.read_text(encoding="utf-8").splitlines()]
    rows = convert(lines)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    counts = Counter(r["split"] for r in rows)
    print(f"wrote {len(rows)} rows to {args.out}: " + ", ".join(f"{s} {n}" for s, n in sorted(counts.items())))


if __name__ == "__main__":
    main()
