"""Assistant turns that a user turn replies to, for the `--turns-only` part of `benchmarks/verify.py`
(the `question_kept` check, trial finding D4).

    python benchmarks/thirdparty/chat_turns.py [--raw DIR] [--fixture FILE] [--out FILE]

Two sources, each turn as {source, instruction, original, next_user, tools, split}:

- glaive function-calling rows (hiyouga/LLaMA-Factory `data/glaive_toolcall_en_demo.json`, Apache-2.0; see
  benchmarks/thirdparty/SOURCES.md): `RAW/glaive_turns/p*.jsonl`, the turns transcribed by the rule in that
  folder's README.txt. Exact repeats (same instruction, answer and reply) are written once. Written to
  --fixture (committed: tests/fixtures/verify/glaive_turns.jsonl).
- MT-bench answers of gpt-4o (`RAW/mtbench_gpt4o`, see `mtbench_gpt4o.py`): each first-turn answer with the
  question's second turn as the reply. OpenAI outputs: written to --out, outside the repository.

`split` is fixed by a hash of the answer text, before any outcome is looked at: the first 8 hex digits of
its SHA-256, even = dev, odd = held. Every copy of one answer falls in the same half.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rawfile import RAW  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "verify" / "glaive_turns.jsonl"
OUT = Path("/work/thirdparty/verify/mtbench_gpt4o_turns.jsonl")


def split_of(original: str) -> str:
    return "dev" if int(hashlib.sha256(original.encode("utf-8")).hexdigest()[:8], 16) % 2 == 0 else "held"


def glaive_rows(raw: Path) -> list[dict]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for path in sorted((raw / "glaive_turns").glob("p*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            key = (r["instruction"], r["original"], r["next_user"])
            if key in seen:
                continue
            seen.add(key)
            out.append({"source": "glaive_toolcall", "page": r["page"], "tools": r["tools"],
                        "instruction": r["instruction"], "original": r["original"], "next_user": r["next_user"],
                        "split": split_of(r["original"])})
    return out


def mtbench_rows(raw: Path) -> list[dict]:
    folder = raw / "mtbench_gpt4o"
    questions = {q["question_id"]: q for q in map(json.loads, (folder / "questions.jsonl").read_text().splitlines())}
    out = []
    for path in sorted(folder.glob("p*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            q = questions.get(r["question_id"])
            if r["turn"] != 1 or q is None or len(q["turns"]) < 2:
                continue
            out.append({"source": "mtbench_gpt4o", "question_id": r["question_id"], "tools": False,
                        "instruction": q["turns"][0], "original": r["text"], "next_user": q["turns"][1],
                        "split": split_of(r["text"])})
    return out


def write(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    dev = sum(r["split"] == "dev" for r in rows)
    print(f"{path}: {len(rows)} turns ({dev} dev, {len(rows) - dev} held)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--raw", type=Path, default=RAW)
    ap.add_argument("--fixture", type=Path, default=FIXTURE)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    write(glaive_rows(args.raw), args.fixture)
    write(mtbench_rows(args.raw), args.out)


if __name__ == "__main__":
    main()
