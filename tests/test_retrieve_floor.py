"""The local index's relevance floor: hits holding too little of the query's term weight stay out
of the prompt, and the reason is kept for `realign show`."""

from __future__ import annotations

import asyncio
import json

import pytest
from pydantic import ValidationError

from realign.config import RetrievalConfig
from realign.errors import InputError
from realign.records import Evidence
from realign.retrieve import build_retriever
from realign.retrieve.index import DEFAULT_MIN_MATCH, LocalIndex, build_index

DOCS = [
    {"id": "stain", "title": "Stains", "text": "To remove a red wine stain, blot it and cover it with salt."},
    {"id": "git", "title": "Git", "text": "git rm can remove a file from the working tree and the index."},
    {"id": "paint", "title": "Paint", "text": "Remove old paint with a heat gun before sanding the wood."},
    {"id": "tide", "title": "Tides", "text": "The Moon's gravity raises ocean tides twice a day."},
    {"id": "lava", "title": "Lava", "text": "Lava is molten rock that erupts from a volcano's magma chamber."},
]


@pytest.fixture()
def index(tmp_path):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps(d) + "\n" for d in DOCS), encoding="utf-8")
    build_index([str(corpus)], str(tmp_path / "idx"))
    ix = LocalIndex.load(str(tmp_path / "idx"), name="home")
    yield ix
    ix.close()


def test_a_request_sharing_only_a_common_word_gets_no_evidence(index):
    query = "remove duplicate rows spreadsheet"
    assert index.search_sync(query, k=5) == []
    index.min_match = 0.0
    assert {e.doc_id for e in index.search_sync(query, k=5)} == {"stain#0", "git#0", "paint#0"}


def test_a_passage_holding_every_query_term_matches_fully_and_is_kept(index):
    hits = index.search_sync("molten rock from a volcano", k=3)
    assert [e.doc_id for e in hits] == ["lava#0"]
    assert hits[0].match == pytest.approx(1.0) and hits[0].dropped is None and hits[0].rank == 1


def test_a_rare_term_weighs_more_than_a_common_one(index):
    # "wine" is in one passage, "remove" in three: the wine passage holds most of the weight
    import numpy as np

    shares = dict(zip(["stain#0", "git#0"], index.match_shares("remove wine", np.array([0, 1]))))
    assert shares["stain#0"] > 0.5 > shares["git#0"] > 0


def test_query_words_the_corpus_never_uses_count_against_the_share(index):
    (only_known,) = index.search_sync("ocean tides", k=1)
    index.min_match = 0.0
    (with_unknown,) = index.search_sync("ocean tides zebrafish quokka", k=1)
    assert only_known.doc_id == with_unknown.doc_id == "tide#0"
    assert only_known.match == pytest.approx(1.0) and with_unknown.match < 0.5


def test_question_words_do_not_count_as_missing_terms(index):
    (hit,) = index.search_sync("What does the Moon's gravity raise?", k=1)
    assert hit.doc_id == "tide#0" and hit.match == pytest.approx(1.0)


def test_dropped_hits_come_after_the_kept_ones_with_their_reason(index):
    hits = index.search_sync("remove wine stain carpet", k=5, keep_dropped=True)
    kept = [e for e in hits if e.dropped is None]
    dropped = [e for e in hits if e.dropped is not None]
    assert [e.doc_id for e in kept] == ["stain#0"] and kept[0].rank == 1
    assert {e.doc_id for e in dropped} == {"git#0", "paint#0"}
    assert hits[: len(kept)] == kept  # kept first
    for e in dropped:
        assert "under the floor of 25%" in e.dropped and "retrieval.min_match" in e.dropped
        assert e.match is not None and e.match < DEFAULT_MIN_MATCH and e.rank >= 2
    assert asyncio.run(index.search("remove wine stain carpet", 5)) == kept


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_a_floor_outside_zero_to_one_is_refused(tmp_path, index, bad):
    with pytest.raises(InputError, match="between 0 and 1"):
        LocalIndex.load(index.index_dir, min_match=bad)
    with pytest.raises(ValidationError):
        RetrievalConfig(min_match=bad)


def test_the_config_floor_reaches_the_local_retriever(index):
    assert RetrievalConfig().min_match == DEFAULT_MIN_MATCH
    r = build_retriever("local", index_dir=index.index_dir, min_match=0.0)
    assert isinstance(r, LocalIndex) and r.min_match == 0.0
    assert len(r.search_sync("remove the duplicate rows", k=5)) == 3
    r.close()


def test_the_store_keeps_dropped_evidence_with_its_reason(tmp_path):
    from realign.store import Store

    st = Store(str(tmp_path / "runs.duckdb"))
    ev = Evidence(rank=2, source="home", doc_id="git#0", text="git rm ...", score=1.2, match=0.1,
                  dropped="matches 10% of the query's term weight, under the floor of 25% (retrieval.min_match)")
    st.add_evidence("r1", "ex1", 1, [ev])
    st.flush()
    rows = st.query("SELECT rank, match, dropped FROM evidence WHERE run_id = 'r1'")
    assert rows == [{"rank": 2, "match": 0.1, "dropped": ev.dropped}]
    st.close()


def test_show_names_dropped_passages_and_a_turn_left_without_evidence():
    from realign.report import evidence_lines

    reason = "matches 10% of the query's term weight, under the floor of 25% (retrieval.min_match)"
    lines = evidence_lines([
        {"turn_index": 1, "rank": 1, "source": "home", "doc_id": "stain#0", "title": "Stains",
         "text": "To remove a red wine stain ...", "match": 0.8, "dropped": None},
        {"turn_index": 1, "rank": 2, "source": "home", "doc_id": "git#0", "title": "Git",
         "text": "git rm ...", "match": 0.1, "dropped": reason},
        {"turn_index": 3, "rank": 1, "source": "home", "doc_id": "paint#0", "title": "Paint",
         "text": "Remove old paint ...", "match": 0.05, "dropped": reason},
    ])
    assert lines[0] == "turn 3: no passage passed the relevance floor; the prompt had no evidence"
    assert lines[1].startswith("[1] home stain#0 Stains (match 80%)")
    assert lines[2] == f"dropped (BM25 rank 2) home git#0: {reason}"
    assert len(lines) == 4 and "turn 1: no passage" not in "\n".join(lines)
