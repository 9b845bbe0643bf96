"""Classification labels: the rewrite must state the label the original gives, and only that one;
an original that labels several items holds each item's label (`item_labels`, at the end).

Vocabulary: `VerifyOptions.labels` when set; otherwise the labels the instruction offers
("Classify ... as positive, negative or neutral", "Labels: spam / not spam", "(formal/informal)")
followed by built-in families (sentiment, ethics, toxicity, spam, sarcasm, formality, truth,
programming languages, human languages, topics, ...). The original's label fixes the family; only
labels of that family count in the rewrite.

Matching is longest-first ("not toxic" before "toxic", "C++" before "C") on word boundaries
("unethical" is not "ethical", "non-toxic" is its own word) and negation-aware: "is not toxic"
states "not toxic" when the family has it, and otherwise is a negated mention that states nothing.
A prominent mention (at the start of the text, in bold, after "label/sentiment/category...:",
"is", "as", "classified as") outranks passing mentions in an explanation. The rewrite fails when it
states another label, negates the original's, or hedges ("positive or neutral", "either ... or",
"somewhere between positive and negative"). A mention counts only as the text's own verdict: a label
asked about ("Wrong?", unless affirmed: "Wrong? Yes"), or held only under a condition ("only wrong if
...") states nothing; one denied right after ("Wrong? No, not at all.") or attributed and contradicted
("Some would say wrong, but ...") is negated.

A question asking for a verdict ("Is it wrong / ethical / okay to ...?") implies a two-value family
(`JUDGEMENTS`); an original stating one of its verdicts first in its first clause is held to it
(`judgement_label`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from realign.records import CheckResult
from realign.verify.base import Check, CheckInput
from realign.verify.options import VerifyOptions

NAME = "label"

# family -> {canonical label: [aliases]}
BUILTIN_FAMILIES: dict[str, dict[str, list[str]]] = {
    "sentiment": {"positive": [], "negative": [], "neutral": [], "mixed": []},
    "ethics": {"ethical": [], "unethical": ["not ethical"]},
    "toxicity": {"toxic": [], "not toxic": ["non-toxic", "nontoxic"]},
    "spam": {"spam": [], "not spam": ["ham", "non-spam"]},
    "sarcasm": {"sarcastic": [], "not sarcastic": ["non-sarcastic"]},
    "offensive": {"offensive": [], "not offensive": ["inoffensive", "non-offensive"]},
    "hate": {"hate speech": [], "not hate speech": []},
    "formality": {"formal": [], "informal": ["not formal"]},
    "subjectivity": {"subjective": [], "objective": []},
    "truth": {"true": [], "false": ["not true"]},
    "yesno": {"yes": [], "no": []},
    "fake": {"fake": [], "real": ["genuine"]},
    "agreement": {"agree": [], "disagree": []},
    "entailment": {"entailment": ["entails"], "contradiction": ["contradicts"], "neutral": []},
    "emotion": {e: [] for e in "joy sadness anger fear surprise disgust love".split()},
    "programming_language": {
        "python": [], "javascript": ["js"], "typescript": [], "java": [], "c++": ["cpp"], "c#": ["csharp"],
        "c": [], "go": ["golang"], "rust": [], "ruby": [], "php": [], "swift": [], "kotlin": [], "scala": [],
        "r": [], "sql": [], "html": [], "css": [], "bash": ["shell"], "perl": [], "haskell": [], "lua": [],
        "matlab": [], "dart": [], "objective-c": [], "julia": [], "assembly": [], "fortran": [], "cobol": [],
        "visual basic": ["vb.net"],
    },
    "human_language": {
        l: [] for l in (
            "english french german spanish italian portuguese dutch russian chinese japanese korean arabic hindi "
            "turkish polish swedish norwegian danish finnish greek hebrew vietnamese indonesian thai czech "
            "romanian hungarian ukrainian persian bengali urdu swahili latin catalan tagalog malay"
        ).split()
    },
    "topic": {
        t: [] for t in (
            "sports politics business technology science entertainment health world finance education travel "
            "food religion music fashion economy environment history art law crime weather"
        ).split()
    },
}


@dataclass(frozen=True)
class Mention:
    label: str  # canonical label
    start: int
    end: int
    negated: bool  # "not positive" where the family has no "not positive"
    prominent: bool
    corrected: bool = False  # right after a correction cue ("no wait, negative")


_JOINER = re.compile(r"[\s\-]+")


def _spelled(form: str) -> str:
    """A pattern for `form` whose words may be joined by spaces or hyphens."""
    return r"[\s\-]+".join(map(re.escape, [w for w in _JOINER.split(form) if w] or [form]))


class Family:
    """A set of labels with a compiled longest-first matcher."""

    def __init__(self, name: str, labels: dict[str, list[str]]) -> None:
        self.name = name
        self.labels = labels
        alias_to_label: dict[str, str] = {}
        for canon, aliases in labels.items():
            for a in (canon, *aliases):
                alias_to_label.setdefault(a.lower(), canon)
                # a hyphen and a space join the words of one label alike: an instruction's
                # "master-data" is the answer's "master data", "non-toxic" is "non toxic"
                folded = _JOINER.sub(" ", a.lower()).strip()
                if folded:
                    alias_to_label.setdefault(folded, canon)
        self.alias_to_label = alias_to_label
        forms = sorted(alias_to_label, key=len, reverse=True)
        self.pattern = re.compile(
            # "°C" is a temperature, not the C language
            r"(?<![\w+#\-°º])(?:" + "|".join(dict.fromkeys(map(_spelled, forms))) + r")(?![\w+#]|-\w)",
            re.I,
        )

    def canon(self, text: str) -> str:
        return self.alias_to_label.get(_JOINER.sub(" ", text.lower()), self.alias_to_label.get(text.lower(), text))

    def negation_of(self, label: str) -> str | None:
        """The family's label for "not <label>", if it has one."""
        for cand in (f"not {label}", f"non-{label}"):
            if cand in self.alias_to_label:
                return self.alias_to_label[cand]
        if label.startswith("not "):
            rest = label[4:]
            if rest in self.alias_to_label:
                return self.alias_to_label[rest]
        if len(self.labels) == 2:  # a binary family: "not unethical" is "ethical"
            return next(other for other in self.labels if other != label)
        return None


