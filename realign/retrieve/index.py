"""Local BM25 index over a user corpus: build it once, search it per example.

Scoring is bm25s's (Lucene BM25 variant, k1 = 1.5, b = 0.75, English stop words, Snowball
English stemming from PyStemmer); this module only streams the corpus in, chunks it, and lays the
result out on disk:

    INDEX_DIR/
      realign-index.json        manifest: format version, settings, counts, corpus files
      bm25/                     bm25s's sparse score matrix (.npy, memory-mapped on load)
      tokenizer.vocab.json      word -> stem -> token id maps, so queries map to the same ids
      tokenizer.stopwords.json
      passages.jsonl            one JSON line per passage (doc_id, passage, title, text)
      passages.offsets.npy      byte offset of each line, for O(1) mmap lookups

What gets indexed for a passage is its document's title followed by the passage text. A hit is
known by its passage id, '<doc id>#<passage number>' (numbers from 0).

Relevance floor: BM25 ranks any passage that shares one word with the query, so a request about
something the corpus never mentions still gets k "best" passages (sharing "remove", say). Each hit
therefore gets a match share: the IDF weight of the query's distinct terms that the passage
contains, over the IDF weight of all of them (IDF as BM25 computes it; a query word the corpus
never uses counts with the IDF of a term in no passage, so a query about something absent scores
low everywhere; question and function words of realign.retrieve.query's stop list are left out
of the share, since bm25s's own stop list is short). Hits whose share is below `min_match` are dropped, with the reason kept on the
Evidence (`dropped`) so a run's provenance can say why. DEFAULT_MIN_MATCH was chosen on a dev
split (benchmarks/retrieve_relevance.py).

Example:
    >>> report = build_index(["wiki.jsonl"], "wiki-index")          # doctest: +SKIP
    >>> index = LocalIndex.load("wiki-index")                        # doctest: +SKIP
    >>> [e.doc_id for e in index.search_sync("boiling point of water", k=3)]  # doctest: +SKIP
    ['water#0', 'steam#2', 'kettle#0']
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
import threading
import time
from typing import Any, Callable

import numpy as np
from pydantic import BaseModel, Field

from realign.errors import InputError
from realign.records import Evidence
from realign.retrieve.base import Retriever
from realign.retrieve.chunk import check_chunking, chunk_words as split_words
from realign.retrieve.corpus import BadCorpusRow, FieldMap, check_corpus_files, read_corpus
from realign.retrieve.passages import PassageStore, PassageWriter
from realign.retrieve.query import STOPWORDS as QUERY_STOPWORDS

FORMAT = "realign-bm25"
FORMAT_VERSION = 1
MANIFEST_FILE = "realign-index.json"
BM25_DIR = "bm25"
VOCAB_FILE = "tokenizer.vocab.json"
STOPWORDS_FILE = "tokenizer.stopwords.json"

TOKEN_PATTERN = r"(?u)\b\w\w+\b"  # bm25s's default: runs of 2+ word characters
STOPWORDS = "english"
STEMMER_LANGUAGE = "english"
BM25_PARAMS: dict[str, Any] = {"method": "lucene", "k1": 1.5, "b": 0.75}

TOKENIZE_BATCH = 8192  # passages tokenized at a time while streaming
MAX_REPORTED_BAD_ROWS = 1000  # bad rows kept in the report; all are counted and passed to on_bad_row
PROGRESS_EVERY = 10_000  # documents between on_progress calls
SAMPLE_MAX = 65_536  # passages looked at to bound the k-th best score (see _top_k)
DEFAULT_MIN_MATCH = 0.25  # least match share a hit needs to reach a prompt (module docstring)


class BuildReport(BaseModel):
    """What `build_index` did."""

    index_dir: str
    files: list[str]
    docs: int  # documents indexed
    passages: int
    vocabulary: int  # distinct stems in the index
    bad_row_count: int  # rows skipped
    bad_rows: list[BadCorpusRow] = Field(default_factory=list)  # the first MAX_REPORTED_BAD_ROWS
    seconds: float
    bytes_on_disk: int


TITLE_WEIGHT = 1  # times the title is repeated in front of each passage's text when indexing


def _indexed_text(title: str, text: str) -> str:
    """What BM25 sees for a passage: its document's title, then the passage."""
    return "\n".join([title] * TITLE_WEIGHT + [text]) if title else text


def _stemmer() -> Callable[[str], str]:
    import Stemmer  # PyStemmer

    return Stemmer.Stemmer(STEMMER_LANGUAGE).stemWord


