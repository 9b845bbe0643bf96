"""Key facts of a short factual answer: the forms long rewrites write a kept fact in, and the
substitutions that change it. Figures on third-party data are in benchmarks/verify.py."""

from __future__ import annotations

import pytest

from realign.verify.base import CheckInput
from realign.verify.contract import read_contract
from realign.verify.facts import answer_facts, check_facts
from realign.verify.registry import VerifyOptions, verify_candidate


def verify(instruction: str, original: str, candidate: str):
    inp = CheckInput(task="default", instruction=instruction, original=original, candidate=candidate)
    return verify_candidate(inp, [], None, VerifyOptions())


def facts_ok(instruction: str, original: str, candidate: str) -> bool:
    return check_facts(CheckInput(task="", instruction=instruction, original=original, candidate=candidate)).passed


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        # a plain-word answer names nothing, yet its words are the answer
        ("the vascular layer of the eye is the", "uvea",
         "The vascular layer of the eye is the uvea, also called the uveal tract.", True),
        ("the vascular layer of the eye is the", "uvea", "choroid.", False),
        ("which part of the brain sits in the middle cranial fossa", "the temporal lobes",
         "The temporal lobe rests in the middle cranial fossa.", True),
        ("what does hp mean in video games", "hit points or health points",
         'HP stands for "health points", the damage a character can take.', True),
        ("what does hp mean in video games", "hit points or health points", "HP means horsepower.", False),
        ("where does the formation of atp take place", "inner mitochondrial membrane",
         "ATP is made on the inner membrane of the mitochondria.", True),
        ("a bond the issuer may repay before its maturity date", "callable bonds",
         "Such a bond is called a callable bond.", True),
        ("a bond the issuer may repay before its maturity date", "callable bonds", "It is a zero-coupon bond.", False),
    ],
)
def test_plain_word_answers_are_held_by_their_words(instruction, original, candidate, same) -> None:
    assert facts_ok(instruction, original, candidate) == same


def test_plain_words_of_an_explanation_or_a_yes_no_are_not_an_answer_to_hold() -> None:
    assert not answer_facts("Explain why the sky is blue.", "Sunlight scatters off air molecules.").names
    assert not answer_facts("Can people be possessed by spirits?", "No, possession isn't real").names
    assert check_facts(CheckInput(task="", instruction="Why?", original="because it is so",
                                  candidate="no idea")).reason.startswith("not applicable")


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        ("what is the final season of game of thrones", "the eighth",
         "The final season of Game of Thrones is Season 8, which aired in 2019.", True),
        ("what is the final season of game of thrones", "the eighth",
         "The final season aired in 2019 and had six episodes.", False),
        ("to the nearest million what is the population of australia", "18 million",
         "About eighteen million people lived in Australia then.", True),
        ("how many people live in the village", "approximately 1,497 people",
         "The village is home to about 1,500 people, most of them farmers.", True),
        ("how many people live in the village", "approximately 1,497 people",
         "The village is home to about 1,350 people, most of them farmers.", False),
        ("how many people live in the village", "approximately 1,497 people",
         "The village is home to about 1,000 people.", False),
        ("when was the bill of rights ratified", "December 15, 1791",
         "The Bill of Rights was ratified on 15 December 1791, when Virginia approved it.", True),
        ("when was the bill of rights ratified", "December 15, 1791",
         "November 15, 1791 is when Virginia approved the Bill of Rights.", False),
        ("when was the bill of rights ratified", "ratified on December 15, 1791",
         "It came out on December 16, 1689.", False),
        ("when was the bill of rights ratified", "December 15, 1791", "It was ratified on Dec. 15, 1791.", True),
        ("when was the bill of rights ratified", "December 15, 1791", "It was ratified on 12/15/1791.", True),
        ("when was the bill of rights ratified", "December 15, 1791", "It was ratified on 1791-12-15.", True),
        ("when was the bill of rights ratified", "December 15, 1791", "It was ratified on Nov. 15, 1791.", False),
    ],
)
def test_numbers_and_dates_in_other_forms(instruction, original, candidate, same) -> None:
    assert facts_ok(instruction, original, candidate) == same


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        ("who said if a tree falls in the woods and nobody hears it", "Philosopher George Berkeley",
         "The question is attributed to Dr. George Berkeley, an Anglican bishop, in 1710.", True),
        ("who led the soldiers at harpers ferry", "Brevet Colonel Robert E. Lee",
         "The soldiers were led by Robert E. Lee of the United States Army.", True),
        ("who designed the stored-program computer", "John von Neumann", "Tokyo von Neumann.", False),
        ("who introduced the christmas tree to the uk", "Charlotte of Mecklenburg-Strelitz",
         "It was Marie Curie of Mecklenburg-Strelitz.", False),
        # a surname alone keeps a person only where it is written as a name
        ("What was the last US state to end prohibition?", "Utah, the Beehive State",
         "Mississippi was the last state to end it, in 1966.", False),
        # a name the question gives by its surname is no answer fact ("Bond")
        ("Rita Coolidge sang the title song for which Bond film?", "Octopussy, a James Bond film",
         "Rita Coolidge never sang a James Bond theme.", False),
        ("Rita Coolidge sang the title song for which Bond film?", "Octopussy, a James Bond film",
         "She sang All Time High for Octopussy (1983).", True),
    ],
)
def test_names_with_titles_and_other_people(instruction, original, candidate, same) -> None:
    assert facts_ok(instruction, original, candidate) == same


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        ("In what state was playwright Tennessee Williams born?", "In Mississippi, as Thomas Lanier Williams.",
         "Tennessee Williams was born in Columbus, Mississippi.", True),
        ("In what state was playwright Tennessee Williams born?", "In Mississippi, as Thomas Lanier Williams.",
         "Tennessee Williams was born in Columbus, Ohio.", False),
        ("who ran for the most yards in the game", "Emmitt Smith of the Dallas Cowboys",
         "It was Timmy Smith of the Dallas Cowboys.", False),
        ("who sang rip it up and start again", "the Scottish post-punk band Orange Juice",
         "It was the Scottish post-punk band Theodora Juice.", False),
        ("what book knocked white house years off the top", "Aunt Erma's Cope Book, by Erma Bombeck",
         "It was Theodora Erma's Cope Book, by Erma Bombeck.", False),
        ("when did disney art of animation resort open", "May 31, 2012", "It opened on June 31, 2012.", False),
    ],
)
def test_the_head_of_a_short_answer_decides_when_other_names_change(instruction, original, candidate, same) -> None:
    assert facts_ok(instruction, original, candidate) == same


def test_a_looked_up_number_is_a_fact_and_a_computed_one_a_final_answer() -> None:
    looked_up = read_contract("how many episodes are there in dragon ball z", "291 episodes")
    assert looked_up.kind == "facts" and "math_answer" not in looked_up.checks
    q = "how many episodes are there in dragon ball z"
    assert verify(q, "291 episodes", "There are 291 episodes, aired in Japan between 1989 and 1996.").passed
    assert not verify(q, "291 episodes", "There are 276 episodes, aired in Japan between 1989 and 1996.").passed
    computed = read_contract("She has 3 apples and buys 4 more. How many does she have?", "7 apples")
    assert computed.kind == "number" and "math_answer" in computed.checks
    # one number in the question names what is asked about; an operation asks for a computation
    assert read_contract("how many episodes are in season 2 of the office", "22").kind == "facts"
    assert read_contract("What is 15% of 80?", "12").kind == "number"
    assert read_contract("What is the square root of 144?", "12").kind == "number"


def test_a_short_answer_rewritten_long_keeps_its_fact() -> None:
    q = "who wrote the song harvest moon"
    long = ("Harvest Moon was written by the Canadian singer-songwriter Neil Young. He released it in 1992 as the "
            "title track of his album, recorded with the Stray Gators in Nashville.")
    assert verify(q, "Neil Young", long).passed
    assert not verify(q, "Neil Young", long.replace("Neil Young", "Bruce Springsteen")).passed


@pytest.mark.parametrize(
    "candidate, same",
    [
        ("Harvest Moon was not written by Neil Young but by Bruce Springsteen.", False),
        ("It is NOT Neil Young.", False),
        ("Harvest Moon was written by Neil Young, not Bruce Springsteen.", True),
        ("The song, which did not chart at first, was written by Neil Young.", True),
    ],
)
def test_a_fact_stated_only_under_a_negation_is_not_kept(candidate, same) -> None:
    assert facts_ok("who wrote the song harvest moon", "Neil Young", candidate) == same


