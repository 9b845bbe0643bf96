"""Where an evaluation's answers come from, and the run that scores and stores them.

Two sources of answers, scored the same way:

- a served model: each item's chat goes through `LLMClient` (cached in ``llm_calls``, retried,
  usage counted); a request that fails for good scores as wrong and counts in ``errors``;
- an answers file (``--answers FILE``): any file `realign rewrite` reads (e.g. a `realign
  export` of rows that `--write-rows` wrote), matched to the items by row id, else by the
  prompt text; the answer is the row's last assistant turn. Items the file lacks are left out.

`--write-rows FILE` writes the items with the answers they got as Alpaca rows (``id`` = the
item id, ``instruction`` = the prompt, ``output`` = the answer), ready for `realign rewrite`;
after the rewrite, `realign export` keeps the ids, so `--answers` scores the rewritten answers.

A benchmark module supplies the items (an `EvalItem` each) and a `Scorer`; `run_benchmark` does
the rest: store, endpoint, asking, scoring, the `evals` / `eval_items` rows, `--compare`.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol, Sequence

from realign.errors import ConfigError, InputError
from realign.evals.storage import RecordOnly, compare_evals, ensure_tables, now, resolve_eval, write_eval
from realign.records import where_in

__all__ = ["EvalItem", "Scorer", "Progress", "ask_all", "benchmark_lines", "read_answers", "write_rows", "run_benchmark"]


def benchmark_lines(path: Path) -> Iterator[tuple[str, Any]]:
    """The JSON objects of a benchmark's JSONL file with their `file:line`, blank lines skipped.
    A benchmark file is the measurement, so a bad line stops the command (naming file and line)
    instead of being quarantined as a corpus row would be."""
    with path.open("rb") as fh:
        for line_no, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            where = f"{path}:{line_no}"
            try:
                yield where, json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                raise InputError(f"{where}: not valid UTF-8") from None
            except ValueError as e:
                raise InputError(f"{where}: not valid JSON ({e})") from None


@dataclass(frozen=True)
class EvalItem:
    """One question of a benchmark, as sent: a single user turn."""

    index: int  # position in the evaluated list
    item_id: str  # stable across runs and data copies: pairs items in --compare and --answers
    prompt: str  # the user turn
    gold: str  # the right answer, as text
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)  # what the scorer needs

    def messages(self) -> list[dict[str, str]]:
        return [{"role": "user", "content": self.prompt}]


class Scorer(Protocol):
    """What a benchmark module provides to `run_benchmark`."""

    name: str  # the benchmark, as in `realign eval NAME`

    def score(self, item: EvalItem, answer: str) -> dict[str, Any]:
        """`correct` (bool), `extracted` (the answer as read, or None) and `detail` (a JSON-able
        dict of what `summarize` needs) for one answer."""
        ...

    def summarize(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        """The benchmark's metrics over scored rows (each with `correct` and `detail`)."""
        ...

    def compare_metrics(self, pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
        """Metric differences over (before, after) rows of the same items."""
        ...


# --- a served model ------------------------------------------------------------------------------

class Progress:
    """A plain line on stderr every few seconds (every second on a terminal)."""

    def __init__(self, name: str, total: int, llm_stats: Any, enabled: bool, label: str = "accuracy") -> None:
        self.name, self.total, self.stats, self.enabled, self.label = name, total, llm_stats, enabled, label
        self.done = self.right = 0
        self.started = self._last = time.monotonic()
        self.interval = 1.0 if sys.stderr.isatty() else 5.0

    def step(self, correct: bool) -> None:
        self.done += 1
        self.right += int(correct)
        now_ = time.monotonic()
        if self.enabled and (now_ - self._last >= self.interval or self.done == self.total):
            self._last = now_
            rate = self.done / max(now_ - self.started, 1e-9)
            print(f"{self.name}: {self.done}/{self.total} items | {rate:.1f} items/s | requests fresh "
                  f"{self.stats.requests_sent} cached {self.stats.cache_hits} | {self.label} so far "
                  f"{100 * self.right / self.done:.1f}%", file=sys.stderr, flush=True)


async def ask_all(llm: Any, store: Any, messages: Sequence[list[dict[str, str]]], sampling: dict[str, Any],
                  on_answer: Callable[[int, dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """Each chat's answer record (answer, error, request_key, cached, tokens), in order.
    `on_answer(i, record)` scores it as it comes and returns whether it was right (progress)."""
    from realign.llm.client import LLMError

    async def one(i: int, chat: list[dict[str, str]]) -> dict[str, Any]:
        rec: dict[str, Any] = {"answer": "", "error": None, "request_key": None, "cached": False,
                               "prompt_tokens": None, "completion_tokens": None}
        try:
            # A cut-off answer is scored as it stands, as the harness does, not retried.
            result = await llm.chat(chat, sampling=sampling, allow_truncated=True, purpose="eval")
            rec.update(answer=result.content, request_key=result.key, cached=result.cached,
                       prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens)
        except LLMError as e:
            rec["error"] = str(e)
        on_answer(i, rec)
        store.maybe_flush()  # answers reach the cache as they come: a killed eval resumes from there
        return rec

    tasks = [asyncio.ensure_future(one(i, m)) for i, m in enumerate(messages)]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        # A stopped run (RunStopped: most calls failing the same way) or an interrupt: the other
        # calls are cancelled and their outcomes collected, so the user sees one line, not a
        # traceback per pending call at shutdown.
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


# --- answers files -------------------------------------------------------------------------------

def read_answers(path: str, items: Sequence[EvalItem], benchmark: str) -> list[tuple[EvalItem, str]]:
    """(item, answer) for each row of `path`, in the order of `items`; InputError naming the file,
    line and field for a row that cannot be read or matches no item."""
    from realign.io import read_examples
    from realign.records import BadRow

    by_id = {it.item_id: it for it in items}
    by_prompt: dict[str, EvalItem] = {}
    for it in items:
        by_prompt.setdefault(it.prompt.strip(), it)
    found: dict[str, tuple[EvalItem, str]] = {}
    for ex in read_examples(path):
        if isinstance(ex, BadRow):
            raise InputError(ex.describe(path))
        where = where_in(str(path), ex.line, ex.source_index)
        item = by_id.get(ex.id) or by_prompt.get(ex.instruction.strip())
        if item is None:
            raise InputError(f"{where}, field 'id': row {ex.id!r} matches no {benchmark} item of the data "
                             f"(by id or by prompt); write the rows with `realign eval {benchmark} --write-rows` "
                             "from the same --data")
        if item.item_id in found:
            raise InputError(f"{where}, field 'id': a second answer to {benchmark} item {item.item_id}; "
                             "keep one row per item")
        answers = [t.content for t in ex.turns if t.role == "assistant"]
        found[item.item_id] = (item, answers[-1] if answers else "")
    if not found:
        raise InputError(f"{path}: holds no rows")
    return [found[it.item_id] for it in items if it.item_id in found]


def write_rows(path: str, benchmark: str, rows: Sequence[dict[str, Any]]) -> int:
    """The answered items as Alpaca rows for `realign rewrite`; failed requests are left out."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with out.open("w", encoding="utf-8") as f:
        for r in rows:
            if r.get("error") or not (r.get("answer") or "").strip():
                continue
            f.write(json.dumps({"id": r["item_id"], "instruction": r["question"], "input": "",
                                "output": r["answer"], "benchmark": benchmark}, ensure_ascii=False) + "\n")
            n += 1
    return n


# --- the run -------------------------------------------------------------------------------------

def _item_row(eval_id: str, item: EvalItem, rec: dict[str, Any], scored: dict[str, Any]) -> dict[str, Any]:
    return {
        "eval_id": eval_id, "item_index": item.index, "item_id": item.item_id, "question": item.prompt,
        "reference": item.gold, "gold": item.gold, "prompt": json.dumps(item.messages(), ensure_ascii=False),
        "request_key": rec.get("request_key"), "answer": rec.get("answer", ""), "cached": rec.get("cached", False),
        "error": rec.get("error"), "prompt_tokens": rec.get("prompt_tokens"),
        "completion_tokens": rec.get("completion_tokens"), "correct": bool(scored["correct"]),
        "extracted": scored.get("extracted"), "detail": json.dumps(scored.get("detail") or {}, ensure_ascii=False),
    }


async def _ask(cfg: Any, store: Any, scorer: Scorer, items: Sequence[EvalItem], sampling: dict[str, Any],
               eval_id: str, use_cache: bool, progress: bool) -> tuple[list[dict[str, Any]], Any]:
    from realign.pipeline import build_llm

    llm = build_llm(cfg, store if use_cache else RecordOnly(store))
    rows: list[dict[str, Any] | None] = [None] * len(items)
    try:
        await llm.check_endpoint()
        reporter = Progress(scorer.name, len(items), llm.stats, progress)

        def on_answer(i: int, rec: dict[str, Any]) -> bool:
            row = _item_row(eval_id, items[i], rec, scorer.score(items[i], rec["answer"]))
            rows[i] = row
            reporter.step(row["correct"])
            return bool(row["correct"])

        await ask_all(llm, store, [it.messages() for it in items], sampling, on_answer)
    finally:
        await llm.aclose()
    return [r for r in rows if r is not None], llm.stats


def run_benchmark(scorer: Scorer, items: Sequence[EvalItem], *, data: str, model: str | None,
                  base_url: str | None, answers: str | None = None, write_rows_to: str | None = None,
                  db: str = "realign.duckdb", compare: str | None = None, concurrency: int | None = None,
                  sampling: dict[str, Any], use_cache: bool = True, progress: bool = True,
                  config: dict[str, Any] | None = None) -> dict[str, Any]:
    """Answer (served model, or `answers` file), score, store and summarise `items`; see the module doc."""
    from realign.store import Store

    cfg = None
    if answers is None:
        from realign.config import load_config
        from realign.runner import check_key

        cfg = load_config(None, {"model": {"model": model, "base_url": base_url, "concurrency": concurrency}})
        check_key(cfg)
    pairs = read_answers(answers, items, scorer.name) if answers is not None else None  # bad file: fails first
    store = Store(db)
    try:
        ensure_tables(store)
        before = resolve_eval(store, compare, scorer.name) if compare else None  # a bad id fails before any request
        eval_id = "e" + uuid.uuid4().hex[:12]
        started = now()
        if pairs is not None:
            rows = [_item_row(eval_id, it, {"answer": text}, scorer.score(it, text)) for it, text in pairs]
            requests = cached = 0
            label, url = model or f"answers:{answers}", None
        else:
            assert cfg is not None  # no endpoint: build_llm raises the error `rewrite` gives
            rows, stats = asyncio.run(_ask(cfg, store, scorer, items, sampling, eval_id, use_cache, progress))
            errors = [r["error"] for r in rows if r["error"]]
            if rows and len(errors) == len(rows):
                raise ConfigError(f"every {scorer.name} request to {cfg.model.base_url} failed; the first: {errors[0]}")
            store.flush()  # the answers first, so a stored evaluation never lacks its cache entries
            requests, cached = stats.requests_sent, stats.cache_hits
            label, url = cfg.model.model, cfg.model.base_url
        errors_n = sum(1 for r in rows if r["error"])
        metrics = scorer.summarize(rows)
        run_config = {"benchmark": scorer.name, "model": label, "base_url": url, "data": data,
                      "answers": answers, "sampling": None if answers else sampling, **(config or {})}
        write_eval(store, {
            "eval_id": eval_id, "benchmark": scorer.name, "model": label, "base_url": url, "data": data,
            "split": "test", "n": len(rows), "shots": 0, "errors": errors_n, "llm_requests": requests,
            "cached_requests": cached, "started_at": started, "finished_at": now(),
            "config": json.dumps(run_config, ensure_ascii=False), "metrics": json.dumps(metrics, ensure_ascii=False),
        }, rows)
        summary: dict[str, Any] = {
            "eval_id": eval_id, "benchmark": scorer.name, "model": label, "data": data,
            "source": "answers" if answers else "model", "n": len(rows), "errors": errors_n,
            "llm_requests": requests, "cached_requests": cached, **metrics,
        }
        if before is not None:
            summary["compare"] = compare_evals(store, before, eval_id, scorer.compare_metrics)
        if write_rows_to is not None:
            summary["rows_written"] = write_rows(write_rows_to, scorer.name, rows)
            summary["rows_file"] = write_rows_to
        return summary
    finally:
        store.close()
