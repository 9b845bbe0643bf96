"""The rewritten text of a rewriting task is its answer: a rewrite of the response must keep it.

For tasks whose response is a transformation of a text the user gave (make it formal, paraphrase
it, polish it, correct it), the original response holds no number, option, label or short fact
for the answer contract to lock, so the contract is `none`; yet its words are the answer. A small
model asked to reformat "Could you please send me the report at your earliest convenience?"
answered "The report was sent to you yesterday." and every other check passed (SmolLM2-135M,
the README's real-model run). This check asks that the rewrite keep at least KEEP_SHARE of the
original's content words (lower case, a light suffix strip, stop words left out): a rewrite that
keeps the text and adds a heading, a line of explanation or markup keeps them all; a text
replaced by another keeps few. The rewriting tasks' criteria list it (`verifiers`).
"""

from __future__ import annotations

import re

from realign.records import CheckResult
from realign.verify.base import Check, CheckInput
from realign.verify.options import VerifyOptions

NAME = "text_kept"

KEEP_SHARE = 0.5  # of the original's distinct content words
MIN_WORDS = 1  # an original with no content word ("Yes.", "It is.") gives nothing to compare

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_SUFFIX = re.compile(r"(?:ing|ed|es|s|ly|er|est)$")
_STOP = frozenset("""a an the and or but if then than so as of to in on at by for with from into onto about over
    under up down out off is are was were be been being am do does did done have has had having it its it's this
    that these those there here i me my mine we us our you your yours he him his she her hers they them their
    what which who whom whose when where why how all any some no not nor only own same too very can could will
    would shall should may might must just also please let""".split())


def content_words(text: str) -> dict[str, str]:
    """The distinct content words of `text` by their stem (lower case, a light suffix strip: "sent"
    and "send" stay two words), each with its first spelling in the text, for the reason."""
    out: dict[str, str] = {}
    for w in _WORD.findall(text.lower()):
        if len(w) < 3 or w in _STOP or w.isdigit():
            continue
        stem = _SUFFIX.sub("", w) if len(w) > 4 else w
        out.setdefault(stem or w, w)
    return out


def check_text_kept(inp: CheckInput) -> CheckResult:
    words = content_words(inp.original)
    if len(words) < MIN_WORDS:
        return CheckResult(name=NAME, passed=True, reason=f"not applicable: the original has {len(words)} content "
                           f"words (fewer than {MIN_WORDS})")
    kept = words.keys() & content_words(inp.candidate).keys()
    share = len(kept) / len(words)
    if share >= KEEP_SHARE:
        return CheckResult(name=NAME, passed=True, reason=f"rewritten text kept: {len(kept)} of the original's "
                           f"{len(words)} content words ({share:.0%})")
    lost = sorted(words[stem] for stem in words.keys() - kept)[:8]
    return CheckResult(name=NAME, passed=False, reason=f"rewritten text replaced: the rewrite keeps {len(kept)} of the "
                       f"original's {len(words)} content words ({share:.0%}, at least {KEEP_SHARE:.0%} needed); "
                       f"missing: {', '.join(lost)}")


def make_check(options: VerifyOptions) -> Check:
    return check_text_kept
