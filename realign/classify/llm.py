"""The LLM classifier: one constrained choice among the 46 task names, asked of a chat model.

The prompt puts the static part first (the 46 names by group and three hints, about 410 tokens
by the Llama-2 tokenizer) and the instruction last, so a vLLM server's prefix cache serves the
static part once for all rows; it lists names, not descriptions, to keep classification a small
share of a run's prompt tokens (with every description it was 4,100). The answer is requested as
JSON restricted to the task names
(`response_format` = JSON schema with an enum), at temperature 0; servers that ignore the
schema still work, because the answer is parsed leniently: JSON, a JSON object inside prose,
or a bare name in any case/spacing/quoting (`realign.tasks.normalize_task_name`). An answer
that names no task is rejected through the client's `validate`, so the client retries it; when
the call still fails, the row gets the embedded classifier's prediction, marked
`method="embedded_fallback"`. Calls are cached by the client like every other call.

Example:
    >>> clf = LLMClassifier(client, embedded=EmbeddedClassifier.load())  # doctest: +SKIP
    >>> (await clf.classify(["Why is the sky blue?"]))[0]  # doctest: +SKIP
    TaskPrediction(task='explain_answer', confidence=1.0, method='llm')
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any, Callable, Sequence

from realign.records import TaskPrediction
from realign.tasks import GROUPS, TASK_NAMES, TaskSpec, load_tasks, normalize_task_name

LLM_CONFIDENCE = 1.0  # nominal: a temperature-0 constrained choice carries no probability
# The cascade offers the LLM the embedded model's 12 likeliest tasks, not all 46: the prompt
# shrinks from ~440 to ~210 tokens. On the unsure real-user Alpaca rows (embedded confidence
# < 0.7) the gold task is among the 12 for 94.6% of them (88.5% among 8, 91.9% among 10).
SHORTLIST = 12
MAX_INSTRUCTION_CHARS = 2000  # longer requests are cut to head + tail: the ask sits at one end, pasted text between
SAMPLING: dict[str, Any] = {"temperature": 0.0, "top_p": 1.0, "max_tokens": 64, "seed": 0}

_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.IGNORECASE)
_OBJECT = re.compile(r"\{[^{}]*\}", re.DOTALL)


def response_format(names: Sequence[str] = TASK_NAMES) -> dict[str, Any]:
    """The JSON-schema response format: {"task": one of `names`}."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": "task",
            "schema": {
                "type": "object",
                "properties": {"task": {"type": "string", "enum": list(names)}},
                "required": ["task"],
                "additionalProperties": False,
            },
            "strict": True,
        },
    }


def _from_json(obj: Any) -> str | None:
    if isinstance(obj, str):
        return normalize_task_name(obj)
    if isinstance(obj, dict):
        for key in ("task", "task_type", "category", "label", "name", "answer"):
            if isinstance(obj.get(key), str):
                found = normalize_task_name(obj[key])
                if found:
                    return found
        values = [normalize_task_name(v) for v in obj.values() if isinstance(v, str)]
        hits = {v for v in values if v}
        return hits.pop() if len(hits) == 1 else None
    return None


def parse_task(content: str) -> str | None:
    """The task name an answer gives, or None: JSON ({"task": ...}), JSON inside prose or a
    code fence, or a bare name, tolerant of case, spacing, quotes and markdown.

    >>> parse_task('{"task": "open_qa"}'), parse_task("  'Open QA' "), parse_task("no idea")
    ('open_qa', 'open_qa', None)
    """
    if not isinstance(content, str):
        return None
    text = _FENCE.sub("", _THINK.sub("", content).strip()).strip()
    if not text:
        return None
    try:
        found = _from_json(json.loads(text))
        if found:
            return found
    except (json.JSONDecodeError, ValueError):
        pass
    for m in _OBJECT.finditer(text):
        try:
            found = _from_json(json.loads(m.group(0)))
        except (json.JSONDecodeError, ValueError):
            continue
        if found:
            return found
    return normalize_task_name(text)


def _validate(result: Any) -> None:
    if parse_task(result.content) is None:
        raise ValueError("the answer names none of the task types")


def _clip(text: str, limit: int = MAX_INSTRUCTION_CHARS) -> str:
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    return f"{text[:head]}\n[... {len(text) - limit} characters omitted ...]\n{text[-(limit - head):]}"


# Hints for the names most often confused; the rest speak for themselves. Kept short on
# purpose: this text is sent with every classification request.
_HINTS = (
    "closed_qa: answered from a passage or options given with it; open_qa: a question without one",
    "roleplay: the user asks the assistant to act as a character",
    "rejecting: should be declined; default: no type fits",
)


