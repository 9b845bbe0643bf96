"""Truthfulness: rewrites that contradict their evidence, and rows that overlap a truthfulness
benchmark (contamination).

- Contradiction: for a turn that was given evidence, the key-facts check of the answer contract
  (verify/facts.py) is run with the evidence as known text: a rewrite that drops a number or name
  of the original and states one that neither the original, the question nor the evidence gives
  ("ratified in 1791" -> "in 1689") contradicts what it was given.
- Contamination: a row whose instruction or response contains a TruthfulQA question (Lin, Hilton
  and Evans 2021; Apache-2.0) or any question of the configured files, matched on word 6-grams
  (at least half of the question's 6-grams, or the whole question when it is shorter), so a
  benchmark item pasted with small edits is still found. Training on benchmark items inflates
  that benchmark's score.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from realign.verify.base import CheckInput
from realign.verify.facts import check_facts

N = 6  # words per n-gram
_WORD = re.compile(r"[a-z0-9]+")
BUILTIN_QUESTIONS = Path(__file__).with_name("truthfulqa_questions.txt")


def contradiction(instruction: str, original: str, rewrite: str, evidence: str) -> str | None:
    """Why the rewrite contradicts the evidence it was given, or None (no evidence: None)."""
    if not evidence.strip() or original.strip() == rewrite.strip():
        return None
    result = check_facts(CheckInput(task="open_qa", instruction=instruction, original=original,
                                    candidate=rewrite, evidence=evidence))
    if result.passed or not result.reason.startswith("fact changed"):
        return None
    return f"{result.reason} (the evidence does not state it)"


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _grams(words: list[str]) -> set[tuple[str, ...]]:
    if len(words) < N:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + N]) for i in range(len(words) - N + 1)}


def read_questions(path: str | Path) -> list[str]:
    """Questions from a text file (one a line, '#' comments) or JSONL ('question' / 'instruction' /
    'Question' field)."""
    out: list[str] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("{"):
            obj = json.loads(line)
            q = obj.get("question") or obj.get("Question") or obj.get("instruction")
            if isinstance(q, str):
                out.append(q)
        else:
            out.append(line)
    return out


class BenchmarkIndex:
    """Word 6-grams of benchmark questions, for finding them inside corpus rows."""

    def __init__(self, questions: list[str], source: str) -> None:
        self.source = source
        self.questions = questions
        self._need: list[int] = []
        self._index: dict[tuple[str, ...], list[int]] = {}
        for i, q in enumerate(questions):
            grams = _grams(_words(q))
            self._need.append(max(1, (len(grams) + 1) // 2))
            for g in grams:
                self._index.setdefault(g, []).append(i)

    def find(self, text: str) -> str | None:
        """The first benchmark question `text` contains (by the overlap rule), or None."""
        words = _words(text)
        hits: dict[int, int] = {}
        for g in _grams(words) | ({tuple(words[i : i + k]) for k in range(1, N) for i in range(len(words) - k + 1)}
                                 if len(words) < 4 * N else set()):
            for i in self._index.get(g, ()):
                hits[i] = hits.get(i, 0) + 1
        for i, n in hits.items():
            if n >= self._need[i]:
                return self.questions[i]
        return None


@lru_cache(maxsize=8)
def benchmark_index(extra_files: tuple[str, ...] = ()) -> BenchmarkIndex:
    questions = read_questions(BUILTIN_QUESTIONS)
    for f in extra_files:
        questions += read_questions(f)
    return BenchmarkIndex(questions, "TruthfulQA" + (" + " + ", ".join(extra_files) if extra_files else ""))
