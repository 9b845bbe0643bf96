"""A few very long rows among many must not stop a run's export: the database's memory is
bounded (REALIGN_DUCKDB_MEMORY), so reading the run in input order may not sort whole rows.

The run itself is small (a real CLI run against the test server); its rows are then copied in
the database until there are 11 very long rows, each among 2,047 short ones, as in a large
corpus with a few megabyte rows (20,000 rows with 21 such rows stopped `export` at 128 MB)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from realign.testing.openai_server import OpenAIServer
from realign.testing.responders import RealignResponder
from test_e2e_cli import cli_env, realign, summary_of

COPIES = 11  # blocks of 2,047 short rows and one long one
BLOCK = 2048


def _grow(db: Path, run_id: str) -> list[str]:
    """Copy the short row r1 and the long row r0 into COPIES blocks; the ids in input order."""
    con = duckdb.connect(str(db))
    tables = {"examples": "source_index", "results": None, "rewrites": None}
    for k in range(COPIES):
        for source, lo, hi in (("r1", 0, BLOCK - 1), ("r0", BLOCK - 1, BLOCK)):
            for table, index_col in tables.items():
                replace = f"e.example_id || '_{k}_' || g AS example_id" + (
                    f", {100 + k * BLOCK} + g AS {index_col}" if index_col else "")
                con.execute(f"INSERT INTO {table} SELECT e.* REPLACE ({replace}) FROM {table} e, range(?, ?) t(g) "
                            "WHERE e.run_id = ? AND e.example_id = ?", [lo, hi, run_id, source])
    con.close()
    ids = ["r0", "r1", "r2"]
    for k in range(COPIES):
        ids += [f"r1_{k}_{g}" for g in range(BLOCK - 1)] + [f"r0_{k}_{BLOCK - 1}"]
    return ids


def test_a_run_with_a_few_megabyte_rows_among_many_exports_every_row_in_input_order(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    rows = [("Describe the sea.", "The sea " + "is wide and deep " * 120_000),  # about 2 MB
            ("Describe the sky.", "The sky is blue."), ("Describe a tree.", "A tree is tall.")]
    data.write_text("".join(json.dumps({"id": f"r{i}", "instruction": q, "input": "", "output": a}) + "\n"
                            for i, (q, a) in enumerate(rows)))
    db = tmp_path / "r.duckdb"
    env = {**cli_env(), "REALIGN_DUCKDB_MEMORY": "64MB"}
    with OpenAIServer(RealignResponder()) as srv:
        run = summary_of(realign("rewrite", "--in", str(data), "--model", "m", "--base-url", srv.base_url, "-q",
                                 "--json", "--db", str(db), "--task", "open_qa", env=env))
    assert run["rewritten"] == 3
    ids = _grow(db, run["run_id"])
    for fmt, name in (("jsonl", "out.jsonl"), ("parquet", "out.parquet"), ("alpaca", "alpaca.jsonl")):
        out = tmp_path / name
        summary_of(realign("export", "--db", str(db), "--out", str(out), "--format", fmt, "--json", env=env))
        if name.endswith(".parquet"):
            got = pq.read_table(out, columns=["id"]).column("id").to_pylist()
        else:
            got = [json.loads(line)["id"] for line in out.read_text().splitlines()]
        assert got == ids, fmt
