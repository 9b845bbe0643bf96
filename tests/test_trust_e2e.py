"""The trust audit end to end: a run against the test server (real HTTP, real DuckDB) in which
the server plants personal data, toxic sentences and flipped moral judgements in 5% of the
rewrites; `realign audit` must find every planted case and nothing else, and its gates must fail."""

from __future__ import annotations

import json
from pathlib import Path

from realign.testing.openai_server import OpenAIServer
from realign.testing.responders import INJECTED_CHECK, Injector, RealignResponder
from test_e2e_cli import REPO, realign, summary_of

ETHICS = REPO / "tests" / "fixtures" / "trust" / "ethics_cm_slice.jsonl"


def write_corpus(path: Path) -> dict[str, str]:
    """ETHICS scenarios with a stated judgement, and plain rows of other tasks; returns id -> original."""
    rows, originals = [], {}
    for i, line in enumerate(ETHICS.read_text().splitlines()):
        item = json.loads(line)
        verdict = "wrong" if item["label"] == 1 else "not wrong"
        rows.append({"id": f"eth{i}", "instruction": f"Judge the morality of this action: {item['input']}",
                     "input": "", "output": f"This action is {verdict}. In \"{item['input']}\" most people would "
                                            "judge it that way once they consider how it affects others."})
    for i in range(200):
        if i % 2:
            rows.append({"id": f"sky{i}", "instruction": f"Explain why the sky looks blue, briefly (variant {i}).",
                         "input": "", "output": "Sunlight scatters off air molecules, and short blue wavelengths "
                                               f"scatter the most, so blue light reaches our eyes from all over the sky (note {i})."})
        else:
            rows.append({"id": f"tip{i}", "instruction": f"Give me one tip for keeping houseplants healthy (list {i}).",
                         "input": "", "output": "Water the plant only when the top few centimetres of soil are dry, "
                                               f"and make sure the pot drains so the roots never sit in water (tip {i})."})
    for r in rows:
        originals[r["id"]] = r["output"]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return originals


def test_audit_finds_every_planted_case_and_its_gates_fail(tmp_path: Path) -> None:
    data, db = tmp_path / "in.jsonl", tmp_path / "run.duckdb"
    originals = write_corpus(data)
    injector = Injector(fraction=0.05)
    with OpenAIServer(RealignResponder(rewrite=injector)) as srv:
        summary_of(realign("rewrite", "--in", str(data), "--db", str(db), "--model", "m", "--base-url", srv.base_url,
                           "--classifier", "embedded", "-q", "--json"))
    by_original = {text: rid for rid, text in originals.items()}
    planted = {(by_original[o], INJECTED_CHECK[kind]) for o, (kind, _) in injector.injected.items()}
    kinds = {c for _, c in planted}
    assert kinds == {"new_pii", "toxicity", "ethics_flip"}, injector.injected  # each kind is planted at least once
    assert 0.02 * len(originals) <= len(planted) <= 0.09 * len(originals)

    proc = realign("audit", "--db", str(db), "--json")
    audit = summary_of(proc)
    assert audit["turns"] >= len(planted) and audit["gates"] == [] and audit["passed"]
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    found = set(con.execute("SELECT example_id, check_name FROM trust_audit WHERE regressed").fetchall())
    rewritten = {r[0] for r in con.execute("SELECT example_id FROM rewrites WHERE status = 'rewritten'").fetchall()}
    con.close()
    reached = {p for p in planted if p[0] in rewritten}  # a planted case the verifier let through
    assert reached == planted  # none of the plants is something the answer checks reject
    assert found == reached  # recall 1 and precision 1 on the planted cases
    for check in kinds:
        n = sum(1 for _, c in reached if c == check)
        assert audit["overall"][check]["regressed"] == n

    gated = realign("audit", "--db", str(db), "--gate", "new_pii=0", "--gate", "toxicity_increase=0",
                    "--gate", "ethics_flip=0", "--gate", "canary_leak=0")
    assert gated.returncode == 1
    for rid, check in reached:
        assert rid in gated.stderr
    assert "gate new_pii failed" in gated.stderr and "gate canary_leak" not in gated.stderr

    stats = realign("stats", "--db", str(db))
    assert stats.returncode == 0 and "trust audit" in stats.stdout and "ethics_flip 0->" in stats.stdout


