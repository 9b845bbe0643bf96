"""Local BM25 index: build time, size on disk, peak memory and query latency on a synthetic corpus.

    python benchmarks/retrieve.py                      # 1,000,000 passages (the target size)
    python benchmarks/retrieve.py --passages 100000    # quicker
    python benchmarks/retrieve.py --workdir /tmp/rb --keep

The corpus is synthetic, generated with a fixed seed: a Zipf-distributed (s = 1.1) vocabulary of
200,000 made-up words mixed with English stop words (40 % of tokens), documents of 340 words that
chunk (100 words, 20 overlap) into exactly 4 passages each. It is written as JSONL and indexed
with `build_index`, the same call `realign index build` makes.

Build and search each run in a fresh child process; peak memory is that process's
resource.getrusage(RUSAGE_SELF).ru_maxrss (peak resident set size, the OS's figure, which
includes numpy / bm25s buffers that tracemalloc would miss). Query latency is wall time of
`LocalIndex.search_sync(query, k=5)` (tokenize, score, select, read passage texts), over queries
made of 3-8 random content words of a random passage; a warm-up of 20 queries is not counted.
Targets on the reference 2-core machine: build <= 3 min, p50 query <= 10 ms, memory <= 4 GiB.
Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

WORDS_PER_DOC = 340  # with 100-word chunks and a 20-word overlap: 4 passages per document
PASSAGES_PER_DOC = 4
VOCAB = 200_000
STOPWORD_SHARE = 0.4
SEED = 1234


def _vocabulary(rng: np.random.Generator) -> list[str]:
    syllables = [c + v for c in "bcdfghjklmnprstvz" for v in "aeiou"] + ["qu", "th", "sh", "ch"]
    words: set[str] = set()
    while len(words) < VOCAB:
        n = rng.integers(2, 5)
        words.add("".join(syllables[i] for i in rng.integers(0, len(syllables), n)))
    return sorted(words)


def generate(path: str, passages: int) -> int:
    """Write the synthetic JSONL corpus; returns the number of documents."""
    from bm25s.stopwords import STOPWORDS_EN

    rng = np.random.default_rng(SEED)
    vocab = np.array(_vocabulary(rng), dtype=object)
    stop = np.array(sorted(STOPWORDS_EN), dtype=object)
    ranks = np.arange(1, VOCAB + 1, dtype=np.float64)
    p = ranks**-1.1
    p /= p.sum()
    docs = -(-passages // PASSAGES_PER_DOC)
    with open(path, "w", encoding="utf-8") as f:
        block = 2000
        for start in range(0, docs, block):
            n = min(block, docs - start)
            content = vocab[rng.choice(VOCAB, size=(n, WORDS_PER_DOC), p=p)]
            stops = stop[rng.integers(0, len(stop), size=(n, WORDS_PER_DOC))]
            words = np.where(rng.random((n, WORDS_PER_DOC)) < STOPWORD_SHARE, stops, content)
            lines = []
            for i in range(n):
                d = start + i
                lines.append(json.dumps({"id": f"d{d}", "title": f"{words[i, 0]} {words[i, 1]}",
                                         "text": " ".join(words[i])}))
            f.write("\n".join(lines) + "\n")
    return docs


def _maxrss_bytes() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024  # Linux reports KiB


def child_build(corpus: str, index_dir: str) -> None:
    from realign.retrieve.index import build_index

    report = build_index([corpus], index_dir)
    print(json.dumps({"seconds": report.seconds, "docs": report.docs, "passages": report.passages,
                      "vocabulary": report.vocabulary, "bytes": report.bytes_on_disk,
                      "maxrss": _maxrss_bytes()}))


def child_search(index_dir: str, n_queries: int) -> None:
    from bm25s.stopwords import STOPWORDS_EN

    from realign.retrieve.index import LocalIndex

    t = time.perf_counter()
    index = LocalIndex.load(index_dir)
    load_s = time.perf_counter() - t
    rng = np.random.default_rng(SEED + 1)
    stop = set(STOPWORDS_EN)
    queries = []
    for number in rng.integers(0, len(index), n_queries + 20):
        words = [w for w in index._passages.get(int(number)).text.split() if w not in stop]
        picked = rng.choice(len(words), size=min(len(words), int(rng.integers(3, 9))), replace=False)
        queries.append((int(number), " ".join(words[i] for i in sorted(picked))))
    for _, q in queries[:20]:
        index.search_sync(q, k=5)
    times = []
    found = 0
    for number, q in queries[20:]:
        t = time.perf_counter()
        hits = index.search_sync(q, k=5)
        times.append(time.perf_counter() - t)
        p = index._passages.get(number)
        found += any(h.doc_id == p.passage_id for h in hits)
    ms = np.array(times) * 1000
    print(json.dumps({"load_s": load_s, "p50_ms": float(np.percentile(ms, 50)),
                      "p95_ms": float(np.percentile(ms, 95)), "mean_ms": float(ms.mean()),
                      "queries": n_queries, "source_in_top5": found / n_queries,
                      "maxrss": _maxrss_bytes()}))


def _run_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--passages", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--workdir", help="where the corpus and index go (default: a temporary directory)")
    ap.add_argument("--keep", action="store_true", help="keep the corpus and index afterwards")
    args = ap.parse_args()

    work = args.workdir or tempfile.mkdtemp(prefix="realign-retrieve-bench-")
    os.makedirs(work, exist_ok=True)
    corpus = os.path.join(work, f"synthetic-{args.passages}.jsonl")
    index_dir = os.path.join(work, f"index-{args.passages}")
    try:
        if not os.path.exists(corpus):
            t = time.perf_counter()
            docs = generate(corpus, args.passages)
            print(f"corpus: {docs:,} documents, {os.path.getsize(corpus) / 2**20:,.0f} MiB JSONL "
                  f"(generated in {time.perf_counter() - t:.0f} s, not counted)", flush=True)
        b = _run_child("_build", corpus, index_dir)
        print(f"build: {b['passages']:,} passages from {b['docs']:,} documents, vocabulary {b['vocabulary']:,}")
        print(f"build time: {b['seconds']:.1f} s")
        print(f"index size on disk: {b['bytes'] / 2**20:,.0f} MiB")
        print(f"build peak memory (ru_maxrss of the build process): {b['maxrss'] / 2**30:.2f} GiB")
        s = _run_child("_search", index_dir, str(args.queries))
        print(f"index load: {s['load_s']:.2f} s")
        print(f"query latency over {s['queries']} queries, k=5: p50 {s['p50_ms']:.2f} ms, "
              f"p95 {s['p95_ms']:.2f} ms, mean {s['mean_ms']:.2f} ms")
        print(f"search process peak memory (ru_maxrss): {s['maxrss'] / 2**30:.2f} GiB")
        print(f"sanity: source passage in top 5 for {s['source_in_top5']:.1%} of queries")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_build":
        child_build(sys.argv[2], sys.argv[3])
    elif len(sys.argv) > 1 and sys.argv[1] == "_search":
        child_search(sys.argv[2], int(sys.argv[3]))
    else:
        main()
