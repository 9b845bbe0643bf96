"""Model-written GSM8K test solutions with their source's own correctness label, as math rows of
`benchmarks/verify.py` (part 1).

    python benchmarks/thirdparty/gsm8k_solutions.py [--raw DIR] [--gsm8k FILE] [--out DIR]

Four sources, each read from what was transcribed under --raw (SOURCES.md beside this file says
which pages); none has a licence file, so the rows stay in --out (`/work/thirdparty/verify`):

- kojima (`kojima_gsm8k.jsonl`): the zero-shot-CoT and zero-shot logs of Kojima et al. (2022),
  text-davinci-002, `kojima/gsm8k_zero_shot_cot.log.page*` and `kojima/gsm8k_zero_shot.log.page*`.
  A record counts when the page shows it up to the separator pair that opens the next one. The
  candidate is the logged answer without the prompt's "Let's think step by step." (its "Therefore,
  the answer (arabic numerals) is N" line is kept: it is how the answer reads); the label is the
  log's `pred_after` equal to its `GT` as numbers. The log's extractor keeps the first number of
  the answer line, so a row labelled wrong whose answer line (`pred_before`) ends in the gold gets
  `label_suspect` ("1600*3.5 = $5600" for gold 5600).
- Plan-and-Solve (`ps_gsm8k.jsonl`): text-davinci-003 answers of Wang et al. (2023),
  `planandsolve/records_*.jsonl` (one record of the JSON array a line, fields as in the file); the
  label is the record's `ans`, the test index the number in its `ID` (temp_N), checked against the
  question's first 60 characters.
- shreyshahi (`shreyshahi_gsm8k.jsonl`): GPT-4o and GPT-4o-mini traces of shreyshahi/gsm8k-evals,
  `shreyshahi/basetechnique_<model>.jsonl` ({question, answer, response, is_correct}); the label is
  `is_correct`. These traces answer GSM8K *train* questions (the original is taken from the train
  file beside --gsm8k, `test_index` is the train line, `gsm8k_split` says so). A row whose label
  says wrong although the response's last number equals the gold (the repository's grader compares
  strings: "60.00" against "60") gets `label_suspect`, which `load_labelled` leaves out.
- ZeroEval (HELD OUT: measured, misses never read): JSON answers from yuchenlin/ZeroEval
  `result_dirs/gsm/<model>.json`, `zeroeval/held/<model>.jsonl` (source `zeroeval_gsm8k`) and
  `zeroeval/fresh/<model>.jsonl` (`zeroeval_gsm8k_fresh`), {id, generator, output, answer}; the output
  is the list's one element, trailing `</s>` tokens left out. The file stores no label: a row is right
  when the number in the output's last JSON `answer` field (currency signs, thousands commas and units
  dropped) equals GSM8K's gold; an output with no answer field (cut off) is wrong.

The original of every row is GSM8K's own solution of the question (--gsm8k, the MIT test file),
found by the question's text with its spaces normalised (Plan-and-Solve: by its test index); a
question not found stops the build.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

KOJIMA_RECORD = re.compile(
    r"^(\d+)st data\n\d+_th_sampling\nQ: (?P<q>[^\n]*)\nA: (?P<a>.*?)\npred_before :(?P<before>.*?)\npred_after : (?P<pred>[^\n]*)\n"
    r".*?GT : (?P<gt>[^\n]*)\n\*{25}\n\*{25}\n", re.S | re.M)
TRIGGER = "Let's think step by step."
NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def norm(text: str) -> str:
    return " ".join(text.split())


def gsm8k_index(path: Path) -> dict[str, tuple[int, dict]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {norm(r["question"]): (i, r) for i, r in enumerate(rows)}


def lookup(index: dict[str, tuple[int, dict]], question: str, where: str) -> tuple[int, dict]:
    hit = index.get(norm(question))
    if hit is None:
        raise SystemExit(f"{where}: question not in the GSM8K test file: {question[:80]!r}")
    return hit


def gold_of(solution: str) -> str:
    return solution.rsplit("####", 1)[1].strip().replace(",", "")


def row(source: str, model: str, question: str, test: tuple[int, dict], candidate: str, same: bool, note: str,
        **extra: object) -> dict:
    i, g = test
    return {"source": source, "kind": "math", "instruction": question, "original": g["answer"],
            "candidate": candidate, "same_answer": same, "gold": gold_of(g["answer"]), "model": model,
            "note": note, "test_index": i, **extra}


def same_number(pred: str, gt: str) -> bool:
    """The log's pred_after against its GT as numbers ("10,800" is 10800); an empty pred is wrong."""
    try:
        return float(pred.replace(",", "")) == float(gt.replace(",", ""))
    except ValueError:
        return False


def kojima_rows(folder: Path, index: dict) -> list[dict]:
    out = []
    pages = [(p, "zero-shot-CoT") for p in sorted(folder.glob("gsm8k_zero_shot_cot.log.page*"))]
    pages += [(p, "zero-shot") for p in sorted(folder.glob("gsm8k_zero_shot.log.page*"))]
    for page, method in pages:
        for m in KOJIMA_RECORD.finditer(page.read_text(encoding="utf-8")):
            answer = m["a"].strip()
            if answer.startswith(TRIGGER):
                answer = answer[len(TRIGGER):].strip()
            pred, gt = m["pred"].strip(), m["gt"].strip()
            same = same_number(pred, gt)
            extra = {}
            # the log's extractor keeps the first number of the answer line; "1600*3.5 = $5600" is scored
            # 1600 against GT 5600 although the line ends in the gold
            if not same and last_number(m["before"]) == float(gt.replace(",", "")):
                extra["label_suspect"] = True
            out.append(row("kojima_gsm8k", "text-davinci-002", m["q"].strip(), lookup(index, m["q"], page.name),
                           answer, same,
                           f"{method} log record {m.group(1)}; label = the log's pred_after ({pred}) == GT ({gt})",
                           log_index=int(m.group(1)), **extra))
    return out


