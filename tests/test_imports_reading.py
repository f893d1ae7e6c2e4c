"""Reading real-world list files: formats, encodings, headers, Excel's habits, each cell rule.

Files are made for real (xlsxwriter, openpyxl, CSV bytes in UTF-8 / Windows-1251, BIFF8 .xls and
an encrypted Office file written byte by byte in test_imports_support).
"""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import phonenumbers
import pytest

from data.imports import columns as C
from data.imports.errors import ImportFileError, Limits
from data.imports.reader import open_sheet
from data.imports.validate import (
    RowValidator,
    clean_category,
    clean_date,
    clean_iin,
    clean_phone,
)
from tests.test_imports_support import (
    KK_HEADERS,
    RU_HEADERS,
    cfb,
    encrypted_office_file,
    kk_row,
    new_iin,
    new_iin_2000s,
    person,
    ru_row,
    write_csv,
    write_xlsx,
    xls_workbook,
)

RECEIVED = date(2026, 3, 6)


def validate(content: bytes, limits: Limits | None = None):
    sheet = open_sheet(content, limits)
    return sheet, RowValidator(sheet.header, RECEIVED, None, limits).run(sheet.rows)


# -- headers --------------------------------------------------------------------------------
def test_header_below_title_rows_is_found_and_row_numbers_are_excel_rows(tmp_path):
    p = person()
    path = write_xlsx(tmp_path / "t.xlsx", [kk_row(p), kk_row(person(), 2)], title_rows=3)
    sheet, result = validate(path.read_bytes())
    assert sheet.header.row_index == 4  # 3 titles, an empty row, then the header on Excel row 5
    assert sheet.file_format == "xlsx"
    assert [r.row for r in result.loadable] == [6, 7]
    assert result.loadable[0].iin == p["iin"]
    assert result.loadable[0].full_name == "Ахметов Бекзат Серікұлы"
    assert sheet.header.ignored == ["№"]


