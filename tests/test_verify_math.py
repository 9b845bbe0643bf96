from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from realign.verify.base import CheckInput
from realign.verify.math import check_math, extract_final_answer, extract_reference, gsm8k_reference
from realign.verify.registry import VerifyOptions, get_check

FIXTURE = Path(__file__).parent / "fixtures" / "verify" / "gsm8k_styles.jsonl"
GSM_ORIGINAL = "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18 every day.\n#### 18"


def check(original: str, candidate: str, question: str = "How much does she make?"):
    return get_check("math_answer", VerifyOptions())(
        CheckInput(task="math_puzzles", instruction=question, original=original, candidate=candidate)
    )


@pytest.mark.parametrize(
    "text, value, style",
    [
        ("Work...\n\n**Final answer:** 1,234", 1234, "final answer"),
        ("The answer is $1,234.00.", 1234, "the answer is"),
        ("So $\\boxed{\\frac{3}{4}}$", Fraction(3, 4), "boxed"),
        ("The answer is 0.75", Fraction(3, 4), "the answer is"),
        ("The answer is 75%.", 75, "the answer is"),
        ("It drops 16 - 3 = 13. The answer is -5 degrees.", -5, "the answer is"),
        ("Answer: 18 eggs\n\nCheck: 9 x 2 = 18 and 16 - 3 - 4 = 9.", 18, "answer line"),
        ("The answer is 18. I hope this helps! Ask me 2 more questions.", 18, "the answer is"),
        ("work\n#### 70,000", 70000, "gsm8k"),
        ("Final answer: 9 × 2 = 18", 18, "final answer"),
        ("**Final Answer**\n\n$18$", 18, "final answer"),
        ("So Janet makes $18 every day.\n\nLet me know if you have 2 more.", 18, "conclusion"),
        ("She sells 9 eggs, so she makes **$18** a day.", 18, "bold"),
        ("9 eggs, 9*2 = 18", 18, "last number"),
        ("The answer is 1 1/2 cups.", Fraction(3, 2), "the answer is"),
        ("The answer is twelve.", 12, "the answer is"),
    ],
)
def test_extract_final_answer_styles(text: str, value, style: str) -> None:
    a = extract_final_answer(text)
    assert a is not None
    assert a.value == Fraction(value)
    assert a.style == style
    assert not a.conflicting


def test_extract_detects_two_different_finals() -> None:
    a = extract_final_answer("The answer is 18.\n\nWait, let me recheck.\n\n**Final answer:** 16")
    assert a is not None and a.conflicting and set(a.values) == {18, 16}
    same = extract_final_answer("The answer is 18.\n\n#### 18.00")
    assert same is not None and not same.conflicting


def test_extract_none_without_numbers() -> None:
    assert extract_final_answer("No numbers here.") is None


def test_gsm8k_reference() -> None:
    assert gsm8k_reference(GSM_ORIGINAL) == 18
    assert gsm8k_reference("x\n#### -10") == -10
    assert gsm8k_reference("x\n#### 1,450,000") == 1450000
    assert gsm8k_reference("no marker 18") is None


def test_reference_needs_an_explicit_statement() -> None:
    assert extract_reference("So she makes 9 * 2 = 18 dollars after 3 days.") is None
    assert extract_reference("$18 per day.").value == 18  # a short answer with a single number
    assert extract_reference("Thus \\boxed{42}").value == 42


def test_check_numeric_equivalence() -> None:
    for cand in ["**Final answer:** 18.00", "The answer is $18.", "\\boxed{18}", "#### 18.0", "Answer: 18 dollars"]:
        r = check(GSM_ORIGINAL, "She sells 9 eggs at $2.\n\n" + cand)
        assert r.passed, (cand, r.reason)
    r = check("#### 0.75", "The answer is \\boxed{\\frac{3}{4}}")
    assert r.passed, r.reason


def test_check_percent_when_the_question_asks_for_one() -> None:
    q = "What percent of the class are girls?"
    assert check("... #### 75", "The answer is 75%.", q).passed
    assert check("... #### 75", "Final answer: 0.75", q).passed
    assert not check("... #### 75", "Final answer: 0.75", "How many girls are there?").passed


