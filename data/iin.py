"""IIN / BIN: the 12-digit identification numbers of Kazakhstan and their check digit.

IIN (individual): ``YYMMDD`` birth date, one digit for century and sex (1/2: 1800s man/woman,
3/4: 1900s, 5/6: 2000s), a 4-digit serial, the check digit.
BIN (legal entity): ``YYMM`` of registration, the entity type (4 resident, 5 non-resident,
6 individual entrepreneur in a joint venture), an attribute digit (0 head office, 1 branch,
2 representative office, 3 peasant farm), a 5-digit serial, the check digit.

Both use the same check digit (domain.md "Akimat tenant lists"): the first 11 digits weighted
1..11, sum mod 11. When that gives 10, a second pass with the weights 3,4,5,6,7,8,9,10,11,1,2;
if the second pass gives 10 too, the number is never issued. The first six digits look like a
date but are not validated as one (the rule of the spec).
"""
from __future__ import annotations

import random
from datetime import date

WEIGHTS_1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
DIGITS = frozenset("0123456789")


def _digits_only(text: str, length: int) -> bool:
    return len(text) == length and all(ch in DIGITS for ch in text)


def iin_check_digit(first11: str) -> int | None:
    """The check digit for the first 11 digits of an IIN or BIN; None when never issued
    (both passes give 10) or when ``first11`` is not 11 ASCII digits."""
    if not isinstance(first11, str) or not _digits_only(first11, 11):
        return None
    digits = [ord(ch) - 48 for ch in first11]
    check = sum(d * w for d, w in zip(digits, WEIGHTS_1)) % 11
    if check == 10:
        check = sum(d * w for d, w in zip(digits, WEIGHTS_2)) % 11
        if check == 10:
            return None
    return check


def _valid(text: object) -> bool:
    if text is None:
        return False
    value = str(text).strip()
    if not _digits_only(value, 12):
        return False
    check = iin_check_digit(value[:11])
    return check is not None and check == ord(value[11]) - 48


def is_valid_iin(text: object) -> bool:
    """12 ASCII digits whose last digit is the check digit of the first 11.

    An 11-digit number (a leading zero dropped by Excel) is *not* valid here: padding it is the
    importer's decision, not the validator's.
    """
    return _valid(text)


def is_valid_bin(text: object) -> bool:
    """Same algorithm as the IIN (12 digits, two-pass mod 11)."""
    return _valid(text)


# -- making numbers (demo data, tests) --------------------------------------------------------
def century_sex_digit(birth_date: date, male: bool) -> int:
    """The 7th IIN digit: 1/2 born 1800-1899, 3/4 born 1900-1999, 5/6 born 2000-2099 (odd = man)."""
    base = {18: 1, 19: 3, 20: 5}.get(birth_date.year // 100)
    if base is None:
        raise ValueError(f"no IIN century digit for {birth_date.year}")
    return base if male else base + 1


def iin_prefix(birth_date: date, sex_century_digit: int, serial: int) -> str:
    """The first 11 digits of an IIN."""
    if not 1 <= sex_century_digit <= 6:
        raise ValueError("sex/century digit must be 1..6")
    if not 0 <= serial <= 9999:
        raise ValueError("serial must be 0..9999")
    return f"{birth_date:%y%m%d}{sex_century_digit}{serial:04d}"


def make_iin(
    birth_date: date,
    sex_century_digit: int,
    serial: int | None = None,
    rng: random.Random | None = None,
) -> str | None:
    """A valid IIN.

    With ``serial`` given: that exact number, or None when it is never issued (both passes of
    the check give 10). With ``serial=None`` a serial is drawn from ``rng`` (required) until the
    number can be issued, so a string is always returned.
    """
    if serial is not None:
        first = iin_prefix(birth_date, sex_century_digit, serial)
        check = iin_check_digit(first)
        return None if check is None else f"{first}{check}"
    if rng is None:
        raise ValueError("give a serial or an rng")
    while True:
        first = iin_prefix(birth_date, sex_century_digit, rng.randrange(1, 10000))
        check = iin_check_digit(first)
        if check is not None:
            return f"{first}{check}"


def bin_prefix(registered: date, entity_type: int, attribute: int, serial: int) -> str:
    """The first 11 digits of a BIN."""
    if entity_type not in (4, 5, 6):
        raise ValueError("entity type must be 4, 5 or 6")
    if not 0 <= attribute <= 3:
        raise ValueError("attribute must be 0..3")
    if not 0 <= serial <= 99999:
        raise ValueError("serial must be 0..99999")
    return f"{registered:%y%m}{entity_type}{attribute}{serial:05d}"


def make_bin(
    registered: date,
    entity_type: int = 4,
    attribute: int = 0,
    serial: int | None = None,
    rng: random.Random | None = None,
) -> str | None:
    """A valid BIN; same contract as :func:`make_iin` (None only for an exact unissuable serial)."""
    if serial is not None:
        first = bin_prefix(registered, entity_type, attribute, serial)
        check = iin_check_digit(first)
        return None if check is None else f"{first}{check}"
    if rng is None:
        raise ValueError("give a serial or an rng")
    while True:
        first = bin_prefix(registered, entity_type, attribute, rng.randrange(1, 100000))
        check = iin_check_digit(first)
        if check is not None:
            return f"{first}{check}"
