"""Verdict identity of two versions of the checks: for speed work, which must change no verdict (prints, asserts nothing).

    .venv/bin/python benchmarks/verify_identity.py --base DIR [--thirdparty DIR] [--shared DIR]

DIR is a checkout of the code before (`git worktree add /tmp/base main`). Each version writes, in a
child process of its own with the same hash seed (key_facts reports the first of a set of quoted
phrases, so the seed decides which one), one JSON line per verdict, contract and shape reading on:
every third-party row (as given, with its task, and with original and candidate swapped); 2,500
GSM8K train answers paired with the next one and with their '####' line written as "The answer
is N."; every adversarial case of `benchmarks/verify.py` (with and without the task) and its list
sources; repetition, truncation and markup texts; and 3,552 leak cases (prompt markers, odd
case, Unicode look-alikes, extra markers). Then the two files are compared line by line.
Every seventh input is also verified with extra leak markers.

`--batched`: the new version verifies through `registry.verify_candidates` in batches of
`audit.BATCH` (each check run over a whole batch, as `realign verify` does), grouped by options,
after every other line is written; the base version row by row as before. The verdicts must not
depend on the order the checks run in.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def dump(out: Path, thirdparty: Path, shared: Path, batched: bool = False) -> None:
    """Write every verdict of the code on sys.path to `out` (runs in the child process)."""
    import realign

    sys.path.insert(0, str(Path(realign.__file__).parent.parent / "benchmarks"))
    import verify as bench

    from realign.verify import arithmetic, length
    from realign.verify.base import CheckInput
    from realign.verify.contract import read_contract
    from realign.verify.registry import VerifyOptions, verify_candidate

    plain = VerifyOptions()
    extra = VerifyOptions(extra_leak_markers=["### Criteria", "ſystem notes", "<Original>"])
    n = 0
    lines: list[str] = []  # the output, written at the end (a deferred verdict's slot filled in then)
    deferred: dict[int, list[tuple[int, CheckInput, list[str]]]] = {}  # id(options) -> (line, input, checks)
    by_id = {id(plain): plain, id(extra): extra}

    def verdict(inp: CheckInput, checks: list[str], opts: VerifyOptions) -> str:
        if not batched:
            return verify_candidate(inp, checks, None, opts).model_dump_json()
        deferred.setdefault(id(opts), []).append((len(lines), inp, checks))
        return ""

    class _Lines:  # f.write(text) for the code below: one output line per call
        def write(self, text: str) -> None:
            lines.append(text[:-1])

    f = _Lines()

    def emit(ins: str, orig: str, cand: str, task: str = "") -> None:
        nonlocal n
        checks = bench.task_checks(task) if task else []
        for opts in (plain, extra) if n % 7 == 0 else (plain,):
            inp = CheckInput(task=task or "default", instruction=ins, original=orig, candidate=cand)
            f.write(verdict(inp, checks, opts) + "\n")
        f.write(read_contract(ins, orig).model_dump_json() + "\n")
        f.write(json.dumps([length.degeneration(cand, orig), length.truncation(cand, orig),
                            [(w, str(v)) for w, v in arithmetic.wrong_calculations(cand)]]) + "\n")
        n += 1

    rows = [json.loads(line) for p in sorted(thirdparty.glob("*.jsonl"))
            for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    for r in rows:
        if "candidate" not in r:
            continue  # chat turns with the user's reply (benchmarks/thirdparty/chat_turns.py): no pair to verify
        emit(r["instruction"], r["original"], r["candidate"])
        emit(r["instruction"], r["original"], r["candidate"], bench.TASK_OF_KIND.get(r.get("kind", ""), ""))
        emit(r["instruction"], r["candidate"], r["original"])
    train = shared / "gsm8k" / "train.jsonl"
    g = [json.loads(x) for x in train.read_text(encoding="utf-8").splitlines()[:2500]] if train.is_file() else []
    for a, b in zip(g, g[1:]):
        emit(a["question"], a["answer"], b["answer"])
        head, _, value = a["answer"].rpartition("####")
        emit(a["question"], a["answer"], f"{head}The answer is {value.strip()}.")
    cases = (bench.gsm8k_cases(shared, 300) + bench.dfar_cases(shared, 300) + bench.bbq_cases(shared, 300)
             + bench.stdlib_cases(100) + bench.facts_bases_cases(thirdparty, 300) + bench.item_labels_on_alpaca(shared)
             + bench.bbq_alternative_cases(shared, 300) + bench.stdlib_short_code_cases(100))
    for _, folder, name, fields in bench.LIST_SOURCES:
        cases += bench.list_bases_cases({"shared": shared, "lists": thirdparty.parent / "lists"}[folder] / name, fields)
    for c in cases:
        emit(c.instruction, c.original, c.candidate)
        emit(c.instruction, c.original, c.candidate, bench.TASK_OF_KIND[c.kind])
    shapes = ["I think the answer is 5 and " * 12, ("the cat sat on the mat " * 10) + "done.", "a b c d e f " * 20,
              "Step: add 2. " * 30, "<<4*5=20>> Syſtem: hello\nAnswer: 20", "### Orıginal response\n20",
              "</s> done 20", "<<SYS>> 20", "<|im_start|> 20", "İnstead the answer is 20", "x < 5 and y<z 20",
              "text ``` code\nmore", "ends with and", "ends with and_", "ends with because **", "He has 5 apples, and"]
    for t in shapes:
        for o in ("The answer is 20.", "#### 20", "a b c d e f " * 20, ""):
            emit("How many?", o or "x", t)
    markers = ["### Original response", "## Instructions", "<original>", "</response>", "Criteria:", "original answer:",
               "keep_original", '"rewrite":', "<|im_start|>", "[INST]", "[/inst]", "<<SYS>>", "</s>", "Human:",
               "Assistant:", "### System:", "Here is the rewritten response", "this original answer",
               "rewritten answer", "according to the given criteria", "I've rewritten", "I have revised", "ſystem:",
               "Orıginal response", "### İnstructions", "<İnstruction>", "<<ſYS>>", "KEEP_ORIGINAL", "### Criteria",
               "<Original>", "ſystem notes", "the ORİGİNAL answer", "<<3*4=12>>", "x < 5", "<< SYS >>",
               "rewrıtten response", "##  task type  :"]
    k = 0
    for m in markers:
        for a in [x["answer"] for x in g[:8]]:
            for cand in (a + "\n" + m, m + "\n" + a, a.replace("\n", "\n" + m + " ", 1)):
                for orig in (a, a + "\n" + m):
                    for opts in (plain, extra):
                        inp = CheckInput(task="default", instruction="Q?" if k % 2 else "Q? " + m, original=orig,
                                         candidate=cand)
                        f.write(verdict(inp, [], opts) + "\n")
                        k += 1
    if deferred:
        from realign.verify.audit import BATCH
        from realign.verify.registry import verify_candidates

        for key, items in deferred.items():
            for i in range(0, len(items), BATCH):
                part = items[i:i + BATCH]
                verdicts = verify_candidates([(inp, checks, None) for _, inp, checks in part], by_id[key])
                for (at, _, _), v in zip(part, verdicts):
                    lines[at] = v.model_dump_json()
    out.write_text("".join(x + "\n" for x in lines), encoding="utf-8")
    print(f"{n} inputs, {len(cases)} adversarial cases, {k} leak cases", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", type=Path, required=True, help="checkout of the code before (its realign/ is imported)")
    ap.add_argument("--thirdparty", type=Path, default=Path("/work/thirdparty/verify"))
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--batched", action="store_true", help="the new version verifies in batches (see above)")
    ap.add_argument("--dump", type=Path, help=argparse.SUPPRESS)  # the child's own output file
    args = ap.parse_args()
    if args.dump is not None:
        dump(args.dump, args.thirdparty, args.shared, args.batched)
        return
    if not args.thirdparty.is_dir():
        print(f"no third-party folder at {args.thirdparty}: nothing to compare")
        return
    if not args.shared.is_dir():
        print(f"no shared data at {args.shared}: the GSM8K pairs and most adversarial cases are left out (--shared)")
    with tempfile.TemporaryDirectory() as d:
        outs = []
        for label, code in (("base", args.base.resolve()), ("new", REPO)):
            out = Path(d) / f"{label}.jsonl"
            env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(code)}
            subprocess.run([sys.executable, str(Path(__file__).resolve()), "--base", str(args.base), "--thirdparty",
                            str(args.thirdparty), "--shared", str(args.shared), "--dump", str(out)]
                           + (["--batched"] if args.batched and label == "new" else []), check=True, env=env)
            outs.append(out.read_text(encoding="utf-8").splitlines())
    base, new = outs
    differ = [i for i, (a, b) in enumerate(zip(base, new)) if a != b]
    print(f"{len(base)} verdict lines (base) vs {len(new)} (new): {len(differ)} differ"
          + (f", first at lines {differ[:10]}" if differ else "") + ("" if len(base) == len(new) else "; lengths differ"))


if __name__ == "__main__":
    main()
