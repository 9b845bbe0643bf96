"""--dry-run: every offline stage of a run (read, classify, route, render) and an estimate of what
it would send and cost, without a model. Lives beside the pipeline it drives, not inside it."""

from __future__ import annotations

from typing import Any

from realign.classify.base import classification_text
from realign.config import PipelineConfig
from realign.errors import InputError
from realign.llm.base import request_key
from realign.llm.client import prompt_chars as message_chars
from realign.llm.prices import cost_usd, price_of
from realign.pipeline import Pipeline
from realign.records import BadRow, Example
from realign.rewrite import build_messages, rewrite_schema, turn_instruction
from realign.store import quarantine_warnings


CLASSIFY_ANSWER_TOKENS = 12  # {"task": "<name>"}
DEFAULT_CHARS_PER_TOKEN = 4  # English prose under BPE tokenizers; a database's own requests say better


def _classifier_asks_llm(cfg: PipelineConfig) -> float | None:
    """For --dry-run: None when classification sends no request, else the embedded confidence
    below which a row goes to the LLM (infinity for the LLM classifier: every row)."""
    if cfg.tasks.force_task:
        return None
    kind = cfg.classify.kind
    if kind == "auto":
        # as in a real run: a model named means an LLM client (its base URL may come from the
        # environment or default to the OpenAI API), so auto is the cascade
        kind = "cascade" if cfg.model.model else "embedded"
    if kind == "llm":
        return float("inf")
    if kind == "cascade":
        from realign.classify.cascade import DEFAULT_THRESHOLD

        return DEFAULT_THRESHOLD if cfg.classify.threshold is None else float(cfg.classify.threshold)
    return None


# Without earlier runs to learn from, a rewrite's answer is taken as twice the original's length
# plus the JSON around it, at 4 characters a token: reformatting adds structure and reasons.
DEFAULT_COMPLETION_PER_CHAR = 2 / 4
ANSWER_OVERHEAD_TOKENS = 15  # {"rewritten": "...", "keep_original": false}


