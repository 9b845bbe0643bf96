"""Batch files round trip: the same rows online and through the Batch API. Prints figures.

    .venv/bin/python benchmarks/batch_roundtrip.py --rows 2000

Runs `realign rewrite` (the CLI, in a subprocess) twice over the same rows against the local test
server (`--mode realign`, its own process): once online, once with `--backend batch` (requests
written as Batch JSONL, uploaded to /v1/files, submitted to /v1/batches, polled, answers loaded
into the cache, in rounds), then exports both runs and compares the files byte for byte. The
server counts the chat requests it was sent; the batch run must send none.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import make_input  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2000)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="realign-batch-"))
    data = tmp / "in.jsonl"
    make_input(data, a.rows)
    from realign.testing.openai_server import OpenAIServer
    from realign.testing.responders import RealignResponder

    figures = {}
    with OpenAIServer(RealignResponder(), record=False) as srv:
        for name, extra in (("online", []), ("batch", ["--backend", "batch"])):
            before_chat, before_lines = srv.count, srv.batch_desk.lines_answered
            env_poll = ["--pipeline", str(_poll_pipeline(tmp))] if extra else []
            started = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "realign.cli", "rewrite", "--in", str(data), "--db", str(tmp / f"{name}.duckdb"),
                 "--model", "test-model", "--base-url", srv.base_url, "--classifier", "embedded", "--json", "-q",
                 *env_poll, *extra], cwd=REPO, capture_output=True, text=True)
            if proc.returncode != 0:
                raise SystemExit(proc.stderr[-2000:])
            summary = json.loads(proc.stdout)
            subprocess.run([sys.executable, "-m", "realign.cli", "export", "--db", str(tmp / f"{name}.duckdb"),
                            "--out", str(tmp / f"{name}.jsonl"), "--format", "jsonl"], cwd=REPO, check=True,
                           capture_output=True)
            figures[name] = {"rows": summary["rows"], "failed": summary["failed"],
                             "chat_requests_online": srv.count - before_chat,
                             "batch_lines": srv.batch_desk.lines_answered - before_lines,
                             "batch_rounds": summary.get("batch_rounds"),
                             "wall_s": round(time.perf_counter() - started, 1)}
    same = (tmp / "online.jsonl").read_bytes() == (tmp / "batch.jsonl").read_bytes()
    print(f"{a.rows} rows, local test server (realign responder)")
    for name, f in figures.items():
        print(f"{name:6}: {f}")
    print(f"exports (jsonl, with provenance) identical: {same}")


def _poll_pipeline(tmp: Path) -> Path:
    """A pipeline file that polls the test server's batches every 50 ms instead of every 30 s."""
    p = tmp / "poll.toml"
    p.write_text('name = "default"\n[model]\nbatch_poll_s = 0.05\n')
    return p


if __name__ == "__main__":
    main()
