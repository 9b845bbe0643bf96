"""An open answer's quantities (a number with a unit) must come back in its rewrite: trial 12, finding
D6 (a real SmolLM2 rewrite of a recipe turned "40 minutes" into "4 hours" and dropped every amount)."""

from __future__ import annotations

import pytest

from realign.testing.adversarial import quantity_cases
from realign.verify.base import CheckInput
from realign.verify.quantities import check_quantities, quantities
from realign.verify.registry import verify_candidate

ASK = "How do I bake a simple sourdough loaf?"
BREAD = ("Mix 500 g of flour, 350 g of water, 100 g of active starter and 10 g of salt. Let it rise for about 5 hours "
         "with a few folds, shape it, proof it overnight in the fridge and bake at 240 °C for 40 minutes.")


def verdict(candidate: str, task: str = "", original: str = BREAD):
    return verify_candidate(CheckInput(task=task or "default", instruction=ASK, original=original, candidate=candidate), [])


def failed(candidate: str, task: str = "", original: str = BREAD) -> list[str]:
    return [c.reason for c in verdict(candidate, task, original).checks if not c.passed]


@pytest.mark.parametrize("task", ["", "how_to_generation", "open_qa"])
def test_the_trial_rewrite_that_lost_every_quantity_is_rejected_on_any_open_task(task: str) -> None:
    real = ("Bake a simple sourdough loaf in the oven at 240 degrees for 4 hours with a few folds, shape it and proof "
            "overnight to create a rich and tangy bread. Let it rise for another 1 hour before baking it.")
    assert failed(real, task) == ["quantity dropped: the original's '500 g' is not in the rewrite"]


@pytest.mark.parametrize("candidate, reason", [
    (BREAD.replace("40 minutes", "4 hours"), "quantity changed: the original's '40 minutes' became '4 hours' in the rewrite"),
    (BREAD.replace("500 g", "50 g"), "quantity changed: the original's '500 g' became '50 g' in the rewrite"),
    (BREAD.replace("10 g of salt", "100 g of salt"), "quantity dropped: the original's '10 g' is not in the rewrite"),
    (BREAD.replace("40 minutes", "40 hours"), "quantity changed: the original's '40 minutes' is in h in the rewrite"),
    (BREAD.replace("240 °C", "240 °F"), "quantity changed: the original's '240 °C' is in °F in the rewrite"),
])
def test_a_changed_or_dropped_quantity_is_named(candidate: str, reason: str) -> None:
    assert failed(candidate) == [reason]


@pytest.mark.parametrize("candidate", [
    BREAD,
    BREAD.replace("40 minutes", "forty minutes").replace("500 g", "500 grams"),
    BREAD.replace("240 °C", "240 degrees Celsius").replace("5 hours", "five hours"),
    BREAD.replace("240 °C", "240 degrees"),  # the unit left out: the value is still stated
    "## Sourdough\n\n- " + BREAD.replace(". ", ".\n- "),
    BREAD.replace("about 5 hours", "300 minutes"),  # converted to another unit of its kind
])
def test_the_same_quantities_in_other_words_pass(candidate: str) -> None:
    assert failed(candidate) == []


def test_a_value_stated_again_with_another_kind_of_unit_does_not_keep_it() -> None:
    original = ("Heat a spoon of oil in a wok. Add 5 oz of beef and stir-fry it for about 3 minutes until it is cooked "
                "through, then add the vegetables and the sauce and serve it hot with rice.")
    candidate = original.replace("5 oz", "6 oz").replace("3 minutes", "5 minutes")
    assert failed(candidate, original=original)[:1] == [
        "quantity changed: the original's '5 oz' became '6 oz' in the rewrite"]


def test_numbers_without_a_unit_and_made_up_answers_are_not_held() -> None:
    tips = ("Here are 3 tips that helped runners since 1999: sleep well before the race, drink water during it and "
            "keep a steady pace from the start to the finish line.")
    assert failed(tips.replace("3 tips", "some tips").replace("1999", "the 1990s"), original=tips) == []
    story = ("She walked for 3 days and 40 miles through the snow, and when she reached the village at last the "
             "people came out of their houses to greet her with bread and songs.")
    assert [c for c in failed(story.replace("3 days", "4 days"), "story_generation", story) if "quantity" in c] == []


def test_the_check_runs_only_for_contract_none() -> None:
    # a short factual answer has a facts contract: key_facts holds its numbers, not this check
    v = verify_candidate(CheckInput(task="open_qa", instruction="How long is a marathon?", original="42.195 km",
                                    candidate="26.2 miles"), [])
    assert "quantities_kept" not in [c.name for c in v.checks]


def test_quantities_reads_numbers_with_units_signs_and_percents() -> None:
    shown = [q.shown for q in quantities("Mix 2 cups, costs $5 or 20% more, 3 tips in 1999, bake 40 minutes.")]
    assert shown == ["$5", "20%", "40 minutes"]


def test_every_generated_case_is_verified_as_labelled() -> None:
    cases = quantity_cases(ASK, BREAD)
    assert {c.cls for c in cases} == {"quantity_changed", "quantity_dropped", "unit_changed", "duration_scaled",
                                      "unit_spelled_out", "quantity_heading_added"}  # 500: not in words
    cases += quantity_cases(ASK, BREAD.replace("500 g", "2 kg"))  # 2 kg: stated once, in words "two"
    assert "number_in_words" in {c.cls for c in cases}
    for c in cases:
        assert verdict(c.candidate, original=c.original).passed == c.same_answer, c.cls
