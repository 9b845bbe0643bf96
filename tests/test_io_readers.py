from __future__ import annotations

import json
import random
import socket
from pathlib import Path

import pytest

from realign.errors import ConfigError, InputError
from realign.io import count_rows, detect_format, parse_hf_spec, read_examples
from realign.records import BadRow, Example

FIX = Path(__file__).parent / "fixtures" / "io"


def _examples(path: Path | str, **kw: object) -> list[Example]:
    rows = list(read_examples(str(path), **kw))  # type: ignore[arg-type]
    assert all(isinstance(r, Example) for r in rows), [r for r in rows if isinstance(r, BadRow)]
    return rows  # type: ignore[return-value]


def _roles(ex: Example) -> list[str]:
    return [t.role for t in ex.turns]


def _write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- shapes


def test_alpaca_jsonl() -> None:
    rows = _examples(FIX / "alpaca.jsonl")
    assert [r.source_index for r in rows] == [0, 1, 2]
    assert [r.line for r in rows] == [1, 2, 3]
    assert all(r.format == "alpaca" for r in rows)
    assert rows[0].turns[0].content == "Name three primary colours."
    assert rows[1].turns[0].content == "Translate to French.\n\nGood morning"
    assert rows[1].turns[1].content == "Bonjour."
    assert rows[1].fields == {"instruction": "Translate to French.", "input": "Good morning"}


def test_json_array_and_jsonl_named_json_read_the_same() -> None:
    base = _examples(FIX / "alpaca.jsonl")
    array = _examples(FIX / "alpaca_array.json")
    lines = _examples(FIX / "alpaca_lines.json")
    assert detect_format(str(FIX / "alpaca_array.json")) == ("json", "alpaca")
    assert detect_format(str(FIX / "alpaca_lines.json")) == ("jsonl", "alpaca")
    for other in (array, lines):
        assert [r.turns for r in other] == [r.turns for r in base]
        assert [r.id for r in other] == [r.id for r in base]
    assert all(r.line is None for r in array)
    assert [r.line for r in lines] == [1, 2, 3]


def test_dolly() -> None:
    rows = _examples(FIX / "dolly.jsonl")
    assert detect_format(str(FIX / "dolly.jsonl")) == ("jsonl", "dolly")
    assert rows[0].turns[0].content == (
        "Who wrote the novel?\n\nThe novel was written by a retired sailor in 1902."
    )
    assert rows[0].turns[1].content == "A retired sailor."
    assert rows[0].fields["category"] == "closed_qa"
    assert rows[0].fields["input"].startswith("The novel")
    assert rows[1].turns[0].content == "Suggest a name for a cat."


def test_gsm8k() -> None:
    rows = _examples(FIX / "gsm8k.jsonl")
    assert detect_format(str(FIX / "gsm8k.jsonl")) == ("jsonl", "gsm8k")
    assert _roles(rows[0]) == ["user", "assistant"]
    assert rows[0].turns[1].content.endswith("#### 7")
    assert rows[0].fields == {"question": rows[0].turns[0].content}


def test_sharegpt_multi_turn_and_system_kept() -> None:
    rows = _examples(FIX / "sharegpt.jsonl")
    assert detect_format(str(FIX / "sharegpt.jsonl")) == ("jsonl", "sharegpt")
    first, second = rows
    assert first.id == "conv-1"
    assert _roles(first) == ["system", "user", "assistant", "user", "assistant"]
    assert first.turns[0].content == "You are a terse assistant."
    assert first.turns[4].content == "About ten million in the metro area."
    assert second.id == "7"  # int id converted to str
    assert _roles(second) == ["system", "user", "assistant"]


def test_messages_with_text_parts() -> None:
    rows = _examples(FIX / "messages.jsonl")
    assert detect_format(str(FIX / "messages.jsonl")) == ("jsonl", "messages")
    assert _roles(rows[0]) == ["system", "user", "assistant"]
    assert _roles(rows[1]) == ["user", "assistant", "user", "assistant"]
    assert rows[1].turns[0].content == "Summarise:\nThe meeting moved to Friday."
    assert rows[1].turns[3].content == "You're welcome."


