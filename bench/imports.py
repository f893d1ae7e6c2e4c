"""Akimat list import: a 100,000-row .xlsx read + validated + loaded (targets: < 15 s, < 600 MB).

The list is made once with xlsxwriter (title rows, Kazakh headers, IINs as text and as numbers
that lost their leading zero, Excel and text dates, phones written every which way, ~1 % bad
rows and ~0.5 % repeated IINs) and cached in ``BENCH_DIR``. Each backend's import runs in a fresh
``spawn`` subprocess, so its peak resident memory (``ru_maxrss``) is the import's own; the same
run times python-calamine alone reading every cell of the file, and the note gives the ratio.
"""
from __future__ import annotations

import multiprocessing
import random
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from bench import Result
from bench.common import BENCH_DIR, scratch_engine

FULL_ROWS = 100_000
TARGET_SECONDS = 15.0
TARGET_MB = 600.0

LAST = ("Ахметов", "Серікбаев", "Иванов", "Нұрланова", "Жұмабеков", "Ким", "Оспанова", "Бекова", "Петренко",
        "Сәрсенбаев", "Абдрахманов", "Тоқтарова")
FIRST = ("Бекзат", "Айгүл", "Нұрлан", "Дина", "Ерлан", "Сергей", "Әсем", "Мадина", "Дәурен", "Алия")
MIDDLE = ("Серікұлы", "Нұрланқызы", "Петрович", "Ерланұлы", "Сергеевна", "", "Болатұлы", "Асқарқызы")
CATEGORIES = ("Әлеуметтік осал топтар", "Социально уязвимые слои населения", "бюджеттік ұйымдардың қызметкерлері",
              "Работники бюджетных организаций", "Қала құраушы заңды тұлғаның қызметкерлері",
              "градообразующее предприятие", "1", "2", "3", "budget_employee")
MOBILE = ("700", "701", "702", "705", "707", "708", "747", "771", "775", "776", "777", "778")


def make_list(path: Path, rows: int, seed: int = 20260306) -> Path:
    """Write the benchmark list (deterministic for a given size and seed)."""
    import xlsxwriter

    from data.iin import make_iin

    rng = random.Random(seed)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("Тізім")
    datefmt = book.add_format({"num_format": "dd.mm.yyyy"})
    sheet.write_string(0, 0, "Сатып алу құқығымен жалға берілетін тұрғын үй алушыларының тізімі")
    sheet.write_string(1, 0, "Астана қаласының әкімдігі, 2026 жыл")
    headers = ("№", "ЖСН", "Тегі, аты, әкесінің аты", "Санаты", "Ұялы телефон", "Кезек нөмірі",
               "Есепке қойылған күні", "Ескерту")
    sheet.write_row(2, 0, headers)
    seen: set[str] = set()
    previous: list[str] = []
    for i in range(rows):
        r = 3 + i
        born = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 365 * 48))
        digit = (3 if born.year < 2000 else 5) + rng.randrange(2)
        iin = make_iin(born, digit, rng=rng)
        while iin in seen:
            iin = make_iin(born, digit, rng=rng)
        seen.add(iin)
        roll = rng.random()
        if roll < 0.005 and previous:
            iin = rng.choice(previous)  # a repeated IIN
        elif roll < 0.01:
            iin = iin[:11] + str((int(iin[11]) + 1) % 10)  # a bad check digit
        previous.append(iin)
        if len(previous) > 1000:
            previous.pop(0)
        sheet.write_number(r, 0, i + 1)
        if rng.random() < 0.3:
            sheet.write_number(r, 1, int(iin))  # Excel drops the leading zero
        else:
            sheet.write_string(r, 1, iin)
        sheet.write_string(r, 2, " ".join(x for x in (rng.choice(LAST), rng.choice(FIRST), rng.choice(MIDDLE)) if x))
        sheet.write_string(r, 3, rng.choice(CATEGORIES))
        national = rng.choice(MOBILE) + f"{rng.randrange(10_000_000):07d}"
        style = rng.randrange(5)
        if rng.random() < 0.005:
            sheet.write_string(r, 4, "8 (7172) 55-" + national[-5:])  # a landline
        elif style == 0:
            sheet.write_number(r, 4, int("8" + national))
        elif style == 1:
            sheet.write_string(r, 4, f"+7 {national[:3]} {national[3:6]} {national[6:8]} {national[8:]}")
        elif style == 2:
            sheet.write_string(r, 4, "8" + national)
        elif style == 3:
            sheet.write_string(r, 4, f"8 ({national[:3]}) {national[3:6]}-{national[6:8]}-{national[8:]}")
        else:
            sheet.write_string(r, 4, "+7" + national)
        sheet.write_number(r, 5, rng.randrange(1, 90_000))
        queued = date(2005, 1, 1) + timedelta(days=rng.randrange(0, 7000))
        if rng.random() < 0.5:
            sheet.write_datetime(r, 6, datetime(queued.year, queued.month, queued.day), datefmt)
        else:
            sheet.write_string(r, 6, queued.strftime("%d.%m.%Y"))
        if rng.random() < 0.1:
            sheet.write_string(r, 7, "көп балалы отбасы")
    book.close()
    return path