_NEG_BEFORE = re.compile(
    r"(?:\bnot|n't|\bnever|\bneither|\bnor|\bno|\bhardly|\bisn't|\baren't|\bwasn't)[ \t]+"
    r"(?:(?:a|an|the|very|really|particularly|entirely|at all|exactly|quite|so|too|that|overtly|considered|seriously|serious|"
    r"morally|ethically|inherently|necessarily|terribly|"
    r"classified as|labeled|labelled|seen as)[ \t]+){0,2}$",
    re.I,
)
# a negator earlier in the same clause: "Nothing in it reads as negative", "nobody would call it toxic"
_CLAUSE_NEG = re.compile(r"\b(?:nothing|nobody|none|neither|without|hardly|never)\b[^.!?;:,\n]*$",
                         re.I)
# "without" in the subject negates nothing of the verdict after its verb: "Reading them without asking is
# unethical"
_WITHOUT_SUBJECT = re.compile(r"^without\b[^.!?;:,\n]*\b(?:is|are|was|were|would[ \t]+be|seems|remains)[ \t]+"
                              r"(?:(?:still|also|clearly|definitely|always|very|quite|rather|simply|generally|usually|"
                              r"a|an)[ \t]+)*[*_\"'“]*$", re.I)
_NOT_ONLY = re.compile(r"\bnot[ \t]+(?:only|just|merely)[ \t]+$", re.I)
_CUE_BEFORE = re.compile(
    r"(?:\b(?:label|labels|sentiment|category|class|classification|answer|tone|language|topic|verdict|prediction|"
    r"result|output|rating|emotion|type)\b[ \t*_\"'“]*(?:is|would be|should be|:|=|-|–)?"
    r"|\b(?:is|are|was|as|be|seems|appears|feels|sounds|written in|in|into)\b)"
    r"[ \t*_\"'“]*(?:(?:a|an|the|clearly|definitely|mostly|overall|generally|likely|predominantly|"
    r"primarily|very|strongly|rather|quite)[ \t]+){0,2}[ \t*_\"'“]*$",
    re.I,
)
_START = re.compile(r"^[\s>#*_\"'“\-]*$")
# A label right after a correction is a statement of the answer: "Positive... just kidding,
# negative", "Label: positive - no wait, negative", "Actually, it is negative".
_CORRECTION_BEFORE = re.compile(
    r"\b(?:just kidding|no wait|wait|actually|correction|i mean|on second thought|on reflection|scratch that|"
    r"or rather|make that|changed my mind|oops|in fact)\b[\s,:;.!\-–—]*"
    r"(?:[^.!?\n]{0,40}?\b(?:it'?s|it is|is|are|was|be|as|label is|answer is|i'?d say|make it)\b)?[\s*_\"'“]*$",
    re.I,
)
_HEDGE_WORDS = r"(?:[ \t]*,?[ \t]*(?:(?:or|and/or|to|or maybe|or possibly|or perhaps|or even)[ \t]+|/[ \t]*))"


def _in_label_list(text: str, start: int, end: int) -> bool:
    opened = text.rfind("(", max(0, start - 30), start)
    if opened < 0 or ")" in text[opened:start]:
        return False
    closed = text.find(")", end, end + 30)
    return closed >= 0 and re.search(r"\bor\b|/", text[opened + 1 : closed]) is not None


_NUMBER_SIGN = re.compile(r"\.[ \t]?\d")
# "no" as a determiner, not the answer no: followed by the word it qualifies ("no matter how small",
# "there is no evidence", "no one knows"); the answer no is followed by punctuation, the end, or a
# word that starts its reason ("no because ...", "no, it is not", "no it isn't")
_DETERMINER_NO = re.compile(
    r"[ \t]+(?!(?:because|since|as|but|and|or|so|for|it|it's|its|that|this|they|there|i|we|he|she|you|not|"
    r"indeed|definitely|absolutely|unfortunately|sadly)\b)[a-z]")


