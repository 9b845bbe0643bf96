"""Rows longer than the model's context: what a run and its resume send and store (printed).

    PYTHONPATH=. .venv/bin/python benchmarks/row_failures.py [--rows 60] [--long-share 0.75]

Writes `--rows` Alpaca rows, a `--long-share` of them with a ~10,000-character answer, and runs
`realign rewrite` twice (the second run is the resume) against the local test server, which
answers prompts over `--context-chars` characters with vLLM's HTTP 400 ("This model's maximum
context length is N tokens ..."). Prints, per session: the requests the server received, the exit
code and the statuses of the summary. Before too_long existed, the refusals counted as one failure
seen 20 times in 50 calls and stopped the run (exit 2), and every resume sent them again.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from realign.testing.openai_server import OpenAIServer
from realign.testing.responders import RealignResponder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=60)
    ap.add_argument("--long-share", type=float, default=0.75)
    ap.add_argument("--context-chars", type=int, default=6000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data, db = Path(tmp) / "in.jsonl", Path(tmp) / "r.duckdb"
        rows = []
        for i in range(args.rows):
            long = int((i + 1) * args.long_share) > int(i * args.long_share)  # spread evenly over the input
            rows.append({"id": f"r{i}", "instruction": f"Explain item {i}.", "input": "",
                         "output": ("word " * (2000 if long else 20)).strip()})
        data.write_text("".join(json.dumps(r) + "\n" for r in rows))
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
        with OpenAIServer(RealignResponder(), dialect="vllm", context_chars=args.context_chars) as srv:
            for session in (1, 2):
                srv.reset()
                proc = subprocess.run([sys.executable, "-m", "realign.cli", "rewrite", "--in", str(data), "--db",
                                       str(db), "--model", "m", "--base-url", srv.base_url, "--task", "open_qa",
                                       "-q", "--json"], capture_output=True, text=True, env=env)
                s = json.loads(proc.stdout) if proc.returncode == 0 else {}
                figures = {k: s.get(k) for k in ("rewritten", "kept_original", "failed", "too_long", "retries")}
                tail = "" if proc.returncode == 0 else " | " + proc.stderr.strip().splitlines()[-1][:160]
                print(f"session {session}: {srv.count} requests received, exit {proc.returncode}, {figures}{tail}")


if __name__ == "__main__":
    main()