async def plan(pipeline: Pipeline, input_path: str, *, limit: int | None = None,
               show_prompts: int = 1, history: dict[str, float] | None = None,
               prompt_chars_per_token: float | None = None,
               finished: tuple[str, set[str]] | None = None,
               refused: dict[str, int | None] | None = None, strict: bool = False) -> dict[str, Any]:
    """--dry-run: every offline stage (load, classify, route, render) and what would be sent.
    With `strict`, the first bad input row stops the plan as it stops a real --strict run
    (InputError naming the file, line and field: exit 2).

    Token figures are estimates: prompts at the characters per token that earlier requests of the
    same database were counted at (`prompt_chars_per_token`), else 4; answers from the completion
    tokens per original character that earlier runs in the same database took, by task
    (`history`), else DEFAULT_COMPLETION_PER_CHAR, capped at max_tokens. `finished`: the run a
    real rerun would resume and the ids it finished; those rows send nothing and are not counted.
    A request identical to one counted before (a duplicate row, an opening turn two chats share)
    is counted once, as a run sends it once (the client folds a twin in flight, the cache
    answers a later one); `duplicate_requests` says how many were folded.

    Turns a run keeps as too long for the model without sending anything are not counted either
    (`too_long_turns`): those whose rewrite request the database holds as refused by a configured
    endpoint (`refused`: request keys; the cache answers them), those an earlier session counted
    over the --max-prompt-tokens given now (`refused` holds their counts), and, with
    --max-prompt-chars, those whose prompt is over it (never sent). With --max-prompt-tokens,
    the turns whose prompt no session has counted yet are sent to be counted: those whose
    characters at the estimate's characters per token come to more than the limit are reported
    as `over_max_prompt_tokens_estimated` and still counted as requests (only the server's
    count decides).
    """
    from realign.engines.admit import dedupe_id

    resume_id, done = finished if finished is not None else ("", set())
    seen: dict[str, int] = {}
    resumed = 0
    history = history or {}
    cfg = pipeline.cfg
    rows = quarantined = requests = prompt_chars = completion_tokens = 0
    classify_requests = classify_chars = 0
    asks_llm = _classifier_asks_llm(cfg)  # None: never; else the confidence below which it asks
    classify_system = 0
    if asks_llm is not None:
        from realign.classify.llm import system_prompt

        classify_system = len(system_prompt(pipeline.tasks))
    by_task: dict[str, dict[str, int]] = {}
    # with [modes] set: turns per mode (the estimates stay those of one rewrite-sized request per
    # turn; `realign stats` reports each mode's real requests per row)
    modes_on = cfg.modes != type(cfg.modes)()
    turns_by_mode: dict[str, int] = {}
    samples: list[dict[str, Any]] = []
    bad: list[str] = []
    evidence_requests = 0
    # the keys a run would give its requests: rewrite requests by LLMClient's request key; a
    # classification by its text, as the rest of its request is the same for every row
    sent_keys: set[str] = set()
    classify_texts: set[str] = set()
    folded_rewrite = folded_classify = 0
    refused = refused or {}
    too_long = {"known": 0, "over_max_prompt_chars": 0}
    if cfg.model.max_prompt_tokens is not None:
        too_long.update(over_max_prompt_tokens_counted=0, over_max_prompt_tokens_estimated=0)
    rewrite_request = {"model": cfg.model.model, "n": cfg.sampling.n, **pipeline.sampling,
                       "response_format": rewrite_schema(cfg.rewrite.answer_schema)}
    for chunk in pipeline._chunks(input_path, limit):
        examples = [x for x in chunk if isinstance(x, Example)]
        for x in chunk:
            if isinstance(x, BadRow):
                if strict:
                    raise InputError(x.describe(input_path) + " (--strict stops at the first bad row)")
                quarantined += 1
                if len(bad) < 5:
                    bad.append(x.describe(input_path))
        rows += len(chunk)
        examples = [dedupe_id(x, seen) for x in examples]  # the ids the run stores
        left = [x for x in examples if x.id not in done]
        resumed += len(examples) - len(left)
        examples = left
        preds = await pipeline.classify(examples)
        for ex, pred in zip(examples, preds):
            if asks_llm is not None and pred.confidence < asks_llm:
                text = classification_text(ex.turns)
                if text in classify_texts:
                    folded_classify += 1
                else:
                    classify_texts.add(text)
                    classify_requests += 1
                    classify_chars += classify_system + len(text) + 120
            entry = by_task.setdefault(pred.task, {"rows": 0, "rewrite": 0, "passthrough": 0})
            entry["rows"] += 1
            todo = pipeline.turns_to_rewrite(pred.task, ex)
            if not todo:
                entry["passthrough"] += 1
                continue
            entry["rewrite"] += 1
            spec = pipeline.tasks[pred.task]
            for i in todo:
                if modes_on:
                    contract = pipeline.contract_of(ex, i)
                    name = pipeline.mode_for(pred.task, contract).name
                    name = "rewrite" if name == "label_reason" and contract.kind not in ("label", "option") else name
                    if name == "stakeholder_sim":  # only requests the screen flags enter the simulation
                        from realign.modes.screen import screen

                        sim = cfg.modes.sim
                        flag = screen(pred.task, turn_instruction(ex, i), sim.keywords, sim.patterns)
                        name = name if flag and (flag.level == "harmful" or sim.screen_model) else "rewrite"
                    turns_by_mode[name] = turns_by_mode.get(name, 0) + 1
                messages = build_messages(spec, ex, i, answer_schema=cfg.rewrite.answer_schema)
                key = request_key({**rewrite_request, "messages": messages})
                if key in refused:
                    # refused before at this endpoint, or counted over --max-prompt-tokens: the
                    # cache answers it
                    too_long["known" if refused[key] is None else "over_max_prompt_tokens_counted"] += 1
                    continue
                limit = cfg.model.max_prompt_chars
                if limit is not None and message_chars(messages) > limit:
                    too_long["over_max_prompt_chars"] += 1  # kept as too long, never sent
                    continue
                token_limit = cfg.model.max_prompt_tokens
                if token_limit is not None and (message_chars(messages) / (prompt_chars_per_token or DEFAULT_CHARS_PER_TOKEN)
                                                > token_limit):
                    too_long["over_max_prompt_tokens_estimated"] += 1  # the server's count decides
                if key in sent_keys:
                    folded_rewrite += 1
                    continue
                sent_keys.add(key)
                requests += 1
                evidence_requests += int(cfg.retrieval.all_tasks or cfg.tasks.retrieval.get(pred.task, spec.retrieval))
                prompt_chars += sum(len(m["content"]) for m in messages)
                learned = history.get(pred.task, history.get("*"))  # the JSON around it included
                guess = (len(ex.turns[i].content) * learned if learned is not None
                         else len(ex.turns[i].content) * DEFAULT_COMPLETION_PER_CHAR + ANSWER_OVERHEAD_TOKENS)
                completion_tokens += min(cfg.sampling.max_tokens, round(guess))
                if len(samples) < show_prompts:
                    samples.append({"example_id": ex.id, "task": pred.task, "messages": messages})
    per_token = prompt_chars_per_token or DEFAULT_CHARS_PER_TOKEN
    est_prompt = round((prompt_chars + classify_chars) / per_token)
    est_completion = completion_tokens * cfg.sampling.n + classify_requests * CLASSIFY_ANSWER_TOKENS
    price = price_of(cfg.model.model, cfg.model.prompt_price, cfg.model.completion_price)
    return {
        "dry_run": True, "rows": rows, "quarantined": quarantined, "resumed": resumed,
        "resumed_run": resume_id or None,
        "requests": requests, "requests_with_feedback_retry_max": requests * (2 if cfg.rewrite.feedback_retry else 1),
        "classify_requests": classify_requests, "total_requests": requests + classify_requests,
        "duplicate_requests": {"rewrite": folded_rewrite, "classify": folded_classify},
        # turns a run keeps as too long for the model without a request (not counted above)
        "too_long_turns": too_long,
        "estimated_cost_usd": cost_usd(price, est_prompt, est_completion),
        "price_per_million": list(price) if price else None,
        "rows_needing_evidence": evidence_requests, "retrieval": cfg.retrieval.kind,
        "estimated_prompt_tokens": est_prompt, "estimated_completion_tokens": est_completion,
        "completion_estimate_from": "earlier runs in this database" if history else "the default (twice the original)",
        "prompt_estimate_from": (f"earlier requests in this database ({per_token:.2f} characters a token)"
                                 if prompt_chars_per_token else f"the default ({DEFAULT_CHARS_PER_TOKEN} characters a token)"),
        "by_task": dict(sorted(by_task.items(), key=lambda kv: -kv[1]["rows"])),
        **({"turns_by_mode": turns_by_mode} if modes_on else {}),
        "bad_rows": bad, "sample_prompts": samples, "warnings": quarantine_warnings(rows, quarantined),
    }
