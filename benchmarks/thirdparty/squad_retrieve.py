"""SQuAD dev paragraphs and their answerable questions -> a retrieval set with relevance labels.

Input: /work/thirdparty/retrieve/squad_dev_extract.jsonl (complete paragraphs of one read_file
chunk of a SQuAD 2.0 dev copy, one JSON line each with "context" and the answerable "qas"; see the
README.txt beside it and SOURCES.md). Output, beside it:

- squad_corpus.jsonl: one document per paragraph, id "squad-p<n>" (n from 0 in file order), title
  "" (SQuAD's article title would hand BM25 the topic for free), text = the context;
- squad_questions.jsonl: {"q", "expected" (the passage id "squad-p<n>#0"), "qid", "split"}; the
  paragraph a question was written from is its relevant passage (the SQuAD construction), and
  paragraphs are short enough to be one passage each. `split`: SHA-256 of the SQuAD question id,
  even -> "dev", odd -> "held".

    python benchmarks/thirdparty/squad_retrieve.py [--dir /work/thirdparty/retrieve]
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

DIR = Path("/work/thirdparty/retrieve")


def split_for(key: str) -> str:
    return "dev" if int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "held"


def convert(lines: list[str]) -> tuple[list[dict], list[dict]]:
    docs, questions = [], []
    for n, line in enumerate(x for x in lines if x.strip()):
        para = json.loads(line)
        doc_id = f"squad-p{n}"
        docs.append({"id": doc_id, "title": "", "text": para["context"]})
        for qa in para["qas"]:
            questions.append({"q": qa["question"].strip(), "expected": f"{doc_id}#0", "qid": qa["id"],
                              "split": split_for(qa["id"])})
    return docs, questions


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=DIR)
    a = ap.parse_args()
    src = a.dir / "squad_dev_extract.jsonl"
    if not src.exists():
        raise SystemExit(f"{src} is missing (see benchmarks/thirdparty/SOURCES.md, SQuAD retrieval)")
    docs, questions = convert(src.read_text(encoding="utf-8").splitlines())
    for name, rows in (("squad_corpus.jsonl", docs), ("squad_questions.jsonl", questions)):
        with open(a.dir / name, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    n = {s: sum(q["split"] == s for q in questions) for s in ("dev", "held")}
    print(f"{len(docs)} paragraphs, {len(questions)} questions ({n['dev']} dev, {n['held']} held)")


if __name__ == "__main__":
    main()
