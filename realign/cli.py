"""The `realign` command line: parses arguments, calls the library, prints. No logic of its own."""

from __future__ import annotations

import functools
import sys
from typing import Any, Callable

import typer

from realign.errors import RealignError

app = typer.Typer(
    name="realign",
    help="Rewrite instruction-tuning responses against per-task criteria, verified and stored in DuckDB.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def user_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a RealignError into one line on stderr and exit code 2, with no traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RealignError as e:
            print(f"error: {e}", file=sys.stderr)
            raise typer.Exit(2) from None

    return wrapper


# --- commands -------------------------------------------------------------------------------
# Each command is a thin wrapper: parse options, call one library function, print the result.
# ---- end of commands ------------------------------------------------------------------------


def main() -> None:
    app()


if __name__ == "__main__":
    main()
