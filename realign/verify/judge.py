"""An optional LLM judge: does a rewrite keep the original's answer?

For turns whose answer contract is ``none`` or ``facts`` the deterministic checks hold little or
nothing, so a pipeline may ask the served model for a small JSON verdict ("same" / "changed",
and which fact changed). The request is an ordinary chat call (cached under its request key like
every other, counted under the purpose ``judge``); its outcome is stored as the check ``judge``.
It is an extra gate, never the only one: the contract's checks still run first, and a turn with a
deterministic contract (number, option, label, code) is never judged instead of checked.

Configured in the pipeline's ``[verify]`` section: ``judge`` maps a task name or ``"*"`` to on or
off, ``judge_kinds`` the contract kinds judged (default none and facts).

>>> parse_judgement('{"verdict": "changed", "changed_fact": "1791 became 1689"}').reason
'judge: the rewrite changes the answer (1791 became 1689)'
"""

from __future__ import annotations

import json
import re
from typing import Any

from realign.prompts import render
from realign.records import CheckResult

NAME = "judge"

JUDGE_SCHEMA: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {
        "name": "judgement",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {
                "verdict": {"type": "string", "enum": ["same", "changed"]},
                "changed_fact": {"type": "string"},
            },
            "required": ["verdict", "changed_fact"],
            "additionalProperties": False,
        },
    },
}
# Short and deterministic: the verdict is a label, not an essay.
JUDGE_SAMPLING: dict[str, Any] = {"temperature": 0.0, "max_tokens": 120}


def judge_messages(instruction: str, original: str, candidate: str) -> list[dict[str, str]]:
    """The judge request: one user message (the static part first, for the prefix cache)."""
    return [{"role": "user", "content": render("judge.j2", instruction=instruction, original=original,
                                                candidate=candidate)}]


_VERDICT = re.compile(r"\b(same|changed)\b", re.I)


def parse_judgement(text: str) -> CheckResult:
    """The judge's answer as a check; raises ValueError when it holds no verdict (the client then
    retries the call like any invalid answer)."""
    verdict, fact = None, ""
    body = text.strip()
    m = re.search(r"\{.*\}", body, re.S)
    if m is not None:
        try:
            obj = json.loads(m.group(0), strict=False)
            verdict = str(obj.get("verdict", "")).strip().lower() or None
            fact = str(obj.get("changed_fact", "") or "").strip()
        except (json.JSONDecodeError, AttributeError):
            verdict = None
    if verdict not in ("same", "changed"):
        found = {v.lower() for v in _VERDICT.findall(body)}
        if len(found) != 1:
            raise ValueError(f"the judge gave no single verdict: {body[:120]!r}")
        verdict = found.pop()
    if verdict == "same":
        return CheckResult(name=NAME, passed=True, reason="judge: the rewrite keeps the original's answer")
    return CheckResult(name=NAME, passed=False,
                       reason="judge: the rewrite changes the answer" + (f" ({fact[:160]})" if fact else ""))


def wants_judge(task: str, contract_kind: str, judge: dict[str, bool], kinds: list[str]) -> bool:
    """Whether a turn of `task` with a contract of `contract_kind` is judged."""
    on = judge.get(task, judge.get("*", False))
    return bool(on) and contract_kind in kinds


# ---- label_reason: does the reason support the label? ------------------------------------------
# Flags, never rejects: the label itself is held by the deterministic label / choice checks; this
# answers the question they cannot (a reason that argues for the other label), stored per turn as
# rewrites.reason_supports_label.

REASON_SCHEMA: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {
        "name": "reason_support",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {
                "verdict": {"type": "string", "enum": ["supports", "other"]},
                "argues_for": {"type": "string"},
            },
            "required": ["verdict", "argues_for"],
            "additionalProperties": False,
        },
    },
}
_SUPPORT = re.compile(r"\b(supports|other)\b", re.I)


def reason_messages(instruction: str, label: str, reason: str) -> list[dict[str, str]]:
    """The reason-support request: one user message."""
    return [{"role": "user", "content": render("judge_reason.j2", instruction=instruction, label=label,
                                                reason=reason)}]


def parse_reason_support(text: str) -> tuple[bool, str]:
    """(the reason supports the label?, the label it argues for instead); ValueError without a
    verdict (the client retries)."""
    body = text.strip()
    verdict, other = None, ""
    m = re.search(r"\{.*\}", body, re.S)
    if m is not None:
        try:
            obj = json.loads(m.group(0), strict=False)
            verdict = str(obj.get("verdict", "")).strip().lower() or None
            other = str(obj.get("argues_for", "") or "").strip()
        except (json.JSONDecodeError, AttributeError):
            verdict = None
    if verdict not in ("supports", "other"):
        found = {v.lower() for v in _SUPPORT.findall(body)}
        if len(found) != 1:
            raise ValueError(f"the reason judge gave no single verdict: {body[:120]!r}")
        verdict = found.pop()
    return verdict == "supports", other
