"""Local BM25 index: build / load / search, bad corpus rows, chunking, user errors."""

from __future__ import annotations

import asyncio
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from realign.errors import ConfigError, InputError
from realign.retrieve import build_retriever
from realign.retrieve.chunk import chunk_words
from realign.retrieve.index import LocalIndex, build_index

DOCS = [
    {"id": "water", "title": "Water", "text": "Water boils at 100 degrees Celsius at sea level and freezes at 0 degrees."},
    {"id": "iron", "title": "Iron", "text": "Iron is a metal that rusts when exposed to oxygen and moisture."},
    {"id": "moon", "title": "Moon", "text": "The Moon orbits the Earth roughly every 27 days and causes tides."},
    {"id": 42, "title": "Photosynthesis", "text": "Plants convert sunlight, water and carbon dioxide into glucose."},
    {"id": "volcano", "title": "Volcano", "text": "A volcano erupts molten rock called lava from a magma chamber."},
]


def write_jsonl(path, rows) -> str:
    with open(path, "wb") as f:
        for r in rows:
            f.write(r if isinstance(r, bytes) else (json.dumps(r) + "\n").encode())
    return str(path)


@pytest.fixture()
def small_index(tmp_path):
    corpus = write_jsonl(tmp_path / "c.jsonl", DOCS)
    report = build_index([corpus], str(tmp_path / "idx"))
    index = LocalIndex.load(str(tmp_path / "idx"), name="sci")
    yield report, index
    index.close()


def test_round_trip(small_index):
    report, index = small_index
    assert (report.docs, report.passages, report.bad_row_count) == (5, 5, 0)
    assert report.bytes_on_disk > 0 and report.seconds >= 0
    hits = index.search_sync("At what temperature does water boil?", k=3)
    assert hits[0].doc_id == "water#0"
    assert hits[0].title == "Water" and hits[0].text == DOCS[0]["text"]
    assert hits[0].source == "sci" and hits[0].rank == 1 and hits[0].score > 0
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert index.search_sync("glucose from sunlight", k=1)[0].doc_id == "42#0"  # numeric ids become text
    assert index.search_sync("lava", k=5)[0].doc_id == "volcano#0"
    # stemming: "rusting" / "orbiting" match "rusts" / "orbits"
    assert index.search_sync("rusting", k=1)[0].doc_id == "iron#0"
    assert index.search_sync("orbiting", k=1)[0].doc_id == "moon#0"


def test_search_edge_cases(small_index):
    _, index = small_index
    assert index.search_sync("the of and", k=5) == []  # only stop words
    assert index.search_sync("zyxxyqq", k=5) == []  # unknown word
    assert index.search_sync("water", k=0) == []
    index.min_match = 0.0  # no relevance floor: every passage sharing a term comes back, no more
    assert len(index.search_sync("water moon iron lava glucose", k=50)) == 5  # only matching passages
    assert asyncio.run(index.search("volcano", 2))[0].doc_id == "volcano#0"


def test_factory_local(tmp_path, small_index):
    r = build_retriever("local", index_dir=small_index[1].index_dir)
    assert asyncio.run(r.search("tides", 1))[0].doc_id == "moon#0"


def test_long_document_is_chunked_with_overlap(tmp_path):
    words = [f"w{i}" for i in range(250)]
    corpus = write_jsonl(tmp_path / "c.jsonl", [{"id": "long", "title": "Long", "text": " ".join(words)}])
    report = build_index([corpus], str(tmp_path / "idx"), chunk_words=100, overlap_words=20)
    assert report.passages == 3  # starts at 0, 80, 160
    index = LocalIndex.load(str(tmp_path / "idx"))
    assert index.search_sync("w120", k=5)[0].doc_id == "long#1"  # only in passage 1 (words 80-179)
    both = {h.doc_id for h in index.search_sync("w170", k=5)}
    assert both == {"long#1", "long#2"}  # word 170 is in the overlap of passages 1 and 2
    assert index.search_sync("long", k=5)[0].title == "Long"  # title indexed with every passage


def test_chunk_words_rule():
    assert chunk_words("a b c d e f g", 4, 1) == ["a b c d", "d e f g"]
    assert chunk_words("a b c d", 4, 1) == ["a b c d"]
    assert chunk_words("a  b\n\tc", 10, 2) == ["a b c"]
    assert chunk_words("   ", 10, 2) == []
    parts = chunk_words(" ".join(str(i) for i in range(340)), 100, 20)
    assert [p.split()[0] for p in parts] == ["0", "80", "160", "240"]
    assert all(len(p.split()) == 100 for p in parts)
    with pytest.raises(ConfigError):
        chunk_words("a", 10, 10)
    with pytest.raises(ConfigError):
        chunk_words("a", 0, 0)