def test_a_number_stated_only_under_a_negation_is_not_kept() -> None:
    q = "how many people live in the village"
    assert not facts_ok(q, "approximately 1,497 people", "The village has not 1,497 but 1,350 people.")
    assert facts_ok(q, "approximately 1,497 people", "The village has 1,497 people, not 1,350.")


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        # a citation mark glued to the name (Bing-style answers)
        ("who plays the evil doctor in wonder woman", "Elena Anaya",
         "Dr. Isabel Maru is portrayed by Elena Anaya⁶, a Spanish actress.", True),
        ("who plays the evil doctor in wonder woman", "Elena Anaya", "She is played by Lucy Davis[2].", False),
        # name words written in full or abbreviated
        ("which volcano is the highest mountain in africa", "Mt. Kilimanjaro",
         "Mount Kilimanjaro, in Tanzania, is the highest mountain in Africa.", True),
        ("which volcano is the highest mountain in africa", "Mt. Kilimanjaro", "Kilimanjaro.", True),
        ("which volcano is the highest mountain in africa", "Mt. Kilimanjaro", "Mount Kenya is the highest.", False),
        ("which musical premiered in 1993", "Sunset Blvd", 'It was "Sunset Boulevard."', True),
        ("where was the treaty signed", "St. Louis", "It was signed in Saint Louis, Missouri.", True),
        ("where was the treaty signed", "St. Louis", "It was signed in Saint Paul, Minnesota.", False),
        ("which country hosted it", "the United States", "It was held in the U.S. that year.", True),
        ("which country hosted it", "the United States", "It was held in the UK that year.", False),
        ("who starred in the movie", "Robert Downey Jr.", "Robert Downey, Jr. starred in it.", True),
        ("who starred in the movie", "Robert Downey Jr.", "Robert Downey Sr. directed and starred in it.", False),
    ],
)
def test_names_in_their_abbreviated_and_cited_forms(instruction, original, candidate, same) -> None:
    assert facts_ok(instruction, original, candidate) == same


@pytest.mark.parametrize(
    "original, candidate, same",
    [
        ("Hugh S. Johnson", "President Roosevelt appointed Hugh Samuel Johnson.", True),  # middle name written out
        ("Richard Marx", "It was Richard Noel Marx.", True),  # a middle name added
        ("Wilhelm Conrad Röntgen", "It went to Wilhelm Röntgen in 1901.", True),  # a middle name left out
        ("Martin Luther King Jr.", "It was Dr. Martin Luther King, Jr.", True),
        ("George H. W. Bush", "It was George W. Bush.", False),  # another middle name: another person
        ("George W. Bush", "It was George H. W. Bush.", False),
        ("Hugh S. Johnson", "It was Hugh T. Johnson.", False),
        ("Emmitt Smith", "It was Timmy Smith.", False),
    ],
)
def test_given_and_middle_names_are_compared_one_for_one(original, candidate, same) -> None:
    assert facts_ok("who was it", original, candidate) == same


@pytest.mark.parametrize(
    "original, candidate, same",
    [
        ("1524", "The letter J entered the alphabet in 1524, in the 16th century.", True),
        # coarser than the original: the year is lost, a key fact of a short answer
        ("1524", "The letter J entered the alphabet in the 16th century.", False),
        ("1524", "It was added in the sixteenth century.", False),
        ("1524", "It was added in the 15th century.", False),
        ("1934", "Stereo records first went on sale in the 1930s.", False),
        ("1934", "Stereo records first went on sale in the early 1930s, in 1934.", True),
    ],
)
def test_a_year_is_not_kept_by_its_century_or_decade_alone(original, candidate, same) -> None:
    assert facts_ok("when did it happen", original, candidate) == same


@pytest.mark.parametrize(
    "original, candidate, same",
    [
        # the answer stated, then taken back for another
        ("Neil Young", "Some credit Neil Young, but it was actually written by Bruce Springsteen.", False),
        ("Neil Young", "Neil Young. No wait, it was Bruce Springsteen.", False),
        ("Neil Young", "Neil Young wrote many songs that decade. The answer is Bruce Springsteen.", False),
        ("1791", "It was ratified in 1791. Correction: it was ratified in 1792.", False),
        # the answer hedged against another
        ("Neil Young", "It was either Neil Young or Bruce Springsteen.", False),
        ("Neil Young", "It was probably Neil Young, though possibly Bruce Springsteen.", False),
        ("1791", "It was ratified in 1791 or 1792.", False),
        # controls: the wrong answer first and corrected to the original's; more detail after the answer;
        # a spelling variant in brackets
        ("Neil Young", "It is often credited to Bruce Springsteen, but it was actually written by Neil Young.", True),
        ("Neil Young", "Neil Young wrote it; he recorded it with Crazy Horse in 1970.", True),
        ("Neil Young", "The answer is Neil Young, who recorded it with Crazy Horse.", True),
        ("Cyclopes", "They were the Cyclopes (or Cyclops), giants with one eye.", True),
    ],
)
def test_an_answer_taken_back_or_hedged_is_not_kept(original, candidate, same) -> None:
    assert facts_ok("who wrote it and when", original, candidate) == same


def test_a_taken_back_answer_is_rejected_by_the_full_verification_too() -> None:
    v = verify("Who wrote Harvest Moon?", "Neil Young wrote it.",
               "Neil Young wrote it. No wait, it was written by Bruce Springsteen.")
    assert not v.passed
    assert any("takes it back" in c.reason for c in v.checks if not c.passed)


@pytest.mark.parametrize(
    "original, candidate, same",
    [
        # a range is one fact with two ends: either end moved is another range, whatever the dash
        ("It was written on 30–31 October 2000.", "It was written on 31–31 October 2000.", False),
        ("It was written on 30–31 October 2000.", "Written 30-31 Oct. 2000.", True),
        ("It was written on 30–31 October 2000.", "It was written between 30 and 31 October 2000.", True),
        ("The show aired from 1989 to 1996.", "It ran 1989—1996.", True),
        ("The show aired from 1989 to 1996.", "It aired 1989–96.", True),  # an abbreviated end year
        ("The show aired from 1989 to 1996.", "It aired 1989–97.", False),
        ("The show aired from 1989 to 1996.", "It aired from 1988 through 1996.", False),
        ("Between 5 and 10 people lived there.", "Between 5 and 12 people lived there.", False),
        # one end cited alone is a narrower citation, not a changed range
        ("The Babylonian king Belshazzar (Daniel 5:1-5)", "King Belshazzar of Babylon (Daniel 5:5).", True),
    ],
)
def test_a_range_keeps_both_its_ends(original: str, candidate: str, same: bool) -> None:
    assert facts_ok("When did it happen?", original, candidate) is same


@pytest.mark.parametrize(
    "candidate, same",
    [
        ("The answer is Jeff, of Benjamin Franklin and Jeff.", False),  # one name of the pair replaced
        ("Jeff, of the strip Jeff and Mutt.", True),  # the same pair in the other order
        ("It is Jeff (Mutt & Jeff).", True),
    ],
)
def test_a_pair_of_names_is_kept_only_by_both_its_names(candidate: str, same: bool) -> None:
    """A name made of two names ("Mutt and Jeff") is not kept by its last word, as "George
    Washington" is by "Washington": "Benjamin Franklin and Jeff" names another pair. The order of
    the pair is not the fact: "Jeff and Mutt" names the same two."""
    ask = "What comic strip character was named after heavyweight boxing champion James J. Jeffries?"
    assert facts_ok(ask, "The answer is Jeff, of Mutt and Jeff.", candidate) is same


def test_a_polar_answer_after_a_lead_in_is_read() -> None:
    ask = "Did humans really land on the moon in 1969?"
    assert verify(ask, "Yes, humans really landed on the moon in 1969", "In short: yes, they landed in 1969.").passed
    assert not verify(ask, "Yes, humans really landed on the moon in 1969", "In short: no, it was staged.").passed


@pytest.mark.parametrize(
    "original, candidate, same",
    [
        # a correction that narrows a range to one of its ends, or restates a number the question gives
        ("It was written on 30–31 October 2000.",
         "It was written on 30–31 October 2000. Correction: it was actually 31.", False),
        ("It was written on 30–31 October 2000.",
         "The poem dates from 30–31 October 2000 — wait, no, I mean 30 October 2000 only.", False),
        ("The show aired from 1989 to 1996.",
         "The show aired from 1989 to 1996. On second thought, it was 1996.", False),
        ("The Bill of Rights was ratified in 1791.",
         "It was ratified in 1791. Correction: it was actually the year 1789 Congress proposed it.", False),
        # controls: the range restated whole after the cue; the original's answer restated
        ("It was written on 30–31 October 2000.",
         "It was written on 30–31 October 2000. I mean the night between 30 and 31 October 2000.", True),
        ("The show aired from 1989 to 1996.", "It aired 1989–96. The answer is 1989 to 1996.", True),
    ],
)
def test_a_correction_that_narrows_or_swaps_a_number_is_not_kept(original, candidate, same) -> None:
    assert facts_ok("When was it proposed in 1789, and when did it happen?", original, candidate) is same


