"""length, leak, code_preserved, arithmetic and working_kept."""

from __future__ import annotations

import pytest

from realign.verify.base import CheckInput
from realign.verify.code import code_tokens, extract_code_blocks
from realign.verify.length import bounds
from realign.verify.registry import VerifyOptions, get_check


def inp(original: str, candidate: str, task: str = "open_qa", instruction: str = "q") -> CheckInput:
    return CheckInput(task=task, instruction=instruction, original=original, candidate=candidate)


# --- length -------------------------------------------------------------------------------

def test_length_window_ratio_bounds() -> None:
    check = get_check("length", VerifyOptions())
    orig = "word " * 200  # 999 chars stripped
    assert check(inp(orig, "x" * 600)).passed
    short = check(inp(orig, "x" * 400))
    assert not short.passed and "too short" in short.reason and "at least 500" in short.reason
    long = check(inp(orig, "x" * 5000))
    assert not long.passed and "too long" in long.reason and "at most 3996" in long.reason


def test_length_short_original_uses_absolute_slack() -> None:
    check = get_check("length", VerifyOptions())
    # one-word label explained in a couple of sentences: fine despite a 30x ratio
    r = check(inp("positive", "The sentiment is positive: the reviewer praises the food, the staff and the price." * 3))
    assert r.passed, r.reason
    # a 30-char original may shrink to its core
    assert check(inp("The answer is 18 dollars total", "18 dollars")).passed
    assert not check(inp("positive", "")).passed
    assert not check(inp("positive", "x" * 700)).passed


def test_length_options_are_configurable() -> None:
    opts = VerifyOptions(min_ratio=0.8, max_ratio=1.5, short_ceiling_chars=0, max_chars=1200)
    assert bounds(1000, opts) == (800, 1200)
    check = get_check("length", opts)
    assert not check(inp("a" * 1000, "a" * 1300)).passed
    assert check(inp("a" * 1000, "a" * 900)).passed


# --- leak ----------------------------------------------------------------------------------

LEAKS = [
    "### Original response\nThe capital of France is Paris.",
    "<original>The capital of France is Paris.</original>",
    "Criteria: be concise.\nThe capital of France is Paris.",
    '{"keep_original": false, "rewrite": "Paris"}',
    "<|im_start|>assistant\nThe capital of France is Paris.",
    "[INST] rewrite [/INST] The capital of France is Paris.",
    "Here is the rewritten response:\n\nThe capital of France is Paris.",
    "The capital of France is Paris, as in the original response.",
    "Following the given criteria, the capital of France is Paris.",
]


def test_leak_markers_fail_with_the_marker_named() -> None:
    check = get_check("leak", VerifyOptions())
    for cand in LEAKS:
        r = check(inp("The capital of France is Paris.", cand))
        assert not r.passed, cand
        assert "leaked prompt text" in r.reason


def test_leak_clean_rewrite_passes() -> None:
    check = get_check("leak", VerifyOptions())
    r = check(inp("Paris.", "## Answer\n\nThe capital of France is **Paris**.\n\n- Population: 2.1M"))
    assert r.passed, r.reason


def test_leak_marker_present_in_original_or_instruction_is_allowed() -> None:
    check = get_check("leak", VerifyOptions())
    orig = "Llama-2 wraps user turns in [INST] and [/INST]."
    assert check(inp(orig, "Llama 2 puts each user turn between `[INST]` and `[/INST]` tags.")).passed
    assert check(
        CheckInput(task="t", instruction="What does <|im_start|> mean?", original="A ChatML role tag.",
                   candidate="`<|im_start|>` opens a ChatML turn.")
    ).passed


def test_leak_extra_markers_from_templates() -> None:
    check = get_check("leak", VerifyOptions(extra_leak_markers=["## Evidence passages", "REWRITE-NOW"]))
    assert not check(inp("Paris.", "## Evidence passages\nParis.")).passed
    assert not check(inp("Paris.", "rewrite-now: Paris.")).passed
    only_extra = get_check("leak", VerifyOptions(builtin_leak_markers=False, extra_leak_markers=["XYZ"]))
    assert only_extra(inp("Paris.", "<original>Paris.")).passed


# --- code ----------------------------------------------------------------------------------

ORIG_PY = """Use this function:

```python
def add(a, b):
    # add two numbers
    return a + b  # the sum
```
It returns the sum."""


