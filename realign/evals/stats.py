"""Intervals and paired tests shared by the evaluations.

- `wilson_interval`: a proportion (accuracy) with its 95% Wilson score interval;
- `mcnemar_exact`: are two evaluations' paired right/wrong outcomes different;
- `bootstrap_intervals`: percentile intervals of any statistics that are not plain proportions
  (BBQ's bias scores, Winogender's male-female gap, a paired difference of them), resampling
  whole clusters of items (Winogender's sentences of one schema move together) within strata
  (BBQ's ambiguous and disambiguated halves keep their sizes). The seed is fixed, so a report
  is reproducible.

Example::

    lo, hi = wilson_interval(37, 50)
    cis = bootstrap_intervals(lambda idx: {"mean": float(x[idx].mean())}, clusters=[[i] for i in range(len(x))])
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Callable, Sequence

import numpy as np

__all__ = ["Z95", "wilson_interval", "mcnemar_exact", "bootstrap_intervals", "BOOTSTRAP_SAMPLES"]

Z95 = 1.959963984540054
BOOTSTRAP_SAMPLES = 1000  # resamples per interval: the 2.5% / 97.5% percentiles move by < 1 point
BOOTSTRAP_SEED = 0


def wilson_interval(correct: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion (95% by default); (0, 1) when n is 0."""
    if n <= 0:
        return 0.0, 1.0
    p = correct / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, center - half), min(1.0, center + half)


def mcnemar_exact(lost: int, gained: int) -> float:
    """Two-sided exact McNemar p-value for paired outcomes: `lost` items right before and wrong
    after, `gained` wrong before and right after (a binomial test of min(b, c) with p = 1/2)."""
    n = lost + gained
    if n == 0:
        return 1.0
    k = min(lost, gained)
    tail = Fraction(sum(math.comb(n, i) for i in range(k + 1)), 2**n)
    return float(min(Fraction(1), 2 * tail))


def bootstrap_intervals(statistics: Callable[[np.ndarray], dict[str, float]], *,
                        clusters: Sequence[Sequence[int]], strata: Sequence[int] | None = None,
                        samples: int = BOOTSTRAP_SAMPLES, seed: int = BOOTSTRAP_SEED,
                        level: float = 0.95) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals of each value `statistics(item_indices)` returns.

    Each resample draws clusters with replacement (inside each stratum, as many as it holds;
    `strata[k]` is cluster k's stratum) and passes the concatenated item indices. A statistic
    that is NaN in a resample (say, no unknown-free answer at all) is left out of that
    statistic's percentiles; one NaN in every resample gives (nan, nan).
    """
    members = [np.asarray(c, dtype=np.int64) for c in clusters]
    if not members:
        return {}
    by_stratum: dict[int, list[int]] = {}
    for k, s in enumerate(strata if strata is not None else [0] * len(members)):
        by_stratum.setdefault(s, []).append(k)
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {}
    for _ in range(samples):
        picked: list[np.ndarray] = []
        for ks in by_stratum.values():
            picked.extend(members[k] for k in rng.choice(ks, size=len(ks), replace=True))
        for name, value in statistics(np.concatenate(picked)).items():
            draws.setdefault(name, []).append(value)
    tail = 100 * (1 - level) / 2
    out: dict[str, tuple[float, float]] = {}
    for name, values in draws.items():
        arr = np.asarray(values, dtype=float)
        arr = arr[~np.isnan(arr)]
        out[name] = ((float("nan"), float("nan")) if arr.size == 0 else
                     (float(np.percentile(arr, tail)), float(np.percentile(arr, 100 - tail))))
    return out


def paired_differences(metrics: Callable[..., dict[str, float]], before: Sequence[np.ndarray],
                       after: Sequence[np.ndarray], names: Sequence[str], *,
                       clusters: Sequence[Sequence[int]], strata: Sequence[int] | None = None) -> dict[str, dict]:
    """Each metric in `names` before and after on paired items (`before` / `after`: parallel
    per-item arrays that `metrics(*arrays)` turns into named values), with a bootstrap interval of
    the difference (clusters and strata as in `bootstrap_intervals`). NaN becomes None."""
    def finite(x: float) -> float | None:
        return None if x is None or math.isnan(x) else x

    b, a = metrics(*before), metrics(*after)

    def diff(idx: np.ndarray) -> dict[str, float]:
        mb = metrics(*(x[idx] for x in before))
        ma = metrics(*(x[idx] for x in after))
        return {k: ma[k] - mb[k] for k in names}

    cis = bootstrap_intervals(diff, clusters=clusters, strata=strata)
    return {k: {"before": finite(b[k]), "after": finite(a[k]), "difference": finite(a[k] - b[k]),
                "difference_ci": [finite(v) for v in cis.get(k, (math.nan, math.nan))]} for k in names}
