"""Audit a file of (instruction, original response, rewrite) rows: the library side of
`realign verify`.

Input: JSONL (one object per line) or a JSON array of objects. Each row needs the instruction,
response (the original) and rewrite fields (names configurable); an Alpaca `input` field, when
present and non-empty, is appended to the instruction; an optional `next_user` field holds the user turn
that replies to the original in its chat (question_kept then runs). Rows of realign's own provenance export
(`export --format jsonl`) are read as they are: one verdict per rewritten turn, final against
original. Rows stream, verified BATCH at a time (each check over the batch before the next: the
verdicts of row-by-row runs, with less CPU); a JSON array is read whole.

Which checks run for a row (ALWAYS, the generic length, leak, refusal and language, are added in
every case):

1. `checks` given: exactly those.
2. else the row's answer contract (contract.py: final number, option, label, code, short facts,
   read from the original and the instruction) with its checks; and,
   when a task is known (the `task` argument overrides the rows' own field), that task's
   `verifiers` from its criteria file. Answer-neutral repairs (the '#### N' line) are applied
   and reported as such.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import Any, Iterable, Iterator

from realign.errors import ConfigError
from realign.io.readers import read_records
from realign.records import where_in
from realign.verify.base import CheckInput
from realign.verify.contract import AnswerContract, read_contract
from realign.verify.options import VerifyOptions
from realign.verify.registry import order_checks, run_checks_many, verify_candidates

__all__ = ["audit_file", "summarize", "checks_for_task", "infer_checks", "FALLBACK_TASK_CHECKS"]

# Used only when realign.tasks is not importable; the criteria files are the source of truth.
FALLBACK_TASK_CHECKS: dict[str, list[str]] = {
    "math_puzzles": ["math_answer", "refusal"],
    "exam_problem_solving_tutor": ["math_answer", "choice_answer", "refusal"],
    "fill_in_the_blank": ["choice_answer", "refusal"],
    "closed_qa": ["choice_answer", "refusal"],
    "fact_verification": ["choice_answer", "refusal"],
    "general_classification": ["label"],
    "sentiment_analysis": ["label"],
    "language_classification": ["label"],
    "topic_classification": ["label"],
    "code_language_classification": ["label"],
    "code_correction": ["code_preserved", "refusal"],
    "code_simplification": ["code_preserved", "refusal"],
    "code_to_code_translation": ["code_preserved", "refusal"],
    "explain_code": ["code_preserved", "refusal"],
    "code_to_text_translation": ["code_preserved", "refusal"],
    "text_to_code_translation": ["code_preserved", "refusal"],
    "rejecting": ["refusal"],
}


def _task_verifiers() -> dict[str, list[str]] | None:
    """Task name -> verifiers from the criteria files; None when realign.tasks is unavailable."""
    try:
        from realign.tasks import load_tasks
    except ImportError:
        return None
    return {name: list(spec.verifiers) for name, spec in load_tasks().items()}


def checks_for_task(task: str, table: dict[str, list[str]] | None = None) -> list[str] | None:
    """The checks a task's criteria name (None for an unknown task)."""
    if table is None:
        table = _task_verifiers()
    if table is None:
        return FALLBACK_TASK_CHECKS.get(task, []) if _known_without_tasks(task) else None
    return table.get(task)


def _known_without_tasks(task: str) -> bool:
    return bool(re.fullmatch(r"[a-z_]+", task))


def infer_checks(instruction: str, original: str) -> list[str]:
    """Checks chosen from the data when no task is known: refusal and language, plus the answer
    contract's checks (contract.py)."""
    return ["refusal", "language"] + read_contract(instruction, original).checks


# Rows verified together: long enough for each check's code to stay warm over them, short enough
# that a verdict is never far behind its row.
BATCH = 128
# (instruction, original) pairs whose contract is remembered (`audit_file`): twice a batch
CONTRACTS_KEPT = 256


def _where(path: str, index: int, line: int | None) -> str:
    return where_in(path, line, index)


