"""Running the pipeline in-process on a DuckDB file, for tests and benchmarks that drive a
scripted server directly (the CLI does the same through realign.runner)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from realign.pipeline import Pipeline, build_llm
from realign.store import Store


async def run_pipeline(cfg: Any, db: Path | str, data: Path | str, classifier: Any = None) -> dict[str, Any]:
    """One `Pipeline.run` of `cfg` over `data` into `db`; its summary."""
    store = Store(db)
    try:
        llm = build_llm(cfg, store)
        try:
            return await Pipeline(cfg, store, llm=llm, classifier=classifier).run(str(data))
        finally:
            await llm.aclose()
    finally:
        store.close()