def test_a_one_sentence_number_answer_is_held_as_facts_too() -> None:
    """A number answer of one long sentence ("The answer is Eighteen--two bears ..., a bison, ...")
    is held by the number contract and by its facts: a name after "no wait" takes the number back."""
    ask = "How many different animal shapes are there in the Animal Crackers cookie zoo?"
    original = ("The answer is Eighteen--two bears (one walking, one seated), a bison, camel, cougar, elephant, "
                "giraffe, gorilla, hippopotamus, hyena, kangaroo, lion, monkey, rhinoceros, seal, sheep, tiger, and zebra.")
    assert "key_facts" in read_contract(ask, original).checks
    assert verify(ask, original, "The answer is Eighteen: two bears (one walking, one seated), a "
                  "bison, camel, cougar, elephant, giraffe, gorilla, hippo, hyena, kangaroo, lion, monkey, rhino, seal, "
                  "sheep, tiger and zebra.").passed
    assert not verify(ask, original, original + " No wait, it was the Roman Empire.").passed
    assert not verify(ask, original, original.replace("Eighteen--two", "Eighteen (or possibly the Roman Empire) -- two")).passed
    # a worked solution in several sentences stays a number answer only
    worked = "She has 3 boxes of 6 eggs. 3 * 6 = 18. The answer is 18."
    assert read_contract("How many eggs does she have?", worked).checks == ["math_answer", "arithmetic", "working_kept"]


HOGAN = "What was golfing great Ben Hogan's famous reply when he was asked how to improve one's game?"


@pytest.mark.parametrize(
    "original, candidate, same",
    [
        # the whole short answer is the words asked for: held whole, case and punctuation aside
        ("Hit the ball closer to the hole", 'Ben Hogan famously replied: "Hit the ball closer to the hole."', True),
        ("Hit the ball closer to the hole", "His advice was simple - hit the ball closer, to the hole!", True),
        ("Hit the ball closer to the hole", "Hogan's famous reply was to practise every single day.", False),
        ("Hit the ball closer to the hole", "He said: hit the ball farther from the hole.", False),
        ("Hit the ball closer to the hole", "He never said hit the ball closer to the hole.", False),
        # kept, then taken back or hedged against another quotation
        ("Hit the ball closer to the hole",
         'Hit the ball closer to the hole. No wait, it was "Keep your head down and swing".', False),
        ("Hit the ball closer to the hole",
         'He said "Hit the ball closer to the hole", or possibly "keep your head down".', False),
        # a quoted span in a longer answer
        ('He replied, "Hit the ball closer to the hole."', "Hogan's answer: hit the ball closer to the hole.", True),
        ('He replied, "Hit the ball closer to the hole."', 'He replied, "Hit the ball harder toward the hole."', False),
    ],
)
def test_a_quotation_answer_is_held_whole(original: str, candidate: str, same: bool) -> None:
    assert facts_ok(HOGAN, original, candidate) is same


def test_a_quotation_the_question_gives_is_not_the_answer() -> None:
    """A question that quotes the words asks about them: the answer's own sentence is no quotation."""
    ask = 'What was Nixon referring to when he said, "I am not a crook"?'
    original = "Nixon was responding to a question about his personal finances"
    assert not answer_facts(ask, original).quotes
    ask = 'Who replied "Hit the ball closer to the hole" when asked how to improve?'
    facts = answer_facts(ask, 'Ben Hogan replied "Hit the ball closer to the hole".')
    assert not facts.quotes and "ben hogan" in facts.names
    assert facts_ok(ask, 'Ben Hogan replied "Hit the ball closer to the hole".', "It was Ben Hogan.")


CAPEX = "What was the company's FY2019 capital expenditure (in USD millions)?"


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        # the question states the unit: "$2,310 million" is the bare 2310 it asks for
        (CAPEX, "2310", "Capital expenditure in FY2019 was $2,310 million.", True),
        (CAPEX, "2310", "It spent $2.31 billion on property and equipment in FY2019.", True),
        (CAPEX, "2310", "Capital expenditure in FY2019 was $2,410 million.", False),
        (CAPEX, "2310", "It spent $2,310 thousand on equipment.", False),
        ("Answer in USD billions: what were total assets at year end?", "41.2", "Total assets were $41.2 billion.", True),
        # no unit in the question: "2,310 million" is 2,310,000,000, not 2310
        ("What was the company's FY2019 capital expenditure?", "2310", "It was $2,310 million.", False),
    ],
)
def test_a_scale_the_question_states_makes_the_scaled_number_the_bare_one(instruction, original, candidate, same) -> None:
    assert facts_ok(instruction, original, candidate) is same


MARGIN = "What was the FY2021 operating margin?"


@pytest.mark.parametrize(
    "original, candidate, same",
    [
        # the same value to more places, or as a fraction of one
        ("12.4%", "Operating income / revenue = 812 / 6,550 = 12.40%; the operating margin is 12.40%.", True),
        ("12.4%", "The operating margin was 12.38% (812 / 6,558 * 100).", True),
        ("12.4%", "The operating margin works out to 0.124 of revenue.", True),
        ("12.4%", "The operating margin was 12.6%.", False),
        # one value in two forms, or with its rounding, is one answer
        ("0.37", "Retention = 1 - (512.5 / 815.0) = 0.37 or 37.00%.", True),
        ("0.37", "Retention = 1 - (512.5 / 815.0) = 0.37 or 0.39.", False),
        ("14.96", "Turnover = 1,496 / 100 = 14.96, or rounded to one decimal place, 15.0.", True),
        ("14.96", "Turnover = 1,496 / 100 = 14.96 or 15.2.", False),
    ],
)
def test_the_same_value_in_another_form_or_precision_is_kept(original: str, candidate: str, same: bool) -> None:
    assert facts_ok(MARGIN, original, candidate) is same


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        # a short quoted answer is held even when its words are the question's own (found by a
        # new-user trial: a real small model's "and" -> "or" passed with no contract at all)
        ('Identify the conjunction in the phrase "freedom and justice".',
         'The conjunction in the phrase "freedom and justice" is "and".',
         'The conjunction in the phrase "freedom and justice" is "or".', False),
        ('Identify the conjunction in the phrase "freedom and justice".',
         'The conjunction in the phrase "freedom and justice" is "and".',
         'In the phrase "freedom and justice", the conjunction is the word **and**, joining the two nouns.', True),
        ('What is the plural of "mouse"?', 'The plural of "mouse" is "mice".', "The plural form of mouse is mice.", True),
        ('What is the plural of "mouse"?', 'The plural of "mouse" is "mice".', "The plural form of mouse is mouses.", False),
        ('Translate "good morning" into Spanish.', '"Good morning" in Spanish is "buenos días".',
         'In Spanish, you say "Buenos días" for good morning.', True),
        # a short quotation among names is no head of the answer: the swapped name still changes it
        ("who was the girl in the video", 'The answer is Ethel "Edy" Proctor.', 'The answer is Canada "Edy" Proctor.', False),
        ('Who wrote the statement, "You cannot find peace by avoiding life"?',
         'Michael Cunningham wrote "You cannot find peace by avoiding life" in "The Hours"',
         'Michael Tokyo wrote "You cannot find peace by avoiding life" in "The Hours"', False),
    ],
)
def test_short_quoted_answers_are_held(instruction: str, original: str, candidate: str, same: bool) -> None:
    assert verify(instruction, original, candidate).passed is same


@pytest.mark.parametrize(
    "original, candidate, same",
    [
        # a pet form of the given name is the same person, with or without a middle name
        ("Ted Kowalski", "Edward Kowalski", True),
        ("Peggy Ashcroft", "Dame Margaret Ashcroft", True),
        ("Bill Turnbull", "William Henry Turnbull", True),
        ("Eddie Moran", "Edward Vernon Moran", True),
        # a pet form of ANOTHER given name, or another given name, is another person
        ("Ted Kowalski", "Robert Kowalski", False),
        ("Bill Turnbull", "Richard Turnbull", False),
    ],
)
def test_a_pet_form_of_the_given_name_is_the_same_person(original: str, candidate: str, same: bool) -> None:
    assert facts_ok("who led the expedition", original, candidate) == same


