"""List answers: every item kept, their order kept when the request asks for one (verify/lists.py)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from realign.testing.adversarial import list_cases
from realign.verify.base import CheckInput
from realign.verify.contract import read_contract
from realign.verify.lists import check_list, order_asked, read_list
from realign.verify.registry import verify_candidate

REPO = Path(__file__).resolve().parents[1]
ALPACA = REPO.parent / "shared" / "data" / "alpaca" / "alpaca_dev_1000.jsonl"


def verdict(instruction: str, original: str, candidate: str, task: str = "") -> bool:
    inp = CheckInput(task=task, instruction=instruction, original=original, candidate=candidate)
    return verify_candidate(inp, []).passed


def test_a_list_of_short_items_is_the_contract_and_every_item_is_held():
    ask, original = "Name 5 invasive species.", "1. Zebra mussels\n2. Kudzu\n3. European green crab\n4. Brown tree snake\n5. Asian carp"
    contract = read_contract(ask, original)
    assert contract.kind == "list" and contract.checks == ["list_items"] and contract.value.startswith("5 items")
    kept = ("Five invasive species:\n\n- **Zebra mussels**, which clog pipes\n- **Kudzu**, a vine\n"
            "- **European green crabs**\n- **Brown tree snakes**\n- **Asian carp**")
    assert verdict(ask, original, kept)
    dropped = kept.replace("- **Kudzu**, a vine\n", "")
    assert not verdict(ask, original, dropped)
    swapped = kept.replace("**Kudzu**, a vine", "**Cane toads**, a toad")
    assert not verdict(ask, original, swapped)


def test_a_sorted_answer_must_keep_its_order_and_an_unordered_one_need_not():
    ask, original = "Sort a given list of 5 integers from smallest to biggest.", "[-7, -3, -2, 4, 8]"
    assert order_asked("", ask) and read_contract(ask, original).kind == "list"
    assert verdict(ask, original, "Sorted from smallest to biggest: -7, -3, -2, 4, 8.")
    assert not verdict(ask, original, "Sorted from smallest to biggest: -7, -2, -3, 4, 8.")
    ask2, original2 = "Generate five adjectives to describe a sunny summer day.", "Vibrant, cheerful, bright, warm, and glorious."
    assert verdict(ask2, original2, "Glorious, warm, bright, cheerful and vibrant are five adjectives for it.")
    assert not verdict(ask2, original2, "Glorious, warm, bright and cheerful.")


def test_term_explanation_items_are_held_by_their_term_and_sentences_are_not_lists():
    ask = "Describe the steps to plan a successful event."
    original = ("1. Set a budget: Define the financial limits.\n2. Choose a venue: Consider the guests.\n"
                "3. Promote the event: Use social media.\n4. Monitor the event: Check on progress.")
    found = read_list(ask, original)
    assert found is not None and found.items[:2] == ["Set a budget", "Choose a venue"]
    reworded = ("1. **Establish a budget.** Decide what you can spend.\n2. **Select a venue** that fits the guests.\n"
                "3. **Promote the event** on social media.\n4. **Monitor the event** as it runs.")
    assert check_list(CheckInput(task="", instruction=ask, original=original, candidate=reworded)).passed
    assert read_list("Edit the text to deliver a more positive message.",
                     "The news wasn't great, but I'm staying positive, looking ahead.") is None
    assert read_list("Write code for an array of numbers.", "let array = [1, 2, 3, 4, 5];") is None


@pytest.mark.skipif(not ALPACA.exists(), reason=f"{ALPACA} not found (../shared/data is not beside the checkout)")
def test_adversarial_list_cases_on_alpaca_answers():
    """Third-party answers (Alpaca, CC BY-NC, read from ../shared, never copied into the repo):
    items dropped, substituted, cut short or swapped against renumbered, bolded, explained,
    introduced and reordered controls. These answers were read while writing the check, so this
    is a regression bar; the held-out figures are in the README."""
    changing, keeping = Counter(), Counter()
    wrong_changing, wrong_keeping = Counter(), Counter()
    for line in ALPACA.read_text().splitlines():
        row = json.loads(line)
        ask = row["instruction"] + ("\n\n" + row["input"] if row["input"] else "")
        for case in list_cases(ask, row["output"] or "", "Quantum entanglement", order_asked("", ask)):
            passed = verdict(ask, case.original, case.candidate)
            if case.same_answer:
                keeping[case.cls] += 1
                wrong_keeping[case.cls] += not passed
            else:
                changing[case.cls] += 1
                wrong_changing[case.cls] += passed
    assert sum(changing.values()) >= 300 and sum(keeping.values()) >= 350
    assert sum(wrong_changing.values()) <= 0.08 * sum(changing.values()), wrong_changing
    assert sum(wrong_keeping.values()) <= 0.01 * sum(keeping.values()), wrong_keeping


def test_an_item_found_only_inside_another_items_explanation_is_dropped() -> None:
    from realign.verify.base import CheckInput
    from realign.verify.lists import check_list

    ask = "Define four terms used in astronomy."
    original = ("1. Red giant: a late stage of a star.\n2. Solar wind: charged particles from the Sun.\n"
                "3. Nebula: a cloud of gas and dust.\n4. Supernova: the explosion of a red giant or a white dwarf.")
    dropped = ("- **Red giant**: a star late in its life.\n- **Nebula**: a cloud of gas and dust in space.\n"
               "- **Supernova**: a star exploding, such as a red giant, with solar wind-like ejecta.")
    result = check_list(CheckInput(task="", instruction=ask, original=original, candidate=dropped))
    assert not result.passed and "Solar wind" in result.reason
    kept = ("- **Red giant**: a star late in its life.\n- **Solar wind**: the Sun's stream of particles.\n"
            "- **Nebula**: a cloud of gas and dust.\n- **Supernova**: an exploding star, such as a red giant.")
    assert check_list(CheckInput(task="", instruction=ask, original=original, candidate=kept)).passed
    merged = "- Meditation and exercise\n- Mindful breathing\n- Sleep"
    assert check_list(CheckInput(task="", instruction="Name four ways to reduce stress.",
                                 original="- Meditation\n- Exercise\n- Mindful breathing\n- Sleep",
                                 candidate=merged)).passed  # a short item may name two of the original's


def test_a_repeated_inline_item_must_be_kept_as_often() -> None:
    from realign.verify.base import CheckInput
    from realign.verify.lists import check_list

    ask = "Give the grade of each of the four students: 91, 45, 88, 30 (A from 60)."
    original = "[A, F, A, F]"
    assert not check_list(CheckInput(task="", instruction=ask, original=original, candidate="A, F, and F.")).passed
    assert check_list(CheckInput(task="", instruction=ask, original=original, candidate="A, F, A and F.")).passed


RECIPE = ("Veggie Bowl:\n\nIngredients:\n- 1 cup quinoa\n- 2 cups vegetable broth\n- 1 cup diced carrots\n"
          "- 1 can diced tomatoes\n- 1 onion, diced\n- 2 cloves garlic, minced\n\nInstructions:\n"
          "1. Bring the vegetable broth to a boil.\n2. Add quinoa and simmer for about 15 minutes.\n"
          "3. Add diced tomatoes, onion and garlic, cooking for about 5 minutes more.\n4. Serve warm.")


def test_an_item_dropped_from_its_list_is_not_kept_by_a_sentence_that_already_mentioned_it() -> None:
    """A rewrite drops "1 can diced tomatoes" from the ingredients while step 3, which the original
    already had, still adds "diced tomatoes": the step restates itself, it does not list them."""
    ask = "Generate a recipe for an easy and nutritious lunch"
    dropped = RECIPE.replace("- 1 can diced tomatoes\n", "")
    result = check_list(CheckInput(task="", instruction=ask, original=RECIPE, candidate=dropped))
    assert not result.passed and "tomatoes" in result.reason
    reformatted = (RECIPE.replace("Ingredients:", "## Ingredients").replace("- 1 can", "- **1 can")
                   .replace("diced tomatoes\n", "diced tomatoes**\n"))
    assert verdict(ask, RECIPE, reformatted)


@pytest.mark.parametrize(
    "ask, original, dropped, kept",
    [
        # the answer line after the options names the dropped option
        ("Create an MCQ about nutrition.",
         "Which is not an essential nutrient?\nA. Fiber\nB. Protein\nC. Magnesium\nD. Fat\n\nAnswer: Magnesium.",
         "Which is not an essential nutrient?\nA. Fiber\nB. Protein\nC. Fat\n\nAnswer: Magnesium.",
         "**Question:** Which is not an essential nutrient?\n\n- A) Fiber\n- B) Protein\n- C) Magnesium\n- D) Fat\n\n"
         "**Answer:** Magnesium."),
        # "9 - 5 = 4" is an equation, not the term "9" explained after a dash
        ("Create 4 math equations using the numbers 1, 9, 5, 8.",
         "1. 1 + 5 = 6\n2. 9 + 5 = 14\n3. 8 - 5 = 3\n4. 9 - 5 = 4",
         "1. 1 + 5 = 6\n2. 9 + 5 = 14\n3. 8 - 5 = 3",
         "Here are four equations:\n\n- 1 + 5 = 6\n- 9 + 5 = 14\n- 8 - 5 = 3\n- 9 - 5 = 4"),
        # an item whose only word another item also has must be named twice
        ("Name three techniques for reducing stress.",
         "- Meditation\n- Exercise\n- Mindful breathing exercises",
         "- Meditation\n- A walk in the park\n- Mindful breathing exercises",
         "1. **Meditation**: ten quiet minutes.\n2. **Exercise**: a brisk walk.\n3. **Mindful breathing exercises**."),
        # a table is a list too: a row stands for its first cell, not for what its cells mention
        ("Name four planets.", "- Mercury\n- Venus\n- Earth\n- Mars",
         "| Planet | Note |\n|---|---|\n| Mercury | closest |\n| Venus | hottest, Earth's twin |\n| Mars | red |",
         "| Planet | Note |\n|---|---|\n| Mercury | closest |\n| Venus | hottest |\n| Earth | ours |\n| Mars | red |"),
        # sub-items may be folded into their parent's line; one left out is dropped
        ("List foods by group.",
         "1. Fruits\n   - Apple\n   - Banana\n2. Vegetables\n   - Carrot\n   - Spinach\n3. Grains\n   - Rice\n   - Oats",
         "1. **Fruits**: apple\n2. **Vegetables**: carrot, spinach\n3. **Grains**: rice, oats",
         "1. **Fruits**: apple, banana\n2. **Vegetables**: carrot, spinach\n3. **Grains**: rice, oats"),
        # plurals and an open end ("etc.") are forms, not items
        ("List some foods rich in antioxidants.", "Blueberry, dark chocolate, pecan, artichoke, etc.",
         "Blueberries, dark chocolate and pecans.",
         "1. **Blueberries**\n2. **Dark chocolate**\n3. **Pecans**\n4. **Artichokes**, among many others."),
    ],
)
def test_list_rewrites_in_the_shapes_models_write(ask: str, original: str, dropped: str, kept: str) -> None:
    assert read_contract(ask, original).kind == "list"
    assert not verdict(ask, original, dropped)
    assert verdict(ask, original, kept)


def test_a_bare_list_may_grow_by_an_explanation_per_item() -> None:
    ask = 'Generate a vocabulary list on the topic "forest".'
    words = "Trees, wood, foliage, canopy, saplings, shrubs, moss, bark, leaves, twigs, roots, ferns, fungi, creek"
    explained = "\n".join(f"- **{w.strip()}**: a word that belongs to the forest and what grows or runs in it."
                          for w in words.split(","))
    assert len(explained) > 4 * len(words)  # beyond the plain ratio bound
    assert verdict(ask, words + ".", explained)
    assert not verdict(ask, words + ".", explained.replace("- **moss**", "- **sand**"))


STRESS = "1. Meditation\n2. Exercise\n3. Sleep\n4. Journaling"


@pytest.mark.parametrize(
    "candidate, same",
    [
        # one section per item, headed by a markdown heading or a bold line
        ("### 1. Meditation\nSit quietly.\n\n### 2. Exercise\nMove daily.\n\n### 3. Sleep\nRest well.\n\n"
         "### 4. Journaling\nWrite it down.", True),
        ("Here are four ways.\n\n**Meditation**\nSit quietly.\n\n**Exercise**\nMove daily.\n\n**Sleep**\nRest.\n\n"
         "**Journaling**\nWrite it down.\n\n**Conclusion**\nAll of these help.", True),
        # a section dropped; its item still named inside another section or in the conclusion
        ("### 1. Meditation\nSit quietly; good sleep follows.\n\n### 2. Exercise\nMove daily.\n\n"
         "### 3. Journaling\nWrite it down.", False),
        ("## Ways to reduce stress\n\n### 1. Meditation\nSit quietly.\n\n### 2. Exercise\nMove daily.\n\n"
         "### 3. Journaling\nWrite it down.\n\n## Conclusion\nMeditation, exercise, sleep and journaling all help.", False),
        # the items regrouped under new headings of the rewrite's own
        ("- **Mind**: meditation and journaling\n- **Body**: exercise\n- **Rest**: sleep", True),
        ("- **Mind**: meditation and journaling\n- **Body**: exercise\n- **Rest**: a quiet evening", False),
    ],
)
def test_items_written_as_sections_or_regrouped(candidate: str, same: bool) -> None:
    assert verdict("Name four ways to reduce stress.", STRESS, candidate) is same


def test_a_list_of_short_items_may_lose_its_framing_but_not_an_item() -> None:
    """Models drop a chatty lead-in and answer with the items alone: the length floor is counted on
    the items, so that is kept; a list cut to two items is still too short and drops items."""
    ask = "Suggest four things for a party."
    original = ("Here are some great ideas for your birthday party this weekend that everyone will surely enjoy:\n"
                "- Games\n- Music\n- Food\n- Dancing")
    assert verdict(ask, original, "Games, music, food, and dancing.")
    assert not verdict(ask, original, "Games, music.")
    explained = original.replace("- Games", "- Games\n  Board games and charades keep everyone busy for hours.")
    assert not verdict(ask, explained, "Games, music, food, and dancing.")  # an explanation dropped is content


def test_a_short_item_restates_itself_not_a_longer_item_that_shares_its_words() -> None:
    """"Spinach salad with walnuts" beside "Walnuts: great in a spinach salad ...": kept as written
    (framed, renumbered, bolded), each item still stands for itself; dropped, it is missed."""
    ask = "Suggest healthy foods."
    original = ("- Spinach salad with walnuts\n- Walnuts: great in a spinach salad or on oatmeal\n"
                "- Grilled salmon\n- Brown rice")
    assert verdict(ask, original, f"Here is what was asked for.\n\n{original}\n\nEach of these fits the request.")
    assert verdict(ask, original, original.replace("- Spinach salad with walnuts", "1. **Spinach salad with walnuts**"))
    assert not verdict(ask, original, original.replace("- Spinach salad with walnuts\n", ""))


def test_a_list_of_three_rewritten_as_two_items_is_one_short() -> None:
    """Three tips rewritten as two bullets: the dropped tip's word in another bullet's explanation
    does not keep it; the three kept, or two folded into one short item, do."""
    ask = "Give three tips for better sleep."
    original = "- Keep a schedule\n- Avoid caffeine\n- Limit screens"
    assert not verdict(ask, original, "- **Keep a schedule**: bed at ten, even after caffeine.\n"
                                      "- **Limit screens**: none after nine.")
    assert verdict(ask, original, "- **Keep a schedule**: bed at ten.\n- **Avoid caffeine** after noon.\n"
                                  "- **Limit screens**: none after nine.")
    assert verdict(ask, original, "- Keep a schedule and avoid caffeine\n- Limit screens at night")


# Shapes of the misses on the Vicuna-bench answers (dev): the answer's own lead-in or conclusion names
# the item terms, and the rewrite keeps that text as it was while dropping the items themselves.
TAX_ASK = "How can a city cut traffic?"
TAX_ORIGINAL = ("A city can cut traffic with pricing, transit and zoning. Each works on a different cause.\n"
                "Here are the main levers:\n"
                "1. Pricing: a congestion charge makes peak trips cost what they cost others.\n"
                "2. Transit: frequent buses give drivers a way out of their cars.\n"
                "3. Zoning: homes near jobs shorten the trips themselves.\n"
                "Most cities that succeed combine pricing with transit.")


def test_the_lead_in_kept_as_written_does_not_keep_the_items_it_names() -> None:
    one_left = TAX_ORIGINAL.replace("1. Pricing: a congestion charge makes peak trips cost what they cost others.\n", "")
    one_left = one_left.replace("2. Transit: frequent buses give drivers a way out of their cars.\n", "")
    assert not verdict(TAX_ASK, TAX_ORIGINAL, one_left)
    assert verdict(TAX_ASK, TAX_ORIGINAL, TAX_ORIGINAL.replace("1. Pricing", "1. **Pricing**"))
    # two items told in the rewrite's own prose, one kept as an item, the closing remark in other words:
    # nothing was dropped (without that remark the length check's closing-content test rejects it)
    assert verdict(TAX_ASK, TAX_ORIGINAL,
                   "Charging drivers for peak trips (pricing) makes them weigh each journey, and running "
                   "frequent buses (transit) gives them another way to make it. A third lever works on the "
                   "distance itself:\n\n- **Zoning**: homes near jobs shorten the trips themselves.\n\n"
                   "Cities that succeed tend to combine the first two.")


def test_a_list_cut_to_two_items_keeps_no_term_named_only_in_their_explanations() -> None:
    ask = "What kinds of spacecraft are there?"
    original = ("The main kinds:\n\n1. Rockets: they carry probes and telescopes into space.\n"
                "2. Satellites: they share launch slots with space telescopes.\n"
                "3. Telescopes: they see the first galaxies.\n4. Probes: they land on moons and comets.\n\n"
                "Each kind needs the others.")
    cut = original.split("3. Telescopes")[0].rstrip() + "\n\n...and so on."
    assert not verdict(ask, original, cut)
    assert verdict(ask, original, original.replace("\n1.", "\n1)").replace("\n2.", "\n2)"))
    # the two dropped kinds told in the rewrite's own closing prose are kept (and so is the closing
    # remark: without it the length check's closing-content test rejects the rewrite)
    assert verdict(ask, original, original.split("3. Telescopes")[0].rstrip()
                   + "\n\nBeyond these, telescopes see the first galaxies and probes land on moons and comets. "
                   "Each kind needs the others.")


def test_a_bare_list_whose_lead_in_names_every_item_is_kept_by_that_sentence() -> None:
    ask = "List the three primary colours."
    original = "The primary colours are red, yellow and blue.\n- Red\n- Yellow\n- Blue"
    assert verdict(ask, original, "The primary colours are red, yellow and blue.")
    assert not verdict(ask, original, "The primary colours are red and yellow.\n- Red\n- Yellow")


def test_an_item_that_repeats_its_word_is_held_by_that_word() -> None:
    """"Practice, practice, practice:" as a tip's head (a Vicuna-bench answer): the same answer,
    bolded or introduced, keeps it; dropping it does not."""
    ask = "How can I get better at chess?"
    original = ("A few habits help:\n1. Study openings: learn two for each colour.\n"
                "2. Review games: find the move where it went wrong.\n"
                "3. Practice, practice, practice: play every day, even short games.")
    assert verdict(ask, original, original)
    assert verdict(ask, original, original.replace("3. Practice, practice, practice:", "3. **Practice, practice, practice**:"))
    assert not verdict(ask, original, original.split("\n3.")[0] + "\n\nPlay every day.")


# Shapes of the misses on the Self-Instruct text-davinci-003 answers (dev since its third look),
# written afresh here: a head shared by several items, an item said twice, items told apart by a
# word their heads share, and "Term: value" pairs on one line.
def test_items_under_a_shared_head_are_held_by_their_whole_line() -> None:
    """Heads that repeat ("step: Build", "step: Test"; titles that share their first half) do not
    tell the items apart: each item is its whole line, so a dropped or replaced one is missed."""
    ask = "Write the steps of a release pipeline."
    original = "- step: Checkout\n- step: Compile\n- step: Unit tests\n- step: Package\n- step: Publish"
    found = read_list(ask, original)
    assert found is not None and len(found.items) == 5
    assert verdict(ask, original, original.replace("- step:", "1. **step**:"))
    assert not verdict(ask, original, original.replace("- step: Package\n", ""))
    assert not verdict(ask, original, original.replace("step: Compile", "step: Photosynthesis"))
    ask = "Suggest titles of papers related to a survey of graph learning."
    titles = ("1. Graph Learning: A Survey\n2. Graph Learning: A Tutorial\n3. Graph Learning: Open Problems\n"
              "4. Scalable Graph Learning: A Review")
    assert verdict(ask, titles, "Related papers:\n\n" + titles.replace("1. Graph", "1. **Graph").replace(
        "A Survey", "A Survey**"))
    assert not verdict(ask, titles, titles.replace("2. Graph Learning: A Tutorial\n", ""))


def test_an_item_the_answer_says_twice_is_held_twice() -> None:
    """A list and a "Key points" list repeating some of its items: renumbered throughout it is the
    same answer; an item dropped from the first list, though still among the key points, is not."""
    ask = "Review the flat's description: the good points, and the key points."
    original = ("Good:\n- Bright living room\n- New kitchen\n- Quiet street\n- Large garden\n\n"
                "Key points:\n- New kitchen\n- Large garden")
    renumbered = ("Good:\n1. **Bright living room**\n2. **New kitchen**\n3. **Quiet street**\n4. **Large garden**\n\n"
                  "Key points:\n5. **New kitchen**\n6. **Large garden**")
    assert verdict(ask, original, renumbered)
    assert verdict(ask, original, f"Here is the review.\n\n{original}\n\nThat is all.")
    assert not verdict(ask, original, original.replace("- New kitchen\n- Quiet street", "- Quiet street", 1))


def test_items_that_share_their_head_words_each_keep_a_line_of_their_own() -> None:
    """Verb endings told apart only by the ending ("First person singular: -e", "... -st"): an
    item whose words every head has (the "-t" one) moves to another line that names it, so that
    "-e" keeps its own; a line dropped is missed."""
    ask = "Give a tip on German verb endings."
    original = ("The ending depends on person and number:\n\n1. Person singular: -e\n2. Person singular: -st\n"
                "3. Person singular: -t\n1. Person plural: -en\n2. Person plural: -t\n3. Person plural: -en")
    assert verdict(ask, original, original.replace("1. Person singular: -e", "1. **Person singular: -e**"))
    assert verdict(ask, original, "In short:\n\n" + original)
    assert not verdict(ask, original, original.replace("2. Person singular: -st\n", ""))


def test_a_one_line_list_of_term_value_pairs_keeps_its_first_term() -> None:
    """"Anna: 9-9:30 am, Ben: 1-2:30 pm, Cleo: 2:30-3:30 pm": the first colon is the first pair's,
    not a lead-in, and "9-9:30" is a range, not minus nine."""
    ask = "Schedule the meetings.\n\nAnna: free 9-11 am\nBen: free 1-3 pm\nCleo: free 2-4 pm"
    original = "Anna: 9-9:30 am, Ben: 1-2:30 pm, Cleo: 2:30-3:30 pm"
    found = read_list(ask, original)
    assert found is not None and found.items[0].startswith("Anna")
    assert verdict(ask, original, "- **Anna**: 9-9:30 am\n- **Ben**: 1-2:30 pm\n- **Cleo**: 2:30-3:30 pm")
    assert not verdict(ask, original, "- **Anna**: 9-9:30 am\n- **Ben**: 1-2:30 pm")
    assert not verdict(ask, original, "- **Anna**: 9-9:30 am\n- **Ben**: 1-2:30 pm\n- **Dan**: 4-5 pm")


def test_the_items_in_a_sentence_control_keeps_each_short_lines_explanation() -> None:
    """The adversarial control that tells a short list in one sentence keeps what each line says
    after its term ("Jazz Classics: <link>" to a request for links): without it the control would
    drop part of the answer, not reword it."""
    ask = "Choose playlists for a calm evening and give their links."
    original = ("1. Jazz Classics: https://example.org/p/1\n2. Ambient Focus: https://example.org/p/2\n"
                "3. Piano Evenings: https://example.org/p/3")
    sentence = next(c for c in list_cases(ask, original, "Photosynthesis", False) if c.cls == "list_in_a_sentence")
    assert sentence.same_answer and all(f"https://example.org/p/{n}" in sentence.candidate for n in (1, 2, 3))
    assert verdict(ask, original, sentence.candidate)


# --- lists beside code, lists said twice, items told apart only by their words together ---------

RATINGS_ASK = "Rate the three laptops from the reviews on a scale of 1 to 10 and return the ratings as JSON."
RATINGS = """Here are the ratings, based on the reviews:

