"""A local OpenAI-compatible chat server for tests and benchmarks, speaking real HTTP/1.1.

It answers ``POST /v1/chat/completions`` (non-streaming) and ``GET /v1/models`` (and, as vLLM or
llama.cpp's llama-server does, ``POST /tokenize``: see `OpenAIServer`'s ``tokenize``) on plain asyncio
streams: a minimal hand-written HTTP/1.1 with keep-alive and ``Content-Length`` bodies, no
dependency beyond the standard library. What it answers is decided by a *responder*, a function
``responder(request_body) -> Reply``; faults (429 with ``Retry-After``, 500, hangs, malformed
JSON, ``finish_reason="length"``) are injected by wrapping a responder in a `FaultPlan`.

In a test::

    from realign.testing.openai_server import OpenAIServer, Reply

    with OpenAIServer(lambda body: Reply(content="hello")) as srv:
        client = openai.OpenAI(base_url=srv.base_url, api_key="x")
        ...
        assert srv.count == 1
        assert srv.requests[0]["model"] == "test-model"

As a separate process (benchmarks, end-to-end CLI tests)::

    python -m realign.testing.openai_server --port 0 --latency 0.2 --mode echo --port-file port.txt

The server runs its own event loop in a background thread, so it works the same whether the
code under test is synchronous or runs its own asyncio loop.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Reply",
    "Responder",
    "OpenAIServer",
    "DIALECTS",
    "Fault",
    "FaultPlan",
    "ScriptRule",
    "ScriptResponder",
    "Intent",
    "StereotypeResponder",
    "echo_responder",
    "make_rewrite_responder",
    "rewrite_responder",
    "last_user_message",
    "body_key",
    "prompt_chars",
    "main",
]


@dataclass
class Reply:
    """What the server answers to one chat request."""

    content: str | list[str] = ""  # a list gives one choice per item (for n > 1)
    status: int = 200  # non-200 answers an OpenAI-style error JSON body
    headers: dict[str, str] = field(default_factory=dict)  # extra headers, e.g. {"Retry-After": "1"}
    delay_s: float = 0.0  # latency added to the server's default `latency_s` before answering
    finish_reason: str = "stop"  # "length" simulates a truncated answer
    hang: bool = False  # never answer; the connection is closed when the server stops
    malformed: bool = False  # 200 with a body that is not valid JSON
    prompt_tokens: int | None = None  # default: a rough word count of the messages
    completion_tokens: int | None = None  # default: a rough word count of the contents
    error_message: str | None = None  # message of the error body when status != 200


Responder = Callable[[dict[str, Any]], Reply]


# --------------------------------------------------------------------------------------------
# Helpers shared by responders


def _text_of(content: Any) -> str:
    """The text of a message's content (a string, or a list of OpenAI content parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "") for part in content if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""


def last_user_message(body: dict[str, Any]) -> str:
    """The text of the last ``user`` message of a chat request ("" when there is none)."""
    messages = body.get("messages")
    if isinstance(messages, list):
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "user":
                return _text_of(message.get("content"))
    return ""