@pytest.mark.parametrize(
    "original, candidate, same",
    [
        # a system's answer in lower case: spelling variants, initials and a middle name left out
        ("Anand Kumar Rajagopal Iyer", "anand kumar rajgopal iyer", True),
        ("Marcus Delbert Hale", "marcus d. hale", True),
        ("Marcus Delbert Hale", "marcus hale", True),
        ("Frequency Shift Keying Modulation", "frequency shift keyed modulation", True),
        # the surname or an initial changed is not the same name
        ("Marcus Delbert Hale", "marcus d. hall", False),
        ("George H. W. Ransome", "george w. ransome", False),
    ],
)
def test_a_lower_cased_name_is_read_without_capitals(original: str, candidate: str, same: bool) -> None:
    assert facts_ok("who founded the society", original, candidate) == same


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        # a tokenizer's spaces around the hyphen of the original's compound
        ("which amendment lowered the voting age", "the Thirty-first Amendment", "The Thirty - first Amendment", True),
        ("who wrote the essay", "Anne-Sophie Brandt", "Anne -- Sophie Brandt", True),
        ("which amendment lowered the voting age", "the Thirty-first Amendment", "The Thirty - second Amendment",
         False),
        # a compound written as one word or as two
        ("what kind of water fills the tank", "seawater", "It is filled with sea water.", True),
        ("what fills the tank", "rain water", "Rainwater fills it.", True),
        ("what kind of water fills the tank", "seawater", "It is filled with tap water.", False),
        # an acronym written with dots is the same acronym
        ("where was the treaty signed", "U.K.", "in the United Kingdom", True),
        ("where was the treaty signed", "U.K.", "in the United States", False),
    ],
)
def test_punctuation_and_spacing_of_the_same_words(instruction, original, candidate, same) -> None:
    assert facts_ok(instruction, original, candidate) == same


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        # the answer is one side of the question's "A or B": that side is held and the other rejected
        ("which is heavier a kilogram of lead or a kilogram of feathers", "neither", "Neither is heavier.", True),
        ("which came first the chicken or the egg", "egg", "The egg came first.", True),
        ("which came first the chicken or the egg", "egg", "The egg, not the chicken.", True),
        ("which came first the chicken or the egg", "egg", "The chicken came first.", False),
        ("which came first the chicken or the egg", "egg", "Probably the egg, or maybe the chicken.", False),
        ("which came first the chicken or the egg", "egg", "Nobody knows; a dinosaur ancestor.", False),
        # a span of the question is the answer: a rewrite naming another thing changes it
        ("what kind of settlement is Millbrook Village", "village", "a small rural village", True),
        ("what kind of settlement is Millbrook Village", "village", "a city", False),
    ],
)
def test_an_answer_made_of_the_questions_words_is_held(instruction, original, candidate, same) -> None:
    assert read_contract(instruction, original).kind == "facts"
    assert facts_ok(instruction, original, candidate) == same


def test_a_slogan_opening_with_no_is_no_polar_answer() -> None:
    q = "what was the protesters' slogan"
    assert read_contract(q, "No peace without justice").kind == "facts"
    assert facts_ok(q, "No peace without justice", "Their slogan was: no justice, no peace... without justice.")
    assert not facts_ok(q, "No peace without justice", "Make love, not war")
    # a yes / no to a closed question stays a polar answer
    assert not answer_facts("Is the tower taller than the bridge?", "No it is shorter").names


@pytest.mark.parametrize(
    "original, candidate, same",
    [
        # an answer phrase cut from a passage: most of its words reordered or shortened keep it
        ("until the treaty terms had been fully met by both governments",
         "They held out until both governments had met the treaty terms.", True),
        ("by lending money to farmers at low rates of interest", "lending to farmers at low interest rates", True),
        # an answer in other words is another answer
        ("until the treaty terms had been fully met by both governments", "in response to the naval blockade", False),
        ("by lending money to farmers at low rates of interest", "through a tax on imported grain", False),
    ],
)
def test_an_answer_phrase_from_a_passage_is_held_by_its_words(original: str, candidate: str, same: bool) -> None:
    assert read_contract("", original).kind == "facts"
    assert facts_ok("", original, candidate) == same


@pytest.mark.parametrize(
    "original, candidate, same",
    [
        # a colon pair (a verse, a time) is one fact: one part changed changes it
        ("Psalms 23:4", "It is in Psalms 23:4.", True),
        ("Psalms 23:4", "Psalms 23:1", False),
        ("at 10:45", "The train left at 10:15.", False),
        # a verse range cited by one of its verses is a narrower citation, not another verse
        ("Acts 2:1-4", "Acts 2:4", True),
        # an ordinal after a tens word: "Twenty-first" is 21, "Twenty-second" 22
        ("the Twenty-first Amendment", "the 21st Amendment", True),
        ("the Twenty-first Amendment", "the Twenty-second Amendment", False),
    ],
)
def test_colon_pairs_and_compound_ordinals(original: str, candidate: str, same: bool) -> None:
    assert facts_ok("where is it written", original, candidate) == same


@pytest.mark.parametrize(
    "original, candidate, same",
    [
        # an acronym with lower-case letters taken from inside its words
        ("NatWest", "National Westminster Bank", True),
        ("BSkyB", "British Sky Broadcasting", True),
        ("NatWest", "Nationwide", False),
        ("BrewDog", "Brew Dog", True),
        # a surname with an inner capital is no acronym
        ("McAllister", "Mark Calder Allister", False),
    ],
)
def test_mixed_case_acronyms(original: str, candidate: str, same: bool) -> None:
    assert facts_ok("which company sponsored the league", original, candidate) == same


def test_a_quantity_word_before_of_is_not_the_answer() -> None:
    q = "what did the applicants need"
    assert facts_ok(q, "a number of certificates", "certificates")
    assert facts_ok(q, "a handful of signatures", "They needed signatures.")
    assert not facts_ok(q, "a number of certificates", "a number of references")


@pytest.mark.parametrize(
    "original, candidate",
    [
        # the same answer in the other forms short-answer systems write it
        ("The Kinks", "kinks"),  # case and article
        ("Kathleen Parr Lindqvist", "kathleen parr lindqvist"),  # a lower-cased name
        ("twelve", "12"),  # a number word and its digits
        ("12", "twelve"),
        ("14 March 1879", "March 14, 1879"),  # date formats
        ("14 March 1879", "1879-03-14"),
        ("migratory bird", "migratory birds"),  # singular / plural
        ("Jean-Luc Moreau", "Jean - Luc Moreau"),  # punctuation spacing
        ("Food and Agriculture Organization", "FAO"),  # an acronym
    ],
)
def test_the_same_answer_reworded_is_kept(original: str, candidate: str) -> None:
    assert facts_ok("what is the answer to the quiz question", original, candidate)


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        # a bare rewrite that says only the start or the end of the answer's words, and nothing else
        ("what does a compass needle line up with", "the Earth's magnetic field", "magnetic field", True),
        ("what moves the needle", "magnetic field", "magnetic", True),
        ("how are such decisions taken", "qualified majority", "a majority", True),
        ("who sang the theme", "Jerry Reed Hubbard", "jerry reed", True),
        ("which club did he join", "Chivas USA", "Chivas", True),
        # a word of its own beside the kept part could be another answer
        ("which club did he join", "Chivas USA", "Chivas Guadalajara", False),
        ("who sang the theme", "Jerry Reed Hubbard", "Lou Reed", False),
        # a run from the middle of the answer is no part of it
        ("who was president then", "George H. W. Bush", "George W. Bush", False),
        # one name of a pair drops the other
        ("who were the two cartoon characters", "Mutt and Jeff", "Jeff", False),
        # in a longer text the kept run must be two words or more and stand beside no other name
        ("who sang the theme", "Jerry Reed Hubbard", "The theme was sung by Jerry Reed.", True),
        ("who sang the theme", "Jerry Reed Hubbard", "The theme was sung by Jerry Reed and Burt Reynolds.", False),
        ("where is dna found in the body", "chromosomes in a cell",
         "DNA is found in the nucleus of every cell in the body.", False),
    ],
)
def test_a_rewrite_that_keeps_a_clear_part_of_the_answer_and_adds_no_other(instruction, original, candidate,
                                                                          same) -> None:
    assert facts_ok(instruction, original, candidate) == same


@pytest.mark.parametrize(
    "original, candidate, same",
    [
        # "mn" / "bn" after a figure are million / billion, as filings write them
        ("Adjusted EBITDA was $2,018mn in FY 2023.", "Adjusted EBITDA for FY 2023 was $2,018 million.", True),
        ("Debt fell by $2.5bn.", "Debt fell by $2.5 billion.", True),
        ("Adjusted EBITDA was $2,018mn in FY 2023.", "Adjusted EBITDA for FY 2023 was $2,018 billion.", False),
        ("Debt fell by $2.5bn.", "Debt fell by 2.5 million dollars.", False),
        # an accounting negative in parentheses is the same amount
        ("Its net revenue was -$473 million.", "Its net revenue was $(473) million.", True),
        ("Its net revenue was -$473 million.", "Its net revenue was $(437) million.", False),
    ],
)
def test_shortened_money_forms_are_the_written_out_amount(original, candidate, same) -> None:
    assert facts_ok("What was the figure?", original, candidate) == same


@pytest.mark.parametrize(
    "candidate, same",
    [
        ("/", True),
        ("The root directory, written /, is a file path.", True),
        ("/Payroll/Salaries/Managers", True),  # the symbol inside a longer path still writes it
        ("file.txt", False),
        ("A filename.", False),
    ],
)
def test_a_symbol_answer_is_held_by_the_symbol(candidate, same) -> None:
    assert read_contract("what is an example of a file path", "/").kind == "facts"
    assert facts_ok("what is an example of a file path", "/", candidate) == same


