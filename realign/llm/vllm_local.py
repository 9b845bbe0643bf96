"""In-process vLLM as a backend (`realign rewrite --backend vllm --model PATH`), for a GPU box
without a server.

Calls arriving within a few milliseconds of each other are gathered and handed to one
``vllm.LLM.chat`` call (vLLM batches them on the GPU), run in a worker thread so the event loop
keeps scheduling rows. A JSON-schema response format becomes vLLM's structured outputs
(``SamplingParams(structured_outputs=StructuredOutputsParams(json=schema))``, vLLM >= 0.12). The
request key is the HTTP client's (the model name is the `--model` given), so the cache is shared
with runs against `vllm serve` of the same model under the same name.

Limits: written against vLLM's documented offline API but not run in this project's CI (no GPU
there); `n > 1` is passed as SamplingParams.n; a rejected or cut-off answer is not retried
(greedy decoding would repeat it) and fails its turn like an HTTP call out of attempts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from realign.errors import ConfigError
from realign.llm.base import CallCache, request_key
from realign.llm.client import ChatResult, LLMError, LLMStats
from realign.llm.structured import schema_of

GATHER_S = 0.02  # how long the first call of a batch waits for others to join it
MAX_BATCH = 1024  # calls per LLM.chat at most


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

    def __init__(self, model: str, cache: CallCache | None, *, concurrency: int = 256, **engine_args: Any) -> None:
        vllm = _require_vllm()
        self.model = model
        self.cache = cache
        self.stats = LLMStats()
        self.structured_mode = "vllm"
        self.capacity = concurrency
        self.llm = vllm.LLM(model=model, **engine_args)
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
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((messages, self._params(sampling, response_format, n), future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        self.stats.in_flight += 1
        self.stats.requests_sent += 1
        self.stats.add(purpose, "requests")
        try:
            output = await future
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
            try:
                outputs = await asyncio.to_thread(self.llm.chat, [m for m, _, _ in batch],
                                                  sampling_params=[p for _, p, _ in batch], use_tqdm=False)
            except Exception as exc:  # the engine failed: every call of the batch fails with it
                for _, _, fut in batch:
                    if not fut.done():
                        fut.set_exception(LLMError("server_error", f"vLLM: {type(exc).__name__}: {exc}"))
                continue
            for (_, _, fut), out in zip(batch, outputs):
                if not fut.done():
                    fut.set_result(out)

    async def check_endpoint(self) -> list[str]:
        return [self.model]

    async def aclose(self) -> None:
        return None
