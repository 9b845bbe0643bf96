"""A short translation is its words: a rewrite must keep them all and offer no alternative (trial 12,
finding D2: "Buenos tardes." and "Buenos días (or buenas tardes)." passed for "Buenos días.")."""

from __future__ import annotations

import pytest

from realign.tasks import load_tasks
from realign.verify.base import CheckInput
from realign.verify.registry import verify_candidate
from realign.verify.text_kept import TRANSLATION_MAX_WORDS

ASK = "Translate 'good morning' into Spanish."
TASK = "text_to_text_translation"


def failed(candidate: str, original: str = "Buenos días.", instruction: str = ASK) -> list[str]:
    v = verify_candidate(CheckInput(task=TASK, instruction=instruction, original=original, candidate=candidate),
                         load_tasks()[TASK].verifiers)
    return [f"{c.name}: {c.reason}" for c in v.checks if not c.passed]


@pytest.mark.parametrize("candidate, reason", [
    ("Buenos tardes.", "text_kept: translation changed: the rewrite lacks días of the original's 'Buenos días.'"),
    ("Buenos días (or buenas tardes).",
     "text_kept: translation hedged: the rewrite offers an alternative ('or') beside the original's 'Buenos días.'"),
    ("buenos", "text_kept: translation changed: the rewrite lacks días of the original's 'Buenos días.'"),
])
def test_a_short_translation_with_a_word_changed_dropped_or_hedged_fails(candidate: str, reason: str) -> None:
    assert reason in failed(candidate)


@pytest.mark.parametrize("candidate", ["Buenos días", "¡Buenos días!", "BUENOS DÍAS.", '"Buenos días."',
                                       "Buenos días. (Spanish for good morning.)"])
def test_the_same_words_in_another_case_or_with_punctuation_pass(candidate: str) -> None:
    assert failed(candidate) == []


def test_an_or_the_original_or_question_has_is_no_hedge() -> None:
    assert failed("Té o café", original="Té o café", instruction="Translate 'tea or coffee' into Spanish.") == []


def test_a_longer_translation_is_not_held_word_for_word() -> None:
    original = "El tren sale de la estación a las ocho de la mañana todos los días."
    assert len(original.split()) > TRANSLATION_MAX_WORDS
    assert failed("Todos los días el tren sale de la estación a las ocho.", original,
                  "Translate into Spanish: The train leaves the station at eight every morning.") == []
