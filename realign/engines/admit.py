"""What every engine does to a chunk of input before it processes rows: bad rows go to the
quarantine (or stop a `--strict` run), repeated ids are made unique, and rows that an earlier
session of the run finished are skipped; failed rows and rows whose LLM classification fell back
to the embedded model run again."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable

from realign.errors import InputError
from realign.records import BadRow, Example

if TYPE_CHECKING:
    from realign.store import Store


@dataclass
class Admitted:
    todo: list[Example]  # rows to process in this session, in input order
    resumed: int  # rows of the chunk an earlier session finished
    redo: set[str] = field(default_factory=set)  # ids whose stored story the new one replaces


def admit(chunk: Iterable[Example | BadRow], *, store: Store, run_id: str, input_path: str, strict: bool,
          quarantined_before: set[int], quarantine: Callable[[BadRow], None], seen: dict[str, int],
          stats: object) -> Admitted:
    """Sorts one chunk; counts quarantined and resumed rows into `stats` (done, quarantined,
    resumed). A bad row already quarantined by an earlier session is counted, not stored twice."""
    examples: list[Example] = []
    for item in chunk:
        if isinstance(item, BadRow):
            if strict:
                raise InputError(item.describe(input_path) + " (--strict stops at the first bad row)")
            if item.source_index not in quarantined_before:
                quarantine(item)
            stats.quarantined += 1  # type: ignore[attr-defined]
            stats.done += 1  # type: ignore[attr-defined]
            continue
        examples.append(dedupe_id(item, seen))
    ids = [e.id for e in examples]
    finished = store.finished_ids(run_id, ids)
    # stored but not finished (failed, or classified by the fallback): their old story goes first
    redo = set(store.result_statuses(run_id, ids)) - finished
    todo = [e for e in examples if e.id not in finished]
    resumed = len(examples) - len(todo)
    stats.resumed += resumed  # type: ignore[attr-defined]
    stats.done += resumed  # type: ignore[attr-defined]
    return Admitted(todo=todo, resumed=resumed, redo=redo)


def dedupe_id(ex: Example, seen: dict[str, int]) -> Example:
    """The same id twice in one input: keep both rows, the later ones as `id~2`, `id~3` ..."""
    n = seen.get(ex.id, 0) + 1
    seen[ex.id] = n
    return ex if n == 1 else ex.model_copy(update={"id": f"{ex.id}~{n}"})