```json
{"ThinkPad X1": 8.5, "MacBook Air": 9.0, "Dell XPS": 7.5}
```

### Why:
1. **ThinkPad X1:**
   - **Strengths:** keyboard, battery.
   - **Weaknesses:** the price.
2. **MacBook Air:**
   - **Strengths:** battery, screen.
   - **Weaknesses:** few ports.
3. **Dell XPS:**
   - **Strengths:** screen.
   - **Weaknesses:** runs warm, battery."""


def test_a_list_beside_fenced_code_is_held_as_well_as_the_code():
    contract = read_contract(RATINGS_ASK, RATINGS)
    assert contract.kind == "code" and contract.checks == ["code_preserved", "list_items"]
    # the JSON still names the MacBook, the explanation of it is gone: the list lost an item
    dropped = RATINGS.replace("2. **MacBook Air:**\n   - **Strengths:** battery, screen.\n"
                              "   - **Weaknesses:** few ports.\n", "")
    assert not verdict(RATINGS_ASK, RATINGS, dropped)
    reworded = RATINGS.replace("### Why:", "### Reasoning behind each rating").replace("1. **", "1. ").replace(
        "2. **", "2. ").replace("3. **", "3. ").replace(":**\n", "\n")
    assert verdict(RATINGS_ASK, RATINGS, reworded)
    # and the code is still held: a changed rating fails whatever the list says
    assert not verdict(RATINGS_ASK, RATINGS, RATINGS.replace('"Dell XPS": 7.5', '"Dell XPS": 6.5'))


def test_unfenced_yaml_is_code_not_a_list_and_a_markdown_outline_is_no_yaml():
    ask = "Give an example of a CI workflow for GitHub Actions."
    workflow = ("name: CI\n\non:\n  push:\n    branches:\n      - main\n\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
                "    steps:\n    - uses: actions/checkout@v4\n    - name: Install\n      run: pip install .\n"
                "    - name: Test\n      run: pytest\n")
    assert read_list(ask, workflow) is None
    contract = read_contract(ask, workflow)
    assert contract.kind == "code" and "list_items" not in contract.checks
    assert not verdict(ask, workflow, workflow.replace("run: pytest", "run: echo skipped"))
    outline = "- Fruits:\n  - Apple\n  - Banana\n- Vegetables:\n  - Carrot\n  - Leek"
    assert read_contract("Group these foods: apple, carrot, banana, leek.", outline).kind != "code"


ORDER_ASK = "List the car colours in order from last to first."
TWICE = """The cars as we placed them:

