"""The DuckDB store on its own: batched writes, the request cache, shared texts, replacement of retried rows."""

from __future__ import annotations

import gzip
import signal
import subprocess
import sys
import json
from pathlib import Path

import duckdb
import pytest

from realign.errors import ConfigError
from realign.records import Example, Turn
from realign.store import (MIGRATIONS, TABLES, Store, Table, add_columns, migrate, pending_migrations,
                           run_stats, run_usage, schema_of)


def _example(i: str) -> Example:
    return Example(id=i, source_index=0, format="alpaca",
                   turns=[Turn(role="user", content="q"), Turn(role="assistant", content="a")])


def test_cache_hits_survive_reopening_and_errors_are_never_served(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    with Store(db) as st:
        st.put_call("a" * 64, kind="chat", request={"messages": []}, response={"contents": ["x"]})
        st.put_call("b" * 64, kind="chat", request={"messages": []}, response=None, error="timeout")
        assert st.get_call("a" * 64) == {"contents": ["x"]}  # buffered, not flushed yet
        assert st.get_call("b" * 64) is None
    with Store(db) as st:
        assert st.get_call("a" * 64) == {"contents": ["x"]}
        assert st.get_call("b" * 64) is None and st.get_call("c" * 64) is None


def test_long_prompt_texts_are_stored_once_and_put_back(tmp_path: Path) -> None:
    system = "rules " * 400
    with Store(tmp_path / "t.duckdb") as st:
        for i in range(3):
            st.put_call(str(i) * 64, kind="chat", response={"contents": ["x"]},
                        request={"messages": [{"role": "system", "content": system},
                                              {"role": "user", "content": f"row {i}"}]})
        st.flush()
        assert st.query("SELECT count(*) AS n FROM texts")[0]["n"] == 1
        stored = st.stored_request("1" * 64)
        assert stored is not None and stored["messages"][0]["content"] == system
        assert stored["messages"][1]["content"] == "row 1"


def test_background_flush_then_retried_row_replaces_its_old_story(tmp_path: Path) -> None:
    with Store(tmp_path / "r.duckdb", flush_rows=1) as st:
        st.start_run(run_id="r1", name="t", config={}, config_hash="h", input_path="i", input_hash="ih",
                     model="m", base_url="u")
        ex = _example("e1")
        st.add_example("r1", ex, "open_qa", 0.9, "embedded")
        st.add_check("r1", "e1", 1, 1, 0, "length", False, "too short")
        st.add_result("r1", "e1", status="failed", task="open_qa", final_turns=[], attempts=1,
                      prompt_tokens=0, completion_tokens=0, error="timeout")
        assert st.maybe_flush()  # written on the writer thread
        st.flush()
        assert st.result_statuses("r1", ["e1", "e2"]) == {"e1": "failed"}
        st.forget_example("r1", "e1")  # the retry: old rows go, new ones come
        st.add_example("r1", ex, "open_qa", 0.9, "embedded")
        st.add_result("r1", "e1", status="rewritten", task="open_qa", final_turns=[], attempts=1,
                      prompt_tokens=1, completion_tokens=1, error=None)
        st.flush()
        assert st.result_statuses("r1", ["e1"]) == {"e1": "rewritten"}
        counts = st.query("SELECT (SELECT count(*) FROM examples) AS ex, (SELECT count(*) FROM checks) AS ch, "
                          "(SELECT count(*) FROM results) AS res")[0]
        assert counts == {"ex": 1, "ch": 0, "res": 1}


# ---- migrations --------------------------------------------------------------------------------

FIXTURE = Path(__file__).parent / "fixtures" / "store"


def old_database(tmp_path: Path) -> Path:
    """The database the first release (schema_version 1, no migrations table) wrote: 5 input rows
    of v1_input.jsonl with --task open_qa --limit 5 (4 rewritten, 1 quarantined)."""
    db = tmp_path / "old.duckdb"
    db.write_bytes(gzip.decompress((FIXTURE / "v1_realign.duckdb.gz").read_bytes()))
    return db


def test_database_of_the_first_release_is_migrated_and_its_run_resumes(tmp_path: Path) -> None:
    db = old_database(tmp_path)
    fresh = tmp_path / "fresh.duckdb"
    Store(fresh).close()
    with Store(db) as st:
        applied = [r["name"] for r in st.query("SELECT name FROM migrations ORDER BY name")]
        assert applied == sorted(n for n, _ in MIGRATIONS)
        run_id = st.latest_run()
        assert run_id is not None and st.start_run(
            run_id=run_id, name="t", config={}, config_hash="h", input_path="i", input_hash="ih",
            model="m", base_url="u") is True
        assert st.result_statuses(run_id, ["m1", "q1", "c1", "q2", "q3"]) == {
            "m1": "rewritten", "q1": "rewritten", "c1": "rewritten", "q2": "rewritten"}
        assert st.quarantined_indices(run_id) == {2}
        st.add_example(run_id, _example("q3"), "open_qa", 1.0, "config")
        st.add_result(run_id, "q3", status="rewritten", task="open_qa", final_turns=[], attempts=1,
                      prompt_tokens=10, completion_tokens=2, error=None)
        st.put_call("d" * 64, kind="rewrite", request={"messages": []}, response={"contents": ["y"]})
        st.finish_run(run_id, "completed", {"prompt_tokens": 10, "completion_tokens": 2})
        totals = json.loads(st.run_info(run_id)["counts"])["totals"]
        assert totals["prompt_tokens"] == 1511 + 10 and st.run_info(run_id)["sessions"] == 2
        assert len(st.result_statuses(run_id, ["m1", "q1", "c1", "q2", "q3"])) == 5
        migrated = schema_of(st.con)
    con = duckdb.connect(str(fresh), read_only=True)
    assert migrated == schema_of(con)  # an old database ends exactly where a new one starts
    con.close()


def test_read_commands_bring_an_old_database_up_to_date_before_reading(tmp_path: Path) -> None:
    db = old_database(tmp_path)
    with Store(db, read_only=True) as st:
        assert st.query("SELECT count(*) AS n FROM migrations")[0]["n"] == len(MIGRATIONS)
        assert run_stats(st, st.resolve_run(None))["by_status"] == {"rewritten": 4}


def _with_contract() -> tuple[dict[str, Table], list]:
    results = TABLES["results"]
    tables = {**TABLES, "results": Table(results.columns + (("contract", "JSON"),), key=results.key)}
    migration = ("m900_results_contract", lambda con: add_columns(con, "results", "contract", tables=tables))
    return tables, [*MIGRATIONS, migration]


def test_a_new_column_reaches_old_and_fresh_databases_through_one_migration(tmp_path: Path) -> None:
    tables, migrations = _with_contract()
    con = duckdb.connect(str(old_database(tmp_path)))
    assert migrate(con, tables=tables, migrations=migrations) == [n for n, _ in MIGRATIONS[1:]] + ["m900_results_contract"]
    assert migrate(con, tables=tables, migrations=migrations) == []  # applied once only
    assert ("contract", "JSON") in schema_of(con)["results"]
    assert con.execute("SELECT count(*) FROM results WHERE contract IS NULL").fetchone()[0] == 4
    con.close()
    fresh = duckdb.connect(str(tmp_path / "new.duckdb"))
    migrate(fresh, tables=tables, migrations=migrations)
    assert ("contract", "JSON") in schema_of(fresh)["results"]
    assert pending_migrations(fresh, migrations) == []
    fresh.close()


def test_a_column_added_without_its_migration_is_caught_on_open(tmp_path: Path) -> None:
    tables, _ = _with_contract()
    con = duckdb.connect(str(old_database(tmp_path)))
    with pytest.raises(RuntimeError, match="results lacks contract"):
        migrate(con, tables=tables, migrations=MIGRATIONS)
    con.close()


@pytest.mark.parametrize("read_only", [False, True])
def test_a_duckdb_file_of_another_program_is_refused_and_left_alone(tmp_path: Path, read_only: bool) -> None:
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE sales (id INTEGER)")
    con.close()
    with pytest.raises(ConfigError, match="not a realign one.*sales"):
        Store(other, read_only=read_only)
    con = duckdb.connect(str(other), read_only=True)
    assert set(schema_of(con)) == {"sales"}
    con.close()


# ---- the journal of answered requests ------------------------------------------------------------

def test_answers_journaled_before_a_kill_are_in_the_cache_after_reopening(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    Store(db).close()
    script = (
        "import os, signal, sys\n"
        "from realign.store import Store\n"
        "st = Store(sys.argv[1], flush_seconds=3600)\n"
        "st.start_run(run_id='r1', name='t', config={}, config_hash='h', input_path='i', input_hash='ih', model='m', base_url='u')\n"
        "for i in range(3):\n"
        "    st.put_call(str(i) * 64, kind='chat', request={'messages': [{'role': 'user', 'content': 'q' * 2000}]},\n"
        "                response={'choices': [{'message': {'content': f'a{i}'}}]}, prompt_tokens=7)\n"
        "st.put_call('9' * 64, kind='chat', request={}, response=None, error='timeout')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n")
    proc = subprocess.run([sys.executable, "-c", script, str(db)], capture_output=True)
    assert proc.returncode == -signal.SIGKILL
    assert list(tmp_path.glob("k.duckdb.journal-*"))  # nothing reached DuckDB, the journal has it
    with Store(db) as st:
        assert st.replayed == 3
        assert st.get_call("1" * 64) == {"choices": [{"message": {"content": "a1"}}]}
        assert st.get_call("9" * 64) is None  # a failed call is not an answer
        st.flush()
        assert st.query("SELECT count(*) AS n, sum(prompt_tokens) AS t FROM llm_calls")[0] == {"n": 3, "t": 21}
        assert st.stored_request("2" * 64)["messages"][0]["content"] == "q" * 2000
        # the answers' tokens reach the run's ledger too: a kill loses no spending from the totals
        assert run_usage(st, "r1")["by_purpose"] == {"chat": {
            "requests": 3, "cached": 0, "retries": 0, "prompt_tokens": 21, "completion_tokens": 0, "cost_usd": None}}
    assert not list(tmp_path.glob("k.duckdb.journal-*"))
    with Store(db) as st:  # replayed once only
        assert st.replayed == 0 and st.query("SELECT count(*) AS n FROM llm_calls")[0]["n"] == 3


def test_a_deterministic_cut_off_recorded_before_a_kill_is_known_after_reopening(tmp_path: Path) -> None:
    """SmolLM2 cut two answers off at --max-tokens the same way (768 tokens each) and the run was
    killed before the store flushed: the rerun sent both requests again and paid for the same
    cut-off. The cut-off is an answer received, so it is journaled and replayed like one (still a
    failure, not an answer: get_call has nothing, get_cutoff has it)."""
    db = tmp_path / "c.duckdb"
    Store(db).close()
    cut = {"choices": [{"message": {"content": "loop loop loop"}, "finish_reason": "length"}]}
    script = (
        "import os, signal, sys, json\n"
        "from realign.store import Store\n"
        "st = Store(sys.argv[1], flush_seconds=3600)\n"
        "st.start_run(run_id='r1', name='t', config={}, config_hash='h', input_path='i', input_hash='ih', model='m', base_url='u')\n"
        f"st.put_call('c' * 64, kind='rewrite', request={{'messages': [{{'role': 'user', 'content': 'q'}}]}}, response={cut!r},\n"
        "            error='length: the answer was cut off at max_tokens', finish_reason='length')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n")
    proc = subprocess.run([sys.executable, "-c", script, str(db)], capture_output=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    with Store(db) as st:
        assert st.get_cutoff("c" * 64) == cut
        assert st.get_call("c" * 64) is None  # a cut-off is no answer to use
        st.flush()
        assert st.query("SELECT finish_reason, error IS NOT NULL AS failed FROM llm_calls")[0] == {
            "finish_reason": "length", "failed": True}
    with Store(db) as st:  # from the table now, the journal gone
        assert st.get_cutoff("c" * 64) == cut and st.query("SELECT count(*) AS n FROM llm_calls")[0]["n"] == 1


def test_a_flush_removes_the_journal_it_committed(tmp_path: Path) -> None:
    with Store(tmp_path / "f.duckdb") as st:
        st.put_call("a" * 64, kind="chat", request={}, response={"choices": []})
        assert len(list(tmp_path.glob("f.duckdb.journal-*"))) == 1
        st.flush()
        assert not list(tmp_path.glob("f.duckdb.journal-*"))


def test_show_of_a_quarantined_row_id_gives_its_file_line_field_reason_and_raw_text(tmp_path: Path) -> None:
    from realign.errors import ConfigError
    from realign.records import BadRow
    from realign.store import RAW_SHOWN_CHARS, row_story

    with Store(str(tmp_path / "q.duckdb")) as st:
        st.start_run(run_id="r1", name="t", config={"input": {"id_field": None}}, config_hash="h",
                     input_path="chat.jsonl", input_hash="ih", model="m", base_url="u")
        st.add_quarantine("r1", BadRow(source_index=6, line=7, field="conversations[1].value",
                                       error="response is empty", raw='{"id": "s7", "conversations": []}'))
        st.add_quarantine("r1", BadRow(source_index=8, line=9, error="line is not valid JSON",
                                       raw='{"id": "broken", "conversations": '))
        st.flush()
        assert row_story(st, "s7", "r1") == {
            "run_id": "r1", "status": "quarantined", "example_id": "s7", "input_path": "chat.jsonl", "line": 7,
            "source_index": 6, "field": "conversations[1].value", "reason": "response is empty",
            "raw": '{"id": "s7", "conversations": []}', "raw_chars": 33, "raw_truncated": False}
        broken = row_story(st, "broken", "r1")
        assert (broken["line"], broken["field"], broken["reason"]) == (9, None, "line is not valid JSON")
        with pytest.raises(ConfigError, match="^no example 's8'"):
            row_story(st, "s8", "r1")
        # a unique prefix names a quarantined row's id as it names an example's: "s" starts only "s7"
        by_prefix = row_story(st, "s", "r1")
        assert (by_prefix["line"], by_prefix["example_id"]) == (7, "s7")  # named by its whole id
        st.add_quarantine("r1", BadRow(source_index=10, line=11, field="conversations", error="missing",
                                       raw='{"id": "s70"}'))
        st.flush()
        with pytest.raises(ConfigError, match="^no example 's'"):  # two ids start with it: no guess
            row_story(st, "s", "r1")
        # a row with no id at all is named by where it is: FILE:LINE, or the line alone; a long
        # raw text is cut to its start, saying how long it was
        long_raw = '{"instr' + "x" * 5000
        st.add_quarantine("r1", BadRow(source_index=2, line=3, error="line is not valid JSON", raw=long_raw))
        st.flush()
        for where in ("chat.jsonl:3", "/elsewhere/chat.jsonl:3", "3"):
            story = row_story(st, where, "r1")
            assert (story["status"], story["example_id"], story["line"], story["reason"]) == (
                "quarantined", None, 3, "line is not valid JSON")
            assert story["raw"] == long_raw[:RAW_SHOWN_CHARS] and story["raw_chars"] == len(long_raw)
            assert story["raw_truncated"] is True
        for nothing_there in ("chat.jsonl:4", "other.jsonl:3"):
            with pytest.raises(ConfigError, match="^no example"):
                row_story(st, nothing_there, "r1")


def test_show_finds_a_quarantined_row_of_a_json_array_by_the_name_stats_gives_it(tmp_path: Path) -> None:
    """Rows of a JSON array or Parquet file have no line: `stats` names them "FILE row N", and
    `show` takes that name (a row of arr.json missing its output was unreachable)."""
    from realign.errors import ConfigError
    from realign.records import BadRow
    from realign.store import row_story

    with Store(str(tmp_path / "q.duckdb")) as st:
        st.start_run(run_id="r1", name="t", config={}, config_hash="h",
                     input_path="data/arr.json", input_hash="ih", model="m", base_url="u")
        st.add_quarantine("r1", BadRow(source_index=1, line=None, field="output", error="field 'output' is missing",
                                       raw='{"instruction": "x"}'))
        st.flush()
        # the second element (index 1) is "row 2": rows are counted from 1, as lines are
        for where in ("data/arr.json row 2", "arr.json row 2", "row 2"):
            story = row_story(st, where, "r1")
            assert (story["input_path"], story["line"], story["source_index"], story["field"]) == (
                "data/arr.json", None, 1, "output")
        with pytest.raises(ConfigError, match="^no example 'arr.json row 1'.*FILE row N"):
            row_story(st, "arr.json row 1", "r1")


def test_show_of_an_ambiguous_id_prefix_says_ambiguous_and_lists_the_ids(tmp_path: Path) -> None:
    from realign.errors import ConfigError
    from realign.store import row_story

    with Store(str(tmp_path / "a.duckdb")) as st:
        st.start_run(run_id="r1", name="t", config={}, config_hash="h",
                     input_path="in.jsonl", input_hash="ih", model="m", base_url="u")
        for i in ("h1", "h2", "h3", "h4", "h5", "h6", "x1"):
            st.add_example("r1", _example(i), "open_qa", 1.0, "config")
        st.flush()
        with pytest.raises(ConfigError) as told:
            row_story(st, "h", "r1")
        assert str(told.value) == ("ambiguous: 6 ids start with 'h' in run r1: h1, h2, h3, h4, h5, ...; "
                                   "give more of the id")
        assert row_story(st, "x", "r1")["example_id"] == "x1"  # a unique prefix is enough


@pytest.mark.parametrize("reason, kind", [
    ("answer line dropped: the original ends with '#### 16' and the rewrite has no '#### N' line "
     "(GSM8K scoring reads that line)",
     "answer line dropped: the original ends with '…' and the rewrite has no '…' line (GSM8K scoring reads that line)"),
    ("the rewrite drops 2 of the original's 5 list items: '-7', '-3'",
     "the rewrite drops N of the original's N list items: '…', '…'"),
    ('rewrite too short: 120 chars vs 3,400.5 (0.04x)', "rewrite too short: N chars vs N (Nx)"),
    ('the rewrite says "it\'s 12" where the original said \'13\'', "the rewrite says '…' where the original said '…'"),
])
def test_rejection_reasons_group_without_mangling_words_with_digits_or_apostrophes(reason: str, kind: str) -> None:
    from realign.store import _REASON_KIND

    assert duckdb.execute(f"SELECT {_REASON_KIND} FROM (SELECT ? AS reason)", [reason]).fetchone()[0] == kind


def test_show_of_a_row_of_another_run_names_that_run(tmp_path: Path) -> None:
    """`show` reads the latest run unless told: with several inputs in one database, a row of an
    earlier run (an id, or FILE:LINE of a quarantined row) was only "no example", found trying it."""
    from realign.records import BadRow
    from realign.store import row_story

    with Store(str(tmp_path / "q.duckdb")) as st:
        st.start_run(run_id="r1", name="t", config={}, config_hash="h",
                     input_path="data/broken.jsonl", input_hash="ih", model="m", base_url="u")
        st.add_example("r1", _example("b1~3"), "open_qa", 0.9, "embedded")
        st.add_quarantine("r1", BadRow(source_index=13, line=14, error="line is not valid UTF-8", raw="x"))
        st.start_run(run_id="r2", name="t", config={}, config_hash="h2",
                     input_path="data/tools.jsonl", input_hash="ih2", model="m", base_url="u")
        st.add_example("r2", _example("tool-9"), "open_qa", 0.9, "embedded")
        st.flush()
        for name in ("b1~3", "b1~", "broken.jsonl:14"):
            with pytest.raises(ConfigError, match=f"^no example '{name}' in run r2 .*; it is in run r1: add --run r1"):
                row_story(st, name, "r2")
        with pytest.raises(ConfigError) as told:
            row_story(st, "nowhere", "r2")
        assert "it is in run" not in str(told.value)
