"""Akimat tenant lists: read real-world files, validate rows, load recipients, report errors.

- ``reader``   what a file is (by content), limits against abuse, its rows (python-calamine, csv)
- ``columns``  known headers in Kazakh / Russian and finding the header row
- ``validate`` per-row checks with stable codes (plain Python, no ORM objects)
- ``loader``   the pipeline: batch record, duplicate file, archive, load in one transaction
- ``report``   the error report (.xlsx) in kk or ru, rebuilt from the stored row errors
- ``inbox``    the drop folder ``<inbox>/<KATO>/*``

For the upload page and the scheduled jobs::

    result = import_file(engine, raw_bytes, akimat=user.akimat_id, file_name=upload_name,
                         uploaded_by=user, source_kind="upload")       # its own transaction
    result = import_list(session, raw_bytes, akimat="710000000", ...)  # inside the caller's
    result.status, result.rows_loaded, result.issues, result.error_message(lang), result.to_dict(lang)
    build_report(session, result.batch_id, lang) -> .xlsx bytes        # any time later, kk or ru
    data.imports.inbox.process_inbox(engine)                            # the every-minute job
    data.recipients.expire_recipients(session, today)                   # the daily job

Limits (environment): ``KTK_IMPORT_MAX_BYTES`` (50 MB), ``KTK_IMPORT_MAX_ROWS`` (200,000),
``KTK_IMPORT_MAX_UNZIPPED`` (500 MB), ``KTK_IMPORT_MAX_RATIO`` (200); drop folder:
``KTK_INBOX_DIR`` (``INSTANCE_DIR/inbox``), ``KTK_INBOX_SETTLE_SECONDS`` (10),
``KTK_INBOX_LANG`` (kk, the language of the result JSON; reports are written in kk and ru).
"""
from data.imports.errors import ImportFileError, Limits
from data.imports.loader import ImportResult, import_file, import_list, load_batch, sanitize_file_name
from data.imports.report import batch_issues, build_report, issue_message, write_report

__all__ = [
    "ImportFileError",
    "ImportResult",
    "Limits",
    "batch_issues",
    "build_report",
    "import_file",
    "import_list",
    "issue_message",
    "load_batch",
    "sanitize_file_name",
    "write_report",
]
