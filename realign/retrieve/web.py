"""Shared machinery of the web search adapters: key from the environment, cache, retries.

An adapter (serper.py, brave.py, tavily.py) only says how to make its HTTP request and how to
read its JSON answer. Everything else is here:

- The API key comes from the adapter's environment variable (or is passed in); a missing key is
  a ConfigError naming the variable. The key goes into a request header only: never into the
  cache, the logs or an error message.
- Each search is keyed with `request_key({"provider", "query", "k"})`. With a cache, a stored
  answer is parsed again and no request is sent; a fresh answer is stored as received (the raw
  JSON, so a better parser later needs no new calls).
- Timeouts, connection errors, HTTP 429 and 5xx are retried with exponential backoff and jitter
  (tenacity), `max_attempts` tries in all. Other failures (4xx, a body that is not JSON) are not
  retried. A search that still fails is recorded in the cache with its error (the cache never
  serves it, so a later run tries again), logged as a warning on the "realign.retrieve" logger,
  and returns [] : a failed search never stops a run.
"""

from __future__ import annotations

import html
import logging
import os
import re
import time
from typing import Any, ClassVar, Mapping

import httpx2 as httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential, wait_random

from realign.errors import ConfigError
from realign.llm.base import CallCache, request_key
from realign.records import Evidence
from realign.retrieve.base import Retriever

log = logging.getLogger("realign.retrieve")

_TAG = re.compile(r"<[^>]+>")


def clean_snippet(text: Any) -> str:
    """Snippet text without HTML tags / entities and with whitespace collapsed ('' if not a str)."""
    if not isinstance(text, str):
        return ""
    return " ".join(html.unescape(_TAG.sub("", text)).split())


class SearchError(Exception):
    """A search that failed; `retryable` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class WebSearch(Retriever):
    """Base class of the adapters. Subclasses set the class variables and implement
    `http_request` and `parse`."""

    provider: ClassVar[str]  # "serper", "brave" ...: Evidence.source and the cache's kind suffix
    env_var: ClassVar[str]  # where the API key is read from
    default_base_url: ClassVar[str]
    max_k: ClassVar[int] = 20  # most results the API returns per request

    def __init__(
        self,
        api_key: str,
        *,
        cache: CallCache | None = None,
        base_url: str | None = None,  # e.g. a test server; default: the provider's
        timeout: float = 15.0,  # seconds per attempt
        max_attempts: int = 4,  # tries in all, for retryable failures
        backoff_initial: float = 1.0,  # seconds before the first retry; doubles each time
        backoff_max: float = 20.0,  # longest wait between tries
        client: httpx.AsyncClient | None = None,  # shared client; default: one per search
    ) -> None:
        if not api_key:
            raise ConfigError(f"{self.provider} web search needs an API key: set {self.env_var}")
        self.name = self.provider
        self._api_key = api_key
        self.cache = cache
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.timeout = timeout
        self.max_attempts = max(1, max_attempts)
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self._client = client

    def __repr__(self) -> str:  # never show the key
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **kwargs: Any) -> WebSearch:
        """An adapter with its key from `env` (default os.environ); ConfigError if it is unset."""
        env = os.environ if env is None else env
        key = env.get(cls.env_var, "").strip()
        if not key:
            raise ConfigError(
                f"web search provider '{cls.provider}' is configured but {cls.env_var} is not set; "
                f"export {cls.env_var}=<your key> or choose another retriever"
            )
        return cls(key, **kwargs)

    # --- what a subclass provides ------------------------------------------------------------

    def http_request(self, query: str, k: int) -> dict[str, Any]:
        """Keyword arguments for httpx's `request` (method, url, headers, params / json)."""
        raise NotImplementedError

    def parse(self, data: dict[str, Any], k: int) -> list[Evidence]:
        """Evidence from the provider's JSON answer, best first, at most k, ranks from 1."""
        raise NotImplementedError

    # --- the shared part ---------------------------------------------------------------------

    def canonical_request(self, query: str, k: int) -> dict[str, Any]:
        """What identifies a search in the cache (never the key, never the endpoint)."""
        return {"provider": self.provider, "query": query, "k": k}

    async def search(self, query: str, k: int) -> list[Evidence]:
        query = " ".join(query.split())
        if not query or k <= 0:
            return []
        request = self.canonical_request(query, k)
        key = request_key(request)
        kind = f"search:{self.provider}"
        if self.cache is not None:
            cached = self.cache.get_call(key)
            if cached is not None:
                return self.parse(cached, k)
        started = time.perf_counter()
        try:
            data = await self._fetch_with_retries(query, k)
        except SearchError as e:
            latency = time.perf_counter() - started
            log.warning("%s search failed, continuing without web evidence: %s", self.provider, e)
            if self.cache is not None:
                self.cache.put_call(key, kind=kind, request=request, response=None,
                                    latency_s=latency, error=str(e))
            return []
        latency = time.perf_counter() - started
        if self.cache is not None:
            self.cache.put_call(key, kind=kind, request=request, response=data, latency_s=latency)
        return self.parse(data, k)

    async def _fetch_with_retries(self, query: str, k: int) -> dict[str, Any]:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts),
            # backoff_initial * 2**n (capped) plus up to backoff_initial of jitter
            wait=wait_exponential(multiplier=self.backoff_initial, max=self.backoff_max)
            + wait_random(0, self.backoff_initial),
            retry=retry_if_exception(lambda e: isinstance(e, SearchError) and e.retryable),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._fetch_once(query, k)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _fetch_once(self, query: str, k: int) -> dict[str, Any]:
        req = self.http_request(query, min(k, self.max_k))
        url = req["url"]
        try:
            if self._client is not None:
                resp = await self._client.request(timeout=self.timeout, **req)
            else:
                async with httpx.AsyncClient(timeout=self.timeout) as client:
                    resp = await client.request(**req)
        except httpx.TimeoutException:
            raise SearchError(f"no answer from {url} within {self.timeout:g} s", retryable=True) from None
        except httpx.TransportError as e:
            raise SearchError(f"cannot reach {url}: {type(e).__name__}: {e}", retryable=True) from None
        if resp.status_code != 200:
            retryable = resp.status_code == 429 or resp.status_code >= 500
            hint = f" (check {self.env_var})" if resp.status_code in (401, 403) else ""
            raise SearchError(f"HTTP {resp.status_code} from {url}{hint}", retryable=retryable)
        try:
            data = resp.json()
        except ValueError:
            raise SearchError(f"{url} answered with something that is not JSON", retryable=False) from None
        if not isinstance(data, dict):
            raise SearchError(f"{url} answered with JSON that is not an object", retryable=False)
        return data


def evidence_list(items: list[tuple[str, str, str]], source: str, k: int) -> list[Evidence]:
    """Evidence from (title, url, text) triples, skipping empty texts, ranks from 1, at most k."""
    out: list[Evidence] = []
    for title, url, text in items:
        if not text or len(out) >= k:
            continue
        out.append(Evidence(rank=len(out) + 1, source=source, doc_id=url or f"{source}:{len(out) + 1}",
                            title=title, text=text, url=url or None))
    return out
