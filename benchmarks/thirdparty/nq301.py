"""NQ301 (Kamalloo et al. 2023, "Evaluating Open-Domain Question Answering in the Era of Large Language
Models"; ehsk/OpenQA-eval `data/NQ301_human.tsv` and `data/NQ301_BEM.tsv`) -> nq301_facts.jsonl.

NQ301_human.tsv holds, for 301 NQ-open questions, the distinct answers of the QA systems the paper
studied with the human verdict ("Acceptable?", the annotators' majority). NQ301_BEM.tsv lists the same
(question, answer) rows in the same order with the gold answers ("a | b | c") and the BEM model's
verdict. The two files are joined row by row (a row whose question differs is an error).

One row per human row: the original is the first gold answer, the candidate the system's answer,
`same_answer` the human verdict, `bem_acceptable` BEM's, `gold_answers` the gold list and
`gold_in_candidate` whether a gold answer, SQuAD-normalised, appears in the candidate. Gold strings
that the source stores as mis-decoded UTF-8 ("30â€“31 October 2000") are repaired. Rows: the first
429 rows of the file (questions 1-88, the last one cut), in file order; the benchmark splits them by
row position (even = dev, odd = held) since they carry no `split_index`.

    python benchmarks/thirdparty/nq301.py [--raw DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path

from rawfile import OUT, RAW, read_raw

ROWS = 429


def repair(text: str) -> str:
    """Undo UTF-8 read as cp1252 ("Â", "â€“"); leave anything else as it is."""
    if not any(mark in text for mark in ("Ã", "Â", "â€")):
        return text
    text = text.replace("Â\xa0", " ").replace("Â ", " ")  # a no-break space whose second byte became a space
    if not any(mark in text for mark in ("Ã", "Â", "â€")):
        return text
    try:
        return text.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def _norm(text: str) -> str:
    t = "".join(ch for ch in text.lower() if ch.isalnum() or ch.isspace())
    return " ".join(w for w in t.split() if w not in {"a", "an", "the"})


def tsv_rows(text: str) -> list[list[str]]:
    """Complete rows of a TSV whose text may be cut inside its last row."""
    rows = list(csv.reader(io.StringIO(text), delimiter="\t"))
    header, body = rows[0], rows[1:]
    if not text.endswith("\n") and body:
        body = body[:-1]  # the last line is cut short
    return [r for r in body if len(r) >= len(header) - 1]


def convert(human_text: str, bem_text: str, limit: int = ROWS) -> list[dict]:
    # the human file quotes nothing (answers keep their own quotation marks), so split it by tabs
    lines = human_text.split("\n")[1:]
    if not human_text.endswith("\n"):
        lines = lines[:-1]
    human = [line.split("\t") for line in lines if line.count("\t") >= 5]
    bem = tsv_rows(bem_text)
    if len(human) < limit or len(bem) < limit:
        raise SystemExit(f"need {limit} rows: the raw pieces give {len(human)} human and {len(bem)} BEM rows")
    out = []
    for h, b in zip(human[:limit], bem[:limit]):
        if h[1] != b[1]:
            raise SystemExit(f"row order differs: {h[1]!r} / {b[1]!r}")
        golds = [repair(g.strip()) for g in b[2].split(" | ") if g.strip()]
        cand = f" {_norm(h[2])} "
        out.append({"instruction": h[1], "original": golds[0], "candidate": h[2], "same_answer": h[3] == "Yes",
                    "kind": "facts", "source": "nq301_human", "gold_answers": golds,
                    "bem_acceptable": b[4] == "Yes",
                    "gold_in_candidate": any(_norm(g) and f" {_norm(g)} " in cand for g in golds)})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw", type=Path, default=RAW / "nq301")
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args()
    rows = convert(read_raw(a.raw, "NQ301_human.tsv"), read_raw(a.raw, "NQ301_BEM.tsv"))
    a.out.mkdir(parents=True, exist_ok=True)
    with open(a.out / "nq301_facts.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"nq301_facts.jsonl: {len(rows)} rows ({sum(r['same_answer'] for r in rows)} acceptable, "
          f"{sum(r['bem_acceptable'] for r in rows)} BEM-equivalent)")


if __name__ == "__main__":
    main()
