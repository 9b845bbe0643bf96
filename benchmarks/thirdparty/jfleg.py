"""JFLEG grammatical-error corrections as rewrites of a corrected sentence (our converter; the data
stays outside the repo: CC BY-NC-SA 4.0).

    python benchmarks/thirdparty/jfleg.py [--raw DIR] [--out FILE]

JFLEG (Napoles, Sakaguchi, Tetreault, EACL 2017; github.com/keisks/jfleg) gives learner sentences
(`test/test.src`) with four fluency corrections, each written by another person (`test/test1.ref`,
`test/test2.ref` ... line by line). Two people's corrections of one sentence are two good answers to
"correct this sentence": the first is taken as the original response, the second as its rewrite, a
real rewrite that keeps the answer while changing words (a control of the added-sentence class of
benchmarks/verify.py: nothing in it is new).

Input: the first lines of the three files as transcribed from the search index's `read_file`
(`<file>.head` under --raw, see benchmarks/thirdparty/SOURCES.md). Output, one row per line whose two
corrections differ:

    instruction   REQUEST + the learner's sentence
    original      the first person's correction
    candidate     the second person's correction
    line          the line number in test.src (0-based)
    split         "dev" or "held" by the first hex digit of the sha1 of the learner's sentence
                  (even: dev), fixed before any check ran
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

RAW = Path("/work/thirdparty/raw/jfleg")
OUT = Path("/work/thirdparty/added/jfleg_corrections.jsonl")  # not in verify/: its files are read as labelled sources
REQUEST = "Correct the grammar and spelling of the following sentence:"
FILES = ("test.src.head", "test1.ref.head", "test2.ref.head")


def split_of(text: str) -> str:
    return "dev" if int(hashlib.sha1(text.encode("utf-8")).hexdigest()[0], 16) % 2 == 0 else "held"


def convert(src: list[str], first: list[str], second: list[str]) -> list[dict[str, object]]:
    if not len(src) == len(first) == len(second):
        raise SystemExit(f"the three files have {len(src)}, {len(first)} and {len(second)} lines: not aligned")
    rows = []
    for i, (s, a, b) in enumerate(zip(src, first, second)):
        a, b = a.strip(), b.strip()
        if not s.strip() or a == b:
            continue  # the same correction twice is no rewrite
        rows.append({"instruction": f"{REQUEST}\n\n{s.strip()}", "original": a, "candidate": b, "line": i,
                     "split": split_of(s.strip())})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--raw", type=Path, default=RAW)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    src, first, second = ([ln for ln in (args.raw / f).read_text(encoding="utf-8").splitlines()] for f in FILES)
    rows = convert(src, first, second)
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    dev = sum(r["split"] == "dev" for r in rows)
    print(f"{args.out}: {len(rows)} rows ({dev} dev, {len(rows) - dev} held) of {len(src)} lines")


if __name__ == "__main__":
    main()