def test_header_in_a_shifted_used_range_keeps_sheet_positions(tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", [kk_row(person())], title_rows=1, start_col=2)
    sheet, result = validate(path.read_bytes())
    assert sheet.header.positions[C.IIN] == 3  # column D: two empty columns, then "№"
    assert sheet.header.headers[:3] == ["", "", "№"]
    assert [r.row for r in result.loadable] == [4]


def test_russian_headers_any_order_case_and_spacing_ignored(tmp_path):
    headers = ["  примечание ", "иин", "Ф.И.О.", "КАТЕГОРИЯ", "Телефон", "Номер  очереди",
               "Дата постановки на учёт", "Лишний столбец"]
    p = person(category="Работники бюджетных организаций", note="многодетная семья")
    path = write_xlsx(tmp_path / "ru.xlsx", [ru_row(p) + ["что-то"]], headers=headers)
    sheet, result = validate(path.read_bytes())
    assert set(sheet.header.positions) == {C.NOTE, C.IIN, C.FULL_NAME, C.CATEGORY, C.PHONE, C.QUEUE_NUMBER,
                                           C.QUEUE_DATE}
    assert sheet.header.ignored == ["Лишний столбец"]
    row = result.loadable[0]
    assert (row.iin, row.full_name, row.category, row.phone) == (
        p["iin"], "Ахметов Бекзат Серікұлы", "budget_employee", "+77011234567")
    assert (row.queue_number, row.queue_date, row.note) == ("15", date(2020, 1, 5), "многодетная семья")


@pytest.mark.parametrize("header, field", [
    ("ЖСН", C.IIN), ("ИИН", C.IIN), ("IIN", C.IIN), ("жсн (иин)", C.IIN),
    ("ТАӘ", C.FULL_NAME), ("ФИО", C.FULL_NAME), ("Тегі", C.LAST_NAME), ("Фамилия", C.LAST_NAME),
    ("Аты", C.FIRST_NAME), ("Имя", C.FIRST_NAME), ("Әкесінің аты", C.PATRONYMIC),
    ("Отчество (при наличии)", C.PATRONYMIC), ("Санаты", C.CATEGORY), ("Категория", C.CATEGORY),
    ("Телефон", C.PHONE), ("Ұялы телефон", C.PHONE), ("Кезек нөмірі", C.QUEUE_NUMBER),
    ("Номер очереди", C.QUEUE_NUMBER), ("Есепке қойылған күні", C.QUEUE_DATE),
    ("Дата постановки на учет", C.QUEUE_DATE), ("Ескерту", C.NOTE), ("Примечание", C.NOTE),
    ("№", None), ("Мекенжайы", None),
])
def test_known_headers(header, field):
    assert C.field_of(header) == field


def test_header_row_is_the_row_naming_most_fields():
    rows = [["Тізім", "ЖСН бойынша"], ["ЖСН"], ["ЖСН", "ТАӘ", "Санаты", "Телефон"], ["1", "2"]]
    assert C.find_header(rows).row_index == 2
    assert C.find_header([["ТАӘ", "Санаты"]]) is None  # no IIN column: not a header


# -- CSV --------------------------------------------------------------------------------------
@pytest.mark.parametrize("encoding, bom, delimiter", [
    ("utf-8", False, ";"), ("utf-8", True, ","), ("cp1251", False, ";"), ("cp1251", False, ","),
    ("utf-8", False, "\t"),
])
def test_csv_encodings_and_separators(tmp_path, encoding, bom, delimiter):
    p = person(category="Санаты: қала құраушы заңды тұлғаның қызметкері" if encoding != "cp1251"
               else "Работники градообразующих юридических лиц", last_name="Щербакова", first_name="Ёлка",
               patronymic="")
    headers = KK_HEADERS if encoding != "cp1251" else ["№", "ИИН", "Фамилия", "Имя", "Отчество", "Категория",
                                                      "Телефон", "Номер очереди", "Дата постановки на учет",
                                                      "Примечание"]
    path = write_csv(tmp_path / "l.csv", [kk_row(p)], headers=headers, encoding=encoding, bom=bom,
                     delimiter=delimiter, title="Список получателей жилья, г. Астана")
    sheet, result = validate(path.read_bytes())
    assert sheet.file_format == "csv"
    assert sheet.delimiter == delimiter
    assert sheet.encoding == {("utf-8", True): "utf-8-sig", ("utf-8", False): "utf-8"}.get((encoding, bom), "cp1251")
    assert [r.row for r in result.loadable] == [3]
    row = result.loadable[0]
    assert row.full_name == "Щербакова Ёлка"
    assert row.category == "city_forming_employee"
    assert row.queue_date == date(2020, 1, 5)


def test_csv_from_excel_numbers_keeps_working(tmp_path):
    young = new_iin_2000s()
    p = person(iin=str(int(young)), phone="87011234567", queue_date="2019-02-01")
    path = write_csv(tmp_path / "n.csv", [kk_row(p)], delimiter=",")
    _, result = validate(path.read_bytes())
    assert result.loadable[0].iin == young
    assert result.loadable[0].queue_date == date(2019, 2, 1)


# -- Excel's habits ---------------------------------------------------------------------------
def test_excel_numbers_dates_and_leading_zero_iins(tmp_path):
    young = new_iin_2000s()
    assert young.startswith("0") and len(str(int(young))) == 11
    older = new_iin()
    rows = [
        kk_row(person(iin=int(young), phone=87011234567, queue_number=1234.0, queue_date=datetime(2021, 3, 4))),
        kk_row(person(iin=float(older), phone=7771234567, queue_date=44000), 2),  # serial date 2020-06-18
        kk_row(person(iin=f" {older[:6]} {older[6:]} ", queue_date="7.3.2022"), 3),
    ]
    path = write_xlsx(tmp_path / "n.xlsx", rows)
    _, result = validate(path.read_bytes())
    first, second = result.loadable
    assert first.iin == young and first.phone == "+77011234567" and first.queue_number == "1234"
    assert first.queue_date == date(2021, 3, 4)
    assert second.iin == older and second.phone == "+77771234567" and second.queue_date == date(2020, 6, 18)
    assert [(i.row, i.code) for i in result.issues] == [(4, "iin_duplicate")]
    assert result.rows_duplicate == 1


@pytest.mark.parametrize("value, expected", [
    ("050315500123", ("050315500123", None)),
    (50315500123, ("050315500123", None)),
    (50315500123.0, ("050315500123", None)),
    ("50315500123", ("050315500123", None)),  # an 11-digit text is left-padded too
    ("50315500123.0", ("050315500123", None)),
    ("5.0315500123E+10", ("050315500123", None)),
    ("900101300017", ("900101300017", None)),
    (9.00101300017e11, ("900101300017", None)),
    ("'900101300017", ("900101300017", None)),
    ("900 101 300 017", ("900101300017", None)),
    ("\u200b900101300017\u00a0", ("900101300017", None)),
    ("", (None, "iin_missing")),
    (None, (None, "iin_missing")),
    ("   ", (None, "iin_missing")),
    ("12345", (None, "iin_format")),
    ("9001013000171", (None, "iin_format")),
    ("90010130001x", (None, "iin_format")),
    (1.5, (None, "iin_format")),
    (date(2020, 1, 1), (None, "iin_format")),
    (True, (None, "iin_format")),
    ("900101300018", (None, "iin_checksum")),
    (1.23e11, (None, "iin_checksum")),  # 123000000000: 12 digits, wrong check digit
])
def test_clean_iin(value, expected):
    assert clean_iin(value) == expected


@pytest.mark.parametrize("value, expected", [
    ("+7 701 123 45 67", "+77011234567"), ("87011234567", "+77011234567"), ("8 (701) 123-45-67", "+77011234567"),
    ("7011234567", "+77011234567"), ("77471234567", "+77471234567"), (87771234567.0, "+77771234567"),
    ("+7-705-123-45-67", "+77051234567"), ("+7 (708) 1234567", "+77081234567"), ("tel: +7 700 123 4567", "+77001234567"),
])
def test_clean_phone_normalizes_kazakhstan_mobiles(value, expected):
    assert clean_phone(value) == (expected, None)


@pytest.mark.parametrize("value, code", [
    ("", "phone_missing"), (None, "phone_missing"),
    ("8 (727) 250-12-34", "phone_invalid"),  # Almaty landline
    ("8 7172 55 12 34", "phone_invalid"),  # Astana landline
    ("+7 916 123 45 67", "phone_invalid"),  # Russia
    ("+1 650 253 0000", "phone_invalid"),
    ("12345", "phone_invalid"), ("телефон жоқ", "phone_invalid"), ("+7 750 123 4567", "phone_invalid"),
])
def test_clean_phone_rejects_landlines_and_foreign_numbers(value, code):
    assert clean_phone(value) == (None, code)


def test_phone_fast_path_agrees_with_phonenumbers():
    import random

    rng = random.Random(7)
    for _ in range(3000):
        national = "7" + f"{rng.randrange(10 ** 9):09d}"
        number = phonenumbers.parse("+7" + national)
        expected = (phonenumbers.region_code_for_number(number) == "KZ"
                    and phonenumbers.number_type(number) in (phonenumbers.PhoneNumberType.MOBILE,
                                                             phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE))
        assert (clean_phone("8" + national)[0] is not None) == expected, national


@pytest.mark.parametrize("value, expected", [
    ("Әлеуметтік осал топтар", "socially_vulnerable"), ("социально-уязвимые слои населения", "socially_vulnerable"),
    ("СУСН", "socially_vulnerable"), ("socially_vulnerable", "socially_vulnerable"), ("1", "socially_vulnerable"),
    (1.0, "socially_vulnerable"), ("Бюджеттік ұйымдардың қызметкерлері", "budget_employee"),
    ("работник бюджетной организации", "budget_employee"), ("2", "budget_employee"),
    ("budget_employee", "budget_employee"), ("Қала құраушы заңды тұлғаның қызметкері", "city_forming_employee"),
    ("Работники градообразующих юр. лиц", "city_forming_employee"), (3, "city_forming_employee"),
    ("city_forming_employee", "city_forming_employee"),
])
def test_clean_category(value, expected):
    assert clean_category(value) == (expected, None)


@pytest.mark.parametrize("value, code", [("", "category_missing"), ("көпбалалы", "category_unknown"),
                                         ("4", "category_unknown"), ("бюджет, уязвимые", "category_unknown")])
def test_clean_category_errors(value, code):
    assert clean_category(value) == (None, code)


@pytest.mark.parametrize("value, expected", [
    ("05.01.2020", (date(2020, 1, 5), None)), ("5.1.2020", (date(2020, 1, 5), None)),
    ("05/01/2020", (date(2020, 1, 5), None)), ("2020-01-05", (date(2020, 1, 5), None)),
    ("05.01.2020 00:00:00", (date(2020, 1, 5), None)), (43835, (date(2020, 1, 5), None)),
    (43835.0, (date(2020, 1, 5), None)), (datetime(2020, 1, 5, 12, 0), (date(2020, 1, 5), None)),
    (date(2020, 1, 5), (date(2020, 1, 5), None)), ("", (None, None)),
    ("31.02.2020", (None, "date_invalid")), ("2020", (None, "date_invalid")), ("ертең", (None, "date_invalid")),
    ("01.01.1850", (None, "date_invalid")), (-3, (None, "date_invalid")),
    ("07.03.2026", (None, "date_in_future")),
])
def test_clean_date(value, expected):
    assert clean_date(value, RECEIVED) == expected


# -- rows -------------------------------------------------------------------------------------
def test_empty_rows_are_skipped_and_numbered_template_rows_are_empty(tmp_path):
    rows = [kk_row(person()), [], ["", "", "", ""], [3], kk_row(person(), 4), [5, " ", "\u00a0"]]
    path = write_xlsx(tmp_path / "e.xlsx", rows)
    _, result = validate(path.read_bytes())
    assert result.rows_total == 2
    assert [r.row for r in result.loadable] == [2, 6]


def test_name_from_parts_or_full_name(tmp_path):
    rows = [kk_row(person(last_name="Ким", first_name="Сергей", patronymic=""))]
    path = write_xlsx(tmp_path / "p.xlsx", rows)
    _, result = validate(path.read_bytes())
    assert result.loadable[0].full_name == "Ким Сергей"


def test_row_limit(tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", [kk_row(person(), i) for i in range(6)])
    with pytest.raises(ImportFileError) as caught:
        validate(path.read_bytes(), Limits(max_rows=5))
    assert caught.value.code == "too_many_rows"
    assert "5" in caught.value.message("ru")


@pytest.mark.parametrize("mini", [True, False])
def test_xls_is_read(mini):
    p = person()
    content = xls_workbook([["Алушылар тізімі"], [], KK_HEADERS, kk_row(p), kk_row(person(iin=int(new_iin_2000s())), 2)],
                           sheet_name="Тізім", mini=mini)
    sheet, result = validate(content)
    assert sheet.file_format == "xls"
    assert [r.row for r in result.loadable] == [4, 5]
    assert result.loadable[0].iin == p["iin"] and result.loadable[1].iin.startswith("0")


def test_openpyxl_file_with_an_instructions_sheet_first(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Нұсқаулық"
    book.active["A1"] = "Толтыру тәртібі: бір жолға бір адам"
    sheet = book.create_sheet("Тізім")
    sheet.append(["ИИН", "ФИО", "Категория", "Телефон"])
    iin = new_iin()
    sheet.append([iin, "Иванова Анна", "2", "+7 747 000 11 22"])
    sheet["A2"].number_format = "@"
    path = tmp_path / "o.xlsx"
    book.save(path)
    opened, result = validate(path.read_bytes())
    assert opened.sheet_name == "Тізім"
    assert result.loadable[0].iin == iin and result.loadable[0].phone == "+77470001122"


# -- files that cannot be read ----------------------------------------------------------------
def _zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def unreadable_files(tmp_path: Path) -> dict[str, tuple[bytes, str]]:
    good = write_xlsx(tmp_path / "good.xlsx", [kk_row(person())]).read_bytes()
    no_iin = write_xlsx(tmp_path / "noiin.xlsx", [["Ахметов", "1"]], headers=["ТАӘ", "Санаты"]).read_bytes()
    header_only = write_xlsx(tmp_path / "header.xlsx", []).read_bytes()
    return {
        "empty": (b"", "empty_file"),
        "blank": (b"  \r\n\r\n ", "empty_file"),
        "pdf": (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "not_a_spreadsheet"),
        "png": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "not_a_spreadsheet"),
        "binary": (bytes(range(256)) * 8, "not_a_spreadsheet"),
        "docx": (_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}),
                 "not_a_spreadsheet"),
        "word97": (cfb({"WordDocument": b"x" * 5000}), "not_a_spreadsheet"),
        "truncated_zip": (good[: len(good) // 2], "corrupt"),
        "corrupt_member": (good[:200] + bytes(b ^ 0x55 for b in good[200:400]) + good[400:], "corrupt"),
        "encrypted": (encrypted_office_file(), "encrypted"),
        "xls_password": (xls_workbook([KK_HEADERS, kk_row(person())], password=True), "encrypted"),
        "text_without_iin": ("ФИО;Категория\nИванов;1\n".encode(), "no_iin_column"),
        "xlsx_without_iin": (no_iin, "no_iin_column"),
        "header_only": (header_only, "no_rows"),
    }


CASES = ["empty", "blank", "pdf", "png", "binary", "docx", "word97", "truncated_zip", "corrupt_member", "encrypted",
         "xls_password", "text_without_iin", "xlsx_without_iin", "header_only"]


@pytest.mark.parametrize("case", CASES)
def test_unreadable_files_get_one_clear_error(tmp_path, case):
    content, code = unreadable_files(tmp_path)[case]
    if code == "no_rows":
        sheet, result = validate(content)
        assert result.rows_total == 0
        return
    with pytest.raises(ImportFileError) as caught:
        validate(content)
    assert caught.value.code == code
    assert caught.value.message("kk") != caught.value.message("ru")
    assert "import.file" not in caught.value.message("ru")


def test_zip_bomb_is_refused_before_reading(tmp_path):
    good = write_xlsx(tmp_path / "good.xlsx", [kk_row(person())]).read_bytes()
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["xl/media/padding.bin"] = b"\x00" * (20 * 1024 * 1024)  # 20 MB of zeros: ~1000x
    bomb = _zip(members)
    assert len(bomb) < 100_000
    with pytest.raises(ImportFileError) as caught:
        open_sheet(bomb, Limits())
    assert caught.value.code == "compression_ratio"
    assert "padding.bin" in caught.value.message("ru")
    with pytest.raises(ImportFileError) as caught:
        open_sheet(bomb, Limits(max_unzipped=10 * 1024 * 1024, max_ratio=10_000))
    assert caught.value.code == "unzipped_too_large"
    assert "МБ" in caught.value.message("ru")


def test_zip_whose_headers_lie_about_sizes_is_corrupt(tmp_path):
    good = write_xlsx(tmp_path / "good.xlsx", [kk_row(person())]).read_bytes()
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["xl/media/big.bin"] = b"\x00" * 300_000
    content = bytearray(_zip(members))
    # Declare 1,000 bytes instead of 300,000 in the local header (offset 22) and in the central
    # directory entry (offset 24) of that member.
    with zipfile.ZipFile(io.BytesIO(bytes(content))) as archive:
        local = archive.getinfo("xl/media/big.bin").header_offset
    content[local + 22: local + 26] = (1000).to_bytes(4, "little")
    position = bytes(content).find(b"PK\x01\x02")
    while position >= 0:
        name_len = int.from_bytes(content[position + 28: position + 30], "little")
        if bytes(content[position + 46: position + 46 + name_len]) == b"xl/media/big.bin":
            content[position + 24: position + 28] = (1000).to_bytes(4, "little")
        position = bytes(content).find(b"PK\x01\x02", position + 4)
    with pytest.raises(ImportFileError) as caught:
        open_sheet(bytes(content), Limits())
    assert caught.value.code == "corrupt"


def test_file_size_limit():
    with pytest.raises(ImportFileError) as caught:
        open_sheet(b"x" * 2048, Limits(max_bytes=1024))
    assert caught.value.code == "file_too_large"


def test_cp1251_file_is_not_mistaken_for_utf8(tmp_path):
    content = "ИИН;ФИО;Категория;Телефон\n{};Сәрсенова Айгүл;1;87011234567\n".format(new_iin())
    with pytest.raises(UnicodeEncodeError):
        content.encode("cp1251")  # Kazakh letters are not in Windows-1251 ...
    russian = content.replace("Сәрсенова Айгүл", "Сарсенова Айгуль")
    sheet, result = validate(russian.encode("cp1251"))  # ... Russian ones are
    assert sheet.encoding == "cp1251"
    assert result.loadable[0].full_name == "Сарсенова Айгуль"


def test_header_variants_from_the_domain_table_all_map():
    header = C.map_header(["ЖСН", "Тегі", "Аты", "Әкесінің аты", "Санаты", "Ұялы телефон", "Кезек нөмірі",
                           "Есепке қойылған күні", "Ескерту"], 0)
    assert list(header.positions) == [C.IIN, C.LAST_NAME, C.FIRST_NAME, C.PATRONYMIC, C.CATEGORY, C.PHONE,
                                      C.QUEUE_NUMBER, C.QUEUE_DATE, C.NOTE]
    header = C.map_header(RU_HEADERS, 0)
    assert header.positions[C.FULL_NAME] == 2 and header.positions[C.NOTE] == 0


def test_exact_headers_win_over_loose_ones_wherever_they_stand():
    header = C.map_header(["ИИН поручителя", "Үй телефоны", "ИИН", "ФИО", "Ұялы телефон", "ФИО поручителя"], 0)
    assert header.positions == {C.IIN: 2, C.FULL_NAME: 3, C.PHONE: 4}
    assert header.ignored == ["ИИН поручителя", "Үй телефоны", "ФИО поручителя"]
    loose = C.map_header(["ИИН заявителя", "Мобильный номер телефона", "Ф.И.О. полностью"], 0)
    assert loose.positions == {C.IIN: 0, C.PHONE: 1, C.FULL_NAME: 2}
