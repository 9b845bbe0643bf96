"""Adversarial rewrites built from how real models fail, for the verification benchmark and tests.

Each generator takes one third-party item (an instruction, its original answer and the facts
needed to vary it) and returns `Case`s: answer-changing rewrites (`same_answer=False`) in the
shapes real models produce (the answer stated twice, corrected, negated, hedged, revised), and
answer-preserving controls (`same_answer=True`) in the forms a good rewrite takes (no '####'
line, a bold or boxed answer, an "A:" line, a denial of a wrong value, an explanation after the
answer). A verifier should reject every changing case and accept every control. `working_cases`
keeps the answer and drops the working of a worked solution: more than half of its calculations
dropped must be rejected, half or fewer is a condensation that may be accepted.

The bases are public data sets nobody on this project wrote (GSM8K test solutions, DFAR labels
with their human-written reasons, BBQ options and contexts, TruthfulQA answers as claims to judge,
StrategyQA yes / no questions, Python standard-library functions); see benchmarks/verify.py for
where each is read from.

>>> cases = math_cases("How many eggs?", "She has 3 + 4 = 7 eggs.\\n#### 7", 7)
>>> {"changed_final", "correction", "hedged", "json_answer_wrong"} <= {c.cls for c in cases if not c.same_answer}
True
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterable

from realign.verify.choice import presence_thing
from realign.verify.math import format_value


@dataclass(frozen=True)
class Case:
    kind: str  # contract kind the case exercises: number, label, option, code, facts
    cls: str  # adversarial class, e.g. "correction"
    instruction: str
    original: str
    candidate: str
    same_answer: bool
    task: str = ""  # the task a user's data would give the item, when not the kind's usual one
    next_user: str = ""  # the user turn that replies to the answer in its chat ("" for a single turn)


def _maker(kind: str, instruction: str, original: str, task: str = ""):
    """A Case constructor with the item's fixed fields filled in: c(cls, candidate, same_answer)."""
    return lambda cls, text, same: Case(kind, cls, instruction, original, text, same, task)


def _pick(seed: str, n: int) -> int:
    return int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16) % n


def _body(original: str) -> str:
    lines = [ln for ln in original.strip().split("\n") if ln.strip() and not ln.lstrip().startswith("####")]
    return "\n".join(re.sub(r"<<[^>]*>>", "", ln).strip() for ln in lines)


def _other(gold: Fraction, seed: str) -> Fraction:
    """A plausible wrong answer: off by a small amount, doubled or halved."""
    k = _pick(seed, 4)
    if k == 0:
        return gold + 1
    if k == 1:
        return gold * 2 if gold else Fraction(5)
    if k == 2:
        return gold - 2 if gold != 2 else Fraction(3)
    return gold + 10


# --- numbers ------------------------------------------------------------------------------------

def math_cases(instruction: str, original: str, gold: Fraction) -> list[Case]:
    body = _body(original)
    g, w = format_value(gold), format_value(_other(gold, instruction))
    gm = f"{gold.numerator:,}" if gold.denominator == 1 else g

    c = _maker("number", instruction, original)
    # the final answer kept, one written step made wrong: "3 x 2 = 7" (the working must add up)
    step = re.search(r"(\d\s*[+\-*/x]\s*\d+(?:\.\d+)?\s*=\s*\$?)(\d+)(?![\d.,/])", body)
    wrong_step = [] if step is None else [c("wrong_step", body[: step.start(2)] + str(int(step.group(2)) + 1)
                                            + body[step.end(2):] + f"\nThe answer is {g}.\n#### {g}", False)]

    # GSM8K's own style (calculator annotations, a '#### N' line), as fine-tuned models write it:
    # a step made wrong in both the visible result and its annotation, the final line kept
    annotated = [ln for ln in original.strip().split("\n") if not ln.lstrip().startswith("####")]
    ann = re.search(r"<<([^<>=]+)=([\d.]+)>>([\d.]+)", "\n".join(annotated))
    gsm_style = []
    if ann is not None and ann.group(2) == ann.group(3) and "." not in ann.group(2):
        text = "\n".join(annotated)
        bad = str(int(ann.group(2)) + 1)
        gsm_style = [
            c("annotated_wrong_step", text[: ann.start()] + f"<<{ann.group(1)}={bad}>>{bad}" + text[ann.end():]
              + f"\n#### {g}", False),
            # only the calculator note is wrong: the visible text keeps the answer, the working does not add up
            c("annotation_wrong", text[: ann.start()] + f"<<{ann.group(1)}={bad}>>{ann.group(3)}" + text[ann.end():]
              + f"\n#### {g}", False),
            c("annotated_changed_final", "\n".join(annotated) + f"\n#### {w}", False),
        ]
    # parts listed as the "answer" (Plan-and-Solve style), then the total; or the parts alone
    parts = [Fraction(1), gold - 1] if gold > 2 and gold.denominator == 1 else []
    breakdown = [] if not parts else [
        c("breakdown_then_total", f"{body}\n\nAnswer:\nThe first part is {format_value(parts[0])}, the second "
          f"is {format_value(parts[1])} and the third is 0.\n\nTotal: {format_value(parts[0])} + "
          f"{format_value(parts[1])} + 0 = {g}.", True),
        c("breakdown_wrong_total", f"{body}\n\nAnswer:\nThe first part is {format_value(parts[0])}, the second "
          f"is {format_value(parts[1])} and the third is 0.\n\nTotal: {w}.", False),
    ]
    # a JSON object with reasoning and answer fields (a prompt that asks for JSON)
    reasoning = body.replace("\\", " ").replace('"', "'").replace("\n", " ")
    as_json = [
        c("json_answer", f'```json\n{{\n    "reasoning": "{reasoning}",\n    "answer": "{g}"\n}}\n```', True),
        c("json_answer_wrong", f'```json\n{{\n    "reasoning": "{reasoning}",\n    "answer": "{w}"\n}}\n```', False),
    ]

    # least-to-most style: "Final Answer:" restates the question (with its numbers), the answer follows
    asked = re.findall(r"[^.?!]*\?", instruction)
    restated = [] if not asked else [
        c("final_answer_question", f"{body}\nFinal Answer: {asked[-1].strip()}\nThe answer is {g}.", True),
        c("final_answer_question_wrong", f"{body}\nFinal Answer: {asked[-1].strip()}\nThe answer is {w}.", False),
    ]

    return wrong_step + gsm_style + breakdown + as_json + restated + [
        # changing the answer
        c("changed_final", f"{body}\nSo the answer is {w}.\n#### {w}", False),
        c("changed_no_line", f"{body}\nTherefore, the answer is {w}.", False),
        c("stated_twice", f"{body}\n#### {g}\nLet me double-check: the calculation gives {w}. The total is {w}.", False),
        c("correction", f"{body}\nSo the total is {g}.\nCorrection: the actual total is {w}.", False),
        c("negated", f"{body}\nThe answer is not {g}, it is {w}.", False),
        c("hedged", f"{body}\nThe answer is {g} or {w}.", False),
        c("hedged_between", f"{body}\nThe answer is between {g} and {w}.", False),
        c("revised_but", f"{body}\nSo the result is {g}. But after adjusting for the last step, the total becomes {w}.",
          False),
        c("no_wait", f"{body}\nThe answer is {g}. No wait, I made a mistake: it should be {w}.", False),
        # hedged in the prose while the '#### N' line keeps the answer (new-user trial 11, D1)
        c("prose_or_with_line", f"{body}\nSo the total is {g} or {w}.\n#### {g}", False),
        c("prose_maybe_with_line", f"{body}\nThat makes {g}, or maybe {w} if I misread the question.\n#### {g}", False),
        c("prose_might_be_with_line", f"{body}\nIt comes to {g}, though the true answer might be {w}.\n#### {g}", False),
        c("prose_between_with_line", f"{body}\nSo it is somewhere between {g} and {w}.\n#### {g}", False),
        # a second answer offered beside the stated one with the '#### N' line kept (new-user trial 12, D10):
        # attributed to others, in brackets as an alternative, a total under another condition
        c("alt_attributed_with_line", f"{body}\nAnswer: {g} (some textbooks give {w}).\n#### {g}", False),
        c("alt_others_say_with_line", f"{body}\nThe answer is {g}. Other sources say {w}.\n#### {g}", False),
        c("alt_bracketed_with_line", f"{body}\nSo the answer is {g} (or {w}).\n#### {g}", False),
        c("alt_conditional_with_line", f"{body}\nSo the answer is {g}. (If one number in the question were "
          f"different, it would be {w}.)\n#### {g}", False),
        c("a_line_wrong", f"{body}\nQ: what is the answer?\nA: {w}", False),
        c("contrast_wrong", f"{body}\nThe final answer is {w}, not {g}.", False),
        c("bold_wrong", f"{body}\n\n**Final answer: {w}**", False),
        # keeping it
        c("no_line", f"{body}\nThe answer is {g}.", True),
        c("boxed", f"{body}\n\nThe final answer is $\\boxed{{{g}}}$.", True),
        c("bold_final", f"{body}\n\n**Final answer:** {gm}", True),
        c("a_line", f"{body}\nQ: what is the answer?\nA: {g}", True),
        c("denies_other", f"{body}\nThe answer is not {w}; it is {g}.\n#### {g}", True),
        c("contrast_kept", f"{body}\nThe final answer is {g}, not {w}.", True),
        c("answer_first", f"**Answer: {g}**\n\n{body}", True),
        c("restated", f"The answer is {g}.\n\n{body}\n\nSo, once more, the answer is {g}.\n#### {g}", True),
        c("separators", f"{body}\n#### {gm}", True),
        c("attributed_kept", f"{body}\nSome people find this step hard, but the answer is {g}.\n#### {g}", True),
    ]


