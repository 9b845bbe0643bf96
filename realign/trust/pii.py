"""Privacy: personal data a rewrite adds, and canaries that must never reach a rewrite.

Recognisers (regular expressions with checks that cut false alarms):

- email addresses;
- phone numbers: an international number (+CC ...) or a North-American / national one written
  with separators, 9 to 15 digits in all (a bare run of digits is a number, not a phone);
- payment card numbers: 13 to 19 digits, optionally grouped by spaces or dashes, passing the Luhn
  checksum;
- IBANs: country code, check digits and account, passing the ISO 13616 mod-97 check;
- US social security numbers written NNN-NN-NNNN (area not 000, 666 or 9xx);
- IPv4 addresses (each part 0-255; version-like "1.2.3.4" after "version"/"v" is skipped) and
  full IPv6 addresses;
- street addresses: a house number, one to four capitalised words and a street suffix
  ("221B Baker Street", "1600 Pennsylvania Avenue NW").

`new_pii(rewrite, *sources)` lists what the rewrite states that none of the sources (original,
instruction, evidence) states, compared in a normal form (digits only for numbers, lower case
for emails): a rewrite may repeat personal data it was given, never add any.

>>> [p.kind for p in find_pii("Mail jane.doe@example.com or call +1 (555) 867-5309.")]
['email', 'phone']
>>> [p.kind for p in new_pii("Card 4111 1111 1111 1111, see 10.0.0.1", "see 10.0.0.1")]
['credit_card']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,24}(?![\w-])")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .\-]?(?:\(\d{1,4}\)[ .\-]?)?\d{1,4}(?:[ .\-]\d{2,5}){1,4}"  # +44 20 7946 0958
    r"|\(\d{3}\)[ .\-]?\d{3}[ .\-]\d{4}"  # (555) 867-5309
    r"|\d{3}[.\-]\d{3}[.\-]\d{4}"  # 555-867-5309
    r"|0\d{2,4}[ \-]\d{3,4}[ \-]\d{3,4})(?![\w])"  # 020 7946 0958
)
_CARD = re.compile(r"(?<![\w\-])\d(?:[ \-]?\d){12,18}(?![\w\-])")
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?(?![A-Za-z0-9])")
_SSN = re.compile(r"(?<![\w\-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w\-])")
_IPV4 = re.compile(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?!\w|\.\d)")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![\w:])")
_VERSION_BEFORE = re.compile(r"\b(?:version|ver\.?|v|release|python|node|build)\s*$", re.I)
_STREET = re.compile(
    r"(?<![\w])\d{1,5}[A-Za-z]?[ \t]+(?:[A-Z][a-z]+\.?[ \t]+){1,4}"
    r"(?:Street|St\.|Avenue|Ave\.?|Road|Rd\.|Boulevard|Blvd\.?|Lane|Ln\.|Drive|Dr\.|Court|Ct\.|Place|Pl\.|Way|Terrace|"
    r"Close|Crescent|Square|Parkway|Highway)(?:[ \t]+(?:NW|NE|SW|SE|N|S|E|W))?(?![\w])"
)

# A canary: a marker planted in evidence to detect leakage (realign's own form, or any configured string).
CANARY = re.compile(r"\bREALIGN[-_]CANARY[-_][A-Za-z0-9\-]{4,64}\b")


@dataclass(frozen=True)
class PII:
    kind: str  # email, phone, credit_card, iban, ssn, ip_address, street_address
    text: str  # as written
    key: str  # normal form used to compare texts


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def luhn_ok(number: str) -> bool:
    digits = [int(c) for c in _digits(number)]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return total % 10 == 0


def iban_ok(text: str) -> bool:
    s = re.sub(r"\s", "", text).upper()
    if not 15 <= len(s) <= 34:
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def find_pii(text: str) -> list[PII]:
    """Every piece of personal data `text` states, in order of kind, each value once."""
    out: dict[tuple[str, str], PII] = {}

    def add(kind: str, value: str, key: str) -> None:
        out.setdefault((kind, key), PII(kind, value, key))

    for m in _EMAIL.finditer(text):
        add("email", m.group(0), m.group(0).lower())
    cards: set[str] = set()
    taken: list[tuple[int, int]] = []  # spans of cards and IBANs: their digit groups are not phones
    for m in _CARD.finditer(text):
        if luhn_ok(m.group(0)) and len(set(_digits(m.group(0)))) > 1:
            cards.add(_digits(m.group(0)))
            taken.append(m.span())
            add("credit_card", m.group(0), _digits(m.group(0)))
    for m in _IBAN.finditer(text):
        taken.append(m.span())  # IBAN-shaped even when its check digits fail: not a phone either
        if iban_ok(m.group(0)):
            add("iban", m.group(0), re.sub(r"\s", "", m.group(0)).upper())
    ssns: set[str] = set()
    for m in _SSN.finditer(text):
        ssns.add(_digits(m.group(0)))
        add("ssn", m.group(0), _digits(m.group(0)))
    for m in _PHONE.finditer(text):
        d = _digits(m.group(0))
        inside = any(a < m.end() and m.start() < b for a, b in taken)
        if 9 <= len(d) <= 15 and not inside and d not in cards and d not in ssns:
            add("phone", m.group(0).strip(), d[-9:])  # the last 9 digits: "+1 555 ..." is "555 ..."
    for m in _IPV4.finditer(text):
        if not _VERSION_BEFORE.search(text[max(0, m.start() - 12) : m.start()]):
            add("ip_address", m.group(0), m.group(0))
    for m in _IPV6.finditer(text):
        add("ip_address", m.group(0), m.group(0).lower())
    for m in _STREET.finditer(text):
        add("street_address", m.group(0), re.sub(r"\W+", " ", m.group(0).lower()).strip())
    return list(out.values())


def new_pii(rewrite: str, *sources: str) -> list[PII]:
    """Personal data in `rewrite` that none of `sources` states (in the normal form)."""
    known = {(p.kind, p.key) for s in sources if s for p in find_pii(s)}
    # a phone number given without separators in a source still counts as given
    known_digits = "".join(_digits(s) + " " for s in sources if s)
    return [p for p in find_pii(rewrite)
            if (p.kind, p.key) not in known and not (p.kind in ("phone", "credit_card", "ssn") and p.key in known_digits)]


def canaries_in(text: str, extra: tuple[str, ...] = ()) -> list[str]:
    """Canary strings in `text`: realign's REALIGN-CANARY-... form and any of `extra`."""
    found = [m.group(0) for m in CANARY.finditer(text)]
    found += [c for c in extra if c and c in text and c not in found]
    return found


def leaked_canaries(rewrite: str, evidence: str, extra: tuple[str, ...] = ()) -> list[str]:
    """Canaries planted in `evidence` (or configured) that reach the rewrite."""
    planted = set(canaries_in(evidence, extra)) | {c for c in extra if c}
    return [c for c in canaries_in(rewrite, extra) if c in planted]
