"""Prompt token counts from the server that will read the prompt (`--max-prompt-tokens`).

A chat request's prompt length in tokens depends on the model's tokenizer and chat template,
which only the server knows. Two servers say it without generating anything:

- vLLM (``vllm serve``): ``POST /tokenize`` at the server root with the chat messages and
  ``add_generation_prompt``; it applies the model's chat template and answers ``count`` (and its
  ``max_model_len``);
- llama.cpp's ``llama-server``: ``POST /apply-template`` turns the messages into the prompt text,
  ``POST /tokenize`` with that text as ``content`` answers its ``tokens``.

llama-cpp-python's server (``python -m llama_cpp.server``) has no template endpoint, only
``POST /extras/tokenize/count`` with a text as ``input``: the messages' text is counted with the
model's own tokenizer and the chat template's tags are estimated (`TEMPLATE_TOKENS_PER_MESSAGE`
a message, `GENERATION_PROMPT_TOKENS` for the opening of the answer), so that count is close
but not exact (``exact`` is False). That server counts only between generations (the model's
lock): at ``--concurrency`` above 1 a count waiting longer than `TOKENIZE_TIMEOUT_S` fails, and
its request is sent uncounted.

`PromptTokens` finds out on first use which of the three the endpoint speaks (``kind``); a server
with none (OpenAI, SGLang, Ollama) has kind ``"none"``, and the client then
applies the limit as characters (`chars_for_tokens`), saying so once. A count that fails (the
server busy, a connection dropped) is ``None``: the request is sent as it is, and the server
still refuses a prompt longer than its context.

Example::

    counter = PromptTokens(openai_client, "http://localhost:8000/v1", "Qwen/Qwen3-8B")
    n = await counter.count([{"role": "user", "content": "Say hi"}])  # e.g. 12; None: cannot count
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx2
import openai

# What --max-prompt-tokens becomes in characters where no count can be had: characters of
# message text per prompt token, when the store has measured none (English prose with a BPE
# vocabulary runs about 4; code and other scripts fewer).
DEFAULT_CHARS_PER_TOKEN = 4.0
TOKENIZE_TIMEOUT_S = 15.0  # a count waits this long at most; the request is then sent uncounted
# Where only the text can be counted (llama-cpp-python): the template's tags around one message
# (ChatML's "<|im_start|>" + "<|im_end|>" + newlines; Llama 3's header tokens run a little more)
# and the opening of the answer the template appends.
TEMPLATE_TOKENS_PER_MESSAGE = 5
GENERATION_PROMPT_TOKENS = 3


def server_root(base_url: str) -> str:
    """The server's root, where vLLM and llama-server serve /tokenize: the base URL without /v1.

    >>> server_root("http://gpu:8000/v1/")
    'http://gpu:8000'
    """
    url = base_url.rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


def chars_for_tokens(tokens: int, chars_per_token: float | None) -> tuple[int, str]:
    """The character limit standing in for `tokens` where the server cannot count, and where the
    ratio came from.

    >>> chars_for_tokens(1000, None)
    (4000, 'assumed: no prompts measured yet')
    >>> chars_for_tokens(1000, 3.2)
    (3200, 'measured over the answered requests in the store')
    """
    if chars_per_token is None:
        return int(tokens * DEFAULT_CHARS_PER_TOKEN), "assumed: no prompts measured yet"
    return int(tokens * chars_per_token), "measured over the answered requests in the store"


class PromptTokens:
    """Counts a chat request's prompt tokens at one endpoint (see the module docstring)."""

    def __init__(self, client: openai.AsyncOpenAI, base_url: str, model: str,
                 timeout_s: float = TOKENIZE_TIMEOUT_S) -> None:
        self.client = client
        self.root = server_root(base_url)
        self.model = model
        self.timeout_s = timeout_s
        self.kind: str | None = None  # "vllm", "llama_server", "llama_cpp_python" or "none"; None until the first count
        self.requests = 0  # tokenize requests sent (probes included)
        self._probe = asyncio.Lock()

    async def count(self, messages: list[dict[str, Any]]) -> int | None:
        """The prompt's tokens as the server counts them, chat template included; None when
        this server cannot count (`kind` "none") or this count failed."""
        if self.kind is None:
            async with self._probe:
                if self.kind is None:
                    return await self._first(messages)
        if self.kind == "vllm":
            return await self._vllm(messages)
        if self.kind == "llama_server":
            return await self._llama_server(messages)
        if self.kind == "llama_cpp_python":
            return await self._llama_cpp_python(messages)
        return None

    @property
    def exact(self) -> bool:
        """Whether the counts include the chat template as the server applies it (False where
        its tags are estimated: llama-cpp-python)."""
        return self.kind != "llama_cpp_python"

    async def _first(self, messages: list[dict[str, Any]]) -> int | None:
        """The first count: tries each API in turn; the one that answers is kept."""
        for kind, ask in (("vllm", self._vllm), ("llama_server", self._llama_server),
                          ("llama_cpp_python", self._llama_cpp_python)):
            try:
                n = await ask(messages, probing=True)
            except _Unsupported:
                continue
            except _Unreachable:
                return None  # nothing learned: the next count asks again
            self.kind = kind
            return n
        self.kind = "none"
        return None

    async def _post(self, path: str, body: dict[str, Any], probing: bool) -> dict[str, Any] | None:
        """POST `body` to the server root's `path`: the JSON answer; None for a failure that
        says nothing about the API (timeout, 5xx); while probing, `_Unsupported` for an API the
        server does not have (404, 405, 400, 422, or an answer not shaped as expected) and
        `_Unreachable` for no answer at all."""
        self.requests += 1
        try:
            response = await self.client.post(f"{self.root}{path}", cast_to=httpx2.Response, body=body,
                                              options={"timeout": self.timeout_s, "max_retries": 0})
            data = json.loads(response.content)
        except openai.APIStatusError as exc:
            if probing:
                raise (_Unsupported if exc.status_code < 500 else _Unreachable) from None
            return None
        except openai.APIConnectionError:  # timeouts included
            if probing:
                raise _Unreachable from None
            return None
        except ValueError:  # not JSON: not this API
            if probing:
                raise _Unsupported from None
            return None
        if not isinstance(data, dict):
            if probing:
                raise _Unsupported
            return None
        return data

    async def _vllm(self, messages: list[dict[str, Any]], probing: bool = False) -> int | None:
        data = await self._post("/tokenize", {"model": self.model, "messages": messages,
                                              "add_generation_prompt": True}, probing)
        return _field(data, "count", int, probing)

    async def _llama_server(self, messages: list[dict[str, Any]], probing: bool = False) -> int | None:
        templated = await self._post("/apply-template", {"messages": messages}, probing)
        prompt = _field(templated, "prompt", str, probing)
        if prompt is None:
            return None
        data = await self._post("/tokenize", {"content": prompt, "add_special": True}, probing)
        tokens = _field(data, "tokens", list, probing)
        return None if tokens is None else len(tokens)

    async def _llama_cpp_python(self, messages: list[dict[str, Any]], probing: bool = False) -> int | None:
        data = await self._post("/extras/tokenize/count", {"model": self.model, "input": messages_text(messages)},
                                probing)
        count = _field(data, "count", int, probing)
        if count is None:
            return None
        return count + TEMPLATE_TOKENS_PER_MESSAGE * len(messages) + GENERATION_PROMPT_TOKENS


def messages_text(messages: list[dict[str, Any]]) -> str:
    """The text a chat template puts into the prompt, without its tags: each message's role
    and content (the text parts of a list content), and its tool calls as JSON.

    >>> messages_text([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}])
    'system\\nBe brief.\\nuser\\nHi'
    """
    parts = []
    for m in messages:
        content = m.get("content")
        if isinstance(content, list):
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        text = f"{m.get('role', '')}\n{content if isinstance(content, str) else ''}"
        if m.get("tool_calls"):
            text += json.dumps(m["tool_calls"], ensure_ascii=False)
        parts.append(text)
    return "\n".join(parts)


def _field(data: dict[str, Any] | None, key: str, kind: type, probing: bool) -> Any:
    """`data[key]` when the answer has it with the expected type; otherwise None, or while probing
    `_Unsupported` (an answer not shaped as this API's is not this API)."""
    value = None if data is None else data.get(key)
    if isinstance(value, kind):
        return value
    if probing:
        raise _Unsupported
    return None


class _Unsupported(Exception):
    """The server has no such tokenize API."""


class _Unreachable(Exception):
    """The server did not answer the probe (timeout, connection, 5xx): nothing learned."""
