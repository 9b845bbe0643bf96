"""The classifier interface every classifier (rules, embedded, LLM, cascade) implements, and the
one function that decides what text of a conversation a classifier sees."""

from __future__ import annotations

from typing import Protocol, Sequence

from realign.records import TaskPrediction


class Classifier(Protocol):
    """Names the task type of instructions.

    `texts` are classification inputs already built by `classification_text()` (the request of
    the conversation: its first user turn, with any input pasted into it). Implementations must
    return one prediction per text, in order, with a task name from `realign.tasks` and a
    confidence in [0, 1].
    """

    name: str

    async def classify(self, texts: Sequence[str]) -> list[TaskPrediction]: ...


def classification_text(turns: Sequence[object]) -> str:
    """What a classifier sees of a conversation: the request, and only the request.

    That is the first non-empty user turn (for Alpaca / Dolly rows the instruction followed by
    its input or context, as the readers join them). Left out on purpose:

    - the system turn: it describes the assistant ("You are a helpful assistant."), not the task,
      and most chat corpora carry one; fed to the classifier it turned almost every such row into
      `roleplay`. It is used only when the row has no user text at all;
    - every assistant turn: the label must not depend on the answer being rewritten;
    - later user turns: in a multi-turn row the first request sets the task and the follow-ups
      ("shorter", "now in Python", "why?") only make sense with it; one task is chosen per row and
      applies to every assistant turn of it (ReAlign also classifies the first turn). A
      LLaMA-Factory `history` counts as the start of the conversation, so its first user turn
      decides.
    """
    first_user = next(
        (str(t.content) for t in turns if getattr(t, "role", None) == "user" and str(getattr(t, "content", "")).strip()),  # type: ignore[attr-defined]
        "",
    )
    if first_user:
        return first_user.strip()
    system = [str(t.content) for t in turns if getattr(t, "role", None) == "system"]  # type: ignore[attr-defined]
    return "\n\n".join(system).strip()


def classification_source(roles: Sequence[str]) -> str:
    """Says, for `show`, which turn `classification_text` read the task from and what it left out."""
    users = sum(r == "user" for r in roles)
    if not users:
        return "the system turn (the row has no user text)"
    left_out = [w for w, hit in (("the system turn", "system" in roles), ("later user turns", users > 1)) if hit]
    return "the first user turn" + (f" ({' and '.join(left_out)} left out)" if left_out else "")