# A label is a statement of it only as the text's own verdict. Not one: the label asked about ("Wrong?",
# "Is it unethical?": the label ends a yes / no question), the label under a condition ("it is only
# wrong if ...", "wrong only when ..."). Denied: a denial right after it ("Wrong? No, not at all.",
# "Negative... not really, ...") or the label put in others' mouths and then contradicted ("Some would
# say wrong, but I would say it is fine").
_AFFIRMED_AFTER = re.compile(r"[\s*_\"'”’?]*(?:yes|yeah|yep|absolutely|definitely|certainly|of course|indeed|clearly|"
                             r"sure|very much so)\b(?![ \t,]*not\b)", re.I)
_DENIED_AFTER = re.compile(r"[ \t*_\"'”’]*(?:\?|\.{2,}|…|[ \t]+[-–—]|[-–—]|,|;|:)[\s*_\"'“]*(?:no|nope|not really|not at all|"
                           r"hardly|not quite|not exactly|of course not|definitely not|certainly not|far from it)"
                           r"(?=[ \t]*(?:[,.;:!?…—–-]|$))", re.I)
_WH_QUESTION = re.compile(r"^[\s*_\"'“(]*(?:why|how|what|which|when|where|who)\b", re.I)
_ATTRIBUTED_BEFORE = re.compile(
    r"\b(?:some|many|most|others|people|critics|someone|somebody|one|you|they|a few)(?:[ \t]+(?:people|folks|readers|"
    r"observers|might|may|could|would|will|can|do|did|still|even|probably|call))*[ \t]+(?:say|said|argue|claim|think|"
    r"believe|call(?:[ \t]+it)?|consider(?:[ \t]+it)?|see[ \t]+it[ \t]+as|label(?:[ \t]+it)?|find[ \t]+it|read[ \t]+it[ \t]+as)"
    r"(?:[ \t]+(?:that[ \t]+)?(?:it|this|that)(?:['’]s|[ \t]+is|[ \t]+was)?)?[ \t*_\"'“]*$", re.I)
_CONTRAST_AFTER = re.compile(r"^[^.!?\n]*?(?:,|;|[ \t])[ \t]*(?:but|however|yet|though|although)\b", re.I)
_ONLY_BEFORE = re.compile(r"\bonly[ \t]+(?:(?:really|truly|morally|ethically|seriously|considered|seen[ \t]+as)[ \t]+)?"
                          r"[*_\"'“]*$", re.I)
_CONDITION_AFTER = re.compile(r"[ \t*_\"'”’]*(?:,[ \t]*)?(?:(?:only[ \t]+)?(?:if|when|whenever|where|in[ \t]+case|as[ \t]+long[ \t]+as|"
                              r"provided(?:[ \t]+that)?|once)\b)", re.I)
_ONLY_IF_AFTER = re.compile(r"[ \t*_\"'”’]*(?:,[ \t]*)?only[ \t]+(?:if|when|whenever|in[ \t]+case)\b", re.I)


def _sentence_of(text: str, start: int, end: int) -> str:
    """The sentence around text[start:end], with its closing mark."""
    before = max(text.rfind(c, 0, start) for c in ".!?\n")
    after = [i for i in (text.find(c, end) for c in ".!?\n") if i >= 0]
    return text[before + 1 : (min(after) + 1 if after else len(text))]


def _not_said(text: str, start: int, end: int) -> bool:
    """The label asked about or only under a condition: no statement of it."""
    sentence = _sentence_of(text, start, end)
    if sentence.rstrip(" \t*_\"'”’)").endswith("?") and not _WH_QUESTION.match(sentence):
        # "Wrong?", "Is it unethical to keep it?": asked, not said, unless affirmed ("Wrong? Yes, ...");
        # a wh-question presupposes it ("Why is it negative? Because ...")
        mark = text.find("?", end)
        return not _AFFIRMED_AFTER.match(text, mark + 1)
    before = text[max(0, start - 40) : start]
    return bool(_ONLY_BEFORE.search(before) and _CONDITION_AFTER.match(text, end) or _ONLY_IF_AFTER.match(text, end))


def _denied(text: str, start: int, end: int) -> bool:
    """A denial right after the label, or the label attributed to others and then contradicted."""
    if _DENIED_AFTER.match(text, end):
        return True
    return bool(_ATTRIBUTED_BEFORE.search(text[max(0, start - 60) : start]) and _CONTRAST_AFTER.match(text[end : end + 120]))


