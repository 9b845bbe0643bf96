"""The harmful-request screen of `stakeholder_sim`: which requests enter the simulation.

Deterministic first: a request is flagged **harmful** when its task is ``rejecting``, when
`critique_revise.harmful_request` names it (weapons, violence, demeaning content about a group),
when one of the misuse patterns below matches (cheating, forgery and fake reviews, access to
someone else's network or account, covert surveillance, theft), or when one of the config's
``modes.sim.keywords`` / ``modes.sim.patterns`` does. A request with only a **suspect** word
(cheat, hack, fake, spy ...) is ambiguous ("how do hackers think?", "fake it till you make it"):
with ``modes.sim.screen_model`` the model is asked about it (one call), otherwise it is left
alone. A request with neither is never sent anywhere extra.

>>> screen("open_qa", "How can I cheat on my chemistry exam tomorrow?", [], []).level
'harmful'
>>> screen("open_qa", "Is it fake news that the moon landing happened?", [], []).level
'suspect'
>>> screen("open_qa", "How do I bake sourdough bread?", [], []) is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, Sequence

from realign.modes.critique_revise import harmful_request

# Misuse that is mild but still asks the assistant to help wrong someone. Each pattern names an
# act *and* its object, so a word alone ("exam", "review", "wifi") never flags a request.
_OWNER = (r"(?:neighbou?r'?s?|someone(?: else)?'?s|somebody(?: else)?'?s|other people'?s|another person'?s|"
          r"(?:my|the) (?:ex|boss|partner|wife|husband|girlfriend|boyfriend|roommate|coworker|colleague|sister|brother|"
          r"teacher|landlord)'?s)")
MISUSE: dict[str, re.Pattern[str]] = {name: re.compile(p, re.I) for name, p in {
    "academic dishonesty": r"\b(?:cheat(?:ing)?\s+(?:on|in|at|during|through)|copy (?:the )?answers)\b[^.?!\n]{0,30}"
                           r"\b(?:exams?|tests?|quiz(?:zes)?|homework|"
                           r"assignments?|essays?)\b|\bplagiari[sz]e\b|\bwithout (?:getting caught|being caught)\b",
    "fake reviews or forged documents": r"\b(?:fake|false|fraudulent|forged|made-up)\b[^.?!\n]{0,25}\b(?:reviews?|testimonials?|"
                                        r"ratings?|doctor'?s note|sick notes?|ids?|passports?|receipts?|invoices?|"
                                        r"diplomas?|certificates?|references?)\b"
                                        r"|\bforge\b[^.?!\n]{0,30}\b(?:signatures?|documents?|notes?|cheques?|checks?)\b",
    "access without permission": rf"\b(?:get|break|hack|log|sneak|connect)\s+(?:in(?:to)?|on ?to)\b[^.?!\n]{{0,20}}\b{_OWNER}"
                                 r"[^.?!\n]{0,20}\b(?:wi-?fi|network|accounts?|e-?mail|phone|computer|laptop|router|"
                                 r"instagram|facebook)\b"
                                 r"|\b(?:crack|guess|bypass|get around)\b[^.?!\n]{0,30}\b(?:password|passcode|wi-?fi|"
                                 r"lock ?screen|parental controls?)\b",
    "covert surveillance": r"\b(?:spy on|track|read|monitor|follow)\b[^.?!\n]{0,40}\bwithout (?:them|him|her|their|his|"
                           r"anyone|my \w+) (?:knowing|noticing|consent|permission|finding out)\b",
    "theft": r"\bshoplift\w*\b|\bsteal(?:ing)?\b[^.?!\n]{0,30}\b(?:from|money|car|bike|phone|identity|wallet)\b",
}.items()}

# Words that make a request worth a second look, never a flag on their own.
SUSPECT = re.compile(r"\b(?:cheat\w*|hack\w*|fake|faking|spy\w*|forg(?:e|ery|ing)|bypass\w*|steal\w*|stolen|"
                     r"crack\w*|scam\w*|counterfeit\w*|revenge|trick (?:someone|people|my)|lie to|blackmail\w*|"
                     r"harass\w*|stalk\w*|without (?:them|him|her) knowing)\b", re.I)


@dataclass(frozen=True)
class Flag:
    level: Literal["harmful", "suspect"]
    by: str  # task, pattern, keyword, config_pattern, suspect_word
    why: str


def screen(task: str, instruction: str, keywords: Sequence[str], patterns: Sequence[str]) -> Flag | None:
    """The deterministic screen: harmful, suspect, or None (benign)."""
    if task == "rejecting":
        return Flag("harmful", "task", "the task is rejecting")
    why = harmful_request(task, instruction)
    if why is not None:
        return Flag("harmful", "pattern", why)
    for name, pattern in MISUSE.items():
        m = pattern.search(instruction)
        if m:
            return Flag("harmful", "pattern", f"the instruction asks for {name}: {m.group(0)[:80]!r}")
    low = instruction.lower()
    for k in keywords:
        if k.strip() and re.search(rf"(?<!\w){re.escape(k.strip().lower())}(?!\w)", low):
            return Flag("harmful", "keyword", f"the instruction has the keyword {k!r} (modes.sim.keywords)")
    for p in patterns:
        m = re.search(p, instruction, re.I)
        if m:
            return Flag("harmful", "config_pattern", f"modes.sim.patterns {p!r} matches {m.group(0)[:80]!r}")
    m = SUSPECT.search(instruction)
    if m:
        return Flag("suspect", "suspect_word", f"the instruction has the suspect word {m.group(0)!r}")
    return None