1. Red car
2. Blue car (Bert)
3. Green car (Enid)
4. Yellow car (Alice)
5. Purple car (David)

From last to first, the colours are:

1. Purple
2. Yellow
3. Green
4. Blue
5. Red"""


def test_an_order_is_read_within_each_list_and_a_list_said_twice_does_not_cover_a_swap():
    found = read_list(ORDER_ASK, TWICE)
    assert found is not None and found.group == (0,) * 5 + (1,) * 5
    swapped = TWICE.replace("1. Red car\n2. Blue car (Bert)", "1. Blue car (Bert)\n2. Red car")
    assert not verdict(ORDER_ASK, TWICE, swapped)
    # the same swap with the old numbers left in place is still one list, not two
    assert not verdict(ORDER_ASK, TWICE, TWICE.replace("1. Red car\n2. Blue car (Bert)", "2. Blue car (Bert)\n1. Red car"))
    answer_swapped = TWICE.replace("1. Purple\n2. Yellow", "1. Yellow\n2. Purple")
    assert not verdict(ORDER_ASK, TWICE, answer_swapped)
    # the two lists in the other order, each in its own order, renumbered and bolded: kept
    first, second = TWICE.split("\n\nFrom last to first, the colours are:\n\n")
    moved = ("From last to first: **" + "**, **".join(["Purple", "Yellow", "Green", "Blue", "Red"]) + "**.\n\n"
             + first.replace("1. Red", "1. **Red").replace(" car\n", " car**\n", 1))
    assert "From last to first" in moved and verdict(ORDER_ASK, TWICE, moved)


def test_an_item_told_apart_only_by_its_words_together_is_not_kept_by_a_neighbour():
    ask = "If the third statement is true, is the first one true, false or uncertain?"
    original = ("From the third statement we infer:\n- Bananas > Apples\n- Bananas > Oranges\n"
                "- Oranges cost more than apples\n\nGiven that Bananas > Apples and Bananas > Oranges, "
                "the first statement is uncertain.")
    found = read_list(ask, original)
    assert found is not None and found.times[:2] == (2, 2)
    # the item left the list; the conclusion still names it, which does not put it back
    dropped = original.replace("- Bananas > Oranges\n", "")
    assert not verdict(ask, original, dropped)
    kept = original.replace("- Bananas > Apples\n- Bananas > Oranges", "- Bananas cost more than apples\n"
                            "- Bananas cost more than oranges")
    assert verdict(ask, original, kept)


COLD_BREW_ASK = "How do I make cold brew coffee at home?"
COLD_BREW = ("Cold brew needs time more than equipment. Here is how:\n\n"
             "1. Grind the beans coarsely:\n"
             "Set a burr grinder to its coarsest setting so the grounds look like sea salt.\n\n"
             "2. Steep the grounds overnight:\n"
             "Let the grounds steep in cold water in a closed jar in the fridge for twelve to eighteen hours.\n\n"
             "3. Filter the concentrate:\n"
             "Pour it through a paper filter to catch the fine sediment.\n\n"
             "4. Dilute and serve:\n"
             "Mix one part concentrate with two parts water or milk over ice.")


@pytest.mark.parametrize(("candidate", "same"), [
    # the step's line replaced, its explanation kept word for word: that text names two of the
    # step's three words, yet the step is gone
    (COLD_BREW.replace("2. Steep the grounds overnight:", "2. Roast the beans until dark:"), False),
    (COLD_BREW.replace("2. Steep the grounds overnight:", "- Quantum entanglement"), False),
    # the step lines reworded in bold, the explanations as they were
    (COLD_BREW.replace("1. Grind the beans coarsely:", "1. **Grind coarsely**: beans first")
     .replace("2. Steep the grounds overnight:", "2. **Steep overnight** the grounds")
     .replace("3. Filter the concentrate:", "3. **Filter** the concentrate")
     .replace("4. Dilute and serve:", "4. **Dilute**, then serve"), True),
    # a step's line moved under a heading line of the rewrite's own: still its own line, not an explanation
    (COLD_BREW.replace("2. Steep the grounds overnight:", "2. Second step\nSteep the grounds overnight:"), True),
    # the step's line and its explanation merged into one line under a line of the rewrite's own
    (COLD_BREW.replace("2. Steep the grounds overnight:\nLet the grounds steep",
                       "2. Second step\nSteep the grounds overnight: let the grounds steep"), True),
    # an explanation rewritten as the step's own line names the step
    (COLD_BREW.replace("2. Steep the grounds overnight:\n", "2. ")
     .replace("Let the grounds steep in cold", "Steep the grounds overnight: let them sit in cold"), True),
])
def test_a_step_is_kept_by_its_own_line_not_by_the_explanation_the_original_wrote_under_it(
        candidate: str, same: bool) -> None:
    assert read_list(COLD_BREW_ASK, COLD_BREW) is not None
    for task in ("", "how_to_generation"):
        assert verdict(COLD_BREW_ASK, COLD_BREW, candidate, task) is same


# A request that names the classes of a classification ("sort tickets as urgent or routine") but asks
# how to build the classifier: the answer is a list of steps, and a class name its explanation happens
# to use is no label answer. Both are held, so a step dropped from the rewrite is noticed.
TRIAGE_ASK = "I want to classify support tickets as urgent or routine. Which steps would you take?"
TRIAGE = ("A plan for the triage model:\n\n"
          "1. **Ticket collection**: Gather last year's tickets, the urgent ones included.\n\n"
          "2. **Labelling**: Have two agents mark each ticket by hand.\n\n"
          "3. **Feature design**: Count reply times, keywords and the customer's plan.\n\n"
          "4. **Model choice**: Start with logistic regression as a baseline.\n\n"
          "5. **Monitoring**: Compare its calls with the agents' every week.")


@pytest.mark.parametrize(("candidate", "same"), [
    (TRIAGE.replace("2. **Labelling**: Have two agents mark each ticket by hand.\n\n", ""), False),
    (TRIAGE.replace("**Model choice**: Start with logistic regression", "**Escalation policy**: Start with a pager rota"), False),
    (TRIAGE.split("3. ")[0] + "And so on.", False),
    (TRIAGE.replace("**Ticket collection**", "**Collect tickets**").replace("**Feature design**", "**Designing features**"), True),
    (TRIAGE.replace("A plan for the triage model:", "Here is how I would go about it:"), True),
])
def test_a_list_answer_that_uses_one_offered_class_name_is_held_as_a_list(candidate: str, same: bool) -> None:
    contract = read_contract(TRIAGE_ASK, TRIAGE)
    assert "list_items" in contract.checks
    for task in ("", "open_qa"):
        assert verdict(TRIAGE_ASK, TRIAGE, candidate, task) is same


def test_an_offered_class_written_with_a_hyphen_is_the_answers_two_words() -> None:
    # "master-data" in the request, "master data" in the answer: one class, so an answer that
    # explains both classes states no single one of them and its list is what it answers with
    ask = "Pretend you must tell master-data from transactional tables. What would you compute?"
    original = ("Master data changes rarely; transactional data grows with every event.\n\n"
                "- **Update rate**: How often rows change.\n- **Key reuse**: How often a key repeats.\n"
                "- **Time columns**: Whether each row carries a timestamp.")
    contract = read_contract(ask, original)
    assert contract.kind == "list"
    assert not verdict(ask, original, original.replace("- **Key reuse**: How often a key repeats.\n", ""))
    label_ask = "Classify a table of customer names and addresses as master-data or transactional."
    assert read_contract(label_ask, "Master data.").value == "master-data"
    assert verdict(label_ask, "Master data.", "This table is master-data.")
    assert not verdict(label_ask, "Master data.", "This table is transactional.")


# Shapes of the misses on the MT-bench gpt-4o answers (dev since measured once), written afresh
# here: a head that comes back in each section, a nested list under headings, the reasons listed
# beside a pick among the question's alternatives; and what rewrites do to a nested list.
COMPARE_ASK = "How do trains and planes compare for travel in Europe?"
COMPARE = ("Both have their place.\n\n"
           "### Trains\n\n"
           "- **Speed**: Fast enough between nearby cities, where the stations sit right in the centre of town.\n"
           "- **Cost**: Usually cheaper than flying when the tickets are bought a few weeks ahead of time.\n"
           "- **Comfort**: Roomy seats, a dining car and no queue at a security check before boarding.\n\n"
           "### Planes\n\n"
           "- **Speed**: By far the fastest over long distances, once the trip to the airport is counted in.\n"
           "- **Cost**: Budget airlines can be cheap, though bags and seat choices are charged for extra.\n"
           "- **Reach**: Flights go to islands and remote regions that no railway line will ever serve.\n\n"
           "### Key Differences\n\n"
           "- **Door to door**:\n"
           "  - Trains win under four hours.\n"
           "  - Planes win beyond that.\n"
           "- **Emissions**:\n"
           "  - Trains emit far less.\n"
           "  - Planes emit the most per passenger.")


def test_a_head_said_again_in_another_section_is_an_item_of_each() -> None:
    """"Speed" and "Cost" under "### Trains" and again under "### Planes" are no field names: each
    section's items are held by their heads (before, every long line with a repeated head was
    left out, and "Reach" with it)."""
    found = read_list(COMPARE_ASK, COMPARE)
    assert found is not None
    assert Counter(found.items)["Speed"] == 2 and "Reach" in found.items and "Comfort" in found.items
    assert verdict(COMPARE_ASK, COMPARE, COMPARE.replace("- **", "1. **"))
    reach = "- **Reach**: Flights go to islands and remote regions that no railway line will ever serve.\n"
    assert not verdict(COMPARE_ASK, COMPARE, COMPARE.replace(reach, ""))
    assert not verdict(COMPARE_ASK, COMPARE, COMPARE.replace(reach, "- **Photosynthesis**: Plants make sugar.\n"))


@pytest.mark.parametrize("sub", ["Trains win under four hours.", "Planes emit the most per passenger."])
def test_a_sub_item_under_a_heading_is_held_when_its_words_appear_elsewhere(sub: str) -> None:
    """A short sub-item dropped from a nested list is missed even though the other section's
    items mention trains and planes: those lines are items of their own."""
    assert not verdict(COMPARE_ASK, COMPARE, COMPARE.replace(f"  - {sub}\n", "").replace(f"\n  - {sub}", ""))
    assert not verdict(COMPARE_ASK, COMPARE, COMPARE.replace(sub, "Photosynthesis."))


MERGED = COMPARE.split("### Key Differences")[0] + (
    "### Key Differences\n\n"
    "- **Door to door**: trains win under four hours; planes win beyond that.\n"
    "- **Emissions**: trains emit far less, and planes emit the most per passenger.")
AS_PROSE = COMPARE.split("### Key Differences")[0] + (
    "### Key Differences\n\n"
    "- **Door to door**:\n  Trains win under four hours. Planes win beyond that.\n"
    "- **Emissions**:\n  Trains emit far less. Planes emit the most per passenger.")
FLAT = COMPARE.replace("  - ", "- ")


@pytest.mark.parametrize(("candidate", "same"), [
    (FLAT, True),
    (MERGED, True),
    (AS_PROSE, True),
    (MERGED.replace("trains win under four hours; ", ""), False),
    (AS_PROSE.replace(" Planes emit the most per passenger.", ""), False),
    (FLAT.replace("- Trains emit far less.\n", ""), False),
])
def test_a_nested_list_may_be_flattened_or_its_sub_items_folded_into_their_heading(candidate: str, same: bool) -> None:
    for task in ("", "open_qa"):
        assert verdict(COMPARE_ASK, COMPARE, candidate, task) is same


DICE_ASK = "Show me a way to pick a town's size and trade with a d4 and a d6."
DICE = ("Roll both dice:\n\n"
        "1. Roll the d4 to decide how large the settlement turns out to be:\n"
        "   - 1: Hamlet\n   - 2: Village\n   - 3: Market town\n   - 4: City\n\n"
        "2. Roll the d6 to decide what the settlement lives from:\n"
        "   - 1-2: Farming\n   - 3-4: Fishing\n   - 5: Mining\n   - 6: Weaving")


def test_sub_items_merged_into_a_parent_line_no_key_holds_are_kept_by_what_the_line_adds() -> None:
    """The parent lines are sentences (no key); written as one line with their sub-items after
    them, the sub-items are kept, yet the parent line's own words ("settlement") keep none."""
    merged = ("Roll both dice:\n\n"
              "- Roll the d4 to decide how large the settlement turns out to be: 1: Hamlet; 2: Village; 3: Market town; 4: City.\n"
              "- Roll the d6 to decide what the settlement lives from: 1-2: Farming; 3-4: Fishing; 5: Mining; 6: Weaving.")
    assert verdict(DICE_ASK, DICE, merged)
    assert not verdict(DICE_ASK, DICE, merged.replace("; 4: City", ""))
    assert not verdict(DICE_ASK, DICE, DICE.replace("   - 4: City\n", ""))


