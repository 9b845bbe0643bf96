"""MT-bench answers of gpt-4o as a list source for `benchmarks/verify.py` (LIST_SOURCES: fields
instruction, input, response).

    python benchmarks/thirdparty/mtbench_gpt4o.py [--raw DIR] [--out FILE] [--fixture FILE]

lm-sys/FastChat keeps gpt-4o's answers to the 80 MT-bench questions (two turns each) in
`fastchat/llm_judge/data/mt_bench/model_answer/gpt-4o.jsonl` and the questions in
`fastchat/llm_judge/data/mt_bench/question.jsonl` (Apache-2.0; the answers are OpenAI outputs).
Under --raw: `pNN.jsonl` (answer turns as {question_id, turn, text}, NN the page of the answer
file they end on), `questions.jsonl` (the questions of the turns kept: {question_id, category,
turns}) and `omitted.txt` (the answer turns not transcribed, as `qid/turn`: those with fewer than
three list lines, checked by eye while reading).

Selection, in file order (question id, then turn 1 before turn 2): every answer turn outside the
math and coding categories (questions 111-130) with three or more list lines
(`listshape.list_shaped`), the first SELECT of them. Row: {"instruction": that turn's question
(the second turn's question alone for turn 2), "input": "", "response", "question_id", "turn"}.
The converter stops unless every turn of every non-math, non-coding question up to the last one
kept is either transcribed or listed as omitted.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from listshape import list_shaped  # noqa: E402

SELECT = 30
FIRST_QUESTION = 81
MATH_AND_CODING = range(111, 131)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--raw", type=Path, default=Path("/work/thirdparty/raw/mtbench_gpt4o"))
    ap.add_argument("--out", type=Path, default=Path("/work/thirdparty/lists/mtbench_gpt4o_answers.jsonl"))
    ap.add_argument("--fixture", type=Path, default=None,
                    help="also write the committed copy (tests/fixtures/verify/lists/mtbench_gpt4o_answers.jsonl)")
    args = ap.parse_args()
    turns = {(r["question_id"], r["turn"]): r["text"] for p in sorted(args.raw.glob("p*.jsonl"))
             for r in map(json.loads, p.read_text(encoding="utf-8").splitlines()) if r}
    questions = {q["question_id"]: q for q in map(json.loads, (args.raw / "questions.jsonl").read_text().splitlines())}
    left_out = {tuple(map(int, tok.split("/"))) for tok in (args.raw / "omitted.txt").read_text().split()}
    kept = [k for k in sorted(turns) if k[0] not in MATH_AND_CODING and list_shaped(turns[k])][:SELECT]
    if len(kept) < SELECT:
        raise SystemExit(f"{len(kept)} of {SELECT} list-shaped turns transcribed; not writing a partial source")
    last = kept[-1]
    missing = [(q, t) for q in range(FIRST_QUESTION, last[0] + 1) for t in (1, 2)
               if q not in MATH_AND_CODING and (q, t) <= last and (q, t) not in turns and (q, t) not in left_out]
    if missing:
        raise SystemExit(f"turns neither transcribed nor listed as omitted: {missing}")
    rows = [{"instruction": questions[q]["turns"][t - 1], "input": "", "response": turns[(q, t)],
             "question_id": q, "turn": t} for q, t in kept]
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    for path in filter(None, (args.out, args.fixture)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(data, encoding="utf-8")
        print(f"{len(rows)} rows (last: question {last[0]} turn {last[1]}) -> {path}")


if __name__ == "__main__":
    main()
