"""The answer-line check: a GSM8K-style original's final `#### N` line survives the rewrite.

The usual GSM8K scorers read the number after `####`; a training answer without that line
teaches the model to leave it out, which costs strict-match accuracy. Whether the number on the
line is still right is the math check's job; this one asks that the line is there, once: a
rewrite that writes it more often than the original ("#### 72" four times over) is a small model
looping, not a reformat, and would teach the loop.
"""

from __future__ import annotations

import re
from functools import lru_cache

from realign.records import CheckResult
from realign.verify.base import Check, CheckInput, fixed_result
from realign.verify.options import VerifyOptions

NAME = "answer_line"
_LINE = re.compile(r"^[ \t]*####[ \t]*(\S[^\n]*)$", re.M)


# asked of the same original and candidate by the contract, the repair and the check; `realign
# verify` runs each stage over a batch of 128 rows, whose texts (repaired ones too) must fit
@lru_cache(maxsize=512)
def answer_lines(text: str) -> tuple[re.Match[str], ...]:
    """Every '#### N' line of `text`, in order (group 1: what follows the '####'). The scan starts
    at the line of the first '####': most texts have none, or one at their end."""
    first = text.find("####")
    if first < 0:
        return ()
    return tuple(_LINE.finditer(text, text.rfind("\n", 0, first) + 1))


def check_answer_line(inp: CheckInput) -> CheckResult:
    original = [m.group(1) for m in answer_lines(inp.original)]
    if not original:
        return fixed_result(NAME, True, "not applicable: the original has no '#### N' answer line")
    have = answer_lines(inp.candidate)
    if len(have) > len(original):
        return CheckResult(
            name=NAME, passed=False,
            reason=f"answer line repeated: the rewrite has {len(have)} '#### N' lines where the original has "
                   f"{len(original)} ({have[-1].group(0).strip()!r} ...; a model repeating itself)",
        )
    if have:
        return fixed_result(NAME, True, "the '#### N' answer line is kept")
    return CheckResult(
        name=NAME, passed=False,
        reason=f"answer line dropped: the original ends with '#### {original[-1].strip()}' and the rewrite has "
               "no '#### N' line (GSM8K scoring reads that line)",
    )


def make_check(options: VerifyOptions) -> Check:
    return check_answer_line
