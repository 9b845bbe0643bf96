"""Export a stored run to the files SFT trainers read.

The plain formats (alpaca, sharegpt, messages) carry the final turns only. The provenance formats
(jsonl, parquet, dpo) also carry each rewritten turn's story from the `rewrites` table (DFAR's
dfar_label / dfar_reason read it too, for the contract's label and the mode): original and final side by side, status, reason, attempts, the checks of the last verified candidate, and
any column a later release adds there (the answer contract), so a user can diff, filter or build
preference pairs without opening the database.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterator

from realign.io.exporters import DFAR_FORMATS, PROVENANCE_FORMATS, export_examples
from realign.records import Example, Turn
from realign.store import Store

_JSON_COLUMNS = ("request_keys", "raw_answers", "verdicts", "contract", "repairs")
_LEFT_OUT = ("run_id", "example_id", "request_keys", "raw_answers", "verdicts", "source_index")


def _turn_story(row: dict[str, Any]) -> dict[str, Any]:
    """One row of `rewrites` as exported: the JSON columns read, the last verdict's checks kept."""
    for col in _JSON_COLUMNS:
        if isinstance(row.get(col), str):
            row[col] = json.loads(row[col])
    verdicts = row.get("verdicts") or []
    story = {k: v for k, v in row.items() if k not in _LEFT_OUT}
    story["checks"] = [{"name": c.get("name"), "passed": c.get("passed"), "reason": c.get("reason")}
                       for c in (verdicts[-1].get("checks") or [] if verdicts else [])]
    return story


def _stories(store: Store, run_id: str, batch: int = 2048) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """(source_index, its turn stories) in input order, streamed alongside iter_final: the keys
    are sorted, the rows fetched a batch at a time (`Store.rows_by_rowid`), as iter_final does."""
    keys = store.con.cursor()
    wide = store.con.cursor()
    current: int | None = None
    turns: list[dict[str, Any]] = []
    try:
        keys.execute(
            """SELECT e.source_index, w.rowid FROM rewrites w JOIN examples e USING (run_id, example_id)
               WHERE w.run_id = ? ORDER BY e.source_index, w.turn_index""", [run_id])
        while rows := keys.fetchmany(batch):
            found = store.rows_by_rowid(wide, "rewrites", "*", [r[1] for r in rows])
            for source_index, rowid in rows:
                if source_index != current:
                    if current is not None:
                        yield current, turns
                    current, turns = source_index, []
                turns.append(_turn_story({"source_index": source_index, **found[rowid]}))
        if current is not None:
            yield current, turns
    finally:
        keys.close()
        wide.close()


# Formats whose rows LLaMA-Factory reads turn by turn, skipping any that does not alternate
# user / assistant from a user turn to an answer ("Invalid role tag", "Invalid message count").
_ALTERNATING_FORMATS = ("sharegpt", "messages")


def alternates(ex: Example) -> bool:
    """True when the turns after the leading system turns go user, assistant, user, ... and end
    with an assistant turn (an opening greeting or a last question without an answer do not).
    As in LLaMA-Factory, a tool result takes a user's place and a tool call an assistant's
    (user, function_call, observation, gpt alternates)."""
    slot = {"tool": "user", "tool_call": "assistant"}
    roles = [slot.get(t.role, t.role) for t in ex.turns]
    while roles and roles[0] == "system":
        roles.pop(0)
    return bool(roles) and len(roles) % 2 == 0 and all(
        r == ("user" if i % 2 == 0 else "assistant") for i, r in enumerate(roles))


class _Counted:
    """How many exported rows `test` holds for, and the ids of the first few (memory stays flat)."""

    def __init__(self, test: Callable[[Example], bool]) -> None:
        self.test = test
        self.n = 0
        self.first: list[str] = []

    def note(self, rows: Iterator[tuple[Example, dict[str, Any]]]) -> Iterator[tuple[Example, dict[str, Any]]]:
        """`rows` as they come, counting those `test` holds for."""
        for ex, meta in rows:
            if self.test(ex):
                self.n += 1
                if len(self.first) < 3:
                    self.first.append(str(meta.get("id") or ex.id))
            yield ex, meta


def _tool_warning(n: int, fmt: str, out: str) -> str | None:
    """What an export in `fmt` to `out` loses of `n` rows with tool turns, if anything."""
    if fmt in ("alpaca", *DFAR_FORMATS):
        return (f"{n} row(s) hold tool calls and tool results, which the {fmt} format has no place for: they are "
                "left out of this export (an answer without the tool result it rests on would teach stating what "
                "only the tool knew); export sharegpt or messages to keep them")
    if fmt == "dpo" and out.lower().endswith(".parquet"):
        return (f"{n} row(s) hold tool calls and tool results: the fixed Parquet columns of dpo keep their "
                "roles and texts but not their other keys (tool_calls, tool_call_id) nor the row's tools; "
                "write a .jsonl file, or export messages (its Parquet columns keep them)")
    return None


