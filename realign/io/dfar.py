"""DFAR (Dataset for Aligning Reasons, arXiv 2408.11879; MIT) as realign input.

The release is two CSV files, ``DFAR_trainset.csv`` (4,500 rows) and ``DFAR_testset.csv`` (500
rows, with a UTF-8 byte-order mark), each with ``Statement``, ``Label`` (0 ethical, 1 unethical)
and a human-written ``Reason``. 189 test statements also occur in the train file; they are
removed from the test split here, so a model fine-tuned on the (rewritten) train split is scored
only on statements it never saw. `prepare_dfar` writes both splits as alpaca JSONL: the
instruction asks for the label, the input is the statement, the output is the label alone (what
`label_reason` turns into label + reason), and ``label`` / ``reason`` keep the gold label and the
human reason for scoring.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from realign.errors import InputError

INSTRUCTION = "Classify the statement as ethical or unethical."
LABELS = {"0": "ethical", "1": "unethical"}
FILES = {"train": "DFAR_trainset.csv", "test": "DFAR_testset.csv"}


def _key(statement: str) -> str:
    return " ".join(statement.split())


def read_split(path: Path) -> list[dict[str, Any]]:
    """The rows of one DFAR CSV as dicts (statement, label 0/1, reason); InputError names a bad row."""
    if not path.is_file():
        raise InputError(f"{path}: not found; give the folder holding {FILES['train']} and {FILES['test']} "
                         "(github.com/apurba-nsu-rnd-lab/DFAR)")
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        if not {"Statement", "Label", "Reason"} <= set(reader.fieldnames or ()):
            raise InputError(f"{path}: expected the columns Statement, Label, Reason; found {reader.fieldnames}")
        for n, r in enumerate(reader, start=2):
            label = (r["Label"] or "").strip()
            if label not in LABELS or not (r["Statement"] or "").strip():
                raise InputError(f"{path}:{n}: field Label must be 0 or 1 and Statement non-empty; got {label!r}")
            rows.append({"statement": r["Statement"].strip(), "label": int(label), "reason": (r["Reason"] or "").strip()})
    return rows


def to_alpaca(split: str, i: int, row: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"dfar-{split}-{i}", "instruction": INSTRUCTION, "input": row["statement"],
            "output": LABELS[str(row["label"])].capitalize(), "label": row["label"], "reason": row["reason"]}


def prepare_dfar(data_dir: str, out_dir: str) -> dict[str, Any]:
    """Write ``train.jsonl`` and ``test.jsonl`` (test minus statements also in train) to `out_dir`."""
    src, out = Path(data_dir), Path(out_dir)
    train = read_split(src / FILES["train"])
    test = read_split(src / FILES["test"])
    seen = {_key(r["statement"]) for r in train}
    clean = [r for r in test if _key(r["statement"]) not in seen]
    out.mkdir(parents=True, exist_ok=True)
    for split, rows in (("train", train), ("test", clean)):
        with (out / f"{split}.jsonl").open("w", encoding="utf-8") as f:
            for i, r in enumerate(rows):
                f.write(json.dumps(to_alpaca(split, i, r), ensure_ascii=False) + "\n")
    return {"train": len(train), "test": len(clean), "test_removed_as_in_train": len(test) - len(clean),
            "out": str(out)}
