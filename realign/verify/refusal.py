"""Refusal: a helpful answer must not be rewritten into a refusal (and, with
`VerifyOptions.refusal_both_ways`, an original that declines must keep declining). On a turn of
the `rejecting` task a new refusal is what its criteria ask for, so only the second rule applies.

A text counts as a refusal when a declining phrase ("I'm sorry, but I can't", "I cannot help
with", "As an AI language model, I cannot", "I must decline", "I won't provide") appears in its
opening (first 300 characters) or makes up most of a short text. A refusal buried later in a long
answer ("I can't guarantee this works on Windows") is not one.
"""

from __future__ import annotations

import re
from functools import lru_cache

from realign.records import CheckResult
from realign.verify.base import Check, CheckInput, fixed_result
from realign.verify.options import VerifyOptions

NAME = "refusal"
REJECTING = "rejecting"  # the task whose requests should be declined

_REFUSAL = re.compile(
    # the lookahead names the first letters of the phrases below (IGNORECASE folds it the same way),
    # so every other position of a text fails on one test (a third of the scan's cost)
    r"(?=[iaty])"
    r"\b(?:"
    r"(?:I'?m|I am)[ \t]+(?:really[ \t]+|very[ \t]+|so[ \t]+)?sorry,?[ \t]+(?:but[ \t]+)?(?:I|as an AI)"
    r"[^.!?\n]{0,40}?(?:can(?:no|')t|can[ \t]+not|am[ \t]+(?:not[ \t]+able|unable)|won't|will[ \t]+not|must[ \t]+decline)"
    r"|I[ \t]+(?:can(?:no|')t|can[ \t]+not|won't|will[ \t]+not|am[ \t]+(?:not[ \t]+able|unable)|'m[ \t]+(?:not[ \t]+able|unable)|"
    r"must[ \t]+(?:decline|refuse)|have[ \t]+to[ \t]+decline|do[ \t]+not[ \t]+feel[ \t]+comfortable|don't[ \t]+feel[ \t]+comfortable)"
    r"[ \t]+(?:to[ \t]+)?(?:help|assist|provide|fulfill|fulfil|comply|create|generate|write|share|support|engage|"
    r"answer|do[ \t]+that|participate|produce|give|offer|complete|continue)"
    r"|as[ \t]+an[ \t]+AI(?:[ \t]+language[ \t]+model|[ \t]+assistant|[ \t]+model)?,?[ \t]+I[ \t]+"
    r"(?:can(?:no|')t|can[ \t]+not|am[ \t]+not[ \t]+able|do[ \t]+not|don't|am[ \t]+unable|must)"
    r"|I[ \t]+(?:must|have[ \t]+to)[ \t]+(?:respectfully[ \t]+)?decline"
    r"|(?:this|that|your)[ \t]+request[ \t]+(?:is|goes)[ \t]+(?:against|beyond|outside)"
    # "it would be inappropriate for me to ..." declines; "It is unethical to steal" judges, so
    # without "for me" only an assistant's own act ("... to provide that") counts
    r"|(?:it|that)[ \t]+(?:would[ \t]+be|is)[ \t]+(?:inappropriate|unethical|illegal)[ \t]+"
    r"(?:for[ \t]+me[ \t]+to|to[ \t]+(?:provide|help|assist|write|create|share|answer|give|comply|generate|"
    r"fulfil|fulfill|produce|offer|engage|disclose)\b)"
    r"|I[ \t]+(?:can(?:no|')t|won't)[ \t]+(?:and[ \t]+won't[ \t]+)?(?:help|assist)[ \t]+with[ \t]+(?:that|this)"
    r")",
    re.I,
)


# Every _REFUSAL phrase holds one of these (lower-cased): "I" before a space or tab, "sorry",
# "request" or the judging word. A plain-ASCII text without any of them is passed without the scan
# (IGNORECASE also matches "ı", "İ" and "ſ" to ASCII letters, so other texts are always scanned).


def _has_key(low: str) -> bool:
    """Whether a lower-cased plain-ASCII text holds a key (written out: a generator over a tuple of
    them cost more than the searches)."""
    return ("i " in low or "i\t" in low or "sorry" in low or "request" in low or "inappropriate" in low
            or "unethical" in low or "illegal" in low)


def refusal_phrase(text: str) -> str | None:
    """The declining phrase when `text` is a refusal, else None."""
    t = text.strip()
    if t.isascii():
        # lower-cased once: an ASCII text's lower case keeps its offsets, so its first 300
        # characters are the lower case of the text's first 300
        low = t.lower()
        if not _has_key(low):
            return None  # no key in the whole text, so none in its first 300 characters either
        m = _REFUSAL.search(t, 0, 300) if _has_key(low[:300]) else None
    else:
        head = t[:300]
        m = _REFUSAL.search(t, 0, 300) if not head.isascii() or _has_key(head.lower()) else None
    if m is None and len(t) <= 600:  # a key is in the text here (or it is not ASCII)
        m = _REFUSAL.search(t)
    return m.group(0) if m else None


# an original is read once for all its rewrites (a data set often holds several of one original)
_original_refusal = lru_cache(maxsize=256)(refusal_phrase)


def check_refusal(inp: CheckInput, options: VerifyOptions) -> CheckResult:
    orig = _original_refusal(inp.original)
    cand = refusal_phrase(inp.candidate)
    if orig is None and cand is not None and inp.task == REJECTING:
        return fixed_result(NAME, True, "the rewrite declines a request of the rejecting task")
    if orig is None and cand is not None:
        return CheckResult(
            name=NAME,
            passed=False,
            reason=f"rewrite refuses ({cand!r}) where the original answers the request; expected a helpful answer",
        )
    if orig is not None and cand is None and options.refusal_both_ways:
        return CheckResult(
            name=NAME,
            passed=False,
            reason=f"rewrite no longer declines: the original refuses ({orig!r}), the rewrite does not",
        )
    if orig is not None:
        return fixed_result(NAME, True, "both the original and the rewrite decline the request")
    return fixed_result(NAME, True, "no refusal: the rewrite answers like the original")


def make_check(options: VerifyOptions) -> Check:
    def check(inp: CheckInput) -> CheckResult:
        return check_refusal(inp, options)

    return check
