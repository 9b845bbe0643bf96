"""Mode `label_reason`: a closed label answer becomes the label plus a short reason (DFAR).

DFAR ("Beyond Labels", arXiv 2408.11879) fine-tunes on label + reason instead of the label alone
and reports much higher accuracy and fewer misaligned reasons. This mode writes that data from a
label-only corpus: for a turn whose answer contract is ``label`` or ``option`` (ethical /
unethical, positive / negative, yes / no, an option letter ...) it asks for one sentence stating
the label and a short reason that supports it, from the instruction, its input, the tool calls and
results the answer rests on (`TurnInput.tool_exchange`) and the evidence only. The sentence and the whole candidate go through the same verification as any rewrite: the
contract's label lock holds the sentence (a flipped, negated, hedged or corrected label is
rejected), and the whole text must pass every other check (length, leak, refusal, language ...);
the lock's complaints about the reason (it names the other label in passing) are flags, stored
with the checks. A rejected candidate is retried once with the reasons (as `rewrite` does), then
the label is kept as it was. With ``modes.reason_judge`` the judge is asked whether the reason supports the
label; the answer is stored (``reason_supports_label``) and flags, never rejects (a judge whose answer
stays unusable leaves no verdict).

Turns with another contract kind (no closed label to hold) get the `rewrite` mode instead.
Steps traced: label_reason, feedback, reason_judge.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from realign.llm.client import ChatResult, LLMError
from realign.llm.structured import loads_lenient
from realign.modes.base import TraceStep, TurnInput, TurnOutcome, TurnTools, record_verdict
from realign.modes.rewrite import rewrite_once
from realign.prompts import render
from realign.records import CheckResult, Verdict
from realign.rewrite import feedback_messages
from realign.verify.contract import AnswerContract
from realign.verify.judge import JUDGE_SAMPLING, REASON_SCHEMA, parse_reason_support, reason_messages
from realign.verify.label import find_mentions, original_label
from realign.verify.options import VerifyOptions
from realign.verify.text_kept import content_words

NAME = "label_reason"
KINDS = frozenset({"label", "option"})

SCHEMA: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {
        "name": "label_reason",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {"answer": {"type": "string"}, "reason": {"type": "string"}},
            "required": ["answer", "reason"],
            "additionalProperties": False,
        },
    },
}
_PLACEHOLDERS = frozenset({"the sentence stating the label", "the short reason", "..."})


class LabelReason(BaseModel):
    answer: str
    reason: str

    @property
    def text(self) -> str:
        """The candidate: the label sentence, then the reason."""
        head = self.answer.strip()
        if head and head[-1] not in ".!?":
            head += "."
        return f"{head} {self.reason.strip()}".strip()


def parse(text: str) -> LabelReason:
    """The answer object; ValueError when it is not one (the client retries the request)."""
    data = loads_lenient(text.strip())
    if not isinstance(data, dict):
        raise ValueError("answer is not the requested JSON object")
    try:
        answer = LabelReason.model_validate(data)
    except ValidationError as e:
        raise ValueError(f"answer JSON does not match the schema: {e.errors()[0]['msg']}") from None
    if not answer.answer.strip():
        raise ValueError("the answer sentence is empty")
    if answer.answer.strip().lower() in _PLACEHOLDERS or answer.reason.strip().lower() in _PLACEHOLDERS:
        raise ValueError("answer copied the prompt's placeholder")
    return answer


def _valid(result: ChatResult) -> None:
    parse(result.contents[0])


def messages(turn: TurnInput, label: str) -> list[dict[str, str]]:
    """Static rules first (the prefix cache), the row last."""
    return [{"role": "system", "content": render("label_reason_system.j2")},
            {"role": "user", "content": render("label_reason_user.j2", instruction=turn.instruction,
                                               tool_exchange=turn.tool_exchange, evidence=turn.evidence_text,
                                               label=label)}]


def other_labels(turn: TurnInput, contract: AnswerContract, sentence: str) -> list[str]:
    """Labels of the contract's family, other than its own, that `sentence` names without
    negating them. The label check reads "could be ethical or unethical" as an echo of the
    instruction's label list; in the one sentence that states the label it is a hedge."""
    if contract.kind != "label":
        return []
    found = original_label(turn.instruction, turn.original, VerifyOptions())
    if found is None:
        return []
    fam, want = found
    return list(dict.fromkeys(m.label for m in find_mentions(sentence, fam) if not m.negated and m.label != want))


# A reason must say something the request does not: SmolLM2-135M gave the statement itself as its
# reason ("I like spitting watermelon seeds across the yard for distance."). Under this share of new
# content words (the label's own left out) the reason only repeats the request; chosen on DFAR's
# train set, whose human reasons open by restating the statement and then say why: 1 of 4,500 falls
# under it (the test set, seen at the same time: 3 of 500).
REASON_NEW_SHARE = 0.15
REASON_MIN_WORDS = 3


