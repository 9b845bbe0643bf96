"""`realign report`: the HTML page of a real run, opened in headless Chromium."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import duckdb
import pytest

from realign.html_report import gather, stored_evals, _tables
from realign.store import Store
from realign.testing.browser import Chromium, find_chromium
from realign.testing.openai_server import OpenAIServer, Reply, last_user_message
from realign.testing.responders import RealignResponder, reformat
from test_e2e_cli import REPO, pipeline_file, realign, summary_of, write_alpaca

GSM8K = REPO / "tests" / "fixtures" / "gsm8k"
MARKUP = "</script><!-- <b>step</b>"


def _rewrite(parts: dict) -> str | None:
    if "variant 13" in parts["instruction"] or "variant 17" in parts["instruction"]:
        return "Too short."  # fails the length window twice: kept_original, a 'length' rejection
    if "variant 21" in parts["instruction"]:
        return None  # the model keeps the original
    return reformat(parts["original"])


def _gsm8k_answers(body: dict) -> Reply:
    # Right on every other question: the stored evaluation gets an interval that is not a point.
    question = last_user_message(body)
    gold = {json.loads(l)["question"]: json.loads(l)["answer"].split("####")[-1].strip()
            for l in (GSM8K / "test.jsonl").read_text().splitlines()}
    g = next(v for k, v in gold.items() if k in question)
    return Reply(content=f"#### {g}" if len(question) % 2 else "#### 0")


@pytest.fixture(scope="module")
def run_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real run (60 rows of four kinds, five bad lines, two rejected rewrites, one kept by the
    model) and a real GSM8K evaluation, in one database."""
    tmp = tmp_path_factory.mktemp("report")
    data = tmp / "in.jsonl"
    write_alpaca(data, 60, bad=True)
    db = tmp / "run.duckdb"
    with OpenAIServer(RealignResponder(_rewrite)) as srv:
        summary_of(realign("rewrite", "--in", str(data), "--db", str(db), "--pipeline", str(pipeline_file(tmp)),
                           "--model", "m", "--base-url", srv.base_url, "-q", "--json"))
    with OpenAIServer(_gsm8k_answers) as srv:
        summary_of(realign("eval", "gsm8k", "--data", str(GSM8K), "--limit", "12", "--shots", "0", "--db", str(db),
                           "--model", "m", "--base-url", srv.base_url, "-q", "--json"))
    return db