def ps_rows(folder: Path, index: dict) -> list[dict]:
    out = []
    for path in sorted(folder.glob("records_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            # the ID is the test item; the file's copy of a question may differ in its last character
            # (temp_30 ends in "?" where GSM8K has "."), so the ID is checked, not looked up
            number = int(r["ID"].removeprefix("temp_"))
            test = next((t for t in index.values() if t[0] == number), None)
            if test is None or norm(test[1]["question"])[:60] != norm(r["question"])[:60]:
                raise SystemExit(f"{r['ID']}: not GSM8K test item {number}")
            out.append(row("ps_gsm8k", "text-davinci-003", r["question"], test, r["chain-of-thought"].strip(),
                           bool(r["ans"]), f"Plan-and-Solve zero-shot {r['ID']}; label = the file's ans "
                           f"(pred {r['pred']} vs answer {r['answer']})", parsed_pred=r["pred"]))
    return out


def last_number(text: str) -> float | None:
    nums = NUMBER.findall(text)
    return float(nums[-1].replace(",", "")) if nums else None


def shreyshahi_rows(folder: Path, train: dict) -> list[dict]:
    out = []
    for model in ("gpt_4o", "gpt_4o_mini"):
        path = folder / f"basetechnique_{model}.jsonl"
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            # these traces answer GSM8K *train* questions: the train file is their reference
            test = lookup(train, r["question"], path.name)
            extra = {"gsm8k_split": "train"}
            if norm(test[1]["answer"]) != norm(r["answer"]):
                raise SystemExit(f"{path.name}: the trace's reference is not GSM8K's solution: {r['question'][:60]!r}")
            if not r["is_correct"] and last_number(r["response"]) == float(gold_of(r["answer"])):
                extra["label_suspect"] = True
            out.append(row("shreyshahi_gsm8k", model.replace("_", "-"), r["question"], test, r["response"],
                           bool(r["is_correct"]), "basetechnique trace; label = the file's is_correct", **extra))
    return out


ANSWER_FIELD = re.compile(r'"answer"\s*:\s*"([^"]*)"')


def zeroeval_label(output: str, gold: str) -> bool | None:
    """The number in the output's last JSON `answer` field against the gold; None when there is none."""
    fields = ANSWER_FIELD.findall(output)
    nums = NUMBER.findall(fields[-1].replace("$", "")) if fields else []
    return float(nums[0].replace(",", "")) == float(gold) if nums else None


ZEROEVAL_SPLITS = {"held": "zeroeval_gsm8k", "fresh": "zeroeval_gsm8k_fresh"}


def zeroeval_rows(folder: Path, index: dict) -> list[dict]:
    out = []
    for path in sorted(p for split in ZEROEVAL_SPLITS for p in (folder / split).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            number = int(r["id"].rsplit("#", 1)[1])
            test = next((t for t in index.values() if t[0] == number), None)
            if test is None or gold_of(test[1]["answer"]) != r["answer"].lstrip("# ").strip():
                raise SystemExit(f"{path.name} {r['id']}: not GSM8K test item {number}")
            label = zeroeval_label(r["output"], r["answer"].lstrip("# "))
            out.append(row(ZEROEVAL_SPLITS[path.parent.name], r["generator"].split("/")[-1], test[1]["question"], test,
                           r["output"], bool(label), "ZeroEval JSON answer; label = the number in its answer field == "
                           "GSM8K's gold" + ("" if label is not None else " (no answer field: wrong)")))
    return out


def write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} rows ({sum(r['same_answer'] for r in rows)} labelled right, "
          f"{sum(bool(r.get('label_suspect')) for r in rows)} label_suspect) -> {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--raw", type=Path, default=Path("/work/thirdparty/raw"))
    ap.add_argument("--gsm8k", type=Path, default=Path("/work/shared/data/gsm8k/test.jsonl"))
    ap.add_argument("--out", type=Path, default=Path("/work/thirdparty/verify"))
    args = ap.parse_args()
    test, train = gsm8k_index(args.gsm8k), gsm8k_index(args.gsm8k.with_name("train.jsonl"))
    for name, build, folder, index in (("kojima_gsm8k", kojima_rows, "kojima", test),
                                       ("ps_gsm8k", ps_rows, "planandsolve", test),
                                       ("shreyshahi_gsm8k", shreyshahi_rows, "shreyshahi", train),
                                       ("zeroeval_gsm8k", zeroeval_rows, "zeroeval", test)):
        rows = build(args.raw / folder, index)
        # one file per source name (ZeroEval's batches are sources of their own: held, fresh)
        for source in sorted({r["source"] for r in rows}):
            write(args.out / f"{source}.jsonl", [r for r in rows if r["source"] == source])
        if not rows:
            print(f"(no {name} rows: nothing transcribed under {args.raw / folder})")


if __name__ == "__main__":
    main()