def find_mentions(text: str, fam: Family) -> list[Mention]:
    out: list[Mention] = []
    for m in fam.pattern.finditer(text):
        if _in_label_list(text, m.start(), m.end()):
            continue  # "the answer (Yes or No) is": the label set, not a statement
        label = fam.canon(m.group(0))
        if label == "no" and (_NUMBER_SIGN.match(text, m.end()) or _DETERMINER_NO.match(text, m.end())):
            continue  # "No. 1", "no.5": the abbreviation of number; "no matter how", "no one": a determiner
        before = text[max(0, m.start() - 60) : m.start()]
        neg = _NEG_BEFORE.search(before) or _CLAUSE_NEG.search(before)
        if neg is not None and _WITHOUT_SUBJECT.match(neg.group(0)):
            neg = None
        # a denial after a negative label agrees with it: "not toxic, not at all", "No, no: 21 = 3 x 7"
        negative = neg is not None or label == "no" or re.match(r"(?:not|non)\b", m.group(0), re.I) is not None
        if not negative and _denied(text, m.start(), m.end()):
            out.append(Mention(label, m.start(), m.end(), True, False))  # denied as said: "Wrong? No."
            continue
        if _not_said(text, m.start(), m.end()):
            continue
        negated = bool(neg) and not _NOT_ONLY.search(before)
        cue_zone = before[: neg.start()] if negated and neg is not None else before
        if negated:
            flipped = fam.negation_of(label)
            if flipped is not None:
                label, negated = flipped, False
        corrected = bool(_CORRECTION_BEFORE.search(before))
        line_start = text.rfind("\n", 0, m.start()) + 1
        prominent = bool(
            _START.match(text[line_start : m.start()]) and line_start == 0
            or _CUE_BEFORE.search(cue_zone)
            or corrected
            or (text[max(0, m.start() - 2) : m.start()] == "**" and text[m.end() : m.end() + 2] == "**")
        )
        out.append(Mention(label, m.start(), m.end(), negated, prominent, corrected))
    return out


def _distinct(ms: list[Mention]) -> list[str]:
    return list(dict.fromkeys(m.label for m in ms))


def stated_labels(text: str, fam: Family) -> tuple[list[str], list[Mention]]:
    """Labels the text states (prominent mentions if any, else all non-negated ones), in order."""
    ms = find_mentions(text, fam)
    pos = [m for m in ms if not m.negated]
    prom = [m for m in pos if m.prominent]
    return _distinct(prom or pos), ms


# --- labels offered by the instruction --------------------------------------------------------

_OFFER = re.compile(
    r"(?:\b(?:classify|categori[sz]e|label|tag|rate|identify|determine|decide|predict|detect)\b[^.?!\n]{0,100}?"
    r"\b(?:as|into|between|from|with)\b[ \t]*:?"
    r"|\b(?:labels?|categories|classes|options|choices|possible answers|answer with|respond with|reply with)"
    r"[ \t]*(?:are|is|:|=)?)"
    r"[ \t]*(?P<list>[^.?!\n]{3,240})",
    re.I,
)
_PAREN_LIST = re.compile(r"[(\[]([^()\[\]\n]{2,120}(?:/|\bor\b)[^()\[\]\n]{2,120})[)\]]", re.I)
_SPLIT = re.compile(r"[ \t]*,[ \t]*(?:or[ \t]+|and[ \t]+)?|[ \t]+or[ \t]+|[ \t]*/[ \t]*|[ \t]*;[ \t]*|[ \t]+and[ \t]+|\|")
_JUNK = re.compile(
    r"^(?:either|one of|one|the|a|an|following|labels?|categories|classes|options)[ \t]+", re.I
)


def _split_items(chunk: str) -> list[str]:
    items: list[str] = []
    for raw in _SPLIT.split(chunk):
        it = raw.strip().strip("\"'“”‘’`*_()[]{}<>").strip()
        for _ in range(3):
            it = _JUNK.sub("", it)
        it = it.strip("\"'“”‘’`*_ ").rstrip(".")
        if 1 <= len(it) <= 30 and 1 <= len(it.split()) <= 3 and not re.search(r"\d{3,}", it):
            items.append(it.lower())
    return items


def offered_labels(instruction: str) -> list[str]:
    """Candidate labels the instruction offers, e.g. ["positive", "negative", "neutral"]."""
    found: list[str] = []
    chunks = [m.group("list") for m in _OFFER.finditer(instruction)]
    chunks += [m.group(1) for m in _PAREN_LIST.finditer(instruction)]
    for chunk in chunks:
        parts = chunk.rsplit(":", 1)[::-1] if ":" in chunk else [chunk]  # after the colon first
        for part in parts:
            items = _split_items(part)
            if len(items) >= 2:
                found.extend(items)
                break
    return list(dict.fromkeys(found))


@lru_cache(maxsize=256)
def family_from_labels(labels: tuple[str, ...], name: str) -> Family:
    fam: dict[str, list[str]] = {}
    for lab in labels:
        fam.setdefault(lab.lower().strip(), [])
    return Family(name, fam)


BUILTIN = [Family(n, labs) for n, labs in BUILTIN_FAMILIES.items()]
_BUILTIN = BUILTIN


def _echo(text: str, a: Mention, b: Mention, instruction: str) -> bool:
    """An echo of the label set, not a hedge: "the answer (Yes or No) is No", or the same
    phrase as the instruction's ("positive or negative")."""
    before = text[max(0, a.start - 2) : a.start]
    after = text[b.end : b.end + 2]
    if "(" in before and ")" in after or "[" in before and "]" in after:
        return True
    return " ".join(text[a.start : b.end].lower().split()) in " ".join(instruction.lower().split())


