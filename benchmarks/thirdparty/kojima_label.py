"""StrategyQA questions with their gold yes / no, as the Kojima et al. (2022) zero-shot logs print them.

    python benchmarks/thirdparty/kojima_label.py [--raw DIR] [--out FILE]

Reads the pages of `log/strategyqa_zero_shot.log` (kojima-takeshi188/zero_shot_cot) saved under
--raw and writes one row per logged question: the question as `instruction`, its gold answer
("Yes" / "No") as `original`, the model's (text-davinci-002) answer as `candidate` and whether the
log scores it right (`pred_after` equal to `GT`) as `same_answer`. Those are the rows
`benchmarks/verify.py` reads twice: part 1 (a real answer with its label) and the closed answers
said twice (`strategyqa_twice_cases`: question and gold only).

A record counts when the page shows it whole, up to the separator pair that opens the next one; the
last record on a page is left out when its closing separators are cut off. SOURCES.md beside this
file says where the pages come from.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

RECORD = re.compile(
    r"^(\d+)st data\n\d+_th_sampling\nQ: (?P<q>[^\n]*)\nA: (?P<a>.*?)\npred_before :.*?\npred_after : (?P<pred>[^\n]*)\n"
    r".*?GT : (?P<gt>yes|no)\n\*{25}\n\*{25}\n", re.S | re.M)


def records(text: str) -> list[dict]:
    rows = []
    for m in RECORD.finditer(text):
        gt = m["gt"]
        rows.append({"source": "kojima_strategyqa", "kind": "label", "log_index": int(m.group(1)),
                     "instruction": m["q"].strip(), "original": gt.capitalize(), "candidate": m["a"].strip(),
                     "same_answer": m["pred"].strip() == gt})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--raw", type=Path, default=Path("/work/thirdparty/raw/kojima"))
    ap.add_argument("--out", type=Path, default=Path("/work/thirdparty/verify/kojima_label.jsonl"))
    args = ap.parse_args()
    rows = [r for p in sorted(args.raw.glob("strategyqa_zero_shot.log.page*")) for r in records(p.read_text(encoding="utf-8"))]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} rows ({sum(r['same_answer'] for r in rows)} answered right) -> {args.out}")


if __name__ == "__main__":
    main()
