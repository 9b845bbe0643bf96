"""The WizardLM test set's requests with their own per-row skill, for the routing benchmark.

    python benchmarks/thirdparty/wizardlm_subset.py [--raw DIR] [--out FILE]

Reads the lines of `data/WizardLM_testset.jsonl` (nlpxucan/WizardLM) saved under --raw and keeps
the rows of two kinds of skill: the four whose meaning fixes a task or group of ours (SCORED,
`benchmarks/classify.py` scores them) and the skills named after a field of knowledge (DOMAIN: only
the share labelled `math_puzzles` is read). Writing, reasoning, format, common-sense, counterfactual,
multilingual and academic-writing requests are left out. A request already kept is not kept again
(the file repeats row 20 as row 27). Output rows: {"idx", "skill", "instruction"}.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

SCORED = ("Math", "Code Generation", "Code Debug", "Roleplay")
DOMAIN = ("Computer Science", "Biology", "Technology", "Ethics", "TruthfulQA", "Sport", "Law", "Medicine", "Literature",
          "Entertainment", "Art", "Music", "Toxicity", "Economy", "Physics", "History", "Chemistry", "Philosophy")


def subset(rows: list[dict]) -> list[dict]:
    out, seen = [], set()
    for r in sorted(rows, key=lambda r: r["idx"]):
        if r["Skill"] in SCORED + DOMAIN and r["Instruction"] not in seen:
            seen.add(r["Instruction"])
            out.append({"idx": r["idx"], "skill": r["Skill"], "instruction": r["Instruction"]})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--raw", type=Path, default=Path("/work/thirdparty/raw/wizardlm"))
    ap.add_argument("--out", type=Path, default=Path("/work/thirdparty/routing/wizardlm_subset.jsonl"))
    args = ap.parse_args()
    rows = [json.loads(line) for p in sorted(args.raw.glob("*.jsonl"))
            for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    kept = subset(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8")
    scored = sum(r["skill"] in SCORED for r in kept)
    print(f"{len(kept)} rows ({scored} of the scored skills, {len(kept) - scored} domain) -> {args.out}")


if __name__ == "__main__":
    main()