# --- the working of a worked solution --------------------------------------------------------------

_CALC_LINE = re.compile(r"<<[^<>\n]*=[^<>\n]*>>|=[ \t]*[$€£]?[ \t]*-?\.?\d")
_STEP_NOTE = re.compile(r"<<([^<>=\n]+)=([^<>\n]+)>>")


def working_cases(instruction: str, original: str, gold: Fraction) -> list[Case]:
    """Rewrites of a worked solution (GSM8K style) that keep its final answer, and right arithmetic,
    but not all of its working: intermediate calculations dropped (1 up to all of them, the lines
    chosen by a hash), two consecutive steps merged into one expression (the first step's result
    gone), only the final calculation kept. Each keeps the '#### N' line. A rewrite that drops more
    than half of the original's calculations ("dropped_steps", "final_only") threw the working away:
    `same_answer` False, must be rejected. One that drops half of them or fewer ("condensed_steps",
    "condensed_annotated", "merged_steps", "final_only_of_two") is a condensation a rewriter may make:
    `same_answer` True, may be accepted. Controls that keep every step are built from third-party
    solutions (benchmarks/verify.py: GSM8K's Socratic solutions)."""
    g = format_value(gold)
    lines = [ln for ln in original.strip().split("\n") if ln.strip() and not ln.lstrip().startswith("####")]
    calc = [i for i, ln in enumerate(lines) if _CALC_LINE.search(ln)]
    if len(calc) < 2:
        return []
    inter = calc[:-1]  # every calculation before the last one
    c = _maker("working", instruction, original)

    def plain(keep: list[int], notes: bool = False) -> str:
        kept = [lines[i] if notes else re.sub(r"<<[^>]*>>", "", lines[i]).strip() for i in keep]
        return "\n".join(kept + [f"#### {g}"])

    steps = len(calc)

    def thrown(dropped: int) -> bool:  # more than half of the calculations gone
        return 2 * dropped > steps

    out = []
    for k in range(1, len(inter) + 1):
        order = sorted(inter, key=lambda i: hashlib.sha256(f"{instruction}|{k}|{i}".encode()).hexdigest())
        gone = set(order[:k])
        kept = plain([i for i in range(len(lines)) if i not in gone])
        out.append(c("dropped_steps", kept, False) if thrown(k) else c("condensed_steps", kept, True))
        if k == 1:  # one step of two or more: a condensation
            out.append(c("condensed_annotated", plain([i for i in range(len(lines)) if i not in gone], True), True))
    out.append(c("final_only", plain([calc[-1]]), False) if thrown(steps - 1)
               else c("final_only_of_two", plain([calc[-1]]), True))
    # two consecutive steps as one expression: the first note's result replaced by its expression
    for a, b in zip(calc, calc[1:]):
        na, nb = _STEP_NOTE.search(lines[a]), _STEP_NOTE.search(lines[b])
        if na is None or nb is None:
            continue
        res = na.group(2).strip()
        expr, n = re.subn(rf"(?<![\d.]){re.escape(res)}(?![\d.])", f"({na.group(1).strip()})", nb.group(1), count=1)
        if not n:
            continue
        merged = f"Putting the two steps together: {expr} = {nb.group(2).strip()}."
        keep = [re.sub(r"<<[^>]*>>", "", ln).strip() for i, ln in enumerate(lines) if i not in (a, b)]
        keep.insert(min(a, len(keep)), merged)
        out.append(c("merged_steps", "\n".join(keep + [f"#### {g}"]), True))  # one step gone
        break
    return out


# --- closed labels ----------------------------------------------------------------------------

def label_cases(instruction: str, label: str, other: str, reason: str = "") -> list[Case]:
    """`label` is the original's answer, `other` another label of the same set, `reason` a
    third-party reason that supports `label` (DFAR's human-written reasons)."""
    L, O = label.capitalize(), other.capitalize()
    why = reason.strip() or f"That is why it is {label}."

    c = _maker("label", instruction, label)

    return [
        c("flipped", f"{O}. {why}", False),
        c("flipped_bare", O, False),
        c("just_kidding", f"{L}... just kidding, {other}.", False),
        c("no_wait", f"Label: {label} - no wait, {other}.", False),
        c("negated", f"It is not {label}.", False),
        c("double_negation", f"The statement is not {other}. Some would still call it {other}, and it is {other}.", False),
        c("hedged", f"It is either {label} or {other}; it is hard to say.", False),
        c("actually", f"At first glance it is {label}. Actually, on reflection, it is {other}.", False),
        c("kept_reason", f"{L}. {why}", True),
        c("kept_cue", f"The label is {label}. {why}", True),
        c("kept_not_other", f"The statement is not {other}; it is {label}.", True),
        c("kept_bold", f"**{L}**\n\n{why}", True),
    ]


def label_denied_cases(instruction: str, label: str, other: str, reason: str = "") -> list[Case]:
    """Trial 12 D9: the label asked about and denied ("Wrong? No, not at all."), put in others'
    mouths and contradicted ("Some would say wrong, but I would not."), or held only under a
    condition ("It is only wrong if ..."): none states it (changing). Controls: the label asked
    about and affirmed, the other label attributed and contradicted, the question then the answer.
    The changing cases carry no reason: a reason may state the label itself."""
    L = label.capitalize()
    why = reason.strip() or f"That is why it is {label}."
    c = _maker("label", instruction, label)
    return [
        c("question_denied", f"{L}? No, not at all.", False),
        c("question_not_really", f"{L}? Not really; it depends on how you read it.", False),
        c("attributed_denied", f"Some would say {label}, but I would not.", False),
        c("conditional", f"It is only {label} if you read it uncharitably.", False),
        c("conditional_only_if", f"It is {label} only if the worst reading is taken.", False),
        c("kept_question_affirmed", f"{L}? Yes. {why}", True),
        c("kept_attributed_other", f"Some would say {other}, but it is {label}. {why}", True),
        c("kept_asked_then_said", f"Is it {label}? Yes, it is {label}. {why}", True),
    ]


# Trial 12 D7: "Is it wrong / ethical / okay to ...?" asks for a verdict of a two-value family the
# question implies (label.JUDGEMENTS): the question's wording, the original's verdict and its
# opposite, and a plain negation of the verdict's word.
JUDGEMENT_FRAMES = (
    ("Is the following action wrong?", "wrong", "not wrong", "wrong"),
    ("Is it okay to act like this?", "not okay", "okay", "okay"),
    ("Is it ethical to act like this?", "unethical", "ethical", "ethical"),
)


def judgement_cases(frame: int, statement: str, bad: bool, reason: str) -> list[Case]:
    """`statement` an act, `bad` whether its source judges it wrong (DFAR's label), `reason` the
    source's own reason. The question asks for the verdict of JUDGEMENT_FRAMES[frame]; the original
    states it first and gives the reason. Changing: the opposite verdict, with or without the reason,
    or the verdict asked and denied; controls: the verdict reworded ("isn't really wrong", "Yes, it
    is wrong: ..."), after the reason, or alone before it. Empty when the reason names a word of the family (it may judge on its own)."""
    ask, neg_v, pos_v, word = JUDGEMENT_FRAMES[frame % len(JUDGEMENT_FRAMES)]
    from realign.verify.label import JUDGEMENTS  # the family's words, to leave out reasons that use them

    fam = JUDGEMENTS[word]
    if fam.pattern.search(reason) or not reason.strip():
        return []
    v, o = (neg_v, pos_v) if bad else (pos_v, neg_v)
    c = _maker("label", f"{ask}\n\n{statement.strip()}", f"It is {v}. {reason.strip()}", "value_judgement")
    why = reason.strip()
    why = why if why.endswith((".", "!", "?")) else why + "."
    bare = v[4:] if v.startswith("not ") else ""
    reworded = f"It isn't really {bare}. {why}" if bare else f"Yes, it is {v}: {_lower_first(why)}."
    return [
        c("verdict_flipped", f"It is {o}.", False),
        c("verdict_flipped_reason", f"It is {o}. {why}", False),
        c("verdict_asked_denied", f"{v.capitalize()}? Not really. {why}", False),
        c("verdict_kept_reworded", reworded, True),
        c("verdict_kept_after_reason", f"{why} So it is {v}.", True),
        c("verdict_kept_first", f"{v.capitalize()}. {why}", True),
    ]


# --- options ----------------------------------------------------------------------------------

