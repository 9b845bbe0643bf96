"""Figures of the task classifiers: per-source accuracy, system-turn flips, speed, start-up.

    python benchmarks/classify.py [--model DIR] [--n 20000] [--cascade] [--also LABELLED_FILE ...]

Sources (each scored on its own; none is used for training or tuning unless said so):

| source | labels by | licence | where |
|---|---|---|---|
| GSM8K test questions (1,319) | the data set: every row is a math word problem -> `math_puzzles` | MIT | ../shared/data/gsm8k/test.jsonl |
| Dolly sample (200 records) | Databricks employees' own 8 categories, mapped to our groups (below) | CC BY-SA 3.0, kept outside the repo | /work/thirdparty/routing/dolly_sample.jsonl |
| MT-bench first turns (40 of 80 scored) | the benchmark's own categories: roleplay -> `roleplay`, math -> `math_puzzles`, coding -> Code group, extraction -> Extraction group | Apache-2.0, in the repo | data/classify/heldout/mt_bench_first_turns.jsonl |
| Vicuna bench questions (20 of 80 scored) | the benchmark's own categories: roleplay, math, coding as above | Apache-2.0, in the repo | data/classify/heldout/vicuna_bench_questions.jsonl |
| WizardLM test set subset (146 of 218 rows; 52 scored) | the set's own per-row "Skill": Math -> `math_puzzles`, Roleplay -> `roleplay` (top-1), Code Generation / Code Debug -> Code group; the 94 domain-skill rows (History, Law, Music ...) give the share labelled `math_puzzles` | research only, no licence file; kept outside the repo; a DEV set (its misses were studied) | /work/thirdparty/routing/wizardlm_subset.jsonl |
| Alpaca rows (400) | this project (hand labels in data/classify/alpaca_dev_labels.jsonl): text third-party, labels ours | text CC BY-NC 4.0, outside the repo | ../shared/data/alpaca/alpaca_dev_1000.jsonl |
| own dev set | this project, written apart from training: a smoke test, not evidence | repo | data/classify/dev.jsonl |

GSM8K *train* questions are part of the training data (see `realign.classify.train`); only the
test split is measured here. Dolly's categories are never trained on (measured only); nor are
the MT-bench and Vicuna questions (data/classify/heldout/SOURCE.md says which categories are
scored and why the others are not; all 160 first turns feed the system-turn flip rate).

Dolly's categories map onto our groups as: open_qa, general_qa, closed_qa -> Conversation;
classification -> Classification; brainstorming -> Brainstorming; creative_writing -> Generation;
information_extraction -> Extraction; summarization -> Summarization. Top-1 is scored only where
Dolly's name is one of our task names (open_qa, closed_qa, information_extraction).

Prints, per source: top-1 and group accuracy of the embedded classifier, and how GSM8K is read by
`realign rewrite` (its reader builds the conversation; the classifier sees `classification_text`).
Then the system-turn flip rate: each third-party request as a chat row with and without a generic
system turn, both through the readers and `classification_text` as `rewrite` does, the share of
rows whose label differs. The share of a cascade run's prompt tokens that classification takes
(estimated on the Alpaca rows, then measured on a real `realign rewrite --classifier cascade` of
them against the local test server). Then instructions/s and start-up of a fresh process. With `--cascade`,
also the cascade with a simulated (oracle) LLM on the labelled sets, a bound, not a real model.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from realign.classify.base import classification_text  # noqa: E402
from realign.classify.cascade import DEFAULT_THRESHOLD, CascadeClassifier  # noqa: E402
from realign.classify.embedded import MODEL_ENV, EmbeddedClassifier  # noqa: E402
from realign.classify.evaluate import FASTCHAT_FILES, read_fastchat, read_labelled, read_line_labels, score  # noqa: E402
from realign.classify.llm import LLMClassifier  # noqa: E402
from realign.io.readers import read_examples  # noqa: E402
from realign.records import BadRow  # noqa: E402
from realign.tasks import group_of  # noqa: E402

DEV = ROOT / "data" / "classify" / "dev.jsonl"
ALPACA_LABELS = ROOT / "data" / "classify" / "alpaca_dev_labels.jsonl"
SHARED = ROOT.parent / "shared" / "data"
ALPACA = SHARED / "alpaca" / "alpaca_dev_1000.jsonl"
GSM8K_TEST = SHARED / "gsm8k" / "test.jsonl"
DOLLY = Path("/work/thirdparty/routing/dolly_sample.jsonl")
WIZARDLM = Path("/work/thirdparty/routing/wizardlm_subset.jsonl")  # made by make_wizardlm_subset.py beside it
WIZARDLM_TASK = {"Math": "math_puzzles", "Roleplay": "roleplay"}
WIZARDLM_GROUP = {"Math": "Specialized educational dialog", "Roleplay": "Conversation", "Code Generation": "Code", "Code Debug": "Code"}
DOLLY_GROUP = {
    "open_qa": "Conversation", "general_qa": "Conversation", "closed_qa": "Conversation",
    "classification": "Classification", "brainstorming": "Brainstorming", "creative_writing": "Generation",
    "information_extraction": "Extraction", "summarization": "Summarization",
}
SYSTEM_TURNS = (
    "You are a helpful assistant.",
    "You are a helpful, respectful and honest assistant. Always answer as helpfully as possible, while being safe.",
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.",
)


@dataclass
class Source:
    name: str
    texts: list[str]
    gold_task: list[str | None]  # None: no task-level gold for that row
    gold_group: list[str]
    categories: list[str] | None = None  # the source's own category per row, for a breakdown


def _group(task: str) -> str | None:
    try:
        return group_of(task)
    except ValueError:
        return None


def task_source(name: str, texts: list[str], gold: list[str]) -> Source:
    return Source(name, texts, list(gold), [_group(g) or "?" for g in gold])


def gsm8k_rows(limit: int | None = None) -> list[dict]:
    rows = [json.loads(line) for line in GSM8K_TEST.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows[:limit] if limit else rows


def gsm8k_sources() -> list[Source]:
    """GSM8K test as `realign classify` reads it (raw rows) and as `realign rewrite` does (Examples)."""
    rows = gsm8k_rows()
    gold = ["math_puzzles"] * len(rows)
    classify_texts = read_labelled(GSM8K_TEST, gold_field=None).texts
    rewrite_texts = [classification_text(ex.turns) for ex in read_examples(str(GSM8K_TEST))]
    return [
        task_source("GSM8K test, as `realign classify` reads it", classify_texts, gold),
        task_source("GSM8K test, as `realign rewrite` reads it", rewrite_texts, gold),
    ]


def dolly_source() -> Source:
    data = read_labelled(DOLLY, gold_field="category")
    ours = {"open_qa", "closed_qa", "information_extraction"}
    return Source("Dolly sample (Databricks categories -> our groups)", data.texts,
                  [g if g in ours else None for g in data.gold], [DOLLY_GROUP[g] for g in data.gold], list(data.gold))


def wizardlm_sources() -> tuple[Source, list[str]]:
    """(the scored WizardLM rows, the domain-skill requests): a dev set whose misses were studied."""
    rows = [json.loads(line) for line in WIZARDLM.read_text(encoding="utf-8").splitlines() if line.strip()]
    scored = [r for r in rows if r["skill"] in WIZARDLM_GROUP]
    domain = [r["instruction"] for r in rows if r["skill"] not in WIZARDLM_GROUP]
    src = Source("WizardLM test subset (dev; its own skills)", [r["instruction"] for r in scored],
                 [WIZARDLM_TASK.get(r["skill"]) for r in scored], [WIZARDLM_GROUP[r["skill"]] for r in scored],
                 [r["skill"] for r in scored])
    return src, domain


def report(model: EmbeddedClassifier, src: Source) -> dict:
    preds = [p.task for p in model.predict(src.texts)]
    scored = [(p, g) for p, g in zip(preds, src.gold_task) if g is not None]
    top1 = sum(p == g for p, g in scored) / len(scored) if scored else None
    group = sum(_group(p) == g for p, g in zip(preds, src.gold_group)) / len(preds)
    misses: dict[tuple[str, str], int] = {}
    for p, g in zip(preds, src.gold_group):
        if _group(p) != g:
            misses[(g, p)] = misses.get((g, p), 0) + 1
    top = sorted(misses.items(), key=lambda kv: -kv[1])[:6]
    t1 = f"{top1:.3f} (n={len(scored)})" if top1 is not None else "-"
    print(f"{src.name:<52} n={len(preds):5d}  top-1 {t1:<16} group {group:.3f}")
    if src.categories:
        per: dict[str, list[int]] = {}
        for p, g, c in zip(preds, src.gold_group, src.categories):
            per.setdefault(c, [0, 0])
            per[c][0] += _group(p) == g
            per[c][1] += 1
        print("      group accuracy per source category: " + "; ".join(f"{c} {r}/{n}" for c, (r, n) in per.items()))
    if top:
        print("      most frequent group misses (gold group -> predicted task): "
              + "; ".join(f"{g} -> {p} x{c}" for (g, p), c in top))
    return {"top1": top1, "group": group, "preds": preds}


def flip_rate(model: EmbeddedClassifier, requests: list[str]) -> tuple[float, int]:
    """Share of requests whose label changes when a generic system turn is added (each of
    SYSTEM_TURNS in turn), read through the messages reader and `classification_text` as
    `realign rewrite` reads a chat file."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chat.jsonl"

        def labels(system: str | None) -> list[str]:
            with open(path, "w", encoding="utf-8") as fh:
                for r in requests:
                    msgs = ([{"role": "system", "content": system}] if system else []) + [
                        {"role": "user", "content": r}, {"role": "assistant", "content": "(answer)"}]
                    fh.write(json.dumps({"messages": msgs}) + "\n")
            texts = [classification_text(ex.turns) for ex in read_examples(str(path))]
            return [p.task for p in model.predict(texts)]

        bare = labels(None)
        flips = total = 0
        for system in SYSTEM_TURNS:
            other = labels(system)
            flips += sum(a != b for a, b in zip(bare, other))
            total += len(bare)
    return flips / total, total


