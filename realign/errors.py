"""Errors a user can cause. The CLI turns them into one message and exit code 2."""

from __future__ import annotations

from typing import Any


class RealignError(Exception):
    """A problem the user can fix (bad file, bad flag, unreachable server, missing key).

    The message must say what is wrong, where (file / line / field / URL) and what to do.
    """


class InputError(RealignError):
    """Unreadable, missing or malformed input."""


class ConfigError(RealignError):
    """A bad flag, config file or environment variable."""


class Interrupted(Exception):
    """A run stopped by SIGINT / SIGTERM after storing what it had: not an error, a pause.

    The CLI prints one line and exits with 128 + the signal number (130 for Ctrl-C, 143 for SIGTERM);
    with --json it first prints `summary` (the run's summary so far, with "status": "interrupted").
    """

    def __init__(self, signum: int, rows_saved: int, message: str | None = None, exit_code: int | None = None,
                 summary: dict[str, Any] | None = None) -> None:
        super().__init__(message or f"interrupted: {rows_saved} rows saved; rerun the same command to resume")
        self.signum = signum
        self.rows_saved = rows_saved
        self.exit_code = 128 + signum if exit_code is None else exit_code
        self.summary = {**(summary or {"rows": rows_saved}), "status": "interrupted"}


def budget_reached(max_cost: float, spent: float, rows_saved: int,
                   summary: dict[str, Any] | None = None) -> Interrupted:
    """The run stopped at --max-cost: exit code 3, resumable with a higher limit."""
    from realign.llm.prices import format_usd

    # nothing spent: the first request's estimate alone was over the cap ("$0.00 spent" read as a rounding)
    spend = (f"{format_usd(spent)} spent by this run" if spent > 0 else
             "nothing spent: the next request alone would go over it")
    return Interrupted(0, rows_saved, f"stopped: --max-cost {format_usd(max_cost)} reached ({spend}); "
                       f"{rows_saved} rows saved; rerun with a higher --max-cost to continue", exit_code=3,
                       summary=summary)