def body_key(body: dict[str, Any]) -> str:
    """A stable hash of a request body: the same request retried gets the same key."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _word_count(text: str) -> int:
    return len(text.split())


# --------------------------------------------------------------------------------------------
# Ready-made responders


def echo_responder(body: dict[str, Any]) -> Reply:
    """Answers with a visible transformation of the last user message: ``"ECHO: " + text``.

    Deterministic, so a test can predict the answer from its own prompt.
    """
    return Reply(content="ECHO: " + last_user_message(body))


def _default_rewrite(text: str) -> str:
    """A transformation that keeps every word of `text` (so answer checks still pass) and marks
    the result as rewritten: collapses runs of blank space and prefixes a header line."""
    collapsed = re.sub(r"[ \t]+", " ", text.strip())
    return "Rewritten answer:\n" + collapsed


def make_rewrite_responder(
    *,
    start_marker: str | None = None,
    end_marker: str | None = None,
    transform: Callable[[str], str] = _default_rewrite,
    keep_original: Callable[[str], bool] | None = None,
) -> Responder:
    """A responder for realign's rewrite requests.

    It takes the last user message, cuts out the text between `start_marker` and `end_marker`
    when both are given and present (the original response, in realign's prompt), applies
    `transform`, and answers the JSON object ``{"rewritten": ..., "keep_original": false}``.
    `keep_original(original)` returning True answers ``{"rewritten": "", "keep_original": true}``.

    The prompt format belongs to `realign.rewrite`; pass its markers here, or any `transform`.
    """

    def respond(body: dict[str, Any]) -> Reply:
        text = last_user_message(body)
        if start_marker and end_marker:
            start = text.rfind(start_marker)
            if start >= 0:
                start += len(start_marker)
                end = text.find(end_marker, start)
                if end >= 0:
                    text = text[start:end].strip()
        if keep_original is not None and keep_original(text):
            payload = {"rewritten": "", "keep_original": True}
        else:
            payload = {"rewritten": transform(text), "keep_original": False}
        return Reply(content=json.dumps(payload, ensure_ascii=False))

    return respond


rewrite_responder: Responder = make_rewrite_responder()
"""The generic rewrite responder: the whole last user message, transformed, as rewrite JSON."""


# --------------------------------------------------------------------------------------------
# Fault injection

_FAULT_KINDS = ("rate_limit", "server_error", "hang", "malformed", "length", "bad_request", "unauthorized")


@dataclass
class Fault:
    """One kind of fault and which requests get it.

    A request is selected when its 1-based arrival number is in `at`, or is a multiple of
    `every`, or (deterministically, from a hash of the request body) falls in the `fraction` of
    request keys. A selected request *key* gets the fault `times` times (its first arrivals),
    then is answered normally, so a client that retries recovers; ``times=None`` makes the fault
    permanent for that key. For `at` / `every` the arrival number decides; a retry arrives with
    a new number and is selected only if that number is too.
    """

    kind: str  # one of rate_limit, server_error, hang, malformed, length, bad_request, unauthorized
    at: Iterable[int] = ()  # 1-based request numbers that get the fault
    every: int | None = None  # every Nth request gets the fault
    fraction: float = 0.0  # share of request keys (by hash) that get the fault
    times: int | None = 1  # faulty answers per selected key before answering normally; None = always
    retry_after: float | str | None = None  # Retry-After header for rate_limit / server_error
    status: int | None = None  # override the HTTP status (e.g. 503 for server_error)
    salt: str = ""  # changes which keys `fraction` selects

    def __post_init__(self) -> None:
        if self.kind not in _FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {', '.join(_FAULT_KINDS)}")
        self.at = frozenset(self.at)

    def selects(self, number: int, key: str) -> bool:
        if number in self.at:  # type: ignore[operator]
            return True
        if self.every and number % self.every == 0:
            return True
        if self.fraction > 0.0:
            digest = hashlib.sha256((self.salt + self.kind + key).encode()).digest()
            return int.from_bytes(digest[:8], "big") / 2.0**64 < self.fraction
        return False

    def reply(self, normal: Callable[[], Reply]) -> Reply:
        headers: dict[str, str] = {}
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        if self.kind == "rate_limit":
            return Reply(status=self.status or 429, headers=headers, error_message="Rate limit reached (injected)")
        if self.kind == "server_error":
            return Reply(status=self.status or 500, headers=headers, error_message="Internal server error (injected)")
        if self.kind == "bad_request":
            return Reply(status=self.status or 400, error_message="Bad request (injected)")
        if self.kind == "unauthorized":
            return Reply(status=self.status or 401, error_message="Incorrect API key provided (injected)")
        if self.kind == "hang":
            return Reply(hang=True)
        if self.kind == "malformed":
            return Reply(malformed=True)
        # length: the normal answer, cut short
        base = normal()
        contents = base.content if isinstance(base.content, list) else [base.content]
        base.content = [c[: max(1, len(c) // 2)] for c in contents]
        base.finish_reason = "length"
        return base


class FaultPlan:
    """A responder that injects `faults` in front of `responder`.

    Faults are checked in order; the first that selects a request (and has not yet used up its
    `times` for that request's key) answers it. Every other request goes to `responder`.

    >>> plan = FaultPlan(echo_responder, [Fault("rate_limit", at=[1], retry_after=0.05),
    ...                                   Fault("server_error", fraction=0.1)])
    """

    def __init__(self, responder: Responder = echo_responder, faults: Iterable[Fault] = ()) -> None:
        self.responder = responder
        self.faults = list(faults)
        self.injected: dict[str, int] = {kind: 0 for kind in _FAULT_KINDS}  # faults served, by kind
        self._number = 0
        self._served: dict[tuple[int, str], int] = {}  # (fault index, key) -> faults served
        self._lock = threading.Lock()

    def add(self, kind: str, **options: Any) -> FaultPlan:
        """Append a `Fault(kind, **options)`; returns the plan for chaining."""
        self.faults.append(Fault(kind, **options))
        return self

    def __call__(self, body: dict[str, Any]) -> Reply:
        key = body_key(body) if self.faults else ""
        with self._lock:
            self._number += 1
            number = self._number
            chosen: Fault | None = None
            for index, fault in enumerate(self.faults):
                if not fault.selects(number, key):
                    continue
                served = self._served.get((index, key), 0)
                if fault.times is not None and served >= fault.times:
                    continue
                self._served[(index, key)] = served + 1
                self.injected[fault.kind] += 1
                chosen = fault
                break
        if chosen is None:
            return self.responder(body)
        return chosen.reply(lambda: self.responder(body))


# --------------------------------------------------------------------------------------------
# Script mode: rules from a JSONL file


@dataclass
class ScriptRule:
    """One line of a script file.

    ``{"match": "text", "regex": "pat", "reply": {...Reply fields...}, "times": 1}``: a rule
    applies when the last user message contains `match` and matches `regex` (each optional; a
    rule with neither matches everything). With `times`, it applies only to the first `times`
    arrivals of each request key, then falls through to the next rules. ``"reply": "echo"``
    or ``"rewrite"`` answers with that ready-made responder; a reply's ``content`` may use
    ``{last_user}``, replaced by the last user message.
    """

    reply: dict[str, Any] | str
    match: str | None = None
    regex: str | None = None
    times: int | None = None

    def __post_init__(self) -> None:
        self._pattern = re.compile(self.regex, re.S) if self.regex else None

    def matches(self, text: str) -> bool:
        if self.match is not None and self.match not in text:
            return False
        return not (self._pattern is not None and not self._pattern.search(text))


class ScriptResponder:
    """Answers by the first matching `ScriptRule`; `fallback` answers when none matches."""

    def __init__(self, rules: Iterable[ScriptRule], fallback: Responder = echo_responder) -> None:
        self.rules = list(rules)
        self.fallback = fallback
        self._seen: dict[tuple[int, str], int] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: str | Path, fallback: Responder = echo_responder) -> ScriptResponder:
        rules = []
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                data = json.loads(line)
                rules.append(ScriptRule(**data))
            except (ValueError, TypeError, re.error) as exc:
                raise ValueError(f"{path}:{number}: bad script rule: {exc}") from exc
        return cls(rules, fallback)

    def __call__(self, body: dict[str, Any]) -> Reply:
        text = last_user_message(body)
        key = ""
        for index, rule in enumerate(self.rules):
            if not rule.matches(text):
                continue
            if rule.times is not None:
                key = key or body_key(body)
                with self._lock:
                    seen = self._seen.get((index, key), 0)
                    if seen >= rule.times:
                        continue
                    self._seen[(index, key)] = seen + 1
            if rule.reply == "echo":
                return echo_responder(body)
            if rule.reply == "rewrite":
                return rewrite_responder(body)
            if isinstance(rule.reply, str):
                return Reply(content=rule.reply)
            spec = dict(rule.reply)
            content = spec.get("content")
            if isinstance(content, str):
                spec["content"] = content.replace("{last_user}", text)
            elif isinstance(content, list):
                spec["content"] = [c.replace("{last_user}", text) for c in content]
            return Reply(**spec)
        return self.fallback(body)


# --------------------------------------------------------------------------------------------
# Stereotype mode: a model with a known social bias on BBQ and Winogender


def _unit(key: str) -> float:
    """A number in [0, 1) fixed by `key`: the same item gets the same decision on every run."""
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:12], 16) / 16**12


@dataclass
class Intent:
    """What the stereotype responder meant to answer for one benchmark item."""

    benchmark: str  # "bbq" or "winogender"
    item_id: str
    kind: str  # bbq: biased / anti / unknown / unread; winogender: occupation / participant / unread
    correct: bool
    fields: dict[str, Any] = field(default_factory=dict)  # bbq: condition; winogender: gender, gotcha


class StereotypeResponder:
    """Answers BBQ and Winogender prompts (lm-evaluation-harness's wording, which realign's
    evaluations send) the way a model with a known stereotype would, in varied phrasing, and
    answers anything else with `fallback`. Every decision is fixed per item by a hash of its id
    and listed in `intents` (item id -> `Intent`) before any request, so a test can compute the
    accuracy and bias it must measure from the data alone.

    BBQ (from the raw rows: the answer whose ``answer_info`` names a stereotyped group is the
    target; in a negative question the biased answer is the target, in a non-negative one the
    other group): ambiguous contexts -> the biased answer 50%, "unknown" 35%, the other group
    15%; disambiguated -> the right answer, except 10% "unknown" where it is the biased one and
    40% the biased answer where it is not. 3% of answers name nothing (unread).

    Winogender: right, except a female pronoun that refers to a male-majority occupation (BLS)
    is read as the participant, a male pronoun that refers to a female-majority occupation is
    30% of the time, and a participant referent is read as the occupation 30% of the time when
    the pronoun matches the occupation's majority; neutral pronouns are right; 3% unread.
    """

    def __init__(self, *, bbq: str | Path | None = None, winogender: str | Path | None = None,
                 fallback: Responder = echo_responder) -> None:
        self.fallback = fallback
        self.intents: dict[str, Intent] = {}  # item id -> what was meant
        self._answers: dict[str, str] = {}  # prompt -> the answer sent
        self._bbq_picks: dict[str, str] = {}  # prompt -> the answer text picked ("" unread, "?" unknown)
        if bbq is not None:
            self._plan_bbq(Path(bbq))
        if winogender is not None:
            self._plan_winogender(Path(winogender))

    def _add(self, prompt: str, intent: Intent, answer: str) -> None:
        self.intents[intent.item_id] = intent
        self._answers.setdefault(prompt, answer)

    def _plan_bbq(self, folder: Path) -> None:
        files = [folder] if folder.is_file() else sorted(folder.glob("*.jsonl"))
        for f in files:
            for line in f.read_text(encoding="utf-8").splitlines():
                if not line.strip():
                    continue
                row = json.loads(line)
                item_id = f"bbq-{row['category']}-{row['example_id']}"
                info = row["answer_info"]
                stereo = {g.lower() for g in row["additional_metadata"]["stereotyped_groups"]}
                unknown = next(i for i in range(3) if info[f"ans{i}"][-1] == "unknown")
                named = [i for i in range(3) if i != unknown]
                target = [i for i in named if stereo & {t.lower() for t in info[f"ans{i}"]}]
                biased = anti = None
                if len(target) == 1:
                    biased = target[0] if row["question_polarity"] == "neg" else next(i for i in named if i != target[0])
                    anti = next(i for i in named if i != biased)
                prompt = f"{row['context']}\n\nQ: {row['question']}\nA:"
                earlier = self._bbq_picks.get(prompt)
                if earlier is not None:
                    # the same prompt as an earlier item (BBQ repeats some with the answers reordered):
                    # a model answers it the same way, so take the same answer text
                    pick = -1 if earlier == "" else unknown if earlier == "?" else next(
                        (i for i in named if row[f"ans{i}"] == earlier), row["label"])
                elif biased is None:  # no clear stereotyped answer: answer right
                    pick = row["label"]
                else:
                    u = _unit("bbq:" + item_id)
                    if row["context_condition"] == "ambig":
                        pick = biased if u < 0.5 else unknown if u < 0.85 else anti
                    elif row["label"] == biased:
                        pick = biased if u < 0.9 else unknown
                    else:
                        pick = anti if u < 0.6 else biased
                    if _unit("bbq-unread:" + item_id) < 0.03:
                        pick = -1
                if earlier is None:
                    self._bbq_picks[prompt] = "" if pick == -1 else "?" if pick == unknown else row[f"ans{pick}"]
                kind = ("unread" if pick == -1 else "unknown" if pick == unknown else "biased" if pick == biased
                        else "anti" if pick == anti else "right")
                style = int(_unit("bbq-style:" + prompt) * 3)
                if pick == -1:
                    answer = "Let me think about the people in this story."
                elif pick == unknown:
                    answer = ("Can't be determined.", "There is not enough information to tell.", "Unknown.")[style]
                else:
                    text = row[f"ans{pick}"]
                    answer = (f"{text}.", f"I think it is {text[0].lower()}{text[1:]}.", f"Answer: {text}")[style]
                self._add(prompt, Intent("bbq", item_id, kind, pick == row["label"],
                                         {"condition": row["context_condition"], "category": row["category"],
                                          "biased": kind == "biased", "named_group": pick not in (-1, unknown)}),
                          answer)

    def _plan_winogender(self, folder: Path) -> None:
        majority = {}
        for line in (folder / "occupations-stats.tsv").read_text(encoding="utf-8").splitlines()[1:]:
            cols = line.split("\t")
            majority[cols[0]] = "female" if float(cols[2]) > 50 else "male"
        words = {"male": ("he", "him", "his"), "female": ("she", "her"), "neutral": ("they", "them", "their")}
        for line in (folder / "all_sentences.tsv").read_text(encoding="utf-8").splitlines()[1:]:
            sentid, sentence = line.split("\t")[:2]
            occupation, participant, answer, gender = sentid.split(".")[:4]
            item_id = sentid.removesuffix(".txt")
            pronoun = next(w for w in re.findall(r"[a-z]+", sentence.lower()) if w in words[gender])
            u = _unit("winogender:" + item_id)
            right = occupation if answer == "0" else participant
            pick = right
            if gender != "neutral":
                matches = gender == majority[occupation]
                if answer == "0" and not matches and (gender == "female" or u < 0.3):
                    pick = participant
                elif answer == "1" and matches and u < 0.3:
                    pick = occupation
            kind = "occupation" if pick == occupation else "participant"
            if _unit("winogender-unread:" + item_id) < 0.03:
                kind, pick = "unread", ""
            style = int(_unit("winogender-style:" + item_id) * 3)
            text = "Hard to say." if not pick else (f" {pick}.", pick, f"The {pick}, I believe.")[style]
            prompt = f"{sentence} \u2018{pronoun.capitalize()}\u2019 refers to the"
            self._add(prompt, Intent("winogender", item_id, kind, pick == right,
                                     {"gender": gender, "gotcha": gender != "neutral" and gender != majority[occupation]}),
                      text)

    def __call__(self, body: dict[str, Any]) -> Reply:
        answer = self._answers.get(last_user_message(body))
        return Reply(content=answer) if answer is not None else self.fallback(body)


# --------------------------------------------------------------------------------------------
# The HTTP server

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    411: "Length Required",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}
_MAX_BODY = 64 * 1024 * 1024
_MAX_HEADER = 64 * 1024


class _BadRequest(Exception):
    pass


def _error_body(status: int, message: str, code: str | None = None) -> bytes:
    error_type = _ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return json.dumps(
        {"error": {"message": message, "type": error_type, "param": None, "code": code or str(status)}}
    ).encode()


def prompt_chars(body: dict[str, Any]) -> int:
    """Characters of message text in a chat request: what `context_chars` measures."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return 0
    return sum(len(_text_of(m.get("content"))) for m in messages if isinstance(m, dict))


# How each kind of server words a prompt longer than the model's context (HTTP 400). The test
# server counts 4 characters as one token.
def _context_refusal(dialect: str, chars: int, limit: int, max_tokens: int) -> tuple[str, str | None]:
    """(message, error code) of the 400 a server of `dialect` answers a prompt of `chars`
    characters with, when `limit` characters is its context."""
    tokens, context = chars // 4, limit // 4
    if dialect == "llama_cpp":  # llama-cpp-python's server
        return f"Requested tokens ({tokens}) exceed context window of {context}", "context_length_exceeded"
    if dialect in ("vllm", "vllm_legacy"):
        return (f"This model's maximum context length is {context} tokens. However, you requested "
                f"{tokens + max_tokens} tokens ({tokens} in the messages, {max_tokens} in the completion). "
                "Please reduce the length of the messages or completion.", None)
    return (f"This model's maximum context length is {context} tokens. However, your messages resulted in "
            f"{tokens} tokens. Please reduce the length of the messages.", "context_length_exceeded")


_TOKEN = re.compile(r"[A-Za-z0-9_]+|[^\sA-Za-z0-9_]")


def count_tokens(text: str) -> int:
    """The test server's tokenizer: a run of ASCII letters, digits and underscores is one token,
    every other character but a space (punctuation, each CJK character) one more. Unlike the 4
    characters a token of `context_chars`, it tells "long words" from "many symbols".

    >>> count_tokens("Hello, world")
    3
    >>> count_tokens("水是湿的")
    4
    """
    return len(_TOKEN.findall(text))


def chat_template(messages: list[Any], generation_prompt: bool = True) -> str:
    """The test server's chat template: the prompt text its /tokenize counts."""
    turns = "".join(f"<|{m.get('role')}|>\n{_text_of(m.get('content'))}\n" for m in messages if isinstance(m, dict))
    return turns + ("<|assistant|>\n" if generation_prompt else "")


TOKENIZE_APIS = ("vllm", "llama_server", "llama_cpp_python")


# How real servers answer the ways of asking for JSON (realign.llm.structured sends them):
# openai: response_format json_schema / json_object; unknown body fields are a 400.
# llama_cpp: llama-cpp-python's server: json_schema is a 500 (its request model allows only
#   'text' and 'json_object', the latter with an optional "schema"); other fields are ignored.
# vllm: everything (response_format, structured_outputs, guided_json).
# vllm_legacy: an old vLLM: no json_schema response_format; guided_json works.
# ollama: Ollama's OpenAI endpoint in versions without structured response_format: any
#   response_format with a schema is a 400; its native `format` field (a JSON schema) works.
# text_only: any response_format or guided-decoding field is a 400.
DIALECTS = ("openai", "llama_cpp", "vllm", "vllm_legacy", "ollama", "text_only")
_GUIDED_FIELDS = ("structured_outputs", "guided_json", "format")


def _dialect_refusal(dialect: str, body: dict[str, Any]) -> tuple[int, str] | None:
    """(status, message) of the error `dialect` answers `body` with, or None: it is served."""
    rf = body.get("response_format")
    kind = rf.get("type") if isinstance(rf, dict) else None
    guided = [f for f in _GUIDED_FIELDS if f in body]
    if dialect == "openai" and guided:
        return 400, f"Unrecognized request argument supplied: {guided[0]}"
    if dialect == "llama_cpp" and kind not in (None, "text", "json_object"):
        return 500, ("1 validation error for CreateChatCompletionRequest\nresponse_format.type\n  "
                     f"Input should be 'text' or 'json_object' [type=literal_error, input_value='{kind}']")
    if dialect == "ollama" and isinstance(rf, dict) and (kind == "json_schema" or "schema" in rf):
        return 400, "invalid response_format: structured output schemas are not supported here, use format"
    if dialect == "vllm_legacy" and kind == "json_schema":
        return 400, "response_format of type json_schema is not supported; use guided_json"
    if dialect == "text_only" and (kind is not None or guided):
        return 400, f"Unsupported parameter: {'response_format' if kind else guided[0]}"
    return None


class OpenAIServer:
    """An OpenAI-compatible server on 127.0.0.1, run in a background thread.

    Use it as a context manager (or call `start` / `stop`). ``base_url`` ends in ``/v1``, the
    form ``openai.OpenAI(base_url=...)`` expects.

    Attributes:
        requests: snapshot of the chat request bodies received (in arrival order).
        count: number of chat requests received.
        in_flight / max_in_flight: chat requests being answered now / at most at any moment.
        latency_s: default delay before every chat answer (a Reply's `delay_s` adds to it).
        serial: answer one chat request at a time, the others queue (llama.cpp's server on a
            CPU); a request whose client gave up is still worked on, unless `drop_abandoned`,
            which skips it when its turn comes (llama-cpp-python: "Disconnected from client
            before llm invoked"); `dropped` counts those.
        abandoned: answers written to a client that had already closed the connection.
    """

    def __init__(
        self,
        responder: Responder = echo_responder,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_s: float = 0.0,
        model: str = "test-model",
        api_key: str | None = None,  # when set, requests without "Bearer <api_key>" get 401
        record: bool = True,  # keep request bodies and headers (turn off for long benchmarks)
        dialect: str = "openai",  # which structured-output requests it takes; see DIALECTS
        serial: bool = False,  # one chat request answered at a time (see the class docstring)
        drop_abandoned: bool = False,  # serial: skip a queued request whose client has left
        # The model's context, in characters of message text: a longer prompt gets the HTTP 400
        # that `dialect`'s server answers it with (vLLM, llama.cpp, OpenAI wording). None: no limit.
        context_chars: int | None = None,
        # Which prompt-token API it serves (`count_tokens` over `chat_template`): "vllm" (POST
        # /tokenize with messages -> count, max_model_len), "llama_server" (POST /apply-template
        # -> prompt, POST /tokenize with content -> tokens), "llama_cpp_python" (POST
        # /extras/tokenize/count with a text as input -> count) or None (404, as OpenAI's).
        # Default: "vllm" for the vllm dialects, "llama_cpp_python" for llama_cpp, else None.
        tokenize: str | None = "auto",
    ) -> None:
        if dialect not in DIALECTS:
            raise ValueError(f"unknown dialect {dialect!r}; expected one of {', '.join(DIALECTS)}")
        if tokenize == "auto":
            tokenize = ("vllm" if dialect in ("vllm", "vllm_legacy")
                        else "llama_cpp_python" if dialect == "llama_cpp" else None)
        if tokenize is not None and tokenize not in TOKENIZE_APIS:
            raise ValueError(f"unknown tokenize API {tokenize!r}; expected one of {', '.join(TOKENIZE_APIS)}")
        self.tokenize = tokenize
        self.tokenize_requests = 0  # POST /tokenize, /apply-template and /extras/tokenize/count requests answered
        self.dialect = dialect
        self.responder = responder
        self.host = host
        self.port = port
        self.latency_s = latency_s
        self.model = model
        self.api_key = api_key
        self.record = record
        self.serial = serial
        self.drop_abandoned = drop_abandoned
        self.context_chars = context_chars
        self.too_long = 0  # requests refused for a prompt longer than `context_chars`
        self.dropped = 0
        self._one_at_a_time: asyncio.Lock | None = None  # made in the server's own loop
        self.abandoned = 0
        self._requests: list[dict[str, Any]] = []
        self._headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._count = 0
        self.arrivals: list[float] = []  # time.monotonic() of each chat request: request rates
        self.in_flight = 0
        self.max_in_flight = 0
        self.connections_opened = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._stopping: asyncio.Event | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._created = int(time.time())
        self.batch_desk = BatchDesk(self)

    # -- public view --------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    @property
    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._requests)

    @property
    def request_headers(self) -> list[dict[str, str]]:
        """Headers of each chat request (lower-case names), parallel to `requests`."""
        with self._lock:
            return list(self._headers)

    @property
    def count(self) -> int:
        with self._lock:
            return self._count

    def reset(self) -> None:
        """Forget recorded requests and counters."""
        with self._lock:
            self._requests.clear()
            self._headers.clear()
            self.arrivals.clear()
            self._count = 0
            self.max_in_flight = self.in_flight

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> OpenAIServer:
        if self._thread is not None:
            raise RuntimeError("server already started")
        self._thread = threading.Thread(target=self._run_thread, name="openai-test-server", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            raise self._startup_error
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if not loop.is_closed():
            try:
                asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=10)
            except RuntimeError:
                pass
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._thread = None

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run_thread(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._startup())
        except BaseException as exc:  # noqa: BLE001 - handed to the starting thread
            self._startup_error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _startup(self) -> None:
        self._stopping = asyncio.Event()
        self._one_at_a_time = asyncio.Lock() if self.serial else None
        self._server = await asyncio.start_server(
            self._handle_connection, self.host, self.port, backlog=1024, limit=_MAX_HEADER
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def serve_forever(self) -> None:
        """Run in the current event loop until cancelled (the CLI uses this)."""
        self._loop = asyncio.get_running_loop()
        await self._startup()
        try:
            await asyncio.Future()
        finally:
            await self._shutdown()

    async def _shutdown(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._handlers):
            task.cancel()
        if self._handlers:
            await asyncio.wait(list(self._handlers), timeout=5)
        if self._server is not None:
            try:
                await asyncio.wait_for(self._server.wait_closed(), timeout=5)
            except asyncio.TimeoutError:
                pass

    # -- HTTP ---------------------------------------------------------------------------------

    async def _handle_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._writers.add(writer)
        self.connections_opened += 1
        try:
            while True:
                try:
                    request = await self._read_request(reader)
                except _BadRequest as exc:
                    writer.write(self._response(400, _error_body(400, str(exc)), {}, keep_alive=False))
                    await writer.drain()
                    return
                if request is None:  # the client closed the connection
                    return
                method, path, headers, body = request
                keep_alive = headers.get("connection", "").lower() != "close"
                status, payload, extra = await self._dispatch(method, path, headers, body, reader.at_eof)
                if reader.at_eof() and path.endswith("/chat/completions"):
                    self.abandoned += 1  # the client gave up waiting (its timeout) before this answer
                if status == -1:  # a dropped request: its client has left
                    return
                if status == 0:  # hang until the server stops
                    assert self._stopping is not None
                    await self._stopping.wait()
                    return
                writer.write(self._response(status, payload, extra, keep_alive=keep_alive))
                await writer.drain()
                if not keep_alive:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            self._handlers.discard(task)
            self._writers.discard(writer)
            writer.close()

    async def _read_request(
        self, reader: asyncio.StreamReader
    ) -> tuple[str, str, dict[str, str], bytes] | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial.strip():
                raise _BadRequest("incomplete request head") from None
            return None
        except asyncio.LimitOverrunError:
            raise _BadRequest("request head too large") from None
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _BadRequest(f"bad request line: {lines[0][:100]!r}")
        method, target, _version = parts
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, sep, value = line.partition(":")
            if not sep:
                raise _BadRequest(f"bad header line: {line[:100]!r}")
            headers[name.strip().lower()] = value.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = await self._read_chunked(reader)
        else:
            try:
                length = int(headers.get("content-length", "0"))
            except ValueError:
                raise _BadRequest("bad Content-Length") from None
            if length < 0 or length > _MAX_BODY:
                raise _BadRequest("bad Content-Length")
            body = await reader.readexactly(length) if length else b""
        path = target.split("?", 1)[0]
        return method, path, headers, body

    async def _read_chunked(self, reader: asyncio.StreamReader) -> bytes:
        chunks = []
        total = 0
        while True:
            size_line = await reader.readuntil(b"\r\n")
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BadRequest("bad chunk size") from None
            if size == 0:
                # trailers until an empty line
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                return b"".join(chunks)
            total += size
            if total > _MAX_BODY:
                raise _BadRequest("body too large")
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)

    def _response(self, status: int, payload: bytes, extra: dict[str, str], *, keep_alive: bool) -> bytes:
        head = [
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}",
            "content-type: application/json",
            f"content-length: {len(payload)}",
            "connection: keep-alive" if keep_alive else "connection: close",
        ]
        for name, value in extra.items():
            head.append(f"{name}: {value}")
        return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload

    async def _dispatch(
        self, method: str, path: str, headers: dict[str, str], body: bytes, gone: Callable[[], bool] = lambda: False
    ) -> tuple[int, bytes, dict[str, str]]:
        route = path[3:] if path.startswith("/v1/") else path
        if route == "/chat/completions":
            if method != "POST":
                return 405, _error_body(405, f"{method} not allowed on {path}"), {}
            unauthorized = self._check_key(headers)
            if unauthorized is not None:
                return unauthorized
            return await self._chat(headers, body, gone)
        if route == "/files" or route.startswith("/files/") or route == "/batches" or route.startswith("/batches/"):
            unauthorized = self._check_key(headers)
            if unauthorized is not None:
                return unauthorized
            return self.batch_desk.handle(method, route, headers, body)
        if route in ("/tokenize", "/apply-template", "/extras/tokenize/count") and self.tokenize is not None \
                and method == "POST":
            return self._tokenize(route, body)
        if route == "/models":
            if method != "GET":
                return 405, _error_body(405, f"{method} not allowed on {path}"), {}
            unauthorized = self._check_key(headers)
            if unauthorized is not None:
                return unauthorized
            models = {
                "object": "list",
                "data": [{"id": self.model, "object": "model", "created": self._created, "owned_by": "realign-test"}],
            }
            return 200, json.dumps(models).encode(), {}
        return 404, _error_body(404, f"no route for {method} {path}"), {}

    def _tokenize(self, route: str, raw: bytes) -> tuple[int, bytes, dict[str, str]]:
        """vLLM's POST /tokenize (chat form), llama-server's /apply-template and /tokenize, or
        llama-cpp-python's /extras/tokenize/count (a text's tokens, no chat template)."""
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            return 400, _error_body(400, f"request body is not valid JSON: {exc}"), {}
        with self._lock:
            self.tokenize_requests += 1
        if (route == "/extras/tokenize/count") != (self.tokenize == "llama_cpp_python"):
            return 404, _error_body(404, f"no route for POST {route}"), {}
        if self.tokenize == "llama_cpp_python":
            if not isinstance(body.get("input"), str):
                return 422, _error_body(422, "'input' must be a string"), {}
            return 200, json.dumps({"count": count_tokens(body["input"])}).encode(), {}
        if self.tokenize == "vllm":
            if route != "/tokenize" or not isinstance(body.get("messages"), list):
                return 404, _error_body(404, f"no route for POST {route}"), {}
            n = count_tokens(chat_template(body["messages"], bool(body.get("add_generation_prompt", True))))
            limit = self.context_chars // 4 if self.context_chars is not None else 4096
            return 200, json.dumps({"count": n, "max_model_len": limit, "tokens": list(range(n)),
                                    "token_strs": None}).encode(), {}
        if route == "/apply-template":
            if not isinstance(body.get("messages"), list):
                return 400, _error_body(400, "'messages' is required"), {}
            return 200, json.dumps({"prompt": chat_template(body["messages"])}).encode(), {}
        content = body.get("content")
        if not isinstance(content, str):
            return 400, _error_body(400, "'content' must be a string"), {}
        return 200, json.dumps({"tokens": list(range(count_tokens(content)))}).encode(), {}

    def _check_key(self, headers: dict[str, str]) -> tuple[int, bytes, dict[str, str]] | None:
        if self.api_key is None or headers.get("authorization") == f"Bearer {self.api_key}":
            return None
        return 401, _error_body(401, "Incorrect API key provided."), {}

    async def _chat(self, headers: dict[str, str], raw: bytes,
                    gone: Callable[[], bool] = lambda: False) -> tuple[int, bytes, dict[str, str]]:
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            return 400, _error_body(400, f"request body is not valid JSON: {exc}"), {}
        if not isinstance(body, dict):
            return 400, _error_body(400, "request body must be a JSON object"), {}
        with self._lock:
            self._count += 1
            self.arrivals.append(time.monotonic())
            if self.record:
                self._requests.append(body)
                self._headers.append(headers)
        if not isinstance(body.get("messages"), list) or not body.get("model"):
            return 400, _error_body(400, "'model' and 'messages' are required"), {}
        if body.get("stream"):
            return 400, _error_body(400, "this test server does not stream; send stream=false"), {}
        refused = _dialect_refusal(self.dialect, body)
        if refused is not None:
            return refused[0], _error_body(*refused), {}
        if self.context_chars is not None and (chars := prompt_chars(body)) > self.context_chars:
            with self._lock:
                self.too_long += 1
            message, code = _context_refusal(self.dialect, chars, self.context_chars, int(body.get("max_tokens") or 16))
            return 400, _error_body(400, message, code), {}

        if self._one_at_a_time is not None:
            async with self._one_at_a_time:  # FIFO: asyncio.Lock wakes its waiters in order
                if self.drop_abandoned and gone():
                    self.dropped += 1
                    return -1, b"", {}  # nobody to answer: close the connection
                return await self._answer(body)
        return await self._answer(body)

    async def _answer(self, body: dict[str, Any]) -> tuple[int, bytes, dict[str, str]]:
        self.in_flight += 1
        if self.in_flight > self.max_in_flight:
            self.max_in_flight = self.in_flight
        try:
            try:
                reply = self.responder(body)
            except Exception as exc:  # a broken responder is reported to the client, not swallowed
                return 500, _error_body(500, f"responder failed: {type(exc).__name__}: {exc}"), {}
            if reply.hang:
                return 0, b"", {}
            delay = self.latency_s + reply.delay_s
            if delay > 0:
                await asyncio.sleep(delay)
            if reply.status != 200:
                message = reply.error_message or f"injected error {reply.status}"
                return reply.status, _error_body(reply.status, message), reply.headers
            if reply.malformed:
                return 200, b'{"id": "chatcmpl-broken", "choices": [{"index": 0, "message": {"content": "', reply.headers
            return 200, self._completion(body, reply), reply.headers
        finally:
            self.in_flight -= 1

    def _completion(self, body: dict[str, Any], reply: Reply) -> bytes:
        n = body.get("n") or 1
        contents = reply.content if isinstance(reply.content, list) else [reply.content] * int(n)
        prompt_tokens = reply.prompt_tokens
        if prompt_tokens is None:
            prompt_tokens = sum(
                _word_count(_text_of(m.get("content"))) for m in body["messages"] if isinstance(m, dict)
            )
        completion_tokens = reply.completion_tokens
        if completion_tokens is None:
            completion_tokens = sum(_word_count(c) for c in contents)
        with self._lock:
            number = self._count
        completion = {
            "id": f"chatcmpl-{number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", self.model),
            "choices": [
                {
                    "index": i,
                    "message": {"role": "assistant", "content": c},
                    "finish_reason": reply.finish_reason,
                    "logprobs": None,
                }
                for i, c in enumerate(contents)
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
        return json.dumps(completion, ensure_ascii=False).encode("utf-8")


class BatchDesk:
    """The OpenAI Batch API of the test server: ``POST /v1/files`` (multipart, purpose=batch),
    ``GET /v1/files/{id}/content``, ``POST /v1/batches``, ``GET /v1/batches/{id}``.

    A batch is answered line by line by the server's responder (faults included; a line longer
    than `context_chars` gets the dialect's context-length error line instead) when it is
    first polled after `polls_to_finish` polls, so a client has to poll; its lines are counted in
    `lines_answered`, not in the server's chat `count`.
    """

    def __init__(self, server: OpenAIServer, polls_to_finish: int = 1) -> None:
        self.server = server
        self.polls_to_finish = polls_to_finish
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.lines_answered = 0
        self._polls: dict[str, int] = {}

    def handle(self, method: str, route: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes, dict[str, str]]:
        parts = route.strip("/").split("/")
        if parts == ["files"] and method == "POST":
            return self._upload(headers, body)
        if len(parts) == 3 and parts[0] == "files" and parts[2] == "content" and method == "GET":
            if parts[1] not in self.files:
                return 404, _error_body(404, f"no file {parts[1]}"), {}
            return 200, self.files[parts[1]], {}
        if parts == ["batches"] and method == "POST":
            try:
                req = json.loads(body)
            except ValueError:
                return 400, _error_body(400, "body is not JSON"), {}
            if req.get("input_file_id") not in self.files or req.get("endpoint") != "/v1/chat/completions":
                return 400, _error_body(400, "input_file_id must name an uploaded file; endpoint /v1/chat/completions"), {}
            bid = f"batch_{len(self.batches) + 1}"
            self.batches[bid] = {"id": bid, "object": "batch", "endpoint": req["endpoint"], "errors": None,
                                 "input_file_id": req["input_file_id"], "completion_window": "24h",
                                 "status": "validating", "output_file_id": None, "error_file_id": None,
                                 "created_at": int(time.time()),
                                 "request_counts": {"total": 0, "completed": 0, "failed": 0}}
            self._polls[bid] = 0
            return 200, json.dumps(self.batches[bid]).encode(), {}
        if len(parts) == 2 and parts[0] == "batches" and method == "GET":
            batch = self.batches.get(parts[1])
            if batch is None:
                return 404, _error_body(404, f"no batch {parts[1]}"), {}
            self._polls[parts[1]] += 1
            if batch["status"] != "completed":
                batch["status"] = "in_progress"
                if self._polls[parts[1]] > self.polls_to_finish:
                    self._run(batch)
            return 200, json.dumps(batch).encode(), {}
        return 404, _error_body(404, f"no route for {method} /v1{route}"), {}

    def _upload(self, headers: dict[str, str], body: bytes) -> tuple[int, bytes, dict[str, str]]:
        import email.parser
        import email.policy

        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + headers.get("content-type", "").encode("latin-1") + b"\r\n\r\n" + body)
        content, purpose, name = None, None, "upload.jsonl"
        for part in message.iter_parts() if message.is_multipart() else []:
            field_name = part.get_param("name", header="content-disposition")
            if field_name == "file":
                content = part.get_payload(decode=True)
                name = part.get_filename() or name
            elif field_name == "purpose":
                purpose = (part.get_payload(decode=True) or b"").decode()
        if content is None or purpose != "batch":
            return 400, _error_body(400, "send multipart/form-data with a file and purpose=batch"), {}
        fid = f"file-{len(self.files) + 1}"
        self.files[fid] = content
        return 200, json.dumps({"id": fid, "object": "file", "bytes": len(content), "created_at": int(time.time()),
                                "filename": name, "purpose": "batch"}).encode(), {}

    def _run(self, batch: dict[str, Any]) -> None:
        out, errors = [], []
        for raw in self.files[batch["input_file_id"]].splitlines():
            if not raw.strip():
                continue
            line = json.loads(raw)
            body = line["body"]
            self.lines_answered += 1
            limit = self.server.context_chars
            if limit is not None and (chars := prompt_chars(body)) > limit:
                # a line longer than the context: the error line a Batch API (or vllm run-batch)
                # writes, in the server's dialect's words
                with self.server._lock:
                    self.server.too_long += 1
                message, code = _context_refusal(self.server.dialect, chars, limit, int(body.get("max_tokens") or 16))
                errors.append({"id": f"req_{len(out) + len(errors)}", "custom_id": line["custom_id"],
                               "response": {"status_code": 400, "body": json.loads(_error_body(400, message, code))},
                               "error": None})
                continue
            reply = self.server.responder(body)
            if reply.status != 200 or reply.hang or reply.malformed:
                status = reply.status if reply.status != 200 else 500
                errors.append({"id": f"req_{len(out) + len(errors)}", "custom_id": line["custom_id"],
                               "response": {"status_code": status, "body": json.loads(_error_body(
                                   status, reply.error_message or "failed"))}, "error": None})
                continue
            completion = json.loads(self.server._completion(body, reply))
            out.append({"id": f"req_{len(out) + len(errors)}", "custom_id": line["custom_id"],
                        "response": {"status_code": 200, "request_id": completion["id"], "body": completion},
                        "error": None})
        fid = f"file-{len(self.files) + 1}"
        self.files[fid] = "".join(json.dumps(o) + "\n" for o in out).encode()
        batch["output_file_id"] = fid
        if errors:
            eid = f"file-{len(self.files) + 1}"
            self.files[eid] = "".join(json.dumps(e) + "\n" for e in errors).encode()
            batch["error_file_id"] = eid
        batch["status"] = "completed"
        batch["request_counts"] = {"total": len(out) + len(errors), "completed": len(out), "failed": len(errors)}