def test_bad_rows_are_reported_with_lines_and_skipped(tmp_path):
    rows = [
        DOCS[0],                                                # 1 ok
        b"{not json\n",                                         # 2 bad JSON
        {"id": "x", "title": "no text"},                        # 3 missing text
        b'{"id": "u", "text": "caf\xe9 au lait"}\n',            # 4 invalid UTF-8
        b"\n",                                                  # 5 blank: not a row
        ["a", "list"],                                          # 6 not an object
        {"id": "e", "text": "   "},                             # 7 empty text
        {"id": "n", "text": 12},                                # 8 number: accepted as text "12"
        {"id": "s", "text": "\\ud800 lone"},                    # 9 ok: escaped backslash, plain text
        b'{"id": "t", "text": "bad \\ud800 surrogate"}\n',      # 10 lone surrogate escape
        DOCS[1],                                                # 11 ok
    ]
    corpus = write_jsonl(tmp_path / "c.jsonl", rows)
    seen = []
    report = build_index([corpus], str(tmp_path / "idx"), on_bad_row=seen.append)
    assert report.docs == 4 and report.passages == 4
    assert report.bad_row_count == 6 == len(report.bad_rows) == len(seen)
    assert [b.line for b in report.bad_rows] == [2, 3, 4, 6, 7, 10]
    by_line = {b.line: b for b in report.bad_rows}
    assert "bad JSON" in by_line[2].reason
    assert "missing" in by_line[3].reason and "'text'" in by_line[3].reason
    assert "UTF-8" in by_line[4].reason
    assert "JSON object" in by_line[6].reason
    assert "empty" in by_line[7].reason
    assert "surrogate" in by_line[10].reason
    assert by_line[2].describe() == f"{corpus}:2: {by_line[2].reason}"
    index = LocalIndex.load(str(tmp_path / "idx"))
    assert index.search_sync("rusts", 1)[0].doc_id == "iron#0"


def test_parquet_and_custom_fields(tmp_path):
    table = pa.table({"key": ["a", "b", None], "name": ["Alpha", None, "Gamma"],
                      "body": ["alpha particles are helium nuclei", None, "gamma rays are photons"]})
    path = tmp_path / "c.parquet"
    pq.write_table(table, path)
    report = build_index([str(path)], str(tmp_path / "idx"), id_field="key", title_field="name", text_field="body")
    assert (report.docs, report.bad_row_count) == (2, 1)
    assert report.bad_rows[0].line == 2
    index = LocalIndex.load(str(tmp_path / "idx"))
    assert index.search_sync("helium", 1)[0].doc_id == "a#0"
    assert index.search_sync("photons", 1)[0].doc_id == "c.parquet:3#0"  # no id: file name and row
    with pytest.raises(InputError, match="no text column 'text'"):
        build_index([str(path)], str(tmp_path / "idx2"))


def test_several_files(tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", DOCS[:2])
    b = write_jsonl(tmp_path / "b.jsonl", DOCS[2:])
    report = build_index([a, b], str(tmp_path / "idx"))
    assert report.docs == 5 and report.files == [a, b]


def test_user_errors(tmp_path):
    with pytest.raises(InputError, match="corpus file not found: .*nope.jsonl"):
        build_index([str(tmp_path / "nope.jsonl")], str(tmp_path / "idx"))
    with pytest.raises(InputError, match="no corpus file"):
        build_index([], str(tmp_path / "idx"))
    empty = write_jsonl(tmp_path / "empty.jsonl", [])
    with pytest.raises(InputError, match="nothing to index"):
        build_index([empty], str(tmp_path / "idx"))
    allbad = write_jsonl(tmp_path / "bad.jsonl", [b"{oops\n"])
    with pytest.raises(InputError, match=r"bad\.jsonl:1: bad JSON"):
        build_index([allbad], str(tmp_path / "idx"))
    assert not os.path.exists(tmp_path / "idx")  # failed builds leave nothing behind
    assert [p for p in os.listdir(tmp_path) if p.startswith(".realign-index-")] == []
    with pytest.raises(InputError, match="index directory not found"):
        LocalIndex.load(str(tmp_path / "missing"))
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not a realign index"):
        LocalIndex.load(str(tmp_path / "plain"))
    ok = write_jsonl(tmp_path / "ok.jsonl", DOCS)
    with pytest.raises(InputError, match="not empty and is not a realign index"):
        build_index([ok], str(tmp_path / "plain"))
    assert (tmp_path / "plain" / "notes.txt").read_text() == "mine"


def test_rebuild_replaces_index(tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", DOCS[:2])
    b = write_jsonl(tmp_path / "b.jsonl", DOCS[2:])
    build_index([a], str(tmp_path / "idx"))
    report = build_index([b], str(tmp_path / "idx"))
    assert report.docs == 3
    index = LocalIndex.load(str(tmp_path / "idx"))
    assert index.search_sync("rusts", 5) == []
    assert index.search_sync("lava", 1)[0].doc_id == "volcano#0"


def test_concurrent_async_searches(small_index):
    _, index = small_index

    async def many():
        queries = ["water boils", "rusting iron", "moon tides", "lava volcano", "sunlight glucose"] * 20
        return await asyncio.gather(*(index.search(q, 1) for q in queries))

    results = asyncio.run(many())
    assert [r[0].doc_id for r in results[:5]] == ["water#0", "iron#0", "moon#0", "volcano#0", "42#0"]
    assert all(r[0].doc_id == results[i % 5][0].doc_id for i, r in enumerate(results))
