"""Raw third-party files as transcribed from the search index's `read_file`, which returns a stored
file in pieces of at most 16,000 characters. Each piece is saved as `<name>.<offset, 6 digits>`
(for example `NQ.json.016000`) under `/work/thirdparty/raw/<source>/`; `read_raw` joins them and
checks that every piece starts where the previous one ended, so a piece left out or cut short is an
error, not a silently shorter file. The text may end in the middle of a record when only the first
pieces of a large file were transcribed; the converters say how they treat that.
"""

from __future__ import annotations

import re
from pathlib import Path

RAW = Path("/work/thirdparty/raw")
OUT = Path("/work/thirdparty/verify")


def read_raw(folder: Path, name: str) -> str:
    pieces = sorted((int(m.group(1)), p) for p in folder.glob(f"{name}.*")
                    if (m := re.fullmatch(re.escape(name) + r"\.(\d{6})", p.name)))
    if not pieces:
        raise SystemExit(f"no pieces of {name} in {folder} (see benchmarks/thirdparty/SOURCES.md)")
    text, end = [], 0
    for offset, path in pieces:
        if offset != end:
            raise SystemExit(f"{path}: starts at {offset}, the pieces before it end at {end}")
        piece = path.read_text(encoding="utf-8")
        text.append(piece)
        end += len(piece)
    return "".join(text)