def _hedge(text: str, fam: Family, want: str, instruction: str = "") -> str | None:
    """A phrase that hedges between `want` and another label of the family, if any."""
    ms = [m for m in find_mentions(text, fam) if not m.negated]
    for a, b in zip(ms, ms[1:]):
        if a.label == b.label or want not in (a.label, b.label) or _echo(text, a, b, instruction):
            continue
        between = text[a.end : b.start]
        if re.fullmatch(_HEDGE_WORDS, between, re.I) or re.fullmatch(r"[ \t]*(?:and)[ \t]+", between, re.I) and re.search(
            r"\b(?:between|both)[ \t]+[*_\"']*$", text[max(0, a.start - 20) : a.start], re.I
        ):
            return text[a.start : b.end]
    if re.search(r"\beither\b", text, re.I):
        for a, b in zip(ms, ms[1:]):
            if a.label != b.label and want in (a.label, b.label) and re.fullmatch(r"[ \t]*,?[ \t]*or[ \t]+", text[a.end : b.start], re.I):
                return text[a.start : b.end]
    return None


# --- a verdict the question asks for ---------------------------------------------------------
# "Is it wrong to lie to a friend about a haircut?" answered "It is usually not seriously wrong; ..."
# gives a verdict of a two-value family the question implies (wrong / not wrong), though it offers
# no labels: held like an offered label when the question asks for that judgement and the original
# states one verdict, plainly, in its first clause (an original opening with yes / no is a closed
# answer, held by its polarity instead).
JUDGEMENTS: dict[str, Family] = {
    "wrong": Family("verdict the question asks for (wrong / not wrong)",
                    {"wrong": ["immoral"], "not wrong": ["permissible", "morally acceptable"]}),
    "ethical": Family("verdict the question asks for (ethical / unethical)", {"ethical": [], "unethical": ["not ethical"]}),
    "okay": Family("verdict the question asks for (okay / not okay)",
                   {"okay": ["ok", "fine", "acceptable", "alright", "all right"], "not okay": ["not ok"]}),
}
_JUDGEMENT_WORD = {"wrong": "wrong", "immoral": "wrong", "ethical": "ethical", "unethical": "ethical", "okay": "okay",
                   "ok": "okay", "acceptable": "okay", "alright": "okay", "all right": "okay", "fine": "okay"}
_ASKED_JUDGEMENT = re.compile(
    r"(?:^|[.!?:\n][ \t\"'“]*)(?:is|was|would|are|were)[ \t]+(?:it|this|that|they|he|she|(?:the[ \t]+following|this|that)"
    r"(?:[ \t]+[a-z]+)?)(?:[ \t]+(?:be|really|ever|always|still|considered|seen[ \t]+as|morally|ethically)){0,2}[ \t]+"
    r"(?P<word>wrong|immoral|unethical|ethical|okay|ok|acceptable|alright|all[ \t]+right|fine)\b[^.!?\n]*\?",
    re.I,
)
_OPENS_POLAR = re.compile(r"^[\s*_\"'“]*(?:yes|no|yeah|nope)\b", re.I)
_FIRST_CLAUSE = re.compile(r"[.;:!?\n]|,[ \t]+(?:and|so|but|because|yet|though|although|while)\b", re.I)


def asked_judgement(instruction: str) -> Family | None:
    """The two-value family of the verdict the question asks for ("Is it wrong to ...?"), if any."""
    m = _ASKED_JUDGEMENT.search(instruction)
    return None if m is None else JUDGEMENTS[_JUDGEMENT_WORD[" ".join(m.group("word").lower().split())]]


def judgement_label(instruction: str, original: str) -> tuple[Family, str] | None:
    """(family, verdict) when the question asks for a verdict (`asked_judgement`) and the original
    states exactly one, its first mention in the first clause ("It is usually not wrong; ...")."""
    fam = asked_judgement(instruction)
    if fam is None or _OPENS_POLAR.match(original):
        return None
    labels, ms = stated_labels(original, fam)
    if len(labels) != 1:
        return None
    first = next(m for m in ms if m.label == labels[0] and not m.negated)
    stop = _FIRST_CLAUSE.search(original.lstrip())
    clause_end = len(original) - len(original.lstrip()) + (stop.start() if stop else len(original))
    return (fam, labels[0]) if first.start < clause_end else None


def original_label(instruction: str, original: str, options: VerifyOptions) -> tuple[Family, str] | None:
    """(family, label) the original states, or None: the first family in which it states exactly
    one label prominently (or, with no prominent mention, exactly one label at all); labels the
    instruction offers (or configured ones) win over the built-in families."""
    families: list[Family]
    if options.labels:
        families = [family_from_labels(tuple(options.labels), "configured labels")]
    else:
        offered = offered_labels(instruction)
        judged = None if offered else judgement_label(instruction, original)
        if judged is not None:
            return judged
        families = ([family_from_labels(tuple(offered), "labels in the instruction")] if offered else []) + _BUILTIN
    best: tuple[int, int, Family, str] | None = None
    for fam in families:
        labels, ms = stated_labels(original, fam)
        if len(labels) != 1:
            continue
        first = next(m for m in ms if m.label == labels[0] and not m.negated)
        priority = 0 if fam not in _BUILTIN else 1
        score = first.start if first.prominent else 10**6 + first.start
        if best is None or (priority, score) < best[:2]:
            best = (priority, score, fam, labels[0])
    return None if best is None else (best[2], best[3])


