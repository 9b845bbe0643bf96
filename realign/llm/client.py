"""The async chat client: request key, cache, bounded concurrency, rate limits, retries, usage.

One `LLMClient` per run and per event loop. Every chat request goes through `LLMClient.chat`:

1. the request (model, messages, n, every sampling parameter, response format) is serialised
   once, canonically; its SHA-256 is the request key (`realign.llm.base.request_key`);
2. a cached answer for that key is returned without sending anything;
3. otherwise the request is sent through ``openai.AsyncOpenAI`` (whose own retries are off),
   under the in-flight cap and the optional requests/tokens-per-minute buckets, and retried with
   backoff and jitter (`LLMClient._retrying`): 429, 5xx, timeouts, connection errors,
   malformed bodies, ``finish_reason="length"`` and answers the caller's `validate` rejects
   are retried; other 4xx are not, and neither is
   an error (or a rejected answer) identical to the one before: that is deterministic;
   a prompt longer than the model's context (the server's 400 says so in its own words:
   `too_long_error`) is not retried either, and a prompt over `max_prompt_chars`, or over
   `max_prompt_tokens` as the server counts them (`realign.llm.tokens`), is not sent;
4. a ``json_schema`` response format is sent in the dialect this server takes
   (`realign.llm.structured`): an error that names the format steps down the ladder once for
   the whole client, announced through `on_notice` and counted in `stats.format_fallbacks`;
5. the final outcome, success or failure, is recorded in the cache (never the API key), a
   failure with the request and the last answer the server gave; a failure the same request
   meets every time (a prompt too long for the endpoint's model, the same cut-off or the same
   rejected answer twice) is *settled*: the cache answers it from then on, nothing is sent;
6. when one failure dominates (`FailureWatch`), every later call raises `RunStopped`: one line
   naming the cause and the fix, instead of thousands of failed rows.

The in-flight cap of an endpoint starts small and doubles while answers come quickly, up to
`concurrency` per endpoint, and is cut for a server that queues requests past the timeout
(`realign.llm.flow.AdaptiveCap`, with the per-minute buckets).

With several endpoints (`base_urls`), each has its own cap, and each request goes to the healthy
endpoint with the fewest slots taken that has room (`realign.llm.flow.EndpointSlots`); an endpoint whose last `endpoint_failures` requests all failed (connection,
timeout, 5xx) is left out for `endpoint_cooldown_s`, and a retry goes elsewhere. The cache, the
usage ledger, the failure watch and the structured-output dialect stay one per client: the
endpoints are assumed to serve the same model with the same server software.

HTTP goes through the SDK's own aiohttp client (``openai[aiohttp]``, DefaultAioHttpClient):
measured in benchmarks/llm_client.py it is the fastest of the SDK's well-kept stacks here;
``http_transport = "httpx"`` selects the SDK's default httpx2 client instead.

Example::

    settings = LLMSettings(base_url="http://localhost:8000/v1", api_key=None, model="Qwen/Qwen3-8B")
    client = LLMClient(settings, cache=store)
    await client.check_endpoint()
    result = await client.chat(
        [{"role": "user", "content": "Say hi"}],
        sampling={"temperature": 0.0, "top_p": 1.0, "max_tokens": 64, "seed": 0},
    )
    print(result.content, result.cached, client.stats.requests_sent)
    await client.aclose()
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import json
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import httpx2
import openai
from pydantic import BaseModel, Field, SecretStr

from realign.errors import ConfigError, RealignError
from realign.llm.base import CallCache
from realign.llm.flow import GROW_WITHIN, AdaptiveCap, EndpointCapStats, EndpointSlots, InFlightLimit, TokenBucket
from realign.llm.prices import SpendGate
from realign.llm.structured import LADDER, Mode, dialect_request, names_format, schema_of
from realign.llm.tokens import PromptTokens, chars_for_tokens, server_root

__all__ = ["LLMSettings", "ChatResult", "LLMError", "LLMStats", "LLMClient", "TokenBucket", "parse_retry_after",
           "FailureWatch", "RunStopped", "InFlightLimit", "too_long_error", "prompt_chars", "over_prompt_limit",
           "too_long_record", "refused_before", "counted_before"]

PLACEHOLDER_API_KEY = "EMPTY"  # vLLM and most local servers accept any key
_RESERVED = frozenset({"model", "messages", "n", "response_format", "stream"})
_JSON_HEADERS = {"Content-Type": "application/json"}
# json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False), with one encoder
# for every call: the canonical request, whose SHA-256 is the key and which is the body sent.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class LLMSettings(BaseModel):
    """Where and how to reach the model."""

    base_url: str  # e.g. "http://localhost:8000/v1" (vLLM) or "https://api.openai.com/v1"
    # Further endpoints serving the same model (several vLLM servers): each request goes to the
    # endpoint with the fewest requests outstanding; `concurrency` x endpoints are in flight at most.
    base_urls: list[str] = Field(default_factory=list)
    endpoint_failures: int = Field(3, ge=1)  # consecutive failures that take an endpoint out ...
    endpoint_cooldown_s: float = Field(30.0, ge=0)  # ... for this long (then it is tried again)
    api_key: SecretStr | None = None  # None sends a placeholder (vLLM accepts any key)
    model: str  # the model name the server knows
    concurrency: int = Field(64, ge=1)  # requests in flight at once (size it for the server)
    # Start the in-flight cap small and double it while answers come quickly, lower it when
    # requests time out in a server's queue and raise it back while answers come quickly
    # (realign.llm.flow.AdaptiveCap); False keeps `concurrency` fixed from the first request.
    adaptive_concurrency: bool = True
    timeout_s: float = Field(120.0, gt=0)  # per request; a timeout is retried
    max_attempts: int = Field(5, ge=1)  # attempts per chat call, first one included
    requests_per_minute: float | None = Field(None, gt=0)  # None: no request-rate limit
    tokens_per_minute: float | None = Field(None, gt=0)  # None: no token-rate limit
    backoff_initial_s: float = Field(1.0, ge=0)  # first backoff; doubles per retry, with jitter
    backoff_max_s: float = Field(30.0, ge=0)  # cap on any backoff and on an honoured Retry-After
    # The SDK's HTTP stack: "aiohttp" (openai.DefaultAioHttpClient, the faster of the two in
    # benchmarks/llm_client.py) or "httpx" (the SDK's default httpx2 client). "auto" = aiohttp.
    http_transport: Literal["auto", "httpx", "aiohttp"] = "aiohttp"
    # How a json_schema response format is sent: "auto" starts with json_schema and steps down
    # (json_object with a schema, vLLM's structured_outputs, then none) when the server's error
    # names the format; any other value is used as is (realign.llm.structured).
    structured_output: Mode = "auto"
    # Prompts of more characters of message text than this are not sent: the call fails at once
    # with kind "too_long" (a row longer than the model's context is refused by the server
    # anyway, HTTP 400; this saves the round trip). None: every prompt is sent.
    max_prompt_chars: int | None = Field(None, ge=1)
    # Prompts of more tokens than this, as the server counts them (its tokenizer and chat
    # template, `realign.llm.tokens`: vLLM's and llama-server's /tokenize; llama-cpp-python's
    # /extras/tokenize/count with the template's tags estimated), are not sent: kind
    # "too_long". A server that cannot count gets the limit as characters, with a notice.
    # None: no token limit.
    max_prompt_tokens: int | None = Field(None, ge=1)


class ChatResult(BaseModel):
    """The answer to one chat call."""

    key: str  # the request key (hash of the canonical request)
    contents: list[str]  # one per choice (n)
    finish_reasons: list[str]
    prompt_tokens: int
    completion_tokens: int
    cached: bool  # True: served from the cache, nothing was sent
    latency_s: float  # seconds of the request that answered; 0.0 for a cache hit
    attempts: int  # requests sent for this call; 0 for a cache hit

    @property
    def content(self) -> str:
        return self.contents[0]


_RETRYABLE = frozenset({"rate_limited", "server_error", "timeout", "connection", "length", "invalid_output"})
# Failures of one row's request, not of the server: the failure watch does not count them.
_ROW_FAILURES = frozenset({"too_long"})

# How servers word an HTTP 400 for a prompt (plus max_tokens) longer than the model's context:
# OpenAI ("This model's maximum context length is N tokens", code context_length_exceeded), vLLM
# (the same sentence; newer: "... is too long to fit into the model"), llama-cpp-python
# ("Requested tokens (N) exceed context window of M"), llama.cpp's server ("the request exceeds
# the available context size"), SGLang ("is longer than the model's context length"), TGI
# ("`inputs` tokens + `max_new_tokens` must be <= N", HTTP 422).
_TOO_LONG = re.compile(
    r"maximum context length|context_length_exceeded|exceeds? (the )?(available )?context (window|size|length)"
    r"|too long to fit into the model|longer than the model'?s context length|prompt is too long"
    r"|tokens \+ `?max_new_tokens`? must be <=", re.IGNORECASE)


def too_long_error(status: int | None, message: str, code: str | None = None) -> bool:
    """Whether an HTTP error answer says the prompt does not fit the model's context.

    >>> too_long_error(400, "Requested tokens (5000) exceed context window of 4096")
    True
    >>> too_long_error(400, "Bad request")
    False
    """
    if status not in (400, 413, 422):
        return False
    return code == "context_length_exceeded" or _TOO_LONG.search(message) is not None


class LLMError(Exception):
    """A chat call that failed for good.

    kind: "http_4xx" (not retried), "too_long" (the prompt exceeds the model's context, by the
    server's 400 or `max_prompt_chars`; not retried), or, once the attempts are used up, "rate_limited",
    "server_error", "timeout", "connection", "length" (the answer hit max_tokens) or
    "invalid_output" (the caller's `validate` rejected the answer).
    """

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        attempts: int = 0,
        retry_after: float | None = None,
        contents: list[str] | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.attempts = attempts
        self.retry_after = retry_after  # seconds the server asked us to wait, when it did
        self.contents = contents or []  # the answers of a rejected or cut-off response
        self.key: str | None = None  # the request key, set by LLMClient.chat
        self.url = url  # the endpoint that answered (or failed) it, when one was reached
        self.repeated = False  # the same error twice in a row for the same request
        # the prompt's tokens as the server counted them, when --max-prompt-tokens held it back
        # (stored with the refusal, so a rerun under the same limit asks neither count nor answer)
        self.tokens: int | None = None

    @property
    def signature(self) -> str:
        """What stays the same when the same thing goes wrong again: kind, status and the
        message with numbers and the quoted answer left out."""
        core = self.message.split(" -- answer began:", 1)[0]
        return f"{self.kind} {self.status or ''}: {re.sub(r'[0-9]+', '#', core)}"

    @property
    def retryable(self) -> bool:
        return self.kind in _RETRYABLE and not self.repeated

    @property
    def settled(self) -> bool:
        """The same request fails this way every time: the cache answers it from now on (a
        prompt too long for the endpoint's model; the same cut-off, or the same rejected answer,
        twice), so a rerun of the same command gets the same failure without sending anything."""
        return self.kind == "too_long" or self.kind in ("length", "invalid_output") and self.repeated

    def __str__(self) -> str:
        status = f" {self.status}" if self.status is not None else ""
        notes = [f"{self.attempts} request{'s' if self.attempts != 1 else ''}"] if self.attempts else []
        if self.repeated:
            notes.append("the same answer each time")
        return f"{self.kind}{status}: {self.message}" + (f" ({', '.join(notes)})" if notes else "")


def prompt_chars(messages: list[dict[str, Any]]) -> int:
    """Characters of message text in a chat request: what `max_prompt_chars` is compared with."""
    return sum(len(m.get("content") or "") if isinstance(m.get("content"), str) else 0 for m in messages)


def over_prompt_limit(messages: list[dict[str, Any]], limit: int | None, key: str) -> LLMError | None:
    """The too_long failure of a prompt over `limit` characters (`max_prompt_chars`), which is
    not sent; None when it fits or there is no limit. Every backend asks this before sending."""
    if limit is None:
        return None
    chars = prompt_chars(messages)
    if chars <= limit:
        return None
    exc = LLMError("too_long", f"the prompt has {chars:,} characters of message text, more than "
                               f"--max-prompt-chars {limit:,}; not sent")
    exc.key = key
    return exc


def too_long_record(model: str, exc: LLMError) -> dict[str, Any]:
    """What the cache stores for a prompt the model's context refused (finish_reason "too_long"):
    no choices, the refusal and the endpoint that gave it (None: a batch result file imported by
    hand, run who knows where). A prompt held back by --max-prompt-tokens also stores its count
    (`tokens`): that refusal is ours, and holds only under a limit below the count."""
    error = {"kind": "too_long", "status": exc.status, "message": exc.message, "url": exc.url}
    if exc.tokens is not None:
        error["tokens"] = exc.tokens
    return {"model": model, "choices": [], "error": error}


def refused_before(stored: dict[str, Any] | None, key: str, urls: set[str | None],
                   max_prompt_tokens: int | None = None) -> LLMError | None:
    """The stored failure lookup of a too long prompt: `stored` is what the cache's `get_cutoff`
    gave for `key`; when it is the refusal of a prompt longer than the model's context, recorded
    at one of `urls`, the too_long failure to raise instead of sending the request again (its key
    holds the model, the prompt and max_tokens, so the same endpoint refuses it the same way).
    None otherwise: not a refusal, or one from another endpoint (a server with a longer context
    is asked anew). A prompt an earlier session held back by --max-prompt-tokens (its count
    stored) is refused again only while `max_prompt_tokens` is below that count: a raised or
    dropped limit sends it."""
    refused = (stored or {}).get("error") or {}
    if refused.get("kind") != "too_long" or refused.get("url") not in urls:
        return None
    tokens = refused.get("tokens")
    if tokens is not None:
        if max_prompt_tokens is None or int(tokens) <= max_prompt_tokens:
            return None
        exc = LLMError("too_long", f"the prompt has {int(tokens):,} tokens as {server_root(str(refused.get('url')))} "
                                   f"counted them, more than --max-prompt-tokens {max_prompt_tokens:,}; not sent "
                                   "(counted in an earlier session: the count is stored)", url=refused.get("url"))
        exc.tokens = int(tokens)
    else:
        exc = LLMError("too_long", str(refused.get("message") or "too long")
                       + " (answered by the cache: this request was refused before)",
                       status=refused.get("status"), url=refused.get("url"))
    exc.key = key
    return exc


def counted_before(stored: dict[str, Any] | None) -> int | None:
    """The prompt tokens an earlier session counted for a request it held back under
    --max-prompt-tokens (None: no such count stored): a raised limit needs no second count."""
    tokens = ((stored or {}).get("error") or {}).get("tokens")
    return int(tokens) if tokens is not None else None


@dataclass
class LLMStats:
    """Live counters, read by the progress display."""

    requests_sent: int = 0  # HTTP requests sent, retries included
    cache_hits: int = 0  # chat calls answered from the cache
    completed: int = 0  # chat calls answered by the server
    in_flight: int = 0  # HTTP requests awaiting an answer now
    retries: int = 0  # requests that were retries of an earlier attempt
    retry_causes: dict[str, int] = field(default_factory=dict)  # retries by the failed attempt's error kind
    errors: int = 0  # chat calls that ended in LLMError
    prompt_tokens: int = 0  # usage of every answer received (retried ones too: they are paid)
    completion_tokens: int = 0
    # The same figures split by what a request was for (classify, rewrite, feedback, judge ...):
    # purpose -> {"requests", "cached", "retries", "prompt_tokens", "completion_tokens"}.
    by_purpose: dict[str, dict[str, int]] = field(default_factory=dict)
    format_fallbacks: int = 0  # steps down the structured-output ladder (realign.llm.structured)
    # Requests allowed in flight now (adaptive: doubled from a small start while answers come
    # quickly, cut when requests time out behind others, grown back while answers come quickly;
    # --concurrency x endpoints at most), its lowest value once it stopped doubling (the sum of
    # the endpoints' with several) and how many times it was cut.
    cap: int = 0
    cap_lowest: int = 0
    cap_cuts: int = 0
    deterministic: int = 0  # chat calls not retried because the same error came back
    too_long: int = 0  # chat calls whose prompt is longer than the model's context (sent, cached or held back)

    def add(self, purpose: str, name: str, n: int = 1) -> None:
        row = self.by_purpose.get(purpose)
        if row is None:
            row = self.by_purpose[purpose] = dict.fromkeys(PURPOSE_FIELDS, 0)
        row[name] += n

    def refused_again(self, purpose: str) -> None:
        """Count a too-long prompt answered by its stored refusal: nothing sent (every backend)."""
        self.cache_hits += 1
        self.too_long += 1
        self.add(purpose, "cached")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


PURPOSE_FIELDS = ("requests", "cached", "retries", "prompt_tokens", "completion_tokens")
# Seconds a call waits behind the first, unanswered request before it goes out anyway.
PROBE_PATIENCE_S = 1.0


class RunStopped(RealignError):
    """Most calls fail the same way: the run stops (resumable) with the cause and a fix."""


def fix_for_kind(kind: str, base_url: str, concurrency: int | None = None, message: str = "") -> str:
    """What a user can do about turns that failed with `kind` (for the run's summary); `message`:
    one of their stored errors, whose text can say more than the kind (a context overflow)."""
    return _fix_for(LLMError(kind, message), base_url, concurrency)


def timeout_fix(concurrency: int | None) -> str:
    """What to change when requests outlast --timeout: at --concurrency 1 nothing queues, so it is
    the answer's length (a small model looping to --max-tokens on a CPU), not the load."""
    if concurrency == 1:
        return "raise --timeout or lower --max-tokens (--concurrency is 1 already: a long answer is what takes the time)"
    return "raise --timeout or lower --concurrency"


def _fix_for(exc: LLMError, base_url: str, concurrency: int | None = None) -> str:
    """What a user can do about the failure `exc` stands for (`concurrency`: the run's setting)."""
    text = exc.message.lower()
    if exc.status in (401, 403):
        return "set OPENAI_API_KEY (or --api-key) to a key this server accepts"
    if exc.status == 404 or "model" in text and ("not found" in text or "does not exist" in text):
        return f"check --model against the ids GET {base_url.rstrip('/')}/models lists"
    if names_format(exc.status, exc.message):
        return "pass --structured-output off (or json_object) so no response_format is sent"
    if exc.kind == "length":  # before the words below: a cut-off answer's error names max_tokens too
        return "raise --max-tokens"
    if exc.kind == "too_long":
        return ("lower --max-tokens (the server counts it into the context) or use a model with a longer "
                "context; --max-prompt-chars skips such rows without a request")
    if "max_tokens" in text or "context" in text or "too long" in text or "maximum" in text and "token" in text:
        return "lower --max-tokens or use a model with a longer context"
    if exc.kind == "sim_cap":
        return "raise modes.sim.max_calls in the pipeline config (see `realign show` for where it stopped)"
    if exc.kind in ("sim_invalid_output", "sim_rejected"):
        return "see `realign show` for the stage's answers; a stronger model, or modes.sim.on_stop = \"keep\""
    if exc.kind == "invalid_output":
        return "try --structured-output json_object, or a stronger model (see `realign show` for the raw answers)"
    if exc.kind == "deferred":  # waiting in batch request files: nothing went wrong at the server
        return ("answer the batch request files named above (or wait for the submitted batches) and load "
                "files run elsewhere with `realign batch import RESULTS --db DB`")
    if exc.kind == "timeout":
        return timeout_fix(concurrency)
    if exc.kind in ("connection", "rate_limited"):
        return f"check that the server at {base_url} is up and not overloaded, or lower --concurrency"
    return f"check the server log at {base_url}"


class FailureWatch:
    """Stops a run that fails the same way over and over.

    Over the last `window` finished calls, `limit` failures with one signature stop the run
    (`trip`); for answers the caller rejected or that were cut off, which a weak model produces
    now and then, `output_limit` of them.
    """

    def __init__(self, window: int = 50, limit: int = 20, output_limit: int = 35) -> None:
        self.window, self.limit, self.output_limit = window, limit, output_limit
        self._recent: list[str | None] = []
        self.finished = 0

    def record(self, exc: LLMError | None) -> bool:
        """Note one finished call; True when the run should stop."""
        self.finished += 1
        if exc is not None and exc.kind in _ROW_FAILURES:
            exc = None  # the row's own size, not the server: a corpus of long rows is no outage
        self._recent.append(exc.signature if exc is not None else None)
        if len(self._recent) > self.window:
            del self._recent[0]
        if exc is None:
            return False
        same = sum(1 for s in self._recent if s == exc.signature)
        return same >= (self.output_limit if exc.kind in ("invalid_output", "length") else self.limit)


def parse_retry_after(headers: httpx2.Headers | dict[str, str] | None) -> float | None:
    """Seconds from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date), or None."""
    if not headers:
        return None
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


_MASKED_KEY = re.compile(r"\bsk-[A-Za-z0-9_\-]*\*+[A-Za-z0-9_\-]*")


class LLMClient:
    """Sends chat requests to an OpenAI-compatible server; see the module docstring."""

    def __init__(self, settings: LLMSettings, cache: CallCache | None = None,
                 on_notice: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self.cache = cache
        self.stats = LLMStats()
        self.on_notice = on_notice or _print_notice  # fallbacks and other things a user should know
        self._few_choices_noted = False  # a server answering fewer choices than n is announced once
        # The structured-output dialect in use (one client = one endpoint and model).
        self.structured_mode: str = "json_schema" if settings.structured_output == "auto" else settings.structured_output
        learned = getattr(cache, "learned_dialect", None)
        if settings.structured_output == "auto" and learned is not None:
            # An earlier session against this endpoint and model learned which form it takes:
            # start there instead of paying for the same rejected requests again.
            mode = learned(settings.base_url, settings.model)
            if mode in LADDER and mode != self.structured_mode:
                self.structured_mode = mode
                self.on_notice(f"sending structured output to {settings.base_url} in the "
                               + ("prompt-only form" if mode == "off" else f"{mode} form")
                               + " learned in an earlier run; --structured-output chooses another")
        self.watch = FailureWatch()
        self.stopped: RunStopped | None = None
        self._answered = asyncio.Event()  # set by the first HTTP 200: full concurrency from then on
        self._probe = asyncio.Lock()
        self._probe_hangs = False  # a probe went unanswered for PROBE_PATIENCE_S: stop serialising
        self._in_flight: dict[str, asyncio.Future[ChatResult | None]] = {}  # request key -> its answer, while sent
        self._secret = settings.api_key.get_secret_value() if settings.api_key is not None else None
        self.endpoints = [Endpoint(url, openai.AsyncOpenAI(
            base_url=url,
            api_key=self._secret or PLACEHOLDER_API_KEY,
            max_retries=0,  # every retry is ours
            timeout=settings.timeout_s,
            http_client=_http_client(settings),
        )) for url in dict.fromkeys([settings.base_url, *settings.base_urls])]
        self._openai = self.endpoints[0].client
        # --max-prompt-tokens: counted by the first endpoint (they all serve the same model);
        # the character limit standing in for it where that server cannot count
        self._tokens = (PromptTokens(self._openai, self.endpoints[0].url, settings.model)
                        if settings.max_prompt_tokens is not None else None)
        self._token_chars: int | None = None
        self.capacity = settings.concurrency * len(self.endpoints)  # requests in flight at most
        # The in-flight cap adapts (realign.llm.flow): it starts at one request and doubles while
        # answers come within half the timeout, so a server that answers one request at a time
        # (llama.cpp on a CPU) gets about as many as it answers within the timeout, not
        # --concurrency requests that time out in its queue and are paid twice; it is cut if
        # requests time out all the same. Each endpoint has its own, so a slow server does not
        # hold back a quick one beside it.
        # A cap an earlier session cut is where this one starts (the store keeps it per endpoint
        # and model): a rerun against the same queueing server does not send it --concurrency
        # requests again, most of them to time out in its queue and be paid twice.
        learned_cap = getattr(cache, "learned_cap", None) if settings.adaptive_concurrency else None
        remember_cap = getattr(cache, "remember_cap", None)
        members: list[EndpointCapStats] = []
        for ep in self.endpoints:
            counters: Any = self.stats if len(self.endpoints) == 1 else \
                EndpointCapStats(self.stats, members, lambda ep=ep: ep.outstanding)
            start = learned_cap(ep.url, settings.model) if learned_cap is not None else None
            ep.cap = AdaptiveCap(settings.concurrency, settings.timeout_s, settings.adaptive_concurrency, counters,
                                 lambda text: self.on_notice(text), timeout_fix(settings.concurrency), start=start,
                                 on_resize=None if remember_cap is None else
                                 lambda cap, url=ep.url: remember_cap(url, settings.model, cap))
            if ep.cap.learned_start is not None:
                self.on_notice(f"sending at most {ep.cap.limit.limit} at a time to {ep.url} to begin with: an earlier "
                               f"session cut it to that when requests timed out in its queue; more again while "
                               f"answers come within {settings.timeout_s * GROW_WITHIN:g} s")
        self.stats.cap = self.stats.cap_lowest = sum(ep.cap.limit.limit for ep in self.endpoints)
        self._slots = EndpointSlots([ep.cap.limit for ep in self.endpoints], self._up) \
            if len(self.endpoints) > 1 else None
        self._rpm = TokenBucket(settings.requests_per_minute) if settings.requests_per_minute else None
        self._tpm = TokenBucket(settings.tokens_per_minute) if settings.tokens_per_minute else None
        self._post_options: dict[str, Any] = {"headers": _JSON_HEADERS}
        self.spend_gate: SpendGate | None = None  # set by a run with a cost cap (--max-cost)
        # Set by a first Ctrl-C / SIGTERM (drain): nothing new goes out, while the requests on the
        # wire still get their answers stored, so a rerun does not pay for them again.
        self.draining = False

    # -- public -----------------------------------------------------------------------------

    async def chat(
        self,
        messages: list[dict[str, Any]],
        *,
        sampling: dict[str, Any],
        response_format: dict[str, Any] | None = None,
        n: int = 1,
        validate: Callable[[ChatResult], None] | None = None,
        allow_truncated: bool = False,
        purpose: str = "chat",
    ) -> ChatResult:
        """One chat completion with `n` choices, from the cache when it holds the request.

        `sampling` is sent as given (temperature, top_p, max_tokens, seed, ...) and is part of
        the request key. `validate(result)` raising ValueError (pydantic's ValidationError is
        one) rejects the answer: it is retried like a server error, and in the end raises
        LLMError(kind="invalid_output"). `allow_truncated` accepts an answer cut off at
        max_tokens (finish_reason "length") instead of retrying it, for callers that score
        whatever was produced (evaluations). `purpose` (classify, rewrite, feedback ...) labels
        the call in the usage ledger and the cache; it is not part of the request key. Raises
        LLMError when the call fails for good.
        """
        if self.stopped is not None:
            raise self.stopped
        clash = _RESERVED.intersection(sampling)
        if clash:
            raise ValueError(f"sampling may not set {sorted(clash)}; they are chat() arguments")
        request: dict[str, Any] = {"model": self.settings.model, "messages": messages, "n": n, **sampling}
        if response_format is not None:
            request["response_format"] = response_format
        # The request key is that of the logical request (schema in the json_schema form), so
        # the dialect a server needs changes neither the key nor what the cache answers. In the
        # json_schema dialect the same serialisation is the body sent on the wire.
        logical = _CANONICAL.encode(request).encode("utf-8")
        key = hashlib.sha256(logical).hexdigest()
        structured = schema_of(response_format) is not None
        counted: int | None = None  # prompt tokens an earlier session counted (--max-prompt-tokens)

        if self.cache is not None:
            stored = self.cache.get_call(key)
            if stored is not None:
                hit = self._from_stored(key, stored)
                if hit is not None and _passes(validate, hit):
                    self.stats.cache_hits += 1
                    self.stats.add(purpose, "cached")
                    return hit

            cut = self.cache.get_cutoff(key) if hasattr(self.cache, "get_cutoff") else None
            if ((cut or {}).get("error") or {}).get("kind") == "too_long":
                # The prompt was too long for the model at an endpoint of this client: the same
                # request gets the same 400. Another endpoint (a longer context) is asked anew,
                # and a prompt held back under a lower --max-prompt-tokens keeps its count.
                refused = refused_before(cut, key, {ep.url for ep in self.endpoints}, self.settings.max_prompt_tokens)
                counted = counted_before(cut)
                cut = None
                if refused is not None:
                    self.stats.refused_again(purpose)
                    raise refused
            if cut is not None and not any(c.get("finish_reason") == "length" for c in cut.get("choices") or []):
                # The same answer was rejected twice before (temperature 0, a weak model): sending
                # it again would pay for the same answer. A validator that accepts it now (the
                # code changed) takes it; a changed prompt or sampling has another key.
                hit = self._from_stored(key, cut)
                why = _rejection(validate, hit) if hit is not None else "unreadable stored answer"
                self.stats.cache_hits += 1
                self.stats.add(purpose, "cached")
                if hit is not None and why is None:
                    return hit
                exc = LLMError("invalid_output", f"{why} -- the same answer was rejected twice in an earlier "
                               "attempt; not sent again (a stronger model, or another --temperature, asks anew)",
                               contents=hit.contents if hit is not None else [])
                exc.repeated = True
                exc.key = key
                raise exc
            if cut is not None and not allow_truncated:
                # The same request was cut off at max_tokens twice with the same text before:
                # sending it again would pay for the same cut-off. Its key holds max_tokens, so
                # raising --max-tokens (or changing the prompt) asks anew.
                self.stats.cache_hits += 1
                self.stats.add(purpose, "cached")
                exc = LLMError("length", "the answer was cut off at max_tokens the same way in an earlier attempt; "
                               "not sent again (raise --max-tokens to retry)",
                               contents=[(c.get("message") or {}).get("content") or "" for c in cut.get("choices") or []])
                exc.repeated = True
                exc.key = key
                raise exc

        # The same request already on its way (duplicate rows, a shared opening turn sent at
        # once): wait for its answer instead of paying for it twice.
        twin = self._in_flight.get(key)
        if twin is not None:
            shared = await asyncio.shield(twin)
            if shared is not None:  # None: the twin failed, so this call sends its own
                hit = shared.model_copy(update={"cached": True, "latency_s": 0.0, "attempts": 0})
                if (allow_truncated or "length" not in hit.finish_reasons) and _passes(validate, hit):
                    self.stats.cache_hits += 1
                    self.stats.add(purpose, "cached")
                    return hit
        over = over_prompt_limit(messages, self.settings.max_prompt_chars, key)
        if over is None and self._tokens is not None:
            over = await self._over_token_limit(messages, key, counted)
            if over is not None and over.tokens is not None and self.cache is not None:
                # the server's count is kept with the refusal: a rerun under the same limit sends
                # neither the count nor the request, and `--dry-run` sees it
                self.cache.put_call(key, kind=purpose, request=request, response=too_long_record(self.settings.model, over),
                                    error=str(over), finish_reason="too_long")
        if over is not None:
            self.stats.too_long += 1
            raise over
        flight: asyncio.Future[ChatResult | None] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = flight
        try:
            result = await self._fetch(key, request, logical, structured, n, validate, allow_truncated, purpose)
            flight.set_result(result)
            return result
        finally:
            if not flight.done():
                flight.set_result(None)  # failed: a waiting twin sends its own
            if self._in_flight.get(key) is flight:
                del self._in_flight[key]

    async def _fetch(
        self, key: str, request: dict[str, Any], logical: bytes, structured: bool, n: int,
        validate: Callable[[ChatResult], None] | None, allow_truncated: bool, purpose: str,
    ) -> ChatResult:
        """Send a request the cache could not answer (retries, dialect steps, the first-request
        probe) and record its outcome, success or failure, in the cache and the failure watch."""
        attempts = 0
        previous: LLMError | None = None
        sent: dict[str, Any] = request

        async def attempt() -> ChatResult:
            nonlocal attempts, previous
            attempts += 1
            if attempts > 1:
                self.stats.retries += 1
                self.stats.add(purpose, "retries")
                # what the attempt before failed with (timeout, server_error, invalid_output ...): a
                # count of retries alone does not say whether the server or the model needs a look
                cause = previous.kind if previous is not None else "unknown"
                self.stats.retry_causes[cause] = self.stats.retry_causes.get(cause, 0) + 1
            mode = self.structured_mode

            def build() -> bytes:
                # Called once a request slot is free, so it sees what earlier calls learned.
                nonlocal mode, sent
                mode = self.structured_mode
                if not structured or mode == "json_schema":
                    sent = request
                    return logical
                sent = dialect_request(request, mode)
                return json.dumps(sent, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

            while True:
                try:
                    return await self._send(key, build, validate, attempts, allow_truncated, purpose)
                except LLMError as exc:
                    if structured and self._step_down(mode, exc):
                        continue  # the same attempt, in the next dialect
                    # The same error (or the same rejected answer) again is deterministic.
                    if previous is not None and exc.signature == previous.signature and exc.kind != "rate_limited" \
                            and (exc.kind in ("invalid_output", "length") and exc.contents == previous.contents
                                 or exc.kind == "server_error" and exc.status in (500, 501)):
                        exc.repeated = True
                        self.stats.deterministic += 1
                    previous = exc
                    raise

        try:
            probed: ChatResult | None = None
            if not self._answered.is_set() and not self._probe_hangs:
                # Until the server has answered a request with HTTP 200, calls go one at a time
                # (retries included): a server that refuses everything is found out, and its
                # dialect learned, by a handful of requests, not by `concurrency` of them at once.
                # A probe that gets no answer at all for PROBE_PATIENCE_S is a slow request, not a
                # refusal: the others stop waiting for it (no head-of-line blocking).
                if not await _acquire_within(self._probe, PROBE_PATIENCE_S):
                    self._probe_hangs = True
                else:
                    try:
                        if not self._answered.is_set():
                            probed = await self._retrying(attempt)
                    finally:
                        self._probe.release()
            result: ChatResult = probed if probed is not None else await self._retrying(attempt)
        except LLMError as exc:
            exc.attempts = attempts
            exc.key = key
            self.stats.errors += 1
            if exc.kind == "too_long":
                self.stats.too_long += 1
            if self.cache is not None:
                answer = _stored_response(self.settings.model, _failed_result(key, exc)) if exc.contents else None
                if exc.kind == "too_long":  # no answer: the refusal, and where it came from
                    answer = too_long_record(self.settings.model, exc)
                # finish_reason "length" marks a deterministic cut-off, "invalid_output" the same
                # answer rejected twice, "too_long" a prompt over the model's context: none is
                # sent again (see get_cutoff)
                cutoff = exc.kind if exc.settled else None
                self.cache.put_call(key, kind=purpose, request=sent, response=answer, error=str(exc),
                                    finish_reason=cutoff)
            if self.watch.record(exc):
                self._stop(exc)
            raise

        self.watch.record(None)
        if len(result.contents) < n and not self._few_choices_noted:
            # llama-cpp-python answers one choice whatever n asks: say so instead of letting the
            # user believe each turn had n candidates
            self._few_choices_noted = True
            got = len(result.contents)
            self.on_notice(f"the server at {self.settings.base_url} answered {got} choice{'s' * (got != 1)} where "
                           f"--n asked for {n}: it ignores n, so each request gives fewer candidates")
        if self.cache is not None:
            self.cache.put_call(
                key,
                kind=purpose,
                request=sent,
                response=_stored_response(self.settings.model, result),
                finish_reason=result.finish_reasons[0] if result.finish_reasons else None,
                prompt_tokens=result.prompt_tokens,
                completion_tokens=result.completion_tokens,
                latency_s=result.latency_s,
            )
        self.stats.completed += 1
        return result

    def _step_down(self, mode: str, exc: LLMError) -> bool:
        """Learn from an error that rejects the structured-output dialect `mode`: move the
        client one rung down the ladder (once, for every later call). True: send again."""
        if self.settings.structured_output != "auto" or mode == "off" or not names_format(exc.status, exc.message):
            return False
        if self.structured_mode == mode:  # the first of the concurrent calls to learn it
            self.structured_mode = LADDER[LADDER.index(mode) + 1]
            self.stats.format_fallbacks += 1
            remember = getattr(self.cache, "remember_dialect", None)
            if remember is not None:
                remember(self.settings.base_url, self.settings.model, self.structured_mode)
            self.on_notice(
                f"the server at {self.settings.base_url} rejected response_format in the {mode} form "
                f"(HTTP {exc.status}: {' '.join(exc.message.split())[:160]}); sending "
                + ("no response_format (JSON asked for in the prompt)" if self.structured_mode == "off"
                   else f"the {self.structured_mode} form")
                + " from now on; --structured-output chooses one"
            )
        return True

    def _stop(self, exc: LLMError) -> None:
        w = self.watch
        same = sum(1 for s in w._recent if s == exc.signature)
        url = exc.url or self.settings.base_url  # with several endpoints, the one that failed
        calls = (f"calls to {url} failed the same way" if len(self.endpoints) == 1
                 else f"calls failed the same way at {url}")
        self.stopped = RunStopped(
            f"stopped: {same} of the last {len(w._recent)} {calls}: "
            f"{exc.kind}{f' (HTTP {exc.status})' if exc.status else ''}: {exc.message[:200].rstrip(' .')}. "
            f"Fix: {_fix_for(exc, url, self.settings.concurrency)}; then rerun the same command to resume."
        )
        raise self.stopped from None

    def drain(self) -> None:
        """Send no new request (a call that would send one waits until its row is cancelled); the
        requests in flight are answered and cached as usual. `stats.in_flight` says when none is left."""
        self.draining = True

    async def _over_token_limit(self, messages: list[dict[str, Any]], key: str,
                                counted: int | None = None) -> LLMError | None:
        """The too_long failure of a prompt over --max-prompt-tokens, which is not sent; None
        when it fits, or when its count failed (it is sent, and the server still refuses a
        prompt longer than its context). `counted`: the count an earlier session stored (a
        prompt it held back under a lower limit), used instead of asking again. Where the
        server cannot count tokens at all, the limit is applied as characters
        (`realign.llm.tokens.chars_for_tokens`), announced once."""
        assert self._tokens is not None and self.settings.max_prompt_tokens is not None
        limit = self.settings.max_prompt_tokens
        tokens = counted if counted is not None else await self._tokens.count(messages)
        if tokens is not None:
            if tokens <= limit:
                return None
            how = "" if self._tokens.exact else " (its tokenizer on the message text, the chat template's tags estimated)"
            exc = LLMError("too_long", f"the prompt has {tokens:,} tokens as {self._tokens.root} counts them{how}, "
                                       f"more than --max-prompt-tokens {limit:,}; not sent", url=self.endpoints[0].url)
            exc.key = key
            exc.tokens = tokens
            return exc
        if self._tokens.kind != "none":
            return None
        if self._token_chars is None:
            measured = getattr(self.cache, "prompt_chars_per_token", None)
            self._token_chars, source = chars_for_tokens(limit, measured() if measured is not None else None)
            self.on_notice(f"the server at {self._tokens.root} cannot count tokens (no tokenize API: vLLM, llama.cpp's "
                           f"llama-server and llama-cpp-python have one); --max-prompt-tokens {limit:,} is applied as "
                           f"{self._token_chars:,} characters of message text ({source}); --max-prompt-chars "
                           "sets the characters yourself")
        chars = prompt_chars(messages)
        if chars <= self._token_chars:
            return None
        exc = LLMError("too_long", f"the prompt has {chars:,} characters of message text, more than the "
                                   f"{self._token_chars:,} standing for --max-prompt-tokens {limit:,} (the server "
                                   "cannot count tokens); not sent")
        exc.key = key
        return exc

    async def check_endpoint(self) -> list[str]:
        """GET /models: fail early, with a message that says what to do, when the server is
        unreachable or rejects the key. Returns the model ids the server lists. With several
        endpoints, one that fails the check is left out for its cooldown (with a notice); the
        error is raised only when every endpoint fails it.

        Raises ConfigError.
        """
        if len(self.endpoints) == 1:
            return await self._check(self.endpoints[0])
        errors: list[ConfigError] = []
        ids: list[str] = []
        for ep in self.endpoints:
            try:  # every endpoint is checked, not only until one lists its models
                listed = await self._check(ep)
                ids = ids or listed
            except ConfigError as exc:
                errors.append(exc)
                ep.failures = self.settings.endpoint_failures
                ep.down_until = time.monotonic() + self.settings.endpoint_cooldown_s
                self.on_notice(f"{exc} -- leaving {ep.url} out for {self.settings.endpoint_cooldown_s:g} s")
        if len(errors) == len(self.endpoints):
            raise errors[0]
        return ids

    async def _check(self, ep: Endpoint) -> list[str]:
        url = ep.url.rstrip("/")
        try:
            response = await ep.client.get(
                "/models",
                cast_to=httpx2.Response,
                options={"timeout": min(self.settings.timeout_s, 15.0)},
            )
        except openai.APIConnectionError as exc:  # timeouts included
            refused = _refused(exc)
            if refused is None and isinstance(exc, openai.APITimeoutError) and await _accepts(url):
                # it took the connection and did not answer in time: a server busy with other
                # requests (llama.cpp on a CPU answers one at a time, another client's too), not
                # a missing one; the requests have their own timeout and retries
                self.on_notice(f"the LLM server at {url} took the connection but did not list its models within "
                               f"{min(self.settings.timeout_s, 15.0):g} s: it is busy (a server on a CPU answers one "
                               "request at a time) or stuck; going on, each request waits up to --timeout")
                return []
            reason = refused or ("timed out" if isinstance(exc, openai.APITimeoutError) else _cause(exc))
            raise ConfigError(
                f"cannot reach the LLM server at {url} ({reason}). Start one, e.g. "
                f"`vllm serve MODEL` (it serves http://localhost:8000/v1), or point realign at a "
                f"running OpenAI-compatible server with OPENAI_BASE_URL or --base-url."
            ) from None
        except openai.APIStatusError as exc:
            status = exc.status_code
            if status in (401, 403):
                which = "no API key was given" if self._secret is None else "the API key is invalid"
                raise ConfigError(
                    f"the LLM server at {url} refused the request (HTTP {status}): {which}, or it lacks "
                    f"access. Set OPENAI_API_KEY, or pass --api-key @FILE (a file holding the key) or --api-key env:NAME."
                ) from None
            if status == 404:
                raise ConfigError(
                    f"{url}/models answered 404: is {url} an OpenAI-compatible API? The base URL "
                    f"usually ends in /v1 (e.g. http://localhost:8000/v1); set OPENAI_BASE_URL or --base-url."
                ) from None
            raise ConfigError(
                f"the LLM server at {url} answered HTTP {status} to GET /models: "
                f"{self._scrub(_status_message(exc))}"
            ) from None
        try:
            data = json.loads(response.content)
            return [str(m.get("id")) for m in data.get("data", []) if isinstance(m, dict)]
        except (ValueError, AttributeError, TypeError):
            raise ConfigError(
                f"{url}/models did not answer an OpenAI model list; is {url} an OpenAI-compatible API "
                f"(base URL ending in /v1)?"
            ) from None

    def endpoint_report(self) -> list[dict[str, Any]]:
        """Per endpoint, this session's requests, answers, failures, take-outs and in-flight cap
        (where it ended, its lowest, its cuts): which server of several was cut or left out."""
        return [ep.report() for ep in self.endpoints]

    async def aclose(self) -> None:
        for ep in self.endpoints:
            ep.cap.close()
        for ep in self.endpoints:
            await ep.client.close()

    async def __aenter__(self) -> LLMClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- internals --------------------------------------------------------------------------

    async def _send(
        self, key: str, build: Callable[[], bytes], validate: Callable[[ChatResult], None] | None, attempt: int,
        allow_truncated: bool = False, purpose: str = "chat",
    ) -> ChatResult:
        if self.spend_gate is None:
            return await self._send_once(key, build, validate, attempt, allow_truncated, purpose, None)
        held: list[float] = []  # the reservation under the cost cap, freed once the answer is counted
        try:
            return await self._send_once(key, build, validate, attempt, allow_truncated, purpose, held)
        finally:
            for reservation in held:
                await self.spend_gate.release(reservation)

    async def _send_once(
        self, key: str, build: Callable[[], bytes], validate: Callable[[ChatResult], None] | None, attempt: int,
        allow_truncated: bool, purpose: str, held: list[float] | None,
    ) -> ChatResult:
        stats = self.stats
        ep = await self._take_slot()
        sent_at: float | None = None
        keep = False  # a timed-out request the server is still working on keeps its slot a while
        try:
            if self.stopped is not None:  # stopped while this call waited for a slot
                raise self.stopped
            if self.draining:  # the run is stopping: this request is never sent
                await asyncio.Event().wait()
            body = build()
            estimate = len(body) // 4  # rough token estimate of the prompt, corrected after
            if held is not None and self.spend_gate is not None:
                held.append(await self.spend_gate.admit(estimate))
            if self._rpm is not None:
                await self._rpm.acquire(1)
            if self._tpm is not None:
                await self._tpm.acquire(estimate)
            stats.in_flight += 1
            stats.requests_sent += 1
            stats.add(purpose, "requests")
            ep.outstanding += 1
            load = ep.outstanding  # in flight to this endpoint with this one: the load its latency measures
            ep.sent += 1
            started = time.perf_counter()
            sent_at = time.monotonic()
            try:
                try:
                    response = await ep.client.post(
                        "/chat/completions", cast_to=httpx2.Response, content=body, options=self._post_options
                    )
                    raw = response.content
                    self._answered.set()
                except openai.APIConnectionError as exc:  # timeouts included
                    refused = _refused(exc)
                    if isinstance(exc, openai.APITimeoutError) and refused is None:
                        raise LLMError("timeout", f"no answer within {self.settings.timeout_s:g} s") from None
                    raise LLMError("connection", f"connection to {ep.url} failed: "
                                                 f"{refused or _cause(exc)}") from None
                except openai.APIStatusError as exc:
                    raise self._status_error(exc) from None
                except httpx2.TimeoutException:
                    raise LLMError("timeout", f"no answer within {self.settings.timeout_s:g} s") from None
                except httpx2.TransportError as exc:
                    raise LLMError("connection", f"connection to {ep.url} failed: {exc}") from None
            except LLMError as exc:
                exc.url = ep.url
                ep.failed += 1
                if exc.kind in ("connection", "timeout", "server_error"):
                    self._endpoint_failed(ep, exc)
                if exc.kind == "timeout":
                    keep = ep.cap.timed_out(ep.url, sent_at)
                raise
            else:
                ep.failures = 0
                ep.answered_at = time.monotonic()
                ep.answered += 1
            finally:
                ep.outstanding -= 1
                stats.in_flight -= 1
            latency = time.perf_counter() - started
            ep.cap.got_answer(sent_at, latency, load)
        finally:
            if keep and sent_at is not None:
                ep.cap.hold(sent_at)
            else:
                ep.cap.release()

        try:
            data = json.loads(raw)
            choices = sorted(data["choices"], key=lambda c: c.get("index", 0))
            contents = [(c.get("message") or {}).get("content") or "" for c in choices]
            finish_reasons = [c.get("finish_reason") or "stop" for c in choices]
            usage = data.get("usage") or {}
            prompt_tokens = int(usage.get("prompt_tokens") or 0)
            completion_tokens = int(usage.get("completion_tokens") or 0)
        except (ValueError, TypeError, KeyError, AttributeError):
            preview = raw[:120].decode("utf-8", "replace")
            raise LLMError("server_error", f"malformed response body: {preview!r}", status=200,
                           url=ep.url) from None
        if not choices:
            raise LLMError("server_error", "response has no choices", status=200, url=ep.url)

        stats.prompt_tokens += prompt_tokens
        stats.completion_tokens += completion_tokens
        stats.add(purpose, "prompt_tokens", prompt_tokens)
        stats.add(purpose, "completion_tokens", completion_tokens)
        if self._tpm is not None and (prompt_tokens or completion_tokens):
            self._tpm.adjust(estimate - prompt_tokens - completion_tokens)

        if "length" in finish_reasons and not allow_truncated:
            raise LLMError("length", "the answer was cut off at max_tokens (finish_reason=length)", contents=contents,
                           url=ep.url)
        result = ChatResult(
            key=key,
            contents=contents,
            finish_reasons=finish_reasons,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cached=False,
            latency_s=latency,
            attempts=attempt,
        )
        if validate is not None:
            try:
                validate(result)
            except ValueError as exc:
                preview = result.content[:200]
                raise LLMError("invalid_output", f"{exc} -- answer began: {preview!r}", contents=contents,
                               url=ep.url) from None
        return result

    async def _take_slot(self) -> Endpoint:
        """A slot of the in-flight cap and the endpoint it is on: with several endpoints, the one
        with the fewest slots taken among those up (`_up`) that have room (`EndpointSlots`)."""
        if self._slots is None:
            ep = self.endpoints[0]
            await ep.cap.acquire()
            return ep
        return self.endpoints[await self._slots.acquire()]

    def _up(self) -> list[int]:
        """The endpoints that may get the next request: those not taken out; when all are out,
        the one that answered last (on a tie, the first to come back): a live server taken out by
        a few hung requests, not one that was killed and refuses every connection. (A server
        failing fast has few requests outstanding and draws requests: `endpoint_failures` in a
        row take it out.)"""
        now = time.monotonic()
        up = [i for i, ep in enumerate(self.endpoints) if ep.down_until <= now]
        if up:
            return up
        last = max(self.endpoints, key=lambda ep: (ep.answered_at, -ep.down_until))
        return [self.endpoints.index(last)]

    def _endpoint_failed(self, ep: Endpoint, exc: LLMError) -> None:
        ep.failures += 1
        if len(self.endpoints) > 1 and ep.failures >= self.settings.endpoint_failures \
                and ep.down_until <= time.monotonic():  # out again when it fails after its cooldown
            ep.down_until = time.monotonic() + self.settings.endpoint_cooldown_s
            ep.taken_out += 1
            self.on_notice(f"{ep.url} failed {ep.failures} requests in a row ({exc.kind}: {exc.message[:120]}); "
                           f"sending to the other endpoints for {self.settings.endpoint_cooldown_s:g} s")

    def _status_error(self, exc: openai.APIStatusError) -> LLMError:
        status = exc.status_code
        message = self._scrub(_status_message(exc))
        retry_after = parse_retry_after(exc.response.headers)
        if status == 429:
            return LLMError("rate_limited", message, status=status, retry_after=retry_after)
        if status >= 500:
            return LLMError("server_error", message, status=status, retry_after=retry_after)
        body = exc.body if isinstance(exc.body, dict) else {}
        error = body.get("error", body)
        code = error.get("code") if isinstance(error, dict) else None
        if too_long_error(status, message, str(code) if code is not None else None):
            return LLMError("too_long", message, status=status)
        return LLMError("http_4xx", message, status=status)

    async def _retrying(self, attempt: Callable[[], Awaitable[ChatResult]]) -> ChatResult:
        """`attempt()` until it answers, raises an error that is not retryable (anything but a
        retryable LLMError), or `max_attempts` are used up: then the last error is raised.

        A plain loop rather than tenacity's AsyncRetrying, which cost about 0.1 ms of CPU per
        call to set up and walk (see benchmarks/row_cpu.py)."""
        number = 1
        while True:
            try:
                return await attempt()
            except LLMError as exc:
                if not exc.retryable or number >= self.settings.max_attempts:
                    raise
                await asyncio.sleep(self._backoff(exc, number))
                number += 1

    def _backoff(self, exc: LLMError, number: int) -> float:
        """Seconds before the attempt after attempt `number` failed with `exc`: the server's
        Retry-After (capped at backoff_max_s) when it sent one; none for a cut-off or rejected
        answer (the server is fine); else exponential backoff with jitter (between half and all
        of initial * 2^(number-1), capped)."""
        cap = self.settings.backoff_max_s
        if exc.retry_after is not None:
            return min(exc.retry_after, cap)
        if exc.kind in ("length", "invalid_output"):
            return 0.0
        base = min(cap, self.settings.backoff_initial_s * 2.0 ** (number - 1))
        return base * (0.5 + 0.5 * random.random())

    def _scrub(self, text: str) -> str:
        """Remove the API key, and masked forms of it that servers echo, from `text`."""
        if self._secret:
            text = text.replace(self._secret, "***")
        return _MASKED_KEY.sub("sk-***", text)

    def _from_stored(self, key: str, stored: dict[str, Any]) -> ChatResult | None:
        try:
            choices = stored["choices"]
            usage = stored.get("usage") or {}
            return ChatResult(
                key=key,
                contents=[(c.get("message") or {}).get("content") or "" for c in choices],
                finish_reasons=[c.get("finish_reason") or "stop" for c in choices],
                prompt_tokens=int(usage.get("prompt_tokens") or 0),
                completion_tokens=int(usage.get("completion_tokens") or 0),
                cached=True,
                latency_s=0.0,
                attempts=0,
            )
        except (KeyError, TypeError, AttributeError, ValueError):
            return None  # an unreadable entry is a miss


@dataclass(eq=False)
class Endpoint:
    """One server of the model, with what the balancer knows of it."""

    url: str
    client: openai.AsyncOpenAI
    outstanding: int = 0  # requests sent and not yet answered
    failures: int = 0  # consecutive failed requests (connection, timeout, 5xx)
    down_until: float = 0.0  # time.monotonic() before which it gets no request (unless all are out)
    answered_at: float = 0.0  # time.monotonic() of its last answer: who gets a request when all are out
    answered: int = 0  # HTTP answers it gave
    cap: AdaptiveCap = field(init=False)  # its own in-flight cap (set by the client)
    taken_out: int = 0  # times it was taken out
    sent: int = 0  # requests sent to it, retries included
    failed: int = 0  # of those, requests answered by an error: connection, timeout, an HTTP error status

    def report(self) -> dict[str, Any]:
        """What this session sent it and how it was treated: the run summary's `endpoints` entry."""
        stats = self.cap.stats
        return {"url": self.url, "requests": self.sent, "answered": self.answered, "failed": self.failed,
                "taken_out": self.taken_out, "cap": stats.cap, "cap_lowest": stats.cap_lowest,
                "cap_cuts": stats.cap_cuts,
                # where the cap began when an earlier session's cut was kept (else None)
                "cap_start": self.cap.learned_start,
                # where it began doubling on an endpoint new to the database (None: no slow start),
                # and whether it ended still doubling but held there by a slow answer
                "cap_ramp_from": self.cap.ramp_from, "cap_held": self.cap.ramping and self.cap.held}


def _http_client(settings: LLMSettings) -> httpx2.AsyncClient:
    limits = httpx2.Limits(
        max_connections=max(100, settings.concurrency + 8),
        max_keepalive_connections=max(20, settings.concurrency),
    )
    if settings.http_transport in ("aiohttp", "auto"):
        return openai.DefaultAioHttpClient(timeout=settings.timeout_s, limits=limits)
    return openai.DefaultAsyncHttpxClient(timeout=settings.timeout_s, limits=limits)


async def _accepts(url: str, within_s: float = 3.0) -> bool:
    """Whether the host and port of `url` accept a TCP connection within `within_s` seconds."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(parts.hostname, port), within_s)
    except (OSError, asyncio.TimeoutError):
        return False
    writer.close()
    return True


def _refused(exc: BaseException) -> str | None:
    """The refused or reset connection behind an SDK error, if any: the aiohttp client reports a
    refused connection as a connect *timeout*, which would send a user to --timeout."""
    seen: BaseException | None = exc
    for _ in range(6):
        seen = seen.__cause__ or seen.__context__ if seen is not None else None
        if seen is None:
            return None
        if isinstance(seen, ConnectionError) or type(seen).__name__ == "ClientConnectorError":
            return str(seen)
    return None


def _print_notice(text: str) -> None:
    import sys

    print(f"note: {text}", file=sys.stderr, flush=True)


def _failed_result(key: str, exc: LLMError) -> ChatResult:
    """The answers of a rejected response, in the shape the cache stores (marked failed there)."""
    return ChatResult(key=key, contents=exc.contents, finish_reasons=["length" if exc.kind == "length" else "stop"]
                      * len(exc.contents), prompt_tokens=0, completion_tokens=0, cached=False, latency_s=0.0,
                      attempts=exc.attempts)


def _rejection(validate: Callable[[ChatResult], None] | None, result: ChatResult) -> str | None:
    """Why `validate` rejects `result`, or None when it accepts it."""
    if validate is None:
        return None
    try:
        validate(result)
    except ValueError as e:
        return str(e) or type(e).__name__
    return None


def _passes(validate: Callable[[ChatResult], None] | None, result: ChatResult) -> bool:
    if validate is None:
        return True
    try:
        validate(result)
    except ValueError:
        return False
    return True


def _stored_response(model: str, result: ChatResult) -> dict[str, Any]:
    """The response as the cache keeps it: OpenAI's shape, trimmed to what realign reads."""
    return {
        "model": model,
        "choices": [
            {"index": i, "message": {"role": "assistant", "content": c}, "finish_reason": f}
            for i, (c, f) in enumerate(zip(result.contents, result.finish_reasons))
        ],
        "usage": {
            "prompt_tokens": result.prompt_tokens,
            "completion_tokens": result.completion_tokens,
            "total_tokens": result.prompt_tokens + result.completion_tokens,
        },
    }


def _status_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str):
            return error
    return exc.message


def _cause(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    while cause is not None and (cause.__cause__ or cause.__context__) is not None and not str(cause):
        cause = cause.__cause__ or cause.__context__
    text = str(cause) if cause is not None else ""
    return text or str(exc) or type(exc).__name__


async def _acquire_within(lock: asyncio.Lock, timeout: float) -> bool:
    """Take `lock` within `timeout` seconds (True) or give up (False). A cancel always goes on:
    `asyncio.wait_for` before Python 3.12 returns the lock instead when the cancel comes in the
    step the lock is granted, and the cancelled call then sends anyway (a row that --max-cost
    stops went on to ask the spend gate, which cancelled the finishing run again)."""
    taking = asyncio.ensure_future(lock.acquire())
    try:
        await asyncio.wait((taking,), timeout=timeout)
    except BaseException:
        if taking.done() and not taking.cancelled():
            lock.release()  # granted meanwhile: hand it on
        else:
            taking.cancel()  # Lock.acquire passes a lock granted but not yet taken to the next waiter
        raise
    if taking.done():
        return True
    taking.cancel()
    return False