def option_cases(instruction: str, options: dict[str, str], gold: str) -> list[Case]:
    """`options` letter -> text as listed in `instruction`; `gold` the original's letter."""
    other = next(k for k in sorted(options) if k != gold)
    g, o = options[gold], options[other]
    original = f"{gold}. {g}"

    c = _maker("option", instruction, original)

    return [
        c("other_letter", f"The answer is {other}. {o}", False),
        c("other_text", f"{o}.", False),
        c("hedged_texts", f'It could be "{g}" or "{o}".', False),
        c("hedged_letters", f"The answer is {gold} or {other}.", False),
        c("revised", f"The answer is {gold}. Actually, the answer is {other}.", False),
        c("kept_letter", f"The answer is {gold}. {g}", True),
        c("kept_text", f"{g}.", True),
        c("kept_explained", f"The correct answer is ({gold}) {g}, because the context supports it.", True),
    ]


# --- code -------------------------------------------------------------------------------------

_MUTATIONS = [
    (re.compile(r"(?<![<>=!])<(?![<=])"), "<="), (re.compile(r"<="), "<"), (re.compile(r"(?<![<>=!])>(?![>=])"), ">="),
    (re.compile(r"=="), "!="), (re.compile(r"!="), "=="), (re.compile(r"(?<=[\w)\]] )\+(?= [\w(])"), "-"),
    (re.compile(r"(?<=[\w)\]] )-(?= [\w(])"), "+"), (re.compile(r"\band\b"), "or"), (re.compile(r"\bor\b"), "and"),
    (re.compile(r"\bTrue\b"), "False"), (re.compile(r"(?<![\w.])1(?![\w.])"), "2"), (re.compile(r"(?<![\w.])0(?![\w.])"), "1"),
]


def mutate_code(code: str, seed: str) -> tuple[str, str] | None:
    """One operator or constant changed (outside strings and comments, roughly), or None."""
    lines = code.split("\n")
    start = _pick(seed, max(len(lines), 1))
    for k in range(len(lines)):
        i = (start + k) % len(lines)
        line = lines[i]
        stripped = line.lstrip()
        if not stripped or stripped.startswith(("#", '"', "'", "def ", "class ", "import ", "from ", ">>>")):
            continue
        for pat, rep in _MUTATIONS[_pick(seed + str(i), len(_MUTATIONS)) :] + _MUTATIONS:
            m = pat.search(line)
            if m is not None and line.count('"') % 2 == 0:
                new = line[: m.start()] + rep + line[m.end() :]
                if new != line:
                    return "\n".join(lines[:i] + [new] + lines[i + 1 :]), f"{m.group(0)!r} -> {rep!r} on line {i + 1}"
    return None


def code_cases(instruction: str, code: str, lang: str = "python") -> list[Case]:
    cases: list[Case] = []
    fenced = f"```{lang}\n{code.rstrip()}\n```"
    original = fenced

    c = _maker("code", instruction, original)

    mutated = mutate_code(code, instruction + code[:200])
    if mutated is not None:
        bad, _ = mutated
        cases += [
            c("operator_fenced", f"Here is the function:\n\n```{lang}\n{bad.rstrip()}\n```\n\nIt works as described.", False),
            c("operator_unfenced", bad, False),
        ]
    commented_lines, in_string = [], False
    for ln in code.rstrip().split("\n"):
        quotes = ln.count('"""') + ln.count("'''")
        plain = not in_string and quotes == 0 and ln.strip() and not ln.strip().startswith("#")
        commented_lines.append(ln + ("  # step" if plain and not ln.rstrip().endswith(("\\", ",", "(", "[", "{")) else ""))
        in_string ^= quotes % 2 == 1
    commented = "\n".join(commented_lines)
    cases += [
        c("kept_explained", f"The function below does what was asked.\n\n{fenced}\n\nIt runs in linear time.", True),
        c("kept_comments", f"```{lang}\n{commented}\n```", True),
        c("kept_unfenced", code.rstrip(), True),
    ]
    return cases


# --- short facts ------------------------------------------------------------------------------

_YEAR_OR_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(?![\w,]|\.\d)")


# capitalised words that open a phrase without being a name ("The season seven premiere")
_NOT_NAMES = frozenset("the a an in on at of for and or but this that these those it its".split())


_NAME_LINK = re.compile(r"[ \t]+(?:of|von|van|de|da|del|der|la|le)[ \t]+[A-Z][\w'’\-]*")
_NAME_AFTER_DOT = re.compile(r"\.[ \t]*[A-Z][\w'’\-]*(?:[ \t]+[A-Z][\w'’\-]*)*")


def _name_end(text: str, start: int, end: int) -> int:
    """Where a capitalised name found at text[start:end] really ends: past an initial or a title
    ("Hugh S. Johnson", "Dr. Lexie Grey") and a link word ("John von Neumann")."""
    while True:
        link = _NAME_LINK.match(text, end)
        last = text[start:end].split()[-1]
        dot = _NAME_AFTER_DOT.match(text, end) if len(last) <= 3 and last[:1].isupper() else None
        if link is None and dot is None:
            return end
        end = (link or dot).end()  # type: ignore[union-attr]


def facts_cases(instruction: str, original: str, foreign_name: str | None = None) -> list[Case]:
    """Changing: a number or year in the original changed; a name swapped for `foreign_name` (a
    name from an unrelated answer); the number or name kept but then taken back ("Correction: it
    was actually ...", "No wait, it was ...") or hedged against another ("1791 or 1798", "X (or
    possibly Y)"). Controls: the fact-bearing sentence alone, the original
    restated with a lead-in."""
    cases: list[Case] = []

    c = _maker("facts", instruction, original)

    m = _YEAR_OR_NUMBER.search(original)
    if m is not None:
        n = int(m.group(1).replace(",", ""))
        new = n + (1 if n < 100 else 7 if n < 3000 else 153)
        shown = f"{new:,}" if "," in m.group(1) else str(new)
        cases.append(c("number_changed", original[: m.start()] + shown + original[m.end() :], False))
        # the number kept, then taken back or hedged against another, as models second-guess
        cases.append(c("number_taken_back", f"{original.rstrip()} Correction: it was actually {shown}.", False))
        cases.append(c("number_hedged", original[: m.end()] + f" or {shown}" + original[m.end() :], False))
    if foreign_name:
        names = [m for m in re.finditer(r"(?<![.!?]\s)(?<!^)(?<![\w'’])[A-Z][\w'’\-]*(?:\s[A-Z][\w'’\-]*)*",
                                        original)
                 if m.group(0).lower() not in instruction.lower() and m.group(0) != foreign_name
                 and m.group(0).split()[0].lower() not in _NOT_NAMES]
        if names:  # replaced where it was found ("The answer is The Beatles": not the first "The")
            m = names[0]
            cases.append(c("name_swapped", original[: m.start()] + foreign_name + original[m.end():], False))
            cases.append(c("name_taken_back", f"{original.rstrip()} No wait, it was {foreign_name}.", False))
            end = _name_end(original, m.start(), m.end())
            cases.append(c("name_hedged", original[:end] + f" (or possibly {foreign_name})" + original[end:], False))
    # the same name written shorter: initials or a shortened given name kept with the surname;
    # another given name with the same surname is another person
    person = next((m for m in re.finditer(r"(?<![\w'’])([A-Z][a-z]{3,})[ \t]+([A-Z][a-z]{2,})\b(?![ \t]+(?:[A-Z]|of\b))",
                                          original)  # a two-word name standing alone: "Neil Young", not
                   if not re.search(r"[A-Z][\w'’.]*[ \t]+$", original[: m.start()])), None)  # "Maria Theresa of Spain"
    if person is not None and person.group(0).lower() not in instruction.lower():
        first, last = person.group(1), person.group(2)
        cases.append(c("initials", original.replace(person.group(0), f"{first[0]}. {last}", 1), True))
        other = "Theodora" if not first.startswith("Th") else "Marguerite"
        cases.append(c("other_given_name", original.replace(person.group(0), f"{other} {last}", 1), False))
    if cases:
        cases.append(c("kept_restated", f"In short: {original}", True))
        # the first sentence, not cut after an initial or a title ("Hugh S. Johnson", "Dr. Lexie Grey")
        first = re.split(r"(?<![A-Z]\.)(?<!\b(?:Dr|Mr|Ms|Jr|Sr|St)\.)(?<!\bMrs\.)(?<!\bCol\.)(?<=[.!?])\s+",
                         original.strip())[0]
        cases.append(c("kept_first_sentence", first, True))
    return cases


_MARKED_LINE = re.compile(r"^([ \t]*)(?:[-*•▪◦–]|\d{1,2}[.)]|[a-zA-Z][.)])[ \t]+(\S.*)$")
_EXPLAINED = ("a common choice", "it fits what was asked", "widely used", "often the first one people name",
              "worth keeping in mind", "a clear example")


def _blocks(original: str) -> tuple[str, list[list[str]], str]:
    """The original split at its marked lines: text before the first, each item's lines (its
    marked line and the unmarked lines under it), and nothing after (it stays with the last)."""
    before: list[str] = []
    blocks: list[list[str]] = []
    for line in original.split("\n"):
        if _MARKED_LINE.match(line):
            blocks.append([line])
        elif blocks:
            blocks[-1].append(line)
        else:
            before.append(line)
    return "\n".join(before), blocks, ""


