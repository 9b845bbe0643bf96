"""Leaked prompt text: the rewrite must not carry the rewriter's prompt scaffolding.

A marker counts only when it is in the rewrite and in neither the original nor the instruction
(an answer about chat templates may legitimately mention "[INST]" if the original did).

Built-in markers: prompt section headings ("### Original response", "### Criteria"), prompt
tags ("<original>", "</response>"), a "Criteria:" line, the JSON keys of the structured answer
("keep_original", "rewrite": ...), chat-template role tags ("<|im_start|>", "[INST]", "<<SYS>>",
"</s>", "Human:" / "Assistant:" lines) and phrases that talk about the rewriting itself ("here is
the rewritten response", "the original response", "according to the criteria"). More literal
markers come from `VerifyOptions.extra_leak_markers` (the pipeline passes its templates'
headings).
"""

from __future__ import annotations

import re

from realign.records import CheckResult
from realign.verify.base import Check, CheckInput
from realign.verify.options import VerifyOptions

NAME = "leak"

_I, _M = re.IGNORECASE, re.MULTILINE

# (description, pattern)
BUILTIN_MARKERS: list[tuple[str, str]] = [
    ("prompt section heading", r"#{1,6}[ \t]*(?:original|rewritten|revised|candidate)[ \t]+(?:response|answer)\b"),
    ("prompt section heading", r"^[ \t]*#{1,6}[ \t]*(?:instruction|instructions|criteria|evidence|rewrite|"
     r"format requirements|task type|reference(?:s| documents)?)[ \t]*:?[ \t]*$"),
    ("prompt tag", r"</?(?:original|original_response|response|rewrite|rewritten|instruction|criteria|evidence|"
     r"query|format|candidate)>"),
    ("prompt field", r"^[ \t>*_]*(?:criteria|original response|original answer|format requirements)[*_]*[ \t]*:"),
    ("structured-answer key", r"\bkeep_original\b"),
    ("structured-answer key", r"[\"'](?:rewrite|rewritten|rewritten_response|rewritten_answer)[\"'][ \t]*:"),
    ("chat-template role tag", r"<\|[a-z_]{2,30}\|>"),
    ("chat-template role tag", r"\[/?INST\]"),
    ("chat-template role tag", r"<</?SYS>>"),
    ("chat-template role tag", r"</s>"),
    ("chat role prefix", r"^[ \t]*(?:###[ \t]*)?(?:Human|Assistant|System)[ \t]*:"),
    ("echo of the rewriting instructions",
     r"\b(?:here is|here's|below is)[ \t]+(?:the|a|my|your)[ \t]+(?:rewritten|revised|improved|reformatted|"
     r"polished|updated)[ \t]+(?:response|answer|version)\b"),
    ("echo of the rewriting instructions", r"\b(?:the|this)[ \t]+original[ \t]+(?:response|answer)\b"),
    ("echo of the rewriting instructions", r"\brewritten[ \t]+(?:response|answer)\b"),
    ("echo of the rewriting instructions",
     r"\b(?:according to|following|as per|based on)[ \t]+the[ \t]+(?:given[ \t]+|provided[ \t]+)?"
     r"(?:criteria|format requirements|formatting requirements)\b"),
    ("echo of the rewriting instructions", r"\bI(?:[ \t]+have|'ve)[ \t]+(?:rewritten|reformatted|revised)\b"),
]


def _compile(options: VerifyOptions) -> list[tuple[str, re.Pattern[str]]]:
    out: list[tuple[str, re.Pattern[str]]] = []
    if options.builtin_leak_markers:
        out.extend((d, re.compile(p, _I | _M)) for d, p in BUILTIN_MARKERS)
    for m in options.extra_leak_markers:
        if m.strip():
            out.append(("prompt template marker", re.compile(re.escape(m.strip()), _I)))
    return out


def _snippet(text: str, start: int, end: int) -> str:
    s = text[start:end].replace("\n", " ").strip()
    return s if len(s) <= 60 else s[:57] + "..."


# Every built-in marker contains one of these (lower-cased) substrings; a text with none of them
# cannot match, and the substring test is far cheaper than the combined pattern.
_TRIGGERS = ("<", "keep_original", "rewrit", "revised", "improved", "reformatted", "polished", "updated",
             "criteria", "original", "requirement", "evidence", "instruction", "reference", "task type",
             "candidate", "human", "assistant", "system", "[inst", "[/inst")


def make_check(options: VerifyOptions) -> Check:
    markers = _compile(options)
    # One combined scan finds candidates quickly; per-marker patterns then name them.
    combined = re.compile("|".join(f"(?:{p.pattern})" for _, p in markers), _I | _M) if markers else None
    triggers = (_TRIGGERS if options.builtin_leak_markers else ()) + tuple(
        m.strip().lower() for m in options.extra_leak_markers if m.strip())

    def check(inp: CheckInput) -> CheckResult:
        cand = inp.candidate
        low = cand.lower()
        if combined is None or not any(t in low for t in triggers) or combined.search(cand) is None:
            return CheckResult(name=NAME, passed=True, reason="no leaked prompt markers found")
        found: list[str] = []
        allowed: list[str] = []
        for desc, pat in markers:
            for m in pat.finditer(cand):
                text = m.group(0)
                key = text.strip().lower()
                if pat.search(inp.original) or pat.search(inp.instruction) or (
                    inp.context and pat.search(inp.context)
                ):
                    allowed.append(key)
                    break
                found.append(f"{desc} {_snippet(cand, m.start(), m.end())!r} at char {m.start()}")
                break
        if found:
            return CheckResult(
                name=NAME,
                passed=False,
                reason="leaked prompt text: the rewrite contains " + "; ".join(found[:3])
                + (f" (+{len(found) - 3} more)" if len(found) > 3 else "")
                + "; expected none of the rewriter's prompt scaffolding",
            )
        return CheckResult(
            name=NAME,
            passed=True,
            reason="no leaked prompt markers (markers also present in the original/instruction: "
            + ", ".join(repr(a) for a in allowed[:3]) + ")",
        )

    return check
