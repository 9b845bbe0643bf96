"""GSM8K evaluation of a served model, scored the way lm-evaluation-harness scores it.

Each test question is sent as a chat: the first K train items as few-shot turns (user
``"Question: ...\\nAnswer:"``, assistant = the reference solution), then the question, with
temperature 0, ``max_tokens`` 512 and the harness's stop strings. Two scores per answer, as in
the harness's ``gsm8k`` task:

- strict match: the first match of ``#### (\\-?[0-9\\.\\,]+)`` in the answer;
- flexible extract: the last match of ``(-?[$0-9.,]{2,})|(-?[0-9]+)``;

both normalised like the harness (commas, ``$`` and one trailing ``.`` removed) and compared *as
strings* with the gold answer (the text after ``#### `` of the reference, normalised the same
way). So "18.00" does not match a gold "18", exactly as in the harness.

Requests go through `LLMClient`, so they are cached in the store's ``llm_calls`` table and
retried like every other request. A request that fails for good (including an answer cut off at
``max_tokens``, which `LLMClient` reports as an error) scores as wrong and is counted in
``errors``. Every item (prompt, answer, extracted values, correctness) goes to ``eval_items``
and the summary to ``evals``; `compare` pairs two evaluations item by item (McNemar's exact test).

Example::

    summary = run_gsm8k_eval(model="Qwen/Qwen2.5-7B-Instruct", base_url="http://localhost:8000/v1",
                             data="data/gsm8k", split="test", limit=200, shots=5, db="realign.duckdb")
    print(summary["strict_accuracy"], summary["strict_ci"])
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from realign.errors import ConfigError, InputError
from realign.evals.running import Progress, ask_all, benchmark_lines
from realign.evals.stats import mcnemar_exact, wilson_interval
from realign.evals.storage import RecordOnly, compare_evals, ensure_tables, now, resolve_eval, write_eval
from realign.io.readers import hub_unreachable, use_hub_cache_only
from realign.records import row_name

__all__ = [
    "STRICT_PATTERN", "FLEXIBLE_PATTERN", "DEFAULT_SHOTS", "DEFAULT_MAX_TOKENS", "HUB_DATASET",
    "GSM8KItem", "strict_extract", "flexible_extract", "normalize", "gold_answer", "load_split",
    "fewshot_messages", "wilson_interval", "mcnemar_exact", "ensure_tables", "run_gsm8k_eval",
    "compare_evals", "resolve_eval", "format_report",
]

STRICT_PATTERN = r"#### (\-?[0-9\.\,]+)"  # lm-evaluation-harness gsm8k "strict-match", first match
FLEXIBLE_PATTERN = r"(-?[$0-9.,]{2,})|(-?[0-9]+)"  # harness "flexible-extract", last match
_STRICT = re.compile(STRICT_PATTERN)
_FLEXIBLE = re.compile(FLEXIBLE_PATTERN)
# The harness's regexes_to_ignore for gsm8k, applied in this order to predictions and gold.
_IGNORE = (re.compile(","), re.compile(r"\$"), re.compile(r"(?s).*#### "), re.compile(r"\.$"))

DEFAULT_SHOTS = 5  # the harness's gsm8k default (num_fewshot 5, first_n sampler over train)
DEFAULT_MAX_TOKENS = 512
STOP = ["Question:", "</s>", "<|im_end|>"]  # the harness's `until` strings for gsm8k
HUB_DATASET = ("openai/gsm8k", "main")
SPLITS = ("train", "test")


# --- scoring ----------------------------------------------------------------------------------

def normalize(text: str) -> str:
    """The harness's normalisation: drop commas, '$', anything up to '#### ', one trailing '.';
    lower-cased (ignore_case)."""
    for pattern in _IGNORE:
        text = pattern.sub("", text)
    return text.strip().lower()


def strict_extract(answer: str) -> str | None:
    """The number after the first '#### ' in `answer`, normalised; None when there is none."""
    m = _STRICT.search(answer)
    return normalize(m.group(1)) if m else None


def flexible_extract(answer: str) -> str | None:
    """The last number-like token in `answer`, normalised; None when there is none."""
    matches = _FLEXIBLE.findall(answer)
    if not matches:
        return None
    last = matches[-1]
    token = next((g for g in last if g), "")
    return normalize(token) or None


def gold_answer(reference: str) -> str | None:
    """The gold answer of a GSM8K reference solution: the text after its last '#### ', normalised."""
    if "#### " not in reference:
        return None
    return normalize(reference) or None


# --- data -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GSM8KItem:
    index: int  # position in the split
    question: str
    answer: str  # the reference solution, ending in '#### N'
    gold: str  # normalised final answer

    @property
    def item_id(self) -> str:
        """Stable id from the question text: pairs items across evaluations and data sources."""
        return "q" + hashlib.sha256(self.question.encode("utf-8")).hexdigest()[:16]


def _item(obj: Any, index: int, where: str) -> GSM8KItem:
    if not isinstance(obj, dict):
        raise InputError(f"{where}: expected a JSON object with 'question' and 'answer', got {type(obj).__name__}")
    for name in ("question", "answer"):
        value = obj.get(name)
        if value is None:
            raise InputError(f"{where}: field '{name}' is missing (GSM8K rows need 'question' and 'answer')")
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"{where}: field '{name}' must be a non-empty string")
    gold = gold_answer(obj["answer"])
    if gold is None:
        raise InputError(f"{where}: field 'answer' has no final '#### N' line, so there is no gold answer")
    return GSM8KItem(index, obj["question"], obj["answer"], gold)


def _read_jsonl(path: Path, limit: int | None) -> list[GSM8KItem]:
    if not path.is_file():
        raise InputError(f"{path}: no such file; --data DIR must hold train.jsonl and test.jsonl "
                         "(lines of {\"question\": ..., \"answer\": \"... #### N\"})")
    items: list[GSM8KItem] = []
    for where, obj in benchmark_lines(path):
        if limit is not None and len(items) >= limit:
            break
        items.append(_item(obj, len(items), where))
    if not items:
        raise InputError(f"{path}: holds no GSM8K rows")
    return items


def _read_hub(split: str, limit: int | None) -> list[GSM8KItem]:
    name, config = HUB_DATASET
    spec = f"hf:{name}:{config}:{split}"
    unreachable = hub_unreachable()
    if unreachable:
        use_hub_cache_only()  # a copy loaded before still loads; otherwise fail now, not after retries
    try:
        import datasets

        ds = datasets.load_dataset(name, config, split=split)
    except ImportError:
        raise ConfigError("reading GSM8K from the Hugging Face hub needs the `datasets` package "
                          "(pip install datasets), or pass --data DIR with train.jsonl and test.jsonl") from None
    except Exception as e:
        why = f"{unreachable} and no copy is in the local Hugging Face cache" if unreachable else str(e)
        raise InputError(f"{spec}: cannot load {name} (config {config}, split {split}) from the Hugging Face "
                         f"hub: {why}. Check your network, or pass --data DIR with local train.jsonl / test.jsonl") from None
    items: list[GSM8KItem] = []
    for index, obj in enumerate(ds):
        if limit is not None and index >= limit:
            break
        items.append(_item(obj, index, f"{spec} {row_name(index)}"))
    if not items:
        raise InputError(f"{spec}: holds no rows")
    return items


def load_split(data: str | None, split: str, limit: int | None = None) -> list[GSM8KItem]:
    """The first `limit` items of a split: `data`/<split>.jsonl, or the hub's openai/gsm8k (main)."""
    if split not in SPLITS:
        raise ConfigError(f"--split {split!r}: GSM8K has the splits {', '.join(SPLITS)}")
    if data is None:
        return _read_hub(split, limit)
    folder = Path(data)
    if not folder.is_dir():
        raise InputError(f"{data}: not a folder; --data DIR must hold train.jsonl and test.jsonl")
    return _read_jsonl(folder / f"{split}.jsonl", limit)


