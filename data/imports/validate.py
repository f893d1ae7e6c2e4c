"""Validating the rows of a list: plain Python, one pass, no ORM objects.

Each problem is an :class:`Issue` with a stable code (messages ``import.row.<code>``):

``iin_missing``, ``iin_format`` (not 12 digits), ``iin_checksum`` (bad check digit),
``iin_duplicate`` (the same IIN higher up in the file; the first one loads),
``already_listed`` (a recipient with this IIN exists from an earlier batch: not created again),
``name_missing``, ``category_missing``, ``category_unknown``, ``phone_missing``,
``phone_invalid`` (not a Kazakhstan mobile number), ``date_invalid``, ``date_in_future``,
``too_long``.

Excel's habits are undone first: numbers that are text and text that is a number, an IIN stored
as a number that lost its leading zero(s) (``50315500123`` -> ``050315500123``), floats such as
``1.23e11``, Excel serial dates and text dates ``dd.mm.yyyy``.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers

from data.iin import is_valid_iin
from data.imports import columns as C
from data.imports.columns import HeaderMap
from data.imports.errors import ImportFileError, Limits
from data.statuses import CATEGORIES

MAX_NAME = 300
MAX_QUEUE_NUMBER = 40
MAX_NOTE = 4000
LOOKUP_CHUNK = 2000
EXCEL_EPOCH = date(1899, 12, 30)

# Row outcome kinds.
LOADABLE, INVALID, DUPLICATE, ALREADY_LISTED = "loadable", "invalid", "duplicate", "already_listed"


@dataclass(slots=True)
class Issue:
    row: int  # the row number as the user sees it in Excel
    field: str | None  # field code (data.imports.columns), None for the whole row
    column: str  # the column's header as written in the file
    code: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class CleanRow:
    row: int
    iin: str
    full_name: str
    category: str
    phone: str
    queue_number: str | None
    queue_date: date | None
    note: str | None


@dataclass
class Validation:
    """The outcome of a sheet: loadable rows, every issue, the original values of the rows
    with issues (for the error report) and the counts."""

    loadable: list[CleanRow] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    values: dict[int, list[Any]] = field(default_factory=dict)
    rows_total: int = 0
    rows_invalid: int = 0
    rows_duplicate: int = 0
    rows_already_listed: int = 0


# -- cell conversion -------------------------------------------------------------------------
# Characters Excel users paste that are not letters: zero-width spaces and the BOM.
_ZERO_WIDTH = "\u200b\u200c\u200d\ufeff\u2060"
_ZW = re.compile(f"[{_ZERO_WIDTH}]")
_STRIP = _ZERO_WIDTH + " \t\r\n\x0b\x0c\u00a0\u2007\u202f"
_DIGITS12 = re.compile(r"[0-9]{12}")
_DIGITS = re.compile(r"[0-9]+")
_FLOAT_TEXT = re.compile(r"[0-9]+(?:[.,][0-9]+)?(?:[eE][+]?[0-9]+)?")


def is_empty(value: Any) -> bool:
    if value.__class__ is str:
        stripped = value.strip()
        return not stripped or (stripped[0] in _ZERO_WIDTH and not stripped.strip(_STRIP))
    return value is None or value == ""


def _plain(text: str) -> str:
    """Zero-width characters removed, whitespace runs as one space, trimmed."""
    if _ZW.search(text):
        text = _ZW.sub("", text)
    return " ".join(text.split())


def text_of(value: Any) -> str:
    """A cell as text the way a person reads it: 123.0 -> "123", spaces collapsed."""
    if value.__class__ is str:
        return _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M") if (value.hour or value.minute) else value.strftime("%d.%m.%Y")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return _plain(str(value))


def shown(value: Any, limit: int = 40) -> str:
    text = text_of(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clean_iin(value: Any) -> tuple[str | None, str | None]:
    """(iin, None) or (None, code)."""
    if is_empty(value):
        return None, "iin_missing"
    if isinstance(value, bool) or isinstance(value, (date, time, timedelta)):
        return None, "iin_format"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not value.is_integer():
            return None, "iin_format"
        number = int(value)
        if number < 0:
            return None, "iin_format"
        text = str(number)
        # A number cannot keep leading zeros: an IIN of someone born 2000-2009 loses one
        # (11 digits), born in 2000 two or three. 9-11 digits are padded back to 12.
        if 9 <= len(text) <= 11:
            text = text.zfill(12)
    elif value.__class__ is str and len(value) == 12 and value.isascii() and value.isdigit():
        text = value  # the common case
    else:
        text = "".join(_plain(str(value)).split()).lstrip("'")
        if not _DIGITS.fullmatch(text) and _FLOAT_TEXT.fullmatch(text):
            # "50315500123.0", "1.23E+11" (a CSV written from Excel numbers)
            try:
                number = Decimal(text.replace(",", "."))
            except InvalidOperation:
                return None, "iin_format"
            if number != number.to_integral_value() or number < 0:
                return None, "iin_format"
            text = str(int(number))
            if 9 <= len(text) <= 11:
                text = text.zfill(12)
        elif _DIGITS.fullmatch(text) and len(text) == 11:
            text = text.zfill(12)  # domain.md: an 11-digit number is left-padded
    if not _DIGITS12.fullmatch(text):
        return None, "iin_format"
    if not is_valid_iin(text):
        return None, "iin_checksum"
    return text, None


_KZ_MOBILE = re.compile(phonenumbers.PhoneMetadata.metadata_for_region("KZ").mobile.national_number_pattern)
_PHONE_PUNCT = re.compile(r"[\s\-().\u00a0]")
_PHONE_SIMPLE = re.compile(r"(?:\+?7|8)?([0-9]{10})")
_MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def clean_phone(value: Any) -> tuple[str | None, str | None]:
    """+77XXXXXXXXX for a Kazakhstan mobile number (phonenumbers, region KZ)."""
    if is_empty(value):
        return None, "phone_missing"
    if isinstance(value, bool):
        return None, "phone_invalid"
    raw = text_of(value) if isinstance(value, (int, float)) else _plain(str(value))
    compact = _PHONE_PUNCT.sub("", raw)
    simple = _PHONE_SIMPLE.fullmatch(compact)
    if simple is not None and simple.group(1).startswith("7"):
        # The common case, decided with phonenumbers' own KZ mobile pattern (fast path).
        national = simple.group(1)
        return (f"+7{national}", None) if _KZ_MOBILE.fullmatch(national) else (None, "phone_invalid")
    try:
        number = phonenumbers.parse(raw, "KZ")
    except phonenumbers.NumberParseException:
        return None, "phone_invalid"
    if (phonenumbers.region_code_for_number(number) != "KZ"
            or phonenumbers.number_type(number) not in _MOBILE_TYPES
            or not phonenumbers.is_valid_number(number)):
        return None, "phone_invalid"
    formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return (formatted, None) if formatted.startswith("+77") and len(formatted) == 12 else (None, "phone_invalid")


_DMY = re.compile(r"([0-9]{1,2})[./-]([0-9]{1,2})[./-]([0-9]{4})(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?")
_YMD = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?")


def clean_date(value: Any, latest: date) -> tuple[date | None, str | None]:
    """A date cell (Excel date, serial number or text dd.mm.yyyy / yyyy-mm-dd); empty is None."""
    if is_empty(value):
        return None, None
    parsed: date | None = None
    if isinstance(value, datetime):
        parsed = value.date()
    elif isinstance(value, date):
        parsed = value
    elif isinstance(value, bool) or isinstance(value, (time, timedelta)):
        return None, "date_invalid"
    elif isinstance(value, (int, float)):
        if 1 <= value < 2958466:  # Excel serial days (1900 system) up to 31.12.9999
            parsed = EXCEL_EPOCH + timedelta(days=int(value))
    else:
        text = _plain(str(value))
        match = _DMY.fullmatch(text)
        try:
            if match:
                parsed = date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
            else:
                match = _YMD.fullmatch(text)
                if match:
                    parsed = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            parsed = None
    if parsed is None or parsed.year < 1900:
        return None, "date_invalid"
    if parsed > latest:
        return None, "date_in_future"
    return parsed, None


# -- categories ------------------------------------------------------------------------------
_CATEGORY_STEMS: dict[str, tuple[str, ...]] = {
    "socially_vulnerable": ("осал", "уязвим", "сусн", "sociallyvulnerable", "vulnerable"),
    "budget_employee": ("бюджет", "budget"),
    "city_forming_employee": ("қалақұраушы", "градообразу", "cityforming"),
}
_CATEGORY_NUMBERS = {str(i): code for i, code in enumerate(CATEGORIES, start=1)}
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def clean_category(value: Any) -> tuple[str | None, str | None]:
    """One of data.statuses.CATEGORIES from Kazakh or Russian words, the code or its number."""
    if value.__class__ is str:
        known = _CATEGORY_MEMO.get(value)
        if known is None:
            known = _category(value)
            if len(_CATEGORY_MEMO) < 10_000:
                _CATEGORY_MEMO[value] = known
        return known
    return _category(value)


_CATEGORY_MEMO: dict[str, tuple[str | None, str | None]] = {}


def _category(value: Any) -> tuple[str | None, str | None]:
    if is_empty(value):
        return None, "category_missing"
    key = _NOT_WORD.sub("", text_of(value).casefold().replace("ё", "е"))
    if key in _CATEGORY_NUMBERS:
        return _CATEGORY_NUMBERS[key], None
    found = [code for code, stems in _CATEGORY_STEMS.items() if any(stem in key for stem in stems)]
    if len(found) == 1:
        return found[0], None
    return None, "category_unknown"


def clean_text(value: Any) -> str:
    return text_of(value)


# -- the sheet -------------------------------------------------------------------------------
Lookup = Callable[[list[str]], dict[str, dict[str, Any]]]


class RowValidator:
    """Validates rows of one sheet; ``lookup(iins)`` says which IINs are already listed
    (``{iin: {"batch_id": ..., "akimat_id": ...}}``), asked once per chunk of rows."""

    def __init__(self, header: HeaderMap, latest_date: date, lookup: Lookup | None = None,
                 limits: Limits | None = None) -> None:
        self.header = header
        self.latest_date = latest_date
        self.lookup = lookup
        self.limits = limits or Limits()
        self.width = len(header.headers)
        pos = header.positions
        self.p_iin = pos[C.IIN]
        self.p_full = pos.get(C.FULL_NAME)
        self.p_parts = [pos[f] for f in (C.LAST_NAME, C.FIRST_NAME, C.PATRONYMIC) if f in pos]
        self.p_category = pos.get(C.CATEGORY)
        self.p_phone = pos.get(C.PHONE)
        self.p_qnum = pos.get(C.QUEUE_NUMBER)
        self.p_qdate = pos.get(C.QUEUE_DATE)
        self.p_note = pos.get(C.NOTE)
        self.used = sorted(set(pos.values()))
        name_field = C.FULL_NAME if self.p_full is not None else (C.LAST_NAME if C.LAST_NAME in pos else C.FULL_NAME)
        self.name_field = name_field
        self.columns = {name: header.header_of(name) for name in C.FIELDS}
        self.columns[C.FULL_NAME] = header.header_of(name_field) if name_field in pos else ""

    def _cell(self, values: list[Any], position: int | None) -> Any:
        if position is None or position >= len(values):
            return ""
        return values[position]

    def row_is_empty(self, values: list[Any]) -> bool:
        """Empty when every used column is empty (a pre-numbered template row is empty)."""
        n = len(values)
        return all(p >= n or is_empty(values[p]) for p in self.used)

    def check(self, number: int, values: list[Any]) -> tuple[CleanRow | None, list[Issue], str | None]:
        """The clean row (None when it has an error), its issues, and the IIN when valid."""
        issues: list[Issue] = []
        add = issues.append
        cols = self.columns

        raw_iin = self._cell(values, self.p_iin)
        iin, code = clean_iin(raw_iin)
        if code:
            add(Issue(number, C.IIN, cols[C.IIN], code, {"value": shown(raw_iin)} if code != "iin_missing" else {}))

        if self.p_full is not None and not is_empty(self._cell(values, self.p_full)):
            full_name = text_of(self._cell(values, self.p_full))
        else:
            full_name = " ".join(t for t in (text_of(self._cell(values, p)) for p in self.p_parts) if t)
        if not full_name:
            add(Issue(number, self.name_field, cols[C.FULL_NAME], "name_missing"))
        elif len(full_name) > MAX_NAME:
            add(Issue(number, self.name_field, cols[C.FULL_NAME], "too_long", {"limit": MAX_NAME}))

        raw_category = self._cell(values, self.p_category)
        category, code = clean_category(raw_category)
        if code:
            add(Issue(number, C.CATEGORY, cols[C.CATEGORY], code,
                      {"value": shown(raw_category)} if code == "category_unknown" else {}))

        raw_phone = self._cell(values, self.p_phone)
        phone, code = clean_phone(raw_phone)
        if code:
            add(Issue(number, C.PHONE, cols[C.PHONE], code, {"value": shown(raw_phone)} if code != "phone_missing" else {}))

        queue_number = text_of(self._cell(values, self.p_qnum)) or None
        if queue_number and len(queue_number) > MAX_QUEUE_NUMBER:
            add(Issue(number, C.QUEUE_NUMBER, cols[C.QUEUE_NUMBER], "too_long", {"limit": MAX_QUEUE_NUMBER}))

        raw_date = self._cell(values, self.p_qdate)
        queue_date, code = clean_date(raw_date, self.latest_date)
        if code:
            add(Issue(number, C.QUEUE_DATE, cols[C.QUEUE_DATE], code, {"value": shown(raw_date)}))

        note = text_of(self._cell(values, self.p_note)) or None
        if note and len(note) > MAX_NOTE:
            add(Issue(number, C.NOTE, cols[C.NOTE], "too_long", {"limit": MAX_NOTE}))

        if issues:
            return None, issues, iin
        return CleanRow(number, iin, full_name, category, phone, queue_number, queue_date, note), issues, iin

    def original(self, values: list[Any]) -> list[Any]:
        """The row's values across the header's width (what the error report shows)."""
        row = list(values[: self.width])
        if len(row) < self.width:
            row.extend([""] * (self.width - len(row)))
        return row

    def run(self, rows: Iterable[tuple[int, list[Any]]]) -> Validation:
        result = Validation()
        first_row: dict[str, int] = {}
        pending: list[tuple[CleanRow, list[Any]]] = []
        max_rows = self.limits.max_rows
        for number, values in rows:
            if self.row_is_empty(values):
                continue
            result.rows_total += 1
            if result.rows_total > max_rows:
                raise ImportFileError("too_many_rows", limit=max_rows)
            clean, issues, iin = self.check(number, values)
            if iin is not None:
                earlier = first_row.get(iin)
                if earlier is None:
                    first_row[iin] = number
                else:
                    issues.append(Issue(number, C.IIN, self.columns[C.IIN], "iin_duplicate",
                                        {"first_row": earlier, "value": iin}))
                    if clean is not None:
                        clean = None
                        result.rows_duplicate += 1
                    else:
                        result.rows_invalid += 1
                    result.issues.extend(issues)
                    result.values[number] = self.original(values)
                    continue
            if clean is None:
                result.rows_invalid += 1
                result.issues.extend(issues)
                result.values[number] = self.original(values)
                continue
            if self.lookup is None:
                result.loadable.append(clean)
                continue
            pending.append((clean, values))
            if len(pending) >= LOOKUP_CHUNK:
                self._resolve(pending, result)
                pending = []
        if pending:
            self._resolve(pending, result)
        return result

    def _resolve(self, pending: list[tuple[CleanRow, list[Any]]], result: Validation) -> None:
        assert self.lookup is not None
        listed = self.lookup([clean.iin for clean, _ in pending])
        for clean, values in pending:
            found = listed.get(clean.iin)
            if found is None:
                result.loadable.append(clean)
                continue
            result.rows_already_listed += 1
            result.issues.append(Issue(clean.row, C.IIN, self.columns[C.IIN], "already_listed",
                                       {"value": clean.iin, **found}))
            result.values[clean.row] = self.original(values)