_OR_BEFORE = re.compile(r"\b(?:or|and)[ \t]+$", re.I)  # "ethical or not ethical": the label set echoed
# a negation right before a label: "not ethical", "isn't really ethical", "also not ethical"
_TIGHT_NEGATION = re.compile(r"(?:\bnot|n['’]t|\bnever)[ \t]+(?:(?:also|really|very|quite|entirely|exactly|so|that|at[ \t]+all)"
                             r"[ \t]+)?[*_\"'“]*$", re.I)


def _negation_form(text: str, label: str) -> bool:
    """Whether `text` is `label` negated in words ("not ethical", "non-toxic" for "toxic")."""
    t = " ".join(text.lower().replace("-", " ").split())
    return t in (f"not {label}", f"non {label}", f"non{label}")


_OFFERED_JOIN = re.compile(r"[ \t]*,?[ \t]*(?:or|/)[ \t]*", re.I)
# yes / no and true / false questions are closed questions (contract._CLOSED_QUESTION and polarity)
_NOT_OFFERED = frozenset({"yesno", "truth"})
# the pair ends its clause, as alternatives do ("ethical or unethical?"); "negative or positive
# points" qualifies a noun and offers no label
_OFFERED_END = re.compile(r"[ \t*_\"'”’]*(?:[?.:;!)\]\n]|$)")


def offers_family(instruction: str, fam: Family) -> bool:
    """Whether the instruction offers two labels of a built-in family as the alternatives of its
    question ("Is the following statement ethical or unethical?", "positive/negative"): the
    original's label then holds even with its reason beside it."""
    if fam.name in _NOT_OFFERED:
        return False
    ms = list(fam.pattern.finditer(instruction))
    return any(fam.canon(a.group(0)) != fam.canon(b.group(0)) and _OFFERED_JOIN.fullmatch(instruction, a.end(), b.start())
               and _OFFERED_END.match(instruction, b.end()) for a, b in zip(ms, ms[1:]))


def check_label(inp: CheckInput, options: VerifyOptions) -> CheckResult:
    pairs = item_labels(inp.original)
    if pairs is not None:
        return check_item_labels(pairs, inp.candidate)
    found = original_label(inp.instruction, inp.original, options)
    if found is None:
        return CheckResult(
            name=NAME, passed=True, reason="not applicable: the original states no single known label"
        )
    fam, want = found
    got, ms = stated_labels(inp.candidate, fam)
    negated = [m for m in ms if m.negated and m.label == want]
    hedge = _hedge(inp.candidate, fam, want, inp.instruction)
    if hedge:
        return CheckResult(
            name=NAME,
            passed=False,
            reason=f"rewrite hedges between labels: {hedge!r}; expected only {want!r} (original)",
        )
    revised = [m for m in ms if m.corrected and not m.negated and m.label != want]
    if revised:
        m = revised[0]
        return CheckResult(
            name=NAME,
            passed=False,
            reason=f"label revised: the original states {want!r}, the rewrite corrects itself to {m.label!r} "
            f"({inp.candidate[max(0, m.start - 24) : m.end].strip()!r})",
        )
    if want in got:
        others = [g for g in got if g != want]
        if others:  # every statement must give the original's label, not only the first
            return CheckResult(
                name=NAME,
                passed=False,
                reason=f"rewrite states different labels: {', '.join(repr(g) for g in got)}; expected only "
                f"{want!r} (original)",
            )
        # stating the label and also its negation right before it contradicts it, wherever each is:
        # "Ethical. ... is not immoral, but it's also not ethical." ("not ethical" is how the family
        # writes "unethical"; with a label set of the instruction it is "ethical" read as negated).
        # A negation further off ("because you never miss a day is ethical") is not one.
        def contradicts(m: Mention) -> bool:
            said = inp.candidate[m.start:m.end]
            if _OR_BEFORE.search(inp.candidate, max(0, m.start - 5), m.start):
                return False  # "ethical or not ethical": the label set echoed
            if m.label != want and _negation_form(said, want):
                return True
            negates = (m.label == want and m.negated) or (m.label != want and fam.canon(said) == want)
            return negates and _TIGHT_NEGATION.search(inp.candidate, max(0, m.start - 24), m.start) is not None

        contra = [m for m in ms if contradicts(m)]
        if negated and not [m for m in ms if m.label == want and not m.negated and m.prominent]:
            contra = contra or negated
        if contra:
            m = contra[0]
            return CheckResult(
                name=NAME,
                passed=False,
                reason=f"label negated: the original states {want!r}, the rewrite says "
                f"{inp.candidate[max(0, m.start - 12) : m.end].strip()!r}",
            )
        return CheckResult(name=NAME, passed=True, reason=f"label kept: {want!r} ({fam.name})")
    if negated:
        return CheckResult(
            name=NAME,
            passed=False,
            reason=f"label negated: the original states {want!r}, the rewrite says "
            f"{inp.candidate[max(0, negated[0].start - 12) : negated[0].end].strip()!r}",
        )
    if got:
        return CheckResult(
            name=NAME,
            passed=False,
            reason=f"label changed: the original states {want!r}, the rewrite states "
            + ", ".join(repr(g) for g in got),
        )
    return CheckResult(
        name=NAME,
        passed=False,
        reason=f"label missing: the original states {want!r}, the rewrite states no {fam.name} label",
    )


