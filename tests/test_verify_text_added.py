"""A rewriting task's rewrite that adds a sentence neither the original nor the request says is
rejected (issue #9, trial finding D2); a heading, a note on the edit or a list of corrections is not."""

from __future__ import annotations

import pytest

from realign.tasks import load_tasks
from realign.testing.adversarial import added_cases
from realign.verify.base import CheckInput
from realign.verify.registry import verify_candidate
from realign.verify.text_added import check_text_added, sentences

FORMAL = "Rewrite this sentence to sound more formal.\n\nHey, can you send me that report real quick?"
FORMAL_ANSWER = "Could you please send me the report at your earliest convenience?"
CORRECT = "Correct the grammar of this sentence:\n\nBecuse i see some one did somthing that save me time, i do it too."
CORRECTED = "Because I saw that someone did something that saved me time, I did it too."
UNRELATED = "The meeting has been moved to the third floor conference room."


def verdict(task: str, instruction: str, original: str, candidate: str):
    return verify_candidate(CheckInput(task=task, instruction=instruction, original=original, candidate=candidate),
                            load_tasks()[task].verifiers)


@pytest.mark.parametrize("candidate", [
    f"{FORMAL_ANSWER} {UNRELATED}",
    f"{UNRELATED}\n\n{FORMAL_ANSWER}",
    f"**Formal version:**\n\n{FORMAL_ANSWER}\n\n- {UNRELATED}",
    f"{FORMAL_ANSWER.rstrip('?')} The meeting has been moved to the third floor.",  # glued on without a full stop
])
def test_a_rewrite_that_adds_an_unrelated_sentence_is_rejected_naming_it(candidate: str) -> None:
    v = verdict("instructional_rewriting", FORMAL, FORMAL_ANSWER, candidate)
    assert [c.name for c in v.checks if not c.passed] == ["text_added"]
    reason = next(c.reason for c in v.checks if c.name == "text_added")
    assert "The meeting has been moved to the third floor" in reason and "content words" in reason


@pytest.mark.parametrize("candidate", [
    FORMAL_ANSWER,
    f"Formal version:\n\n{FORMAL_ANSWER}",
    f"{FORMAL_ANSWER}\n\nThis version replaces the casual 'real quick' with a polite request.",
    f"{FORMAL_ANSWER}\n\nThis version keeps the meaning and adjusts the wording as asked.",
    f"Sure! Here is the sentence in a more formal tone:\n\n{FORMAL_ANSWER}\n\nI hope this helps with your email!",
])
def test_a_heading_a_note_on_the_edit_or_a_courtesy_is_no_added_content(candidate: str) -> None:
    v = verdict("instructional_rewriting", FORMAL, FORMAL_ANSWER, candidate)
    assert v.passed, [c.reason for c in v.checks if not c.passed]


def test_a_list_of_corrections_quoting_the_request_passes_and_one_quoting_another_text_does_not() -> None:
    listed = (f"{CORRECTED}\n\nChanges:\n- 'Becuse' -> 'Because': spelling\n- 'somthing' -> 'something': spelling\n"
              f"- 'see' -> 'saw': past tense, to agree with 'did'")
    assert verdict("text_correction", CORRECT, CORRECTED, listed).passed
    foreign_note = f"{CORRECTED}\n\nNote: the reflexive pronoun \"themselves\" is unnecessary in this sentence."
    v = verdict("text_correction", CORRECT, CORRECTED, foreign_note)
    assert not v.passed
    assert "quotes 'themselves'" in next(c.reason for c in v.checks if c.name == "text_added")


@pytest.mark.parametrize("task", ["instructional_rewriting", "language_polishing", "paraphrasing", "text_correction"])
def test_every_rewriting_task_lists_the_check(task: str) -> None:
    assert "text_added" in load_tasks()[task].verifiers


def test_the_check_is_gated_on_the_task_an_open_answer_may_add_content() -> None:
    """The contract cannot tell a transformation (contract none) from an open answer that a good
    rewrite extends, so a task with no rewriting criteria does not run it."""
    v = verify_candidate(CheckInput(task="default", instruction=FORMAL, original=FORMAL_ANSWER,
                                    candidate=f"{FORMAL_ANSWER} {UNRELATED}"), [])
    assert "text_added" not in [c.name for c in v.checks]


