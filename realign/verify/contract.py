"""The answer contract of one assistant turn: what the rewrite must keep, read from the original
response and the instruction, never from the predicted task.

A rewrite may change the form of an answer, never the answer. Before a turn is rewritten its
contract is read once; its checks run for every candidate whatever the task's criteria say (the
criteria may add checks, never remove these). Kinds, in the order they are looked for:

- ``number``: an explicit final answer (``#### N``, ``\\boxed{}``, "The answer is", "Answer:",
  "A:") or an original that is only a number ("18 eggs") to a question that gives numbers to
  compute with (a bare number to a question with at most one number and no operation, "291
  episodes", is a looked-up fact: ``facts``).
  Checks: math_answer, plus answer_line when the original has a ``#### N`` line, and arithmetic
  and working_kept (its intermediate results kept) when it writes out calculations.
- ``option``: the instruction lists options A), B), ... and the original picks one, or the question
  offers alternatives inline ("Which is larger, 9.11 or 9.9?", "between A and B") and the
  original asserts exactly one of them, or a "Who ...?" question names a person of its context or
  "cannot be determined" (choice.alternative_pick, choice.context_pick; unclear: no contract).
  choice_answer.
- ``label``: a closed label: one of the labels the instruction offers, a bare label answer
  ("Negative", "Not spam"), or yes / no / true / false answering a closed question, or the
  presence or absence a presence question asks about ("Can you identify any bug?" answered "There
  is no bug in this implementation": no; choice.presence_polarity). label or
  choice_answer. An original that labels several items ("Dog: mammal\nEagle: bird", a table)
  holds each item's label (value "Dog -> mammal; Eagle -> bird"). label.
- ``code``: the original has code (fenced, <pre>, or unfenced code). code_preserved.
- ``list``: no closed answer, and the original is a list of short items, of "Term:
  explanation" items, or of full-sentence items the request counts or calls a list ("generate
  5 questions", lists.py): every item kept, in order when the request asks for one.
  list_items (and key_facts beside a short list of sentences, as for ``facts``). Beside fenced code the list outside the code is held as well (kind ``code``,
  checks code_preserved and list_items), beside a label (kind ``label``, checks label and
  list_items) and beside a pick among alternatives the question names (kind ``option``, checks
  choice_answer and list_items): a list answer that uses one class name of the request is not
  surely a label answer, and the listed reasons of a closed answer are part of what it says;
  unfenced code is the whole answer, no list.
- ``facts``: a short factual answer (at most ``FACTS_MAX_CHARS``) to a request for facts (who,
  when, where, which, what, how many, name, list), or any answer of at most
  ``FACTS_ANY_REQUEST_CHARS``, stating numbers or names the question does not give. key_facts.
- ``none``: nothing deterministic to hold on to; only the generic checks (and the optional judge).

A turn can carry more than one lock (a math answer with a program); ``kind`` is the first found,
``checks`` holds them all.

>>> c = read_contract("How much does she make?", "She sells 9 eggs at $2.\\n#### 18")
>>> c.kind, c.value, c.checks
('number', '18', ['math_answer', 'answer_line', 'key_facts'])
>>> read_contract("Who wrote Harvest Moon?", "Neil Young wrote it in 1992.").kind
'facts'
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from realign.verify.answer_line import answer_lines
from realign.verify.choice import (_AUX_OPENING, _original_letter, alternative_pick, answer_presence, original_polarity,
                                    parse_options)
from realign.verify.code import code_of, extract_code_blocks
from realign.verify.facts import answer_facts, describe
from realign.verify.lists import order_asked, read_list
from realign.verify.math import extract_reference, format_value
from realign.verify.options import VerifyOptions

ContractKind = Literal["number", "option", "label", "code", "list", "facts", "none"]
KINDS: tuple[str, ...] = ("number", "option", "label", "code", "list", "facts", "none")
DETERMINISTIC: frozenset[str] = frozenset({"number", "option", "label", "code", "list", "facts"})

# An original longer than this is not a "short factual answer": its names and numbers are
# explanation, not the answer, and locking them would reject every real reformatting.
FACTS_MAX_CHARS = 400
# An original this short is an answer whatever the request looks like: search-style queries
# ("india south africa test series 2018 highest runs") are not phrased as questions.
FACTS_ANY_REQUEST_CHARS = 100
# An original that states only a number and at most this many words is a number answer ("18
# eggs"); a longer one with one number ("Paris has 2 million people") is a facts answer.
BARE_NUMBER_WORDS = 4
# A yes / no opening locks the answer only in a short original that answers a closed question:
# "Yes! Here is a recipe ..." to "Can you give me a recipe?" is politeness, not an answer.
POLAR_MAX_CHARS = 300

_CLOSED_QUESTION = re.compile(
    r"(?:^|[.!?\n]\s*)(?:is|are|was|were|do|does|did|can|could|will|would|should|shall|has|have|had|may|might|must)"
    r"\b[^.!?\n]*\?|\btrue or false\b|\byes or no\b|\b(?:true|false)\s*[?:]",
    re.I,
)
_MONTH = re.compile(r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
                    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?[ \t]+\d", re.I)
_CALCULATION = re.compile(r"\d\s*[+\-*/×x÷]\s*\(?\s*\$?\d[\d.,]*\s*\)?\s*=\s*\$?\d")
# ... or a GSM8K calculator note ("<<100/4=25>>"), or an equation in an unknown ("7x = 700")
_NOTE_OR_EQUATION = re.compile(r"<<[^<>=\n]{1,160}=[^<>\n]{1,40}>>|\d[a-zA-Z]\s*=\s*\$?\d")
# A request for facts: who / when / where / which / what / how many ..., "name the ...", "list".
# "Explain why" and "describe how" ask for an explanation, whose names and numbers are not the answer.
_FACT_QUESTION = re.compile(
    r"\b(?:who|whom|whose|when|where|which|what|how (?:many|much|long|old|far|big|tall|high|fast|often)|"
    r"name|list|identify|in what|what year)\b",
    re.I,
)


class AnswerContract(BaseModel):
    """What a rewrite of one turn must keep; stored per turn and shown by `realign show`."""

    kind: ContractKind = "none"
    value: str = ""  # the answer as a person reads it: "18", "(B) Paris", "negative", "Neil Young, 1992"
    found: str = ""  # where it was read: "'#### 18' line of the original", "options in the instruction"
    checks: list[str] = Field(default_factory=list)  # the checks that enforce it

    @property
    def deterministic(self) -> bool:
        return self.kind in DETERMINISTIC


NONE = AnswerContract()
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_OPERATION = re.compile(r"\d\s*[-+*/x×÷^%]\s*\d|\d\s*%|\b(?:percent|sum|product|total|plus|minus|times|divided|"
                        r"square root|squared|cubed|average)\b", re.I)


_CUE_HEAD = re.compile(r"^\W*(?:(?:the\s+)?(?:final\s+)?answer\s*(?:is|:)|answer:)?[\s:*]*", re.I)
_NAMED = re.compile(r"(?!(?:About|Approximately|Around|Roughly|Exactly|Nearly|Over|Under|Almost|Only|Just|"
                    r"Total|Yes|No|It|There|He|She|They|We|A|An|The)\b)[A-Z][\w'’.-]*\s+[^\d$]*\d")


def _at_most_one_number(text: str) -> bool:
    numbers = _DIGITS.finditer(text)
    next(numbers, None)
    return next(numbers, None) is None  # stops at the second number instead of reading them all


def _number(instruction: str, original: str) -> AnswerContract | None:
    ref = extract_reference(original, question=instruction)
    if ref is None or ref.conflicting or _MONTH.search(ref.text):
        return None  # "The answer is April 7, 2016" is a date: a facts answer, not one number
    if not ref.explicit and len(original.split()) > BARE_NUMBER_WORDS:
        return None
    def lookup() -> bool:  # read only when asked: most explicit answers never need it
        return _at_most_one_number(instruction) and not _OPERATION.search(instruction)

    if ref.explicit and _NAMED.match(_CUE_HEAD.sub("", ref.text, count=1)) and lookup():
        # "The answer is John Ford (1895-1973)", "... is Apollo 11": a named thing that holds a
        # number, answering a question with nothing to compute: its facts, not one number
        return None
    if not ref.explicit and lookup():
        # a bare number answering a question that gives no numbers to compute with ("how many
        # episodes ...", "... in season 2?") is a looked-up fact ("291 episodes", "approximately
        # 1,497 people"), held as key facts: a long answer may end on another number ("... aired
        # between 1989 and 1996") without changing it
        return None
    value = format_value(ref.value) + ("%" if ref.percent else "")
    checks = ["math_answer"] + (["answer_line"] if answer_lines(original) else [])
    if _CALCULATION.search(original) or (("<<" in original or "=" in original)
                                        and _NOTE_OR_EQUATION.search(original)):  # a worked solution: its working must add up too
        checks += ["arithmetic", "working_kept"]  # the working must add up, and be kept
    how = ref.style if ref.explicit else "a bare number answer"
    return AnswerContract(kind="number", value=value, found=f"{how}: {ref.text.strip()[:80]!r}", checks=checks)


ALTERNATIVES_FOUND = "alternatives"


def _alternatives(instruction: str, original: str) -> AnswerContract | None:
    picked = alternative_pick(instruction, original)
    if picked is None or parse_options(instruction):
        return None  # listed options win (_option)
    alts, want = picked
    return AnswerContract(kind="option", value=next(a for a in alts if a.lower() == want),
                          found=f"{ALTERNATIVES_FOUND} {' / '.join(alts)} in the question; the original asserts one",
                          checks=["choice_answer"])


def _option(instruction: str, original: str) -> AnswerContract | None:
    options = parse_options(instruction)
    if not options:
        return None
    ref = _original_letter(original, options)
    if ref is None:
        return None
    letter = ref[0]
    return AnswerContract(kind="option", value=f"({letter}) {options[letter][:60]}",
                          found=f"options {', '.join(options)} in the instruction; the original chose {ref[1][:40]!r}",
                          checks=["choice_answer"])


_LABEL_FILLER = frozenset("the a an it is this that answer label category class sentiment topic text review "
                          "tweet statement sentence".split())


def _only_label(original: str, label: str) -> bool:
    """A label-only answer ("Positive", "positive sentiment"), not a phrase that contains a label
    word ("statutory law", "science fiction": the answer is the whole phrase)."""
    own = set(re.findall(r"[a-z]+", label.lower()))
    return all(w in own or w in _LABEL_FILLER for w in re.findall(r"[a-z]+", original.lower()))


# Label families whose labels are also names: "Spanish" answering "where does the name Tavarez come
# from?" is a fact as well as a language label, so key_facts holds it too (a hedge or correction
# towards something that is no label of the family is then caught: "Spanish (or possibly Basque
# surnames ...)"). Verdict families (sentiment, truth) are not names.
NAMED_LABELS = ("human_language:",)


ITEMS_FOUND = "labels per item"


def _label(instruction: str, original: str, options: VerifyOptions) -> AnswerContract | None:
    # imported here: a worked solution's number contract never gets this far, and the module's
    # patterns cost `realign verify` on a math data set about 8 ms of its start-up
    from realign.verify.label import BUILTIN, item_labels, offers_family, original_label, stated_labels

    pairs = item_labels(original)
    if pairs is not None:
        # several items, one label each: held as item -> label pairs by the label check (not a
        # list contract: the items may come in any order, and what is held is each item's label)
        shown_pairs = "; ".join(f"{k} -> {v}" for k, v in list(pairs.items())[:6]) + ("; ..." if len(pairs) > 6 else "")
        return AnswerContract(kind="label", value=shown_pairs, found=f"{ITEMS_FOUND}: the original labels "
                              f"{len(pairs)} items", checks=["label"])
    found = original_label(instruction, original, options)
    if found is not None:
        fam, label = found
        bare = len(original.split()) <= BARE_NUMBER_WORDS and any(
            len(stated_labels(original, f)[0]) == 1 for f in BUILTIN) and _only_label(original, label)
        if fam not in BUILTIN or options.labels or bare or offers_family(instruction, fam):
            return AnswerContract(kind="label", value=label, found=f"{fam.name}: the original states {label!r}",
                                  checks=["label"])
    # a one-line question that opens with an auxiliary is closed without its question mark too ("do you
    # have to have a gun permit to shoot at a range", as search-engine questions are written)
    if len(original) <= POLAR_MAX_CHARS and (_CLOSED_QUESTION.search(instruction) or (
            _AUX_OPENING.match(instruction) and "\n" not in instruction.strip())):
        pol = original_polarity(original)
        if pol is not None:
            word = ("true" if pol.polarity else "false") if "true" in pol.shown.lower() or "false" in pol.shown.lower() \
                else ("yes" if pol.polarity else "no")
            return AnswerContract(kind="label", value=word, found=f"closed question; the original answers {pol.shown!r}",
                                  checks=["choice_answer"])
        # "Can you identify any bug?" answered "There is no bug in this implementation": the absence is the no
        pol = answer_presence(instruction, original)
        if pol is not None:
            return AnswerContract(kind="label", value="yes" if pol.polarity else "no",
                                  found=f"presence question; the original states {'presence' if pol.polarity else 'absence'} "
                                  f"({pol.shown!r})", checks=["choice_answer"])
    return None


def _code(original: str, fenced_only: bool) -> AnswerContract | None:
    blocks = extract_code_blocks(original) if fenced_only else code_of(original)
    blocks = [b for b in blocks if b.code.strip()]
    if not blocks:
        return None
    lines = sum(b.lines for b in blocks)
    fenced = "fenced" if any(b.lang or b.start > 0 for b in blocks) else "unfenced"
    return AnswerContract(kind="code", value=f"{len(blocks)} code block(s), {lines} line(s)",
                          found=f"{fenced} code in the original", checks=["code_preserved"])


def _list(instruction: str, original: str) -> AnswerContract | None:
    found = read_list(instruction, original)
    if found is None:
        return None
    shown = ", ".join(i[:30] for i in found.items[:6]) + (", ..." if len(found.items) > 6 else "")
    order = " (order asked)" if order_asked("", instruction) else ""
    return AnswerContract(kind="list", value=f"{len(found.items)} items: {shown}{order}",
                          found=("a one-line list" if found.inline else "list items") + " in the original",
                          checks=["list_items"])


def _facts(instruction: str, original: str) -> AnswerContract | None:
    n = len(original.strip())
    if n > FACTS_MAX_CHARS or (n > FACTS_ANY_REQUEST_CHARS and not _FACT_QUESTION.search(instruction)):
        return None
    facts = answer_facts(instruction, original)
    if not facts.numbers and not facts.names:
        return None
    return AnswerContract(kind="facts", value=describe(facts), found="short factual answer: numbers and names "
                          "the question does not give", checks=["key_facts"])


_SENTENCE_BREAK = re.compile(r"[.!?][ \t]+[A-Z(\"“]|\n")


def _one_answer_sentence(original: str) -> bool:
    """A number answer that is no worked solution: at most FACTS_ANY_REQUEST_CHARS, or one sentence
    of at most FACTS_MAX_CHARS ("The answer is Eighteen--two bears (...), a bison, ..."). Its
    facts are held too, so "..., no wait, it was the Roman Empire" takes the number back."""
    text = original.strip()
    return len(text) <= FACTS_ANY_REQUEST_CHARS or (len(text) <= FACTS_MAX_CHARS and not _SENTENCE_BREAK.search(text))


def read_contract(instruction: str, original: str, options: VerifyOptions | None = None) -> AnswerContract:
    """The answer contract of `original` answering `instruction` (rules in the module docstring)."""
    opts = options or VerifyOptions()
    found: list[AnswerContract] = []
    # inline alternatives first: "Which is larger, 9.11 or 9.9?" answered "9.9" picks one, which a
    # number contract would hold as a final number and then misread in "9.9 is larger than 9.11"
    for read in (lambda: _alternatives(instruction, original), lambda: _number(instruction, original),
                 lambda: _option(instruction, original),
                 lambda: _label(instruction, original, opts)):
        c = read()
        if c is not None:
            found.append(c)
            break  # one closed answer: a number, an option or a label
    # beside a closed answer only fenced code counts: a worked solution's "x = 3 * 4" lines look
    # like code to the unfenced detector
    code = _code(original, fenced_only=bool(found))
    if code is not None:
        found.append(code)
    if not found or (found == [code] and code is not None and not code.found.startswith("unfenced")) or (
            found[0].kind == "label" and not found[0].found.startswith(ITEMS_FOUND)) or (
            found[0].found.startswith(ALTERNATIVES_FOUND)):
        # every item is held: stricter than the facts lock below. Beside fenced code ("```json"
        # with the ratings, then "### Analysis" with one item per phone) the list outside the code
        # is held too: the code check does not read the prose, nor the list check the code. Beside
        # a label the list is held too: a label found in a list answer may be a word its
        # explanation uses ("how would you classify data as master or transactional?" answered
        # with eight steps that name "transactional data"), and a label answer's listed reasons
        # are part of what it says; so are those of a pick among the alternatives the question
        # names ("true, false, or uncertain?" answered with the inferences "- Bananas > Apples",
        # "- Bananas > Oranges", then "uncertain"), which is a label the question offers
        listed = _list(instruction, original)
        if listed is not None:
            found.append(listed)
    # a list of full-sentence items (lists.py `_sentence_list`) holds each item by its words, not
    # the numbers and names in it: a short one keeps the facts lock it had before it was a list
    sentences = len(found) == 1 and found[0].kind == "list" and read_list(instruction, original).sentences
    if not found or sentences or (found[0].kind == "label" and not found[0].found.startswith(ITEMS_FOUND) and (len(original.split()) > BARE_NUMBER_WORDS or (
            found[0].found.startswith(NAMED_LABELS) and _FACT_QUESTION.search(instruction)))) or (
            found[0].kind == "number" and "arithmetic" not in found[0].checks and _one_answer_sentence(original)):
        # a short factual answer; also beside a yes / no that goes on to state facts ("Yes, in 1969")
        # and beside the number of a one-line answer that is no worked solution ("The answer is
        # winter 406/5 BC": the era too)
        facts = _facts(instruction, original)
        if facts is None and found and found[0].kind == "label" and _DIGITS.search(original):
            # "Yes, humans landed on the moon in 1969": the year is the question's, yet a rewrite
            # that says 1976 changed the answer (key_facts catches a number replaced by a new one)
            facts = AnswerContract(kind="facts", value="numbers restated from the question",
                                   found="a closed answer that restates the question's numbers", checks=["key_facts"])
        if facts is not None:
            found.append(facts)
    if not found:
        return NONE
    head = found[0]
    if len(found) == 1:
        return head  # built here with its own checks: nothing to merge
    checks: list[str] = []
    for c in found:
        checks += [n for n in c.checks if n not in checks]
    return head.model_copy(update={"checks": checks})


def contract_checks(contract: AnswerContract, task_checks: list[str]) -> list[str]:
    """The checks a candidate must pass: the task's, plus the contract's (never removed)."""
    return list(task_checks) + [c for c in contract.checks if c not in task_checks]


def shown(contract: AnswerContract) -> str:
    """One line for people: "number 18 ('#### 18' line)"."""
    if contract.kind == "none":
        return "none (no final answer, option, label, code, list or short facts to hold)"
    return f"{contract.kind} {contract.value} ({contract.found})"


__all__ = ["AnswerContract", "ContractKind", "KINDS", "DETERMINISTIC", "NONE", "read_contract",
           "contract_checks", "shown", "format_value"]
