"""Reading an akimat's list file: what it is, whether it is safe, and its rows.

The format is told by the content, never by the file name:
- a ZIP with ``xl/workbook.xml`` is .xlsx (``xl/workbook.bin``: .xlsb; the ODF mimetype: .ods);
  its members' sizes and compression ratios are checked *before* anything is decompressed,
  then every member is decompressed once as a stream, counting bytes, so a ZIP whose headers
  lie about the sizes is caught too (a CRC error, or the cap);
- an OLE compound file (CFB) is .xls when it holds a ``Workbook``/``Book`` stream, and an
  encrypted (password-protected) Office file when it holds ``EncryptedPackage``;
- anything else that decodes as text is CSV: UTF-8 (with or without BOM), UTF-16 with a BOM
  (Excel's "Unicode text"), else Windows-1251; the separator (``,`` ``;`` or tab) is the one
  under which the header row is found best.

Spreadsheets are read with python-calamine. Rows come out as lists of cell values (str, float,
int, bool, date, datetime, time, timedelta; "" for an empty cell) with the row number the
user sees in Excel (1-based).
"""
from __future__ import annotations

import codecs
import csv
import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import python_calamine

from data.imports.columns import HEADER_SCAN_ROWS, HeaderMap, find_header
from data.imports.errors import ImportFileError, Limits

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = (b"PK\x03\x04",)
EMPTY_ZIP = b"PK\x05\x06"
OTHER_BINARY = (
    b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b", b"BZh",
    b"MZ", b"\x7fELF", b"{\\rtf",
)
ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
CSV_DELIMITERS = (";", ",", "\t")


@dataclass
class SheetData:
    """A sheet ready to validate: its header and an iterator over the rows below it."""

    file_format: str  # xlsx | xlsb | xls | ods | csv
    header: HeaderMap
    rows: Iterator[tuple[int, list[Any]]]  # (row number as in Excel, values)
    sheet_name: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)


# -- format detection ------------------------------------------------------------------------
def detect_format(content: bytes) -> str:
    """``zip`` | ``cfb`` | ``text``; raises for empty and known non-spreadsheet binaries."""
    if not content or not content.strip(b" \t\r\n\x00"):
        raise ImportFileError("empty_file")
    if content.startswith(ZIP_MAGIC) or content.startswith(EMPTY_ZIP):
        return "zip"
    if content.startswith(CFB_MAGIC):
        return "cfb"
    if content.startswith(OTHER_BINARY):
        raise ImportFileError("not_a_spreadsheet")
    return "text"


