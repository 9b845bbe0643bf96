"""Answer-neutral repairs, made and recorded instead of rejecting a good rewrite.

A repair may only change the form of an answer the rewrite already states: it runs when the
contract's own check passes on the unrepaired text, and writes the original's answer in the
original's own format. Today one: the GSM8K ``#### N`` line. Scorers read the number after
``####``; a rewrite that states "The answer is 18" but drops the line would teach a model to
leave it out, and rejecting it throws away a correct rewrite. So the line is restored (or a
reformatted one, "#### $18.00", is written back as the original's "#### 18").
A text that stops mid-sentence is not a good rewrite: it gets no line, since a line added after
"... 48 + 24 = 72 clips in April and" would end the text well and hide the cut from the length
check, which reads the repaired text.

>>> from realign.verify.base import CheckInput
>>> inp = CheckInput(task="", instruction="How much?", original="9*2=18\\n#### 18",
...                  candidate="She makes 9 * 2 = $18.\\n\\nThe answer is 18.")
>>> text, done = repair(inp, ["math_answer", "answer_line"])
>>> text.splitlines()[-1], done
('#### 18', ["restored the '#### 18' answer line"])
"""

from __future__ import annotations

from typing import Sequence

from realign.verify.answer_line import answer_lines
from realign.verify.base import CheckInput
from realign.verify.length import stops_mid_sentence
from realign.verify.math import check_math, parse_number, same_verdict_for
from realign.verify.options import VerifyOptions

_OPTIONS = VerifyOptions()


def repair(inp: CheckInput, checks: Sequence[str], options: VerifyOptions | None = None) -> tuple[str, list[str]]:
    """(candidate, repairs made): the candidate with answer-neutral repairs applied."""
    if "answer_line" not in checks:
        return inp.candidate, []
    want = [m.group(1) for m in answer_lines(inp.original)]
    if not want:
        return inp.candidate, []
    line = f"#### {want[-1].strip()}"
    opts = options or _OPTIONS
    if not check_math(inp, opts).passed:
        return inp.candidate, []  # the answer itself is wrong or missing: nothing neutral to do
    have = answer_lines(inp.candidate)
    if not have:
        if stops_mid_sentence(inp.candidate, inp.original) is not None:
            return inp.candidate, []  # cut off: the length check must see the cut, not a new last line
        fixed = inp.candidate.rstrip() + "\n\n" + line
        same_verdict_for(inp, fixed, opts)
        return fixed, [f"restored the {line!r} answer line"]
    last = have[-1]
    if last.group(0).strip() == line:
        return inp.candidate, []
    ref, got = parse_number(want[-1]), parse_number(last.group(1))
    if ref is not None and got is not None and ref.value == got.value:
        fixed = inp.candidate[: last.start()] + line + inp.candidate[last.end() :]
        same_verdict_for(inp, fixed, opts)
        return fixed, [f"normalised the answer line {last.group(0).strip()!r} to {line!r}"]
    return inp.candidate, []
