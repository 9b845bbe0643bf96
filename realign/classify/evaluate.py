"""Score a classifier against labelled data: the library behind `realign classify --gold`.

Example:
    >>> s = score(["open_qa", "closed_qa", "poem_generation"], ["open_qa", "open_qa", "Poem Generation"])
    >>> s["accuracy"], s["group_accuracy"]
    (0.6666666666666666, 1.0)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Sequence

from realign.classify.base import classification_text
from realign.errors import InputError
from realign.io.readers import read_records, row_id, type_name
from realign.records import where_in
from realign.tasks import TASK_NAMES, group_of, normalize_task_name

TOP_CONFUSIONS = 15


def _canonical(label: Any) -> str | None:
    if not isinstance(label, str):
        return None
    return label if label in _NAMES else normalize_task_name(label)


_NAMES = frozenset(TASK_NAMES)


def score(preds: Sequence[str], gold: Sequence[str]) -> dict[str, Any]:
    """Compare predicted task names with gold labels.

    Gold labels are matched leniently (case, spaces, hyphens: `normalize_task_name`). A gold
    label that names none of the 46 tasks is not scored: it is counted under
    "unknown_gold" (label -> count) and left out of "n" and of every rate.

    Returns {"n", "accuracy", "group_accuracy", "per_task": {task: {"precision", "recall",
    "support"}}, "confusions": [(gold, pred, count), ...] (the 15 most frequent errors),
    "unknown_gold": {label: count}, "n_unknown_gold"}.
    """
    if len(preds) != len(gold):
        raise ValueError(f"score(): {len(preds)} predictions for {len(gold)} gold labels")
    unknown: Counter = Counter()
    pairs: list[tuple[str, str]] = []
    for p, g in zip(preds, gold):
        gc = _canonical(g)
        if gc is None:
            unknown[str(g)] += 1
            continue
        pairs.append((gc, _canonical(p) or str(p)))
    n = len(pairs)
    right = sum(g == p for g, p in pairs)
    group_right = sum(_group(g) == _group(p) for g, p in pairs)
    support = Counter(g for g, _ in pairs)
    predicted = Counter(p for _, p in pairs)
    hits = Counter(g for g, p in pairs if g == p)
    per_task = {}
    for task in [t for t in TASK_NAMES if support[t] or predicted[t]] + sorted(set(predicted) - _NAMES):
        per_task[task] = {
            "precision": hits[task] / predicted[task] if predicted[task] else 0.0,
            "recall": hits[task] / support[task] if support[task] else 0.0,
            "support": support[task],
        }
    errors = Counter((g, p) for g, p in pairs if g != p)
    confusions = [(g, p, c) for (g, p), c in sorted(errors.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_CONFUSIONS]]
    return {
        "n": n,
        "accuracy": right / n if n else 0.0,
        "group_accuracy": group_right / n if n else 0.0,
        "per_task": per_task,
        "confusions": confusions,
        "unknown_gold": dict(unknown.most_common()),
        "n_unknown_gold": sum(unknown.values()),
    }


def _group(task: str) -> str | None:
    try:
        return group_of(task)
    except ValueError:
        return None


# -- reading labelled data -----------------------------------------------------------------


@dataclass
class LabelledSet:
    """Classification inputs and their gold labels, in file order."""

    texts: list[str] = field(default_factory=list)  # classification_text() of each row
    gold: list[str] = field(default_factory=list)  # the raw gold label (may name no task)
    skipped: list[str] = field(default_factory=list)  # one line per unusable row: where and why
    # where each text came from, for the per-row predictions: {"line": L, "id": ID} (either may be absent)
    origins: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)


_ROLE = {"human": "user", "user": "user", "system": "system", "developer": "system"}


def _turns(items: Any) -> list[Any]:
    out = []
    for it in items if isinstance(items, list) else []:
        if not isinstance(it, dict):
            continue
        role = str(it.get("role", it.get("from", ""))).lower()
        content = it.get("content", it.get("value", ""))
        if isinstance(content, list):
            content = "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        out.append(SimpleNamespace(role=_ROLE.get(role, "assistant"), content=str(content or "")))
    return out


def row_text(row: dict[str, Any]) -> str:
    """What a classifier sees of a raw row of any of the usual shapes, responses not needed."""
    for key in ("messages", "conversations"):
        if isinstance(row.get(key), list):
            turns = _turns(row[key])
            if isinstance(row.get("system"), str) and row["system"].strip():
                turns.insert(0, SimpleNamespace(role="system", content=row["system"]))
            return classification_text(turns)  # the first user turn; the system only without one
    for key in ("instruction", "question", "prompt", "query", "text"):
        value = row.get(key)
        if isinstance(value, str) and value.strip():
            extra = row.get("input") or row.get("context") or ""
            extra = extra if isinstance(extra, str) else ""
            return f"{value.strip()}\n\n{extra.strip()}".strip()
    return ""


def _no_text(row: dict[str, Any]) -> str:
    """Why `row_text` found nothing: the field at fault when one is there (as `rewrite` says it)."""
    for key in ("messages", "conversations"):
        if key in row and not isinstance(row[key], list):
            return f"field '{key}' must be a list of turns, got {type_name(row[key])}"
    for key in ("instruction", "question", "prompt", "query", "text"):
        if key in row:
            value = row[key]
            return f"field '{key}' is empty" if isinstance(value, str) else \
                f"field '{key}' must be a string, got {type_name(value)}"
    return "no instruction text (expected messages, conversations or instruction)"


def read_labelled(path: str | Path, gold_field: str | None = "category") -> LabelledSet:
    """Read labelled instructions: JSON Lines, a JSON array or Parquet, in any shape that
    `realign.io.readers` reads (alpaca, dolly, sharegpt, messages, gsm8k), or bare
    {"instruction", gold_field} rows without responses. Multi-turn rows are classified from
    their first user turn, never the system turn (`classification_text`).

    Rows without a gold label or without a text are listed in `.skipped`, not fatal. Gold
    labels are kept as written; `score()` decides which name a task. With `gold_field=None`
    no label is read (`.gold` stays empty): the file is only to be classified.
    """
    p = str(path)
    out = LabelledSet()
    for rec in read_records(p):
        row = rec.obj
        where = where_in(p, rec.line, rec.index)
        if rec.error is not None:
            out.skipped.append(f"{where}: {rec.error}")
            continue
        gold = row.get(gold_field) if gold_field else ""
        if gold_field and (gold is None or (isinstance(gold, str) and not gold.strip())):
            out.skipped.append(f"{where}: no gold label in field '{gold_field}'")
            continue
        text = row_text(row)
        if not text:
            out.skipped.append(f"{where}: {_no_text(row)}")
            continue
        out.texts.append(text)
        out.origins.append({**({"line": rec.line} if rec.line is not None else {"row": rec.index}),
                            "id": row_id(row)})  # the id `rewrite` and `show` use for the row
        if gold_field:
            out.gold.append(str(gold).strip())
    if not out.texts:
        detail = f"; first problem: {out.skipped[0]}" if out.skipped else ""
        what = f"labelled rows with field '{gold_field}'" if gold_field else "rows with an instruction"
        raise InputError(f"{p}: no {what}{detail}")
    return out


async def classify_labelled(data: LabelledSet, classifier: Any) -> dict[str, Any]:
    """Classify every text of `data`; the distribution, the methods used and, when `data` has
    gold labels, `score()`'s figures. Per-row predictions come back under "predictions"."""
    preds = await classifier.classify(data.texts)
    distribution = Counter(p.task for p in preds)
    groups = Counter(_group(p.task) for p in preds)
    out: dict[str, Any] = {
        "n": len(preds),
        "distribution": dict(distribution.most_common()),
        "group_distribution": dict(groups.most_common()),
        "methods": dict(Counter(p.method for p in preds).most_common()),
        "mean_confidence": round(sum(p.confidence for p in preds) / len(preds), 4) if preds else None,
        "skipped": data.skipped,
        # per row: where it came from (line, id), the prediction, and the gold label when scored
        "predictions": [{**(data.origins[i] if i < len(data.origins) else {}), **p.model_dump(),
                         **({"gold": data.gold[i]} if data.gold else {})} for i, p in enumerate(preds)],
    }
    if data.gold:
        out.update(score([p.task for p in preds], data.gold))
    return out


