"""Self-Instruct's 252 user-oriented tasks with text-davinci-003's answers and the human targets, as a
list source for `benchmarks/verify.py` (LIST_SOURCES: fields instruction, input, response|target).

    python benchmarks/thirdparty/selfinstruct.py [--raw DIR] [--out FILE]

Reads the rows of yizhongw/self-instruct `human_eval/predictions/text-davinci-003_predictions.jsonl`
transcribed under --raw (the file's own fields instruction, input, response, target; its `prompt`
field repeats instruction and input and is not transcribed) and writes them unchanged, in file
order. Every row is kept: `list_bases_cases` builds cases only from the answers that are lists.
Refuses to write a partial file (ROWS rows expected), so a half transcription is never measured as
the source.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROWS = 252
FIELDS = ("instruction", "input", "response", "target")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--raw", type=Path, default=Path("/work/thirdparty/raw/selfinstruct"))
    ap.add_argument("--out", type=Path, default=Path("/work/thirdparty/lists/selfinstruct_text-davinci-003.jsonl"))
    args = ap.parse_args()
    rows = [json.loads(line) for p in sorted(args.raw.glob("rows_*.jsonl"))
            for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    if len(rows) != ROWS:
        raise SystemExit(f"{len(rows)} of {ROWS} rows transcribed under {args.raw}; not writing a partial source")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps({k: r[k] for k in FIELDS}, ensure_ascii=False) + "\n" for r in rows),
                        encoding="utf-8")
    print(f"{len(rows)} rows -> {args.out}")


if __name__ == "__main__":
    main()
