"""IIN / BIN check digit (domain.md "Akimat tenant lists": two-pass mod 11).

Worked by hand (first pass: digits × weights 1..11; second pass, only when the first gives 10:
weights 3,4,5,6,7,8,9,10,11,1,2; a second 10 means the number is never issued):

900101300017  9·1 + 0·2 + 0·3 + 1·4 + 0·5 + 1·6 + 3·7 + 0·8 + 0·9 + 0·10 + 1·11
              = 9 + 4 + 6 + 21 + 11 = 51;  51 mod 11 = 7                    -> check 7
050315500123  (born 2005, leading zero) 0 + 5·2 + 0 + 3·4 + 1·5 + 5·6 + 5·7 + 0 + 0 + 1·10 + 2·11
              = 10 + 12 + 5 + 30 + 35 + 10 + 22 = 124;  124 mod 11 = 3         -> check 3
880412300200  first pass 8 + 16 + 0 + 16 + 5 + 12 + 21 + 0 + 0 + 20 + 0 = 98;  98 mod 11 = 10
              second pass 8·3 + 8·4 + 0·5 + 4·6 + 1·7 + 2·8 + 3·9 + 0·10 + 0·11 + 2·1 + 0·2
              = 24 + 32 + 24 + 7 + 16 + 27 + 2 = 132;  132 mod 11 = 0         -> check 0
7505154002x   first pass 7 + 10 + 0 + 20 + 5 + 30 + 28 + 0 + 0 + 20 + 44 = 164;  164 mod 11 = 10
              second pass 21 + 20 + 0 + 30 + 7 + 40 + 36 + 0 + 0 + 2 + 8 = 164; mod 11 = 10
              -> never issued: no 12th digit makes it valid
100440012345  BIN (2010-04, resident legal entity 4, head office 0, serial 01234):
              1 + 0 + 0 + 16 + 20 + 0 + 0 + 8 + 18 + 30 + 44 = 137;  137 mod 11 = 5 -> check 5
"""
from __future__ import annotations

import random
from datetime import date

import pytest

from data.iin import (
    century_sex_digit,
    iin_check_digit,
    is_valid_bin,
    is_valid_iin,
    make_bin,
    make_iin,
)


@pytest.mark.parametrize(
    "first11, check",
    [
        ("90010130001", 7),
        ("05031550012", 3),
        ("88041230020", 0),  # second pass
        ("88041230021", 2),  # second pass
        ("10044001234", 5),  # a BIN
    ],
)
def test_check_digit_by_hand(first11, check):
    assert iin_check_digit(first11) == check


def test_second_pass_ten_is_never_issued():
    assert iin_check_digit("75051540024") is None
    assert not any(is_valid_iin(f"75051540024{d}") for d in range(10))


@pytest.mark.parametrize("bad_prefix", ["", "1234567890", "123456789012", "1234567890a", None, 12345678901])
def test_check_digit_needs_eleven_digits(bad_prefix):
    assert iin_check_digit(bad_prefix) is None


@pytest.mark.parametrize("iin", ["900101300017", "050315500123", "880412300200", " 900101300017 "])
def test_valid_iins(iin):
    assert is_valid_iin(iin)


@pytest.mark.parametrize(
    "iin",
    [
        "900101300018",  # wrong check digit
        "880412300201",  # second-pass number with the first-pass digit's neighbour
        "50315500123",  # 11 digits: the leading zero Excel drops is not padded here
        "9001013000170",  # 13 digits
        "90010130001a",
        "９００１０１３０００１７",  # full-width digits are not ASCII digits
        "",
        None,
    ],
)
def test_invalid_iins(iin):
    assert not is_valid_iin(iin)


def test_int_with_leading_zero_lost_is_rejected():
    assert not is_valid_iin(50315500123)
    assert is_valid_iin(900101300017)  # an int with all 12 digits is fine


def test_bins():
    assert is_valid_bin("100440012345")
    assert not is_valid_bin("100440012346")
    assert not is_valid_bin("10044001234")


def test_make_iin_exact_serial():
    assert make_iin(date(1990, 1, 1), 3, 1) == "900101300017"
    assert make_iin(date(2005, 3, 15), 5, 12) == "050315500123"
    assert make_iin(date(1975, 5, 15), 4, 24) is None  # 75051540024: both passes give 10


def test_make_iin_random_always_valid():
    rng = random.Random(7)
    for year in (1950, 1988, 2001, 2009):
        for male in (True, False):
            born = date(year, 6, 30)
            iin = make_iin(born, century_sex_digit(born, male), rng=rng)
            assert is_valid_iin(iin)
            assert iin.startswith(f"{born:%y%m%d}")
            assert int(iin[6]) % 2 == (1 if male else 0)
    assert make_iin(date(2004, 2, 29), 6, rng=rng).startswith("0402296")


def test_make_bin():
    assert make_bin(date(2010, 4, 1), 4, 0, 1234) == "100440012345"
    rng = random.Random(1)
    for _ in range(200):
        assert is_valid_bin(make_bin(date(2018, 11, 1), rng=rng))


def test_century_digit():
    assert century_sex_digit(date(1899, 12, 31), True) == 1
    assert century_sex_digit(date(1950, 1, 1), False) == 4
    assert century_sex_digit(date(2003, 1, 1), True) == 5
