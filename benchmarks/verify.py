"""Verification measured on data nobody on this project wrote (printed, not asserted).

    .venv/bin/python benchmarks/verify.py [--thirdparty DIR] [--shared DIR] [--limit N] [--seconds S]

Three parts:

1. Real model outputs with their own correctness labels (JSONL files in --thirdparty, one row per
   (instruction, original, candidate, same_answer); see `load_labelled`). For each source: how
   many rows got a deterministic answer contract, the contract check's agreement with the labels
   (the math check for GSM8K solutions), and the false rejections / false acceptances of the full
   verification with the task not given. Sources listed in DEV_SOURCES were read while the checks
   were built; the others are held out and were only run.
   Open-domain QA sets (EVOUNA NQ / TriviaQA, NQ301; rebuilt by the converters in benchmarks/thirdparty/,
   see its SOURCES.md) give a question, a list of gold answers and a
   human judgement of a long model answer. A user's original response states ONE answer, not an
   alias list, so the original is one gold answer (`primary_answer`: NQ's first, TriviaQA's
   recurring alias); passing the candidate when it passes against ANY alias (the earlier
   construction) is printed beside it. The human label means "correct for the question", which
   also accepts another correct answer; so FR is also read on questions with one gold answer and
   on positives that contain the original's answer (`proxy_view`). FinanceBench (GPT-4 answers
   about company filings, manually reviewed; dev since its one held-out measurement) also has refusals among its negatives:
   FA is printed without them too. EfficientQA: short system answers to NQ-open questions that missed
   the gold string, rated by people; held out and measured once as split "fresh5", dev since its misses
   were read. SQuAD SAS (squad_sas_facts.jsonl): pairs of answers to one SQuAD question that people
   rated equivalent or different (deepset's Semantic Answer Similarity data); split by the converter's
   `split` field (a hash of the reference answer, fixed before any check ran): dev and held; skipped
   with a message when the file is absent. EVOUNA NQ items 196-254 (evouna_nq_fresh6_facts.jsonl) are
   split "fresh6": held out, measured once before and once after the facts check's part-of-answer rule.
   Rewrites of a GIVEN short answer (qadialog_facts.jsonl, benchmarks/thirdparty/qadialog.py): models that
   turned a CoQA question and its short answer into a sentence, rated by five people (qadialog_rated),
   plus two answer-changing constructions from the same rows (another item's rewrite, qadialog_otherq;
   a rated-right rewrite with the answer swapped for another item's, qadialog_swapped); split by item
   id (even dev, odd held). `--rewrites-only` runs these rows alone; `--rewrites-misses` prints the dev
   rows verified wrongly (held rows are measured, never read).
2. Adversarial rewrites (realign.testing.adversarial) built on public bases: GSM8K test solutions
   (MIT), DFAR ethics labels with their human reasons (MIT), BBQ options (CC BY 4.0), TruthfulQA
   answers (Apache-2.0), Python standard-library functions (PSF). Per contract kind and class:
   answer-changing rewrites accepted and answer-preserving controls rejected, with the task not
   given and with it given. Facts: TruthfulQA best answers and NQ-open gold answers (from the
   --thirdparty folder) with a number or a name changed. Lists (`lists/` beside the --thirdparty
   folder, see its SOURCES.md; a file missing there is read from the committed copies in
   tests/fixtures/verify/lists/ when one exists): Alpaca, Vicuna-bench, Self-Instruct, MT-bench gpt-4o and Arena-Hard-Auto
   gpt-3.5-turbo and gpt-4-0613 answers (dev), AlpacaEval claude and Meta-Llama-3-70B-Instruct outputs
   (held out).
   `--lists-only --list-misses` prints the dev sources' wrongly verified cases.
   Closed answers and people (printed apart, so the figures above keep their cases): TruthfulQA false
   answers as statements judged "False." beside the best answer (a claim affirmed beside the restated
   denial), StrategyQA yes / no questions and BBQ options answered twice or hedged, BBQ contexts asked
   "Who ...?" with no options (another person, "cannot be determined", a hedge).
   Presence questions (dev and held apart, split fixed in the file): TruthfulQA's closed "Is there /
   Are there ...?" questions and MT-bench q124 ("Can you identify any bug ...?") answered by an
   absence statement with no yes / no, rewritten as the data set's own right and wrong answers, with
   the presence stated instead, stated after the absence, hedged, or the absence kept in other words
   (spelled out after a bare "No, there isn't.", a qualifier taken back: "the evidence is not strong", "a lack
   of", "we do not have", "none of", "without"; a lack denied, "there is no lack of", is the presence),
   and for the defect question a "Yes — ..." kept as a labelled defect ("Bug: ...") or changed
   (tests/fixtures/verify/presence_questions.jsonl).
   Negation edits (after the rewriting-task text class): CondaQA's crowdworker edits of a negated
   Wikipedia sentence (condaqa_edits.jsonl in --thirdparty, written by benchmarks/thirdparty/condaqa_edits.py;
   skipped with a message when absent) as rewrites of that sentence: a paraphrase keeps its meaning,
   a scope edit or an affirmative edit (the negation undone) does not. Per split (the converter's
   `split`: even PassageID dev, odd held) and edit kind: rows, rejected, and the checks that rejected
   them, with the task `paraphrasing` and with no task. `--negation-only` runs this part alone;
   `--negation-misses` prints the dev rows verified wrongly (held rows are measured, never read).
   The working kept (issue #9, trial finding D6; `--working-only`, `--working-misses` for the dev
   misses): GSM8K test solutions (MIT) rewritten with intermediate calculations dropped (one up to
   all of them), two steps merged into one expression, or only the last calculation kept, final
   answer and arithmetic right (`working_cases`: more than half of the calculations dropped is
   changing, half or fewer a condensation, a control), against GSM8K's Socratic solutions of
   the same kind of question (tests/fixtures/verify/gsm8k_socratic.jsonl, every step kept;
   controls); then model-written solutions their source labels correct (Kojima, Plan-and-Solve,
   shreyshahi, ZeroEval), which may take other steps: rejected by the working check alone and by
   the full verification, printed apart. Split by a hash of the question (`working_split`).
   Added sentence (issue #9, D2; `--added-only`, `--added-misses` for the dev misses): a rewriting task's
   text with another row's sentence put at its start, end or middle, or glued on without a full stop (after
   a comma or an "and", run on at either end, inside the first sentence: `added_cases`), against real rewrites of
   the same request: JFLEG's second person's correction of a learner sentence (task text_correction;
   jfleg_corrections.jsonl in `added/` beside --thirdparty, benchmarks/thirdparty/jfleg.py), CondaQA's
   paraphrase edits (task paraphrasing), and Alpaca rows routed to a rewriting task (originals only); split
   by a hash of the learner sentence / the Alpaca response, CondaQA by its converter's split.
3. Speed: full verification (contract read + every check) rows/s on one core on real solutions, row by row
   and in batches (as `realign verify` runs it).

Missing inputs are skipped with a message.
"""

from __future__ import annotations

import argparse
import ast
import csv
import hashlib
import json
import re
import sys
import sysconfig
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable, Iterator

from realign.testing.adversarial import (Case, quantity_cases, alpaca_item_label_cases, working_cases, alternative_cases, closed_claim_cases, closed_twice_cases,
                                         alternative_denied_cases, judgement_cases, label_denied_cases,
                                         presence_cases,
                                         code_cases, facts_cases, label_cases, list_cases, math_cases, option_cases,
                                         option_twice_cases, short_code_cases, truthfulqa_closed_claims, bbq_who_cases,
                                         rewritten_text_cases, ending_cases, question_cases, added_cases)
from realign.verify.choice import inline_alternatives
from realign.verify.arithmetic import check_working_kept, wrong_calculations
from realign.verify.base import CheckInput
from realign.verify.contract import read_contract
from realign.verify.math import check_math, gsm8k_reference
from realign.verify.audit import BATCH
from realign.verify.registry import VerifyOptions, verify_candidate, verify_candidates

REPO = Path(__file__).resolve().parent.parent
# Read while building the checks (failures looked at); every other source is held out, except
# the even-numbered rows of HALF_DEV sources (their odd rows stay held out). ps_gsm8k became dev as
# a whole when its odd half's misses were studied for the math check (issue #9); FRESH sources were
# transcribed after that point and before the math check changed, and are reported on their own.
DEV_SOURCES = {"rft_gsm8k", "shreyshahi_gsm8k", "kojima_gsm8k", "kojima_strategyqa", "kojima_csqa", "faithfulcot_gsm8k",
               "ps_gsm8k_more", "ps_gsm8k", "ps_gsm8k_dev2",
               # their three misses (test 185, 195, 277) were read after fresh3 was measured, and the math
               # check changed for them: both Plan-and-Solve batches are development data from then on
               "ps_gsm8k_fresh", "ps_gsm8k_fresh2",
               # measured once as held-out split "fresh4" (01:27 UTC: answer FR 80/135, FA 6/79), then its misses
               # were read and the checks changed for them (unit scale stated by the question, one value in
               # two forms): development data from then on
               "financebench_singlestore", "financebench_oracle",
               # measured once as held-out split "fresh5" (answer FR 52/98, FA 36/488), then its misses were read
               # and the facts check changed for them (issue #9): development data from then on
               "efficientqa_nq",
               # EVOUNA TriviaQA items 67-210 and NQ items 255-302, transcribed to study the facts check's
               # rejections without reading the held halves (benchmarks/thirdparty/SOURCES.md)
               "evouna_tq_dev2", "evouna_nq_dev2",
               # EVOUNA NQ items 303-433, transcribed for the same reason when the NQ dev rows had too few
               # rejections left to tell a class of restatement from one row; measured before any change
               "evouna_nq_dev3"}