# --- prompts ----------------------------------------------------------------------------------

def _question_turn(question: str) -> str:
    return f"Question: {question}\nAnswer:"


def fewshot_messages(exemplars: Sequence[GSM8KItem], question: str) -> list[dict[str, str]]:
    """The chat for one question: each exemplar as a user/assistant pair, then the question."""
    messages: list[dict[str, str]] = []
    for ex in exemplars:
        messages.append({"role": "user", "content": _question_turn(ex.question)})
        messages.append({"role": "assistant", "content": ex.answer})
    messages.append({"role": "user", "content": _question_turn(question)})
    return messages


# --- the run ----------------------------------------------------------------------------------

async def _ask_all(llm: Any, store: Any, items: Sequence[GSM8KItem], exemplars: Sequence[GSM8KItem],
                   sampling: dict[str, Any], eval_id: str, progress: Progress) -> list[dict[str, Any]]:
    chats = [fewshot_messages(exemplars, it.question) for it in items]
    rows: list[dict[str, Any]] = [{} for _ in items]

    def scored(i: int, rec: dict[str, Any]) -> bool:
        item, answer = items[i], rec["answer"]
        strict, flexible = strict_extract(answer), flexible_extract(answer)
        rows[i] = {
            "eval_id": eval_id, "item_index": item.index, "item_id": item.item_id,
            "question": item.question, "reference": item.answer, "gold": item.gold,
            "prompt": json.dumps(chats[i], ensure_ascii=False), **rec,
            "strict_answer": strict, "flexible_answer": flexible,
            "strict_correct": strict == item.gold, "flexible_correct": flexible == item.gold,
        }
        progress.step(rows[i]["strict_correct"])
        return bool(rows[i]["strict_correct"])

    await ask_all(llm, store, chats, sampling, scored)
    return rows


