"""A row whose processing raises something other than an LLM error: failed with its error, never lost.

The pipeline runs in process against the local test server (real HTTP); the retriever is a
`Retriever` whose search raises for one query, standing in for a bug or a broken index.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest

from realign.config import load_config
from realign.pipeline import Pipeline, build_llm
from realign.records import Evidence
from realign.store import Store
from realign.testing.openai_server import OpenAIServer
from realign.testing.responders import RealignResponder


class BrokenRetriever:
    name = "broken"

    async def search(self, query: str, k: int) -> list[Evidence]:
        if "Canberra" in query or "Australia" in query:
            raise KeyError("passage 17 missing from the index")
        return []


def _rows(path: Path) -> None:
    rows = [
        {"id": "a1", "instruction": "What is the capital of Australia?", "input": "", "output": "Canberra."},
        {"id": "a2", "instruction": "Why is the sky blue?", "input": "", "output": "Rayleigh scattering."},
        {"id": "a3", "instruction": "What does a thermometer measure?", "input": "", "output": "Temperature."},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


async def _run(cfg, db: Path, data: Path) -> dict:
    store = Store(db)
    try:
        llm = build_llm(cfg, store)
        try:
            pipe = Pipeline(cfg, store, llm=llm, classifier=None, retriever=BrokenRetriever())
            return await pipe.run(str(data))
        finally:
            await llm.aclose()
    finally:
        store.close()


def test_a_row_that_raises_a_non_llm_error_ends_failed_with_its_error_stored(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    data, db = tmp_path / "in.jsonl", tmp_path / "r.duckdb"
    _rows(data)
    with OpenAIServer(RealignResponder()) as srv:
        cfg = load_config(None, {"model": {"model": "m", "base_url": srv.base_url},
                                 "tasks": {"force_task": "open_qa"}}, env={})
        with caplog.at_level(logging.ERROR, logger="realign.pipeline"):
            s = asyncio.run(_run(cfg, db, data))
    assert s["rows"] == 3 and s["failed"] == 1 and s["rewritten"] == 2 and s["row_errors"] == 1
    assert "KeyError" in caplog.text and "a1" in caplog.text  # surfaced with its traceback
    with Store(db, read_only=True) as st:
        rows = st.query("SELECT example_id, status, error FROM results ORDER BY example_id")
        assert [(r["example_id"], r["status"]) for r in rows] == [("a1", "failed"), ("a2", "rewritten"),
                                                                   ("a3", "rewritten")]
        assert "KeyError" in rows[0]["error"] and "passage 17" in rows[0]["error"]
        assert st.run_info(s["run_id"])["status"] == "completed"
