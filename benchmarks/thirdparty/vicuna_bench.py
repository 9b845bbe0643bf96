"""Vicuna-bench answers of vicuna-13b (two runs) and vicuna-7b as a list source for
`benchmarks/verify.py` (LIST_SOURCES: fields instruction, input, response).

    python benchmarks/thirdparty/vicuna_bench.py [--raw DIR] [--out FILE] [--fixture FILE]

lm-sys/FastChat keeps each model's answers to the 80 Vicuna-bench questions as JSON lines
{question_id, text, ...} under `fastchat/eval/table/answer/` (Apache-2.0). The rows read are saved
under --raw as `<run>_pNN.jsonl` (page NN of that file as `read_file` returned it), with the fields
question_id and text only; a row cut by a page end is saved whole on the page where it ends.

Rows transcribed: every answer with a marked line ("1.", "-", "*", "•" at a line start, the list
lines `verify/lists.py` reads) or on a single line; answers that are prose, verse, letters or code
without such a line were left out when transcribing (listed per run stem in `omitted.txt` beside the raw
files), since `list_bases_cases` builds no case from them. Kept + omitted must be the 80 questions of
each run, or the converter stops. The question text comes from this repository's
`data/classify/heldout/vicuna_bench_questions.jsonl` (the same 80 questions).

Output rows, run by run (RUNS order), in question order: {"instruction", "input": "", "response",
"model", "question_id"}. Written to --out (outside the repo) and, with --fixture, to the committed
copy under tests/fixtures/verify/lists/ (Apache-2.0 allows it).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
QUESTIONS = REPO / "data" / "classify" / "heldout" / "vicuna_bench_questions.jsonl"
# file stem under --raw -> (model name, FastChat path, commit)
RUNS = {
    "v13b": ("vicuna-13b:20230322-clean-lang", "fastchat/eval/table/answer/answer_vicuna-13b.jsonl",
             "dcc0ee8d4ee52a2bb0fb4f4d75234b9037a915aa"),
    "v13bhp": ("vicuna-13b:20230322-new-hp-fp16",
               "fastchat/eval/table/answer/answer_vicuna-13b-20230322-new-hp-fp16.jsonl",
               "82a4a586be36e6b4c9443e8acd9facdbccecfd34"),
    "v7b": ("vicuna-7b:20230322-fp16", "fastchat/eval/table/answer/answer_vicuna-7b-20230322-fp16.jsonl",
            "510027b33740b3f005408ff9dd2d3c63f67dd947"),
}
OMITTED_LINE = re.compile(r"^(\S+) \((\w+)\): ([\d ]*)$")


def omitted(raw: Path) -> dict[str, set[int]]:
    """Question ids left out per run, keyed by the run's file stem (first word of each line:
    "v13b (dcc0ee8): 21 22 ...")."""
    out: dict[str, set[int]] = {}
    for line in (raw / "omitted.txt").read_text(encoding="utf-8").splitlines():
        if m := OMITTED_LINE.match(line.strip()):
            out[m.group(1)] = {int(x) for x in m.group(3).split()}
    return out


def rows(raw: Path) -> list[dict]:
    questions = {q["question_id"]: q["instruction"] for q in map(json.loads, QUESTIONS.read_text().splitlines())}
    left_out = omitted(raw)
    out = []
    for stem, (model, path, _) in RUNS.items():
        kept = [json.loads(line) for p in sorted(raw.glob(f"{stem}_p*.jsonl"))
                for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
        ids = [r["question_id"] for r in kept]
        skipped = left_out.get(stem, set())
        if len(set(ids)) != len(ids) or set(ids) & skipped or set(ids) | skipped != set(questions):
            raise SystemExit(f"{stem}: transcribed {len(ids)} rows and {len(skipped)} left out do not make "
                             f"the 80 questions once each ({path}); not writing a partial source")
        out += [{"instruction": questions[r["question_id"]], "input": "", "response": r["text"],
                 "model": model, "question_id": r["question_id"]} for r in sorted(kept, key=lambda r: r["question_id"])]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--raw", type=Path, default=Path("/work/thirdparty/raw/vicuna_bench"))
    ap.add_argument("--out", type=Path, default=Path("/work/thirdparty/lists/vicuna_bench_answers.jsonl"))
    ap.add_argument("--fixture", type=Path, default=None,
                    help="also write the committed copy (tests/fixtures/verify/lists/vicuna_bench_answers.jsonl)")
    args = ap.parse_args()
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows(args.raw))
    for path in filter(None, (args.out, args.fixture)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(data, encoding="utf-8")
        print(f"{data.count(chr(10))} rows -> {path}")


if __name__ == "__main__":
    main()