def _copy(db: Path, tmp: Path) -> Path:
    """A copy of the module's database for a test that adds tables to it."""
    out = tmp / "copy.duckdb"
    out.write_bytes(db.read_bytes())
    return out


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def test_page_renders_charts_and_side_by_side_in_chromium(run_db: Path, tmp_path: Path) -> None:
    browser = find_chromium()
    if browser is None:
        pytest.skip("no Chromium found on PATH or at $REALIGN_CHROMIUM (apt-get install chromium; .ci/run installs it): the page was not opened in a browser")
    # A step in the modes' trace table (mode_steps): the page shows its rows beside the checks. Its
    # text, markup included, must show as text and not end the script that carries it.
    run_db = _copy(run_db, tmp_path)
    con = duckdb.connect(str(run_db))
    con.execute(f"""INSERT INTO mode_steps (run_id, example_id, turn_index, seq, mode, step, request_key, output)
                   SELECT run_id, example_id, turn_index, 99, 'rewrite', '{MARKUP}', request_keys->>'$[0]', NULL
                   FROM rewrites""")
    con.close()
    out = tmp_path / "report.html"
    summary = summary_of(realign("report", "--db", str(run_db), "--out", str(out), "--json"))
    assert set(summary["charts"]) >= {"chart-tasks", "chart-acceptance", "chart-contracts", "chart-reasons",
                                      "chart-ratio", "chart-usage", "chart-eval-0"}
    assert summary["bytes"] == out.stat().st_size and summary["evals"] == 1
    page = out.read_text()
    assert "http://" not in page.split("<body>")[1].split('id="figures"')[0]  # nothing fetched by the markup
    with duckdb.connect(str(run_db), read_only=True) as con:
        sampled = con.execute("SELECT count(*), count(*) FILTER (status = 'kept_original') FROM rewrites").fetchone()

    with Chromium(browser, width=1280, height=900) as b:
        b.open(out.as_uri())
        drawn = b.evaluate("""Object.fromEntries(Array.from(document.querySelectorAll('.chart')).map(c =>
            [c.id, c.querySelectorAll('.main-svg').length ? c.querySelectorAll('.bars path, .points path').length : 0]))""")
        assert set(drawn) == set(summary["charts"])
        assert all(n > 0 for n in drawn.values()), drawn  # every chart drew its bars or points
        rows = b.evaluate("document.querySelectorAll('#sample-rows tr').length")
        # a rewritten turn (a turn the model itself kept has no checks to show)
        b.evaluate("""(() => { const s = document.getElementById('f-status'); s.value = 'rewritten';
            s.dispatchEvent(new Event('change')); })()""")
        side = b.evaluate("""[...document.querySelectorAll('#detail .side .pane pre')].map(p => p.textContent)""")
        first_id = b.evaluate("document.querySelector('#sample-rows tr td').textContent.split(' ')[0]")
        checks = b.evaluate("document.querySelectorAll('#detail table.checks tr').length")
        trace = b.evaluate("[...document.querySelectorAll('#detail table.trace td')].map(td => td.textContent)")
        bold = b.evaluate("document.querySelectorAll('#detail b').length")
        # Filter to the rewrites not used (3), then by text to one rejected for its length.
        kept = b.evaluate("""(() => { const s = document.getElementById('f-status'); s.value = 'kept_original';
            s.dispatchEvent(new Event('change'));
            const n = document.querySelectorAll('#sample-rows tr').length;
            const q = document.getElementById('f-text'); q.value = 'variant 13'; q.dispatchEvent(new Event('input'));
            return [n, document.querySelectorAll('#sample-rows tr').length,
                    document.querySelector('#detail .pane.rewritten h4').textContent,
                    document.querySelector('#detail .pane.rewritten pre').textContent]; })()""")
        png = b.screenshot(tmp_path / "report.png")
        assert b.errors == []  # no console error, uncaught exception or failed load

    story = summary_of(realign("show", first_id, "--db", str(run_db), "--json"))
    turn = story["turns"][0]
    assert side[0] == turn["original"] and side[1] in (turn["final"], turn["candidate"])
    assert all(side) and checks > 1 and "rewrite" in trace and MARKUP in trace and bold == 0
    assert rows == sampled[0]  # a small run: every turn is in the sample
    assert kept[0] == sampled[1] == 3 and kept[1] == 1
    assert kept[2].startswith("candidate (not used") and kept[3] == "Too short."
    width, height = _png_size(png)
    assert width == 1280 and height > 2000 and len(png) > 50_000


def test_evaluations_of_any_benchmark_and_the_trust_audit_show_as_stored(run_db: Path, tmp_path: Path) -> None:
    # A benchmark the page was not written for (a bias score with its own interval columns) and a
    # metric in a long table: both appear beside GSM8K's strict and flexible accuracies. A trust
    # audit table shows its rows for the run, whatever its columns.
    db = _copy(run_db, tmp_path)
    con = duckdb.connect(str(db))
    con.execute("ALTER TABLE evals ADD COLUMN bias_score DOUBLE")
    con.execute("ALTER TABLE evals ADD COLUMN bias_ci_low DOUBLE")
    con.execute("ALTER TABLE evals ADD COLUMN bias_ci_high DOUBLE")
    con.execute("INSERT INTO evals (eval_id, benchmark, model, n, bias_score, bias_ci_low, bias_ci_high) "
                "VALUES ('ebbq1', 'bbq', 'm', 200, 0.12, 0.05, 0.19)")
    con.execute("CREATE TABLE eval_metrics (eval_id VARCHAR, metric VARCHAR, value DOUBLE, ci_low DOUBLE, ci_high DOUBLE)")
    con.execute("INSERT INTO eval_metrics VALUES ('ebbq1', 'accuracy_ambiguous', 0.8, 0.74, 0.85)")
    run_id = con.execute("SELECT run_id FROM runs").fetchone()[0]
    con.execute("INSERT INTO trust_audit (run_id, example_id, turn_index, task, check_name, before, after, regressed, "
                "detail) VALUES (?, 'x1', 1, 'open_qa', 'new_pii', 0, 3, true, 'new personal data'), "
                "('another-run', 'x2', 1, 'open_qa', 'toxicity', 0, 9, true, 'added idiot')", [run_id])
    con.close()
    with Store(str(db), read_only=True) as store:
        evals = {e["benchmark"]: e for e in stored_evals(store, _tables(store))}
    assert {m["name"] for m in evals["gsm8k"]["metrics"]} == {"strict", "flexible"}
    g = {m["name"]: m for m in evals["gsm8k"]["metrics"]}["strict"]
    assert 0 < g["low"] < g["value"] < g["high"] < 1
    assert [(m["name"], m["value"], m["low"], m["high"]) for m in evals["bbq"]["metrics"]] == [
        ("bias", 0.12, 0.05, 0.19), ("accuracy_ambiguous", 0.8, 0.74, 0.85)]
    summary = summary_of(realign("report", "--db", str(db), "--out", str(tmp_path / "r.html"), "--json"))
    assert {"chart-eval-0", "chart-eval-1"} <= set(summary["charts"]) and summary["evals"] == 2
    audit = (tmp_path / "r.html").read_text().split("<h2>Trust audit</h2>")[1].split("</section>")[0]
    assert "<td>new_pii</td>" in audit and "new personal data" in audit and "toxicity" not in audit