def audit_file(
    path: str,
    *,
    task: str | None,
    instruction_field: str = "instruction",
    response_field: str = "response",
    rewrite_field: str = "rewrite",
    task_field: str = "task",
    checks: list[str] | None = None,
    options: VerifyOptions | None = None,
) -> Iterator[dict[str, Any]]:
    """One verdict record per row:

    {"index", "line", "id", "task", "checks_from", "passed", "checks": [{name, passed, reason}],
    "failed": [names]}; a bad row yields {"index", "line", "id", "task", "error"} with the error
    naming the file, line and field. Unknown check names or an unknown `task` raise ConfigError.
    """
    opts = options or VerifyOptions()
    if checks is not None:
        order_checks(checks)  # fail fast on unknown names
    tables: list[dict[str, list[str]] | None] = []  # the criteria files, read when a task is first named

    def task_checks(name: str) -> list[str] | None:
        if not tables:
            tables.append(_task_verifiers())
        return checks_for_task(name, tables[0])

    if task is not None and checks is None:
        names = task_checks(task)
        if names is None:
            raise ConfigError(
                f"unknown task {task!r} for --task; use one of the task names in criteria/ "
                "(e.g. math_puzzles, closed_qa, sentiment_analysis)"
            )
        order_checks(names)
    cache: dict[str, list[str] | None] = {}

    # A data set often holds several rewrites of one original (here: 634 model solutions of 179
    # GSM8K questions), so the contracts of the last CONTRACTS_KEPT (instruction, original) pairs
    # are kept: reading one is a tenth of a row's CPU. The records only read a contract.
    @lru_cache(maxsize=CONTRACTS_KEPT)
    def contract_of(instruction: str, original: str) -> AnswerContract:
        return read_contract(instruction, original, opts)

    # Rows are verified BATCH at a time, each stage over the whole batch before the next (the
    # contracts, then registry.verify_candidates: one check over every row, then the next), which
    # keeps each stage's code and tables in the CPU caches. `slots` keeps the input order: a
    # finished record, or a row waiting for its verdict as (record so far, index of its unit).
    slots: list[dict[str, Any] | tuple[dict[str, Any], int]] = []
    # (task, instruction, original, rewrite, task checks, the user turn replying to the original or "")
    units: list[tuple[str, str, str, str, list[str], str]] = []

    def flush() -> Iterator[dict[str, Any]]:
        contracts = [contract_of(ins, orig) for _, ins, orig, _, _, _ in units]
        inputs = [CheckInput(task=t, instruction=ins, original=orig, candidate=cand, contract_kind=c.kind, next_user=reply)
                  for (t, ins, orig, cand, _, reply), c in zip(units, contracts)]
        if checks is not None:  # exactly the checks asked for
            verdicts = run_checks_many([(u[4], inp) for u, inp in zip(units, inputs)], opts)
        else:  # the generic checks (ALWAYS) and the contract's come with it
            verdicts = verify_candidates([(inp, u[4], c) for u, inp, c in zip(units, inputs, contracts)], opts)
        for slot in slots:
            if isinstance(slot, dict):
                yield slot
                continue
            record, i = slot
            verdict = verdicts[i]
            record["contract"] = _contract_dict(contracts[i])
            record["passed"] = verdict.passed
            record["checks"] = [{"name": c.name, "passed": c.passed, "reason": c.reason} for c in verdict.checks]
            record["failed"] = [c.name for c in verdict.checks if not c.passed]
            if verdict.repairs:
                record["repairs"] = verdict.repairs
                record["repaired"] = verdict.text
            yield record
        slots.clear()
        units.clear()

    for rec in read_records(path):
        index, line, row = rec.index, rec.line, rec.obj
        base: dict[str, Any] = {"index": index, "line": line, "id": None, "task": task}
        if rec.error is not None:
            slots.append({**base, "error": f"{_where(path, index, line)}: {rec.error}"})
            continue
        rid = row.get("id")
        base["id"] = rid if isinstance(rid, (str, int)) else None
        row_task = task
        if row_task is None:
            t = row.get(task_field)
            if t is not None and not isinstance(t, str):
                slots.append({**base, "error": f"{_where(path, index, line)}, field '{task_field}': expected a task name string"})
                continue
            row_task = t or None
        base["task"] = row_task
        row_units: list[tuple[dict[str, Any], str, str, str, str]] = []  # (extra keys, instruction, original, rewrite, reply)
        story = (_export_turns(row) if (instruction_field, response_field, rewrite_field) == _DEFAULT_FIELDS
                 and response_field not in row else None)
        if story is not None:
            row_units = [({"turn_index": i}, ins, orig, final, reply) for i, ins, orig, final, reply in story]
            if not row_units:
                status = row.get("status")
                slots.append({**base, "skipped": f"no rewritten turn (status {status})" if isinstance(status, str)
                              else "no rewritten turn"})
                continue
        else:
            values: dict[str, str] = {}
            bad = None
            for key in (instruction_field, response_field, rewrite_field):
                v = row.get(key)
                if v is None:
                    bad = f"{_where(path, index, line)}, field '{key}': missing (fields present: {', '.join(sorted(row)) or 'none'})"
                    break
                if not isinstance(v, str):
                    bad = f"{_where(path, index, line)}, field '{key}': expected a string, found {type(v).__name__}"
                    break
                values[key] = v
            if bad is not None:
                slots.append({**base, "error": bad})
                continue
            instruction = values[instruction_field]
            extra = row.get("input")
            if instruction_field == "instruction" and isinstance(extra, str) and extra.strip():
                instruction = f"{instruction}\n\n{extra}"
            reply = row.get("next_user")
            row_units = [({}, instruction, values[response_field], values[rewrite_field],
                          reply if isinstance(reply, str) else "")]
        if checks is None and row_task is not None:
            if row_task not in cache:
                cache[row_task] = task_checks(row_task)
            if cache[row_task] is None:
                slots.append({**base, "error": f"{_where(path, index, line)}, field '{task_field}': unknown task {row_task!r}"})
                continue
        for keys, instruction, original, candidate, reply in row_units:
            if checks is not None:
                names, source = list(checks), "flag"
            elif row_task is not None:
                names, source = list(cache[row_task] or []), "task + contract"
            else:
                names, source = [], "contract"
            slots.append(({**base, **keys, "checks_from": source}, len(units)))
            units.append((row_task or "default", instruction, original, candidate, names, reply))
        if len(slots) >= BATCH:
            yield from flush()
    yield from flush()


