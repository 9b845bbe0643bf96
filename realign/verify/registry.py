"""Check names -> check functions, and running a set of checks into a Verdict.

Each check lives in its own module (`length`, `leak`, `code`, `math`, `arithmetic`, `answer_line`, `choice`, `label`,
`lists`, `facts`, `text_kept`, `question_kept`, `quantities`, `refusal`, `language`) and exposes `make_check(options) -> Check` (`arithmetic` holds a
second one, `working_kept`, behind `make_working_check`); the readers of `facts` and `math` live beside them
(`facts_*`, `math_*`). Modules are imported on first use, so importing the
registry is cheap.

>>> from realign.verify.base import CheckInput
>>> v = run_checks(["math_answer"], CheckInput(task="math_puzzles", instruction="2+2?",
...     original="2+2=4\\n#### 4", candidate="2 + 2 = 4.\\n\\n**Final answer:** 4"))
>>> v.passed, [c.name for c in v.checks]
(True, ['length', 'leak', 'math_answer', 'refusal', 'language'])
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Sequence

from realign.errors import ConfigError
from realign.records import CheckResult, Verdict
from realign.verify.base import Check, CheckInput
from realign.verify.options import VerifyOptions

if TYPE_CHECKING:
    from realign.verify.contract import AnswerContract

__all__ = ["CHECK_NAMES", "ALWAYS", "VerifyOptions", "get_check", "run_checks", "run_checks_many", "order_checks",
           "verify_candidate", "verify_candidates"]

_MODULES: dict[str, str] = {
    # name -> module exposing make_check(options) ("module:factory" for a second check of one
    # module); the one place a check is registered, in the order run_checks runs them
    # (tasks.VERIFIER_NAMES derives from it too)
    "length": "realign.verify.length",
    "leak": "realign.verify.leak",
    "code_preserved": "realign.verify.code",
    "math_answer": "realign.verify.math",
    "arithmetic": "realign.verify.arithmetic",
    "working_kept": "realign.verify.arithmetic:make_working_check",
    "answer_line": "realign.verify.answer_line",
    "choice_answer": "realign.verify.choice",
    "label": "realign.verify.label",
    "list_items": "realign.verify.lists",
    "key_facts": "realign.verify.facts",
    "text_kept": "realign.verify.text_kept",
    "question_kept": "realign.verify.question_kept",
    "text_added": "realign.verify.text_added",
    "quantities_kept": "realign.verify.quantities",
    "refusal": "realign.verify.refusal",
    "language": "realign.verify.language",
}

CHECK_NAMES: tuple[str, ...] = tuple(_MODULES)
"""Every known check, in the order run_checks runs them."""

ALWAYS: tuple[str, ...] = ("length", "leak", "refusal", "language")
"""Checks that run for every row whatever the task's criteria say (DESIGN: the generic checks).
Refusal and language cannot reject a good rewrite of a task that needs neither: refusal fails only
a helpful original turned into a refusal (on `rejecting` only a refusal turned into help), language
only two texts both identified confidently as different languages."""

_DEFAULT_OPTIONS = VerifyOptions()


def _unknown(name: str) -> ConfigError:
    return ConfigError(
        f"unknown check {name!r}; valid checks are: {', '.join(CHECK_NAMES)}"
        " (fix the name in the task's criteria file 'verifiers', the pipeline config or the flag)"
    )


def get_check(name: str, options: VerifyOptions | None = None) -> Check:
    """The check called `name`, configured with `options`.

    Raises ConfigError naming the unknown check and the valid names.
    """
    module = _MODULES.get(name)
    if module is None:
        raise _unknown(name)
    path, _, factory = module.partition(":")
    mod = importlib.import_module(path)
    return getattr(mod, factory or "make_check")(options if options is not None else _DEFAULT_OPTIONS)


def order_checks(names: Sequence[str]) -> list[str]:
    """ALWAYS + names, deduplicated, in CHECK_NAMES order. Unknown names raise ConfigError."""
    wanted = set(ALWAYS)
    for n in names:
        if n not in _MODULES:
            raise _unknown(n)
        wanted.add(n)
    return [n for n in CHECK_NAMES if n in wanted]


_cache: dict[tuple[str, int], tuple[VerifyOptions, Check]] = {}


def _cached_check(name: str, options: VerifyOptions) -> Check:
    # Keyed by the options object's identity; the options object is kept alive in the value so
    # the id cannot be reused by another object while the entry exists.
    key = (name, id(options))
    hit = _cache.get(key)
    if hit is not None and hit[0] is options:
        return hit[1]
    if len(_cache) > 256:
        _cache.clear()
    check = get_check(name, options)
    _cache[key] = (options, check)
    return check


_plans: dict[tuple[tuple[str, ...], int], tuple[VerifyOptions, dict[str, Check]]] = {}


def _plan(names: Sequence[str], options: VerifyOptions) -> dict[str, Check]:
    """name -> check for ALWAYS + `names` in run order, remembered per name list and options object
    (the same few lists come back on every row; the options object is kept alive in the value, as in
    `_cached_check`)."""
    key = (tuple(names), id(options))
    hit = _plans.get(key)
    if hit is not None and hit[0] is options:
        return hit[1]
    plan = {name: _cached_check(name, options) for name in order_checks(names)}
    if len(_plans) > 256:
        _plans.clear()
    _plans[key] = (options, plan)
    return plan


def _crashed(name: str, e: Exception) -> CheckResult:
    """A check that raises (a bug, not a user error) is recorded as failed with the exception in its
    reason, so one odd row cannot stop a run and the original is kept for it."""
    return CheckResult(name=name, passed=False, reason=f"internal error in check {name}: {type(e).__name__}: {e}")


def run_checks(
    names: Sequence[str], inp: CheckInput, options: VerifyOptions | None = None
) -> Verdict:
    """Run ALWAYS + `names` (deduplicated, in CHECK_NAMES order) on one candidate.

    `Verdict.passed` is True when every check passed. A check that raises is recorded as failed
    with the exception in its reason (`_crashed`).
    """
    return run_checks_many([(names, inp)], options)[0]


def run_checks_many(
    jobs: Sequence[tuple[Sequence[str], CheckInput]],
    options: VerifyOptions | None = None,
) -> list[Verdict]:
    """`run_checks` for many candidates: (names, input) each.

    One check runs over every candidate before the next starts: its code and tables stay in the
    CPU caches, about a sixth faster per row than row by row on real GSM8K solutions. Checks are
    pure functions of their input, so the verdicts are those of row-by-row runs.
    """
    opts = options if options is not None else _DEFAULT_OPTIONS
    plans = [_plan(names, opts) for names, _ in jobs]
    # the checks any candidate runs, in CHECK_NAMES order (a plan's own order when all share one)
    distinct = {id(p): p for p in plans}.values()
    order = next(iter(distinct)) if len(distinct) == 1 else [n for n in CHECK_NAMES if any(n in p for p in distinct)]
    results: list[list[CheckResult]] = [[] for _ in jobs]
    for name in order:
        for plan, (_, inp), out in zip(plans, jobs, results):
            check = plan.get(name)
            if check is None:
                continue
            try:
                out.append(check(inp))
            except Exception as e:  # noqa: BLE001 - recorded per row (_crashed)
                out.append(_crashed(name, e))
    return [Verdict(passed=all(r.passed for r in out), checks=out) for out in results]


def verify_candidate(
    inp: CheckInput, task_checks: Sequence[str], contract: "AnswerContract | None" = None,
    options: VerifyOptions | None = None,
) -> Verdict:
    """Verify one candidate against the turn's answer contract and the task's checks.

    The contract's checks are added to the task's (never removed), and `question_kept` when a user
    turn replies to the answer (`CheckInput.next_user`); answer-neutral repairs
    (repair.py) are applied first and recorded in `Verdict.repairs`, with the repaired text in
    `Verdict.text`. `contract` None reads it from the instruction and the original.
    """
    return verify_candidates([(inp, task_checks, contract)], options)[0]


def verify_candidates(
    items: Sequence[tuple[CheckInput, Sequence[str], "AnswerContract | None"]],
    options: VerifyOptions | None = None,
) -> list[Verdict]:
    """`verify_candidate` for many (input, task checks, contract) items, the checks run one at a
    time over all of them (`run_checks_many`)."""
    from realign.verify.contract import contract_checks, read_contract
    from realign.verify.repair import repair

    opts = options if options is not None else _DEFAULT_OPTIONS
    jobs: list[tuple[Sequence[str], CheckInput]] = []
    fixes: list[tuple[str, list[str]]] = []
    for inp, task_checks, contract in items:
        if contract is None:
            contract = read_contract(inp.instruction, inp.original, opts)
        names = contract_checks(contract, list(task_checks))
        if contract.kind == "none" and "quantities_kept" not in names:
            names.append("quantities_kept")  # an open answer's amounts and times (quantities.py)
        if inp.next_user.strip() and "question_kept" not in names:
            names.append("question_kept")
        if inp.contract_kind != contract.kind:
            inp = inp.with_changes(contract_kind=contract.kind)
        text, repairs = repair(inp, names, opts)
        if repairs:
            inp = inp.with_changes(candidate=text)
        jobs.append((names, inp))
        fixes.append((text, repairs))
    verdicts = run_checks_many(jobs, opts)
    for verdict, (text, repairs) in zip(verdicts, fixes):
        if repairs:
            verdict.repairs = repairs
            verdict.text = text
    return verdicts
