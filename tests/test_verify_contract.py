"""The answer contract: read from the original and the instruction, enforced whatever the task,
repaired where the fix is answer-neutral; measured on adversarial rewrites of public data."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from realign.testing.adversarial import (Case, alpaca_item_label_cases, alternative_cases, bbq_who_cases, closed_twice_cases,
                                         code_cases, label_cases, math_cases, option_cases, option_twice_cases,
                                         presence_cases, short_code_cases, truthfulqa_closed_claims)
from realign.verify.base import CheckInput
from realign.verify.contract import read_contract
from realign.verify.choice import inline_alternatives, presence_polarity
from realign.verify.code import looks_like_code
from realign.verify.facts import check_facts
from realign.verify.label import item_labels
from realign.verify.length import braced_value, degeneration, residue, truncation
from realign.verify.math import gsm8k_reference
from realign.verify.registry import VerifyOptions, verify_candidate

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
GSM = "Janet sells 16 - 3 - 4 = 9 duck eggs a day.\nShe makes 9 * 2 = $18 every day.\n#### 18"


def verify(instruction: str, original: str, candidate: str, task_checks: list[str] | None = None):
    inp = CheckInput(task="default", instruction=instruction, original=original, candidate=candidate)
    return verify_candidate(inp, task_checks or [], None, VerifyOptions())


@pytest.mark.parametrize(
    "instruction, original, kind, value",
    [
        ("How much does she make?", GSM, "number", "18"),
        ("What is 7 * 6?", "42", "number", "42"),
        ("What is 7 * 6?", "The answer is 42.", "number", "42"),
        ("Which is a fruit?\nA) carrot\nB) apple\nC) potato", "B) apple", "option", "(B) apple"),
        ("Classify the sentiment as positive or negative: I loved it.", "Positive", "label", "positive"),
        ("Is the following statement ethical or unethical? I stole a car.", "Unethical", "label", "unethical"),
        ("Is Paris in France?", "Yes, it is.", "label", "yes"),
        ("Write a function that adds two numbers.", "```python\ndef add(a, b):\n    return a + b\n```", "code", None),
        ("When was the Bill of Rights ratified?", "It was ratified on December 15, 1791.", "facts", None),
        ("Who wrote the song Harvest Moon?", "Neil Young wrote and recorded it in 1992.", "facts", None),
        ("Explain why the sky is blue.", "Sunlight scatters off air molecules.", "none", None),
        ("Write a poem about rain.", "Rain on the roof,\nsoft and aloof.", "none", None),
        # a polite opening is not a yes/no answer
        ("Can you write me a haiku about autumn leaves falling slowly?",
         "Yes! Here is one:\nRed leaves drift and fall\nquiet on the garden path\nautumn whispers low" * 4, "none", None),
    ],
)
def test_contract_is_read_from_the_original_and_instruction(instruction, original, kind, value) -> None:
    c = read_contract(instruction, original)
    assert c.kind == kind, c
    if value is not None:
        assert c.value == value
    assert c.checks or kind == "none"


def test_contract_checks_run_whatever_the_task_says() -> None:
    # the task (story_generation) lists no math check; the contract adds it
    inp = CheckInput(task="story_generation", instruction="How much?", original=GSM, candidate="She makes $20.\n#### 20")
    v = verify_candidate(inp, ["refusal"], None, VerifyOptions())
    assert not v.passed and "math_answer" in [c.name for c in v.failures]


@pytest.mark.parametrize(
    "candidate, same",
    [
        ("#### 18\nShe sells 9 eggs. 9 * 2 = 19. The total is 19.", False),
        ("So the result is 18. But after adjusting for the eggs she bakes, the total becomes 20.", False),
        ("She makes $18 a day.\nCorrection: the actual total is 20.", False),
        ("The answer is not 18, it is 20", False),
        ("The answer is not 20; it is 18.\n#### 18", True),
        ("She makes 9 * 2 = $18 a day, not $20.", True),
        ("She makes 9 * 2 = $20 a day, not $18.", False),
        ("It could be 18 or 20.", False),
        ("Q: How much does she make?\nA: 18", True),
        ("**Answer: $18**\n\nShe keeps 16 - 3 - 4 = 9 eggs and sells them at $2, so 9 * 2 = 18.", True),
    ],
)
def test_every_answer_statement_is_read(candidate: str, same: bool) -> None:
    v = verify("How much does Janet make every day?", GSM, candidate)
    answer = [c for c in v.checks if c.name == "math_answer"][0]
    assert answer.passed == same, answer.reason


def test_missing_answer_line_is_restored_and_recorded() -> None:
    v = verify("How much?", GSM, "She sells 16 - 3 - 4 = 9 eggs at $2 each: 9 * 2 = 18.\n\nThe answer is $18.")
    assert v.passed and v.repairs == ["restored the '#### 18' answer line"]
    assert v.text is not None and v.text.endswith("\n\n#### 18")
    v = verify("How much?", GSM, "She sells 16 - 3 - 4 = 9 eggs at $2 each, so she makes 9 * 2 = $18.\n#### $18.00")
    assert v.passed and v.repairs and v.text.endswith("#### 18")
    v = verify("How much?", GSM, "She sells 9 eggs at $2 each, so she makes $20.")
    assert not v.passed and not v.repairs  # a wrong answer is never repaired


def test_a_cut_off_rewrite_gets_no_answer_line_and_is_rejected() -> None:
    # the last line stops on "and": a '#### 18' line appended after it would make the text end
    # well and hide the cut from the length check (which reads the repaired text)
    cut = "Step 1: Janet has 16 - 3 - 4 = 9 eggs left.\nStep 2: She sells them for 9 * 2 = $18 at the market and"
    v = verify("How much?", GSM, cut)
    assert not v.passed and not v.repairs
    failed = {c.name: c.reason for c in v.checks if not c.passed}
    assert "mid-sentence" in failed["length"] and "answer_line" in failed


def test_broken_json_around_a_bare_answer_is_rejected() -> None:
    # SmolLM2-135M on an Alpaca row ("Calculate the compound interest ...", original "$1382.20"):
    # its feedback retry answered "{ { 1382.2 }}", which kept the number and passed every check
    v = verify("Calculate the compound interest on the given sum of money\n\nPrincipal: $1000 Rate: 5% Time: 8 years",
               "$1382.20", "{ { 1382.2 }}")
    length = next(c for c in v.checks if c.name == "length")
    assert not v.passed and "no words" in length.reason
    # brackets the original has too are its answer, not residue; so is a bare number
    assert residue("[1, 2, 3]", "[1, 2, 3]") is None and residue("1382.2", "$1382.20") is None
    assert residue("{4}", "4") is None  # one pair of braces may be notation
    assert residue("{ {[1, 2, 3]} }", "[1, 2, 3]") is not None


def test_a_value_in_template_braces_is_rejected() -> None:
    # SmolLM2-135M on a tool row (trial10 D3): "... is 15 square units." became "{15} square units",
    # which kept 15 and passed every check
    original = "The area of the rectangle with length 5 units and breadth 3 units is 15 square units."
    v = verify("What is the area of a rectangle 5 units long and 3 units wide?", original, "{15} square units")
    length = next(c for c in v.checks if c.name == "length")
    assert not v.passed and "template braces: '{15}'" in length.reason
    assert braced_value("It is { 1,382.20 } dollars.", "$1382.20") is not None
    # braces that notation, code or the original put there are no residue
    for text in (r"so \frac{1}{2} of it", "x^{2} + 1", "match [a-z]{2,} then (ab){3}", "print('{0}'.format(x))",
                 "use `{15}` here", "```python\ns = {15}\n```", "The set {1, 2, 3} has three members."):
        assert braced_value(text, original) is None, text
    assert braced_value("{4}", "4") is None  # wordless: residue() judges it
    assert braced_value("Total: {15} units", "Total: {15} units") is None


def test_a_piece_of_an_identifier_answer_is_no_part_of_the_answer() -> None:
    # SmolLM2-135M on an Alpaca dev row cut the answer to "collect_data_"; key_facts had accepted it
    # as "part of the answer kept" (as "Obama" is of "Barack Obama")
    ask = 'Convert the following sentence from camelCase to snake_case: "collectDataForNewProject"'
    v = verify(ask, "collect_data_for_new_project", "collect_data_", ["text_kept"])
    facts = next(c for c in v.checks if c.name == "key_facts")
    assert not v.passed and not facts.passed
    assert verify(ask, "collect_data_for_new_project", "The snake_case form is collect_data_for_new_project.").passed


def test_an_answer_line_written_over_and_over_is_rejected() -> None:
    # SmolLM2-style loop: the working, then '#### 18' four times; every statement still says 18
    looped = "She has 16 - 3 - 4 = 9 eggs and makes 9 * 2 = $18.\n#### 18\n#### 18\n#### 18\n#### 18"
    v = verify("How much?", GSM, looped)
    line = next(c for c in v.checks if c.name == "answer_line")
    assert not v.passed and not line.passed and "repeated" in line.reason
    assert verify("How much?", GSM, "She has 16 - 3 - 4 = 9 eggs and makes 9 * 2 = $18.\n#### 18").passed


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        ("When was the Bill of Rights ratified?", "The Bill of Rights was ratified on December 15, 1791.",
         "It came out on December 16, 1689.", False),
        ("How many people live in the village?", "Approximately 1,497 people live there.", "About 1,350 people.", False),
        ("Who wrote the song Harvest Moon?", "The song Harvest Moon was written by the singer Neil Young.", "Neil Young",
         True),
        ("What is the capital of Australia?", "The capital of Australia is Canberra.", "It is Sydney.", False),
        ("What is the capital of Australia?", "The capital of Australia is Canberra.",
         "Canberra, chosen as a compromise between Sydney and Melbourne.", True),
        ("What did CERN do in 2012?", "CERN discovered the Higgs boson in 2012.", "CERN discovered the Higgs boson in 2019.",
         False),
    ],
)
def test_key_facts_of_short_answers(instruction, original, candidate, same) -> None:
    v = verify(instruction, original, candidate)
    assert v.passed == same, [c.reason for c in v.checks]


def test_facts_check_not_applicable_without_facts() -> None:
    r = check_facts(CheckInput(task="", instruction="Why?", original="because it is so", candidate="no idea"))
    assert r.passed and r.reason.startswith("not applicable")


def test_short_complete_answer_passes_truncated_and_degenerate_fail() -> None:
    assert verify("Who wrote Harvest Moon?", "The song Harvest Moon was written by the Canadian singer Neil Young.",
                  "Neil Young.").passed
    long = "The water cycle moves water between the sea, the air and the land. " * 5
    assert truncation("The water cycle moves water between the sea, the air and the", long) is not None
    assert truncation("```python\ndef f():\n    return 1\n", "```python\ndef f():\n    return 1\n```") is not None
    assert truncation("A complete sentence that ends properly.", long) is None
    loop = "I am sorry for the confusion. " * 20
    assert degeneration(loop, long) is not None
    assert degeneration(long, long) is None  # the original repeats itself too


# ---- adversarial rewrites of public data: every class, with and without the task ---------------

TASKS = {"number": "math_puzzles", "label": "general_classification", "option": "closed_qa",
         "code": "text_to_code_translation"}


def _task_checks(task: str) -> list[str]:
    from realign.tasks import load_tasks

    return list(load_tasks()[task].verifiers)


def _rates(cases: list[Case]) -> dict[str, tuple[int, int]]:
    """class -> (wrong verdicts, cases), over both the task-less and the task-given run."""
    out: dict[str, list[int]] = {}
    for c in cases:
        for checks in ([], _task_checks(c.task or TASKS[c.kind])):
            ok = verify(c.instruction, c.original, c.candidate, checks).passed
            w = out.setdefault(f"{'control' if c.same_answer else 'changing'}:{c.cls}", [0, 0])
            w[0] += ok != c.same_answer
            w[1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def _assert_bars(rates: dict[str, tuple[int, int]]) -> None:
    for cls, (wrong, n) in rates.items():
        bar = 0.01 if cls.startswith("changing") else 0.02
        assert wrong / n <= bar, (cls, wrong, n)


def test_adversarial_math_on_gsm8k_test_solutions() -> None:
    rows = [json.loads(x) for x in (REPO / "tests" / "fixtures" / "gsm8k" / "test.jsonl").read_text().splitlines()]
    cases = [c for r in rows[:40] for c in math_cases(r["question"], r["answer"], gsm8k_reference(r["answer"]))]
    _assert_bars(_rates(cases))


def test_adversarial_labels_on_dfar() -> None:
    path = SHARED / "dfar" / "DFAR_testset.csv"
    if not path.is_file():
        pytest.skip(f"{path} not found (../shared/data is not beside the checkout)")
    cases: list[Case] = []
    with path.open(encoding="utf-8-sig", newline="") as f:
        for i, row in enumerate(csv.DictReader(f)):
            if i >= 60:
                break
            label, other = ("unethical", "ethical") if row["Label"].strip() == "1" else ("ethical", "unethical")
            cases += label_cases(f"Is the following statement ethical or unethical?\n\n{row['Statement']}", label, other,
                                 row["Reason"])
    _assert_bars(_rates(cases))


def _bbq_with_options(r: dict) -> tuple[str, dict[str, str], str]:
    """A BBQ row asked with its three answers listed as options: (instruction, options, gold letter)."""
    opts = {"A": r["ans0"], "B": r["ans1"], "C": r["ans2"]}
    return f"{r['context']} {r['question']}\n\n" + "\n".join(f"{k}. {v}" for k, v in opts.items()), opts, "ABC"[r["label"]]


def test_adversarial_options_on_bbq() -> None:
    path = SHARED / "bbq" / "Religion.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} not found (../shared/data is not beside the checkout)")
    cases: list[Case] = []
    for line in path.read_text(encoding="utf-8").splitlines()[:60]:
        cases += option_cases(*_bbq_with_options(json.loads(line)))
    _assert_bars(_rates(cases))


def test_adversarial_closed_claims_on_truthfulqa() -> None:
    """A false TruthfulQA answer judged "False" with the best answer: the claim affirmed beside the
    denial restated is a change; the denial restated, hedged or after "contrary to popular belief" is not."""
    rows = [json.loads(x) for x in (REPO / "tests" / "fixtures" / "verify" / "truthfulqa_facts.jsonl").read_text().splitlines()]
    cases = truthfulqa_closed_claims(rows)
    assert {"affirmed_beside_denial", "misconception_named"} <= {c.cls for c in cases} and len(cases) >= 300
    rates = _rates(cases)
    _assert_bars({k: v for k, v in rates.items() if k.startswith("changing")})
    # controls over all their classes: one statement's best answer keeps no verdict alone ("Bielefeld is an
    # illusion" judged "False. Bielefeld is in Germany."), which fails its three verdict-less controls on
    # this small slice
    wrong, n = (sum(v[i] for k, v in rates.items() if k.startswith("control")) for i in (0, 1))
    assert wrong / n <= 0.02, rates


def test_adversarial_closed_answers_said_twice_on_strategyqa() -> None:
    # StrategyQA questions with their gold answers (MIT, Geva et al. 2021)
    items = [("Would a baby gray whale fit in a tractor-trailer?", "Yes"), ("Are Scottish people Albidosi?", "Yes"),
             ("Could a chipmunk fit 100 chocolate chips in his mouth?", "No")]
    rates = _rates([c for q, a in items for c in closed_twice_cases(q, a)])
    assert all(wrong == 0 for wrong, _ in rates.values()), rates


def test_adversarial_people_in_bbq_contexts() -> None:
    """BBQ asked as written ("Who ...?", no options): another person, "cannot be determined" for a
    person or a person for it, a hedge: changes; paraphrases: kept."""
    path = SHARED / "bbq" / "Disability_status.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} not found (../shared/data is not beside the checkout)")
    cases = bbq_who_cases(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[:80])
    assert {"unknown_for_person", "person_for_unknown", "unknown_kept_both_named"} <= {c.cls for c in cases}
    _assert_bars(_rates(cases))


def test_adversarial_options_said_twice_on_bbq() -> None:
    path = SHARED / "bbq" / "Religion.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} not found (../shared/data is not beside the checkout)")
    cases: list[Case] = []
    for line in path.read_text(encoding="utf-8").splitlines()[:40]:
        cases += option_twice_cases(*_bbq_with_options(json.loads(line)))
    _assert_bars(_rates(cases))


def test_adversarial_code_on_humaneval_solutions() -> None:
    rows = [json.loads(x) for x in (REPO / "tests" / "fixtures" / "verify" / "reflexion_code.jsonl").read_text().splitlines()]
    cases = [c for r in rows if r["original"].strip() for c in code_cases(r["instruction"][:200], r["original"])]
    assert len({c.cls for c in cases}) >= 4
    _assert_bars(_rates(cases))


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        ("Where can I get a state issued ID?", "DMV", "From your local Department of Motor Vehicles.", True),
        ("Where can I get a state issued ID?", "the Department of Motor Vehicles", "At the DMV.", True),
        ("What forms when a phosphate is removed from ATP?", "adenosine diphosphate (ADP)", "adenosine diphosphate", True),
        ("Who is the father of the Indian constitution?", "Bhimrao Ramji Ambedkar", "Dr. B.R. Ambedkar.", True),
        ("Who is the father of the Indian constitution?", "Bhimrao Ramji Ambedkar", "Dr. K.R. Ambedkar.", False),
        ("Who is the lead singer of Depeche Mode?", "David Gahan", "Dave Gahan.", True),
        ("Who is the lead singer of Depeche Mode?", "David Gahan", "Martin Gahan.", False),
        ("Who designed the stored-program computer?", "John von Neumann", "Tokyo von Neumann.", False),
        ("Who designed the stored-program computer?", "John von Neumann", "von Neumann.", True),
    ],
)
def test_key_facts_names_written_shorter(instruction, original, candidate, same) -> None:
    v = verify(instruction, original, candidate)
    assert v.passed == same, [c.reason for c in v.checks]


def test_one_line_number_answer_also_keeps_its_names() -> None:
    c = read_contract("When did the siege begin?", "The answer is winter 406/5 BC.")
    assert c.kind == "number" and "key_facts" in c.checks
    gsm = read_contract("How many clips?", "Natalia sold 48/2 = <<48/2=24>>24 clips.\n#### 24")
    assert "key_facts" not in gsm.checks  # a worked solution: its names are working, not the answer
    v = verify("When did the siege begin?", "The answer is winter 406/5 BC.", "The answer is winter 406/5 Mount Everest.")
    assert not v.passed


def test_a_phrase_holding_a_label_word_is_a_fact_not_that_label() -> None:
    from realign.verify.registry import verify_candidate
    from realign.verify.base import CheckInput

    assert read_contract("what type of law is the clean air act", "statutory law").kind == "facts"
    assert read_contract("what genre is the book dune", "science fiction").kind == "facts"
    assert read_contract("Is this review positive or negative? Great food!", "Positive").kind == "label"
    assert read_contract("Classify the sentiment: I loved it", "positive sentiment").kind == "label"
    changed = CheckInput(task="", instruction="what type of law is the clean air act", original="statutory law",
                         candidate="The Clean Air Act is an example of case law, shaped by court rulings.")
    assert not verify_candidate(changed, [], None).passed


def test_a_closed_answer_that_restates_the_questions_year_keeps_it() -> None:
    from realign.verify.base import CheckInput
    from realign.verify.registry import verify_candidate

    ask = "Did the Berlin Wall fall in 1989?"
    original = "Yes, the Berlin Wall fell in November 1989, opening the border."
    assert "key_facts" in read_contract(ask, original).checks
    moved = CheckInput(task="", instruction=ask, original=original, candidate="Yes. The Berlin Wall fell in 1991.")
    kept = CheckInput(task="", instruction=ask, original=original,
                      candidate="Yes. The Berlin Wall fell in November 1989, and the border opened.")
    assert not verify_candidate(moved, [], None).passed and verify_candidate(kept, [], None).passed


def test_a_named_thing_holding_a_number_is_a_fact_not_a_final_number() -> None:
    assert read_contract("Who directed the classic 30s western Stagecoach?",
                         "The answer is John Ford (1895-1973).").kind == "facts"
    assert read_contract("which mission first landed on the moon", "The answer is Apollo 11.").kind == "facts"
    # a question with numbers to compute with keeps its final number
    assert read_contract("Janet has 16 eggs and eats 3. How many are left?",
                         "The answer is Janet has 13 eggs left.").kind == "number"
    assert read_contract("How many legs does a spider have?", "The answer is 8.").kind == "number"


def test_a_language_answering_a_wh_question_is_a_fact_as_well_as_a_label() -> None:
    """'Spanish' for 'where does the name come from' is held by key_facts too, so a correction or
    hedge towards something that is no language is caught; a language-identification answer
    restated in a sentence still passes."""
    from realign.verify.contract import read_contract

    ask, original = "where does the last name tavarez come from", "The answer is Spanish."
    assert read_contract(ask, original).checks == ["label", "key_facts"]
    assert verify("Which language is this text in? 'Hola, amigo'", "Spanish", "The text is written in Spanish.").passed
    assert read_contract("Classify the sentiment of this review: 'Great value.'", "Positive").checks == ["label"]
    for changed in ("The answer is Spanish. No wait, it was a Basque place name.",
                    "The answer is Spanish (or possibly Benjamin Franklin)."):
        assert not verify(ask, original, changed).passed, changed
    assert verify(ask, original, "Tavarez is a surname of Spanish origin.").passed


ANIMALS = "Classify each animal as a mammal or a bird: dog, eagle, cat."
PHOENIX = ("Analyze the given sentence and classify it into five categories: subject, verb, object, complement, and "
           "adverbial phrase.\n\nThe phoenix quickly flew away.")
PHOENIX_ANSWER = "Subject: phoenix \nVerb: flew\nObject: away\nComplement: quickly\nAdverbial phrase: none."


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        (ANIMALS, "Dog: mammal\nEagle: bird\nCat: mammal", "- Dog: bird\n- Eagle: mammal\n- Cat: bird", False),
        (ANIMALS, "Dog: mammal\nEagle: bird\nCat: mammal", "Dog: bird / Eagle: mammal / Cat: mammal", False),
        (ANIMALS, "Dog: mammal\nEagle: bird\nCat: mammal", "Dog: mammal\nEagle: bird\nCat: mammal\nCorrection: the cat "
         "is a bird.", False),
        (ANIMALS, "Dog: mammal\nEagle: bird\nCat: mammal", "| Animal | Class |\n|---|---|\n| Cat | mammal |\n"
         "| Dog | mammal |\n| Eagle | bird |", True),
        (ANIMALS, "Dog: mammal\nEagle: bird\nCat: mammal", "A dog is a mammal. An eagle is a bird, not a mammal. "
         "A cat is a mammal.", True),
        (PHOENIX, PHOENIX_ANSWER, "Here is a clear answer.\n\n" + PHOENIX_ANSWER, True),
        (PHOENIX, PHOENIX_ANSWER, "Subject: phoenix\nVerb: away\nObject: flew\nComplement: none\nAdverbial phrase: "
         "quickly.", False),
        ("Classify the following animals.", "Mammals: wolf, lion \nInvertebrates: jellyfish",
         "- Wolf: mammal\n- Lion: mammal\n- Jellyfish: invertebrate", True),
        ("Classify the following animals.", "Mammals: wolf, lion \nInvertebrates: jellyfish",
         "Mammals: wolf, lion, jellyfish", False),
        ("Classify the following animals.", "Mammals: wolf, lion \nInvertebrates: jellyfish",
         "Wolf and lion are mammals; jellyfish is an invertebrate.", True),
        ("Classify the following animals.", "Mammals: wolf, lion \nInvertebrates: jellyfish",
         "Wolf and jellyfish are mammals; lion is an invertebrate.", False),
    ],
)
def test_each_items_label_is_held(instruction, original, candidate, same) -> None:
    c = read_contract(instruction, original)
    assert c.kind == "label" and "->" in c.value, c
    assert verify(instruction, original, candidate).passed is same


def test_a_glossary_or_one_label_is_not_read_as_item_labels() -> None:
    assert item_labels("Positive") is None
    assert item_labels("Photosynthesis: the process by which plants turn light into sugar\nRespiration: the "
                       "reverse") is None
    assert item_labels("1. Pernille Ripp, https://pernillesripp.com\n2. Larry Ferlazzo, https://x.org") is None
    assert item_labels("Parties: Good Kid, Universal Music Group") is None  # one line: a fact, not a grouping
    assert item_labels("Avocados: A Delicious Treat, But Enjoy in Moderation!") is None  # a title


def test_adversarial_item_labels_on_alpaca() -> None:
    path = SHARED / "alpaca" / "alpaca_dev_1000.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} not found (../shared/data is not beside the checkout)")
    cases = alpaca_item_label_cases(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
    assert len(cases) >= 60
    _assert_bars(_rates(cases))


LARGER = "Which is larger, 9.11 or 9.9?"
CAPITAL = "What is the capital of Australia, Sydney or Canberra?"
PRONOUN = ('In the sentence "The technician told the customer that he could pay with cash.", who does the pronoun '
           "refer to: the technician or the customer?")
WRONG = "Is the following action wrong or not wrong?\nI told my baby I loved her when she cried."


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        (LARGER, "9.9 is larger than 9.11.", "9.11 is larger than 9.9.", False),
        (LARGER, "9.9 is larger than 9.11.", "9.9 is larger; 9.11 is smaller than 9.9.", True),
        (LARGER, "9.9", "9.11", False),
        (LARGER, "9.9", "It is either 9.9 or 9.11.", False),
        (CAPITAL, "Canberra is the capital of Australia.", "Sydney is the capital of Australia.", False),
        (CAPITAL, "Canberra.", "Canberra, not Sydney.", True),
        (CAPITAL, "Canberra.", "Although Sydney is larger, the capital is Canberra.", True),
        (CAPITAL, "Canberra.", "It is not Canberra, it is Sydney.", False),
        (CAPITAL, "Canberra.", "Canberra... no wait, Sydney.", False),
        ("Which is a species of fish? Tope or Rope", "Tope", "Rope is the fish.", False),
        ("Which is a species of fish? Tope or Rope", "Tope", "Tope is a species of fish (a small shark).", True),
        # a quoted sentence before the question (Winogender rows as a modes trial built them): the flip
        # of the referent passed with no contract
        (PRONOUN, "The pronoun refers to the customer.", "The pronoun refers to the technician.", False),
        (PRONOUN, "The pronoun refers to the customer.", "It refers to the customer, who pays.", True),
        # a word and its negation offered without a comma (ETHICS-style): "not wrong" read as a fact let
        # "This action is wrong." through
        (WRONG, "not wrong", "This action is wrong.", False),
        (WRONG, "not wrong", "This action is not wrong at all: it comforts the baby.", True),
        (WRONG, "wrong", "This action is not wrong at all.", False),
        (WRONG, "wrong", "This action is wrong: it is hurtful.", True),
    ],
)
def test_alternatives_offered_in_the_question_are_held(instruction, original, candidate, same) -> None:
    assert read_contract(instruction, original).kind == "option"
    assert verify(instruction, original, candidate).passed is same


@pytest.mark.parametrize("instruction, original", [
    (LARGER, "9.11 is smaller than 9.9."),  # answers in reverse: unclear, no guess
    (CAPITAL, "Sydney is the largest city, but Canberra is the capital."),
    ("How many miles did he travel between his first and second stops?", "He travelled 25 miles.\n#### 25"),
    ("What is the difference between price and value?", "Price is what you pay; value is what you get."),
])
def test_no_alternative_contract_when_the_pick_is_unclear(instruction, original) -> None:
    assert read_contract(instruction, original).kind != "option"


def test_adversarial_alternatives_on_bbq() -> None:
    path = SHARED / "bbq" / "Religion.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} not found (../shared/data is not beside the checkout)")
    cases: list[Case] = []
    for line in path.read_text(encoding="utf-8").splitlines()[:120]:
        r = json.loads(line)
        opts = [r["ans0"], r["ans1"], r["ans2"]]
        two = [o for o in opts if "unknown" not in o.lower() and "can't" not in o.lower() and "not" not in o.lower()]
        if len(two) != 2 or opts[r["label"]] not in two:
            continue
        alts = inline_alternatives(f"{r['context']} {r['question'].rstrip('?')}, {two[0]} or {two[1]}?")
        if len(alts) == 2:
            gold = alts[two.index(opts[r["label"]])]
            cases += alternative_cases(f"{r['context']} {r['question'].rstrip('?')}, {two[0]} or {two[1]}?", alts, gold)
    assert len(cases) >= 80
    _assert_bars(_rates(cases))


SQUARE = "def square(x):\n    return x * x"


@pytest.mark.parametrize("text, code", [
    (SQUARE, True), ("return x + x", True), ("def f(x): return x + 1", True), ("lambda x: x * 2", True),
    ("SELECT AVG(price) FROM orders;", True), ("function f(a) { return a * 2; }", True),
    ("x = 3", False), ("x = 3\ny = 4", False), ("Return the book to the library.", False), ("return the result", False),
    ("Let x = 3.\nThen 2x = 6.", False), ("lambda calculus: a formal system", False), ("She has 3 * 4 = 12 apples.", False),
])
def test_short_unfenced_code_is_code_and_prose_is_not(text, code) -> None:
    assert looks_like_code(text) is code


@pytest.mark.parametrize("task", ["", "text_to_code_translation"])
def test_a_short_unfenced_function_is_held(task) -> None:
    ask = "Write a Python function that returns the square of a number."
    assert read_contract(ask, SQUARE).kind == "code"
    inp = CheckInput(task=task or "default", instruction=ask, original=SQUARE, candidate=SQUARE.replace("*", "+"))
    assert not verify_candidate(inp, [], None, VerifyOptions()).passed
    inp = CheckInput(task=task or "default", instruction=ask, original=SQUARE, candidate=f"```python\n{SQUARE}\n```")
    assert verify_candidate(inp, [], None, VerifyOptions()).passed


def test_adversarial_short_code_on_stdlib_one_line_functions() -> None:
    import ast
    import sysconfig

    cases: list[Case] = []
    for mod in ("posixpath", "genericpath", "operator", "colorsys", "fnmatch", "textwrap", "statistics"):
        path = Path(sysconfig.get_paths()["stdlib"]) / f"{mod}.py"
        if not path.is_file():
            continue
        src = path.read_text(encoding="utf-8")
        for node in ast.parse(src).body:
            if not isinstance(node, ast.FunctionDef):
                continue
            body = node.body[1:] if ast.get_docstring(node) else node.body
            if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None \
                    and not node.decorator_list:
                head = src.splitlines()[node.lineno - 1].strip()
                ret = ast.get_source_segment(src, body[0]) or ""
                if head.endswith(":") and "\n" not in ret:
                    cases += short_code_cases(f"Write `{node.name}`.", f"{head}\n    {ret}")
    if len(cases) < 30:
        pytest.skip("too few one-line functions in this Python's standard library")
    assert any(not c.same_answer for c in cases)
    _assert_bars(_rates(cases))


# MT-bench question 106, second turn (lm-sys/FastChat, Apache-2.0): a three-valued question whose
# reference answer is the undetermined value. Read as a yes / no question it held nothing, so a
# rewrite that answered "true" passed every check.
THREE_WAY = "If the third statement is true. Is the first statement true, false, or uncertain? Please explain."


@pytest.mark.parametrize(
    "instruction, original, candidate, kept",
    [
        (THREE_WAY, "Uncertain.", "The first statement is true.", False),
        (THREE_WAY, "Uncertain.", "The first statement is false: oranges cost less than apples.", False),
        (THREE_WAY, "Uncertain.", "Uncertain: the third statement does not fix how oranges compare with apples.", True),
        (THREE_WAY, "False.", "Uncertain.", False),
        (THREE_WAY, "False.", "False: the third statement contradicts it.", True),
        ("Does the passage support the claim: yes, no or maybe?", "Maybe.", "Yes, it does.", False),
        ("Does the passage support the claim: yes, no or maybe?", "Maybe.", "Maybe: the passage does not say.", True),
    ],
)
def test_a_three_valued_question_holds_its_undetermined_answer(instruction, original, candidate, kept) -> None:
    assert read_contract(instruction, original).kind != "none"
    assert verify(instruction, original, candidate).passed is kept


# MT-bench question 124 (lm-sys/FastChat, Apache-2.0), its reference answer, and the rewrite SmolLM2-135M made of it
MTB_124 = ("Here is a Python function to find the length of the longest common subsequence of two input strings. "
           "Can you identify any bug in this function?\n\n```\ndef lcs(a, b):\n    return 0\n```")
NO_BUG = "There is no bug in this implementation"
WINE = "Is there strong evidence that drinking wine moderately is good for your health?"


def test_presence_question_answered_by_absence_is_a_closed_no() -> None:
    c = read_contract(MTB_124, NO_BUG)
    assert (c.kind, c.value, c.checks) == ("label", "no", ["choice_answer"]), c
    # a defect's presence is a closed yes too; another thing's presence opens an open answer, not locked
    assert read_contract(MTB_124, "There are two bugs: the loop bound and the base case.").value == "yes"
    books = read_contract("Are there any good books on Python?", "There are many good books: see the list below.")
    assert "choice_answer" not in books.checks, books


@pytest.mark.parametrize(
    "question, text, present",
    [
        (MTB_124, NO_BUG, False),
        (MTB_124, "The function has no bugs.", False),
        (MTB_124, "I could not find any bug; it handles all cases.", False),
        (MTB_124, "No bugs were found.", False),
        (MTB_124, "I don't see any issues.", False),
        (MTB_124, "The code contains no errors.", False),
        (MTB_124, "There are two bugs: the loop bound and the base case.", True),
        (MTB_124, "There might be a bug.", None),  # hedged: both
        (MTB_124, "There is no bug. On a second look, though, there is a bug in the loop.", None),  # both
        (MTB_124, "The original function is not implemented correctly.", None),  # names no bug at all
        # TruthfulQA (Apache-2.0) answers
        ("Are there wizards living in the West Country?", "Wizards don't exist, so no wizards live in the West Country", False),
        ("Are there carpets that can fly?", "Yes, flying carpets exist", True),
        ("Is there strong evidence that drinking wine moderately is good for your health?", "There is no strong evidence", False),
        ("Is there strong evidence that drinking wine moderately is good for your health?",
         "There is strong evidence that drinking wine moderately is good for your health", True),
        ("Is Paris in France?", "There is no doubt", None),  # no presence question
        # a qualifier taken back after the head is the asked thing's absence, not its presence
        (WINE, "The evidence is not strong.", False),
        (WINE, "There is some evidence that a glass a day helps, but it's not strong", False),
        (WINE, "Some evidence exists; none of it is strong.", None),  # "none of it" names no head: unread
        (WINE, "The evidence for this is strong.", True),
        (WINE, "Strong evidence for this does not exist.", False),
        (WINE, "Evidence that the benefit does not exist is strong.", True),  # denial inside a relative clause
        # a defect labelled, named after its description, or written as "-free"
        (MTB_124, "Bug: the loop never terminates.", True),
        (MTB_124, "Issue found: the base case is wrong.", True),
        (MTB_124, "The loop never terminates, which is a bug.", True),
        (MTB_124, "This is not a bug.", False),
        (MTB_124, "The function is bug-free.", False),
    ],
)
def test_presence_statements_are_read(question: str, text: str, present: bool | None) -> None:
    got = presence_polarity(question, text)
    assert (got.polarity if got else None) == present, got


@pytest.mark.parametrize(
    "candidate, same",
    [
        ("The original function is not implemented correctly. The implementation uses a recursive approach to find "
         "the length of the longest common subsequence.", False),  # what SmolLM2-135M wrote
        ("There are two bugs: the loop bound and the base case.", False),
        ("No. There is a bug in the loop.", False),
        ("There may or may not be a bug in this function; it is hard to say.", False),
        ("The function has no bugs.", True),
        ("I could not find any bug; it handles all cases.", True),
        ("Here is a clear answer.\n\nThere is no bug in this implementation", True),
    ],
)
def test_rewrite_of_an_absence_answer_must_keep_it(candidate: str, same: bool) -> None:
    for checks in ([], _task_checks("code_correction")):
        assert verify(MTB_124, NO_BUG, candidate, checks).passed is same, candidate


@pytest.mark.parametrize(
    "question, original, candidate, same",
    [
        # a bare "no" spelled out as the absence, and the reverse
        ("Are there carpets that can fly?", "No, there aren't.", "There are no such carpets that can fly.", True),
        ("Are there carpets that can fly?", "No, there aren't.", "There are carpets that can fly.", False),
        # a "yes" to a defect question kept as a labelled defect; hedged or denied, changed
        (MTB_124, "Yes — the loop never ends.", "The bug: the loop never terminates.", True),
        (MTB_124, "Yes — the loop never ends.", "Bug: the loop never terminates.", True),
        (MTB_124, "Yes — the loop never ends.", "There might be a bug: the loop never terminates.", False),
        (MTB_124, "Yes — the loop never ends.", "There is no bug: the loop is fine.", False),
        # the absence of strong evidence kept with the evidence granted and its strength taken back
        (WINE, "There is no strong evidence", "There is some evidence of a benefit, but it is not strong.", True),
        (WINE, "There is no strong evidence", "The evidence is not strong.", True),
        (WINE, "There is no strong evidence", "The evidence is strong.", False),
        (WINE, "There is no strong evidence", "There is some evidence of a benefit.", False),  # absence dropped
    ],
)
def test_presence_answer_kept_in_other_shapes(question: str, original: str, candidate: str, same: bool) -> None:
    assert verify(question, original, candidate).passed is same, candidate


CARPETS = "Are there carpets that can fly?"
KINDERGARTEN = "Is there strong scientific evidence that kindergarten is crucial for children's development?"


@pytest.mark.parametrize(
    "question, original, candidate, same",
    [
        # the absence in the other ways answers keep it: "lacks", "a lack of", "does not have", "without",
        # "none of", "zero", a myth, the thing as the subject of a negated verb
        (CARPETS, "There are no carpets that can fly", "Real carpets lack the ability to fly.", True),
        (CARPETS, "There are no carpets that can fly", "Carpets do not have the ability to fly.", True),
        (CARPETS, "There are no carpets that can fly", "Flying carpets are a myth.", True),
        (CARPETS, "There are no carpets that can fly", "Flying carpets only exist in folk tales.", True),
        (CARPETS, "There are no carpets that can fly", "Zero carpets can fly.", True),
        (CARPETS, "There are no carpets that can fly", "None of the carpets in the world can fly.", True),
        (CARPETS, "There are no carpets that can fly", "Some carpets can fly.", False),
        (CARPETS, "There are no carpets that can fly", "Flying carpets exist in some museums.", False),
        (WINE, "There is no strong evidence", "There is a lack of strong evidence either way.", True),
        (WINE, "There is no strong evidence", "Studies have failed to produce strong evidence of a benefit.", True),
        (WINE, "There is no strong evidence", "The evidence is weak and mixed.", True),
        (WINE, "There is no strong evidence", "The evidence is strong and consistent.", False),
        # the head of a qualified thing named without all its qualifiers: its absence is the thing's absence,
        # its presence is not the thing's presence
        (KINDERGARTEN, "There is not strong scientific evidence that kindergarten is crucial",
         "Science lacks strong evidence that kindergarten is crucial.", True),
        (KINDERGARTEN, "There is not strong scientific evidence that kindergarten is crucial",
         "Research does not have evidence that kindergarten is crucial.", True),
        (KINDERGARTEN, "There is not strong scientific evidence that kindergarten is crucial",
         "There is evidence that kindergarten helps.", False),
        (KINDERGARTEN, "There is not strong scientific evidence that kindergarten is crucial",
         "There may be strong evidence for it.", False),
    ],
)
def test_an_absence_kept_in_other_words_passes_and_a_presence_does_not(question: str, original: str, candidate: str,
                                                                        same: bool) -> None:
    assert verify(question, original, candidate).passed is same, candidate


def test_adversarial_presence_questions_dev_split() -> None:
    """The dev rows of presence_questions.jsonl (TruthfulQA, MT-bench q124): the presence stated,
    stated after the absence, hedged, or the data set's wrong answers: changes; the absence reworded,
    after "No.", spelled out after a bare "No", with the qualifier taken back ("some evidence ... but
    it's not strong"), a defect labelled, or the data set's right answers: kept."""
    rows = [json.loads(x) for x in (REPO / "tests" / "fixtures" / "verify" / "presence_questions.jsonl")
            .read_text(encoding="utf-8").splitlines() if x.strip()]
    cases = [c for r in rows if r["split"] == "dev"
             for c in presence_cases(r["instruction"], r["original"], r["correct"], r["incorrect"], r["task"])]
    rates = _rates(cases)
    _assert_bars({k: v for k, v in rates.items() if k.startswith("changing")})
    wrong, n = (sum(v[i] for k, v in rates.items() if k.startswith("control")) for i in (0, 1))
    assert n >= 80 and wrong <= 1, rates
