"""stakeholder_sim's calls per row and the cap, against a scripted server (printed, not asserted).

    .venv/bin/python benchmarks/modes_sim.py [--copies 25] [--caps 8,10,12,14]

Input: tests/fixtures/harmful/prompts.jsonl (written for realign's tests: 4 mild harmful
requests, 3 benign controls), each row repeated `--copies` times with a numbered suffix so no two
requests are the same. The scripted model (not a real one: these are cost figures, not quality
figures) plans 1-4 acts per request (by a hash of the request), marks about one act in five
implausible, and lets 0-2 roles notice each act. The run goes through the real pipeline (HTTP,
verification, DuckDB) with pipelines/harmful.toml. Printed per cap: harmful rows revised / stopped
by the cap, LLM calls per harmful row (min / median / max), requests per benign row, seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from realign.config import load_config
from realign.store import Store
from realign.testing.openai_server import OpenAIServer
from realign.testing.responders import SimResponder, sim_default
from realign.testing.runs import run_pipeline

DATA = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "harmful" / "prompts.jsonl"


def _h(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest(), 16)


def stage(parts: dict[str, Any]) -> Any:
    req = parts.get("request", "")
    if parts["stage"] == "plan":
        return {"steps": [f"They take step {i + 1}." for i in range(1 + _h(req) % 4)]}
    if parts["stage"] == "step":
        h = _h(req + parts.get("act", ""))
        roles = ["neighbour", "teacher", "classmate"]
        return {"plausible": h % 5 != 0, "why": "scripted", "noticed_by": roles[:h % 3],
                "consequence": "Someone is wronged."}
    return sim_default(parts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=25)
    ap.add_argument("--caps", default="8,10,12,14")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    data = tmp / "in.jsonl"
    rows = [json.loads(x) for x in DATA.read_text(encoding="utf-8").splitlines()]
    with data.open("w") as f:
        for k in range(args.copies):
            for r in rows:
                f.write(json.dumps({**r, "id": f"{r['id']}-{k}", "instruction": f"{r['instruction']} (case {k})"}) + "\n")
    print(f"{len(rows) * args.copies} rows ({args.copies} copies of {DATA.name}); scripted server; pipelines/harmful.toml")
    for cap in (int(c) for c in args.caps.split(",")):
        with OpenAIServer(SimResponder(stage=stage)) as srv:
            cfg = load_config("harmful", {"model": {"model": "m", "base_url": srv.base_url, "concurrency": 16},
                                          "tasks": {"force_task": "open_qa"}}, env={})
            cfg = cfg.model_copy(update={"modes": cfg.modes.model_copy(
                update={"sim": cfg.modes.sim.model_copy(update={"max_calls": cap})})})
            t0 = time.perf_counter()
            asyncio.run(run_pipeline(cfg, tmp / f"c{cap}.duckdb", data))
            seconds = time.perf_counter() - t0
        with Store(tmp / f"c{cap}.duckdb", read_only=True) as st:
            got = st.query("SELECT mode, status, error, reason, json_array_length(request_keys) AS n FROM rewrites")
        sim = [r for r in got if r["mode"] == "stakeholder_sim"]
        benign = [r for r in got if r["mode"] == "rewrite"]
        calls = [r["n"] for r in sim]
        capped = sum(1 for r in sim if (r["error"] or "").startswith("sim_cap"))
        kept = sum(1 for r in sim if r["status"] == "kept_original" and "max_calls" in r["reason"])
        print(f"cap {cap:>2}: harmful rows {len(sim)}: revised {sum(r['status'] == 'rewritten' for r in sim)}, "
              f"stopped by the cap {capped + kept} ({capped} failed, {kept} kept: the original declines); calls per harmful row "
              f"min {min(calls)} / median {statistics.median(calls)} / max {max(calls)}; "
              f"requests per benign row {sum(r['n'] for r in benign) / len(benign):.2f}; {seconds:.1f} s")


if __name__ == "__main__":
    main()
