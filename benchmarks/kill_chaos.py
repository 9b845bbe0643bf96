"""Kill and chaos figures: rows lost, rows duplicated, answered requests sent again, token totals.

    .venv/bin/python benchmarks/kill_chaos.py --rows 2000 --kills 5
    .venv/bin/python benchmarks/kill_chaos.py --repo /work/main      # the same against another checkout

Against the local test server (in this process, real HTTP) with 20% of request keys answered 500
once, 20% 429 once (Retry-After 0.05 s) and 10% a malformed body once, `realign rewrite` runs
(a) once, uninterrupted: the reference, whose token totals are printed as the progress line,
the --json summary, the human summary and `realign stats` show them; and (b) on a fresh database,
killed with SIGKILL --kills times (each after a random 150-450 further requests) and then run to
the end. Compared with (a): rows missing from (b)'s export, rows present twice in its database,
rows whose final text differs, and the answered requests (a normal answer served by the server)
that a later session sent again; at most --concurrency of those can be requests that were in
flight at a kill. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from realign.llm.base import request_key
from realign.testing.openai_server import Fault, FaultPlan, OpenAIServer, Reply
from realign.testing.responders import RealignResponder

REPO = Path(__file__).resolve().parent.parent


def make_input(path: Path, rows: int) -> None:
    with path.open("w") as f:
        for i in range(rows):
            kind = i % 4
            if kind == 0:
                row = {"instruction": f"Tom has {i + 3} apples and buys {i + 5} more. How many apples now?",
                       "input": "", "output": f"Tom has {i + 3} + {i + 5} = {2 * i + 8} apples.\n#### {2 * i + 8}"}
            elif kind == 1:
                row = {"instruction": f"Explain why the sky looks blue, briefly (variant {i}).", "input": "",
                       "output": "Sunlight scatters off air molecules, and short blue wavelengths scatter the most."}
            elif kind == 2:
                row = {"instruction": "Write a Python function that adds two numbers.", "input": f"call it add_{i}",
                       "output": f"def add_{i}(a, b):\n    return a + b"}
            else:
                row = {"instruction": f"Write a short poem about the number {i}.", "input": "",
                       "output": f"Number {i}, small and bright,\nyou count the stars at night."}
            f.write(json.dumps(row) + "\n")


class Recorder:
    """The normal answers the server gave, by session: (session, request key)."""

    def __init__(self) -> None:
        self.inner = RealignResponder()
        self.session = 0
        self.answered: list[tuple[int, str]] = []
        self.lock = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> Reply:
        with self.lock:
            self.answered.append((self.session, request_key(body)))
        return self.inner(body)


def chaos(recorder: Recorder) -> FaultPlan:
    return FaultPlan(recorder, [Fault("server_error", fraction=0.2, salt="a"),
                                Fault("rate_limit", fraction=0.2, retry_after=0.05, salt="b"),
                                Fault("malformed", fraction=0.1, salt="c")])


def cli(python: str, repo: Path, *args: str, **kw: Any) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_") and k != "REALIGN_MODEL"}
    env["PYTHONPATH"] = str(repo)
    return subprocess.run([python, "-m", "realign.cli", *args], capture_output=True, text=True, env=env,
                          cwd=repo, **kw)


def export_rows(python: str, repo: Path, db: Path, out: Path) -> list[dict[str, Any]]:
    proc = cli(python, repo, "export", "--db", str(db), "--out", str(out), "--format", "alpaca")
    assert proc.returncode == 0, proc.stderr
    return [json.loads(x) for x in out.read_text().splitlines()]


def stats_tokens(python: str, repo: Path, db: Path) -> tuple[int, int]:
    proc = cli(python, repo, "stats", "--db", str(db), "--json")
    assert proc.returncode == 0, proc.stderr
    tok = json.loads(proc.stdout)[0]["tokens"]
    return tok["prompt_tokens"], tok["completion_tokens"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--repo", type=Path, default=REPO, help="checkout whose realign runs (default: this one)")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        data = tmp / "in.jsonl"
        make_input(data, args.rows)
        rec = Recorder()
        with OpenAIServer(chaos(rec), latency_s=0.02, record=False) as srv:
            base = ["rewrite", "--in", str(data), "--model", "m", "--base-url", srv.base_url, "--concurrency",
                    str(args.concurrency), "--classifier", "embedded"]
            if "--price-in" in (args.repo / "realign" / "cli.py").read_text():  # older checkouts lack it
                base += ["--price-in", "1", "--price-out", "1"]
            # (a) reference
            ref_db = tmp / "ref.duckdb"
            proc = cli(args.python, args.repo, *base, "--db", str(ref_db), "--json")
            assert proc.returncode == 0, proc.stderr[-2000:]
            summary = json.loads(proc.stdout)
            last = [ln for ln in proc.stderr.splitlines() if ln.startswith("rows ")][-1]
            prog = tuple(int(x.replace(",", "")) for x in re.search(r"tokens ([\d,]+)\+([\d,]+)", last).groups())
            human = cli(args.python, args.repo, *base, "--db", str(tmp / "human.duckdb"), "-q")  # same answers, human form
            hum = re.search(r"tokens ([\d,]+) prompt \+ ([\d,]+)\s+completion", " ".join(human.stdout.split()))
            reference = export_rows(args.python, args.repo, ref_db, tmp / "ref.jsonl")
            ref_tokens = stats_tokens(args.python, args.repo, ref_db)
            print(f"reference, {args.rows:,} rows under chaos: tokens prompt+completion "
                  f"progress {prog[0]:,}+{prog[1]:,} | --json {summary['prompt_tokens']:,}+{summary['completion_tokens']:,} | "
                  f"summary {hum.group(1) if hum else '?'}+{hum.group(2) if hum else '?'} | stats {ref_tokens[0]:,}+{ref_tokens[1]:,}"
                  f" | requests sent {summary['llm_requests']:,} (retries {summary['retries']:,})")

            # (b) killed --kills times, then finished
            db = tmp / "killed.duckdb"
            rec.answered.clear()
            for k in range(1, args.kills + 1):
                rec.session = k
                start = srv.count
                goal = start + rng.randint(150, 450)
                env = {k2: v for k2, v in os.environ.items() if not k2.startswith("OPENAI_")}
                env["PYTHONPATH"] = str(args.repo)
                p = subprocess.Popen([args.python, "-m", "realign.cli", *base, "--db", str(db), "-q"], env=env,
                                     cwd=args.repo, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                deadline = time.time() + 300
                while srv.count < goal and p.poll() is None and time.time() < deadline:
                    time.sleep(0.005)
                if p.poll() is None:
                    os.kill(p.pid, signal.SIGKILL)
                p.wait()
            rec.session = args.kills + 1
            proc = cli(args.python, args.repo, *base, "--db", str(db), "--json", "-q")
            assert proc.returncode == 0, proc.stderr[-2000:]
            final = json.loads(proc.stdout)
        killed_rows = export_rows(args.python, args.repo, db, tmp / "killed.jsonl")
        killed_tokens = stats_tokens(args.python, args.repo, db)
        import duckdb

        con = duckdb.connect(str(db), read_only=True)
        dup_results = con.execute("SELECT count(*) - count(DISTINCT example_id) FROM results").fetchone()[0]
        dup_examples = con.execute("SELECT count(*) - count(DISTINCT example_id) FROM examples").fetchone()[0]
        con.close()
    first_session: dict[str, int] = {}
    resent_by_session: Counter[int] = Counter()
    for session, key in rec.answered:
        if key in first_session and first_session[key] < session:
            resent_by_session[session] += 1
        first_session.setdefault(key, session)
    ref_by_id = {r["id"]: r for r in reference}
    got_ids = Counter(r["id"] for r in killed_rows)
    lost = len(set(ref_by_id) - set(got_ids))
    duplicated = sum(n - 1 for n in got_ids.values() if n > 1) + dup_results + dup_examples
    differ = sum(1 for r in killed_rows if r["id"] in ref_by_id and r != ref_by_id[r["id"]])
    print(f"killed {args.kills}x with SIGKILL then finished: rows lost {lost}, rows duplicated {duplicated}, "
          f"rows differing from the reference {differ}; answered requests sent again "
          f"{sum(resent_by_session.values())} (by session after each kill: "
          f"{[resent_by_session.get(s, 0) for s in range(2, args.kills + 2)]}; at most {args.concurrency} "
          f"per kill can have been in flight)")
    print(f"token totals: reference stats {ref_tokens[0]:,}+{ref_tokens[1]:,} | killed run's stats "
          f"{killed_tokens[0]:,}+{killed_tokens[1]:,} | its last session's --json {final['prompt_tokens']:,}+"
          f"{final['completion_tokens']:,} (resumed {final['resumed']:,} rows)")


if __name__ == "__main__":
    main()
