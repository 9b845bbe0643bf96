"""The convention rows of `data/classify/conventions/` (training data written for this project)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from realign.classify.train import CONVENTION_ROWS, DEFAULT_TRAIN_FILES, read_train, task_names

CONVENTIONS = Path(__file__).resolve().parents[1] / "data" / "classify" / "conventions"


def generated_rows() -> list[dict]:
    sys.path.insert(0, str(CONVENTIONS))
    try:
        import make_rows  # type: ignore[import-not-found]

        return make_rows.all_rows()
    finally:
        sys.path.remove(str(CONVENTIONS))


def test_the_committed_rows_are_what_the_generator_writes() -> None:
    committed = [json.loads(line) for line in CONVENTION_ROWS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert committed == generated_rows(), "run: python data/classify/conventions/make_rows.py"


def test_every_convention_row_is_read_for_training_with_a_known_task() -> None:
    assert CONVENTION_ROWS in DEFAULT_TRAIN_FILES
    rows, skipped = read_train(CONVENTION_ROWS, task_names())
    assert not skipped
    assert len(rows) == len(generated_rows())
    assert {"text_summarization", "information_extraction", "closed_qa", "recommendations", "math_puzzles"} <= {r.label for r in rows}
