"""Language: the rewrite must be written in the language of the original.

A light heuristic with no dependency: the dominant script of the letters (Latin, Cyrillic, Greek,
Arabic, Hebrew, Devanagari, Han, Kana, Hangul, Thai) and, for Latin text, stopword counts for
English, French, German, Spanish, Italian, Portuguese and Dutch. Code blocks, inline code and
URLs are ignored. The check fails only when both texts are identified confidently and differ;
with too little text (`VerifyOptions.language_min_letters`) or an unsure guess it passes as not
applicable, because a false alarm here would throw good rewrites away.

A worked math solution (a turn whose contract is a final number) is mostly numbers and symbols:
GSM8K's "Natalia sold 48/2 = <<48/2=24>>24 clips in May. ..." holds three English stopwords, too
few to name its language, and a rewrite of it in French or Chinese passed as "not applicable".
For such a turn the language is read from the question and the solution together, since a math
answer is written in the language it is asked in (translation tasks have no number contract).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from itertools import chain
from operator import itemgetter

from realign.records import CheckResult
from realign.verify.base import Check, CheckInput, fixed_result
from realign.verify.code import strip_code
from realign.verify.options import VerifyOptions

NAME = "language"

_SCRIPTS: list[tuple[str, re.Pattern[str]]] = [
    ("Latin", re.compile(r"[A-Za-z\u00C0-\u024F]")),
    ("Cyrillic", re.compile(r"[\u0400-\u04FF]")),
    ("Greek", re.compile(r"[\u0370-\u03FF]")),
    ("Arabic", re.compile(r"[\u0600-\u06FF\u0750-\u077F]")),
    ("Hebrew", re.compile(r"[\u0590-\u05FF]")),
    ("Devanagari", re.compile(r"[\u0900-\u097F]")),
    ("Han", re.compile(r"[\u4E00-\u9FFF\u3400-\u4DBF]")),
    ("Kana", re.compile(r"[\u3040-\u30FF]")),
    ("Hangul", re.compile(r"[\uAC00-\uD7AF\u1100-\u11FF]")),
    ("Thai", re.compile(r"[\u0E00-\u0E7F]")),
]
_SCRIPT_LANGUAGE = {
    "Cyrillic": "Cyrillic-script (e.g. Russian)",
    "Greek": "Greek",
    "Arabic": "Arabic-script (e.g. Arabic, Persian)",
    "Hebrew": "Hebrew",
    "Devanagari": "Devanagari-script (e.g. Hindi)",
    "Han": "Chinese",
    "Kana": "Japanese",
    "Hangul": "Korean",
    "Thai": "Thai",
}

_STOPWORDS: dict[str, set[str]] = {
    "English": set("the and is are of to in that it with for was on you this be not have what which "
                   "can will they from by an or as at has were would there their".split()),
    "French": set("le la les des est et une un du que qui dans pour pas sur avec sont ce il elle nous vous "
                  "au aux mais ou cette ces leur être fait".split()),
    "German": set("der die das und ist nicht ein eine zu mit den von sich auf für dem des auch wird sind "
                  "ich es im dass oder wie aber bei nach".split()),
    "Spanish": set("el los las que y es en un una por con para del se no al como más está son lo su "
                   "pero muy sus también hay este esta".split()),
    "Italian": set("il lo gli che e è di un una con non sono del della nella come anche più le la "
                   "questo questa alla degli dei ma si".split()),
    "Portuguese": set("o os as que e é de um uma para com não do da em no na são mais como dos das "
                      "ao pelo pela mas se também está".split()),
    "Dutch": set("de het een en van is dat niet op te zijn met voor die er ook wordt naar bij aan "
                 "om maar als dit worden heeft".split()),
}
# "per" is not listed for Italian: English working says it all the time ("$20 per bag") and six of
# them made an English plan read as Italian
# (a pattern led by a class, not by a repeat, lets the regex engine skip to the next letter in C; a
# repeat first makes it enter the pattern at every position of the text, about 200 machine
# instructions each; the same for _NON_ASCII)
_WORD = re.compile(r"[a-zà-öø-ÿ'][a-zà-öø-ÿ']*")
_URL = re.compile(r"https?://\S+|www\.\S+")
# each stopword with the languages that list it, in _STOPWORDS order (one lookup a word, not seven);
# one plain letter ("y", "e", "o") is left out: in a worked solution it is a variable ("x + y = 110"),
# and twenty of them made an English plan read as Spanish
_LANGUAGES_OF: dict[str, tuple[str, ...]] = {}
for _lang, _words in _STOPWORDS.items():
    for _w in _words:
        if len(_w) > 1 or not _w.isascii():
            _LANGUAGES_OF[_w] = _LANGUAGES_OF.get(_w, ()) + (_lang,)
_ASCII_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# every ASCII character _WORD does not take, to a space
_ASCII_NON_WORD = {c: " " for c in range(128) if not (chr(c).isalpha() and chr(c).islower() or chr(c) == "'")}

# the same for an ASCII text read as bytes: A-Z to a-z, letters and apostrophes kept, the rest a space
_ASCII_WORD_BYTES = bytes(c + 32 if 65 <= c <= 90 else c if 97 <= c <= 122 or c == 39 else 32 for c in range(256))
_LANGUAGES_OF_BYTES: dict[bytes, tuple[str, ...]] = {w.encode(): v for w, v in _LANGUAGES_OF.items() if w.isascii()}

_NON_ASCII = re.compile(r"[^\x00-\x7f][^\x00-\x7f]*")


def _script_counts(t: str) -> dict[str, int]:
    """Letters of each script in `t` (each script a class of single characters, so the counts add
    up over the text's parts): its ASCII letters are Latin, counted in C; only the other characters
    go through the script patterns."""
    raw = t.encode("ascii", "ignore")
    ascii_letters = len(raw) - len(raw.translate(None, _ASCII_LETTERS))
    rest = "" if len(raw) == len(t) else "".join(_NON_ASCII.findall(t))
    return {name: (ascii_letters if name == "Latin" else 0) + (sum(map(len, p.findall(rest))) if rest else 0)
            for name, p in _SCRIPT_RUNS}


# each script's runs of letters: their lengths add up to its letters (a string per run, not one per letter)
_SCRIPT_RUNS = [(name, re.compile(f"{p.pattern}{p.pattern}*")) for name, p in _SCRIPTS]


def detect(text: str, min_letters: int) -> tuple[str | None, str]:
    """(language or script name, or None when unsure; a short note on the evidence)."""
    t = strip_code(text)
    if "http" in t or "www." in t:  # every _URL match starts with one of them
        t = _URL.sub(" ", t)
    if t.isascii():
        # most texts: every letter is Latin, so only the letters are counted and the script tests
        # are decided; the words are lower-cased and split in one C pass over the bytes
        raw = t.encode("ascii")
        total = len(raw) - len(raw.translate(None, _ASCII_LETTERS))
        if total < min_letters:
            return None, f"only {total} letters"
        words: list = raw.translate(_ASCII_WORD_BYTES).split()
        languages_of: dict = _LANGUAGES_OF_BYTES
    else:
        counts = _script_counts(t)
        total = sum(counts.values())
        # a Han, Kana or Hangul character carries about what a Latin word does: each counts twice
        # toward the minimum ("五月份娜塔莉亚卖出了 48 / 2 = 24 个发夹。" is a whole sentence in 17)
        dense = counts["Han"] + counts["Kana"] + counts["Hangul"]
        if total + dense < min_letters:
            return None, f"only {total} letters"
        if counts["Kana"] and counts["Kana"] >= 0.1 * (counts["Kana"] + counts["Han"]):
            counts["Kana"] += counts.pop("Han")
        script, n = max(counts.items(), key=lambda kv: kv[1])
        if n < 0.6 * total:
            return None, f"mixed scripts ({script} {n}/{total} letters)"
        if script != "Latin":
            return _SCRIPT_LANGUAGE[script], f"{script} script"
        low = t.lower()
        # the words _WORD finds (letters and apostrophes), split in C when the lower case is ASCII
        words = low.translate(_ASCII_NON_WORD).split() if low.isascii() else _WORD.findall(low)
        languages_of = _LANGUAGES_OF
    # each stopword said adds one to each of its languages, all in C: the stopwords picked, their
    # languages chained and counted; the languages enter `hits` in the order their first stopword
    # appears (most_common breaks ties by that order)
    hits: Counter[str] = Counter(chain.from_iterable(map(languages_of.__getitem__,
                                                         filter(languages_of.__contains__, words))))
    if not hits:
        return None, "no common words"
    # most_common(2) is documented as this sort (stable: ties keep their order), without heapq's Python code
    (top, a), *rest = sorted(hits.items(), key=itemgetter(1), reverse=True)[:2] + [("", 0)]
    b = rest[0][1]
    if a < 4 or a < 1.6 * b:
        return None, f"unsure ({top} {a} vs {rest[0][0] or 'none'} {b} common words)"
    return top, f"{a} common {top} words"


def common_words(text: str, language: str) -> int:
    """How many of `text`'s words are common words of `language` (0 for a script's language)."""
    return sum(1 for w in _WORD.findall(strip_code(text).lower()) if language in _LANGUAGES_OF.get(w, ()))


# an original is read once for all its rewrites (a data set often holds several of one original);
# the candidates, each new, are read without the cache
_original_language = lru_cache(maxsize=256)(detect)


@lru_cache(maxsize=256)
def _original_with_request(instruction: str, original: str, min_letters: int) -> tuple[str | None, str]:
    """`detect` of the request and the original read together, remembered by the two texts (whose
    hashes Python keeps): a key joined anew for each row would be hashed anew, a row's length each time."""
    return detect(instruction + "\n" + original, min_letters)


