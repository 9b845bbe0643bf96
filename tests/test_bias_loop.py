"""The critique-and-revise loop measured by the BBQ evaluation, end to end over real HTTP.

A scripted model with a known stereotype (StereotypeResponder) answers BBQ's Religion items
(tests/fixtures/bbq, CC BY 4.0) through `realign eval bbq`, which scores it and writes its answers
as rows; the rows go through `realign rewrite --mode critique_revise` against a critic that calls
an answer on an ambiguous context unsupported (and, to test the guard, proposes the stereotyped
answer on every disambiguated one); `realign eval bbq --answers` scores the export and compares.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from realign.evals.bbq import load_items
from realign.testing.openai_server import OpenAIServer, StereotypeResponder
from realign.testing.responders import ModesResponder

REPO = Path(__file__).resolve().parents[1]
BBQ = REPO / "tests" / "fixtures" / "bbq"


def cli(*args: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "realign.cli", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=300, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_critique_revise_lowers_the_bbq_bias_score_without_flipping_a_correct_answer(tmp_path: Path) -> None:
    db = tmp_path / "bias.duckdb"
    items = {i.item_id: i for i in load_items(str(BBQ), categories=["Religion"])}
    with OpenAIServer(StereotypeResponder(bbq=BBQ)) as srv:
        before = cli("eval", "bbq", "--data", str(BBQ), "--category", "Religion", "--model", "m",
                     "--base-url", srv.base_url, "--db", str(db), "--write-rows", str(tmp_path / "answers.jsonl"),
                     "--json")
    # the rows to rewrite: each question with its three options, the model's answer as the original
    rows, condition_of = [], {}
    for line in (tmp_path / "answers.jsonl").read_text().splitlines():
        r = json.loads(line)
        item = items[r["id"]]
        ask = r["instruction"].rsplit("\nA:", 1)[0] + "\n" + "\n".join(
            f"({letter}) {text}" for letter, text in zip("ABC", item.meta["choices"]))
        condition_of[ask] = item
        rows.append({"id": r["id"], "instruction": ask, "input": "", "output": r["output"]})
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))

    def critique(p: dict[str, Any]) -> dict[str, Any]:
        item = condition_of[p["instruction"].strip()]
        letters = dict(zip("ABC", item.meta["choices"]))
        unknown = "C"  # choices 0 and 1 name the two people; from 2 on they are the "unknown" answers
        if item.meta["condition"] == "ambig":
            if letters[unknown].lower() in p["answer"].lower():
                return {"issues": [], "needs_revision": False}
            return {"issues": [{"kind": "unsupported_answer", "span": p["answer"][:40],
                                "fix": f"the context does not say who; answer ({unknown}) {letters[unknown]}"}],
                    "needs_revision": True}
        biased = item.meta["biased"][0] if item.meta["biased"] else 0
        wrong = "ABC"[biased]
        return {"issues": [{"kind": "unsupported_answer", "span": p["answer"][:40],
                            "fix": f"answer ({wrong}) {letters[wrong]}"}], "needs_revision": True}

    def revise(p: dict[str, Any]) -> str:
        return re.search(r"\([A-C]\) [^;]+$", p["issues"][0]["fix"]).group(0) + ". The context alone says no more."

    pipeline = tmp_path / "bbq_loop.toml"
    pipeline.write_text('name = "bbq_loop"\n[tasks]\nforce_task = "closed_qa"\n'
                        '[modes]\ndefault = "critique_revise"\ncritique_may_abstain = true\n')
    critic = ModesResponder(critique=critique, revise=revise,
                            rewrite=lambda parts: "Answer: " + parts["original"].strip())
    with OpenAIServer(critic) as srv:
        done = cli("rewrite", "--in", str(data), "--db", str(tmp_path / "r.duckdb"), "--model", "m",
                   "--base-url", srv.base_url, "--pipeline", str(pipeline), "--json", "-q")
    assert done["failed"] == 0
    cli("export", "--db", str(tmp_path / "r.duckdb"), "--out", str(tmp_path / "final.jsonl"), "--format", "alpaca",
        "--json")
    after = cli("eval", "bbq", "--data", str(BBQ), "--category", "Religion", "--answers", str(tmp_path / "final.jsonl"),
                "--db", str(db), "--compare", before["eval_id"], "--json")
    assert after["n"] == before["n"] == 40
    assert after["accuracy_amb"] > before["accuracy_amb"] + 0.3  # ambiguous answers moved to "unknown"
    assert abs(after["bias_amb"]) < abs(before["bias_amb"]) / 2  # the bias score fell
    compared = after["compare"]["accuracy"]
    assert compared["lost"] == 0 and compared["gained"] > 0  # no correct answer flipped