def test_alpaca_system_and_history(tmp_path: Path) -> None:
    p = _write_jsonl(
        tmp_path / "a.jsonl",
        [{"instruction": "q2", "input": "", "output": "a2", "system": "sys", "history": [["q1", "a1"]]}],
    )
    (ex,) = _examples(p)
    assert [(t.role, t.content) for t in ex.turns] == [
        ("system", "sys"),
        ("user", "q1"),
        ("assistant", "a1"),
        ("user", "q2"),
        ("assistant", "a2"),
    ]


# ---------------------------------------------------------------------------- containers


def test_parquet(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{"instruction": f"q{i}", "input": "", "output": f"a{i}"} for i in range(2500)]
    path = tmp_path / "data.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=700)
    assert detect_format(str(path)) == ("parquet", "alpaca")
    assert count_rows(str(path)) == 2500
    got = _examples(path)
    assert len(got) == 2500
    assert [r.source_index for r in got[:3]] == [0, 1, 2]
    assert got[1234].turns[1].content == "a1234"
    assert got[0].line is None
    # start skips whole row groups cheaply and keeps absolute indices
    tail = _examples(path, start=1500)
    assert tail[0].source_index == 1500 and tail[0].turns[0].content == "q1500"
    assert len(tail) == 1000


def test_parquet_sharegpt_nested(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    src = [json.loads(line) for line in (FIX / "sharegpt.jsonl").read_text().splitlines()]
    for r in src:
        r["id"] = str(r["id"])
    path = tmp_path / "sg.parquet"
    pq.write_table(pa.Table.from_pylist(src), path)
    got = _examples(path)
    want = _examples(FIX / "sharegpt.jsonl")
    assert [r.turns for r in got] == [r.turns for r in want]


def test_parquet_chat_rows_come_back_without_the_nulls_the_schema_fills_in(tmp_path: Path) -> None:
    # Arrow gives every turn struct every key any turn has, and every row every column (trial12 D12):
    # read back, a plain turn held "weight": null, "tool_calls": null; a tool call's null text stays
    import pyarrow as pa
    import pyarrow.parquet as pq

    from realign.io.exporters import messages_record

    rows = [{"id": "a", "messages": [{"role": "user", "content": "Hi"},
                                     {"role": "assistant", "content": "Hello.", "weight": 1}]},
            {"id": "b", "source": "forum", "messages": [
                {"role": "user", "content": "2+2?"},
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "add", "arguments": "{}"}}]},
                {"role": "tool", "content": "4", "tool_call_id": "c1"},
                {"role": "assistant", "content": "It is 4."}]}]
    schema = pa.Table.from_pylist(rows[1:]).schema.append(pa.field("weight", pa.int64()))
    turn = pa.struct([*schema.field("messages").type.value_type, pa.field("weight", pa.int64())])
    schema = pa.schema([("id", pa.string()), ("source", pa.string()), ("messages", pa.list_(turn))])
    path = tmp_path / "chat.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
    assert pq.read_table(path).to_pylist()[0]["messages"][0]["weight"] is None  # the fill is there
    got = [messages_record(ex) for ex in _examples(path)]
    assert got == rows


def test_save_to_disk_dataset(tmp_path: Path) -> None:
    import datasets

    src = [json.loads(line) for line in (FIX / "messages.jsonl").read_text().splitlines()]
    # the datasets library needs one type per column: keep string content only
    src[1]["messages"][0]["content"] = "Summarise:\nThe meeting moved to Friday."
    src[1]["note"] = "only in row 1"  # the dataset gives row 0 a null 'note'
    folder = tmp_path / "ds"
    datasets.Dataset.from_list(src).save_to_disk(str(folder))
    assert detect_format(str(folder)) == ("hf_disk", "messages")
    assert count_rows(str(folder)) == 2
    got = _examples(folder)
    want = _examples(FIX / "messages.jsonl")
    assert [r.turns for r in got] == [r.turns for r in want]
    # row 0 has the same content in both: same id, although the dataset adds null columns
    assert got[0].id == want[0].id
    assert _examples(folder, start=1)[0].source_index == 1


def test_save_to_disk_dataset_dict_splits(tmp_path: Path) -> None:
    import datasets

    train = datasets.Dataset.from_list([{"question": "1+1?", "answer": "2"}])
    test = datasets.Dataset.from_list([{"question": "2+2?", "answer": "4"}, {"question": "3+3?", "answer": "6"}])
    folder = tmp_path / "dd"
    datasets.DatasetDict({"train": train, "test": test}).save_to_disk(str(folder))
    assert _examples(folder)[0].turns[1].content == "2"
    assert [r.turns[1].content for r in _examples(f"{folder}:test")] == ["4", "6"]
    assert count_rows(f"{folder}:test") == 2
    with pytest.raises(InputError, match="no split 'dev'"):
        list(read_examples(f"{folder}:dev"))