def test_an_order_asked_of_a_nested_list_is_kept_when_sub_items_share_their_parents_line() -> None:
    ask = "Rank the rooms to clean first, with the tasks in each."
    original = ("1. Kitchen\n   - Wipe counters\n   - Mop floor\n"
                "2. Bathroom\n   - Scrub sink\n   - Clean mirror\n"
                "3. Bedroom\n   - Change sheets\n   - Dust shelves")
    merged = ("1. **Kitchen**: wipe counters, mop floor.\n2. **Bathroom**: scrub sink, clean mirror.\n"
              "3. **Bedroom**: change sheets, dust shelves.")
    assert order_asked("", ask)
    assert verdict(ask, original, merged)
    swapped = ("1. **Bathroom**: scrub sink, clean mirror.\n2. **Kitchen**: wipe counters, mop floor.\n"
               "3. **Bedroom**: change sheets, dust shelves.")
    assert not verdict(ask, original, swapped)


def test_the_reasons_listed_beside_a_pick_among_the_questions_alternatives_are_held() -> None:
    ask = "If the second claim is true. Is the first claim true, false, or uncertain? Please explain."
    original = ("The second claim says pears cost more than plums and more than figs.\n\n"
                "From it we get:\n- Pears > Plums\n- Pears > Figs\n\n"
                "The first claim was:\n1. Figs cost more than plums.\n\n"
                "Nothing compares figs with plums, so the first claim is **uncertain**.")
    contract = read_contract(ask, original)
    assert contract.kind == "option" and "list_items" in contract.checks
    assert verdict(ask, original, original.replace("- Pears > Plums", "1. Pears > Plums").replace("- Pears > Figs", "2. Pears > Figs"))
    assert not verdict(ask, original, original.replace("- Pears > Figs\n", ""))
    assert not verdict(ask, original, original.replace("uncertain", "true"))


