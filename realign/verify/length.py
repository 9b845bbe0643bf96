"""Length window: the rewrite's length must sit between a lower and an upper bound.

Lengths are counted in characters of the stripped text (language-neutral; tokens would tie the
check to one tokenizer). The bounds combine a ratio to the original with absolute slack, because
a ratio makes no sense for very short originals (a one-word label that the criteria ask to
explain in a sentence):

    lower = max(min_chars, min(min_ratio * original, original - short_floor_chars))
    upper = max(max_ratio * original, short_ceiling_chars), capped by max_chars when set

With the defaults: an 8-char original ("positive") may become 1..600 chars; a 2,000-char
original may become 1,000..8,000 chars.
"""

from __future__ import annotations

from realign.records import CheckResult
from realign.verify.base import Check, CheckInput
from realign.verify.options import VerifyOptions

NAME = "length"


def bounds(original_len: int, options: VerifyOptions) -> tuple[int, int]:
    """(lower, upper) allowed rewrite length in characters for an original of `original_len`."""
    lower = max(
        options.min_chars,
        int(min(options.min_ratio * original_len, original_len - options.short_floor_chars) + 0.999999),
    )
    upper = int(max(options.max_ratio * original_len, options.short_ceiling_chars))
    if options.max_chars is not None:
        upper = min(upper, options.max_chars)
    return lower, max(upper, lower)


def check_length(inp: CheckInput, options: VerifyOptions) -> CheckResult:
    o = len(inp.original.strip())
    c = len(inp.candidate.strip())
    lower, upper = bounds(o, options)
    ratio = f"{c / o:.2f}x" if o else "n/a"
    if c < lower:
        if c == 0:
            reason = "rewrite is empty"
        else:
            reason = (
                f"rewrite too short: {c} chars vs original {o} chars (ratio {ratio}); "
                f"expected at least {lower} chars (min ratio {options.min_ratio:g})"
            )
        return CheckResult(name=NAME, passed=False, reason=reason)
    if c > upper:
        return CheckResult(
            name=NAME,
            passed=False,
            reason=(
                f"rewrite too long: {c} chars vs original {o} chars (ratio {ratio}); "
                f"expected at most {upper} chars (max ratio {options.max_ratio:g})"
            ),
        )
    return CheckResult(
        name=NAME,
        passed=True,
        reason=f"length ok: rewrite {c} chars, original {o} chars (ratio {ratio}, allowed {lower}-{upper})",
    )


def make_check(options: VerifyOptions) -> Check:
    def check(inp: CheckInput) -> CheckResult:
        return check_length(inp, options)

    return check
