"""The trust audit's scorers against labelled third-party data, and the audit of a scripted run
(printed, not asserted).

    .venv/bin/python benchmarks/audit.py [--shared DIR] [--thirdparty DIR] [--rows N]

1. Toxicity lexicon (realign/trust/toxicity.py) on tweets labelled by crowd workers (Davidson et
   al. 2017, MIT; `tests/fixtures/trust/davidson_slice.csv`, 319 tweets): precision, recall and F1
   of "toxic" = hate speech or offensive. The lexicon was committed before this data was read.
   Also the share of Stanford Alpaca answers it flags (unlabelled, CC BY-NC, read from --shared,
   never committed): how often it fires on ordinary instruction data; and, when --thirdparty holds
   `ethos/*.csv` (ETHOS, Mollas et al. 2020; no licence file in its repository, so never
   committed), the share of comments labelled "not hate speech" that it flags, by entry; and on
   held-out ETHOS windows (`ethos_heldout/*.csv`, read only after both scorers were last changed)
   the toxicity lexicon and the group-generalisation patterns (realign/trust/bias.py).
2. Moral-judgement reader (realign/trust/ethics.py) on DFAR's human-written reasons (MIT, the
   500-statement test split in --shared): how often it reads a judgement, and how often the one it
   reads is the statement's label. A flip is two readings that differ, so this is the flip
   check's accuracy per side.
3. Stereotype picks (realign/trust/bias.py) on BBQ (CC BY 4.0, --shared): for each ambiguous item,
   an original giving BBQ's correct "unknown" answer and a rewrite giving the biased answer
   (the stereotyped group for a negative question) must be flagged; the same original with the
   correct answer restated must not; disambiguated items with their correct answer kept must not.
4. PII recognisers (realign/trust/pii.py) on presidio-research's labelled synthetic sentences
   (`presidio_synth_slice.jsonl` in --trust-data, built by benchmarks/thirdparty/presidio_synth.py;
   its fake identities are the Fake Name Generator's, CC BY-SA 3.0 US, so never committed): per kind that realign claims, recall on the labelled
   spans and precision of what it finds, and the kinds it does not claim (names, places, dates ...)
   counted, not scored. False alarms on text without personal data: GSM8K test solutions (MIT,
   --shared; every one, numbers, money and dates galore) and the share of Stanford Alpaca answers
   with any finding. The dev records and the even GSM8K solutions by default; `--pii-held` measures
   the held-out records and the odd solutions instead (totals only: their misses are not listed).
5. A run against the scripted server (real HTTP, real DuckDB) that plants personal data, toxic
   sentences and flipped moral judgements in 5% of rewrites (realign.testing.responders.Injector):
   recall and precision of `realign audit` on the planted cases, and the audit's speed.

Missing inputs are skipped with a message. `--only pii` runs part 4 alone; `--list-misses` prints
the dev misses and false alarms of part 4.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from realign.trust import bias, ethics, pii, toxicity

REPO = Path(__file__).resolve().parent.parent
DAVIDSON = REPO / "tests" / "fixtures" / "trust" / "davidson_slice.csv"
ETHICS = REPO / "tests" / "fixtures" / "trust" / "ethics_cm_slice.jsonl"


def prf(tp: int, fp: int, fn: int) -> str:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return f"precision {p:.3f} recall {r:.3f} F1 {f:.3f}"


def ethos_part(thirdparty: Path) -> None:
    files = sorted((thirdparty / "ethos").glob("*.csv"))
    if not files:
        print(f"(skipped: no {thirdparty / 'ethos'}/*.csv, the ETHOS comments)")
        return
    rows = [r for f in files for r in csv.DictReader(f.open(encoding="utf-8"), delimiter=";")]
    clean = [r for r in rows if float(r["isHate"]) < 0.5]
    hate = [r for r in rows if float(r["isHate"]) >= 0.5]
    flagged = [toxicity.hits(r["comment"]) for r in clean]
    entries: dict[str, int] = {}
    for hs in flagged:
        for h in hs:
            entries[h.entry] = entries.get(h.entry, 0) + 1
    n = sum(bool(h) for h in flagged)
    print(f"ETHOS comments labelled not hate speech: {n} of {len(clean)} flagged ({n / max(len(clean), 1):.1%}); "
          f"by entry: {', '.join(f'{k} {v}' for k, v in sorted(entries.items(), key=lambda x: -x[1]))}")
    if hate:
        caught = sum(toxicity.is_toxic(r["comment"]) for r in hate)
        print(f"ETHOS comments labelled hate speech: {caught} of {len(hate)} flagged ({caught / len(hate):.1%}); "
              f"the two windows together, hate = positive: {prf(caught, n, len(hate) - caught)}")


def ethos_heldout_part(thirdparty: Path) -> None:
    """ETHOS windows read only after the lexicon and the generalisation patterns were last changed."""
    files = sorted((thirdparty / "ethos_heldout").glob("*.csv"))
    if not files:
        print(f"(skipped: no {thirdparty / 'ethos_heldout'}/*.csv, the held-out ETHOS windows)")
        return
    rows = [r for f in files for r in csv.DictReader(f.open(encoding="utf-8"), delimiter=";")]
    for label, sub in (("hate (isHate >= 0.5)", [r for r in rows if float(r["isHate"]) >= 0.5]),
                       ("not hate", [r for r in rows if float(r["isHate"]) < 0.5])):
        tox = sum(toxicity.is_toxic(r["comment"]) for r in sub)
        gen = sum(bool(bias.generalisations(r["comment"])) for r in sub)
        print(f"held-out ETHOS, {label}: {len(sub)} comments; toxicity lexicon flags {tox} ({tox / max(len(sub), 1):.1%}), "
              f"generalisation patterns flag {gen} ({gen / max(len(sub), 1):.1%})")


def toxicity_part(shared: Path) -> None:
    print("== 1. toxicity lexicon vs Davidson et al. (2017) crowd labels (MIT) ==")
    rows = list(csv.DictReader(DAVIDSON.open(encoding="utf-8")))
    tp = fp = fn = tn = 0
    by_class = {"0": [0, 0], "1": [0, 0], "2": [0, 0]}
    for r in rows:
        y, p = r["class"] != "2", toxicity.is_toxic(r["tweet"])
        by_class[r["class"]][0] += 1
        by_class[r["class"]][1] += p
        tp, fp, fn, tn = tp + (y and p), fp + (not y and p), fn + (y and not p), tn + (not y and not p)
    print(f"{len(rows)} tweets ({tp + fn} hate or offensive, {fp + tn} neither): {prf(tp, fp, fn)} "
          f"(tp {tp} fp {fp} fn {fn} tn {tn})")
    for c, name in (("0", "hate speech"), ("1", "offensive"), ("2", "neither")):
        n, flagged = by_class[c]
        print(f"  {name:<12} {n:>4} tweets, flagged {flagged} ({flagged / n:.1%})" if n else f"  {name}: none")
    alpaca = shared / "alpaca" / "alpaca_dev_1000.jsonl"
    if not alpaca.is_file():
        print(f"(skipped: {alpaca} not found, the flag rate on instruction data)")
        return
    items = [json.loads(line) for line in alpaca.read_text(encoding="utf-8").splitlines() if line.strip()]
    flagged = [(i, toxicity.hits(it["output"])) for i, it in enumerate(items)]
    flagged = [(i, h) for i, h in flagged if h]
    print(f"Stanford Alpaca answers (unlabelled, CC BY-NC): {len(flagged)} of {len(items)} flagged "
          f"({len(flagged) / len(items):.1%}); entries: "
          + ", ".join(sorted({h.entry for _, hs in flagged for h in hs})))


def ethics_part(shared: Path) -> None:
    print("\n== 2. moral-judgement reader vs DFAR human reasons (MIT) ==")
    path = shared / "dfar" / "DFAR_testset.csv"
    if not path.is_file():
        print(f"(skipped: {path} not found)")
        return
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    read = right = 0
    for r in rows:
        j = ethics.judgement(r["Reason"])
        if len(j) == 1:
            read += 1
            right += j[0] == ("wrong" if r["Label"] == "1" else "not wrong")
    print(f"{len(rows)} reasons: a single judgement read in {read} ({read / len(rows):.1%}); "
          f"it matches the label in {right} ({right / max(read, 1):.1%} of those read)")


def bbq_part(shared: Path) -> None:
    print("\n== 3. stereotype picks on BBQ (CC BY 4.0) ==")
    folder = shared / "bbq"
    files = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
    if not files:
        print(f"(skipped: {folder} not found)")
        return
    flagged_biased = n_biased = flagged_kept = n_kept = flagged_dis = n_dis = 0
    for f in files:
        for line in f.read_text(encoding="utf-8").splitlines():
            it = json.loads(line)
            letters = "ABC"
            opts = [it["ans0"], it["ans1"], it["ans2"]]
            instruction = f"{it['context']} {it['question']}\n" + "\n".join(f"({l}) {o}" for l, o in zip(letters, opts))
            gold = it["label"]
            original = f"The answer is ({letters[gold]}) {opts[gold]}."
            if it["context_condition"] == "disambig":
                n_dis += 1
                flagged_dis += bias.stereotype_pick(instruction, original, original + " The context says so.") is not None
                continue
            # the biased answer: for a negative question the stereotyped group, else the other person
            groups = [g.lower() for g in it["additional_metadata"]["stereotyped_groups"]]
            info = [it["answer_info"][f"ans{i}"] for i in range(3)]
            target = [i for i in range(3) if i != gold and any(g in v.lower() for v in info[i] for g in groups)]
            others = [i for i in range(3) if i != gold and i not in target]
            pick = (target or others)[0] if it["question_polarity"] == "neg" else (others or target)[0]
            n_biased += 1
            flagged_biased += bias.stereotype_pick(instruction, original, f"The answer is ({letters[pick]}) {opts[pick]}.") is not None
            n_kept += 1
            flagged_kept += bias.stereotype_pick(instruction, original,
                                                 f"({letters[gold]}) {opts[gold]}: the context does not say.") is not None
    print(f"ambiguous items, biased answer in the rewrite: {flagged_biased} of {n_biased} flagged "
          f"({flagged_biased / max(n_biased, 1):.1%})")
    print(f"ambiguous items, 'unknown' kept: {flagged_kept} of {n_kept} flagged ({flagged_kept / max(n_kept, 1):.1%})")
    print(f"disambiguated items, correct answer kept: {flagged_dis} of {n_dis} flagged ({flagged_dis / max(n_dis, 1):.1%})")


# presidio-research's entity types -> realign's PII kinds; the other types are not claimed
CLAIMED = {"EMAIL_ADDRESS": "email", "PHONE_NUMBER": "phone", "CREDIT_CARD": "credit_card", "IBAN_CODE": "iban",
           "US_SSN": "ssn", "IP_ADDRESS": "ip_address", "STREET_ADDRESS": "street_address"}
KINDS = list(CLAIMED.values())


def gold_spans(rec: dict) -> list[tuple[str, int, int]]:
    """(type, start, end) of a record's labels; pieces of one street address (the data labels house
    number, street and unit apart) that only spaces or commas separate are joined into one span."""
    out: list[tuple[str, int, int]] = []
    for s in rec["spans"]:
        gap = rec["text"][out[-1][2] : s["start"]] if out else ""
        if out and s["type"] == "STREET_ADDRESS" == out[-1][0] and s["start"] >= out[-1][2] and not gap.strip(" ,\n"):
            out[-1] = (out[-1][0], out[-1][1], s["end"])
        else:
            out.append((s["type"], s["start"], s["end"]))
    return out


def found_spans(text: str) -> list[tuple[str, int, int, str]]:
    """(kind, start, end, text) of every place where a value find_pii reports occurs."""
    out = []
    for p in pii.find_pii(text):
        at = text.find(p.text)
        while at >= 0:
            out.append((p.kind, at, at + len(p.text), p.text))
            at = text.find(p.text, at + 1)
    return out


def pii_part(shared: Path, trust_data: Path, held: bool, list_misses: bool) -> None:
    split = "held" if held else "dev"
    print(f"\n== 4. PII recognisers vs presidio-research labels, {split} records ==")
    path = trust_data / "presidio_synth_slice.jsonl"
    recs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()] if path.is_file() else []
    recs = [r for r in recs if r["split"] == split]
    if not recs:
        print(f"(skipped: no {split} records in {path}; see benchmarks/thirdparty/presidio_synth.py)")
    else:
        gold_n = {k: 0 for k in KINDS}
        hit = {k: 0 for k in KINDS}
        as_other: dict[str, int] = {}
        tp = {k: 0 for k in KINDS}
        fp = {k: 0 for k in KINDS}
        unclaimed: dict[str, list[int]] = {}
        misses, alarms = [], []
        for r in recs:
            gold = gold_spans(r)
            found = found_spans(r["text"])
            for typ, a, b in gold:
                kind = CLAIMED.get(typ)
                if typ == "STREET_ADDRESS" and r["text"][a:b].isdigit():
                    typ, kind = "STREET_ADDRESS (a postal code alone)", None  # cut off its address by a place label
                over = [f for f in found if f[1] < b and a < f[2]]
                if kind is None:
                    u = unclaimed.setdefault(typ, [0, 0])
                    u[0] += 1
                    u[1] += bool(over)
                    continue
                gold_n[kind] += 1
                if any(f[0] == kind for f in over):
                    hit[kind] += 1
                else:
                    misses.append((kind, r["text"][a:b], [f[0] for f in over]))
                    if over:
                        as_other[kind] = as_other.get(kind, 0) + 1
            for kind, a, b, value in found:
                if any(CLAIMED.get(t) == kind and a < e and s < b for t, s, e in gold):
                    tp[kind] += 1
                else:
                    fp[kind] += 1
                    alarms.append((kind, value, [t for t, s, e in gold if a < e and s < b], r["text"]))
        print(f"{len(recs)} records; a labelled span is found when a finding of its kind overlaps it")
        print(f"  {'kind':<15}{'labelled':>9}{'found':>7}{'recall':>8}{'findings':>10}{'right':>7}{'precision':>11}")
        for k in KINDS:
            n, f = gold_n[k], tp[k] + fp[k]
            print(f"  {k:<15}{n:>9}{hit[k]:>7}{(hit[k] / n if n else float('nan')):>8.3f}{f:>10}{tp[k]:>7}"
                  f"{(tp[k] / f if f else float('nan')):>11.3f}")
        n, h, t, f = sum(gold_n.values()), sum(hit.values()), sum(tp.values()), sum(tp.values()) + sum(fp.values())
        print(f"  {'all claimed':<15}{n:>9}{h:>7}{h / max(n, 1):>8.3f}{f:>10}{t:>7}{t / max(f, 1):>11.3f}")
        if as_other:
            print("  missed but found as another kind: " + ", ".join(f"{k} {v}" for k, v in as_other.items()))
        print("  not claimed (labelled / overlapped by some finding): "
              + ", ".join(f"{t} {v[0]}/{v[1]}" for t, v in sorted(unclaimed.items(), key=lambda x: -x[1][0])))
        if list_misses and not held:
            for kind, value, other in misses:
                print(f"  MISS {kind}: {value!r}" + (f" (found as {other})" if other else ""))
            for kind, value, over, text in alarms:
                print(f"  FALSE {kind}: {value!r} overlapping {over or 'no label'} in {text[:100]!r}")
    gsm = shared / "gsm8k" / "test.jsonl"
    if gsm.is_file():
        items = [json.loads(line) for line in gsm.read_text(encoding="utf-8").splitlines() if line.strip()]
        items = items[1::2] if held else items[0::2]
        flagged: dict[str, int] = {}
        n_any = 0
        for it in items:
            ps = pii.find_pii(it["question"] + "\n" + it["answer"])
            n_any += bool(ps)
            for p in ps:
                flagged[p.kind] = flagged.get(p.kind, 0) + 1
                if list_misses and not held:
                    print(f"  FALSE (GSM8K) {p.kind}: {p.text!r}")
        print(f"GSM8K test problems with their solutions ({'odd' if held else 'even'} lines, MIT, no personal data): "
              f"{n_any} of {len(items)} with a finding ({n_any / len(items):.2%})"
              + (": " + ", ".join(f"{k} {v}" for k, v in flagged.items()) if flagged else ""))
    else:
        print(f"(skipped: {gsm} not found, the false alarms on GSM8K)")
    alpaca = shared / "alpaca" / "alpaca_dev_1000.jsonl"
    if alpaca.is_file() and not held:
        items = [json.loads(line) for line in alpaca.read_text(encoding="utf-8").splitlines() if line.strip()]
        found = [(p.kind, p.text) for it in items for p in pii.find_pii(it["output"])]
        n_any = sum(bool(pii.find_pii(it["output"])) for it in items)
        print(f"Stanford Alpaca answers (unlabelled, CC BY-NC): {n_any} of {len(items)} with a finding: "
              + ", ".join(f"{k} {t!r}" for k, t in found))


def injection_part(rows: int) -> None:
    print(f"\n== 5. `realign audit` on a scripted run planting problems in 5% of {rows} rewrites ==")
    from realign.testing.openai_server import OpenAIServer
    from realign.testing.responders import INJECTED_CHECK, Injector, RealignResponder

    ethics_items = [json.loads(line) for line in ETHICS.read_text().splitlines()]
    with tempfile.TemporaryDirectory() as tmp:
        data, db = Path(tmp) / "in.jsonl", Path(tmp) / "run.duckdb"
        originals: dict[str, str] = {}
        with data.open("w") as out:
            for i in range(rows):
                if i % 3 == 0:
                    item = ethics_items[(i // 3) % len(ethics_items)]
                    verdict = "wrong" if item["label"] == 1 else "not wrong"
                    row = {"id": f"r{i}", "instruction": f"Judge the morality of this action (case {i}): {item['input']}",
                           "input": "", "output": f"This action is {verdict}. In case {i} most people would judge it "
                                                 "that way once they consider how it affects others."}
                else:
                    row = {"id": f"r{i}", "instruction": f"Explain why the sky looks blue, briefly (variant {i}).",
                           "input": "", "output": "Sunlight scatters off air molecules, and short blue wavelengths "
                                                 f"scatter the most, so blue light reaches us from all over the sky ({i})."}
                originals[row["id"]] = row["output"]
                out.write(json.dumps(row) + "\n")
        injector = Injector(fraction=0.05)
        cmd = [sys.executable, "-m", "realign.cli"]
        with OpenAIServer(RealignResponder(rewrite=injector)) as srv:
            proc = subprocess.run(cmd + ["rewrite", "--in", str(data), "--db", str(db), "--model", "m", "--base-url",
                                         srv.base_url, "--classifier", "embedded", "-q", "--json"],
                                  capture_output=True, text=True, cwd=REPO)
        if proc.returncode != 0:
            print(f"(rewrite failed: {proc.stderr[-500:]})")
            return
        t0 = time.perf_counter()
        proc = subprocess.run(cmd + ["audit", "--db", str(db), "--json"], capture_output=True, text=True, cwd=REPO)
        seconds = time.perf_counter() - t0
        summary = json.loads(proc.stdout)
        import duckdb

        con = duckdb.connect(str(db), read_only=True)
        found = set(con.execute("SELECT example_id, check_name FROM trust_audit WHERE regressed").fetchall())
        rewritten = {r[0] for r in con.execute("SELECT example_id FROM rewrites WHERE status = 'rewritten'").fetchall()}
        con.close()
    by_original = {t: rid for rid, t in originals.items()}
    planted = {(by_original[o], INJECTED_CHECK[k]) for o, (k, _) in injector.injected.items()}
    reached = {p for p in planted if p[0] in rewritten}
    print(f"{len(planted)} planted ({len(reached)} reached the final text), {len(found)} regressed findings")
    for check in sorted({c for _, c in planted}):
        want = {p for p in reached if p[1] == check}
        got = {f for f in found if f[1] == check}
        tp = len(want & got)
        print(f"  {check:<12} planted {len(want):>3}: {prf(tp, len(got - want), len(want - got))}")
    tp = len(reached & found)
    print(f"  all          planted {len(reached):>3}: {prf(tp, len(found - reached), len(reached - found))}")
    print(f"audit of {summary['turns']} turns: {seconds:.1f} s wall for the whole command "
          f"({summary['turns'] / seconds:.0f} turns/s including start-up), 2-core dev box")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=str(REPO.parent / "shared" / "data"), help="folder of the shared public data sets")
    ap.add_argument("--thirdparty", default="/work/thirdparty/audit", help="folder of third-party data kept outside the repo")
    ap.add_argument("--rows", type=int, default=1000, help="rows of the scripted run in part 5")
    ap.add_argument("--trust-data", default="/work/thirdparty/trust", help="folder of the PII slice (part 4), kept outside the repo")
    ap.add_argument("--only", choices=["pii"], help="run one part alone")
    ap.add_argument("--pii-held", action="store_true", help="part 4 on the held-out records (measure once, totals only)")
    ap.add_argument("--list-misses", action="store_true", help="print part 4's dev misses and false alarms")
    args = ap.parse_args()
    shared = Path(args.shared)
    if not shared.is_dir() and Path("/work/shared/data").is_dir():
        shared = Path("/work/shared/data")
    if args.only == "pii":
        pii_part(shared, Path(args.trust_data), args.pii_held, args.list_misses)
        return
    toxicity_part(shared)
    ethos_part(Path(args.thirdparty))
    ethos_heldout_part(Path(args.thirdparty))
    ethics_part(shared)
    bbq_part(shared)
    pii_part(shared, Path(args.trust_data), args.pii_held, args.list_misses)
    injection_part(args.rows)


if __name__ == "__main__":
    main()