HALF_DEV = {"nq301_human", "truthfulqa"}
FRESH = {"sevalsru_gsm8k_more", "ps_gsm8k_fresh", "zeroeval_gsm8k_fresh"}
# read after the math check's changes for issue #9 and only measured: a second held-out batch
FRESH2 = {"sevalsru_gsm8k_fresh2", "ps_gsm8k_fresh2"}
# a third held-out batch (unread simple-evals-ru reports and ZeroEval models), transcribed and added here before
# the math check was run on it; measured once
FRESH3 = {"sevalsru_gsm8k_fresh3", "zeroeval_gsm8k_fresh3"}
# short answers of open-domain QA systems to NQ-open questions with the EfficientQA human ratings
# ("definitely correct" / "definitely incorrect"; no licence file, NQ content CC BY-SA: outside the repo),
# transcribed after the facts check's FinanceBench changes and measured once
FRESH5: set[str] = set()  # efficientqa_nq: dev since its misses were read (DEV_SOURCES)
# EVOUNA NQ items 196-254 (answers of four LLMs with the dataset's human judgement), transcribed with the
# selection rule written first (benchmarks/thirdparty/SOURCES.md); measured once before and once after
# the facts check's equivalence changes, misses never read
FRESH6 = {"evouna_nq_fresh6"}
NAMED_SPLITS = {**{s: "fresh" for s in FRESH}, **{s: "fresh2" for s in FRESH2}, **{s: "fresh3" for s in FRESH3},
                **{s: "fresh5" for s in FRESH5}, **{s: "fresh6" for s in FRESH6}}
# Sources whose converter writes each row's half (`split`: "dev" / "held") by a rule fixed before any
# row was read (squad_sas: a hash of the reference answer, as the file has no question).
SPLIT_FIELD = {"squad_sas", "qadialog_rated", "qadialog_otherq", "qadialog_swapped"}
EQUIVALENCE_FILE = "squad_sas_facts.jsonl"
NEGATION_FILE = "condaqa_edits.jsonl"


def split_of(source: str, index: int, row: dict[str, Any] | None = None) -> str:
    if source in SPLIT_FIELD and row is not None and row.get("split") in ("dev", "held"):
        return row["split"]
    if source in DEV_SOURCES or (source in HALF_DEV and index % 2 == 0):
        return "dev"
    return NAMED_SPLITS.get(source, "held")
TASK_OF_KIND = {"number": "math_puzzles", "math": "math_puzzles", "working": "math_puzzles", "label": "general_classification",
                "option": "closed_qa", "code": "text_to_code_translation", "facts": "open_qa", "list": "open_qa",
                "text": "instructional_rewriting", "open": "default", "added": "instructional_rewriting",
                "quantity": "how_to_generation"}
OPTS = VerifyOptions()
# EVOUNA is split in halves too, by its rows' `split_index` (the position of their question in the
# source) rather than row order, so every answer to one question falls in the same half: even
# question = dev, fixed before any outcome was looked at.
HALF_DEV |= {"evouna_nq", "evouna_tq"}
TQ_SOURCES = {"evouna_tq", "evouna_tq_dev2"}  # TriviaQA alias lists (`primary_answer`)


def task_checks(task: str) -> list[str]:
    from realign.tasks import load_tasks

    return list(load_tasks()[task].verifiers) if task else []


def verify(instruction: str, original: str, candidate: str, task: str = "") -> Any:
    inp = CheckInput(task=task or "default", instruction=instruction, original=original, candidate=candidate)
    return verify_candidate(inp, task_checks(task) if task else [], None, OPTS)


# --- 1. real model outputs ------------------------------------------------------------------------

FIXTURES = REPO / "tests" / "fixtures" / "verify"


def labelled_files(folder: Path) -> list[Path]:
    """The labelled JSONL files: the licensed copies in the repo (tests/fixtures/verify) and those
    of the third-party folder, a file of that folder taking the place of the copy of the same name."""
    files = {p.name: p for p in FIXTURES.glob("*.jsonl")}
    if folder.is_dir():
        files.update((p.name, p) for p in folder.glob("*.jsonl"))
    return [files[name] for name in sorted(files)]


def load_labelled(folder: Path) -> dict[str, list[dict[str, Any]]]:
    by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in labelled_files(folder):
        if p.name == "gsm8k_styles.jsonl":
            continue  # our own styles, not third-party
        if p.name == NEGATION_FILE:
            continue  # rewritten sentences, not answers: measured apart (`negation_edits`)
        if p.name in (TURN_SOURCES[0][0].name, TURN_SOURCES[1][0]):
            continue  # chat answers with the user's reply: measured apart (`turns_part`)
        if p.name in (PRESENCE_FILE.name, SOCRATIC_FILE.name):
            continue  # bases of adversarial rewrites, not labelled answers (`presence_question_cases`, `working_part`)
        for line in p.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                if r.get("label_suspect") or not r["original"].strip() or r.get("in_prompt") \
                        or r.get("in_mapping_prompt"):
                    continue  # label visibly misread; no reference to hold; the item was a prompt example
                if r.get("source", "").startswith("pot_"):
                    continue  # a bare program that never states its answer: nothing for a text check to read
                by_source[r.get("source") or p.stem].append(r)
    return by_source


GENERIC = {"length", "leak", "refusal", "language"}


# How a labelled QA row becomes an (original, rewrite) pair. A user's original response states ONE
# answer, so the default construction ("primary") holds the candidate to one gold answer: NQ's first
# listed answer (NQ-open lists the annotators' answers in order; the others are often different
# people or places: "Kelli Giddish / Richard Belzer / Ice-T"), and for TriviaQA the alias the others
# are built on (`primary_answer`), because EVOUNA's TriviaQA lists are Wikipedia redirects in no set
# order ("Utah (State) / Forty-Fifth State / Sports in Utah / ..."), so the first one is often a
# redirect nobody would answer with ("Kamal kahn" for Octopussy, "Cofantre" for Coventry). The
# earlier construction ("any": pass against any alias, as multi-reference QA scoring does) is still
# printed beside it so the change is visible: it lets a wrong answer through on a stray redirect and
# is not what the check faces in use.
CONSTRUCTIONS = ("primary", "any")


def _alias_key(alias: str) -> frozenset[str]:
    """An alias as its set of lower-cased words, a trailing "(disambiguation)" / "(film)" dropped:
    "Hess, Rudolf" and "Rudolf Hess" are one key."""
    bare = re.sub(r"\s*\([^)]*\)\s*$", "", alias)
    return frozenset(re.findall(r"[^\W_]+", bare.lower()))


def primary_answer(r: dict[str, Any]) -> str:
    """The one answer a user's original would state. NQ (evouna_nq, nq301): the first gold answer.
    TriviaQA (evouna_tq): the alias written most often (case, punctuation, a trailing parenthesis and
    word order aside: the article title recurs as "Utah", "Utah (State)", ...), then the one most
    other aliases contain, then the shorter; shown in its plain form (no parenthesis, no comma, not
    all capitals). Chosen from the gold list alone, never from the candidates or the labels."""
    golds = r.get("gold_answers") or [r["original"]]
    if r.get("source") not in TQ_SOURCES or len(golds) < 2:
        return golds[0]
    keys = [_alias_key(a) for a in golds]

    def score(i: int) -> tuple[int, int, int, int]:
        k = keys[i]
        if not k:
            return (-1, 0, 0, 0)
        return (sum(k == x for x in keys), sum(k <= x for x in keys), -len(" ".join(k)), -i)

    best = keys[max(range(len(golds)), key=score)]
    forms = [re.sub(r"\s*\([^)]*\)\s*$", "", a).strip() for a, k in zip(golds, keys) if k == best]
    return max(forms, key=lambda f: ("," not in f, not f.isupper(), f != f.lower(), "-" not in f, -forms.index(f)))


def verify_multi(r: dict[str, Any], construction: str = "primary") -> Any:
    """One labelled row as a rewrite of an original. "primary": the original is `primary_answer`.
    "any" (the earlier construction): the candidate is judged against each gold answer and passes
    when it passes against one."""
    golds = r.get("gold_answers") or []
    if len(golds) < 2:
        return verify(r["instruction"], r["original"], r["candidate"])
    if construction == "primary":
        return verify(r["instruction"], primary_answer(r), r["candidate"])
    verdicts = [verify(r["instruction"], g, r["candidate"]) for g in golds]
    return next((v for v in verdicts if v.passed), verdicts[0])


def _norm_answer(text: str) -> str:
    """SQuAD-style normalisation (lower case, no punctuation, no articles)."""
    t = "".join(ch for ch in text.lower() if ch.isalnum() or ch.isspace())
    return " ".join(w for w in t.split() if w not in {"a", "an", "the"})


def proxy_view(rows: list[dict[str, Any]]) -> None:
    """The human label says "correct for the question" (EVOUNA: "correct given the golden answer"),
    not "same answer as the original": a different person or date judged also correct is a
    positive. So besides the label itself, "keeping" is also read as: judged correct AND judged
    equivalent to the gold by the repo's BEM model (NQ301); judged correct AND the original's answer
    appears in the candidate (our normalised string test; for "any", any alias). "Changing" stays:
    judged not correct (wrong against every gold answer, so wrong against the primary one too).
    Both constructions are printed."""
    change = [r for r in rows if not r["same_answer"]]
    for construction in CONSTRUCTIONS:
        fa = sum(all(x.passed for x in verify_multi(r, construction).checks if x.name not in GENERIC) for r in change)

        def contains(r: dict[str, Any]) -> bool:
            if construction == "any":
                return bool(r.get("gold_in_candidate"))
            a = _norm_answer(primary_answer(r))
            return bool(a) and f" {a} " in f" {_norm_answer(r['candidate'])} "

        readings = [("the human label", [r for r in rows if r["same_answer"]]),
                    # one gold answer: "correct given the gold" is then "keeps the original's answer",
                    # the source's own label with no string test of ours (TriviaQA's aliases are one answer)
                    ("the human label, questions with one gold answer",
                     [r for r in rows if r["same_answer"] and (len(r.get("gold_answers") or [1]) == 1
                                                               or r.get("source") in TQ_SOURCES)]),
                    ("correct and the original's answer in the candidate",
                     [r for r in rows if r["same_answer"] and contains(r)])]
        if any("bem_acceptable" in r for r in rows):
            readings.insert(1, ("correct and BEM-equivalent to the gold", [r for r in rows if r["same_answer"]
                                                                            and r.get("bem_acceptable")]))
        for what, keep in readings:
            fr = sum(not all(x.passed for x in verify_multi(r, construction).checks if x.name not in GENERIC)
                     for r in keep)
            print(f"    {rows[0]['source']} [{construction}], keeping = {what}: answer FR {fr}/{len(keep)} "
                  f"({fr / max(len(keep), 1):.1%}), FA {fa}/{len(change)} ({fa / max(len(change), 1):.1%})")


