"""The embedded classifier: n-gram features and static sentence embeddings, one linear softmax.

No network, no GPU, no download: the model is two small files under `data/classify/model/`
(`weights.npz` and `vocab.json`), written by `python -m realign.classify.train`. Its features are
the hashed character / word n-grams of `features.py` and, only when the model was trained with
`--dense` (`meta["dense"]`), the 256-dimensional mean-pooled WordLlama vector of the request
(`static_embedding.py`, the optional `embeddings` extra; the shipped model does not use it).
Loading takes about half a second and prediction runs at thousands of instructions per second.

Example:
    >>> clf = EmbeddedClassifier.load()
    >>> clf.predict(["Translate 'good morning' into German"])[0].task
    'text_to_text_translation'
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from realign.classify.features import FEATURES_VERSION, INPUT_WEIGHT, Featurizer, split_input
from realign.errors import ConfigError
from realign.resources import resource_dir
from realign.records import TaskPrediction

MODEL_ENV = "REALIGN_CLASSIFIER_MODEL"  # overrides the model folder
DEFAULT_MODEL_DIR = resource_dir("classifier-model")
WEIGHTS_FILE = "weights.npz"
VOCAB_FILE = "vocab.json"
_CHUNK = 512  # texts featurised per numpy pass
_BLOCK_NNZ = 8192  # features scored per numpy pass (keeps the temporary array in cache)
_THREADS = min(2, os.cpu_count() or 1)  # threads for batches of more than one chunk


def model_dir() -> Path:
    """The folder the model is read from: $REALIGN_CLASSIFIER_MODEL, else the shipped one."""
    env = os.environ.get(MODEL_ENV)
    return Path(env) if env else DEFAULT_MODEL_DIR


class EmbeddedClassifier:
    """Linear softmax classifier over `Featurizer` rows; see the module docstring."""

    name = "embedded"

    def __init__(
        self,
        featurizer: Featurizer,
        classes: list[str],
        weights: np.ndarray,  # (n_features + 1, n_classes) float32, last row zero (unknown)
        bias: np.ndarray,  # (n_classes,) float32
        temperature: float = 1.0,
        meta: dict | None = None,
        group_index: Sequence[int] | None = None,
        group_weight: float = 1.0,
        dense: object | None = None,
        dense_weights: np.ndarray | None = None,
        dense_scale: float = 1.0,
    ) -> None:
        """`weights`/`bias` may carry extra trailing columns, one per task group: then
        `group_index[k]` is the group column (0-based among the group columns) of class k, and
        a class scores log p(task) + group_weight * log p(group of task), both softmaxes over the
        linear scores of their own columns (a two-level model: the group classifier, trained on
        ten well-populated groups, steadies the choice among 46 tasks).

        `dense` (a `StaticEmbedder`) with `dense_weights` (dim, n_columns) adds the linear score of
        the request's embedding, scaled by `dense_scale`, to every column."""
        self.featurizer = featurizer
        self.classes = list(classes)
        self.weights = weights
        self.bias = bias
        self.temperature = float(temperature)
        self.meta = meta or {}
        self.group_index = None if group_index is None else np.asarray(group_index, dtype=np.int64)
        self.group_weight = float(group_weight)
        self.dense = dense
        self.dense_weights = dense_weights
        self.dense_scale = float(dense_scale)

    # -- loading ---------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path | None = None) -> EmbeddedClassifier:
        """Load the model folder (default: `model_dir()`); cached per folder within a process."""
        folder = Path(path) if path is not None else model_dir()
        return _load_cached(str(folder.resolve()))

    # -- prediction ------------------------------------------------------------------------

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Temperature-scaled class scores, shape (len(texts), n_classes).

        Large batches are split into chunks scored on up to `_THREADS` threads (numpy's sorting
        and arithmetic release the GIL, so a second core helps).
        """
        texts = list(texts)
        out = np.empty((len(texts), len(self.classes)), dtype=np.float32)
        if not texts:
            return out
        starts = range(0, len(texts), _CHUNK)
        if len(starts) > 1 and _THREADS > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=_THREADS) as pool:
                for start, scores in zip(starts, pool.map(lambda s: self._score(texts[s : s + _CHUNK]), starts)):
                    out[start : start + len(scores)] = scores
        else:
            for start in starts:
                chunk = texts[start : start + _CHUNK]
                out[start : start + len(chunk)] = self._score(chunk)
        return out / self.temperature

    def _score(self, chunk: Sequence[str]) -> np.ndarray:
        raw = self._linear(chunk)
        k = len(self.classes)
        if self.group_index is None:
            return raw[:, :k]
        return _log_softmax(raw[:, :k]) + self.group_weight * _log_softmax(raw[:, k:])[:, self.group_index]

    def _linear(self, chunk: Sequence[str]) -> np.ndarray:
        indptr, cols, vals = self.featurizer.transform(chunk)
        scores = np.broadcast_to(self.bias, (len(chunk), self.weights.shape[1])).copy()
        # Score rows in blocks of at most _BLOCK_NNZ features, so that the temporary
        # (features x classes) array stays in cache even for long texts.
        r, n = 0, len(chunk)
        while r < n:
            e = int(np.searchsorted(indptr, indptr[r] + _BLOCK_NNZ, side="right")) - 1
            e = min(max(e, r + 1), n)
            lo, hi = int(indptr[r]), int(indptr[e])
            if hi > lo:
                contrib = self.weights[cols[lo:hi]]
                contrib *= vals[lo:hi, None]
                nz = np.nonzero(np.diff(indptr[r : e + 1]))[0]
                scores[r + nz] += np.add.reduceat(contrib, indptr[r:e][nz] - lo, axis=0)
            r = e
        if self.dense is not None and self.dense_weights is not None:
            scores += dense_features(self.dense, chunk, self.dense_scale) @ self.dense_weights
        return scores

    def proba(self, texts: Sequence[str]) -> np.ndarray:
        """Softmax probabilities, shape (len(texts), n_classes); columns follow `classes`."""
        z = self.logits(texts)
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z

    def predict(self, texts: Sequence[str]) -> list[TaskPrediction]:
        """The most probable task of each text, its probability as confidence."""
        if not len(texts):
            return []
        p = self.proba(list(texts))
        best = p.argmax(axis=1)
        return [
            TaskPrediction(task=self.classes[j], confidence=float(min(1.0, max(0.0, p[i, j]))), method=self.name)
            for i, j in enumerate(best)
        ]

    def top_k(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        """The k most probable tasks of one text with their probabilities, best first."""
        p = self.proba([text])[0]
        order = np.argsort(-p)[: max(0, k)]
        return [(self.classes[j], float(p[j])) for j in order]

    async def classify(self, texts: Sequence[str]) -> list[TaskPrediction]:
        return self.predict(texts)


def dense_features(embedder: object, texts: Sequence[str], scale: float) -> np.ndarray:
    """The embedding of each text's request part (before any pasted input), times `scale`: the
    input's topic says little about the task (see `features.split_input`)."""
    return embedder.embed([split_input(t)[0] for t in texts]) * np.float32(scale)  # type: ignore[attr-defined]


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


