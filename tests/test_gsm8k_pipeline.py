"""Quality bar of the GSM8K rewrite loop: no wrong final answer reaches the export, and correct
rewrites are (almost) never rejected, with the gsm8k pipeline and with the default one.

300 GSM8K train rows go through `realign rewrite` (a subprocess, as a user runs it) against the
local test server. The scripted "model" rewrites each row in one of these ways, chosen from a
hash of the question so the mix is fixed:

- 20% WRONG, in the ways real models go wrong: a changed final answer (with and without a
  '#### N' line), the gold stated first and another total later ("#### G ... The total is W"),
  a correction ("Correction: the actual total is W"), a denial ("The answer is not G, it is W"),
  a hedge ("G or W"), a revision ("So the result is G. But after adjusting ... becomes W"); on
  the feedback retry half of them stay wrong, half are corrected;
- 80% CORRECT, in eight styles: "So the answer is N", bold "**Final answer:** N", \\boxed{N},
  "The answer is $1,234.", "#### 1,234" with separators, a plain concluding sentence, an "A: N"
  line, "The answer is not W; it is G"; half of them without the '#### N' line (the repair
  restores it).

Asserted: every exported training answer states the gold answer (`gsm8k_reference` of the export
vs of the input), and fewer than 1% of the correct rewrites were rejected. The figures are
printed (run with -s to see them). These styles are ours: a smoke test of the loop. The
agreement with real model-written solutions is measured in benchmarks/verify.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest

from realign.testing.openai_server import OpenAIServer
from realign.testing.responders import RealignResponder
from realign.verify.math import format_value, gsm8k_reference

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "gsm8k" / "train.jsonl"
SHARED = Path("/work/shared/data/gsm8k/train.jsonl")
ROWS = 300


def source_file() -> Path:
    for p in (FIXTURE, SHARED):
        if p.is_file():
            return p
    pytest.skip(f"no GSM8K train data: neither {FIXTURE} nor {SHARED} exists")


def cli_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_") and k != "REALIGN_MODEL"}


def realign(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "realign.cli", *args], capture_output=True, text=True,
                          env=cli_env(), timeout=240, cwd=REPO)


def bucket(question: str) -> int:
    return int(hashlib.sha256(question.strip().encode()).hexdigest()[:8], 16) % 100


def kind_of(question: str) -> str:
    return "wrong" if bucket(question) < 20 else "correct"


def money(v: Fraction) -> str:
    """1234 -> '1,234'; 12.5 -> '12.5'."""
    if v.denominator == 1:
        return f"{v.numerator:,}"
    return format_value(v)


def steps(original: str) -> list[str]:
    body = [ln for ln in original.strip().split("\n") if ln.strip() and not ln.startswith("####")]
    return [re.sub(r"<<[^>]*>>", "", ln).strip() for ln in body]


def solution(original: str, gold: Fraction, style: int, with_line: bool) -> str:
    """A reformatted solution stating `gold` as its final answer, in one of eight styles."""
    lines = [f"{i}. {s}" for i, s in enumerate(steps(original), start=1)]
    n = format_value(gold)
    intro = "We work through the problem one step at a time."
    line = f"#### {n}"
    end = [
        f"So the answer is {n}.",
        f"**Final answer:** {n}",
        f"Putting it together gives \\boxed{{{n}}}.",
        f"The answer is ${money(gold)}.",
        f"Therefore the result is {n}.",
        f"Altogether, that makes {n}.",
        f"Q: what is asked?\nA: {n}",
        f"The answer is not {format_value(gold + 3)}; it is {n}.",
    ][style % 8]
    if style % 8 == 4:
        line = f"#### {money(gold)}"
    return "\n".join([intro, *lines, end] + ([line] if with_line else []))


def wrong(original: str, gold: Fraction, style: int) -> str:
    """A rewrite that changes or contradicts the gold answer, in one of seven ways."""
    lines = [f"{i}. {s}" for i, s in enumerate(steps(original), start=1)]
    g, w = format_value(gold), format_value(gold + 7)
    body = ["Let us solve it.", *lines]
    return "\n".join(body + [
        [f"So the answer is {w}.", f"#### {w}"],
        [f"So the answer is {w}."],
        [f"#### {g}", f"Checking again: {w} - 0 = {w}. The total is {w}."],
        [f"So she ends with {g}.", f"Correction: the actual total is {w}."],
        [f"The answer is not {g}, it is {w}."],
        [f"The answer is {g} or {w}."],
        [f"So the result is {g}. But after adjusting for the last step, the total becomes {w}."],
    ][style % 7])


def scripted_rewrite(parts: dict) -> str:
    original, question = parts["original"], parts["instruction"]
    gold = gsm8k_reference(original)
    assert gold is not None
    b = bucket(question)
    if kind_of(question) == "wrong" and not (parts["is_retry"] and b % 2):
        return wrong(original, gold, b // 2)
    return solution(original, gold, b // 3, with_line=bool(b % 2))


@pytest.mark.parametrize("pipeline", ["gsm8k", "default"])
def test_gsm8k_rewrite_loop_keeps_every_gold_answer(tmp_path: Path, pipeline: str) -> None:
    src = source_file()
    data = tmp_path / "train.jsonl"
    rows = [json.loads(x) for x in src.read_text(encoding="utf-8").splitlines()[:ROWS]]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    db = tmp_path / "gsm8k.duckdb"

    with OpenAIServer(RealignResponder(scripted_rewrite)) as srv:
        args = ["--pipeline", "gsm8k"] if pipeline == "gsm8k" else []
        proc = realign("rewrite", "--in", str(data), *args, "--db", str(db), "--model", "m",
                       "--base-url", srv.base_url, "--concurrency", "32", "--json", "-q")
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    assert summary["rows"] == len(rows) and summary["failed"] == 0 and summary["quarantined"] == 0

    out = tmp_path / "sft.jsonl"
    proc = realign("export", "--db", str(db), "--out", str(out), "--format", "alpaca", "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    exported = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(exported) == len(rows)

    gold = {r["question"]: gsm8k_reference(r["answer"]) for r in rows}
    kinds = {q: kind_of(q) for q in gold}
    wrong_answers = [e for e in exported if gsm8k_reference(e["output"]) != gold[e["instruction"]]]

    con = duckdb.connect(str(db), read_only=True)
    status = dict(con.execute(
        "SELECT e.fields->>'question', r.status FROM results r JOIN examples e USING (run_id, example_id)").fetchall())
    reasons = con.execute(
        "SELECT reason, count(*) FROM rewrites WHERE status = 'kept_original' GROUP BY 1 ORDER BY 2 DESC").fetchall()
    con.close()
    sent = {q for q, st in status.items() if st != "passthrough"}  # the default pipeline may pass rows through
    correct = [q for q, k in kinds.items() if k == "correct" and q in sent]
    falsely_rejected = [q for q in correct if status[q] != "rewritten"]
    fixed_on_retry = [q for q, k in kinds.items() if k != "correct" and bucket(q) % 2 and q in sent]
    recovered = [q for q in fixed_on_retry if status[q] == "rewritten"]
    bad = [q for q, k in kinds.items() if k != "correct" and not bucket(q) % 2 and q in sent]
    leaked = [q for q in bad if status[q] == "rewritten"]

    print(f"\nGSM8K rewrite loop ({pipeline} pipeline) on {len(rows)} rows: {summary['rewritten']} rewritten, "
          f"{summary['kept_original']} kept original, {summary['passthrough']} passed through")
    print(f"  scripted, of the rows sent: {len(correct)} correct, "
          f"{sum(k == 'wrong' and q in sent for q, k in kinds.items())} wrong or contradictory")
    print(f"  export final answers equal to gold: {len(exported) - len(wrong_answers)}/{len(exported)}")
    print(f"  false rejections: {len(falsely_rejected)}/{len(correct)} = {len(falsely_rejected) / len(correct):.2%}")
    print(f"  bad first answers corrected on the feedback retry and accepted: {len(recovered)}/{len(fixed_on_retry)}")
    print(f"  bad on both attempts but accepted: {len(leaked)}/{len(bad)}")
    for reason, n in reasons[:6]:
        print(f"  kept original x{n}: {reason[:150]}")

    assert not wrong_answers, [(e["instruction"][:60], e["output"][-80:]) for e in wrong_answers[:5]]
    assert not leaked
    assert len(falsely_rejected) / len(correct) < 0.01, falsely_rejected[:5]
    assert len(recovered) == len(fixed_on_retry)
