"""Units after a number for the key-facts check (`facts`): one unit in its spellings ("42 km" / "42
kilometres"), temperatures in one form ("100 degrees Celsius" / "100 °C") and era marks in one form
(BCE / BC, CE / AD), so that a rewrite that writes another unit of the same kind ("70 mph" -> "70
km/h", "$5" -> "€5") can be told from one that writes the same unit another way. A quantity converted
to another unit of its kind keeps the fact when the rewrite's value is the converted one to the
precision it writes ("1.7 miles" / "2.7 km", "120 minutes" / "2 hours": `converted_quantities`).
"""

from __future__ import annotations

import re
from fractions import Fraction

from realign.verify.facts_words import _ANY_DIGIT
from realign.verify.math_numbers import _NUM, _WORD_NUM, _to_number, _word_number


# Units after a number. One unit in its other spellings keeps the fact ("42 km" / "42 kilometres",
# "212 °F" / "212 degrees Fahrenheit"); the same number with another unit of the same kind changes it
# ("60 mph" -> "60 km/h", "3 hours" -> "3 minutes", "5 kg" -> "5 pounds"). A spelling may stand for two
# units ("pound": a weight and a currency): the two sides agree when they share one.
_UNIT_SPELLINGS: dict[str, tuple[str, ...]] = {
    # length
    "km": ("km", "kms", "kilometer", "kilometers", "kilometre", "kilometres"),
    "m": ("m", "meter", "meters", "metre", "metres"),
    "cm": ("cm", "centimeter", "centimeters", "centimetre", "centimetres"),
    "mm": ("mm", "millimeter", "millimeters", "millimetre", "millimetres"),
    "mi": ("mi", "mile", "miles"),
    "nmi": ("nmi", "nautical mile", "nautical miles"),
    "ft": ("ft", "foot", "feet"),
    "in": ("inch", "inches"),
    "yd": ("yd", "yds", "yard", "yards"),
    # weight
    "kg": ("kg", "kgs", "kilogram", "kilograms", "kilogramme", "kilogrammes", "kilo", "kilos"),
    "g": ("g", "gram", "grams", "gramme", "grammes"),
    "lb": ("lb", "lbs", "pound", "pounds"),
    "oz": ("oz", "ounce", "ounces"),
    # time
    "s": ("sec", "secs", "second", "seconds"),
    "min": ("min", "mins", "minute", "minutes"),
    "h": ("h", "hr", "hrs", "hour", "hours"),
    "day": ("day", "days"),
    "week": ("week", "weeks", "wk", "wks"),
    "month": ("month", "months"),
    "year": ("year", "years", "yr", "yrs"),
    # speed
    "mph": ("mph", "miles per hour", "miles an hour", "mi/h"),
    "km/h": ("km/h", "kph", "kmh", "km per hour", "kilometers per hour", "kilometres per hour", "kilometers an hour",
             "kilometres an hour"),
    "m/s": ("m/s", "meters per second", "metres per second"),
    "kn": ("knot", "knots", "kn", "kt", "kts"),
    # temperature (written as "°C" / "°F" by `_temperatures_written`)
    "°C": ("°C",), "°F": ("°F",), "K": ("kelvin", "kelvins"),
    # area and volume
    "km2": ("km2", "km²", "sq km", "square kilometers", "square kilometres"),
    "mi2": ("mi2", "mi²", "sq mi", "square miles"),
    "acre": ("acre", "acres"), "ha": ("ha", "hectare", "hectares"),
    "l": ("l", "L", "liter", "liters", "litre", "litres"), "ml": ("ml", "milliliter", "milliliters", "millilitre", "millilitres"),
    "gal": ("gal", "gallon", "gallons"),
    # energy and power
    "kcal": ("kcal", "calorie", "calories", "cal"), "kj": ("kj", "kilojoule", "kilojoules"),
    "w": ("w", "watt", "watts"), "kw": ("kw", "kilowatt", "kilowatts"), "hp": ("hp", "horsepower"),
    # money by name (a sign is read by the number reader)
    "gbp": ("pound", "pounds", "pounds sterling", "£"), "usd": ("dollar", "dollars", "usd", "$"),
    "eur": ("euro", "euros", "eur", "€"), "jpy": ("yen", "jpy", "¥"), "inr": ("rupee", "rupees", "inr", "₹"),
}
_UNIT_KIND = {u: kind for kind, units in {
    "length": "km m cm mm mi nmi ft in yd", "weight": "kg g lb oz", "time": "s min h day week month year",
    "speed": "mph km/h m/s kn", "temperature": "°C °F K", "area": "km2 mi2 acre ha", "volume": "l ml gal",
    "energy": "kcal kj", "power": "w kw hp", "money": "gbp usd eur jpy inr"}.items() for u in units.split()}
