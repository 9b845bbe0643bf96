"""The one seam every model call goes through: a chat backend.

The pipeline, the LLM classifier and the judge ask a `ChatBackend` for chat completions; how the
request reaches a model is the backend's business. `realign.llm.client.LLMClient` (OpenAI-compatible
HTTP, one endpoint or several balanced) is the first implementation; batch files and in-process
vLLM are siblings behind the same `chat`. Every backend keys a request the same way (SHA-256 of
the canonical request, `realign.llm.base.request_key`) and answers from the same cache, so rows
started by one backend can be finished by another.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from realign.config import PipelineConfig
    from realign.llm.base import CallCache
    from realign.llm.client import ChatResult, LLMSettings, LLMStats


@runtime_checkable
class ChatBackend(Protocol):
    """What the pipeline needs from a model."""

    stats: LLMStats  # live counters (requests, cache hits, tokens by purpose) read by progress and the ledger
    structured_mode: str  # how JSON answers are requested now (reported in the run summary)

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
        """One chat completion with `n` choices (from the cache when it holds the request);
        raises `realign.llm.client.LLMError` when the call fails for good."""
        ...

    async def check_endpoint(self) -> list[str]:
        """Fail early (ConfigError, one line) when the model cannot be reached; the model ids."""
        ...

    async def aclose(self) -> None: ...


def capacity(backend: Any, default: int) -> int:
    """Requests the backend keeps in flight at most: what the engine sizes its row window by."""
    return int(getattr(backend, "capacity", default) or default)


def settings_of(cfg: PipelineConfig) -> LLMSettings:
    from realign.llm.client import LLMSettings

    m = cfg.model
    assert m.base_url and m.model
    return LLMSettings(base_url=m.base_url, base_urls=list(m.base_urls), api_key=m.api_key, model=m.model,
                       concurrency=m.concurrency, timeout_s=m.timeout_s, max_attempts=m.max_attempts,
                       requests_per_minute=m.requests_per_minute, tokens_per_minute=m.tokens_per_minute,
                       structured_output=m.structured_output, max_prompt_chars=m.max_prompt_chars,
                       max_prompt_tokens=m.max_prompt_tokens)


def build_backend(cfg: PipelineConfig, cache: CallCache | None) -> ChatBackend:
    """The backend the config names: OpenAI-compatible HTTP over every configured endpoint
    (`realign.llm.client`), batch files (`realign.llm.batch`) or in-process vLLM
    (`realign.llm.vllm_local`)."""
    if cfg.model.max_prompt_tokens is not None and cfg.model.backend in ("vllm", "batch"):
        from realign.errors import ConfigError

        raise ConfigError(f"--max-prompt-tokens counts tokens at the server (its /tokenize API), which --backend "
                          f"{cfg.model.backend} does not ask; use --max-prompt-chars instead")
    if cfg.model.backend == "vllm":
        from realign.llm.vllm_local import VLLMBackend

        assert cfg.model.model
        return VLLMBackend(cfg.model.model, cache, concurrency=cfg.model.concurrency,
                           max_prompt_chars=cfg.model.max_prompt_chars)
    if cfg.model.backend == "batch":
        from realign.llm.batch import BatchBackend

        return BatchBackend(settings_of(cfg), cache)
    from realign.llm.client import LLMClient

    return LLMClient(settings_of(cfg), cache)