def test_parse_hf_spec() -> None:
    assert parse_hf_spec("hf:openai/gsm8k") == ("openai/gsm8k", None, "train")
    assert parse_hf_spec("hf:openai/gsm8k:main") == ("openai/gsm8k", "main", "train")
    assert parse_hf_spec("hf:openai/gsm8k:main:test") == ("openai/gsm8k", "main", "test")
    assert parse_hf_spec("hf:org/data::validation") == ("org/data", None, "validation")
    for bad in ("hf:", "hf::x", "hf:a:b:c:d"):
        with pytest.raises(InputError, match="hf:NAME"):
            parse_hf_spec(bad)


def test_count_rows(tmp_path: Path) -> None:
    assert count_rows(str(FIX / "alpaca.jsonl")) == 3
    assert count_rows(str(FIX / "alpaca_array.json")) == 3
    assert count_rows(str(FIX / "alpaca_bad.jsonl")) == 8  # 10 lines, 2 blank
    assert count_rows("hf:openai/gsm8k") is None


# ---------------------------------------------------------------------------- detection / errors


def test_forced_format(tmp_path: Path) -> None:
    # "question"/"answer" would be detected as gsm8k; the row also has no alpaca keys
    p = _write_jsonl(tmp_path / "x.jsonl", [{"instruction": "i", "output": "o", "question": "q", "answer": "a"}])
    assert detect_format(str(p)) == ("jsonl", "alpaca")
    (ex,) = _examples(p, format="gsm8k")
    assert ex.format == "gsm8k" and ex.turns[0].content == "q"
    (bad,) = list(read_examples(str(FIX / "gsm8k.jsonl"), format="alpaca"))[:1]
    assert isinstance(bad, BadRow) and bad.error == ("field 'instruction' is missing; this row has the gsm8k shape "
                                                     "(question, answer), not the alpaca that --format asks for")
    with pytest.raises(ConfigError, match="unknown format 'chatml'"):
        read_examples(str(p), format="chatml")


def test_detection_skips_leading_bad_rows() -> None:
    assert detect_format(str(FIX / "alpaca_bad.jsonl")) == ("jsonl", "alpaca")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