def test_the_nested_list_controls_are_made_only_for_a_nested_list() -> None:
    made = {c.cls: c for c in list_cases(COMPARE_ASK, COMPARE, "Photosynthesis", False)}
    assert {"list_flattened", "list_nested_merged", "list_sub_prose"} <= set(made)
    assert "- **Door to door**: Trains win under four hours; Planes win beyond that." in made["list_nested_merged"].candidate
    assert "  Trains emit far less. Planes emit the most per passenger." in made["list_sub_prose"].candidate
    assert all(made[c].same_answer and verdict(COMPARE_ASK, COMPARE, made[c].candidate)
               for c in ("list_flattened", "list_nested_merged", "list_sub_prose"))
    flat = {c.cls for c in list_cases("Name three fruits.", "- Apple\n- Pear\n- Plum", "Photosynthesis", False)}
    assert not flat & {"list_flattened", "list_nested_merged", "list_sub_prose"}


GEOMETRY_ASK = "What are the differences between Euclidean and Riemannian geometry?"
GEOMETRY_SECTIONS = (
    "### Euclidean Geometry\n\n"
    "- **Flat Space**: Euclidean geometry deals with flat planes and ordinary three-dimensional space.\n"
    "- **Parallel Lines**: Through a point off a line there is exactly one parallel to it.\n\n"
    "### Riemannian Geometry\n\n"
    "- **Curved Spaces**: Riemannian geometry studies curved surfaces and manifolds of any dimension.\n"
    "- **Parallel Lines**: On a sphere, lines of longitude meet at the poles.\n\n"
    "### Key Differences\n\n")
