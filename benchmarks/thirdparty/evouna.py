"""EVOUNA (Wang et al. 2023, "Evaluating Open-QA Evaluation"; wangcunxiang/QA-Eval, `EVOUNA/NQ.json`
and `EVOUNA/TQ.json`) -> evouna_nq_facts.jsonl, evouna_nq_fresh6_facts.jsonl, evouna_nq_dev2_facts.jsonl,
evouna_nq_dev3_facts.jsonl, evouna_tq_facts.jsonl, evouna_tq_dev2_facts.jsonl.

Each item of the source is a question, its gold answers joined by "/", and the answers of five
systems, each with a human judgement (true / false / null). One row per (item, LLM answer) for the
four LLMs (text-davinci-003 `gpt35`, gpt-3.5-turbo `chatgpt`, `gpt4`, Bing Chat `newbing`; the FiD
reader's short answer is left out), skipping items the dataset marks `improper` (questions whose
answer changed over time) and answers with no answer text or no judgement (null, or "nan" in TQ).
The row's original is the first gold answer (the benchmark's `primary_answer` picks TriviaQA's
recurring alias itself);
`gold_answers` keeps the whole list, `split_index` the item's position in the source file (even =
dev, odd = held in `benchmarks/verify.py`), and `gold_in_candidate` whether any gold alias, SQuAD-
normalised, appears in the answer.

Which items: NQ items 0-195 -> evouna_nq (dev / held halves), NQ items 196-254 -> evouna_nq_fresh6
(held out as a whole), NQ items 255-302 -> evouna_nq_dev2, NQ items 303-433 -> evouna_nq_dev3; TriviaQA
items 0-66 -> evouna_tq (dev / held halves); TriviaQA items 67-210 -> evouna_tq_dev2. The dev2 and dev3 files
are development data as a whole: transcribed to study the facts check's false rejections without reading
the held halves (dev3 because the NQ dev rows left too few rejections to tell a general class from one row).
The raw text may end inside an item; only complete items are read.

    python benchmarks/thirdparty/evouna.py [--raw DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rawfile import OUT, RAW, read_raw

MODELS = ("gpt35", "chatgpt", "gpt4", "newbing")
NQ_MAIN = range(0, 196)
NQ_FRESH6 = range(196, 255)
NQ_DEV2 = range(255, 303)
NQ_DEV3 = range(303, 434)
TQ_MAIN = range(0, 67)
TQ_DEV2 = range(67, 211)


def complete_items(text: str) -> list[dict]:
    """The whole objects at the start of a JSON list whose text may be cut short."""
    decoder = json.JSONDecoder()
    items, i = [], text.index("{")
    while True:
        try:
            item, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError:
            return items
        items.append(item)
        nxt = text.find("{", end)
        if nxt < 0:
            return items
        i = nxt


def _norm(text: str) -> str:
    t = "".join(ch for ch in text.lower() if ch.isalnum() or ch.isspace())
    return " ".join(w for w in t.split() if w not in {"a", "an", "the"})


def rows_for(items: list[dict], indices: range, source: str) -> list[dict]:
    rows = []
    for index in indices:
        if index >= len(items):
            break
        item = items[index]
        if item.get("improper"):
            continue
        golds = [g.strip() for g in item["golden_answer"].split("/") if g.strip()]
        for model in MODELS:
            answer, judge = item.get(f"answer_{model}"), item.get(f"judge_{model}")
            if not isinstance(judge, bool) or not answer or answer.strip() in ("", "None"):
                continue  # no judgement (null, or "nan" in TQ.json) or no answer text
            cand = f" {_norm(answer)} "
            rows.append({"instruction": item["question"], "original": golds[0], "candidate": answer.strip(),
                         "same_answer": bool(judge), "kind": "facts", "source": source, "gold_answers": golds,
                         "split_index": index, "model": model,
                         "gold_in_candidate": any(_norm(g) and f" {_norm(g)} " in cand for g in golds)})
    return rows


def write(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    pos = sum(r["same_answer"] for r in rows)
    print(f"{path.name}: {len(rows)} rows ({pos} judged correct) from "
          f"{len({r['split_index'] for r in rows})} items")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw", type=Path, default=RAW / "evouna")
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    nq = complete_items(read_raw(a.raw, "NQ.json"))
    write(a.out / "evouna_nq_facts.jsonl", rows_for(nq, NQ_MAIN, "evouna_nq"))
    write(a.out / "evouna_nq_fresh6_facts.jsonl", rows_for(nq, NQ_FRESH6, "evouna_nq_fresh6"))
    write(a.out / "evouna_nq_dev2_facts.jsonl", rows_for(nq, NQ_DEV2, "evouna_nq_dev2"))
    write(a.out / "evouna_nq_dev3_facts.jsonl", rows_for(nq, NQ_DEV3, "evouna_nq_dev3"))
    if any(a.raw.glob("TQ.json.*")):
        tq = complete_items(read_raw(a.raw, "TQ.json"))
        write(a.out / "evouna_tq_facts.jsonl", rows_for(tq, TQ_MAIN, "evouna_tq"))
        write(a.out / "evouna_tq_dev2_facts.jsonl", rows_for(tq, TQ_DEV2, "evouna_tq_dev2"))


if __name__ == "__main__":
    main()
