"""The local engine: one process, one asyncio event loop, the DuckDB store as sink and cache.

It reads the input in chunks (`Pipeline._chunks`), skips rows finished in an earlier session of
the run, classifies each chunk in one call, groups the rest by task (so vLLM's prefix cache sees
the same system prompt back to back) and processes them concurrently, at most twice the backend's
capacity at a time, so memory stays flat whatever the input size. Each row's result goes to the
sink when it finishes; the run's bookkeeping (start, usage ledger, finish) is the store's.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from realign.config import config_hash
from realign.io.readers import count_rows
from realign.llm.backend import capacity
from realign.engines.admit import admit
from realign.records import Example
from realign.sinks import RowResult, Sink, StoreSink
from realign.store import run_usage

if TYPE_CHECKING:
    from realign.pipeline import Pipeline
    from realign.store import Store


class LocalEngine:
    def __init__(self, pipeline: Pipeline, store: Store, sink: Sink | None = None) -> None:
        self.pipe = pipeline
        self.store = store
        self.sink = sink if sink is not None else StoreSink(store)

    async def run(self, input_path: str, *, limit: int | None = None, strict: bool = False) -> dict[str, Any]:
        with steady_gc():
            return await self._run(input_path, limit=limit, strict=strict)

    async def _run(self, input_path: str, *, limit: int | None, strict: bool) -> dict[str, Any]:
        pipe, store, sink = self.pipe, self.store, self.sink
        assert pipe.llm is not None
        run_id, input_hash, identity = pipe.run_identity(input_path)
        pipe.run_id = run_id
        resumed = store.start_run(
            run_id=run_id, name=pipe.cfg.name, config={**pipe.cfg.public_dump(), "identity": identity},
            config_hash=config_hash(identity), input_path=input_path, input_hash=input_hash,
            model=pipe.cfg.model.model, base_url=pipe.cfg.model.base_url,
        )
        pipe._main = asyncio.current_task()
        store.usage_source = lambda: (run_id, store.session, pipe.ledger())
        pipe._spent_before = (run_usage(store, run_id, pipe.stats.price)["total"]["cost_usd"] or 0.0) if resumed else 0.0
        total = count_rows(input_path)
        pipe.stats.total = min(total, limit) if (total is not None and limit is not None) else (total or limit)
        quarantined_before = store.quarantined_indices(run_id) if resumed else set()
        seen: dict[str, int] = {}
        slots = asyncio.Semaphore(max(2 * capacity(pipe.llm, pipe.cfg.model.concurrency), 8))
        pending: set[asyncio.Task[RowResult]] = set()
        crashed: list[BaseException] = []  # a row task that raised past process_row (the store failed)

        async def one_row(ex: Example, pred: Any) -> RowResult:
            result = await pipe.process_row(ex, pred)
            sink.write(run_id, result)
            pipe.count(result)
            return result

        def row_done(t: asyncio.Task[RowResult]) -> None:
            slots.release()
            pending.discard(t)
            if not t.cancelled() and t.exception() is not None:
                crashed.append(t.exception())  # type: ignore[arg-type]
            pipe._tick()

        status = "failed"

        ticker = asyncio.create_task(self._ticker())
        try:
            for chunk in pipe._chunks(input_path, limit):
                admitted = admit(chunk, store=store, run_id=run_id, input_path=input_path, strict=strict,
                                 quarantined_before=quarantined_before, seen=seen, stats=pipe.stats,
                                 quarantine=lambda bad: sink.quarantine(run_id, bad))
                for i in admitted.redo:  # failed, or classified by fallback: the new story replaces it
                    store.forget_example(run_id, i)
                todo = admitted.todo
                if not todo:
                    continue
                preds = await pipe.classify(todo)
                for ex, pred in sorted(zip(todo, preds), key=lambda p: p[1].task):
                    await slots.acquire()
                    if crashed:  # a row raised past process_row (RunStopped, a store failure)
                        raise crashed[0]
                    t = asyncio.create_task(one_row(ex, pred))
                    pending.add(t)
                    t.add_done_callback(row_done)
            if pending:
                await asyncio.gather(*pending)
            if crashed:
                raise crashed[0]
            status = "completed"
        except asyncio.CancelledError:
            if pipe.stop_signal is None and not pipe.budget_hit:
                raise
            status = "interrupted"  # stop sending; what arrived is stored below
            me = asyncio.current_task()
            if me is not None and hasattr(me, "uncancel"):  # Python 3.11+: the cancel is handled
                me.uncancel()
        finally:
            ticker.cancel()
            for t in list(pending):
                t.cancel()
            if pending:  # let them unwind before the client closes under them
                await asyncio.gather(*pending, return_exceptions=True)
            store.set_usage(run_id, store.session, pipe.ledger())
            sink.flush()
            store.flush()
            counts = pipe.counts()
            store.finish_run(run_id, status, counts)
        if status == "interrupted":
            counts["interrupted"] = "max_cost" if pipe.budget_hit else pipe.stop_signal
        return {"run_id": run_id, "status": status, **counts}

    async def _ticker(self) -> None:
        # Rows may take minutes each on a slow server: keep the display alive and the buffered
        # rows flowing to disk even when no row finishes for a while.
        while True:
            await asyncio.sleep(0.5)
            self.store.set_usage(self.pipe.run_id, self.store.session, self.pipe.ledger())
            self.store.maybe_flush()
            self.pipe._tick()


# Allocations between two young-generation collections during a run (CPython's default is 700).
GC_YOUNG_THRESHOLD = 10_000


@contextmanager
def steady_gc() -> Iterator[None]:
    """For the length of a run: what exists when it starts (modules, the classifier, the client)
    is left out of the collector's passes (`gc.freeze`), and young collections come every
    GC_YOUNG_THRESHOLD allocations. Each full pass otherwise walks the ~150,000 objects of the
    start-up again: at 0 ms latency, collection took 0.1-0.25 ms of CPU a row
    (benchmarks/row_cpu.py), now under 0.01. Garbage still goes (refcounting frees nearly all
    of it; cycles made during the run are collected as before), and both settings are restored
    afterwards."""
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, old[1], old[2])
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()