GEOMETRY = GEOMETRY_SECTIONS + (
    "- **Space Type**:\n  - Euclidean geometry is for flat spaces.\n  - Riemannian geometry is for curved spaces.\n"
    "- **Parallel Lines**:\n  - In Euclidean geometry, parallel lines never meet at all.\n"
    "  - In Riemannian geometry, parallel lines may meet somewhere.\n"
    "- **Triangles**:\n  - In Euclidean geometry, the angles always sum to 180 degrees.\n"
    "  - In Riemannian geometry, the sum depends on the curvature.")
GEOMETRY_MERGED = GEOMETRY_SECTIONS + (
    "- **Space Type**: Euclidean geometry is for flat spaces; Riemannian geometry is for curved spaces.\n"
    "- **Parallel Lines**: In Euclidean geometry, parallel lines never meet at all; in Riemannian geometry, "
    "parallel lines may meet somewhere.\n"
    "- **Triangles**: In Euclidean geometry, the angles always sum to 180 degrees; in Riemannian geometry, "
    "the sum depends on the curvature.")


@pytest.mark.parametrize(("candidate", "same"), [
    (GEOMETRY_MERGED, True),
    (GEOMETRY_MERGED.replace("Euclidean geometry is for flat spaces; ", ""), False),
    (GEOMETRY.replace("  - Euclidean geometry is for flat spaces.\n", ""), False),
    (GEOMETRY.replace("Euclidean geometry is for flat spaces.", "Mount Kilimanjaro"), False),
])
def test_a_sub_item_folded_into_its_heading_takes_no_other_items_line(candidate: str, same: bool) -> None:
    """Folded into "**Space Type**", "Euclidean geometry is for flat spaces" is kept there; it does
    not also claim the merged "**Parallel Lines**" line (which says "Euclidean"), which the third
    "Parallel Lines" needs. Dropped from the nested list, it is missed, though the sections above
    say "Euclidean geometry" and "flat"."""
    assert verdict(GEOMETRY_ASK, GEOMETRY, candidate) is same