def classification_token_share(model: EmbeddedClassifier, threshold: float) -> None:
    """Share of a cascade run's prompt tokens spent on classification, estimated offline on the
    1,000 Alpaca rows: the rows below `threshold` send one classification request each; every
    row whose (embedded) task is rewritten sends one rewrite request per assistant turn (feedback
    retries not counted, which overstates the share). Tokens by the Llama-2 tokenizer when the
    embeddings extra is installed, else 4 characters a token."""
    from realign.rewrite import build_messages
    from realign.tasks import load_tasks

    try:  # the Llama-2 tokenizer of the optional embeddings extra, else 4 characters a token
        from realign.classify.static_embedding import StaticEmbedder

        tok = StaticEmbedder.load().tokenizer
        count = lambda msgs: sum(len(tok.encode(m["content"]).ids) for m in msgs)  # noqa: E731
    except Exception:  # noqa: BLE001
        count = lambda msgs: sum(len(m["content"]) for m in msgs) // 4  # noqa: E731
    tasks = load_tasks()
    llm = LLMClassifier(None, embedded=model)
    cascade = CascadeClassifier(model, llm, threshold)
    examples = [ex for ex in read_examples(str(ALPACA)) if not isinstance(ex, BadRow)]
    texts = [classification_text(ex.turns) for ex in examples]
    preds = model.predict(texts)
    cls_tokens = rewrite_tokens = asked = 0
    for ex, text, pred in zip(examples, texts, preds):
        if pred.confidence < threshold:
            asked += 1
            cls_tokens += count(llm.messages(text, cascade.candidates(text)))
        spec = tasks[pred.task]
        if spec.rewrite:
            for i in ex.assistant_indices():
                rewrite_tokens += count(build_messages(spec, ex, i))
    share = cls_tokens / (cls_tokens + rewrite_tokens)
    print(f"\ncascade cost on {len(examples)} Alpaca rows at threshold {threshold}: {asked} classification requests, "
          f"{cls_tokens / max(asked, 1):,.0f} prompt tokens each; classification = {share:.1%} of the run's prompt tokens "
          f"({cls_tokens:,} of {cls_tokens + rewrite_tokens:,})")