def test_check_failure_reasons() -> None:
    r = check(GSM_ORIGINAL, "She makes 9 * 2 = $18 a day.\n\n**Final answer:** 16")
    assert not r.passed and r.reason.startswith("final answer changed: original 18, rewrite states 16")
    r = check(GSM_ORIGINAL, "The answer is 18.\n\nActually, the final answer is 16.")
    assert not r.passed and "different final answers" in r.reason and "18" in r.reason and "16" in r.reason
    r = check(GSM_ORIGINAL, "She makes a lot.")
    assert not r.passed and "missing" in r.reason
    r = check(GSM_ORIGINAL, "The answer is -18.")
    assert not r.passed


def test_check_not_applicable_without_reference() -> None:
    r = check("Add the numbers 3 and 4 and then multiply by 2 to get 14, plus 1.", "The result is 99.")
    assert r.passed and r.reason.startswith("not applicable")


def test_gsm8k_styles_fixture_agreement() -> None:
    rows = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 600
    assert 0.4 < sum(r["correct"] for r in rows) / len(rows) < 0.6
    assert len({r["style"] for r in rows}) >= 20
    chk = get_check("math_answer", VerifyOptions())
    wrong = []
    for r in rows:
        assert extract_reference(r["original"]).value == gsm8k_reference(r["original"])
        res = chk(CheckInput(task="math_puzzles", instruction=r["question"], original=r["original"], candidate=r["rewrite"]))
        if res.passed != r["correct"]:
            wrong.append((r["id"], r["style"], res.reason))
    agreement = 1 - len(wrong) / len(rows)
    assert agreement >= 0.995, wrong[:10]


@pytest.mark.parametrize(
    "candidate, ok",
    [
        # GSM8K's own style: the visible text states the values, the calculator notes repeat the working
        ("Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs.\nShe makes 9 * 2 = $<<9*2=17>>18 every day.", True),
        ("Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs.\nShe makes 9 * 2 = $<<9*2=18>>20 every day.", False),
        ("Janet sells <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18.\n#### 18", True),
        # a JSON object with reasoning and answer fields
        ('```json\n{\n    "reasoning": "16 - 3 - 4 = 9 eggs, 9 * 2 = 18.",\n    "answer": "18"\n}\n```', True),
        ('```json\n{\n    "reasoning": "16 - 3 - 4 = 9 eggs, 9 * 2 = 18.",\n    "answer": "$20"\n}\n```', False),
        # a breakdown under "Answer:" is not the answer; the total after it is
        ("Answer:\nShe keeps 9 eggs, sells them at $2 and eats 3.\n\nTotal: 9 * 2 = 18 dollars.", True),
        ("Answer:\nShe keeps 9 eggs, sells them at $2 and eats 3.\n\nTotal: 20 dollars.", False),
        ("Answer:\nShe keeps 9 eggs, sells them at $2 and eats 3.", False),
        # a hedge is not a breakdown
        ("The answer is 18 or 20 or 22.", False),
    ],
)
def test_real_model_answer_formats(candidate: str, ok: bool) -> None:
    r = check(GSM_ORIGINAL, candidate)
    assert r.passed is ok, r.reason


def test_a_cue_followed_by_the_question_is_not_an_answer() -> None:
    text = ("Q1. How far did he drive in 3 hours?\nHe drove 3 * 60 = 180 miles.\n"
            "Final Answer: How far is he from home after those 4 hours?\nHe is 180 - 135 = 45 miles away. The answer is 45.")
    r = check("He drove 180 - 135 = 45 miles.\n#### 45", text, "How far is he from home after those 4 hours?")
    assert r.passed, r.reason


@pytest.mark.parametrize(
    "question, text, value",
    [
        # several numbers in one answer statement: the one in the unit the question asks for
        ("At what speed (in km per hour) must the bus drive the rest?",
         "Answer: The bus covers the last 90 km at a speed of 45 km per hour.", 45),
        ("How many stamps does Ann keep?", "Answer: Of her 12 albums, Ann keeps 30 stamps.", 30),
        # ... else the one the question does not already give
        ("How much will Bo pay for milk over 14 days?", "Answer: Over 14 days, Bo will pay $21.00 for milk.", 21),
        # a time of day is not a quantity of the answer, nor an alternative to it
        ("How many pages does she read between 2:00 PM and 6:00 PM?",
         "Answer: She reads 12 pages between 2:00 PM and 6:00 PM.", 12),
        # an "Answer:" section that opens with the equation gives its value further down
        ("How many red beads are there?", "Answer:\nr = b + 12\nr = 25 + 12\nr = 37\n\nThere are 37 red beads.", 37),
    ],
)
def test_answer_statement_with_several_numbers(question: str, text: str, value: int) -> None:
    a = extract_final_answer(text, question=question)
    assert a is not None and a.value == value and not a.conflicting