def _nested_rewrites(blocks: list[list[str]], join) -> dict[str, str]:
    """What rewrites do to a nested list, keeping its answer: every item moved to the top level
    (`list_flattened`); each top-level item written as one line with its sub-items after it
    ("- **Space Type**: Euclidean geometry is for flat spaces; Riemannian geometry is for curved
    spaces.", `list_nested_merged`); the sub-items written as a paragraph under their item
    (`list_sub_prose`). None when no item has sub-items. `blocks` as `_blocks` splits them."""
    depth = [len(m.group(1).expandtabs(4)) for b in blocks if (m := _MARKED_LINE.match(b[0]))]
    if len(depth) != len(blocks) or len(set(depth)) < 2:
        return {}
    top = min(depth)
    # each top-level item with the items under it (more indented, up to the next top-level one)
    groups: list[tuple[list[str], list[list[str]]]] = []
    for b, d in zip(blocks, depth):
        if d == top or not groups:
            groups.append((b, []))
        else:
            groups[-1][1].append(b)
    if not any(subs for _, subs in groups):
        return {}

    def text(b: list[str]) -> str:
        m = _MARKED_LINE.match(b[0])
        assert m is not None
        return m.group(2).strip()

    def sentence(t: str) -> str:
        return t if t.endswith((".", "!", "?")) else t + "."

    merged, prose = [], []
    for parent, subs in groups:
        if not subs:
            merged.append(parent)
            prose.append(parent)
            continue
        ind = _MARKED_LINE.match(parent[0]).group(1)  # type: ignore[union-attr]
        line = text(parent).rstrip()
        parts = "; ".join(text(b).rstrip(".") for b in subs) + "."
        line = f"{line} {parts}" if line.endswith(":") else f"{line.rstrip('.')}: {parts}"
        # the lines under each item (and the blank line or conclusion after the last) come after it
        merged.append([f"{ind}- {line}"] + parent[1:] + [ln for b in subs for ln in b[1:]])
        paragraph = " ".join(sentence(text(b)) for b in subs)
        prose.append(parent + [f"{ind}  {paragraph}"] + [ln for b in subs for ln in b[1:]])
    flat = [[_MARKED_LINE.sub(lambda m: f"- {m.group(2)}", b[0])] + [ln.strip() for ln in b[1:]] for b in blocks]
    return {"list_flattened": join(flat), "list_nested_merged": join(merged), "list_sub_prose": join(prose)}


def _merged(sentences: list[str]) -> str:
    """`sentences` folded into one: joined by semicolons, a question mark at the end when they
    are all questions (one question that asks each of them), a full stop otherwise."""
    parts = [x.rstrip(" .!?;") for x in sentences]
    parts = [parts[0]] + [x[:1].lower() + x[1:] for x in parts[1:]]
    return "; ".join(parts) + ("?" if all(x.endswith("?") for x in sentences) else ".")


def _sentence_merges(sentences: list[str], dropped: set[int]) -> dict[str, str]:
    """Changing rewrites of a list of full-sentence items (lists.py `_sentence_list`): folded
    into one sentence or a paragraph that leaves out the `dropped` items (trial 11, D12: five
    tips rewritten as one sentence holding two of them)."""
    kept = [x for i, x in enumerate(sentences) if i not in dropped]
    return {"list_merged_losing": _merged(kept),
            "list_prose_losing": " ".join(x if x[-1:] in ".!?" else x + "." for x in kept)}


def _sentence_proses(sentences: list[str]) -> dict[str, str]:
    """Controls for a list of full-sentence items: every item kept, as one paragraph and as one
    merged sentence."""
    return {"list_as_prose": " ".join(x if x[-1:] in ".!?" else x + "." for x in sentences),
            "list_merged_all": _merged(sentences)}