REVIEWER_ASK = ("Given a movie description, generate 5 questions you would ask if you were a movie reviewer.\n\n"
                "A movie about a space mission gone wrong.")
REVIEWER_QUESTIONS = ("1. What challenges did the crew face on their journey?\n2. How did the characters interact with each other?\n"
                      "3. How did the crew handle the unexpected setbacks?\n4. How does the movie depict the consequences of their mistakes?\n"
                      "5. How does the movie explore themes of space exploration and human courage?")
SLEEP_ASK = "Give five tips for better sleep."
SLEEP_TIPS = ("1. Go to bed at the same time every night.\n2. Keep your bedroom dark and cool.\n3. Avoid caffeine after noon.\n"
              "4. Put screens away an hour before bed.\n5. Exercise during the day, not late at night.")


def test_a_list_of_full_sentence_items_the_request_counts_is_the_contract():
    # new-user trial 11, D12: five reviewer questions gave contract none, so a paragraph with no question passed
    found = read_list(REVIEWER_ASK, REVIEWER_QUESTIONS)
    assert found is not None and found.sentences and len(found.items) == 5
    assert read_contract(REVIEWER_ASK, REVIEWER_QUESTIONS).kind == "list"
    assert read_contract(SLEEP_ASK, SLEEP_TIPS).kind == "list"
    # the request asks for no count and no list, the count differs, or items have lines under them: not held
    assert read_list("Tell me about sleep.", SLEEP_TIPS) is None
    assert read_list("Give three tips for better sleep.", SLEEP_TIPS) is None
    explained = SLEEP_TIPS.replace("3. Avoid", "   Your body keeps a rhythm.\n3. Avoid")
    assert read_list(SLEEP_ASK, explained) is None
    # short items keep their own reading
    short = read_list("Name five fruits.", "1. Apple\n2. Banana\n3. Cherry\n4. Mango\n5. Pear")
    assert short is not None and not short.sentences