def read_line_labels(labels: str | Path, source: str | Path) -> LabelledSet:
    """Gold labels kept apart from their text: `labels` is JSONL of {"line", "category"} pointing
    at 1-based lines of the JSONL file `source` (for data whose licence keeps it out of the repo)."""
    import json

    rows = [json.loads(line) for line in Path(source).read_text(encoding="utf-8").splitlines() if line.strip()]
    out = LabelledSet()
    for line in Path(labels).read_text(encoding="utf-8").splitlines():
        if line.strip():
            lab = json.loads(line)
            out.texts.append(row_text(rows[lab["line"] - 1]))
            out.gold.append(lab["category"])
    return out


# Held-out chat-benchmark questions (data/classify/heldout/, SOURCE.md there): the benchmark's own
# category decides the gold, once per category; categories not listed mix several of our types
# and are not scored. Values: (gold task or None when only the group is fixed, gold group).
HELDOUT_DIR = Path(__file__).resolve().parents[2] / "data" / "classify" / "heldout"
FASTCHAT_FILES = {
    "MT-bench first turns": HELDOUT_DIR / "mt_bench_first_turns.jsonl",
    "Vicuna bench": HELDOUT_DIR / "vicuna_bench_questions.jsonl",
}
FASTCHAT_GOLD: dict[str, tuple[str | None, str]] = {
    "roleplay": ("roleplay", "Conversation"),
    "math": ("math_puzzles", "Specialized educational dialog"),
    "coding": (None, "Code"),
    "extraction": (None, "Extraction"),
}


@dataclass
class CategoryMapped:
    """The scored rows of a file labelled by category, and the text of every row."""

    texts: list[str]
    gold_task: list[str | None]
    gold_group: list[str]
    categories: list[str]  # the file's own category of each scored row
    every_text: list[str]


def read_fastchat(path: str | Path) -> CategoryMapped:
    """A held-out FastChat question file ({question_id, category, instruction} per line)."""
    import json

    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    scored = [r for r in rows if r["category"] in FASTCHAT_GOLD]
    return CategoryMapped(
        texts=[r["instruction"] for r in scored],
        gold_task=[FASTCHAT_GOLD[r["category"]][0] for r in scored],
        gold_group=[FASTCHAT_GOLD[r["category"]][1] for r in scored],
        categories=[r["category"] for r in scored],
        every_text=[r["instruction"] for r in rows],
    )