def measured_token_share(model_dir: Path | None = None) -> None:
    """The same share measured on a real run: `realign rewrite --classifier cascade` on the 1,000
    Alpaca rows against the local test server (`--mode realign`, which answers the classification
    and rewrite requests), then every stored request of the run counted: by the server's token
    count (words) and by characters of the messages sent. Feedback retries are included here.
    `model_dir` is the embedded model the run uses (its confidence decides what the LLM is asked)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import duckdb
    from throughput import Server

    srv = Server(0.0)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "cascade.duckdb"
            proc = subprocess.run([sys.executable, "-m", "realign.cli", "rewrite", "--in", str(ALPACA), "--db", str(db),
                                   "--model", "m", "--base-url", srv.url, "--classifier", "cascade", "--json", "-q"], capture_output=True, text=True, cwd=ROOT,
                                  env={**os.environ, **({MODEL_ENV: str(model_dir)} if model_dir else {})})
            if proc.returncode != 0:
                print(f"(measured cascade run failed: {proc.stderr.strip()[-300:]})")
                return
            con = duckdb.connect(str(db), read_only=True)
            texts = dict(con.execute("SELECT sha256, text FROM texts").fetchall())
            tokens: dict[str, int] = {}
            chars: dict[str, int] = {}
            for kind, request, prompt_tokens in con.execute("SELECT kind, request, prompt_tokens FROM llm_calls").fetchall():
                for m in json.loads(request)["messages"]:
                    c = m["content"]
                    chars[kind] = chars.get(kind, 0) + len(texts[c["$text"]] if isinstance(c, dict) else c)
                tokens[kind] = tokens.get(kind, 0) + (prompt_tokens or 0)
            con.close()
    finally:
        srv.close()
    share = lambda d: d.get("classify", 0) / max(sum(d.values()), 1)  # noqa: E731
    print(f"measured on a real cascade run (realign rewrite against the test server, threshold {DEFAULT_THRESHOLD}): "
          f"{', '.join(f'{k} {v:,}' for k, v in sorted(tokens.items()))} prompt tokens (server word count); "
          f"classification = {share(tokens):.1%} of them, {share(chars):.1%} of the prompt characters")


def startup_seconds(model_dir: Path | None = None, runs: int = 3) -> float:
    arg = repr(str(model_dir)) if model_dir else ""
    code = f"import realign.classify.embedded as e; e.EmbeddedClassifier.load({arg}).predict(['hello'])"
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
        best = min(best, time.perf_counter() - t0)
    return best


def simulated_cascade(model: EmbeddedClassifier, texts: list[str], gold: list[str], threshold: float) -> tuple[list[str], int]:
    """Cascade predictions with the LLM simulated by a test server that answers the gold label."""
    from realign.llm.client import LLMClient, LLMSettings
    from realign.testing.openai_server import OpenAIServer, Reply, last_user_message

    by_text = dict(zip(texts, gold))

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


def cascade_report(model: EmbeddedClassifier, name: str, texts: list[str], gold: list[str], threshold: float) -> None:
    preds = model.predict(texts)
    print(f"\n== cascade with an oracle LLM: {name}")
    print("threshold  embedded-decides  its-accuracy  cascade(oracle LLM) top-1 / group  LLM requests")
    right = [p.task == g for p, g in zip(preds, gold)]
    for th in sorted({0.3, 0.5, 0.7, 0.8, threshold}):
        sel = [p.confidence >= th for p in preds]
        covered = sum(sel) / len(sel)
        acc_sel = sum(r for r, k in zip(right, sel) if k) / max(1, sum(sel))
        cas, asked = simulated_cascade(model, texts, gold, th)
        cs = score(cas, gold)
        print(f"  {th:.2f}     {covered:6.1%}           {acc_sel:6.1%}        {cs['accuracy']:.3f} / {cs['group_accuracy']:.3f}          {asked}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path, default=None, help="model folder to measure (default: the shipped one)")
    ap.add_argument("--n", type=int, default=20000, help="instructions in the throughput batch")
    ap.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    ap.add_argument("--cascade", action="store_true", help="also simulate the cascade with an oracle LLM")
    ap.add_argument("--also", nargs="*", default=[], help="more labelled files to score (any format `realign classify` reads)")
    args = ap.parse_args()

    t0 = time.perf_counter()
    model = EmbeddedClassifier.load(args.model)
    load_s = time.perf_counter() - t0
    kind = "n-gram + " + model.meta["dense"]["name"] if model.meta.get("dense") else "n-gram"
    print(f"model: {kind} features, {len(model.classes)} classes, "
          f"C={model.meta.get('C')}, temperature={model.temperature:.3f}, cv accuracy on train={model.meta.get('cv_accuracy')}")
    dev = read_labelled(DEV)
    sources: list[Source] = []
    third_party: list[str] = []
    if GSM8K_TEST.is_file():
        sources += gsm8k_sources()
        third_party += sources[-1].texts
    else:
        print(f"(GSM8K skipped: {GSM8K_TEST} not found)")
    if DOLLY.is_file():
        sources.append(dolly_source())
        third_party += sources[-1].texts
    else:
        print(f"(Dolly skipped: {DOLLY} not found; see the README on how it was made)")
    wizard_domain: list[str] = []
    if WIZARDLM.is_file():
        wizard, wizard_domain = wizardlm_sources()
        sources.append(wizard)
        third_party += wizard.texts + wizard_domain
    else:
        print(f"(WizardLM dev subset skipped: {WIZARDLM} not found)")
    for name, path in FASTCHAT_FILES.items():
        held = read_fastchat(path)
        sources.append(Source(f"{name} (FastChat categories)", held.texts, held.gold_task, held.gold_group, held.categories))
        third_party += held.every_text
    if ALPACA.is_file():
        real = read_line_labels(ALPACA_LABELS, ALPACA)
        sources.append(task_source("Alpaca rows (text third-party, labels ours)", real.texts, real.gold))
        third_party += real.texts
    else:
        print(f"(Alpaca rows skipped: {ALPACA} not found)")
    sources.append(task_source("own dev set (smoke test)", dev.texts, dev.gold))
    for path in args.also:
        extra = read_labelled(Path(path))
        sources.append(task_source(str(path), extra.texts, extra.gold))
    print("\n== embedded classifier, per source")
    for src in sources:
        report(model, src)
    if wizard_domain:
        hits = sum(p.task == "math_puzzles" for p in model.predict(wizard_domain))
        print(f"WizardLM domain-skill requests (history, law, music ...) labelled math_puzzles: {hits} of {len(wizard_domain)}")
    if third_party:
        rate, n = flip_rate(model, third_party)
        print(f"\nsystem-turn flips: {rate:.2%} of {n} (request x generic system turn) pairs change label "
              f"({len(third_party)} third-party requests x {len(SYSTEM_TURNS)} system turns, read as `realign rewrite` reads a chat file)")
    if ALPACA.is_file():
        classification_token_share(model, args.threshold)
        measured_token_share(args.model)
    if args.cascade:
        for src in sources:
            if all(g is not None for g in src.gold_task):
                cascade_report(model, src.name, src.texts, [str(g) for g in src.gold_task], args.threshold)
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
    print(f"long inputs: {len(long) / dt:,.0f} instructions/s ({avg:.0f} chars each on average)")
    print(f"load in this process: {load_s:.2f}s; start-up of a fresh process (import + load + 1 prediction): {startup_seconds(args.model):.2f}s")


if __name__ == "__main__":
    main()
