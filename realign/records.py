"""Row types that flow between the stages.

Everything that crosses a stage boundary is one of these pydantic models, so a stage can be
tested alone and the store can persist any of them as JSON without bespoke code.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer

# "tool_call": an assistant turn that calls a tool (OpenAI `tool_calls` / `function_call`, ShareGPT
# `function_call`, a Hermes `<tool_call>` block); "tool": what a tool returned (OpenAI `tool` /
# `function`, ShareGPT `observation`, Llama's `ipython`). Both are kept exactly as read and never
# rewritten; a text answer after a tool result is rewritten with that result in its prompt.
Role = Literal["system", "user", "assistant", "tool_call", "tool"]
TOOL_ROLES = ("tool_call", "tool")
Status = Literal["rewritten", "kept_original", "passthrough", "failed"]


class Turn(BaseModel):
    role: Role
    content: str
    # The turn's other keys as read (`weight`, `name`, `loss`, ...): trainers read them, so the
    # exports with per-turn objects write them back unchanged. Left out of the dump when empty, so
    # the stored turns JSON of a row without any stays as it was.
    extra: dict[str, Any] = Field(default_factory=dict)

    @model_serializer(mode="wrap")
    def _drop_empty_extra(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        if not data.get("extra"):
            data.pop("extra", None)
        return data

    def shown(self) -> str:
        """The turn's text for a person or a prompt: its content, or for a tool call written
        without text (OpenAI `tool_calls` / `function_call`), those calls as JSON."""
        if self.role == "tool_call" and not self.content.strip():
            calls = {k: self.extra[k] for k in ("tool_calls", "function_call") if self.extra.get(k)}
            if calls:
                return json.dumps(calls, ensure_ascii=False, default=str)
        return self.content

    def as_object(self, role_key: str = "role", content_key: str = "content", role: str | None = None) -> dict[str, Any]:
        """The turn as an export's per-turn object: its role and content under the shape's keys,
        then its extra keys (the shape's own keys win a clash)."""
        out: dict[str, Any] = {role_key: self.role if role is None else role, content_key: self.content}
        out.update((k, v) for k, v in self.extra.items() if k not in out)
        return out


class Example(BaseModel):
    """One input row, normalised to a conversation.

    `fields` keeps the row's original non-conversation fields (e.g. Alpaca's `instruction` and
    `input`, a GSM8K `question`) so exporters can write the row back in its own shape.
    """

    id: str
    source_index: int  # 0-based position of the row in the input
    line: int | None = None  # 1-based line number in the file, when the format has lines
    format: str  # detected input format: alpaca, sharegpt, messages, dolly, gsm8k
    turns: list[Turn]
    fields: dict[str, Any] = Field(default_factory=dict)

    @property
    def instruction(self) -> str:
        """The first user turn: what classification looks at."""
        for t in self.turns:
            if t.role == "user":
                return t.content
        return ""

    def assistant_indices(self) -> list[int]:
        return [i for i, t in enumerate(self.turns) if t.role == "assistant"]

    def unanswered_indices(self) -> list[int]:
        """Assistant turns with no user turn before them (a bot's opening greeting): they answer
        nothing, so they are left as they are, neither rewritten nor checked."""
        first_user = next((i for i, t in enumerate(self.turns) if t.role == "user"), len(self.turns))
        return [i for i in self.assistant_indices() if i < first_user]

    def empty_indices(self) -> list[int]:
        """Assistant turns with no text (a chat logged without the model's reply, a reference
        answer left blank): there is nothing to reformat, and a rewrite would be a new answer,
        so they are left as they are, neither rewritten nor checked."""
        return [i for i in self.assistant_indices() if not self.turns[i].content.strip()]

    def tool_indices(self) -> list[int]:
        """Tool calls and tool results: kept exactly as read, never rewritten nor checked."""
        return [i for i, t in enumerate(self.turns) if t.role in TOOL_ROLES]

    def untouched(self) -> dict[int, str]:
        """Every assistant turn (tool calls included) a rewrite never targets, with the reason
        `show` gives for it."""
        reasons = {i: TOOL_CALL_REASON for i, t in enumerate(self.turns) if t.role == "tool_call"}
        reasons.update((i, EMPTY_REASON) for i in self.empty_indices())
        reasons.update((i, UNANSWERED_REASON) for i in self.unanswered_indices())
        return dict(sorted(reasons.items()))

    def answer_indices(self) -> list[int]:
        """Assistant turns that answer a user turn: the ones a rewrite may target."""
        skip = set(self.unanswered_indices())
        return [i for i in self.assistant_indices() if i not in skip]

    def rewritable_indices(self) -> list[int]:
        """Answering turns with text: the ones a rewrite does target."""
        skip = set(self.empty_indices())
        return [i for i in self.answer_indices() if i not in skip]


# Why `show` lists a turn of `Example.untouched` without an outcome.
UNANSWERED_REASON = "left as it is: no user turn comes before it, so it answers nothing (not rewritten, not checked)"
EMPTY_REASON = "left as it is: the response is empty, so there is nothing to reformat (not rewritten, not checked)"
TOOL_CALL_REASON = "left as it is: a tool call, exported exactly as read (not rewritten, not checked)"



def row_name(index: int) -> str:
    """How a row without a line (a JSON array element, a Parquet row, a dataset row) is named to a
    person: counted from 1, as lines are; `store.quarantined_at` reads the name back."""
    return f"row {index + 1}"


def where_in(path: str, line: int | None, index: int) -> str:
    """FILE:LINE, or FILE row N where the input has no lines."""
    return f"{path}:{line}" if line is not None else f"{path} {row_name(index)}"


class BadRow(BaseModel):
    """An input row that could not become an Example; it goes to the quarantine table."""

    source_index: int
    line: int | None = None
    field: str | None = None  # the offending field, when one is to blame
    error: str  # a sentence a person understands
    raw: str  # the row as read (decoded with replacement if it was not valid UTF-8)

    def describe(self, path: str) -> str:
        where = where_in(path, self.line, self.source_index)
        field = f", field '{self.field}'" if self.field else ""
        return f"{where}{field}: {self.error}"


class TaskPrediction(BaseModel):
    task: str  # one of the 46 names in criteria/
    confidence: float  # 0..1
    method: str  # which classifier decided: e.g. "embedded", "llm", "rules"


class Evidence(BaseModel):
    rank: int  # 1-based, as numbered in the prompt
    source: str  # corpus name or search provider
    doc_id: str  # passage / document id, or the URL for web results
    title: str = ""
    text: str
    url: str | None = None
    score: float | None = None
    match: float | None = None  # local index: share of the query's term weight the passage holds
    dropped: str | None = None  # why it was kept out of the prompt (relevance floor); None: in the prompt


class CheckResult(BaseModel):
    name: str
    passed: bool
    reason: str  # always filled: why it passed or failed, in plain words


class Verdict(BaseModel):
    passed: bool
    checks: list[CheckResult]
    repairs: list[str] = Field(default_factory=list)  # answer-neutral repairs made before the checks
    text: str | None = None  # the candidate as checked (after repairs); None when not repaired

    @property
    def failures(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed]

    def feedback(self) -> str:
        """The reasons of the failed checks, for the retry prompt."""
        return "\n".join(f"- {c.reason}" for c in self.failures)
