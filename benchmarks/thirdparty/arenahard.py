"""Arena-Hard-Auto v0.1 answers as list sources for `benchmarks/verify.py` (LIST_SOURCES: fields
instruction, input, response).

    python benchmarks/thirdparty/arenahard.py [--raw DIR] [--out DIR]

lmarena/arena-hard-auto keeps each model's answers in `data/arena-hard-v0.1/model_answer/<model>.jsonl`
(one line per question, in question-id order; the answer is choices[0].turns[0].content) and the
questions in `data/arena-hard-v0.1/question.jsonl` (cluster order). Apache-2.0; the answers are
OpenAI outputs (measurement only, outside the repository).

Under --raw/arenahard_<source>/: `pNNN.jsonl` ({question_id, content}: the answers transcribed, NNN
the page offset in thousands where they end), `omitted.txt` (question ids read and not transcribed:
fewer than three list lines, or plainly over the length limit) and `questions.jsonl`
({question_id, content}: the first turn of each kept answer's question).

Selection (README's rule, fixed before the answers were read): the first SELECT answers in file
order that are list-shaped (`listshape.list_shaped`: three or more list lines) in at most MAX_CHARS
characters; no category left out. For gpt-4-0613, only answers to questions after the gpt-3.5
source's last kept question id count. The converter stops when fewer than SELECT answers qualify,
when an id is both transcribed and listed as omitted, or when a kept answer lacks its question; that
every answer before the last kept one was read (transcribed or omitted) rests on the transcription
notes in benchmarks/thirdparty/SOURCES.md, since the full id list of the file is not stored here.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from listshape import list_shaped  # noqa: E402

SELECT = 25
MAX_CHARS = 2500
SOURCES = {"gpt35": "arenahard_gpt35_answers.jsonl", "gpt4_0613": "arenahard_gpt4_0613_answers.jsonl"}


def load(folder: Path) -> tuple[list[dict], set[str], dict[str, str]]:
    answers = [json.loads(line) for p in sorted(folder.glob("p*.jsonl"))
               for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    omitted = set((folder / "omitted.txt").read_text().split())
    questions = {q["question_id"]: q["content"] for q in map(json.loads, (folder / "questions.jsonl").read_text().splitlines())}
    return answers, omitted, questions


def rows(folder: Path, after: str = "") -> list[dict]:
    answers, omitted, questions = load(folder)
    answers = sorted((a for a in answers if a["question_id"] > after), key=lambda a: a["question_id"])
    kept = [a for a in answers if list_shaped(a["content"], MAX_CHARS)][:SELECT]
    if len(kept) < SELECT:
        raise SystemExit(f"{folder}: {len(kept)} of {SELECT} list-shaped answers transcribed; not writing a partial source")
    last = kept[-1]["question_id"]
    seen = {a["question_id"] for a in answers if a["question_id"] <= last} | {i for i in omitted if after < i <= last}
    if len(seen) != len([a for a in answers if a["question_id"] <= last]) + len({i for i in omitted if after < i <= last}):
        raise SystemExit(f"{folder}: an id is both transcribed and listed as omitted")
    missing = [a["question_id"] for a in kept if a["question_id"] not in questions]
    if missing:
        raise SystemExit(f"{folder}: questions missing for {missing}")
    return [{"instruction": questions[a["question_id"]], "input": "", "response": a["content"],
             "question_id": a["question_id"]} for a in kept]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--raw", type=Path, default=Path("/work/thirdparty/raw"))
    ap.add_argument("--out", type=Path, default=Path("/work/thirdparty/lists"))
    args = ap.parse_args()
    after = ""
    for source, name in SOURCES.items():
        folder = args.raw / f"arenahard_{source}"
        if not folder.is_dir():
            print(f"{folder}: not transcribed, skipped")
            continue
        data = rows(folder, after)
        after = data[-1]["question_id"] if source == "gpt35" else after
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in data), encoding="utf-8")
        print(f"{len(data)} rows (last question {data[-1]['question_id']}) -> {args.out / name}")


if __name__ == "__main__":
    main()
