"""How often `length.braced_value` fires on third-party answer texts.

Every string of every JSON line under the given folders is taken as a rewrite of an original
without braces; a firing there is a false rejection. Prints the count per file and the total.

    PYTHONPATH=. .venv/bin/python benchmarks/braced_values.py /work/thirdparty/lists \
        /work/thirdparty/verify /work/thirdparty/coverage /work/thirdparty/raw ../shared/data tests/fixtures/verify
"""
from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

from realign.verify.length import braced_value


def strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("-v", "--verbose", action="store_true", help="print each firing")
    args = parser.parse_args()
    total = fired = 0
    for folder in args.folders:
        for path in sorted(set(folder.rglob("*.jsonl")) | set(folder.rglob("*.json"))):
            here = 0
            for line in path.read_text(errors="replace").splitlines():
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue  # pretty-printed JSON files are read line by line and skipped
                for text in strings(obj):
                    if len(text) < 2:
                        continue
                    total += 1
                    why = braced_value(text, "")
                    if why:
                        here += 1
                        if args.verbose:
                            print(f"{path.name}: {why}: {text[:120]!r}")
            fired += here
            if here:
                print(f"{here:6d}  {path}")
    print(f"texts {total:,}; braced_value fires on {fired:,}")


if __name__ == "__main__":
    main()