_DEFAULT_FIELDS = ("instruction", "response", "rewrite")


def _contract_dict(c: AnswerContract) -> dict[str, Any]:
    """`c.model_dump()` built by hand: the same keys in the same order, a tenth of pydantic's cost on
    every row (a CheckResult's three fields likewise, above)."""
    return {"kind": c.kind, "value": c.value, "found": c.found, "checks": list(c.checks)}


def _export_turns(row: dict[str, Any]) -> list[tuple[int, str, str, str, str]] | None:
    """(turn index, its request, original, final, the user turn replying to it or "") per rewritten turn of a row of realign's own
    provenance export (`export --format jsonl`), or None for any other shape. Turns that kept the
    original (or failed) are left out: checking an original against itself would count as a pass.

    Such a row holds the conversation as read (`original_messages`) and one story per rewritten
    turn; auditing the export means checking each final turn against its original, with the user
    turn just before it as the request (what the run read the contract from)."""
    turns, messages = row.get("turns"), row.get("original_messages")
    if not isinstance(turns, list) or not isinstance(messages, list):
        return None
    out = []
    for t in turns:
        if not isinstance(t, dict) or not isinstance(t.get("original"), str) or not isinstance(t.get("final"), str):
            return None
        if t.get("status", "rewritten") != "rewritten":
            continue  # kept_original / failed: the export holds the original, nothing to check
        i = t.get("turn_index")
        if not isinstance(i, int) or not 0 <= i < len(messages):
            return None
        request = next((m.get("content") for m in reversed(messages[:i])
                        if isinstance(m, dict) and m.get("role") == "user"), "")
        after = next((m for m in messages[i + 1:] if isinstance(m, dict) and m.get("role") != "system"), {})
        reply = after.get("content") if after.get("role") == "user" else ""
        out.append((i, request if isinstance(request, str) else "", t["original"], t["final"],
                    reply if isinstance(reply, str) else ""))
    return out


_REASON_KEY = re.compile(r"^([^:;(]{1,60})")


def summarize(records: Iterable[dict[str, Any]], top: int = 10) -> dict[str, Any]:
    """Counts over audit records: {"rows" (input rows), "turns" (verdicts of an export's rewritten
    turns, 0 for other inputs: one verdict a row there), "passed", "failed", "errors", "skipped" (a
    row of an export with no rewritten turn), "repaired", "by_contract", "failed_by_check",
    "failed_by_reason"}; passed / failed / by_contract count verdicts. Reasons are grouped by check
    and their wording up to the first ':' ("math_answer: final answer changed"), the `top` most
    frequent kept."""
    rows = turns = passed = failed = errors = repaired = skipped = 0
    last_index = None  # an export row's turns come one after another, under the row's index
    by_check: Counter[str] = Counter()
    by_reason: Counter[str] = Counter()
    by_contract: dict[str, Counter[str]] = {}
    for r in records:
        if "turn_index" in r:
            turns += 1
            same_row = r.get("index") == last_index
            last_index = r.get("index")
        else:
            same_row, last_index = False, None
        rows += not same_row
        if "skipped" in r:
            skipped += 1
            continue
        if "error" in r:
            errors += 1
            continue
        kind = (r.get("contract") or {}).get("kind", "unknown")
        by_contract.setdefault(kind, Counter())["passed" if r.get("passed") else "failed"] += 1
        repaired += bool(r.get("repairs"))
        if r.get("passed"):
            passed += 1
            continue
        failed += 1
        for c in r.get("checks", []):
            if c.get("passed"):
                continue
            by_check[c["name"]] += 1
            m = _REASON_KEY.match(c.get("reason", ""))
            by_reason[f"{c['name']}: {(m.group(1) if m else c.get('reason', '')).strip()}"] += 1
    return {
        "rows": rows,
        "turns": turns,
        "passed": passed,
        "failed": failed,
        "errors": errors,
        "skipped": skipped,
        "repaired": repaired,
        "by_contract": {k: {"rows": c["passed"] + c["failed"], "passed": c["passed"], "failed": c["failed"]}
                        for k, c in sorted(by_contract.items())},
        "failed_by_check": dict(by_check.most_common()),
        "failed_by_reason": dict(by_reason.most_common(top)),
    }
