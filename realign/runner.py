"""Builds a Pipeline from the effective config (classifier, LLM client, retriever, store) and runs it."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

from realign.config import PipelineConfig, load_config
from realign.llm.prices import price_of
from realign.errors import ConfigError, InputError, Interrupted, budget_reached
from realign.pipeline import Pipeline, build_llm
from realign.planning import plan
from realign.progress import ProgressReporter
from realign.store import Store, remove_database

OPENAI_HOSTS = ("api.openai.com",)


def check_key(cfg: PipelineConfig) -> None:
    url = cfg.model.base_url or ""
    if any(h in url for h in OPENAI_HOSTS) and cfg.model.api_key is None:
        raise ConfigError(f"{url} needs an API key: export OPENAI_API_KEY=sk-..., or pass --api-key @FILE (a file holding it) or --api-key env:NAME")


def _classifier(cfg: PipelineConfig, llm: Any | None) -> Any | None:
    if cfg.tasks.force_task:
        return None  # every row has its task already
    from realign.classify import build_classifier

    return build_classifier(cfg.classify.kind, llm=llm, threshold=cfg.classify.threshold)


def _retriever(cfg: PipelineConfig, store: Store | None) -> Any | None:
    if cfg.retrieval.kind == "none":
        return None
    from realign.retrieve import build_retriever

    if cfg.retrieval.kind == "local":
        return build_retriever("local", index_dir=cfg.retrieval.index_dir, min_match=cfg.retrieval.min_match)
    return build_retriever(cfg.retrieval.kind, index_dir=cfg.retrieval.index_dir, cache=store)


def run_rewrite(input_path: str, *, pipeline: str | None, overrides: dict[str, dict[str, Any]],
                db: str, limit: int | None, strict: bool, dry_run: bool, progress: bool,
                engine: str = "local", ray: dict[str, Any] | None = None) -> dict[str, Any]:
    cfg = load_config(pipeline, overrides)
    input_path = input_path or cfg.input.path or ""
    if not input_path:
        raise InputError("no input given: pass --in FILE (or set input.path in the pipeline)")
    from realign.io.readers import detect_format

    container, shape = detect_format(input_path, field_map=cfg.input.field_map or None)  # fail fast on a missing or empty file, before anything else
    how = f"{cfg.input.format} ({cfg.format_from})" if cfg.input.format else f"{shape} (detected)"
    announce = f"input {input_path}: {container}, rows read as {how}" if progress else None
    if dry_run:
        # Offline: the embedded classifier stands in for any LLM-backed one.
        offline = cfg.model_copy(update={"classify": cfg.classify.model_copy(update={"kind": "embedded"})})
        classifier = _classifier(offline, None)
        pipe = Pipeline(cfg, None, llm=None, classifier=classifier)
        completion, prompt_ratio = _rewrite_history(db)
        return asyncio.run(plan(pipe, input_path, limit=limit, history=completion,
                                prompt_chars_per_token=prompt_ratio,
                                finished=_finished_rows(pipe, cfg, input_path, db),
                                refused=_refused_requests(cfg, db), strict=strict))
    check_key(cfg)
    m = cfg.model
    if m.max_cost is not None and price_of(m.model, m.prompt_price, m.completion_price) is None:
        raise ConfigError(f"--max-cost needs a price for model {m.model}: pass --price-in and --price-out "
                          "(US$ per million prompt / completion tokens)")
    if engine == "ray":
        return _run_ray(cfg, input_path, db=db, limit=limit, strict=strict, announce=announce, progress=progress,
                        **(ray or {}))
    if engine != "local":
        raise ConfigError(f"--engine {engine}: unknown engine; choose local or ray")
    if cfg.model.backend == "batch":
        summary = _run_batch(cfg, input_path, db=db, limit=limit, strict=strict, progress=progress, announce=announce)
    else:
        summary = asyncio.run(_run(cfg, input_path, db=db, limit=limit, strict=strict, progress=progress,
                                   announce=announce))
    if cfg.audit.gates and cfg.audit.after_rewrite:  # the release gates, judged on the run just made
        from realign.trust.audit import audit_database

        summary["audit"] = audit_database(db, summary["run_id"], config=cfg.audit)
    return summary


def _run_ray(cfg: PipelineConfig, input_path: str, *, db: str, limit: int | None, strict: bool,
             announce: str | None, progress: bool = True, address: str | None = None, shards: str | None = None,
             workers: int = 2) -> dict[str, Any]:
    """`--engine ray`: the run on Ray Data (realign.engines.raydata); shards beside the database
    unless --shards names a folder every node sees."""
    from realign.engines.raydata import RayEngine, _require_ray

    _require_ray()  # one line before anything is created
    if cfg.model.base_url is None or cfg.model.model is None:
        build_llm(cfg, None, dry_run_hint=True)  # raises the no-endpoint message
    if announce:
        print(announce, file=sys.stderr, flush=True)
    created = not os.path.exists(db)
    started = False
    try:
        with Store(db) as store:
            quiet = None if progress else (lambda stats: None)  # None: a plain line per finished batch
            engine = RayEngine(cfg, store, shards or db + ".shards", address=address, workers=workers,
                               on_progress=quiet)
            summary = engine.run(input_path, limit=limit, strict=strict)
            started = True
            return summary
    except BaseException:
        if created and not started and not store_has_run(db):
            remove_database(db)  # a command that failed before its run began leaves no database
        raise


def _run_batch(cfg: PipelineConfig, input_path: str, *, db: str, limit: int | None, strict: bool,
               progress: bool, announce: str | None) -> dict[str, Any]:
    """`--backend batch`: the local engine in rounds, each round's new requests sent as Batch API
    files and their answers loaded into the cache before the next (realign.llm.batch)."""
    from pathlib import Path

    from realign.llm.backend import settings_of
    from realign.llm.batch import MAX_ROUNDS, bill, import_results, submit_and_wait, write_requests

    build_llm(cfg, None, dry_run_hint=True)  # the no-endpoint message, before anything is created
    folder = Path(db + ".batch")
    settings = settings_of(cfg)
    notice = (lambda text: print(f"note: {text}", file=sys.stderr, flush=True)) if progress else (lambda text: None)
    if (folder / "state.json").exists():  # a command that stopped while its batches ran: collect them
        files = asyncio.run(submit_and_wait(settings, folder, [], poll_s=cfg.model.batch_poll_s, on_notice=notice))
        with Store(db) as store:
            import_results(store, files, folder, url=settings.base_url)
    rounds = sorted(folder.glob("requests-*.jsonl"))
    round_no = int(rounds[-1].name.split("-")[1]) + 1 if rounds else 1
    summary: dict[str, Any] = {}
    batched = 0  # requests this command sent in batch files, over every round
    counted = 0  # rounds toward MAX_ROUNDS: a round that moved a chat on to its next answer is not one
    last: set[str] = set()
    while counted < MAX_ROUNDS:
        backends: list[Any] = []
        summary = asyncio.run(_run(cfg, input_path, db=db, limit=limit, strict=strict, progress=progress,
                                   announce=announce, backend_out=backends))
        pending = backends[0].pending if backends else {}
        if not pending:
            break
        # A chat's later answers wait for the earlier ones' rewrites (pipeline.process): a chat of
        # n answers needs n rounds, so a round that moves chats on to new requests does not count
        # toward the cap (one that asks the very same requests again does).
        counted += 0 if summary.get("turns_waiting_on_earlier") and set(pending) != last else 1
        last = set(pending)
        files = write_requests(folder, pending, round_no)
        batched += len(pending)
        notice(f"round {round_no}: {len(pending)} requests in {len(files)} batch file(s) under {folder}; the rows "
               "waiting for them are stored as failed (progress shows them as waiting) until the answers are back and the next round runs them")
        if not cfg.model.batch_submit:
            summary["batch_files"] = [str(f) for f in files]
            summary["next"] = (f"run each file (e.g. `vllm run-batch -i {files[0]} -o RESULTS.jsonl --model "
                               f"{cfg.model.model}`), then `realign batch import RESULTS.jsonl --db {db}` and "
                               "rerun this command")
            print(f"note: {summary['next']}", file=sys.stderr, flush=True)
            round_no += 1
            break
        results = asyncio.run(submit_and_wait(settings, folder, files, poll_s=cfg.model.batch_poll_s,
                                              on_notice=notice))
        with Store(db) as store:
            bill(store, summary["run_id"], import_results(store, results, folder, url=settings.base_url)["usage"])
        round_no += 1
        announce = None
    summary["batch_rounds"] = round_no - 1
    # The summary above is the last round's (answered from the cache); what went out in batch
    # files is this command's too.
    summary["batch_requests"] = batched
    return summary


def store_has_run(db: str) -> bool:
    if not os.path.exists(db):
        return False
    with Store(db, read_only=True) as store:
        return bool(store.query("SELECT 1 FROM runs LIMIT 1"))


async def _run(cfg: PipelineConfig, input_path: str, *, db: str, limit: int | None, strict: bool,
               progress: bool, announce: str | None = None, backend_out: list[Any] | None = None) -> dict[str, Any]:
    """The run, stoppable: SIGINT / SIGTERM cancel it, the pipeline stores what arrived and marks
    the run `interrupted`, and Interrupted carries the signal to the CLI."""
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    got: list[int] = []
    pipe: Pipeline | None = None

    backend: list[Any] = []  # the run's chat backend, once built
    draining: list[asyncio.Task[None]] = []

    def on_signal(signum: int) -> None:
        if main is None:
            return
        if got:  # a second signal: stop now, leaving the answers still on their way
            if draining and not draining[0].done():
                draining[0].cancel()
                main.cancel()
            return
        got.append(signum)
        llm = backend[0] if backend else None
        busy = int(getattr(getattr(llm, "stats", None), "in_flight", 0) or 0)
        if pipe is None or not hasattr(llm, "drain") or not busy:
            if pipe is not None:
                pipe.stop_signal = signum
            main.cancel()
            return
        # Stop sending, but let the requests on the wire answer: they are paid for already, and
        # stored they spare the rerun from sending (and paying for) them again.
        pipe.stop_signal = signum
        llm.drain()
        print(f"stopping: sending nothing more; waiting for the {busy} request(s) in flight to answer so they are "
              "stored (press Ctrl-C again to stop now)", file=sys.stderr, flush=True)
        draining.append(loop.create_task(_cancel_when_answered(llm, main)))

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)
    created = not os.path.exists(db)
    try:
        store = Store(db)
        try:
            llm = build_llm(cfg, store, dry_run_hint=True)
            backend.append(llm)
            if backend_out is not None:
                backend_out.append(llm)
            try:
                await llm.check_endpoint()
                if announce:
                    print(announce, file=sys.stderr, flush=True)
                pipe = Pipeline(cfg, store, llm=llm, classifier=_classifier(cfg, llm),
                                retriever=_retriever(cfg, store))
                with ProgressReporter(enabled=progress) as reporter:
                    pipe.on_progress = reporter
                    summary = await pipe.run(input_path, limit=limit, strict=strict)
                for t in draining:  # the run ended while draining: nothing left to cancel
                    t.cancel()
            finally:
                await llm.aclose()
        finally:
            store.close()
    except BaseException as e:
        if created and (pipe is None or not pipe.run_id):
            remove_database(db)  # a failed first command leaves no empty database behind
        if isinstance(e, asyncio.CancelledError) and got:
            raise Interrupted(got[0], 0, summary={"run_id": pipe.run_id if pipe else None, "rows": 0}) from None
        raise
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        for t in draining:
            t.cancel()
    if summary.get("interrupted") == "max_cost":
        assert pipe is not None and cfg.model.max_cost is not None
        raise budget_reached(cfg.model.max_cost, pipe.run_cost() or 0.0, summary["rows"], summary)
    if "interrupted" in summary:
        raise Interrupted(summary["interrupted"], summary["rows"], summary=summary)
    return summary


async def _cancel_when_answered(llm: Any, main: asyncio.Task[Any]) -> None:
    """Cancel the run once `llm` has no request in flight (each ends within --timeout)."""
    while llm.stats.in_flight > 0:
        await asyncio.sleep(0.05)
    main.cancel()


def _finished_rows(pipe: Pipeline, cfg: PipelineConfig, input_path: str, db: str) -> tuple[str, set[str]] | None:
    """For --dry-run: the run the real command would resume in `db` and the ids of its rows a
    rerun skips; None when `db` holds no such run."""
    from pathlib import Path

    if not Path(db).is_file():
        return None
    from realign.classify import resolved_kind

    # the real run (which always has a model) classifies with the classifier the dry run replaces
    # by the embedded one: its identity. With --task there is no classifier in either.
    kind = None if cfg.tasks.force_task else resolved_kind(cfg.classify.kind, has_llm=True)
    run_id = pipe.run_identity(input_path, classifier_name=kind)[0]
    try:
        with Store(db, read_only=True) as st:
            done = st.finished_ids(run_id)
    except Exception:  # noqa: BLE001 - an estimate must not fail a dry run: every row counts
        return None
    return (run_id, done) if done else None


def _refused_requests(cfg: PipelineConfig, db: str) -> dict[str, int | None]:
    """For --dry-run: keys of the requests `db` holds as refused for a prompt longer than the
    model's context by an endpoint the run would ask, or held back by an earlier session under a
    --max-prompt-tokens the count still exceeds (`realign.llm.client.refused_before`, the lookup
    the backends make), each with that count (None: the server's refusal); the real run answers
    them from the cache, sending nothing."""
    from pathlib import Path

    from realign.llm.client import refused_before

    if not Path(db).is_file():
        return {}
    urls: set[str | None] = set(cfg.model.endpoints)
    if cfg.model.backend == "batch":
        urls.add(None)  # refusals loaded by `realign batch import`
    try:
        with Store(db, read_only=True) as st:
            stored = st.refusals()
    except Exception:  # noqa: BLE001 - an estimate must not fail a dry run: every turn counts
        return {}
    out: dict[str, int | None] = {}
    for key, response in stored.items():
        refused = refused_before(response, key, urls, cfg.model.max_prompt_tokens)
        if refused is not None:
            out[key] = refused.tokens
    return out


def _rewrite_history(db: str) -> tuple[dict[str, float], float | None]:
    """What earlier runs of `db` measured: completion tokens per original character (by task) and
    prompt characters per token; ({}, None) without a database."""
    from pathlib import Path

    if not Path(db).is_file():
        return {}, None
    try:
        with Store(db, read_only=True) as st:
            return st.completion_per_char(), st.prompt_chars_per_token()
    except Exception:  # noqa: BLE001 - an estimate must not fail a dry run; it falls back to the default
        return {}, None


def run_classify(input_path: str, *, gold_field: str | None, pipeline: str | None,
                 overrides: dict[str, dict[str, Any]], db: str) -> dict[str, Any]:
    """`realign classify`: label a file, and score it when it carries gold labels.

    With a model configured (flags, pipeline or OPENAI_BASE_URL) the default is the cascade, whose
    LLM answers are cached in the database like every other call; without one, the embedded model.
    """
    from realign.classify.evaluate import classify_labelled, read_labelled

    cfg = load_config(pipeline, overrides)
    data = read_labelled(input_path, gold_field)
    uses_llm = cfg.classify.kind in ("llm", "cascade") or (
        cfg.classify.kind == "auto" and bool(cfg.model.base_url and cfg.model.model))
    if not uses_llm:
        return asyncio.run(classify_labelled(data, _classifier(cfg, None)))
    check_key(cfg)

    async def go() -> dict[str, Any]:
        created = not os.path.exists(db)
        store = Store(db)
        ok = False
        try:
            llm = build_llm(cfg, store)
            try:
                await llm.check_endpoint()
                result = await classify_labelled(data, _classifier(cfg, llm))
                result["llm_requests"] = llm.stats.requests_sent
                result["cached_requests"] = llm.stats.cache_hits
                ok = True
                return result
            finally:
                await llm.aclose()
        finally:
            store.close()
            if created and not ok:
                remove_database(db)

    return asyncio.run(go())
