"""Build the rewrite request for one assistant turn and parse the model's structured answer."""

from __future__ import annotations

import functools
import re
from typing import Any, Sequence

from pydantic import BaseModel, ValidationError

from realign.llm.structured import loads_lenient
from realign.prompts import render, templates_dir
from realign.records import TOOL_ROLES, Example, Turn

# The answer object per design (RewriteConfig.answer_schema). Small models asked for the
# decision first answer "keep" almost always; asked for the text first, or for the text alone
# (the decision read from it: a copy of the original keeps it), they do the work.
_PROPERTIES: dict[str, dict[str, Any]] = {
    "derived": {"rewritten": {"type": "string"}},
    "rewrite_first": {"rewritten": {"type": "string"}, "keep_original": {"type": "boolean"}},
    "decide_first": {"keep_original": {"type": "boolean"}, "rewritten": {"type": "string"}},
}


def rewrite_schema(design: str = "derived") -> dict[str, Any]:
    """The response format (json_schema form; the client sends the dialect the server takes)."""
    props = _PROPERTIES[design]
    return {
        "type": "json_schema",
        "json_schema": {
            "name": "rewrite",
            "strict": True,
            "schema": {"type": "object", "properties": props, "required": list(props), "additionalProperties": False},
        },
    }


REWRITE_SCHEMA = rewrite_schema("derived")

# Scaffolding of our own templates that must never appear in a rewrite (passed to the leak check).
PROMPT_MARKERS = (
    "<instruction>", "</instruction>", "<original_response>", "</original_response>",
    "<criteria>", "</criteria>", "<evidence>", "</evidence>", "<conversation_so_far>",
    "<tool_exchange>", "</tool_exchange>",
    '"keep_original"', "keep_original:",
)

# Placeholder values a prompt has shown (this one and earlier versions); a weak model copies them.
_PLACEHOLDERS = frozenset({"...", "the complete rewritten response", "the full text of your response",
                           "true or false", "rewritten"})


class RewriteAnswer(BaseModel):
    rewritten: str
    keep_original: bool | None = None  # None: the design has no decision field; derive it


def same_text(a: str, b: str) -> bool:
    """Equal up to whitespace: a copy of the original, however the model spaced it."""
    return " ".join(a.split()) == " ".join(b.split())


def decide(answer: RewriteAnswer, original: str) -> tuple[bool, str]:
    """(keep the original?, a note when the answer's decision and text disagree).

    A copy of the original keeps it, whatever the model said; keep_original with a different
    text is a contradiction, and the text is checked as a rewrite (the checks guard the answer).
    """
    if not answer.rewritten.strip():
        return True, "" if answer.keep_original else "the model's answer held no rewrite"
    if same_text(answer.rewritten, original):
        if answer.keep_original is None:
            return True, "the model's rewrite is a copy of the original"
        return True, "" if answer.keep_original else "the model's rewrite is the original unchanged"
    if answer.keep_original:
        return False, "the model chose keep_original but wrote a different text; it was checked as a rewrite"
    return False, ""


def turn_instruction(example: Example, turn_index: int) -> str:
    """The user turn that the assistant turn at `turn_index` answers."""
    for t in reversed(example.turns[:turn_index]):
        if t.role == "user":
            return t.content
    return example.instruction


def next_user_turn(example: Example, turn_index: int) -> str:
    """The user turn that replies to the answer at `turn_index`: the next turn that is not a system
    turn, when it is a user turn; "" otherwise (the chat's last answer, an answer the assistant
    follows with a tool call or another answer of its own)."""
    for t in example.turns[turn_index + 1:]:
        if t.role == "system":
            continue
        return t.content if t.role == "user" else ""
    return ""


def turn_context(example: Example, turn_index: int) -> list[Turn]:
    """Turns before the answered user turn: system prompt and earlier exchanges."""
    for i in range(turn_index - 1, -1, -1):
        if example.turns[i].role == "user":
            return example.turns[:i]
    return []


def turn_steps(example: Example, turn_index: int) -> list[Turn]:
    """Turns between the answered user turn and the answer: the tool calls made for it and what
    the tools returned (the evidence the answer rests on); empty for a plain exchange."""
    for i in range(turn_index - 1, -1, -1):
        if example.turns[i].role == "user":
            return example.turns[i + 1:turn_index]
    return []


