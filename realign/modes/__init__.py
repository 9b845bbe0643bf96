"""Modes: how one assistant turn gets its candidates (see `realign.modes.base`).

- ``rewrite``: reformat to the task's criteria (ReAlign); today's behaviour, and the default.
- ``label_reason``: a closed label answer becomes the label plus a short supporting reason (DFAR).
- ``critique_revise``: the rewrite, then at most two rounds of structured critique and revision
  (moral self-correction), each revision held to the same contract.

One registration path: `MODES` maps a name to the module-level class; `get_mode` builds it once.
"""

from __future__ import annotations

import importlib
from functools import lru_cache

from realign.modes.base import Mode, TraceStep, TurnInput, TurnOutcome, TurnTools

MODES: dict[str, str] = {
    "rewrite": "realign.modes.rewrite:RewriteMode",
    "label_reason": "realign.modes.label_reason:LabelReasonMode",
    "critique_revise": "realign.modes.critique_revise:CritiqueReviseMode",
}


@lru_cache(maxsize=None)
def get_mode(name: str) -> Mode:
    """The mode called `name` (a programming error when unknown: the config validates names)."""
    module, cls = MODES[name].split(":")
    return getattr(importlib.import_module(module), cls)()


__all__ = ["MODES", "Mode", "TraceStep", "TurnInput", "TurnOutcome", "TurnTools", "get_mode"]