def test_code_preserved_modulo_whitespace_and_comments() -> None:
    check = get_check("code_preserved", VerifyOptions())
    cand = "## Solution\n\n```py\ndef add( a,b ):\n    \"\"\"Sum.\"\"\"\n    return a+b\n```\n\nExplanation: sums."
    # a docstring is a string literal, not a comment: it is an addition inside the block, so fail
    assert not check(inp(ORIG_PY, cand, task="explain_code")).passed
    cand_ok = "## Solution\n\n```python\n# Adds numbers\ndef add( a,b ):\n\n    return a+b\n```\n\nIt sums."
    r = check(inp(ORIG_PY, cand_ok, task="explain_code"))
    assert r.passed, r.reason


def test_code_change_fails_with_first_difference() -> None:
    check = get_check("code_preserved", VerifyOptions())
    r = check(inp(ORIG_PY, "```python\ndef add(a, b):\n    return a - b\n```", task="explain_code"))
    assert not r.passed
    assert "return a + b" in r.reason and "return a - b" in r.reason


def test_code_missing_fails() -> None:
    check = get_check("code_preserved", VerifyOptions())
    r = check(inp(ORIG_PY, "Just add a and b together and return the result.", task="explain_code"))
    assert not r.passed and "no code block" in r.reason


def test_code_exempt_tasks_and_no_code() -> None:
    check = get_check("code_preserved", VerifyOptions())
    changed = "```python\ndef add(a, b):\n    return sum((a, b))\n```"
    for task in ("code_correction", "code_simplification", "code_to_code_translation"):
        r = check(inp(ORIG_PY, changed, task=task))
        assert r.passed and "not applicable" in r.reason
    r = check(inp("Paris is the capital.", "The capital is Paris."))
    assert r.passed and "not applicable" in r.reason


def test_code_c_style_comments_and_strings() -> None:
    check = get_check("code_preserved", VerifyOptions())
    orig = '```c\n#include <stdio.h>\nint main() { /* entry */ printf("a // b"); return 0; }\n```'
    ok = '```c\n#include <stdio.h>\n\nint main()\n{\n    // print\n    printf("a // b");\n    return 0;\n}\n```'
    assert check(inp(orig, ok)).passed
    bad = '```c\n#include <stdio.h>\nint main() { printf("a  b"); return 0; }\n```'
    assert not check(inp(orig, bad)).passed  # whitespace inside a string literal is content


def test_code_unfenced_original_and_split_blocks() -> None:
    check = get_check("code_preserved", VerifyOptions())
    orig = "import os\nfor f in os.listdir('.'):\n    print(f)\n"
    assert check(inp(orig, "List files:\n\n```python\nimport os\n```\nthen\n```python\nfor f in os.listdir('.'):\n    print(f)\n```")).passed
    assert not check(inp(orig, "```python\nimport os\nfor f in os.listdir('..'):\n    print(f)\n```")).passed


def test_code_helpers() -> None:
    blocks = extract_code_blocks("a\n```js\nx = 1 // c\n```\nb\n~~~\ny\n~~~\n```\nunclosed")
    assert [b.lang for b in blocks] == ["js", "", ""]
    assert code_tokens("x = 1 // c", "slash") == ["x", "=", "1"]
    assert code_tokens("x = 1 # c", "hash") == ["x", "=", "1"]


def test_arithmetic_reads_gsm8k_calculator_notes() -> None:
    from realign.verify.arithmetic import check_arithmetic, wrong_calculations

    assert wrong_calculations("He spends 10*.5=<<10*.5=6>>6 hours") == [("10*.5 = 6", 5)]
    original = "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n#### 72"
    bad = CheckInput(task="", instruction="", original=original, candidate="Natalia sold <<48/2=25>>25 clips in May.\n#### 72")
    assert not check_arithmetic(bad).passed
    good = CheckInput(task="", instruction="", original=original, candidate="Natalia sold <<48/2=24>>24 clips in May.\n#### 72")
    assert check_arithmetic(good).passed


