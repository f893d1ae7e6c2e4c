"""Real list files for the import tests, made here: .xlsx (xlsxwriter, openpyxl), CSV in UTF-8
and Windows-1251, and two OLE compound files written byte by byte (no package makes them):

- a minimal BIFF8 ``.xls`` workbook (a ``Workbook`` stream with LABEL/NUMBER cells), which
  python-calamine reads like one saved by Excel 97-2003, and the same with a password to open
  (a FILEPASS record after BOF, which is how Excel marks an encrypted .xls);
- a password-protected ("encrypted") Office file: what Excel writes for an .xlsx with a
  password is not a ZIP but a compound file with an ``EncryptionInfo`` and an
  ``EncryptedPackage`` stream. Ours has those two streams filled with random bytes — without
  the password the real thing is indistinguishable from random bytes, and detecting it needs
  only the directory, so this is the same case as far as the importer can know.

Also: unique valid IINs for every test (the recipients table is shared by the session's tests)
and an akimat of its own per test.
"""
from __future__ import annotations

import csv
import io
import itertools
import os
import random
import struct
from datetime import date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.iin import is_valid_iin, make_iin
from data.models import Akimat

_rng = random.Random(os.getpid() * 7919 + int.from_bytes(os.urandom(4), "little"))
_issued: set[str] = set()
_kato_counter = itertools.count(_rng.randrange(1000, 9000) * 10)


def new_iin(born: date | None = None, digit: int | None = None) -> str:
    """A valid IIN never handed out before in this test run."""
    while True:
        day = born or date(1960, 1, 1).fromordinal(date(1960, 1, 1).toordinal() + _rng.randrange(0, 365 * 45))
        sex = digit or ((3 if day.year < 2000 else 5) + _rng.randrange(2))
        iin = make_iin(day, sex, rng=_rng)
        if iin not in _issued:
            _issued.add(iin)
            return iin


def new_iin_2000s() -> str:
    """An IIN with a leading zero (born 2000-2009): Excel stores it as an 11-digit number."""
    return new_iin(date(2000 + _rng.randrange(1, 10), 1 + _rng.randrange(12), 1 + _rng.randrange(28)))


def bad_check_digit(iin: str) -> str:
    for d in range(1, 10):
        candidate = iin[:11] + str((int(iin[11]) + d) % 10)
        if not is_valid_iin(candidate):
            return candidate
    raise AssertionError(iin)


def akimat(session: Session, level: str = "district") -> Akimat:
    """A district akimat of this test's own (so duplicate-file checks never cross tests)."""
    while True:
        kato = f"71{next(_kato_counter):07d}"
        if session.scalar(select(Akimat.id).where(Akimat.kato == kato)) is None:
            break
    row = Akimat(kato=kato, name_kk=f"Тест ауданы {kato}", name_ru=f"Тестовый район {kato}", level=level)
    session.add(row)
    session.flush()
    return row


KK_HEADERS = ["№", "ЖСН", "Тегі", "Аты", "Әкесінің аты", "Санаты", "Ұялы телефон", "Кезек нөмірі",
              "Есепке қойылған күні", "Ескерту"]
RU_HEADERS = ["Примечание", "ИИН", "ФИО", "Категория", "Телефон", "Номер очереди", "Дата постановки на учет"]


def person(iin: Any = None, **overrides: Any) -> dict[str, Any]:
    """One good row as a dict of field -> value (``iin=""`` for a row without one)."""
    row = {
        "iin": new_iin() if iin is None else iin, "last_name": "Ахметов", "first_name": "Бекзат", "patronymic": "Серікұлы",
        "category": "Әлеуметтік осал топтар", "phone": "+7 701 123 45 67", "queue_number": "15",
        "queue_date": "05.01.2020", "note": "",
    }
    row.update(overrides)
    return row


def kk_row(p: dict[str, Any], number: int = 1) -> list[Any]:
    return [number, p["iin"], p["last_name"], p["first_name"], p["patronymic"], p["category"], p["phone"],
            p["queue_number"], p["queue_date"], p["note"]]


def ru_row(p: dict[str, Any]) -> list[Any]:
    full = " ".join(x for x in (p["last_name"], p["first_name"], p["patronymic"]) if x)
    return [p["note"], p["iin"], full, p["category"], p["phone"], p["queue_number"], p["queue_date"]]


