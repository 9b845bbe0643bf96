"""The optional pretrained sentence vectors of the embedded classifier (WordLlama's table,
pinned); skipped when the `embeddings` extra is not installed."""

from __future__ import annotations

import hashlib
import importlib.util

import numpy as np
import pytest

from realign.classify import static_embedding
from realign.classify.static_embedding import StaticEmbedder

if importlib.util.find_spec("wordllama") is None:
    pytest.skip("the 'embeddings' extra (wordllama) is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def emb() -> StaticEmbedder:
    return StaticEmbedder.load()


def test_vectors_are_unit_length_and_an_empty_text_is_zero(emb: StaticEmbedder) -> None:
    v = emb.embed(["", "Write a poem about the sea.", "x" * 50_000])
    assert v.shape == (3, emb.dim) == (3, 256)
    assert np.allclose(np.linalg.norm(v[1:], axis=1), 1.0, atol=1e-5)
    assert not v[0].any()
    assert np.array_equal(emb.embed(["Write a poem about the sea."])[0], v[1])


def test_similar_requests_are_nearer_than_different_ones(emb: StaticEmbedder) -> None:
    a, b, c = emb.embed([
        "Translate this sentence into French.",
        "How do you say good night in Spanish?",
        "Fix the bug in this Python function.",
    ])
    assert a @ b > a @ c


def test_the_shipped_files_are_the_pinned_ones() -> None:
    root = static_embedding._package_dir()
    for parts, want in ((static_embedding.WEIGHTS_PATH, static_embedding.WEIGHTS_SHA256),
                        (static_embedding.TOKENIZER_PATH, static_embedding.TOKENIZER_SHA256)):
        assert hashlib.sha256(root.joinpath(*parts).read_bytes()).hexdigest() == want
