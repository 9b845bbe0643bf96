"""What the list-source converters call a list line, so each selection rule reads the same way.

A list line starts (after indentation) with a bullet ("-", "*", "+", "•") or a number of one or two
digits followed by "." or ")", then a space and text. Bold markers are not list lines by themselves.
The rule is fixed before any answer is selected; it decides only which records a converter keeps,
never a verdict.
"""

from __future__ import annotations

import re

LIST_LINE = re.compile(r"^[ \t]*(?:[-*+\u2022]|\d{1,2}[.)])[ \t]+\S")


def list_lines(text: str) -> int:
    return sum(bool(LIST_LINE.match(line)) for line in text.splitlines())


def list_shaped(text: str, max_chars: int | None = None, min_lines: int = 3) -> bool:
    """At least `min_lines` list lines, and at most `max_chars` characters when given."""
    return list_lines(text) >= min_lines and (max_chars is None or len(text) <= max_chars)