TAX = "How much did the company's effective tax rate change between FY2021 and FY2022?"


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        # a fiscal year glued, spaced or cut to two digits is one year
        (TAX, "It went from 21% in FY2021 to 24% in FY 2022.", "It rose 3 points, from 21% in FY2021 to 24% in FY2022.", True),
        (TAX, "It went from 21% in FY2021 to 24% in FY 2022.", "It rose 3 points, from 21% in FY21 to 24% in FY22.", True),
        (TAX, "It went from 21% in FY2021 to 24% in FY 2022.", "It rose 3 points, from 21% in FY2021 to 24% in FY2023.", False),
        ("Which activity brought in the most cash in FY22?", "In 2022, operations brought in the most cash.",
         "Operating activities brought in the most cash in FY22, $3,102 million.", True),
        ("Which activity brought in the most cash in FY22?", "In 2022, operations brought in the most cash.",
         "Operating activities brought in the most cash in FY21, $3,102 million.", False),
    ],
)
def test_fiscal_years_in_their_short_forms(instruction, original, candidate, same) -> None:
    assert facts_ok(instruction, original, candidate) is same


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        # "$1.8 bn" is precise to a tenth of a billion: "$1,824 million" is that value to more places
        ("Which activity brought in the most cash?", "Operating activities, $1.8 bn.",
         "Operating activities provided $1,824 million.", True),
        ("Which activity brought in the most cash?", "Operating activities, $1.8 bn.",
         "Operating activities provided $1,874 million.", False),
        ("Which activity brought in the most cash?", "Operating activities, $1.8 bn.",
         "Operating activities provided $1,724 million.", False),
        # a one-digit value is no precise one ("2 billion" is not kept by 2.4 billion)
        ("How much did it raise?", "About 2 billion dollars.", "It raised $2,400 million.", False),
        # the question's unit, the amount written out in dollars
        ("How much cash did operations generate in FY2020? Answer in USD millions.", "382",
         "Operations generated $381,603,000 in FY2020.", True),
        ("How much cash did operations generate in FY2020? Answer in USD millions.", "382",
         "Operations generated $391,603,000 in FY2020.", False),
        ("How much cash did operations generate in FY2020? Answer in USD millions.", "382",
         "Operations generated $381,603 in FY2020.", False),
    ],
)
def test_a_scaled_amount_is_compared_at_the_originals_precision(instruction, original, candidate, same) -> None:
    assert facts_ok(instruction, original, candidate) is same



ROA = "What is the FY2022 return on assets? ROA is net income / average total assets. Round your answer to two decimal places."


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        # the precision the question asks for: "-0.02" is -0.0153 to two places, however few its digits
        (ROA, "-0.02", "ROA = -$546 million / $35,663 million = -0.0153, or -1.53%.", True),
        (ROA, "-0.02", "ROA = -$546 million / $35,663 million = -1.53%.", True),
        (ROA, "-0.02", "ROA = -$946 million / $35,663 million = -0.0265, or -2.65%.", False),
        (ROA, "0.8", "The payout ratio is 7,616 / 9,542 = 0.7982.", True),
        (ROA, "0.8", "The payout ratio is 7,116 / 9,542 = 0.7457.", False),
        # a value at the asked places that differs is another value
        ("What was revenue growth? Round to one decimal place.", "101.5%", "Revenue grew by 101.4%.", False),
        # without a precision asked, a one-digit value is not kept by a longer one
        ("What is the FY2022 return on assets?", "-0.02", "ROA is -0.0153.", False),
    ],
)
def test_the_precision_the_question_asks_for_rounds_the_rewrites_value(instruction, original, candidate, same) -> None:
    assert facts_ok(instruction, original, candidate) is same


@pytest.mark.parametrize(
    "original, candidate, same",
    [
        # one word of a name written as its acronym, the rest as written
        ("Yes, the gain on closing the Retail Banking JV Transaction.",
         "Yes: closing the Retail Banking Joint Venture transaction brought a one-off gain of $2,100 million.", True),
        ("Yes, the gain on closing the Retail Banking Joint Venture Transaction.",
         "Yes: closing the Retail Banking JV transaction brought a one-off gain.", True),
        ("Yes, the gain on closing the Retail Banking JV Transaction.",
         "Yes: closing the Retail Banking Joint Stock transaction brought a one-off gain.", False),
        ("Yes, the gain on closing the Retail Banking JV Transaction.",
         "Yes: closing the Wealth Management Joint Venture transaction brought a one-off gain.", False),
    ],
)
def test_a_word_of_a_name_written_as_its_acronym(original: str, candidate: str, same: bool) -> None:
    assert facts_ok("Did any one-off event raise net income in 2019?", original, candidate) is same


@pytest.mark.parametrize(
    "original, candidate, same",
    [
        # "one" standing for a noun said before it is no number: the person named is the answer
        ("I think it is the Muslim one.", "I think it is the Muslim person.", True),
        ("I think it is the Muslim one.", "I think it is the Jewish person.", False),
        ("It was the older one, the grandfather.", "It was the grandfather, the older of the two.", True),
        # "one" counting something is still the number 1
        ("He has one brother.", "He has three brothers.", False),
        ("The answer is one.", "The answer is two.", False),
        ("One.", "There is exactly one.", True),
    ],
)
def test_one_as_a_pronoun_is_no_number(original: str, candidate: str, same: bool) -> None:
    ask = "Two men, a Muslim and a Jewish grandfather, were seen near the scene. Who was it?"
    assert verify(ask, original, candidate).passed is same


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        ("which war ended in 1945", "World War II", "The Second World War ended in 1945.", True),
        ("which war ended in 1945", "the Second World War", "It was World War II, which ended in 1945.", True),
        ("which war ended in 1945", "World War II", "World War 2 ended in 1945 with Japan's surrender.", True),
        ("which war ended in 1945", "World War II", "World War Two.", True),
        ("which war ended in 1945", "World War II", "World War I ended then.", False),
        ("which war ended in 1945", "World War II", "The First World War ended in 1945.", False),
        ("which war ended in 1945", "World War II", "World War I ended in 1918, and World War II in 1945.", True),
        ("who built the palace of versailles", "Louis XIV", "King Louis the Fourteenth built it.", True),
        ("who built the palace of versailles", "Louis XIV", "Louis XV built it.", False),
        ("who broke with the church of rome", "Henry VIII", "King Henry the Eighth broke with Rome in 1534.", True),
        ("who broke with the church of rome", "Henry VIII", "Henry VII broke with Rome.", False),
        ("which super bowl did the eagles win", "Super Bowl LII", "They won Super Bowl 52 in February 2018.", True),
        ("which super bowl did the eagles win", "Super Bowl 52", "The Eagles won Super Bowl LII.", True),
        ("which super bowl did the eagles win", "Super Bowl 52", "The Eagles won Super Bowl LIII.", False),
        ("which pope visited poland in 1979", "John Paul II", "Pope John Paul I visited Poland.", False),
        ("which amendment protects free speech", "1st Amendment", "The First Amendment protects free speech.", True),
        ("which kind of diabetes is most common", "Type 2", "Type II diabetes is the most common kind.", True),
        ("which kind of diabetes is most common", "type 2 diabetes", "Type I diabetes.", False),
        ("which film did stallone fight drago in", "Rocky IV", "In Rocky 4 (1985).", True),
    ],
)
def test_a_name_with_a_number_in_its_written_forms(instruction, original, candidate, same) -> None:
    assert facts_ok(instruction, original, candidate) == same


def test_a_number_the_question_gives_with_the_name_is_not_the_answers() -> None:
    # the question's own "World War I" in the rewrite is no other answer for the original's
    assert facts_ok("Which war followed World War I?", "World War II",
                    "World War II followed World War I, beginning in 1939.")


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        # a title before the surname alone
        ("who gave the i have a dream speech", "Martin Luther King Jr.",
         "Dr. King delivered it at the Lincoln Memorial in 1963.", True),
        ("who gave the i have a dream speech", "Martin Luther King Jr.", "Martin Luther King Sr. gave it.", False),
        ("who delivered the gettysburg address", "Abraham Lincoln", "President Lincoln delivered it in 1863.", True),
        ("who delivered the gettysburg address", "Abraham Lincoln", "Mary Todd Lincoln delivered it.", False),
        ("who delivered the gettysburg address", "Abraham Lincoln", "Mrs. Lincoln delivered it.", False),
        ("who commanded the third army", "George S. Patton", "General Patton commanded it from 1944.", True),
        ("who commanded the third army", "George S. Patton", "General Bradley commanded it.", False),
        # initials written apart, either side
        ("who composed the brandenburg concertos", "J. S. Bach", "Johann Sebastian Bach composed them around 1721.",
         True),
        ("who composed the brandenburg concertos", "J. S. Bach", "Carl Philipp Emanuel Bach composed them.", False),
        ("who wrote romeo and juliet", "W. Shakespeare", "William Shakespeare wrote it in the 1590s.", True),
        ("who wrote the hobbit", "J. R. R. Tolkien", "Christopher Tolkien wrote it.", False),
        # letters decomposition keeps whole
        ("who wrote either/or", "Søren Kierkegaard", "Soren Kierkegaard wrote Either/Or in 1843.", True),
        ("who wrote either/or", "Soren Kierkegaard", "Søren Kierkegaard published it.", True),
        ("who composed the blue danube", "Johann Strauss II", "Johann Strauß II composed it.", True),
        ("what is the third largest city in poland", "Łódź", "Lodz is the third largest.", True),
        ("what is the third largest city in poland", "Łódź", "Kraków is the third largest.", False),
        # 1st / 2nd said as first / second
        ("where did she finish in the 2019 race", "2nd", "She finished second, behind the winner.", True),
        ("where did she finish in the 2019 race", "2nd", "She finished third.", False),
        ("where did she finish in the 2019 race", "2nd", "She did not finish second; she was third.", False),
        ("where did he finish", "1st place", "He took first place in 2019.", True),
    ],
)
def test_titles_initials_letters_and_spoken_ordinals(instruction, original, candidate, same) -> None:
    assert facts_ok(instruction, original, candidate) == same