def make_check(options: VerifyOptions) -> Check:
    def check(inp: CheckInput) -> CheckResult:
        return check_label(inp, options)

    return check


# --- one label per item ------------------------------------------------------------------------
# An original that labels several items ("Dog: mammal\nEagle: bird", "Subject: phoenix / Verb:
# flew", "| Dog | mammal |", "Dog - mammal", "A dog is a mammal.") answers with item -> label
# pairs: each item's label is held, not one label for the whole text. Both sides are short (a
# label is a word or three, not an explanation: "Term: explanation" lists belong to lists.py).

ITEM_MAX_WORDS = 5
ITEM_LABEL_MAX_WORDS = 3
# no pair line is longer: item (60) + separator + label (40) + bullets and emphasis; a group line
# ("Mammals: wolf, lion, ...") may hold more members
_PAIR_LINE_CHARS = 320
_BULLET = r"[ \t]*(?:[-*•]|\d{1,2}[.)])?[ \t]*"
_PAIR = re.compile(
    r"^" + _BULLET + r"[*_\"'“]*(?P<item>[^:|\n]{1,60}?)[*_\"'”]*[ \t]*(?::(?!//)|[ \t][-–—][ \t]|=>|->)[ \t]*[*_\"'“]*"
    r"(?P<label>[^:|\n]{1,40}?)[*_\"'”.]*[ \t]*$"
)
_IS_PAIR = re.compile(
    r"^" + _BULLET + r"(?:(?:a|an|the)[ \t]+)?(?P<item>[^:|\n]{1,60}?)[ \t]+(?:is|are)[ \t]+(?:(?:a|an)[ \t]+)?"
    r"(?P<label>[^:|\n,;]{1,40}?)[ \t]*\.?[ \t]*$",
    re.I,
)
_ROW = re.compile(r"^[ \t]*\|?(?P<item>[^|\n]{1,60})\|(?P<label>[^|\n]{1,40})\|?[ \t]*$")
_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t:\-|]+\|?[ \t]*$")
_ARTICLE = re.compile(r"^(?:a|an|the)[ \t]+", re.I)


def _pair(line: str) -> tuple[str, str] | None:
    for pat in (_ROW, _PAIR, _IS_PAIR):
        m = pat.match(line)
        if m is None:
            continue
        item = m.group("item").strip(" \t*_\"'“”`")
        label = _ARTICLE.sub("", m.group("label").strip(" \t*_\"'“”`.")).strip()
        if (item and label and "," not in label and len(item.split()) <= ITEM_MAX_WORDS and len(label.split()) <= ITEM_LABEL_MAX_WORDS
                and item.lower() != label.lower()):
            return item, label.lower()
    return None


def item_labels(text: str) -> dict[str, str] | None:
    """item -> label when the whole text labels two or more items, one per line (or one line of
    "X: a / Y: b" / "X: a; Y: b"), with an optional lead-in line ending in ":" and table header
    and rule rows; else None.

    >>> item_labels("Dog: mammal\\nEagle: bird\\nCat: mammal")
    {'Dog': 'mammal', 'Eagle': 'bird', 'Cat': 'mammal'}
    """
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    if len(lines) > 1 and any(len(ln) > _PAIR_LINE_CHARS for ln in lines) or len(lines) > 200:
        return None  # a line this long is prose, not "item: label" (and would cost the regexes time)
    one_line = len(lines) == 1
    if one_line and re.search(r"[ \t][/;][ \t]", lines[0]):
        lines = re.split(r"[ \t]+[/;][ \t]+", lines[0])
    if lines and lines[0].rstrip().endswith(":") and len(lines) > 2:
        lines = lines[1:]  # "Here is the classification:"
    table = all("|" in ln for ln in lines)
    if table:
        lines = [ln for ln in lines if not _TABLE_RULE.match(ln)][1:]  # the header row names columns
    # "Mammals: wolf, lion": each member labelled with the group; then every line is a group
    # ("Invertebrates: jellyfish" too). Read line by line, stopping at the first line that is
    # neither (most texts: their first line)
    grouped = False
    for ln in lines:
        if _pair(ln) is None:
            if one_line or _group(ln, 2) is None:  # one line of "Parties: A, B" or a title is no grouping
                return None
            grouped = True
            break
    pairs: dict[str, str] = {}
    for ln in lines:
        p = _group(ln, 1) if grouped else _pair(ln)
        if p is None:
            return None
        members, group = p if grouped else ([p[0]], p[1])  # type: ignore[assignment]
        for item in members:
            if item.lower() in {k.lower() for k in pairs}:
                return None
            pairs[item] = group
    return pairs if len(pairs) >= 2 else None