def list_file(rows: int) -> Path:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"imports-{rows}.xlsx"
    if not path.exists():
        temporary = path.with_suffix(".part")
        make_list(temporary, rows)
        temporary.replace(path)
    return path


def calamine_alone(path: Path) -> float:
    """Seconds python-calamine needs to open the file and hand out every row."""
    import python_calamine

    started = time.perf_counter()
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    count = 0
    for _row in workbook.get_sheet_by_index(0).iter_rows():
        count += 1
    return time.perf_counter() - started


def _child(url: str, path: str, instance_dir: str) -> dict:
    """Runs in a fresh spawned process: one import, its time and the process's peak memory."""
    import resource

    from data import config
    from data.db import make_engine
    from data.imports import import_file

    config.INSTANCE_DIR = Path(instance_dir)
    engine = make_engine(url)
    before = resource.getrusage(resource.RUSAGE_SELF)
    baseline = before.ru_maxrss / 1024
    started = time.perf_counter()
    result = import_file(engine, path, akimat="710000000", source_kind="cli")
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    peak = after.ru_maxrss / 1024
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    engine.dispose()
    return {"seconds": seconds, "cpu": cpu, "peak_mb": peak, "baseline_mb": baseline, "status": result.status,
            "total": result.rows_total, "loaded": result.rows_loaded, "invalid": result.rows_invalid,
            "duplicates": result.rows_duplicate}


def run(backends, scale: float) -> list[Result]:
    rows = max(1000, int(FULL_ROWS * scale))
    path = list_file(rows)
    alone = min(calamine_alone(path) for _ in range(2))
    results = [Result(f"imports: python-calamine alone reads {rows:,} rows", "-", alone, "s",
                      note=f"{path.stat().st_size / 1e6:.1f} MB .xlsx")]
    spawn = multiprocessing.get_context("spawn")
    for backend in backends:
        with scratch_engine(backend, "imports") as engine, tempfile.TemporaryDirectory() as instance:
            url = engine.url.render_as_string(hide_password=False)
            with spawn.Pool(1) as pool:
                figures = pool.apply(_child, (url, str(path), instance))
        ok = figures["status"] == "loaded" and figures["loaded"] > 0.95 * rows
        note = (f"{figures['seconds'] / alone:.1f}× calamine alone; {figures['cpu']:.1f} s CPU in the importer; "
                f"{figures['loaded']:,} loaded, {figures['invalid']:,} invalid, {figures['duplicates']:,} repeated"
                + ("" if ok else f"; status {figures['status']}"))
        results.append(Result(f"imports: read+validate+load {rows:,} rows", backend, figures["seconds"], "s",
                              TARGET_SECONDS, note))
        results.append(Result("imports: peak memory of the import process", backend, figures["peak_mb"], "MB",
                              TARGET_MB, f"{figures['baseline_mb']:.0f} MB before the import"))
    return results
