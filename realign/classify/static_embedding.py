"""Pretrained static sentence embeddings for the embedded classifier: WordLlama's token table.

Optional (`pip install 'realign[embeddings]'`, then `python -m realign.classify.train --dense`):
the shipped model does not use them, because on the data we measure on they did not help (the
README has the figures). The n-gram features only know the words of our own training sentences;
these add what a pretrained model knows about meaning: a text's vector is the mean of the vectors of its tokens,
looked up in WordLlama's `l2_supercat` table (32,000 Llama-2 tokens x 256 dimensions, trained
by its author to give sentence embeddings by mean pooling; MTEB classification 58.7, next to
57.3 for GloVe 300d and 63.1 for all-MiniLM-L6-v2, per the package's RESULTS.md).

Provenance and licence: both files ship inside the `wordllama==0.4.0.post1` wheel on PyPI (MIT,
Lee Miller, github.com/dleemiller/WordLlama); nothing is downloaded. The table was distilled by
WordLlama's author from the token embeddings of Llama-2-based models, and the tokenizer is Llama
2's: realign only reads them from the installed package and redistributes neither. We pin the
files by SHA-256; a model trained on these vectors refuses to run on any others.

We read the two files ourselves (tokenizers + safetensors, both dependencies of wordllama) rather
than import `wordllama`, whose loader can fall back to downloading from a model hub and
configures logging at import. No torch, no GPU.

Example (with the embeddings extra installed):
    >>> emb = StaticEmbedder.load()  # doctest: +SKIP
    >>> emb.embed(["Translate 'good morning' into German"]).shape  # doctest: +SKIP
    (1, 256)
"""

from __future__ import annotations

import hashlib
import importlib.util
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Sequence

import numpy as np

from realign.errors import ConfigError

NAME = "wordllama-l2_supercat-256"  # recorded in the classifier model that uses these vectors
PACKAGE = "wordllama"
PINNED_VERSION = "0.4.0.post1"
WEIGHTS_PATH = ("weights", "l2_supercat_256.safetensors")
TOKENIZER_PATH = ("tokenizers", "l2_supercat_tokenizer_config.json")
WEIGHTS_SHA256 = "64b47a2dc493cb8e85944076601189739852d7b64e0e1eedcb1937a251cd9fd5"
TOKENIZER_SHA256 = "93248f2a9ec36c7b35f700a033d5f36228aae48db61aee31007fa49062cdeb68"
MAX_TOKENS = 128  # tokens pooled per text: the request sits at the start (see features.split_input)
MAX_CHARS = 1000  # characters tokenised per text (bounds the tokenizer's work on pasted documents)


def _package_dir() -> Path:
    spec = importlib.util.find_spec(PACKAGE)  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            f"The embedded classifier model uses the {NAME} vectors, which ship in the '{PACKAGE}' "
            f"package: pip install 'realign[embeddings]' (or '{PACKAGE}=={PINNED_VERSION}')."
        )
    return Path(list(spec.submodule_search_locations)[0])


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class StaticEmbedder:
    """Mean-pooled token vectors, L2-normalised; see the module docstring."""

    name = NAME

    def __init__(self, table: np.ndarray, tokenizer: object) -> None:
        self.table = table  # (vocab, dim) float32
        self.tokenizer = tokenizer  # tokenizers.Tokenizer

    @property
    def dim(self) -> int:
        return int(self.table.shape[1])

    @classmethod
    def load(cls) -> StaticEmbedder:
        """The pinned vectors from the installed wordllama package (cached per process).

        Raises ConfigError when the package is missing or its files are not the pinned ones.
        """
        return _load_cached()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32: the normalised mean of each text's first MAX_TOKENS token
        vectors; a text without tokens gets the zero vector."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not len(texts):
            return out
        encodings = self.tokenizer.encode_batch([t[:MAX_CHARS] for t in texts], add_special_tokens=False)  # type: ignore[attr-defined]
        ids = [e.ids[:MAX_TOKENS] for e in encodings]
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        flat = np.fromiter(chain.from_iterable(ids), dtype=np.int64, count=int(lengths.sum()))
        if not len(flat):
            return out
        # Token counts as a sparse (texts x vocabulary) matrix times the table: scipy's sparse
        # product sums the rows without materialising one vector per token (50x faster).
        from scipy.sparse import csr_matrix

        indptr = np.concatenate([[0], np.cumsum(lengths)])
        counts = csr_matrix((np.ones(len(flat), dtype=np.float32), flat, indptr), shape=(len(ids), self.table.shape[0]))
        sums = np.asarray(counts @ self.table, dtype=np.float32)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        out[:] = sums / norms
        return out


@lru_cache(maxsize=1)
def _load_cached() -> StaticEmbedder:
    try:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer
    except ImportError as exc:  # pragma: no cover - both come with wordllama
        raise ConfigError(f"The {NAME} vectors need 'tokenizers' and 'safetensors': pip install '{PACKAGE}=={PINNED_VERSION}' ({exc})")
    root = _package_dir()
    weights, tokenizer = root.joinpath(*WEIGHTS_PATH), root.joinpath(*TOKENIZER_PATH)
    for path, want in ((weights, WEIGHTS_SHA256), (tokenizer, TOKENIZER_SHA256)):
        if not path.is_file() or _sha256(path) != want:
            raise ConfigError(
                f"{path} is missing or is not the file the classifier was trained with (SHA-256 "
                f"{want[:12]}...): pip install '{PACKAGE}=={PINNED_VERSION}'."
            )
    table = load_file(str(weights))["embedding.weight"].astype(np.float32)
    tok = Tokenizer.from_file(str(tokenizer))
    tok.no_padding()
    tok.no_truncation()
    return StaticEmbedder(table, tok)
