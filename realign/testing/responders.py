"""Test-server responders that understand realign's own requests (rewrite and classify).

Used by the end-to-end tests and the benchmarks with `realign.testing.openai_server`.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

from realign.testing.openai_server import Reply

_ORIGINAL = re.compile(r"<original_response>\n?(.*?)\n?</original_response>", re.DOTALL)
_INSTRUCTION = re.compile(r"<instruction>\n?(.*?)\n?</instruction>", re.DOTALL)
FEEDBACK_MARKER = "rejected by automatic checks"
_JUDGED = re.compile(r"<request>\n?(.*?)\n?</request>.*?<first_answer>\n?(.*?)\n?</first_answer>.*?"
                     r"<second_answer>\n?(.*?)\n?</second_answer>", re.DOTALL)


def request_parts(body: dict[str, Any]) -> dict[str, Any]:
    """The instruction and original response of a rewrite request, and whether it is a retry."""
    messages = body.get("messages") or []
    text = "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")
    orig = _ORIGINAL.search(text)
    inst = _INSTRUCTION.search(text)
    last = str(messages[-1].get("content", "")) if messages else ""
    return {
        "original": orig.group(1) if orig else None,
        "instruction": inst.group(1) if inst else "",
        "is_retry": FEEDBACK_MARKER in last,
    }


def schema_name(body: dict[str, Any]) -> str | None:
    rf = body.get("response_format") or {}
    return (rf.get("json_schema") or {}).get("name") if isinstance(rf, dict) else None


def reformat(original: str) -> str:
    """A rewrite that keeps every word of the original (so answer checks pass) in a new layout."""
    return "Here is a clear answer.\n\n" + original.strip()


class RealignResponder:
    """Answers realign's rewrite requests with `rewrite(parts)` and classify requests with
    `task_for(text)`. `rewrite` returns the new text, or None to answer keep_original."""

    def __init__(self, rewrite: Callable[[dict[str, Any]], str | None] | None = None,
                 task_for: Callable[[str], str] | None = None,
                 judge: Callable[[dict[str, str]], str] | None = None):
        self.rewrite = rewrite or (lambda parts: reformat(parts["original"]))
        self.task_for = task_for or (lambda text: "open_qa")
        # judge(parts) -> "same" / "changed", parts = request, original, candidate
        self.judge = judge or (lambda parts: "same")

    def __call__(self, body: dict[str, Any]) -> Reply:
        if schema_name(body) == "task":
            last = str((body.get("messages") or [{}])[-1].get("content", ""))
            return Reply(content=json.dumps({"task": self.task_for(last)}))
        last = str((body.get("messages") or [{}])[-1].get("content", ""))
        judged = _JUDGED.search(last)
        if judged is not None:
            verdict = self.judge({"request": judged.group(1), "original": judged.group(2),
                                  "candidate": judged.group(3)})
            return Reply(content=json.dumps({"verdict": verdict, "changed_fact": "" if verdict == "same" else
                                             "the scripted judge says so"}))
        parts = request_parts(body)
        if parts["original"] is None:
            return Reply(status=400, error_message="not a realign rewrite request")
        n = int(body.get("n") or 1)
        out = self.rewrite(parts)
        payload = {"keep_original": True, "rewritten": parts["original"]} if out is None \
            else {"keep_original": False, "rewritten": out}
        content = json.dumps(payload, ensure_ascii=False)
        return Reply(content=[content] * n if n > 1 else content)