def shortlist_system_prompt() -> str:
    """The static part of the cascade's prompt: the candidates come with each row."""
    return "\n".join([
        "Label the instruction with the ONE task type, from the candidates given after it, that "
        "says what the user asks for (the request, not its topic or pasted text).",
        "Hints:",
        *[f"- {h}" for h in _HINTS],
        'Answer with JSON only: {"task": "<task type name>"}.',
    ])


def system_prompt(tasks: dict[str, TaskSpec] | None = None) -> str:
    """The static part of the prompt, compact (about 410 tokens, a tenth of the 4,100 that a
    listing with descriptions took): the job, the names by group, hints for the names that need one.

    `tasks` is accepted for compatibility and not used: the descriptions made the prompt ten
    times longer, and classification tokens are meant to stay a small share of a run's.
    """
    lines = [
        "Label the instruction with the ONE task type that says what the user asks for (the "
        "request, not its topic or pasted text).",
        "",
        "Task types by group:",
    ]
    lines += [f"{group}: {', '.join(names)}" for group, names in GROUPS.items()]
    lines += ["", "Hints:"] + [f"- {h}" for h in _HINTS]
    lines += ["", 'Answer with JSON only: {"task": "<task type name>"}.']
    return "\n".join(lines)


class LLMClassifier:
    """Asks a chat model for the task type; see the module docstring.

    `llm` is a `realign.llm.client.LLMClient` (anything with its async `chat`). `embedded`
    provides the fallback prediction (loaded lazily when None and first needed).
    """

    name = "llm"

    def __init__(self, llm: Any, *, embedded: Any = None, tasks: dict[str, TaskSpec] | None = None) -> None:
        self.llm = llm
        self._embedded = embedded
        self.system = system_prompt(tasks if tasks is not None else load_tasks())
        self.shortlist_system = shortlist_system_prompt()
        self.response_format = response_format()
        self.fallbacks = 0  # rows that got the embedded prediction because the LLM gave none

    @property
    def embedded(self) -> Any:
        if self._embedded is None:
            from realign.classify.embedded import EmbeddedClassifier

            self._embedded = EmbeddedClassifier.load()
        return self._embedded

    def messages(self, text: str, candidates: Sequence[str] | None = None) -> list[dict[str, str]]:
        """The chat messages for one instruction: static system part first, the row last; with
        `candidates`, the short prompt and the candidate names after the instruction."""
        ask = '\n\nWhich task type is this instruction? Answer {"task": "<name>"}.'
        if candidates:  # the short system part already says how to answer
            ask = f"\nCandidates: {', '.join(candidates)}"
        user = "Instruction:\n<<<\n" + _clip(text) + "\n>>>" + ask
        system = self.shortlist_system if candidates else self.system
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    async def ask(self, text: str, candidates: Sequence[str] | None = None) -> str | None:
        """The task the model names for `text`, or None when the call fails for good. With
        `candidates` the schema's enum is restricted to them (guided choice on servers that
        honour it); an answer naming another task is still accepted."""
        from realign.llm.client import LLMError

        try:
            result = await self.llm.chat(
                self.messages(text, candidates),
                sampling=dict(SAMPLING),
                response_format=response_format(candidates) if candidates else self.response_format,
                validate=_validate,
                purpose="classify",
            )
        except LLMError:
            return None
        return parse_task(result.content)

    async def classify(self, texts: Sequence[str]) -> list[TaskPrediction]:
        return await self.classify_with_fallback(texts, None)

    async def classify_with_fallback(
        self,
        texts: Sequence[str],
        fallback: Sequence[TaskPrediction] | Callable[[Sequence[str]], list[TaskPrediction]] | None,
        candidates: Sequence[Sequence[str]] | None = None,
    ) -> list[TaskPrediction]:
        """Classify with the LLM; rows it cannot answer get `fallback` (predictions aligned
        with `texts`, or a function computing them for the failed texts; default: the
        embedded classifier), marked method="embedded_fallback". `candidates` (one list per
        text) gives the short prompt that offers only those names."""
        cands = candidates if candidates is not None else [None] * len(texts)
        answers = await asyncio.gather(*(self.ask(t, c) for t, c in zip(texts, cands)))
        out: list[TaskPrediction | None] = [
            TaskPrediction(task=a, confidence=LLM_CONFIDENCE, method="llm") if a else None for a in answers
        ]
        failed = [i for i, p in enumerate(out) if p is None]
        if failed:
            self.fallbacks += len(failed)
            if fallback is None:
                fb = self.embedded.predict([texts[i] for i in failed])
            elif callable(fallback):
                fb = fallback([texts[i] for i in failed])
            else:
                fb = [fallback[i] for i in failed]
            for i, p in zip(failed, fb):
                out[i] = TaskPrediction(task=p.task, confidence=p.confidence, method="embedded_fallback")
        return out  # type: ignore[return-value]
