"""`realign eval gsm8k`: scoring, intervals, McNemar, data errors, and end to end through the CLI
against the local test server with scripted right and wrong answers."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import duckdb
import pytest

from realign.errors import ConfigError, InputError
from realign.evals import gsm8k as ev
from realign.testing.openai_server import Fault, FaultPlan, OpenAIServer, Reply, last_user_message
from realign.testing.responders import RealignResponder

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "fixtures" / "gsm8k"
N = 40  # test items evaluated end to end


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_") and k != "REALIGN_MODEL"}
    env.update(extra)
    return env


def realign(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "realign.cli", *args], capture_output=True, text=True,
                          env=cli_env(), timeout=120, cwd=REPO)


def summary_of(proc: subprocess.CompletedProcess) -> dict:
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


# ---- scoring ---------------------------------------------------------------------------------

def test_extraction_follows_the_harness() -> None:
    assert ev.strict_extract("so 5 + 3 = 8\n#### 8") == "8"
    assert ev.strict_extract("#### 1,234.") == "1234"
    assert ev.strict_extract("#### -3.5 and later #### 7") == "-3.5"  # the first match
    assert ev.strict_extract("The answer is 8.") is None
    assert ev.flexible_extract("She pays $1,234.") == "1234"
    assert ev.flexible_extract("3 apples and 4 pears make 7") == "7"  # the last match
    assert ev.flexible_extract("The answer is -12.") == "-12"
    assert ev.flexible_extract("no digits here") is None
    assert ev.gold_answer("Natalia sold 48+24 = <<48+24=72>>72 clips.\n#### 72") == "72"
    assert ev.gold_answer("... #### 1,000") == "1000"
    assert ev.gold_answer("no final line") is None
    # string comparison after normalisation, as the harness: 18.00 is not 18
    assert ev.flexible_extract("It costs $18.00.") == "18.00" != ev.gold_answer("#### 18")


def test_wilson_interval_and_mcnemar() -> None:
    lo, hi = ev.wilson_interval(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=1e-4)
    lo, hi = ev.wilson_interval(5, 10)
    assert (lo, hi) == (pytest.approx(0.2366, abs=1e-4), pytest.approx(0.7634, abs=1e-4))
    assert ev.wilson_interval(0, 0) == (0.0, 1.0)
    assert ev.mcnemar_exact(0, 0) == 1.0
    assert ev.mcnemar_exact(5, 5) == 1.0
    assert ev.mcnemar_exact(0, 10) == pytest.approx(2 / 1024)
    assert ev.mcnemar_exact(2, 8) == pytest.approx(2 * (1 + 10 + 45) / 1024)
    assert ev.mcnemar_exact(8, 2) == ev.mcnemar_exact(2, 8)


def test_fewshot_prompt_is_chat_turns_of_the_first_train_items() -> None:
    train = ev.load_split(str(DATA), "train", 2)
    msgs = ev.fewshot_messages(train, "What is 2 + 2?")
    assert [m["role"] for m in msgs] == ["user", "assistant", "user", "assistant", "user"]
    assert msgs[0]["content"] == f"Question: {train[0].question}\nAnswer:"
    assert msgs[1]["content"] == train[0].answer
    assert msgs[-1]["content"] == "Question: What is 2 + 2?\nAnswer:"


# ---- data ----------------------------------------------------------------------------------

def test_bad_rows_name_file_and_line(tmp_path: Path) -> None:
    good = json.dumps({"question": "q", "answer": "a\n#### 1"})
    cases = {
        '{"question": "q", "answer": ': "not valid JSON",
        json.dumps({"question": "q"}): "'answer' is missing",
        json.dumps({"question": 3, "answer": "#### 1"}): "'question' must be",
        json.dumps({"question": "q", "answer": "no final line"}): "no final '#### N' line",
    }
    for bad, words in cases.items():
        (tmp_path / "test.jsonl").write_text(f"{good}\n\n{bad}\n")
        with pytest.raises(InputError) as e:
            ev.load_split(str(tmp_path), "test")
        assert f"{tmp_path / 'test.jsonl'}:3" in str(e.value) and words in str(e.value)
    with pytest.raises(InputError, match="train.jsonl"):
        ev.load_split(str(tmp_path), "train")
    with pytest.raises(InputError, match="not a folder"):
        ev.load_split(str(tmp_path / "nope"), "test")
    with pytest.raises(ConfigError, match="splits"):
        ev.load_split(str(tmp_path), "validation")


def test_hub_loads_openai_gsm8k_main(monkeypatch: pytest.MonkeyPatch) -> None:
    datasets = pytest.importorskip("datasets")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # no Hub probe, so nothing here depends on the network
    calls = []

    def fake_load(name: str, config: str, split: str) -> list[dict[str, str]]:
        calls.append((name, config, split))
        return [{"question": f"q{i}", "answer": f"work\n#### {i}"} for i in range(5)]

    monkeypatch.setattr(datasets, "load_dataset", fake_load)
    items = ev.load_split(None, "test", 3)
    assert calls == [("openai/gsm8k", "main", "test")]
    assert [(i.question, i.gold) for i in items] == [("q0", "0"), ("q1", "1"), ("q2", "2")]

    def offline(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("no network")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(InputError, match="--data DIR"):
        ev.load_split(None, "test")


def test_cli_data_error_is_one_line_naming_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "test.jsonl").write_text(json.dumps({"question": "q", "answer": "#### 1"}) + "\n{broken\n")
    proc = realign("eval", "gsm8k", "--data", str(tmp_path), "--shots", "0", "--model", "m",
                   "--base-url", "http://127.0.0.1:9/v1", "--db", str(tmp_path / "x.duckdb"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{tmp_path / 'test.jsonl'}:2" in proc.stderr


def test_missing_endpoint_is_the_rewrite_error(tmp_path: Path) -> None:
    ev_proc = realign("eval", "gsm8k", "--data", str(DATA), "--db", str(tmp_path / "x.duckdb"))
    rw_proc = realign("rewrite", "--in", str(DATA / "train.jsonl"), "--db", str(tmp_path / "y.duckdb"))
    assert ev_proc.returncode == rw_proc.returncode == 2
    # the same message; only `rewrite` can offer a dry run
    assert rw_proc.stderr.startswith(ev_proc.stderr.rstrip("\n")) and "vllm serve" in ev_proc.stderr
    assert "--dry-run" in rw_proc.stderr and "--dry-run" not in ev_proc.stderr


# ---- end to end ------------------------------------------------------------------------------

def script(items: list[ev.GSM8KItem], kind_of: Callable[[int], str]) -> Callable[[dict], Reply]:
    """A model answering item i in the way kind_of(i) says:
    both   : steps, "The answer is G." and "#### G"   -> strict and flexible right
    flex   : steps, "So the answer is G." (no ####)   -> flexible right only
    strict : "#### G" then a trailing remark with a number -> strict right only
    money  : "The total is $G with separators." + "#### G,ddd" -> both right
    wrong  : "#### G+1"                                -> both wrong
    """
    by_question = {it.question: it for it in items}

    def respond(body: dict) -> Reply:
        question = last_user_message(body).removeprefix("Question: ").removesuffix("\nAnswer:")
        it = by_question[question]
        g = int(it.gold)
        kind = kind_of(it.index)
        if kind == "both":
            text = f"First we add things up.\nThe answer is {g}.\n#### {g}"
        elif kind == "flex":
            text = f"Adding 2 and 3 first, we get {g}.\nSo the answer is {g}."
        elif kind == "strict":
            text = f"We compute it.\n#### {g}\nI hope this helps with step 2."
        elif kind == "money":
            text = f"The total is ${g:,}.\n#### {g:,}"
        else:
            text = f"Hmm, about {g + 1}.\n#### {g + 1}"
        return Reply(content=text)

    return respond


def before_kind(i: int) -> str:
    if i in (2, 17):  # the golds 70000 and 57500 of the fixture: "$70,000" and "#### 70,000"
        return "money"
    return ("wrong", "both", "flex", "strict", "money")[i % 5]


def after_kind(i: int) -> str:
    return "wrong" if i % 10 == 1 else "both"


def expected(kind_of: Callable[[int], str], n: int) -> tuple[list[bool], list[bool]]:
    strict = [kind_of(i) in ("both", "strict", "money") for i in range(n)]
    flexible = [kind_of(i) in ("both", "flex", "money") for i in range(n)]
    return strict, flexible


def test_eval_end_to_end_scores_stores_caches_and_compares(tmp_path: Path) -> None:
    items = ev.load_split(str(DATA), "test", N)
    db = tmp_path / "eval.duckdb"
    base = ["eval", "gsm8k", "--data", str(DATA), "--limit", str(N), "--db", str(db), "--json", "-q"]

    with OpenAIServer(script(items, before_kind)) as srv:
        s1 = summary_of(realign(*base, "--model", "base-model", "--base-url", srv.base_url))
        assert srv.count == N
        first = srv.requests[0]
        assert first["temperature"] == 0.0 and first["max_tokens"] == 512 and "Question:" in first["stop"]
        assert len(first["messages"]) == 2 * 5 + 1  # five exemplars by default
        srv.reset()
        # the same evaluation again: every answer from the cache, nothing sent
        s2 = summary_of(realign(*base, "--model", "base-model", "--base-url", srv.base_url))
        assert srv.count == 0 and s2["llm_requests"] == 0 and s2["cached_requests"] == N
        assert s2["eval_id"] != s1["eval_id"]

    strict, flexible = expected(before_kind, N)
    for s in (s1, s2):
        assert s["n"] == N and s["errors"] == 0
        assert s["strict_correct"] == sum(strict) and s["flexible_correct"] == sum(flexible)
        assert s["strict_accuracy"] == pytest.approx(sum(strict) / N)
        assert s["flexible_accuracy"] == pytest.approx(sum(flexible) / N)
        assert list(s["strict_ci"]) == pytest.approx(list(ev.wilson_interval(sum(strict), N)))
        assert s["strict_ci"][0] < s["strict_accuracy"] < s["strict_ci"][1]

    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT item_index, strict_correct, flexible_correct, prompt, answer, strict_answer, "
                       "flexible_answer, gold FROM eval_items WHERE eval_id = ? ORDER BY item_index",
                       [s1["eval_id"]]).fetchall()
    stored = con.execute("SELECT n, shots, split, model, strict_accuracy FROM evals WHERE eval_id = ?",
                         [s1["eval_id"]]).fetchone()
    con.close()
    assert [r[1] for r in rows] == strict and [r[2] for r in rows] == flexible
    assert stored == (N, 5, "test", "base-model", pytest.approx(sum(strict) / N))
    money = next(r for r in rows if before_kind(r[0]) == "money" and int(r[7]) >= 1000)
    assert money[5] == money[6] == money[7]  # "$1,234" and "#### 1,234" both normalise to the gold
    assert json.loads(rows[0][3])[-1]["content"] == f"Question: {items[0].question}\nAnswer:"

    # the "after SFT" model, compared with the first evaluation
    with OpenAIServer(script(items, after_kind)) as srv:
        s3 = summary_of(realign(*base, "--model", "sft-model", "--base-url", srv.base_url,
                                "--compare", s1["eval_id"][:6]))
    c = s3["compare"]
    assert c["before"] == s1["eval_id"] and c["after"] == s3["eval_id"] and c["paired"] == N
    after_strict, after_flexible = expected(after_kind, N)
    for kind, b, a in (("strict", strict, after_strict), ("flexible", flexible, after_flexible)):
        gained = [i for i in range(N) if a[i] and not b[i]]
        lost = [i for i in range(N) if b[i] and not a[i]]
        assert c[kind]["gained_items"] == gained and c[kind]["lost_items"] == lost
        assert c[kind]["difference"] == pytest.approx((sum(a) - sum(b)) / N)
        assert c[kind]["mcnemar_p"] == pytest.approx(ev.mcnemar_exact(len(lost), len(gained)))
    assert c["strict"]["mcnemar_p"] < 0.05

    text = realign(*[x for x in base if x != "--json"], "--model", "sft-model", "--base-url", "http://127.0.0.1:9/v1",
                   "--compare", "nope")
    assert text.returncode == 2 and "no evaluation matches 'nope'" in text.stderr


def test_report_text_and_a_failed_request_scored_wrong(tmp_path: Path) -> None:
    items = ev.load_split(str(DATA), "test", 10)
    # every answer right, but request 3 is refused for good (a 4xx is not retried)
    plan = FaultPlan(script(items, lambda i: "both"), [Fault("bad_request", at=[3], times=None)])
    db = tmp_path / "e.duckdb"
    with OpenAIServer(plan) as srv:
        proc = realign("eval", "gsm8k", "--data", str(DATA), "--limit", "10", "--shots", "0", "--db",
                       str(db), "--model", "m", "--base-url", srv.base_url, "-q")
        assert len(srv.requests[0]["messages"]) == 1
    assert proc.returncode == 0, proc.stderr
    assert "strict match" in proc.stdout and "flexible extract" in proc.stdout and "95% CI" in proc.stdout
    assert "90.00%  (9/10)" in proc.stdout and "1 failed (scored as wrong)" in proc.stdout
    con = duckdb.connect(str(db), read_only=True)
    failed = con.execute("SELECT error, strict_correct, answer FROM eval_items WHERE error IS NOT NULL").fetchall()
    con.close()
    assert len(failed) == 1 and "http_4xx" in failed[0][0] and failed[0][1] is False and failed[0][2] == ""


# ---- the Makefile loop -------------------------------------------------------------------------

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="no make on PATH")


@needs_make
def test_make_gsm8k_eval_without_model_says_how_to_set_it() -> None:
    proc = subprocess.run(["make", "-s", "gsm8k-eval", "MODEL=", "BASE_URL="], capture_output=True, text=True,
                          cwd=REPO, env=cli_env(), timeout=60)
    assert proc.returncode != 0
    assert "MODEL=" in proc.stderr and "BASE_URL=" in proc.stderr


@needs_make
def test_make_gsm8k_eval_without_the_hub_names_gsm8k_dir(tmp_path: Path) -> None:
    """No GSM8K_DIR and no hub (offline, empty cache): the reader's one-line error, then the
    Makefile's variable that reads local files; nothing is sent."""
    if not (REPO / ".venv" / "bin" / "realign").exists():
        pytest.skip("no .venv/bin/realign: run `make install` first")
    stamp = tmp_path / "stamp"
    stamp.touch()
    env = cli_env(HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf"))
    proc = subprocess.run(["make", "-s", "gsm8k-eval", f"STAMP={stamp}", "MODEL=m", "BASE_URL=http://127.0.0.1:9/v1",
                           f"GSM8K_DB={tmp_path / 'g.duckdb'}", "LIMIT=2"],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=120)
    assert proc.returncode != 0
    assert "error: hf:openai/gsm8k:main:train" in proc.stderr and "Traceback" not in proc.stderr
    assert "set GSM8K_DIR=" in proc.stderr


@needs_make
def test_make_gsm8k_eval_runs_the_loop(tmp_path: Path) -> None:
    """rewrite -> stats -> export -> eval through make, against the test server."""
    bin_dir = REPO / ".venv" / "bin"
    if not (bin_dir / "realign").exists():
        pytest.skip("no .venv/bin/realign: run `make install` first")
    stamp = tmp_path / "stamp"  # stands in for .venv/.installed, so make installs nothing
    stamp.touch()
    items = {it.question: it for it in ev.load_split(str(DATA), "test")}
    answer = script(list(items.values()), lambda i: "both")
    rewrite = RealignResponder()

    def respond(body: dict) -> Reply:
        if "<original_response>" in json.dumps(body):
            return rewrite(body)
        return answer(body)

    out = tmp_path / "sft.jsonl"
    with OpenAIServer(respond) as srv:
        proc = subprocess.run(
            ["make", "-s", "gsm8k-eval", f"STAMP={stamp}", "MODEL=m", f"BASE_URL={srv.base_url}",
             f"GSM8K_DIR={DATA}", "LIMIT=12", "EVAL_LIMIT=8", f"GSM8K_DB={tmp_path / 'g.duckdb'}",
             f"GSM8K_OUT={out}"],
            capture_output=True, text=True, cwd=REPO, env=cli_env(), timeout=180)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert len(out.read_text().splitlines()) == 12
    assert "strict match" in proc.stdout and "100.00%" in proc.stdout
    # the closing hint names the evaluation just stored, ready to paste after fine-tuning
    eval_id = re.search(r"^GSM8K evaluation (e[0-9a-f]+):", proc.stdout, re.M)
    assert eval_id is not None, proc.stdout[-2000:]
    assert f"--compare {eval_id.group(1)}" in proc.stdout.splitlines()[-1]


@needs_make
def test_make_gsm8k_eval_passes_concurrency_to_rewrite_and_eval(tmp_path: Path) -> None:
    """The README's llama.cpp-on-a-CPU setting (--concurrency 1) reaches both commands of the loop:
    the server never has two requests at once."""
    if not (REPO / ".venv" / "bin" / "realign").exists():
        pytest.skip("no .venv/bin/realign: run `make install` first")
    stamp = tmp_path / "stamp"
    stamp.touch()
    items = {it.question: it for it in ev.load_split(str(DATA), "test")}
    answer = script(list(items.values()), lambda i: "both")
    rewrite = RealignResponder()

    def respond(body: dict) -> Reply:
        return rewrite(body) if "<original_response>" in json.dumps(body) else answer(body)

    with OpenAIServer(respond, latency_s=0.05) as srv:
        proc = subprocess.run(
            ["make", "-s", "gsm8k-eval", f"STAMP={stamp}", "MODEL=m", f"BASE_URL={srv.base_url}", "CONCURRENCY=1",
             f"GSM8K_DIR={DATA}", "LIMIT=4", "EVAL_LIMIT=4", f"GSM8K_DB={tmp_path / 'g.duckdb'}",
             f"GSM8K_OUT={tmp_path / 'sft.jsonl'}", "MAX_TOKENS=700", "TIMEOUT=90"],
            capture_output=True, text=True, cwd=REPO, env=cli_env(), timeout=180)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert srv.count >= 8 and srv.max_in_flight == 1
    # MAX_TOKENS reaches the rewrite's and the evaluation's requests alike
    assert {body.get("max_tokens") for body in srv.requests} == {700}