@pytest.mark.parametrize("candidate, kept", [
    # the accepted SmolLM2 rewrite of the trial: a paragraph of claims, no question left
    ("The movie depicts the consequences of their mistakes, explores themes of space exploration and human courage "
     "in a way that is both inspiring and thought-provoking. The crew's interactions with each other are also "
     "highlighted as they face challenges and confront difficult choices.", False),
    (REVIEWER_QUESTIONS.rsplit("\n", 2)[0], False),  # three of five
    (REVIEWER_QUESTIONS.replace("3. How did the crew handle the unexpected setbacks?", "3. Who directed the movie?"), False),
    # every question's words kept, but as statements: no question is asked
    ("The crew faced challenges on their journey. The characters interacted with each other. The crew handled the "
     "unexpected setbacks. The movie depicts the consequences of their mistakes. The movie explores themes of space "
     "exploration and human courage.", False),
    ("Questions I would ask as a reviewer:\n\n- **Journey:** What challenges did the crew face during the journey?\n"
     "- **Characters:** How did the characters interact with one another?\n- **Setbacks:** How did the crew deal with "
     "the unexpected setbacks?\n- **Mistakes:** How does the film depict the consequences of the crew's mistakes?\n"
     "- **Themes:** How does the film explore the themes of space exploration and human courage?", True),
    ("\n".join(reversed(REVIEWER_QUESTIONS.split("\n"))), True),  # no order asked
])
def test_a_sentence_list_keeps_every_item_reworded_or_reordered(candidate: str, kept: bool):
    got = check_list(CheckInput(task="", instruction=REVIEWER_ASK, original=REVIEWER_QUESTIONS, candidate=candidate))
    assert got.passed == kept, got.reason
    if kept:  # and no other check stops it
        assert verdict(REVIEWER_ASK, REVIEWER_QUESTIONS, candidate)


def test_a_dropped_sentence_item_is_named_and_merged_items_must_all_be_there():
    one = "Sleep better by going to bed at the same time every night and exercising during the day, not late at night."
    got = check_list(CheckInput(task="", instruction=SLEEP_ASK, original=SLEEP_TIPS, candidate=one))
    assert not got.passed and "Avoid caffeine after noon" in got.reason and "3 of the original's 5" in got.reason
    merged = ("For better sleep, go to bed at the same time every night, keep your bedroom dark and cool, avoid "
              "caffeine after noon, put screens away an hour before bed, and exercise during the day rather than late.")
    assert check_list(CheckInput(task="", instruction=SLEEP_ASK, original=SLEEP_TIPS, candidate=merged)).passed
    unasked = check_list(CheckInput(task="", instruction=REVIEWER_ASK, original=REVIEWER_QUESTIONS,
                                    candidate=REVIEWER_QUESTIONS.replace("with each other?", "with each other.")))
    assert not unasked.passed and "no longer asks 1 of the original's 5 questions" in unasked.reason


def test_sentence_list_cases_drop_or_merge_items_against_prose_that_keeps_them():
    cases = {c.cls: c for c in list_cases(SLEEP_ASK, SLEEP_TIPS, "Quantum entanglement", False)}
    assert {"list_merged_losing", "list_prose_losing", "list_as_prose", "list_merged_all", "list_reordered"} <= set(cases)
    for c in cases.values():
        assert check_list(CheckInput(task="", instruction=c.instruction, original=c.original,
                                     candidate=c.candidate)).passed == c.same_answer, c.cls


def test_a_sentence_item_split_into_bullets_of_its_own_is_kept():
    ask = "Give three tips for someone moving to a new city."
    original = ("1. Explore the city and get to know your neighborhood.\n2. Meet people. The locals help you settle in.\n"
                "3. Join the local community. Look for classes, clubs and activities.")
    split = ("- Explore the city and get to know your neighborhood.\n- Meet people.\n- The locals help you settle in.\n"
             "- Join the local community.\n- Look for classes, clubs and activities.")
    assert read_list(ask, original).sentences
    assert check_list(CheckInput(task="", instruction=ask, original=original, candidate=split)).passed
    assert not check_list(CheckInput(task="", instruction=ask, original=original, candidate=split.rsplit("\n- Join", 1)[0])).passed