def test_length_a_shorter_worked_solution_that_keeps_its_working_passes() -> None:
    original = ("Janet's ducks lay 16 eggs a day. She eats 3 for breakfast and bakes muffins with 4, "
                "so she sells 16 - 3 - 4 = 9 duck eggs every day at the farmers' market.\n"
                "She sells each egg for $2, so she makes 9 * 2 = $18 every day.\n#### 18")
    check = get_check("length", VerifyOptions())
    worked = CheckInput(task="", instruction="q", original=original, candidate="She sells 16 - 3 - 4 = 9 eggs a day and makes 9 * 2 = $18 every day.",
                        contract_kind="number")
    assert check(worked).passed
    bare = CheckInput(task="", instruction="q", original=original, candidate="She makes $18 every day.",
                      contract_kind="number")
    result = check(bare)
    assert not result.passed and "drops the working" in result.reason  # named, not just "too short"
    # the way models write it: one line per step, units, LaTeX, the question restated (~6x the
    # gold's terse length); a loop of the same step is still caught
    steps = ("First, the ducks lay 16 eggs per day, and Janet eats 3 of them for breakfast every morning. "
             "She also uses 4 eggs every day to bake muffins for her friends. So the eggs she uses are "
             "$3 + 4 = 7$ eggs per day, and she has $16 - 7 = 9$ eggs left to sell at the market. "
             "Each egg sells for \\$2, so her daily income is $9 \\times 2 = 18$ dollars. ")
    terse = "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18.\n#### 18"
    verbose = CheckInput(task="", instruction="q", original=terse, contract_kind="number",
                         candidate="Let's solve this step by step.\n\n" + steps + "\n\n**Final answer:** $18")
    assert len(verbose.candidate) > 4 * len(terse) and check(verbose).passed
    looping = CheckInput(task="", instruction="q", original=terse, contract_kind="number",
                         candidate=steps * 12)
    assert not check(looping).passed


def test_arithmetic_reads_division_by_a_fraction_and_leaves_clock_times_alone() -> None:
    from realign.verify.arithmetic import wrong_calculations

    assert wrong_calculations("She has 25 / 1/3 = 75 cups and 60 / 3/4 = 80 cups.") == []
    assert wrong_calculations("He left at 0900-0130 = 0730.") == []
    assert wrong_calculations("That is 4+4+6 = 18 apples.") == [("4+4+6 = 18", 14)]


def test_length_a_short_closed_answer_may_grow_into_an_explained_paragraph() -> None:
    check = get_check("length", VerifyOptions())
    paragraph = ("The song was written and first recorded by Neil Young, the Canadian-American singer-songwriter. "
                 "It appeared on his 1970 album, and many artists have covered it since. ") * 6
    explained = CheckInput(task="", instruction="who wrote the song", original="Neil Young", candidate=paragraph,
                           contract_kind="facts")
    assert 600 < len(paragraph) <= 1500 and check(explained).passed
    endless = CheckInput(task="", instruction="who wrote the song", original="Neil Young", candidate=paragraph * 3,
                         contract_kind="facts")
    assert not check(endless).passed


@pytest.mark.parametrize(
    "text, wrong",
    [
        # a unit between the operands does not hide the arithmetic
        ("Tom walked 8 hours * 3/4 = 5 hours.", [("8 hours * 3/4 = 5", 6)]),
        ("She earns $12/hour * 5 hours = $70.", [("$12/hour * 5 hours = $70", 60)]),
        # a link of a chain whose both sides are calculations
        ("The cat ate 12 * 1/3 = 13 / 3 = 4 treats.", [("12 * 1/3 = 13 / 3", 4)]),
        # thousands written with a space after a currency sign
        ("The fee is $300 000 x 2/100 = $7 000.", [("$300 000 x 2/100 = $7 000", 6000)]),
        # a currency sign inside the calculation (the check above reads no calculation from "$100" on)
        ("The fee is 2 x $100 x 3 = $700.", [("2 x $100 x 3 = $700", 600)]),
        # a sign in a calculator note
        ("y = t + <<+4=5>>5", [("+4 = 5", 4)]),
        # an equation in one unknown that disagrees with the steps around it
        ("So 2y + 6 = 20.\nThen 2y + 6 - 6 = 15 - 6.\nSo 2y/2 = 14/2, and y = 7.", [("2y + 6 - 6 = 15 - 6", 14)]),
    ],
)
def test_arithmetic_catches_a_wrong_step_in_the_forms_models_write(text: str, wrong: list) -> None:
    from realign.verify.arithmetic import wrong_calculations

    assert wrong_calculations(text) == wrong


