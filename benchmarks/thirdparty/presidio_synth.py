"""Build `/work/thirdparty/trust/presidio_synth_slice.jsonl` from the transcribed records of
presidio-research's `data/synth_dataset_v2.json` (see SOURCES.md, "PII: presidio-research"; its
fake identities come from the Fake Name Generator, CC BY-SA 3.0 US, so the slice stays outside
the repository).

The raw files under `/work/thirdparty/raw/presidio_synth/` hold one record a line as transcribed
from the search tool's `read_file`: `[full_text, [[entity_type, start_position, entity_value], ...]]`,
in file order. `dev_*.jsonl` are the records of the file's first pages, `held_*.jsonl` those of
pages further on (see SOURCES.md for the offsets). Every span is checked against its text
(`full_text[start:start + len(value)] == value`), so a transcription slip stops the build.

    python benchmarks/thirdparty/presidio_synth.py
"""

from __future__ import annotations

import json
from pathlib import Path

RAW = Path("/work/thirdparty/raw/presidio_synth")
OUT = Path("/work/thirdparty/trust/presidio_synth_slice.jsonl")


def records(path: Path, split: str) -> list[dict]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text, spans = json.loads(line)
        rows = []
        for kind, start, value in spans:
            if text[start : start + len(value)] != value:
                raise SystemExit(f"{path}:{n}: {kind} {value!r} is not at {start} of its text")
            rows.append({"type": kind, "start": start, "end": start + len(value), "value": value})
        out.append({"split": split, "text": text, "spans": sorted(rows, key=lambda s: s["start"])})
    return out


def main() -> None:
    rows = []
    OUT.parent.mkdir(parents=True, exist_ok=True)
    for split in ("dev", "held"):
        for path in sorted(RAW.glob(f"{split}_*.jsonl")):
            rows += records(path, split)
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} records -> {OUT} "
          f"({sum(r['split'] == 'dev' for r in rows)} dev, {sum(r['split'] == 'held' for r in rows)} held)")


if __name__ == "__main__":
    main()