def tool_exchange(example: Example, turn_index: int) -> str:
    """The `<tool_exchange>` block (templates/tool_exchange.j2) of the answer at `turn_index`: the
    tool calls made for it and what the tools returned, as every prompt that rewrites, revises or
    reads that answer shows them; "" for an answer with no tool turn before it (its prompts keep
    their bytes, also when an assistant turn without tools comes between the question and it)."""
    steps = turn_steps(example, turn_index)
    if not any(t.role in TOOL_ROLES for t in steps):
        return ""
    return render("tool_exchange.j2", steps=[(t.role, t.shown()) for t in steps])


_SYSTEM_PROMPTS: dict[tuple[str, ...], str] = {}


def system_prompt(task: Any, evidence_allowed: bool, answer_schema: str = "derived") -> str:
    """The static part of a task's requests (rules and criteria), rendered once per task text."""
    key = (task.name, task.group, task.description, task.criteria, str(evidence_allowed), answer_schema,
           str(templates_dir()))
    text = _SYSTEM_PROMPTS.get(key)
    if text is None:
        text = _SYSTEM_PROMPTS[key] = render("rewrite_system.j2", task=task, evidence_allowed=evidence_allowed,
                                             answer_schema=answer_schema)
    return text


def build_messages(task: Any, example: Example, turn_index: int, evidence_text: str = "",
                   evidence_allowed: bool = False, answer_schema: str = "derived") -> list[dict[str, str]]:
    """Static part (rules + the task's criteria) in the system message, the row last."""
    system = system_prompt(task, evidence_allowed, answer_schema)
    user = render(
        "rewrite_user.j2",
        context=turn_context(example, turn_index),
        instruction=turn_instruction(example, turn_index),
        tool_exchange=tool_exchange(example, turn_index),
        evidence=evidence_text,
        original=example.turns[turn_index].content,
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def feedback_messages(messages: Sequence[dict[str, str]], raw_answer: str, feedback: str) -> list[dict[str, str]]:
    """The retry conversation: the rejected answer, then the checks' reasons."""
    return [*messages, {"role": "assistant", "content": raw_answer},
            {"role": "user", "content": render("feedback.j2", feedback=feedback)}]


_TAGGED = re.compile(r"<rewritten>\s*(.*?)\s*</rewritten>", re.DOTALL)


def parse_answer(text: str) -> RewriteAnswer:
    """Parse a structured answer; tolerate servers that ignore the schema.

    Tried in order: JSON, read leniently (`realign.llm.structured.loads_lenient`: raw newlines
    in strings, a code fence, an object inside prose); a <rewritten>...</rewritten> block; a
    bare KEEP_ORIGINAL. Anything else, and a placeholder copied from the prompt, is a
    ValueError, which makes the client retry the request.
    """
    parsed = _parse(text)
    if isinstance(parsed, str):
        raise ValueError(parsed)
    return RewriteAnswer(rewritten=parsed[0], keep_original=parsed[1])


@functools.lru_cache(maxsize=128)
def _parse(text: str) -> tuple[str, bool | None] | str:
    """parse_answer's work, remembered for the last answers: a rewrite's answer is read by the
    client's validator, the trace and the verification in turn. The fields of the answer, or
    the error message."""
    try:
        answer = _read_answer(text)
    except ValueError as e:
        return str(e)
    return answer.rewritten, answer.keep_original


def _read_answer(text: str) -> RewriteAnswer:
    stripped = text.strip()
    data = loads_lenient(stripped)
    if isinstance(data, dict):
        if isinstance(data.get("keep_original"), bool) and data["keep_original"] and "rewritten" not in data:
            data = {**data, "rewritten": ""}
        try:
            answer = RewriteAnswer.model_validate(data)
        except ValidationError as e:
            raise ValueError(f"answer JSON does not match the schema: {e.errors()[0]['msg']}") from None
        if answer.rewritten.strip().strip('"<>').lower() in _PLACEHOLDERS:
            raise ValueError(f"answer copied the prompt's placeholder instead of a rewrite: {answer.rewritten[:60]!r}")
        return answer
    m = _TAGGED.search(stripped)
    if m:
        return RewriteAnswer(rewritten=m.group(1))
    if stripped.upper() in ("KEEP_ORIGINAL", "KEEP ORIGINAL"):
        return RewriteAnswer(keep_original=True, rewritten="")
    raise ValueError("answer is not the requested JSON object")
