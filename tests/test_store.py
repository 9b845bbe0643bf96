"""The DuckDB store on its own: batched writes, the request cache, shared texts, replacement of retried rows."""

from __future__ import annotations

from pathlib import Path

from realign.records import Example, Turn
from realign.store import Store


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