def test_words_of_the_request_and_the_earlier_turns_are_known() -> None:
    inp = CheckInput(task="paraphrasing", instruction="Paraphrase it.", original="The dam was finished in 1936.",
                     candidate="Work on the dam ended in 1936. It holds back Lake Mead on the Colorado River.",
                     context="user: Tell me about the Hoover Dam, which holds back Lake Mead on the Colorado River.")
    assert check_text_added(inp).passed
    assert not check_text_added(inp.with_changes(context="")).passed


def test_sentences_split_at_any_full_stop_and_before_a_glued_function_word() -> None:
    assert sentences("- one thing. and another\nA line The next one") == ["one thing.", "and another", "A line",
                                                                         "The next one"]


def test_a_title_or_company_abbreviation_ends_no_sentence() -> None:
    assert sentences("Both GM and No. 2 Ford Motor Co. declined, Mr. So said. Then") == [
        "Both GM and No. 2 Ford Motor Co. declined, Mr. So said.", "Then"]


OPEN = CORRECTED.rstrip(".")


@pytest.mark.parametrize("candidate", [
    f"{OPEN}, she is going to the store.",  # a clause after a comma
    f"{OPEN} and she is going to the store.",  # after "and"
    f"{OPEN} Meetings now start at noon.",  # run on at a capital letter that is no function word
    f"I received a new phone yesterday {CORRECTED}",  # run on before the text
    "Because I saw that someone did something that saved me time, the meeting moved upstairs, I did it too.",
    f"{OPEN}, although the quarterly budget review meeting happens tomorrow.",  # four new words in a row
])
def test_a_clause_glued_on_without_a_full_stop_is_rejected(candidate: str) -> None:
    v = verdict("text_correction", CORRECT, CORRECTED, candidate)
    assert [c.name for c in v.checks if not c.passed] == ["text_added"]
    assert "content words in a row" in next(c.reason for c in v.checks if c.name == "text_added")


LIBRARY = ("Last week the city committee rejected the proposal for the old library because the budget was far too "
           "small for the planned renovation, the mayor said.")


def test_the_same_words_inserted_where_the_original_keeps_its_own_are_added() -> None:
    candidate = LIBRARY.replace("library because", "library, the available funding could not cover the intended "
                                "refurbishment work, because")
    inp = CheckInput(task="paraphrasing", instruction=f"Paraphrase this sentence:\n\n{LIBRARY}", original=LIBRARY,
                     candidate=candidate)
    result = check_text_added(inp)
    assert not result.passed and "drops 0 of the original's" in result.reason


@pytest.mark.parametrize(("original", "candidate"), [
    # a phrase reworded where the original had one: a replacement, not an insertion
    ("The museum was closed on Monday, which was unusual.", "The museum was closed on Monday, which was against the norm."),
    ("He was a ship captain, and he sailed to Lisbon in 1502.",
     "Serving as a captain of ships, he made a voyage to Lisbon in 1502."),
    # new words inside a clause, not joined on as one of their own ("at your earliest" after "report")
    ("Please send me the report.", "Please send me the report at your earliest convenience."),
    # three new words in a row, fewer than a run that is added wherever it stands
    ("Since then, the war has drained the workforce.", "Since achieving independence, the war has drained the workforce."),
    # six new words in a row in place of five the original drops there: a reworded stretch, not an insertion
    (LIBRARY, "Last week the city committee rejected the proposal for the old library since the available funding "
              "could not cover the intended refurbishment work, the mayor said."),
    # a possessive is the word itself ("Reed's" / "Reed College")
    ("It was composed shortly after Reed's founding, and is rarely heard today.",
     "Shortly after Reed College was founded, it was composed, and is seldom heard today."),
])
def test_a_reworded_phrase_or_a_few_words_within_a_clause_are_no_glued_clause(original: str, candidate: str) -> None:
    inp = CheckInput(task="paraphrasing", instruction=f"Paraphrase this sentence:\n\n{original}", original=original,
                     candidate=candidate)
    assert check_text_added(inp).passed, check_text_added(inp).reason


def test_the_generated_additions_are_rejected_and_its_controls_pass() -> None:
    cases = added_cases(CORRECT, CORRECTED, UNRELATED, "text_correction",
                        rewrite="Because I saw someone do something that saved me time, I did it as well.")
    assert {c.cls for c in cases if not c.same_answer} == {
        "added_at_start", "added_at_end", "added_after_comma", "added_after_and", "added_run_on_end",
        "added_run_on_start", "added_clause_inside"}
    for c in cases:
        v = verdict(c.task, c.instruction, c.original, c.candidate)
        assert v.passed is c.same_answer, (c.cls, [x.reason for x in v.checks if not x.passed])
