"""Instructions a row of `realign verify --out` on real solutions, counted by valgrind (prints, asserts nothing).

Rows/s on a shared machine move by a third from run to run with the load; instructions do not. The
rows are those of `verify_cli.py` (the committed GSM8K model solutions, one pass: `--copies 1`).
Each count is valgrind cachegrind's total for a child `realign verify --in FILE --out FILE`, reading
bytecode from a cache written by a warm-up run (as `verify_cli.child_env` gives it). Two figures:

1. per row as `verify_cli.py` reports it: (the rows - a one-row file of "2+2?" / "4") / rows;
2. per row with one-time costs taken out: (the rows - a file of the first real row) / (rows - 1).
   A real row imports arithmetic.py, whose patterns take about 125M instructions to compile, and
   compiles a few patterns the toy row never asks for; figure 1 counts that once-per-run cost as
   row time, figure 2 as start-up.

    .venv/bin/python benchmarks/verify_instructions.py [--thirdparty DIR]

Needs valgrind on PATH; slow (a minute or so under valgrind).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

import verify as bench  # noqa: E402  (the benchmark's own loader)
from verify_cli import child_env  # noqa: E402

_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def instructions(path: Path, out: Path, env: dict[str, str]) -> int:
    """valgrind's instruction total for `realign verify --in path --out out --json`."""
    cmd = [str(Path(sys.executable).parent / "realign"), "verify", "--in", str(path), "--out", str(out), "--json"]
    done = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", *cmd],
                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
    m = _REFS.search(done.stderr)
    if m is None:
        raise SystemExit(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    return int(m.group(1).replace(",", ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--thirdparty", type=Path, default=Path("/work/thirdparty/verify"))
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind not found: nothing to measure")
        return
    rows = [r for rs in bench.load_labelled(args.thirdparty).values() for r in rs if r["kind"] == "math"]
    if not rows:
        print(f"no math rows in {args.thirdparty}: nothing to measure")
        return
    lines = [json.dumps({"instruction": r["instruction"], "response": r["original"], "rewrite": r["candidate"]},
                        ensure_ascii=False) + "\n" for r in rows]
    with tempfile.TemporaryDirectory() as d:
        path, toy, first, out = (Path(d) / n for n in ("rows.jsonl", "toy.jsonl", "first.jsonl", "out.jsonl"))
        path.write_text("".join(lines), encoding="utf-8")
        toy.write_text(json.dumps({"instruction": "2+2?", "response": "4", "rewrite": "4"}) + "\n")
        first.write_text(lines[0], encoding="utf-8")
        env = child_env(Path(d) / "pycache")
        subprocess.run([str(Path(sys.executable).parent / "realign"), "verify", "--in", str(path), "--out", str(out),
                        "--json"], env=env, stdout=subprocess.DEVNULL, check=True)  # warm-up: writes the bytecode
        n = len(rows)
        total, base_toy, base_first = (instructions(p, out, env) for p in (path, toy, first))
    print(f"{n} real model solutions, one pass; valgrind cachegrind instructions of `realign verify --out`")
    print(f"1. per row minus the toy start-up: {(total - base_toy) / n / 1e6:.3f}M a row "
          f"(minus a one-row toy file, as verify_cli.py subtracts start-up)")
    print(f"2. marginal per row, what a long run gets: {(total - base_first) / (n - 1) / 1e6:.3f}M a row "
          f"(minus a file of the first real row: one-time costs such as compiling arithmetic.py's patterns out)")


if __name__ == "__main__":
    main()