def _eval_config(*, model: str, base_url: str, data: str | None, split: str, limit: int | None, shots: int,
                 sampling: dict[str, Any]) -> dict[str, Any]:
    return {
        "benchmark": "gsm8k", "model": model, "base_url": base_url,
        "data": data or "hf:{}:{}".format(*HUB_DATASET), "split": split, "limit": limit, "shots": shots,
        "fewshot": "first K train items, chat turns 'Question: ...\\nAnswer:' / reference solution",
        "sampling": sampling, "strict_pattern": STRICT_PATTERN + " (first match)",
        "flexible_pattern": FLEXIBLE_PATTERN + " (last match)",
        "normalisation": "drop ',' and '$', text up to '#### ', one trailing '.'; string comparison",
    }


def _accuracy_fields(items: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(items)
    strict = sum(1 for r in items if r["strict_correct"])
    flexible = sum(1 for r in items if r["flexible_correct"])
    s_lo, s_hi = wilson_interval(strict, n)
    f_lo, f_hi = wilson_interval(flexible, n)
    return {
        "n": n, "strict_correct": strict, "flexible_correct": flexible,
        "strict_accuracy": strict / n if n else 0.0, "flexible_accuracy": flexible / n if n else 0.0,
        "strict_ci": [s_lo, s_hi], "flexible_ci": [f_lo, f_hi],
    }


async def _run(cfg: Any, *, data: str | None, split: str, limit: int | None, shots: int, db: str,
               compare: str | None, max_tokens: int, use_cache: bool, progress: bool) -> dict[str, Any]:
    from realign.pipeline import build_llm
    from realign.store import Store

    store = Store(db)
    try:
        ensure_tables(store)
        before = resolve_eval(store, compare, "gsm8k") if compare else None  # a bad id fails before any request
        llm = build_llm(cfg, store if use_cache else RecordOnly(store))  # no endpoint: ConfigError
        try:
            items = load_split(data, split, limit)  # bad data fails before anything is sent
            exemplars = load_split(data, "train", shots) if shots else []
            await llm.check_endpoint()
            sampling = {"temperature": 0.0, "top_p": 1.0, "max_tokens": max_tokens, "seed": 0, "stop": STOP}
            eval_id = "e" + uuid.uuid4().hex[:12]
            started = now()
            reporter = Progress("gsm8k", len(items), llm.stats, progress, label="strict")
            rows = await _ask_all(llm, store, items, exemplars, sampling, eval_id, reporter)
        finally:
            await llm.aclose()
        errors = [r["error"] for r in rows if r["error"]]
        if rows and len(errors) == len(rows):
            raise ConfigError(f"every GSM8K request to {cfg.model.base_url} failed; the first: {errors[0]}")
        store.flush()  # the answers first, so a stored evaluation never lacks its cache entries
        acc = _accuracy_fields(rows)
        config = _eval_config(model=cfg.model.model, base_url=cfg.model.base_url, data=data, split=split,
                              limit=limit, shots=shots, sampling=sampling)
        summary: dict[str, Any] = {
            "eval_id": eval_id, "benchmark": "gsm8k", "model": cfg.model.model, "split": split,
            "data": config["data"], "shots": shots, **acc, "errors": len(errors),
            "llm_requests": llm.stats.requests_sent, "cached_requests": llm.stats.cache_hits,
        }
        write_eval(store, {
            "eval_id": eval_id, "benchmark": "gsm8k", "model": cfg.model.model, "base_url": cfg.model.base_url,
            "data": config["data"], "split": split, "n": acc["n"], "shots": shots,
            "strict_correct": acc["strict_correct"], "flexible_correct": acc["flexible_correct"],
            "strict_accuracy": acc["strict_accuracy"], "flexible_accuracy": acc["flexible_accuracy"],
            "strict_ci_low": acc["strict_ci"][0], "strict_ci_high": acc["strict_ci"][1],
            "flexible_ci_low": acc["flexible_ci"][0], "flexible_ci_high": acc["flexible_ci"][1],
            "errors": len(errors), "llm_requests": llm.stats.requests_sent,
            "cached_requests": llm.stats.cache_hits, "started_at": started, "finished_at": now(),
            "config": json.dumps(config, ensure_ascii=False),
        }, rows)
        if before is not None:
            summary["compare"] = compare_evals(store, before, eval_id)
        return summary
    finally:
        store.close()


def run_gsm8k_eval(*, model: str | None, base_url: str | None, data: str | None = None, split: str = "test",
                   limit: int | None = None, shots: int = DEFAULT_SHOTS, db: str = "realign.duckdb",
                   compare: str | None = None, concurrency: int | None = None, timeout_s: float | None = None,
                   max_tokens: int = DEFAULT_MAX_TOKENS, use_cache: bool = True,
                   progress: bool = True) -> dict[str, Any]:
    """Evaluate a served model on GSM8K, store every item, and return the summary (see module doc).

    `model` / `base_url` fall back to REALIGN_MODEL / OPENAI_BASE_URL like `realign rewrite`; the
    API key comes from OPENAI_API_KEY. Raises ConfigError / InputError for what a user can fix.
    """
    from realign.config import load_config
    from realign.runner import check_key

    if shots < 0:
        raise ConfigError("--shots must be 0 or more")
    if split not in SPLITS:
        raise ConfigError(f"--split {split!r}: GSM8K has the splits {', '.join(SPLITS)}")
    cfg = load_config(None, {"model": {"model": model, "base_url": base_url, "concurrency": concurrency,
                                       "timeout_s": timeout_s}})
    check_key(cfg)
    return asyncio.run(_run(cfg, data=data, split=split, limit=limit, shots=shots, db=db, compare=compare,
                            max_tokens=max_tokens, use_cache=use_cache, progress=progress))


# --- the report -------------------------------------------------------------------------------

def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def format_report(s: dict[str, Any]) -> str:
    """The human-readable report of a `run_gsm8k_eval` summary."""
    lines = [f"GSM8K evaluation {s['eval_id']}: model {s['model']}, {s['split']} split of {s['data']}, "
             f"{s['n']} items, {s['shots']}-shot"]
    for kind, label in (("strict", "strict match    "), ("flexible", "flexible extract")):
        lo, hi = s[f"{kind}_ci"]
        lines.append(f"  {label}  {_pct(s[f'{kind}_accuracy']):>7}  ({s[f'{kind}_correct']}/{s['n']})  "
                     f"95% CI {_pct(lo)} - {_pct(hi)}")
    lines.append(f"  requests: {s['llm_requests']} sent, {s['cached_requests']} from the cache; "
                 f"{s['errors']} failed (scored as wrong)")
    c = s.get("compare")
    if c:
        lines.append(f"compared with {c['before']} ({c['before_model']}), on {c['paired']} paired items:")
        for kind in ("strict", "flexible"):
            k = c[kind]
            lines.append(f"  {kind:<8} {_pct(k['before_accuracy'])} -> {_pct(k['after_accuracy'])} "
                         f"({100 * k['difference']:+.2f} points): {k['gained']} items gained, {k['lost']} lost, "
                         f"McNemar exact p = {k['mcnemar_p']:.3g}")
        for w in c["warnings"]:
            lines.append(f"  warning: {w}")
    lines.append(f"items: SELECT * FROM eval_items WHERE eval_id = '{s['eval_id']}'")
    return "\n".join(lines)
