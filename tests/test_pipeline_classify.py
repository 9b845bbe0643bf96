"""The cascade inside `realign rewrite`: one slow classification delays its own row only, and a
row that fell back to the embedded prediction is classified again on resume."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from realign.testing.openai_server import OpenAIServer, Reply
from realign.testing.responders import RealignResponder, schema_name

REPO = Path(__file__).resolve().parent.parent

SLOW = "Quokka"  # the one request whose classification hangs


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_") and k != "REALIGN_MODEL"}
    env.update(extra)
    return env


def realign(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "realign.cli", *args], capture_output=True, text=True,
                          env=env, timeout=240, cwd=REPO)


def summary_of(proc: subprocess.CompletedProcess) -> dict:
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


OTHERS = ("otter", "lynx", "heron", "badger", "ibex")


def write_rows(path: Path) -> None:
    rows = [{"instruction": f"Tell me about the {animal}.", "input": "", "output": f"The {animal} is an animal."}
            for animal in (SLOW, *OTHERS)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def stored_methods(db: Path) -> dict[str, str]:
    """Animal -> how its row's task was decided, for the single run in `db`."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
        rows = con.execute("SELECT json_extract_string(fields, '$.instruction'), classifier FROM examples").fetchall()
    finally:
        con.close()
    return {text.removeprefix("Tell me about the ").rstrip("."): method for text, method in rows}


def config(tmp: Path) -> Path:
    p = tmp / "cascade.toml"
    # threshold 1.0: every row asks the model for its task; a request gives up after 3 s, twice
    p.write_text('name = "t"\n[model]\ntimeout_s = 3.0\nmax_attempts = 2\nconcurrency = 8\n'
                 '[classify]\nkind = "cascade"\nthreshold = 1.0\n')
    return p


def test_a_hanging_classification_holds_up_its_own_row_only_and_is_retried_on_resume(tmp_path: Path) -> None:
    data, db, cfg = tmp_path / "rows.jsonl", tmp_path / "r.duckdb", config(tmp_path)
    write_rows(data)
    normal = RealignResponder(task_for=lambda text: "open_qa")

    hanging = [True]

    def hang_slow(body: dict) -> Reply:
        if hanging[0] and schema_name(body) == "task" and SLOW in json.dumps(body):
            return Reply(hang=True)
        return normal(body)

    args = ["rewrite", "--in", str(data), "--db", str(db), "--model", "m", "--pipeline", str(cfg), "--json"]
    env = cli_env(OPENAI_API_KEY="x")
    with OpenAIServer(hang_slow) as srv:  # one server for both runs: the same base URL, the same run
        s = summary_of(realign(*args, "--base-url", srv.base_url, env=env))
        kinds = ["slow-task" if schema_name(b) == "task" and SLOW in json.dumps(b)
                 else "task" if schema_name(b) == "task" else "rewrite" for b in srv.requests]
        assert s["rows"] == 6 and s["failed"] == 0
        # The other five rows were classified and rewritten while the slow row's first request
        # hung: their rewrites reached the server before its retry (sent after the 3 s timeout).
        retry = [i for i, k in enumerate(kinds) if k == "slow-task"][1]
        assert kinds.count("rewrite") >= 5 and sum(k == "rewrite" for k in kinds[:retry]) == 5
        assert stored_methods(db) == {**{a: "llm" for a in OTHERS}, SLOW: "embedded_fallback"}

        # Resume once the server answers: only the fallback row is classified (and run) again.
        hanging[0] = False
        srv.reset()
        s2 = summary_of(realign(*args, "--base-url", srv.base_url, env=env))
        asked = [b for b in srv.requests if schema_name(b) == "task"]
    assert len(asked) == 1 and SLOW in json.dumps(asked[0])
    assert stored_methods(db) == {a: "llm" for a in (SLOW, *OTHERS)}
    assert s2["rows"] == 6