def test_a_statement_in_the_wrong_unit_is_not_the_answer() -> None:
    q = "At what speed (in km per hour) must the bus drive the rest?"
    res = check("... so 90 / 2 = 45\n#### 45", "Answer: It drives the last 45 km at a speed of 15 km per hour.", q)
    assert not res.passed and "15" in res.reason
    assert check("... so 90 / 2 = 45\n#### 45", "Answer: It drives the last 90 km at a speed of 45 km per hour.", q).passed


def test_an_answer_section_gives_the_value_in_the_unit_asked_a_line_below() -> None:
    q = "Ana reads 4 pages every 10 minutes. How many hours does she need for 48 pages?"
    text = "Answer:\nAna reads 48 pages in all.\nAt 10 minutes per 4 pages, that is 120 minutes (2 hours)."
    a = extract_final_answer(text, question=q)
    assert a is not None and a.value == 2
    # a first sentence already in the asked unit is the answer
    b = extract_final_answer("Answer:\nShe needs 3 hours.\nThat is 180 minutes.", question=q)
    assert b is not None and b.value == 3


@pytest.mark.parametrize(
    "question, text, value",
    [
        # an "Answer:" paragraph that gives a total, then its parts in brackets: the total
        ("Sam caught half as many fish as Lee. Lee caught 16 fish. How many fish did they catch?",
         "Plan:\ns = 16 / 2 = 8\n\nAnswer:\n\nThey caught 24 fish in all (8 fish for Sam and 16 fish for Lee).", 24),
        # the statement opens with the question's own quantity; the answer comes after it
        ("A mug costs $2.50 and a lid costs $0.50. How much will 6 mugs with lids cost?",
         "Answer:\n6 mugs with lids will cost $18.00.", 18),
        ("Each tray holds 3 cups. How many cups do 5 trays hold?", "Answer:\n5 trays hold 15 cups.", 15),
        # ... but a first number that does not restate the question is the answer
        ("Ann has 5 red and 7 blue beads. How many beads does she have?",
         "Answer: 12 beads, which is 2 more blue than red.", 12),
        # a value in another unit, then the asked one with "or": the asked one, and the numbers of the
        # task restated after "to" are not a range ("4 hours, to dig 30 holes")
        ("Digging a hole takes 8 minutes. How many hours will it take to dig 30 holes?",
         "Answer:\nIt will take 240 minutes, or 4 hours, to dig 30 holes.", 4),
    ],
)
def test_plan_and_solve_answer_paragraphs(question: str, text: str, value: int) -> None:
    a = extract_final_answer(text, question=question)
    assert a is not None and a.value == value and not a.conflicting, a


@pytest.mark.parametrize(
    "text, values",
    [
        ("The answer is 72 to 74 pages.", {72, 74}),  # a range still states two answers
        ("The answer is 72 pages to 74 pages.", {72, 74}),
        ("Answer: 12 apples, to 3 friends each.", {12}),  # a comma ends the first number's phrase
    ],
)
def test_a_range_with_to_needs_the_numbers_side_by_side(text: str, values: set[int]) -> None:
    from realign.verify.math import read_answer

    assert {a.value for a in read_answer(text).asserted} == values


