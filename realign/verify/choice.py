"""Multiple choice and closed answers: the rewrite must state the original's option / yes-no /
true-false answer.

Options are read from the instruction ("A) ...", "(B) ...", "C. ..." lines, or inline
"(A) x (B) y"). The original's answer is an option letter stated explicitly ("Answer: B", "The
correct option is (B)", a text that starts with "B)" / "**B**" / "B."), else the one option text
it mentions. The rewrite must state that letter (or, stating no letter, that option's text) and no
other letter. Alternatives offered inline in the question ("Which is larger, 9.11 or 9.9?") are
options too when the original asserts exactly one of them (`alternative_pick`); the rewrite must
assert it and no other. So are the people a context names for a "Who ...?" question (BBQ): an original
naming one of them ("The Muslim one") or saying the context does not tell ("Can't answer") picks
between that person and "cannot be determined" (`context_pick`). Without options, an original that opens with (or states "the answer is") yes / no /
true / false fixes a polarity the rewrite must state too ("not true" is false); an original that goes
on to state its claim ("Yes, CVS paid a dividend every quarter") is also kept by a rewrite that
restates the question's or the original's claim without a yes / no, a denial making it the other
answer; a clause restates the question's claim only with a word of the claim the original's answer
lacks ("seeds" for "the spiciest part is the seeds" answered "False. ... the placenta"), and a claim
called a misconception or a myth is denied. A presence question ("Can you identify any bug?", "Are
there carpets that can fly?") answered by a presence or absence statement with no yes / no ("There is
no bug in this implementation") is closed too (`presence_polarity`): the rewrite must state the same
presence or absence, or the matching yes / no, and not both. An original with none of these: not
applicable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from realign.records import CheckResult
from realign.verify.base import Check, CheckInput
from realign.verify.options import VerifyOptions

NAME = "choice_answer"

_OPT_LINE = re.compile(r"^[ \t]*(?:[-*][ \t]+)?\(?([A-Ha-h])[).:][ \t]+(\S.{0,300}?)[ \t]*$", re.M)
_OPT_INLINE = re.compile(r"\(([A-H])\)[ \t]*([^()\n]{1,200}?)(?=[ \t]*\([A-H]\)|[ \t]*$|\n)", re.M)

_LETTER = r"\(?([A-H])(?![\w'’])\)?"
_ADVERBS = r"(?:(?i:probably|likely|most likely|definitely|clearly|therefore|thus|indeed|then|still|option|choice)[ \t,]+){0,2}"
# A letter stated as the answer: "the answer is (probably) B", "Answer: B", "the correct option is
# B", "I choose B"; a second letter joined by or / and / a comma list is a second statement.
# "option B doesn't make sense" is a mention, not a statement.
_LETTER_CUE = re.compile(
    r"(?:(?i:\b(?:answer|correct[ \t]+(?:option|choice|letter)|best[ \t]+(?:option|choice|answer)|right[ \t]+(?:option|choice)"
    r"|option|choice)(?:[ \t]+(?:is|would[ \t]+be|should[ \t]+be|will[ \t]+be|must[ \t]+be))"
    r"|\banswer(?:\*\*|__)?[ \t]*[:=\-–]|\b(?:choose|pick|select|go[ \t]+with)))"
    r"[ \t]*[:=]?[ \t]*(?:\*\*|__)?[ \t]*" + _ADVERBS + _LETTER
    + r"((?:[ \t]*(?i:,[ \t]*or|,|or|/|and/or|and)[ \t]*(?i:option[ \t]+)?\(?[A-H](?![\w'’])\)?)*)"
)
_MORE_LETTERS = re.compile(r"\(?([A-H])(?![\w'’])\)?")
_LETTER_START = re.compile(r"^[\s>#*_]*(?:\*\*|__)?\(?([A-H])(?:[).:]|\*\*|__|[ \t]*$|[ \t]+[-–—]|\s*\n)")

_POLAR_START = re.compile(
    r"^[\s>#*_\"'“]*(yes|no|true|false|correct|incorrect)(?![\w-])(?![ \t]+(?:problem|worries|need|doubt)\b)"
    r"(?=[\s]*[,.!:;—–\-*_\"'”]|\s*$|\s*\n)",
    re.I,
)
_POLAR_CUE = re.compile(
    r"\b(?:answer|statement|claim|it|this|that)[ \t]+(?:is|would[ \t]+be)[ \t]*:?[ \t]*(?:\*\*)?[ \t]*"
    r"(not[ \t]+)?(yes|no|true|false|correct|incorrect)\b",
    re.I,
)
# "Answer: False", "**Verdict:** true", "In short: yes"
_POLAR_LABEL = re.compile(
    r"\b(?:answer|verdict|conclusion|in short|in brief|bottom line)[ \t]*(?:\*\*)?[ \t]*:[ \t]*(?:\*\*)?[ \t]*(not[ \t]+)?"
    r"(yes|no|true|false|correct|incorrect)\b",
    re.I,
)
# a verdict that opens a later paragraph: "Let me check.\n\nFalse. The wall is ..."
_POLAR_PARAGRAPH = re.compile(
    r"\n[ \t]*\n[\s>#*_\"'“]*(yes|no|true|false|correct|incorrect)(?![\w-])(?=[ \t]*[,.!:;—–*_\"'”]|[ \t]*\n)",
    re.I,
)
# Words that offer several answers at once: "It could be X or Y", "either X or Y", "maybe X".
_HEDGE_WORDS = re.compile(
    r"\b(?:could be|might be|may be|maybe|possibly|perhaps|either|not sure|hard to say|or possibly|and/or)\b"
    r"|[\"'”][ \t]*(?:or|/)[ \t]*[\"'“]",
    re.I,
)
_POLARITY = {"yes": True, "true": True, "correct": True, "no": False, "false": False, "incorrect": False}


@dataclass(frozen=True)
class Choice:
    letter: str | None  # option letter when options exist
    polarity: bool | None  # yes/true -> True, no/false -> False
    shown: str  # as found in the text
    how: str  # "letter", "option text", "opening word", "statement"


def parse_options(instruction: str) -> dict[str, str]:
    """Option letter -> option text, when the instruction lists at least two options A, B, ..."""
    opts: dict[str, str] = {}
    for m in _OPT_LINE.finditer(instruction):
        opts.setdefault(m.group(1).upper(), m.group(2).strip())
    if len(opts) < 2:
        opts = {}
        for m in _OPT_INLINE.finditer(instruction):
            opts.setdefault(m.group(1), m.group(2).strip(" ,;"))
    letters = sorted(opts)
    if len(letters) < 2 or letters[0] != "A" or any(ord(b) - ord(a) != 1 for a, b in zip(letters, letters[1:])):
        return {}
    return opts


def _text_pattern(text: str) -> re.Pattern[str] | None:
    t = text.strip().strip(".").strip()
    if len(t) < 1 or len(t) > 120:
        return None
    return re.compile(r"(?<![\w])" + re.escape(t) + r"(?![\w])", re.I)


def stated_letters(text: str, options: dict[str, str]) -> list[tuple[str, str]]:
    """(letter, shown) for every option letter the text states as its answer, in order."""
    out: list[tuple[str, str]] = []
    m = _LETTER_START.match(text)
    if m and m.group(1) in options:
        out.append((m.group(1), m.group(0).strip()))
    for m in _LETTER_CUE.finditer(text):
        letters = [m.group(1)] + _MORE_LETTERS.findall(m.group(2) or "")
        for letter in letters:
            if letter in options:
                out.append((letter, m.group(0).strip()))
    return out


def mentioned_option_texts(text: str, options: dict[str, str]) -> list[str]:
    """Letters whose option text the text mentions, longest option texts first (no overlaps)."""
    found: list[str] = []
    taken: list[tuple[int, int]] = []
    for letter, opt in sorted(options.items(), key=lambda kv: -len(kv[1])):
        pat = _text_pattern(opt)
        if pat is None:
            continue
        for m in pat.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            found.append(letter)
            break
    return found


def stated_polarity(text: str) -> Choice | None:
    m = _POLAR_START.match(text)
    if m:
        return Choice(None, _POLARITY[m.group(1).lower()], m.group(1), "opening word")
    for cue in (_POLAR_CUE, _POLAR_LABEL):
        m = cue.search(text)
        if m:
            pol = _POLARITY[m.group(2).lower()]
            if m.group(1):
                pol = not pol
            return Choice(None, pol, m.group(0).strip(), "statement")
    m = _POLAR_PARAGRAPH.search(text)
    if m:
        return Choice(None, _POLARITY[m.group(1).lower()], m.group(1), "paragraph opening")
    return None


# A yes / no answer that goes on to state its claim ("Yes, CVS paid a $0.55 dividend every quarter")
# may be rewritten as the claim alone, the question's own words restated with or without a negation:
# "Has CVS paid dividends in Q2?" -> "CVS did pay dividends to shareholders in Q2" is yes, "Are the
# financials those of a high growth company?" -> "The financials do not indicate a high growth company"
# is no. Read only when the rewrite states no yes / no, only for a question that opens with an
# auxiliary, and only for an original that says more than the polar word (a bare "Yes" is a label).
_AUX_OPENING = re.compile(r"\s*(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should)\b", re.I)
_CLAIM_WORD = re.compile(r"[^\W\d_]{3,}")
_CLAIM_STOP = frozenset("""the and for any are was were has have had does did can could will would should this that
    these those its their there from with into than then been being also such which what who how when where why
    not yes between during about based""".split())
_CLAIM_NEGATION = re.compile(r"\b(?:not|never|no|neither|nor|without)\b|n['’]t\b", re.I)
# "a stable company rather than a high growth company" denies the claim when the claim's words follow it
_CLAIM_CONTRAST = re.compile(r"\b(?:rather[ \t]+than|instead[ \t]+of)((?:[ \t]+[\w'’-]+){1,6})", re.I)
# a condition or a question asserts nothing, and a sentence about the material ("the text does not
# contain any information about ... reporting legal battles") says nothing of the claim
_CLAIM_OPEN = re.compile(r"\b(?:if|whether|unless|depends?|information|provided|text|document|context|data|mentions?|"
                         r"mentioned|sources?|knowledge|unclear|unknown)\b|\?", re.I)
_CLAIM_SENTENCE = re.compile(r"(?:[^.!?\n]|\.(?=\d))+(?:[.!?]+|$)")  # "$0.01" is no sentence end
CLAIM_MIN_WORDS = 3  # question words a restatement must share at least
VERDICT_MIN_WORDS = 2  # ... words of a claim stated after "true or false?"
CLAIM_SHARE = 0.6  # and this share of the question's words
CLAIM_PREFIX = 5  # "paid" / "paying", "improving" / "improve": one word by its first letters
POLAR_AFTER_WORDS = 3  # words an original states after its yes / no for the claim to count


def _claim_words(text: str) -> list[str]:
    return [w.lower() for w in _CLAIM_WORD.findall(text) if w.lower() not in _CLAIM_STOP]


def _restatements(claim: list[str], text: str, min_words: int = CLAIM_MIN_WORDS,
                  own: tuple[str, ...] = (), claim_text: str = "") -> list[tuple[bool, str]]:
    """The rewrite's clauses that restate a claim (at least CLAIM_SHARE of its words, CLAIM_MIN_WORDS
    at least), each with whether it denies it: a negation in the clause, or the claim's words after
    "rather than". Read by clause, not by sentence: in "X is visible, but it is too narrow to be seen
    without aid" the negation belongs to the second clause, and the first affirms X. `own`: the
    claim's words the other claim lacks ("seeds" in "the spiciest part is the seeds" beside "... is
    the placenta"); a clause restates this claim only with one of them, else the two are one claim
    to it. A condition the claim itself states ("if you were struck by a penny ..., you would be
    injured", `claim_text`) does not make its restatement a condition."""
    if len(claim) < min_words:
        return []
    need = max(min_words, int(CLAIM_SHARE * len(claim) + 0.999))
    own_open = {m.group(0).lower() for m in _CLAIM_OPEN.finditer(claim_text)}
    found: list[tuple[bool, str]] = []
    for s in _CLAIM_SENTENCE.finditer(text):
        if any(m.group(0).lower() not in own_open for m in _CLAIM_OPEN.finditer(s.group(0))):
            continue
        sentence = s.group(0)
        lead = _CONCESSIVE_LEAD.match(sentence)  # "Although some people think X, Y": X and Y are two clauses
        clauses = ([lead.group(0)] if lead else []) + _CLAIM_CLAUSE_BREAK.split(sentence[lead.end() if lead else 0 :])
        found += filter(None, (_restated_clause(claim, need, c, own) for c in clauses))
    return found


_CONCESSIVE_LEAD = re.compile(r"^\s*(?:although|though|even[ \t]+though|while|whereas)\b[^,;:]*,", re.I)


def _same_word(w: str, h: str) -> bool:
    return w == h or (len(w) >= CLAIM_PREFIX and h[:CLAIM_PREFIX] == w[:CLAIM_PREFIX])


_INFLECTION = re.compile(r"(?:ies|es|s|ed|ing)$")


def _same_form(w: str, h: str) -> bool:
    """One word in two inflections ("seed" / "seeds", "digested" / "digest"), not two words that
    share a stem ("digest" / "digestive": `_same_word` takes them as one)."""
    return w == h or _INFLECTION.sub("", w).rstrip("e") == _INFLECTION.sub("", h).rstrip("e")  # "living" / "live"


def _own_words(claim: list[str], other: list[str]) -> tuple[str, ...]:
    """The words of `claim` that `other` does not have (by `_same_form`)."""
    return tuple(w for w in claim if not any(_same_form(w, h) for h in other))


# where a sentence turns to a second clause of its own ("..., but ...", "...; ...", "...: ...", "..., although ...")
_CLAIM_CLAUSE_BREAK = re.compile(r"[ \t]*(?:;|:(?=[ \t])|,?[ \t]+(?:but|however|although|though|yet|whereas)\b,?)[ \t]*", re.I)


def _restated_clause(claim: list[str], need: int, clause: str, own: tuple[str, ...] = ()) -> tuple[bool, str] | None:
    """(denied, clause) when `clause` restates `claim` (shares `need` of its words, and one of `own`
    when given), else None. A clause that calls the claim a misconception or a myth denies it."""
    have = _claim_words(clause)
    shared = sum(any(_same_word(w, h) for h in have) for w in claim)
    if shared < need or (own and not any(_same_form(w, h) for w in own for h in have)):
        return None
    denied = bool(_CLAIM_NEGATION.search(clause)) or any(
        set(_claim_words(c.group(1))) & set(claim) for c in _CLAIM_CONTRAST.finditer(clause))
    # "the myth that you shouldn't sit close" disowns the negated claim: the two cancel
    disowned = bool(_CLAIM_DISOWNED.search(clause)) and not _CLAIM_BORNE_OUT.search(clause)
    return denied != disowned, clause.strip()


# "It is a common misconception that X", "the myth that X", "people often think that X": X reported as
# a belief, denied
# "Many people think X, and they are right", "people rightly believe X": the belief reported and endorsed
_CLAIM_BORNE_OUT = re.compile(r"\b(?:rightly|correctly|accurately)\b|\b(?:and|which)[ \t]+(?:they|it|this|that)[ \t]+"
                              r"(?:are|is|were|was)[ \t]+(?:(?:quite|perfectly|absolutely|entirely)[ \t]+)?"
                              r"(?:right|correct|true|accurate)\b", re.I)
_CLAIM_DISOWNED = re.compile(r"\b(?:misconceptions?|myths?|misbeliefs?|fallacy|urban legend|old wives'? tale|"
                             r"(?:people|many|some|most people)[ \t]+(?:often[ \t]+|commonly[ \t]+|wrongly[ \t]+|mistakenly[ \t]+)?"
                             r"(?:think|believe|assume|claim|say)|(?:commonly|widely|popularly|often|wrongly|mistakenly)[ \t]+"
                             r"(?:believed|thought|assumed|claimed|said))\b", re.I)


def _agreeing(found: list[tuple[bool, str]], flip: bool, how: str) -> Choice | None:
    pols = {denied == flip for denied, _ in found}
    if len(pols) != 1:
        return None
    return Choice(None, pols.pop(), found[0][1][:80], how)


def _question_claim(question: str) -> tuple[list[str], int, str] | None:
    """The claim a closed question asks about, as words, how many a restatement must share, and as
    written."""
    m = _AUX_OPENING.match(question)
    if m is None:
        return None
    asked, _, after = question[m.end() :].partition("?")
    # "Is the following statement true or false? The Great Wall is visible ...": the claim is the
    # statement after the verdict question, not "the following statement"
    framed = bool(_VERDICT_FRAME.search(asked) and after.strip())
    # a stated claim is read whole even when short ("Bats are blind": bats, blind); a question's own
    # words need CLAIM_MIN_WORDS, fewer would match too much
    said = after if framed else asked
    return list(dict.fromkeys(_claim_words(said))), VERDICT_MIN_WORDS if framed else CLAIM_MIN_WORDS, said


def _answer_claim(original: str) -> tuple[list[str], bool, str] | None:
    """The claim an original states after its yes / no, as words, whether it is a denial, and as
    written."""
    m = _POLAR_START.match(original) or _HEDGED_POLAR_START.match(original)
    if m is None:
        return None
    claim = original[m.end() :]
    return list(dict.fromkeys(_claim_words(claim))), bool(_CLAIM_NEGATION.search(claim)), claim


def restated_polarity(question: str, text: str, original: str = "") -> Choice | None:
    """The polarity of the rewrite's sentences that restate the question's claim, when they agree:
    a denial makes it a no. With the `original`, a sentence restates the question's claim only with
    one of the claim's words the original's answer lacks ("seeds" for "Is the spiciest part the
    seeds?" answered "No, the spiciest part is the placenta"): restating the answer is no restating
    of the question."""
    got = _question_claim(question)
    if got is None:
        return None
    claim, least, said = got
    answer = _answer_claim(original) if original else None
    own = _own_words(claim, answer[0]) if answer else ()
    # a claim that is itself a denial ("You shouldn't sit close to the TV because ...") is affirmed
    # by a clause that restates it with its negation
    return _agreeing(_restatements(claim, text, least, own, said), bool(_CLAIM_NEGATION.search(said)),
                     "restated question")


_VERDICT_FRAME = re.compile(r"\b(?:true|false|accurate|correct|right|fact|myth)\b", re.I)


def restated_answer(original: str, polarity: bool, text: str, question: str = "") -> Choice | None:
    """The polarity of the rewrite's sentences that restate the claim the original states after its
    yes / no ("Yes, one customer accounted for 16% of revenue" -> "One customer accounted for 16% of
    our revenue" is yes), when they agree: stated as the original states it, the original's answer;
    with the denial added or dropped, the other one. With the `question`, a sentence restates the
    original's claim only with one of its words the question's claim lacks (the mirror of
    `restated_polarity`)."""
    got = _answer_claim(original)
    if got is None:
        return None
    claim, denied, said = got
    asked = _question_claim(question) if question else None
    own = _own_words(claim, asked[0]) if asked else ()
    return _agreeing(_restatements(claim, text, CLAIM_MIN_WORDS, own, said), denied if polarity else not denied,
                     "restated answer")


# An original's yes / no after a frequency or likelihood word: "Typically, no", "Generally yes". Read
# for the original only (what the rewrite must state); a rewrite's polarity is read as before.
_HEDGED_POLAR_START = re.compile(
    r"^[\s>#*_\"'“]*(?:typically|usually|generally|normally|mostly|often|probably|likely|in general|in most cases)"
    r"[ \t]*,?[ \t]+(yes|no)(?![\w-])(?=[\s]*[,.!:;—–\-]|\s*$)",
    re.I,
)


def original_polarity(text: str) -> Choice | None:
    """`stated_polarity`, and a yes / no after a hedge word at the opening ("Typically, no")."""
    got = stated_polarity(text)
    if got is None:
        m = _HEDGED_POLAR_START.match(text)
        if m:
            got = Choice(None, _POLARITY[m.group(1).lower()], m.group(0).strip(" \t\n>#*_\"'“"), "opening word")
    return got


# --- presence questions answered by a presence or absence statement --------------------------------
# "Can you identify any bug in this function?" answered "There is no bug in this implementation" is a
# closed answer without a yes / no: the absence is the "no". A presence question asks whether
# something exists or is there ("Is there strong evidence that ...?", "Are there carpets that can
# fly?", "Do you see any problems?", "Does it contain any errors?"); its thing is the noun phrase
# after "there is / are" or "any", up to a relative word, a preposition or a verb form. A clause of
# the text that names the thing (every word of its phrase; the head of a defect phrase by any
# defect word: bug, error, issue, problem, ...) states absence with a negation before the thing
# ("no bugs", "I could not find any bug", "Wizards don't exist, so no wizards live ...", "science lacks
# strong evidence", "flying carpets are a myth", "carpets do not have the ability to fly"), presence
# with an existential cue ("there are two bugs", "I found a bug", "the bug is in line 3", "flying
# carpets exist", "Bug: ...", "..., which is a bug"); a qualifier of the thing denied after its head
# states absence ("the evidence is not strong", "there is some evidence, but it's not strong"); a
# clause that only says it may be there ("there might be a bug") states both; a lack denied ("there is no
# lack of evidence") states presence. The head of a qualified thing named without all its qualifiers
# ("evidence" of "strong scientific evidence") is read for an absence only: no evidence is no strong
# evidence, some evidence is not strong evidence.
# The answer is read only where all the clauses that name the thing agree.
_PRESENCE_QUESTION = re.compile(
    r"(?:^|(?<=[.!?\n])\s*)((?:is|are|was|were|do|does|did|can|could|will|would|has|have|had)\b[^.!?\n]*\?)", re.I)
_PRESENCE_THING = re.compile(
    r"^(?:is|are|was|were|will|has|have|had)[ \t]+there[ \t]+(?:be[ \t]+|been[ \t]+)?(.+)$"
    r"|\b(?:any|a single)[ \t]+(.+)$", re.I)
_THING_STOP = re.compile(r"(?:that|which|who|whom|whose|where|when|in|on|at|of|to|for|with|from|about|by|if|than|"
                         r"like|living|left|inside|within|between|because|whether|or|and)$", re.I)
_THING_WORD = re.compile(r"[A-Za-z][\w'’-]*")
PRESENCE_THING_WORDS = 4  # words a thing's phrase keeps at most ("strong scientific evidence")
_DEFECTS = frozenset("bug bugs error errors issue issues problem problems mistake mistakes flaw flaws defect defects "
                     "fault faults".split())
_THING_SKIP = frozenset("a an the any some other such real".split())
_ABSENCE_BEFORE = re.compile(r"\b(?:no|not|never|none|nor|without|free[ \t]+of|nothing|nobody|zero|lacks?|lacking|"
                             r"(?:lack|absence|want|dearth)[ \t]+of|devoid[ \t]+of|fail(?:s|ed)?[ \t]+to)\b|n['’]t\b", re.I)
_PRESENCE_CUE = re.compile(
    r"\bthere(?:['’]s|[ \t]+(?:is|are|was|were|has[ \t]+been|have[ \t]+been|exists?|remains?))\b"
    r"|\b(?:found|find|identified|spotted|noticed|see|detected|contains?|has|have|had|includes?)\b"
    r"|\b(?:exists?|existed)\b|^\s*(?:the|this|that|one|a|an)\b",
    re.I)
_MAYBE = re.compile(r"\b(?:(?:may|might|could)(?:[ \t]+(?:or[ \t]+may[ \t]+not|well))?[ \t]+(?:be|have|exist|contain)|possibly|"
                    r"perhaps|maybe|not sure|unsure|hard to say)\b", re.I)
# "Wizards don't exist", "ghosts are not real", "strong evidence for this does not exist": the thing
# named, then denied to exist, a few words later at most and not across a relative word ("evidence
# that ghosts do not exist" is evidence, not its absence)
_DENIED_AFTER = re.compile(r"^[\w'’-]*(?:[ \t]+(?!(?:that|which|who|whether|showing|suggesting)\b)[\w'’-]+){0,4}?[ \t]+"
                           r"(?:(?:do|does|did)[ \t]*(?:not|n['’]t)[ \t]+exist|(?:are|is|were|was)[ \t]*(?:not|n['’]t)[ \t]+"
                           r"(?:real|there|present)|never[ \t]+existed|(?:is|are)[ \t]+(?:lacking|absent|missing)"
                           # "flying carpets are a myth", "wizards are fictional", "only exist in folk tales"
                           r"|(?:are|is|were|was)[ \t]+(?:(?:only|just|purely)[ \t]+)?(?:(?:a|an)[ \t]+)?(?:myths?|fictional|fiction|"
                           r"imaginary|mythical|make-believe|legendary|legends?|fairy[ \t]+tales?)"
                           r"|(?:only[ \t]+)?(?:exists?|existed|appears?|(?:are|is)[ \t]+found|live|lives)[ \t]+only[ \t]+in"
                           r"|only[ \t]+(?:exists?|existed|appears?|live|lives)[ \t]+in)\b", re.I)
# the thing as the subject of a negated verb, a few words into its clause at most: "carpets do not have the
# ability to fly", "real carpets lack it", "wizards cannot live there" (a question's thing is cut before its
# relative clause or participle, "carpets [that can fly]", so the negated predicate is the absence)
_SUBJECT_DENIED = re.compile(r"^[\w'’-]+(?:[ \t]+[\w'’-]+){0,1}?[ \t]+(?:(?:do|does|did|can|could|will|would|are|is|were|was|"
                             r"have|has|had)[ \t]*(?:not|n['’]t)|cannot|never|lacks?)\b", re.I)
# an absence denied is a presence: "there is no lack of evidence", "no shortage of bugs"
_NO_LACK = re.compile(r"\b(?:no|not|never|hardly)[ \t]+(?:(?:a|any)[ \t]+)?(?:lack|absence|shortage|want|dearth)[ \t]+of\b"
                      r"|\b(?:not|never)[ \t]+(?:lacking|without)\b|n['’]t[ \t]+(?:lack|lacking|without)\b", re.I)
_SUBJECT_LEAD = re.compile(r"^[ \t]*(?:(?:the|these|those|such|real|actual|any)[ \t]+){0,2}$", re.I)
# a strength qualifier of the thing ("strong evidence") denied by a weak word after its head: "the evidence
# is weak", "the evidence remains inconclusive"
_STRENGTH = frozenset("strong conclusive solid convincing compelling robust reliable clear good firm hard definitive".split())
_WEAK_AFTER = re.compile(r"^[\w'’-]*(?:[ \t]+(?!(?:that|which|who|whether)\b)[\w'’-]+){0,4}?[ \t]+(?:is|are|was|were|remains?|"
                         r"seems?|appears?)[ \t]+(?:(?:very|rather|quite|too|still|at[ \t]+best|only)[ \t]+)?(?:weak|limited|"
                         r"inconclusive|mixed|scant|scarce|thin|insufficient|unconvincing|poor|sparse|anecdotal)\b", re.I)
# a qualifier of the thing denied after its head: "the evidence is not strong", "there is some evidence
# ..., but it's not strong" (the head granted, the qualifier taken back: the thing asked about is absent)
_QUALIFIER_DENIED = r"(?:\bnot|n['’]t|\bnever|\bhardly|\bfar[ \t]+from)[ \t]+(?:(?:very|particularly|that|so|especially|yet|all)[ \t]+)?{}\b"
_SENTENCE = re.compile(r"[.!?;\n]+")
# a defect named as a label ("Bug: the loop never ends", "Issue found: ...") or as what something is
# ("..., which is a bug"): its presence
_DEFECT_LABEL = re.compile(r"^[\w'’-]+(?:[ \t]+(?:found|spotted|identified|here))?[ \t]*:", re.I)
_IS_BEFORE = re.compile(r"\b(?:is|are|was|were)[ \t]+(?:(?:a|an|the|one|two|three|several|another|real|serious|subtle|"
                        r"clear|major|minor|small|big)[ \t]+){0,2}$", re.I)
_FREE_OF = re.compile(r"\b([A-Za-z]+)-free\b")  # "bug-free" read as "free of bug"
_PRESENCE_CLAUSE = re.compile(r"[.!?;\n]+|,?[ \t]+(?:but|however|although|though|yet|whereas|so)\b,?|,[ \t]+(?=(?:and|which)\b)",
                              re.I)


@dataclass(frozen=True)
class Thing:
    words: tuple[str, ...]  # the thing's phrase, lower case ("strong", "evidence")
    defect: bool  # its head is a defect word: any defect word names it
    shown: str


def presence_thing(question: str) -> Thing | None:
    """The thing a presence question asks about, or None when `question` asks none."""
    for q in _PRESENCE_QUESTION.finditer(question):
        m = _PRESENCE_THING.search(q.group(1).rstrip("?").strip())
        if m is None:
            continue
        words: list[str] = []
        for w in _THING_WORD.findall(m.group(1) or m.group(2)):
            if _THING_STOP.match(w) or w.lower().endswith(("ing", "ed")) and words:
                break
            if w.lower() not in _THING_SKIP:
                words.append(w.lower())
            if len(words) >= PRESENCE_THING_WORDS:
                break
        if words:
            return Thing(tuple(words), words[-1] in _DEFECTS, " ".join(words))
    return None


def _names_thing(clause: str, thing: Thing) -> int | None:
    """Where `clause` names the thing (the start of its head), or None."""
    have = [(m.start(), m.group(0).lower()) for m in _THING_WORD.finditer(clause)]
    if thing.defect:
        return next((at for at, h in have if h in _DEFECTS), None)
    head = thing.words[-1]
    if not all(any(_same_form(w, h) or _same_word(w, h) for _, h in have) for w in thing.words):
        return None
    return next((at for at, h in have if _same_form(head, h) or _same_word(head, h)), None)


def _names_head(clause: str, thing: Thing) -> int | None:
    """Where `clause` names the head of a qualified thing without all its qualifiers ("evidence" of
    "strong scientific evidence"), or None. An absence of the bare head is the absence of the thing
    ("Science lacks strong evidence that ..." answers "Is there strong scientific evidence ...?"); a
    presence of it is not its presence, so only an absence said of the head is read."""
    if thing.defect or len(thing.words) < 2:
        return None
    return next((m.start() for m in _THING_WORD.finditer(clause)
                 if _same_form(thing.words[-1], m.group(0).lower()) or _same_word(thing.words[-1], m.group(0).lower())),
                None)


def _absence_at(clause: str, at: int, thing: Thing) -> bool:
    """Whether `clause`, which names the thing at `at`, states its absence: a negation before it ("no
    wizards", "science lacks strong evidence"), a denial after it ("wizards don't exist", "carpets are
    a myth"), a qualifier taken back ("the evidence is not strong", "the evidence is weak"), or the thing
    as the subject of a negated verb ("carpets do not have the ability to fly")."""
    after = clause[at:]
    return bool(_ABSENCE_BEFORE.search(clause[:at]) or _DENIED_AFTER.match(after) or _qualifier_denied(thing, after)
                or (_STRENGTH & set(thing.words[:-1]) and _WEAK_AFTER.match(after))
                or (not thing.defect and _SUBJECT_LEAD.match(clause[:at]) and _SUBJECT_DENIED.match(after)))


def _qualifier_denied(thing: Thing, after: str) -> bool:
    """Whether `after` (the text from the thing's head on) denies one of the words that qualify the head
    ("strong" of "strong evidence": "... is not strong")."""
    return any(re.search(_QUALIFIER_DENIED.format(re.escape(q)), after, re.I) for q in thing.words[:-1])


def presence_polarity(question: str, text: str) -> Choice | None:
    """Whether `text` states the presence (True) or the absence (False) of what the presence
    question `question` asks about, when its clauses that name it agree; None otherwise."""
    thing = presence_thing(question)
    if thing is None:
        return None
    text = _FREE_OF.sub(r"free of \1", text)
    said: list[tuple[bool, str]] = []
    for clause in _PRESENCE_CLAUSE.split(text):
        at = _names_thing(clause, thing)
        head_only = at is None
        if head_only:
            at = _names_head(clause, thing)
        if at is None:
            continue
        before = clause[:at]
        if _MAYBE.search(clause):
            said += [(True, clause.strip()), (False, clause.strip())]
        elif _NO_LACK.search(before):
            if not head_only:
                said.append((True, clause.strip()))
        elif _absence_at(clause, at, thing):
            said.append((False, clause.strip()))
        elif head_only:
            continue
        elif _PRESENCE_CUE.search(clause) or (
                thing.defect and (_DEFECT_LABEL.match(clause[at:]) is not None or _IS_BEFORE.search(before) is not None)):
            said.append((True, clause.strip()))
    # the head granted in one clause and a qualifier denied in the next, within one sentence
    for sentence in _SENTENCE.split(text):
        if not any(_names_thing(c, thing) is not None for c in _PRESENCE_CLAUSE.split(sentence)):
            head = next((m.start() for m in _THING_WORD.finditer(sentence)
                         if _same_form(thing.words[-1], m.group(0).lower())), None)
            if head is not None and _qualifier_denied(thing, sentence[head:]):
                said.append((False, sentence.strip()))
    pols = {p for p, _ in said}
    if len(pols) != 1:
        return None
    return Choice(None, pols.pop(), said[0][1][:80], "presence statement")


def answer_presence(question: str, original: str) -> Choice | None:
    """`presence_polarity` of an original, when it makes a closed answer: an absence ("There is no bug
    in this implementation"), or a defect's presence ("There are two bugs: ..."). Another presence
    ("Are there any good books on X?" answered "There are many good books: A, B, C") is the opening of
    an open answer, which a rewrite may give without the existential ("Good books on X include A, B
    and C"): not locked."""
    got = presence_polarity(question, original)
    thing = presence_thing(question)
    if got is None or thing is None or (got.polarity and not thing.defect):
        return None
    return got


def _presence_mixed(question: str, text: str) -> str:
    """The first clause of `text` naming the presence question's thing, when its clauses state both
    presence and absence or only that it may be there; "" otherwise."""
    thing = presence_thing(question)
    if thing is None:
        return ""
    named = [c.strip() for c in _PRESENCE_CLAUSE.split(text) if _names_thing(c, thing) is not None]
    return named[0][:80] if named and presence_polarity(question, text) is None and any(
        _MAYBE.search(c) or _ABSENCE_BEFORE.search(c) or _PRESENCE_CUE.search(c) for c in named) else ""


def _polar_word(p: bool, shown: str) -> str:
    s = shown.lower()
    if "true" in s or "false" in s:
        return "true" if p else "false"
    return "yes" if p else "no"


def check_choice(inp: CheckInput, options_: VerifyOptions) -> CheckResult:
    options = parse_options(inp.instruction)
    if options:
        return _check_options(inp, options)
    picked = alternative_pick(inp.instruction, inp.original)
    if picked is not None:
        return check_alternatives(inp, *picked)
    ref = original_polarity(inp.original) or answer_presence(inp.instruction, inp.original)
    if ref is None:
        return CheckResult(
            name=NAME,
            passed=True,
            reason="not applicable: the instruction lists no options and the original gives no yes/no or true/false "
            "answer, nor states the presence or absence a presence question asks about",
        )
    assert ref.polarity is not None
    want = _polar_word(ref.polarity, "" if ref.how == "presence statement" else ref.shown)
    got = stated_polarity(inp.candidate)
    # a presence question: the rewrite's presence / absence statements are its answer too, and must
    # agree with its yes / no ("No. ... On a second look there is a bug" says both)
    present = presence_polarity(inp.instruction, inp.candidate) if presence_thing(inp.instruction) else None
    if got is not None and present is not None and got.polarity != present.polarity:
        return CheckResult(
            name=NAME,
            passed=False,
            reason=f"closed answer contradicted: the rewrite states {_polar_word(bool(got.polarity), want)!r} "
            f"({got.shown!r}) and {_polar_word(bool(present.polarity), want)!r} ({present.shown!r})",
        )
    # a presence question's rewrite stating no yes / no and its thing both present and absent, or only maybe
    # there, is hedged whatever form the original's answer took ("Yes — ..." made "There might be a bug")
    if got is None and present is None and presence_thing(inp.instruction):
        mixed = _presence_mixed(inp.instruction, inp.candidate)
        if mixed:
            return CheckResult(name=NAME, passed=False, reason=f"closed answer contradicted or hedged: the original "
                               f"answers {want!r} ({ref.shown!r}), the rewrite says both ({mixed!r})")
    got = got or present
    if got is None and ref.how == "opening word" and len(inp.original.split()) > POLAR_AFTER_WORDS:
        asked = restated_polarity(inp.instruction, inp.candidate, inp.original)
        # the question's claim read in the original's own words must give the original's answer (or
        # nothing): "If you swallow gum, you will digest it?" answered "No. ... it will pass through your
        # digestive system" restates the claim by its words and denies it by its sense, which words
        # cannot read, so the question's claim decides nothing for this original
        own = restated_polarity(inp.instruction, _answer_claim(inp.original)[2] if _answer_claim(inp.original) else "",
                                inp.original)
        if own is not None and own.polarity != ref.polarity:
            asked = None
        answered = restated_answer(inp.original, ref.polarity, inp.candidate, inp.instruction)
        if asked is not None and answered is not None and asked.polarity != answered.polarity:
            return CheckResult(
                name=NAME,
                passed=False,
                reason=f"closed answer contradicted: the rewrite affirms {_polar_word(bool(asked.polarity), want)!r} "
                f"restating the question ({asked.shown!r}) and {_polar_word(bool(answered.polarity), want)!r} "
                f"restating the original ({answered.shown!r})",
            )
        got = asked or answered
    if got is None:
        return CheckResult(
            name=NAME,
            passed=False,
            reason=f"closed answer missing: the original answers {want!r}, the rewrite does not open with or state "
            f"yes/no/true/false",
        )
    have = _polar_word(bool(got.polarity), got.shown)
    if got.polarity != ref.polarity:
        return CheckResult(
            name=NAME,
            passed=False,
            reason=f"closed answer changed: the original answers {want!r}, the rewrite states {have!r} ({got.shown!r})",
        )
    return CheckResult(name=NAME, passed=True, reason=f"closed answer kept: {want!r} ({got.how} {got.shown!r})")


_TEXT_CUE = (r"\b(?:answer|correct[ \t]+(?:option|choice)|best[ \t]+(?:option|choice|answer))[ \t]+"
             r"(?:is|would[ \t]+be|should[ \t]+be|must[ \t]+be)[ \t]*:?[ \t]*(?:\*\*)?[ \t]*(?:\(?[A-H]\)[ \t]*)?")


def _cued_text(text: str, option: str) -> bool:
    """Whether `text` states `option`'s text after an answer cue ("the answer is The Muslim one")."""
    t = option.strip().strip(".").strip()
    if not t or len(t) > 120:
        return False
    return re.search(_TEXT_CUE + re.escape(t) + r"(?![\w])", text, re.I) is not None


def _original_letter(text: str, options: dict[str, str]) -> tuple[str, str] | None:
    letters = stated_letters(text, options)
    if letters:
        return letters[-1] if len({l for l, _ in letters}) == 1 else letters[0]
    texts = mentioned_option_texts(text, options)
    if len(texts) == 1:
        return texts[0], options[texts[0]]
    return None


def _check_options(inp: CheckInput, options: dict[str, str]) -> CheckResult:
    ref = _original_letter(inp.original, options)
    if ref is None:
        return CheckResult(
            name=NAME,
            passed=True,
            reason=f"not applicable: the original states none of the options {', '.join(options)} unambiguously",
        )
    want, _ = ref
    want_s = f"({want}) {options[want][:60]}"
    letters = stated_letters(inp.candidate, options)
    distinct = list(dict.fromkeys(l for l, _ in letters))
    if distinct:
        # "(A) The Jewish one. On a second reading, the answer is The Muslim one": a letter, then
        # another option's text stated as the answer
        restated = [l for l in options if l != want and _cued_text(inp.candidate, options[l])]
        if distinct == [want] and restated:
            got = restated[0]
            return CheckResult(name=NAME, passed=False, reason=f"option changed: the rewrite states {want_s} and then "
                               f"({got}) {options[got][:60]} as the answer")
        if distinct == [want]:
            return CheckResult(name=NAME, passed=True, reason=f"option kept: {want_s} ({letters[0][1]!r})")
        if len(distinct) > 1:
            return CheckResult(
                name=NAME,
                passed=False,
                reason=f"rewrite states several options: {', '.join(distinct)}; expected only {want_s} (original)",
            )
        got = distinct[0]
        return CheckResult(
            name=NAME,
            passed=False,
            reason=f"option changed: the original chose {want_s}, the rewrite states ({got}) {options[got][:60]}",
        )
    texts = mentioned_option_texts(inp.candidate, options)
    if want in texts:
        others = [l for l in texts if l != want]
        if others and _HEDGE_WORDS.search(inp.candidate):
            return CheckResult(
                name=NAME,
                passed=False,
                reason=f"rewrite hedges between options: {want_s} and "
                + ", ".join(f"({l}) {options[l][:40]}" for l in others) + "; expected only the original's",
            )
        return CheckResult(
            name=NAME, passed=True, reason=f"option kept: the rewrite states the option text of {want_s}"
        )
    if texts:
        return CheckResult(
            name=NAME,
            passed=False,
            reason=f"option changed: the original chose {want_s}, the rewrite names "
            + ", ".join(f"({l}) {options[l][:40]}" for l in texts),
        )
    return CheckResult(
        name=NAME,
        passed=False,
        reason=f"option missing: the original chose {want_s}, the rewrite states no option letter or option text",
    )


def make_check(options: VerifyOptions) -> Check:
    def check(inp: CheckInput) -> CheckResult:
        return check_choice(inp, options)

    return check


# --- alternatives offered inline in the question -------------------------------------------------
# "Which is larger, 9.11 or 9.9?", "What is the capital of Australia, Sydney or Canberra?", "Which
# is heavier between a kilo of feathers and a kilo of steel?": the question offers alternatives and
# an original that asserts one of them picked it. Assertion is read with the label module's
# mention reader (negation "not Sydney", contrast "Canberra, not Sydney", corrections, hedges).

ALT_MAX_WORDS = 5
# the question's last sentence: alternatives after its first comma or colon, or after "between"
_SENT = r"(?:[^.!?\n]|\.(?=\w))"  # "9.11" stays in its sentence
_ALT_LEAD = re.compile(r"(?:^|[.!?][\"'”’)]*,?\s+)(?P<lead>" + _SENT + r"*?(?:,|:|\bbetween\b))[ \t]*(?P<alts>" + _SENT
                       + r"+?)[ \t]*\?", re.I)
# ... or a question followed by its alternatives: "Which is a species of fish? Tope or Rope"
_ALT_TAIL = re.compile(r"(?:^|[.!?\n]\s*)(?P<lead>[^.!?\n]{3,200}\?)[ \t]*\n?[ \t]*(?P<alts>[^.!?\n]{1,120}?"
                       r"[ \t]or[ \t][^.!?\n]{1,60}?)[ \t.]*$")
# a question offering a word and its negation ("wrong or not wrong", "acceptable or not acceptable?"): the
# two alternatives are fixed by the repeated word, with or without a comma before them ("ethical or
# unethical" is a label family of its own, label.py)
_SELF_NEGATION = re.compile(r"\b([a-z][\w-]*)[ \t]+or[ \t]+not[ \t]+\1\b(?=[^?\n]*\?)", re.I)
_ALT_WORD = re.compile(r"[ \t]or[ \t]|\bbetween\b", re.I)
# a question that asks for a pick: "Which ...", "Who ...", "Is it ...", "Should I ...", "... choose ..."
_CHOICE_LEAD = re.compile(r"^\W*(?:which|who|whom|whose|what|where|is|are|was|were|do|does|did|should|would|could|can|"
                          r"will|shall)\b(?!\W+(?:many|much|long|far|often)\b)|\b(?:choose|pick|prefer|rather|select)\b",
                          re.I)
_ALT_ARTICLE = re.compile(r"^(?:a|an|the)[ \t]+", re.I)
# the third value of a three-valued closed question
_UNDETERMINED = re.compile(r"uncertain|unknown|undetermined|maybe|unclear|not sure|can(?:not|'t) (?:be )?(?:tell|say|determined?)"
                           r"|not enough information|insufficient information|it depends", re.I)
# a comparison "X is <comparative> than Y": its subject is asserted only when the question asks
# with the same comparative ("larger"); "9.11 is smaller than 9.9" answers the question in reverse
_COMPARATIVE = re.compile(
    r"[ \t]+(?:is|are|was|were)[ \t]+(?:(?:much|far|slightly|a bit|even|still|definitely)[ \t]+)?"
    r"(?P<cmp>(?:more|less)[ \t]+\w+|\w+er|better|worse)[ \t]+than[ \t]+",
    re.I,
)


def inline_alternatives(instruction: str) -> list[str]:
    """The alternatives a question offers inline ("A or B", "A, B or C", "between A and B")."""
    if "?" not in instruction:
        return []
    # cheap exit: most instructions offer no alternatives (the plain substrings first: the
    # case-blind regex scan of every position costs ten times more)
    low = instruction.lower()
    if not ("between" in low or " or" in low or "\tor" in low) or not _ALT_WORD.search(instruction):
        return []
    m = _SELF_NEGATION.search(instruction)
    if m:  # "Is the following action wrong or not wrong?": a word and its negation, read without a comma
        return [m.group(1), f"not {m.group(1)}"]
    m = _ALT_TAIL.search(instruction)
    if m and _CHOICE_LEAD.search(m.group("lead")):  # "Which is a species of fish? Tope or Rope"
        alts = _alt_parts(m.group("alts"))
        if alts:
            return alts
    for line in instruction.splitlines():
        if "?" not in line:
            continue
        for m in _ALT_LEAD.finditer(line):
            if not _CHOICE_LEAD.search(m.group("lead")):
                continue  # "How many miles between his first and second stops?" asks for no pick
            between = re.search(r"\bbetween$", m.group("lead"), re.I) is not None
            if between and re.search(r"\b(?:difference|differences|relationship|similarities|link|connection|"
                                     r"compare|comparison|contrast)\b", m.group("lead"), re.I):
                continue  # "the difference between A and B?" asks for no pick
            chunk = m.group("alts")
            if not re.search(r"[ \t]and[ \t]" if between else r"[ \t]or[ \t]", chunk):
                continue  # "A and B?" offers no choice; "between A and B" does
            alts = _alt_parts(chunk)
            if alts:
                return alts
    return []


def _alt_parts(chunk: str) -> list[str]:
    parts = re.split(r"[ \t]*,[ \t]*(?:or[ \t]+|and[ \t]+)?|[ \t]+or[ \t]+|[ \t]+and[ \t]+", chunk.strip())
    alts = [_ALT_ARTICLE.sub("", p.strip(" \t\"'“”*_.")) for p in parts]
    alts = [a for a in alts if a]
    if any(re.search(r"\b(?:yes|no|true|false)$", a, re.I) for a in alts) and not (
            any(_UNDETERMINED.fullmatch(a) for a in alts)
            and all(_UNDETERMINED.fullmatch(a) or re.fullmatch(r"yes|no|true|false", a, re.I) for a in alts)):
        # "Answer yes or no": a closed question, read by stated_polarity. A third, undetermined
        # value ("true, false, or uncertain", "yes, no or maybe") makes it a pick among three:
        # polarity cannot read "Uncertain." at all, so such an answer would hold nothing
        return []
    if 2 <= len(alts) <= 5 and all(len(a.split()) <= ALT_MAX_WORDS for a in alts) \
            and len({a.lower() for a in alts}) == len(alts):
        return alts
    return []


def _alt_family(alts: list[str]):  # -> label.Family (imported late: label imports nothing from here)
    from realign.verify.label import Family, family_from_labels

    if UNKNOWN in alts:  # "the context does not tell" in its many wordings
        return Family("people in the context", {a.lower(): list(UNKNOWN_FORMS) if a == UNKNOWN else [] for a in alts})
    return family_from_labels(tuple(a.lower() for a in alts), "alternatives in the question")


def _asserted(text: str, alts: list[str], instruction: str) -> tuple[list[str], list[str], list[str]]:
    """(prominent, all) alternatives `text` asserts, and the ones it denies; comparisons read
    as the question asks them (a reversed comparison's two sides are left out)."""
    from realign.verify.label import find_mentions

    fam = _alt_family(alts)
    asked = {" ".join(m.group(0).lower().split()) for m in re.finditer(
        r"\b(?:more|less)[ \t]+\w+|\b\w+er\b|\bbetter\b|\bworse\b", instruction, re.I)}
    ms = find_mentions(text, fam)
    drop: set[int] = set()
    for a, b in zip(ms, ms[1:]):
        m = _COMPARATIVE.fullmatch(text[a.end : b.start])
        if m is None:
            continue
        drop.add(b.start)  # "than Y" is not Y asserted
        if " ".join(m.group("cmp").lower().split()) not in asked:
            drop.add(a.start)  # a reversed comparison: neither side is the pick as asked
    kept = [m for m in ms if m.start not in drop]
    pos = [m for m in kept if not m.negated]
    denied = [m.label for m in kept if m.negated]
    prom = [m for m in pos if m.prominent]
    return list(dict.fromkeys(m.label for m in prom)), list(dict.fromkeys(m.label for m in pos)), denied


# --- "Who ...?" about the people a context names ------------------------------------------------
# "A Muslim person and a Jewish person were seen fleeing ... Who likely planted the bomb?" (BBQ) asks
# for one of the people the context names, or for "cannot be determined" when the context does not
# tell. An original that is such a short answer ("The Muslim one", "Can't answer") picks one of two
# alternatives: the person it names (by the words the context also has) and "cannot be determined".
# The rewrite must assert the same one: another person (the pick missing or denied), a switch between
# a person and "cannot be determined", or a hedge ("it could be the Muslim one or ...") changes it.

UNKNOWN = "cannot be determined"
UNKNOWN_FORMS = ("can't be determined", "can not be determined", "cannot answer", "can't answer", "not answerable",
                 "unanswerable", "not enough info", "not enough information", "insufficient information", "unknown",
                 "not known", "undetermined", "can't tell", "cannot tell", "can't say", "cannot say", "impossible to tell",
                 "impossible to say", "impossible to determine", "impossible to know", "not possible to tell",
                 "not possible to determine", "not possible to know", "no way to tell", "no way to know",
                 "does not say", "doesn't say", "not specified", "not stated", "unclear", "cannot be known",
                 "can't be known", "cannot be answered", "can't be answered")
_PERSON_NOUN = (r"(?:person|people|one|friend|man|woman|guy|boy|girl|lady|individual|student|client|customer|neighbou?r|"
                r"parent|child|kid|employee|worker|candidate|applicant|patient|speaker|partner|colleague|co-?worker|"
                r"roommate|passenger|driver|teacher|doctor|nurse)")
_WHO_QUESTION = re.compile(r"(?:^|[.!?]\s+)(?:who|whom|(?:which|what)\s+(?:(?:type|kind|group|sort)\s+of\s+|[\w-]+\s+)?"
                           + _PERSON_NOUN
                           + r"s?)\b[^.!?\n]*\?\s*$", re.I)
_UNKNOWN_ANSWER = re.compile(r"^\W*(?:it\s+)?(?:" + "|".join(map(re.escape, (UNKNOWN, *UNKNOWN_FORMS))) + r")\W*$", re.I)
# the words of a short answer that name nobody in particular: "The Muslim one" names "Muslim"
_PERSON_FILLER = re.compile(r"^(?:the|a|an|it\s+was|it\s+is)\s+|\s+" + _PERSON_NOUN + r"$", re.I)
_PERSON_LINK = re.compile(r"^(?:with|who\s+(?:has|had|is|was|uses|used)|that\s+(?:has|is)|carrying|holding|using|wearing|"
                          r"in|on|from|of)\s+(?:(?:a|an|the|their|his|her)\s+)?", re.I)
WHO_MAX_WORDS = 8


def context_pick(instruction: str, original: str) -> tuple[list[str], str] | None:
    """([the person the original names, "cannot be determined"], the original's one) when the
    instruction is a context and a "Who ...?" question and the original is a short answer naming a
    person the context names (by words the context has) or saying the context does not tell."""
    # the tests on the short answer first: they are cheap, and a worked solution fails them at once
    if "\n" in original.strip() or len(original.split()) > WHO_MAX_WORDS or not _WHO_QUESTION.search(instruction):
        return None
    if _UNKNOWN_ANSWER.match(original):
        return [UNKNOWN], UNKNOWN
    pick = original.strip().strip(".!*_\"'“”").strip()
    for _ in range(2):
        pick = _PERSON_FILLER.sub("", pick).strip()
    context = instruction[: _WHO_QUESTION.search(instruction).start()]
    # "The man carrying a stack of papers" for "... one carrying a stack of papers and the other ...",
    # "The person with a mental illness" for "My neighbor, who has a mental illness, ...": the words
    # after the person noun and its joining word name the person
    bare = re.sub(r"^" + _PERSON_NOUN + r"\s+", "", pick, flags=re.I)
    described = _PERSON_LINK.sub("", bare)
    for name in dict.fromkeys((pick, bare, described)):
        if len(name) >= 3 and re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", context, re.I):
            return [name.lower(), UNKNOWN], name.lower()
    return None


def alternative_pick(instruction: str, original: str) -> tuple[list[str], str] | None:
    """(alternatives, the one the original asserts) when the question offers alternatives inline
    and the original asserts exactly one of them; None when it is unclear (never a guess)."""
    alts = inline_alternatives(instruction)
    if not alts:
        return context_pick(instruction, original)
    _, pos, _ = _asserted(original, alts, instruction)
    return (alts, pos[0]) if len(pos) == 1 else None


def check_alternatives(inp: CheckInput, alts: list[str], want: str) -> CheckResult:
    from realign.verify.label import _hedge

    shown = " / ".join(alts)
    hedge = _hedge(inp.candidate, _alt_family(alts), want, inp.instruction)
    if hedge:
        return CheckResult(name=NAME, passed=False, reason=f"rewrite hedges between the question's alternatives: "
                           f"{hedge!r}; expected only {want!r} (original)")
    prom, pos, denied = _asserted(inp.candidate, alts, inp.instruction)
    from realign.verify.label import find_mentions

    revised = [m.label for m in find_mentions(inp.candidate, _alt_family(alts)) if m.corrected and not m.negated
               and m.label != want]
    if revised:
        return CheckResult(name=NAME, passed=False, reason=f"alternative revised: the original picks {want!r}, the "
                           f"rewrite corrects itself to {revised[0]!r}")
    # a person picked from a context is hedged by "it could be the Muslim one or ..." even with the
    # other person unnamed by the family
    if (len(pos) > 1 or (UNKNOWN in alts and want != UNKNOWN)) and want in pos and _HEDGE_WORDS.search(inp.candidate):
        # "It could be A or B", even when "A or B" echoes the question
        return CheckResult(name=NAME, passed=False, reason=f"rewrite hedges between the question's alternatives: "
                           f"{', '.join(repr(p) for p in pos)}; expected only {want!r} (original)")
    stated = prom or pos
    others = [a for a in stated if a != want]
    if others:
        return CheckResult(name=NAME, passed=False, reason=f"alternative changed: the original picks {want!r} "
                           f"({shown}), the rewrite asserts {', '.join(repr(o) for o in others)}")
    if want in pos:
        return CheckResult(name=NAME, passed=True, reason=f"alternative kept: {want!r} ({shown})")
    if want in denied:
        return CheckResult(name=NAME, passed=False, reason=f"alternative negated: the original picks {want!r}, "
                           "the rewrite denies it")
    return CheckResult(name=NAME, passed=False, reason=f"alternative missing: the original picks {want!r} ({shown}), "
                       "the rewrite asserts none of the alternatives")
