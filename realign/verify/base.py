"""The check interface: a check takes a CheckInput and returns a CheckResult (records.py)."""

from __future__ import annotations

from typing import Callable

from pydantic import BaseModel

from realign.records import CheckResult


class CheckInput(BaseModel):
    task: str  # task type name
    instruction: str  # the user turn being answered (with any input appended)
    original: str  # the original assistant response
    candidate: str  # the proposed rewrite
    context: str = ""  # earlier turns of a conversation, flattened; may be empty


Check = Callable[[CheckInput], CheckResult]
