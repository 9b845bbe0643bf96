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