_UNITS_OF: dict[str, frozenset[str]] = {}
for _unit, _spellings in _UNIT_SPELLINGS.items():
    for _sp in _spellings:
        _UNITS_OF[_sp.lower()] = _UNITS_OF.get(_sp.lower(), frozenset()) | {_unit}
# after the number: a unit written out may take any case ("42 Kilometres"); a symbol only as written
_UNIT_AFTER = re.compile(r"[ \t]*(" + "|".join(sorted((re.escape(s) for s in _UNITS_OF if s not in "£$€¥₹"),
                                                     key=len, reverse=True)) + r")(?![\w/²])", re.I)
_CURRENCY_SIGN = {"$": "usd", "€": "eur", "£": "gbp", "¥": "jpy", "₹": "inr"}
_TEMPERATURE = re.compile(r"(?<=\d)[ \t]*(?:(?:°|º|degrees?[ \t]+|deg\.?[ \t]*)[ \t]*(C|F|Celsius|centigrade|Fahrenheit)|"
                          r"(Celsius|centigrade|Fahrenheit))\b", re.I)


def _temperatures_written(text: str) -> str:
    """Temperatures in one form: "100 degrees Celsius", "100 ° C", "100 Celsius" are "100 °C"."""
    if not _ANY_DIGIT.search(text) or not re.search(r"°|º|(?i:celsius|centigrade|fahrenheit|degree)", text):
        return text
    return _TEMPERATURE.sub(lambda m: " °" + ("F" if (m.group(1) or m.group(2))[0] in "fF" else "C"), text)


# Era marks in one form: "406 BCE" is "406 BC", "800 CE" / "AD 800" are "AD 800".
_ERA = re.compile(r"(?<=\d)[ \t]*(?:(B\.?[ \t]?C\.?(?:[ \t]?E\.?)?)|(C\.?[ \t]?E\.?|A\.?[ \t]?D\.?))(?![\w])"
                  r"|\b(?:A\.?D\.?|C\.?E\.?)[ \t]*(?=\d)")


def _eras_written(text: str) -> str:
    if not ("BC" in text or "CE" in text or "AD" in text or "B.C" in text or "A.D" in text or "C.E" in text):
        return text
    def era(m: re.Match[str]) -> str:
        if m.group(1):
            return " BC"
        return " AD" if m.group(2) else "AD "
    return _ERA.sub(era, text)


def _units_after(text: str, value: Fraction) -> list[frozenset[str]]:
    """The unit of each place `text` states `value`, in digits or in words (an empty set where it
    states no unit)."""
    out = []
    places = []
    for m in _NUM.finditer(text):
        n = _to_number(m, text)
        if n is not None and abs(n.value) == value and not n.percent:
            sign = m.group("cur")
            places.append((m.end(), {_CURRENCY_SIGN[sign]} if sign else set()))
    if value.denominator == 1 and value <= 99:
        places += [(w.end(), set()) for w in _WORD_NUM.finditer(text) if abs(_word_number(w).value) == value]
    for end, units in places:
        u = _UNIT_AFTER.match(text, end)
        # a spelling of three letters or more in any case ("42 Kilometres"), a shorter one as written ("5 m", not "5 M")
        if u is not None and (len(u.group(1)) > 2 or any(u.group(1) in _UNIT_SPELLINGS[x]
                                                          for x in _UNITS_OF[u.group(1).lower()])):
            units |= _UNITS_OF[u.group(1).lower()]
        out.append(frozenset(units))
    return out


