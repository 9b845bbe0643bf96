"""In-process vLLM as a backend (`realign rewrite --backend vllm --model PATH`), for a GPU box
without a server.

Calls arriving within a few milliseconds of each other are gathered and handed to one
``vllm.LLM.chat`` call (vLLM batches them on the GPU), run in a worker thread so the event loop
keeps scheduling rows. A JSON-schema response format becomes vLLM's structured outputs
(``SamplingParams(structured_outputs=StructuredOutputsParams(json=schema))``, vLLM >= 0.12). The
request key is the HTTP client's (the model name is the `--model` given), so the cache is shared
with runs against `vllm serve` of the same model under the same name.

A prompt longer than the model's context is the error kind ``too_long``, as on the HTTP path:
vLLM checks each prompt's token count against ``max_model_len`` as it adds the request, and one
prompt that does not fit (``VLLMValidationError``, a ValueError, "The decoder prompt (length N)
is longer than the maximum model length of M") aborts the whole ``LLM.chat`` call before anything
is generated. The backend then halves the batch until each such prompt is alone
(`isolate_too_long`), so the other calls are answered and only the offender's turn is kept with
reason ``too_long``; the refusal is stored, settled, and a rerun answers it from the cache
without asking vLLM (`realign.llm.client.refused_before`), unless the engine's max_model_len changed.
`--max-prompt-chars` holds a prompt back before vLLM sees it, as it does for the HTTP client.

Limits: written against vLLM's documented offline API but not run in this project's CI (no GPU
there; the mapping above is tested with vLLM's own error texts); `n > 1` is passed as
SamplingParams.n; a rejected or cut-off answer is not retried (greedy decoding would repeat it)
and fails its turn like an HTTP call out of attempts.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from realign.errors import ConfigError
from realign.llm.base import CallCache, request_key
from realign.llm.client import (ChatResult, LLMError, LLMStats, over_prompt_limit, refused_before, too_long_error,
                                too_long_record)
from realign.llm.structured import schema_of

T = TypeVar("T")
R = TypeVar("R")

GATHER_S = 0.02  # how long the first call of a batch waits for others to join it
MAX_BATCH = 1024  # calls per LLM.chat at most

# How vLLM words a prompt its max_model_len cannot take (vllm/v1/engine/input_processor.py,
# `_validate_prompt_len`): longer than the context, or exactly as long (no room left for the one
# output token every generate request needs). Older releases said "exceeds" where newer say
# "is longer than".
_VLLM_TOO_LONG = re.compile(
    r"prompt \(length \d+\)( plus the number of requested output tokens \(at least \d+\))?"
    r" (is longer than|exceeds) the maximum model length", re.IGNORECASE)


def too_long_exception(exc: BaseException) -> bool:
    """Whether an exception `LLM.chat` raised says a prompt does not fit the model's context.

    vLLM raises `VLLMValidationError` (a ValueError) naming the prompt's length and
    max_model_len; the OpenAI-style wording the HTTP path knows (`too_long_error`) counts too.
    Any other failure (CUDA, out of memory, a bad sampling parameter) is not a too-long prompt.

    >>> too_long_exception(ValueError("The decoder prompt (length 9000) is longer than the maximum model length of 8192."))
    True
    >>> too_long_exception(RuntimeError("CUDA error: out of memory"))
    False
    """
    if not isinstance(exc, ValueError):
        return False
    text = str(exc)
    return _VLLM_TOO_LONG.search(text) is not None or too_long_error(400, text)


def isolate_too_long(items: Sequence[T], generate: Callable[[list[T]], list[R]],
                     is_too_long: Callable[[BaseException], bool] = too_long_exception) -> list[R | BaseException]:
    """`generate` over `items` in one call, one outcome per item: its output, or the exception
    that failed it.

    vLLM adds a batch's requests one by one and aborts them all, before generating anything,
    when one prompt is too long; so when the call fails with a too-long error, the batch is
    halved and each half asked again, down to the offending prompts alone, which get the error;
    the rest are answered. Any other failure fails every item of the call it happened in.
    k offenders in n items cost about k * log2(n) extra calls, of which only those that
    succeed generate.
    """
    batch = list(items)
    if not batch:
        return []
    try:
        outputs = list(generate(batch))
    except Exception as exc:  # noqa: BLE001 - the engine's error becomes each call's outcome
        if len(batch) == 1 or not is_too_long(exc):
            return [exc] * len(batch)
        mid = len(batch) // 2
        return (isolate_too_long(batch[:mid], generate, is_too_long)
                + isolate_too_long(batch[mid:], generate, is_too_long))
    if len(outputs) != len(batch):
        raise RuntimeError(f"vLLM returned {len(outputs)} outputs for {len(batch)} prompts")
    return list(outputs)


def engine_error(exc: BaseException, where: str) -> LLMError:
    """The `LLMError` a call gets when vLLM raised `exc` for it: ``too_long`` (kept with its
    reason, settled in the cache, never retried) for a prompt over the context, else
    ``server_error``."""
    if too_long_exception(exc):
        return LLMError("too_long", f"vLLM: {exc}", status=400, url=where)
    return LLMError("server_error", f"vLLM: {type(exc).__name__}: {exc}")


def _require_vllm() -> Any:
    try:
        import vllm
    except ImportError:
        raise ConfigError("--backend vllm needs vLLM and a GPU: pip install 'realign[vllm]' on the GPU machine, "
                          "or serve the model (`vllm serve MODEL`) and use --base-url") from None
    try:
        import torch

        if not torch.cuda.is_available():
            raise ConfigError("--backend vllm found no GPU on this machine (torch.cuda.is_available() is False); "
                              "run it on the GPU box, or point --base-url at a vLLM server")
    except ImportError:
        pass  # a vLLM build for another accelerator: let vLLM decide
    return vllm


class VLLMBackend:
    """A `ChatBackend` over an in-process ``vllm.LLM``."""

    def __init__(self, model: str, cache: CallCache | None, *, concurrency: int = 256,
                 max_prompt_chars: int | None = None, **engine_args: Any) -> None:
        vllm = _require_vllm()
        self.model = model
        self.cache = cache
        self.stats = LLMStats()
        self.structured_mode = "vllm"
        self.capacity = concurrency
        self.max_prompt_chars = max_prompt_chars
        self.llm = vllm.LLM(model=model, **engine_args)
        # Where a refusal is recorded (the "url" of a stored too_long): the context it was
        # measured against, so a rerun with a longer --max-model-len asks anew.
        self.where = f"in-process vLLM (max_model_len {_max_model_len(self.llm)})"
        self._queue: list[tuple[list[dict[str, Any]], Any, asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def chat(self, messages: list[dict[str, Any]], *, sampling: dict[str, Any],
                   response_format: dict[str, Any] | None = None, n: int = 1,
                   validate: Callable[[ChatResult], None] | None = None, allow_truncated: bool = False,
                   purpose: str = "chat") -> ChatResult:
        request: dict[str, Any] = {"model": self.model, "messages": messages, "n": n, **sampling}
        if response_format is not None:
            request["response_format"] = response_format
        key = request_key(request)
        stored = self.cache.get_call(key) if self.cache is not None else None
        if stored is not None:
            from realign.llm.batch import _result

            self.stats.cache_hits += 1
            self.stats.add(purpose, "cached")
            return _result(key, stored)
        if self.cache is not None and hasattr(self.cache, "get_cutoff"):
            refused = refused_before(self.cache.get_cutoff(key), key, {self.where})
            if refused is not None:  # refused before at this max_model_len: the same prompt, the same answer
                self.stats.refused_again(purpose)
                raise refused
        over = over_prompt_limit(messages, self.max_prompt_chars, key)
        if over is not None:
            self.stats.too_long += 1
            raise over
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((messages, self._params(sampling, response_format, n), future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        self.stats.in_flight += 1
        self.stats.requests_sent += 1
        self.stats.add(purpose, "requests")
        try:
            output = await future
        except LLMError as exc:
            exc.key, exc.attempts = key, 1
            self.stats.errors += 1
            if exc.kind == "too_long":
                self.stats.too_long += 1
                if self.cache is not None:  # settled: a rerun answers it from the cache
                    self.cache.put_call(key, kind=purpose, request=request, response=too_long_record(self.model, exc),
                                        finish_reason="too_long", error=str(exc))
            raise
        finally:
            self.stats.in_flight -= 1
        contents = [o.text for o in output.outputs]
        finish = [o.finish_reason or "stop" for o in output.outputs]
        prompt_tokens = len(output.prompt_token_ids or [])
        completion_tokens = sum(len(o.token_ids) for o in output.outputs)
        self.stats.prompt_tokens += prompt_tokens
        self.stats.completion_tokens += completion_tokens
        self.stats.add(purpose, "prompt_tokens", prompt_tokens)
        self.stats.add(purpose, "completion_tokens", completion_tokens)
        result = ChatResult(key=key, contents=contents, finish_reasons=finish, prompt_tokens=prompt_tokens,
                            completion_tokens=completion_tokens, cached=False, latency_s=0.0, attempts=1)
        error: LLMError | None = None
        if "length" in finish and not allow_truncated:
            error = LLMError("length", "the answer was cut off at max_tokens (finish_reason=length)", contents=contents)
        elif validate is not None:
            try:
                validate(result)
            except ValueError as exc:
                error = LLMError("invalid_output", f"{exc} -- answer began: {contents[0][:200]!r}", contents=contents)
        if self.cache is not None:
            from realign.llm.client import _stored_response

            self.cache.put_call(key, kind=purpose, request=request,
                                response=_stored_response(self.model, result) if error is None else None,
                                finish_reason=finish[0] if finish else None, prompt_tokens=prompt_tokens,
                                completion_tokens=completion_tokens, error=str(error) if error else None)
        if error is not None:
            error.key, error.attempts = key, 1
            self.stats.errors += 1
            raise error
        self.stats.completed += 1
        return result

    def _params(self, sampling: dict[str, Any], response_format: dict[str, Any] | None, n: int) -> Any:
        from vllm import SamplingParams

        known = {k: v for k, v in sampling.items() if k in ("temperature", "top_p", "max_tokens", "seed", "stop",
                                                              "presence_penalty", "frequency_penalty", "top_k")}
        schema = schema_of(response_format)
        if schema is not None:
            from vllm.sampling_params import StructuredOutputsParams

            known["structured_outputs"] = StructuredOutputsParams(json=schema)
        return SamplingParams(n=n, **known)

    async def _flush(self) -> None:
        await asyncio.sleep(GATHER_S)
        while self._queue:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]

            def generate(part: list[tuple[list[dict[str, Any]], Any, Any]]) -> list[Any]:
                return self.llm.chat([m for m, _, _ in part], sampling_params=[p for _, p, _ in part],
                                     use_tqdm=False)

            try:
                outcomes = await asyncio.to_thread(isolate_too_long, batch, generate)
            except Exception as exc:  # noqa: BLE001 - a broken engine answer fails the batch's calls
                outcomes = [exc] * len(batch)
            for (_, _, fut), out in zip(batch, outcomes):
                if fut.done():
                    continue
                if isinstance(out, BaseException):
                    fut.set_exception(engine_error(out, self.where))
                else:
                    fut.set_result(out)

    async def check_endpoint(self) -> list[str]:
        return [self.model]

    async def aclose(self) -> None:
        return None


def _max_model_len(llm: Any) -> int | None:
    """The context length the engine checks prompts against (``LLM.llm_engine.model_config``)."""
    config = getattr(getattr(llm, "llm_engine", None), "model_config", None) or getattr(llm, "model_config", None)
    value = getattr(config, "max_model_len", None)
    return int(value) if isinstance(value, int) else None
