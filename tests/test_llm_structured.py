"""The structured-output ladder, deterministic errors and the run-stopping watch, against the
test server speaking each server dialect over real HTTP."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from realign.llm.client import FailureWatch, LLMClient, LLMError, LLMSettings, RunStopped
from realign.llm.structured import loads_lenient, names_format
from realign.testing.openai_server import OpenAIServer, Reply

SCHEMA = {
    "type": "json_schema",
    "json_schema": {"name": "t", "strict": True, "schema": {
        "type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": False}},
}
SAMPLING = {"temperature": 0.0, "max_tokens": 32, "seed": 0}


def answer(body: dict[str, Any]) -> Reply:
    return Reply(content='{"a": "ok"}')


def run(srv: OpenAIServer, calls: int = 1, cache: Any = None, **overrides: Any) -> tuple[list[Any], LLMClient, list[str]]:
    notices: list[str] = []
    values: dict[str, Any] = {"base_url": srv.base_url, "model": "test-model", "max_attempts": 4,
                              "backoff_initial_s": 0.0, "backoff_max_s": 0.0, "concurrency": 8, **overrides}

    async def go() -> tuple[list[Any], LLMClient]:
        client = LLMClient(LLMSettings(**values), cache, on_notice=notices.append)
        async def one(i: int) -> Any:
            try:
                return await client.chat([{"role": "user", "content": f"q{i}"}], sampling=SAMPLING,
                                         response_format=SCHEMA)
            except (LLMError, RunStopped) as exc:
                return exc
        try:
            return list(await asyncio.gather(*(one(i) for i in range(calls)))), client
        finally:
            await client.aclose()

    out, client = asyncio.run(go())
    return out, client, notices


@pytest.mark.parametrize("dialect, mode, requests", [
    ("openai", "json_schema", 1),
    ("vllm", "json_schema", 1),
    ("llama_cpp", "json_object", 2),  # its 500 on json_schema names the format
    ("vllm_legacy", "json_object", 2),
    ("text_only", "off", 4),  # every constraint refused: the prompt alone asks for JSON
])
def test_each_dialect_is_answered_after_at_most_one_refusal_per_rung(dialect: str, mode: str, requests: int):
    with OpenAIServer(answer, dialect=dialect) as srv:
        (result,), client, notices = run(srv)
        sent = srv.requests
    assert result.content == '{"a": "ok"}' and result.attempts == 1
    assert client.structured_mode == mode and len(sent) == requests
    assert client.stats.format_fallbacks == requests - 1 and len(notices) == requests - 1
    assert all("--structured-output" in n for n in notices)


def test_the_dialect_is_learned_once_for_concurrent_calls():
    with OpenAIServer(answer, dialect="llama_cpp") as srv:
        results, client, notices = run(srv, calls=30)
        sent = srv.requests
    assert all(not isinstance(r, Exception) for r in results)
    assert client.stats.format_fallbacks == 1 and len(notices) == 1
    # the first call goes alone until the server has answered: one refusal, then json_object only
    assert len(sent) == 31
    assert sent[-1]["response_format"] == {"type": "json_object", "schema": SCHEMA["json_schema"]["schema"]}


def test_vllm_form_sends_both_guided_spellings_and_no_response_format():
    with OpenAIServer(answer, dialect="vllm") as srv:
        run(srv, structured_output="vllm")
        (body,) = srv.requests
    schema = SCHEMA["json_schema"]["schema"]
    assert "response_format" not in body
    assert body["structured_outputs"] == {"json": schema} and body["guided_json"] == schema


def test_off_sends_no_constraint():
    with OpenAIServer(answer, dialect="text_only") as srv:
        (result,), client, _ = run(srv, structured_output="off")
        assert srv.count == 1 and "response_format" not in srv.requests[0]
    assert result.content == '{"a": "ok"}'


def test_a_forced_form_is_not_stepped_down_and_a_repeated_500_is_not_retried():
    with OpenAIServer(answer, dialect="llama_cpp") as srv:
        (error,), client, notices = run(srv, structured_output="json_schema")
        assert srv.count == 2  # the identical 500 came back: no third, fourth attempt
    assert isinstance(error, LLMError) and error.status == 500 and error.repeated
    assert "the same answer each time" in str(error) and not notices


class MemoryCache:
    def __init__(self) -> None:
        self.calls: dict[str, Any] = {}

    def get_call(self, key: str) -> Any:
        entry = self.calls.get(key)
        return entry["response"] if entry and entry.get("error") is None else None

    def put_call(self, key: str, **fields: Any) -> None:
        self.calls[key] = fields


def test_the_request_key_does_not_depend_on_the_dialect():
    cache = MemoryCache()
    with OpenAIServer(answer, dialect="llama_cpp") as srv:
        (first,), _, _ = run(srv, cache=cache)
    with OpenAIServer(answer, dialect="openai") as srv:
        (second,), _, _ = run(srv, cache=cache)
        assert srv.count == 0
    assert second.cached and second.key == first.key
    # what was stored is what was sent: the json_object form
    assert cache.calls[first.key]["request"]["response_format"]["type"] == "json_object"


def test_a_server_rejecting_everything_the_same_way_stops_within_50_requests():
    reject = lambda body: Reply(status=400, error_message="model 'x' does not support chat")  # noqa: E731
    with OpenAIServer(reject) as srv:
        results, client, _ = run(srv, calls=200, concurrency=64)
        sent = srv.count
    stops = [r for r in results if isinstance(r, RunStopped)]
    assert stops and sent <= 50
    line = str(stops[0])
    assert "\n" not in line and "20 of the last" in line and "does not support chat" in line
    assert "rerun the same command to resume" in line


def test_scattered_failures_do_not_stop_the_run():
    watch = FailureWatch()
    err = LLMError("server_error", "boom", status=500)
    assert not any(watch.record(err if i % 5 == 0 else None) for i in range(500))  # 10 in any 50


def test_rejected_answers_need_a_clear_majority_to_stop():
    watch = FailureWatch()
    bad = LLMError("invalid_output", "answer is not JSON -- answer began: 'x1'")
    assert not any(watch.record(bad if i % 2 else None) for i in range(200))  # 25 in any 50
    assert any(watch.record(bad) for _ in range(50))


def test_error_signatures_ignore_numbers_and_the_quoted_answer():
    a = LLMError("http_4xx", "context is 2150 tokens, limit 2048", status=400)
    b = LLMError("http_4xx", "context is 3001 tokens, limit 2048", status=400)
    c = LLMError("invalid_output", "not JSON -- answer began: 'a'")
    d = LLMError("invalid_output", "not JSON -- answer began: 'b'")
    assert a.signature == b.signature and c.signature == d.signature and a.signature != c.signature


@pytest.mark.parametrize("status, message, expected", [
    (500, "Input should be 'text' or 'json_object'", True),
    (400, "Invalid schema for response_format 'rewrite'", True),
    (400, "Unrecognized request argument supplied: structured_outputs", True),
    (429, "response_format rate limit", False),
    (400, "max_tokens is too large", False),
    (None, "json_schema", False),
])
def test_names_format(status: int | None, message: str, expected: bool):
    assert names_format(status, message) is expected


@pytest.mark.parametrize("text, expected", [
    ('{"a": "line one\nline two"}', {"a": "line one\nline two"}),  # raw newline inside a string
    ('Sure!\n```json\n{"a": "x"}\n```\nDone.', {"a": "x"}),
    ('Here it is: {"a": "x"} hope that helps', {"a": "x"}),
    ("no json here", None),
])
def test_loads_lenient(text: str, expected: Any):
    assert loads_lenient(text) == expected
    assert json.dumps(expected)  # sanity: every expected value is JSON


def test_the_learned_dialect_is_remembered_per_endpoint_and_model(tmp_path):
    """A later session against the same endpoint and model starts at the form learned before (no
    refused request); another model on it starts at the top again; a fixed choice overrides."""
    from realign.store import Store

    db = tmp_path / "d.duckdb"
    with OpenAIServer(answer, dialect="text_only") as srv:
        with Store(db) as st:
            (first,), _, _ = run(srv, cache=st)
        assert not isinstance(first, Exception) and srv.count == 4
        with Store(db) as st:
            (again,), client, notices = run(srv, calls=1, cache=st, model="test-model-2")
        assert srv.count == 8  # another model: learned anew
        # another prompt, so the cache does not answer it
        with Store(db) as st:
            client_settings = LLMSettings(base_url=srv.base_url, model="test-model", max_attempts=4,
                                          backoff_initial_s=0.0, backoff_max_s=0.0)
            seen: list[str] = []

            async def go() -> Any:
                async with LLMClient(client_settings, st, on_notice=seen.append) as c:
                    return await c.chat([{"role": "user", "content": "fresh"}], sampling=SAMPLING,
                                        response_format=SCHEMA), c.structured_mode

            result, mode = asyncio.run(go())
        assert srv.count == 9 and mode == "off" and result.content == '{"a": "ok"}'
        assert len(seen) == 1 and "learned in an earlier run" in seen[0]
        with Store(db) as st:
            _, client, notices = run(srv, cache=st, structured_output="json_schema")
        assert client.structured_mode == "json_schema" and notices == []
