"""CondaQA's passage edits as labelled rewrites of a sentence (our converter; the data stays outside the repo).

    python benchmarks/thirdparty/condaqa_edits.py [--raw DIR] [--out FILE]

CondaQA (Ravichander, Gardner, Marasović, EMNLP 2022; github.com/AbhilashaRavichander/CondaQA) took
Wikipedia passages with a negated statement and had crowdworkers edit that statement three ways:
PassageEditID 1 paraphrases it (the meaning stays), 2 moves the negation's scope, 3 undoes the
negation (the meaning flips); 0 is the untouched passage. Each JSON line carries the original
sentence and the whole edited passage (`sentence1`); the edited sentence is what remains of
`sentence1` once the text before the original sentence (`pre sentence`) and the text after it
(`post sentence`) are taken off its two ends. Rows of `condaqa_dev.json` have no pre / post fields:
they are cut from `original passage` around `original sentence`. A row whose ends do not match
(the worker also edited a neighbouring sentence) is skipped and counted.

Input: the JSON lines read from the repository in chunks, saved under --raw (one file per chunk,
see the README.txt there); a row may leave out the passage-level fields when another row of the
same passage gives them. Output: one row per distinct (PassageID, edit), as a rewrite request on
the original sentence:

    instruction   REQUEST + the original sentence
    original      the original sentence (the text the rewrite starts from)
    candidate     the edited sentence
    edit          paraphrase | scope | affirmative
    same_answer   true for a paraphrase, false for a scope or affirmative edit
    cue           the negation cue the passage was picked for
    passage_id    CondaQA's PassageID
    split         "dev" for an even PassageID, "held" for an odd one (fixed before any check ran)
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

REQUEST = "Rewrite the following sentence in different words without changing what it says:"
EDITS = {1: "paraphrase", 2: "scope", 3: "affirmative"}
PASSAGE_FIELDS = ("original sentence", "original cue", "original passage", "pre sentence", "post sentence")


def read_raw(folder: Path) -> list[dict[str, Any]]:
    rows = []
    for p in sorted(folder.glob("*.jsonl")):
        for line in p.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append({**json.loads(line), "_file": p.name})
    return rows


def passage_fields(rows: list[dict[str, Any]]) -> tuple[dict[int, dict[str, str]], list[str]]:
    """Each passage's own fields, from whichever rows give them; a field two rows give differently is a
    transcription fault, reported."""
    out: dict[int, dict[str, str]] = {}
    faults = []
    for r in rows:
        have = out.setdefault(int(r["PassageID"]), {})
        for f in PASSAGE_FIELDS:
            if f in r:
                if f in have and have[f] != r[f]:
                    faults.append(f"passage {r['PassageID']}: {f!r} differs in {r['_file']}")
                have.setdefault(f, r[f])
    return out, faults


def ends(fields: dict[str, str]) -> tuple[str, str] | None:
    """The passage text before and after the original sentence."""
    if "pre sentence" in fields and "post sentence" in fields:
        return fields["pre sentence"], fields["post sentence"]
    passage, sentence = fields.get("original passage", ""), fields.get("original sentence", "")
    at = passage.find(sentence) if sentence else -1
    if at < 0:
        return None
    return passage[:at], passage[at + len(sentence):]


def edited_sentence(sentence1: str, pre: str, post: str) -> str | None:
    """`sentence1` less `pre` at its start and `post` at its end; None when either end was edited too."""
    text, pre, post = sentence1.strip(), pre.strip(), post.strip()
    if not text.startswith(pre) or not text.endswith(post) or len(pre) + len(post) >= len(text):
        return None
    return text[len(pre):len(text) - len(post)].strip() or None


def convert(raw: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], Counter[str], list[str]]:
    fields, faults = passage_fields(raw)
    skipped: Counter[str] = Counter()
    seen: dict[tuple[int, int], dict[str, Any]] = {}
    for r in raw:
        pid, eid = int(r["PassageID"]), int(r["PassageEditID"])
        if eid not in EDITS:
            continue
        key = (pid, eid)
        if key in seen:
            if seen[key]["_sentence1"] != r["sentence1"]:
                faults.append(f"passage {pid} edit {eid}: sentence1 differs in {r['_file']}")
            continue
        f = fields[pid]
        cut = ends(f)
        if cut is None:
            skipped["original sentence not found in the passage"] += 1
            continue
        candidate = edited_sentence(r["sentence1"], *cut)
        if candidate is None:
            skipped[f"{EDITS[eid]}: text around the sentence edited too"] += 1
            continue
        original = f["original sentence"].strip()
        seen[key] = {"instruction": f"{REQUEST}\n\n{original}", "original": original, "candidate": candidate,
                     "edit": EDITS[eid], "same_answer": eid == 1, "cue": f.get("original cue", ""),
                     "passage_id": pid, "split": "dev" if pid % 2 == 0 else "held", "_sentence1": r["sentence1"]}
    rows = [{k: v for k, v in row.items() if not k.startswith("_")} for _, row in sorted(seen.items())]
    return rows, skipped, faults


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--raw", type=Path, default=Path("/work/thirdparty/raw/condaqa"))
    ap.add_argument("--out", type=Path, default=Path("/work/thirdparty/verify/condaqa_edits.jsonl"))
    args = ap.parse_args()
    rows, skipped, faults = convert(read_raw(args.raw))
    for fault in faults:
        print(f"FAULT {fault}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    counts = Counter((r["split"], r["edit"]) for r in rows)
    print(f"wrote {len(rows)} rows to {args.out}: "
          + ", ".join(f"{s}/{e} {n}" for (s, e), n in sorted(counts.items())))
    print(f"skipped {sum(skipped.values())}: " + (", ".join(f"{k} {n}" for k, n in sorted(skipped.items())) or "none"))


if __name__ == "__main__":
    main()
