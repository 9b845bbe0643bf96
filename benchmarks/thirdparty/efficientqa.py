"""EfficientQA human ratings of NQ-open system answers (Min et al. 2021, NeurIPS 2020 EfficientQA
competition; the copy in e184633/semantic-answer-similarity `data/data/nq/nq_open_filtered.csv`, the
file the Semantic Answer Similarity work built its NQ-open pairs from) -> efficientqa_nq_facts.jsonl.

Each CSV row is a question, its gold answer and three lists of system predictions that missed the gold
string, rated by people: definitely correct, possibly correct, definitely incorrect. One row per rated
prediction: the original is the gold answer, the candidate the prediction, `same_answer` true for
"definitely correct" and false for "definitely incorrect"; "possibly correct" is left out. Escaped
characters the lists keep as text ("mar\\u00eda") are decoded. Rows: the first 187 questions of the
file (ids 1-330), 586 ratings. A development source of the benchmark (all rows are dev).

    python benchmarks/thirdparty/efficientqa.py [--raw DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import ast
import csv
import io
import json
import re
from pathlib import Path

from rawfile import OUT, RAW, read_raw

QUESTIONS = 187


def _decode(text: str) -> str:
    text = re.sub(r"\\+u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    return text.replace('\\"', '"').replace("\xa0", " ").strip()


def _norm(text: str) -> str:
    t = "".join(ch for ch in text.lower() if ch.isalnum() or ch.isspace())
    return " ".join(w for w in t.split() if w not in {"a", "an", "the"})


def convert(text: str, questions: int = QUESTIONS) -> list[dict]:
    rows = list(csv.reader(io.StringIO(text)))[1:]
    if not text.endswith("\n"):
        rows = rows[:-1]  # the last line is cut short
    if len(rows) < questions:
        raise SystemExit(f"need {questions} questions: the raw pieces give {len(rows)}")
    out = []
    for row in rows[:questions]:
        question, gold = row[1], _decode(row[2])
        for label, column in ((True, 3), (False, 5)):
            for pred in ast.literal_eval(row[column]):
                cand = _decode(pred)
                out.append({"instruction": question, "original": gold, "candidate": cand, "same_answer": label,
                             "kind": "facts", "source": "efficientqa_nq", "gold_answers": [gold],
                             "gold_in_candidate": bool(_norm(gold)) and f" {_norm(gold)} " in f" {_norm(cand)} "})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw", type=Path, default=RAW / "efficientqa")
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args()
    rows = convert(read_raw(a.raw, "nq_open_filtered.csv"))
    a.out.mkdir(parents=True, exist_ok=True)
    with open(a.out / "efficientqa_nq_facts.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    correct = sum(r["same_answer"] for r in rows)
    print(f"efficientqa_nq_facts.jsonl: {len(rows)} rows ({correct} rated definitely correct)")


if __name__ == "__main__":
    main()