@lru_cache(maxsize=4)
def _load_cached(folder: str) -> EmbeddedClassifier:
    root = Path(folder)
    vocab_path, weights_path = root / VOCAB_FILE, root / WEIGHTS_FILE
    if not vocab_path.is_file() or not weights_path.is_file():
        raise ConfigError(
            f"No embedded classifier model in {root} (expected {VOCAB_FILE} and {WEIGHTS_FILE}). "
            f"Train one with `python -m realign.classify.train`, or point ${MODEL_ENV} at a model folder."
        )
    with open(vocab_path, encoding="utf-8") as fh:
        meta = json.load(fh)
    if meta.get("format") != FEATURES_VERSION:
        raise ConfigError(
            f"Embedded classifier model in {root} was built for feature format {meta.get('format')}, "
            f"this realign computes format {FEATURES_VERSION}: retrain it with `python -m realign.classify.train`."
        )
    words: list[str] = meta.pop("words")
    with np.load(weights_path) as npz:
        q = npz["weights"]
        scale = npz["scale"].astype(np.float32)
        bias = npz["bias"].astype(np.float32)
        idf = npz["idf"].astype(np.float32)
        char_keys = npz["char_keys"].astype(np.uint64)
        dense_weights = npz["dense_weights"].astype(np.float32) if "dense_weights" in npz.files else None
    n_feat = len(char_keys) + len(words)
    group_index = meta.get("group_index")
    n_cols = len(meta.get("classes", ())) + (len(meta.get("groups", ())) if group_index is not None else 0)
    if q.shape[0] != n_feat or idf.shape[0] != n_feat or n_cols != q.shape[1]:
        raise ConfigError(f"Embedded classifier model in {root} is inconsistent: retrain it.")
    weights = np.zeros((n_feat + 1, q.shape[1]), dtype=np.float32)
    np.multiply(q, scale[None, :], out=weights[:n_feat], casting="unsafe")
    featurizer = Featurizer(
        char_keys=char_keys,
        words=dict(zip(words, range(len(char_keys), n_feat))),
        idf=np.append(idf, np.float32(0.0)),
        input_weight=float(meta.get("input_weight", INPUT_WEIGHT)),
    )
    dense = None
    dense_meta = meta.get("dense")
    if dense_meta:
        from realign.classify.static_embedding import StaticEmbedder

        dense = StaticEmbedder.load()
        if dense_meta.get("name") != dense.name or dense_weights is None or dense_weights.shape != (dense.dim, q.shape[1]):
            raise ConfigError(f"Embedded classifier model in {root} expects {dense_meta.get('name')} vectors: retrain it.")
    return EmbeddedClassifier(
        featurizer,
        classes=meta["classes"],
        weights=weights,
        bias=bias,
        temperature=float(meta.get("temperature", 1.0)),
        meta=meta,
        group_index=group_index,
        group_weight=float(meta.get("group_weight", 1.0)),
        dense=dense,
        dense_weights=dense_weights,
        dense_scale=float(dense_meta.get("scale", 1.0)) if dense_meta else 1.0,
    )