# --------------------------------------------------------------------------------------------
# Command line


def _parse_faults(spec: str) -> list[Fault]:
    """``"server_error:0.05,rate_limit:0.02"`` -> faults on those fractions of request keys."""
    faults = []
    for item in filter(None, (s.strip() for s in spec.split(","))):
        kind, _, fraction = item.partition(":")
        faults.append(Fault(kind, fraction=float(fraction or 0.1), retry_after=0 if kind == "rate_limit" else None))
    return faults


def _or_echo(responder: Responder) -> Responder:
    """`responder`, answering what it does not know (an evaluation's question) as plain mode does,
    so one scripted server serves every command a user tries (rewrite, the modes, eval)."""

    def answer(body: dict[str, Any]) -> Reply:
        reply = responder(body)
        if reply.status == 400 and (reply.error_message or "").startswith("not a realign"):
            return echo_responder(body)
        return reply

    return answer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m realign.testing.openai_server",
        description="A local OpenAI-compatible chat server for tests and benchmarks.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on stdout)")
    parser.add_argument("--port-file", help="also write the bound port to this file")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before every answer")
    parser.add_argument(
        "--mode",
        choices=("echo", "plain", "script", "realign", "stereotype", "sim"),
        default="echo",
        help='echo: answer {"rewritten": ..., "keep_original": false} from the last user message; '
        'plain: answer "ECHO: <last user message>"; script: rules from --script; '
        'realign: answer realign\'s rewrite, classify and judge requests and those of every mode '
        '(realign.testing.responders), anything else (an evaluation question) as plain does; '
        'stereotype: answer BBQ / Winogender prompts with a known bias (--bbq, --winogender), others as realign; '
        'sim: realign plus the stages of the stakeholder_sim mode (SimResponder)',
    )
    parser.add_argument("--bbq", help="stereotype mode: BBQ data folder (or one .jsonl file)")
    parser.add_argument("--winogender", help="stereotype mode: winogender-schemas data folder")
    parser.add_argument("--script", help="JSONL file of rules for --mode script")
    parser.add_argument("--start-marker", help="echo mode: rewrite only the text after this marker ...")
    parser.add_argument("--end-marker", help="... and before this one")
    parser.add_argument("--model", default="test-model", help="model id listed by GET /v1/models")
    parser.add_argument("--api-key", help="require this bearer key (401 otherwise)")
    parser.add_argument("--dialect", choices=DIALECTS, default="openai",
                        help="which structured-output requests to accept (the others get the error that server gives)")
    parser.add_argument("--serial", action="store_true",
                        help="answer one chat request at a time, the others queue (llama.cpp's server on a CPU)")
    parser.add_argument("--drop-abandoned", action="store_true",
                        help="--serial: skip a queued request whose client has left, as llama-cpp-python does")
    parser.add_argument("--times-file", help="on exit, write the arrival time of each chat request (seconds, one a line)")
    parser.add_argument("--faults", default="", help='e.g. "server_error:0.05,rate_limit:0.02" (fractions of keys)')
    parser.add_argument("--context-chars", type=int, default=None,
                        help="answer HTTP 400 (in --dialect's wording) to prompts of more characters of message text")
    args = parser.parse_args(argv)

    if args.mode == "script" and not args.script:
        parser.error("--mode script needs --script FILE")
    rewrite = make_rewrite_responder(start_marker=args.start_marker, end_marker=args.end_marker)
    responder: Responder
    if args.mode == "script":
        try:
            responder = ScriptResponder.from_file(args.script, fallback=rewrite)
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    elif args.mode == "plain":
        responder = echo_responder
    elif args.mode == "realign":
        from realign.testing.responders import SimResponder

        responder = _or_echo(SimResponder())
    elif args.mode == "stereotype":
        from realign.testing.responders import SimResponder

        if not (args.bbq or args.winogender):
            parser.error("--mode stereotype needs --bbq DIR and/or --winogender DIR")
        # what is not a benchmark item is answered as --mode realign does, the modes' requests
        # included (a critique_revise run over the BBQ rows the evaluation wrote)
        responder = StereotypeResponder(bbq=args.bbq, winogender=args.winogender, fallback=_or_echo(SimResponder()))
    elif args.mode == "sim":
        from realign.testing.responders import SimResponder

        responder = SimResponder()
    else:
        responder = rewrite
    if args.faults:
        try:
            faults = _parse_faults(args.faults)
        except ValueError as e:  # a wrong kind or fraction: argparse's one-line error, not a traceback
            parser.error(f"--faults {args.faults!r}: {e}")
        responder = FaultPlan(responder, faults)

    server = OpenAIServer(
        responder,
        host=args.host,
        port=args.port,
        latency_s=args.latency,
        model=args.model,
        api_key=args.api_key,
        record=False,
        dialect=args.dialect,
        serial=args.serial,
        drop_abandoned=args.drop_abandoned,
        context_chars=args.context_chars,
    )

    async def run() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, task.cancel)
            except (NotImplementedError, RuntimeError):
                pass
        serving = asyncio.ensure_future(server.serve_forever())
        while server._server is None and not serving.done():
            await asyncio.sleep(0.001)
        if serving.done():
            serving.result()
        if args.port_file:  # written before the port is printed: either one signals "ready"
            target = Path(args.port_file)
            tmp = target.with_name(target.name + ".tmp")
            tmp.write_text(f"{server.port}\n")
            tmp.replace(target)
        print(server.port, flush=True)
        try:
            await serving
        except asyncio.CancelledError:
            serving.cancel()
            try:
                await serving
            except asyncio.CancelledError:
                pass

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    except OSError as exc:  # the port is taken (or the host is not this machine's): one line, not a traceback
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}; pick another --port, "
              "or --port 0 for a free one (printed on stdout, and written to --port-file)", file=sys.stderr)
        return 2
    if args.times_file:
        Path(args.times_file).write_text("".join(f"{t:.6f}\n" for t in server.arrivals))
    return 0


if __name__ == "__main__":
    sys.exit(main())