@pytest.mark.parametrize(
    "original, candidate, same",
    [
        ('Dwayne "The Rock" Johnson', "Dwayne Johnson plays Dr. Smolder Bravestone.", True),
        ('Dwayne "The Rock" Johnson', "The Rock stars as Bravestone.", True),
        ('Dwayne "The Rock" Johnson', "Kevin Hart stars in it.", False),
        ('Dwayne "The Rock" Johnson', "Dwayne Smith stars in it.", False),
        ('Thomas "Stonewall" Jackson', "Stonewall Jackson earned the name at Bull Run.", True),
        ('Thomas "Stonewall" Jackson', "Andrew Jackson.", False),
        ('Ethel "Edy" Proctor', 'Edith "Edy" Proctor.', False),
        ("Dwayne Johnson", 'Dwayne "The Rock" Johnson stars in it.', True),
    ],
)
def test_a_nickname_quoted_inside_a_name(original: str, candidate: str, same: bool) -> None:
    assert facts_ok("who stars in the film", original, candidate) == same


@pytest.mark.parametrize(
    "original, candidate, same",
    [
        ("$5 million", "It cost $5M to make.", True),
        ("$40,000", "The prize was $40K.", True),
        ("$2 billion", "Roughly $2B was raised.", True),
        ("£5 million", "It cost £5m.", True),
        ("$2 billion", "About $3B was raised.", False),
        ("$5 million", "It cost $6M.", False),
    ],
)
def test_one_letter_scales_after_a_currency_sign(original: str, candidate: str, same: bool) -> None:
    assert facts_ok("how much did it cost", original, candidate) == same


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        ("how long is a marathon", "26.2 miles", "A marathon is 26.2 miles (42.195 km) long.", True),
        ("how long is a marathon", "26.2 miles", "A marathon is 26.2 kilometers long.", False),
        ("how far is the moon", "384,400 km", "About 384,400 kilometres (238,855 miles) on average.", True),
        ("how far is the moon", "384,400 km", "It is 384,400 miles away.", False),
        ("how fast can a cheetah run", "70 mph", "Up to 70 miles per hour in short bursts.", True),
        ("how fast can a cheetah run", "70 mph", "Up to 70 km/h.", False),
        ("how long does the flight take", "3 hours", "The flight takes three hours.", True),
        ("how long does the flight take", "3 hours", "It takes 3 minutes to board and three hours to fly.", True),
        ("how long does the flight take", "3 hours", "The flight takes 3 minutes.", False),
        ("how heavy is the ball", "5 kg", "It weighs 5 kilos.", True),
        ("how heavy is the ball", "5 kg", "It weighs 5 pounds.", False),
        ("what did the ticket cost", "£5", "It cost 5 pounds.", True),
        ("what did the ticket cost", "$5", "It cost €5.", False),
        ("at what temperature does water boil", "100 °C", "Water boils at 100 degrees Celsius at sea level.", True),
        ("at what temperature does water boil", "212 degrees Fahrenheit", "It boils at 212°F (100 °C).", True),
        ("at what temperature does water boil", "100 °C", "It boils at 100 degrees Fahrenheit.", False),
    ],
)
def test_a_unit_in_its_spellings_and_another_unit_of_the_same_kind(instruction, original, candidate, same) -> None:
    assert facts_ok(instruction, original, candidate) == same


def test_a_degree_sign_before_c_is_no_programming_language() -> None:
    assert read_contract("at what temperature does water boil", "100 °C").kind == "facts"
    assert verify("at what temperature does water boil", "100 °C", "Water boils at 100 degrees Celsius.").passed


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        ("when was the beatles' heyday", "the 1960s", "The Beatles peaked in the '60s.", True),
        ("when was the beatles' heyday", "the 1960s", "Their heyday was the sixties, from 1963 on.", True),
        ("when was the beatles' heyday", "the 1960s", "In the 60s.", True),
        ("when was the beatles' heyday", "the 1960s", "In the '70s.", False),
        ("when was the beatles' heyday", "the '60s", "In the 1960s.", True),
        ("when was the beatles' heyday", "the '60s", "In the 1970s.", False),
        ("when did the euro arrive", "1999", "It arrived in January '99.", True),
        ("when did the euro arrive", "1999", "It arrived in '98.", False),
        ("how many dalmatians are in the film", "101", "A hundred and one dalmatians.", True),
        ("how many dalmatians are in the film", "a hundred and one", "There are 101.", True),
        ("how many dalmatians are in the film", "a hundred and one", "There are 102.", False),
        ("how many people attended", "250", "Two hundred and fifty people attended.", True),
        ("how many people attended", "two hundred fifty", "250 people attended in 2019.", True),
        ("how many people attended", "250", "Two hundred and sixty people attended.", False),
        ("how many eggs in the recipe", "12", "A dozen eggs.", True),
        ("how many eggs in the recipe", "12", "Two dozen eggs.", False),
        ("when was the odyssey finished", "2001", "In two thousand and one.", True),
        ("which war began in 1337", "the Hundred Years' War", "The Hundred Years' War between England and France.",
         True),
    ],
)
def test_decades_short_years_and_numbers_in_words_with_a_scale(instruction, original, candidate, same) -> None:
    assert facts_ok(instruction, original, candidate) == same


@pytest.mark.parametrize(
    "candidate, same",
    [
        ("Rudolf Hess was Hitler's deputy until 1941.", True),
        ("Hess, who flew to Scotland in 1941.", True),
        ("Walter Hess was the deputy.", False),
        ("Hermann Göring was the deputy.", False),
        ("Deputy Führer Rudolf Hess.", True),
    ],
)
def test_a_name_written_surname_first(candidate: str, same: bool) -> None:
    assert facts_ok("who was hitler's deputy", "Hess, Rudolf", candidate) == same


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        ("when did sophocles die", "406 BC", "Sophocles died in 406 BCE, aged about 90.", True),
        ("when did sophocles die", "406 BCE", "He died in 406 B.C.", True),
        ("when did sophocles die", "406 BC", "He died in 406 AD.", False),
        ("when was charlemagne crowned", "AD 800", "He was crowned on 25 December 800 CE.", True),
        ("when was charlemagne crowned", "800 CE", "In AD 800.", True),
        ("when was the letter j introduced", "the 16th century", "It appeared in the 1500s.", True),
        ("when was the letter j introduced", "the 1500s", "In the sixteenth century.", True),
        ("when was the letter j introduced", "the 16th century", "In the 1600s.", False),
        ("when was the letter j introduced", "the 1500s", "In the seventeenth century.", False),
    ],
)
def test_era_marks_and_centuries_in_their_other_forms(instruction, original, candidate, same) -> None:
    assert facts_ok(instruction, original, candidate) == same


def test_a_quoted_title_between_capitalised_words_is_no_nickname() -> None:
    original = 'In "Home Alone 2: Lost in New York," Kevin\'s family flies to Miami, Florida.'
    assert not facts_ok("where does kevin's family go in the sequel", original, "Florida")
    assert facts_ok("where does kevin's family go in the sequel", original,
                    'In "Home Alone 2: Lost in New York," the family goes to Florida.')


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        ("who recorded appetite for destruction", "Guns N' Roses", "Guns N’ Roses recorded it in 1987.", True),
        ("who wrote long day's journey into night", "Eugene O’Neill", "Eugene O'Neill wrote it.", True),
        ("who wrote long day's journey into night", "Eugene O'Neill", "Tennessee Williams wrote it.", False),
        ("how high did the single chart", "No. 1", "It reached number one on the Billboard Hot 100.", True),
        ("how high did the single chart", "No. 1", "It peaked at #1 in 1985.", True),
        ("how high did the single chart", "No. 1", "It peaked at No. 2.", False),
        ("which season did he debut in", "2010–11", "He debuted in the 2010-2011 season.", True),
        ("which season did he debut in", "2010–11", "He debuted in the 2010–2012 season.", False),
    ],
)
def test_apostrophes_number_signs_and_season_years(instruction, original, candidate, same) -> None:
    assert facts_ok(instruction, original, candidate) == same
    assert verify(instruction, original, candidate).passed == same


