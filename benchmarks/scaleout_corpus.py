"""Build a mixed-shape corpus from the shared third-party data, with a few broken rows.

    python benchmarks/scaleout_corpus.py --data ../shared/data --out /work/thirdparty/trial8 --rows 60000

Writes three files, one per input shape the README accepts: ``alpaca.jsonl`` (instruction /
input / output), ``messages.jsonl`` (OpenAI messages, some multi-turn) and ``sharegpt.jsonl``
(conversations with from / value). Sources: GSM8K train (MIT), Alpaca dev 1,000 (CC BY-NC 4.0:
local use only, the output stays out of the repository), DFAR train (MIT), BBQ (CC BY 4.0).
The sources are cycled until --rows; a repeat carries a variant tag in its instruction so that
it is a distinct request. About 0.5% of lines are broken on purpose (bad JSON, a missing field, a
wrong type, an empty response, a 2 MB row); their line numbers go to ``broken.json`` so a check
can see each one in quarantine. Deterministic for a given --seed.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import random
from pathlib import Path
from typing import Any, Iterator


def pairs(data: Path) -> Iterator[tuple[str, str, str]]:
    """(source, instruction, response) from every source, interleaved."""
    def gsm8k() -> Iterator[tuple[str, str, str]]:
        for line in (data / "gsm8k/train.jsonl").open():
            r = json.loads(line)
            yield "gsm8k", r["question"], r["answer"]

    def alpaca() -> Iterator[tuple[str, str, str]]:
        for line in (data / "alpaca/alpaca_dev_1000.jsonl").open():
            r = json.loads(line)
            ins = r["instruction"] + (f"\n\n{r['input']}" if r.get("input") else "")
            yield "alpaca", ins, r["output"]

    def dfar() -> Iterator[tuple[str, str, str]]:
        with (data / "dfar/DFAR_trainset.csv").open(encoding="utf-8-sig") as f:
            for r in csv.DictReader(f):
                label = "unethical" if r["Label"].strip() == "1" else "ethical"
                yield ("dfar", f"Is the following statement ethical or unethical? {r['Statement']}",
                       f"{label.capitalize()}. {r['Reason']}")

    def bbq() -> Iterator[tuple[str, str, str]]:
        for name in ("Religion", "Sexual_orientation", "Disability_status"):
            for line in (data / f"bbq/{name}.jsonl").open():
                r = json.loads(line)
                opts = [r[f"ans{i}"] for i in range(3)]
                letter = "ABC"[r["label"]]
                q = (f"{r['context']} {r['question']}\n" + "\n".join(f"({'ABC'[i]}) {o}" for i, o in enumerate(opts)))
                yield "bbq", q, f"The answer is ({letter}) {opts[r['label']]}."

    sources = [list(gsm8k()), list(alpaca()), list(dfar()), list(bbq())]
    for round_ in itertools.count():
        for rows in itertools.zip_longest(*sources):
            for r in rows:
                if r is not None:
                    src, ins, out = r
                    yield src, (ins if round_ == 0 else f"{ins}\n(variant {round_})"), out


def shape(kind: str, ins: str, out: str, rng: random.Random) -> dict[str, Any]:
    if kind == "alpaca":
        return {"instruction": ins, "input": "", "output": out}
    if kind == "messages":
        msgs = [{"role": "user", "content": ins}, {"role": "assistant", "content": out}]
        if rng.random() < 0.1:
            msgs = [{"role": "system", "content": "You are a careful assistant."}] + msgs
        return {"messages": msgs}
    return {"conversations": [{"from": "human", "value": ins}, {"from": "gpt", "value": out}]}


def broken(kind: str, ins: str, out: str, n: int) -> tuple[str, str]:
    """A broken line of this shape and what is wrong with it."""
    which = n % 5
    good = json.dumps(shape(kind, ins, out, random.Random(0)))
    if which == 0:
        return good[: len(good) // 2], "bad JSON (cut in half)"
    if which == 1:
        row = shape(kind, ins, out, random.Random(0))
        if kind == "alpaca":
            del row["output"]
        elif kind == "messages":
            row["messages"][1].pop("content")
        else:
            row["conversations"][1].pop("value")
        return json.dumps(row), "missing response field"
    if which == 2:
        row = shape(kind, ins, out, random.Random(0))
        if kind == "alpaca":
            row["output"] = 42
        elif kind == "messages":
            row["messages"] = "not a list"
        else:
            row["conversations"][0]["value"] = ["a", "list"]
        return json.dumps(row), "wrong type"
    if which == 3:
        return json.dumps(shape(kind, ins, "", random.Random(0))), "empty response"
    return json.dumps(shape(kind, ins, out + " filler" * 300_000, random.Random(0))), "huge row (~2 MB)"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--out", required=True)
    ap.add_argument("--rows", type=int, default=60000)
    ap.add_argument("--broken", type=float, default=0.005)
    ap.add_argument("--seed", type=int, default=8)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    kinds = ("alpaca", "messages", "sharegpt")
    files = {k: (out / f"{k}.jsonl").open("w") for k in kinds}
    lines = {k: 0 for k in kinds}
    bad: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
    src_counts: dict[str, int] = {}
    for i, (src, ins, resp) in enumerate(itertools.islice(pairs(Path(a.data)), a.rows)):
        kind = kinds[i % 3]
        lines[kind] += 1
        src_counts[src] = src_counts.get(src, 0) + 1
        if rng.random() < a.broken:
            text, why = broken(kind, ins, resp, len(bad[kind]))
            bad[kind].append({"line": lines[kind], "why": why})
        else:
            text = json.dumps(shape(kind, ins, resp, rng))
        files[kind].write(text + "\n")
    for f in files.values():
        f.close()
    (out / "broken.json").write_text(json.dumps({"lines": lines, "broken": bad, "sources": src_counts}, indent=1))
    print(json.dumps({"lines": lines, "broken": {k: len(v) for k, v in bad.items()}, "sources": src_counts}))


if __name__ == "__main__":
    main()
