"""The stages of one row, and the run's identity, routing and counts.

`Pipeline.process_row` takes one example and its predicted task and returns a `RowResult`
(realign.sinks) without writing anything; an engine (realign.engines) schedules rows over the
input and hands each result to a sink. Chunks are classified in one call (with the cascade, the
embedded pass only: an unsure row asks the LLM inside its own task). Every model call goes
through a `ChatBackend` (realign.llm.backend).

In a chat, each later answer is rewritten against the earlier answers' final texts; `holds_back`
states when an earlier answer's failure makes the later ones wait. A turn whose prompt is longer
than the model's context is kept as it is (reason ``too_long: <the server's message>``), like any
kept original, and does not hold the chat back.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from realign.classify.base import Classifier, classification_text
from realign.classify.cascade import CascadeClassifier
from realign.config import PipelineConfig, config_hash
from realign.errors import ConfigError, RealignError
from realign.io.readers import read_examples
from realign.llm.backend import ChatBackend, build_backend
from realign.llm.client import LLMError, fix_for_kind
from realign.llm.prices import SpendGate, cost_usd, price_of
from realign.modes import Mode, get_mode
from realign.modes.base import TurnInput, TurnOutcome, TurnTools
from realign.prompts import template_fingerprint
from realign.records import BadRow, Evidence, Example, TaskPrediction, Verdict
from realign.rewrite import PROMPT_MARKERS, turn_instruction
from realign.sinks import RowResult
from realign.store import TOO_LONG_REASON, Store, quarantine_warnings, run_usage
from realign.tasks import TaskSpec, load_tasks
from realign.verify.base import CheckInput
from realign.verify.contract import AnswerContract, read_contract
from realign.verify.length import degeneration
from realign.verify.registry import VerifyOptions, verify_candidate

CHUNK_ROWS = 256
# The reason of a turn whose answer was cut at max_tokens while repeating itself.
LOOP_REASON = "the model's answer loops (cut at max_tokens)"
log = logging.getLogger("realign.pipeline")


@dataclass
class LiveStats:
    """Counters the progress display reads; updated in place by the pipeline."""

    total: int | None = None
    done: int = 0
    resumed: int = 0
    quarantined: int = 0
    row_errors: int = 0  # rows failed by an exception other than an LLM error (a bug, a retriever)
    waiting_on_earlier: int = 0  # --backend batch: chat turns held back until an earlier one's rewrite is back
    by_status: dict[str, int] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)
    llm: Any = None  # the backend's stats, when a model is configured
    price: tuple[float, float] | None = None  # US$ per million prompt / completion tokens

    def snapshot(self) -> dict[str, Any]:
        elapsed = time.perf_counter() - self.started
        s = self.llm
        return {
            "total": self.total, "done": self.done, "resumed": self.resumed,
            "quarantined": self.quarantined, "elapsed_s": elapsed,
            # rows finished by this session only: a resumed run skips the rows an earlier one
            # finished in an instant, which would inflate the rate and shrink the ETA
            "rows_per_s": (self.done - self.resumed) / elapsed if elapsed > 0 else 0.0,
            "in_flight": getattr(s, "in_flight", 0), "fresh": getattr(s, "requests_sent", 0),
            "cached": getattr(s, "cache_hits", 0), "retries": getattr(s, "retries", 0),
            "prompt_tokens": getattr(s, "prompt_tokens", 0),
            "completion_tokens": getattr(s, "completion_tokens", 0),
            "cost_usd": cost_usd(self.price, getattr(s, "prompt_tokens", 0), getattr(s, "completion_tokens", 0)),
            **{k: v for k, v in self.by_status.items()},
        }


# An answer cut at max_tokens this many times longer than the original (and this many characters
# more) is no rewrite cut short: a reformat of a 300-character answer does not need 8,000.
RUNAWAY_RATIO = 10
RUNAWAY_EXTRA_CHARS = 4000


def _runaway(answer: str, original: str) -> bool:
    return len(answer) >= RUNAWAY_RATIO * len(original.strip()) and len(answer) - len(original) >= RUNAWAY_EXTRA_CHARS


def input_fingerprint(path: str) -> str:
    """Content hash of a file; names, sizes and mtimes for a folder; the spec itself for hf:."""
    p = Path(path)
    h = hashlib.sha256()
    if p.is_file():
        with p.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    elif p.is_dir():
        for q in sorted(p.rglob("*")):
            if q.is_file():
                st = q.stat()
                h.update(f"{q.relative_to(p)}:{st.st_size}:{st.st_mtime_ns}".encode())
    else:
        h.update(path.encode())
    return h.hexdigest()


def check_config_names(cfg: PipelineConfig, tasks: dict[str, TaskSpec]) -> None:
    """Every task and check a pipeline config names must exist: a misspelt key ("value_judgment"
    for `value_judgement`) would otherwise switch nothing on, silently. Raises ConfigError naming
    the file, line and field, with the closest valid name."""
    import difflib

    from realign.verify.registry import CHECK_NAMES

    def refuse(loc: tuple[str, ...], kind: str, name: str, valid: list[str]) -> None:
        close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else f"; valid names: {', '.join(valid)}"
        raise ConfigError(f"{cfg.where(*loc)}: field '{'.'.join(loc)}': unknown {kind} {name!r}{hint}")

    task_names = sorted(tasks)
    keyed = {("modes", "tasks"): cfg.modes.tasks, ("tasks", "rewrite"): cfg.tasks.rewrite,
             ("tasks", "retrieval"): cfg.tasks.retrieval, ("verify", "add_checks"): cfg.verify.add_checks,
             ("verify", "remove_checks"): cfg.verify.remove_checks, ("verify", "judge"): cfg.verify.judge}
    for loc, table in keyed.items():
        for key in table:
            if key not in tasks and not (key == "*" and loc[0] == "verify"):
                refuse((*loc, key), "task", key, task_names + (["*"] if loc[0] == "verify" else []))
    for loc in (("verify", "add_checks"), ("verify", "remove_checks")):
        for key, names in getattr(cfg.verify, loc[1]).items():
            for name in names:
                if name not in CHECK_NAMES:
                    refuse((*loc, key), "check", name, list(CHECK_NAMES))


def checks_for(task: str, spec: TaskSpec, cfg: PipelineConfig) -> list[str]:
    names = list(spec.verifiers)
    for key in ("*", task):
        names += [c for c in cfg.verify.add_checks.get(key, []) if c not in names]
        drop = set(cfg.verify.remove_checks.get(key, []))
        names = [c for c in names if c not in drop]
    return names


def example_status(turn_statuses: Sequence[str]) -> str:
    """One status per row: a failed turn makes the row failed (retried on resume), any rewritten
    turn makes it rewritten, otherwise kept_original; no rewritten turn at all is passthrough."""
    if not turn_statuses:
        return "passthrough"
    for s in ("failed", "rewritten", "kept_original"):
        if s in turn_statuses:
            return s
    return "passthrough"


def holds_back(outcome: TurnOutcome) -> bool:
    """Whether a chat's later answers must wait for this earlier one (the history rule).

    A later assistant turn is rewritten against the earlier answers as the row will be exported
    (`chat_history: final` in the run identity). So it may only be asked once every earlier
    answer's final text is known for good:

    - rewritten, or kept as the original for any reason (the model kept it, every candidate was
      rejected, the answer looped, the prompt is too long for the model): known; the later turns
      go on, against the rewrite or the original;
    - failed in a way the cache repeats (`LLMError.settled`: the same cut-off or the same
      rejected answer twice): the same command fails it the same way on every rerun, at no cost,
      so the later turns go on against the original; the row stays failed, and when a changed
      setting (--max-tokens) gets the earlier turn through, the row is done again and the later
      turns are asked against the new text (their requests have new keys);
    - failed in any other way (a 5xx or timeout after the retries, a connection error, an HTTP
      4xx, a batch deferral): the rerun sends it again and may get a rewrite, so a later turn
      asked now would be asked twice, against a history that then changed. It waits: failed,
      nothing sent, redone with the row by the next run.
    """
    return outcome.status == "failed" and not outcome.settled


def with_answers(ex: Example, answers: dict[int, str]) -> Example:
    """`ex` with the assistant turns at the keys of `answers` holding those texts (the row as its
    earlier rewrites left it); `ex` itself when there is nothing to replace."""
    if not answers:
        return ex
    turns = [t.model_copy(update={"content": answers[i]}) if i in answers else t for i, t in enumerate(ex.turns)]
    return ex.model_copy(update={"turns": turns})


class Pipeline:
    def __init__(self, cfg: PipelineConfig, store: Store | None, *, llm: ChatBackend | None,
                 classifier: Classifier | None, retriever: Any | None = None,
                 tasks: dict[str, TaskSpec] | None = None,
                 on_progress: Callable[[LiveStats], None] | None = None):
        self.cfg = cfg
        self.store = store
        self.llm = llm
        self.classifier = classifier
        self.retriever = retriever
        self.tasks = tasks if tasks is not None else load_tasks(cfg.tasks.criteria_dir)
        self.stats = LiveStats(llm=llm.stats if llm else None, price=price_of(
            cfg.model.model, cfg.model.prompt_price, cfg.model.completion_price))
        self.on_progress = on_progress
        self.verify_options = VerifyOptions(
            min_ratio=cfg.verify.min_ratio, max_ratio=cfg.verify.max_ratio,
            extra_leak_markers=list(PROMPT_MARKERS),
        )
        self.sampling = {k: v for k, v in cfg.sampling.model_dump().items() if k != "n" and v is not None}
        if cfg.tasks.force_task and cfg.tasks.force_task not in self.tasks:
            raise ConfigError(f"unknown task '{cfg.tasks.force_task}' (--task or tasks.force_task); valid names: "
                              + ", ".join(sorted(self.tasks)))
        check_config_names(cfg, self.tasks)
        self.run_id = ""
        self._checks: dict[str, list[str]] = {}  # task -> check names, worked out once
        self._logged_errors: set[str] = set()
        # Set (with the signal number) by whoever cancels `run` to stop it cleanly: the run then
        # ends `interrupted` instead of failing.
        self.stop_signal: int | None = None
        self.budget_hit = False  # the run reached model.max_cost and stops like on a signal
        self._spent_before = 0.0  # US$ of the run's earlier sessions, from the ledger
        self._main: asyncio.Task[Any] | None = None
        if cfg.model.max_cost is not None and self.stats.price is not None and hasattr(llm, "spend_gate"):
            s = llm.stats  # type: ignore[union-attr]
            llm.spend_gate = SpendGate(  # type: ignore[union-attr]
                cfg.model.max_cost, self.stats.price, spent=lambda: self.run_cost() or 0.0,
                mean_completion=lambda: s.completion_tokens / s.completed if s.completed else None,
                on_exhausted=self._budget_exhausted)

    # ---- identity -------------------------------------------------------------------------
    def run_identity(self, input_path: str, *, classifier_name: str | None = None) -> tuple[str, str, dict[str, Any]]:
        """(run id, input hash, identity). `classifier_name`, when given, stands in for this
        pipeline's classifier (a dry run asks which run the real, LLM-backed one would resume)."""
        from realign.tasks import default_criteria_dir

        criteria_dir = Path(self.cfg.tasks.criteria_dir or default_criteria_dir())
        crit = hashlib.sha256()
        for p in sorted(criteria_dir.glob("*.md")):
            crit.update(p.name.encode())
            crit.update(p.read_bytes())
        identity = {
            "config": self.cfg.identity(),
            "input": input_fingerprint(input_path),
            "criteria": crit.hexdigest(),
            "templates": template_fingerprint(),
            "classifier": classifier_name or getattr(self.classifier, "name", None),
            # what a chat's later answer is rewritten against (`process`): a run written when it
            # saw the original earlier answers is not resumed as this one (its rows would keep
            # their incoherent history); the requests that did not change come from the cache.
            # Which earlier answers a later one waits for (`holds_back`) is no part of it: that
            # rule only decides when a failed row's later turns are asked, and a failed row is
            # done again by every resume, whatever the rule was when it failed.
            "chat_history": "final",
            # rows with tool calls and results: read whole (an older run quarantined them), so a
            # run written before is not resumed as this one; unchanged requests come from the cache
            "tool_turns": "read",
        }
        h = config_hash(identity)
        return "r" + h[:12], identity["input"], identity

    # ---- routing --------------------------------------------------------------------------
    def wants_rewrite(self, task: str) -> bool:
        return self.cfg.tasks.rewrite.get(task, self.tasks[task].rewrite)

    def wants_evidence(self, task: str) -> bool:
        if self.retriever is None:
            return False
        return self.cfg.retrieval.all_tasks or self.cfg.tasks.retrieval.get(task, self.tasks[task].retrieval)

    def target_turns(self, ex: Example) -> list[int]:
        # a leading assistant turn answers no request, and an empty one has nothing to reformat:
        # never a target; "last" means the conversation's last answer, left alone when it is empty
        if self.cfg.rewrite.turns == "last":
            last = ex.answer_indices()[-1:]
            return [i for i in last if i not in ex.empty_indices()]
        return ex.rewritable_indices()

    def turns_to_rewrite(self, task: str, ex: Example) -> list[int]:
        """The target turns of a rewrite task; of a passthrough task, those its mode claims (a
        mode with `claims_passthrough`, e.g. stakeholder_sim for a request screened harmful)."""
        turns = self.target_turns(ex)
        if self.wants_rewrite(task):
            return turns
        if self.cfg.modes == type(self.cfg.modes)():
            return []  # modes off: nothing can claim a turn
        claimed = []
        for i in turns:
            claims = getattr(self.mode_for(task, self.contract_of(ex, i)), "claims_passthrough", None)
            if claims is not None and claims(task, turn_instruction(ex, i), self.cfg):
                claimed.append(i)
        return claimed

    async def classify(self, examples: Sequence[Example]) -> list[TaskPrediction]:
        """One prediction per example. With the cascade this is the embedded first pass only:
        `process` asks the LLM for each unsure row inside that row's task (`_settle_task`), so one
        slow classification never holds up the chunk."""
        if self.cfg.tasks.force_task:
            return [TaskPrediction(task=self.cfg.tasks.force_task, confidence=1.0, method="config")
                    for _ in examples]
        assert self.classifier is not None
        texts = [classification_text(ex.turns) for ex in examples]
        if isinstance(self.classifier, CascadeClassifier):
            return self.classifier.first_pass(texts)
        return await self.classifier.classify(texts)

    async def _settle_task(self, ex: Example, pred: TaskPrediction) -> TaskPrediction:
        if isinstance(self.classifier, CascadeClassifier) and pred.method == "embedded":
            return await self.classifier.refine(classification_text(ex.turns), pred)
        return pred

    # ---- one turn -------------------------------------------------------------------------
    async def _evidence(self, ex: Example, turn_index: int) -> tuple[list[Evidence], list[Evidence]]:
        """(evidence for the prompt, hits the retriever dropped under its relevance floor)."""
        from realign.retrieve.query import make_query
        from realign.retrieve.evidence import dedupe
        from realign.retrieve.index import LocalIndex

        first_user = next(i for i, t in enumerate(ex.turns) if t.role == "user")
        if "instruction" in ex.fields and turn_index == first_user + 1:
            # Alpaca / Dolly: the instruction leads the query; a long pasted input is trimmed.
            query = make_query(str(ex.fields["instruction"]), str(ex.fields.get("input") or ""))
        else:
            query = make_query(turn_instruction(ex, turn_index))
        if not query:
            return [], []
        if isinstance(self.retriever, LocalIndex):
            found = await self.retriever.search(query, self.cfg.retrieval.k, keep_dropped=True)
        else:
            found = await self.retriever.search(query, self.cfg.retrieval.k)
        return dedupe([e for e in found if e.dropped is None]), [e for e in found if e.dropped is not None]

    def contract_of(self, ex: Example, turn_index: int) -> AnswerContract:
        """The turn's answer contract, read from its original and instruction, not the task."""
        return read_contract(turn_instruction(ex, turn_index), ex.turns[turn_index].content, self.verify_options)

    def _verify(self, turn: TurnInput, candidate: str, contract: AnswerContract) -> Verdict:
        """Every candidate of every mode: registry.verify_candidate with the contract and the task's checks."""
        inp = CheckInput(
            task=turn.task, instruction=turn.instruction, original=turn.original, candidate=candidate,
            context="\n".join(f"[{t.role}] {t.shown()}" for t in turn.example.turns[:turn.turn_index]),
            evidence=turn.evidence_text, next_user=turn.next_user,
        )
        names = self._checks.get(turn.task)
        if names is None:
            names = self._checks[turn.task] = checks_for(turn.task, self.tasks[turn.task], self.cfg)
        return verify_candidate(inp, names, contract, self.verify_options)

    def mode_for(self, task: str, contract: AnswerContract) -> Mode:
        """The turn's mode: its task's entry in [modes], else its contract kind's, else the default."""
        m = self.cfg.modes
        return get_mode(m.tasks.get(task) or m.contracts.get(contract.kind) or m.default)  # type: ignore[arg-type]

    async def rewrite_turn(self, task: str, ex: Example, turn_index: int) -> TurnOutcome:
        """The turn's candidates come from its mode (realign/modes/); evidence, errors and the
        outcome stay here."""
        original = ex.turns[turn_index].content
        out = TurnOutcome(status="failed", final=original, reason="", contract=self.contract_of(ex, turn_index))
        mode = self.mode_for(task, out.contract)
        out.mode = mode.name
        try:
            if self.wants_evidence(task):
                out.evidence, out.evidence_dropped = await self._evidence(ex, turn_index)
            from realign.retrieve.evidence import format_evidence

            turn = TurnInput(task=task, spec=self.tasks[task], example=ex, turn_index=turn_index,
                             evidence_text=format_evidence(out.evidence) if out.evidence else "")
            assert self.llm is not None
            await mode.run(turn, TurnTools(cfg=self.cfg, llm=self.llm, sampling=self.sampling,
                                           verifier=self._verify, tasks=self.tasks), out)
            return out
        except LLMError as e:
            # Keep what the failed call had: its key (the prompt is stored under it) and answers.
            if e.key and e.key not in out.request_keys:
                out.request_keys.append(e.key)
            out.raw_answers.extend(e.contents)
            out.attempts = max(out.attempts, 1)
            if e.kind == "length" and any(degeneration(c, original) or _runaway(c, original) for c in e.contents):
                # A loop runs into any limit: a larger --max-tokens would only pay for a longer
                # loop, so the original is kept (final, not retried on resume) instead of failing.
                # So does an answer that ran to many times the original's length without a loop
                # word for word ("You can rephrase to: ..." with a new ending each time).
                out.status, out.final, out.reason = "kept_original", original, LOOP_REASON
                return out
            if e.kind == "too_long":
                # Longer than the model's context: no rewrite is possible at this endpoint with
                # these settings. Kept, with the server's words; the cache repeats the refusal,
                # so a resume (which does such rows again) pays nothing unless the fix changed
                # the request (--max-tokens, --max-prompt-chars, a server with a longer context).
                out.status, out.final, out.reason = "kept_original", original, TOO_LONG_REASON + e.message
                return out
            out.status, out.final, out.error = "failed", original, str(e)
            out.reason = out.error
            out.settled = e.settled
            return out

    # ---- one row --------------------------------------------------------------------------
    async def process(self, ex: Example, pred: TaskPrediction) -> RowResult:
        """Settle the row's task, rewrite its target turns, and return what came of it (no writes:
        the engine hands the result to its sink)."""
        pred = await self._settle_task(ex, pred)
        task = pred.task
        outcomes: dict[int, TurnOutcome] = {}
        for i in self.turns_to_rewrite(task, ex):
            waiting = next((j for j, o in outcomes.items() if holds_back(o)), None)
            if waiting is not None:
                # An earlier answer has no final text yet (its call failed, or, --backend batch,
                # it is in this round's batch): this turn's history is not known, and asking now
                # would pay for a request that the rerun replaces. The turn waits; the row is
                # failed and redone by the next run (or batch round), which asks it once.
                # (`holds_back` states the rule.)
                outcomes[i] = self._waiting(ex, i, waiting, outcomes[waiting])
                continue
            # A later answer is rewritten against the earlier answers as the row will be exported
            # ("shorten your previous answer" must see the rewrite, not the original it replaced);
            # its contract and checks still come from its own original. An earlier turn kept as
            # it was leaves the request, and so its cache key, as it was.
            changed = {j: o.final for j, o in outcomes.items() if o.final != ex.turns[j].content}
            outcomes[i] = await self.rewrite_turn(task, with_answers(ex, changed), i)
            outcomes[i].history_rewritten = sorted(changed)
        final_turns = [t.model_dump() for t in ex.turns]
        for i, o in outcomes.items():
            final_turns[i]["content"] = o.final
        status = example_status([o.status for o in outcomes.values()])
        return RowResult(example=ex, prediction=pred, status=status, final_turns=final_turns, outcomes=outcomes)

    def _waiting(self, ex: Example, turn_index: int, earlier: int, its: TurnOutcome) -> TurnOutcome:
        """The outcome of a turn held back because the earlier answer `earlier` failed: failed,
        the original kept, nothing sent. Behind a batch deferral it is deferred too (progress
        counts the row as waiting); otherwise it carries no error of its own (the earlier turn's
        is the row's), so `failed_by_kind` counts the cause once."""
        out = TurnOutcome(status="failed", final=ex.turns[turn_index].content, contract=self.contract_of(ex, turn_index),
                          reason=f"not asked: waits for turn {earlier}, whose rewrite failed; the rerun that "
                                 "completes it asks this turn against its final text")
        if (its.error or "").startswith("deferred:"):
            self.stats.waiting_on_earlier += 1
            out.reason = f"not asked: waits for turn {earlier}'s rewrite, sent in this round's batch"
            out.error = f"deferred: waits for turn {earlier}'s rewrite; asked in the round after it"
        return out

    async def process_row(self, ex: Example, pred: TaskPrediction) -> RowResult:
        """`process`, except that an error other than an LLM error fails the row (stored with
        the error, retried on resume) and is logged and counted instead of ending the run."""
        try:
            return await self.process(ex, pred)
        except RealignError:
            raise  # the user's to fix (a template, a config): stops the run with one line
        except Exception as e:
            self.stats.row_errors += 1
            error = f"internal error: {type(e).__name__}: {e}"
            kind = type(e).__name__
            if kind not in self._logged_errors:  # one traceback per kind of error, then a count
                self._logged_errors.add(kind)
                log.error("row %s (line %s) failed: %s\n%s", ex.id, ex.line, error,
                          "".join(traceback.format_exception(e)).rstrip())
            return RowResult(example=ex, prediction=pred, status="failed",
                             final_turns=[t.model_dump() for t in ex.turns], error=error)

    def count(self, result: RowResult) -> None:
        """Note a row the sink has taken, for the progress display."""
        status = result.status
        if status == "failed" and result.outcomes and all(  # an error is stored as "<kind>: <message>"
                (o.error or "").startswith("deferred:") for o in result.outcomes.values() if o.status == "failed"):
            status = "waiting"  # --backend batch: its requests went into the next batch file, not a failure
        self.stats.by_status[status] = self.stats.by_status.get(status, 0) + 1
        self.stats.done += 1

    # ---- the run --------------------------------------------------------------------------
    def _chunks(self, path: str, limit: int | None) -> Iterator[list[Example | BadRow]]:
        chunk: list[Example | BadRow] = []
        for n, item in enumerate(read_examples(path, format=self.cfg.input.format,
                                               id_field=self.cfg.input.id_field,
                                               field_map=self.cfg.input.field_map or None)):
            if limit is not None and n >= limit:
                break
            chunk.append(item)
            if len(chunk) >= CHUNK_ROWS:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    async def run(self, input_path: str, *, limit: int | None = None, strict: bool = False) -> dict[str, Any]:
        """Run over `input_path` on this machine (`realign.engines.local`), writing to the store."""
        from realign.engines.local import LocalEngine

        assert self.store is not None and self.llm is not None
        return await LocalEngine(self, self.store).run(input_path, limit=limit, strict=strict)

    def run_cost(self) -> float | None:
        """US$ the run has cost so far, earlier sessions included; None without a price."""
        s = self.llm.stats if self.llm else None
        now = cost_usd(self.stats.price, getattr(s, "prompt_tokens", 0), getattr(s, "completion_tokens", 0))
        return None if now is None else self._spent_before + now

    def _budget_exhausted(self) -> bool:
        """The next request cannot fit under model.max_cost: stop the run (True) if it is running."""
        self.budget_hit = True
        if self._main is None:
            return False
        self._main.cancel()
        return True

    def _check_budget(self) -> None:
        limit = self.cfg.model.max_cost
        cost = self.run_cost()
        if limit is not None and cost is not None and cost >= limit and not self.budget_hit:
            self.budget_hit = True  # stop sending; the run ends `interrupted`, resumable
            if self._main is not None:
                self._main.cancel()

    def ledger(self) -> dict[str, dict[str, Any]]:
        """This session's usage by purpose, with its cost: the one source of every token figure."""
        s = self.llm.stats if self.llm else None
        return {p: {**v, "cost_usd": cost_usd(self.stats.price, v["prompt_tokens"], v["completion_tokens"])}
                for p, v in (s.by_purpose.items() if s is not None else ())}

    def _tick(self) -> None:
        self._check_budget()
        if self.on_progress is not None:
            self.on_progress(self.stats)

    def counts(self) -> dict[str, Any]:
        """Whole-run counts from the store, plus this session's request and token figures."""
        assert self.store is not None
        by_status = {r["status"]: r["n"] for r in self.store.query(
            "SELECT status, count(*) AS n FROM results WHERE run_id = ? GROUP BY status", [self.run_id])}
        quarantined = self.store.query(
            "SELECT count(*) AS n FROM quarantine WHERE run_id = ?", [self.run_id])[0]["n"]
        s = self.llm.stats if self.llm else None
        counts = {k: by_status.get(k, 0) for k in ("rewritten", "kept_original", "passthrough", "failed")}
        too_long = self.store.query(
            "SELECT count(*) AS n FROM rewrites WHERE run_id = ? AND status = 'kept_original' "
            "AND starts_with(reason, ?)", [self.run_id, TOO_LONG_REASON])[0]["n"]
        # why turns failed, by kind of error, each with what to do (a rerun sends a cut-off
        # request again and gets the same answer unless something changes)
        # With several --base-url, the fix names the servers the errors name (a connection
        # error says which one refused), else every endpoint: not just the first.
        # The fix reads one stored error of the kind too: the server's own words tell a prompt
        # longer than the model's context from any other HTTP 400.
        failed_by_kind = [
            {"kind": r["kind"], "turns": r["n"],
             "fix": fix_for_kind(r["kind"], " / ".join(r["urls"] or self.cfg.model.endpoints),
                                 self.cfg.model.concurrency, message=r["example"] or "")}
            for r in self.store.query(
                r"""SELECT regexp_extract(error, '^([a-z_0-9]+)', 1) AS kind, count(*) AS n, min(error) AS example,
                          list(DISTINCT nullif(regexp_extract(error, 'connection to (\S+) failed', 1), '')
                               ORDER BY 1) FILTER (WHERE error LIKE '%connection to %') AS urls
                   FROM rewrites
                   WHERE run_id = ? AND status = 'failed' AND error IS NOT NULL GROUP BY 1 ORDER BY 2 DESC""",
                [self.run_id])]
        elapsed = time.perf_counter() - self.stats.started
        processed = self.stats.done - self.stats.resumed
        return {
            "rows": sum(counts.values()) + quarantined,
            **counts,
            "quarantined": quarantined,
            "resumed": self.stats.resumed,
            "row_errors": self.stats.row_errors,
            # turns kept because their prompt is longer than the model's context (or --max-prompt-chars)
            "too_long": too_long,
            "too_long_fix": fix_for_kind("too_long", " / ".join(self.cfg.model.endpoints)) if too_long else None,
            **({"turns_waiting_on_earlier": self.stats.waiting_on_earlier} if self.stats.waiting_on_earlier else {}),
            "llm_requests": getattr(s, "requests_sent", 0),
            "cached_requests": getattr(s, "cache_hits", 0),
            "retries": getattr(s, "retries", 0),
            "retry_causes": dict(sorted(getattr(s, "retry_causes", {}).items(), key=lambda kv: -kv[1])),
            "prompt_tokens": getattr(s, "prompt_tokens", 0),
            "completion_tokens": getattr(s, "completion_tokens", 0),
            "cost_usd": cost_usd(self.stats.price, getattr(s, "prompt_tokens", 0), getattr(s, "completion_tokens", 0)),
            "warnings": quarantine_warnings(sum(counts.values()) + quarantined, quarantined, self.cfg.format_from),
            "format_from": self.cfg.format_from,  # where a forced input format was set; None: detected
            "first_quarantined": self.store.query(
                "SELECT line, field, error AS reason FROM quarantine WHERE run_id = ? ORDER BY source_index LIMIT 1",
                [self.run_id])[0] if quarantined else None,
            "usage": self.ledger(),
            "run_total": run_usage(self.store, self.run_id, self.stats.price)["total"],
            "structured_output": getattr(self.llm, "structured_mode", None),
            "format_fallbacks": getattr(s, "format_fallbacks", 0),
            # the adaptive in-flight cap (realign.llm.flow): where it ended, its low, its cuts, and
            # whether slow answers held its slow start below --concurrency (from where it began)
            "in_flight_cap": self._cap_summary(s),
            # per server (several --base-url): its requests, failures, take-outs and own cap
            "endpoints": self.llm.endpoint_report() if hasattr(self.llm, "endpoint_report") else None,
            "classifier_fallbacks": int(getattr(self.classifier, "fallbacks", 0)),
            "failed_by_kind": failed_by_kind,
            "elapsed_s": round(elapsed, 3),
            "rows_per_s": round(processed / elapsed, 2) if elapsed > 0 else 0.0,
        }

    def _cap_summary(self, s: Any) -> dict[str, Any] | None:
        """The in-flight cap for the summary, when it was cut or its slow start was held below
        --concurrency by slow answers (a server answering few requests at once); else None."""
        report = self.llm.endpoint_report() if hasattr(self.llm, "endpoint_report") else []
        held = [e for e in report if e.get("cap_held")]
        if not getattr(s, "cap_cuts", 0) and not held:
            return None
        return {"end": s.cap, "lowest": s.cap_lowest, "cuts": s.cap_cuts, "held": bool(held),
                "ramp_from": sum(e.get("cap_ramp_from") or 0 for e in report) or None}


def build_llm(cfg: PipelineConfig, cache: Any, *, dry_run_hint: bool = False) -> ChatBackend:
    m = cfg.model
    if m.backend == "vllm" and m.model:
        return build_backend(cfg, cache)  # in process: no endpoint
    if not m.base_url or not m.model:
        raise ConfigError(
            "no model endpoint configured. Point realign at an OpenAI-compatible server with "
            "--model and --base-url, e.g.\n"
            "  vllm serve Qwen/Qwen2.5-7B-Instruct   # on the GPU box, then\n"
            "  --model Qwen/Qwen2.5-7B-Instruct --base-url http://localhost:8000/v1\n"
            "or the OpenAI API: export OPENAI_API_KEY=... and pass --model gpt-4o-mini "
            "--base-url https://api.openai.com/v1 (OPENAI_BASE_URL and REALIGN_MODEL work too)."
            + ("\nTo see what would be sent without a model, add --dry-run." if dry_run_hint else "")
        )
    return build_backend(cfg, cache)
