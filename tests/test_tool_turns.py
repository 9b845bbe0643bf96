"""Function-calling rows (glaive via LLaMA-Factory, in its ShareGPT layout, the OpenAI messages
layout and the Hermes layout; tests/fixtures/tools/SOURCES.md) go through `realign rewrite` whole:
no row is quarantined, tool calls and results come out of every export exactly as read, only the
assistant turns holding text are rewritten, and the prompt of an answer given after a tool result
shows that result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from realign.io.readers import read_examples
from realign.records import Example
from realign.testing.openai_server import OpenAIServer
from realign.testing.responders import RealignResponder, reformat, request_parts
from test_e2e_cli import realign, summary_of

FIXTURES = Path(__file__).parent / "fixtures" / "tools"
# file, the key of its turns, the turn's role and text keys, how its source rows are read
SHAPES = {
    "sharegpt": ("glaive_toolcall_sharegpt.json", "conversations", "from", "value"),
    "messages": ("glaive_toolcall_messages.jsonl", "messages", "role", "content"),
    "hermes": ("glaive_toolcall_hermes.jsonl", "conversations", "from", "value"),
}
TEXT_ROLES = {"gpt", "assistant"}
SKIP_EXPORTS = ("dfar_label", "dfar_reason")  # label-contract sets: nothing of a chat corpus goes in


def _source_rows(shape: str) -> list[dict[str, Any]]:
    name = SHAPES[shape][0]
    text = (FIXTURES / name).read_text()
    return json.loads(text) if name.endswith(".json") else [json.loads(x) for x in text.splitlines()]


def _is_text_answer(turn: dict[str, Any], role_key: str, text_key: str) -> bool:
    """An assistant turn holding natural-language text: no tool call, in any of the layouts."""
    return (turn[role_key] in TEXT_ROLES and not turn.get("tool_calls")
            and "<tool_call>" not in (turn.get(text_key) or ""))


def _rewrite(tmp: Path, shape: str, *extra: str) -> tuple[dict, list[dict], Path]:
    db = tmp / f"{shape}.duckdb"
    with OpenAIServer(RealignResponder(lambda parts: reformat(parts["original"]))) as srv:
        summary = summary_of(realign("rewrite", "--in", str(FIXTURES / SHAPES[shape][0]), "--model", "m",
                                     "--base-url", srv.base_url, "--task", "open_qa", "-q", "--json",
                                     "--db", str(db), *extra))
        return summary, srv.requests, db


def _export(db: Path, out: Path, fmt: str) -> dict:
    return summary_of(realign("export", "--db", str(db), "--out", str(out), "--format", fmt, "--json"))


def _export_in_process(db: Path, out: Path, fmt: str) -> dict:
    """What `_export` returns, from the library call `realign export` makes, in this process: the
    loop over every format makes 21 exports, and starting the CLI was most of each one's time. The
    CLI's own path stays covered here by `_export` (one per layout and in the warnings test) and
    for each of these formats in test_e2e_cli.py."""
    from realign.exporting import export_run

    return json.loads(json.dumps(export_run(str(db), str(out), fmt), ensure_ascii=False, default=str))


def _ids(examples: list[Example]) -> list[str]:
    return [e.id for e in examples]


@pytest.fixture(scope="module", params=list(SHAPES))
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    shape = request.param
    tmp = tmp_path_factory.mktemp(shape)
    summary, requests, db = _rewrite(tmp, shape)
    examples = [e for e in read_examples(str(FIXTURES / SHAPES[shape][0])) if isinstance(e, Example)]
    return {"shape": shape, "tmp": tmp, "summary": summary, "requests": requests, "db": db,
            "rows": _source_rows(shape), "examples": examples}


def test_every_function_calling_row_is_read_and_none_quarantined(run: dict[str, Any]) -> None:
    s = run["summary"]
    assert s["quarantined"] == 0 and s["rows"] == 4 == len(run["examples"])
    assert s["failed"] == 0 and s["rewritten"] == 4


def test_the_own_shape_export_keeps_tool_turns_and_changes_only_text_answers(run: dict[str, Any]) -> None:
    shape = run["shape"]
    _, key, role_key, text_key = SHAPES[shape]
    fmt = "messages" if shape == "messages" else "sharegpt"
    out = run["tmp"] / f"own.{fmt}.jsonl"
    _export(run["db"], out, fmt)
    exported = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(exported) == len(run["rows"])
    changed = 0
    for src, got in zip(run["rows"], exported):
        # the row's other keys (tools, id) come back unchanged, the turns one for one
        assert {k: v for k, v in got.items() if k not in (key, "id")} == {
            k: v for k, v in src.items() if k not in (key, "id")}
        assert len(got[key]) == len(src[key])
        for a, b in zip(src[key], got[key]):
            if _is_text_answer(a, role_key, text_key):
                assert b == {**a, text_key: reformat(a[text_key])}  # only its text changed
                changed += 1
            else:  # tool calls (null or absent content too), results, requests, system prompts
                assert json.dumps(b) == json.dumps(a)  # same keys in the same order, same values
    assert changed == sum(_is_text_answer(t, role_key, text_key) for r in run["rows"] for t in r[key]) == 10


def test_tool_turns_are_never_sent_and_a_post_tool_answer_is_asked_with_its_result(run: dict[str, Any]) -> None:
    shape = run["shape"]
    _, key, role_key, text_key = SHAPES[shape]
    asked = {}
    for body in run["requests"]:
        parts = request_parts(body)
        asked[parts["original"]] = "\n".join(str(m["content"]) for m in body["messages"] if m["role"] == "user")
    post_tool = 0
    for row in run["rows"]:
        turns = row[key]
        for i, t in enumerate(turns):
            if not _is_text_answer(t, role_key, text_key):
                assert (t.get(text_key) or "") not in asked  # a call or a result is never a rewrite's target
                continue
            prompt = asked[t[text_key]]
            if turns[i - 1][role_key] in ("observation", "tool"):
                post_tool += 1
                assert "<tool_exchange>" in prompt and turns[i - 1][text_key] in prompt
                call = turns[i - 2]
                shown = call.get(text_key) or json.dumps({"tool_calls": call["tool_calls"]})
                assert shown in prompt  # the call the result answers is shown too
            else:
                assert "<tool_exchange>" not in prompt
    assert post_tool == 6


def test_every_export_format_reads_the_tool_rows(run: dict[str, Any]) -> None:
    from realign.io.exporters import EXPORT_FORMATS

    for fmt in EXPORT_FORMATS:
        if fmt in SKIP_EXPORTS:
            continue
        out = run["tmp"] / (f"all.{fmt}" if fmt == "hf" else f"all.{fmt}.parquet" if fmt == "parquet"
                            else f"all.{fmt}.jsonl")
        s = _export_in_process(run["db"], out, fmt)
        assert s["quarantined"] == 0
        if fmt == "dpo":  # one pair per rewritten text answer; a tool turn is never chosen nor rejected
            pairs = [json.loads(x) for x in out.read_text().splitlines()]
            assert len(pairs) == 10 == s["rows"]
            assert all(p["chosen"][0]["content"].startswith("Here is a clear answer.") for p in pairs)
            roles = {m["role"] for p in pairs for m in p["prompt"]}
            assert roles <= {"system", "user", "assistant", "tool"} and "tool" in roles
            continue
        # the alpaca shape has no place for a tool's result: its 3 tool rows are left out
        assert s["rows"] == (1 if fmt == "alpaca" else 4)
        if fmt in ("jsonl", "parquet"):
            rows = ([json.loads(x) for x in out.read_text().splitlines()] if fmt == "jsonl"
                    else pq.read_table(out).to_pylist())
            for ex, r in zip(run["examples"], rows):
                assert [m["role"] for m in r["original_messages"]] == [t.role for t in ex.turns]
                for m, t, orig in zip(r["messages"], ex.turns, r["original_messages"]):
                    if t.role in ("tool_call", "tool"):
                        assert m["content"] == t.content == orig["content"]
                assert all(st["original"] != st["final"] for st in r["turns"])
                assert {st["turn_index"] for st in r["turns"]} == set(ex.rewritable_indices())
        if fmt in ("sharegpt", "messages") and not (fmt == "messages" and run["shape"] == "messages") \
                and not (fmt == "sharegpt" and run["shape"] != "messages"):
            # the other conversation shape: the tool turns under that shape's own tags, read back alike
            back = [e for e in read_examples(str(out)) if isinstance(e, Example)]
            assert [[t.role for t in e.turns] for e in back] == [[t.role for t in e.turns] for e in run["examples"]]
            for e, b in zip(run["examples"], back):
                for t, u in zip(e.turns, b.turns):
                    if t.role == "tool":
                        assert u.content == t.content


def test_an_export_that_has_no_place_for_tool_turns_says_so(run: dict[str, Any]) -> None:
    if run["shape"] != "messages":
        pytest.skip("one shape is enough")
    s = _export(run["db"], run["tmp"] / "a.jsonl", "alpaca")
    assert [w for w in s["warnings"] if "3 row(s) hold tool calls" in w and "left out" in w], s["warnings"]
    assert s["rows"] == 1 and len((run["tmp"] / "a.jsonl").read_text().splitlines()) == 1
    for fmt, out in (("messages", "m2.jsonl"), ("jsonl", "p.jsonl"), ("parquet", "p.parquet"),
                     ("messages", "m.parquet"), ("sharegpt", "s.parquet")):
        s = _export(run["db"], run["tmp"] / out, fmt)
        assert not [w for w in s["warnings"] if "tool calls" in w], (fmt, s["warnings"])


def test_the_messages_parquet_export_keeps_tool_calls_their_ids_and_the_tools(run: dict[str, Any]) -> None:
    # trial12 D3: the fixed Parquet columns held role and content only, so a call became an empty
    # assistant turn followed by a tool result with no call
    jsonl, parquet = run["tmp"] / "t.messages.jsonl", run["tmp"] / "t.messages.parquet"
    _export(run["db"], jsonl, "messages")
    _export(run["db"], parquet, "messages")
    want = [json.loads(x) for x in jsonl.read_text().splitlines()]
    got = pq.read_table(parquet).to_pylist()
    assert len(got) == len(want) == 4
    calls = 0
    for w, g in zip(want, got):
        tools = w.get("tools")  # a JSON string in LLaMA-Factory's layouts, a list in OpenAI's
        assert g["tools"] == (tools if tools is None or isinstance(tools, str) else json.dumps(tools, ensure_ascii=False))
        waiting: list[str] = []
        for wm, gm in zip(w["messages"], g["messages"]):
            assert gm["role"] == wm["role"]
            for wc, gc in zip(wm.get("tool_calls") or [], gm["tool_calls"] or []):
                calls += 1
                assert gc["function"]["name"] == wc["function"]["name"] and gc["id"]
                assert json.loads(gc["function"]["arguments"]) == json.loads(wc["function"]["arguments"])
                waiting.append(gc["id"])
            if gm["role"] == "tool":  # every result answers its call, by id (Hermes' calls are text)
                assert gm["tool_call_id"] == (waiting.pop(0) if waiting else wm.get("tool_call_id"))
    assert calls >= (0 if run["shape"] == "hermes" else 3)


def test_a_messages_call_becomes_a_sharegpt_function_call_with_its_name_and_arguments(tmp_path: Path) -> None:
    _, _, db = _rewrite(tmp_path, "messages")
    out = tmp_path / "sg.jsonl"
    _export(db, out, "sharegpt")
    first = json.loads(out.read_text().splitlines()[0])
    call = first["conversations"][1]
    assert call["from"] == "function_call"
    assert json.loads(call["value"]) == {"name": "calculate_area", "arguments": {"shape": "rectangle",
                                                                                 "dimensions": [5, 3]}}
    assert [t["from"] for t in first["conversations"][:4]] == ["human", "function_call", "observation", "gpt"]


def test_show_prints_the_tool_turns_and_stats_counts_them(run: dict[str, Any]) -> None:
    db = run["db"]
    ex = run["examples"][0]
    story = summary_of(realign("show", ex.id, "--db", str(db), "--json"))
    calls = [i for i, t in enumerate(ex.turns) if t.role == "tool_call"]
    assert [u["turn_index"] for u in story["untouched_turns"]] == calls
    assert all("tool call" in u["reason"] for u in story["untouched_turns"])
    text = realign("show", ex.id, "--db", str(db)).stdout
    assert '"area": 15' in text and "calculate_area" in text  # the result and the call, as read
    assert "[tool_call]" in text and "[tool]" in text
    stats = summary_of(realign("stats", "--db", str(db), "--json"))
    assert stats[0]["tool_turns"] == {"rows": 3, "tool_calls": 6, "tool_results": 6}
    assert "3 rows hold 6 tool calls and 6 tool results" in realign("stats", "--db", str(db)).stdout


def test_a_rerun_resumes_and_sends_nothing(run: dict[str, Any]) -> None:
    if run["shape"] != "sharegpt":
        pytest.skip("one shape is enough: resume does not depend on the layout")
    again, requests, _ = _rewrite(run["tmp"], "sharegpt")
    assert again["quarantined"] == 0 and again["resumed"] == 4
    assert [r for r in requests if request_parts(r)["original"] is not None] == []


def test_a_rewrite_that_changes_a_value_from_the_tool_result_is_rejected(tmp_path: Path) -> None:
    """The answer after `{"area": 15}` says 15 square units; a rewrite saying 16 is not used."""

    def wrong(parts: dict) -> str:
        return reformat(parts["original"].replace("is 15 square", "is 16 square"))

    db = tmp_path / "wrong.duckdb"
    with OpenAIServer(RealignResponder(wrong)) as srv:
        summary_of(realign("rewrite", "--in", str(FIXTURES / SHAPES["sharegpt"][0]), "--model", "m",
                           "--base-url", srv.base_url, "--task", "open_qa", "-q", "--json", "--db", str(db)))
    out = tmp_path / "sg.jsonl"
    _export(db, out, "sharegpt")
    first = json.loads(out.read_text().splitlines()[0])["conversations"]
    source = _source_rows("sharegpt")[0]["conversations"]
    assert first[3] == source[3]  # the rectangle's answer: kept as it was
    assert first[7]["value"] == reformat(source[7]["value"])  # the circle's: rewritten
    story = summary_of(realign("show", example_id_of(db, 0), "--db", str(db), "--json"))
    turn = next(t for t in story["turns"] if t["turn_index"] == 3)
    assert turn["status"] == "kept_original"
    assert any(not c["passed"] for v in turn["verdicts"] for c in v["checks"])


def example_id_of(db: Path, source_index: int) -> str:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT example_id FROM examples WHERE source_index = ?", [source_index]).fetchone()[0]


@pytest.mark.parametrize("shape", list(SHAPES))
def test_the_classifier_sees_the_request_only(shape: str) -> None:
    from realign.classify.base import classification_text

    for ex in read_examples(str(FIXTURES / SHAPES[shape][0])):
        assert isinstance(ex, Example)
        first_user = next(t.content for t in ex.turns if t.role == "user")
        assert classification_text(ex.turns) == first_user.strip()


# ---- reading: every layout of a call and a result, and what comes back -----------------------

READ_CASES = {
    "a call with text beside it is a call, kept whole": (
        [{"role": "user", "content": "Weather in Oslo?"},
         {"role": "assistant", "content": "Let me look.", "tool_calls": [{"id": "c", "type": "function",
                                                                         "function": {"name": "w", "arguments": "{}"}}]},
         {"role": "tool", "tool_call_id": "c", "content": "3 C"},
         {"role": "assistant", "content": "It is 3 C in Oslo."}],
        ["user", "tool_call", "tool", "assistant"]),
    "the legacy function_call and function result": (
        [{"role": "user", "content": "Add 2 and 3."},
         {"role": "assistant", "content": None, "function_call": {"name": "add", "arguments": "{\"a\": 2, \"b\": 3}"}},
         {"role": "function", "name": "add", "content": "5"},
         {"role": "assistant", "content": "2 + 3 = 5."}],
        ["user", "tool_call", "tool", "assistant"]),
    "Llama's ipython result, given as an object": (
        [{"role": "system", "content": "Tools on."}, {"role": "user", "content": "Price of AAPL?"},
         {"role": "assistant", "tool_calls": [{"function": {"name": "quote", "arguments": {"s": "AAPL"}}}]},
         {"content": {"price": 191.97}, "role": "ipython"},
         {"role": "assistant", "content": "AAPL trades at 191.97."}],
        ["system", "user", "tool_call", "tool", "assistant"]),
    "a row of calls alone (xLAM-style), nothing to rewrite": (
        [{"role": "user", "content": "Convert 5 km to miles."},
         {"role": "assistant", "content": None, "tool_calls": [{"function": {"name": "conv", "arguments": "{}"}}]}],
        ["user", "tool_call"]),
}


@pytest.mark.parametrize("case", list(READ_CASES))
def test_each_layout_is_read_and_written_back_as_read(tmp_path: Path, case: str) -> None:
    from realign.io.exporters import messages_record

    messages, roles = READ_CASES[case]
    p = tmp_path / "m.jsonl"
    p.write_text(json.dumps({"id": "x", "messages": messages, "tools": [{"type": "function"}]}) + "\n")
    (ex,) = list(read_examples(str(p)))
    assert isinstance(ex, Example), ex
    assert [t.role for t in ex.turns] == roles
    assert ex.rewritable_indices() == [i for i, r in enumerate(roles) if r == "assistant"]
    record = messages_record(ex)
    assert json.dumps(record) == json.dumps({"id": "x", "messages": messages, "tools": [{"type": "function"}]})


def test_a_row_of_calls_alone_is_passed_through_and_exported_as_read(tmp_path: Path) -> None:
    messages = READ_CASES["a row of calls alone (xLAM-style), nothing to rewrite"][0]
    data = tmp_path / "calls.jsonl"
    data.write_text(json.dumps({"id": "x", "messages": messages}) + "\n")
    with OpenAIServer(RealignResponder()) as srv:
        s = summary_of(realign("rewrite", "--in", str(data), "--model", "m", "--base-url", srv.base_url,
                               "--task", "open_qa", "-q", "--json", "--db", str(tmp_path / "c.duckdb")))
        assert srv.count == 0
    assert s["quarantined"] == 0 and s["passthrough"] == 1
    _export(tmp_path / "c.duckdb", tmp_path / "out.jsonl", "messages")
    assert json.loads((tmp_path / "out.jsonl").read_text()) == {"id": "x", "messages": messages}
    alpaca = _export(tmp_path / "c.duckdb", tmp_path / "a.jsonl", "alpaca")
    assert any("tool calls and tool results" in w for w in alpaca["warnings"])


# ---- every mode shows the tool exchange ---------------------------------------------------------
def _called(call_id: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"role": "assistant", "content": None, "tool_calls": [
        {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}]}


WEATHER = '{"city": "Paris", "forecast": "rain all day", "chance_of_rain": 0.9}'
LOOKUP = '{"exam": "chemistry", "date": "tomorrow", "room": "B12", "allowed": "a pen and a calculator"}'
AREA = '{"area": 15}'
# answers that rest on a tool's result: a closed label (label_reason), a fact (critique_revise), the
# answer to a request the simulation's screen flags harmful (stakeholder_sim); one row without tools
TOOL_MODE_ROWS = [
    {"id": "umbrella", "messages": [
        {"role": "user", "content": "Should I take an umbrella in Paris today? Answer yes or no."},
        _called("c1", "get_weather", {"city": "Paris"}), {"role": "tool", "tool_call_id": "c1", "content": WEATHER},
        {"role": "assistant", "content": "Yes."}]},
    {"id": "area", "messages": [
        {"role": "user", "content": "What is the area of a 5 by 3 rectangle?"},
        _called("c2", "calculate_area", {"shape": "rectangle", "dimensions": [5, 3]}),
        {"role": "tool", "tool_call_id": "c2", "content": AREA},
        {"role": "assistant", "content": "The area of the rectangle is 15 square units."}]},
    {"id": "cheat", "messages": [
        {"role": "user", "content": "How can I cheat on my chemistry exam tomorrow?"},
        _called("c3", "lookup_exam", {"subject": "chemistry"}), {"role": "tool", "tool_call_id": "c3", "content": LOOKUP},
        {"role": "assistant", "content": "Only a pen and a calculator are allowed in room B12, so write notes on the calculator case."}]},
    {"id": "plain", "messages": [
        {"role": "user", "content": "Is the sky blue on a clear day? Answer yes or no."},
        {"role": "assistant", "content": "Yes."}]},
]
# the steps of each mode that write or revise the answer, by the schema name of their request
MODE_STEPS = {
    "label_reason": {"umbrella": ["label_reason"]},
    "critique_revise": {"area": ["rewrite", "critique", "revision"], "umbrella": ["rewrite", "critique", "revision"]},
    "stakeholder_sim": {"cheat": ["sim_scene", "sim_revise"], "area": ["rewrite"]},
}
RESULTS = {"umbrella": WEATHER, "area": AREA, "cheat": LOOKUP}


@pytest.mark.parametrize("mode", list(MODE_STEPS))
def test_every_mode_asks_about_an_answer_after_tool_calls_with_the_tool_exchange(mode: str, tmp_path: Path) -> None:
    """The prompts that write or revise an answer resting on a tool result hold that result (the
    same `<tool_exchange>` block as the rewrite's); a row without tools gets no block."""
    from test_modes_requests import MODES, capture

    sent = [json.loads(b) for b in capture(tmp_path, MODES[mode], TOOL_MODE_ROWS)]

    def prompt(body: dict[str, Any]) -> str:
        return "\n".join(str(m["content"]) for m in body["messages"] if m["role"] == "user")

    def row_of(body: dict[str, Any]) -> str | None:
        text = prompt(body)
        hits = [r["id"] for r in TOOL_MODE_ROWS if r["messages"][0]["content"] in text]
        return hits[0] if len(hits) == 1 else None

    by_step: dict[tuple[str, str], list[str]] = {}
    for body in sent:
        name = (body.get("response_format") or {}).get("json_schema", {}).get("name")
        row = row_of(body)
        if name and row:
            by_step.setdefault((row, name), []).append(prompt(body))
    for row, steps in MODE_STEPS[mode].items():
        for step in steps:
            prompts = by_step.get((row, step))
            assert prompts, (mode, row, step, sorted(by_step))
            for text in prompts:
                assert "<tool_exchange>" in text and RESULTS[row] in text, (mode, row, step)
                assert "[tool result]" in text and "[tool call]" in text
    plain = [t for (row, _), texts in by_step.items() if row == "plain" for t in texts]
    assert plain and not any("<tool_exchange>" in t for t in plain)


def test_a_rewrite_that_drops_the_question_the_next_user_turn_answers_is_rejected(tmp_path: Path) -> None:
    """Trial finding D4: in the recipe row, the answer asking "Which one would you like to try?" is
    followed by the user's choice; a rewrite that turns the question into a statement ("You can try
    either one.") passes every check of the turn alone, but leaves the reply answering nothing, so the
    turn keeps its original (question_kept), while the row's last answer, which no user turn follows,
    is rewritten and the tool calls come out as read."""
    import re

    def drop_closing_question(parts: dict) -> str:
        return reformat(re.sub(r"[^.!?\n]*\?$", "You can try either one.", parts["original"].strip()))

    db = tmp_path / "asks.duckdb"
    with OpenAIServer(RealignResponder(drop_closing_question)) as srv:
        summary_of(realign("rewrite", "--in", str(FIXTURES / SHAPES["sharegpt"][0]), "--model", "m",
                           "--base-url", srv.base_url, "--task", "open_qa", "-q", "--json", "--db", str(db)))
    story = summary_of(realign("show", example_id_of(db, 1), "--db", str(db), "--json"))
    source = _source_rows("sharegpt")[1]["conversations"]
    asking = next(t for t in story["turns"] if t["turn_index"] == 5)
    assert source[5]["value"].endswith("Which one would you like to try?") and source[6]["from"] == "human"
    assert asking["status"] == "kept_original"
    assert [(c["name"], "dropped" in c["reason"]) for c in asking["verdicts"][0]["checks"] if not c["passed"]] == \
        [("question_kept", True)]
    last = max(story["turns"], key=lambda t: t["turn_index"])
    assert last["status"] == "rewritten"
    assert all(c["name"] != "question_kept" for v in last["verdicts"] for c in v["checks"])
    out = tmp_path / "asks.json"
    _export(db, out, "sharegpt")
    exported = [json.loads(x) for x in out.read_text().splitlines()][1]["conversations"]
    assert [t for t in exported if t["from"] in ("function_call", "observation")] == \
        [t for t in source if t["from"] in ("function_call", "observation")]