def test_gates_in_the_pipeline_fail_the_rewrite_itself_naming_rows(tmp_path: Path) -> None:
    data, db = tmp_path / "in.jsonl", tmp_path / "run.duckdb"
    data.write_text(json.dumps({"id": "a", "instruction": "Explain why the sky looks blue, briefly.", "input": "",
                                "output": "Sunlight scatters off air molecules, and short blue wavelengths scatter "
                                          "the most, so blue light reaches our eyes from all over the sky."}) + "\n")
    pipe = tmp_path / "gated.toml"
    pipe.write_text('name = "gated"\n[classify]\nkind = "embedded"\n[audit]\ngates = {new_pii = 0, toxicity_increase = 0}\n')
    rude = RealignResponder(rewrite=lambda p: p["original"] + " Mail me at boss@example.com, idiots.")
    with OpenAIServer(rude) as srv:
        proc = realign("rewrite", "--in", str(data), "--db", str(db), "--pipeline", str(pipe), "--model", "m",
                       "--base-url", srv.base_url, "-q")
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "gate new_pii failed" in proc.stderr and "a turn 1" in proc.stderr and "boss@example.com" in proc.stderr
    assert "gate toxicity_increase failed" in proc.stderr
    # audited again, the run keeps its own gates; flags can loosen them
    assert realign("audit", "--db", str(db)).returncode == 1
    assert realign("audit", "--db", str(db), "--gate", "new_pii=1", "--gate", "toxicity_increase=1").returncode == 0


def test_bad_gate_flag_is_one_line_naming_the_known_gates(tmp_path: Path) -> None:
    data, db = tmp_path / "in.jsonl", tmp_path / "run.duckdb"
    data.write_text(json.dumps({"instruction": "Say hi.", "input": "", "output": "Hi there, friend."}) + "\n")
    with OpenAIServer(RealignResponder()) as srv:
        summary_of(realign("rewrite", "--in", str(data), "--db", str(db), "--model", "m", "--base-url", srv.base_url,
                           "--classifier", "embedded", "-q", "--json"))
    proc = realign("audit", "--db", str(db), "--gate", "no_pii=0")
    assert proc.returncode == 2 and "unknown gate 'no_pii'" in proc.stderr and "new_pii" in proc.stderr
    assert "Traceback" not in proc.stderr
    missing = realign("audit", "--db", str(tmp_path / "none.duckdb"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_a_canary_planted_in_evidence_that_reaches_a_rewrite_fails_its_gate(tmp_path: Path) -> None:
    import re

    from realign.testing.openai_server import Reply
    from realign.testing.responders import request_parts

    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps({"id": "canberra", "title": "Canberra", "text": "Canberra is the capital city of "
                                  "Australia. REALIGN-CANARY-5c81e0 It was built from 1913."}) + "\n")
    index = tmp_path / "index"
    assert realign("index", "build", "--corpus", str(corpus), "--index", str(index)).returncode == 0
    data, db = tmp_path / "in.jsonl", tmp_path / "run.duckdb"
    data.write_text(json.dumps({"id": "q1", "instruction": "What is the capital of Australia?", "input": "",
                                "output": "The capital of Australia is Canberra."}) + "\n")

    def leaky(body: dict) -> Reply:  # copies the evidence's marker into its rewrite
        parts = request_parts(body)
        prompt = "\n".join(str(m.get("content", "")) for m in body["messages"])
        marker = re.search(r"REALIGN-CANARY-\w+", prompt)
        text = parts["original"] + (f" (source {marker.group(0)})" if marker else "")
        return Reply(content=json.dumps({"rewritten": text, "keep_original": False}))

    with OpenAIServer(leaky) as srv:
        summary_of(realign("rewrite", "--in", str(data), "--db", str(db), "--model", "m", "--base-url", srv.base_url,
                           "--retrieval", "local", "--index", str(index), "--classifier", "embedded", "-q", "--json"))
    proc = realign("audit", "--db", str(db), "--gate", "canary_leak=0", "--json")
    assert proc.returncode == 1
    gate = next(g for g in json.loads(proc.stdout)["gates"] if g["gate"] == "canary_leak")
    assert gate["count"] == 1 and gate["rows"][0]["example_id"] == "q1"
    assert "REALIGN-CANARY-5c81e0" in gate["rows"][0]["detail"]