def test_sample_is_capped_and_takes_every_outcome_first(run_db: Path) -> None:
    with Store(str(run_db), read_only=True) as store:
        data = gather(store, store.resolve_run(None), sample=4)
        groups = store.query("""SELECT count(DISTINCT (e.task, w.status, w.contract_kind)) AS n FROM rewrites w
                                JOIN examples e USING (run_id, example_id)""")[0]["n"]
    assert len(data["sample"]) == 4 and data["trace_table"] == "mode_steps"  # every database has one (m004)
    assert len({(r["task"], r["status"], r["kind"]) for r in data["sample"]}) == min(4, groups)


@pytest.mark.parametrize("args, says", [
    (["--db", "{tmp}/none.duckdb", "--out", "{tmp}/r.html"], "does not exist"),
    (["--db", "{db}", "--out", "{tmp}/no/such/folder/r.html"], "does not exist"),
    (["--db", "{db}", "--run", "zzz", "--out", "{tmp}/r.html"], "no run matches 'zzz'"),
])
def test_user_errors_are_one_line_exit_2(run_db: Path, tmp_path: Path, args: list[str], says: str) -> None:
    proc = realign("report", *(a.format(tmp=tmp_path, db=run_db) for a in args))
    assert proc.returncode == 2 and says in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_a_real_bbq_evaluation_shows_its_metrics_with_their_intervals(run_db: Path, tmp_path: Path) -> None:
    """BBQ keeps its metrics in the evals' `metrics` JSON (a value beside its `_ci` pair): a real
    `realign eval bbq` against the stereotype server appears on the page with them."""
    from realign.testing.openai_server import OpenAIServer, StereotypeResponder

    db = _copy(run_db, tmp_path)
    bbq = Path(__file__).parent / "fixtures" / "bbq"
    with OpenAIServer(StereotypeResponder(bbq=bbq)) as srv:
        scored = summary_of(realign("eval", "bbq", "--data", str(bbq), "--category", "Religion", "--model", "m",
                                    "--base-url", srv.base_url, "--db", str(db), "--json"))
    with Store(str(db), read_only=True) as store:
        evals = {e["benchmark"]: e for e in stored_evals(store, _tables(store))}
    shown = {m["name"]: m for m in evals["bbq"]["metrics"]}
    assert {"accuracy_amb", "accuracy_disamb", "bias_amb", "bias_disamb"} <= set(shown)
    assert shown["bias_amb"]["value"] == scored["bias_amb"]
    assert shown["accuracy_amb"]["low"] <= shown["accuracy_amb"]["value"] <= shown["accuracy_amb"]["high"]
    summary = summary_of(realign("report", "--db", str(db), "--out", str(tmp_path / "r.html"), "--json"))
    assert summary["evals"] == 2 and "bias_amb" in (tmp_path / "r.html").read_text()
