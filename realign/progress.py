"""Progress on stderr: a rich live display on a terminal, a plain line every few seconds otherwise."""

from __future__ import annotations

import sys
import time
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.text import Text


def _fmt_eta(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds < 0:
        return "?"
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


WIDTH = 160  # the plain line never exceeds this; least important parts are dropped first


def describe(snap: dict[str, Any], width: int = WIDTH) -> str:
    total = snap.get("total")
    done = snap["done"]
    rate = snap["rows_per_s"]
    elapsed = snap.get("elapsed_s", 0.0)
    eta = (total - done) / rate if (total and rate > 0) else None
    pct = f" ({100 * done / total:.0f}%)" if total else ""
    tokens = snap["prompt_tokens"] + snap["completion_tokens"]
    tps = tokens / elapsed if elapsed > 0 else 0.0
    cost = "" if snap.get("cost_usd") is None else f" ${snap['cost_usd']:,.4f}"
    parts = [  # (priority: lower stays longer, text)
        (0, f"rows {done:,}/{f'{total:,}' if total is not None else '?'}{pct} "
            + (f"{rate:,.1f} rows/s" if rate >= 1 or rate <= 0 else f"{1 / rate:,.1f} s/row")),
        (0, f"{_fmt_eta(elapsed)} ETA {_fmt_eta(eta)}"),
        (1, f"tokens {snap['prompt_tokens']:,}+{snap['completion_tokens']:,} {tps:,.0f}/s{cost}"),
        (3, f"sent {snap['fresh']:,} cached {snap['cached']:,} retries {snap['retries']:,} "
            f"in flight {snap['in_flight']}"),
        # rows an earlier session finished, then this session's outcomes: together they make
        # `done` (the status counts alone are this session's, the row total the whole run's)
        (1, (f"resumed {snap['resumed']:,}, this session: " if snap.get("resumed") else "")
            + f"rewritten {snap.get('rewritten', 0):,} kept {snap.get('kept_original', 0):,} "
            f"pass {snap.get('passthrough', 0):,} failed {snap.get('failed', 0):,} "
            + (f"waiting for the batch {snap['waiting']:,} " if snap.get("waiting") else "")
            + f"quar {snap['quarantined']:,}"),
    ]
    while True:
        line = " | ".join(text for _, text in parts)
        if len(line) <= width or len(parts) == 1:
            return line[:width]
        parts.remove(max(parts, key=lambda p: p[0]))


class ProgressReporter:
    """Callable handed to the pipeline; throttles rendering so it costs nothing per row."""

    def __init__(self, *, enabled: bool = True, interval_s: float | None = None):
        self.enabled = enabled
        self.console = Console(stderr=True)
        self.tty = sys.stderr.isatty()
        self.interval_s = interval_s if interval_s is not None else (0.25 if self.tty else 5.0)
        self._last = 0.0
        self._live: Live | None = None
        self._stats: Any = None

    def __enter__(self) -> "ProgressReporter":
        if self.enabled and self.tty:
            self._live = Live(Text("starting..."), console=self.console, refresh_per_second=4, transient=False)
            self._live.__enter__()
        return self

    def __call__(self, stats: Any) -> None:
        self._stats = stats
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < self.interval_s:
            return
        self._last = now
        self._render()

    def _render(self) -> None:
        if self._stats is None:
            return
        line = describe(self._stats.snapshot())
        if self._live is not None:
            self._live.update(Text(line))
        else:
            print(line, file=sys.stderr, flush=True)

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self._render()
        if self._live is not None:
            self._live.__exit__(None, None, None)