@pytest.mark.parametrize(
    "text",
    [
        "It took 1 hour + 30 minutes = 90 minutes.",  # different units: a conversion done in the head
        "He worked 30 minutes * $20/hour = $10.",
        "The trip took 2 hours 30 minutes + 1 hour = 3 hours 30 minutes.",  # compound quantities
        "She left at 7:50 + 30 minutes = 8:20 a.m.",  # clock times
        "So 3/2 = 1.50 + 3.00 = 4.50 dollars in all.",  # a running total
        "The ratio is 5/2 = 40/y, so 5y = 80 and y = 16.",  # a proportion with an unknown
        "He pays 3 years * $20,000/year = $60,000/year in all.",
        "Let x be the gifts: x = 12. Later, let x be the cards: x + 2 = 7, so x = 5.",  # a letter reused
        "Weeks 1-2 = 96 - 70 = 26 pages.",  # a range naming a part
        "Pam: 2 rides (2 x 5 tickets) + 1 ride on the swing (1 x 5 tickets) = 15 tickets",  # asides in a sum
        "Total interest = 2% x $100 x 3 = $6",  # a percent it cannot read: not read from "$100" on either
    ],
)
def test_arithmetic_leaves_right_working_alone(text: str) -> None:
    from realign.verify.arithmetic import wrong_calculations

    assert wrong_calculations(text) == []


def test_arithmetic_reads_a_chain_link_inside_a_phrase_as_the_phrase() -> None:
    from realign.verify.arithmetic import wrong_calculations

    assert wrong_calculations("Exit B: 2/5 of (800 - 300) = 2/5 × 500 = 200 students") == []


def test_length_a_plan_that_repeats_its_step_phrases_is_not_a_loop_and_units_count_as_working() -> None:
    check = get_check("length", VerifyOptions())
    terse = "He uses 2 * 4 = <<2*4=8>>8 pads.\nSo 8 * 30 = <<8*30=240>>240 sheets.\n#### 240"
    plan = ("Variables:\nPads per week: 2\nSheets per pad: 30\n\nPlan:\n"
            "1. Calculate the number of pads of paper used in the first week.\n"
            "2. Calculate the number of pads of paper used in the whole month.\n"
            "3. Calculate the number of sheets of paper used in the whole month.\n\nCalculation:\n"
            "1. The number of pads of paper used in the first week = 2 pads.\n"
            "2. The number of pads of paper used in the whole month = 2 pads per week x 4 weeks = 8 pads.\n"
            "3. The number of sheets of paper used in the whole month = 8 pads x 30 sheets per pad = 240 sheets.\n\n"
            "Answer: 240 sheets.")
    assert check(CheckInput(task="", instruction="q", original=terse, candidate=plan, contract_kind="number")).passed


# --- what a real small model wrote (SmolLM2-135M in a new-user trial) ---------------------------

@pytest.mark.parametrize("candidate, passed", [
    ("{ { 314.16 }}", False),  # broken JSON around the number: no text left
    ("[314.16]", False),
    ("314.16", True),  # a bare number: the short answer's own contract decides
    ("The area is 314.16 square units.", True),
])
def test_a_markup_fragment_with_no_words_is_not_a_rewrite(candidate: str, passed: bool) -> None:
    check = get_check("length", VerifyOptions())
    got = check(CheckInput(task="math_puzzles", instruction="What is the area of a circle with radius 10?",
                           original="The area of the circle with radius 10 is 314.16.", candidate=candidate,
                           contract_kind="facts"))
    assert got.passed is passed, got.reason


def test_a_markup_fragment_for_a_short_answer_with_words() -> None:
    check = get_check("length", VerifyOptions())
    got = check(CheckInput(task="information_extraction", instruction="List the dates in the text.",
                           original="3 March 2021, 15 April 2023", candidate="{ { 27 } 30, 1549680000 }"))
    assert not got.passed and "no words" in got.reason
    assert check(CheckInput(task="math_puzzles", instruction="2+2?", original="4", candidate="{4}")).passed


@pytest.mark.parametrize("candidate, passed", [
    ("and the original's answer has been rewritten with a JSON object of the same form as before.", False),
    ("Your rewrite was rejected by automatic checks: final answer changed.", False),
    ("Use json.dumps to answer with a JSON object.", True),  # about JSON, not the feedback's wording
    ("The original answer to this riddle is a candle.", False),
])
def test_echoes_of_the_retry_feedback_are_leaks(candidate: str, passed: bool) -> None:
    got = get_check("leak", VerifyOptions())(inp("It is a candle.", candidate, instruction="What am I?"))
    assert got.passed is passed, got.reason


