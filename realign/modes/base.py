"""What a mode is: how one assistant turn gets its candidate answers.

A mode turns (row, turn, task, answer contract, evidence) into candidates plus a trace of its LLM
steps. The pipeline keeps the rest: it reads the contract, fetches the evidence, lends the mode a
`TurnTools` (the LLM client with the run's sampling, and `verify`, which runs
`verify.registry.verify_candidate` with the turn's contract and the task's checks), catches LLM
errors, and stores the outcome and its trace. Every candidate a mode accepts has passed `verify`;
a mode never decides on its own that a text keeps the answer.

A mode is an object with a ``name`` and ``async def run(turn, tools, out) -> None`` that fills the
`TurnOutcome` in place (status, final, reason, verdicts, trace). Modes register in
`realign.modes.MODES`; the pipeline config picks one per task or contract kind (`[modes]`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Protocol

from realign.records import Evidence, Example, Verdict
from realign.verify.contract import AnswerContract

if TYPE_CHECKING:
    from realign.config import PipelineConfig
    from realign.llm.client import ChatResult, LLMClient
    from realign.tasks import TaskSpec


@dataclass
class TraceStep:
    """One LLM step of a mode, stored in the `mode_steps` table and printed by `realign show`."""

    mode: str
    step: str  # rewrite, feedback, judge, label_reason, critique, revise, reason_judge, route ...
    request_key: str | None  # the request in llm_calls (None: a step that sent nothing, e.g. routing)
    output: Any = None  # the parsed answer (a dict), or a note; None when it could not be parsed


@dataclass
class TurnOutcome:
    status: str  # rewritten | kept_original | failed
    final: str
    reason: str
    attempts: int = 0
    candidate: str | None = None
    keep_original: bool | None = None
    request_keys: list[str] = field(default_factory=list)
    raw_answers: list[str] = field(default_factory=list)
    verdicts: list[dict[str, Any]] = field(default_factory=list)  # one per verified candidate
    evidence: list[Evidence] = field(default_factory=list)
    evidence_dropped: list[Evidence] = field(default_factory=list)  # hits under the relevance floor
    contract: AnswerContract = field(default_factory=AnswerContract)  # what every candidate must keep
    repairs: list[str] = field(default_factory=list)  # answer-neutral repairs of the final text
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str | None = None
    mode: str = "rewrite"  # the mode that produced the candidates
    trace: list[TraceStep] = field(default_factory=list)
    reason_supports_label: bool | None = None  # label_reason with the judge on; None: not asked
    # Earlier answers the turn's requests showed as rewritten (their final text, as exported);
    # empty: the conversation before the turn as the input has it.
    history_rewritten: list[int] = field(default_factory=list)
    # A failed turn whose failure the cache repeats on every rerun (LLMError.settled): it does
    # not hold a chat's later turns back (realign.pipeline.holds_back).
    settled: bool = False


@dataclass
class TurnInput:
    """The turn a mode works on; read-only for the mode."""

    task: str
    spec: TaskSpec
    example: Example
    turn_index: int
    evidence_text: str = ""  # the evidence as the prompt shows it ("" without evidence)

    @property
    def original(self) -> str:
        return self.example.turns[self.turn_index].content

    @property
    def instruction(self) -> str:
        from realign.rewrite import turn_instruction

        return turn_instruction(self.example, self.turn_index)

    @property
    def next_user(self) -> str:
        """The user turn that replies to this answer ("" when none follows; `realign.rewrite.next_user_turn`):
        verification reads it to keep a question the answer asked that reply."""
        from realign.rewrite import next_user_turn

        return next_user_turn(self.example, self.turn_index)

    @property
    def tool_exchange(self) -> str:
        """The tool calls and results the answer rests on, as a prompt block
        (`realign.rewrite.tool_exchange`); "" when no tool turn comes before it. Every mode's
        prompt that rewrites, revises or reads the answer shows it."""
        from realign.rewrite import tool_exchange

        return tool_exchange(self.example, self.turn_index)


Verifier = Callable[[TurnInput, str, AnswerContract], Verdict]


@dataclass
class TurnTools:
    """What the pipeline lends a mode: the model, the run's settings, and verification."""

    cfg: PipelineConfig
    llm: LLMClient
    sampling: dict[str, Any]  # the run's sampling (n apart), sent with every rewrite-like request
    verifier: Verifier
    tasks: dict[str, TaskSpec]

    async def chat(self, out: TurnOutcome, messages: list[dict[str, str]], *, purpose: str,
                   response_format: dict[str, Any] | None, validate: Callable[[ChatResult], None] | None,
                   sampling: dict[str, Any] | None = None, n: int = 1) -> ChatResult:
        """One LLM call, its key, answers and tokens recorded on `out` (traced by the caller,
        which knows what the answer parses to)."""
        result = await self.llm.chat(messages, sampling=self.sampling if sampling is None else sampling,
                                     response_format=response_format, n=n, validate=validate, purpose=purpose)
        out.request_keys.append(result.key)
        out.raw_answers.extend(result.contents)
        out.prompt_tokens += result.prompt_tokens
        out.completion_tokens += result.completion_tokens
        return result

    def verify(self, turn: TurnInput, candidate: str, contract: AnswerContract) -> Verdict:
        """`verify.registry.verify_candidate` for this turn: the contract's checks plus the task's."""
        return self.verifier(turn, candidate, contract)


class Mode(Protocol):
    name: str

    async def run(self, turn: TurnInput, tools: TurnTools, out: TurnOutcome) -> None:
        """Fill `out`: status, final, reason, attempts, verdicts, trace. LLM errors propagate."""
        ...


def record_verdict(out: TurnOutcome, attempt: int, candidate: int, verdict: Verdict,
                   **extra: Any) -> dict[str, Any]:
    """Append one verified candidate to `out.verdicts` (stored per check in `checks`)."""
    entry = {"attempt": attempt, "candidate": candidate, "passed": verdict.passed,
             "checks": [c.model_dump() for c in verdict.checks],
             **({"repairs": verdict.repairs} if verdict.repairs else {}), **extra}
    out.verdicts.append(entry)
    return entry
