"""Several servers at once, a SIGKILL and a resume: rows lost, requests paid twice, per-endpoint caps.

    nice -n 10 python benchmarks/scaleout.py --in /work/thirdparty/trial8/messages.jsonl --kill-after 60

Three local test servers in this process (real HTTP), given to one `realign rewrite` as repeated
--base-url: `quick` (--quick-latency), `serial` (one request at a time, --serial-latency: a
llama.cpp-like server on a CPU, which the per-endpoint adaptive cap has to cut) and `faulty`
(3% of request keys answered 500 once, 0.3% hung once, 2% a malformed body once). The run is
killed with SIGKILL after --kill-after seconds (0: not killed), then rerun with the same command
to the end under /usr/bin/time -v. Then: input lines against rows in results + quarantine;
every answered request (an HTTP 200 with a normal answer) counted per key and session, so a key
answered twice is a request paid twice (split into: again after the kill, and again within one
session, i.e. a timed-out copy the server still answered); the last session's summary of the
endpoints; peak RSS; and an export round trip (jsonl, parquet) counted against the results.
Prints figures; asserts nothing. The input file is built by benchmarks/scaleout_corpus.py.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from realign.llm.base import request_key
from realign.testing.openai_server import Fault, FaultPlan, OpenAIServer, Reply, _or_echo
from realign.testing.responders import SimResponder

REPO = Path(__file__).resolve().parent.parent


class Recorder:
    """Counts the normal answers a server gave, by (session, request key)."""

    def __init__(self) -> None:
        self.inner = _or_echo(SimResponder())
        self.session = 0
        self.answered: Counter[tuple[int, str]] = Counter()
        self.lock = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> Reply:
        with self.lock:
            self.answered[(self.session, request_key(body))] += 1
        return self.inner(body)


def cli(args: list[str], timed: bool = False, **kw: Any) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_") and k != "REALIGN_MODEL"}
    env["PYTHONPATH"] = str(REPO)
    cmd = [sys.executable, "-m", "realign.cli", *args]
    if timed:
        cmd = ["/usr/bin/time", "-v", *cmd]
    return subprocess.Popen(cmd, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--in", dest="input", required=True)
    ap.add_argument("--db", default="/tmp/scaleout.duckdb")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--kill-after", type=float, default=60.0)
    ap.add_argument("--quick-latency", type=float, default=0.05)
    ap.add_argument("--serial-latency", type=float, default=0.2)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--concurrency", type=int, default=64)
    args = ap.parse_args()
    for p in Path(args.db).parent.glob(Path(args.db).name + "*"):
        subprocess.run(["rm", "-rf", str(p)], check=True)

    recs = {name: Recorder() for name in ("quick", "serial", "faulty")}
    faulty = FaultPlan(recs["faulty"], [Fault("server_error", fraction=0.03, salt="s"),
                                        Fault("hang", fraction=0.003, salt="h"),
                                        Fault("malformed", fraction=0.02, salt="m")])
    servers = {
        "quick": OpenAIServer(recs["quick"], latency_s=args.quick_latency, record=False),
        "serial": OpenAIServer(recs["serial"], latency_s=args.serial_latency, record=False, serial=True),
        "faulty": OpenAIServer(faulty, latency_s=args.quick_latency, record=False),
    }
    for s in servers.values():
        s.start()
    urls = {name: s.base_url for name, s in servers.items()}
    base = ["rewrite", "--in", args.input, "--db", args.db, "--model", "test-model", "--timeout", str(args.timeout),
            "--concurrency", str(args.concurrency)]
    if args.limit:
        base += ["--limit", str(args.limit)]
    for u in urls.values():
        base += ["--base-url", u]
    print("servers:", urls)
    sessions = 0
    t0 = time.time()
    if args.kill_after > 0:
        sessions += 1
        for r in recs.values():
            r.session = sessions
        p = cli(base + ["-q"])
        time.sleep(args.kill_after)
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
        p.wait()
        print(f"session 1 killed with SIGKILL after {time.time() - t0:.0f} s; server requests so far:",
              {n: s.count for n, s in servers.items()})
    sessions += 1
    for r in recs.values():
        r.session = sessions
    t1 = time.time()
    p = cli(base + ["--json", "-q"], timed=True)
    out, err = p.communicate()
    wall = time.time() - t1
    counts = {n: s.count for n, s in servers.items()}
    for s in servers.values():
        s.stop()
    if p.returncode != 0:
        print("resume failed", p.returncode, err[-3000:])
        return
    summary = json.loads(out)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    notes = [ln for ln in err.splitlines() if ln.startswith("note:")]
    print(f"resume: {wall:.0f} s wall, rows_per_s (summary) {summary['rows_per_s']}, peak RSS "
          f"{int(rss.group(1)) // 1024 if rss else '?'} MiB, rc {p.returncode}")
    print("summary:", json.dumps({k: summary.get(k) for k in (
        "rows", "rewritten", "kept_original", "passthrough", "failed", "quarantined", "resumed", "row_errors",
        "llm_requests", "cached_requests", "retries", "retry_causes", "in_flight_cap", "endpoints")}))
    print(f"notes in the resumed session: {len(notes)}; first 5:")
    for n in notes[:5]:
        print("  ", n[:220])

    import duckdb

    con = duckdb.connect(args.db, read_only=True)
    lines = sum(1 for _ in open(args.input, "rb"))
    if args.limit:
        lines = min(lines, args.limit)
    res = con.execute("SELECT count(*), count(DISTINCT example_id) FROM results").fetchone()
    q = con.execute("SELECT count(*), count(DISTINCT line), count(*) FILTER (WHERE line IS NULL) FROM quarantine").fetchone()
    ex = con.execute("SELECT count(*), count(DISTINCT example_id) FROM examples").fetchone()
    keys = con.execute("SELECT count(*), count(DISTINCT key) FROM llm_calls").fetchone()
    status = dict(con.execute("SELECT status, count(*) FROM results GROUP BY 1").fetchall())
    con.close()
    print(f"input lines {lines}: results {res[0]} ({res[1]} distinct ids) + quarantine {q[0]} ({q[1]} distinct lines, "
          f"{q[2]} without a line) = {res[0] + q[0]}; examples {ex[0]} ({ex[1]} distinct); statuses {status}")
    print(f"llm_calls stored {keys[0]} ({keys[1]} distinct keys); server requests {counts} = {sum(counts.values())}")
    for name, r in recs.items():
        per_key: Counter[str] = Counter()
        by_session: dict[str, set[int]] = {}
        for (sess, key), n in r.answered.items():
            per_key[key] += n
            by_session.setdefault(key, set()).add(sess)
        twice = sum(n - 1 for n in per_key.values() if n > 1)
        across = sum(len(s) - 1 for s in by_session.values() if len(s) > 1)
        print(f"  {name}: normal answers {sum(per_key.values())} to {len(per_key)} keys; paid again {twice} "
              f"(in a later session {across}, within a session {twice - across})")
    all_keys: Counter[str] = Counter()
    for r in recs.values():
        for (_, key), n in r.answered.items():
            all_keys[key] += n
    print(f"  all servers: {sum(all_keys.values())} normal answers to {len(all_keys)} distinct keys; "
          f"keys answered more than once {sum(1 for n in all_keys.values() if n > 1)}")
    for old in Path(args.db).parent.glob("rt*"):
        old.unlink()
    for fmt, name in (("jsonl", "rt.jsonl"), ("parquet", "rt.parquet"), ("alpaca", "rt_alpaca.jsonl")):
        path = str(Path(args.db).with_name(name))
        e = cli(["export", "--db", args.db, "--out", path, "--format", fmt])
        e_out, e_err = e.communicate()
        if fmt == "parquet":
            n = duckdb.sql(f"SELECT count(*) FROM read_parquet('{path}')").fetchall()[0][0]
        else:
            n = sum(1 for _ in open(path))
        print(f"export {fmt}: rc {e.returncode}, {n} rows {e_err.strip()[-200:]}")
    print(f"total wall {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