# --- the working kept (arithmetic.check_working_kept) ---------------------------------------

# GSM8K test item 6 (MIT): three calculations, the last one giving the answer
SHEEP_Q = ("Toulouse has twice as many sheep as Charleston. Charleston has 4 times as many sheep as Seattle. How "
           "many sheep do Toulouse, Charleston, and Seattle have together if Seattle has 20 sheep?")
SHEEP = ("If Seattle has 20 sheep, Charleston has 4 * 20 sheep = <<20*4=80>>80 sheep\n"
         "Toulouse has twice as many sheep as Charleston, which is 2 * 80 sheep = <<2*80=160>>160 sheep\n"
         "Together, the three has 20 sheep + 160 sheep + 80 sheep = <<20+160+80=260>>260 sheep\n#### 260")


def working(original: str, candidate: str, question: str = SHEEP_Q):
    from realign.verify.arithmetic import check_working_kept

    return check_working_kept(CheckInput(task="", instruction=question, original=original, candidate=candidate))


def test_a_rewrite_keeping_one_of_three_calculations_is_rejected_for_its_working() -> None:
    """Trial finding D6: the answer and the arithmetic right, two of the three steps gone."""
    from realign.verify.contract import read_contract
    from realign.verify.registry import verify_candidate

    one_of_three = "Together, the three have 20 sheep + 160 sheep + 80 sheep = 260 sheep.\n#### 260"
    assert "working_kept" in read_contract(SHEEP_Q, SHEEP).checks
    v = verify_candidate(CheckInput(task="math_puzzles", instruction=SHEEP_Q, original=SHEEP, candidate=one_of_three), [])
    failed = {c.name: c.reason for c in v.checks if not c.passed}
    assert set(failed) == {"working_kept"}  # math_answer, answer_line and arithmetic pass
    assert failed["working_kept"] == ("working dropped: the rewrite states 1 of the 3 results of the original's "
                                      "calculations; missing 80, 160")
    kept = ("Charleston has 4 x 20 = 80 sheep.\nToulouse has 2 x 80 = 160 sheep.\n"
            "Together they have 20 + 160 + 80 = 260 sheep.\n#### 260")
    assert verify_candidate(CheckInput(task="math_puzzles", instruction=SHEEP_Q, original=SHEEP, candidate=kept), []).passed


@pytest.mark.parametrize("candidate", [
    # GSM8K's Socratic form: a sub-question before every step
    "How many sheep does Charleston have? ** If Seattle has 20 sheep, Charleston has 4 * 20 sheep = <<20*4=80>>80 sheep\n"
    "How many sheep does Toulouse have? ** Toulouse has twice as many sheep as Charleston, which is 2 * 80 sheep = "
    "<<2*80=160>>160 sheep\nHow many sheep do they have together? ** Together, the three has 20 sheep + 160 sheep + 80 "
    "sheep = <<20+160+80=260>>260 sheep\n#### 260",
    # the results in other forms: decimals, words after a calculation, a conclusion in words
    "Charleston: 4 × 20 = 80.0 sheep. Toulouse: 2 × 80 is 160 sheep. In all 20 + 160 + 80 = 260.\n**Final answer:** 260",
    "Charleston has four times Seattle's 20, so that's 80 sheep; Toulouse has twice that, so 160 sheep; "
    "20 + 160 + 80 = 260 sheep.",
])
def test_working_kept_reads_the_results_in_the_forms_a_rewrite_writes(candidate: str) -> None:
    res = working(SHEEP, candidate)
    assert res.passed, res.reason


