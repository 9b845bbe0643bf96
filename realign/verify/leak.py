"""Leaked prompt text: the rewrite must not carry the rewriter's prompt scaffolding.

A marker counts only when it is in the rewrite and in neither the original nor the instruction
(an answer about chat templates may legitimately mention "[INST]" if the original did).

Built-in markers: prompt section headings ("### Original response", "### Criteria"), prompt
tags ("<original>", "</response>"), a "Criteria:" line, the JSON keys of the structured answer
("keep_original", "rewrite": ...), chat-template role tags ("<|im_start|>", "[INST]", "<<SYS>>",
"</s>", "Human:" / "Assistant:" lines) and phrases that talk about the rewriting itself ("here is
the rewritten response", "the original's answer", "according to the criteria", the retry
feedback's "a JSON object of the same form"). More literal
markers come from `VerifyOptions.extra_leak_markers` (the pipeline passes its templates'
headings).

A brace fragment in place of prose is a broken structured answer, not a rewrite (trial 12, D1: SmolLM2
answered `{"rewritten": "{ number }"}` for "Number the largest find."): when neither the original nor
the instruction has a "{", a short rewrite (FRAGMENT_MAX_WORDS) that opens with "{" or any rewrite that
holds a template placeholder ("{ number }", "{{name}}") fails.
"""

from __future__ import annotations

import re

from realign.records import CheckResult
from realign.verify.base import Check, CheckInput, fixed_result
from realign.verify.options import VerifyOptions

NAME = "leak"

_I, _M = re.IGNORECASE, re.MULTILINE

# (description, pattern, keys): every match of the pattern contains one of its keys (lower case;
# TAG: a "<" that opens something, see `_OPENS_TAG`), so a pattern none of whose keys is in the text
# is not run at all
TAG = "<"
BUILTIN_MARKERS: list[tuple[str, str, tuple[str, ...]]] = [
    ("prompt section heading", r"#{1,6}[ \t]*(?:original|rewritten|revised|candidate)[ \t]+(?:response|answer)\b",
     ("original", "rewritten", "revised", "candidate")),
    ("prompt section heading", r"^[ \t]*#{1,6}[ \t]*(?:instruction|instructions|criteria|evidence|rewrite|"
     r"format requirements|task type|reference(?:s| documents)?)[ \t]*:?[ \t]*$",
     ("instruction", "criteria", "evidence", "rewrite", "requirements", "task type", "reference")),
    ("prompt tag", r"</?(?:original|original_response|response|rewrite|rewritten|instruction|criteria|evidence|"
     r"query|format|candidate)>", (TAG,)),
    ("prompt field", r"^[ \t>*_]*(?:criteria|original response|original answer|format requirements)[*_]*[ \t]*:",
     ("criteria", "original", "requirements")),
    ("structured-answer key", r"\bkeep_original\b", ("keep_original",)),
    ("structured-answer key", r"[\"'](?:rewrite|rewritten|rewritten_response|rewritten_answer)[\"'][ \t]*:",
     ("rewrit",)),
    ("chat-template role tag", r"<\|[a-z_]{2,30}\|>", (TAG,)),
    ("chat-template role tag", r"\[/?INST\]", ("[inst", "[/inst")),
    ("chat-template role tag", r"<</?SYS>>", (TAG,)),
    ("chat-template role tag", r"</s>", (TAG,)),
    ("chat role prefix", r"^[ \t]*(?:###[ \t]*)?(?:Human|Assistant|System)[ \t]*:", ("human", "assistant", "system")),
    ("echo of the rewriting instructions",
     r"\b(?:here is|here's|below is)[ \t]+(?:the|a|my|your)[ \t]+(?:rewritten|revised|improved|reformatted|"
     r"polished|updated)[ \t]+(?:response|answer|version)\b",
     ("rewritten", "revised", "improved", "reformatted", "polished", "updated")),
    ("echo of the rewriting instructions", r"\b(?:the|this)[ \t]+original(?:'s|’s)?[ \t]+(?:response|answer)\b",
     ("original",)),
    # the retry feedback's own wording (templates/feedback.j2), echoed by small models
    ("echo of the rewriting instructions", r"\bJSON[ \t]+object[ \t]+of[ \t]+the[ \t]+same[ \t]+form\b", ("json",)),
    ("echo of the rewriting instructions", r"\b(?:rewrite|answer)[ \t]+was[ \t]+rejected[ \t]+by[ \t]+(?:the[ \t]+)?automatic[ \t]+checks\b",
     ("rejected",)),
    ("echo of the rewriting instructions", r"\brewritten[ \t]+(?:response|answer)\b", ("rewritten",)),
    ("echo of the rewriting instructions",
     r"\b(?:according to|following|as per|based on)[ \t]+the[ \t]+(?:given[ \t]+|provided[ \t]+)?"
     r"(?:criteria|format requirements|formatting requirements)\b", ("criteria", "requirements")),
    ("echo of the rewriting instructions", r"\bI(?:[ \t]+have|'ve)[ \t]+(?:rewritten|reformatted|revised)\b",
     ("rewritten", "reformatted", "revised")),
]
# A "<" followed by neither "<" nor a digit: every built-in marker with a "<" has one ("</s>", "<<SYS>>",
# "<|im_start|>"); GSM8K's calculator notes ("<<48/2=24>>") have none
_OPENS_TAG = re.compile(r"<(?![<\d])")