def _dir_bytes(path: str) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
    return total


def _check_target(index_dir: str) -> None:
    """Refuse to replace anything but an existing realign index or an empty directory."""
    if os.path.exists(index_dir):
        if not os.path.isdir(index_dir):
            raise InputError(f"index path exists and is not a directory: {index_dir}")
        if os.listdir(index_dir) and not os.path.exists(os.path.join(index_dir, MANIFEST_FILE)):
            raise InputError(
                f"{index_dir} is not empty and is not a realign index; choose a new or empty directory"
            )


def build_index(
    corpus: list[str],
    index_dir: str,
    *,
    id_field: str = "id",
    title_field: str = "title",
    text_field: str = "text",
    chunk_words: int = 100,
    overlap_words: int = 20,
    on_bad_row: Callable[[BadCorpusRow], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> BuildReport:
    """Index the documents of `corpus` (JSONL / JSONL.gz / Parquet files) into `index_dir`.

    Documents are split into passages of `chunk_words` words overlapping by `overlap_words`.
    Bad rows are skipped, counted, reported (file:line and reason) and passed to `on_bad_row`;
    `on_progress(docs, passages)` is called every PROGRESS_EVERY documents. The index is built
    in a temporary sibling directory and moved into place at the end, so a failed build leaves
    any previous index intact. Raises InputError for a missing corpus file, a corpus with no
    usable row, or an `index_dir` that holds something other than a realign index.
    """
    import bm25s
    from bm25s.tokenization import Tokenized, Tokenizer

    started = time.perf_counter()
    check_chunking(chunk_words, overlap_words)
    check_corpus_files(corpus)
    index_dir = os.path.abspath(index_dir)
    _check_target(index_dir)
    parent = os.path.dirname(index_dir)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".realign-index-", dir=parent)
    try:
        tokenizer = Tokenizer(splitter=TOKEN_PATTERN, stopwords=STOPWORDS, stemmer=_stemmer())
        writer = PassageWriter(tmp)
        token_ids: list[list[int]] = []
        pending: list[str] = []
        docs = 0
        bad_count = 0
        bad_rows: list[BadCorpusRow] = []

        def flush() -> None:
            token_ids.extend(tokenizer.streaming_tokenize(pending, update_vocab=True))
            pending.clear()

        fields = FieldMap(id=id_field, title=title_field, text=text_field)
        for item in read_corpus(corpus, fields):
            if isinstance(item, BadCorpusRow):
                bad_count += 1
                if len(bad_rows) < MAX_REPORTED_BAD_ROWS:
                    bad_rows.append(item)
                if on_bad_row is not None:
                    on_bad_row(item)
                continue
            docs += 1
            for n, text in enumerate(split_words(item.text, chunk_words, overlap_words)):
                writer.write(writer.encode(item.doc_id, n, item.title, text))
                pending.append(_indexed_text(item.title, text))
            if len(pending) >= TOKENIZE_BATCH:
                flush()
            if on_progress is not None and docs % PROGRESS_EVERY == 0:
                on_progress(docs, len(writer))
        flush()
        writer.close()
        n_passages = len(writer)
        if n_passages == 0:
            first = f"; first problem: {bad_rows[0].describe()}" if bad_rows else ""
            raise InputError(
                f"nothing to index in {', '.join(corpus)}: {docs} usable documents, "
                f"{bad_count} bad rows{first}"
            )

        retriever = bm25s.BM25(**BM25_PARAMS)
        retriever.index(Tokenized(ids=token_ids, vocab=tokenizer.stem_to_sid), show_progress=False)
        del token_ids
        retriever.save(os.path.join(tmp, BM25_DIR), show_progress=False)
        tokenizer.save_vocab(tmp, VOCAB_FILE)
        tokenizer.save_stopwords(tmp, STOPWORDS_FILE)
        vocabulary = len(tokenizer.stem_to_sid)
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "corpus": [os.path.abspath(p) for p in corpus],
            "fields": {"id": id_field, "title": title_field, "text": text_field},
            "chunk_words": chunk_words,
            "overlap_words": overlap_words,
            "tokenizer": {"pattern": TOKEN_PATTERN, "stopwords": STOPWORDS, "stemmer": STEMMER_LANGUAGE},
            "bm25": {"library": "bm25s", "library_version": bm25s.__version__, **BM25_PARAMS},
            "docs": docs,
            "passages": n_passages,
            "vocabulary": vocabulary,
            "bad_rows": bad_count,
        }
        with open(os.path.join(tmp, MANIFEST_FILE), "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=2)
        _replace_dir(tmp, index_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return BuildReport(
        index_dir=index_dir,
        files=list(corpus),
        docs=docs,
        passages=n_passages,
        vocabulary=vocabulary,
        bad_row_count=bad_count,
        bad_rows=bad_rows,
        seconds=round(time.perf_counter() - started, 3),
        bytes_on_disk=_dir_bytes(index_dir),
    )


def _replace_dir(new: str, target: str) -> None:
    """Move `new` to `target`, replacing an old index (checked by _check_target) if there is one."""
    if os.path.exists(target):
        old = target + f".old-{os.getpid()}"
        os.rename(target, old)
        os.rename(new, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(new, target)


class LocalIndex(Retriever):
    """A built index, opened for search. Memory: the vocabulary maps; the rest is memory-mapped.

    Thread-safe for concurrent searches (all state is read-only after `load`).
    """

    def __init__(self, index_dir: str, name: str, manifest: dict[str, Any], bm25: Any,
                 vocab: dict[str, dict[str, Any]], stopwords: list[str],
                 min_match: float = DEFAULT_MIN_MATCH) -> None:
        import re

        if not 0.0 <= min_match <= 1.0:
            raise InputError(f"min_match must be between 0 and 1, not {min_match}")
        self.min_match = min_match
        self.index_dir = index_dir
        self.name = name
        self.manifest = manifest
        self._bm25 = bm25
        self._word_to_id: dict[str, int] = vocab["word_to_id"]
        self._stem_to_sid: dict[str, int] = vocab["stem_to_sid"]
        self._stopwords = frozenset(stopwords)
        self._split = re.compile(manifest["tokenizer"]["pattern"]).findall
        self._local = threading.local()  # PyStemmer stemmers must not be shared between threads
        self._passages = PassageStore(index_dir)

    @classmethod
    def load(cls, index_dir: str, *, name: str | None = None,
             min_match: float = DEFAULT_MIN_MATCH) -> LocalIndex:
        """Open the index in `index_dir`; `name` (default: the directory's name) is the Evidence
        source; `min_match` is the relevance floor (0 keeps every hit)."""
        import bm25s

        if not os.path.isdir(index_dir):
            raise InputError(
                f"index directory not found: {index_dir}; build one with `realign index build`"
            )
        manifest_path = os.path.join(index_dir, MANIFEST_FILE)
        if not os.path.exists(manifest_path):
            raise InputError(f"{index_dir} is not a realign index (no {MANIFEST_FILE}); rebuild it")
        try:
            with open(manifest_path, encoding="utf-8") as f:
                manifest = json.load(f)
            if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
                raise InputError(
                    f"{index_dir}: index format {manifest.get('format')} v{manifest.get('version')} "
                    f"is not {FORMAT} v{FORMAT_VERSION}; rebuild it with `realign index build`"
                )
            bm25 = bm25s.BM25.load(os.path.join(index_dir, BM25_DIR), mmap=True, show_progress=False)
            with open(os.path.join(index_dir, VOCAB_FILE), encoding="utf-8") as f:
                vocab = json.load(f)
            with open(os.path.join(index_dir, STOPWORDS_FILE), encoding="utf-8") as f:
                stopwords = json.load(f)
        except (OSError, ValueError, KeyError) as e:
            raise InputError(f"{index_dir}: damaged index ({e}); rebuild it with `realign index build`") from None
        label = name or os.path.basename(os.path.normpath(os.path.abspath(index_dir)))
        return cls(index_dir, label, manifest, bm25, vocab, stopwords, min_match)

    def __len__(self) -> int:
        return len(self._passages)

    def query_token_ids(self, query: str) -> list[int]:
        """The index's token ids for `query`, made the way bm25s's Tokenizer made the corpus's
        (lower-case, split, drop stop words, stem), without growing any map for unseen words."""
        return [t for t in self._query_terms(query) if isinstance(t, int)]

    def _query_terms(self, query: str, skip: frozenset[str] = frozenset()) -> list[int | str]:
        """Each query word's token id, or its stem (a str) when the corpus never uses it; stop words
        and the words in `skip` left out."""
        terms: list[int | str] = []
        for word in self._split(query.lower()):
            if word in skip:
                continue
            tid = self._word_to_id.get(word)
            if tid is None:
                if word in self._stopwords:
                    continue
                stem = getattr(self._local, "stem", None)
                if stem is None:
                    stem = self._local.stem = _stemmer()
                stemmed = stem(word)
                tid = self._stem_to_sid.get(stemmed)
                if tid is None:
                    terms.append(stemmed)  # not in the corpus: cannot match anything
                    continue
            terms.append(tid)
        return terms

    def _idf(self, df: int) -> float:
        n = len(self)
        return float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))

    def match_shares(self, query: str, numbers: np.ndarray) -> np.ndarray:
        """For each passage number, the share of the query's distinct-term IDF weight it contains."""
        indptr, indices = self._bm25.scores["indptr"], self._bm25.scores["indices"]
        weight = np.zeros(len(numbers))
        total = 0.0
        # bm25s's stop list is short ("what", "does" are not on it); for the share, the query
        # module's longer list is dropped too, so question words do not count as missing terms
        for t in dict.fromkeys(self._query_terms(query, QUERY_STOPWORDS)):
            if isinstance(t, str):
                total += self._idf(0)
                continue
            start, end = int(indptr[t]), int(indptr[t + 1])
            idf = self._idf(end - start)
            total += idf
            weight += idf * np.isin(numbers, indices[start:end])
        return weight / total if total > 0 else weight

    def search_sync(self, query: str, k: int = 5, *, keep_dropped: bool = False) -> list[Evidence]:
        """The k best passages for `query`, best first, ranks from 1, less those under the
        relevance floor (`min_match`). With `keep_dropped`, those come too, after the kept ones,
        with `dropped` saying why (ranks from 1 among the kept; the dropped keep their BM25 rank)."""
        if k <= 0:
            return []
        ids = self.query_token_ids(query)
        if not ids:
            return []
        scores = self._bm25.get_scores_from_ids(ids)  # bm25s's BM25 scores for every passage
        hits = _top_k(scores, k, self._sample(ids, k))
        shares = self.match_shares(query, hits)
        kept: list[Evidence] = []
        dropped: list[Evidence] = []
        for bm25_rank, (number, share) in enumerate(zip(hits, shares), start=1):
            p = self._passages.get(int(number))
            e = Evidence(rank=len(kept) + 1, source=self.name, doc_id=p.passage_id, title=p.title,
                         text=p.text, score=float(scores[number]), match=round(float(share), 4))
            if share + 1e-9 >= self.min_match:
                kept.append(e)
            elif keep_dropped:
                dropped.append(e.model_copy(update={
                    "rank": bm25_rank,
                    "dropped": f"matches {share:.0%} of the query's term weight, under the floor "
                               f"of {self.min_match:.0%} (retrieval.min_match)"}))
        return kept + dropped

    def _sample(self, ids: list[int], k: int) -> np.ndarray:
        """Up to SAMPLE_MAX passages of the rarest query term that occurs in at least k passages."""
        indptr = self._bm25.scores["indptr"]
        lengths = [(int(indptr[t + 1] - indptr[t]), t) for t in set(ids)]
        usable = [(n, t) for n, t in lengths if n >= k]
        if not usable:
            return np.empty(0, dtype=np.int64)
        n, t = min(usable)
        start = int(indptr[t])
        return np.asarray(self._bm25.scores["indices"][start : start + min(n, SAMPLE_MAX)])

    async def search(self, query: str, k: int, *, keep_dropped: bool = False) -> list[Evidence]:
        """`search_sync` in a worker thread, so a pipeline's event loop keeps serving requests."""
        return await asyncio.to_thread(lambda: self.search_sync(query, k, keep_dropped=keep_dropped))

    def close(self) -> None:
        self._passages.close()


def _top_k(scores: np.ndarray, k: int, sample: np.ndarray) -> np.ndarray:
    """Indices of the k highest positive scores, best first; ties go to the lower passage number.

    `sample` holds distinct passages known to score above 0 (from one query term's posting
    list). The k-th best score among them is a lower bound of the k-th best overall, so one
    vectorised comparison keeps only the few passages at or above it, instead of partitioning
    every scored passage (most of the index, for a query with a common word).
    """
    if len(sample) >= k:
        sampled = scores[sample]
        bound = np.partition(sampled, len(sampled) - k)[len(sampled) - k]
        candidates = np.flatnonzero(scores >= bound)
    else:
        candidates = np.flatnonzero(scores > 0)
    order = np.lexsort((candidates, -scores[candidates]))
    return candidates[order][:k]
