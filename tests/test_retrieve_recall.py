"""Retrieval quality: recall@5 of the local BM25 index on questions about the Python stdlib.

The corpus is the docstrings of ~130 standard-library modules (about 3,700 documents, 4,100
passages), built at test time by tests/fixtures/retrieve/stdlib_corpus.py from the PSF-licensed
text already on the machine. tests/fixtures/retrieve/stdlib_questions.jsonl holds questions
written for this project, each naming the passage that answers it ("json.dumps#0"); "also" lists
passages that answer it equally (aliases, copies of one docstring). Two sets, written two ways:

- "paraphrase": the question a user would ask about a well-known function, written from memory of
  what it does, in the asker's words (so often with synonyms the docstring does not use);
- "read": for 60 documents drawn at random (seed 7), a question written after reading the
  passage, the way SQuAD-style sets are made (so sharing more of its vocabulary).

The bar: the right passage is in the top 5 for at least 90 % of all questions. Each set's figure
is printed too; the paraphrase set is the harder one for a lexical retriever.
"""

from __future__ import annotations

import json
import os
import sys

import pytest

from realign.retrieve.index import LocalIndex, build_index
from realign.retrieve.query import make_query

HERE = os.path.join(os.path.dirname(__file__), "fixtures", "retrieve")
sys.path.insert(0, HERE)
from stdlib_corpus import write_corpus  # noqa: E402

with open(os.path.join(HERE, "stdlib_questions.jsonl"), encoding="utf-8") as _f:
    QUESTIONS = [json.loads(line) for line in _f]


@pytest.fixture(scope="module")
def stdlib_index(tmp_path_factory):
    work = tmp_path_factory.mktemp("stdlib")
    corpus = str(work / "stdlib.jsonl")
    n = write_corpus(corpus)
    report = build_index([corpus], str(work / "index"))
    assert report.docs == n and report.bad_row_count == 0
    index = LocalIndex.load(str(work / "index"), name="stdlib")
    yield index
    index.close()


def test_questions_are_many_and_distinct():
    assert len(QUESTIONS) >= 100
    assert len({q["q"] for q in QUESTIONS}) == len(QUESTIONS)
    assert {q["set"] for q in QUESTIONS} == {"paraphrase", "read"}


def test_recall_at_5(stdlib_index):
    found: dict[str, list[bool]] = {}
    misses = []
    for item in QUESTIONS:
        ids = [h.doc_id for h in stdlib_index.search_sync(make_query(item["q"]), k=5)]
        ok = item["expected"] in ids or any(a in ids for a in item.get("also", []))
        found.setdefault(item["set"], []).append(ok)
        if not ok:
            misses.append(f"  [{item['set']}] {item['expected']:<38} <- {item['q']!r}; top 3: {ids[:3]}")
    hits = [x for xs in found.values() for x in xs]
    recall = sum(hits) / len(hits)
    print(f"\nrecall@5 = {recall:.3f} ({sum(hits)}/{len(hits)}) over {len(stdlib_index)} passages")
    for name, xs in sorted(found.items()):
        print(f"  {name}: {sum(xs) / len(xs):.3f} ({sum(xs)}/{len(xs)})")
    if misses:
        print("misses:\n" + "\n".join(misses))
    assert recall >= 0.9
