"""Conversational responses written by models from a GIVEN question and short answer, with five
MTurk ratings each (Baheti et al. 2020, "Fluent Response Generation for Conversational Question
Answering"; abaheti95/QADialogSystem, `mturk_evaluations/coqa_results*/<model>_model_annotations.tsv`)
-> qadialog_facts.jsonl. Models: DialoGPT (`dgpt`), DialoGPT with the answer copied (`dgpt-o`), a
pointer-generator network given the answer (`bpga`) and the same network given a CoQA reader's
predicted answer (`bpga_c`: where the prediction was wrong, its response states another answer than
the one the raters were shown).

This is the closest third-party stand-in found for what realign does to a short factual answer: a
system took the answer ("the landlady") and rewrote it into a sentence ("the landlady got the next
item"), and people judged whether the sentence still gives that answer. The raters picked one of
five options: a = wrong answer, not a sentence; b = right answer, not a sentence; c = wrong answer,
a sentence; d = right answer, a sentence with grammar faults; e = right answer, fluent sentence
(`mturk_evaluations/qa_analysis_form.html`). So b / d / e say the answer was kept, a / c that it
was not. Everything (question, answer, response) is lower-cased and tokenised by the source.

Rows (one per distinct question, answer and response; a response that two models wrote alike is
kept once, with both model names):

- `construction` "rated", source `qadialog_rated`: the model's response with the raters' verdict:
  `same_answer` when more than half of the votes are b / d / e, changed when more than half are
  a / c (no ties occur with five votes; four-vote rows need three). These are the only rows whose
  label comes from people.
- `construction` "other_question", source `qadialog_otherq` (all changed): the question and answer
  of item q, and as candidate a response rated as keeping the answer of another item q' asked with
  the same question word ("who", "how many", ...): q' is the next such item by id within the same
  half. Pairs whose candidate happens to contain q's answer, or whose two answers are the same, are
  left out. The text is the third party's, the pairing ours.
- `construction` "answer_swapped", source `qadialog_swapped` (all changed): a response rated as
  keeping the answer that contains that answer word for word, with the answer replaced by the
  answer of q' (as above): "the landlady got the next item" -> "sam got the next item". Our edit of
  their text: the frame of a right rewrite around a wrong fact.

`split` is fixed by the item id alone, before any check ran: even id -> "dev", odd id -> "held";
q' is always taken from the same half, so no held text reaches a dev row.

Raw files (`/work/thirdparty/raw/qadialog/<folder>__<model>_model_annotations.tsv`) are
transcriptions of the source rows: the five votes joined into one string, id, question, answer,
response, tab-separated, quoting as in the source; the source's majority column and its column of
anonymised worker ids and seconds were not transcribed.

    python benchmarks/thirdparty/qadialog.py [--raw DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from pathlib import Path

from rawfile import OUT, RAW

# model files in the order their rows are read (a response two models wrote alike keeps the first)
FILES = (("coqa_results2", "dgpt"), ("coqa_results2", "dgpt-o"), ("coqa_results", "bpga"), ("coqa_results", "bpga_c"))
KEEP, CHANGE = set("bde"), set("ac")
WH = ("how many", "how much", "how long", "how old", "how far", "who", "whom", "whose", "what",
      "when", "where", "why", "which", "how")


def read_rows(folder: Path) -> list[dict]:
    rows: list[dict] = []
    for sub, model in FILES:
        path = folder / f"{sub}__{model}_model_annotations.tsv"
        with open(path, encoding="utf-8", newline="") as f:
            for line_no, rec in enumerate(csv.reader(f, delimiter="\t"), 1):
                votes, item, question, answer, response = rec
                if not re.fullmatch(r"[a-e]{4,5}", votes):
                    raise SystemExit(f"{path}:{line_no}: votes {votes!r} are not 4-5 letters a-e")
                rows.append({"model": model, "votes": votes, "id": int(item), "question": question,
                             "answer": answer, "response": response})
    return rows


def verdict(votes: str) -> bool | None:
    keep = sum(v in KEEP for v in votes)
    change = sum(v in CHANGE for v in votes)
    if keep * 2 > len(votes):
        return True
    if change * 2 > len(votes):
        return False
    return None


def _norm(text: str) -> str:
    words = re.findall(r"[^\W_]+(?:[-'.,][^\W_]+)*", text.lower())
    return " ".join(w for w in words if w not in {"a", "an", "the"})


def question_word(question: str) -> str:
    q = question.lower()
    hits = [(m.start(), w) for w in WH if (m := re.search(rf"\b{w}\b", q))]
    return min(hits)[1] if hits else ""


def split_of(item: int) -> str:
    return "dev" if item % 2 == 0 else "held"


def partner(items: list[int], wh_of: dict[int, str], item: int) -> int | None:
    """The next item by id with the same question word in the same half (cyclic), or None."""
    same = [i for i in items if wh_of[i] == wh_of[item] and split_of(i) == split_of(item) and i != item]
    later = [i for i in same if i > item]
    return (later or same or [None])[0]


def convert(raw_rows: list[dict]) -> list[dict]:
    merged: dict[tuple, dict] = {}
    for r in raw_rows:
        key = (r["id"], r["question"], r["answer"], r["response"])
        if key in merged:
            merged[key]["models"].append(r["model"])
            continue
        merged[key] = {**r, "models": [r["model"]]}
    base = {"kind": "facts"}
    rows: list[dict] = []
    kept_by_item: dict[int, list[dict]] = {}
    answer_of: dict[int, tuple[str, str]] = {}
    for r in merged.values():
        answer_of[r["id"]] = (r["question"], r["answer"])
        same = verdict(r["votes"])
        if same is None:
            continue
        rows.append({**base, "instruction": r["question"], "original": r["answer"], "candidate": r["response"],
                     "same_answer": same, "source": "qadialog_rated", "construction": "rated",
                     "split": split_of(r["id"]), "item": r["id"], "models": r["models"], "votes": r["votes"]})
        if same:
            kept_by_item.setdefault(r["id"], []).append(r)
    items = sorted(answer_of)
    wh_of = {i: question_word(answer_of[i][0]) for i in items}
    for item in items:
        other = partner([i for i in items if i in kept_by_item], wh_of, item)
        if other is None:
            continue
        question, answer = answer_of[item]
        other_answer = answer_of[other][1]
        if _norm(answer) == _norm(other_answer):
            continue
        # the question's own answer, and another item's rewrite that does not state it
        cand = kept_by_item[other][0]["response"]
        if _norm(answer) and f" {_norm(answer)} " not in f" {_norm(cand)} ":
            rows.append({**base, "instruction": question, "original": answer, "candidate": cand,
                         "same_answer": False, "source": "qadialog_otherq", "construction": "other_question",
                         "split": split_of(item), "item": item, "partner": other})
        # every kept rewrite of this item that states the answer word for word, with the answer swapped
        na, no = _norm(answer), _norm(other_answer)
        if not na or not no or na in no or no in na:
            continue
        bare = re.sub(r"^(?:the|a|an)\s+", "", answer.strip(" .,"), flags=re.I)
        seen: set[str] = set()
        for kept in kept_by_item.get(item, []):
            m = re.search(rf"(?<![\w-]){re.escape(bare)}(?![\w-])", kept["response"])
            if not m:
                continue
            swapped = kept["response"][:m.start()] + other_answer.strip(" .,") + kept["response"][m.end():]
            if swapped in seen:
                continue
            seen.add(swapped)
            rows.append({**base, "instruction": question, "original": answer, "candidate": swapped,
                         "same_answer": False, "source": "qadialog_swapped", "construction": "answer_swapped",
                         "split": split_of(item), "item": item, "partner": other, "models": kept["models"]})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw", type=Path, default=RAW / "qadialog")
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args()
    rows = convert(read_rows(a.raw))
    a.out.mkdir(parents=True, exist_ok=True)
    with open(a.out / "qadialog_facts.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    counts: dict[tuple, int] = {}
    for r in rows:
        k = (r["source"], r["split"], r["same_answer"])
        counts[k] = counts.get(k, 0) + 1
    print(f"qadialog_facts.jsonl: {len(rows)} rows")
    for (source, split, same), n in sorted(counts.items()):
        print(f"  {source:<18}{split:<6}{'kept' if same else 'changed':<9}{n:>5}")


if __name__ == "__main__":
    main()