@pytest.mark.parametrize(
    "question, original, candidate, same",
    [
        # a unit scale stated by the question
        ("How much cash did it hold at year end? Answer in USD millions.", "#### 4120",
         "Cash and equivalents at year end were $4,120 million.", True),
        ("How much cash did it hold at year end? Answer in USD millions.", "#### 4120",
         "Cash and equivalents at year end were $4.12 billion.", True),
        ("How much cash did it hold at year end? Answer in USD millions.", "#### 4120",
         "Cash and equivalents at year end were $4,210 million.", False),
        ("How much cash did it hold at year end?", "#### 4120", "Cash at year end was $4,120 million.", False),
        # the same value in two forms, or with its rounding under a rounding word: one answer
        ("What is the current ratio? Round to two decimal places.", "#### 12.47",
         "Current ratio = 3,118 / 250 = 12.47, or rounded to one decimal place, 12.5.", True),
        ("What is the current ratio? Round to two decimal places.", "#### 12.47",
         "Current ratio = 3,118 / 250 = 12.47 or 12.74.", False),
        ("What is the current ratio? Round to two decimal places.", "#### 12.47",
         "Current ratio = 3,118 / 250 = 12.47, or rounded to one decimal place, 13.5.", False),
        ("What is the payout ratio?", "#### 0.42", "The payout ratio = 210 / 500 = 0.42 or 42%.", True),
        ("What is the payout ratio?", "#### 0.42", "The payout ratio = 210 / 500 = 0.42 or 0.44.", False),
        # the value first, then how it was found
        ("What is the quick ratio?", "#### 0.91", "The quick ratio for FY2020 is 0.91 (2,730.4 / 3,001.2).", True),
        ("What is the quick ratio?", "#### 0.91", "The quick ratio is 0.91. This is calculated by dividing quick "
         "assets ($2,730) by current liabilities ($3,001).", True),
        ("What is the quick ratio?", "#### 0.91", "The quick ratio is 0.97. This is calculated by dividing quick "
         "assets ($2,730) by current liabilities ($3,001).", False),
    ],
)
def test_scale_two_forms_and_value_first_answers(question: str, original: str, candidate: str, same: bool) -> None:
    assert check(original, candidate, question).passed is same


@pytest.mark.parametrize(
    "question, original, candidate, same",
    [
        # a unit scale the question states: the value to more places that rounds to the original's
        ("What is the year end net PP&E? Answer in USD billions.", "8.7", "Net PP&E at year end is $8.738 billion.", True),
        ("What is the year end net PP&E? Answer in USD billions.", "8.7", "Net PP&E at year end is $8.638 billion.", False),
        ("What are total current liabilities (in USD millions)?", "5466", "Total current liabilities are $5,466,312,000.", True),
        ("What are total current liabilities (in USD millions)?", "5466", "Total current liabilities are $5,476,312,000.", False),
        # decimal places the question asks for, the original written with fewer
        ("What is the payout ratio? Round answer to two decimal places.", "0.8",
         "The payout ratio is (7,616 / 9,542) * 100 = 79.82%.", True),
        ("What is the payout ratio? Round answer to two decimal places.", "0.8",
         "The payout ratio is (7,116 / 9,542) * 100 = 74.57%.", False),
        # neither: 18.4 is no 18
        ("How many eggs does she sell?", "#### 18", "She sells 18.4 eggs.", False),
    ],
)
def test_a_precision_the_question_states_rounds_the_rewrites_value(question, original, candidate, same) -> None:
    assert check(original, candidate, question).passed is same


# --- new-user trial 11, D1: a '#### N' line does not cover a hedge in the prose -------------------

JANET = ("Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins for her "
         "friends every day with four. She sells the remainder at the farmers' market daily for $2 per fresh duck "
         "egg. How much in dollars does she make every day at the farmers' market?")
JANET_GOLD = "Janet sells 16 - 3 - 4 = 9 duck eggs a day.\nShe makes 9 * 2 = $18 every day at the farmer's market.\n#### 18"


@pytest.mark.parametrize("sentence, ok", [
    ("She makes $18 or $20.", False),
    ("She makes $18, or maybe $20 if she sells the muffins too.", False),
    ("She makes $18 every day, or perhaps $20.", False),
    ("So she makes $18 every day (it could also be $22 if she sells 11 eggs).", False),
    ("She makes between $18 and $20 every day.", False),
    ("She makes about $18, though the true answer might be $20.", False),
    ("She makes $18 a day, or $126 a week.", True),  # another quantity, not another answer
    ("That is 9 times 2, or 18 dollars.", True),  # the result said again
    ("She makes $18 every day.", True),
])
def test_a_hedge_in_the_prose_is_read_beside_the_answer_line(sentence: str, ok: bool) -> None:
    rewrite = f"16 - 3 - 4 = 9 eggs are left. 9 × 2 = $18. {sentence}\n#### 18"
    r = check_math(CheckInput(task="math_puzzles", instruction=JANET, original=JANET_GOLD, candidate=rewrite),
                   VerifyOptions())
    assert r.passed is ok, r.reason


