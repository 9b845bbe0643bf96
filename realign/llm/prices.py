"""Token prices, for the cost figures in progress, summaries and stats.

A run's price comes from the pipeline config (`model.prompt_price` / `model.completion_price`,
US dollars per million tokens) or, failing that, from the list below. The list holds published
list prices of a few API models as of 2025; prices change, so set them in the config when they
matter. A self-hosted vLLM model has no price: its cost is shown as unknown, not as zero.
"""

from __future__ import annotations

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