def check_zip(content: bytes, limits: Limits) -> str:
    """Check an OOXML/ODF zip against the limits; return ``xlsx`` | ``xlsb`` | ``ods``."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise ImportFileError("corrupt") from None
    if not infos:
        raise ImportFileError("empty_file")
    if len(infos) > limits.max_members:
        raise ImportFileError("too_many_members", members=len(infos), limit=limits.max_members)
    declared = sum(info.file_size for info in infos)
    if declared > limits.max_unzipped:
        raise ImportFileError("unzipped_too_large", unzipped_bytes=declared, limit_bytes=limits.max_unzipped)
    for info in infos:
        if info.file_size > limits.ratio_from:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise ImportFileError("compression_ratio", member=info.filename, ratio=int(ratio),
                                      limit=limits.max_ratio)
    names = {info.filename for info in infos}
    if "xl/workbook.xml" in names:
        kind = "xlsx"
    elif "xl/workbook.bin" in names:
        kind = "xlsb"
    elif "mimetype" in names and _read_member(archive, "mimetype", 200).strip() == ODS_MIME:
        kind = "ods"
    else:
        raise ImportFileError("not_a_spreadsheet")
    # Decompress every member once, counting: headers that lie about sizes end in a CRC error
    # (zipfile never gives more than the declared size) and the total stays under the cap.
    total = 0
    try:
        for info in infos:
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                raise ImportFileError("encrypted")
            with archive.open(info) as member:
                while True:
                    chunk = member.read(1 << 20)
                    if not chunk:
                        break
                    total += len(chunk)
                    if total > limits.max_unzipped:
                        raise ImportFileError("unzipped_too_large", unzipped_bytes=total,
                                              limit_bytes=limits.max_unzipped)
    except ImportFileError:
        raise
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, OSError, ValueError, RuntimeError):
        raise ImportFileError("corrupt") from None
    return kind


def _read_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    try:
        with archive.open(name) as member:
            return member.read(limit)
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, RuntimeError, NotImplementedError):
        raise ImportFileError("corrupt") from None


class CompoundFile:
    """Just enough of an OLE compound file (CFB) to list its streams and read the start of
    one: what a .xls is, and whether it is encrypted. Any inconsistency raises ``corrupt``."""

    END = 0xFFFFFFFA  # sector numbers from here up are markers (end of chain, free, ...)

    def __init__(self, content: bytes) -> None:
        try:
            self.content = content
            shift = struct.unpack_from("<H", content, 30)[0]
            if shift not in (9, 12):
                raise ValueError("sector size")
            self.size = 1 << shift
            self.mini_size = 1 << struct.unpack_from("<H", content, 32)[0]
            first_dir, = struct.unpack_from("<I", content, 48)
            self.mini_cutoff, self.first_minifat = struct.unpack_from("<II", content, 56)
            first_difat, difat_count = struct.unpack_from("<II", content, 68)
            fat_sectors = [s for s in struct.unpack_from("<109I", content, 76) if s < self.END]
            sector, seen = first_difat, 0
            while sector < self.END and seen <= difat_count:
                entries = struct.unpack(f"<{self.size // 4}I", self._sector(sector))
                fat_sectors.extend(s for s in entries[:-1] if s < self.END)
                sector, seen = entries[-1], seen + 1
            self.fat: list[int] = []
            for s in fat_sectors:
                self.fat.extend(struct.unpack(f"<{self.size // 4}I", self._sector(s)))
            self.entries: dict[str, tuple[int, int]] = {}  # name -> (start sector, size)
            self.root: tuple[int, int] = (0xFFFFFFFE, 0)
            for sector in self._chain(first_dir):
                data = self._sector(sector)
                for offset in range(0, self.size, 128):
                    entry = data[offset:offset + 128]
                    name_len = struct.unpack_from("<H", entry, 64)[0]
                    kind = entry[66]
                    if kind in (1, 2, 5) and 2 <= name_len <= 64:
                        name = entry[:name_len - 2].decode("utf-16-le", "replace")
                        start, length = struct.unpack_from("<II", entry, 116)
                        if kind == 5:
                            self.root = (start, length)
                        self.entries[name] = (start, length)
        except (struct.error, ValueError, IndexError):
            raise ImportFileError("corrupt") from None

    def _sector(self, number: int) -> bytes:
        start = (number + 1) * self.size
        data = self.content[start:start + self.size]
        if len(data) != self.size:
            raise ValueError("sector out of range")
        return data

    def _chain(self, sector: int, limit: int = 100_000):
        steps = 0
        while sector < self.END:
            yield sector
            sector = self.fat[sector] if sector < len(self.fat) else 0xFFFFFFFE
            steps += 1
            if steps > limit:
                raise ValueError("sector chain loop")

    def head(self, name: str, length: int = 512) -> bytes:
        """The first ``length`` bytes of stream ``name`` (b"" when there is none)."""
        if name not in self.entries:
            return b""
        try:
            start, size = self.entries[name]
            want = min(length, size)
            out = bytearray()
            if size >= self.mini_cutoff:
                for sector in self._chain(start):
                    out += self._sector(sector)
                    if len(out) >= want:
                        break
                return bytes(out[:want])
            # A small stream lives in the mini stream (inside the root entry's sectors).
            minifat: list[int] = []
            for sector in self._chain(self.first_minifat):
                minifat.extend(struct.unpack(f"<{self.size // 4}I", self._sector(sector)))
            container = bytearray()
            for sector in self._chain(self.root[0]):
                container += self._sector(sector)
            mini, steps = start, 0
            while mini < self.END and len(out) < want and steps < 100_000:
                offset = mini * self.mini_size
                out += container[offset:offset + self.mini_size]
                mini = minifat[mini] if mini < len(minifat) else 0xFFFFFFFE
                steps += 1
            return bytes(out[:want])
        except (struct.error, ValueError, IndexError):
            raise ImportFileError("corrupt") from None


def cfb_stream_names(content: bytes) -> set[str]:
    """Names of the entries of an OLE compound file's directory (raises ``corrupt``)."""
    return set(CompoundFile(content).entries)


def biff_encrypted(head: bytes) -> bool:
    """A FILEPASS record (0x002F) among the first records of a .xls workbook stream: the
    workbook is protected by a password to open."""
    offset = 0
    for _ in range(16):
        if offset + 4 > len(head):
            return False
        kind, length = struct.unpack_from("<HH", head, offset)
        if kind == 0x002F:
            return True
        if kind in (0x000A, 0x0085):  # end of the globals, or the sheet list: no FILEPASS
            return False
        offset += 4 + length
    return False


# -- spreadsheets ----------------------------------------------------------------------------
def _calamine_error(exc: Exception) -> ImportFileError:
    if isinstance(exc, python_calamine.PasswordError) or "password" in str(exc).lower() \
            or "encrypt" in str(exc).lower():
        return ImportFileError("encrypted")
    return ImportFileError("corrupt")


