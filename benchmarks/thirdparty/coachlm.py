"""Alpaca responses revised by human experts (Liu et al. 2023, "CoachLM: Automatic Instruction
Revisions Improve the Data Quality in LLM Instruction Tuning"; lunyiliu/CoachLM, the Expert Revision
Dataset: 2,301 Alpaca-52k records with the experts' revised instruction, input and response)
-> coachlm_revisions.jsonl, the third-party controls of the open-answer coverage class of
benchmarks/verify.py (issue #9, trial findings D7 / D8).

The experts rewrote Alpaca responses to be clearer, more detailed and better formatted: headings,
bullets, a chatty lead-in, reordered sentences, filler cut. That is the change a ReAlign-style
rewrite makes, so a check that rejects these rewrites for what they drop would reject good rewrites
too. But the experts also replaced content (a wrong fact corrected, a festival swapped for another,
a stanza cut): the benchmark prints, beside the rejections, how much of the original's content words
each rejected revision keeps, and the README reports the rejected dev rows one by one.

Raw files: `/work/thirdparty/raw/coachlm/expert_revision_<split>.json`, JSON arrays of the records
as the source spells their fields ("Raw Instruction", "Raw Input", "Raw Response", "Revised
Response"; the revised instruction and input and the edit distance were not transcribed). They were
transcribed from `.ipynb_checkpoints/Expert Revision Dataset-checkpoint.json` (the JSON form of the
dataset; the top-level file is an .xlsx; 2,756,485 characters) read with `read_file` at commit
5cadb83418a4673351105ff982cbd1066f00396b: dev = the records in characters 0-80,000, held = the
records wholly in characters 80,000-144,000, in file order; dev2 = the records in characters
144,000-192,000 that keep the original's closing content (labelled before the check ran on them;
only those were transcribed: they are the ones a check must accept), added to dev after the held
measurement to look for false rejections; held2 = the records wholly in characters 192,000-240,000
that keep the original's closing content (10 of the 20 that qualify; labelled, and only those
transcribed, before any check ran on them), measured once with the final check. Only records whose raw
response has at least two sentences (or list lines) and about 150 characters or more were
transcribed: a one-sentence answer has no closing part apart from itself.

`keeps_ending` is our label (LABELS below, by row index within its split): does the revision still
say what the original's closing part says (in any wording or place)? It was written by reading the
original and the revision: for dev after the checks had been run on them, for held before any check
ran on the held rows. A revision that replaces the answer (another festival, other takeaways) or cuts
its end (a stanza, the final appeal) does not keep it: rejecting those is right for realign, whose
rewrites must keep the original's content; a check must accept the ones that keep it.

    python benchmarks/thirdparty/coachlm.py [--raw DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rawfile import RAW

OUT = Path("/work/thirdparty/coverage")

# (split, index) of the revisions that do NOT keep the original's closing content, with why; every
# other row keeps it
DROPS_ENDING = {
    ("dev", 0): "answers with AI and blockchain; the closing on security / resilience across fields is gone",
    ("dev", 2): "the 374 C at ocean depth sentence is replaced by altitude",
    ("dev", 4): "replaced by two other comments",
    ("dev", 7): "Holi replaced by Onam",
    ("dev", 8): "another song",
    ("dev", 12): "the last stanza is cut",
    ("dev", 13): "the Tower of London replaced by five other sights",
    ("dev", 18): "the closing on resistance to colonisation is gone",
    ("dev", 25): "the closing appeal to protect bees is cut",
    ("dev", 27): "the closing on voices heard / engagement is gone",
    ("dev", 30): "the last movies (The Postman, The Island) replaced",
    ("dev", 32): "another poem",
    ("dev", 34): "other takeaways",
    # held: labelled before any check ran on the held rows
    ("held", 0): "a made-up headphones story in place of the representative's",
    ("held", 1): "another story (a virus cure, a cracked slide)",
    ("held", 2): "a list of four painters; the closing on da Vinci's lasting influence is gone",
    ("held", 4): "another story; the dog and rabbit do not turn on the fox",
    ("held", 12): "the closing reassurance (peace of mind) replaced by a thank-you",
    ("held", 16): "the closing on saving time and convenience is gone",
    ("held", 18): "generic icon guidelines in place of the sun-like vibrant design",
    ("held", 19): "a family reunion meal in place of Thanksgiving",
    ("held", 31): "the feast he looked forward to is cut",
}


BATCHES = (("dev", "dev"), ("dev2", "dev"), ("held", "held"), ("held2", "held2"))  # raw file -> split


def rows(raw: Path) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for batch, split in BATCHES:
        path = raw / f"expert_revision_{batch}.json"
        if not path.is_file():
            print(f"(no {path}: batch {batch} is left out)")
            continue
        for i, rec in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            instruction = rec["Raw Instruction"].strip()
            extra = rec.get("Raw Input", "").strip()
            if extra and extra.strip("`").lower() not in ("<noinput>", "<no input>"):
                instruction += "\n\n" + extra
            drop = DROPS_ENDING.get((batch, i))
            out.append({"source": "coachlm_expert", "split": split, "batch": batch, "index": i,
                        "instruction": instruction, "original": rec["Raw Response"],
                        "candidate": rec["Revised Response"], "keeps_ending": drop is None, "label_note": drop or ""})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--raw", type=Path, default=RAW / "coachlm")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    found = rows(args.raw)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "coachlm_revisions.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in found), encoding="utf-8")
    print(f"{path}: {len(found)} rows ({sum(r['split'] == 'dev' for r in found)} dev)")


if __name__ == "__main__":
    main()
