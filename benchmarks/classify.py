"""Figures of the task classifiers: dev-set accuracy, cascade effect, throughput, start-up.

    python benchmarks/classify.py [--n 20000] [--threshold 0.7] [--also LABELLED_FILE ...]

Prints:
- embedded top-1 and group accuracy on data/classify/dev.jsonl (written apart from the
  training data and never trained on), and the most frequent confusions; the same on real user
  instructions: the 400 hand-labelled Alpaca rows (labels in data/classify/alpaca_dev_labels.jsonl,
  text from ../shared/data/alpaca, skipped when absent) and any labelled file given with --also;
- for a range of thresholds: the share of rows the embedded model decides, its accuracy on
  them, and the accuracy of the cascade when the LLM is *simulated* by the local test server
  answering the gold label (an oracle: this bounds what a real model could add; it is not a
  real model's accuracy);
- instructions/s of the embedded classifier on a batch of N instructions (dev texts repeated
  with a counter so no two are identical), one process;
- start-up: seconds for a fresh `python -c` that imports the classifier and loads the model.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from realign.classify.cascade import DEFAULT_THRESHOLD, CascadeClassifier  # noqa: E402
from realign.classify.embedded import EmbeddedClassifier  # noqa: E402
from realign.classify.evaluate import read_labelled, read_line_labels, score  # noqa: E402
from realign.classify.llm import LLMClassifier  # noqa: E402

DEV = ROOT / "data" / "classify" / "dev.jsonl"
ALPACA_LABELS = ROOT / "data" / "classify" / "alpaca_dev_labels.jsonl"
ALPACA = ROOT.parent / "shared" / "data" / "alpaca" / "alpaca_dev_1000.jsonl"


def startup_seconds(runs: int = 3) -> float:
    code = "import realign.classify.embedded as e; e.EmbeddedClassifier.load().predict(['hello'])"
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
        best = min(best, time.perf_counter() - t0)
    return best


def simulated_cascade(texts: list[str], gold: list[str], threshold: float) -> tuple[list[str], int]:
    """Cascade predictions with the LLM simulated by a test server that answers the gold label."""
    from realign.llm.client import LLMClient, LLMSettings
    from realign.testing.openai_server import OpenAIServer, Reply, last_user_message

    by_text = dict(zip(texts, gold))
    model = EmbeddedClassifier.load()

    def respond(body: dict) -> Reply:
        user = last_user_message(body)
        start, end = user.index("<<<\n") + 4, user.rindex("\n>>>")
        return Reply(content=f'{{"task": "{by_text.get(user[start:end], "default")}"}}')

    async def go(url: str) -> list[str]:
        async with LLMClient(LLMSettings(base_url=url, model="oracle", max_attempts=1)) as client:
            cascade = CascadeClassifier(model, LLMClassifier(client, embedded=model), threshold)
            return [p.task for p in await cascade.classify(texts)]

    with OpenAIServer(respond) as srv:
        preds = asyncio.run(go(srv.base_url))
        return preds, srv.count


def accuracy_report(model: EmbeddedClassifier, name: str, texts: list[str], gold: list[str], threshold: float) -> None:
    """Embedded accuracy, confusions, and the cascade with an oracle LLM at several thresholds."""
    preds = model.predict(texts)
    s = score([p.task for p in preds], gold)
    print(f"\n== {name}: {s['n']} instructions")
    print(f"embedded: top-1 {s['accuracy']:.3f}  group {s['group_accuracy']:.3f}")
    print("top confusions (gold -> predicted):")
    for g, p, c in s["confusions"][:8]:
        print(f"  {c:3d}  {g} -> {p}")
    print("threshold  embedded-decides  its-accuracy  cascade(oracle LLM) top-1 / group  LLM requests")
    right = [p.task == g for p, g in zip(preds, gold)]
    for th in sorted({0.3, 0.5, 0.7, 0.8, threshold}):
        sel = [p.confidence >= th for p in preds]
        covered = sum(sel) / len(sel)
        acc_sel = sum(r for r, k in zip(right, sel) if k) / max(1, sum(sel))
        cas, asked = simulated_cascade(texts, gold, th)
        cs = score(cas, gold)
        print(f"  {th:.2f}     {covered:6.1%}           {acc_sel:6.1%}        {cs['accuracy']:.3f} / {cs['group_accuracy']:.3f}          {asked}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000, help="instructions in the throughput batch")
    ap.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    ap.add_argument("--also", nargs="*", default=[], help="more labelled files to score (any format `realign classify` reads)")
    args = ap.parse_args()

    t0 = time.perf_counter()
    model = EmbeddedClassifier.load()
    load_s = time.perf_counter() - t0
    print(f"model: {model.featurizer.unknown} features, {len(model.classes)} classes, "
          f"C={model.meta.get('C')}, temperature={model.temperature:.3f}, cv accuracy on train={model.meta.get('cv_accuracy')}")
    dev = read_labelled(DEV)
    sets = [("own dev set (data/classify/dev.jsonl)", dev.texts, dev.gold)]
    if ALPACA.is_file():
        real = read_line_labels(ALPACA_LABELS, ALPACA)
        sets.append(("real users: 400 hand-labelled Alpaca rows", real.texts, real.gold))
    else:
        print(f"(real-user Alpaca rows skipped: {ALPACA} not found)")
    for path in args.also:
        extra = read_labelled(Path(path))
        sets.append((str(path), extra.texts, extra.gold))
    for name, texts, gold in sets:
        accuracy_report(model, name, texts, gold, args.threshold)
    texts = [f"{dev.texts[i % len(dev.texts)]} ({i})" for i in range(args.n)]
    model.predict(texts[:500])  # warm
    t0 = time.perf_counter()
    model.predict(texts)
    dt = time.perf_counter() - t0
    avg = sum(map(len, texts)) / len(texts)
    print(f"\nthroughput: {args.n / dt:,.0f} instructions/s ({args.n} in {dt:.2f}s, one process, {avg:.0f} chars each on average)")
    long = [f"Summarize this report ({i}):\n\n" + " ".join(dev.texts[(i + j) % len(dev.texts)] for j in range(12)) for i in range(2000)]
    t0 = time.perf_counter()
    model.predict(long)
    dt = time.perf_counter() - t0
    avg = sum(map(len, long)) / len(long)
    print(f"long inputs: {len(long) / dt:,.0f} instructions/s ({avg:.0f} chars each on average; the classifier reads the first 700 and last 300)")
    print(f"load in this process: {load_s:.2f}s; start-up of a fresh process (import + load + 1 prediction): {startup_seconds():.2f}s")


if __name__ == "__main__":
    main()
