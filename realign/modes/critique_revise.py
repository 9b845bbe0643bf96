"""Mode `critique_revise`: the rewrite, then at most two rounds of critique and revision.

After the `rewrite` mode has produced a verified answer (or kept the original), turns that call
for it (moral judgements, mentions of protected groups; every turn with ``modes.critique_all``)
get a structured critique: issues, each with a kind, the exact span and a fix, and
``needs_revision``. Only a critique with specific issues leads to a revision, prompted with those
issues (both prompts show the tool calls and results an answer rests on, `TurnInput.tool_exchange`); a critique that finds none ends the loop. This follows the moral self-correction study
(arXiv 2410.23496): models improve from specific feedback, waver when asked to "review" without
new information, and all fail when the instruction itself is unethical. Hence three guards:

- each revision goes through the same verification as any candidate, against the turn's answer
  contract, and must pass every check (so it cannot fail one the previous version passed);
- the answer itself never moves, except, with ``modes.critique_may_abstain``, a closed answer
  (option / label) to the instruction's own "unknown" / "cannot be determined" choice when the
  critique names it an ``unsupported_answer`` (an ambiguous context, as in BBQ); the contract
  then follows the abstention, and later rounds are held to it;
- an instruction that asks for harmful or demeaning output (task ``rejecting``, or the patterns
  below) never enters the loop: it is rewritten under the ``rejecting`` criteria instead.

Steps traced: rewrite (and judge, feedback), route, critique, revise.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, ValidationError

from realign.llm.client import ChatResult, LLMError
from realign.llm.structured import loads_lenient
from realign.modes.base import TraceStep, TurnInput, TurnOutcome, TurnTools, record_verdict
from realign.modes.rewrite import rewrite_once
from realign.prompts import render
from realign.records import Turn, Verdict
from realign.verify.choice import parse_options
from realign.verify.contract import AnswerContract, read_contract
from realign.verify.label import offered_labels

if TYPE_CHECKING:
    from realign.config import PipelineConfig

NAME = "critique_revise"
IssueKind = Literal["stereotype", "unsupported_answer", "harmful", "factual", "unclear"]


class Issue(BaseModel):
    kind: IssueKind
    span: str
    fix: str


class Critique(BaseModel):
    issues: list[Issue] = Field(default_factory=list)
    needs_revision: bool = False

    def specific(self, answer: str) -> list[Issue]:
        """Issues that name words of `answer` (case and spacing aside) and a fix; only these lead
        to a revision. A span the answer does not hold (a number made up, the prompt's own words)
        points at nothing to fix."""
        said = " ".join(answer.lower().split())
        return [i for i in self.issues
                if i.span.strip() and i.fix.strip() and " ".join(i.span.lower().split()) in said]


def _schema(name: str, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": name, "strict": True, "schema": {
        "type": "object", "properties": props, "required": list(props), "additionalProperties": False}}}


CRITIQUE_SCHEMA = _schema("critique", {
    "issues": {"type": "array", "items": {"type": "object", "properties": {
        "kind": {"type": "string", "enum": list(IssueKind.__args__)},  # type: ignore[attr-defined]
        "span": {"type": "string"}, "fix": {"type": "string"}},
        "required": ["kind", "span", "fix"], "additionalProperties": False}},
    "needs_revision": {"type": "boolean"}})
REVISE_SCHEMA = _schema("revision", {"revised": {"type": "string"}})


def parse_critique(text: str) -> Critique:
    data = loads_lenient(text.strip())
    if not isinstance(data, dict):
        raise ValueError("critique is not the requested JSON object")
    try:
        return Critique.model_validate(data)
    except ValidationError as e:
        raise ValueError(f"critique JSON does not match the schema: {e.errors()[0]['msg']}") from None


def parse_revision(text: str) -> str:
    data = loads_lenient(text.strip())
    if not isinstance(data, dict) or not isinstance(data.get("revised"), str) or not data["revised"].strip():
        raise ValueError("revision is not the requested JSON object with a non-empty 'revised'")
    return data["revised"]


def _valid_critique(result: ChatResult) -> None:
    parse_critique(result.contents[0])


def _valid_revision(result: ChatResult) -> None:
    parse_revision(result.contents[0])


_REQUEST = re.compile(r"<request>\n?(.*?)\n?</request>.*?<answer>\n?(.*?)\n?</answer>", re.DOTALL)
_ISSUE = re.compile(r"^- (\w+): \"(.*?)\"\. Fix: (.*)$", re.M)


def request_parts(body: dict[str, Any]) -> dict[str, Any] | None:
    """For scripted servers: the step (critique / revise), instruction, answer and issues of a
    request of this mode; None for any other request."""
    messages = body.get("messages") or []
    last = str(messages[-1].get("content", "")) if messages else ""
    m = _REQUEST.search(last)
    if m is None or not (last.startswith("You review an answer") or last.startswith("Revise the answer")):
        return None
    issues = [{"kind": k, "span": s, "fix": f} for k, s, f in _ISSUE.findall(last.split("<issues>")[-1])] \
        if "<issues>" in last else []
    return {"step": "critique" if last.startswith("You review") else "revise", "instruction": m.group(1),
            "answer": m.group(2), "issues": issues}


# ---- which turns enter the loop ------------------------------------------------------------------
_GROUPS = (r"muslims?|christians?|jews?|jewish|hindus?|buddhists?|atheists?|sikhs?|catholics?|mormons?|"
           r"black (?:people|men|women|man|woman)|white (?:people|men|women)|asians?|africans?|hispanics?|latin[oa]s?|"
           r"arabs?|native americans?|roma|gypsies|immigrants?|refugees?|women|girls|transgender|trans (?:people|women|men)|"
           r"non-?binary|gays?|lesbians?|bisexuals?|queer|lgbtq?\+?|disabled|disability|disabilities|blind|deaf|"
           r"wheelchair|autistic|elderly|old people")
PROTECTED = re.compile(rf"\b(?:{_GROUPS})\b", re.I)
# Requests for demeaning or harmful output. Coarse on purpose: a row caught here is rewritten as a
# refusal (the rejecting criteria) instead of being "improved"; the classifier's `rejecting` task
# catches the rest.
_DEMEANING = re.compile(
    rf"(?:\b(?:joke|jokes|insult|insults|roast|mock|make fun|slur|slurs)\b[^.?!\n]{{0,60}}\b(?:{_GROUPS})\b"
    rf"|\b(?:why|explain why|prove that|show that|argue that)\b[^.?!\n]{{0,40}}\b(?:{_GROUPS})\b[^.?!\n]{{0,40}}"
    r"\b(?:inferior|lazy|stupid|dumb|criminals?|terrorists?|violent|dirty|greedy|worse|less intelligent|"
    r"shouldn't|should not|don't deserve|do not deserve)\b)", re.I)
_HARMFUL = re.compile(
    r"\b(?:how (?:do|can|could|would) (?:i|you|one|we)|how to|steps to|teach me to|help me)\b[^.?!\n]{0,40}"
    r"\b(?:make|build|synthesi[sz]e|cook|buy)\b[^.?!\n]{0,30}\b(?:bomb|explosives?|nerve agent|meth(?:amphetamine)?|"
    r"untraceable gun|ghost gun|poison)\b"
    r"|\b(?:how to|help me|teach me to)\b[^.?!\n]{0,30}\b(?:kill|poison|stalk|kidnap)\b[^.?!\n]{0,30}\b(?:someone|a person|my|him|her|people)\b",
    re.I)
_ETHICS_LABELS = frozenset({"ethical", "unethical", "moral", "immoral", "acceptable", "unacceptable", "wrong", "right"})


def harmful_request(task: str, instruction: str) -> str | None:
    """Why the instruction asks for harmful or demeaning output, or None."""
    if task == "rejecting":
        return "the task is rejecting"
    for what, pattern in (("demeaning content about a group", _DEMEANING), ("harmful instructions", _HARMFUL)):
        m = pattern.search(instruction)
        if m:
            return f"the instruction asks for {what}: {m.group(0)[:80]!r}"
    return None


def calls_for_critique(turn: TurnInput, contract: AnswerContract, answer: str, every_row: bool) -> str | None:
    """Why the turn enters the loop (None: it does not)."""
    if every_row:
        return "modes.critique_all"
    if turn.task == "value_judgement":
        return "a moral judgement (value_judgement)"
    if contract.kind == "label" and contract.value.lower() in _ETHICS_LABELS:
        return f"a moral label ({contract.value})"
    m = PROTECTED.search(turn.instruction) or PROTECTED.search(answer)
    return f"mentions a protected group ({m.group(0)!r})" if m else None


# ---- abstaining ------------------------------------------------------------------------------------
ABSTAIN = re.compile(
    r"^(?:unknown|not known|undetermined|cannot be determined|can'?t be determined|cannot answer|can'?t answer|"
    r"not answerable|unanswerable|not enough (?:info|information)|cannot tell|can'?t tell|"
    r"there is not enough information|it is not possible to tell)\.?$", re.I)


def abstain_answer(instruction: str, contract: AnswerContract) -> str | None:
    """The instruction's own "unknown" answer, written as an original would state it, or None."""
    if contract.kind == "option":
        for letter, text in parse_options(instruction).items():
            if ABSTAIN.match(text.strip()):
                return f"({letter}) {text.strip()}"
    elif contract.kind == "label":
        for label in offered_labels(instruction):
            if ABSTAIN.match(label):
                return label
    return None


def anchored(turn: TurnInput, answer: str) -> TurnInput:
    """The turn with `answer` in place of its original: what a revision is held to once the
    contract has moved to the abstention."""
    turns = list(turn.example.turns)
    turns[turn.turn_index] = Turn(role=turns[turn.turn_index].role, content=answer)
    return TurnInput(task=turn.task, spec=turn.spec, example=turn.example.model_copy(update={"turns": turns}),
                     turn_index=turn.turn_index, evidence_text=turn.evidence_text)


async def _refine(tools: TurnTools, out: TurnOutcome, step: str, round_no: int, messages: list[dict[str, str]],
                  schema: dict[str, Any], validate: Any) -> ChatResult | None:
    """One critique or revision call; None when its answer stayed unusable after the client's
    retries. Both only refine an answer that already passed its checks, so such an answer ends
    the loop with that answer kept (traced, noted in the reason) instead of failing the row; the
    server's own trouble (HTTP errors, timeouts) still propagates and fails it."""
    try:
        return await tools.chat(out, messages, purpose=step, response_format=schema, validate=validate)
    except LLMError as e:
        if e.kind not in ("invalid_output", "length"):
            raise
        if e.key:
            out.request_keys.append(e.key)
        out.raw_answers.extend(e.contents)
        out.trace.append(TraceStep(NAME, step, e.key, {"round": round_no, "error": f"no usable {step}: {e}"}))
        out.reason += f"; {step} {round_no} gave no usable answer, loop ended"
        return None


class CritiqueReviseMode:
    name = NAME

    @staticmethod
    def claims_passthrough(task: str, instruction: str, cfg: PipelineConfig) -> bool:
        """A request for harmful or demeaning output is rewritten under `rejecting` even when its
        task is passed through (a joke about a group is filed under story_generation)."""
        return harmful_request(task, instruction) is not None

    async def run(self, turn: TurnInput, tools: TurnTools, out: TurnOutcome) -> None:
        why_not = harmful_request(turn.task, turn.instruction)
        if why_not is not None:
            out.trace.append(TraceStep(NAME, "route", None, {"to": "rejecting", "why": why_not}))
            if "rejecting" in tools.tasks and turn.task != "rejecting":
                turn = TurnInput(task="rejecting", spec=tools.tasks["rejecting"], example=turn.example,
                                 turn_index=turn.turn_index, evidence_text=turn.evidence_text)
            await rewrite_once(turn, tools, out, mode=NAME)
            return
        await rewrite_once(turn, tools, out, mode=NAME)
        m = tools.cfg.modes
        why = calls_for_critique(turn, out.contract, out.final, m.critique_all)
        if why is None:
            return
        anchor, contract = turn, out.contract
        attempt = max((v["attempt"] for v in out.verdicts), default=out.attempts)
        for round_no in range(1, m.critique_rounds + 1):
            answer = out.final
            result = await _refine(tools, out, "critique", round_no, [{"role": "user", "content": render(
                "critique.j2", instruction=turn.instruction, tool_exchange=turn.tool_exchange, answer=answer)}], CRITIQUE_SCHEMA, _valid_critique)
            if result is None:
                break
            critique = parse_critique(result.contents[0])
            issues = critique.specific(answer)
            said = " ".join(answer.lower().split())
            unfound = [i.span for i in critique.issues if i.span.strip() and " ".join(i.span.lower().split()) not in said]
            out.trace.append(TraceStep(NAME, "critique", result.key, {
                **critique.model_dump(), "round": round_no, "why": why,
                **({"spans_not_in_answer": unfound} if unfound else {})}))
            if not critique.needs_revision or not issues:
                break  # nothing specific to fix: a revision now would only waver
            result = await _refine(tools, out, "revise", round_no, [{"role": "user", "content": render(
                "revise.j2", instruction=turn.instruction, tool_exchange=turn.tool_exchange, answer=answer,
                issues=issues)}], REVISE_SCHEMA,
                _valid_revision)
            if result is None:
                break
            revised = parse_revision(result.contents[0])
            attempt += 1
            verdict, moved = self._hold(turn, anchor, contract, revised, issues, tools)
            record_verdict(out, attempt, 0, verdict, round=round_no, **({"abstained": moved} if moved else {}))
            out.trace.append(TraceStep(NAME, "revise", result.key, {"revised": revised, "round": round_no,
                                                                     "accepted": verdict.passed,
                                                                     **({"abstained": moved} if moved else {})}))
            if not verdict.passed:
                out.reason += f"; revision {round_no} rejected: " + "; ".join(c.reason for c in verdict.failures)
                break
            if moved:
                anchor = anchored(turn, moved)
                contract = read_contract(turn.instruction, moved)
                out.contract = contract
            out.status, out.final, out.keep_original = "rewritten", verdict.text or revised, False
            out.candidate, out.attempts = revised, attempt
            out.reason += f"; revised after critique round {round_no}" + (f" (answer moved to {moved!r})" if moved else "")

    @staticmethod
    def _hold(turn: TurnInput, anchor: TurnInput, contract: AnswerContract, revised: str, issues: list[Issue],
              tools: TurnTools) -> tuple[Verdict, str | None]:
        """The revision's verdict against the contract, and the abstention it moved to (if any)."""
        if tools.cfg.modes.critique_may_abstain and any(i.kind == "unsupported_answer" for i in issues):
            target = abstain_answer(turn.instruction, contract)
            if target is not None and target != anchor.original:
                moved = tools.verify(anchored(turn, target), revised, read_contract(turn.instruction, target))
                if moved.passed:
                    return moved, target
        return tools.verify(anchor, revised, contract), None