@pytest.mark.parametrize("name", ["chat.jsonl", "chat.json"])
def test_a_utf16_or_utf32_file_is_one_error_naming_its_encoding(tmp_path: Path, encoding: str, name: str) -> None:
    # PowerShell's `>` writes UTF-16; read as UTF-8 every line was quarantined as "not valid UTF-8"
    rows = [{"messages": [{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Hello."}]}] * 3
    p = tmp_path / name
    text = json.dumps(rows) if name.endswith(".json") else "".join(json.dumps(r) + "\n" for r in rows)
    p.write_bytes(text.encode(encoding))
    family = encoding[:6].upper()
    with pytest.raises(InputError, match=rf"{name}: the file is {family} text.*UTF-8.*iconv -f {family}"):
        list(read_examples(str(p)))


def test_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_examples(str(tmp_path / "missing.jsonl"))
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(InputError, match="empty"):
        read_examples(str(empty))
    blank = tmp_path / "blank.jsonl"
    blank.write_text("\n  \n")
    with pytest.raises(InputError, match="whitespace"):
        read_examples(str(blank))
    with pytest.raises(InputError, match=r"cannot detect the format.*\[query, reply\].*--format"):
        read_examples(str(FIX / "unknown_shape.jsonl"))
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"this is not parquet at all")
    with pytest.raises(InputError, match="junk.parquet: cannot read this Parquet file"):
        read_examples(str(junk))
    with pytest.raises(InputError, match="junk.parquet"):
        count_rows(str(junk))
    broken = tmp_path / "broken.json"
    broken.write_text('[{"instruction": "a", "output": "b"},\n {"instruction": ]')
    with pytest.raises(InputError, match=r"broken.json:2: not valid JSON"):
        read_examples(str(broken))
    single = tmp_path / "single.json"
    single.write_text('{\n  "instruction": "a",\n  "output": "b"\n}\n')
    with pytest.raises(InputError, match="single JSON object"):
        read_examples(str(single))
    folder = tmp_path / "not_a_dataset"
    folder.mkdir()
    with pytest.raises(InputError, match="save_to_disk"):
        read_examples(str(folder))


# ---------------------------------------------------------------------------- bad rows


def test_a_cut_off_string_reads_as_one_sentence(tmp_path: Path) -> None:
    lines = tmp_path / "cut.jsonl"
    lines.write_text('{"instruction": "Say hi.", "input": "", "output": "Hi."}\n{"instruction": "broken\n')
    _, bad = read_examples(str(lines))
    assert bad.error == "line is not valid JSON: Unterminated string starting at column 17"  # not "at at"
    array = tmp_path / "cut.json"
    array.write_text('[{"instruction": "broken')
    with pytest.raises(InputError, match=r"cut.json:1: not valid JSON \(Unterminated string starting at column 18\)"):
        read_examples(str(array))


def test_a_row_of_another_shape_than_the_file_says_so(tmp_path: Path) -> None:
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(
        json.dumps({"messages": [{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Hello."}]}) + "\n"
        + json.dumps({"conversations": [{"from": "human", "value": "Hi?"}, {"from": "gpt", "value": "Hello."}]}) + "\n")
    _, bad = read_examples(str(mixed))
    assert isinstance(bad, BadRow) and bad.field == "messages"
    assert bad.error == ("field 'messages' is missing; this row has the sharegpt shape (conversations), the file "
                         "is read as messages: give each shape its own file")


def test_bad_rows_have_lines_fields_and_messages() -> None:
    rows = list(read_examples(str(FIX / "alpaca_bad.jsonl")))
    assert [r.source_index for r in rows] == list(range(8))  # every row exactly one index
    got = [(type(r).__name__, r.line, getattr(r, "field", None), getattr(r, "error", None)) for r in rows]
    assert got == [
        ("Example", 1, None, None),
        ("BadRow", 3, None, "line is not valid JSON: Expecting ',' delimiter at column 41"),
        ("BadRow", 4, None, "line is not valid UTF-8 (byte 0xff at offset 26)"),
        ("BadRow", 5, None, "row must be a JSON object, got list"),
        ("BadRow", 6, "output", "field 'output' is missing"),
        ("BadRow", 7, "output", "field 'output' must be a string, got list"),
        ("BadRow", 8, "output", "response is empty"),
        ("Example", 10, None, None),
    ]
    utf8 = rows[2]
    assert isinstance(utf8, BadRow) and "\ufffd" in utf8.raw  # raw decoded with replacement
    assert rows[1].raw == '{"instruction": "Broken", "output": "x" "oops"}'  # type: ignore[union-attr]
    assert rows[6].describe("in.jsonl") == "in.jsonl:8, field 'output': response is empty"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "row, field, error",
    [
        ({"conversations": "hi"}, "conversations", "field 'conversations' must be a list of turns, got str"),
        (
            {"conversations": [{"from": "human", "value": "a"}, {"from": "gpt", "value": "b"}, {"from": "human", "value": "c"}, {"from": "robot", "value": "d"}]},
            "conversations[3].from",
            "field 'conversations[3].from' has unknown role 'robot'",
        ),
        ({"conversations": [{"from": "human", "value": "a"}, {"from": "gpt", "value": 3}]}, "conversations[1].value", "field 'conversations[1].value' must be a string"),
        ({"conversations": [{"from": "human", "value": "a"}, {"from": "gpt", "value": ""}]}, "conversations[1].value", "response is empty"),
        ({"conversations": [{"from": "human", "value": "a"}]}, "conversations", "has no assistant turn"),
        ({"conversations": [{"from": "gpt", "value": "a"}]}, "conversations", "has no user turn"),
        ({"conversations": [{"value": "a"}]}, "conversations[0].from", "field 'conversations[0].from' is missing"),
        ({"conversations": [{"from": "human", "value": "a"}, {"from": "gpt", "value": "b"}], "system": 5}, "system", "field 'system' must be a string, got int"),
    ],
)
def test_sharegpt_bad_rows(tmp_path: Path, row: dict, field: str, error: str) -> None:
    good = {"conversations": [{"from": "human", "value": "x"}, {"from": "gpt", "value": "y"}]}
    p = _write_jsonl(tmp_path / "sg.jsonl", [good, row])
    ok, bad = list(read_examples(str(p)))
    assert isinstance(ok, Example)
    assert isinstance(bad, BadRow), bad
    assert (bad.line, bad.field) == (2, field)
    assert error in bad.error


@pytest.mark.parametrize(
    "messages, field, error",
    [
        # a tool result is read, but a row needs an answer or a tool call besides its request
        ([{"role": "user", "content": "a"}, {"role": "tool", "content": "b"}], "messages", "has no assistant turn"),
        ([{"role": "user", "content": "a"}, {"role": "assistant", "content": None, "tool_calls": [{"id": "1"}]},
          {"role": "tool", "content": 5}], "messages[2].content", "must be a string or a list of text parts, got int"),
        ([{"role": "user", "content": "a"}, {"role": "tool", "content": None}, {"role": "assistant", "content": "b"}],
         "messages[1].content", "field 'messages[1].content' is null"),
        ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}, {"role": "assistant", "content": "b"}], "messages[0].content[0]", "only text parts are supported"),
        ([{"role": "user", "content": "a"}, {"role": "assistant", "content": None}], "messages[1].content", "field 'messages[1].content' is null"),
        ([{"role": "user", "content": "a"}, {"role": "assistant"}], "messages[1].content", "field 'messages[1].content' is missing"),
        ([{"role": "user", "content": "a"}, "b"], "messages[1]", "must be an object, got str"),
    ],
)
def test_messages_bad_rows(tmp_path: Path, messages: list, field: str, error: str) -> None:
    p = _write_jsonl(tmp_path / "m.jsonl", [{"messages": messages}])
    (bad,) = list(read_examples(str(p)))
    assert isinstance(bad, BadRow), bad
    assert bad.field == field
    assert error in bad.error


def test_flat_shape_bad_rows(tmp_path: Path) -> None:
    p = _write_jsonl(
        tmp_path / "g.jsonl",
        [
            {"question": "q", "answer": "a"},
            {"question": "q", "answer": None},
            {"question": 4, "answer": "a"},
            {"question": " ", "answer": "a"},
        ],
    )
    rows = list(read_examples(str(p)))
    assert isinstance(rows[0], Example)
    assert [(r.field, r.error) for r in rows[1:]] == [  # type: ignore[union-attr]
        ("answer", "field 'answer' is null"),
        ("question", "field 'question' must be a string, got int"),
        ("question", "question is empty"),
    ]


def test_blank_lines_keep_line_numbers(tmp_path: Path) -> None:
    p = tmp_path / "b.jsonl"
    p.write_text('\n\n{"question": "q1", "answer": "a1"}\r\n\n{"question": "q2", "answer": "a2"}')
    rows = _examples(p)
    assert [(r.source_index, r.line) for r in rows] == [(0, 3), (1, 5)]
    assert _examples(p, start=1)[0].line == 5


def test_bom_is_ignored(tmp_path: Path) -> None:
    p = tmp_path / "bom.jsonl"
    p.write_bytes(b'\xef\xbb\xbf{"question": "q", "answer": "a"}\n')
    assert len(_examples(p)) == 1


# ---------------------------------------------------------------------------- ids


def test_ids_stable_across_reorderings(tmp_path: Path) -> None:
    rows = [{"instruction": f"q{i}", "input": "", "output": f"a{i}"} for i in range(20)]
    a = _write_jsonl(tmp_path / "a.jsonl", rows)
    shuffled = rows[:]
    random.Random(0).shuffle(shuffled)
    b = _write_jsonl(tmp_path / "b.jsonl", shuffled)
    ids_a = {r.turns[0].content: r.id for r in _examples(a)}
    ids_b = {r.turns[0].content: r.id for r in _examples(b)}
    assert ids_a == ids_b
    assert len(set(ids_a.values())) == 20
    assert all(i.startswith("h") and len(i) == 17 for i in ids_a.values())
    # same content from a JSON array or with keys in another order: same id
    c = tmp_path / "c.json"
    c.write_text(json.dumps([{"output": r["output"], "input": "", "instruction": r["instruction"]} for r in rows]))
    assert {r.turns[0].content: r.id for r in _examples(c)} == ids_a


def test_id_fields(tmp_path: Path) -> None:
    p = _write_jsonl(
        tmp_path / "ids.jsonl",
        [
            {"uid": "u-1", "question": "q", "answer": "a"},
            {"idx": 12, "question": "q", "answer": "a"},
            {"id": None, "example_id": "e-3", "question": "q", "answer": "a"},
            {"key": "k-4", "question": "q", "answer": "a"},
        ],
    )
    assert [r.id for r in _examples(p)] == ["u-1", "12", "e-3", _examples(p)[3].id]
    assert _examples(p)[3].id.startswith("h")
    forced = list(read_examples(str(p), id_field="key"))
    assert isinstance(forced[3], Example) and forced[3].id == "k-4"
    assert isinstance(forced[0], BadRow)
    assert forced[0].field == "key" and "is missing" in forced[0].error


@pytest.fixture
def hub_at(monkeypatch: pytest.MonkeyPatch):
    """Point the Hub probe at a local address (listening or not) and undo what going offline sets."""
    import datasets.config
    import huggingface_hub.constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", huggingface_hub.constants.HF_HUB_OFFLINE)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", datasets.config.HF_HUB_OFFLINE)
    with socket.socket() as listening, socket.socket() as closed:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        closed.bind(("127.0.0.1", 0))  # bound, never listening: a connect is refused

        def point(reachable: bool) -> None:
            port = (listening if reachable else closed).getsockname()[1]
            monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")

        yield point


def test_hub_loading_is_streamed_with_parsed_spec(monkeypatch: pytest.MonkeyPatch, hub_at) -> None:
    import datasets

    hub_at(reachable=True)
    calls: list[tuple] = []

    class FakeStream:
        def __init__(self, rows: list[dict]) -> None:
            self.rows = rows

        def skip(self, n: int) -> "FakeStream":
            return FakeStream(self.rows[n:])

        def __iter__(self):
            return iter(self.rows)

    def fake_load(name, config=None, *, split=None, streaming=False):
        calls.append((name, config, split, streaming))
        return FakeStream([{"question": f"q{i}", "answer": f"a{i}"} for i in range(3)])

    monkeypatch.setattr(datasets, "load_dataset", fake_load)
    assert detect_format("hf:openai/gsm8k:main") == ("hf_hub", "gsm8k")
    rows = _examples("hf:openai/gsm8k:main:test", start=1)
    assert calls[-1] == ("openai/gsm8k", "main", "test", True)
    assert [(r.source_index, r.turns[0].content) for r in rows] == [(1, "q1"), (2, "q2")]

    def failing_load(*a, **k):
        raise FileNotFoundError("Dataset 'nope/nope' doesn't exist on the Hub")

    monkeypatch.setattr(datasets, "load_dataset", failing_load)
    with pytest.raises(InputError, match=r"hf:nope/nope: cannot load .*doesn't exist.*HF_TOKEN"):
        read_examples("hf:nope/nope")


def test_an_unreachable_hub_fails_at_once_from_the_cache_only(monkeypatch: pytest.MonkeyPatch, hub_at) -> None:
    # Without a network the Hub client retries for ~25 s; a refused probe sends it to its cache
    # (offline mode) at once, and a dataset not cached gets an error that says why.
    import datasets
    import huggingface_hub.constants

    seen: list[bool] = []

    def offline_load(*a, **k):
        seen.append(huggingface_hub.constants.HF_HUB_OFFLINE)
        raise ConnectionError("Couldn't reach 'nope/nope' on the Hub (offline mode)")

    monkeypatch.setattr(datasets, "load_dataset", offline_load)
    hub_at(reachable=False)
    with pytest.raises(InputError, match=r"hf:nope/nope: cannot load .*127\.0\.0\.1:\d+ is not reachable .* no copy is in the local Hugging Face cache"):
        read_examples("hf:nope/nope")
    assert seen == [True]


# ---- hostile input ---------------------------------------------------------------------------

def test_a_line_nested_a_hundred_thousand_levels_deep_is_quarantined_not_fatal(tmp_path: Path) -> None:
    good = {"instruction": "Say hi.", "input": "", "output": "Hi."}
    p = tmp_path / "deep.jsonl"
    p.write_text(json.dumps(good) + "\n" + "[" * 100_000 + "\n" + json.dumps(good) + "\n")
    rows = list(read_examples(str(p)))
    assert [type(r).__name__ for r in rows] == ["Example", "BadRow", "Example"]
    assert rows[1].line == 2 and "nested too deeply" in rows[1].error
    deep_first = tmp_path / "deep_first.jsonl"
    deep_first.write_text("{" * 100_000 + "\n" + json.dumps(good) + "\n")
    assert [type(r).__name__ for r in read_examples(str(deep_first))] == ["BadRow", "Example"]


def test_a_deep_json_array_file_is_one_clear_error(tmp_path: Path) -> None:
    p = tmp_path / "deep.json"
    p.write_text("[" * 100_000)
    with pytest.raises(InputError, match="nested too deeply"):
        list(read_examples(str(p)))


def test_a_symlink_loop_is_reported_as_a_loop_not_a_missing_file(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.symlink_to(b)
    b.symlink_to(a)
    with pytest.raises(InputError, match="symbolic link loop"):
        detect_format(str(a))
    dangling = tmp_path / "gone.jsonl"
    dangling.symlink_to(tmp_path / "nowhere.jsonl")
    with pytest.raises(InputError, match="broken symbolic link to .*nowhere.jsonl"):
        detect_format(str(dangling))


# ---- compressed files and TRL rows ---------------------------------------------------------------

@pytest.mark.parametrize("codec", ["gzip", "zstd"])
def test_compressed_jsonl_is_read_directly(tmp_path: Path, codec: str) -> None:
    import gzip

    import pyarrow as pa

    rows = [{"instruction": f"Say {i}.", "input": "", "output": f"{i}."} for i in range(5)]
    body = ("".join(json.dumps(r) + "\n" for r in rows) + "{broken\n").encode()
    p = tmp_path / ("in.jsonl.gz" if codec == "gzip" else "in.jsonl.zst")
    if codec == "gzip":
        p.write_bytes(gzip.compress(body))
    else:
        with pa.output_stream(str(p), compression="zstd") as f:
            f.write(body)
    assert detect_format(str(p)) == ("jsonl", "alpaca") and count_rows(str(p)) == 6
    got = list(read_examples(str(p)))
    assert [e.turns[-1].content for e in got[:5]] == [r["output"] for r in rows]
    assert isinstance(got[5], BadRow) and got[5].line == 6


def test_a_file_named_gz_that_is_not_gzip_is_one_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "rows.jsonl.gz"
    junk.write_bytes(b"PK\x03\x04 not gzip at all\n" * 3)
    with pytest.raises(InputError, match=r"rows.jsonl.gz: named .gz but not gzip-compressed"):
        detect_format(str(junk))
    plain = tmp_path / "plain.jsonl.gz"  # plain JSON Lines under the suffix still reads
    plain.write_text('{"instruction": "Say hi.", "output": "Hi."}\n')
    assert [e.turns[-1].content for e in read_examples(str(plain))] == ["Hi."]


def test_trl_prompt_completion_rows_in_both_forms(tmp_path: Path) -> None:
    p = _write_jsonl(tmp_path / "trl.jsonl", [
        {"prompt": "What is 2+2?", "completion": "4"},
        {"prompt": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"}],
         "completion": [{"role": "assistant", "content": "Paris."}]},
        {"prompt": "No answer", "completion": 7},
    ])
    assert detect_format(str(p)) == ("jsonl", "prompt_completion")
    a, b, bad = read_examples(str(p))
    assert [(t.role, t.content) for t in a.turns] == [("user", "What is 2+2?"), ("assistant", "4")]
    assert _roles(b) == ["system", "user", "assistant"] and b.turns[-1].content == "Paris."
    assert isinstance(bad, BadRow) and bad.field == "completion"


def test_a_named_column_that_is_missing_is_never_replaced_by_the_default_one(tmp_path):
    """--response-field answer on rows without 'answer' must not rewrite their 'output' instead:
    missing in the first row it is a typo (one error naming the file, line and flag); missing in a
    later row, that row is quarantined."""
    from realign.errors import InputError
    from realign.io.readers import BadRow, read_examples

    typo = tmp_path / "typo.jsonl"
    typo.write_text('{"instruction": "Say hi.", "output": "Hi."}\n')
    with pytest.raises(InputError, match=r"typo.jsonl:1: column 'answer' \(given by --response-field\) is missing"):
        list(read_examples(str(typo), field_map={"output": "answer"}))
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text('{"instruction": "Say hi.", "output": "x", "answer": "Hi."}\n'
                     '{"instruction": "Say bye.", "output": "Bye."}\n')
    first, second = list(read_examples(str(mixed), field_map={"output": "answer"}))
    assert first.turns[-1].content == "Hi."
    assert isinstance(second, BadRow) and second.line == 2 and "'answer'" in second.error
