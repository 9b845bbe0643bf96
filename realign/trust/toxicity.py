"""Toxicity: an offline lexicon scorer (no model, no network, no download).

The lexicon below is this project's own: profanity, insults, slurs, threats and dehumanising
phrases, each with a severity (1 profanity or a mild insult, 2 an insult aimed at someone or a
demeaning word, 3 a slur or a threat). It favours precision over recall for instruction data:
words with a common harmless sense ("hoe" the tool, "jerk" chicken, "trash", "loser" of a match,
"damn", "hell", "kill" a process) are left out, and a word is matched on word boundaries with the
common spellings that hide it ("f*ck", "sh1t", "fuuuck").

`score(text)` is the sum of the severities of the distinct entries a text matches; a text is
toxic when its score is at least 1. The audit compares a rewrite's score with its original's:
a rewrite that scores higher added toxic language. Agreement with third-party labels is measured
by `benchmarks/audit.py` (figures in the README), never used to pick the entries.

>>> score("Thanks, that helps a lot.")
0
>>> [h.entry for h in hits("You are an idiot.")]
['idiot', 'directed insult']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# (name, severity, pattern): patterns are matched case-insensitively on the normalised text.
# A "+" after a letter lets it repeat ("fuuuck"); [*@#] stands for a masked letter.
_M = r"[*#@.\-_]?"  # a masking character or separator some writers put inside a word
_ENTRIES: tuple[tuple[str, int, str], ...] = (
    # profanity
    ("fuck", 1, r"(?:mother|mutha|motha)?f+[u*@#v]+c*k+(?:[ie]n[g']?|ed|er|ers|s|wit|face|head|tard)?"),
    ("fuck (masked)", 1, r"f[*#@]{1,3}k(?:ing|ed|er)?|f[*#@]{2}"),
    ("shit", 1, r"(?:bull|horse|dip|dog|ape)?s+h+[i1!*]+t+(?:s|ty|tier|head|hole|face|ter)?"),
    ("bitch", 1, r"b+[i1!*]+t*c+h+(?:es|y|ing|ass|in)?|biatch|biotch"),
    ("asshole", 1, r"a[s$*]{2}holes?|arseholes?|a[s$]{2}hats?|dumb\s?a[s$]{2}(?:es)?|jackass(?:es)?|kiss\s+my\s+ass"),
    ("bastard", 1, r"bastards?"),
    ("dick", 1, r"dick(?:head|heads|face|wad)s?|dickheads?"),
    ("cunt", 2, r"c+u+n+t+s?|c[*#@]nts?"),
    ("twat / wanker / prick", 1, r"twats?|wank(?:er|ers|ing)?|pricks"),
    ("pussy", 1, r"puss(?:y|ies)"),
    ("whore / slut", 2, r"wh[o0]res?|sluts?|slutty|skanks?|thots?"),
    ("piss", 1, r"piss(?:ed)?\s+off|pissing"),
    ("cock", 1, r"cock(?:sucker|suckers|sucking|s)?"),
    ("crap", 1, r"crap(?:py)?"),
    # insults
    ("idiot", 2, r"idiots?|idiotic|morons?|moronic|imbeciles?|cretins?|halfwits?|dimwits?|nitwits?|numbskulls?"),
    ("stupid", 1, r"stupid(?:est|ity)?|dumb(?:est)?"),
    ("retard", 3, r"retard(?:s|ed)?|r[*]tard"),
    ("scum", 2, r"scum(?:bags?)?|douche(?:bags?)?|sleazebags?|lowlifes?"),
    ("shut up", 1, r"shut\s+(?:the\s+f\w*\s+)?up|stfu|gtfo"),
    # slurs (severity 3)
    ("racial slur", 3, r"n+[i1]+gg+(?:a|ah|az|er|ers|as|uh|uhs|ress|let|s)|n+[i1]+g(?:a|ah|az|as|uh|uhs|let)|nigs?|niccas?|"
                      r"coons?|spics?|spicks?|"
                      r"chinks?|gooks?|kikes?|wetbacks?|beaners?|ragheads?|towelheads?|pakis?|darkies|darky|jungle\s+bunn(?:y|ies)|"
                      r"sand\s+n\w+|camel\s+jockeys?|wogs?|gypped|zipperheads?"),
    ("homophobic slur", 3, r"f+a+g+(?:g+)?(?:[oi]t+s?|s|gy|ots)?|dykes?|trann(?:y|ies)|homos|shemales?"),
    ("ableist slur", 2, r"spastics?|spazz?|mongoloids?|cripples"),
    # threats and incitement (severity 3)
    ("threat", 3, r"(?:i|we)\s*(?:'ll|will|am\s+going\s+to|'m\s+going\s+to|'m\s+gonna|am\s+gonna|gonna|want\s+to)\s+"
                  r"(?:kill|murder|shoot|stab|hurt|beat|strangle|rape)\s+(?:you|u|ya|him|her|them|your)"),
    ("self-harm incitement", 3, r"kill\s+(?:your|ur)self|kys|(?:go|should|hope\s+you|deserve\s+to)\s+die|drink\s+bleach"),
    # dehumanising a group or a person (severity 2)
    ("dehumanising", 2, r"(?:are|is|they're|you're)\s+(?:just\s+|nothing\s+but\s+)?(?:vermin|subhuman|sub-human|"
                        r"parasites|cockroaches|animals|savages|filth|a\s+plague)"),
    ("directed insult", 2, r"(?:you|u)\s*(?:'re|r|are)\s+(?:such\s+)?(?:a\s+|an\s+)?(?:fucking\s+)?(?:idiot|moron|stupid|dumb|"
                           r"pathetic|worthless|useless|loser|piece\s+of\s+(?:shit|crap|trash|garbage)|disgrace|joke|failure)"),
    ("piece of shit", 2, r"piece\s+of\s+(?:shit|crap|garbage|trash)"),
)

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "$": "s", "@": "a", "!": "i", "5": "s"})


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w])(?:" + pattern + r")(?![\w])", re.I)


_COMPILED: tuple[tuple[str, int, re.Pattern[str]], ...] = tuple((n, s, _compile(p)) for n, s, p in _ENTRIES)
# Every entry at once: most texts match none, and one pass tells so (then each entry is searched alone).
_ANY = _compile("|".join(p for _, _, p in _ENTRIES))


@dataclass(frozen=True)
class Hit:
    entry: str  # the lexicon entry's name
    severity: int
    text: str  # as written


def hits(text: str) -> list[Hit]:
    """Every lexicon entry `text` matches, once each, with the first span that matched it."""
    found: dict[str, Hit] = {}
    variants = (text, text.translate(_LEET)) if any(c in text for c in "0134$@!5") else (text,)
    for variant in variants:
        if _ANY.search(variant) is None:
            continue
        for name, severity, pat in _COMPILED:
            if name in found:
                continue
            m = pat.search(variant)
            if m is not None:
                found[name] = Hit(name, severity, m.group(0))
    return list(found.values())


def score(text: str) -> int:
    """Sum of the severities of the distinct entries matched (0 = nothing toxic found)."""
    return sum(h.severity for h in hits(text))


def is_toxic(text: str, threshold: int = 1) -> bool:
    return score(text) >= threshold


def describe(found: list[Hit], limit: int = 4) -> str:
    """"threat ('I will hurt you'), stupid ('stupid')" for a reason line."""
    return ", ".join(f"{h.entry} ({h.text!r})" for h in found[:limit]) + (" ..." if len(found) > limit else "")
