"""Privacy: personal data a rewrite adds, and canaries that must never reach a rewrite.

Recognisers (regular expressions with checks that cut false alarms):

- email addresses;
- phone numbers: an international number (+CC ...) or a North-American / national one written
  with separators ("020 7946 0958", "0490 75 40 81"), 9 to 15 digits in all (a bare run of digits
  is a number, not a phone; a term of an arithmetic chain such as "6000-600-150-1200" is neither);
- payment card numbers: 13 to 19 digits, optionally grouped by spaces or dashes as cards are
  (fours, or 4-6-5), passing the Luhn checksum;
- IBANs: country code, check digits and account, passing the ISO 13616 mod-97 check;
- US social security numbers written NNN-NN-NNNN (area not 000, 666 or 9xx);
- IPv4 addresses (each part 0-255; version-like "1.2.3.4" after "version"/"v" is skipped) and
  full IPv6 addresses;
- street addresses: a house number, one to four capitalised words and a street suffix
  ("221B Baker Street", "1600 Pennsylvania Avenue NW", "18 McPherson Rd"); a continental street
  name ending in a word for street or road and a house number ("Bundesstrasse 31", "Mellemvej 32",
  "Kiannonkatu 98", "Piroska u. 97."); a Romance one ("Rua do Arenque 1634", "62 Rue Gafsa"); a
  building number, street, house number and flat ("28030 Edeby 55 Apt. 297"); US military mail
  ("PSC 0413, Box 8144, APO AA 42323"). Names, places, dates, postal codes alone, and streets in
  other scripts (Greek, Cyrillic ...) are not recognised: see the README's trust-audit figures.

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
    r"(?<![\w+])(?<!\d[.\-])(?<![=+*/×] )(?<![=+*/×])"  # not the middle of "6000-600-150-1200" or "= 555-..."
    r"(?:\+\d{1,3}[ .\-]?(?:\(\d{1,4}\)[ .\-]?)?\d{1,4}(?:[ .\-]\d{2,5}){1,4}"  # +44 20 7946 0958
    r"|\(\d{3}\)[ .\-]?\d{3}[ .\-]\d{4}"  # (555) 867-5309
    r"|\d{3}[.\-]\d{3}[.\-]\d{4}"  # 555-867-5309
    r"|0\d{1,4}(?:[ .\-]\d{2,4}){2,4})"  # 020 7946 0958, 0490 75 40 81
    r"(?![\w])(?![.\-]\d)(?!\s?[=+*/×])"  # nor a term of an arithmetic chain
)
_CARD = re.compile(r"(?<![\w\-])\d(?:[ \-]?\d){12,18}(?![\w\-])")
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?(?![A-Za-z0-9])")
_SSN = re.compile(r"(?<![\w\-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w\-])")
_IPV4 = re.compile(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?!\w|\.\d)")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![\w:])")
_VERSION_BEFORE = re.compile(r"\b(?:version|ver\.?|v|release|python|node|build)\s*$", re.I)
_STREET = re.compile(
    r"(?<![\w])\d{1,5}[A-Za-z]?[ \t]+(?:[A-Z](?:[A-Za-z'’]*[a-z])?\.?[ \t]+){1,4}"  # Baker, McPherson, O'Neil
    r"(?:Street|St\.?|Str\.?|Avenue|Ave\.?|Road|Rd\.?|Boulevard|Blvd\.?|Lane|Ln\.?|Drive|Dr\.?|Court|Ct\.?|Place|Pl\.?|Way|Terrace|"
    r"Close|Crescent|Square|Parkway|Highway)(?:[ \t]+(?:NW|NE|SW|SE|N|S|E|W))?(?![\w])"
)
# Continental forms. A street named by a compound whose last part means street, road or lane
# (German -strasse/-gasse/-weg, Danish/Norwegian -vej/-gade/-vei/-veien, Swedish -gata/-gatan/-vagen,
# Icelandic -straeti/-vegur, Finnish -katu/-tie/-kuja, Dutch -straat/-laan/-gracht) or by a separate
# Hungarian word (utca, u., ut, ter), then a house number: "Bundesstrasse 31", "Mellemvej 32",
# "Erzsebet ter 19." (with their own letters). The match starts at the street's name, so the same
# street in another sentence has the same normal form ("Brigade 2" is no street).
_L = r"[^\W\d_]"  # a letter of any alphabet
_STREET_COMPOUND = re.compile(
    r"(?<![\w])(?!(?:bri|rene)gade\b)" + _L + r"{2,}(?:stra(?:ss|ß)e|str\.|gasse|weg|vej|gade|veien|vei|gata|gatan|vägen|väg|"
    r"stræti|vegur|katu|tie|kuja|straat|laan|gracht)[ \t]+\d{1,4}[A-Za-z]?(?![\w])"
    r"|(?<![\w])" + _L + r"{2,}[ \t]+(?:utca|u\.|út|tér)[ \t]+\d{1,4}\.?(?![\w])",
    re.I,
)
# Romance forms: the street word first, a capitalised name, a house number after it ("Rua do
# Arenque 1634", "Via Franscini 71") or before it ("62 Rue Gafsa", "137 Avenue Teboulbi").
_PARTICLE = r"(?:d[aeiou]s?|del|della|di|du|des|la|le|los|las|l'|al)"
_NAME = r"(?:" + _PARTICLE + r"[ \t]+)?[A-ZÀ-Þ]" + _L + r"+"
_STREET_ROMANCE = re.compile(
    r"(?<![\w])(?:Rua|Rue|Via|Viale|Calle|Carrer|Avenida|Piazza|Corso|Largo|Travessa|Strada)[ \t]+" + _NAME
    + r"(?:[ \t]+" + _NAME + r"){0,3},?[ \t]+\d{1,5}[A-Za-z]?(?![\w])"
    r"(?![ \t]*(?:km|mi|miles?|m|times|x|%|minutes?|hours?|days?|years?)\b)"  # "Via Rome 3 times" is a route
    r"|(?<![\w])\d{1,5},?[ \t]+(?:Rua|Rue|Via|Calle|Avenida|Avenue|Av\.)[ \t]+" + _NAME + r"(?:[ \t]+" + _NAME + r"){0,3}(?![\w])"
)
# An address line of building number, street name, house number and flat or suite:
# "20789 Allika 46, Suite 501", "28030 Edeby 55 Apt. 297" ("Chapter 12, Unit 3" is not one).
_STREET_UNIT = re.compile(
    r"(?<![\w])\d{1,5}[ \t]+(?:" + _NAME + r"[ \t]+){1,4}\d{1,5}[A-Za-z]?\.?,?\s+(?:Apt\.?|Apartment|Suite|Ste\.|Flat)[ \t]+\d{1,5}(?![\w])"
)
# US military mail: "PSC 0413, Box 8144 APO AA 42323", "Unit 4719 Box 7394 DPO AP 70942".
_MILITARY = re.compile(r"(?<![\w])(?:PSC|Unit|CMR)[ \t]+\d{3,5},?\s+Box[ \t]+\d{3,5},?\s+(?:APO|FPO|DPO)[ \t]+(?:AA|AE|AP)[ \t]+\d{5}(?![\w])")

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


def card_grouping_ok(text: str) -> bool:
    """A card number written in groups is grouped as cards are: fours ("4111 1111 1111 1111", the
    last group shorter on 19-digit cards) or 4-6-5 / 4-6-4 (Amex, Diners); "14000-3920-1000" is a
    subtraction, not a card."""
    groups = [len(g) for g in re.split(r"[ \-]", text)]
    if len(groups) == 1:
        return True
    return all(g == 4 for g in groups[:-1]) and 1 <= groups[-1] <= 4 or groups in ([4, 6, 5], [4, 6, 4])


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
        if luhn_ok(m.group(0)) and card_grouping_ok(m.group(0)) and len(set(_digits(m.group(0)))) > 1:
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
    for pattern in (_STREET, _STREET_COMPOUND, _STREET_ROMANCE, _STREET_UNIT, _MILITARY):
        for m in pattern.finditer(text):
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
