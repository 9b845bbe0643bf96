"""Mode `rewrite`: reformat the answer to the task's criteria, keeping its meaning (ReAlign).

One request with the rewrite schema; the first of its candidates that passes verification (or
that keeps the original) wins; a candidate that passed may still be turned down by the optional
LLM judge (verify/judge.py); a rejected one is retried once with the failed checks' reasons as
feedback; after that the original is kept. Steps traced: rewrite, judge, feedback.

`rewrite_once` is also the first stage of `critique_revise`.
"""

from __future__ import annotations

from typing import Any

from realign.llm.client import ChatResult
from realign.modes.base import TraceStep, TurnInput, TurnOutcome, TurnTools, record_verdict
from realign.records import Verdict
from realign.rewrite import build_messages, decide, feedback_messages, parse_answer, rewrite_schema
from realign.verify.judge import JUDGE_SAMPLING, JUDGE_SCHEMA, judge_messages, parse_judgement, wants_judge

NAME = "rewrite"


def _valid_rewrite(result: ChatResult) -> None:
    """Validator of a rewrite call: raises ValueError when no choice parses."""
    errors = []
    for c in result.contents:
        try:
            parse_answer(c)
            return
        except ValueError as e:
            errors.append(str(e))
    raise ValueError("; ".join(errors) or "no choices in the answer")


def _judge_answer(result: ChatResult) -> None:
    """Validator of a judge call: raises ValueError when the answer holds no verdict."""
    parse_judgement(result.contents[0])


async def ask(tools: TurnTools, messages: list[dict[str, str]], out: TurnOutcome, purpose: str = "rewrite",
              mode: str = NAME) -> ChatResult:
    """One rewrite request (the run's sampling and n), traced with its parsed candidates."""
    result = await tools.chat(out, messages, purpose=purpose,
                              response_format=rewrite_schema(tools.cfg.rewrite.answer_schema),
                              validate=_valid_rewrite, n=tools.cfg.sampling.n)
    parsed: list[Any] = []
    for c in result.contents:
        try:
            parsed.append(parse_answer(c).model_dump())
        except ValueError:
            parsed.append(None)
    out.trace.append(TraceStep(mode, purpose, result.key, parsed if len(parsed) > 1 else parsed[0]))
    return result


def pick(turn: TurnInput, tools: TurnTools, result: ChatResult, attempt: int,
         out: TurnOutcome) -> tuple[bool, str | None, Verdict | None]:
    """Walk the candidates in order; the first that passes (or that keeps the original) wins."""
    first_raw, first_verdict = None, None
    original = turn.original
    for ci, raw in enumerate(result.contents):
        try:
            answer = parse_answer(raw)
        except ValueError:
            continue
        keep, note = decide(answer, original)
        if keep:
            out.status, out.final, out.keep_original = "kept_original", original, True
            out.candidate = None
            out.reason = note or "the model judged the original already meets the criteria"
            out.attempts = attempt
            return True, None, None
        verdict = tools.verify(turn, answer.rewritten, out.contract)
        record_verdict(out, attempt, ci, verdict)
        out.candidate = answer.rewritten
        if verdict.passed:
            out.status, out.final, out.keep_original = "rewritten", verdict.text or answer.rewritten, False
            out.repairs = verdict.repairs
            out.reason = ("passed all checks" if attempt == 1 else "passed all checks after feedback") \
                + (f" ({note})" if note else "")
            out.attempts = attempt
            return True, None, verdict
        if first_verdict is None:
            first_raw, first_verdict = raw, verdict
    return False, first_raw, first_verdict


async def gate(turn: TurnInput, tools: TurnTools, result: ChatResult, out: TurnOutcome,
               verdict: Verdict | None, mode: str = NAME) -> tuple[bool, str | None, Verdict | None]:
    """After a candidate passed the deterministic checks: the optional LLM judge
    (verify/judge.py), for the contract kinds and tasks the config names. A "changed"
    verdict turns the pass into a rejection whose reason feeds the retry."""
    vc = tools.cfg.verify
    if verdict is None or out.status != "rewritten" or not wants_judge(turn.task, out.contract.kind, vc.judge,
                                                                        list(vc.judge_kinds)):
        return True, None, verdict
    original = turn.original
    judged = await tools.chat(out, judge_messages(turn.instruction, original, out.final), purpose="judge",
                              sampling=JUDGE_SAMPLING, response_format=JUDGE_SCHEMA, validate=_judge_answer)
    check = parse_judgement(judged.contents[0])
    out.trace.append(TraceStep(mode, "judge", judged.key, {"passed": check.passed, "reason": check.reason}))
    entry = out.verdicts[-1]
    entry["checks"].append(check.model_dump())
    if check.passed:
        return True, None, verdict
    entry["passed"] = False
    out.status, out.final, out.repairs = "kept_original", original, []
    return False, result.contents[entry["candidate"]], Verdict(passed=False, checks=[*verdict.checks, check])


async def rewrite_once(turn: TurnInput, tools: TurnTools, out: TurnOutcome, mode: str = NAME) -> None:
    """Today's rewrite of one turn, filling `out`; see the module docstring."""
    messages = build_messages(turn.spec, turn.example, turn.turn_index, turn.evidence_text,
                              evidence_allowed=bool(out.evidence), answer_schema=tools.cfg.rewrite.answer_schema)
    result = await ask(tools, messages, out, mode=mode)
    done, raw, verdict = pick(turn, tools, result, 1, out)
    if done:
        done, raw, verdict = await gate(turn, tools, result, out, verdict, mode)
    if done:
        return
    if tools.cfg.rewrite.feedback_retry and raw is not None and verdict is not None:
        retry = feedback_messages(messages, raw, verdict.feedback())
        result = await ask(tools, retry, out, "feedback", mode=mode)
        done, _, last = pick(turn, tools, result, 2, out)
        if done:
            done, _, last = await gate(turn, tools, result, out, last, mode)
        if done:
            return
        verdict = last or verdict
    out.status, out.final = "kept_original", turn.original
    out.attempts = 2 if tools.cfg.rewrite.feedback_retry else 1
    out.reason = "rejected: " + ("; ".join(c.reason for c in verdict.failures) if verdict else "no usable candidate")


class RewriteMode:
    name = NAME

    async def run(self, turn: TurnInput, tools: TurnTools, out: TurnOutcome) -> None:
        await rewrite_once(turn, tools, out)
