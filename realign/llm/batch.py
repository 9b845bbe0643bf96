"""Batch files: the OpenAI Batch API (or `vllm run-batch`) as a backend (`--backend batch`).

A batch run goes in rounds. In each round the pipeline runs as usual with `BatchBackend`: a
request whose answer is in the cache is answered from there; any other is written down and its
call fails as ``deferred`` (the row is stored failed, so the next round redoes it). At the end of
the round the requests written down go out as OpenAI Batch JSONL (``custom_id`` = request key, one
model per file, at most 50,000 lines or 200 MB a file), are uploaded (``POST /files``), submitted
(``POST /batches``) and polled until done; the answers are loaded into the request cache and the
next round runs. A row's feedback retry or judge call is a new request and takes one more round;
a round that writes nothing down ends the run.

A line answered with the context-length error (HTTP 400 in the server's words, as online:
`realign.llm.client.too_long_error`) is loaded as the same settled refusal the online client
stores, with the batch's base URL; a later round or rerun answers that request from the cache
(the turn is kept, reason too_long) instead of writing it into a batch again. A prompt over
``--max-prompt-chars`` is never written down. Refusals loaded by ``realign batch import`` carry no
URL (the files ran who knows where) and are answered for any batch run of the same request.

Resumable: the submitted batches are named in ``DB.batch/state.json`` before polling starts, so a
rerun after a crash polls them instead of paying for them again. The request files stay in
``DB.batch/``; `import_results` loads result files from anywhere (``vllm run-batch -o``, the
OpenAI dashboard) into the cache, after which the same `rewrite` command completes from it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from realign.errors import ConfigError
from realign.llm.base import CallCache, request_key
from realign.llm.client import (ChatResult, LLMError, LLMSettings, LLMStats, over_prompt_limit, refused_before,
                                too_long_error, too_long_record)
from realign.llm.structured import dialect_request, schema_of

MAX_LINES = 50_000  # the OpenAI Batch API's limits per input file
MAX_BYTES = 200 * 2**20
MAX_ROUNDS = 4  # rewrite, feedback retry, judge, and one spare


class BatchBackend:
    """A `ChatBackend` that answers from the cache and writes every other request down."""

    def __init__(self, settings: LLMSettings, cache: CallCache | None) -> None:
        self.settings = settings
        self.cache = cache
        self.stats = LLMStats()
        self.structured_mode = "json_schema" if settings.structured_output == "auto" else settings.structured_output
        self.capacity = settings.concurrency
        self.pending: dict[str, tuple[str, dict[str, Any]]] = {}  # request key -> (purpose, body to send)

    async def chat(self, messages: list[dict[str, Any]], *, sampling: dict[str, Any],
                   response_format: dict[str, Any] | None = None, n: int = 1,
                   validate: Callable[[ChatResult], None] | None = None, allow_truncated: bool = False,
                   purpose: str = "chat") -> ChatResult:
        request: dict[str, Any] = {"model": self.settings.model, "messages": messages, "n": n, **sampling}
        if response_format is not None:
            request["response_format"] = response_format
        key = request_key(request)  # the same key LLMClient gives the same request
        stored = self.cache.get_call(key) if self.cache is not None else None
        if stored is not None:
            result = _result(key, stored)
            self.stats.cache_hits += 1
            self.stats.add(purpose, "cached")
            if "length" in result.finish_reasons and not allow_truncated:
                raise _keyed(LLMError("length", "the answer was cut off at max_tokens (finish_reason=length)",
                                      contents=result.contents), key)
            if validate is not None:
                try:
                    validate(result)
                except ValueError as exc:
                    raise _keyed(LLMError("invalid_output", f"{exc} -- answer began: {result.content[:200]!r}",
                                          contents=result.contents), key) from None
            return result
        if self.cache is not None and hasattr(self.cache, "get_cutoff"):
            # a prompt a batch refused as longer than the model's context, by this base URL or
            # imported by hand (no URL): not written into a batch again
            refused = refused_before(self.cache.get_cutoff(key), key, {self.settings.base_url, None})
            if refused is not None:
                self.stats.refused_again(purpose)
                raise refused
        over = over_prompt_limit(messages, self.settings.max_prompt_chars, key)
        if over is not None:
            self.stats.too_long += 1
            raise over
        body = request
        if schema_of(response_format) is not None and self.structured_mode != "json_schema":
            body = dialect_request(request, self.structured_mode)  # type: ignore[arg-type]
        self.pending[key] = (purpose, body)
        raise _keyed(LLMError("deferred", "sent with the next batch; the run goes on when its answers are back"), key)

    async def check_endpoint(self) -> list[str]:
        return []  # checked when the batch is submitted

    async def aclose(self) -> None:
        return None


def _keyed(exc: LLMError, key: str) -> LLMError:
    exc.key = key
    return exc


def _result(key: str, stored: dict[str, Any]) -> ChatResult:
    choices = stored.get("choices") or []
    usage = stored.get("usage") or {}
    return ChatResult(key=key, contents=[(c.get("message") or {}).get("content") or "" for c in choices],
                      finish_reasons=[c.get("finish_reason") or "stop" for c in choices],
                      prompt_tokens=int(usage.get("prompt_tokens") or 0),
                      completion_tokens=int(usage.get("completion_tokens") or 0),
                      cached=True, latency_s=0.0, attempts=0)


def write_requests(folder: Path, pending: dict[str, tuple[str, dict[str, Any]]], round_no: int) -> list[Path]:
    """The pending requests as Batch JSONL files (split at the API's limits); their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    lines: list[bytes] = []
    size = 0

    def cut() -> None:
        nonlocal lines, size
        if lines:
            path = folder / f"requests-{round_no:02d}-{len(paths) + 1:03d}.jsonl"
            path.write_bytes(b"".join(lines))
            paths.append(path)
        lines, size = [], 0

    for key, (_purpose, body) in sorted(pending.items()):
        line = (json.dumps({"custom_id": key, "method": "POST", "url": "/v1/chat/completions", "body": body},
                           ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        if len(lines) >= MAX_LINES or size + len(line) > MAX_BYTES:
            cut()
        lines.append(line)
        size += len(line)
    cut()
    kinds = {key: purpose for key, (purpose, _b) in pending.items()}
    (folder / f"purposes-{round_no:02d}.json").write_text(json.dumps(kinds))
    return paths


def refusal_of(line: dict[str, Any], url: str | None) -> LLMError | None:
    """The too_long failure a Batch result line holds (its request was longer than the model's
    context), with `url` as where it was refused; None for any other line. The OpenAI Batch API
    puts the error body under ``response.body.error``; ``vllm run-batch`` puts it under
    ``error`` beside the status code."""
    response = line.get("response") if isinstance(line.get("response"), dict) else {}
    body = response.get("body") if isinstance(response.get("body"), dict) else {}
    error = body.get("error") if isinstance(body.get("error"), dict) else body
    if not error.get("message") and isinstance(line.get("error"), dict):
        error = line["error"]
    message = str(error.get("message") or "")
    status = response.get("status_code")
    if not isinstance(status, int):
        status = error.get("code") if isinstance(error.get("code"), int) else 400  # a line's error: a 4xx
    code = error.get("code")
    if not message or not too_long_error(status, message, str(code) if code is not None else None):
        return None
    return LLMError("too_long", message, status=status, url=url)


def import_results(store: Any, files: list[Path], folder: Path | None = None,
                   url: str | None = None) -> dict[str, int]:
    """Load Batch result files into the request cache: each line's ``custom_id`` is the request
    key; a line whose request file is in `folder` is stored with its request. A line refused as
    longer than the model's context is stored as the settled too_long refusal the online client
    stores (`refusal_of`), refused at `url` (the batch's base URL; None: files run elsewhere)."""
    requests: dict[str, dict[str, Any]] = {}
    purposes: dict[str, str] = {}
    if folder is not None:
        for path in sorted(folder.glob("requests-*.jsonl")):
            for raw in path.read_bytes().splitlines():
                line = json.loads(raw)
                requests[line["custom_id"]] = line["body"]
        for path in sorted(folder.glob("purposes-*.json")):
            purposes.update(json.loads(path.read_text()))
    loaded = failed = too_long = 0
    usage: dict[str, dict[str, int]] = {}
    for path in files:
        for n, raw in enumerate(path.read_bytes().splitlines(), 1):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
                key = line["custom_id"]
                response = line.get("response") or {}
            except (ValueError, KeyError, TypeError):
                raise ConfigError(f"{path}:{n}: not a Batch result line (custom_id, response); "
                                  "give the output file of the batch") from None
            body = response.get("body") if isinstance(response, dict) else None
            ok = response.get("status_code") == 200 and isinstance(body, dict) and body.get("choices")
            if ok and store.get_call(key) is not None:
                continue  # loaded before (a rerun importing the same file)
            refused = None if ok else refusal_of(line, url)
            if refused is not None and store.get_cutoff(key) is not None:
                continue  # the refusal was loaded before
            tokens = (body or {}).get("usage") or {}
            model = str(requests.get(key, {}).get("model") or "")
            store.put_call(
                key, kind=purposes.get(key, "batch"), request=requests.get(key, {}),
                response=_trimmed(body) if ok else (too_long_record(model, refused) if refused else None),
                finish_reason=(body["choices"][0].get("finish_reason") if ok else
                               "too_long" if refused is not None else None),
                prompt_tokens=tokens.get("prompt_tokens"), completion_tokens=tokens.get("completion_tokens"),
                error=None if ok else str(refused) if refused is not None
                else f"batch: {json.dumps(line.get('error') or body)[:300]}")
            loaded += bool(ok)
            failed += not ok
            too_long += refused is not None
            row = usage.setdefault(purposes.get(key, "batch") + " (batch)", dict.fromkeys(
                ("requests", "cached", "retries", "prompt_tokens", "completion_tokens"), 0))
            row["requests"] += 1
            row["prompt_tokens"] += int(tokens.get("prompt_tokens") or 0)
            row["completion_tokens"] += int(tokens.get("completion_tokens") or 0)
    store.flush()
    return {"answers": loaded, "failed": failed, "too_long": too_long, "usage": usage}


def bill(store: Any, run_id: str, usage: dict[str, dict[str, int]]) -> None:
    """Add what a round's batches were billed to the run's ledger, under the session that sent
    them (finished by then) and purposes marked "(batch)", so `stats` and the summary count it."""
    row = store.con.execute("SELECT sessions FROM runs WHERE run_id = ?", [run_id]).fetchone()
    if not row or not usage:
        return
    session = int(row[0] or 1)
    for purpose, fig in usage.items():
        store.con.execute(
            """INSERT INTO usage VALUES (?, ?, ?, ?, 0, 0, ?, ?) ON CONFLICT DO UPDATE SET
               requests = usage.requests + excluded.requests,
               prompt_tokens = usage.prompt_tokens + excluded.prompt_tokens,
               completion_tokens = usage.completion_tokens + excluded.completion_tokens""",
            [run_id, session, purpose, fig["requests"], fig["prompt_tokens"], fig["completion_tokens"]])


def _trimmed(body: dict[str, Any]) -> dict[str, Any]:
    return {"model": body.get("model"), "usage": body.get("usage") or {},
            "choices": [{"index": c.get("index", i), "message": {"role": "assistant",
                                                                 "content": (c.get("message") or {}).get("content")},
                         "finish_reason": c.get("finish_reason")} for i, c in enumerate(body.get("choices") or [])]}


async def submit_and_wait(settings: LLMSettings, folder: Path, files: list[Path], *, poll_s: float = 10.0,
                          on_notice: Callable[[str], None] = print) -> list[Path]:
    """Upload and submit `files` (unless state.json names their batches already), poll until every
    batch is done, download the results into `folder`; their paths."""
    import openai

    state_path = folder / "state.json"
    state = json.loads(state_path.read_text()) if state_path.exists() else {"batches": {}}
    client = openai.AsyncOpenAI(base_url=settings.base_url, max_retries=3,
                                api_key=settings.api_key.get_secret_value() if settings.api_key else "EMPTY")
    try:
        for path in files:
            if path.name in state["batches"]:
                continue  # submitted before a crash: polled below, not paid for twice
            try:
                uploaded = await client.files.create(file=(path.name, path.read_bytes()), purpose="batch")
                batch = await client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                                    completion_window="24h")
            except openai.APIError as exc:
                raise ConfigError(f"the Batch API at {settings.base_url} refused {path.name}: {exc}; "
                                  "check --base-url and OPENAI_API_KEY (the server must offer /files and /batches)") from None
            state["batches"][path.name] = batch.id
            _write_json(state_path, state)  # before polling: a rerun finds it
            on_notice(f"batch {batch.id}: {path.name} submitted")
        results: list[Path] = []
        for name, batch_id in sorted(state["batches"].items()):
            out = folder / name.replace("requests-", "results-")
            if out.exists():
                results.append(out)
                continue
            while True:
                batch = await client.batches.retrieve(batch_id)
                if batch.status in ("completed", "failed", "expired", "cancelled"):
                    break
                await asyncio.sleep(poll_s)
            if batch.status != "completed" and not batch.output_file_id:
                raise ConfigError(f"batch {batch_id} ({name}) ended {batch.status}: {batch.errors}; "
                                  f"remove {state_path} to submit it again")
            data = b""
            for fid in (batch.output_file_id, batch.error_file_id):
                if fid:
                    data += (await client.files.content(fid)).content
            out.write_bytes(data)
            results.append(out)
        state_path.unlink()  # every batch of the round is in; its results are in `folder`
        return results
    finally:
        await client.close()


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(path)

