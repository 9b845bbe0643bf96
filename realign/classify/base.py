"""The classifier interface every classifier (rules, embedded, LLM, cascade) implements."""

from __future__ import annotations

from typing import Protocol, Sequence

from realign.records import TaskPrediction


class Classifier(Protocol):
    """Names the task type of instructions.

    `texts` are classification inputs already built by `classification_text()` (first user turn
    plus its context). Implementations must return one prediction per text, in order, with a task
    name from `realign.tasks` and a confidence in [0, 1].
    """

    name: str

    async def classify(self, texts: Sequence[str]) -> list[TaskPrediction]: ...


def classification_text(turns: Sequence[object]) -> str:
    """What a classifier sees of a conversation: any system turn, then the first user turn."""
    system = [t.content for t in turns if getattr(t, "role", None) == "system"]  # type: ignore[attr-defined]
    user = next((t.content for t in turns if getattr(t, "role", None) == "user"), "")  # type: ignore[attr-defined]
    return ("\n\n".join(system + [user])).strip()
