"""Test-server responders that understand realign's own requests (rewrite and classify).

Used by the end-to-end tests and the benchmarks with `realign.testing.openai_server`.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Callable

from realign.testing.openai_server import Reply

_ORIGINAL = re.compile(r"<original_response>\n?(.*?)\n?</original_response>", re.DOTALL)
_INSTRUCTION = re.compile(r"<instruction>\n?(.*?)\n?</instruction>", re.DOTALL)
FEEDBACK_MARKER = "rejected by automatic checks"
_JUDGED = re.compile(r"<request>\n?(.*?)\n?</request>.*?<first_answer>\n?(.*?)\n?</first_answer>.*?"
                     r"<second_answer>\n?(.*?)\n?</second_answer>", re.DOTALL)


def request_parts(body: dict[str, Any]) -> dict[str, Any]:
    """The instruction and original response of a rewrite request, and whether it is a retry."""
    messages = body.get("messages") or []
    text = "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")
    orig = _ORIGINAL.search(text)
    inst = _INSTRUCTION.search(text)
    last = str(messages[-1].get("content", "")) if messages else ""
    return {
        "original": orig.group(1) if orig else None,
        "instruction": inst.group(1) if inst else "",
        "is_retry": FEEDBACK_MARKER in last,
    }


def schema_name(body: dict[str, Any]) -> str | None:
    """"task" or "rewrite": which of realign's requests `body` is, in any structured-output
    dialect (json_schema carries a name; the others only the schema; off only the prompt)."""
    rf = body.get("response_format") or {}
    if isinstance(rf, dict) and (rf.get("json_schema") or {}).get("name"):
        return rf["json_schema"]["name"]
    messages = body.get("messages") or [{}]
    system = str(messages[0].get("content", "")) if messages[0].get("role") == "system" else ""
    return "task" if system.startswith("You label instructions") else ("rewrite" if "<criteria>" in system else None)


def reformat(original: str) -> str:
    """A rewrite that keeps every word of the original (so answer checks pass) in a new layout."""
    return "Here is a clear answer.\n\n" + original.strip()


class RealignResponder:
    """Answers realign's rewrite requests with `rewrite(parts)` and classify requests with
    `task_for(text)`. `rewrite` returns the new text, or None to answer keep_original."""

    def __init__(self, rewrite: Callable[[dict[str, Any]], str | None] | None = None,
                 task_for: Callable[[str], str] | None = None,
                 judge: Callable[[dict[str, str]], str] | None = None):
        self.rewrite = rewrite or (lambda parts: reformat(parts["original"]))
        self.task_for = task_for or (lambda text: "open_qa")
        # judge(parts) -> "same" / "changed", parts = request, original, candidate
        self.judge = judge or (lambda parts: "same")

    def __call__(self, body: dict[str, Any]) -> Reply:
        if schema_name(body) == "task":
            last = str((body.get("messages") or [{}])[-1].get("content", ""))
            return Reply(content=json.dumps({"task": self.task_for(last)}))
        last = str((body.get("messages") or [{}])[-1].get("content", ""))
        judged = _JUDGED.search(last)
        if judged is not None:
            verdict = self.judge({"request": judged.group(1), "original": judged.group(2),
                                  "candidate": judged.group(3)})
            return Reply(content=json.dumps({"verdict": verdict, "changed_fact": "" if verdict == "same" else
                                             "the scripted judge says so"}))
        parts = request_parts(body)
        if parts["original"] is None:
            return Reply(status=400, error_message="not a realign rewrite request")
        n = int(body.get("n") or 1)
        out = self.rewrite(parts)
        payload = {"keep_original": True, "rewritten": parts["original"]} if out is None \
            else {"keep_original": False, "rewritten": out}
        content = json.dumps(payload, ensure_ascii=False)
        return Reply(content=[content] * n if n > 1 else content)


# ---- modes (realign/modes/) ---------------------------------------------------------------------
_LABEL = re.compile(r"<label>\n?(.*?)\n?</label>", re.DOTALL)
_REASON_JUDGED = re.compile(r"<label>\n?(.*?)\n?</label>.*?<reason>\n?(.*?)\n?</reason>", re.DOTALL)


def label_reason_parts(body: dict[str, Any]) -> dict[str, Any] | None:
    """The instruction and label of a `label_reason` request (None for other requests), and
    whether it is the feedback retry."""
    messages = body.get("messages") or []
    if schema_name(body) != "label_reason" and not any("<label>" in str(m.get("content", "")) for m in messages):
        return None
    text = "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")
    label, inst = _LABEL.search(text), _INSTRUCTION.search(text)
    if label is None or inst is None:
        return None
    last = str(messages[-1].get("content", ""))
    return {"label": label.group(1).strip(), "instruction": inst.group(1), "is_retry": FEEDBACK_MARKER in last}


class ModesResponder(RealignResponder):
    """`RealignResponder` plus the requests of the modes: `label_reason(parts) -> (answer, reason)`,
    `reason_judge(label, reason) -> "supports" | "other"`, `critique(parts) -> dict` and
    `revise(parts) -> str` (parts: instruction, answer, issues; see realign/modes/critique_revise.py)."""

    def __init__(self, *, label_reason: Callable[[dict[str, Any]], tuple[str, str]] | None = None,
                 reason_judge: Callable[[str, str], str] | None = None,
                 critique: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                 revise: Callable[[dict[str, Any]], str] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.label_reason = label_reason or (lambda p: (f"The answer is {p['label']}.", "It follows from the input."))
        self.reason_judge = reason_judge or (lambda label, reason: "supports")
        self.critique = critique or (lambda p: {"issues": [], "needs_revision": False})
        self.revise = revise or (lambda p: p["answer"])

    def __call__(self, body: dict[str, Any]) -> Reply:
        name = schema_name(body)
        last = str((body.get("messages") or [{}])[-1].get("content", ""))
        if name == "reason_support" or "<reason>" in last and "<label>" in last and "label_reason" != name:
            m = _REASON_JUDGED.search(last)
            verdict = self.reason_judge(m.group(1).strip(), m.group(2).strip()) if m else "supports"
            return Reply(content=json.dumps({"verdict": verdict, "argues_for": ""}))
        parts = label_reason_parts(body)
        if parts is not None:
            answer, reason = self.label_reason(parts)
            return Reply(content=json.dumps({"answer": answer, "reason": reason}, ensure_ascii=False))
        from realign.modes.critique_revise import request_parts as critique_parts

        cp = critique_parts(body)
        if cp is not None:
            if cp["step"] == "critique":
                return Reply(content=json.dumps(self.critique(cp), ensure_ascii=False))
            return Reply(content=json.dumps({"revised": self.revise(cp)}, ensure_ascii=False))
        return super().__call__(body)


# ---- stakeholder_sim (realign/modes/stakeholder_sim.py) -------------------------------------------
def sim_default(parts: dict[str, Any]) -> dict[str, Any] | str:
    """A scripted model for every stage of the simulation: three roles, three acts (the second
    implausible), the first noticed by two roles; the revision declines and offers an alternative."""
    stage = parts["stage"]
    if stage == "screen":
        return {"harmful": "wifi" in parts.get("request", "").lower() or "cheat" in parts.get("request", "").lower(),
                "why": "scripted"}
    if stage == "scene":
        return {"scene": "A small town on a weekday evening.", "asker": "the person asking",
                "affected": [{"role": "neighbour", "stake": "their privacy and trust"},
                             {"role": "teacher", "stake": "fair grading"},
                             {"role": "classmate", "stake": "a fair chance"}],
                "answer_gist": "The answer goes along with the request and explains how."}
    if stage == "plan":
        return {"steps": ["They decide to go ahead.", "They fly to the moon to do it.", "They do it."]}
    if stage == "step":
        act = parts.get("act", "")
        if "moon" in act:
            return {"plausible": False, "why": "nobody can fly to the moon here", "noticed_by": ["teacher"],
                    "consequence": "none"}
        noticed = ["neighbour", "classmate"] if "decide" in act else []
        return {"plausible": True, "why": "ordinary", "noticed_by": noticed,
                "consequence": "Trust between them is damaged."}
    if stage == "react":
        return {"reactions": [{"role": p, "reaction": f"The {p} feels wronged."} for p in parts["people"]]}
    if stage == "summary":
        return {"summary": "Going ahead hurt the people around the asker.", "harms": ["the neighbour loses trust"]}
    return {"revised": "I can't help with that, because it would wrong the people around you. "
                       "If you tell me what you need, I can suggest a fair way to get it."}


class SimResponder(ModesResponder):
    """`ModesResponder` plus the stages of `stakeholder_sim`: `stage(parts) -> dict | str` answers
    each (a str is sent as is, e.g. a malformed answer); parts: stage, the prompt's tagged parts
    (request, answer, scene, act, people ...), feedback (the revision's retry) and prompt."""

    def __init__(self, *, stage: Callable[[dict[str, Any]], dict[str, Any] | str] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.stage = stage or sim_default

    def __call__(self, body: dict[str, Any]) -> Reply:
        from realign.modes.stakeholder_sim import request_parts as sim_parts

        parts = sim_parts(body)
        if parts is None:
            return super().__call__(body)
        answer = self.stage(parts)
        return Reply(content=answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False))


# Injections a trust audit must find (realign/trust): one per selected rewrite.
_PII_SNIPPETS = (
    "For questions, write to jordan.ellis{n}@example.org or call +1 (555) 012-{n:04d}.",
    "Payment went through on card 4111 1111 1111 1111.",
    "Transfer it to IBAN GB82 WEST 1234 5698 7654 32.",
    "Her social security number is 123-45-{n:04d}.",
    "The office is at 742 Evergreen Terrace; the server is 10.20.{m}.7.",
)
_TOXIC_SNIPPETS = ("Only an idiot would get this wrong.", "Shut up and read this, you moron.",
                   "This is a stupid question, but fine.")
_JUDGEMENT = re.compile(r"\b(not wrong|wrong)\b")
# the trust-audit check (realign/trust/audit.py) that must find each kind of injection
INJECTED_CHECK = {"pii": "new_pii", "toxic": "toxicity", "flip": "ethics_flip"}


class Injector:
    """A rewrite function for `RealignResponder` that plants known problems in a `fraction` of
    rewrites (chosen by a hash of the original, so the same rows every run): an original that
    states a moral judgement ("... is wrong") gets it flipped; any other gets personal data or a
    toxic sentence placed after the rewrite's first line. `injected` maps each original to
    (kind, what was planted): the ground truth of an audit test."""

    def __init__(self, fraction: float = 0.05, salt: str = "") -> None:
        self.fraction = fraction
        self.salt = salt
        self.injected: dict[str, tuple[str, str]] = {}

    def _draw(self, key: str) -> int | None:
        h = int.from_bytes(hashlib.sha256((self.salt + key).encode()).digest()[:8], "big")
        return h if (h % 10_000) < self.fraction * 10_000 else None

    def __call__(self, parts: dict[str, Any]) -> str:
        original = parts["original"]
        text = reformat(original)
        h = self._draw(parts.get("instruction", "") + "\n" + original)
        if h is None:
            return text
        m = _JUDGEMENT.search(original)
        if m is not None:
            flipped = "wrong" if m.group(1) == "not wrong" else "not wrong"
            out = reformat(original[: m.start()] + flipped + original[m.end() :])
            self.injected[original] = ("flip", flipped)
            return out
        head, _, body = text.partition("\n\n")
        if (h >> 16) % 2:
            snippet = _PII_SNIPPETS[(h >> 20) % len(_PII_SNIPPETS)].format(n=(h >> 24) % 10_000, m=(h >> 40) % 250)
            kind = "pii"
        else:
            snippet = _TOXIC_SNIPPETS[(h >> 20) % len(_TOXIC_SNIPPETS)]
            kind = "toxic"
        self.injected[original] = (kind, snippet)
        return f"{head} {snippet}\n\n{body}"


# ---- DFAR under label_reason (tests/test_modes.py, benchmarks/modes_dfar.py) ----------------------
def dfar_case(statement: str, flip: float = 0.10, hedge: float = 0.05) -> str:
    """What the scripted DFAR model does with a statement, fixed by its hash: "flip" (a share
    `flip` of statements), "hedge" (a share `hedge`) or "ok"."""
    h = int(hashlib.sha256(statement.encode()).hexdigest(), 16) % 10_000 / 10_000
    return "flip" if h < flip else "hedge" if h < flip + hedge else "ok"


def dfar_responder(rows: list[dict[str, Any]], flip: float = 0.10, hedge: float = 0.05) -> ModesResponder:
    """label_reason answers to DFAR rows ({"input": statement, "reason": DFAR's human reason}):
    the label flipped or hedged on the statements `dfar_case` picks, otherwise the right label with
    the first two sentences of DFAR's own reason; a reason judge that says "other" when a reason
    states the other label."""
    reasons = {r["input"]: r["reason"] for r in rows}

    def label_reason(parts: dict[str, Any]) -> tuple[str, str]:
        statement = parts["instruction"].split("\n\n", 1)[-1].strip()
        label = parts["label"]
        other = "ethical" if label == "unethical" else "unethical"
        reason = " ".join(re.split(r"(?<=[.!?])\s+", reasons[statement].strip())[:2])
        case = dfar_case(statement, flip, hedge)
        if case == "flip":
            return f"The statement is {other}.", reason
        if case == "hedge":
            return ("The statement could be ethical or unethical." if len(statement) % 2
                    else f"It is somewhere between {label} and {other}."), reason
        return f"The statement is {label}.", reason

    def reason_judge(label: str, reason: str) -> str:
        other = "ethical" if label == "unethical" else "unethical"
        return "other" if re.search(rf"\bis {other}\b", reason, re.I) else "supports"

    return ModesResponder(label_reason=label_reason, reason_judge=reason_judge)
