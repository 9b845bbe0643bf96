"""Per-turn keys a trainer reads (`weight`, `name`, `loss`, anything else) survive a rewrite and
come out unchanged in every export whose rows hold per-turn objects; only the content changes."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from realign.testing.openai_server import OpenAIServer
from realign.testing.responders import RealignResponder, reformat
from test_e2e_cli import realign, summary_of

# keys of each turn other than role and content, per row, in turn order
EXTRAS = {
    "r1": [{"name": "alice", "weight": 1, "x_note": {"a": [1, None]}},
           {"weight": 0, "name": "bot", "x_unknown": [1, 2]},
           {"loss": False},
           {"weight": 1, "x_unknown": "z"}],
    "r2": [{"name": "bob"}, {"weight": 0.5, "loss": True}],
}
ROW_EXTRAS = {"source": "forum", "tags": ["geo", 1]}  # row-level keys besides id and the turns
TEXTS = {
    "r1": ["What is the capital of France?", "Paris is the capital of France.",
           "And what is the capital of Spain?", "Madrid is the capital of Spain."],
    "r2": ["Name a primary colour.", "KEEP: red is a primary colour."],
}


def _write(path: Path, shape: str) -> None:
    role_key, content_key, names = (("role", "content", ("user", "assistant")) if shape == "messages"
                                    else ("from", "value", ("human", "gpt")))
    with path.open("w") as f:
        for rid, texts in TEXTS.items():
            turns = [{role_key: names[i % 2], content_key: text, **EXTRAS[rid][i]} for i, text in enumerate(texts)]
            f.write(json.dumps({"id": rid, shape: turns, **ROW_EXTRAS}) + "\n")


def _rewrite(parts: dict) -> str | None:
    return None if parts["original"].startswith("KEEP") else reformat(parts["original"])


def _run(tmp: Path, data: Path, db: Path, *extra: str) -> dict:
    with OpenAIServer(RealignResponder(_rewrite)) as srv:
        return summary_of(realign("rewrite", "--in", str(data), "--model", "m", "--base-url", srv.base_url,
                                  "-q", "--json", "--db", str(db), *extra))


def _export(db: Path, out: Path, fmt: str) -> None:
    summary_of(realign("export", "--db", str(db), "--out", str(out), "--format", fmt, "--json"))


def _lines(path: Path) -> dict[str, dict]:
    rows = [json.loads(x) for x in path.read_text().splitlines()]
    return {r["id"]: r for r in rows}


def _check_turns(rows: dict[str, dict], key: str, role_key: str, content_key: str, rewritten: bool) -> None:
    assert set(rows) == set(EXTRAS)
    for rid, turns in ((rid, rows[rid][key]) for rid in EXTRAS):
        assert [{k: v for k, v in t.items() if k not in (role_key, content_key)} for t in turns] == EXTRAS[rid]
        for i, t in enumerate(turns):
            changed = rewritten and rid == "r1" and i % 2 == 1  # r2's answer is kept, users never change
            assert (t[content_key] != TEXTS[rid][i]) == changed, (rid, i, t)


def _check_exports(tmp: Path, db: Path, rewritten: bool) -> None:
    _export(db, tmp / "sg.jsonl", "sharegpt")
    sg = _lines(tmp / "sg.jsonl")
    _check_turns(sg, "conversations", "from", "value", rewritten)
    _export(db, tmp / "msg.jsonl", "messages")
    msg = _lines(tmp / "msg.jsonl")
    _check_turns(msg, "messages", "role", "content", rewritten)
    for rows, key in ((sg, "conversations"), (msg, "messages")):  # the row's own keys come back too
        assert all(set(r) == {"id", key, *ROW_EXTRAS} and r["tags"] == ROW_EXTRAS["tags"] for r in rows.values())
    _export(db, tmp / "prov.jsonl", "jsonl")
    prov = _lines(tmp / "prov.jsonl")
    _check_turns(prov, "messages", "role", "content", rewritten)
    _check_turns(prov, "original_messages", "role", "content", False)
    assert all(r["fields"]["extra"] == {"id": rid, **ROW_EXTRAS} for rid, r in prov.items())
    _export(db, tmp / "prov.parquet", "parquet")
    table = {r["id"]: r for r in pq.read_table(tmp / "prov.parquet").to_pylist()}
    for rid, extras in EXTRAS.items():
        assert json.loads(table[rid]["meta"])["message_extras"] == extras
        assert [m["content"] for m in table[rid]["original_messages"]] == TEXTS[rid]
    # the alpaca shape has no per-turn objects: it is the same as before, no extra key anywhere
    _export(db, tmp / "alpaca.jsonl", "alpaca")
    alpaca = _lines(tmp / "alpaca.jsonl")
    assert set(alpaca["r2"]) == {"id", "instruction", "input", "output"}
    assert alpaca["r2"]["output"] == TEXTS["r2"][1]
    assert set(alpaca["r1"]) == {"id", "instruction", "input", "output", "history"}
    assert alpaca["r1"]["history"][0][0] == TEXTS["r1"][0]


@pytest.mark.parametrize("key", ["messages", "conversations"])
def test_turn_keys_survive_rewritten_and_kept_turns(tmp_path: Path, key: str) -> None:
    data = tmp_path / "chat.jsonl"
    _write(data, key)
    s = _run(tmp_path, data, tmp_path / "r.duckdb", "--task", "open_qa")
    assert s["rewritten"] == 1 and s["kept_original"] == 1
    _check_exports(tmp_path, tmp_path / "r.duckdb", rewritten=True)


def test_passthrough_turn_keys_survive(tmp_path: Path) -> None:
    data = tmp_path / "chat.jsonl"
    _write(data, "conversations")
    cfg = tmp_path / "pass.toml"
    cfg.write_text('name = "pass"\n[classify]\nkind = "embedded"\n[tasks]\nforce_task = "open_qa"\n'
                   "rewrite = { open_qa = false }\n")
    s = _run(tmp_path, data, tmp_path / "p.duckdb", "--pipeline", str(cfg))
    assert s["passthrough"] == 2
    _check_exports(tmp_path, tmp_path / "p.duckdb", rewritten=False)


def test_a_database_stored_without_extras_exports_as_before(tmp_path: Path) -> None:
    """A run stored before turns kept their keys has plain {role, content} turns and no row keys:
    its exports hold exactly the keys they held then."""
    data = tmp_path / "chat.jsonl"
    _write(data, "conversations")
    db = tmp_path / "old.duckdb"
    _run(tmp_path, data, db, "--task", "open_qa")

    def plain(text: str) -> str:
        return json.dumps([{"role": t["role"], "content": t["content"]} for t in json.loads(text)])

    with duckdb.connect(str(db)) as con:  # what the older release stored
        for eid, turns in con.execute("SELECT example_id, turns FROM examples").fetchall():
            con.execute("UPDATE examples SET turns = ?, fields = '{}' WHERE example_id = ?", [plain(turns), eid])
        for eid, turns in con.execute("SELECT example_id, final_turns FROM results").fetchall():
            con.execute("UPDATE results SET final_turns = ? WHERE example_id = ?", [plain(turns), eid])
    _export(db, tmp_path / "sg.jsonl", "sharegpt")
    sg = _lines(tmp_path / "sg.jsonl")
    assert [set(t) for t in sg["r1"]["conversations"]] == [{"from", "value"}] * 4
    assert set(sg["r1"]) == {"id", "conversations"}
    assert sg["r1"]["conversations"][1]["value"] != TEXTS["r1"][1]  # the rewrite is still there
    _export(db, tmp_path / "prov.jsonl", "jsonl")
    prov = _lines(tmp_path / "prov.jsonl")
    assert [set(t) for t in prov["r2"]["messages"] + prov["r2"]["original_messages"]] == [{"role", "content"}] * 4
    assert prov["r2"]["fields"] == {}
    _export(db, tmp_path / "prov.parquet", "parquet")
    assert all("message_extras" not in json.loads(r["meta"])
               for r in pq.read_table(tmp_path / "prov.parquet").to_pylist())


@pytest.mark.parametrize("key", ["conversations", "messages"])
def test_a_top_level_system_prompt_comes_back_where_it_was_read(tmp_path: Path, key: str) -> None:
    """LLaMA-Factory's ShareGPT rows may keep the system prompt in a top-level `system` column; read
    that way, the row's own-shape export writes it there again, so the file keeps the shape its
    dataset config (`columns.system`) describes. A system turn read inside the conversation, and a
    blank `system`, come back as they were too."""
    role_key, content_key, user, bot = (("role", "content", "user", "assistant") if key == "messages"
                                        else ("from", "value", "human", "gpt"))
    rows = [
        {"id": "top", "system": "You are a pirate.", key: [{role_key: user, content_key: "What is the capital of France?"},
                                                          {role_key: bot, content_key: "Paris is the capital of France."}]},
        {"id": "inside", key: [{role_key: "system", content_key: "You are a pirate."},
                               {role_key: user, content_key: "What is the capital of Spain?"},
                               {role_key: bot, content_key: "Madrid is the capital of Spain."}]},
        {"id": "blank", "system": "", key: [{role_key: user, content_key: "What is the capital of Italy?"},
                                            {role_key: bot, content_key: "Rome is the capital of Italy."}]},
    ]
    data = tmp_path / "sys.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    db = tmp_path / "s.duckdb"
    s = _run(tmp_path, data, db, "--task", "open_qa")
    assert s["rewritten"] == 3
    shape = "sharegpt" if key == "conversations" else "messages"
    _export(db, tmp_path / "own.jsonl", shape)
    own = _lines(tmp_path / "own.jsonl")
    assert own["top"]["system"] == "You are a pirate."
    assert [t[role_key] for t in own["top"][key]] == [user, bot]
    assert "system" not in own["inside"] and [t[role_key] for t in own["inside"][key]] == ["system", user, bot]
    assert own["blank"]["system"] == "" and [t[role_key] for t in own["blank"][key]] == [user, bot]
    for r in own.values():  # the answers were rewritten all the same
        assert r[key][-1][content_key].startswith("Here is a clear answer.")
    # the system prompt reaches the model either way, as context of the rewrite
    _export(db, tmp_path / "prov.jsonl", "jsonl")
    prov = _lines(tmp_path / "prov.jsonl")
    assert prov["top"]["messages"][0] == {"role": "system", "content": "You are a pirate."}
    # a Parquet file of the shape has a `system` column for it (null for the other rows)
    _export(db, tmp_path / "own.parquet", shape)
    table = {r["id"]: r for r in pq.read_table(tmp_path / "own.parquet").to_pylist()}
    assert table["top"]["system"] == "You are a pirate." and table["top"][key][0][content_key].startswith("What")
    assert table["inside"]["system"] is None and table["inside"][key][0][content_key] == "You are a pirate."


@pytest.mark.parametrize(("key", "names"), [
    ("conversations", ("user", "assistant")),  # many hub ShareGPT sets use OpenAI's names under `from`
    ("messages", ("user", "assistant")),
])
def test_role_names_come_back_as_read_in_the_rows_own_shape(tmp_path: Path, key: str, names: tuple[str, str]) -> None:
    """A trainer's config names the role tags it expects (LLaMA-Factory's `user_tag`, `assistant_tag`,
    `system_tag`): a ShareGPT file with `from: user` read back as `from: human` has every row skipped.
    So the row's own shape writes each role as it was read (`developer` too); the other shape writes
    its own names."""
    role_key, content_key = ("from", "value") if key == "conversations" else ("role", "content")
    user, bot = names
    row = {"id": "r", key: [{role_key: "developer", content_key: "Answer briefly."},
                            {role_key: user, content_key: "What is the capital of France?"},
                            {role_key: bot, content_key: "Paris is the capital of France."}]}
    data = tmp_path / "roles.jsonl"
    data.write_text(json.dumps(row) + "\n")
    db = tmp_path / "r.duckdb"
    assert _run(tmp_path, data, db, "--task", "open_qa")["rewritten"] == 1
    own, other = ("sharegpt", "messages") if key == "conversations" else ("messages", "sharegpt")
    _export(db, tmp_path / "own.jsonl", own)
    turns = _lines(tmp_path / "own.jsonl")["r"][key]
    assert [t[role_key] for t in turns] == ["developer", user, bot]
    assert turns[2][content_key].startswith("Here is a clear answer.")
    _export(db, tmp_path / "other.jsonl", other)
    other_key, other_role = ("messages", "role") if other == "messages" else ("conversations", "from")
    expected = ["system", "user", "assistant"] if other == "messages" else ["system", "human", "gpt"]
    assert [t[other_role] for t in _lines(tmp_path / "other.jsonl")["r"][other_key]] == expected
