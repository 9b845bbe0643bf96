"""Export a stored run to the files SFT trainers read."""

from __future__ import annotations

import json
from typing import Any, Iterator

from realign.io.exporters import export_examples
from realign.records import Example, Turn
from realign.store import Store


def final_examples(store: Store, run_id: str, *, only_rewritten: bool = False) -> Iterator[tuple[Example, dict[str, Any]]]:
    for row in store.iter_final(run_id):
        if only_rewritten and row["status"] != "rewritten":
            continue
        turns = json.loads(row["final_turns"] or row["turns"])
        ex = Example(id=row["example_id"], source_index=row["source_index"], line=row["line"],
                     format=row["format"], turns=[Turn(**t) for t in turns], fields=json.loads(row["fields"]))
        yield ex, {"id": row["example_id"], "task": row["task"], "status": row["status"], "run_id": run_id}


def export_run(db: str, out: str, fmt: str, *, run: str | None = None, only_rewritten: bool = False) -> dict[str, Any]:
    with Store(db, read_only=True) as store:
        run_id = store.resolve_run(run)
        n = export_examples(final_examples(store, run_id, only_rewritten=only_rewritten), out, fmt)
    return {"run_id": run_id, "rows": n, "out": out, "format": fmt}
