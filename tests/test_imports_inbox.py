"""The drop folder <inbox>/<KATO>/*: new files once, half-written ones left alone, results
beside the files, and two processes at once never taking the same file."""
from __future__ import annotations

import json
import multiprocessing
import os
import time
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from data import config
from data.db import make_engine, session_scope
from data.imports import inbox as inbox_module
from data.imports.inbox import default_inbox_dir, process_inbox
from data.migrate import upgrade_database
from data.models import ListBatch, Recipient
from tests.conftest import local
from tests.test_imports_support import kk_row, person, write_xlsx

ASTANA, ALMATY = "710000000", "750000000"
NOW = local(2026, 3, 6, 15, 0)


@pytest.fixture
def inbox_engine(scratch_db_url, tmp_path, monkeypatch):
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path / "instance")
    engine = make_engine(scratch_db_url)
    upgrade_database(engine)
    yield engine
    engine.dispose()


def aged(path: Path, seconds: float = 120) -> Path:
    """As if the file had been written ``seconds`` ago (and not touched since)."""
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def drop(inbox: Path, kato: str, name: str, rows=None, content: bytes | None = None, age: float = 120) -> Path:
    folder = inbox / kato
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if content is not None:
        path.write_bytes(content)
    else:
        write_xlsx(path, rows if rows is not None else [kk_row(person())])
    return aged(path, age) if age else path


def count(engine, model, *where) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_new_files_are_processed_once_with_results_beside_them(inbox_engine, tmp_path):
    inbox = tmp_path / "inbox"
    good = drop(inbox, ASTANA, "тізім наурыз.xlsx", [kk_row(person()), kk_row(person(), 2)])
    with_errors = drop(inbox, ALMATY, "list.xlsx", [kk_row(person()), kk_row(person(phone="123"), 2)])
    result = process_inbox(inbox_engine, inbox, now=NOW, settle_seconds=5)
    assert sorted((i.akimat, i.name, i.outcome, i.status) for i in result.items) == [
        (ASTANA, "тізім наурыз.xlsx", "processed", "loaded"), (ALMATY, "list.xlsx", "processed", "loaded")]
    assert not good.exists() and not with_errors.exists()

    astana = next(i for i in result.items if i.akimat == ASTANA)
    moved = Path(astana.moved_to)
    assert moved.parent == inbox / ASTANA / "processed" and moved.name.endswith("тізім наурыз.xlsx")
    assert moved.name.startswith("20260306-")  # the arrival time, local, capped at ``now``
    payload = json.loads(Path(astana.result_path).read_text("utf-8"))
    assert payload["batch_id"] == astana.batch_id and payload["rows_loaded"] == 2 and payload["errors"] == []
    assert astana.reports == []

    almaty = next(i for i in result.items if i.akimat == ALMATY)
    payload = json.loads(Path(almaty.result_path).read_text("utf-8"))
    assert [(e["row"], e["code"]) for e in payload["errors"]] == [(3, "phone_invalid")]
    assert [Path(p).name.rsplit(".errors-", 1)[1] for p in almaty.reports] == ["kk.xlsx", "ru.xlsx"]
    ru = openpyxl.load_workbook(almaty.reports[1]).worksheets[0]
    assert ru.cell(row=1, column=11).value == "Ошибки" and "Не мобильный номер" in ru.cell(row=2, column=11).value

    with session_scope(inbox_engine) as session:
        batch = session.get(ListBatch, astana.batch_id)
        assert (batch.source, batch.received_at, batch.registration_date) == ("inbox", NOW, date(2026, 3, 6))
    assert count(inbox_engine, Recipient) == 3
    again = process_inbox(inbox_engine, inbox, now=NOW, settle_seconds=5)
    assert again.items == [] and count(inbox_engine, ListBatch) == 2


def test_half_written_files_are_left_alone(inbox_engine, tmp_path):
    inbox = tmp_path / "inbox"
    partial = drop(inbox, ASTANA, "big.xlsx.part")
    office_lock = drop(inbox, ASTANA, "~$big.xlsx", content=b"lock")
    fresh = drop(inbox, ASTANA, "writing.xlsx", age=0)  # modified just now: may still be written
    result = process_inbox(inbox_engine, inbox, now=NOW, settle_seconds=30)
    assert result.items == []
    assert sorted((Path(p).name, reason) for p, reason in result.skipped) == [
        ("big.xlsx.part", "partial_name"), ("writing.xlsx", "settling"), ("~$big.xlsx", "partial_name")]
    assert partial.exists() and office_lock.exists() and fresh.exists()

    partial.rename(partial.with_name("big.xlsx"))  # the sender finished and renamed it
    aged(fresh)
    result = process_inbox(inbox_engine, inbox, now=NOW, settle_seconds=30)
    assert sorted(i.name for i in result.processed) == ["big.xlsx", "writing.xlsx"]
    assert office_lock.exists()


