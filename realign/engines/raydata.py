"""The Ray engine: the pipeline's stages as Ray Data operators (`realign rewrite --engine ray`).

The driver reads the input with realign's own reader (format detection, field mapping, row ids,
quarantine: the same rows the local engine sees), skips rows the run has finished, and feeds the
rest, a window at a time, to a dataset of two operators:

1. `ClassifyStage` (CPU, `map_batches` on a small actor pool: the embedded model loads once per
   actor) adds each row's predicted task and sorts the batch by task;
2. `RowStage` (an actor pool): each actor runs an asyncio loop with realign's own async client
   (retries, rate limits, request keys and the answer contract are the local engine's code) and
   `Pipeline.process_row`, many rows and requests in flight per actor; results go to Parquet
   shards and answered requests to a journal on storage every node sees (`realign.engines.shards`).

Before the first window the driver copies what the store would answer requests from (answers
and settled failures such as prompts refused as too long, of any earlier run, local or Ray) next
to the shards, and every worker answers from that copy too (`realign.engines.shards.snapshot_store`).
At the end the driver imports the shards into the DuckDB store (`realign import` does the same
by hand), so `stats`, `show` and `export` read a Ray run like a local one. A rerun imports what a
killed run left, skips its finished rows, and answers its answered requests from the journals.

A local evidence index (`--index`) and the criteria folder must be readable at the same path on
every node. `--max-cost` holds across the workers: the driver starts one budget actor for the run
(`realign.engines.budget`) that every worker's client asks before each request. Not supported on
this engine (yet): a live progress display beyond a line per window. Ray Data's own checkpointing is not used: rows are
skipped by the driver from the results already stored, keyed by example id.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from realign.config import PipelineConfig, config_hash
from realign.errors import ConfigError
from realign.records import Example, TaskPrediction

if TYPE_CHECKING:
    from realign.store import Store

WINDOW_ROWS = 50_000  # rows per dataset the driver builds: bounds the driver's memory
ROW_ACTOR_CPUS = 0.25  # an LLM actor waits on the network: a fraction of a CPU is enough
CLASSIFY_ACTOR_CPUS = 0.5
STOPPED = "stopped"  # a row's status from a worker that stopped at --max-cost: not done, not stored


def _require_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError("--engine ray needs Ray Data: pip install 'realign[ray]' (or use --engine local)") from None
    return ray


def _pipeline(cfg: PipelineConfig, llm: Any, store: Any = None, *, search_cache: Any = None,
              retrieve: bool = True) -> Any:
    """The pipeline of a stage; web search answers are cached in `search_cache` (the worker's
    journal, imported into `llm_calls` like the local engine's)."""
    from realign.pipeline import Pipeline
    from realign.runner import _classifier, _retriever

    return Pipeline(cfg, store, llm=llm, classifier=_classifier(cfg, llm),
                    retriever=_retriever(cfg, search_cache) if retrieve else None)


def _config(data: dict[str, Any], api_key: str | None) -> PipelineConfig:
    if api_key is not None:
        data = {**data, "model": {**data["model"], "api_key": api_key}}
    return PipelineConfig.model_validate(data)


class ClassifyStage:
    """Adds `task`, `confidence` and `method` to a batch of rows, sorted by task."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        config = _config(cfg, None)
        # The first pass needs no model: with the cascade, an unsure row asks the LLM inside
        # RowStage (Pipeline._settle_task), as in the local engine.
        cascade = config.classify.kind in ("auto", "cascade") and not config.tasks.force_task
        self.pipe = _pipeline(config, _Unreachable() if cascade else None, retrieve=False)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        examples = [Example.model_validate_json(x) for x in batch["example"]]
        preds = asyncio.run(self.pipe.classify(examples))
        order = sorted(range(len(examples)), key=lambda i: preds[i].task)
        return {"example_id": [examples[i].id for i in order],
                "example": [batch["example"][i] for i in order],
                "prediction": [preds[i].model_dump_json() for i in order]}


class _Unreachable:
    """Stands in for the model where only the classifier's offline pass runs."""

    stats = None

    async def chat(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the classify stage sends no request")


class RowStage:
    """Processes a batch of classified rows with many requests in flight; writes shards."""

    def __init__(self, cfg: dict[str, Any], api_key: str | None, run_id: str, root: str, session: int,
                 budget: Any = None) -> None:
        from realign.engines.shards import ShardCache, ShardSink, worker_name
        from realign.llm.backend import build_backend

        self.cfg = _config(cfg, api_key)
        self.run_id, self.root, self.session = run_id, root, session
        self.worker = worker_name(session)
        self.sink = ShardSink(root, self.worker)
        self.cache = ShardCache(root, self.worker)
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="realign-rows", daemon=True).start()

        async def setup() -> Any:
            llm = build_backend(self.cfg, self.cache)
            return llm, _pipeline(self.cfg, llm, search_cache=self.cache)

        self.llm, self.pipe = asyncio.run_coroutine_threadsafe(setup(), self.loop).result()
        self.pipe.run_id = run_id
        # --max-cost: the run's one budget (an actor the driver started), not a cap per worker
        self.budget = budget
        self.gate = None
        if budget is not None and self.pipe.stats.price is not None and hasattr(self.llm, "spend_gate"):
            from realign.engines.budget import WorkerGate

            assert self.cfg.model.max_cost is not None
            self.gate = self.llm.spend_gate = WorkerGate(budget, self.worker, self.llm.stats, self.cfg.model.max_cost,
                                                         self.pipe.stats.price, self.pipe._budget_exhausted)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        rows = [(Example.model_validate_json(e), TaskPrediction.model_validate_json(p))
                for e, p in zip(batch["example"], batch["prediction"])]
        statuses = asyncio.run_coroutine_threadsafe(self._batch(rows), self.loop).result()
        return {"example_id": [ex.id for ex, _ in rows], "status": statuses}

    async def _batch(self, rows: list[tuple[Example, TaskPrediction]]) -> list[str]:
        """The batch's statuses; STOPPED for a row left undone because the run reached --max-cost."""
        if self.gate is None:
            return await self._rows(rows)
        if self.pipe.budget_hit or not await self.budget.begin.remote(self.worker):
            self.pipe.budget_hit = True
            return [STOPPED] * len(rows)
        from realign.engines.budget import HEARTBEAT_S

        async def alive() -> None:  # the budget closes the tickets of a worker it stops hearing from
            while True:
                await asyncio.sleep(HEARTBEAT_S)
                self.budget.heartbeat.remote(self.worker)

        beat = asyncio.create_task(alive())
        try:
            return await self._rows(rows)
        finally:
            beat.cancel()
            await self.budget.end.remote(self.worker, *self.gate.figures())

    async def _rows(self, rows: list[tuple[Example, TaskPrediction]]) -> list[str]:
        statuses = [STOPPED] * len(rows)

        async def one(i: int, ex: Example, pred: TaskPrediction) -> None:
            result = await self.pipe.process_row(ex, pred)
            self.sink.write(self.run_id, result)
            statuses[i] = result.status

        # one future for the batch: a refusal under --max-cost cancels it (Pipeline._budget_exhausted)
        batch = asyncio.gather(*(one(i, ex, pred) for i, (ex, pred) in enumerate(rows)))
        self.pipe._main = batch  # type: ignore[assignment]
        try:
            await batch
        except asyncio.CancelledError:
            if not self.pipe.budget_hit:
                raise
            # the rows finished are stored below; the others are not, so a rerun does them
        finally:
            self.pipe._main = None
            self.sink.flush()  # the batch's rows reach storage before Ray sees the batch done
            from realign.engines.shards import write_endpoints, write_usage

            write_usage(self.root, self.session, self.worker, self.llm.stats.by_purpose)
            if hasattr(self.llm, "endpoint_report"):
                write_endpoints(self.root, self.session, self.worker, self.llm.endpoint_report())
        return statuses


class RayEngine:
    """Runs a pipeline config over an input on Ray Data; the DuckDB `store` gets the results."""

    def __init__(self, cfg: PipelineConfig, store: Store, shards: str | Path, *, address: str | None = None,
                 workers: int = 2, batch_rows: int | None = None, window_rows: int = WINDOW_ROWS,
                 on_progress: Any = None) -> None:
        self.cfg, self.store = cfg, store
        self.shards = Path(shards)
        self.address = address
        self.workers = workers
        self.window_rows = window_rows
        self.on_progress = on_progress
        self._batch_rows = batch_rows

    def run(self, input_path: str, *, limit: int | None = None, strict: bool = False) -> dict[str, Any]:
        ray = _require_ray()
        from realign.engines.admit import admit
        from realign.engines.shards import (ShardSink, import_shards, session_endpoints, session_usage, snapshot_store,
                                            worker_name)
        from realign.llm.backend import build_backend, capacity

        cfg, store = self.cfg, self.store
        if cfg.classify.kind == "llm" and not cfg.tasks.force_task:
            raise ConfigError("--engine ray classifies with the embedded model or the cascade; "
                              "pass --classifier cascade (or embedded, or --task NAME)")
        llm = build_backend(cfg, store)

        async def check() -> None:
            try:
                await llm.check_endpoint()  # fail in one line before any worker starts
            finally:
                await llm.aclose()

        asyncio.run(check())
        if not ray.is_initialized():
            _reachable(self.address)
            try:
                ray.init(address=self.address, include_dashboard=False, log_to_driver=False,
                         ignore_reinit_error=True, logging_level=logging.WARNING)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = f"the Ray cluster at {self.address}" if self.address else "a local Ray"
                raise ConfigError(f"cannot start or join {where}: {str(exc).splitlines()[0][:200]}; check "
                                  "--ray-address (e.g. ray://head:10001, or auto on a cluster node)") from None
        # Ray Data's own progress bars and per-operator log lines: our line per batch says enough
        ray.data.DataContext.get_current().enable_progress_bars = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        pipe = _pipeline(cfg, llm, store, retrieve=False)  # the driver only reads and keeps the books
        run_id, input_hash, identity = pipe.run_identity(input_path)
        pipe.run_id = run_id
        resumed = store.start_run(
            run_id=run_id, name=cfg.name, config={**cfg.public_dump(), "identity": identity},
            config_hash=config_hash(identity), input_path=input_path, input_hash=input_hash,
            model=cfg.model.model, base_url=cfg.model.base_url,
        )
        session = store.session
        root = self.shards / run_id
        root.mkdir(parents=True, exist_ok=True)
        if resumed:
            import_shards(store, root, run_id)  # what a killed driver left
            _import_usage(store, root, run_id, before=session)  # and what its workers spent
        budget = None
        if cfg.model.max_cost is not None and pipe.stats.price is not None:
            from realign.engines.budget import budget_actor
            from realign.store import run_usage

            # seeded with the run's spend so far: a rerun with a higher cap goes on from there
            pipe._spent_before = (run_usage(store, run_id, pipe.stats.price)["total"]["cost_usd"] or 0.0) if resumed else 0.0
            budget = budget_actor(ray, cfg.model.max_cost, pipe.stats.price, pipe._spent_before)
        # the workers cannot open the store: they get a copy of what it answers requests from
        # (answers and settled refusals of any earlier run or engine), so nothing is paid twice
        shared = snapshot_store(store, root, cfg.model.model,
                                [u for u in (cfg.model.base_url, *cfg.model.base_urls) if u])
        batch_rows = self._batch_rows or max(2 * capacity(llm, cfg.model.concurrency), 16)
        quarantined_before = store.quarantined_indices(run_id) if resumed else set()
        driver_sink = ShardSink(root, worker_name(session) + "-driver")
        cfg_data = cfg.model_dump(mode="json", exclude={"model": {"api_key"}})
        api_key = cfg.model.api_key.get_secret_value() if cfg.model.api_key is not None else None
        status = "failed"
        seen: dict[str, int] = {}
        try:
            window: list[Example] = []
            for chunk in pipe._chunks(input_path, limit):
                admitted = admit(chunk, store=store, run_id=run_id, input_path=input_path, strict=strict,
                                 quarantined_before=quarantined_before, seen=seen, stats=pipe.stats,
                                 quarantine=lambda bad: driver_sink.quarantine(run_id, bad))
                window.extend(admitted.todo)
                if len(window) >= self.window_rows:
                    self._window(ray, window, cfg_data, api_key, run_id, str(root), session, batch_rows, pipe, budget)
                    window = []
                    if pipe.budget_hit:
                        break
            driver_sink.flush()
            if window and not pipe.budget_hit:
                self._window(ray, window, cfg_data, api_key, run_id, str(root), session, batch_rows, pipe, budget)
            status = "interrupted" if pipe.budget_hit else "completed"
        except KeyboardInterrupt:
            status = "interrupted"
        finally:
            if budget is not None:
                ray.kill(budget)
            driver_sink.close()
            import_shards(store, root, run_id)
            # the session's figures are the sum of its workers' ledgers
            usage = session_usage(root, session)
            s = llm.stats
            s.by_purpose = usage
            s.requests_sent = sum(v.get("requests", 0) for v in usage.values())
            s.cache_hits = sum(v.get("cached", 0) for v in usage.values())
            s.retries = sum(v.get("retries", 0) for v in usage.values())
            s.prompt_tokens = sum(v.get("prompt_tokens", 0) for v in usage.values())
            s.completion_tokens = sum(v.get("completion_tokens", 0) for v in usage.values())
            store.set_usage(run_id, session, pipe.ledger())
            store.flush()
            counts = pipe.counts()
            # the servers as the workers saw them (the driver's own client sends nothing)
            counts["endpoints"] = session_endpoints(root, session)
            store.finish_run(run_id, status, counts)
        summary = {"run_id": run_id, "status": status, **counts, "engine": "ray", "shards": str(root),
                   "store_calls_shared": shared}
        if status == "interrupted":
            from realign.errors import Interrupted, budget_reached

            if pipe.budget_hit:  # exit 3, as the local engine: resumable with a higher --max-cost
                assert cfg.model.max_cost is not None
                summary["interrupted"] = "max_cost"
                raise budget_reached(cfg.model.max_cost, pipe.run_cost() or 0.0, summary["rows"], summary)
            raise Interrupted(2, summary["rows"], summary=summary)
        return summary

    def _window(self, ray: Any, rows: list[Example], cfg_data: dict[str, Any], api_key: str | None, run_id: str,
                root: str, session: int, batch_rows: int, pipe: Any, budget: Any = None) -> None:
        """One dataset over `rows`: classify, then process; counts statuses as batches come back.
        A batch with rows a worker left undone at --max-cost ends the window (`pipe.budget_hit`)."""
        from ray.data import ActorPoolStrategy

        # one block per RowStage batch, so every actor of the pool gets work from the start
        ds = ray.data.from_items([{"example": e.model_dump_json()} for e in rows],
                                 override_num_blocks=max(1, -(-len(rows) // batch_rows)))
        ds = ds.map_batches(ClassifyStage, batch_size=batch_rows, compute=ActorPoolStrategy(size=1),
                            fn_constructor_kwargs={"cfg": cfg_data}, num_cpus=CLASSIFY_ACTOR_CPUS)
        ds = ds.map_batches(RowStage, batch_size=batch_rows, compute=ActorPoolStrategy(size=self.workers),
                            fn_constructor_kwargs={"cfg": cfg_data, "api_key": api_key, "run_id": run_id,
                                                   "root": root, "session": session, "budget": budget},
                            num_cpus=ROW_ACTOR_CPUS)
        for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
            for st in batch["status"]:
                if str(st) == STOPPED:
                    pipe.budget_hit = True
                    continue
                pipe.stats.by_status[str(st)] = pipe.stats.by_status.get(str(st), 0) + 1
                pipe.stats.done += 1
            if self.on_progress is not None:
                self.on_progress(pipe.stats)
            else:
                print(f"ray: {pipe.stats.done} rows done", file=sys.stderr, flush=True)
            if pipe.budget_hit:
                _drain(ray, budget)
                break  # the dataset's other batches are not started; their rows stay for a rerun


def _drain(ray: Any, budget: Any) -> None:
    """Wait until the batches running when the run reached --max-cost have ended (each stops at
    its next request, and stores the rows it finished), before the dataset is torn down; a
    worker that no longer answers is given up on after the budget's lease."""
    import time

    from realign.engines.budget import LEASE_S

    deadline = time.monotonic() + LEASE_S + 5
    while ray.get(budget.running.remote()) and time.monotonic() < deadline:
        time.sleep(0.1)


def _import_usage(store: Store, root: Path, run_id: str, *, before: int) -> None:
    """The ledgers of the run's earlier sessions that have none in the store (a killed driver
    set none) from their workers' files, so the spend a rerun starts from counts them."""
    from realign.engines.shards import session_usage

    kept = {r["session"] for r in store.query("SELECT DISTINCT session FROM usage WHERE run_id = ?", [run_id])}
    for s in sorted({int(p.name[:4]) for p in (root / "usage").glob("*.json")}):
        if s < before and s not in kept:
            store.set_usage(run_id, s, session_usage(root, s))
            store.flush()  # the store keeps one pending ledger at a time


def _reachable(address: str | None) -> None:
    """A host:port cluster address that refuses connections is one line now, not Ray's minutes of
    retries (ray:// and auto addresses are left to Ray)."""
    import socket

    if not address or "://" in address or address == "auto" or ":" not in address:
        return
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=5):
            return
    except (OSError, ValueError) as exc:
        raise ConfigError(f"--ray-address {address}: nothing answers there ({exc}); give the head node's GCS "
                          "address (host:6379), ray://host:10001, or leave it out for a local Ray") from None


def import_run(db: str, shards: str, run: str | None = None) -> dict[str, Any]:
    """`realign import`: load the shards of a Ray run (a folder of run folders, or one run's)
    into the DuckDB store, whose `runs` row the driver created when the run started."""
    from realign.engines.shards import import_shards, session_usage
    from realign.store import Store

    base = Path(shards)
    if not base.is_dir():
        raise ConfigError(f"--shards {shards}: no such folder; give the folder `realign rewrite --engine ray` wrote")
    roots = [base] if (base / "results").is_dir() or (base / "calls").is_dir() else sorted(
        p for p in base.iterdir() if p.is_dir() and (run is None or p.name.startswith(run)))
    if not roots:
        raise ConfigError(f"--shards {shards}: holds no run's shards")
    if not Path(db).exists():
        raise ConfigError(f"database {db} does not exist: import into the database the run was started with "
                          "(the --db of `realign rewrite --engine ray`), which holds its config")
    out = []
    with Store(db) as store:
        for root in roots:
            run_id = root.name
            if not store.query("SELECT 1 FROM runs WHERE run_id = ?", [run_id]):
                raise ConfigError(f"run {run_id} is not in {db}: import into the database the run was started "
                                  "with (--db), which holds its config")
            got = import_shards(store, root, run_id)
            sessions = sorted({int(p.name[:4]) for p in (root / "usage").glob("*.json")})
            for s in sessions:
                store.set_usage(run_id, s, session_usage(root, s))
                store.flush()  # the store keeps one pending ledger at a time
            out.append({"run_id": run_id, **got})
    return {"imported": out}