def given_answer_rewrites(folder: Path, show_misses: bool = False) -> None:
    """Rewrites of a given short answer (qadialog_* sources) alone: per source and split, kept rows
    rejected (FR) and changed rows accepted (FA) by the answer checks; with `show_misses`, the dev rows
    verified wrongly and the reasons of the checks that failed."""
    p = folder / "qadialog_facts.jsonl"
    if not p.is_file():
        print(f"(skipped rewrites of a given answer: no {p.name} in {folder}; build it with benchmarks/thirdparty/qadialog.py)")
        return
    rows = [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    stats: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in rows:
        v = verify_multi(r)
        ok = all(x.passed for x in v.checks if x.name not in GENERIC)
        st = stats[(r["source"], r["split"])]
        if r["same_answer"]:
            st[0] += 1
            st[1] += not ok
        else:
            st[2] += 1
            st[3] += ok
        if show_misses and r["split"] == "dev" and ok != bool(r["same_answer"]):
            why = "; ".join(f"{x.name}: {x.reason}" for x in v.checks if not x.passed and x.name not in GENERIC)
            print(f"   MISS {r['source']} same={r['same_answer']} Q={r['instruction']!r} O={r['original']!r} "
                  f"C={r['candidate']!r} | {why or 'accepted'}")
    for (source, split), (pos, fr, neg, fa) in sorted(stats.items()):
        print(f"   {source:<18}{split:<6} answer FR {fr}/{pos} ({fr / max(pos, 1):.1%})  FA {fa}/{neg} ({fa / max(neg, 1):.1%})")


def real_outputs(folder: Path, limit: int | None, kind: str = "", show_misses: bool = False,
                 dev_only: bool = False) -> list[dict[str, Any]]:
    """Per source and split: rows, rows with a deterministic contract, and the false rejections
    (FR: same answer, rejected) and false acceptances (FA: changed answer, accepted) of the
    answer checks alone (the contract's checks; for GSM8K the math check) and of the full
    verification (plus length and leak, which judge a rewrite's shape, not its answer). `kind`:
    only the sources of that kind; `show_misses`: the dev rows the answer checks verify wrongly;
    `dev_only`: the dev splits alone (while iterating, so no held figure is seen)."""
    if not folder.is_dir():
        print(f"(no third-party folder at {folder}: reading only the licensed copies in {FIXTURES})")
    if not (folder / EQUIVALENCE_FILE).is_file():
        print(f"(skipped SQuAD answer equivalence: no {EQUIVALENCE_FILE} in {folder}; build it with benchmarks/thirdparty/squad_sas.py)")
    rows_all: list[dict[str, Any]] = []
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for source, rows in load_labelled(folder).items():
        if kind and rows[0].get("kind") != kind:
            continue
        for i, r in enumerate(rows[:limit] if limit else rows):
            groups[(source, split_of(source, r.get("split_index", i), r))].append(r)
    print(f"{'source':<22}{'split':<7}{'kind':<7}{'rows':>6}{'locked':>8}{'answer agrees':>15}"
          f"{'answer FR':>12}{'answer FA':>12}{'full FR':>10}{'full FA':>10}{'wrong working':>15}")
    totals: dict[str, list[int]] = defaultdict(lambda: [0] * 8)
    for (source, split), rows in sorted(groups.items()):
        if dev_only and split != "dev":
            continue
        rows_all += rows
        kind = rows[0]["kind"]
        t = [0] * 8  # rows, locked, answer FR, answer FA, full FR, full FA, positives, wrong working
        for r in rows:
            c = read_contract(r["instruction"], r["original"])
            v = verify_multi(r)
            if kind == "math":
                answer_ok = check_math(CheckInput(task="", instruction=r["instruction"], original=r["original"],
                                                  candidate=r["candidate"]), OPTS).passed
            else:
                answer_ok = all(x.passed for x in v.checks if x.name not in GENERIC)
            same = bool(r["same_answer"])
            if show_misses and split == "dev" and answer_ok != same:
                why = "; ".join(f"{x.name}: {x.reason}" for x in v.checks if not x.passed and x.name not in GENERIC)
                print(f"   MISS {source} same={same} Q={r['instruction']!r} O={primary_answer(r)!r} "
                      f"C={r['candidate']!r} | {why or 'accepted'}")
            t[0] += 1
            t[1] += c.deterministic
            t[2] += same and not answer_ok
            t[3] += (not same) and answer_ok
            t[4] += same and not v.passed
            t[5] += (not same) and v.passed
            t[6] += same
            # the final answer right, a written calculation wrong: the arithmetic check rejects it
            t[7] += same and any(x.name == "arithmetic" and not x.passed for x in v.checks)
        tot = totals[f"{kind}/{split}"]
        for i, x in enumerate(t):
            tot[i] += x
        pos, neg = t[6], t[0] - t[6]
        print(f"{source:<22}{split:<7}{kind:<7}{t[0]:>6}{t[1]:>8}{1 - (t[2] + t[3]) / t[0]:>15.2%}"
              f"{t[2]:>6}/{pos:<5}{t[3]:>6}/{neg:<5}{t[4]:>5}/{pos:<4}{t[5]:>5}/{neg:<4}{t[7]:>9}/{pos:<4}")
        if any("gold_in_candidate" in r for r in rows):
            proxy_view(rows)
        if any("refusal" in r for r in rows):  # a refusal drops the answer: FA on the answers that state one
            wrong = [r for r in rows if not r["same_answer"] and not r["refusal"]]
            fa = sum(all(x.passed for x in verify_multi(r).checks if x.name not in GENERIC) for r in wrong)
            print(f"    {source}: answer FA on wrong answers that are no refusal {fa}/{len(wrong)} "
                  f"({fa / max(len(wrong), 1):.1%})")
    for key, t in sorted(totals.items()):
        pos, neg = t[6], t[0] - t[6]
        print(f"  all {key:<12} rows {t[0]:>4}: answer check agrees {1 - (t[2] + t[3]) / t[0]:.2%}; answer FR "
              f"{t[2]}/{pos} ({t[2] / max(pos, 1):.1%}), FA {t[3]}/{neg} ({t[3] / max(neg, 1):.1%}); full verification "
              f"FR {t[4] / max(pos, 1):.1%}, FA {t[5] / max(neg, 1):.1%}")
    for kind in sorted({k.split("/")[0] for k in totals}):  # every split but dev: the held-out evidence together
        held = [t for k, t in totals.items() if k.startswith(kind + "/") and not k.endswith("/dev")]
        n, miss = sum(t[0] for t in held), sum(t[2] + t[3] for t in held)
        if n:
            print(f"  all {kind + '/non-dev':<12} rows {n:>4}: answer check agrees {n - miss}/{n} ({1 - miss / n:.2%})")
    return rows_all


# --- 2. adversarial -------------------------------------------------------------------------------

def gsm8k_cases(shared: Path, limit: int) -> list[Case]:
    p = shared / "gsm8k" / "test.jsonl"
    if not p.is_file():
        p = REPO / "tests" / "fixtures" / "gsm8k" / "test.jsonl"
    out: list[Case] = []
    for line in p.read_text(encoding="utf-8").splitlines()[:limit]:
        r = json.loads(line)
        gold = gsm8k_reference(r["answer"])
        if gold is not None:
            out += math_cases(r["question"], r["answer"], gold)
    return out


def dfar_cases(shared: Path, limit: int) -> list[Case]:
    p = shared / "dfar" / "DFAR_testset.csv"
    if not p.is_file():
        print(f"(skipped labels: {p} not found)")
        return []
    out: list[Case] = []
    with p.open(encoding="utf-8-sig", newline="") as f:
        for i, row in enumerate(csv.DictReader(f)):
            if i >= limit:
                break
            label, other = ("unethical", "ethical") if row["Label"].strip() == "1" else ("ethical", "unethical")
            instruction = f"Is the following statement ethical or unethical?\n\n{row['Statement'].strip()}"
            out += label_cases(instruction, label, other, row["Reason"])
    return out


def dfar_denied_cases(shared: Path, limit: int) -> list[Case]:
    """Trial 12 D9 on DFAR rows (MIT), as `dfar_cases` asks them: the label asked about and denied,
    attributed and contradicted, or held under a condition (label_denied_cases)."""
    out: list[Case] = []
    for row in dfar_rows(shared, limit):
        label, other = ("unethical", "ethical") if row["Label"].strip() == "1" else ("ethical", "unethical")
        out += label_denied_cases(f"Is the following statement ethical or unethical?\n\n{row['Statement'].strip()}",
                                  label, other, row["Reason"])
    return out


def dfar_judgement_cases(shared: Path, limit: int) -> list[Case]:
    """Trial 12 D7 on DFAR rows (MIT): "Is the following action wrong?" / "Is it okay / ethical to act
    like this?" answered "It is (not) wrong. <DFAR's reason>" (judgement_cases; the frame by row)."""
    out: list[Case] = []
    for i, row in enumerate(dfar_rows(shared, limit)):
        out += judgement_cases(i, row["Statement"], row["Label"].strip() == "1", row["Reason"])
    return out


def dfar_rows(shared: Path, limit: int) -> list[dict[str, str]]:
    p = shared / "dfar" / "DFAR_testset.csv"
    if not p.is_file():
        print(f"(skipped labels: {p} not found)")
        return []
    with p.open(encoding="utf-8-sig", newline="") as f:
        return [row for _, row in zip(range(limit), csv.DictReader(f))]


def bbq_alternative_denied_cases(shared: Path, limit: int) -> list[Case]:
    """Trial 12 D9 on the BBQ alternatives of `bbq_alternative_cases` (CC BY 4.0)."""
    return [case for q in bbq_alternatives(shared, limit) for case in alternative_denied_cases(*q)]


BBQ_CATEGORIES = ("Religion", "Sexual_orientation", "Disability_status")


def bbq_rows(shared: Path, per_file: int, what: str) -> Iterator[dict[str, Any]]:
    """The first `per_file` items of each BBQ category used here (CC BY 4.0, ../shared); a
    missing file ends the stream with a message naming `what` was skipped."""
    for name in BBQ_CATEGORIES:
        p = shared / "bbq" / f"{name}.jsonl"
        if not p.is_file():
            print(f"(skipped {what}: {p} not found)")
            return
        for line in p.read_text(encoding="utf-8").splitlines()[:per_file]:
            yield json.loads(line)


def bbq_with_options(r: dict[str, Any]) -> tuple[str, dict[str, str], str]:
    """A BBQ row as a question with its three answers listed as options: (instruction, options, gold letter)."""
    opts = {"A": r["ans0"], "B": r["ans1"], "C": r["ans2"]}
    return f"{r['context']} {r['question']}\n\n" + "\n".join(f"{k}. {v}" for k, v in opts.items()), opts, "ABC"[r["label"]]


def bbq_cases(shared: Path, limit: int) -> list[Case]:
    return [c for r in bbq_rows(shared, limit // 3, "options") for c in option_cases(*bbq_with_options(r))]


def stdlib_cases(limit: int) -> list[Case]:
    lib = Path(sysconfig.get_paths()["stdlib"])
    out: list[Case] = []
    for mod in ("textwrap", "heapq", "bisect", "statistics", "fractions", "colorsys", "shlex", "fnmatch",
                "posixpath", "string", "glob", "calendar", "base64", "quopri", "difflib"):
        p = lib / f"{mod}.py"
        if not p.is_file():
            continue
        src = p.read_text(encoding="utf-8")
        for node in ast.parse(src).body:
            if isinstance(node, ast.FunctionDef) and 4 <= (node.end_lineno or 0) - node.lineno <= 30:
                code = ast.get_source_segment(src, node) or ""
                doc = (ast.get_docstring(node) or "").split("\n")[0]
                instruction = f"Write the Python function `{node.name}` from the {mod} module. {doc}".strip()
                out += code_cases(instruction, code)
                if len(out) >= limit * 5:
                    return out
    return out


def item_labels_on_alpaca(shared: Path) -> list[Case]:
    """Alpaca answers (CC BY-NC 4.0, read from ../shared, never committed) that label several
    items ("Dog: mammal", "Mammals: wolf, lion", "Tiger - Land"), as label.item_labels reads them."""
    p = shared / "alpaca" / "alpaca_dev_1000.jsonl"
    if not p.is_file():
        print(f"(skipped labels per item: {p} not found)")
        return []
    return alpaca_item_label_cases(json.loads(line) for line in p.read_text(encoding="utf-8").splitlines())


def bbq_alternative_cases(shared: Path, limit: int) -> list[Case]:
    """BBQ questions (CC BY 4.0) with their two non-"unknown" answers offered inline ("Who ...,
    A or B?"), the gold one as the original's pick; disambiguated contexts only (their gold is a
    person, not "unknown"). The inline form is ours; the questions, contexts and golds are BBQ's."""
    return [case for q in bbq_alternatives(shared, limit) for case in alternative_cases(*q)]


def bbq_alternatives(shared: Path, limit: int) -> Iterator[tuple[str, list[str], str]]:
    """(instruction, alternatives, gold) for `bbq_alternative_cases`."""
    for r in bbq_rows(shared, limit // 3 * 2, "alternatives"):
        opts = [r["ans0"], r["ans1"], r["ans2"]]
        two = [o for o in opts if r["answer_info"][f"ans{opts.index(o)}"][1] != "unknown"]
        if r["context_condition"] != "disambig" or len(two) != 2 or opts[r["label"]] not in two:
            continue
        instruction = f"{r['context']} {r['question'].rstrip('?')}, {two[0]} or {two[1]}?"
        alts = inline_alternatives(instruction)
        if len(alts) == 2:
            yield instruction, alts, alts[two.index(opts[r["label"]])]


def bbq_person_cases(shared: Path, limit: int) -> list[Case]:
    """BBQ items (CC BY 4.0) as they are asked, no options listed (`bbq_who_cases`)."""
    return bbq_who_cases(bbq_rows(shared, limit // 3 * 2, "people in the context"))


REWRITING_TASKS = ("instructional_rewriting", "language_polishing", "paraphrasing", "text_correction")


def rewriting_cases(shared: Path) -> list[Case]:
    """Alpaca rows (CC BY-NC 4.0, read from ../shared, never committed) that the embedded classifier
    routes to a rewriting task, as a run would (`rewritten_text_cases`); the other row is the next
    such row's response."""
    p = shared / "alpaca" / "alpaca_dev_1000.jsonl"
    if not p.is_file():
        print(f"(skipped rewritten texts: {p} not found)")
        return []
    from realign.classify.embedded import EmbeddedClassifier

    rows = [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines()]
    requests = [r["instruction"] + (f"\n\n{r['input']}" if r.get("input") else "") for r in rows]
    preds = EmbeddedClassifier.load().predict(requests)
    picked = [(q, r["output"], p.task) for q, r, p in zip(requests, rows, preds)
              if p.task in REWRITING_TASKS and r["output"].strip()]
    out: list[Case] = []
    for i, (request, original, task) in enumerate(picked):
        out += rewritten_text_cases(request, original, picked[(i + 1) % len(picked)][1], task)
    return out


NEGATION_TASKS = ("paraphrasing", "")  # the task a paraphrase request is routed to, and none


def negation_edits(folder: Path, dev_only: bool = False, show_misses: bool = False) -> None:
    """CondaQA's edits of a negated sentence as rewrites of it (see the module docstring): per task,
    split and edit kind, how many rows the full verification rejects and which checks rejected them.
    A paraphrase rejected or a scope / affirmative edit accepted is verified wrongly; `show_misses`
    prints those of the dev split."""
    p = folder / NEGATION_FILE
    if not p.is_file():
        print(f"(skipped negation edits: no {NEGATION_FILE} in {folder}; see benchmarks/thirdparty/condaqa_edits.py)")
        return
    rows = [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r["split"] == "dev" or not dev_only]
    for task in NEGATION_TASKS:
        print(f"   task {task or '(none)'}")
        print(f"   {'split':<6}{'edit':<13}{'same':<6}{'rows':>5}{'rejected':>10}{'wrong':>7}  rejected by")
        stats: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, 0, defaultdict(int)])
        misses = []
        for r in rows:
            verdict = verify(r["instruction"], r["original"], r["candidate"], task)
            st = stats[(r["split"], r["edit"])]
            st[0] += 1
            st[1] += not verdict.passed
            for ch in verdict.checks:
                if not ch.passed:
                    st[2][ch.name] += 1
            if verdict.passed != bool(r["same_answer"]) and r["split"] == "dev":
                misses.append((r, verdict))
        for (split, edit), (n, rejected, by) in sorted(stats.items()):
            same = edit == "paraphrase"
            wrong = rejected if same else n - rejected
            print(f"   {split:<6}{edit:<13}{'yes' if same else 'no':<6}{n:>5}{rejected:>10}{wrong:>7}  "
                  + (", ".join(f"{name} {k}" for name, k in sorted(by.items(), key=lambda kv: -kv[1])) or "-"))
        for split in sorted({s for s, _ in stats}):
            para = stats.get((split, "paraphrase"), [0, 0])
            changed = [stats[(split, e)] for e in ("scope", "affirmative") if (split, e) in stats]
            n_ch, acc = sum(s[0] for s in changed), sum(s[0] - s[1] for s in changed)
            aff = stats.get((split, "affirmative"), [0, 0])
            print(f"   {split}: paraphrases rejected {para[1]}/{para[0]}; meaning changed, accepted {acc}/{n_ch} "
                  f"(affirmative {aff[0] - aff[1]}/{aff[0]})")
        if show_misses:
            for r, verdict in misses:
                print(f"--- MISS dev {r['edit']} ({'rejected' if r['same_answer'] else 'accepted'}), passage "
                      f"{r['passage_id']}, task {task or '(none)'}: "
                      f"{'; '.join(ch.reason for ch in verdict.checks if not ch.passed) or '-'}\n"
                      f"[original]\n{r['original']}\n[candidate]\n{r['candidate']}\n")


# --- a transformed text with an unrelated sentence added (issue #9, D2) ---------------------------------

JFLEG_FILE = "jfleg_corrections.jsonl"  # in the folder `added` beside --thirdparty (benchmarks/thirdparty/jfleg.py)
MRPC_FILE = "mrpc_paraphrases.jsonl"  # in the folder `added` beside --thirdparty (benchmarks/thirdparty/mrpc_pairs.py)


def added_split(text: str) -> str:
    """dev / held by the first hex digit of the sha1 of `text` (even: dev)."""
    return "dev" if int(hashlib.sha1(text.encode("utf-8")).hexdigest()[0], 16) % 2 == 0 else "held"


def _foreign_sentence(texts: list[str], i: int) -> str:
    """The longest sentence of at least six words among the texts after the i-th (wrapping round)."""
    from realign.verify.text_added import sentences

    for k in range(1, len(texts)):
        found = [x for x in sentences(texts[(i + k) % len(texts)]) if len(x.split()) >= 6]
        if found:
            return max(found, key=len)
    return ""


def added_sources(args: argparse.Namespace) -> dict[str, list[tuple[str, str, str, str, str]]]:
    """source -> (split, instruction, original, rewrite or "", task) rows: JFLEG corrections (a second
    person's correction as the rewrite), CondaQA paraphrase edits (the paraphrase as the rewrite; the
    converter's split), MRPC paraphrase pairs (the shorter sentence as the rewrite), Alpaca rows the
    embedded classifier routes to a rewriting task (no rewrite)."""
    out: dict[str, list[tuple[str, str, str, str, str]]] = {}
    p = args.thirdparty.parent / "added" / JFLEG_FILE
    if p.is_file():
        rows = [json.loads(x) for x in p.read_text(encoding="utf-8").splitlines() if x.strip()]
        out["jfleg"] = [(r["split"], r["instruction"], r["original"], r["candidate"], "text_correction") for r in rows]
    else:
        print(f"   (skipped JFLEG: no {p}; see benchmarks/thirdparty/jfleg.py)")
    p = args.thirdparty / NEGATION_FILE
    if p.is_file():
        rows = [json.loads(x) for x in p.read_text(encoding="utf-8").splitlines() if x.strip()]
        out["condaqa"] = [(r["split"], r["instruction"], r["original"], r["candidate"], "paraphrasing")
                          for r in rows if r["edit"] == "paraphrase"]
    else:
        print(f"   (skipped CondaQA paraphrases: no {p})")
    p = args.thirdparty.parent / "added" / MRPC_FILE
    if p.is_file():  # two news writers' wordings of one fact: long reworded stretches
        rows = [json.loads(x) for x in p.read_text(encoding="utf-8").splitlines() if x.strip()]
        out["mrpc"] = [(r["split"], r["instruction"], r["original"], r["candidate"], "paraphrasing") for r in rows]
    else:
        print(f"   (skipped MRPC paraphrases: no {p})")
    alpaca = [c for c in rewriting_cases(args.shared) if c.cls == "with_heading"]  # one per routed row
    out["alpaca"] = [(added_split(c.original), c.instruction, c.original, "", c.task) for c in alpaca]
    return out


def open_answers_added(args: argparse.Namespace, split: str) -> None:
    """Whether a milder added-sentence test could run on open answers (contract none) too: how many of
    CoachLM's expert revisions of Alpaca responses of `split` (real rewrites that add detail) the
    text_added check would reject if it ran on them. It does not run on them (task-gated)."""
    from realign.verify.text_added import check_text_added

    path = args.thirdparty.parent / "coverage" / COVERAGE_FILE
    if not path.is_file():
        return
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    rows = [r for r in rows if r["split"] == split]
    hit = sum(not check_text_added(CheckInput(task="default", instruction=r["instruction"], original=r["original"],
                                              candidate=r["candidate"])).passed for r in rows)
    print(f"   (not run on open answers) CoachLM expert revisions ({split}) text_added would reject: {hit}/{len(rows)}")


def added_part(args: argparse.Namespace) -> None:
    """Rewrites of a transformed text that add an unrelated sentence (`added_cases`: another row's
    sentence at the start, the end or between two sentences) against real rewrites of the same requests
    (JFLEG's second correction, CondaQA's paraphrase) and our controls, per split and source: cases, the
    full verification's verdicts with the task given and not given, and the rejections text_added made."""
    sources = added_sources(args)
    for split in ("dev",) if args.dev_only else ("dev", "held"):
        print(f"\n   added sentence, {split}: class, cases, wrong (task given), wrong (no task), rejected by text_added")
        totals = {True: [0, 0, 0], False: [0, 0, 0]}  # same_answer -> cases, wrong with the task given, text_added failed
        for name, rows in sources.items():
            rows = [r for r in rows if r[0] == split]
            originals = [r[2] for r in rows]
            stats: dict[tuple[bool, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
            for i, (_, instruction, original, rewrite, task) in enumerate(rows):
                foreign = _foreign_sentence(originals, i)
                if not foreign:
                    continue
                for c in added_cases(instruction, original, foreign, task, rewrite):
                    st = stats[(c.same_answer, c.cls)]
                    given, bare = verify(c.instruction, c.original, c.candidate, c.task), verify(c.instruction, c.original, c.candidate)
                    st[0] += 1
                    st[1] += given.passed != c.same_answer
                    st[2] += bare.passed != c.same_answer
                    hit = any(ch.name == "text_added" and not ch.passed for ch in given.checks)
                    st[3] += hit
                    totals[c.same_answer][2] += hit
                    totals[c.same_answer][0] += 1
                    totals[c.same_answer][1] += given.passed != c.same_answer
                    if args.added_misses and split == "dev" and given.passed != c.same_answer:
                        print(f"   --- MISS {name}/{c.cls} ({'control rejected' if c.same_answer else 'addition accepted'}): "
                              f"{'; '.join(ch.reason for ch in given.checks if not ch.passed) or '-'}\n"
                              f"   [original] {c.original[:300]!r}\n   [candidate] {c.candidate[:400]!r}")
            print(f"   {name} ({len(rows)} rows)")
            for (same, cls), (n, w_given, w_bare, by_check) in sorted(stats.items()):
                print(f"     {cls:<22}{'control' if same else 'changing':<10}{n:>5}{w_given:>6}{w_bare:>6}{by_check:>6}")
        open_answers_added(args, split)
        for same, label in ((False, "additions accepted"), (True, "controls rejected")):
            n, w, hit = totals[same]
            print(f"   {split} total, task given: {label} {w}/{n} ({w / max(n, 1):.1%})"
                  + (f"; rejected by text_added {hit}/{n} ({hit / max(n, 1):.1%})" if same else ""))


# --- open answers that lose their end or their letter frame (issue #9, D7 / D8) -----------------------

# Originals of the changing class: open answers (contract none / facts / list) of sources nobody on this
# project wrote, (split, folder, file, fields); dev sources were read while the test was built, the held
# one only measured.
OPEN_SOURCES = (
    ("dev", "shared", "alpaca/alpaca_dev_1000.jsonl", ("instruction", "input", "output")),
    ("dev", "lists", "vicuna_bench_answers.jsonl", ("instruction", "input", "response")),
    ("dev", "lists", "selfinstruct_text-davinci-003.jsonl", ("instruction", "input", "response|target")),
    ("dev", "lists", "mtbench_gpt4o_answers.jsonl", ("instruction", "input", "response")),
    ("held", "lists", "alpacaeval_claude_outputs.jsonl", ("instruction", "input", "output")),
)
COVERAGE_FILE = "coachlm_revisions.jsonl"  # in the folder `coverage` beside --thirdparty (benchmarks/thirdparty/coachlm.py)
PARTS_REASON = "rewrite drops part of the original"


def open_answer_cases(args: argparse.Namespace, split: str) -> list[Case]:
    """`ending_cases` on the open answers of the OPEN_SOURCES of `split`; a letter (an answer with a
    greeting or sign-off line) is given the task email_generation in the "task given" column."""
    from realign.verify.length_parts import OPEN_KINDS, letter_frame

    folders = {"shared": args.shared, "lists": args.thirdparty.parent / "lists"}
    out: list[Case] = []
    for sp, folder, name, fields in OPEN_SOURCES:
        if sp != split:
            continue
        path = list_file(folders[folder], name) if folder == "lists" else folders[folder] / name
        if not path.is_file():
            print(f"  (skipped: {path} not found)")
            continue
        used = closed = 0
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            ask = (row.get(fields[0]) or "").strip()
            if row.get(fields[1]):
                ask += "\n\n" + row[fields[1]].strip()
            for field in fields[2].split("|"):
                answer = (row.get(field) or "").strip()
                if not answer:
                    continue
                if read_contract(ask, answer).kind not in OPEN_KINDS:
                    closed += 1
                    continue
                letter = letter_frame(answer) != (-1, -1)
                made = ending_cases(ask, answer, "email_generation" if letter else "")
                used += bool(made)
                out += made
        print(f"  {name}: {used} open answers used, {closed} with a closed contract left out")
    return out


def open_answer_coverage(args: argparse.Namespace) -> None:
    """Open answers that lose their end or their letter frame (`ending_cases`, our degradations of
    third-party answers) and expert revisions of Alpaca responses (CoachLM, third-party controls), per
    split: cases verified wrongly, and how many of the rejections the parts test of the length check
    (length_parts.py) makes."""
    for split in ("dev", "held", "held2"):
        if split != "dev" and args.dev_only:
            continue
        if split == "held2":  # expert revisions only: a second held batch of them
            coachlm_revisions(args, split)
            continue
        print(f"\n   open answers, {split}: changing = greeting / sign-off / last sentence / last paragraph dropped, "
              f"cut at a sentence; controls = ours (courtesy dropped, heading, bullets, last two swapped)")
        cases = open_answer_cases(args, split)
        adversarial(cases, show_misses=args.coverage_misses and split == "dev")
        by_parts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # cases, rejected, rejected by the parts test only
        for c in cases:
            v = verify(c.instruction, c.original, c.candidate)
            failed = [x for x in v.checks if not x.passed]
            st = by_parts[c.cls]
            st[0] += 1
            st[1] += bool(failed)
            st[2] += len(failed) == 1 and failed[0].reason.startswith(PARTS_REASON)
        print("   (task not given) class: cases, rejected, rejected by the parts test alone (accepted without it)")
        for cls, (n, rej, only) in sorted(by_parts.items()):
            print(f"     {cls:<24}{n:>6}{rej:>6}{only:>6}")
        coachlm_revisions(args, split)


def coachlm_revisions(args: argparse.Namespace, split: str) -> None:
    """CoachLM expert revisions of `split` (benchmarks/thirdparty/coachlm.py), by our label of whether the
    revision keeps the original's closing content: rejected by the parts test and by any check."""
    from realign.verify.text_kept import content_words

    path = args.thirdparty.parent / "coverage" / COVERAGE_FILE
    if not path.is_file():
        print(f"   (skipped expert revisions: no {path}; see benchmarks/thirdparty/coachlm.py)")
        return
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    rows = [r for r in rows if r["split"] == split]
    stats = {True: [0, 0, 0], False: [0, 0, 0]}  # keeps the ending -> rows, rejected by any check, by the parts test
    for r in rows:
        v = verify(r["instruction"], r["original"], r["candidate"])
        failed = [x for x in v.checks if not x.passed]
        hit = next((x.reason for x in failed if x.reason.startswith(PARTS_REASON)), None)
        st = stats[bool(r["keeps_ending"])]
        st[0] += 1
        st[1] += bool(failed)
        st[2] += hit is not None
        if args.coverage_misses and split == "dev" and (hit or not r["keeps_ending"]):
            words = content_words(r["original"])
            share = len(words.keys() & content_words(r["candidate"]).keys()) / max(len(words), 1)
            print(f"   --- {r.get('batch', split)} revision {r['index']} ({'keeps' if r['keeps_ending'] else 'drops'} the ending"
                  f"{': ' + r['label_note'] if r['label_note'] else ''}; keeps {share:.0%} of the original's content "
                  f"words): {'rejected: ' + hit if hit else 'accepted by the parts test'}")
    for keeps, (n, any_check, parts) in stats.items():
        if not n:
            continue
        print(f"   CoachLM expert revisions ({split}, task not given) that {'keep' if keeps else 'drop'} the original's "
              f"closing content: {n} rows; rejected by the parts test {parts}/{n} ({parts / max(n, 1):.1%}), "
              f"by any check {any_check}/{n}")


# --- quantities of open answers (trial 12, D6) ---------------------------------------------------------

def quantity_bases(args: argparse.Namespace, split: str) -> list[tuple[str, str]]:
    """(instruction, answer) of the open answers (contract none) of `split` that state a quantity: the
    OPEN_SOURCES of the split and the CoachLM originals (the expert revisions' raw Alpaca responses)."""
    from realign.verify.quantities import quantities

    folders = {"shared": args.shared, "lists": args.thirdparty.parent / "lists"}
    pairs: list[tuple[str, str]] = []
    for sp, folder, name, fields in OPEN_SOURCES:
        if sp != split:
            continue
        path = list_file(folders[folder], name) if folder == "lists" else folders[folder] / name
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            ask = (row.get(fields[0]) or "").strip() + ("\n\n" + row[fields[1]].strip() if row.get(fields[1]) else "")
            for field in fields[2].split("|"):
                pairs.append((ask, (row.get(field) or "").strip()))
    path = args.thirdparty.parent / "coverage" / COVERAGE_FILE
    if path.is_file():
        pairs += [(r["instruction"], r["original"]) for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())
                  if r["split"] in ((split, split + "2") if split == "dev" else (split, "held2"))]
    return [(a, o) for a, o in pairs if o and quantities(o) and read_contract(a, o).kind == "none"]


def quantity_part(args: argparse.Namespace) -> None:
    """Open answers whose quantities change (`quantity_cases`), per split, and the CoachLM expert revisions
    (third-party controls) the quantities check rejects."""
    for split in ("dev", "held"):
        if split == "held" and args.dev_only:
            continue
        bases = quantity_bases(args, split)
        print(f"\n   quantities of open answers, {split}: {len(bases)} contract-none answers with a quantity "
              f"(number with a unit); changing = value changed / dropped / unit changed / duration x6, "
              f"controls = number in words / unit spelled out / heading")
        adversarial([c for a, o in bases for c in quantity_cases(a, o)], show_misses=args.coverage_misses and split == "dev")
        path = args.thirdparty.parent / "coverage" / COVERAGE_FILE
        if path.is_file():
            rows = [r for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())
                    if r["split"] in ((split, split + "2") if split == "dev" else (split, "held2"))]
            hits = [r for r in rows if any(x.name == "quantities_kept" and not x.passed
                                           for x in verify(r["instruction"], r["original"], r["candidate"]).checks)]
            print(f"   CoachLM expert revisions ({split}): rejected by quantities_kept {len(hits)}/{len(rows)}"
                  + (f" (rows {', '.join(str(r['index']) for r in hits)})" if split == "dev" else ""))


def bbq_option_twice_cases(shared: Path, limit: int) -> list[Case]:
    """BBQ options (CC BY 4.0) listed as in `bbq_cases`, answered in a small model's odd formats."""
    return [c for r in bbq_rows(shared, limit // 3, "options said twice") for c in option_twice_cases(*bbq_with_options(r))]


def truthfulqa_rows(folder: Path) -> list[dict[str, Any]]:
    p = folder / "truthfulqa_facts.jsonl"
    if not p.is_file():
        p = REPO / "tests" / "fixtures" / "verify" / "truthfulqa_facts.jsonl"
    if not p.is_file():
        print("(skipped closed claims: no truthfulqa_facts.jsonl)")
        return []
    return [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]


def truthfulqa_closed_cases(folder: Path) -> list[Case]:
    """TruthfulQA (Apache-2.0) as closed questions (`truthfulqa_closed_claims`)."""
    return truthfulqa_closed_claims(truthfulqa_rows(folder))


def strategyqa_twice_cases(folder: Path) -> list[Case]:
    """StrategyQA questions (MIT) with their gold yes / no, as the Kojima et al. logs give them
    (kojima_label.jsonl, outside the repo), answered twice, hedged or in odd formats."""
    p = folder / "kojima_label.jsonl"
    if not p.is_file():
        print(f"(skipped closed answers said twice: {p} not found)")
        return []
    seen: dict[str, str] = {}
    for line in p.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        seen.setdefault(r["instruction"], r["original"])
    return [c for q, a in seen.items() for c in closed_twice_cases(q, a)]


PRESENCE_FILE = REPO / "tests" / "fixtures" / "verify" / "presence_questions.jsonl"


def presence_question_cases(split: str) -> list[Case]:
    """Presence questions answered by an absence statement (`presence_cases`): TruthfulQA's closed
    "Is there ... / Are there ...?" questions (Apache-2.0) with an answer that states the absence,
    its other correct and incorrect answers, and MT-bench question 124 ("Can you identify any bug in
    this function?", Apache-2.0) with its reference answer and the rewrite SmolLM2-135M made of it.
    The dev / held split is fixed in the file (tests/fixtures/verify/SOURCES.md)."""
    if not PRESENCE_FILE.is_file():
        print(f"(skipped presence questions: no {PRESENCE_FILE})")
        return []
    rows = [json.loads(x) for x in PRESENCE_FILE.read_text(encoding="utf-8").splitlines() if x.strip()]
    return [c for r in rows if r["split"] == split
            for c in presence_cases(r["instruction"], r["original"], r["correct"], r["incorrect"], r["task"])]


SOCRATIC_FILE = FIXTURES / "gsm8k_socratic.jsonl"
# GSM8K model solutions used as the harder control of the working check (their labels' correct rows)
WORKING_MODEL_SOURCES = ("kojima_gsm8k", "ps_gsm8k", "shreyshahi_gsm8k", "zeroeval_gsm8k", "zeroeval_gsm8k_fresh")


def working_split(question: str) -> str:
    """dev / held for the working check's data, by the question (fixed before the check was built):
    every rewrite of one question falls in the same half."""
    return "dev" if int(hashlib.sha256(question.strip().encode()).hexdigest()[:8], 16) % 2 == 0 else "held"


def _plain(text: str) -> str:
    return "\n".join(re.sub(r"<<[^>]*>>", "", ln).rstrip() for ln in text.split("\n"))


def working_part(args: argparse.Namespace, splits: tuple[str, ...]) -> None:
    """The working check (issue #9, trial finding D6): rewrites of GSM8K test solutions (MIT) that
    keep the final answer and right arithmetic but drop intermediate calculations, merge two steps
    or keep only the last one (`working_cases`: changing when more than half of the calculations
    are gone, a condensation otherwise), against GSM8K's own Socratic solutions of
    the same questions (every step kept, a sub-question before each; as the file writes them and
    with the calculator notes removed; controls), per split of the question. Then the harder
    control: model-written solutions their source labels correct (they may take other steps),
    rejected by the working check alone and by the full verification."""
    test = args.shared / "gsm8k" / "test.jsonl"
    if not test.is_file() or not SOCRATIC_FILE.is_file():
        print(f"(skipped the working check: {test} or {SOCRATIC_FILE} not found)")
        return
    bases = [json.loads(x) for x in test.read_text(encoding="utf-8").splitlines()[: args.limit] if x.strip()]
    socratic = [json.loads(x) for x in SOCRATIC_FILE.read_text(encoding="utf-8").splitlines() if x.strip()]
    models = [r for src in WORKING_MODEL_SOURCES for r in load_labelled(args.thirdparty).get(src, []) if r["same_answer"]]
    for split in splits:
        cases: list[Case] = []
        for r in bases:
            gold = gsm8k_reference(r["answer"])
            if gold is not None and working_split(r["question"]) == split:
                cases += working_cases(r["question"], r["answer"], gold)
        for r in socratic:
            if working_split(r["question"]) == split:
                cases += [Case("working", "socratic", r["question"], r["answer"], r["socratic"], True),
                          Case("working", "socratic_no_notes", r["question"], r["answer"], _plain(r["socratic"]), True)]
        print(f"\n   the working kept ({split}): GSM8K test solutions 0-{len(bases) - 1} with steps dropped / merged / "
              f"only the last kept (changing), GSM8K Socratic solutions of test questions (controls)")
        adversarial(cases, show_misses=args.working_misses and split == "dev")
        rows = [r for r in models if working_split(r["instruction"]) == split]
        if not rows:
            print(f"  (no model-written GSM8K solutions in {args.thirdparty})")
            continue
        by_source: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for r in rows:
            inp = CheckInput(task="", instruction=r["instruction"], original=r["original"], candidate=r["candidate"])
            alone = not check_working_kept(inp).passed
            v = verify(r["instruction"], r["original"], r["candidate"])
            only = not v.passed and all(c.passed or c.name == "working_kept" for c in v.checks)
            t = by_source[r["source"]]
            t[0] += 1
            t[1] += alone
            t[2] += not v.passed
            t[3] += only
            if alone and args.working_misses and split == "dev" and r["source"] in DEV_SOURCES:
                print(f"--- MODEL SOLUTION REJECTED ({r['source']}): {check_working_kept(inp).reason}\n"
                      f"[original]\n{r['original']}\n[candidate]\n{r['candidate']}\n")
        tot = [sum(t[i] for t in by_source.values()) for i in range(4)]
        for src, t in sorted(by_source.items()) + [("all", tot)]:
            print(f"  model-written correct solutions ({split}) {src:<22} {t[0]:>4}: working_kept rejects {t[1]} "
                  f"({t[1] / t[0]:.1%}); full verification rejects {t[2]} ({t[2] / t[0]:.1%}), {t[3]} of them "
                  f"for working_kept alone")


def stdlib_short_code_cases(limit: int) -> list[Case]:
    """Python standard-library functions (PSF licence) whose body is one return statement,
    written as a two-line definition without fences ("def f(x):\n    return ...")."""
    lib = Path(sysconfig.get_paths()["stdlib"])
    out: list[Case] = []
    for p in sorted(lib.glob("*.py")):
        try:
            src = p.read_text(encoding="utf-8")
            tree = ast.parse(src)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for node in tree.body:
            body = node.body[1:] if isinstance(node, ast.FunctionDef) and ast.get_docstring(node) else getattr(node, "body", [])
            if not isinstance(node, ast.FunctionDef) or node.decorator_list or len(body) != 1 \
                    or not isinstance(body[0], ast.Return) or body[0].value is None:
                continue
            head = src.splitlines()[node.lineno - 1].strip()
            ret = ast.get_source_segment(src, body[0]) or ""
            if not head.endswith(":") or "\n" in ret or len(ret) > 100:
                continue
            out += short_code_cases(f"Write the Python function `{node.name}` ({p.stem} module).", f"{head}\n    {ret}")
            if len(out) >= limit * 5:
                return out
    return out


def facts_bases_cases(folder: Path, limit: int) -> list[Case]:
    """Short factual answers: TruthfulQA best answers, NQ301 gold answers and the primary gold answer
    (`primary_answer`) of EVOUNA's held NQ / TriviaQA questions, varied."""
    p = folder / "truthfulqa_facts.jsonl"
    if not p.is_file():
        p = REPO / "tests" / "fixtures" / "verify" / "truthfulqa_facts.jsonl"
    if not p.is_file():
        print("(skipped facts: no truthfulqa_facts.jsonl)")
        return []
    seen: dict[str, str] = {}
    for line in p.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        seen.setdefault(r["instruction"], r["original"])
    nq = folder / "nq301_facts.jsonl"  # NQ gold answers (CC BY-SA 3.0: read here, never committed)
    if nq.is_file():
        for line in nq.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            gold = (r.get("gold_answers") or [r["original"]])[0]
            seen.setdefault(r["instruction"], f"The answer is {gold}.")
    for name in ("evouna_nq_facts.jsonl", "evouna_tq_facts.jsonl"):  # golds of held questions only
        p = folder / name
        if p.is_file():
            for line in p.read_text(encoding="utf-8").splitlines():
                r = json.loads(line)
                if r.get("split_index", 0) % 2 == 1:
                    seen.setdefault(r["instruction"], f"The answer is {primary_answer(r)}.")
    items = list(seen.items())[: limit * 3]
    names = ["Benjamin Franklin", "Mount Everest", "Marie Curie", "Canada", "Tokyo", "the Roman Empire"]
    out: list[Case] = []
    for i, (q, a) in enumerate(items):
        out += facts_cases(q, a, names[i % len(names)])
    return out


# List answers: (label with its split, folder: "shared" (--shared) or "lists" (beside --thirdparty),
# file, fields instruction | input | answer). Dev sources were read while the list check was built; a
# held source is only measured, never read.
LIST_SOURCES = (
    ("dev: Alpaca answers (CC BY-NC)", "shared", "alpaca/alpaca_dev_1000.jsonl", ("instruction", "input", "output")),
    ("dev: Vicuna-bench answers of vicuna-13b (two runs) and vicuna-7b (lm-sys/FastChat, Apache-2.0)", "lists",
     "vicuna_bench_answers.jsonl", ("instruction", "input", "response")),
    ("held out: AlpacaEval outputs of claude, helpful_base split (tatsu-lab/alpaca_eval; code Apache-2.0, data CC BY-NC: measurement only)", "lists",
     "alpacaeval_claude_outputs.jsonl", ("instruction", "input", "output")),
    # held until its third look; its misses were then read and the list check changed for them: dev from then on
    ("dev (held until its third look): Self-Instruct user tasks, text-davinci-003 answers and human targets (Apache-2.0)",
     "lists", "selfinstruct_text-davinci-003.jsonl", ("instruction", "input", "response|target")),
    # held until it was measured once (18/110 changing accepted); its misses were then read and the
    # list check changed for them: dev from then on
    ("dev (held until measured once): MT-bench answers of gpt-4o, 30 list-shaped turns (lm-sys/FastChat, Apache-2.0; OpenAI outputs: measurement only)",
     "lists", "mtbench_gpt4o_answers.jsonl", ("instruction", "input", "response")),
    # held until it was measured once (1/53 changing accepted, 0/39 controls rejected); that miss was then
    # read and the list check changed for it: dev from then on
    ("dev (held until measured once): Arena-Hard-Auto v0.1 answers of gpt-3.5-turbo-0125, first 25 list-shaped (lmarena/arena-hard-auto, Apache-2.0; OpenAI outputs: measurement only)",
     "lists", "arenahard_gpt35_answers.jsonl", ("instruction", "input", "response")),
    # held until it was measured once (4/66 changing accepted, 0/48 controls rejected); its misses were
    # then read and the list check changed for them: dev from then on
    ("dev (held until measured once): Arena-Hard-Auto v0.1 answers of gpt-4-0613, first 25 list-shaped after the gpt-3.5 questions (lmarena/arena-hard-auto, Apache-2.0; OpenAI outputs: measurement only)",
     "lists", "arenahard_gpt4_0613_answers.jsonl", ("instruction", "input", "response")),
    # held out: AlpacaEval's koala / oasst instructions (none of them a dev source's), a non-OpenAI model; its
    # selection rule was written before any output was read, measured once with the final list check
    ("held out: AlpacaEval outputs of Meta-Llama-3-70B-Instruct, first 25 list-shaped koala/oasst records (tatsu-lab/alpaca_eval; code Apache-2.0, data CC BY-NC, Llama 3 outputs: measurement only)",
     "lists", "alpacaeval_llama3_70b_outputs.jsonl", ("instruction", "input", "response")),
)


def list_bases_cases(path: Path, fields: tuple[str, str, str]) -> list[Case]:
    """List answers of a JSONL file (instruction, input, answer fields; answer fields joined by
    "|" are each a base) with items dropped, substituted, cut short or swapped, and their controls."""
    from realign.verify.lists import order_asked

    if not path.exists():
        print(f"  (skipped: {path} not found)")
        return []
    out: list[Case] = []
    foreign = ("Quantum entanglement", "Mount Kilimanjaro", "Photosynthesis", "The Treaty of Westphalia")
    for i, line in enumerate(path.read_text().splitlines()):
        row = json.loads(line)
        ask = (row.get(fields[0]) or "").strip()
        if row.get(fields[1]):
            ask += "\n\n" + row[fields[1]].strip()
        for answer_field in fields[2].split("|"):
            answer = (row.get(answer_field) or "").strip()
            out += list_cases(ask, answer, foreign[i % len(foreign)], order_asked("", ask))
    return out


def adversarial(cases: list[Case], show_misses: bool = False) -> list[dict[str, Any]]:
    """Per kind and class: cases verified wrongly with the task not given and with it given.
    `show_misses` prints each wrongly verified case (dev sources only: a held source is measured,
    never read)."""
    stats: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # n, wrong (given no task), wrong (task given)
    for c in cases:
        locked = read_contract(c.instruction, c.original).kind
        for j, task in enumerate(("", c.task or TASK_OF_KIND[c.kind])):
            verdict = verify(c.instruction, c.original, c.candidate, task)
            wrong = verdict.passed != c.same_answer
            stats[(c.kind, c.cls)][1 + j] += wrong
            if wrong and show_misses:
                print(f"--- MISS {c.kind}/{c.cls} ({'control rejected' if c.same_answer else 'change accepted'}), "
                      f"task {task or '(none)'}: {'; '.join(ch.reason for ch in verdict.checks if not ch.passed)}\n"
                      f"[instruction]\n{c.instruction}\n[original]\n{c.original}\n[candidate]\n{c.candidate}\n")
        stats[(c.kind, c.cls)][0] += 1
        stats[(c.kind, c.cls)][3] += locked == c.kind or (c.kind == "number" and locked == "number")
    by_cls_same = {(c.kind, c.cls): c.same_answer for c in cases}
    print(f"{'kind':<8}{'class':<28}{'type':<10}{'cases':>6}{'wrong, no task':>16}{'wrong, task':>13}")
    rows = []
    for (kind, cls), (n, w0, w1, _) in sorted(stats.items(), key=lambda kv: (kv[0][0], by_cls_same[kv[0]], kv[0][1])):
        typ = "control" if by_cls_same[(kind, cls)] else "changing"
        print(f"{kind:<8}{cls:<28}{typ:<10}{n:>6}{w0 / n:>16.1%}{w1 / n:>13.1%}")
        rows.append({"kind": kind, "cls": cls, "type": typ, "n": n, "wrong_no_task": w0, "wrong_task": w1})
    for kind in sorted({k for k, _ in stats}):
        for typ, label in (("changing", "accepted"), ("control", "rejected")):
            sel = [r for r in rows if r["kind"] == kind and r["type"] == typ]
            n = sum(r["n"] for r in sel)
            if n:
                print(f"  {kind:<7} {typ:<9} {label}: no task {sum(r['wrong_no_task'] for r in sel)}/{n} "
                      f"({sum(r['wrong_no_task'] for r in sel) / n:.2%}), task given "
                      f"{sum(r['wrong_task'] for r in sel)}/{n} ({sum(r['wrong_task'] for r in sel) / n:.2%})")
    return rows


TURN_SOURCES = ((FIXTURES / "glaive_turns.jsonl", "glaive function-calling turns (committed)"),
                ("mtbench_gpt4o_turns.jsonl", "MT-bench gpt-4o first answers (--thirdparty)"))


def turns_part(args: argparse.Namespace) -> None:
    """Chat answers that a user turn replies to (benchmarks/thirdparty/chat_turns.py), degraded by
    `question_cases` (trial finding D4): each case verified with the reply given (CheckInput.next_user,
    as the pipeline does) and without it (every check before question_kept, which saw one turn alone).
    Split by a hash of the answer; --list-misses prints the dev cases verified wrongly."""
    rows = []
    for name, label in TURN_SOURCES:
        path = name if isinstance(name, Path) else args.thirdparty / name
        if not path.is_file():
            print(f"  (skipped: {path} not found)")
            continue
        got = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
        print(f"  {label}: {len(got)} turns")
        rows += got
    for split in ("dev",) if args.dev_only else ("dev", "held"):
        stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # n, wrong, wrong by question_kept, wrong alone
        same: dict[str, bool] = {}
        for r in (r for r in rows if r["split"] == split):
            for c in question_cases(r["instruction"], r["original"], r["next_user"]):
                inp = CheckInput(task="default", instruction=c.instruction, original=c.original, candidate=c.candidate)
                v = verify_candidate(inp.with_changes(next_user=c.next_user), [], None, OPTS)
                alone = verify_candidate(inp, [], None, OPTS)
                st, same[c.cls] = stats[c.cls], c.same_answer
                st[0] += 1
                st[1] += v.passed != c.same_answer
                st[2] += any(x.name == "question_kept" and not x.passed for x in v.checks)
                st[3] += alone.passed != c.same_answer
                if v.passed != c.same_answer and args.list_misses and split == "dev":
                    print(f"--- MISS {c.cls}: {'; '.join(x.reason for x in v.checks if not x.passed) or 'accepted'}\n"
                          f"[original]\n{c.original}\n[candidate]\n{c.candidate}\n[next user]\n{c.next_user}\n")
        print(f"\n   {split}: class, type, cases, wrong with the reply given, question_kept rejected, wrong with one turn alone")
        for typ in (False, True):
            tot = [0, 0, 0, 0]
            for cls in sorted(k for k in stats if same[k] == typ):
                n, w, q, a = stats[cls]
                tot = [t + x for t, x in zip(tot, stats[cls])]
                print(f"     {cls:<30}{'control' if typ else 'changing':<10}{n:>5}{w:>6}{q:>6}{a:>6}")
            if tot[0]:
                print(f"     {'control' if typ else 'changing'} {'rejected' if typ else 'accepted'}: {tot[1]}/{tot[0]} "
                      f"({tot[1] / tot[0]:.1%}) with the reply given, {tot[3]}/{tot[0]} ({tot[3] / tot[0]:.1%}) one turn alone"
                      + (f"; rejected by question_kept {tot[2]}/{tot[0]} ({tot[2] / tot[0]:.1%})" if typ else ""))


COMMITTED_LISTS = REPO / "tests" / "fixtures" / "verify" / "lists"


def list_file(folder: Path, name: str) -> Path:
    """A list source's file: the one in `folder` (beside --thirdparty, rebuilt by the converters),
    else the committed copy of a source whose licence allows it (so the benchmark survives a lost
    /work/thirdparty), else the missing path, which `list_bases_cases` reports as skipped."""
    path = folder / name
    if not path.exists() and (COMMITTED_LISTS / name).exists():
        return COMMITTED_LISTS / name
    return path


def list_sources(args: argparse.Namespace) -> None:
    folders = {"shared": args.shared, "lists": args.thirdparty.parent / "lists"}
    for label, folder, name, fields in LIST_SOURCES:
        if getattr(args, "dev_only", False) and not label.startswith("dev"):
            continue
        print(f"\n   lists, {label}")
        path = list_file(folders[folder], name) if folder == "lists" else folders[folder] / name
        if path.parent == COMMITTED_LISTS:
            print(f"  (read from the committed copy {path.relative_to(REPO)})")
        adversarial(list_bases_cases(path, fields),
                    show_misses=args.list_misses and label.startswith("dev"))


def gsm8k_own_working(shared: Path) -> None:
    """The arithmetic check on GSM8K's own solutions (train + test, MIT): calculator notes and
    the visible working of the style fine-tuned models copy. What it flags there is either a
    misreading of the style or an error in the gold working itself."""
    rows = []
    for split in ("train", "test"):
        p = shared / "gsm8k" / f"{split}.jsonl"
        if p.is_file():
            rows += [json.loads(x)["answer"] for x in p.read_text(encoding="utf-8").splitlines() if x.strip()]
    if not rows:
        print("(skipped: no GSM8K solutions)")
        return
    flagged = [w for a in rows if (w := wrong_calculations(a))]
    print(f"arithmetic check on GSM8K's own solutions: {len(flagged)} of {len(rows)} flag a calculation, e.g. "
          + "; ".join(repr(f[0][0]) for f in flagged[:3]))


# --- 3. speed -------------------------------------------------------------------------------------

def speed(rows: Iterable[dict[str, Any]], seconds: float) -> None:
    """Best of 3 passes; rows/s by this process's CPU time (one core, whatever else the machine
    runs) and by the wall clock: row by row (`verify_candidate`, as a rewrite run verifies), and in
    batches of `audit.BATCH` (`verify_candidates`, each check over the batch in turn, as `realign
    verify` does)."""
    inputs = [CheckInput(task="default", instruction=r["instruction"], original=r["original"], candidate=r["candidate"])
              for r in rows]
    if not inputs:
        return
    batches = [[(i, [], None) for i in inputs[k:k + BATCH]] for k in range(0, len(inputs), BATCH)]

    def row_by_row() -> None:
        for inp in inputs:
            verify_candidate(inp, [], None, OPTS)

    def batched() -> None:
        for b in batches:
            verify_candidates(b, OPTS)

    mean = sum(len(i.candidate) for i in inputs) / len(inputs)
    for how, run in (("row by row", row_by_row), (f"in batches of {BATCH}", batched)):
        best_cpu = best_wall = 0.0
        for _ in range(3):
            n, cpu, wall = 0, time.process_time(), time.perf_counter()
            while time.perf_counter() - wall < seconds / 6:
                run()
                n += len(inputs)
            best_cpu = max(best_cpu, n / max(time.process_time() - cpu, 1e-9))
            best_wall = max(best_wall, n / (time.perf_counter() - wall))
        print(f"full verification (contract + all its checks + length, leak, refusal, language), one core, {how}: "
              f"{best_cpu:,.0f} rows/s of CPU time ({best_wall:,.0f} rows/s wall clock) on {len(inputs)} real model "
              f"outputs (mean candidate {mean:.0f} chars)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--thirdparty", type=Path, default=Path("/work/thirdparty/verify"),
                    help="folder of third-party labelled JSONL files (kept outside the repo)")
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--limit", type=int, default=300, help="base items per adversarial source")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--lists-only", action="store_true", help="run only the list sources (part 2, lists)")
    ap.add_argument("--dev-only", action="store_true", help="leave the held list sources out (while iterating)")
    ap.add_argument("--list-misses", action="store_true",
                    help="print every wrongly verified case of the DEV list sources (held sources stay unread)")
    ap.add_argument("--negation-only", action="store_true", help="run only the CondaQA negation edits (part 2)")
    ap.add_argument("--negation-misses", action="store_true",
                    help="print the DEV negation edits verified wrongly (held rows stay unread)")
    ap.add_argument("--working-only", action="store_true", help="run only the working check's classes (part 2)")
    ap.add_argument("--working-misses", action="store_true",
                    help="print the DEV cases of the working check verified wrongly (held cases stay unread)")
    ap.add_argument("--coverage-only", action="store_true",
                    help="run only the open answers that lose their end or letter frame, and the expert revisions (part 2)")
    ap.add_argument("--coverage-misses", action="store_true",
                    help="print the DEV open-answer cases verified wrongly and the dev expert revisions rejected")
    ap.add_argument("--quantities-only", action="store_true",
                    help="run only the quantities of open answers (trial 12, D6; --coverage-misses prints dev misses)")
    ap.add_argument("--facts-only", action="store_true", help="run only the short factual answers of part 1")
    ap.add_argument("--facts-misses", action="store_true",
                    help="print the DEV short factual answers verified wrongly (primary construction; held rows stay unread)")
    ap.add_argument("--rewrites-only", action="store_true", help="run only the rewrites of a given short answer (part 1)")
    ap.add_argument("--rewrites-misses", action="store_true",
                    help="print the DEV rewrites of a given answer verified wrongly (held rows stay unread)")
    ap.add_argument("--turns-only", action="store_true", help="run only the chat turns a user turn replies to (D4)")
    ap.add_argument("--added-only", action="store_true", help="run only the added-sentence class (part 2)")
    ap.add_argument("--added-misses", action="store_true", help="print the DEV added-sentence cases verified wrongly")
    args = ap.parse_args()
    if args.turns_only:
        turns_part(args)
        return
    if args.added_only:
        added_part(args)
        return
    if args.rewrites_only:
        given_answer_rewrites(args.thirdparty, args.rewrites_misses)
        return
    if args.facts_only:
        real_outputs(args.thirdparty, None, "facts", args.facts_misses, args.dev_only)
        return
    if args.lists_only:
        list_sources(args)
        return
    if args.working_only:
        working_part(args, ("dev",) if args.dev_only else ("dev", "held"))
        return
    if args.negation_only:
        negation_edits(args.thirdparty, args.dev_only, args.negation_misses)
        return
    if args.coverage_only:
        open_answer_coverage(args)
        return
    if args.quantities_only:
        quantity_part(args)
        return
    print("== 1. real model outputs with their own labels (task not given)")
    rows = real_outputs(args.thirdparty, None)
    print("\n== 2. adversarial rewrites on public bases")
    cases = (gsm8k_cases(args.shared, args.limit) + dfar_cases(args.shared, args.limit)
             + bbq_cases(args.shared, args.limit) + stdlib_cases(args.limit // 3)
             + facts_bases_cases(args.thirdparty, args.limit))
    adversarial(cases)
    print("\n   labels per item (Alpaca), alternatives offered in the question (BBQ), short unfenced code (stdlib)")
    adversarial(item_labels_on_alpaca(args.shared) + bbq_alternative_cases(args.shared, args.limit)
                + stdlib_short_code_cases(args.limit // 3))
    print("\n   a label asked about and denied, attributed and contradicted, or held under a condition (DFAR labels, "
          "BBQ alternatives); the verdict an 'Is it wrong / okay / ethical ...?' question asks for (DFAR acts and "
          "reasons)")
    adversarial(dfar_denied_cases(args.shared, args.limit) + bbq_alternative_denied_cases(args.shared, args.limit)
                + dfar_judgement_cases(args.shared, args.limit))
    print("\n   closed claims affirmed beside a restated denial (TruthfulQA), answers said twice / hedged / odd formats"
          " (StrategyQA yes / no, BBQ options), the two people of a BBQ context as the alternatives")
    adversarial(truthfulqa_closed_cases(args.thirdparty) + strategyqa_twice_cases(args.thirdparty)
                + bbq_option_twice_cases(args.shared, args.limit) + bbq_person_cases(args.shared, args.limit))
    for split in ("dev", "held"):
        print(f"\n   presence questions answered by an absence statement ({split}: TruthfulQA closed 'Is there / Are "
              f"there' questions{', MT-bench q124 (any bug?)' if split == 'dev' else ''})")
        adversarial(presence_question_cases(split))
    print("\n   a rewriting task's text (Alpaca rows the embedded classifier routes to instructional_rewriting, "
          "language_polishing, paraphrasing, text_correction): its contract is mostly none, only the task's "
          "text_kept holds it, so the no-task column has no check for it")
    adversarial(rewriting_cases(args.shared))
    print("\n   negation edits (CondaQA): a negated sentence paraphrased (meaning kept), its negation's scope moved or "
          "the negation undone (meaning changed), as rewrites of that sentence")
    negation_edits(args.thirdparty, args.dev_only, args.negation_misses)
    added_part(args)
    working_part(args, ("dev",) if args.dev_only else ("dev", "held"))
    print("\n   open answers that lose their end or their letter frame (issue #9, D7 / D8)")
    open_answer_coverage(args)
    quantity_part(args)
    gsm8k_own_working(args.shared)
    list_sources(args)
    print("\n== 3. speed")
    speed([r for r in rows if r["kind"] == "math"], args.seconds)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
