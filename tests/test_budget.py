"""The run-wide cost cap of the Ray engine (`realign.engines.budget.RunBudget`), without Ray: the
actor runs this same object, so its rule is tested here in milliseconds and end to end in
tests/test_engine_ray.py."""

from __future__ import annotations

import asyncio

import pytest

from realign.engines.budget import RunBudget

PRICE = (1_000_000.0, 1_000_000.0)  # US$1 a token: a request of n prompt tokens is estimated n + n US$


def run(coro):
    return asyncio.run(coro)


def test_a_request_waits_while_another_workers_requests_could_take_the_run_over_the_cap() -> None:
    async def go() -> list[str]:
        budget = RunBudget(limit=10.0, price=PRICE)
        events: list[str] = []
        first = await budget.admit("w1", 2)  # estimate 4: 4 of 10 reserved
        second = await budget.admit("w1", 2)  # 8 of 10
        assert first is not None and second is not None

        async def third() -> None:
            ticket = await budget.admit("w2", 2)  # 12 > 10: waits for w1's answers
            events.append(f"w2 admitted {ticket is not None}")

        waiting = asyncio.create_task(third())
        await asyncio.sleep(0.01)
        events.append("w1 answered")
        await budget.settle("w1", first, spent=3.0, completion_tokens=1, answers=1)  # 3 + 4 + 4 (its estimate) > 10
        await asyncio.sleep(0.01)
        events.append("w1 answered again")
        await budget.settle("w1", second, spent=5.0, completion_tokens=2, answers=2)  # 5 + 4 fits
        await waiting
        return events

    assert run(go()) == ["w1 answered", "w1 answered again", "w2 admitted True"]


def test_a_request_that_cannot_fit_with_nothing_in_flight_stops_the_run_for_every_worker() -> None:
    async def go() -> RunBudget:
        budget = RunBudget(limit=10.0, price=PRICE, spent_before=7.0)  # an earlier session spent 7
        assert await budget.admit("w1", 2) is None  # 7 + 4 > 10, nothing in flight
        assert await budget.admit("w2", 1) is None  # 7 + 2 would fit, but the run has stopped
        assert await budget.begin("w3") is False
        return budget

    budget = run(go())
    assert budget.exhausted and budget.refused == 2 and budget.gate.in_flight == 0


def test_a_worker_not_heard_of_within_the_lease_has_its_tickets_counted_as_spent_so_no_one_waits_forever() -> None:
    now = [0.0]

    async def go() -> tuple[RunBudget, int | None]:
        budget = RunBudget(limit=10.0, price=PRICE, lease_s=5.0, clock=lambda: now[0])
        assert await budget.begin("dead") and await budget.begin("alive")
        assert await budget.admit("dead", 2) is not None  # 4 reserved, then the worker is killed
        first = await budget.admit("alive", 2)  # 8
        late = asyncio.create_task(budget.admit("alive", 2))  # 12: waits
        await asyncio.sleep(0.01)
        await budget.settle("alive", first, spent=3.0, completion_tokens=2, answers=1)  # 3 + 4 + 4 > 10
        now[0] = 3.0
        await budget.heartbeat("alive")
        await budget.sweep()
        await asyncio.sleep(0.01)
        assert not late.done() and await budget.running() == 2  # the dead ticket still in flight
        now[0] = 6.0  # "dead" silent for 6 s > 5: written off; "alive" was heard 3 s ago
        assert await budget.running() == 1
        # 3 spent + 4 written off + 4: over the cap with nothing in flight, so the run stops
        return budget, await asyncio.wait_for(late, 1)

    budget, ticket = run(go())
    assert ticket is None and budget.exhausted
    assert budget.written_off == 4.0 and budget.spent() == 7.0 and budget.gate.in_flight == 0


def test_figures_are_absolute_so_a_late_or_repeated_settle_counts_once() -> None:
    async def go() -> RunBudget:
        budget = RunBudget(limit=100.0, price=PRICE)
        a = await budget.admit("w1", 1)
        b = await budget.admit("w1", 1)
        await budget.settle("w1", b, spent=6.0, completion_tokens=4, answers=2)
        await budget.settle("w1", a, spent=3.0, completion_tokens=2, answers=1)  # older figures, late
        await budget.settle("w1", a, spent=6.0, completion_tokens=4, answers=2)  # the same ticket again
        await budget.end("w1", spent=6.0, completion_tokens=4, answers=2)
        return budget

    budget = run(go())
    assert budget.spent() == 6.0 and budget.gate.in_flight == 0 and budget.gate.reserved == pytest.approx(0.0)
    assert budget.gate.estimate(1) == pytest.approx(1 + 2)  # mean completion of the run: 4 tokens / 2 answers


def test_tickets_a_worker_leaves_open_when_its_batch_ends_are_counted_as_spent() -> None:
    async def go() -> RunBudget:
        budget = RunBudget(limit=100.0, price=PRICE)
        await budget.begin("w1")
        await budget.admit("w1", 3)  # cancelled in the worker before it could settle
        await budget.end("w1", spent=0.0, completion_tokens=0, answers=0)
        return budget

    budget = run(go())
    assert budget.written_off == 6.0 and budget.gate.in_flight == 0 and budget.report()["running"] == 0
