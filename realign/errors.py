"""Errors a user can cause. The CLI turns them into one message and exit code 2."""

from __future__ import annotations


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

    The CLI prints one line and exits with 128 + the signal number (130 for Ctrl-C, 143 for SIGTERM).
    """

    def __init__(self, signum: int, rows_saved: int) -> None:
        super().__init__(f"interrupted: {rows_saved} rows saved; rerun the same command to resume")
        self.signum = signum
        self.rows_saved = rows_saved
