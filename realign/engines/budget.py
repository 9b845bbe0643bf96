"""One cost cap (`--max-cost`) for a run whose requests go out from many processes: the Ray
engine's workers.

The rule is the local engine's (`realign.llm.prices.SpendGate`): a request goes out only while
the run's spend, what the requests in flight may still cost and this request's own estimate fit
under the cap; a request that does not fit even with nothing in flight stops the run, resumable.
Here that gate lives in one place that every worker asks, `RunBudget`, which the driver runs as a
small Ray actor (`budget_actor`) seeded with what the run spent in earlier sessions:

- a worker's client asks `WorkerGate.admit` before each request (one actor call) and gets a
  ticket, or a refusal that stops the worker's batch like the local engine's run
  (`Pipeline._budget_exhausted`): the rows not finished are not stored, so a rerun does them;
- when the answer is counted, `WorkerGate.release` settles the ticket with the worker's running
  totals (US$ spent, completion tokens, answers): absolute figures, so a call that arrives twice
  or late counts once, and the estimate of the next request uses the mean completion of the
  whole run;
- tickets are kept per worker. A worker tells the budget when its batch begins and ends, and says
  it is alive every `HEARTBEAT_S` in between. A worker that ended its batch, or has not been heard
  of for `LEASE_S` (killed, its node lost), has its open tickets closed as spent: their requests
  were sent and may have been billed, so the cap keeps counting them rather than holding them
  in flight forever or forgetting them.

Example (no Ray needed; the actor runs the same object)::

    budget = RunBudget(limit=1.0, price=(1.0, 2.0), spent_before=0.25)
    ticket = await budget.admit("w1", prompt_tokens=1200)   # None: the run is over its cap
    await budget.settle("w1", ticket, spent=0.0036, completion_tokens=600, answered=1)
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any, Callable

from realign.llm.prices import BudgetExhausted, SpendGate, cost_usd

HEARTBEAT_S = 2.0  # a worker with a batch running says it is alive this often
LEASE_S = 20.0  # a worker not heard of for this long is taken for dead: its open tickets are spent


class RunBudget:
    """The run-wide gate: `SpendGate`'s rule over the figures of every worker of the session."""

    def __init__(self, limit: float, price: tuple[float, float], spent_before: float = 0.0,
                 lease_s: float = LEASE_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.price = price
        self.spent_before = spent_before  # US$ of the run's earlier sessions, from the store
        self.lease_s = lease_s
        self._clock = clock
        self.spent_by_worker: dict[str, float] = {}  # US$ each worker reported, absolute
        self.completion_by_worker: dict[str, tuple[int, int]] = {}  # (completion tokens, answers)
        self.written_off = 0.0  # US$ of tickets a dead or finished worker left open
        self.open: dict[str, dict[int, float]] = {}  # worker -> ticket -> reserved US$
        self.heard: dict[str, float] = {}  # worker -> when it last spoke, while its batch runs
        self.exhausted = False  # a request did not fit with nothing in flight: the run stops
        self.refused = 0  # requests refused (each stops its worker's batch)
        self._tickets = itertools.count(1)
        self._sweeper: asyncio.Task[None] | None = None
        self.gate = SpendGate(limit, price, spent=self.spent, mean_completion=self._mean_completion,
                              on_exhausted=self._exhaust)

    # -- figures ---------------------------------------------------------------------------------
    def spent(self) -> float:
        """US$ of the run so far: earlier sessions, every worker's answers, open tickets written off."""
        return self.spent_before + sum(self.spent_by_worker.values()) + self.written_off

    def _mean_completion(self) -> float | None:
        tokens = sum(t for t, _ in self.completion_by_worker.values())
        answers = sum(n for _, n in self.completion_by_worker.values())
        return tokens / answers if answers else None

    def _exhaust(self) -> bool:
        self.exhausted = True
        return False  # SpendGate raises BudgetExhausted: `admit` turns it into a refusal

    def report(self) -> dict[str, Any]:
        return {"limit": self.limit, "spent": self.spent(), "reserved": self.gate.reserved,
                "in_flight": self.gate.in_flight, "exhausted": self.exhausted, "refused": self.refused,
                "held_back": self.gate.held_back, "written_off": self.written_off, "running": len(self.heard)}

    # -- what workers call ------------------------------------------------------------------------
    async def admit(self, worker: str, prompt_tokens: int) -> int | None:
        """A ticket for one request of `worker`, once it fits under the cap; None: it never will,
        and the run stops (every later request is refused too)."""
        self._start_sweeper()
        self._touch(worker)
        if self.exhausted:
            self.refused += 1
            return None
        try:
            cost = await self.gate.admit(prompt_tokens)
        except BudgetExhausted:
            self.refused += 1
            return None
        if self.exhausted:  # it fitted, but another request already stopped the run
            await self.gate.release(cost)
            self.refused += 1
            return None
        ticket = next(self._tickets)
        self.open.setdefault(worker, {})[ticket] = cost
        return ticket

    async def settle(self, worker: str, ticket: int, spent: float, completion_tokens: int, answers: int) -> None:
        """The request of `ticket` is answered (and counted in the figures) or failed. (It does
        not count as being heard of: a settle that arrives after its batch's `end` must not make
        the worker look busy.)"""
        self._figures(worker, spent, completion_tokens, answers)
        cost = self.open.get(worker, {}).pop(ticket, None)
        if cost is not None:
            await self.gate.release(cost)
        # a ticket already closed (its worker was taken for dead) only brings the figures

    async def begin(self, worker: str) -> bool:
        """A batch of `worker` starts; False: the run is over its cap (nothing to send)."""
        self._touch(worker)
        return not self.exhausted

    async def heartbeat(self, worker: str) -> None:
        self._touch(worker)

    async def end(self, worker: str, spent: float, completion_tokens: int, answers: int) -> None:
        """The batch of `worker` ended, done or failed: its figures, and its open tickets closed."""
        self._figures(worker, spent, completion_tokens, answers)
        self.heard.pop(worker, None)
        await self._close(worker)

    async def running(self) -> int:
        """Workers with a batch running (and heard of within the lease)."""
        await self.sweep()
        return len(self.heard)

    # -- dead workers -----------------------------------------------------------------------------
    async def sweep(self) -> None:
        """Close the tickets of workers not heard of for `lease_s`."""
        now = self._clock()
        for worker in [w for w, t in self.heard.items() if now - t > self.lease_s]:
            del self.heard[worker]
            await self._close(worker)

    async def _close(self, worker: str) -> None:
        left = self.open.pop(worker, {})
        for cost in left.values():
            self.written_off += cost  # counted as spent before its room is given back: no overshoot
            await self.gate.release(cost)

    def _start_sweeper(self) -> None:
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(max(self.lease_s / 4, 0.05))
            await self.sweep()

    def _touch(self, worker: str) -> None:
        self.heard[worker] = self._clock()

    def _figures(self, worker: str, spent: float, completion_tokens: int, answers: int) -> None:
        self.spent_by_worker[worker] = max(spent, self.spent_by_worker.get(worker, 0.0))
        old = self.completion_by_worker.get(worker, (0, 0))
        if answers >= old[1]:
            self.completion_by_worker[worker] = (completion_tokens, answers)


def budget_actor(ray: Any, limit: float, price: tuple[float, float], spent_before: float) -> Any:
    """Start the run's `RunBudget` as a Ray actor (no CPU of its own; its methods are coroutines,
    so many requests wait for room at once)."""
    return ray.remote(num_cpus=0, max_restarts=0)(RunBudget).remote(limit, price, spent_before)


class WorkerGate:
    """What a worker's client asks instead of its own `SpendGate` (`LLMClient.spend_gate`): the
    run's `RunBudget`, through its actor handle."""

    def __init__(self, budget: Any, worker: str, stats: Any, limit: float, price: tuple[float, float],
                 on_exhausted: Callable[[], bool]) -> None:
        self.budget = budget
        self.limit = limit
        self.worker = worker
        self.stats = stats  # the worker client's `LLMStats`: its tokens and answers so far
        self.price = price
        self._on_exhausted = on_exhausted  # stops the worker's batch (Pipeline._budget_exhausted)

    def figures(self) -> tuple[float, int, int]:
        s = self.stats
        return (cost_usd(self.price, s.prompt_tokens, s.completion_tokens) or 0.0, s.completion_tokens, s.completed)

    async def admit(self, prompt_tokens: int) -> int:
        ticket = await self.budget.admit.remote(self.worker, prompt_tokens)
        if ticket is None:
            if self._on_exhausted():
                await asyncio.Event().wait()  # the batch is being stopped: this task is cancelled
            raise BudgetExhausted(self.limit, self.figures()[0])
        return int(ticket)

    async def release(self, ticket: int) -> None:
        ref = self.budget.settle.remote(self.worker, ticket, *self.figures())  # sent even if cancelled now
        await ref