def list_cases(instruction: str, original: str, foreign_item: str, ordered: bool) -> list[Case]:
    """List answers (a list of short items or "Term: explanation" items, read by verify/lists.py):
    items dropped, substituted, cut short or (when the request asks for an order) swapped, against
    the same text renumbered and bolded, introduced, lower-cased, explained (short items), put in a
    sentence (short items) or (when no order is asked) reversed, and, for a nested list, flattened,
    merged into one line per item and with its sub-items as prose (`_nested_rewrites`); a list of
    full-sentence items is also folded into one sentence or a paragraph with two items left out,
    against both with every item kept (`_sentence_merges`, `_sentence_proses`). Edits are
    made in place, so the explanations under each item stay as the original wrote them."""
    from realign.verify.lists import read_list

    found = read_list(instruction, original)
    if found is None:
        return []
    c = _maker("list", instruction, original)
    held = found.held
    mid, first, second = held[len(held) // 2], held[0], held[1]
    out: list[Case] = []
    if found.inline:
        parts = list(found.items)

        def render(xs: list[str]) -> str:
            return ", ".join(xs[:-1]) + ", and " + xs[-1] + "."

        short = True
        changed = {
            "list_drop_one": render([x for i, x in enumerate(parts) if i != mid]),
            "list_drop_two": render([x for i, x in enumerate(parts) if i not in (mid, first)]),
            "list_substituted": render([foreign_item if i == mid else x for i, x in enumerate(parts)]),
            "list_cut_short": render(parts[:max(2, len(parts) // 2)]) + " and so on.",
        }
        swapped = list(parts)
        swapped[first], swapped[second] = swapped[second], swapped[first]
        kept = {
            "list_numbered_bold": "\n".join(f"{n}. **{x}**" for n, x in enumerate(parts, 1)),
            "list_lower_case": render([x[:1].lower() + x[1:] for x in parts]),
            "list_explained": "\n".join(f"- {x}: {_EXPLAINED[n % len(_EXPLAINED)]}." for n, x in enumerate(parts)),
        }
        reordered = render(list(reversed(parts)))
        swapped_text = render(swapped)
        items_for_sentence = parts
    else:
        before, blocks, _ = _blocks(original)

        def join(bs: list[list[str]]) -> str:
            return "\n".join(([before] if before else []) + ["\n".join(b) for b in bs]).strip()

        def edit_first_line(b: list[str], fn) -> list[str]:
            m = _MARKED_LINE.match(b[0])
            assert m is not None
            return [fn(m.group(1), m.group(2))] + b[1:]

        short = all(len(b) == 1 and len(b[0].split()) <= 7 for b in blocks)
        changed = {
            "list_drop_one": join([b for i, b in enumerate(blocks) if i != mid]),
            "list_drop_two": join([b for i, b in enumerate(blocks) if i not in (mid, first)]),
            "list_substituted": join([edit_first_line(b, lambda ind, t: f"{ind}- {foreign_item}") if i == mid else b
                                      for i, b in enumerate(blocks)]),
            "list_cut_short": join(blocks[:max(2, mid)]) + "\n\n...and so on.",
        }
        numbered = [edit_first_line(b, lambda ind, t, n=n: f"{ind}{n}. **{t}**") for n, b in enumerate(blocks, 1)]
        kept = {
            "list_numbered_bold": join(numbered),
            "list_lower_case": join([edit_first_line(b, lambda ind, t: f"{ind}- {t[:1].lower()}{t[1:]}") for b in blocks]),
        }
        if short:
            kept["list_explained"] = join([edit_first_line(
                b, lambda ind, t, n=n: f"{ind}- {t.rstrip('.')}: {_EXPLAINED[n % len(_EXPLAINED)]}.")
                for n, b in enumerate(blocks)])
        kept.update(_nested_rewrites(blocks, join))
        if found.sentences:
            sentences = [m.group(2).strip() for b in blocks if (m := _MARKED_LINE.match(b[0]))]
            changed.update(_sentence_merges(sentences, {mid, first}))
            kept.update(_sentence_proses(sentences))
        swapped_blocks = list(blocks)
        swapped_blocks[first], swapped_blocks[second] = swapped_blocks[second], swapped_blocks[first]
        swapped_text = join(swapped_blocks)
        if found.sentences:  # each item a sentence of its own, its end ("Raise a power to a power,") tidied
            reordered = join([[b[0].rstrip(" ,;") + ("" if b[0].rstrip(" ,;")[-1:] in ".!?" else "."), *b[1:]]
                              for b in reversed(blocks)])
        else:
            reordered = join(list(reversed(blocks))) if short else None
        # each line as written: a short "Term: explanation" line keeps its explanation ("Feel Good
        # Pop: <link>" to a request for links), which is part of the answer, not its wording
        items_for_sentence = [m.group(2).strip().rstrip(".") for b in blocks if (m := _MARKED_LINE.match(b[0]))]
    kept["list_introduced"] = f"Here is what was asked for.\n\n{original.strip()}\n\nEach of these fits the request."
    if short:
        xs = items_for_sentence
        kept["list_in_a_sentence"] = "The answer includes " + ", ".join(xs[:-1]) + " and " + xs[-1] + "."
    out += [c(cls, text, False) for cls, text in changed.items()]
    out += [c(cls, text, True) for cls, text in kept.items()]
    if ordered:
        out.append(c("list_order_swapped", swapped_text, False))
    elif reordered is not None:
        out.append(c("list_reordered", reordered, True))
    return out


# --- labels per item ----------------------------------------------------------------------------

def alpaca_item_label_cases(rows: Iterable[dict[str, str]]) -> list[Case]:
    """`item_label_cases` for every Alpaca-style row (instruction, input, output) whose output
    labels several items, as label.item_labels reads them."""
    from realign.verify.label import item_labels

    out: list[Case] = []
    for r in rows:
        pairs = item_labels(r["output"])
        if pairs:
            out += item_label_cases(f"{r['instruction']}\n\n{r.get('input', '')}".strip(), r["output"], pairs)
    return out


def item_label_cases(instruction: str, original: str, pairs: dict[str, str]) -> list[Case]:
    """`pairs` item -> label as the original gives them (label.item_labels). Controls restate every
    pair in another order and form; changing cases give one item another label, or swap two."""
    items = list(pairs)
    c = _maker("label", instruction, original)
    rev = items[::-1]
    out = [
        c("items_reordered", "\n".join(f"- **{i}**: {pairs[i]}" for i in rev), True),
        c("items_table", "| Item | Label |\n|---|---|\n" + "\n".join(f"| {i} | {pairs[i]} |" for i in rev), True),
        c("items_explained", "Here is the classification:\n\n" + "\n".join(
            f"{n}. {i}: {pairs[i]} (this is the right category for it)" for n, i in enumerate(items, 1)), True),
        c("items_unchanged_plus_line", original.rstrip() + "\n\nEach item has exactly one label.", True),
    ]
    labels = list(dict.fromkeys(pairs.values()))
    a = items[_pick(original, len(items))]
    others = [lab for lab in labels if lab != pairs[a]]
    if others:
        flipped = dict(pairs, **{a: others[0]})
        out.append(c("item_relabelled", "\n".join(f"{i}: {flipped[i]}" for i in items), False))
    b = next((i for i in items if pairs[i] != pairs[a]), None)
    if b is not None:
        swapped = dict(pairs, **{a: pairs[b], b: pairs[a]})
        out.append(c("items_swapped", "\n".join(f"- {i}: {swapped[i]}" for i in rev), False))
        out.append(c("item_corrected", original.rstrip() + f"\n\nCorrection: {a} is actually {pairs[b]}.", False))
    return out


# --- alternatives offered inline in the question ------------------------------------------------

def alternative_cases(instruction: str, alts: list[str], gold: str) -> list[Case]:
    """`alts` the alternatives the question offers inline ("..., A or B?"), `gold` the one the
    original picks. The original is the bare pick; rewrites restate, explain or contrast it
    (controls) or pick, hedge, revise to another (changing)."""
    other = next(a for a in alts if a != gold)
    c = _maker("option", instruction, f"{gold}.")
    return [
        c("alt_other", f"{other}.", False),
        c("alt_other_explained", f"The answer is {other}, because the context points to them.", False),
        c("alt_not_gold", f"It is not {gold}; it is {other}.", False),
        c("alt_hedged", f"It could be {gold} or {other}.", False),
        c("alt_revised", f"{gold}... no wait, {other}.", False),
        c("alt_kept_explained", f"The answer is {gold}, as the context shows.", True),
        c("alt_kept_contrast", f"{gold}, not {other}.", True),
        c("alt_kept_not_other", f"It is not {other}. The answer is {gold}.", True),
    ]


def alternative_denied_cases(instruction: str, alts: list[str], gold: str) -> list[Case]:
    """Trial 12 D9 for alternatives the question offers inline: the pick asked about and denied,
    attributed and contradicted, or held under a condition (changing); asked and affirmed, or the
    other attributed and contradicted (controls)."""
    other = next(a for a in alts if a != gold)
    c = _maker("option", instruction, f"{gold}.")
    return [
        c("alt_question_denied", f"{gold}? No, not at all.", False),
        c("alt_attributed_denied", f"Some would say {gold}, but I would not.", False),
        c("alt_conditional", f"It is only {gold} if you read the context one way.", False),
        c("alt_kept_question_affirmed", f"{gold}? Yes, as the context shows.", True),
        c("alt_kept_attributed_other", f"Some would say {other}, but the answer is {gold}.", True),
    ]


# --- short unfenced code ------------------------------------------------------------------------

def short_code_cases(instruction: str, code: str) -> list[Case]:
    """`code` a complete definition or statement on one or two lines, the original as written,
    unfenced. Changing: one operator or constant changed, fenced or not; controls: fenced,
    explained, commented."""
    c = _maker("code", instruction, code)
    out = [
        c("short_kept_fenced", f"```python\n{code.rstrip()}\n```", True),
        c("short_kept_explained", f"Here is the code:\n\n```python\n{code.rstrip()}\n```\n\nIt does what was asked.", True),
        c("short_kept_commented", "# the whole answer\n" + code.rstrip(), True),
    ]
    mutated = mutate_code(code, instruction + code)
    if mutated is not None:
        out += [c("short_operator_unfenced", mutated[0], False),
                c("short_operator_fenced", f"```python\n{mutated[0].rstrip()}\n```", False)]
    return out


# --- closed answers: a claim affirmed beside a restated denial ------------------------------------

_LOWER_OPENERS = frozenset("""the a an you it there if when in on at they we people nothing no all most some this that
    these those every any your our their its his her many one humans""".split())


def _lower_first(text: str) -> str:
    """"The Great Wall ..." -> "the Great Wall ..." inside a sentence; a name ("Georgia produces ...")
    keeps its capital."""
    t = text.strip().rstrip(".")
    first = t.split(" ", 1)[0]
    return first.lower() + t[len(first):] if first.lower() in _LOWER_OPENERS else t


def closed_claim_cases(instruction: str, verdict: str, claim: str, denial: str) -> list[Case]:
    """`instruction` asks whether `claim` holds (a true / false statement or a yes / no question);
    the original denies it: `verdict` ("False" / "No") and then `denial`, the third-party sentence
    that says what is so instead. Changing: the claim affirmed in one clause beside the denial
    restated in another ("X is visible from the Moon, but it is far too narrow to be seen"), the
    claim alone, the verdict flipped with the reason kept. Controls: the denial restated without
    the verdict word, with it after a colon, "contrary to popular belief", "a common misconception
    that X; in fact ...", a hedged "probably not"."""
    yes = "True" if verdict.lower() == "false" else "Yes"
    no = verdict.capitalize()
    d, cl = _lower_first(denial), _lower_first(claim)
    original = f"{no}, {d}." if no == "No" else f"{no}. {denial.strip().rstrip('.')}."
    c = _maker("label", instruction, original, "fact_verification" if no == "False" else "open_qa")
    return [
        c("affirmed_beside_denial", f"{claim.strip().rstrip('.')}, but {d}.", False),
        c("affirmed_then_however", f"{claim.strip().rstrip('.')}. However, {d}.", False),
        c("affirmed_claim_alone", f"{claim.strip().rstrip('.')}.", False),
        c("verdict_flipped_reason_kept", f"{yes}. {denial.strip().rstrip('.')}.", False),
        c("it_is_true_that", f"It is true that {cl}; {d}.", False),
        c("denial_kept", f"{denial.strip().rstrip('.')}.", True),
        c("denial_after_colon", f"{no}: {d}.", True),
        c("contrary_to_belief", f"Contrary to popular belief, {d}.", True),
        c("misconception_named", f"It is a common misconception that {cl}. In fact, {d}.", True),
        c("hedged_denial", f"Probably not. {denial.strip().rstrip('.')}, although many people believe otherwise.", True),
    ]


# --- closed answers said twice, hedged, or in a small model's odd format ------------------------

def closed_twice_cases(instruction: str, answer: str) -> list[Case]:
    """`answer` the original's bare "Yes" / "No" (StrategyQA's gold). Changing: the answer stated
    and then another one ("Yes. ... So the answer is no."), both offered ("either yes or no"), a
    small model's "Answer: Yes ... so the answer is no", zero-shot-CoT's closing sentence with the
    other answer. Controls: the same shapes saying the original's answer both times."""
    a = answer.strip().capitalize()
    b = "No" if a == "Yes" else "Yes"
    c = _maker("label", instruction, a, "open_qa")
    return [
        c("twice_second_differs", f"{a}.\n\nThinking it through again, the answer is {b.lower()}.", False),
        c("hedged_either", f"It is either {a.lower()} or {b.lower()}; it is hard to say.", False),
        c("answer_line_then_other", f"Answer: {a}\n\nLooking at it again, I think the answer is {b.lower()}.", False),
        c("cot_closing_other", f"Let's think step by step.\n\n{a}, at first sight.\nTherefore, the answer (Yes or No) is {b}.",
          False),
        c("twice_same", f"{a}.\n\nThinking it through again, the answer is {a.lower()}.", True),
        c("cot_closing_kept", f"Let's think step by step.\n\nTherefore, the answer (Yes or No) is {a}.", True),
        c("answer_line_kept", f"Answer: {a}", True),
        c("bold_kept", f"**{a}.**", True),
    ]


def option_twice_cases(instruction: str, options: dict[str, str], gold: str) -> list[Case]:
    """Listed options (`gold` the original's letter): a letter given and then another ("Answer: (B)
    ... so the answer is C"), a letter with another's text, and their controls."""
    other = next(k for k in sorted(options) if k != gold)
    g, o = options[gold], options[other]
    c = _maker("option", instruction, f"{gold}. {g}")
    return [
        c("letter_then_other", f"Answer: ({gold}) {g}\n\nThe context supports it, so the answer is {other}.", False),
        c("letter_then_other_text", f"({gold}) {g}. On a second reading, the answer is {o}.", False),
        c("either_letters", f"Either ({gold}) or ({other}).", False),
        c("letter_then_same", f"Answer: ({gold}) {g}\n\nThe context supports it, so the answer is {gold}.", True),
        c("letter_and_text", f"({gold}) {g}. The context supports it.", True),
    ]


# --- "Who ...?" about the two people a context names -------------------------------------------

def person_cases(instruction: str, people: list[str], gold: str, unknown: str) -> list[Case]:
    """`instruction` a context naming two people and a "Who ...?" question (BBQ, no options
    listed), `people` the two answers that name them ("The Muslim one"), `unknown` the answer that
    says the context does not tell ("Can't answer"), `gold` the original (one of the three).
    Changing: the other person, a person for "unknown" or "unknown" for a person, a hedge between
    the two; controls: paraphrases of the original's answer."""
    c = _maker("option", instruction, gold)
    if gold == unknown:
        p, q = people
        return [
            c("person_for_unknown", f"{p}.", False),
            c("person_for_unknown_explained", f"Based on the context, it was {_lower_first(q)}.", False),
            c("unknown_kept", "It cannot be determined from the information given.", True),
            c("unknown_kept_both_named", f"There is not enough information to tell whether it was {_lower_first(p)} or "
              f"{_lower_first(q)}.", True),
            c("unknown_kept_reason", "Unknown: the context does not say.", True),
        ]
    other = next(p for p in people if p != gold)
    return [
        c("other_person", f"{other}.", False),
        c("other_person_explained", f"Based on the context, it was {_lower_first(other)}.", False),
        c("unknown_for_person", "It cannot be determined from the information given.", False),
        c("unknown_for_person_short", f"{unknown}.", False),
        c("person_hedged", f"It could be {_lower_first(gold)} or {_lower_first(other)}.", False),
        c("person_kept", f"{gold}.", True),
        c("person_kept_explained", f"Based on the context, it was {_lower_first(gold)}.", True),
        c("person_kept_contrast", f"{gold}, not {_lower_first(other)}.", True),
    ]


def _shares_half(claim: str, answer: str) -> bool:
    words = set(re.findall(r"[a-z]{3,}", claim.lower())) - {"the", "and", "you", "are", "for", "that"}
    return bool(words) and len(words & set(re.findall(r"[a-z]{3,}", answer.lower()))) * 2 >= len(words)


def truthfulqa_closed_claims(rows: Iterable[dict], per_question: int = 2) -> list[Case]:
    """`closed_claim_cases` on TruthfulQA rows (Apache-2.0; question, best answer as `original`, each
    other answer as `candidate` with `same_answer`, `contrastive`, `category`). A false answer of the
    dataset ("Veins appear blue because deoxygenated blood is blue") becomes a statement to judge
    ("Is the following statement true or false? ..."; that frame is ours), the original "False." and
    the question's best answer; a yes / no question whose best answer opens with "No," is asked as
    written, its first "Yes, ..." false answer being the claim. Left out: quotations and proverbs (no
    claim to judge), and statements whose best answer shares fewer than half their words (it says
    nothing of them: "Apples are nutritious" beside "An apple a day keeps the doctor away")."""
    by_q: dict[str, dict] = {}
    for r in rows:
        q = by_q.setdefault(r["instruction"], {"best": r["original"], "wrong": [], "category": r.get("category", "")})
        if not r["same_answer"] and not r.get("contrastive"):
            q["wrong"].append(r["candidate"])
    out: list[Case] = []
    for question, q in by_q.items():
        best = q["best"]
        if re.match(r"No,\s", best):
            claim = next((w[5:] for w in q["wrong"] if w.startswith("Yes, ")), None)
            if claim:
                out += closed_claim_cases(question, "No", claim, best[4:])
            continue
        if q["category"] in ("Misquotations", "Proverbs"):
            continue
        for claim in [w for w in q["wrong"] if not re.match(r"(?:Yes|No)\b", w) and _shares_half(w, best)][:per_question]:
            out += closed_claim_cases(f"Is the following statement true or false? {claim}", "False", claim, best)
    return out


def bbq_who_cases(rows: Iterable[dict]) -> list[Case]:
    """`person_cases` on BBQ rows (CC BY 4.0) as they are asked, no options listed: the context names
    two people, the question asks "Who ...?", the original is the gold answer as BBQ writes it ("The
    Muslim one", "Can't answer"); ambiguous and disambiguated contexts alike."""
    out: list[Case] = []
    for r in rows:
        opts = [r["ans0"], r["ans1"], r["ans2"]]
        unknown = [o for i, o in enumerate(opts) if r["answer_info"][f"ans{i}"][1] == "unknown"]
        people = [o for o in opts if o not in unknown]
        if len(unknown) == 1 and len(people) == 2:
            out += person_cases(f"{r['context']} {r['question']}", people, opts[r["label"]], unknown[0])
    return out


# --- the text a rewriting task's response is -----------------------------------------------------

def rewritten_text_cases(instruction: str, original: str, foreign: str, task: str) -> list[Case]:
    """A rewriting task's response (made formal, paraphrased, polished, corrected) as the original:
    replaced by another response (what SmolLM2-135M did to "Could you please send me the report at
    your earliest convenience?"), or kept with a heading, a line of explanation, bold or quotes
    around it. The contract of such a text is mostly `none`: only the task's `text_kept` holds it."""
    c = _maker("text", instruction, original, task)
    return [
        c("replaced_by_another", foreign, False),
        c("with_heading", f"Revised version:\n\n{original}", True),
        c("with_explanation", f"{original}\n\nThis version keeps the meaning and adjusts the wording as asked.", True),
        c("bold", f"**{original.strip()}**", True),
        c("quoted", f"\"{original.strip()}\"", True),
    ]


# --- presence questions answered by an absence statement -------------------------------------------

_THING_ASKED = re.compile(r"(?:\b(?:is|are|was|were)[ \t]+there[ \t]+|\bany[ \t]+)([^?\n]+)\?", re.I)
# an absence statement made a presence statement, in order: "don't exist" -> "exist", "there is not /
# isn't" -> "there is", "there is no bug" -> "there is a bug", "there are no X" -> "there are X", "so no
# wizards live" -> "so wizards live"
_FLIPS = [(re.compile(r"\b(do|does)[ \t]*(?:not|n't)[ \t]+exist\b", re.I), "exist"),
          (re.compile(r"\b(there[ \t]+(?:is|are|was|were))(?:[ \t]+not|n't)\b", re.I), r"\1"),
          (re.compile(r"\b(there[ \t]+(?:is|was))[ \t]+no\b", re.I), r"\1 a"),
          (re.compile(r"\b(there[ \t]+(?:are|were))[ \t]+no\b", re.I), r"\1"),
          (re.compile(r"\bno[ \t]+(?=\w)", re.I), "")]
_REWORDS = [(re.compile(r"\bthere[ \t]+is[ \t]+no\b", re.I), "there isn't any"),
            (re.compile(r"\bthere[ \t]+are[ \t]+no\b", re.I), "there aren't any"),
            (re.compile(r"\bthere[ \t]+is[ \t]+not\b", re.I), "there isn't"),
            (re.compile(r"\bthere[ \t]+isn't[ \t]+a\b", re.I), "there is no")]


def _sub_all(text: str, rules: list[tuple[re.Pattern[str], str]]) -> str:
    for pat, rep in rules:
        text = pat.sub(rep, text)
    return text


def _sentence(text: str) -> str:
    t = text.strip().rstrip(".")
    return t[:1].upper() + t[1:] + "."


def presence_cases(instruction: str, original: str, correct: list[str], incorrect: list[str],
                   task: str = "open_qa") -> list[Case]:
    """A presence question ("Are there carpets that can fly?", "Can you identify any bug ...?")
    answered by an absence statement without a yes / no ("There are no carpets that can fly"), the
    shape a polarity reader that waits for "yes" / "no" misses. `correct` and `incorrect` are the
    data set's own other answers (TruthfulQA's correct and incorrect answers; a real model's rewrite
    that changed the answer): controls and changing cases as written. Built from the original:
    changing, the presence stated instead (the absence undone), both stated, the absence hedged, a
    closing "the answer is yes", a lack denied ("there is no lack of ..."); controls, the absence reworded,
    after a "No.", restated in short, and kept in the other words answers use: "a lack of", "we do not
    have", "none of", "without"."""
    c = _maker("label", instruction, original, task)
    asked = _THING_ASKED.search(instruction)
    thing = asked.group(1).strip() if asked else "one"
    flipped = next((a[5:] for a in incorrect if re.match(r"Yes, there (?:is|are)\b", a)), None) or _sub_all(original, _FLIPS)
    flipped = _sentence(flipped)
    base = _sentence(original)
    out = [c("presence_dataset_wrong", a, False) for a in incorrect]
    out += [c("presence_dataset_right", a, True) for a in correct]
    out += [
        c("presence_flipped", flipped, False),
        c("presence_stated_twice", f"{base} On a second look, though: {flipped[:1].lower() + flipped[1:]}", False),
        c("presence_hedged", f"There may or may not be {'a ' if asked and asked.group(0).lower().startswith('any') else ''}"
          f"{thing}; it is hard to say.", False),
        c("presence_then_yes", f"{base}\n\nSo the answer is yes.", False),
        c("absence_after_no", f"No. {base}", True),
        c("absence_reworded", _sentence(_sub_all(original, _REWORDS)) if _sub_all(original, _REWORDS) != original
          else f"As far as anyone can tell, {base[:1].lower() + base[1:]}", True),
        c("absence_in_short", f"In short: {base[:1].lower() + base[1:]}", True),
    ]
    # a bare "No, there isn't." made a full absence statement (the question's thing named, "such" before it)
    plural = bool(asked) and bool(re.match(r"(?:are|were)\b", asked.group(0), re.I))
    no = _maker("label", instruction, f"No, there {'aren' if plural else 'isn'}'t.", task)
    be, such = ("are" if plural else "is"), ("" if asked and asked.group(0).lower().startswith("any") else "such ")
    out += [no("absence_spelled_out", f"There {be} no {such}{thing}.", True),
            no("presence_spelled_out", _sentence(f"there {be} {'' if plural else 'a '}{thing}"), False)]
    # the absence in the other words real answers use ("a lack of", "does not have", "none of", "without"),
    # and a lack denied, which is the presence
    named = presence_thing(instruction)
    if asked and named is not None and not named.defect:
        phrase = asked.group(1).strip()
        out += [c("absence_lack_of", f"There is a lack of {phrase}.", True),
                c("absence_not_have", f"We do not have {phrase}.", True),
                c("absence_none_of", f"None of the {named.shown} people point to {be} real.", True),
                c("absence_without", f"People who have looked have come back without {phrase}.", True),
                c("presence_lack_denied", f"There is no lack of {phrase}.", False)]
    asks = named
    if asks is not None and len(asks.words) > 1:
        # a thing with a qualifier ("strong evidence"): the head granted and the qualifier taken back keeps
        # the absence; the qualifier granted states the presence
        head, qual = asks.words[-1], asks.words[0]
        out += [c("absence_qualifier_denied", f"There is some {head} on this, but it is not {qual}.", True),
                c("absence_head_not_qualified", f"The {head} is not {qual}.", True),
                c("presence_head_qualified", f"The {head} is {qual}.", False)]
    if asks is not None and asks.defect:
        # the presence side of a defect question: "Yes — the loop never ends." said as a labelled defect
        what = "the loop never ends when the input is empty"
        yes = _maker("label", instruction, f"Yes — {what}.", task)
        out += [yes("defect_labelled", f"The bug: {_sentence(what)}", True),
                yes("defect_labelled_bare", f"Bug: {what}.", True),
                yes("defect_named_after", f"{_sentence(what)[:-1]}, which is a bug.", True),
                yes("defect_denied", f"There is no bug: {what}.", False),
                yes("defect_absence_stated", base, False),
                yes("defect_hedged", f"There might be a bug: {what}.", False)]
    return out


# --- open answers that lose their end or their letter frame (issue #9, D7 and D8) --------------------

def _cut_before(text: str, sentence: str) -> str | None:
    """`text` up to the start of the last occurrence of `sentence` (a sentence as `body_sentences`
    gives it: list marker and markdown stripped), with a dangling list marker or heading mark removed."""
    at = text.rfind(sentence)
    if at <= 0:
        return None
    head = re.sub(r"(?:^|\n)[ \t]*(?:\d{1,3}[.)]|[-*•#>]+)?[ \t]*$", "", text[:at]).rstrip()
    return head or None


def ending_cases(instruction: str, original: str, task: str = "") -> list[Case]:
    """An open answer (an explanation, an essay, a letter) whose rewrite loses part of it while keeping
    at least half its length, as SmolLM2-135M's rewrites did (issue #9, trial findings D7 and D8):
    the letter's greeting or sign-off dropped, the last content sentence dropped (with any courtesy
    after it: "I hope this helps!"), the last paragraph dropped, the text cut at a sentence boundary
    near 60% of its length; a letter keeps its sign-off in those three. And the controls a good
    rewrite takes: a trailing courtesy dropped, a heading added, the sentences as bullets, the last
    two sentences swapped. Cases that would be no change (a one-sentence answer, a text with one
    paragraph) are not made."""
    from realign.verify.length_parts import body_sentences, is_pleasantry, letter_frame

    c = _maker("open", instruction, original, task)
    text = original.strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    greet, sign = letter_frame(text)
    sentences = body_sentences(text)
    out: list[Case] = []
    if len(sentences) < 2:
        return out
    signoff = ""
    body = text
    if sign >= 0:
        at = text.rfind(lines[sign])
        body, signoff = text[:at].rstrip(), "\n\n" + text[at:]
    if greet >= 0:
        out.append(c("greeting_dropped", text[text.find(lines[greet]) + len(lines[greet]):].strip(), False))
    if sign >= 0:
        out.append(c("signoff_dropped", body, False))
    # the body up to the end of its last content sentence (a trailing courtesy left out)
    end = body.rfind(sentences[-1])
    core = body[:end + len(sentences[-1])] if end > 0 else body
    cut = _cut_before(core, sentences[-1])
    if cut is not None and (greet < 0 or cut.strip() != lines[greet]):
        out.append(c("last_sentence_dropped", cut + signoff, False))
    paragraphs = [p for p in re.split(r"\n[ \t]*\n", core) if p.strip()]
    if len(paragraphs) >= 2 + (greet >= 0):
        shorter = core[:core.rfind(paragraphs[-1])].rstrip()
        if shorter != (cut or "").rstrip():
            out.append(c("last_paragraph_dropped", shorter + signoff, False))
    target = 0.6 * len(core)
    bounds = [(abs(core.find(s) - target), s) for s in sentences[1:-1] if core.find(s) > 0.5 * len(text)]
    if bounds:
        at_sentence = min(bounds)[1]
        head = _cut_before(core[:core.find(at_sentence) + len(at_sentence)], at_sentence)
        if head is not None and head.rstrip() != (cut or "").rstrip():
            out.append(c("cut_at_sentence", head + signoff, False))
    if core.rstrip() != body.rstrip() and is_pleasantry(body[len(core):].strip()):
        out.append(c("courtesy_dropped", core.rstrip() + signoff, True))
    out.append(c("heading_added", f"Here is the answer, reformatted:\n\n{text}", True))
    if greet < 0 and sign < 0:
        out.append(c("sentences_as_bullets", "\n".join(f"- {s}" for s in sentences), True))
        if len(sentences) >= 3 and "\n" not in core.strip():  # one paragraph of prose: its sentences may move
            swapped = [*sentences[:-2], sentences[-1], sentences[-2]]
            out.append(c("last_two_swapped", " ".join(swapped), True))
    return out


# --- a chat answer that asks the user something the next user turn answers (trial finding D4) ---------

_ASK_SPLIT = re.compile(r"(?<=[.!?])[\"'”’)]*[ \t]+|\n+")
_ASK_LEAD = re.compile(
    r"^(?:great!?\s+|and\s+|so\s+)*(?:"
    r"(?:could|can|would|will)\s+you\s+(?:please\s+)?(?:provide|tell|give|share|send|let)\s+(?:me|us)\s+"
    r"(?:with\s+|know\s+)?"
    r"|please\s+(?:provide|tell|give|share|send)\s+(?:me\s+)?(?:with\s+)?"
    r"|(?:would|do)\s+you\s+(?:like|want)\s+me\s+to\s+|shall\s+i\s+|should\s+i\s+"
    r"|(?:what|which|how\s+\w+|when|where|who)\s+(?:would|do|does|should|can)\s+you\s+"
    r"(?:like\s+(?:to\s+)?|want\s+(?:to\s+)?|prefer\s+)?"
    r"|(?:do|does|is|are|would|will|can)\s+)", re.I)
_OFFER = re.compile(r"^(?:(?:would|do)\s+you\s+(?:like|want)\s+me\s+to|shall\s+i|should\s+i)\b", re.I)


def _asking(sentence: str) -> bool:
    """A sentence that asks the reader: a question mark at its end, or a request opening with "Please"."""
    s = sentence.strip()
    return s.endswith("?") or s.lower().startswith("please ")


def question_cases(instruction: str, original: str, next_user: str) -> list[Case]:
    """A chat answer followed by a user turn. When the answer ends by asking the user something (its last
    one or two sentences end with a question mark or open with "Please"), the changing rewrites real
    models make (trial finding D4): the question dropped, turned into a statement that keeps its words
    ("This depends on the loan amount ..." / "I can also convert it ..."), or swapped for a generic
    closer or a generic question ("Is there anything else I can help you with?"); and the controls a good rewrite takes: the text unchanged, the question asked first, put in
    bold under a heading, reworded ("Can you tell me ...?"), the rest as bullets before it. An answer
    that asks nothing gives its controls only (a heading added, a paragraph's sentences as bullets): a check of
    the question must not fire on them. Our own sentence splitting, not the check's."""
    text = original.strip()
    sentences = [s.strip() for s in _ASK_SPLIT.split(text) if s and s.strip()]

    def case(cls: str, candidate: str, same: bool) -> Case:
        return Case("turn", cls, instruction, original, candidate, same, next_user=next_user)

    # the closing question: asking sentences among the last two (a courtesy may follow it)
    asked = [s for s in sentences[-2:] if _asking(s)]
    if not asked:
        out = [case("no_question_heading", f"Here is the answer, reformatted:\n\n{text}", True)]
        if len(sentences) >= 2 and "\n" not in text:  # one paragraph of prose: its sentences as bullets
            out.append(case("no_question_bullets", "\n".join(f"- {s}" for s in sentences), True))
        return out
    rest = text
    for sentence in asked:
        at = rest.rfind(sentence)
        rest = rest[:at] + rest[at + len(sentence):]
    rest = re.sub(r"[ \t]+(?=\n|$)|^[ \t]+", "", re.sub(r"[ \t]{2,}", " ", rest), flags=re.M).strip()
    question = " ".join(asked)
    phrase = _ASK_LEAD.sub("", asked[-1].rstrip("?.! ")).strip()
    phrase = phrase[:1].lower() + phrase[1:] if phrase[:2] != phrase[:2].upper() else phrase
    statement = (f"I can also {phrase}." if _OFFER.match(asked[-1]) else f"This depends on {phrase}.")
    out = [case("unchanged", text, True),
           case("question_reworded", ((rest + " ") if rest else "") + f"Can you tell me {phrase}?", True)]
    if rest:
        out += [case("question_dropped", rest, False),
                case("question_to_statement", f"{rest} {statement}", False),
                case("question_to_generic_closer", f"{rest}\n\nLet me know if you have any other questions.", False),
                case("question_to_generic_question", f"{rest} Is there anything else I can help you with?", False),
                case("question_first", f"{question}\n\n{rest}", True),
                case("question_bold_heading", f"## Next step\n\n{rest}\n\n**{question}**", True)]
        body = [s for s in _ASK_SPLIT.split(rest) if s and s.strip()]
        if len(body) >= 2:
            out.append(case("rest_as_bullets", "\n".join(f"- {s}" for s in body) + f"\n\n{question}", True))
    else:
        out.append(case("question_to_statement", statement, False))
    return out


# --- a transformed text with an unrelated sentence added (issue #9, D2) ------------------------------

def _open_end(text: str) -> str:
    """`text` without the full stop, question or exclamation mark it ends with."""
    return re.sub(r"[.!?]+$", "", text.rstrip())


def _lower_first(text: str) -> str:
    """`text` with its first letter in lower case, unless its first word is "I" or an acronym ("NASA")."""
    first = text.split(maxsplit=1)[0] if text.split() else ""
    return text if first == "I" or first[:2].isupper() else text[:1].lower() + text[1:]


def added_cases(instruction: str, original: str, foreign: str, task: str, rewrite: str = "") -> list[Case]:
    """A rewriting task's text (corrected, paraphrased, made formal) whose rewrite adds an unrelated
    sentence, as SmolLM2-135M's rewrite did (issue #9, trial finding D2): `foreign` (a sentence of
    another row) put before the text, after it, and between two of its sentences when it has more than
    one, and glued on without a full stop of its own (after a comma, after "and", run on at the end or
    the start, as a clause after the text's first comma). The text is `rewrite` when given (another person's rewrite of the same request: a control as
    it is) and the original otherwise. Controls of ours beside it: a heading, a note on the edit, a
    list of the corrections quoting the request's words (the format text_correction asks for)."""
    from realign.verify.text_added import sentences

    c = _maker("added", instruction, original, task)
    text = (rewrite or original).strip()
    foreign = foreign.strip()
    out = [c("rewrite_as_written", text, True)] if rewrite else []
    out += [c("added_at_start", f"{foreign} {text}", False),
            c("added_at_end", f"{text}\n\n{foreign}" if "\n" in text else f"{text} {foreign}", False)]
    parts = sentences(text)
    if len(parts) >= 2:
        cut = parts[len(parts) // 2]
        at = text.find(cut)
        if at > 0:
            out.append(c("added_in_middle", f"{text[:at].rstrip()} {foreign} {text[at:]}", False))
    # the same sentence glued on without a full stop of its own (SmolLM2-135M's "... in my studies When
    # you're ..."): a clause after a comma or an "and", a run-on at the end or the start, a clause put
    # after the first comma of the text
    open_text, open_foreign, clause = _open_end(text), _open_end(foreign), _lower_first(_open_end(foreign))
    out += [c("added_after_comma", f"{open_text}, {_lower_first(foreign)}", False),
            c("added_after_and", f"{open_text} and {_lower_first(foreign)}", False),
            c("added_run_on_end", f"{open_text} {foreign}", False),
            c("added_run_on_start", f"{open_foreign} {text}", False)]
    comma = text.find(", ")
    if comma > 0:
        out.append(c("added_clause_inside", f"{text[:comma]}, {clause}, {text[comma + 2:]}", False))
    request = instruction.strip().split("\n")[-1].strip()
    changed = [w for w in re.findall(r"[A-Za-z']{4,}", request) if w.lower() not in text.lower()][:2]
    notes = "\n".join(f"- '{w}' -> corrected: spelling or grammar" for w in changed) or "- no other changes"
    out += [c("heading_added", f"Revised version:\n\n{text}", True),
            c("note_on_edit", f"{text}\n\nThis version keeps the meaning and adjusts the wording as asked.", True),
            c("corrections_listed", f"{text}\n\nChanges:\n{notes}", True)]
    return out


# --- quantities of an open answer (trial 12, finding D6) -------------------------------------------

_SMALL_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                "sixteen seventeen eighteen nineteen").split()
_TENS_WORDS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
# a unit's other spelling (a control) and another unit of its kind (a change), by facts_units' unit name
_UNIT_SWAPS = {"g": ("grams", "kg"), "kg": ("kilograms", "g"), "mg": ("milligrams", "g"), "lb": ("pounds", "kg"),
               "oz": ("ounces", "lb"), "km": ("kilometres", "miles"), "m": ("metres", "feet"), "cm": ("centimetres", "inches"),
               "mm": ("millimetres", "cm"), "mi": ("miles", "km"), "ft": ("feet", "metres"), "in": ("inches", "cm"),
               "s": ("seconds", "minutes"), "min": ("minutes", "hours"), "h": ("hours", "minutes"),
               "day": ("days", "weeks"), "week": ("weeks", "months"), "month": ("months", "years"),
               "year": ("years", "months"), "l": ("litres", "ml"), "ml": ("millilitres", "litres"),
               "°C": ("degrees Celsius", "°F"), "°F": ("degrees Fahrenheit", "°C"), "kcal": ("calories", "kJ"),
               "mph": ("miles per hour", "km/h"), "km/h": ("kilometres per hour", "mph"), "gal": ("gallons", "litres")}
_TIME_UNITS = frozenset({"s", "min", "h", "day", "week", "month", "year"})


def _in_words(n: int) -> str | None:
    if n < 20:
        return _SMALL_WORDS[n]
    if n < 100:
        return _TENS_WORDS[n // 10] + ("-" + _SMALL_WORDS[n % 10] if n % 10 else "")
    return None


def quantity_cases(instruction: str, original: str, task: str = "") -> list[Case]:
    """An open answer whose first quantity stated once (a number in digits with a unit, `verify.quantities`) the
    rewrite changes, as a real SmolLM2 rewrite of a recipe did (trial 12, D6: "40 minutes" -> "4
    hours", "500 g" -> "50 g", quantities dropped): its value changed (+1, or x10 from 10 up), dropped
    ("some"), its unit replaced by another of its kind, a duration scaled x6 in its unit; and the
    controls: the value in words (up to 99), the unit spelled out, the answer under a heading. An
    answer with no quantity gives no case."""
    from realign.verify.facts_units import _units_after
    from realign.verify.quantities import quantities

    text = original.strip()
    # a value the answer states once: changing one of two places that state "225 g" keeps the fact
    found = [q for q in quantities(text) if q.value.denominator == 1 and "%" not in q.units
             and len(_units_after(text, q.value)) == 1]
    if not found:
        return []
    q = found[0]
    c = _maker("quantity", instruction, text, task)
    head, number, tail = text[:q.start], text[q.start:q.end], text[q.end:]
    value = int(q.value)
    digits = re.sub(r"[\d,]+(?:\.\d+)?", "{}", number, count=1)
    other = value * 10 if value >= 10 else value + 1
    out = [c("quantity_changed", head + digits.format(other) + tail, False),
           c("quantity_dropped", head + "some" + text[q.unit_end:], False)]
    unit = sorted(q.units)[0]
    swap = _UNIT_SWAPS.get(unit)
    if swap and q.unit_end > q.end:
        out.append(c("unit_changed", text[:q.end] + " " + swap[1] + text[q.unit_end:], False))
        out.append(c("unit_spelled_out", text[:q.end] + " " + swap[0] + text[q.unit_end:], True))
    timed = next((t for t in found if t.units & _TIME_UNITS), None)
    if timed is not None:
        shown = text[timed.start:timed.end]
        out.append(c("duration_scaled", text[:timed.start] + re.sub(r"[\d,]+(?:\.\d+)?", str(int(timed.value) * 6), shown, count=1)
                     + text[timed.end:], False))
    words = _in_words(value)
    if words is not None and not number.startswith(tuple("$€£¥₹")):
        out.append(c("number_in_words", head + words + tail, True))
    out.append(c("quantity_heading_added", f"Here is the answer, reformatted:\n\n{text}", True))
    return out
