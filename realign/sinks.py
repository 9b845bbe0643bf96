"""Where finished rows go: a row's processing returns a `RowResult`; a sink owns writing it.

The engines never write tables themselves: the local engine hands each result to a `StoreSink`
(the DuckDB store, buffered and batched by `realign.store.Store`), the Ray engine to a sink of
Parquet shards (`realign.engines.shards`) that `realign import` loads into the same tables. Both go
through `StoreSink.write`, so a row's tables are filled by one piece of code whatever the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from realign.records import BadRow, Example, TaskPrediction
    from realign.store import Store


@dataclass
class RowResult:
    """Everything one row produced: its task, one outcome per rewritten turn, its status."""

    example: Example
    prediction: TaskPrediction
    status: str  # rewritten | kept_original | passthrough | failed
    final_turns: list[dict[str, str]]
    outcomes: dict[int, Any] = field(default_factory=dict)  # turn index -> TurnOutcome (realign.modes.base)
    error: str | None = None  # set when an error other than an LLM error failed the whole row


class Sink(Protocol):
    def write(self, run_id: str, result: RowResult) -> None:
        """Take one finished row; it reaches storage with the sink's next flush."""
        ...

    def quarantine(self, run_id: str, bad: BadRow) -> None:
        """Take one input row that could not be read."""
        ...

    def flush(self) -> None: ...


class StoreSink:
    """Writes rows into a `Store`'s tables (examples, evidence, checks, rewrites, results)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def write(self, run_id: str, result: RowResult) -> None:
        st, ex, pred = self.store, result.example, result.prediction
        st.add_example(run_id, ex, pred.task, pred.confidence, pred.method)
        if result.error is not None:  # the row raised: stored failed with its error, retried on resume
            st.add_result(run_id, ex.id, status="failed", task=pred.task, final_turns=result.final_turns,
                          attempts=0, prompt_tokens=0, completion_tokens=0, error=result.error)
            st.maybe_flush()
            return
        outcomes = result.outcomes
        for i, o in outcomes.items():
            st.add_evidence(run_id, ex.id, i, [*o.evidence, *o.evidence_dropped])
            for v in o.verdicts:
                for c in v["checks"]:
                    st.add_check(run_id, ex.id, i, v["attempt"], v["candidate"], c["name"], c["passed"], c["reason"])
            original = ex.turns[i].content
            st.add_rewrite(
                run_id, ex.id, i, status=o.status, reason=o.reason, original=original,
                candidate=o.candidate, final=o.final, keep_original=o.keep_original,
                attempts=o.attempts,
                length_ratio=(len(o.candidate) / max(len(original), 1)) if o.candidate else None,
                request_keys=o.request_keys, raw_answers=o.raw_answers,
                verdicts=o.verdicts, error=o.error,
                contract_kind=o.contract.kind, contract=o.contract.model_dump(), repairs=o.repairs or None,
                mode=o.mode, reason_supports_label=o.reason_supports_label,
                history_rewritten=o.history_rewritten,
            )
            st.add_mode_steps(run_id, ex.id, i, o.trace)
        errors = [o.error for o in outcomes.values() if o.error]
        st.add_result(
            run_id, ex.id, status=result.status, task=pred.task, final_turns=result.final_turns,
            attempts=sum(o.attempts for o in outcomes.values()),
            prompt_tokens=sum(o.prompt_tokens for o in outcomes.values()),
            completion_tokens=sum(o.completion_tokens for o in outcomes.values()),
            error="; ".join(errors) or None,
        )
        st.maybe_flush()

    def quarantine(self, run_id: str, bad: BadRow) -> None:
        self.store.add_quarantine(run_id, bad)

    def flush(self) -> None:
        self.store.flush()
