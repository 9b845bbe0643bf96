"""The check interface: a check takes a CheckInput and returns a CheckResult (records.py)."""

from __future__ import annotations

from typing import Callable

from pydantic import BaseModel

from realign.records import CheckResult


class CheckInput(BaseModel):
    task: str  # task type name ("" or "default" when unknown)
    instruction: str  # the user turn being answered (with any input appended)
    original: str  # the original assistant response
    candidate: str  # the proposed rewrite
    context: str = ""  # earlier turns of a conversation, flattened; may be empty
    evidence: str = ""  # the evidence the rewrite was given, flattened; may be empty
    contract_kind: str = "none"  # kind of the turn's answer contract (contract.py); shapes the length window
    # The user turn that replies to this answer in the conversation ("" when none follows: a single-turn
    # row, a chat's last answer, an answer followed by a tool call). When one follows, a question the
    # answer asked the user must survive the rewrite, since that reply answers it (question_kept.py).
    next_user: str = ""

    def with_changes(self, **changes: str) -> "CheckInput":
        """A copy with `changes`: a plain construction, a quarter of `model_copy`'s cost, paid on every
        verified row."""
        return type(self)(**{**self.__dict__, **changes})


Check = Callable[[CheckInput], CheckResult]


_FIXED: dict[tuple[str, bool, str], CheckResult] = {}


def fixed_result(name: str, passed: bool, reason: str) -> CheckResult:
    """The result (name, passed, reason) for a reason worded without the row's own text ("no leaked
    prompt markers found"), built once and shared by every verdict that holds it: the results of a
    verdict are read, never changed, once a check has returned them, and building one (a pydantic
    validation) cost about 1% of a row of `realign verify` each (four or five of a row's seven
    results on real GSM8K solutions are fixed ones). Only for reasons from a fixed set."""
    key = (name, passed, reason)
    result = _FIXED.get(key)
    if result is None:
        result = _FIXED[key] = CheckResult(name=name, passed=passed, reason=reason)
    return result