# (description, pattern, whether TAG is a key, the other keys); keys None: always tried
Marker = tuple[str, re.Pattern[str], bool, tuple[str, ...] | None]


def _compile(options: VerifyOptions) -> list[Marker]:
    out: list[Marker] = []
    if options.builtin_leak_markers:
        out.extend((d, re.compile(p, _I | _M), TAG in keys, tuple(k for k in keys if k != TAG))
                   for d, p, keys in BUILTIN_MARKERS)
    for m in options.extra_leak_markers:
        if m.strip():
            out.append(("prompt template marker", re.compile(re.escape(m.strip()), _I), False, None))
    return out


def _folded(low: str) -> str:
    """A lower-cased text with the few characters IGNORECASE matches to an ASCII letter that lower()
    leaves apart ("ı" and "İ" match "i", "ſ" matches "s"), so that a key missing from it is missing
    for the patterns too."""
    if low.isascii():
        return low
    return low.replace("ı", "i").replace("ſ", "s").replace("\u0307", "")


def _snippet(text: str, start: int, end: int) -> str:
    s = text[start:end].replace("\n", " ").strip()
    return s if len(s) <= 60 else s[:57] + "..."


# Every built-in marker contains one of these (lower-cased) substrings; a text with none of them
# cannot match and is passed at once (then each marker runs only where one of its own keys is).
_TRIGGERS = ("<", "json", "rejected", "keep_original", "rewrit", "revised", "improved", "reformatted", "polished", "updated",
             "criteria", "original", "requirement", "evidence", "instruction", "reference", "task type",
             "candidate", "human", "assistant", "system", "[inst", "[/inst")


FRAGMENT_MAX_WORDS = 8  # a longer JSON object ({"reasoning": "...", "answer": 18}) is read by the other checks
# a template placeholder: "{ number }", "{{name}}", "{first_name}"; not a LaTeX group ("\\text{ days}",
# "x^{2}": a brace right after a word, "^", "_" or "$")
_PLACEHOLDER = re.compile(r"(?<![\w\\^_$])\{\{?[ \t]*[A-Za-z_][\w .\-]{0,40}?[ \t]*\}\}?")


def brace_fragment(inp: CheckInput) -> str | None:
    """The brace fragment a rewrite writes where the original and the instruction have none: the whole
    rewrite when it is short and opens with "{", else its first template placeholder; None when there is none."""
    cand = inp.candidate
    if "{" not in cand or "{" in inp.original or "{" in inp.instruction or "{" in inp.context:
        return None
    if cand.lstrip().startswith("{") and len(cand.split()) <= FRAGMENT_MAX_WORDS:
        return _snippet(cand, 0, len(cand))
    m = _PLACEHOLDER.search(cand)
    return _snippet(cand, m.start(), m.end()) if m else None


def make_check(options: VerifyOptions) -> Check:
    markers = _compile(options)
    triggers = (_TRIGGERS if options.builtin_leak_markers else ()) + tuple(
        m.strip().lower() for m in options.extra_leak_markers if m.strip())

    def check(inp: CheckInput) -> CheckResult:
        cand = inp.candidate
        low = cand.lower()
        found: list[str] = []
        allowed: list[str] = []
        # (map over a bound method: the substring tests run without a Python frame each)
        if markers and any(map(low.__contains__, triggers)):
            folded = _folded(low)
            tag = "<" in cand and _OPENS_TAG.search(cand) is not None
            for desc, pat, tag_key, keys in markers:
                if keys is not None and not (tag_key and tag) and not any(map(folded.__contains__, keys)):
                    continue  # none of its keys: the pattern cannot match
                m = pat.search(cand)
                if m is None:
                    continue
                if pat.search(inp.original) or pat.search(inp.instruction) or (
                    inp.context and pat.search(inp.context)
                ):
                    allowed.append(m.group(0).strip().lower())
                else:
                    found.append(f"{desc} {_snippet(cand, m.start(), m.end())!r} at char {m.start()}")
        fragment = brace_fragment(inp)
        if fragment is not None and not found:
            return CheckResult(name=NAME, passed=False, reason=(
                f"broken output: the rewrite holds the brace fragment {fragment!r} where the original and the "
                "instruction have no braces (a template or JSON fragment, not the answer)"))
        if found:
            return CheckResult(
                name=NAME,
                passed=False,
                reason="leaked prompt text: the rewrite contains " + "; ".join(found[:3])
                + (f" (+{len(found) - 3} more)" if len(found) > 3 else "")
                + "; expected none of the rewriter's prompt scaffolding",
            )
        if not allowed:
            return fixed_result(NAME, True, "no leaked prompt markers found")
        return CheckResult(
            name=NAME,
            passed=True,
            reason="no leaked prompt markers (markers also present in the original/instruction: "
            + ", ".join(repr(a) for a in allowed[:3]) + ")",
        )

    return check
