"""Human-readable figures: slow runs (a CPU model) read in seconds per row, not '0.0 rows/s'."""

from __future__ import annotations

from realign.progress import describe
from realign.report import _rate


def test_a_slow_run_reads_in_seconds_per_row() -> None:
    assert _rate(0.02) == "50.0 s/row"
    assert _rate(12.34) == "12.3 rows/s"
    assert _rate(0.0) == "0.0 rows/s"  # nothing finished yet
    snap = {"total": 20, "done": 5, "rows_per_s": 0.02, "elapsed_s": 250.0, "prompt_tokens": 10,
            "completion_tokens": 5, "fresh": 5, "cached": 0, "retries": 1, "in_flight": 1, "rewritten": 3,
            "kept": 1, "passthrough": 1, "failed": 0, "quarantined": 0}
    assert describe(snap).startswith("rows 5/20 (25%) 50.0 s/row")


def test_a_resumed_run_shows_the_rate_and_eta_of_the_rows_this_session_does() -> None:
    from realign.pipeline import LiveStats

    stats = LiveStats(total=1000, done=910, resumed=900)  # 900 rows finished by the earlier session
    stats.started -= 10.0  # this session has run 10 s and finished 10 rows
    snap = stats.snapshot()
    assert round(snap["rows_per_s"], 1) == 1.0
    assert "ETA 1:30" in describe(snap)  # 90 rows left at 1 row/s, not 90 / 91 s


def test_a_narrow_terminal_wraps_task_names_instead_of_cutting_them(monkeypatch) -> None:
    import io

    from rich.console import Console

    from realign import report

    out = io.StringIO()
    monkeypatch.setattr(report, "console", Console(file=out, width=40))
    report.print_classification({"n": 3, "methods": {"embedded": 3}, "mean_confidence": 0.9, "skipped": [],
                                 "distribution": {"natural_language_learning_tutor": 2, "open_qa": 1}})
    text = out.getvalue()
    assert "…" not in text
    cells = "".join(line.split("│")[1].strip() for line in text.splitlines() if line.count("│") >= 3)
    assert "natural_language_learning_tutor" in cells  # the name is all there, over two lines


def test_the_usage_lines_keep_their_columns_for_long_purpose_names(monkeypatch) -> None:
    """The modes' purposes (label_reason, sim_summary) are longer than 'feedback': every line's
    'sent', 'cached' and 'retries' still start in the same column."""
    import io

    from rich.console import Console

    from realign import report

    out = io.StringIO()
    monkeypatch.setattr(report, "console", Console(file=out, width=160))
    row = {"requests": 40, "cached": 0, "retries": 0, "prompt_tokens": 1, "completion_tokens": 1}
    report._print_usage({"rewrite": row, "label_reason": row, "sim_summary": {**row, "requests": 1234}, "judge": row})
    lines = out.getvalue().splitlines()
    assert len(lines) == 4
    for word in (" sent", " cached", " retries"):
        assert len({line.index(word) for line in lines}) == 1, out.getvalue()


def test_stats_of_a_running_run_with_no_row_yet_reads_as_such(monkeypatch, tmp_path) -> None:
    """Seen on a run stopped by --strict at line 3: 'rows 0: , quarantined 0' and '→ None'."""
    import io

    from rich.console import Console

    from realign import report

    from realign.store import Store, run_stats

    with Store(str(tmp_path / "s.duckdb")) as st:
        st.start_run(run_id="r1", name="default", config={}, config_hash="c", input_path="in.jsonl",
                     input_hash="h", model="m", base_url=None)
        st.flush()
        d = run_stats(st, "r1")
    assert d["finished_at"] is None  # JSON null for `stats --json`, not the string "None"
    out = io.StringIO()
    monkeypatch.setattr(report, "console", Console(file=out, width=200))
    report.print_stats(d)
    text = out.getvalue()
    assert "rows 0: quarantined 0" in text and ": ," not in text
    assert "still running or stopped without finishing" in text and "None" not in text
