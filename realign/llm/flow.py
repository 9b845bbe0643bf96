"""How many chat requests go out, and when: rate buckets, the in-flight limit and its adaptive cap.

`LLMClient` owns one of each: `TokenBucket`s for requests / tokens per minute, and an
`AdaptiveCap` (an `InFlightLimit` whose size follows the server).

Slow start. With no cap learned for the endpoint and model (the store keeps one only after a
cut), the cap starts at `SLOW_START` (one request) and doubles, as TCP's congestion window does,
each time half a cap's worth of requests sent with more than half the cap in flight, one of them
with the cap full, are answered quickly (within GROW_WITHIN of the timeout), up to `concurrency`. A server that answers many
requests at once reaches full concurrency within a few rounds of answers (about one round per
doubling). A server that answers one at a time (llama.cpp on a CPU) stops being doubled once its
answers come slowly; since a doubling needs an answer within half the timeout with the cap
full, and at most doubles that wait, no request waits in its queue past the timeout
while its latency is steady and under the timeout: its first requests are not paid twice. A
slow answer only holds the doubling back (quick answers after it double again), so one long
answer from a concurrent server does not end its ramp; a wave of timeouts before any answer
doubles it too (a cold first request costs one wave; a server that never answers gets
`concurrency` after a few, so the failure watch stops the run soon).

Cuts. When requests do time out in a server's queue (its latency grew, or varies), the cap is
cut, once per wave of timeouts, and the ramp is over; a timed-out copy keeps its slot while the
server likely works through it; quick answers grow the cap back by one per cap's worth
(benchmarks/llm_client.py --serial measures both). A cap cut in an earlier session (the store
keeps it per endpoint and model) is where the next session starts, with no ramp;
`adaptive=False` starts at `concurrency` and never moves.

With several endpoints each has a cap of its own (`concurrency` each): a server that queues is
cut or held low without holding back one that answers quickly, and `EndpointSlots` hands each
waiting request a slot on the least loaded endpoint that has room. `EndpointCapStats` keeps the
client's totals (the sum of the caps, of their lowest values, every cut) over the endpoints' own.

Kept apart from the client because it is pure bookkeeping over times and counts: no HTTP, no
cache.
"""

from __future__ import annotations

import asyncio
import collections
import time
from typing import Any, Callable, Protocol

# An answer within this fraction of --timeout is quick: enough of them double the in-flight cap
# during its slow start, or grow it back by one after a cut (a serial server at cap k answers in
# about k x its latency, so the cap settles where that stays below half the timeout, clear of
# it; doubled from there, it stays below the timeout).
GROW_WITHIN = 0.5
# Where the cap of an endpoint with no learned cap starts. One request: the client's first
# request already goes alone until the server answers (LLMClient's probe), so a fast server
# loses nothing, and a server answering one request at a time in L seconds never queues a
# request past the timeout T while L < T: at L >= T/2 the cap stays at 1, below that each
# doubling at most doubles a wait that was under T/2 (see `got_answer`).
SLOW_START = 1


class CapStats(Protocol):
    """The counters the cap reports through (`LLMStats` has them)."""

    in_flight: int
    cap: int
    cap_lowest: int
    cap_cuts: int


class TokenBucket:
    """An async token bucket refilled at `per_minute` / 60 per second.

    It holds at most one second's worth (at least 1). `acquire(amount)` waits until the bucket
    holds min(amount, capacity) and takes `amount` (the level may go negative: a large request
    is let through and paid back by later waits). `adjust(delta)` corrects an estimate.
    """

    def __init__(self, per_minute: float) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate)
        self.level = self.capacity
        self._stamp = time.monotonic()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = time.monotonic()
        self.level = min(self.capacity, self.level + (now - self._stamp) * self.rate)
        self._stamp = now

    async def acquire(self, amount: float = 1.0) -> None:
        async with self._lock:  # first come, first served
            need = min(amount, self.capacity)
            self._refill()
            while self.level < need:
                await asyncio.sleep((need - self.level) / self.rate)
                self._refill()
            self.level -= amount

    def adjust(self, delta: float) -> None:
        self._refill()
        self.level = min(self.capacity, self.level + delta)