# Each unit's size in its kind's base unit (metre, kilogram, second, metre per second, square metre,
# litre): a quantity written in another unit of its kind is the same fact at the converted value.
_UNIT_SIZE: dict[str, Fraction] = {
    "km": Fraction(1000), "m": Fraction(1), "cm": Fraction(1, 100), "mm": Fraction(1, 1000),
    "mi": Fraction(1609344, 1000), "nmi": Fraction(1852), "ft": Fraction(3048, 10000), "in": Fraction(254, 10000),
    "yd": Fraction(9144, 10000),
    "kg": Fraction(1), "g": Fraction(1, 1000), "lb": Fraction(45359237, 10**8), "oz": Fraction(45359237, 16 * 10**8),
    "s": Fraction(1), "min": Fraction(60), "h": Fraction(3600), "day": Fraction(86400), "week": Fraction(604800),
    "mph": Fraction(1609344, 3600 * 1000), "km/h": Fraction(1000, 3600), "m/s": Fraction(1), "kn": Fraction(1852, 3600),
    "km2": Fraction(10**6), "mi2": Fraction(1609344**2, 10**6), "acre": Fraction(40468564224, 10**7),
    "ha": Fraction(10**4),
    "l": Fraction(1), "ml": Fraction(1, 1000), "gal": Fraction(3785411784, 10**9),
}
# a rounded value must keep this many significant digits to stand for a converted one ("1,000 miles" is
# no conversion of "1,500 km"); an exact one ("2 hours" for "120 minutes") needs none
CONVERTED_MIN_DIGITS = 2


def _quantities(text: str) -> list[tuple[Fraction, Fraction, str]]:
    """(value, the step of its last written digit, unit) for each number of `text` with a convertible unit."""
    out = []
    for m in _NUM.finditer(text):
        n = _to_number(m, text)
        if n is None or n.percent or m.group("cur"):
            continue
        u = _UNIT_AFTER.match(text, m.end())
        if u is None or not (len(u.group(1)) > 2 or any(u.group(1) in _UNIT_SPELLINGS[x]
                                                        for x in _UNITS_OF[u.group(1).lower()])):
            continue
        units = [x for x in _UNITS_OF[u.group(1).lower()] if x in _UNIT_SIZE]
        if len(units) != 1:
            continue
        value = abs(n.value)
        if n.places:
            step = Fraction(1, 10**n.places)
        else:
            digits = str(value.numerator) if value.denominator == 1 else ""
            step = Fraction(10 ** (len(digits) - len(digits.rstrip("0")))) if digits and value else Fraction(1)
        out.append((value, step, units[0]))
    return out


def converted_quantities(original: str, candidate: str) -> dict[Fraction, Fraction]:
    """{original value: candidate value} for each quantity of `original` that `candidate` writes in
    another unit of its kind: exactly, or rounded with at least CONVERTED_MIN_DIGITS significant digits
    on each side ("238,900 miles" for "384,400 km"): the converted value within half the candidate's
    last written digit, plus half the original's (converted) when the original is rounded too ("26.2
    miles" for "42 km")."""
    if not (_ANY_DIGIT.search(original) and _ANY_DIGIT.search(candidate)):
        return {}
    mine = _quantities(original)
    theirs = _quantities(candidate) if mine else []
    out: dict[Fraction, Fraction] = {}
    enough = 10 ** (CONVERTED_MIN_DIGITS - 1)
    for ov, ostep, ou in mine:
        for cv, step, cu in theirs:
            if cu == ou or _UNIT_KIND[cu] != _UNIT_KIND[ou]:
                continue
            exact = ov * _UNIT_SIZE[ou] / _UNIT_SIZE[cu]
            slack = step / 2 + (ostep * _UNIT_SIZE[ou] / _UNIT_SIZE[cu] / 2 if ostep * enough <= ov else 0)
            if exact == cv or (step * enough <= cv and abs(exact - cv) <= slack):
                out[ov] = cv
    return out