@pytest.mark.parametrize("original,candidate", [
    # thousands separators, currency and trailing zeros are one value
    ("The house and repairs cost 80,000+50,000=$<<80000+50000=130000>>130,000\nThe profit is "
     "200,000-130,000=$<<200000-130000=70000>>70,000\n#### 70000",
     "Cost: $80000 + $50000 = $130000.00\nProfit: $200,000 - $130,000 = $70,000\n#### 70,000"),
    # a percent for the fraction the original calculates
    ("The discount is 100*.5=<<100*.5=50>>50 dollars, a rate of 1/2 = 0.5\nShe pays 100-50=<<100-50=50>>50\n#### 50",
     "The discount is 100 x 50% = 50 dollars, a rate of 1/2 = 50%.\nShe pays 100 - 50 = 50.\n#### 50"),
    # a rounded result written to more places
    ("Each gets 10/3 = <<10/3=3.33>>3.33 liters\nTogether 3.33*3 = <<3.33*3=9.99>>9.99\n#### 9.99",
     "Each gets 10 / 3 = 3.333 liters.\nTogether 3.33 * 3 = 9.99\n#### 9.99"),
    # a result only a calculator note gives is kept by stating it
    ("So she has <<3*4=12>>12 apples\nShe gives away 12/2=<<12/2=6>>6\n#### 6",
     "She has 12 apples.\nShe gives away 12 / 2 = 6.\n#### 6"),
])
def test_working_kept_normalises_numbers(original: str, candidate: str) -> None:
    res = working(original, candidate, "q")
    assert res.passed, res.reason


@pytest.mark.parametrize("candidate,missing", [
    # only the final calculation, with the answer stated twice: the earlier results only operands
    ("20 + 160 + 80 = 260\nThe answer is 260.\n#### 260", "80, 160"),
    # the three steps merged into one expression
    ("Together 20 + 2 * (4 * 20) + 4 * 20 = 260 sheep\n#### 260", "80, 160"),
])
def test_working_kept_rejects_a_rewrite_that_drops_most_steps(candidate: str, missing: str) -> None:
    res = working(SHEEP, candidate)
    assert not res.passed and res.reason.endswith(f"missing {missing}"), res.reason


@pytest.mark.parametrize("candidate", [
    # the first step dropped: its result survives only as the next step's operand
    "Toulouse has 2 * 80 sheep = 160 sheep\nTogether 20 + 160 + 80 = 260 sheep\n#### 260",
    # two steps merged into one expression
    "Toulouse has 2 * (4 * 20) = 160 sheep\nTogether 20 + 160 + 80 = 260 sheep\n#### 260",
])
def test_working_kept_allows_a_condensation_that_keeps_half_the_results(candidate: str) -> None:
    res = working(SHEEP, candidate)
    assert res.passed and "2 of the 3" in res.reason, res.reason


def test_working_kept_reads_the_rewrite_only_when_the_plain_search_falls_short() -> None:
    """The plain search finds 160 and 260 after an "=": a lower bound that reaches the share; the
    full reading, asked for all results, finds the 80 a result word gives too."""
    import realign.verify.arithmetic as arithmetic

    candidate = "Charleston: 4 x 20 is 80 sheep.\nToulouse: 2 x 80 = 160 sheep.\nTogether 20 + 160 + 80 = 260.\n#### 260"
    assert working(SHEEP, candidate).reason.endswith("at least 2 of the 3 results of the original's calculations")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(arithmetic, "WORKING_KEPT_SHARE", arithmetic.Fraction(1))
        assert working(SHEEP, candidate).reason.endswith("all 3 results of the original's calculations")


