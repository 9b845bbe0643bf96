"""The request cache interface the LLM client and web search adapters use.

`realign.store.Store` implements it on the `llm_calls` table; anything keyed by a request hash
(chat completions, web search responses) goes through it, so nothing is paid for twice.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Protocol


def request_key(request: dict[str, Any]) -> str:
    """Stable hash of a canonical request (sorted keys, no whitespace)."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class CallCache(Protocol):
    def get_call(self, key: str) -> dict[str, Any] | None:
        """The stored successful response for `key`, or None."""
        ...

    def get_cutoff(self, key: str) -> dict[str, Any] | None:
        """The stored answer of a request cut off at max_tokens with the same text twice (a
        deterministic cut-off, recorded with finish_reason "length" and an error), or whose same
        answer was rejected twice (finish_reason "invalid_output"), or the refusal of a prompt
        longer than the model's context (finish_reason "too_long": no choices, an "error" entry
        with kind, status, message and the endpoint URL), or None."""
        ...

    def put_call(
        self,
        key: str,
        *,
        kind: str,  # "chat", "search:serper", ...
        request: dict[str, Any],  # never holds an API key
        response: dict[str, Any] | None,
        finish_reason: str | None = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        latency_s: float | None = None,
        error: str | None = None,  # calls that failed are recorded but never served from cache
        # (except a deterministic cut-off: see get_cutoff)
    ) -> None: ...