_GROUP = re.compile(r"^" + _BULLET + r"[*_\"'“]*(?P<label>[^:|\n]{1,40}?)[*_\"'”]*[ \t]*:[ \t]*(?P<items>[^:|\n]{1,300}?)[ \t.]*$")


def _group(line: str, least: int) -> tuple[list[str], str] | None:
    m = _GROUP.match(line)
    if m is None or len(m.group("label").split()) > ITEM_LABEL_MAX_WORDS:
        return None
    members = [i.strip(" \t*_\"'“”`{}[]") for i in re.split(r"[ \t]*,[ \t]*(?:and[ \t]+)?|[ \t]+and[ \t]+", m.group("items"))]
    if len(members) < least or any(not i or len(i.split()) > ITEM_MAX_WORDS for i in members):
        return None
    return members, m.group("label").strip(" \t*_\"'“”`").lower()


def _item_pattern(item: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in item.split()]
    plural = "s?" if len(item) >= 3 else ""  # "dogs" is "dog"; "is" is not "I"
    return re.compile(r"(?<![\w])" + r"[\s\-]+".join(words) + plural + r"(?![\w])", re.I)


@lru_cache(maxsize=256)
def _item_family(labels: tuple[str, ...]) -> Family:
    """The original's item labels, each also in its other number ("mammals" / "mammal")."""
    def other(lab: str) -> str:
        return lab[:-1] if lab.endswith("s") and not lab.endswith("ss") else lab + "s"
    return Family("labels of the original's items",
                  {lab: [other(lab)] if other(lab) not in labels else [] for lab in labels})


def item_label_problems(pairs: dict[str, str], candidate: str) -> list[str]:
    """Why `candidate` does not give every item of `pairs` its label (empty when it does). An
    item's text runs from its mention to the next item's mention or the end of the line; the
    labels stated there (negation-aware, as everywhere in this module) must be exactly its own."""
    fam = _item_family(tuple(sorted(set(pairs.values()))))
    spots = sorted((m.start(), m.end(), item) for item in pairs for m in _item_pattern(item).finditer(candidate))
    # an item word inside a longer item's mention ("verb" in "adverbial verb") is not a mention
    spots = [s for s in spots if not any(o != s and o[0] <= s[0] and s[1] <= o[1] and o[1] - o[0] > s[1] - s[0]
                                          for o in spots)]
    said: dict[str, list[str]] = {item: [] for item in pairs}
    for n, (start, end, item) in enumerate(spots):
        nxt = spots[n + 1][0] if n + 1 < len(spots) else len(candidate)
        eol = candidate.find("\n", end)
        span = candidate[end : min(nxt, eol) if 0 <= eol < nxt else nxt]
        span = span.lstrip(" \t:|=>-–—*_")  # "Dog: mammal": the label opens the item's text
        labels, _ = stated_labels(span, fam)
        if not span.strip(" \t,.;:*_|-\"'“”`()[]{}"):  # a group's member: "Mammals: wolf, lion", or under a "Mammals:" heading
            line_start = candidate.rfind("\n", 0, start) + 1
            labels, _ = stated_labels(candidate[line_start:start], fam)
            heads = [] if labels else [h for h in candidate[:line_start].splitlines()
                                       if h.strip().rstrip("*_ ").endswith(":") or h.lstrip().startswith("#")]
            if heads:
                labels, _ = stated_labels(heads[-1], fam)
        if not labels and re.fullmatch(r"[\s,]*(?:and|or|&)[\s,]*", span, re.I):
            # "Wolf and lion are mammals": the clause's label after the members
            stop = re.search(r"[.;\n]", candidate[end:])
            labels, _ = stated_labels(candidate[end : end + stop.start() if stop else len(candidate)], fam)
            labels = labels[:1]
        said[item] += [lab for lab in labels if lab not in said[item]]
    problems: list[str] = []
    for item, want in pairs.items():
        got = said[item]
        if not got:
            problems.append(f"{item!r}: no label (expected {want!r})")
        elif got != [want]:
            problems.append(f"{item!r}: {', '.join(repr(g) for g in got)} (expected {want!r})")
    return problems


def check_item_labels(pairs: dict[str, str], candidate: str) -> CheckResult:
    problems = item_label_problems(pairs, candidate)
    if problems:
        return CheckResult(name=NAME, passed=False, reason=f"item labels changed ({len(problems)} of {len(pairs)}): "
                           + "; ".join(problems[:4]) + ("; ..." if len(problems) > 4 else ""))
    return CheckResult(name=NAME, passed=True, reason=f"item labels kept: all {len(pairs)} items keep their label")
