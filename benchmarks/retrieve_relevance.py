"""Relevance floor of the local BM25 index: gold passages kept vs unrelated passages let in.

    PYTHONPATH=. python benchmarks/retrieve_relevance.py            # dev split: a table of floors
    PYTHONPATH=. python benchmarks/retrieve_relevance.py --held     # held split, the default floor only

Corpus (built in a temporary directory, the same `build_index` call as `realign index build`):
the Python stdlib docstring corpus of tests/fixtures/retrieve/stdlib_corpus.py (PSF text) plus the
SQuAD dev paragraphs converted by benchmarks/thirdparty/squad_retrieve.py (CC BY-SA 4.0, outside
the repo under /work/thirdparty/retrieve/).

Question sets; each is split by SHA-256 of the question (SQuAD: of its id), even -> dev, odd -> held:
- answerable, third-party: SQuAD questions, the relevant passage being the paragraph they were
  written from;
- answerable, ours: tests/fixtures/retrieve/stdlib_questions.jsonl (expected + "also" passages);
- unrelated: GSM8K test questions and Alpaca instructions (+ input) from /work/shared/data, the
  first N of each; nothing in this corpus answers a grade-school word problem, and few Alpaca
  requests are about Python's standard library (so "unrelated" is an approximation for Alpaca).

Every query is made as the pipeline makes it (`make_query`) and searched with k = 5 (the
pipeline default). For each floor: recall@5 = share of answerable questions whose relevant
passage is among the hits that pass the floor (what the prompt would get; dedupe is not applied);
for unrelated requests, the mean number of passages that pass and the share that get none.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "retrieve"))

from realign.retrieve.index import DEFAULT_MIN_MATCH, LocalIndex, build_index  # noqa: E402
from realign.retrieve.query import make_query  # noqa: E402

K = 5
FLOORS = (0.0, 0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6)
THIRDPARTY = Path("/work/thirdparty/retrieve")
SHARED = ROOT.parent / "shared" / "data" if (ROOT.parent / "shared" / "data").exists() else Path("/work/shared/data")


def split_for(key: str) -> str:
    return "dev" if int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "held"


def _jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(x) for x in f if x.strip()]


def load_sets(n_unrelated: int) -> dict[str, list[dict]]:
    """{set name: [{"query", "gold" (set of passage ids, empty for unrelated), "split"}]}."""
    squad = [{"query": make_query(q["q"]), "gold": {q["expected"]}, "split": q["split"]}
             for q in _jsonl(THIRDPARTY / "squad_questions.jsonl")]
    stdlib = [{"query": make_query(q["q"]), "gold": {q["expected"], *q.get("also", [])}, "split": split_for(q["q"])}
              for q in _jsonl(ROOT / "tests" / "fixtures" / "retrieve" / "stdlib_questions.jsonl")]
    gsm = [{"query": make_query(r["question"]), "gold": set(), "split": split_for(r["question"])}
           for r in _jsonl(SHARED / "gsm8k" / "test.jsonl")[:n_unrelated]]
    alpaca = [{"query": make_query(r["instruction"], r.get("input") or ""), "gold": set(),
               "split": split_for(r["instruction"] + r.get("input", ""))}
              for r in _jsonl(SHARED / "alpaca" / "alpaca_dev_1000.jsonl")[:n_unrelated]]
    return {"squad (answerable)": squad, "stdlib (answerable)": stdlib,
            "gsm8k (unrelated)": gsm, "alpaca (unrelated)": alpaca}


def measure(index: LocalIndex, items: list[dict], floors: tuple[float, ...]) -> dict[float, str]:
    """Per floor, the figure line for this set (recall for answerable, passages for unrelated)."""
    hits = []
    for it in items:
        found = index.search_sync(it["query"], K) if it["query"] else []
        hits.append([(e.doc_id, e.match or 0.0) for e in found])
    out = {}
    for floor in floors:
        kept = [[d for d, m in h if m + 1e-9 >= floor] for h in hits]
        if items and items[0]["gold"]:
            found = sum(bool(it["gold"] & set(k)) for it, k in zip(items, kept))
            out[floor] = f"recall@{K} {found / len(items):6.1%} ({found}/{len(items)})"
        else:
            n = sum(len(k) for k in kept)
            none = sum(not k for k in kept)
            out[floor] = (f"passages in {n / max(len(items), 1):4.2f}/request, "
                          f"none {none / max(len(items), 1):6.1%} ({none}/{len(items)})")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--held", action="store_true", help="measure the held split at the default floor")
    ap.add_argument("--unrelated", type=int, default=400, help="GSM8K / Alpaca requests read (each)")
    a = ap.parse_args()
    if not (THIRDPARTY / "squad_questions.jsonl").exists():
        raise SystemExit("run benchmarks/thirdparty/squad_retrieve.py first (see SOURCES.md)")
    from stdlib_corpus import write_corpus

    split = "held" if a.held else "dev"
    floors = (0.0, DEFAULT_MIN_MATCH) if a.held else FLOORS
    with tempfile.TemporaryDirectory() as work:
        corpus = os.path.join(work, "stdlib.jsonl")
        write_corpus(corpus)
        report = build_index([corpus, str(THIRDPARTY / "squad_corpus.jsonl")], os.path.join(work, "index"))
        index = LocalIndex.load(os.path.join(work, "index"), min_match=0.0)
        print(f"corpus: {report.docs} documents, {report.passages} passages; k = {K}; split: {split}")
        for name, items in load_sets(a.unrelated).items():
            part = [it for it in items if it["split"] == split]
            print(f"\n{name}: {len(part)} {split} questions")
            for floor, line in measure(index, part, floors).items():
                mark = "  <- default" if floor == DEFAULT_MIN_MATCH else ""
                print(f"  min_match {floor:4.2f}: {line}{mark}")
        index.close()


if __name__ == "__main__":
    main()
