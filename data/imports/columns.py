"""Known columns of an akimat list and how their headers are recognized (domain.md table).

Headers may be Kazakh, Russian (or English), in any order; case, spacing, punctuation, the
letter ё and anything in parentheses ("Отчество (при наличии)") are ignored. The header row is
the row among the first ``HEADER_SCAN_ROWS`` that names the most known columns (title rows
above it are common); it must name the IIN column.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

HEADER_SCAN_ROWS = 20

# Field codes, in the order the report and the CLI list them.
IIN = "iin"
FULL_NAME = "full_name"
LAST_NAME = "last_name"
FIRST_NAME = "first_name"
PATRONYMIC = "patronymic"
CATEGORY = "category"
PHONE = "phone"
QUEUE_NUMBER = "queue_number"
QUEUE_DATE = "queue_date"
NOTE = "note"
FIELDS = (IIN, FULL_NAME, LAST_NAME, FIRST_NAME, PATRONYMIC, CATEGORY, PHONE, QUEUE_NUMBER, QUEUE_DATE, NOTE)

# Exact headers (written naturally; normalized below).
_ALIASES: dict[str, tuple[str, ...]] = {
    IIN: ("ЖСН", "ИИН", "IIN", "ЖСН/ИИН", "ИИН/ЖСН", "ЖСН (ИИН)", "Жеке сәйкестендіру нөмірі",
          "Индивидуальный идентификационный номер", "ИИН получателя", "ЖСН нөмірі"),
    FULL_NAME: ("ТАӘ", "ФИО", "Т.А.Ә.", "Ф.И.О.", "Тегі, аты, әкесінің аты", "Тегі аты әкесінің аты",
                "Фамилия, имя, отчество", "Фамилия имя отчество", "Аты-жөні", "Толық аты-жөні",
                "ФИО получателя", "Full name"),
    LAST_NAME: ("Тегі", "Фамилия", "Last name", "Surname"),
    FIRST_NAME: ("Аты", "Имя", "First name"),
    PATRONYMIC: ("Әкесінің аты", "Отчество", "Әкесінің есімі", "Patronymic"),
    CATEGORY: ("Санаты", "Категория", "Санат", "Алушының санаты", "Категория получателя",
               "Category"),
    PHONE: ("Телефон", "Ұялы телефон", "Телефон нөмірі", "Ұялы телефон нөмірі", "Номер телефона",
            "Мобильный телефон", "Сотовый телефон", "Контактный телефон", "Байланыс телефоны",
            "Phone", "Mobile"),
    QUEUE_NUMBER: ("Кезек нөмірі", "Номер очереди", "Кезектегі нөмірі", "№ очереди", "Кезек №",
                   "Номер в очереди", "Queue number"),
    QUEUE_DATE: ("Есепке қойылған күні", "Дата постановки на учет", "Дата постановки на учёт",
                 "Есепке алу күні", "Кезекке қойылған күні", "Дата постановки в очередь",
                 "Queue date"),
    NOTE: ("Ескерту", "Примечание", "Ескертпе", "Note", "Комментарий", "Түсініктеме"),
}

_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalize_header(value: Any) -> str:
    """Lower case, no parentheses, no spaces or punctuation, ё as е: "Ф.И.О. (полностью)" -> "фио"."""
    if value is None:
        return ""
    text = str(value).casefold().replace("ё", "е")
    text = _PARENS.sub(" ", text)
    return _NOT_WORD.sub("", text)


ALIASES: dict[str, str] = {}
for _field, _names in _ALIASES.items():
    for _name in _names:
        ALIASES.setdefault(normalize_header(_name), _field)

# Looser rules for longer headers, tried in order when no exact alias matches.
_CONTAINS: tuple[tuple[str, str], ...] = (
    ("иин", IIN), ("жсн", IIN),
    ("фио", FULL_NAME), ("таә", FULL_NAME),
    ("телефон", PHONE),
    ("датапостановки", QUEUE_DATE), ("есепкеқойылған", QUEUE_DATE), ("кезеккеқойылған", QUEUE_DATE),
    ("номерочеред", QUEUE_NUMBER), ("кезекнөмір", QUEUE_NUMBER),
    ("категория", CATEGORY), ("санаты", CATEGORY),
    ("примечани", NOTE), ("ескерту", NOTE),
)


def field_of(header: Any) -> str | None:
    """The field a header names, or None."""
    return _exact(header) or _loose(header)


def _exact(header: Any) -> str | None:
    return ALIASES.get(normalize_header(header))


def _loose(header: Any) -> str | None:
    key = normalize_header(header)
    if not key or len(key) > 40:  # nothing, or a sentence rather than a header
        return None
    for needle, name in _CONTAINS:
        if needle in key:
            return name
    return None


@dataclass
class HeaderMap:
    """Where each field is in the sheet (0-based positions in the row lists)."""

    row_index: int  # 0-based index of the header row among the rows read
    headers: list[str]  # the header row as written (text), full width
    positions: dict[str, int] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # headers of columns that are not used

    @property
    def score(self) -> int:
        return len(self.positions)

    def header_of(self, name: str) -> str:
        pos = self.positions.get(name)
        return self.headers[pos] if pos is not None else ""


def header_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def map_header(row: list[Any], row_index: int) -> HeaderMap:
    """Exact headers first, then the looser rules for the fields still missing (so "Ұялы
    телефон" wins over "Үй телефоны" and "ИИН" over "ИИН поручителя" wherever they stand);
    a field named twice keeps its first column, the other is ignored."""
    headers = [header_text(v) for v in row]
    mapping = HeaderMap(row_index, headers)
    taken: set[int] = set()
    for finder in (_exact, _loose):
        for pos, text in enumerate(headers):
            if not text or pos in taken:
                continue
            name = finder(text)
            if name is not None and name not in mapping.positions:
                mapping.positions[name] = pos
                taken.add(pos)
    mapping.positions = dict(sorted(mapping.positions.items(), key=lambda item: item[1]))
    mapping.ignored = [text for pos, text in enumerate(headers) if text and pos not in taken]
    return mapping


def find_header(rows: list[list[Any]]) -> HeaderMap | None:
    """The best header among the first rows: most fields named; IIN required; None if none."""
    best: HeaderMap | None = None
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        candidate = map_header(row, index)
        if IIN not in candidate.positions:
            continue
        if best is None or candidate.score > best.score:
            best = candidate
    return best