def read_workbook(content: bytes, file_format: str, limits: Limits) -> SheetData:
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
    except Exception as exc:  # calamine raises its own error classes and plain ones
        raise _calamine_error(exc) from None
    try:
        metas = list(workbook.sheets_metadata)
        order = [m.name for m in metas if m.visible == python_calamine.SheetVisibleEnum.Visible
                 and m.typ == python_calamine.SheetTypeEnum.WorkSheet]
        order += [m.name for m in metas if m.name not in order]
        any_rows = False
        for name in order:
            sheet = workbook.get_sheet_by_name(name)
            if sheet.height == 0 and sheet.width == 0:
                continue
            any_rows = True
            rows = sheet.iter_rows()
            offset = sheet.start[1] if sheet.start else 0
            head: list[list[Any]] = []
            for row in rows:
                head.append(_shift(row, offset))
                if len(head) >= HEADER_SCAN_ROWS:
                    break
            header = find_header(head)
            if header is None:
                continue
            return SheetData(file_format, header, _workbook_rows(head, rows, header, offset), sheet_name=name)
    except ImportFileError:
        raise
    except Exception as exc:
        raise _calamine_error(exc) from None
    raise ImportFileError("no_iin_column" if any_rows else "empty_file")


def _shift(row: list[Any], offset: int) -> list[Any]:
    """calamine leaves out the empty columns left of the used range: put them back so
    positions are the sheet's own columns."""
    return [""] * offset + row if offset else row


def _workbook_rows(head: list[list[Any]], rest: Iterator[list[Any]], header: HeaderMap,
                   offset: int) -> Iterator[tuple[int, list[Any]]]:
    number = header.row_index + 1
    for row in head[header.row_index + 1:]:
        number += 1
        yield number, row
    try:
        for row in rest:
            number += 1
            yield number, _shift(row, offset)
    except Exception as exc:
        raise _calamine_error(exc) from None


# -- CSV -------------------------------------------------------------------------------------
def decode_text(content: bytes) -> tuple[str, str]:
    """The text and the encoding it was read with."""
    if content.startswith(codecs.BOM_UTF8):
        try:
            return content[len(codecs.BOM_UTF8):].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            raise ImportFileError("not_a_spreadsheet") from None
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return content.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise ImportFileError("not_a_spreadsheet") from None
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1251"), "cp1251"
    except UnicodeDecodeError:
        raise ImportFileError("not_a_spreadsheet") from None


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    if "\x00" in sample:
        return True
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n\x0c")
    return controls > max(8, len(sample) // 200)


def read_csv(content: bytes, limits: Limits) -> SheetData:
    text, encoding = decode_text(content)
    if _looks_binary(text):
        raise ImportFileError("not_a_spreadsheet")
    if not text.strip():
        raise ImportFileError("empty_file")
    best: tuple[int, int, str, HeaderMap] | None = None
    for delimiter in CSV_DELIMITERS:
        head = _csv_head(text, delimiter)
        header = find_header(head)
        if header is None:
            continue
        width = max((len(r) for r in head), default=0)
        key = (header.score, width)
        if best is None or key > best[:2]:
            best = (header.score, width, delimiter, header)
    if best is None:
        raise ImportFileError("no_iin_column")
    delimiter, header = best[2], best[3]
    return SheetData("csv", header, _csv_rows(text, delimiter, header), encoding=encoding, delimiter=delimiter)


def _csv_reader(text: str, delimiter: str):
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True,
                      skipinitialspace=False, strict=False)


def _csv_head(text: str, delimiter: str) -> list[list[Any]]:
    head: list[list[Any]] = []
    try:
        for row in _csv_reader(text[:262144], delimiter):
            head.append(row)
            if len(head) >= HEADER_SCAN_ROWS:
                break
    except csv.Error:
        pass
    return head


def _csv_rows(text: str, delimiter: str, header: HeaderMap) -> Iterator[tuple[int, list[Any]]]:
    reader = _csv_reader(text, delimiter)
    try:
        for number, row in enumerate(reader, start=1):
            if number <= header.row_index + 1:
                continue
            yield number, row
    except csv.Error:
        raise ImportFileError("corrupt") from None


# -- entry point -----------------------------------------------------------------------------
def open_sheet(content: bytes, limits: Limits | None = None) -> SheetData:
    """The sheet of a list file, or ImportFileError naming why it cannot be read."""
    limits = limits or Limits()
    if len(content) > limits.max_bytes:
        raise ImportFileError("file_too_large", size_bytes=len(content), limit_bytes=limits.max_bytes)
    kind = detect_format(content)
    if kind == "zip":
        return read_workbook(content, check_zip(content, limits), limits)
    if kind == "cfb":
        compound = CompoundFile(content)
        names = set(compound.entries)
        if {"EncryptedPackage", "EncryptionInfo"} & names:
            raise ImportFileError("encrypted")  # an OOXML (.xlsx) file with a password
        stream = "Workbook" if "Workbook" in names else "Book" if "Book" in names else None
        if stream is None:
            raise ImportFileError("not_a_spreadsheet")
        if biff_encrypted(compound.head(stream)):
            raise ImportFileError("encrypted")  # a .xls with a password to open
        return read_workbook(content, "xls", limits)
    return read_csv(content, limits)