def test_no_before_a_number_is_no_yes_no_answer() -> None:
    assert read_contract("how high did the single chart", "No. 1").kind == "facts"
    assert read_contract("Did the single chart?", "No. It never charted.").kind == "label"


@pytest.mark.parametrize(
    "candidate, same",
    [
        ("The Pilgrims landed at Plymouth, Massachusetts, in December 1620.", True),
        ("They landed at Plymouth Rock in 1620.", True),
        ("They landed near Plymouth, MA.", True),
        ("They sailed from Plymouth, England.", False),
        ("They landed in New Plymouth.", False),
    ],
)
def test_a_place_with_its_region_keeps_the_region(candidate: str, same: bool) -> None:
    assert facts_ok("where did the pilgrims land", "Plymouth, Massachusetts", candidate) == same


@pytest.mark.parametrize("candidate, same", [("plymouth, england", False), ("plymouth, massachusetts", True),
                                             ("plymouth, ma", True), ("plymouth rock", True)])
def test_a_place_with_its_region_in_a_lower_cased_answer(candidate: str, same: bool) -> None:
    assert facts_ok("where did the pilgrims land", "Plymouth, Massachusetts", candidate) == same


@pytest.mark.parametrize(
    "candidate, same",
    [
        # the parenthesis held the answer's own acronym; one word there is a name, not a sentence opening
        ("The answer is adenosine diphosphate (Tokyo).", False),
        ("The answer is adenosine diphosphate ( Canada ).", False),
        ("The answer is adenosine diphosphate (ADP).", True),
        ("ADP, that is adenosine diphosphate.", True),
        # a sentence in parentheses still opens with a plain capital
        ("The answer is adenosine diphosphate (ADP). (Usually it forms in the cell.)", True),
    ],
)
def test_one_capitalised_word_filling_a_parenthesis_is_a_name(candidate: str, same: bool) -> None:
    q = "what is the breakdown product formed when one phosphate group is removed from atp"
    assert facts_ok(q, "The answer is adenosine diphosphate (ADP).", candidate) == same


def test_a_parenthetical_name_beside_the_kept_answer_is_added_context() -> None:
    assert facts_ok("who was the top american ace in ww1", "Eddie Rickenbacker",
                    "The top American ace of the war was Eddie Rickenbacker (Ohio).")


# MT-bench question 104 (lm-sys/FastChat, Apache-2.0): the reference answer counts with "no". Read as
# no number at all, its contract was none, and "David has three brothers" passed every check.
BROTHERS = "David has three sisters. Each of them has one brother. How many brothers does David have?"


@pytest.mark.parametrize(
    "original, candidate, same",
    [
        ("David has no brother. He is the one brother of his three sisters.", "David has three brothers.", False),
        ("David has no brother. He is the one brother of his three sisters.", "David has one brother.", False),
        ("David has no brother. He is the one brother of his three sisters.",
         "David has no brothers: he is the only brother his three sisters have.", True),
        ("David has no brother. He is the one brother of his three sisters.",
         "Zero. David is the one brother of his three sisters.", True),
        ("David has zero brothers.", "David has no brothers at all.", True),
    ],
)
def test_no_before_the_counted_noun_is_a_count_of_zero(original, candidate, same) -> None:
    assert read_contract(BROTHERS, original).kind != "none"
    assert verify(BROTHERS, original, candidate).passed is same


# Short answers to "how did ...", "what does he think ..." and "how did she feel ..." questions about a
# story or a report (the pattern of the rated rewrites in benchmarks/thirdparty/qadialog.py): the answer
# is a stated fact, not an explanation or an opinion in the writer's own words, so its words are held.
@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        ("how did the audience respond to the speech ?", "applause", "the audience responded with applause", True),
        ("how did the audience respond to the speech ?", "applause", "the audience responded with silence", False),
        ("what does the old farmer think the stranger is ?", "a thief", "he thinks the stranger is a thief", True),
        ("what does the old farmer think the stranger is ?", "a thief", "he thinks the stranger is a priest", False),
        ("how did she feel after the race ?", "exhausted", "she felt completely exhausted", True),
        ("how did she feel after the race ?", "exhausted", "she felt proud of herself", False),
    ],
)
def test_a_short_answer_about_how_someone_acted_or_felt_is_held(instruction, original, candidate, same) -> None:
    assert read_contract(instruction, original).kind != "none"
    assert facts_ok(instruction, original, candidate) is same


@pytest.mark.parametrize(
    "instruction, original",
    [
        ("how do you feel about remote work ?", "mostly positive"),  # the reader's opinion
        ("what do you think of the ending ?", "too rushed"),
        ("how does a siphon move water uphill ?", "gravity pulls the longer column down"),  # a process, in words of one's own
        ("why did the bridge close ?", "for repairs"),  # a reason: still an explanation
    ],
)
def test_opinions_processes_and_reasons_stay_unheld(instruction, original) -> None:
    assert not answer_facts(instruction, original).names


def test_a_number_and_a_dot_open_a_list_only_in_a_list() -> None:
    from realign.verify.facts_answer import read_facts

    assert set(read_facts("12. were waiting at the gate").numbers) == {12}
    assert set(read_facts("1. Preheat the oven\n2. Bake for 25 minutes").numbers) == {25}
    assert set(read_facts("3) Lisbon\n4) Porto").numbers) == set()
    assert facts_ok("how many guests were waiting ?", "12 .", "12. were waiting at the gate")


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        # a short answer's opening capital may be the sentence's, not a name's: kept as a plain word
        ("What is the painter best known for?", "Landscape", "She is best known for her landscapes.", True),
        ("What is the painter best known for?", "Landscape", "She is best known for her portraits of Venice.", False),
        ("What was his trade before he sailed?", "Rope making", "Before he sailed he worked as a ropemaker.", True),
        ("What was his trade before he sailed?", "Ropemaking", "He was a rope maker in Bristol.", True),
        ("What was his trade before he sailed?", "Rope making", "He was a carpenter in Bristol.", False),
        ("What was his trade before he sailed?", "Rope making", "He made sails for the ropewalk's owner.", False),
    ],
)
def test_an_opening_capital_may_mark_a_plain_word(instruction, original, candidate, same) -> None:
    assert facts_ok(instruction, original, candidate) is same


@pytest.mark.parametrize(
    "original, candidate, same",
    [
        ("Tom & Theodore", "His brothers were Ted and Tom Keller.", True),  # pet form, other order, surname added
        ("Tom & Theodore", "His brothers were Tom and Theo.", True),  # the name cut short
        ("Tom & Theodore", "His brothers were Tom and Walter.", False),
        ("Tom & Theodore", "His brothers were Tim and Ted.", False),
    ],
)
def test_a_pair_of_given_names_is_kept_in_their_other_forms(original: str, candidate: str, same: bool) -> None:
    assert facts_ok("What were his two brothers called?", original, candidate) is same


@pytest.mark.parametrize(
    "original, candidate, same",
    [
        ("Rachel P. Carson", "Biologist Rachel Carson wrote it.", True),  # the sentence's first word is no given name
        ("Rachel P. Carson", "Rachel Carson wrote it.", True),
        ("Rachel P. Carson", "Biologist Emma Carson wrote it.", False),
        ("Rachel P. Carson", "It was written by biologist Emma Carson.", False),
    ],
)
def test_a_word_opening_the_sentence_before_a_name_is_not_its_given_name(original, candidate, same) -> None:
    assert facts_ok("Who wrote the book?", original, candidate) is same


@pytest.mark.parametrize(
    "original, candidate, same",
    [
        ("Riverside Stadium N.Y.", "It was played at Riverside Stadium in Albany, New York.", True),
        ("Riverside Stadium N.Y.", "It was played at Lakeside Stadium in Albany, New York.", False),
        ("Chivas USA", "It was Guadalajara's club.", False),  # one word left is no name to keep
    ],
)
def test_a_place_abbreviation_after_a_name_may_be_left_out(original: str, candidate: str, same: bool) -> None:
    assert facts_ok("Where was the final played?", original, candidate) is same


@pytest.mark.parametrize(
    "candidate, same",
    [
        ("Lendl never won the Wimbledon title.", True),  # the question's own negation, restated
        ("Ivan Lendl did not win Wimbledon in his career.", True),
        ("It was not Wimbledon.", False),  # a denial that restates nothing of the question
    ],
)
def test_a_negated_question_is_answered_under_its_own_negation(candidate: str, same: bool) -> None:
    assert facts_ok("Which grand slam title did Ivan Lendl never win?", "Wimbledon", candidate) is same