# --- new-user trial 12, D10: a second answer in brackets, attributed to others, or under a condition ----

@pytest.mark.parametrize("sentence, ok", [
    ("Answer: $18 (some textbooks give $20).", False),
    ("The answer is $18. Other sources say $20.", False),
    ("She makes $18 (or $20) every day.", False),
    ("She makes $18, although according to some answer keys it is $20.", False),
    ("She makes $18 every day. (If she sold the muffins too it would be $26.)", False),
    ("She makes $18 every day, assuming eggs sell for $2; at $3 it would be $27.", False),
    # kept: the answer alone, in another form, the working in brackets, a hypothetical with the answer itself
    ("Some people find this hard, but she makes $18 every day.", True),
    ("She makes $18 (or 1,800 cents) every day.", True),
    ("She makes $18 (9 eggs at $2 each) every day.", True),
    ("If she sells all 9 eggs, she would make $18.", True),
])
def test_a_second_answer_offered_beside_the_answer_line(sentence: str, ok: bool) -> None:
    rewrite = f"16 - 3 - 4 = 9 eggs are left.\n9 × 2 = $18.\n{sentence}\n#### 18"
    r = check_math(CheckInput(task="math_puzzles", instruction=JANET, original=JANET_GOLD, candidate=rewrite),
                   VerifyOptions())
    assert r.passed is ok, r.reason
    if not ok:
        assert "second answer" in r.reason or "hedges" in r.reason, r.reason


def test_a_hypothetical_in_the_working_is_not_a_second_answer() -> None:
    """A conditional total counts only in the closing lines: a step of the working may weigh another case."""
    rewrite = ("If she ate no eggs at all, she would have 16 eggs, so we take away 3 and 4.\n16 - 3 - 4 = 9 eggs are left.\n"
               "9 × 2 = $18.\nShe makes $18 every day.\n#### 18")
    assert check_math(CheckInput(task="math_puzzles", instruction=JANET, original=JANET_GOLD, candidate=rewrite),
                      VerifyOptions()).passed


def test_a_hedge_is_read_in_a_text_whose_lower_case_is_longer() -> None:
    """str.lower() of "İ" is two characters: the hedge sites are then found on the text itself."""
    rewrite = "İzmir market: 16 - 3 - 4 = 9 eggs are left. 9 × 2 = $18. She makes $18 or maybe $20.\n#### 18"
    r = check_math(CheckInput(task="math_puzzles", instruction=JANET, original=JANET_GOLD, candidate=rewrite),
                   VerifyOptions())
    assert not r.passed and "hedges" in r.reason
    kept = "İzmir market: 16 - 3 - 4 = 9 eggs are left. 9 × 2 = $18. She makes $18 for 20 minutes of work.\n#### 18"
    assert check_math(CheckInput(task="math_puzzles", instruction=JANET, original=JANET_GOLD, candidate=kept),
                      VerifyOptions()).passed


@pytest.mark.parametrize("text", [
    "She pays $ -5, then - $ 3 and -$.5 more; −2 is left.",  # every lead character before the digits
    "x2 and a.5 are not numbers; 3x is, 4.5.6 twice",  # digits after a letter or a point
    "1,234.5 million, 12,34 and 3 1/2 cups at 75 % or 80 percent",
    "16 - 3 - 4 = 9 eggs, 9 * $2 = $18 at 1:00 PM",
    "٣ apples and 4 pears",  # a digit of another script
    "",
    "no digits at all",
])
def test_numbers_found_from_the_digits_are_the_patterns_own_matches(text: str) -> None:
    from realign.verify.math_numbers import _NUM, num_matches

    for pos in range(len(text) + 1):
        assert [(m.span(), m.groups()) for m in num_matches(text, pos)] == \
            [(m.span(), m.groups()) for m in _NUM.finditer(text, pos)]
