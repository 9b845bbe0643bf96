"""Throughput of the verification checks on one core (printed, not asserted).

    .venv/bin/python benchmarks/verify.py [--seconds 3]

Inputs: tests/fixtures/verify/gsm8k_styles.jsonl (GSM8K test solutions in many answer styles).
Prints math_answer checks per second (target >= 20,000/s), extract_final_answer calls per second,
the agreement of the math check with the fixture's labels, and the throughput of all checks.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from realign.verify.base import CheckInput
from realign.verify.math import extract_final_answer
from realign.verify.registry import CHECK_NAMES, VerifyOptions, get_check, run_checks

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "verify" / "gsm8k_styles.jsonl"


def rate(fn, items, seconds: float, rounds: int = 5) -> float:
    """Calls per second: the best of `rounds` rounds (the machine may be shared)."""
    best = 0.0
    for _ in range(rounds):
        n = 0
        start = time.perf_counter()
        deadline = start + seconds / rounds
        while True:
            for it in items:
                fn(it)
            n += len(items)
            now = time.perf_counter()
            if now >= deadline:
                break
        best = max(best, n / (now - start))
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    rows = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
    inputs = [
        CheckInput(task="math_puzzles", instruction=r["question"], original=r["original"], candidate=r["rewrite"])
        for r in rows
    ]
    opts = VerifyOptions()
    math = get_check("math_answer", opts)
    agree = sum(math(i).passed == r["correct"] for i, r in zip(inputs, rows)) / len(rows)
    print(f"fixture: {len(rows)} rows, mean rewrite {sum(len(r['rewrite']) for r in rows) / len(rows):.0f} chars")
    print(f"math_answer agreement with labels: {agree:.2%}")
    print(f"math_answer checks/s (one core): {rate(math, inputs, args.seconds):,.0f}")
    texts = [r["rewrite"] for r in rows]
    print(f"extract_final_answer calls/s: {rate(extract_final_answer, texts, args.seconds):,.0f}")
    for name in CHECK_NAMES:
        chk = get_check(name, opts)
        print(f"  {name:<15} {rate(chk, inputs, args.seconds / 3):>10,.0f} checks/s")
    allc = list(CHECK_NAMES)
    print(f"run_checks(all {len(allc)}) rows/s: {rate(lambda i: run_checks(allc, i, opts), inputs, args.seconds):,.0f}")


if __name__ == "__main__":
    main()