def test_unreadable_resent_and_unknown_akimat_files_go_to_failed(inbox_engine, tmp_path):
    inbox = tmp_path / "inbox"
    drop(inbox, ASTANA, "broken.xlsx", content=b"PK\x03\x04 this is not really a zip")
    first = drop(inbox, ASTANA, "a.xlsx")
    content = first.read_bytes()
    drop(inbox, "123456789", "x.xlsx")
    (inbox / "misc").mkdir()
    result = process_inbox(inbox_engine, inbox, now=NOW, settle_seconds=0)
    outcomes = {(i.akimat, i.name): (i.outcome, i.error_code) for i in result.items}
    assert outcomes == {(ASTANA, "broken.xlsx"): ("failed", "corrupt"), (ASTANA, "a.xlsx"): ("processed", None),
                        ("123456789", "x.xlsx"): ("failed", "unknown_akimat")}
    assert (str(inbox / "misc"), "not_an_akimat_folder") in result.skipped
    broken = next(i for i in result.items if i.name == "broken.xlsx")
    assert Path(broken.moved_to).parent.name == "failed"
    payload = json.loads(Path(broken.result_path).read_text("utf-8"))
    assert payload["status"] == "rejected" and payload["error"].startswith("Файл бүлінген")
    unknown = next(i for i in result.items if i.name == "x.xlsx")
    assert json.loads(Path(unknown.result_path).read_text("utf-8"))["error_code"] == "unknown_akimat"
    assert unknown.batch_id is None

    # The same content dropped again (say, a copy under another name) is a resend, not a load.
    drop(inbox, ASTANA, "a (copy).xlsx", content=content)
    loaded = next(i for i in result.items if i.name == "a.xlsx")
    again = process_inbox(inbox_engine, inbox, now=NOW, settle_seconds=0)
    (item,) = again.items
    assert (item.outcome, item.error_code, item.duplicate_of_batch) == ("failed", "duplicate_file", loaded.batch_id)
    assert count(inbox_engine, Recipient) == 1


def test_a_claim_left_by_a_dead_process_is_taken_back(inbox_engine, tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    (inbox / ASTANA / "processing").mkdir(parents=True)
    orphan = inbox / ASTANA / "processing" / "20260306-101010-0badc0de-left.xlsx"
    write_xlsx(orphan, [kk_row(person())])
    aged(orphan)
    monkeypatch.setattr(inbox_module, "STALE_CLAIM_SECONDS", 0)
    result = process_inbox(inbox_engine, inbox, now=NOW, settle_seconds=0)
    assert [(i.name, i.outcome) for i in result.items] == [("left.xlsx", "processed")]
    assert list((inbox / ASTANA / "processing").iterdir()) == []


def test_default_inbox_dir_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("KTK_INBOX_DIR", str(tmp_path / "drop"))
    assert default_inbox_dir() == tmp_path / "drop"
    monkeypatch.delenv("KTK_INBOX_DIR")
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path / "inst")
    assert default_inbox_dir() == tmp_path / "inst" / "inbox"


def _run_inbox(url: str, inbox: str, instance: str, start_at: float) -> list[tuple[str, str, int | None]]:
    from data import config as child_config

    child_config.INSTANCE_DIR = Path(instance)
    engine = make_engine(url)
    while time.time() < start_at:  # both processes start together
        time.sleep(0.005)
    result = process_inbox(engine, inbox, now=NOW, settle_seconds=0)
    engine.dispose()
    return [(i.name, i.outcome, i.batch_id) for i in result.items]


def test_two_processes_at_once_never_take_the_same_file(inbox_engine, tmp_path, scratch_db_url):
    inbox = tmp_path / "inbox"
    names = [f"list-{n}.xlsx" for n in range(8)]
    for n, name in enumerate(names):
        drop(inbox, ASTANA if n % 2 else ALMATY, name, [kk_row(person()) for _ in range(20)])
    spawn = multiprocessing.get_context("spawn")
    start_at = time.time() + 3
    with spawn.Pool(2) as pool:
        runs = [pool.apply_async(_run_inbox, (scratch_db_url, str(inbox), str(tmp_path / "instance"), start_at))
                for _ in range(2)]
        per_process = [run.get(timeout=120) for run in runs]
    handled = [item for items in per_process for item in items]
    assert sorted(name for name, _, _ in handled) == names  # every file exactly once
    assert all(outcome == "processed" for _, outcome, _ in handled)
    assert len({batch for _, _, batch in handled}) == 8
    assert count(inbox_engine, ListBatch) == 8 and count(inbox_engine, Recipient) == 160
    leftovers = [p for p in inbox.rglob("*.xlsx") if p.parent.name != "processed"]
    assert leftovers == []