class InFlightLimit:
    """A first-come-first-served semaphore whose size can change while it is held: lowering it
    lets the holders finish and admits nobody until they are under the new limit.

    A slot can be kept by a request that gave up (`keep`: its copy may still be worked on by
    the server); such slots count against the limit, but one live request is always let
    through beside them, so an answer can show that the server has moved on."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0  # slots taken, kept ones included
        self.kept = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        # Called whenever room may have opened (a release, a kept slot, a resize): how
        # `EndpointSlots` learns that one endpoint of several can take a request again.
        self.on_room: Callable[[], None] | None = None

    def _room(self) -> bool:
        return self.held < self.limit or self.held == self.kept

    def has_room(self) -> bool:
        """A slot could be taken now without waiting (nobody queued here first)."""
        return self._room() and not self._waiters

    def take(self) -> None:
        """Take a slot that `has_room` said is free."""
        self.held += 1

    async def acquire(self) -> None:
        if self._room() and not self._waiters:
            self.held += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # granted in the same step the caller was cancelled: hand it on
            raise

    def release(self, kept: bool = False) -> None:
        self.held -= 1
        if kept:
            self.kept -= 1
        self._wake()

    def keep(self) -> None:
        """The holder gave up but its slot stays taken, until `release(kept=True)`."""
        self.kept += 1
        self._wake()

    def resize(self, limit: int) -> None:
        self.limit = limit
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self._room():
            waiter = self._waiters.popleft()
            if not waiter.done():  # a cancelled waiter is skipped
                self.held += 1
                waiter.set_result(None)
        if self.on_room is not None and self._room():
            self.on_room()


class EndpointCapStats:
    """One endpoint's counters for its `AdaptiveCap`: requests in flight are the endpoint's own
    (a cut halves what is on the wire to that server), and every change of its cap, its lowest
    or its cuts is carried into the client's totals (`LLMStats`: the sums of the caps and of
    their lowest values, all cuts)."""

    def __init__(self, total: CapStats, members: list[EndpointCapStats], in_flight: Callable[[], int]) -> None:
        self.total = total
        self.members = members  # every endpoint's stats of the client, this one included
        members.append(self)
        self._in_flight = in_flight
        self._cap = 0
        self._cuts = 0
        self._lowest = 0

    @property
    def in_flight(self) -> int:
        return self._in_flight()

    @property
    def cap(self) -> int:
        return self._cap

    @cap.setter
    def cap(self, value: int) -> None:
        self._cap = value
        self.total.cap = sum(m._cap for m in self.members)

    @property
    def cap_lowest(self) -> int:
        return self._lowest

    @cap_lowest.setter
    def cap_lowest(self, value: int) -> None:
        self._lowest = value
        self.total.cap_lowest = sum(m._lowest for m in self.members)

    @property
    def cap_cuts(self) -> int:
        return self._cuts

    @cap_cuts.setter
    def cap_cuts(self, value: int) -> None:
        self.total.cap_cuts += value - self._cuts
        self._cuts = value


class EndpointSlots:
    """In-flight slots over several endpoints, each with its own `InFlightLimit`: a request gets
    a slot on the endpoint with the fewest slots taken among those that are up (`up()`: not taken
    out; all of them when none is) and have room, or waits, first come first served, until one has.
    Only the first waiter is woken when room opens, so a slot costs the same however many wait."""

    def __init__(self, limits: list[InFlightLimit], up: Callable[[], list[int]]) -> None:
        self.limits = limits
        self.up = up  # indexes of the endpoints that may get a request now
        self._waiters: collections.deque[asyncio.Future[int]] = collections.deque()
        for limit in limits:
            limit.on_room = self._hand_out

    def _free(self) -> int | None:
        open_ = [i for i in self.up() if self.limits[i].has_room()]
        return min(open_, key=lambda i: self.limits[i].held) if open_ else None

    async def acquire(self) -> int:
        """The index of the endpoint whose slot this request now holds."""
        if not self._waiters:
            i = self._free()
            if i is not None:
                self.limits[i].take()
                return i
        waiter: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.limits[waiter.result()].release()  # granted as the caller was cancelled: hand it on
            raise

    def _hand_out(self) -> None:
        while self._waiters:
            if self._waiters[0].done():  # cancelled while waiting
                self._waiters.popleft()
                continue
            i = self._free()
            if i is None:
                return
            self.limits[i].take()
            self._waiters.popleft().set_result(i)


class AdaptiveCap:
    """The in-flight limit of one endpoint: doubled from SLOW_START while answers come quickly,
    cut when requests time out in a server's queue and grown back by one while answers come
    quickly; see the module docstring.

    The client calls `acquire` before a request, then exactly one of `release` (answered, or
    failed other than by a timeout) or, on a timeout, `timed_out` and, when that says so,
    `hold` instead of `release`; `got_answer` notes every HTTP answer."""

    def __init__(self, capacity: int, timeout_s: float, adaptive: bool, stats: CapStats,
                 on_notice: Callable[[str], None],
                 timeout_fix: str = "raise --timeout or lower --concurrency",
                 start: int | None = None, on_resize: Callable[[int | None], None] | None = None) -> None:
        self.capacity = capacity  # --concurrency (per endpoint): never more than this
        self.timeout_fix = timeout_fix  # the advice of the first timeout's notice (client.timeout_fix)
        # where the cap starts: an earlier session's cut (`start`, kept by the store), else
        # SLOW_START and doubling (`ramp_from`), or capacity when it never moves
        if not adaptive:
            begin = capacity
        elif start is not None:
            begin = max(1, min(capacity, start))
        else:
            begin = min(capacity, SLOW_START)
        self.limit = InFlightLimit(begin)
        self.started = begin
        self.learned_start = begin if adaptive and start is not None and begin < capacity else None
        self.ramping = adaptive and start is None and begin < capacity  # doubling until capacity or a cut
        self.ramp_from = begin if self.ramping else None  # where the doubling began (None: no slow start)
        self.held = False  # ramping, and the latest answer came slowly: the server bears no more now
        self.timeout_s = timeout_s
        self.adaptive = adaptive  # False: timeouts are only announced, the cap never moves
        self.stats = stats
        self.on_notice = on_notice
        # told the cap after every change once it was cut, or began at a cut (None: back at
        # capacity), so a store can keep it; the slow start's doublings are not told
        self.on_resize = on_resize
        self._cut_known = self.learned_start is not None
        # cap_lowest: the cap's lowest value once it stopped doubling (while it doubles, the cap
        # itself): the ramp's small first values are no cut and are not reported as one
        stats.cap = stats.cap_lowest = begin
        self._noted = False  # the first timeout is announced; later ones only counted as retries
        self._cut_at = float("-inf")  # time.monotonic() of the last cut: one cut per timeout wave
        self._quick = 0  # quick answers since the cap last changed
        self._doubled_at = float("-inf")  # time.monotonic() of the last doubling: later requests count
        self._full = False  # ... and one of those counted was sent with the cap full
        self._answers: collections.deque[float] = collections.deque()  # answer times within one timeout
        self._last_answer = float("-inf")  # time.monotonic() of the latest HTTP answer
        self._slow_seen = float("-inf")  # ... and of the latest one that took GROW_WITHIN of the timeout
        self._queueing = False  # requests time out in the server's queue (until an answer comes quickly)
        self._ghosts: list[list[Any]] = []  # [sent_at, timer] of timed-out copies holding a slot
        self._ghost_free_at = float("-inf")  # when the last of them is freed
        self._pace = timeout_s  # seconds per answer of a queueing server (set at a cut)

    async def acquire(self) -> None:
        await self.limit.acquire()

    def release(self) -> None:
        self.limit.release()

    def timed_out(self, url: str, sent_at: float) -> bool:
        """React to a request to `url` that got no answer within the timeout. True: it keeps
        its slot (call `hold`).

        The server queues requests when, while this one waited, it answered others and slowly
        (one took at least GROW_WITHIN of the timeout); it goes on queueing, answered or not,
        until an answer comes quickly. Then the cap is cut to half the requests on the wire and
        to GROW_WITHIN of the answers the server gave within the last timeout (a server answering
        one at a time answers in about cap x its latency: that keeps it near half the timeout),
        once per wave: only a request sent after the last cut cuts again, the ones before it timed
        out for the same overload. The server may still work on a queued copy, so its slot stays
        taken for a while. A sporadic hang on a quick server changes nothing here, and neither
        does a server that has answered nothing, except that a cap still in its slow start
        doubles, once per timeout wave (a request sent since the last doubling): a cold first
        request (a model still loading) costs one wave, not the ramp, and against a server that
        never answers the cap reaches `concurrency` within a few timeouts, so the client's
        failure watch stops the run in minutes, not one request at a time. The notice says what
        to do."""
        now = time.monotonic()
        timeout = self.timeout_s
        self._forget_answers(now)
        if self.ramping and self._last_answer == float("-inf") and sent_at >= self._doubled_at:
            self._double(now)
        if self.adaptive and self._last_answer > sent_at and self._slow_seen >= now - timeout:
            self._queueing = True
        if self._queueing and sent_at >= self._cut_at:
            cap = max(1, min(self.stats.in_flight // 2, int(len(self._answers) * GROW_WITHIN), self.limit.limit - 1))
            if cap < self.limit.limit:
                was = self.limit.limit
                self._cut_at = now
                self._pace = timeout / max(1, len(self._answers))
                self._quick = 0
                self.ramping = self.held = False
                self._cut_known = True
                self.limit.resize(cap)
                self.stats.cap = cap
                self.stats.cap_lowest = min(self.stats.cap_lowest, cap)
                self.stats.cap_cuts += 1
                self._noted = True
                self._resized()
                self.on_notice(f"requests to {url} got no answer within --timeout {timeout:g} s while it answered "
                               f"others slowly: it queues them; sending at most {cap} at a time from now on "
                               f"(was {was}), more again while answers come within {timeout * GROW_WITHIN:g} s")
        elif not self._noted:
            self._noted = True
            self.on_notice(f"a request to {url} got no answer within --timeout {timeout:g} s "
                           f"and is retried; for a slow server (a CPU one, a large model), {self.timeout_fix}")
        return self._queueing

    def got_answer(self, sent_at: float, latency: float, load: int | None = None) -> None:
        """Note an HTTP answer to a request sent at `sent_at` with `load` requests (itself
        included) in flight to this endpoint: it frees the slots of timed-out copies sent before
        it (a server that answers in order has finished them); a quick one ends the queueing.

        While the cap ramps, it doubles once half a cap's worth of requests sent since the last
        doubling with more than half the cap in flight were answered quickly, one after the
        other (a slow answer starts the count again), one of them sent with the cap full. That
        one shows that a server answering one at a time takes less than GROW_WITHIN x timeout
        for a full cap's worth of requests, so for twice as many it takes less than the timeout.
        (The requests that a doubling lets out go out together, the last with the cap full: a
        server answering in order answers it last of them, so the count is reached about one
        round of answers after each doubling.) Answers to requests sent with half the cap or
        fewer in flight say nothing about the doubled load (the first requests, the client's
        one-at-a-time probe, a run that does not fill the cap) and do not count.
        After a cut, quick answers to requests sent since the cut grow the cap back by one per
        cap's worth of them. Never past `capacity`."""
        now = time.monotonic()
        self._last_answer = now
        self._answers.append(now)
        self._forget_answers(now)
        quick = latency < self.timeout_s * GROW_WITHIN
        if quick:
            self._queueing = False
        else:
            self._slow_seen = now
        for ghost in [g for g in self._ghosts if g[0] < sent_at]:
            self._free(ghost)
        if self.ramping:
            # only answers to requests sent at the present cap tell how the server bears it
            self.held = not quick
            if not quick:
                self._quick, self._full = 0, False
            elif sent_at >= self._doubled_at and (load is None or 2 * load > self.limit.limit):
                self._quick += 1
                self._full = self._full or load is None or load >= self.limit.limit
                if self._quick >= max(1, self.limit.limit // 2) and self._full:
                    self._double(now)
        elif quick and self.limit.limit < self.capacity and sent_at >= self._cut_at:
            self._quick += 1
            if self._quick >= self.limit.limit:
                self._quick = 0
                self.limit.resize(self.limit.limit + 1)
                self.stats.cap = self.limit.limit
                self._resized()

    def _double(self, now: float) -> None:
        """One step of the slow start; the count of answers for the next starts afresh."""
        self._quick, self._full = 0, False
        self._doubled_at = now
        cap = min(self.capacity, 2 * self.limit.limit)
        self.ramping = cap < self.capacity
        self.limit.resize(cap)
        self.stats.cap = self.stats.cap_lowest = cap

    def _resized(self) -> None:
        if self.on_resize is not None and self._cut_known:
            self.on_resize(self.limit.limit if self.limit.limit < self.capacity else None)

    def hold(self, sent_at: float) -> None:
        """Keep a timed-out request's slot until the server has likely worked through its copy:
        the copies are spaced by the server's pace as measured at the last cut (the timeout over
        the answers it gave within the timeout before), about when a server answering in order
        finishes them. An answer to a request sent after the copy frees it sooner: one live
        request goes out beside the kept slots (`InFlightLimit`), so a server that drops the
        copies of requests whose client left (llama-cpp-python does, before it starts them)
        answers it soon and frees them all."""
        now = time.monotonic()
        self._ghost_free_at = max(now, self._ghost_free_at) + self._pace
        ghost: list[Any] = [sent_at, None]
        ghost[1] = asyncio.get_running_loop().call_at(self._ghost_free_at, self._free, ghost)
        self._ghosts.append(ghost)
        self.limit.keep()

    def close(self) -> None:
        """Free every kept slot and cancel their timers (the client is closing)."""
        for ghost in list(self._ghosts):
            self._free(ghost)

    def _forget_answers(self, now: float) -> None:
        while self._answers and self._answers[0] < now - self.timeout_s:
            self._answers.popleft()

    def _free(self, ghost: list[Any]) -> None:
        # by identity: a ghost's timer holds the ghost, so comparing two by value could recurse
        at = next((i for i, g in enumerate(self._ghosts) if g is ghost), None)
        if at is not None:
            del self._ghosts[at]
            ghost[1].cancel()
            self.limit.release(kept=True)
            if not self._ghosts:  # none left to queue behind: the next copy starts a new schedule
                self._ghost_free_at = float("-inf")
