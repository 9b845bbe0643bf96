"""Token prices, for the cost figures in progress, summaries and stats.

A run's price comes from the pipeline config (`model.prompt_price` / `model.completion_price`,
US dollars per million tokens) or, failing that, from the list below. The list holds published
list prices of a few API models as of 2025; prices change, so set them in the config when they
matter. A self-hosted vLLM model has no price: its cost is shown as unknown, not as zero.
"""

from __future__ import annotations

import asyncio
import math
from typing import Callable

# model name prefix -> (prompt, completion) US$ per million tokens
LIST_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1": (2.00, 8.00),
}


def price_of(model: str | None, prompt_price: float | None = None,
             completion_price: float | None = None) -> tuple[float, float] | None:
    """(prompt, completion) US$ per million tokens, or None when the price is unknown."""
    if prompt_price is not None and completion_price is not None:
        return prompt_price, completion_price
    if not model:
        return None
    name = model.split("/")[-1].lower()
    for prefix in sorted(LIST_PRICES, key=len, reverse=True):  # longest prefix first
        if name.startswith(prefix):
            return LIST_PRICES[prefix]
    return None


def cost_usd(price: tuple[float, float] | None, prompt_tokens: int, completion_tokens: int) -> float | None:
    if price is None:
        return None
    return round((prompt_tokens * price[0] + completion_tokens * price[1]) / 1e6, 6)


class SpendGate:
    """Keeps a run under its US$ cap (`--max-cost`) by admitting a request only when what is
    spent, plus what the requests in flight may still cost, plus this one's estimate stays under
    the cap.

    Checking the spend only after answers arrive lets a whole wave of concurrent requests through
    past the cap (64 requests in flight against a cap the first answer already reaches). Here a
    request waits while the requests in flight could take the run over the cap, and goes out
    once their real cost is known and leaves room. A request that does not fit even with nothing
    in flight ends the run: `on_exhausted` stops it (resumable), and the request is not sent.
    The overshoot left is the error of the estimate: the prompt at about 4 bytes a token, the
    completion at the mean completion so far (or as long as the prompt before the first answer).
    """

    def __init__(self, limit: float, price: tuple[float, float], spent: Callable[[], float],
                 mean_completion: Callable[[], float | None], on_exhausted: Callable[[], bool]) -> None:
        self.limit = limit
        self.price = price
        self._spent = spent  # US$ spent by the run so far, earlier sessions included
        self._mean_completion = mean_completion  # completion tokens per answered request, None before any
        self._on_exhausted = on_exhausted  # stops the run; False when nothing will cancel the caller
        self.reserved = 0.0  # US$ the requests in flight may cost
        self.in_flight = 0
        self.held_back = 0  # requests that waited for room under the cap
        self._room = asyncio.Condition()

    def estimate(self, prompt_tokens: int) -> float:
        mean = self._mean_completion()
        completion = prompt_tokens if mean is None else mean
        return (prompt_tokens * self.price[0] + completion * self.price[1]) / 1e6

    async def admit(self, prompt_tokens: int) -> float:
        """Wait for room under the cap; return the reservation to `release` when the answer is in."""
        cost = self.estimate(prompt_tokens)
        async with self._room:
            waited = False
            while self._spent() + self.reserved + cost > self.limit:
                if self.in_flight == 0:
                    if self._on_exhausted():
                        await asyncio.Event().wait()  # the run is being stopped: this task is cancelled
                    raise BudgetExhausted(self.limit, self._spent())
                if not waited:
                    self.held_back += 1
                    waited = True
                await self._room.wait()
            self.reserved += cost
            self.in_flight += 1
        return cost

    async def release(self, reservation: float) -> None:
        """The request is answered (its tokens counted in the spend) or failed: free its room."""
        async with self._room:
            self.reserved = max(0.0, self.reserved - reservation)
            self.in_flight -= 1
            self._room.notify_all()


class BudgetExhausted(Exception):
    """The next request would take the run past its cap and nothing could stop the run instead."""

    def __init__(self, limit: float, spent: float) -> None:
        super().__init__(f"--max-cost {format_usd(limit)} reached ({format_usd(spent)} spent)")


def format_usd(amount: float) -> str:
    """US$ with the digits that matter: $12.35, $0.05, $0.0042, $0.000125 (a cap of $0.0001 is
    not printed as "$0.00")."""
    if amount == 0 or abs(amount) >= 0.01:
        return f"${amount:,.2f}"
    places = min(8, 2 - math.floor(math.log10(abs(amount))))  # three significant digits
    return f"${amount:.{places}f}".rstrip("0")