def write_xlsx(path: Path, rows: list[list[Any]], *, headers: list[str] = KK_HEADERS, title_rows: int = 0,
               start_col: int = 0, sheet_name: str = "Тізім", before_sheets: int = 0) -> Path:
    """An .xlsx by xlsxwriter: optional title rows above the header, cells typed as given
    (int/float -> number, date/datetime -> an Excel date, str -> text)."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    datefmt = book.add_format({"num_format": "dd.mm.yyyy"})
    for i in range(before_sheets):
        extra = book.add_worksheet(f"Нұсқаулық{i}")
        extra.write_string(0, 0, "Толтыру нұсқаулығы")
    sheet = book.add_worksheet(sheet_name)
    r = 0
    for i in range(title_rows):
        sheet.write_string(r, start_col, f"Тізім, {i + 1}-жол тақырыбы")
        r += 1
    if title_rows:
        r += 1  # an empty row between the title and the header
    for c, text in enumerate(headers):
        sheet.write_string(r, start_col + c, text)
    for values in rows:
        r += 1
        for c, value in enumerate(values):
            col = start_col + c
            if value is None or value == "":
                continue
            if isinstance(value, datetime):
                sheet.write_datetime(r, col, value, datefmt)
            elif isinstance(value, date):
                sheet.write_datetime(r, col, datetime(value.year, value.month, value.day), datefmt)
            elif isinstance(value, bool):
                sheet.write_boolean(r, col, value)
            elif isinstance(value, (int, float)):
                sheet.write_number(r, col, value)
            else:
                sheet.write_string(r, col, str(value))
    book.close()
    return path


def write_csv(path: Path, rows: list[list[Any]], *, headers: list[str] = KK_HEADERS, encoding: str = "utf-8",
              delimiter: str = ";", bom: bool = False, title: str | None = None) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    if title:
        writer.writerow([title])
    writer.writerow(headers)
    for values in rows:
        writer.writerow(["" if v is None else v for v in values])
    data = buffer.getvalue().encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)
    return path


# -- OLE compound files (CFB v3, 512-byte sectors, no mini stream) ---------------------------------
ENDOFCHAIN, FREESECT, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def cfb(streams: dict[str, bytes], *, mini: bool = False) -> bytes:
    """A compound file holding ``streams``. Streams under 4096 bytes go to the mini stream
    (64-byte mini sectors inside the root entry) with ``mini=True``, as Excel writes small
    files; otherwise they are padded to 4096 bytes and live in regular sectors."""
    size, cutoff = 512, 4096
    names = list(streams)
    small = {n for n in names if mini and len(streams[n]) < cutoff}
    fat = [FATSECT, ENDOFCHAIN]  # sector 0: the FAT itself, sector 1: the directory
    minifat_sector = ENDOFCHAIN
    container = b""
    mini_starts: dict[str, int] = {}
    minifat: list[int] = []
    for name in names:
        if name in small:
            data = streams[name]
            count = max(1, -(-len(data) // 64))
            mini_starts[name] = len(minifat)
            minifat.extend(range(len(minifat) + 1, len(minifat) + count))
            minifat.append(ENDOFCHAIN)
            container += data + b"\x00" * (count * 64 - len(data))
    body_sectors: list[bytes] = []
    if small:
        minifat_sector = len(fat)
        fat.append(ENDOFCHAIN)
        body_sectors.append(struct.pack("<128I", *(minifat + [FREESECT] * (128 - len(minifat)))))
    root_start = ENDOFCHAIN
    if container:
        container += b"\x00" * (-len(container) % size)
        root_start = len(fat)
        count = len(container) // size
        fat.extend(range(root_start + 1, root_start + count))
        fat.append(ENDOFCHAIN)
        body_sectors.extend(container[i:i + size] for i in range(0, len(container), size))
    starts: dict[str, int] = {}
    lengths: dict[str, int] = {}
    for name in names:
        if name in small:
            starts[name], lengths[name] = mini_starts[name], len(streams[name])
            continue
        data = streams[name] + b"\x00" * max(0, cutoff - len(streams[name]))
        data += b"\x00" * (-len(data) % size)
        starts[name], lengths[name] = len(fat), len(data) if len(streams[name]) < cutoff else len(streams[name])
        count = len(data) // size
        fat.extend(range(len(fat) + 1, len(fat) + count))
        fat.append(ENDOFCHAIN)
        body_sectors.extend(data[i:i + size] for i in range(0, len(data), size))
    assert len(fat) <= 128, "test streams too large for one FAT sector"
    fat += [FREESECT] * (128 - len(fat))

    def entry(name: str, kind: int, child: int, right: int, start: int, length: int) -> bytes:
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        return struct.pack(
            "<64sHBBIII16sIQQIII", encoded, len(encoded), kind, 1, NOSTREAM, right, child, b"\x00" * 16, 0, 0, 0,
            start, length, 0,
        )

    entries = [entry("Root Entry", 5, 1 if names else NOSTREAM, NOSTREAM, root_start, len(container))]
    for i, name in enumerate(names):
        right = i + 2 if i + 1 < len(names) else NOSTREAM
        entries.append(entry(name, 2, NOSTREAM, right, starts[name], lengths[name]))
    while len(entries) < 4:
        entries.append(b"\x00" * 64 + struct.pack("<HBBIII", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM) + b"\x00" * 48)
    assert len(entries) == 4, "at most three streams"
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\x00" * 16, 0x3E, 3, 0xFFFE, 9, 6,
        b"\x00" * 6, 0, 1, 1, 0, cutoff, minifat_sector, 1 if small else 0, ENDOFCHAIN, 0,
    )
    header += struct.pack("<109I", 0, *([FREESECT] * 108))
    assert len(header) == 512
    return header + struct.pack("<128I", *fat) + b"".join(entries) + b"".join(body_sectors)


def encrypted_office_file() -> bytes:
    """What a password-protected .xlsx looks like to anyone without the password."""
    noise = random.Random(42)
    return cfb({
        "EncryptionInfo": bytes(noise.randrange(256) for _ in range(4096)),
        "EncryptedPackage": bytes(noise.randrange(256) for _ in range(8192)),
    })


def _record(kind: int, data: bytes) -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _xl_string(text: str, length_bytes: int = 2) -> bytes:
    encoded = text.encode("utf-16-le")
    size = struct.pack("<H" if length_bytes == 2 else "<B", len(text))
    return size + b"\x01" + encoded


def xls_workbook(rows: list[list[Any]], sheet_name: str = "Sheet1", *, password: bool = False,
                 mini: bool = True) -> bytes:
    """A BIFF8 workbook (Excel 97-2003 .xls) with one sheet of text and number cells; small
    ones in the mini stream as Excel writes them. ``password``: a FILEPASS record (RC4
    encryption header with random salt and verifier) right after BOF, as Excel writes for a
    workbook with a password to open (the cells are then not really encrypted here: the reader
    must stop at FILEPASS anyway)."""
    bof_globals = _record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06))
    codepage = _record(0x0042, struct.pack("<H", 1200))
    if password:
        noise = random.Random(7)
        bof_globals += _record(0x002F, struct.pack("<HHH", 1, 1, 1) + bytes(noise.randrange(256) for _ in range(48)))
    name = _xl_string(sheet_name, 1)
    boundsheet_len = 4 + 4 + 2 + len(name)
    eof = _record(0x000A, b"")
    globals_len = len(bof_globals) + len(codepage) + boundsheet_len + len(eof)
    boundsheet = _record(0x0085, struct.pack("<IBB", globals_len, 0, 0) + name)
    cells = b""
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                cells += _record(0x0203, struct.pack("<HHHd", r, c, 0x0F, float(value)))
            else:
                cells += _record(0x0204, struct.pack("<HHH", r, c, 0x0F) + _xl_string(str(value)))
    width = max((len(v) for v in rows), default=0)
    dimensions = _record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, width, 0))
    bof_sheet = _record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 0x06))
    stream = bof_globals + codepage + boundsheet + eof + bof_sheet + dimensions + cells + eof
    assert len(bof_globals + codepage + boundsheet + eof) == globals_len
    return cfb({"Workbook": stream}, mini=mini)
