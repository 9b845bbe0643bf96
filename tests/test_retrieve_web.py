"""Web search adapters against a fake search API on 127.0.0.1 (real HTTP)."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from realign.errors import ConfigError
from realign.llm.base import request_key
from realign.retrieve import build_retriever
from realign.retrieve.brave import BraveSearch
from realign.retrieve.serper import SerperSearch
from realign.retrieve.tavily import TavilySearch

FAST = {"backoff_initial": 0.01, "backoff_max": 0.02, "timeout": 2.0}


class DictCache:
    """A CallCache in a dict, recording every put."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.puts: list[dict[str, Any]] = []

    def get_call(self, key: str) -> dict[str, Any] | None:
        row = self.rows.get(key)
        return row["response"] if row and row["error"] is None else None

    def put_call(self, key: str, *, kind: str, request: dict[str, Any], response: dict[str, Any] | None,
                 finish_reason: str | None = None, prompt_tokens: int | None = None,
                 completion_tokens: int | None = None, latency_s: float | None = None,
                 error: str | None = None) -> None:
        row = {"key": key, "kind": kind, "request": request, "response": response, "error": error}
        self.rows[key] = row
        self.puts.append(row)


class FakeSearchAPI:
    """Answers each request with the next scripted action: (status, body) or ("sleep", seconds)."""

    def __init__(self) -> None:
        self.script: deque = deque()
        self.default: tuple[int, Any] = (200, {})
        self.requests: list[dict[str, Any]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                api.requests.append({
                    "method": self.command, "path": parts.path, "query": parse_qs(parts.query),
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "json": json.loads(body) if body else None,
                })
                action = api.script.popleft() if api.script else api.default
                if action[0] == "sleep":
                    time.sleep(action[1])
                    action = (200, {})
                status, payload = action
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def api():
    server = FakeSearchAPI()
    yield server
    server.close()


SERPER_ANSWER = {
    "searchParameters": {"q": "boiling point of water"},
    "answerBox": {"title": "Boiling point", "answer": "100 °C at sea level", "link": "https://example.org/boil"},
    "knowledgeGraph": {"title": "Water", "description": "Water is an inorganic compound.",
                       "descriptionLink": "https://en.wikipedia.org/wiki/Water"},
    "organic": [
        {"title": "Water - Wikipedia", "link": "https://en.wikipedia.org/wiki/Water", "snippet": "Water boils at 100 °C."},
        {"title": "Boiling", "link": "https://example.com/boiling", "snippet": "Boiling is the rapid vaporization &amp; more."},
        {"title": "No snippet", "link": "https://example.com/empty"},
    ],
}

BRAVE_ANSWER = {
    "type": "search",
    "web": {"results": [
        {"title": "Python <strong>asyncio</strong>", "url": "https://docs.python.org/3/library/asyncio.html",
         "description": "<strong>asyncio</strong> is a library to write concurrent code."},
        {"title": "Real Python", "url": "https://realpython.com/async-io-python/", "description": "A walkthrough."},
    ]},
}


def run(coro):
    return asyncio.run(coro)


def test_serper_parses_answer_box_graph_and_organic(api):
    api.script.append((200, SERPER_ANSWER))
    cache = DictCache()
    s = SerperSearch("sk-test-123", cache=cache, base_url=api.url, **FAST)
    ev = run(s.search("boiling point of water", 4))
    assert [e.rank for e in ev] == [1, 2, 3, 4]
    assert ev[0].text == "100 °C at sea level" and ev[0].url == "https://example.org/boil"
    assert ev[1].title == "Water" and ev[1].text == "Water is an inorganic compound."
    assert ev[2].doc_id == "https://en.wikipedia.org/wiki/Water" and ev[2].source == "serper"
    assert ev[3].text == "Boiling is the rapid vaporization & more."
    req = api.requests[0]
    assert req["method"] == "POST" and req["path"] == "/search"
    assert req["headers"]["x-api-key"] == "sk-test-123"
    assert req["json"] == {"q": "boiling point of water", "num": 4}
    # stored raw, keyed on the canonical request, without the key
    (row,) = cache.puts
    assert row["kind"] == "search:serper" and row["error"] is None
    assert row["request"] == {"provider": "serper", "query": "boiling point of water", "k": 4}
    assert row["key"] == request_key(row["request"])
    assert "sk-test-123" not in json.dumps(row)


def test_brave_parses_and_strips_markup(api):
    api.script.append((200, BRAVE_ANSWER))
    b = BraveSearch("brave-key", base_url=api.url, **FAST)
    ev = run(b.search("python asyncio", 5))
    assert [(e.rank, e.title) for e in ev] == [(1, "Python asyncio"), (2, "Real Python")]
    assert ev[0].text == "asyncio is a library to write concurrent code."
    assert ev[0].url == ev[0].doc_id == "https://docs.python.org/3/library/asyncio.html"
    req = api.requests[0]
    assert req["method"] == "GET" and req["path"] == "/res/v1/web/search"
    assert req["query"] == {"q": ["python asyncio"], "count": ["5"]}
    assert req["headers"]["x-subscription-token"] == "brave-key"


def test_tavily_parses(api):
    api.script.append((200, {"results": [{"title": "T", "url": "https://t.example/a", "content": "c", "score": 0.7}]}))
    t = TavilySearch("tv-key", base_url=api.url, **FAST)
    ev = run(t.search("q", 3))
    assert ev[0].text == "c" and ev[0].score == 0.7
    assert api.requests[0]["headers"]["authorization"] == "Bearer tv-key"
    assert api.requests[0]["json"]["max_results"] == 3


@pytest.mark.parametrize("cls,answer", [(SerperSearch, SERPER_ANSWER), (BraveSearch, BRAVE_ANSWER)])
def test_cache_hit_sends_nothing(api, cls, answer):
    api.script.append((200, answer))
    cache = DictCache()
    first = run(cls("k", cache=cache, base_url=api.url, **FAST).search("some query", 3))
    assert len(api.requests) == 1
    again = run(cls("another-key", cache=cache, base_url=api.url, **FAST).search("some  query ", 3))
    assert len(api.requests) == 1  # answered from the cache, whitespace-normalised, key not in the cache key
    assert again == first


@pytest.mark.parametrize("cls", [SerperSearch, BraveSearch])
def test_server_error_retried_then_recorded_and_empty(api, cls, caplog):
    api.default = (500, {"error": "boom"})
    cache = DictCache()
    s = cls("k", cache=cache, base_url=api.url, max_attempts=3, **FAST)
    with caplog.at_level(logging.WARNING, logger="realign.retrieve"):
        assert run(s.search("q", 3)) == []
    assert len(api.requests) == 3
    (row,) = cache.puts
    assert row["response"] is None and "HTTP 500" in row["error"]
    assert cache.get_call(row["key"]) is None  # failures are not served from the cache ...
    assert any("search failed" in r.message for r in caplog.records)
    api.default = (200, BRAVE_ANSWER if cls is BraveSearch else SERPER_ANSWER)
    assert run(s.search("q", 3))  # ... so the next run tries again
    assert len(api.requests) == 4


def test_error_then_success_is_retried(api):
    api.script.extend([(503, {}), (429, {}), (200, SERPER_ANSWER)])
    s = SerperSearch("k", base_url=api.url, max_attempts=4, **FAST)
    assert len(run(s.search("q", 2))) == 2
    assert len(api.requests) == 3


def test_client_error_is_not_retried(api):
    api.default = (401, {"message": "bad key"})
    cache = DictCache()
    s = BraveSearch("k", cache=cache, base_url=api.url, max_attempts=4, **FAST)
    assert run(s.search("q", 3)) == []
    assert len(api.requests) == 1
    assert "HTTP 401" in cache.puts[0]["error"] and "BRAVE_API_KEY" in cache.puts[0]["error"]


def test_timeout_is_not_fatal(api):
    api.script.extend([("sleep", 1.0), ("sleep", 1.0)])
    cache = DictCache()
    s = SerperSearch("k", cache=cache, base_url=api.url, max_attempts=2,
                     backoff_initial=0.01, backoff_max=0.02, timeout=0.2)
    started = time.perf_counter()
    assert run(s.search("q", 3)) == []
    assert time.perf_counter() - started < 1.5
    assert len(api.requests) == 2
    assert "within 0.2 s" in cache.puts[0]["error"]


def test_unreachable_server_is_not_fatal():
    s = BraveSearch("k", base_url="http://127.0.0.1:9", max_attempts=2, **FAST)  # discard port: refused
    assert run(s.search("q", 3)) == []


def test_non_json_answer_is_recorded(api):
    api.script.append((200, b"<html>oops</html>"))
    cache = DictCache()
    assert run(SerperSearch("k", cache=cache, base_url=api.url, **FAST).search("q", 3)) == []
    assert "not JSON" in cache.puts[0]["error"] and len(api.requests) == 1


@pytest.mark.parametrize("kind,var", [("serper", "SERPER_API_KEY"), ("brave", "BRAVE_API_KEY"),
                                      ("tavily", "TAVILY_API_KEY")])
def test_missing_key_names_the_variable(kind, var):
    with pytest.raises(ConfigError, match=var):
        build_retriever(kind, env={})


def test_factory_reads_key_from_env_and_hides_it(api):
    api.script.append((200, BRAVE_ANSWER))
    r = build_retriever("brave", env={"BRAVE_API_KEY": "from-env"}, base_url=api.url, **FAST)
    assert r.name == "brave" and "from-env" not in repr(r)
    run(r.search("q", 1))
    assert api.requests[0]["headers"]["x-subscription-token"] == "from-env"


def test_factory_rejects_unknown_kind_and_local_without_dir():
    with pytest.raises(ConfigError, match="unknown retriever 'bing'"):
        build_retriever("bing")
    with pytest.raises(ConfigError, match="index directory"):
        build_retriever("local")


def test_empty_query_sends_nothing(api):
    assert run(SerperSearch("k", base_url=api.url, **FAST).search("   ", 3)) == []
    assert api.requests == []
