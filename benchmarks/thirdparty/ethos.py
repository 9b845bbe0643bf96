"""ETHOS binary comments (Mollas et al. 2020) for the trust audit's toxicity and generalisation parts.

    python benchmarks/thirdparty/ethos.py [--raw DIR] [--out DIR]

Reads the pages of `ethos/ethos_data/Ethos_Dataset_Binary.csv` (intelligence-csd-auth-gr/
Ethos-Hate-Speech-Dataset) saved under --raw as `Ethos_Dataset_Binary.csv.<offset, 6 digits>`, one
file per `read_file` page, and writes the `;`-separated `comment;isHate` files that
`benchmarks/audit.py` reads: --out/ethos/ (the pages seen while the scorers were written: the file's
first and last page) and --out/ethos_heldout/ (two pages read only after they were last changed).

The file is sorted by isHate, from 1.0 down to 0.0, so a page is a band of scores. A comment counts
when its page shows it whole: the page's first line is left out unless the page starts the file
(there it is the header), and its last line is left out unless the page ends the file (the last
page) or the page ends with a line break. SOURCES.md beside this file says where the pages come from.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
from pathlib import Path

NAME = "Ethos_Dataset_Binary.csv"
LAST_PAGE = 112_000  # the file is 122,823 characters long: its last read_file page starts here
SPLITS = {"ethos": (0, LAST_PAGE), "ethos_heldout": (32_000, 64_000)}


def page_rows(text: str, offset: int) -> list[tuple[str, str]]:
    lines = text.split("\n")
    if offset == 0:
        if lines[0] != "comment;isHate":
            raise SystemExit(f"{NAME} page 0 does not start with the header")
    lines = lines[1:]
    if offset != LAST_PAGE:
        lines = lines[:-1]  # empty when the page ends with a line break, else the cut-off line
    rows = list(csv.reader(io.StringIO("\n".join(lines) + "\n"), delimiter=";"))
    for r in rows:
        if len(r) != 2:
            raise SystemExit(f"{NAME} page {offset}: a row without exactly two fields: {r!r}")
        float(r[1])  # a label that is not a number stops the build
    return [(r[0], r[1]) for r in rows]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--raw", type=Path, default=Path("/work/thirdparty/raw/ethos"))
    ap.add_argument("--out", type=Path, default=Path("/work/thirdparty/audit"))
    args = ap.parse_args()
    pages = {int(m.group(1)): p for p in args.raw.glob(f"{NAME}.*")
             if (m := re.fullmatch(re.escape(NAME) + r"\.(\d{6})", p.name))}
    for split, offsets in SPLITS.items():
        missing = [o for o in offsets if o not in pages]
        if missing:
            raise SystemExit(f"pages {missing} of {NAME} not in {args.raw} (see benchmarks/thirdparty/SOURCES.md)")
        folder = args.out / split
        folder.mkdir(parents=True, exist_ok=True)
        for offset in offsets:
            rows = page_rows(pages[offset].read_text(encoding="utf-8"), offset)
            buf = io.StringIO()
            w = csv.writer(buf, delimiter=";", lineterminator="\n")
            w.writerow(["comment", "isHate"])
            w.writerows(rows)
            out = folder / f"binary_page_{offset:06d}.csv"
            out.write_text(buf.getvalue(), encoding="utf-8")
            hate = sum(float(h) >= 0.5 for _, h in rows)
            print(f"{split}: page {offset}: {len(rows)} comments ({hate} with isHate >= 0.5) -> {out}")


if __name__ == "__main__":
    main()