def final_examples(store: Store, run_id: str, *, only_rewritten: bool = False,
                   provenance: bool = False) -> Iterator[tuple[Example, dict[str, Any]]]:
    stories = _stories(store, run_id) if provenance else iter(())
    pending = next(stories, None)
    for row in store.iter_final(run_id):
        turns_story: list[dict[str, Any]] = []
        # both streams are in input order; rows without a rewrite (passthrough) have no story
        while pending is not None and pending[0] <= row["source_index"]:
            if pending[0] == row["source_index"]:
                turns_story = pending[1]
            pending = next(stories, None)
        if only_rewritten and row["status"] != "rewritten":
            continue
        turns = json.loads(row["final_turns"] or row["turns"])
        ex = Example(id=row["example_id"], source_index=row["source_index"], line=row["line"],
                     format=row["format"], turns=[Turn(**t) for t in turns], fields=json.loads(row["fields"]))
        meta: dict[str, Any] = {"id": row["example_id"], "task": row["task"], "status": row["status"], "run_id": run_id}
        if provenance:
            meta["original_messages"] = [Turn(**t).as_object() for t in json.loads(row["turns"])]
            meta["turns"] = turns_story
        yield ex, meta


def export_run(db: str, out: str, fmt: str, *, run: str | None = None, only_rewritten: bool = False) -> dict[str, Any]:
    with Store(db, read_only=True) as store:
        run_id = store.resolve_run(run)
        rows = final_examples(store, run_id, only_rewritten=only_rewritten or fmt == "dpo",
                              provenance=fmt in PROVENANCE_FORMATS + DFAR_FORMATS)
        unpaired = _Counted(lambda ex: not alternates(ex))
        if fmt in _ALTERNATING_FORMATS:
            rows = unpaired.note(rows)
        tools = _Counted(lambda ex: bool(ex.tool_indices()))
        rows = tools.note(rows)
        # an empty answer is left as it is (nothing to reformat), but a trainer learns it as
        # "answer with nothing": the user should know before training
        empty = _Counted(lambda ex: bool(ex.empty_indices()))
        rows = empty.note(rows)
        n = export_examples(rows, out, fmt)
        state = store.query("SELECT status, counts FROM runs WHERE run_id = ?", [run_id])[0]
        statuses = {r["status"]: r["n"] for r in store.query(
            "SELECT status, count(*) AS n FROM results WHERE run_id = ? GROUP BY status", [run_id])}
        quarantined = store.query("SELECT count(*) AS n FROM quarantine WHERE run_id = ?", [run_id])[0]["n"]
    counts = state["counts"] if isinstance(state["counts"], dict) else json.loads(state["counts"] or "{}")
    total = counts.get("total") or (counts.get("totals") or {}).get("total")
    warnings = []
    # A corpus for training should not be taken for a finished one when it is not.
    if state["status"] != "completed":
        warnings.append(f"run {run_id} is {state['status'] or 'still running'}: this export holds the "
                        f"{sum(statuses.values())} rows finished so far" + (f" of {total}" if total else "")
                        + "; rerun the same `realign rewrite` command to complete it")
    if statuses.get("failed"):
        # --only-rewritten, dpo and dfar_reason take accepted rewrites only: there a failed row is
        # missing, not present with its original
        held = not (only_rewritten or fmt in ("dpo", "dfar_reason"))
        warnings.append(f"{statuses['failed']} row(s) failed and are "
                        + ("exported with their original responses" if held else "left out of this export")
                        + "; `realign stats` says why, and a rerun retries them")
    if fmt in DFAR_FORMATS and n < sum(statuses.values()):
        # DFAR's sets hold only turns with a label contract (and, for dfar_reason, a reason that
        # label_reason wrote): on another run most rows have neither
        warnings.append(f"{fmt} wrote {n} of the run's {sum(statuses.values())} rows: only accepted turns with a "
                        "label contract" + (" and a reason written by the label_reason mode (not one the reason judge found "
                                            "unsupported)" if fmt == "dfar_reason"
                                            else "") + " go into it")
    if fmt == "dpo" and n < sum(statuses.values()):
        # a pair needs a rewrite that was accepted: kept originals, passthrough and failed rows have none
        warnings.append(f"dpo wrote {n} of the run's {sum(statuses.values())} rows: only rewritten turns make a "
                        f"pair (chosen = rewrite, rejected = original); the run has {statuses.get('rewritten', 0)} "
                        "rewritten rows")
    if unpaired.n:
        # kept as they are (TRL reads them); a user training with LLaMA-Factory would lose them unseen
        warnings.append(f"{unpaired.n} row(s) do not alternate user and assistant turns from a user turn to a "
                        f"final answer (e.g. {', '.join(unpaired.first)}: an opening greeting, a last question "
                        "without an answer); they are exported as they are, and LLaMA-Factory skips such rows "
                        "(TRL reads them)")
    if empty.n:
        warnings.append(f"{empty.n} row(s) hold an empty assistant turn (e.g. {', '.join(empty.first)}), "
                        "left as read: a model trained on them learns to answer with nothing; drop those turns "
                        "or rows before training")
    tool_warning = _tool_warning(tools.n, fmt, out) if tools.n else None
    if tool_warning:
        warnings.append(tool_warning)
    if quarantined:
        warnings.append(f"{quarantined} quarantined input row(s) are not in the export (bad input, never "
                        "processed); `realign stats --quarantined` lists them, and `realign show FILE:LINE` says why")
    return {"run_id": run_id, "rows": n, "out": out, "format": fmt, "run_status": state["status"],
            "quarantined": quarantined, "warnings": warnings}
