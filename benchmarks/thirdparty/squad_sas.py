"""SQuAD answer pairs rated by people (deepset's Semantic Answer Similarity data, Risch et al. 2021,
copy in e184633/semantic-answer-similarity `data/data/SQuAD_SAS.csv`) -> squad_sas_facts.jsonl.

Each CSV row is (answer1, answer2, label): 0 = different, 1 = partly similar, 2 = equivalent. Rows
labelled 1 are left out (neither a kept nor a changed answer). answer1 is the original, answer2 the
candidate, and there is no question, so the instruction is empty. `split` is fixed by answer1 alone:
SHA-256 of its stripped, lower-cased text, even -> "dev", odd -> "held" (every pair with the same
reference falls in one half).

    python benchmarks/thirdparty/squad_sas.py [--raw DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
from pathlib import Path

from rawfile import OUT, RAW, read_raw


def split_for(reference: str) -> str:
    digest = hashlib.sha256(reference.strip().lower().encode("utf-8")).hexdigest()
    return "dev" if int(digest, 16) % 2 == 0 else "held"


def convert(text: str) -> list[dict]:
    rows = []
    for r in csv.DictReader(io.StringIO(text)):
        label = float(r["label"])
        if label == 1.0:
            continue
        rows.append({"instruction": "", "original": r["answer1"], "candidate": r["answer2"],
                     "same_answer": label == 2.0, "kind": "facts", "source": "squad_sas",
                     "split": split_for(r["answer1"])})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw", type=Path, default=RAW / "squad_sas")
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args()
    rows = convert(read_raw(a.raw, "SQuAD_SAS.csv"))
    a.out.mkdir(parents=True, exist_ok=True)
    with open(a.out / "squad_sas_facts.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    n = {s: sum(r["split"] == s for r in rows) for s in ("dev", "held")}
    print(f"squad_sas_facts.jsonl: {len(rows)} rows ({n['dev']} dev, {n['held']} held), "
          f"{sum(r['same_answer'] for r in rows)} rated equivalent")


if __name__ == "__main__":
    main()
