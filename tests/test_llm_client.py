"""The async LLM client against the local test server, over real HTTP."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from typing import Any

import pytest
from pydantic import SecretStr

from realign.errors import ConfigError
from realign.llm.base import request_key
from realign.llm.client import ChatResult, LLMClient, LLMError, LLMSettings, TokenBucket, fix_for_kind, parse_retry_after
from realign.testing.openai_server import Fault, FaultPlan, OpenAIServer, Reply, echo_responder

MESSAGES = [{"role": "user", "content": "What is 2 + 2?"}]
SAMPLING = {"temperature": 0.0, "top_p": 1.0, "max_tokens": 64, "seed": 7}
SECRET = "sk-secret-key-0123456789"


class MemoryCache:
    """A dict implementing the CallCache protocol."""

    def __init__(self) -> None:
        self.calls: dict[str, dict[str, Any]] = {}

    def get_call(self, key: str) -> dict[str, Any] | None:
        entry = self.calls.get(key)
        return entry["response"] if entry and entry["error"] is None else None

    def put_call(self, key: str, **fields: Any) -> None:
        fields.setdefault("error", None)
        self.calls[key] = fields


def settings(srv: OpenAIServer, **overrides: Any) -> LLMSettings:
    values: dict[str, Any] = {
        "base_url": srv.base_url,
        "api_key": SecretStr(SECRET),
        "model": "test-model",
        "timeout_s": 5.0,
        "max_attempts": 4,
        "backoff_initial_s": 0.01,
        "backoff_max_s": 0.05,
    }
    values.update(overrides)
    return LLMSettings(**values)


def run_chats(client_settings: LLMSettings, cache: MemoryCache | None, *calls: dict[str, Any]) -> list[Any]:
    """Run chat calls in order on one client; an LLMError is returned in place of a result."""

    async def go() -> list[Any]:
        async with LLMClient(client_settings, cache) as client:
            out: list[Any] = []
            for call in calls:
                try:
                    out.append(await client.chat(call.get("messages", MESSAGES), sampling=SAMPLING, **call.get("kw", {})))
                except LLMError as exc:
                    out.append(exc)
            out.append(client.stats)
            return out

    return asyncio.run(go())


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])  # the SDK's two HTTP stacks
def test_success_sends_the_request_and_caches_it(transport: str):
    cache = MemoryCache()
    with OpenAIServer(echo_responder) as srv:
        result, stats = run_chats(settings(srv, http_transport=transport), cache, {})
        assert isinstance(result, ChatResult)
        assert result.content == "ECHO: What is 2 + 2?"
        assert result.finish_reasons == ["stop"]
        assert not result.cached and result.attempts == 1 and result.latency_s > 0
        assert result.prompt_tokens == 5 and result.completion_tokens == 6
        sent = srv.requests[0]
        assert sent == {"model": "test-model", "messages": MESSAGES, "n": 1, **SAMPLING}  # sampling explicit
    assert result.key == request_key({"model": "test-model", "messages": MESSAGES, "n": 1, **SAMPLING})
    stored = cache.calls[result.key]
    assert stored["kind"] == "chat" and stored["error"] is None
    assert stored["request"] == sent
    assert stored["response"]["choices"][0]["message"]["content"] == "ECHO: What is 2 + 2?"
    assert stored["finish_reason"] == "stop" and stored["prompt_tokens"] == 5
    assert stats.requests_sent == 1 and stats.completed == 1 and stats.retries == 0
    assert stats.prompt_tokens == 5 and stats.completion_tokens == 6 and stats.in_flight == 0


def test_response_format_and_n_are_part_of_the_request_and_key():
    schema = {"type": "json_schema", "json_schema": {"name": "r", "schema": {"type": "object"}}}
    with OpenAIServer(lambda body: Reply(content=["a", "b"])) as srv:
        plain, with_format, stats = run_chats(settings(srv), MemoryCache(), {"kw": {"n": 2}},
                                              {"kw": {"n": 2, "response_format": schema}})
        assert plain.contents == ["a", "b"] and plain.key != with_format.key
        assert srv.requests[1]["response_format"] == schema and srv.requests[1]["n"] == 2
        assert "response_format" not in srv.requests[0]


def test_cache_hit_sends_nothing():
    cache = MemoryCache()
    with OpenAIServer(echo_responder) as srv:
        first, _ = run_chats(settings(srv), cache, {})
        second, stats = run_chats(settings(srv), cache, {})
        assert srv.count == 1
    assert second.cached and second.attempts == 0 and second.latency_s == 0.0
    assert second.contents == first.contents and second.key == first.key
    assert second.prompt_tokens == first.prompt_tokens
    assert stats.cache_hits == 1 and stats.requests_sent == 0


def test_cache_hit_failing_validation_is_a_miss():
    cache = MemoryCache()
    with OpenAIServer(echo_responder) as srv:
        run_chats(settings(srv), cache, {})
        cache.calls[next(iter(cache.calls))]["response"]["choices"][0]["message"]["content"] = "stale"

        def not_stale(result: ChatResult) -> None:
            if result.content == "stale":
                raise ValueError("stale")

        again, stats = run_chats(settings(srv), cache, {"kw": {"validate": not_stale}})
        assert srv.count == 2 and not again.cached and again.content.startswith("ECHO")
        assert stats.cache_hits == 0


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])  # the SDK's two HTTP stacks
def test_rate_limit_retry_after_is_honoured_then_success(transport: str):
    plan = FaultPlan(echo_responder, [Fault("rate_limit", at=[1], retry_after=0.3)])
    with OpenAIServer(plan) as srv:
        started = time.perf_counter()
        result, stats = run_chats(settings(srv, backoff_max_s=1.0, http_transport=transport), MemoryCache(), {})
        elapsed = time.perf_counter() - started
        assert srv.count == 2 and result.attempts == 2
        assert elapsed >= 0.3  # waited what the server asked, not the 0.01 s backoff
        assert stats.retries == 1


def test_retry_after_is_capped_at_backoff_max():
    plan = FaultPlan(echo_responder, [Fault("rate_limit", at=[1], retry_after=60)])
    with OpenAIServer(plan) as srv:
        started = time.perf_counter()
        result, _ = run_chats(settings(srv, backoff_max_s=0.1), None, {})
        assert result.attempts == 2 and time.perf_counter() - started < 5


def test_server_error_is_retried():
    plan = FaultPlan(echo_responder, [Fault("server_error", fraction=1.0, times=2, status=503)])
    with OpenAIServer(plan) as srv:
        result, stats = run_chats(settings(srv), None, {})
        assert result.attempts == 3 and srv.count == 3 and stats.retries == 2


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_hang_times_out_and_is_retried(transport: str):
    plan = FaultPlan(echo_responder, [Fault("hang", at=[1])])
    with OpenAIServer(plan) as srv:
        started = time.perf_counter()
        result, _ = run_chats(settings(srv, timeout_s=0.3, http_transport=transport), None, {})
        assert result.attempts == 2 and time.perf_counter() - started >= 0.3


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])  # the SDK's two HTTP stacks
def test_malformed_body_is_retried(transport: str):
    plan = FaultPlan(echo_responder, [Fault("malformed", at=[1])])
    with OpenAIServer(plan) as srv:
        result, _ = run_chats(settings(srv, http_transport=transport), None, {})
        assert result.attempts == 2 and result.content.startswith("ECHO")


def test_length_is_retried_then_fails():
    cache = MemoryCache()
    recovers = FaultPlan(echo_responder, [Fault("length", at=[1])])
    with OpenAIServer(recovers) as srv:
        result, _ = run_chats(settings(srv), None, {})
        assert result.attempts == 2 and result.finish_reasons == ["stop"]
    always = lambda body: Reply(content="cut sho", finish_reason="length")  # noqa: E731
    with OpenAIServer(always) as srv:
        error, stats = run_chats(settings(srv, max_attempts=3), cache, {})
        # the same cut-off answer twice is deterministic: no third request
        assert isinstance(error, LLMError) and error.kind == "length" and error.attempts == 2 and error.repeated
        assert srv.count == 2 and stats.errors == 1 and stats.deterministic == 1
    (entry,) = cache.calls.values()
    assert entry["response"]["choices"][0]["message"]["content"] == "cut sho" and "length" in entry["error"]


def test_invalid_output_is_retried_then_fails():
    answers = iter(["not json", '{"ok": true}'])
    with OpenAIServer(lambda body: Reply(content=next(answers))) as srv:

        def parses(result: ChatResult) -> None:
            json.loads(result.content)  # JSONDecodeError is a ValueError

        result, stats = run_chats(settings(srv), None, {"kw": {"validate": parses}})
        assert result.attempts == 2 and result.content == '{"ok": true}' and stats.retries == 1
    with OpenAIServer(lambda body: Reply(content="never json")) as srv:
        error, _ = run_chats(settings(srv, max_attempts=2), None, {"kw": {"validate": lambda r: json.loads(r.content)}})
        assert isinstance(error, LLMError) and error.kind == "invalid_output" and error.attempts == 2
        assert "never json" in error.message


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])  # the SDK's two HTTP stacks
def test_bad_request_is_not_retried(transport: str):
    cache = MemoryCache()
    with OpenAIServer(lambda body: Reply(status=400, error_message="max_tokens is too large")) as srv:
        error, stats = run_chats(settings(srv, http_transport=transport), cache, {})
        assert srv.count == 1
    assert isinstance(error, LLMError) and error.kind == "http_4xx" and error.status == 400
    assert error.attempts == 1 and "max_tokens is too large" in error.message
    assert stats.retries == 0 and stats.errors == 1
    (entry,) = cache.calls.values()
    assert entry["response"] is None and "http_4xx 400" in entry["error"]


def test_attempts_are_bounded():
    with OpenAIServer(lambda body: Reply(status=503)) as srv:
        error, stats = run_chats(settings(srv, max_attempts=3), None, {})
        assert srv.count == 3
    assert error.kind == "server_error" and error.status == 503 and error.attempts == 3
    assert stats.requests_sent == 3 and stats.retries == 2


def test_rate_limited_to_the_end():
    with OpenAIServer(lambda body: Reply(status=429, headers={"Retry-After": "0"})) as srv:
        error, _ = run_chats(settings(srv, max_attempts=2), None, {})
        assert srv.count == 2 and error.kind == "rate_limited" and error.status == 429


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])  # the SDK's two HTTP stacks
def test_connection_refused_is_retried_then_fails(transport: str):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client_settings = LLMSettings(base_url=f"http://127.0.0.1:{port}/v1", api_key=None, model="m",
                                  max_attempts=2, backoff_initial_s=0.01, timeout_s=2, http_transport=transport)
    error, stats = run_chats(client_settings, None, {})
    assert error.kind == "connection" and error.attempts == 2 and stats.requests_sent == 2


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])  # the SDK's two HTTP stacks
def test_concurrency_bound_is_respected(transport: str):
    with OpenAIServer(echo_responder, latency_s=0.05) as srv:

        async def go() -> None:
            async with LLMClient(settings(srv, concurrency=5, http_transport=transport), None) as client:
                await asyncio.gather(*(client.chat([{"role": "user", "content": f"q{i}"}], sampling=SAMPLING)
                                       for i in range(40)))

        asyncio.run(go())
        assert srv.count == 40
        assert srv.max_in_flight == 5


def test_api_key_is_sent_but_never_stored():
    cache = MemoryCache()
    plan = FaultPlan(echo_responder, [Fault("bad_request", at=[2])])
    with OpenAIServer(plan, api_key=SECRET) as srv:
        results = run_chats(settings(srv), cache, {}, {"messages": [{"role": "user", "content": "other"}]})
        assert srv.request_headers[0]["authorization"] == f"Bearer {SECRET}"
    assert isinstance(results[0], ChatResult) and isinstance(results[1], LLMError)
    stored = json.dumps(cache.calls, default=str)
    assert SECRET not in stored and "secret-key" not in stored
    assert SECRET not in repr(settings(srv)) and SECRET not in str(results[1])


def test_masked_key_echoed_by_the_server_is_scrubbed():
    message = "Incorrect API key provided: sk-secr************6789. You can find your key..."
    with OpenAIServer(lambda body: Reply(status=401, error_message=message)) as srv:
        error, _ = run_chats(settings(srv), None, {})
    assert error.kind == "http_4xx" and "sk-secr*" not in str(error) and "sk-***" in str(error)


def test_sampling_may_not_override_request_fields():
    async def go() -> None:
        async with LLMClient(LLMSettings(base_url="http://127.0.0.1:9/v1", model="m"), None) as client:
            await client.chat(MESSAGES, sampling={"model": "other"})

    with pytest.raises(ValueError, match="model"):
        asyncio.run(go())


def check(client_settings: LLMSettings) -> list[str]:
    async def go() -> list[str]:
        async with LLMClient(client_settings, None) as client:
            return await client.check_endpoint()

    return asyncio.run(go())


def test_check_endpoint_ok_lists_models():
    with OpenAIServer(model="served") as srv:
        assert check(settings(srv)) == ["served"]


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])  # the SDK's two HTTP stacks
def test_check_endpoint_unreachable_names_url_and_fix(transport: str):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    with pytest.raises(ConfigError) as info:
        check(LLMSettings(base_url=url, api_key=None, model="m", http_transport=transport))
    message = str(info.value)
    assert url in message and "vllm serve" in message and "OPENAI_BASE_URL" in message and "--base-url" in message


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])  # the SDK's two HTTP stacks
def test_check_endpoint_of_a_busy_server_goes_on_with_a_note(transport: str):
    """llama-cpp-python on a CPU answers one request at a time, GET /models included: while it wrote
    another client's answer, `realign rewrite` said 'cannot reach the LLM server ... Start one' and
    exited. A server that takes the connection and is slow to answer is there: the run goes on (each
    request has --timeout and its retries) after a note that says so."""
    with socket.socket() as sock:  # accepts connections (the kernel's backlog) and never answers
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
        notes: list[str] = []

        async def go() -> list[str]:
            cfg = LLMSettings(base_url=url, api_key=None, model="m", http_transport=transport, timeout_s=1.0)
            async with LLMClient(cfg, None, on_notice=notes.append) as client:
                return await client.check_endpoint()

        assert asyncio.run(go()) == []
    assert len(notes) == 1 and url in notes[0] and "busy" in notes[0] and "--timeout" in notes[0]


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])  # the SDK's two HTTP stacks
def test_check_endpoint_bad_key(transport: str):
    with OpenAIServer(api_key="sk-the-right-one") as srv:
        with pytest.raises(ConfigError, match="invalid") as info:
            check(settings(srv, http_transport=transport))
        assert "OPENAI_API_KEY" in str(info.value) and SECRET not in str(info.value)
        with pytest.raises(ConfigError, match="no API key"):
            check(settings(srv, api_key=None))


def test_check_endpoint_wrong_path():
    with OpenAIServer() as srv:
        with pytest.raises(ConfigError, match="/v1"):
            check(settings(srv, base_url=srv.base_url[: -len("/v1")] + "/wrong"))


def test_parse_retry_after_forms():
    assert parse_retry_after({"retry-after": "2.5"}) == 2.5
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    assert parse_retry_after({}) is None and parse_retry_after({"retry-after": "soon"}) is None
    future = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert 25 < parse_retry_after({"retry-after": future}) <= 30


def test_requests_per_minute_limit_spaces_requests():
    with OpenAIServer(echo_responder) as srv:

        async def go() -> float:
            async with LLMClient(settings(srv, requests_per_minute=600), None) as client:  # 10/s
                started = time.perf_counter()
                await asyncio.gather(*(client.chat([{"role": "user", "content": f"q{i}"}], sampling=SAMPLING)
                                       for i in range(14)))
                return time.perf_counter() - started

        elapsed = asyncio.run(go())
        assert srv.count == 14 and elapsed >= 0.35  # a burst of one second's worth, then one per 0.1 s


def test_token_bucket_debt_is_paid_back():
    async def go() -> float:
        bucket = TokenBucket(per_minute=60_000)  # 1000 tokens/s, holds at most 1000
        await bucket.acquire(1300)  # let through, 300 in debt
        started = time.perf_counter()
        await bucket.acquire(1)
        return time.perf_counter() - started

    assert asyncio.run(go()) >= 0.29


def test_tokens_per_minute_estimate_is_corrected_with_usage():
    with OpenAIServer(echo_responder) as srv:

        async def go() -> tuple[float, float, int]:
            async with LLMClient(settings(srv, tokens_per_minute=600), None) as client:  # 10/s, holds 10
                result = await client.chat(MESSAGES, sampling=SAMPLING)
                bucket = client._tpm
                assert bucket is not None
                bucket._refill()
                return bucket.level, bucket.capacity, result.prompt_tokens + result.completion_tokens

        level, capacity, used = asyncio.run(go())
        # whatever the estimate was, the bucket ends up charged with the tokens actually used
        assert capacity - used - 0.1 <= level <= capacity - used + 1.0


def test_allow_truncated_accepts_a_cut_off_answer_without_retrying() -> None:
    import asyncio

    from realign.llm.client import LLMClient, LLMSettings
    from realign.testing.openai_server import OpenAIServer, Reply

    with OpenAIServer(lambda body: Reply(content="The answer is 4", finish_reason="length")) as srv:
        async def go() -> tuple[str, str]:
            client = LLMClient(LLMSettings(base_url=srv.base_url, api_key=None, model="m", backoff_initial_s=0.01))
            try:
                r = await client.chat([{"role": "user", "content": "2+2?"}], sampling={"temperature": 0},
                                      allow_truncated=True)
                return r.content, r.finish_reasons[0]
            finally:
                await client.aclose()

        assert asyncio.run(go()) == ("The answer is 4", "length")
        assert srv.count == 1


def test_a_deterministic_cut_off_is_not_sent_again_in_a_later_session(tmp_path):
    """Nothing paid twice: a request cut off at max_tokens with the same text twice is answered
    from the store on the next run (still as a cut-off); raising max_tokens asks the server anew."""
    from realign.store import Store

    db = tmp_path / "cut.duckdb"
    always = lambda body: Reply(content="cut sho", finish_reason="length")  # noqa: E731
    with OpenAIServer(always) as srv:
        with Store(db) as st:
            first, _ = run_chats(settings(srv, max_attempts=3), st, {})
        assert isinstance(first, LLMError) and first.kind == "length" and srv.count == 2
        with Store(db) as st:
            again, stats = run_chats(settings(srv, max_attempts=3), st, {})
        assert isinstance(again, LLMError) and again.kind == "length" and again.repeated
        assert again.contents == ["cut sho"] and "raise --max-tokens" in again.message
        assert srv.count == 2 and stats.cache_hits == 1  # nothing was sent

    async def longer(client_settings: LLMSettings, cache: Store) -> ChatResult:
        async with LLMClient(client_settings, cache) as client:
            return await client.chat(MESSAGES, sampling={**SAMPLING, "max_tokens": 256})

    with OpenAIServer(echo_responder) as srv:
        with Store(db) as st:
            result = asyncio.run(longer(settings(srv), st))
        assert srv.count == 1 and result.content.startswith("ECHO")


def test_the_same_answer_rejected_twice_is_not_sent_again_in_a_later_session_unless_now_accepted(tmp_path):
    """SmolLM2 at temperature 0 answered the same unusable object twice for each of 12 rows; the
    rerun sent all 24 requests again for the same two answers. Like a deterministic cut-off, the
    rerun now answers such a request from the store (still rejected, nothing sent); a validator
    that accepts the stored answer now (the code changed) takes it as a cached answer."""
    from realign.store import Store

    db = tmp_path / "rej.duckdb"

    def reject(result: ChatResult) -> None:
        if result.content == "placeholder":
            raise ValueError("answer copied the prompt's placeholder")

    always = lambda body: Reply(content="placeholder")  # noqa: E731
    with OpenAIServer(always) as srv:
        with Store(db) as st:
            first, _ = run_chats(settings(srv, max_attempts=3), st, {"kw": {"validate": reject}})
        assert isinstance(first, LLMError) and first.kind == "invalid_output" and srv.count == 2
        with Store(db) as st:
            again, stats = run_chats(settings(srv, max_attempts=3), st, {"kw": {"validate": reject}})
        assert isinstance(again, LLMError) and again.kind == "invalid_output" and again.repeated
        assert again.contents == ["placeholder"] and "not sent again" in again.message
        assert srv.count == 2 and stats.cache_hits == 1  # nothing was sent
        with Store(db) as st:
            accepted, stats = run_chats(settings(srv, max_attempts=3), st, {"kw": {"validate": lambda r: None}})
        assert isinstance(accepted, ChatResult) and accepted.content == "placeholder" and srv.count == 2


def test_the_first_timeout_is_announced_once_with_the_timeout_and_the_fix():
    plan = FaultPlan(echo_responder, [Fault("hang", at=[1, 2], times=2)])
    notices: list[str] = []

    async def go() -> Any:
        async with LLMClient(settings(srv, timeout_s=0.3), None, on_notice=notices.append) as client:
            return await client.chat(MESSAGES, sampling=SAMPLING)

    with OpenAIServer(plan) as srv:
        result = asyncio.run(go())
    assert result.attempts == 3  # two timeouts, both retried
    assert len(notices) == 1
    assert "--timeout 0.3 s" in notices[0] and "raise --timeout or lower --concurrency" in notices[0]


def test_a_timeout_at_concurrency_1_advises_max_tokens_not_a_lower_concurrency():
    """Seen with SmolLM2 on llama-cpp-python at the README's --concurrency 1: an answer looping to
    --max-tokens outlasts --timeout; "lower --concurrency" cannot be followed there."""
    plan = FaultPlan(echo_responder, [Fault("hang", at=[1, 2], times=2)])
    notices: list[str] = []

    async def go() -> Any:
        async with LLMClient(settings(srv, timeout_s=0.3, concurrency=1), None, on_notice=notices.append) as client:
            return await client.chat(MESSAGES, sampling=SAMPLING)

    with OpenAIServer(plan) as srv:
        result = asyncio.run(go())
    assert result.attempts == 3 and len(notices) == 1
    assert "raise --timeout or lower --max-tokens" in notices[0] and "--concurrency is 1" in notices[0]
    assert "lower --concurrency" not in fix_for_kind("timeout", srv.base_url, concurrency=1)
    assert "--max-tokens" in fix_for_kind("timeout", srv.base_url, concurrency=1)
    assert "lower --concurrency" in fix_for_kind("timeout", srv.base_url, concurrency=8)


def test_a_server_that_ignores_n_is_announced_once_naming_the_shortfall():
    """llama-cpp-python answers one choice whatever `n` asks (seen with --n 2 on SmolLM2): the
    user is told once that each request gives fewer candidates than --n, not left to believe it."""
    notices: list[str] = []

    async def go() -> list[ChatResult]:
        async with LLMClient(settings(srv), None, on_notice=notices.append) as client:
            return [await client.chat([{"role": "user", "content": q}], sampling=SAMPLING, n=2) for q in ("a", "b")]

    with OpenAIServer(lambda body: Reply(content=["only one"])) as srv:
        results = asyncio.run(go())
    assert [len(r.contents) for r in results] == [1, 1]
    assert len(notices) == 1
    assert "1 choice where --n asked for 2" in notices[0] and srv.base_url in notices[0]


def test_a_call_cancelled_as_the_probe_lock_is_granted_stops_and_sends_nothing():
    """--max-cost stops a run by cancelling rows; a row waiting for the first answer (the probe)
    that is cancelled in the very step the lock comes free must stop, not go on to send (before
    Python 3.12 `wait_for` swallowed such a cancel, and the row's next request cancelled the
    finishing run again: a CancelledError traceback)."""

    async def go(srv: OpenAIServer) -> tuple[bool, int]:
        async with LLMClient(settings(srv), None) as client:
            probe = asyncio.create_task(client.chat(MESSAGES, sampling=SAMPLING))
            for _ in range(5):
                await asyncio.sleep(0)  # the probe holds the lock, its request is in flight
            waiting = asyncio.create_task(client.chat([{"role": "user", "content": "Another"}], sampling=SAMPLING))
            # the probe's task ends in the step that frees the lock: cancel the waiter right then
            probe.add_done_callback(lambda _: waiting.cancel())
            await probe
            try:
                await waiting
            except asyncio.CancelledError:
                pass
            after = await client.chat([{"role": "user", "content": "Third"}], sampling=SAMPLING)
            assert after.content  # the lock was not left held
            return waiting.cancelled(), srv.count

    with OpenAIServer(echo_responder, latency_s=0.2) as srv:
        cancelled, sent = asyncio.run(go(srv))
    assert cancelled and sent == 2  # the probe and the third call; the cancelled one sent nothing


@pytest.mark.parametrize("with_cache", [True, False])
def test_identical_requests_in_flight_at_once_are_sent_once(with_cache: bool) -> None:
    # Found on BBQ rows as messages: two rows share their opening turn (the same context
    # under two questions), so their classification and first rewrite requests are the same,
    # and sent at the same time both were paid for (80 of 400 rewrite requests in 200 rows).
    async def go(srv: OpenAIServer) -> tuple[list[ChatResult], Any]:
        async with LLMClient(settings(srv, concurrency=16), MemoryCache() if with_cache else None) as client:
            await client.chat([{"role": "user", "content": "warm up"}], sampling=SAMPLING)
            same = [client.chat(MESSAGES, sampling=SAMPLING) for _ in range(6)]
            other = [client.chat([{"role": "user", "content": f"row {i}"}], sampling=SAMPLING) for i in range(3)]
            return list(await asyncio.gather(*same, *other)), client.stats

    with OpenAIServer(latency_s=0.3) as srv:
        results, stats = asyncio.run(go(srv))
        assert srv.count == 1 + 1 + 3
    assert len({r.content for r in results[:6]}) == 1 and all(r.content for r in results)
    assert sum(not r.cached for r in results[:6]) == 1  # the others waited for its answer
    assert stats.cache_hits == 5


def test_a_request_whose_twin_in_flight_failed_is_sent_on_its_own() -> None:
    failing = FaultPlan(echo_responder, [Fault("bad_request", at=[2])])

    async def go(srv: OpenAIServer) -> list[Any]:
        async with LLMClient(settings(srv), None) as client:
            await client.chat([{"role": "user", "content": "warm up"}], sampling=SAMPLING)
            calls = [client.chat(MESSAGES, sampling=SAMPLING) for _ in range(2)]
            return list(await asyncio.gather(*calls, return_exceptions=True))

    with OpenAIServer(failing, latency_s=0.2) as srv:
        first, second = asyncio.run(go(srv))
        assert srv.count == 3
    assert isinstance(first, LLMError) and first.kind == "http_4xx"
    assert isinstance(second, ChatResult) and second.content and not second.cached


# ---- prompts longer than the model's context -------------------------------------------------

LONG = [{"role": "user", "content": "tell me about this: " + "word " * 400}]


@pytest.mark.parametrize("dialect", ["vllm", "llama_cpp", "openai"])  # each server's wording of the 400
def test_a_prompt_over_the_context_is_too_long_not_retried_and_never_stops_the_run(dialect: str):
    with OpenAIServer(echo_responder, dialect=dialect, context_chars=1000) as srv:
        *errors, stats = run_chats(settings(srv), MemoryCache(), *[{"messages": LONG}] * 25, {})
        assert srv.count == 26 and srv.too_long == 25  # one request each: no retry, and no stop
    assert all(isinstance(e, LLMError) and e.kind == "too_long" and e.status == 400 and e.settled
               for e in errors[:25])
    assert "context" in errors[0].message and isinstance(errors[25], ChatResult)
    assert stats.retries == 0 and stats.too_long == 25
    assert "--max-prompt-chars" in fix_for_kind("too_long", srv.base_url)


def test_other_400s_are_not_taken_for_a_long_prompt():
    with OpenAIServer(lambda body: Reply(status=400, error_message="max_tokens must be at least 1")) as srv:
        error, _ = run_chats(settings(srv), None, {})
    assert error.kind == "http_4xx" and not error.settled


def test_a_too_long_prompt_is_answered_by_the_cache_at_the_same_endpoint_and_asked_at_another(tmp_path):
    """The refusal is stored with the request key and the endpoint: the same command sends it
    no more; a server with a longer context (another --base-url) is asked."""
    from realign.store import Store

    db = tmp_path / "long.duckdb"
    with OpenAIServer(echo_responder, dialect="vllm", context_chars=1000) as short:
        with Store(db) as st:
            first, _ = run_chats(settings(short), st, {"messages": LONG})
        with Store(db) as st:
            again, stats = run_chats(settings(short), st, {"messages": LONG})
        assert short.count == 1 and stats.cache_hits == 1 and stats.requests_sent == 0
    assert first.kind == again.kind == "too_long" and "maximum context length" in again.message
    with OpenAIServer(echo_responder, dialect="vllm") as wide:
        with Store(db) as st:
            answered, _ = run_chats(settings(wide), st, {"messages": LONG})
        assert wide.count == 1 and isinstance(answered, ChatResult)


def test_max_prompt_chars_holds_a_long_prompt_back_without_a_request():
    with OpenAIServer(echo_responder) as srv:
        held, short, stats = run_chats(settings(srv, max_prompt_chars=500), None, {"messages": LONG}, {})
        assert srv.count == 1  # only the short one
    assert held.kind == "too_long" and "--max-prompt-chars 500" in held.message and held.key
    assert isinstance(short, ChatResult) and stats.too_long == 1 and stats.requests_sent == 1
