"""Build the rewrite request for one assistant turn and parse the model's structured answer."""

from __future__ import annotations

import json
import re
from typing import Any, Sequence

from pydantic import BaseModel, ValidationError

from realign.prompts import render, templates_dir
from realign.records import Example, Turn

# JSON schema sent as response_format; servers that honour it (OpenAI, vLLM >= 0.12) cannot
# answer anything else. `keep_original` first so a model decides before it writes.
REWRITE_SCHEMA: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {
        "name": "rewrite",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {
                "keep_original": {"type": "boolean"},
                "rewritten": {"type": "string"},
            },
            "required": ["keep_original", "rewritten"],
            "additionalProperties": False,
        },
    },
}

# Scaffolding of our own templates that must never appear in a rewrite (passed to the leak check).
PROMPT_MARKERS = (
    "<instruction>", "</instruction>", "<original_response>", "</original_response>",
    "<criteria>", "</criteria>", "<evidence>", "</evidence>", "<conversation_so_far>",
    '"keep_original"', "keep_original:",
)


class RewriteAnswer(BaseModel):
    keep_original: bool
    rewritten: str


def turn_instruction(example: Example, turn_index: int) -> str:
    """The user turn that the assistant turn at `turn_index` answers."""
    for t in reversed(example.turns[:turn_index]):
        if t.role == "user":
            return t.content
    return example.instruction


def turn_context(example: Example, turn_index: int) -> list[Turn]:
    """Turns before the answered user turn: system prompt and earlier exchanges."""
    for i in range(turn_index - 1, -1, -1):
        if example.turns[i].role == "user":
            return example.turns[:i]
    return []


_SYSTEM_PROMPTS: dict[tuple[str, ...], str] = {}


def system_prompt(task: Any, evidence_allowed: bool) -> str:
    """The static part of a task's requests (rules and criteria), rendered once per task text."""
    key = (task.name, task.group, task.description, task.criteria, str(evidence_allowed), str(templates_dir()))
    text = _SYSTEM_PROMPTS.get(key)
    if text is None:
        text = _SYSTEM_PROMPTS[key] = render("rewrite_system.j2", task=task, evidence_allowed=evidence_allowed)
    return text


def build_messages(task: Any, example: Example, turn_index: int, evidence_text: str = "",
                   evidence_allowed: bool = False) -> list[dict[str, str]]:
    """Static part (rules + the task's criteria) in the system message, the row last."""
    system = system_prompt(task, evidence_allowed)
    user = render(
        "rewrite_user.j2",
        context=turn_context(example, turn_index),
        instruction=turn_instruction(example, turn_index),
        evidence=evidence_text,
        original=example.turns[turn_index].content,
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def feedback_messages(messages: Sequence[dict[str, str]], raw_answer: str, feedback: str) -> list[dict[str, str]]:
    """The retry conversation: the rejected answer, then the checks' reasons."""
    return [*messages, {"role": "assistant", "content": raw_answer},
            {"role": "user", "content": render("feedback.j2", feedback=feedback)}]


_FENCE = re.compile(r"```(?:json)?\s*(\{.*\})\s*```", re.DOTALL)
_TAGGED = re.compile(r"<rewritten>\s*(.*?)\s*</rewritten>", re.DOTALL)


def parse_answer(text: str) -> RewriteAnswer:
    """Parse a structured answer; tolerate servers that ignore the schema.

    Tried in order: the whole text as JSON; JSON inside a code fence; the outermost {...};
    a <rewritten>...</rewritten> block; a bare KEEP_ORIGINAL. Anything else is a ValueError,
    which makes the client retry the request.
    """
    stripped = text.strip()
    candidates = [stripped]
    m = _FENCE.search(stripped)
    if m:
        candidates.append(m.group(1))
    first, last = stripped.find("{"), stripped.rfind("}")
    if 0 <= first < last:
        candidates.append(stripped[first:last + 1])
    for c in candidates:
        try:
            data = json.loads(c)
        except ValueError:
            continue
        if isinstance(data, dict):
            try:
                answer = RewriteAnswer.model_validate(data)
            except ValidationError as e:
                raise ValueError(f"answer JSON does not match the schema: {e.errors()[0]['msg']}") from None
            return answer
    m = _TAGGED.search(stripped)
    if m:
        return RewriteAnswer(keep_original=False, rewritten=m.group(1))
    if stripped.upper() in ("KEEP_ORIGINAL", "KEEP ORIGINAL"):
        return RewriteAnswer(keep_original=True, rewritten="")
    raise ValueError("answer is not the requested JSON object")
