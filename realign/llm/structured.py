"""How to ask a given server for JSON that follows a schema, and how to read what comes back.

Servers disagree on the request: OpenAI and vLLM >= 0.12 take ``response_format`` of type
``json_schema``; llama-cpp-python's server answers that with HTTP 500 and takes
``{"type": "json_object", "schema": ...}``; older vLLM takes ``guided_json``, newer vLLM
``structured_outputs`` and Ollama ``format`` in the body; some take nothing and answer free text. Callers state the
schema once, in the ``json_schema`` form (the logical request, and the request key); the client
walks `LADDER` from the top and steps down when a server's error names the format it was sent
(`names_format`), so each dialect costs one failed request per run, not one per row.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

__all__ = ["Mode", "MODES", "LADDER", "dialect_request", "names_format", "loads_lenient", "schema_of"]

Mode = Literal["auto", "json_schema", "json_object", "vllm", "off"]
MODES: tuple[str, ...] = ("auto", "json_schema", "json_object", "vllm", "off")
# Tried in this order by "auto"; "off" sends no constraint and relies on the prompt and a lenient parse.
LADDER: tuple[str, ...] = ("json_schema", "json_object", "vllm", "off")

# Words a server's error uses when it rejects the way JSON output was requested (llama.cpp:
# "Input should be 'text' or 'json_object'"; OpenAI: "Invalid schema for response_format ...";
# vLLM: "structured_outputs ..."; others: "grammar", "guided_json").
_FORMAT_WORDS = re.compile(
    r"response_format|json_schema|json_object|structured_output|guided_json|guided_decoding|grammar|\bschema\b",
    re.IGNORECASE,
)


def schema_of(response_format: dict[str, Any] | None) -> dict[str, Any] | None:
    """The JSON schema inside a ``json_schema`` response format, or None for any other."""
    if not isinstance(response_format, dict) or response_format.get("type") != "json_schema":
        return None
    schema = (response_format.get("json_schema") or {}).get("schema")
    return schema if isinstance(schema, dict) else None


def dialect_request(request: dict[str, Any], mode: str) -> dict[str, Any]:
    """`request` (whose response_format is in the json_schema form) as `mode` sends it.

    Returns `request` itself for "json_schema" and for requests without a schema.
    """
    schema = schema_of(request.get("response_format"))
    if schema is None or mode == "json_schema":
        return request
    out = {k: v for k, v in request.items() if k != "response_format"}
    if mode == "json_object":
        out["response_format"] = {"type": "json_object", "schema": schema}
    elif mode == "vllm":
        # Every guided-decoding spelling at once: vLLM's two and Ollama's `format` (a JSON schema);
        # such servers ignore (vLLM: with a warning) the body fields they do not know.
        out["structured_outputs"] = {"json": schema}
        out["guided_json"] = schema
        out["format"] = schema
    return out


def names_format(status: int | None, message: str) -> bool:
    """True when an error answer rejects the structured-output request itself."""
    return status is not None and status not in (401, 403, 404, 408, 429) and bool(_FORMAT_WORDS.search(message))


_FENCE = re.compile(r"```(?:json|JSON)?\s*(\{.*?\})\s*```", re.DOTALL)


def loads_lenient(text: str) -> Any:
    """The JSON object `text` holds, read leniently where that is unambiguous, else None.

    Tried in order: the whole text; a fenced ```json block; the outermost {...}. Each is read
    with ``strict=False``, so raw newlines and tabs inside strings (grammar-constrained
    answers often have them) are accepted.
    """
    stripped = text.strip()
    candidates = [stripped]
    m = _FENCE.search(stripped)
    if m:
        candidates.append(m.group(1))
    first, last = stripped.find("{"), stripped.rfind("}")
    if 0 <= first < last:
        candidates.append(stripped[first:last + 1])
    for c in candidates:
        try:
            return json.loads(c, strict=False)
        except ValueError:
            continue
    return None