def check_language(inp: CheckInput, options: VerifyOptions) -> CheckResult:
    lo, why_o = _original_language(inp.original, options.language_min_letters)
    if lo is None and inp.contract_kind == "number" and inp.instruction.strip():
        lo, why_q = _original_with_request(inp.instruction, inp.original, options.language_min_letters)
        if lo is not None:
            why_o = f"read with its question, the original alone being unclear: {why_q}"
    lc: str | None = None
    if lo is None and inp.instruction.strip():
        # A short answer often holds too few common words alone (a 21-word English answer: "English
        # 2 vs none 0"): read it with its request. That reading decides only against a rewrite
        # confidently in another language of which the original alone says not one common word (a
        # short French answer to an English "Translate ..." request keeps its French words).
        with_q, why_q = _original_with_request(inp.instruction, inp.original, options.language_min_letters)
        if with_q is not None:
            lc, why_c = detect(inp.candidate, options.language_min_letters)
            if lc is not None and lc != with_q and not common_words(inp.original, lc):
                lo, why_o = with_q, f"read with its request, the original alone being unclear: {why_q}"
    if lo is None:
        return CheckResult(name=NAME, passed=True, reason=f"not applicable: the original's language is unclear ({why_o})")
    if lc is None:
        lc, why_c = detect(inp.candidate, options.language_min_letters)
    if lc is None:
        return CheckResult(name=NAME, passed=True, reason=f"not applicable: the rewrite's language is unclear ({why_c})")
    if lo != lc:
        return CheckResult(
            name=NAME,
            passed=False,
            reason=f"language switched: the original is in {lo} ({why_o}), the rewrite is in {lc} ({why_c})",
        )
    return fixed_result(NAME, True, f"same language: {lo}")  # one of the few language names above


def make_check(options: VerifyOptions) -> Check:
    def check(inp: CheckInput) -> CheckResult:
        return check_language(inp, options)

    return check