def test_a_negation_in_the_rewrite_still_denies_when_the_question_has_none() -> None:
    assert not facts_ok("Which grand slam title did Ivan Lendl win first?", "Wimbledon",
                        "Ivan Lendl did not win Wimbledon first.")


@pytest.mark.parametrize(
    "original, candidate, same",
    [
        ("Lord Kelvin", "It was Thomson, also known as Lord Kelvin or Baron Kelvin.", True),  # other names, no hedge
        ("Lord Kelvin", "It was Lord Kelvin, or possibly Michael Faraday.", False),
        ("Lord Kelvin", "It was Thomson, also known as Lord Kelvin or possibly Michael Faraday.", False),
    ],
)
def test_an_or_in_a_list_of_other_names_is_no_hedge(original: str, candidate: str, same: bool) -> None:
    assert facts_ok("Who set the absolute temperature scale?", original, candidate) is same


@pytest.mark.parametrize(
    "original, candidate, same",
    [
        ("2011", "They won it in the 2010-11 season.", True),  # a season range states its end year
        ("2011", "They won it in the 2011-12 season.", True),
        ("2012", "They won it in the 2010-11 season.", False),
    ],
)
def test_a_season_written_as_a_short_range_states_its_end_year(original: str, candidate: str, same: bool) -> None:
    assert facts_ok("When did they win the league?", original, candidate) is same


@pytest.mark.parametrize(
    "original, candidate, same",
    [
        ("the 1930s", "She was born in 1931, in the Bronx.", True),  # a year inside the decade states it
        ("1950s", "The bridge opened in 1957.", True),
        ("the 1930s", "She was born in 1941.", False),
        ("the 1930s", "She was born in 1929.", False),
        ("the 1930s", "She was born in the 1920s (1931).", False),  # another decade written beside it
        ("the 1930s", "She was born in 1931 or 1945.", False),  # a year of another decade of the century
        ("the 1930s", "Probably the forties, around 1931.", False),
        ("1931", "She was born in the 1930s.", False),  # the other way round the year is still dropped
    ],
)
def test_a_decade_is_kept_by_a_year_inside_it(original: str, candidate: str, same: bool) -> None:
    assert facts_ok("In which decade was she born?", original, candidate) is same


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        # the date stated to its year; a title or an earlier year beside it is no other date
        ("when was the novel first published", "September 1999",
         "The first volume, The Wide Window, came out in 1999.", True),
        ("when was the law repealed", "July 14, 1976", "Parliament repealed it in 1976; the last case was in 1962.",
         True),
        ("when was the law repealed", "14 July 1976", "It was repealed in 1976.", True),
        # another month, another day, another year: another date
        ("when was the novel first published", "September 1999", "It came out in October 1999.", False),
        ("when was the law repealed", "July 14, 1976", "It was repealed on July 26, 1976.", False),
        ("when was the law repealed", "July 14, 1976", "It was repealed in 1976, on the 26th.", False),
        ("when was the law repealed", "July 14, 1976", "It was repealed in 1977; the last case was in 1962.", False),
        ("when was the law repealed", "July 14, 1976", "It was repealed on 7/26/1976.", False),
        # a name in the month's place is no coarser date
        ("when was the novel first published", "September 1999", "It came out in Benjamin Franklin 1999.", False),
        ("when was the law repealed", "July 14, 1976", "It was repealed on Mount Everest 14, 1976.", False),
        ("when was the novel first published", "September 1999", "In 1999, the first volume came out.", True),
        # the question gives the year: the month is the answer
        ("in which month of 1999 was the novel published", "September 1999",
         "The first volume, The Wide Window, came out in 1999.", False),
    ],
)
def test_a_date_stated_to_its_year_only_is_coarser_not_changed(instruction, original, candidate, same) -> None:
    assert facts_ok(instruction, original, candidate) is same


@pytest.mark.parametrize(
    "original, candidate, same",
    [
        ("Kansas City Metropolitan Area", "The team plays in Kansas City, Missouri.", True),
        ("Denver Metro Area", "They are based in Denver, Colorado.", True),
        ("Kansas City Metropolitan Area", "The team plays in St. Louis, Missouri.", False),
        ("Kansas City Metropolitan Area", "The team plays in Kansas.", False),
        ("Kansas City Metropolitan Area", "The team plays in Oklahoma City.", False),
    ],
)
def test_a_city_area_is_named_by_its_city(original: str, candidate: str, same: bool) -> None:
    assert facts_ok("Where is the team based?", original, candidate) is same


@pytest.mark.parametrize(
    "original, candidate, same",
    [
        ("Ma$e", "The single features the rapper Mase.", True),  # a styled letter written plain
        ("Ke$ha", "It was written by Kesha and Dr. Luke.", True),
        ("P!nk", "Pink sang it.", True),
        ("Mase", "The single features Ma$e.", True),
        ("Ma$e", "The single features the rapper Mace.", False),
        ("Ma$e", "The single features Nas.", False),
        ("Ke$ha", "It was written by Kelly.", False),
    ],
)
def test_a_styled_stage_name_is_kept_in_plain_letters(original: str, candidate: str, same: bool) -> None:
    assert facts_ok("Who is featured on the single?", original, candidate) is same


@pytest.mark.parametrize("text, plain", [("Ty Dolla $ign", "Ty Dolla Sign"), ("MA$E", "MASE"),
                                         ("it cost $5", "it cost $5"), ("$2.5bn", "$2.5bn"), ("Wow! Nice", "Wow! Nice")])
def test_styled_letters_leave_money_and_marks_alone(text: str, plain: str) -> None:
    from realign.verify.facts_names import styled_letters_plain
    assert styled_letters_plain(text) == plain


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        ("what type of matter holds the cell bodies", "grey matter", "They are part of the gray matter of the brain.",
         True),
        ("what type of matter holds the cell bodies", "Gray matter", "Grey matter.", True),
        ("what is the stage of a playhouse called", "the theatre", "It is the theater.", True),
        ("what does the chameleon change", "its colour", "It changes its color.", True),
        ("what does the chameleon change", "its colour", "It changes its flavor.", False),
        ("what type of matter holds the cell bodies", "grey matter", "They are part of the white matter.", False),
        ("what colour is the stone", "grey", "It is green.", False),
        ("how long is a lap", "one hour", "It takes one day.", False),  # "hour" is no spelling of "hor"
    ],
)
def test_british_and_american_spellings_are_one_word(instruction, original, candidate, same) -> None:
    assert facts_ok(instruction, original, candidate) is same


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        ("how long is the film", "120 minutes", "The film runs 2 hours.", True),
        ("how long is the bridge", "1.7 miles", "The bridge is 2.7 kilometers long.", True),
        ("how far away is the moon", "384,400 km", "It is about 238,900 miles away.", True),
        ("how long is a marathon", "42 km", "A marathon is 26.2 miles.", True),
        ("how heavy is the bag", "5 kg", "It weighs 11 pounds.", True),
        # another value, or the same value relabelled, or a rounding too coarse to stand for the conversion
        ("how long is the film", "120 minutes", "The film runs 3 hours.", False),
        ("how long is the bridge", "1.7 miles", "The bridge is 1.7 kilometers long.", False),
        ("how far away is the moon", "384,400 km", "It is about 338,900 miles away.", False),
        ("how heavy is the bag", "5 kg", "It weighs 12 pounds.", False),
        ("how far is the drive", "1,500 km", "The drive is 1,000 miles.", False),
        ("how fast can it go", "60 mph", "It can go 60 km/h.", False),
    ],
)
def test_a_quantity_converted_to_another_unit_of_its_kind_is_kept(instruction, original, candidate, same) -> None:
    assert facts_ok(instruction, original, candidate) is same


@pytest.mark.parametrize(
    "instruction, original, candidate, same",
    [
        ("how many times has brazil hosted the world cup", "2", "Brazil has hosted it twice, in 1950 and 2014.", True),
        ("how many times has brazil hosted the world cup", "twice", "It has hosted the World Cup 2 times.", True),
        ("how many times has brazil hosted the world cup", "1", "Brazil has hosted it once.", True),
        ("how often is the census taken", "once every ten years", "One time every 10 years.", True),
        ("how many times has brazil hosted the world cup", "2", "Brazil has hosted it three times.", False),
        ("how many times has brazil hosted the world cup", "twice", "It has hosted the World Cup 3 times.", False),
        ("how many times has brazil hosted the world cup", "3", "Brazil has hosted it twice.", False),
        # "once" counts only to a question about how many times
        ("who won the final", "Brazil", "Once the final ended, Italy had won.", False),
    ],
)
def test_a_count_of_times_in_one_word_is_its_number(instruction, original, candidate, same) -> None:
    assert facts_ok(instruction, original, candidate) is same
