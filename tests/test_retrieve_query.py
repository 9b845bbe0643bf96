"""Query making, evidence dedupe and formatting, top-k selection."""

from __future__ import annotations

import numpy as np

from realign.records import Evidence
from realign.retrieve.evidence import dedupe, format_evidence
from realign.retrieve.index import _top_k
from realign.retrieve.query import make_query, strip_boilerplate


def test_boilerplate_is_stripped():
    assert make_query("Please explain how photosynthesis works in plants.") == "how photosynthesis works in plants."
    assert make_query("Can you please tell me about the French Revolution? Thanks!") == "the French Revolution?"
    assert make_query("I want you to describe the water cycle") == "the water cycle"
    assert make_query("Write a short essay about climate change") == "climate change"
    assert make_query("Explain to me in simple terms what a black hole is") == "what a black hole is"
    assert make_query("What is the capital of France?") == "What is the capital of France?"
    assert strip_boilerplate("Summarize the following text:") == ""


def test_instruction_and_short_input_are_joined():
    q = make_query("Translate the following sentence into French", "The cat sleeps on the mat.")
    assert q == "Translate the following sentence into French The cat sleeps on the mat."
    assert make_query("Summarize the following text:", "Ada Lovelace wrote the first program.") == (
        "Ada Lovelace wrote the first program."
    )


def test_only_boilerplate_without_input_is_kept():
    assert make_query("Hello") == "Hello"
    assert make_query("Please summarize") == "Please summarize"


def test_long_input_keeps_instruction_and_informative_words():
    article = (
        "The European Central Bank (ECB) raised interest rates by 0.25 percentage points on Thursday. " * 3
        + "Christine Lagarde said inflation in the Eurozone remained too high, citing energy prices. " * 20
    )
    q = make_query("Who is the president of the central bank mentioned here?", article, max_chars=120)
    assert len(q) <= 120
    assert q.startswith("Who is the president of the central bank mentioned here?")
    for word in ("ECB", "Lagarde", "Eurozone"):
        assert word in q
    assert " said " not in q  # a common verb loses to names, even repeated


def test_query_never_exceeds_limit_and_never_cuts_words():
    long_instruction = "Describe " + " ".join(f"topic{i} and the history of item{i}" for i in range(60))
    for limit in (20, 64, 256):
        q = make_query(long_instruction, "", max_chars=limit)
        assert 0 < len(q) <= limit
        assert set(q.split()) <= set(long_instruction.split())  # whole words only
        assert " and " not in q  # stop words went first
    assert make_query("x " * 300, max_chars=50).split() == ["x"] * 25
    assert make_query("anything", max_chars=0) == ""


def ev(rank, text, doc_id="d", source="wiki", url=None, title=""):
    return Evidence(rank=rank, source=source, doc_id=doc_id, text=text, url=url, title=title)


def test_dedupe_same_place_and_near_identical_text():
    items = [
        ev(1, "Water boils at 100 degrees Celsius at sea level.", doc_id="water#0"),
        ev(2, "Completely different text about iron.", doc_id="water#0"),  # same passage again
        ev(3, "water boils at 100 degrees celsius, at sea level!", doc_id="other#3"),  # same text
        ev(4, "Snippet A", source="serper", doc_id="https://www.example.org/a/", url="https://www.example.org/a/"),
        ev(5, "Snippet B", source="brave", doc_id="http://example.org/a#top", url="http://example.org/a#top"),
        ev(6, "The Moon orbits the Earth roughly every 27 days and causes the tides on the coasts.", doc_id="moon#0"),
        ev(7, "Moon fact: the Moon orbits the Earth roughly every 27 days and causes the tides on the coasts.",
           doc_id="moon2#0"),  # contains the previous one
        ev(8, "Iron rusts.", doc_id="iron#0"),
    ]
    out = dedupe(items)
    assert [e.doc_id for e in out] == ["water#0", "https://www.example.org/a/", "moon#0", "iron#0"]
    assert [e.rank for e in out] == [1, 2, 3, 4]
    assert items[3].rank == 4  # inputs untouched
    assert dedupe([]) == []


def test_dedupe_keeps_distinct_short_texts():
    out = dedupe([ev(1, "yes", doc_id="a"), ev(2, "no", doc_id="b"), ev(3, "the", doc_id="c")])
    assert len(out) == 3


def test_dedupe_jaccard_near_duplicates():
    base = " ".join(f"w{i}" for i in range(40))
    changed = base.replace("w20", "x20")  # one word in forty differs
    out = dedupe([ev(1, base, doc_id="a"), ev(2, changed, doc_id="b")])
    assert [e.doc_id for e in out] == ["a"]


def test_format_evidence():
    text = format_evidence([
        ev(1, "Water boils at 100 C.", doc_id="123#0", title="Water"),
        ev(2, "  Boiling   is fast. ", source="serper", doc_id="https://x.org/b", url="https://x.org/b"),
    ])
    assert text.splitlines() == [
        "[1] (source: wiki, doc 123#0) Water — Water boils at 100 C.",
        "[2] (source: serper, https://x.org/b) Boiling is fast.",
    ]
    cut = format_evidence([ev(1, "one two three four five six", doc_id="d")], max_chars_each=12)
    assert cut == "[1] (source: wiki, doc d) one two …"
    assert format_evidence([]) == ""


def test_top_k_matches_a_full_sort():
    rng = np.random.default_rng(0)
    for trial in range(200):
        n = int(rng.integers(1, 400))
        scores = np.round(rng.random(n) * 5, 1).astype(np.float32)  # many ties
        scores[rng.random(n) < 0.5] = 0
        k = int(rng.integers(1, 12))
        positive = np.flatnonzero(scores > 0)
        sample = rng.choice(positive, size=min(len(positive), int(rng.integers(0, 30))), replace=False)
        expected = sorted(positive, key=lambda i: (-scores[i], i))[:k]
        assert list(_top_k(scores, k, sample)) == expected