def test_working_kept_counts_a_result_two_steps_arrive_at(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two calculations give 5: keeping one of them is not keeping both (GSM8K test 161; all
    results required, so that one missing result decides)."""
    import realign.verify.arithmetic as arithmetic

    monkeypatch.setattr(arithmetic, "WORKING_KEPT_SHARE", arithmetic.Fraction(1))
    original = ("Locsin caught 10 - 5 = <<10-5=5>>5 starfishes.\nThey caught 10 + 5 = <<10+5=15>>15 starfishes.\n"
                "Locsin caught 3 + 2 = <<3+2=5>>5 clownfish.\nSo, they caught 15 + 5 = <<15+5=20>>20 fish.\n#### 20")
    dropped = ("They caught 10 + 5 = 15 starfishes.\nLocsin caught 3 + 2 = 5 clownfish.\n"
               "So, they caught 15 + 5 = 20 fish.\n#### 20")
    res = working(original, dropped, "q")
    assert not res.passed and res.reason.endswith("missing 5"), res.reason
    assert working(original, original.replace("<<", "[").replace(">>", "]"), "q").passed


# the short cuts of the working check's reading must read what the plain patterns read: texts made of
# the pieces numbers and the words before them are made of (signs, currencies, commas, points,
# fractions, scale words, a non-ASCII digit, result and operator words), seeded
_PIECES = list("0123456789 .,/-−$€£%x=*(\n") + ["12", "3/4", "1,234", "12.5", " thousand", " percent", "1 1/2",
                                              "٣", "a", "= ", ".5", "5,1,234", "12.5/3", "per cent", "\\%", "_",
                                              "equals", "is", "makes", "a total of", "about", "ſ", "EQUAL", "comes to"]


def _random_texts(seed: int, count: int, longest: int) -> list[str]:
    import random

    rnd = random.Random(seed)
    return ["".join(rnd.choice(_PIECES) for _ in range(rnd.randint(0, longest))) for _ in range(count)]


def test_working_reads_the_numbers_near_its_values_as_a_full_reading_does() -> None:
    """`_numbers_near` skips stretches of digits and starts its searches late: the numbers it returns
    are those of `_READ_NUM.finditer` whose whole part (or the next one up) is near, or that have
    a fraction."""
    import random

    from realign.verify import arithmetic as a

    rnd = random.Random(5)
    for text in _random_texts(7, 4000, 25):
        near = {rnd.randint(-3, 40) for _ in range(rnd.randint(1, 6))}
        hits = {t for k in near for t in (k, -k, k - 1, -k - 1)}
        full = [(m.span(), n) for m in a._READ_NUM.finditer(text)
                if (m.group("den") or m.group("whole")
                    or int(m.group("num").partition(".")[0].replace(",", "") or 0) in hits)
                and (n := a._to_number(m, text)) is not None]
        assert [(m.span(), n) for m, n in a._numbers_near(text, near)] == full, (text, near)
        # with the values its callers keep (`_may_be`), the numbers kept are the same
        values = {(rnd.randint(-40, 40), rnd.choice((1, 1, 1, 2, 100))) for _ in range(rnd.randint(0, 6))}
        kept = [(m.span(), n) for m, n in a._numbers_near(text, near) if a._may_be(m, a._bare(m, n), values)]
        assert [(m.span(), n) for m, n in a._numbers_near(text, near, values)
                if a._may_be(m, a._bare(m, n), values)] == kept, (text, near, values)


def test_working_reads_what_comes_before_a_number_as_its_patterns_do() -> None:
    """`_result_before`, `_operand_before` and `_said_result_before` look only at the end of the text."""
    from realign.verify import arithmetic as a

    for text in _random_texts(11, 6000, 14):
        assert a._result_before(text) is (a._RESULT_BEFORE.search(text) is not None), text
        assert a._operand_before(text) is (a._OPERAND_BEFORE.search(text) is not None), text
        plain, quick = a._SAID_RESULT_BEFORE.search(text), a._said_result_before(text)
        assert (plain and plain.span()) == (quick and quick.span()), text


def test_working_kept_does_not_apply_without_calculations() -> None:
    res = working("The answer is 18.\n#### 18", "18", "q")
    assert res.passed and res.reason.startswith("not applicable")


def test_working_cases_that_drop_most_steps_are_rejected_and_socratic_controls_kept() -> None:
    """The benchmark's generator on a GSM8K solution (three calculations: dropping two is more than
    half, dropping or merging one a condensation), and the dev half of the committed Socratic sample
    (the held half is measured by benchmarks/verify.py only)."""
    import hashlib
    import json
    from fractions import Fraction
    from pathlib import Path

    from realign.testing.adversarial import working_cases

    cases = working_cases(SHEEP_Q, SHEEP, Fraction(260))
    assert {c.cls: c.same_answer for c in cases} == {"dropped_steps": False, "final_only": False, "condensed_steps": True,
                                                     "condensed_annotated": True, "merged_steps": True}
    for c in cases:
        assert working(SHEEP, c.candidate).passed == c.same_answer, (c.cls, c.candidate)
    rows = [json.loads(x) for x in (Path(__file__).parent / "fixtures" / "verify" / "gsm8k_socratic.jsonl")
            .read_text(encoding="utf-8").splitlines()]
    dev = [r for r in rows if int(hashlib.sha256(r["question"].strip().encode()).hexdigest()[:8], 16) % 2 == 0]
    assert len(dev) > 80
    for r in dev:
        res = working(r["answer"], r["socratic"], r["question"])
        assert res.passed, (r["test_index"], res.reason)
