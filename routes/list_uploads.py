"""Akimat list files: upload (POST /files/lists/upload), the original file and the error report.

POST /files/lists/upload?akimat=<akimat id>
    The body is the file itself (``application/octet-stream``, its name in the ``X-File-Name``
    header, URI-encoded) as the page's script sends it, or a multipart form with a ``file`` field.
    It is streamed in 1 MB chunks to a temporary file under ``INSTANCE_DIR/uploads`` (never held
    in memory whole while receiving); more than the limit (``KTK_IMPORT_MAX_BYTES``, 50 MB) is
    refused with 413 and a message in the user's language, before or while reading. Then the
    same pipeline as the command line and the drop folder runs (``data.imports.import_file``:
    content sniffed by bytes, name sanitized, duplicate detection, atomic load) and the answer is
    the CLI's ``--json`` object plus ``url`` (the batch page), ``message`` and ``errors_total``
    (``errors`` lists the first 50). 200 when the file was read, 409 when it is a resend of a
    file already loaded (``duplicate_of_batch``), 422 when it cannot be read (``error``).

    Dash pages carry no CSRF token, so the route requires a same-origin request (the ``Origin``
    header, else the ``Referer``, must name this host) besides the signed-in session, and the
    ``lists.upload`` permission; an akimat user uploads only for their own akimat.

GET /files/lists/<id>/original       the file as it was received (archived by the loader)
GET /files/lists/<id>/errors.xlsx    the error report in the user's language (rebuilt each time)
    ``lists.read``; a batch outside the user's scope answers 404, as one that does not exist.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from flask import Flask, Response, jsonify, request, send_file

from callbacks.context import current_lang, current_user, today_local
from data import config
from data.access import can
from data.db import get_engine, session_scope
from data.i18n import t
from data.imports import Limits, build_report, import_file
from data.imports.errors import file_error_message
from data.imports.loader import archive_path, sanitize_file_name
from data.queries.lists import ListPageError, get_batch, upload_target

CHUNK = 1 << 20
SHOWN_ERRORS = 50


def _message(status: int, text: str, **extra):
    body = {"error": text, **extra}
    return jsonify(body), status


def same_origin() -> bool:
    """The request comes from a page of this site: Origin (else Referer) names this host."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source or source == "null":
        return False
    parts = urlsplit(source)
    return bool(parts.netloc) and parts.netloc.lower() == request.host.lower() and \
        parts.scheme in ("http", "https")


def _upload_dir() -> Path:
    path = Path(config.INSTANCE_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _too_large(lang: str, limit: int, size: int | None = None):
    text = file_error_message("file_too_large", {"size_bytes": size or limit + 1, "limit_bytes": limit}, lang) \
        if size else t("listpage.upload.too_large", lang, limit_mb=f"{limit / (1024 * 1024):.0f}")
    return _message(413, text, error_code="file_too_large")


def _copy_stream(stream, target, limit: int) -> int | None:
    """Copy ``stream`` into ``target`` chunk by chunk; None as soon as it exceeds ``limit``."""
    size = 0
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return size
        size += len(chunk)
        if size > limit:
            return None
        target.write(chunk)


def upload():
    lang = current_lang()
    user = current_user()
    if user is None:  # the gate answers 401 first; kept for clarity
        return _message(401, t("listpage.upload.sign_in", lang))
    if not can(user, "lists.upload"):
        return _message(403, t("listpage.error.forbidden", lang))
    if not same_origin():
        return _message(403, t("listpage.upload.cross_site", lang))
    with session_scope() as session:
        try:
            akimat = upload_target(session, user, request.args.get("akimat"))
        except ListPageError as exc:
            status = 403 if exc.code in ("other_akimat", "forbidden", "no_akimat") else 400
            return _message(status, exc.message(lang), error_code=exc.code)
        akimat_id = akimat.id
    limits = Limits.from_env()
    declared = request.content_length
    if declared is not None and declared > limits.max_bytes + (64 * 1024 if request.mimetype.startswith(
            "multipart/") else 0):
        return _too_large(lang, limits.max_bytes)

    if request.mimetype == "multipart/form-data":
        upload_file = request.files.get("file")
        if upload_file is None or not upload_file.filename:
            return _message(400, t("listpage.upload.no_file", lang))
        name = upload_file.filename
        stream = upload_file.stream
    else:
        name = unquote(request.headers.get("X-File-Name", "") or "")
        stream = request.stream
    name = sanitize_file_name(name, default="list")

    handle, temporary = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=_upload_dir())
    try:
        with os.fdopen(handle, "wb") as target:
            size = _copy_stream(stream, target, limits.max_bytes)
        if size is None:
            return _too_large(lang, limits.max_bytes)
        if size == 0:
            return _message(400, file_error_message("empty_file", {}, lang), error_code="empty_file")
        result = import_file(get_engine(), temporary, akimat=akimat_id, file_name=name, uploaded_by=user.id,
                             source_kind="upload", limits=limits)
    finally:
        try:
            os.unlink(temporary)
        except OSError:
            pass

    body = result.to_dict(lang)
    body["errors_total"] = len(body["errors"])
    body["errors"] = body["errors"][:SHOWN_ERRORS]
    body["url"] = f"/lists/{result.batch_id}"
    body["report_url"] = f"/files/lists/{result.batch_id}/errors.xlsx" if result.issues else None
    if result.readable and result.error_code != "duplicate_file":
        body["message"] = t("listpage.upload.done", lang, batch_id=result.batch_id, total=result.rows_total,
                            loaded=result.rows_loaded, invalid=result.rows_invalid)
        return jsonify(body), 200
    body["message"] = result.error_message(lang)
    return jsonify(body), 409 if result.error_code == "duplicate_file" else 422


def _scoped_batch(batch_id: int):
    user = current_user()
    if not can(user, "lists.read"):
        return None, None
    with session_scope() as session:
        batch = get_batch(session, user, batch_id, today_local())
    return user, batch


def original(batch_id: int):
    lang = current_lang()
    _user, batch = _scoped_batch(batch_id)
    if batch is None:
        return Response(t("listpage.file.not_found", lang), status=404, mimetype="text/plain; charset=utf-8")
    path = archive_path(batch.id, batch.file_name)
    if not path.is_file():
        return Response(t("listpage.file.not_archived", lang), status=404, mimetype="text/plain; charset=utf-8")
    response = send_file(path, as_attachment=True, download_name=batch.file_name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


def error_report(batch_id: int):
    lang = current_lang()
    _user, batch = _scoped_batch(batch_id)
    if batch is None:
        return Response(t("listpage.file.not_found", lang), status=404, mimetype="text/plain; charset=utf-8")
    with session_scope() as session:
        content = build_report(session, batch.id, lang)
    stem = batch.file_name.rsplit(".", 1)[0] if "." in batch.file_name else batch.file_name
    name = f"{stem}_{t('listpage.report.suffix', lang)}_{batch.id}.xlsx"
    ascii_name = f"errors_{batch.id}.xlsx"
    return Response(content, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
                                                    f"filename*=UTF-8''{quote(name)}",
                             "Cache-Control": "no-store"})


def register(server: Flask) -> None:
    server.add_url_rule("/files/lists/upload", "list_upload", upload, methods=["POST"])
    server.add_url_rule("/files/lists/<int:batch_id>/original", "list_original", original)
    server.add_url_rule("/files/lists/<int:batch_id>/errors.xlsx", "list_error_report", error_report)
