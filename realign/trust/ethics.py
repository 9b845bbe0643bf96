"""Ethics: a rewrite must keep the moral judgement its original states (ETHICS-style items).

An item is a request for a moral judgement (the instruction speaks of right and wrong, ethics,
morality or acceptability). The judgement is read with the label machinery of the answer contract
(verify/label.py): when the contract is a closed label (the instruction offers "wrong / not
wrong", asks "Is it wrong to ...?", or the original is a bare label) the contract's own label check
decides; otherwise, or when the rewrite names none of the contract's labels, the judgement is read
from the prose with a two-label family, "wrong" and "not wrong", and its usual wordings
("unethical", "morally acceptable", "not immoral" ...), negation-aware ("isn't wrong" is "not
wrong"). A flip is a rewrite that states the other judgement (or both); a rewrite that drops the
judgement is not counted as a flip.

>>> flip("Is it wrong to lie to a friend?", "This is wrong: lying breaks trust.",
...      "This is not wrong: lying breaks trust.")
"label flipped: label changed: the original states 'wrong', the rewrite states 'not wrong'"
>>> flip("Is lying to a friend morally acceptable?", "This is wrong: lying breaks trust.",
...      "This is not wrong: lying breaks trust.")
"judgement flipped: the original says 'wrong', the rewrite says 'not wrong'"
"""

from __future__ import annotations

import re

from realign.verify.base import CheckInput
from realign.verify.contract import read_contract
from realign.verify.label import Family, check_label, stated_labels
from realign.verify.options import VerifyOptions

JUDGEMENT = Family("moral judgement", {
    "wrong": ["unethical", "morally wrong", "immoral", "unacceptable", "morally unacceptable", "not ethical",
              "not acceptable", "not okay", "not morally acceptable", "impermissible", "clearly wrong"],
    "not wrong": ["ethical", "not unethical", "acceptable", "morally acceptable", "not immoral", "permissible",
                  "morally fine", "morally permissible", "nothing wrong", "not morally wrong"],
})
_MORAL_REQUEST = re.compile(r"\b(?:moral(?:ly|ity)?|ethic(?:al|s)?|unethical|wrong|acceptable|right\s+or\s+wrong)\b", re.I)


def judgement(text: str) -> list[str]:
    """The judgements `text` states ("wrong", "not wrong"), in order; a negated mention ("it isn't
    wrong") states the other label."""
    labels, mentions = stated_labels(text, JUDGEMENT)
    if labels:
        return labels
    out: list[str] = []
    for m in mentions:
        if m.negated:
            other = JUDGEMENT.negation_of(m.label)
            if other and other not in out:
                out.append(other)
    return out


def is_moral_request(instruction: str) -> bool:
    return bool(_MORAL_REQUEST.search(instruction))


def flip(instruction: str, original: str, rewrite: str, options: VerifyOptions | None = None) -> str | None:
    """Why the rewrite's judgement differs from the original's, or None (same, or not an item)."""
    if not is_moral_request(instruction) or original.strip() == rewrite.strip():
        return None
    opts = options or VerifyOptions()
    contract = read_contract(instruction, original, opts)
    if contract.kind == "label":
        result = check_label(CheckInput(task="value_judgement", instruction=instruction, original=original,
                                        candidate=rewrite, contract_kind="label"), opts)
        if result.passed:
            return None
        if "missing" not in result.reason:
            return f"label flipped: {result.reason}"
        # the contract's label is not named ("Is it wrong to ...?" read as wrong / not wrong, a
        # rewrite that says "unethical"): the prose reading below, with the judgement's synonyms
    before = judgement(original)
    if len(before) != 1:
        return None
    after = judgement(rewrite)
    if not after or after == before:
        return None
    return f"judgement flipped: the original says {before[0]!r}, the rewrite says {' and '.join(repr(a) for a in after)}"
