"""AlpacaEval model outputs as list sources for `benchmarks/verify.py` (LIST_SOURCES).

    python benchmarks/thirdparty/alpacaeval.py [--raw DIR] [--out DIR]

Two sources, both from tatsu-lab/alpaca_eval `results/<model>/model_outputs.json` (a JSON array of
{dataset, instruction, output, generator}); the records read are saved as JSON lines under
--raw/alpacaeval_claude/ and --raw/alpacaeval_llama3_70b/:

- claude: the first CLAUDE_RECORDS records of the file (all of them helpful_base), every one kept
  whatever its shape; rows {"instruction", "input": "", "output"}.
- Meta-Llama-3-70B-Instruct: the first LLAMA_RECORDS records in file order whose dataset is koala or
  oasst and whose output is list-shaped (`listshape.list_shaped`: three or more list lines) in at
  most LLAMA_MAX_CHARS characters; rows {"instruction", "input": "", "response"}.

Data CC BY-NC, model outputs: measurement only, outside the repository.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from listshape import list_shaped  # noqa: E402

CLAUDE_RECORDS = 69
LLAMA_RECORDS = 25
LLAMA_MAX_CHARS = 2000
LLAMA_DATASETS = ("koala", "oasst")


def records(folder: Path) -> list[dict]:
    return [json.loads(line) for p in sorted(folder.glob("*.jsonl"))
            for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]


def claude_rows(recs: list[dict]) -> list[dict]:
    return [{"instruction": r["instruction"], "input": "", "output": r["output"]} for r in recs[:CLAUDE_RECORDS]]


def llama_rows(recs: list[dict]) -> list[dict]:
    kept = [r for r in recs if r["dataset"] in LLAMA_DATASETS and list_shaped(r["output"], LLAMA_MAX_CHARS)]
    return [{"instruction": r["instruction"], "input": "", "response": r["output"]} for r in kept[:LLAMA_RECORDS]]


def write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} rows -> {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--raw", type=Path, default=Path("/work/thirdparty/raw"))
    ap.add_argument("--out", type=Path, default=Path("/work/thirdparty/lists"))
    args = ap.parse_args()
    claude = records(args.raw / "alpacaeval_claude")
    if claude:
        if len(claude) < CLAUDE_RECORDS:
            raise SystemExit(f"only {len(claude)} claude records transcribed; {CLAUDE_RECORDS} needed")
        write(args.out / "alpacaeval_claude_outputs.jsonl", claude_rows(claude))
    llama = records(args.raw / "alpacaeval_llama3_70b")
    if llama:
        rows = llama_rows(llama)
        if len(rows) < LLAMA_RECORDS:
            raise SystemExit(f"only {len(rows)} list-shaped koala / oasst records transcribed; {LLAMA_RECORDS} needed")
        write(args.out / "alpacaeval_llama3_70b_outputs.jsonl", rows)


if __name__ == "__main__":
    main()