def restated_request(instruction: str, reason: str, label: str) -> str | None:
    """Why `reason` is no reason (it repeats the request's words), or None."""
    own = {k for k in content_words(label)}
    words = {k: w for k, w in content_words(reason).items() if k not in own}
    if len(words) < REASON_MIN_WORDS:
        return None
    asked = content_words(instruction).keys()
    new = [w for k, w in words.items() if k not in asked]
    if len(new) / len(words) >= REASON_NEW_SHARE:
        return None
    return (f"the reason repeats the request: {len(words) - len(new)} of its {len(words)} content words are the "
            "request's own; say why the label holds instead")


def check(turn: TurnInput, tools: TurnTools, out: TurnOutcome, answer: LabelReason) -> Verdict:
    """Both parts through verification with the turn's contract: the label sentence must pass
    every check (the lock: a flipped, negated, hedged or corrected label fails it); the whole
    candidate must pass every check but the contract's own, whose failures there are flags (a
    reason may say "stealing is never ethical" under the label unethical; whether it argues for
    another label is the judge's question, `modes.reason_judge`). A reason must be given."""
    head = tools.verify(turn, answer.answer, out.contract)
    whole = tools.verify(turn, answer.text, out.contract)
    locks = set(out.contract.checks)
    checks = [CheckResult(name="label_sentence", passed=c.passed, reason=f"label sentence: {c.reason}")
              for c in head.checks if c.name in locks]
    for c in whole.checks:
        if c.name in locks and not c.passed:
            checks.append(CheckResult(name="reason_label", passed=True, reason=f"flag, the reason: {c.reason}"))
        else:
            checks.append(c)
    also = other_labels(turn, out.contract, answer.answer)
    if also:
        checks.append(CheckResult(name="label_sentence", passed=False, reason=(
            f"the sentence stating the label also names {', '.join(repr(a) for a in also)}: one label only, "
            f"{out.contract.value!r}")))
    if not answer.reason.strip():
        checks.append(CheckResult(name="reason_given", passed=False, reason="the answer gives no reason"))
    else:
        copied = restated_request(turn.instruction, answer.reason, out.contract.value)
        if copied:
            checks.append(CheckResult(name="reason_given", passed=False, reason=copied))
    return Verdict(passed=all(c.passed for c in checks), checks=checks, repairs=whole.repairs, text=whole.text)


def _valid_support(result: ChatResult) -> None:
    parse_reason_support(result.contents[0])


async def _judge_reason(turn: TurnInput, tools: TurnTools, out: TurnOutcome, answer: LabelReason) -> None:
    try:
        judged = await tools.chat(out, reason_messages(turn.instruction, out.contract.value, answer.reason),
                                  purpose="judge", sampling=JUDGE_SAMPLING, response_format=REASON_SCHEMA,
                                  validate=_valid_support)
    except LLMError as e:
        if e.kind not in ("invalid_output", "length"):
            raise  # the server's trouble: the row fails and a rerun asks again
        # The judge only flags: an answer that stays unusable leaves the verified label + reason
        # without a verdict (failing the row kept it out of dfar_reason, and each rerun paid again).
        if e.key:
            out.request_keys.append(e.key)
        out.raw_answers.extend(e.contents)
        out.trace.append(TraceStep(NAME, "reason_judge", e.key, {"supports": None, "error": f"no verdict: {e}"}))
        return
    supports, other = parse_reason_support(judged.contents[0])
    out.reason_supports_label = supports
    out.trace.append(TraceStep(NAME, "reason_judge", judged.key, {"supports": supports, "argues_for": other}))


class LabelReasonMode:
    name = NAME

    async def run(self, turn: TurnInput, tools: TurnTools, out: TurnOutcome) -> None:
        if out.contract.kind not in KINDS:
            out.mode = "rewrite"  # no closed label to hold: the ordinary rewrite
            await rewrite_once(turn, tools, out)
            return
        msgs = messages(turn, out.contract.value)
        verdict: Verdict | None = None
        raw = ""
        for attempt, purpose in ((1, NAME), (2, "feedback")):
            if attempt == 2:
                if not tools.cfg.rewrite.feedback_retry or verdict is None:
                    break
                msgs = feedback_messages(msgs, raw, verdict.feedback())
            result = await tools.chat(out, msgs, purpose=purpose, response_format=SCHEMA, validate=_valid)
            raw = result.contents[0]
            answer = parse(raw)
            out.trace.append(TraceStep(NAME, purpose, result.key, answer.model_dump()))
            verdict = check(turn, tools, out, answer)
            record_verdict(out, attempt, 0, verdict)
            out.candidate, out.attempts = answer.text, attempt
            if verdict.passed:
                out.status, out.final, out.keep_original = "rewritten", verdict.text or answer.text, False
                out.repairs = verdict.repairs
                out.reason = "label kept, reason added" + (" after feedback" if attempt == 2 else "")
                if tools.cfg.modes.reason_judge:
                    await _judge_reason(turn, tools, out, answer)
                return
        out.status, out.final, out.keep_original = "kept_original", turn.original, None
        out.reason = ("rejected: " + "; ".join(c.reason for c in verdict.failures)) if verdict else "no usable answer"
