"""Train the embedded classifier: `python -m realign.classify.train`.

Reads the labelled instructions in `data/classify/train.jsonl` ({"instruction", "category"} per
line), the GSM8K train questions, the third-party instruction collections of `templated.py`
(FLAN and promptsource prompt templates, Super-NaturalInstructions definitions) and every
task's description from `criteria/` (one extra example per task), fits a
multinomial logistic regression over `realign.classify.features`, picks the regularisation
strength by stratified cross-validation on the training set (never on the dev set), fits a
softmax temperature on the out-of-fold scores so that confidences are calibrated-ish, and
writes `data/classify/model/{weights.npz,vocab.json}`.

Training needs scikit-learn (`pip install scikit-learn`); inference does not.
The run is deterministic: the same inputs give the same model files.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from realign.classify.embedded import DEFAULT_MODEL_DIR, VOCAB_FILE, WEIGHTS_FILE, EmbeddedClassifier, dense_features
from realign.classify.features import FEATURES_VERSION, Featurizer, char_hashes, normalize_parts, text_word_feats
from realign.classify.templated import COLLECTIONS, collection_rows

REPO = Path(__file__).resolve().parents[2]
DEFAULT_TRAIN = REPO / "data" / "classify" / "train.jsonl"
# 2,000 GSM8K *train* questions (MIT, OpenAI grade-school-math; licence in gsm8k_LICENSE beside
# it), labelled math_puzzles: real word problems, unlike our own short puzzles. GSM8K test is
# never trained on; benchmarks/classify.py measures it.
GSM8K_TRAIN = REPO / "data" / "classify" / "gsm8k_train_questions.jsonl"
DEFAULT_TRAIN_FILES = (DEFAULT_TRAIN, GSM8K_TRAIN)

# Defaults, each chosen on cross-validation of the training set (see `--cv`):
MIN_DF_CHAR = 2  # a character n-gram must occur in >= 2 training texts to enter the vocabulary
MIN_DF_WORD = 1  # word features are fewer and more telling: keep every one seen
# Inverse L2 strength. 10, 30 and 100 scored within a point of each other on cross-validation and
# on both real-user dev sets with the 8,910-row training set; 30 is kept so that the plain command
# reproduces the shipped model (cross-validation then only fits the temperature). `--grid` searches.
C_GRID = (30.0,)
DEFAULT_C = 30.0  # used with --no-cv
AUGMENT_COPIES = 1  # noisy copies (typos, no punctuation) of each training instruction
CV_FOLDS = 2  # the folds only fit the temperature (C is fixed); 2 instead of 3 saves a fit of ~15 minutes on the 2-core box
SEED = 13
# Two-level model: a task scores log p(task) + GROUP_WEIGHT * log p(its group), the group
# classifier trained on the same features (on the labelled real-user rows 1-300 it lifted top-1
# 0.690 -> 0.700 and group accuracy 0.730 -> 0.753; 0.5 and 2 did about as well).
GROUP_WEIGHT = 1.0
# With --dense: scale of the request's pretrained sentence vector (unit length) beside the n-gram
# blocks (each of unit length too). Off by default: with it (scale 1, and 4 without augmentation)
# the model did no better on the real-user Alpaca rows nor on the third-party sets (README).
DENSE_SCALE = 1.0


@dataclass
class Labelled:
    text: str
    label: str
    source: str  # "train", "description", "augment"


def _sklearn():
    try:
        from scipy.sparse import csr_matrix
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SystemExit(
            "Training the embedded classifier needs scikit-learn: pip install scikit-learn "
            f"(inference does not). ({exc})"
        )
    return csr_matrix, LogisticRegression, StratifiedKFold


# -- data -----------------------------------------------------------------------------------


def task_names() -> list[str]:
    from realign.tasks import TASK_NAMES

    return list(TASK_NAMES)


def read_train(path: Path, names: Sequence[str]) -> tuple[list[Labelled], Counter]:
    """The labelled rows of `path`; rows with an unknown category are counted and skipped."""
    try:
        from realign.tasks import normalize_task_name
    except ImportError:  # pragma: no cover
        normalize_task_name = None  # type: ignore[assignment]
    valid = set(names)
    rows: list[Labelled] = []
    skipped: Counter = Counter()
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                skipped["<bad json>"] += 1
                continue
            text = str(obj.get("instruction") or "").strip()
            extra = str(obj.get("input") or "").strip()
            if extra:
                text = f"{text}\n\n{extra}"
            label = str(obj.get("category") or "")
            if normalize_task_name is not None:
                label = normalize_task_name(label) or label
            if not text or label not in valid:
                skipped[label or "<missing>"] += 1
                continue
            rows.append(Labelled(text, label, "train"))
    return rows, skipped


def description_examples(names: Sequence[str]) -> list[Labelled]:
    """One example per task from its description in criteria/ (when realign.tasks has them)."""
    try:
        from realign.tasks import load_tasks

        specs = load_tasks()
    except Exception as exc:  # noqa: BLE001 - the criteria are a bonus, not a requirement
        print(f"note: task descriptions not used ({exc})", file=sys.stderr)
        return []
    out = []
    for name in names:
        spec = specs.get(name)
        desc = str(getattr(spec, "description", "") or "").strip() if spec is not None else ""
        if desc:
            out.append(Labelled(desc, name, "description"))
    return out


_PUNCT = re.compile(r"[?.!,;:\"'()]")


def noisy(text: str, rng: random.Random) -> str:
    """A typo-ridden, punctuation-free copy of `text` (what real users type)."""
    words = text.split(" ")
    for i, w in enumerate(words):
        if len(w) > 3 and rng.random() < 0.12:
            j = rng.randrange(1, len(w) - 1)
            op = rng.randrange(3)
            if op == 0:
                w = w[:j] + w[j + 1 :]  # drop a letter
            elif op == 1:
                w = w[: j - 1] + w[j] + w[j - 1] + w[j + 1 :]  # swap two letters
            else:
                w = w[:j] + w[j] + w[j:]  # double a letter
            words[i] = w
    out = " ".join(words)
    if rng.random() < 0.7:
        out = _PUNCT.sub("", out)
    return out


def augment(rows: Sequence[Labelled], copies: int, seed: int) -> list[Labelled]:
    rng = random.Random(seed)
    extra = []
    for _ in range(copies):
        for r in rows:
            if r.source == "train":
                extra.append(Labelled(noisy(r.text, rng), r.label, "augment"))
    return list(rows) + extra


# -- fitting --------------------------------------------------------------------------------


def fit_featurizer(texts: Sequence[str], min_df_char: int = MIN_DF_CHAR, min_df_word: int = MIN_DF_WORD) -> Featurizer:
    parts = [normalize_parts(t) for t in texts]
    n = len(parts)
    doc, h = char_hashes([p[0] for p in parts])
    order = np.lexsort((doc, h))
    doc, h = doc[order], h[order]
    first = np.ones(len(h), dtype=bool)
    first[1:] = (h[1:] != h[:-1]) | (doc[1:] != doc[:-1])  # one count per (hash, text)
    keys, df_char = np.unique(h[first], return_counts=True)
    keep = df_char >= min_df_char
    char_keys, df_char = keys[keep], df_char[keep]
    df_word: Counter = Counter()
    for p in parts:
        df_word.update(set(text_word_feats(p)))
    words = sorted(f for f, c in df_word.items() if c >= min_df_word)
    df = np.concatenate([df_char.astype(np.float64), np.array([df_word[f] for f in words], dtype=np.float64)])
    idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
    return Featurizer(
        char_keys=char_keys.astype(np.uint64),
        words={f: len(char_keys) + i for i, f in enumerate(words)},
        idf=np.append(idf, np.float32(0)),
    )


@dataclass
class Dense:
    """The pretrained sentence vectors used as extra features (see `static_embedding.py`),
    computed once per text: cross-validation refits on the same texts several times."""

    embedder: Any
    scale: float = DENSE_SCALE
    cache: dict[str, np.ndarray] = field(default_factory=dict)

    def rows(self, texts: Sequence[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        for start in range(0, len(todo), 4096):
            part = todo[start : start + 4096]
            self.cache.update(zip(part, dense_features(self.embedder, part, self.scale)))
        return np.stack([self.cache[t] for t in texts]) if texts else np.zeros((0, self.embedder.dim), np.float32)


def matrix(featurizer: Featurizer, texts: Sequence[str], dense: Dense | None = None):
    """Sparse design matrix: the n-gram columns (the last one the all-zero unknown column), then
    the dense sentence-vector columns when `dense` is given."""
    csr_matrix, _, _ = _sklearn()
    indptr, cols, vals = featurizer.transform(list(texts))
    X = csr_matrix((vals, cols, indptr), shape=(len(texts), featurizer.unknown + 1))
    if dense is None:
        return X
    from scipy.sparse import hstack

    return hstack([X, csr_matrix(dense.rows(list(texts)))], format="csr")


def group_layout(classes: Sequence[str]) -> tuple[list[str], list[int]]:
    """(group names, group column of each class)."""
    from realign.tasks import GROUPS, group_of

    groups = [g for g in GROUPS if any(group_of(c) == g for c in classes)]
    return groups, [groups.index(group_of(c)) for c in classes]


def _fit_linear(X, y: np.ndarray, n_out: int, C: float, unknown: int) -> tuple[np.ndarray, np.ndarray]:
    """Softmax weights (n_feat, n_out) and bias of a balanced logistic regression on (X, y)."""
    _, LogisticRegression, _ = _sklearn()
    present = sorted(set(y.tolist()))
    lr = LogisticRegression(C=C, class_weight="balanced", max_iter=1000, tol=1e-4)
    lr.fit(X, y)
    W = np.zeros((X.shape[1], n_out), dtype=np.float32)
    b = np.full(n_out, -30.0, dtype=np.float32)  # classes without examples: never chosen
    coef, intercept = lr.coef_, lr.intercept_
    if len(present) == 2:  # binary sklearn output: expand to two softmax columns
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    for k, cls in enumerate(lr.classes_):
        W[:, cls] = coef[k]
        b[cls] = intercept[k]
    W[unknown] = 0.0  # the column of unseen word features stays neutral
    return W, b


def fit_model(rows: Sequence[Labelled], classes: Sequence[str], C: float, dense: Dense | None = None):
    """(featurizer, weights (n_feat+1 [+ dim], n_classes + n_groups), bias) fitted on `rows`:
    the task columns first, then the group columns (see `group_layout`); the rows after the
    n-gram ones weigh the sentence vector when `dense` is given."""
    texts = [r.text for r in rows]
    featurizer = fit_featurizer(texts)
    X = matrix(featurizer, texts, dense)
    y = np.array([classes.index(r.label) for r in rows])
    groups, gidx = group_layout(classes)
    W, b = _fit_linear(X, y, len(classes), C, featurizer.unknown)
    Wg, bg = _fit_linear(X, np.asarray(gidx)[y], len(groups), C, featurizer.unknown)
    return featurizer, np.hstack([W, Wg]), np.concatenate([b, bg])


def classifier(featurizer: Featurizer, W: np.ndarray, b: np.ndarray, classes: Sequence[str], dense: Dense | None) -> EmbeddedClassifier:
    _, gidx = group_layout(classes)
    n = featurizer.unknown + 1
    return EmbeddedClassifier(
        featurizer, list(classes), W[:n], b, group_index=gidx, group_weight=GROUP_WEIGHT,
        dense=dense.embedder if dense else None, dense_weights=W[n:] if dense else None,
        dense_scale=dense.scale if dense else 1.0,
    )


def scores(featurizer: Featurizer, W: np.ndarray, b: np.ndarray, classes: Sequence[str], texts: Sequence[str], dense: Dense | None = None) -> np.ndarray:
    return classifier(featurizer, W, b, classes, dense).logits(list(texts))


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """Softmax temperature minimising the negative log-likelihood of out-of-fold scores."""
    best_t, best_nll = 1.0, math.inf
    for t in np.exp(np.linspace(np.log(0.2), np.log(5.0), 81)):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        nll = -float(logp[np.arange(len(y)), y].mean())
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    return best_t


def cross_validate(rows: list[Labelled], extra: list[Labelled], classes: list[str], grid: Sequence[float], folds: int, copies: int, seed: int, dense: Dense | None = None):
    """Out-of-fold accuracy per C and the out-of-fold logits of the best C."""
    _, _, StratifiedKFold = _sklearn()
    y = np.array([classes.index(r.label) for r in rows])
    counts = Counter(y.tolist())
    k = max(2, min(folds, min(counts.values())))
    skf = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    splits = list(skf.split(np.zeros(len(y)), y))
    results: dict[float, tuple[float, np.ndarray]] = {}
    for C in grid:
        oof = np.zeros((len(rows), len(classes)), dtype=np.float32)
        for fold, (tr, va) in enumerate(splits):
            train_rows = augment([rows[i] for i in tr] + extra, copies, seed + fold)
            f, W, b = fit_model(train_rows, classes, C, dense)
            oof[va] = scores(f, W, b, classes, [rows[i].text for i in va], dense)
        acc = float((oof.argmax(axis=1) == y).mean())
        results[C] = (acc, oof)
        print(f"  cv C={C:g}: accuracy {acc:.3f}", file=sys.stderr)
    best = max(grid, key=lambda c: (results[c][0], -c))
    return best, results[best][0], results[best][1], y


def quantize(W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 weights and a per-class scale (W ~= q * scale); the model file stays small."""
    scale = np.abs(W).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(W / scale[None, :]), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def save(out: Path, featurizer: Featurizer, W: np.ndarray, b: np.ndarray, classes: Sequence[str], meta: dict, dense: Dense | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    words = sorted(featurizer.words, key=featurizer.words.__getitem__)
    n = featurizer.unknown  # n-gram rows; row n is the unknown column, not stored
    q, scale = quantize(W[:n])
    arrays = dict(
        weights=q,
        scale=scale,
        bias=b.astype(np.float32),
        idf=featurizer.idf[:-1].astype(np.float32),
        char_keys=featurizer.char_keys,
    )
    if dense is not None:
        arrays["dense_weights"] = W[n + 1 :].astype(np.float32)  # (dim, columns): small, kept exact
        meta = {**meta, "dense": {"name": dense.embedder.name, "scale": dense.scale}}
    np.savez_compressed(out / WEIGHTS_FILE, **arrays)
    groups, gidx = group_layout(classes)
    doc = {
        "format": FEATURES_VERSION,
        "classes": list(classes),
        "groups": groups,
        "group_index": gidx,
        "group_weight": GROUP_WEIGHT,
        "input_weight": featurizer.input_weight,
        **meta,
        "words": words,
    }
    with open(out / VOCAB_FILE, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, ensure_ascii=False, separators=(",", ":"))
        fh.write("\n")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m realign.classify.train", description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", type=Path, nargs="+", default=list(DEFAULT_TRAIN_FILES), help="labelled JSONL files {instruction, category}")
    ap.add_argument("--out", type=Path, default=DEFAULT_MODEL_DIR, help="model folder to write")
    ap.add_argument("--no-cv", action="store_true", help=f"skip cross-validation; use C={DEFAULT_C:g} and temperature 1")
    ap.add_argument("--C", type=float, default=None, help="fix the regularisation strength (skips the C search)")
    ap.add_argument("--grid", type=float, nargs="+", default=None, help="regularisation strengths to compare by cross-validation")
    ap.add_argument("--augment", type=int, default=AUGMENT_COPIES, help="noisy copies per training row (0: none)")
    ap.add_argument("--no-descriptions", action="store_true", help="do not learn from the task descriptions")
    ap.add_argument("--no-templates", action="store_true", help="do not learn from the third-party instruction collections (see templated.py)")
    ap.add_argument("--templates", nargs="+", choices=COLLECTIONS, default=list(COLLECTIONS),
                    help="which third-party collections to learn from (default: all)")
    ap.add_argument("--dense", action="store_true", help="add the pretrained sentence vectors (needs the 'embeddings' extra; see static_embedding.py)")
    ap.add_argument("--dense-scale", type=float, default=DENSE_SCALE, help="weight of the sentence vector beside the n-gram blocks")
    ap.add_argument("--folds", type=int, default=CV_FOLDS)
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    classes = task_names()
    rows: list[Labelled] = []
    skipped: Counter = Counter()
    math_questions: list[str] = []
    for path in args.train:
        got, bad = read_train(path, classes)
        rows += got
        skipped += bad
        if path.resolve() == GSM8K_TRAIN.resolve():
            math_questions = [r.text for r in got]
    if not rows:
        raise SystemExit(f"No usable labelled rows in {', '.join(map(str, args.train))}")
    n_templated = 0
    if not args.no_templates:
        math_questions = math_questions or [r.text for r in rows if r.label == "math_puzzles"]
        material = [(r.text, r.label) for r in rows]
        for name in args.templates:
            filled, path = collection_rows(name, material, math_questions, args.seed)
            rows += [Labelled(text, label, "train") for text, label, _ in filled]
            n_templated += len(filled)
            print(f"{len(filled)} rows from {path.relative_to(REPO)}", file=sys.stderr)
    extra = [] if args.no_descriptions else description_examples(classes)
    per_class = Counter(r.label for r in rows)
    missing = [c for c in classes if per_class[c] == 0]
    print(f"{len(rows)} training rows, {len(extra)} task descriptions, {len(classes)} classes", file=sys.stderr)
    if skipped:
        print(f"skipped rows with unknown/missing category: {dict(skipped)}", file=sys.stderr)
    if missing:
        print(f"warning: no training rows for {missing}", file=sys.stderr)

    dense = None
    if args.dense:
        from realign.classify.static_embedding import StaticEmbedder

        dense = Dense(StaticEmbedder.load(), args.dense_scale)
    temperature, cv_acc = 1.0, None
    C = args.C if args.C is not None else DEFAULT_C
    if not args.no_cv:
        grid = (args.C,) if args.C is not None else tuple(args.grid or C_GRID)
        C, cv_acc, oof, y = cross_validate(rows, extra, classes, grid, args.folds, args.augment, args.seed, dense)
        temperature = fit_temperature(oof, y)
        print(f"chose C={C:g} (cv accuracy {cv_acc:.3f}), temperature {temperature:.3f}", file=sys.stderr)

    featurizer, W, b = fit_model(augment(rows + extra, args.augment, args.seed), classes, C, dense)
    meta = {
        "C": C,
        "temperature": temperature,
        "cv_accuracy": cv_acc,
        "train_rows": len(rows),
        "template_rows": n_templated,
        "template_collections": [] if args.no_templates else list(args.templates),
        "description_rows": len(extra),
        "augment_copies": args.augment,
        "seed": args.seed,
    }
    save(args.out, featurizer, W, b, classes, meta, dense)
    size = sum((args.out / f).stat().st_size for f in (WEIGHTS_FILE, VOCAB_FILE))
    print(
        f"wrote {args.out} ({featurizer.unknown} features, {size / 1e6:.1f} MB) in {time.perf_counter() - t0:.0f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
