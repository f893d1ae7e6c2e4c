"""/lists callbacks: the upload's result (the route's JSON, handed over by assets/list_upload.js)
and the batch list with its filters. Presentation helpers here are shared with the batch page.

The result card is built from the batch as stored (read again, scoped to the user), not from
what the browser sent; only an answer without a batch (refused before anything was recorded:
too large, wrong akimat) is shown as the route's message.
"""
from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html, no_update

from callbacks.context import current_lang, current_user, db, require, today_local
from callbacks.ids import Lists as ids
from callbacks.ui import fmt_count
from data.i18n import fmt_date, fmt_datetime, t
from data.imports.errors import file_error_message
from data.queries.lists import BatchRow, get_batch, list_batches

BATCH_COLORS = {"received": "slate", "validated": "sky", "loaded": "green", "rejected": "red"}
TIMING_COLORS = {"on_time": "green", "late": "amber", "open": "blue", "overdue": "red"}



def fmt_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


def batch_badge(status: str, lang: str):
    return html.Span(t(f"import.status.{status}", lang), className=f"status-badge status-{BATCH_COLORS.get(status, 'slate')}")


def timing_badge(batch: BatchRow, lang: str):
    if batch.timing is None:
        return html.Span(t("listpage.timing.none", lang), className="text-muted")
    return html.Span(t(f"listpage.timing.{batch.timing}", lang),
                     className=f"status-badge status-{TIMING_COLORS[batch.timing]}")


def days_text(batch: BatchRow, lang: str) -> str:
    if batch.days_left is None:
        return ""
    if batch.days_left == 0:
        return t("listpage.days.today", lang)
    if batch.days_left > 0:
        return t("listpage.days.left", lang, days=batch.days_left)
    return t("listpage.days.overdue", lang, days=-batch.days_left)


def batch_table(rows: list[BatchRow], lang: str, show_akimat: bool = True):
    """The batches as a table; ``show_akimat=False`` for akimat users (all rows are theirs)."""
    if not rows:
        return html.Div(t("listpage.batches.none", lang), className="empty-state")
    numeric = ("total", "loaded", "invalid")
    head = html.Thead(html.Tr([html.Th(t(f"listpage.col.{key}", lang), className="text-end" if key in numeric else None)
                               for key in ("id", "akimat", "file", "received", "registered", "status", *numeric,
                                           "due", "timing") if show_akimat or key != "akimat"]))
    body = []
    for b in rows:
        days = days_text(b, lang)
        body.append(html.Tr([
            html.Td(html.A(f"№{b.id}", href=f"/lists/{b.id}", className="lists-batch-link")),
            html.Td(b.akimat(lang), className="lists-akimat") if show_akimat else None,
            html.Td(html.Span(b.file_name, title=b.file_name), className="lists-file"),
            html.Td(fmt_datetime(b.received_local), className="text-nowrap"),
            html.Td(fmt_date(b.registration_date)),
            html.Td(batch_badge(b.status, lang), className="lists-status",
                    title=file_error_message(b.error_code, b.error_params, lang) if b.error_code else None),
            html.Td(fmt_count(b.rows_total), className="lists-num text-end"),
            html.Td(fmt_count(b.rows_loaded), className="lists-num text-end"),
            html.Td(fmt_count(b.rows_invalid), className="lists-num text-end" + (" text-danger" if b.rows_invalid
                                                                                  else "")),
            html.Td(fmt_date(b.due_date) if b.due_date else "—"),
            html.Td([timing_badge(b, lang),
                     html.Div(days, className="lists-days" + (" lists-days-overdue" if (b.days_left or 0) < 0
                                                              else "")) if days else None]),
        ], className="lists-row", **{"data-batch": str(b.id)}))
    return dbc.Table([head, html.Tbody(body)], hover=True, size="sm", responsive=True, className="lists-table")


def count_text(shown: int, total: int, lang: str) -> str:
    if shown < total:
        return t("listpage.batches.shown", lang, shown=fmt_count(shown), count=fmt_count(total))
    return t("listpage.batches.count", lang, count=fmt_count(total))


def counts_row(b: BatchRow, lang: str):
    items = [("total", b.rows_total, "slate"), ("loaded", b.rows_loaded, "green"),
             ("invalid", b.rows_invalid, "red"), ("already", b.rows_already_listed, "amber"),
             ("duplicates", b.rows_duplicate, "amber")]
    return html.Div([
        html.Div([html.Div(t(f"listpage.count.{key}", lang), className="kpi-label"),
                  html.Div(fmt_count(value), className="kpi-value", **{"data-count": key})],
                 className=f"lists-count lists-count-{tone}")
        for key, value, tone in items
    ], className="lists-counts")


def result_card(batch: BatchRow, lang: str, ignored: list[str] | None = None):
    """What happened to an uploaded file: status, counts, duplicate or file error, links."""
    children: list[Any] = [
        html.Div([html.Span(t("listpage.batch.title", lang, id=batch.id), className="fw-semibold"),
                  batch_badge(batch.status, lang), html.Span(batch.file_name, className="text-muted ms-2 small")],
                 className="d-flex align-items-center gap-2 mb-2 lists-result-head"),
    ]
    if batch.error_code == "duplicate_file":
        children.append(dbc.Alert([t("listpage.result.duplicate", lang, batch_id=batch.duplicate_of_id), " ",
                                   html.A(t("listpage.result.open_duplicate", lang, batch_id=batch.duplicate_of_id),
                                          href=f"/lists/{batch.duplicate_of_id}", className="alert-link")],
                                  color="warning", className="mb-2 lists-result-error"))
    elif batch.error_code:
        children.append(dbc.Alert(file_error_message(batch.error_code, batch.error_params, lang), color="danger",
                                  className="mb-2 lists-result-error"))
    if batch.status in ("validated", "loaded"):
        children.append(counts_row(batch, lang))
    if ignored:
        children.append(html.Div(t("listpage.result.ignored", lang, columns=", ".join(ignored)),
                                 className="text-muted small mt-2"))
    links = [dbc.Button(t("listpage.result.open", lang), href=f"/lists/{batch.id}", color="primary", size="sm",
                        className="lists-open")]
    if batch.rows_invalid or batch.rows_already_listed or batch.rows_duplicate:
        links.append(dbc.Button(t("listpage.batch.download_report", lang), href=f"/files/lists/{batch.id}/errors.xlsx",
                                color="outline-secondary", size="sm", external_link=True, className="lists-report"))
    children.append(html.Div(links, className="d-flex gap-2 mt-3"))
    tone = "danger" if batch.status == "rejected" and batch.error_code != "duplicate_file" else \
        "warning" if batch.error_code == "duplicate_file" or batch.rows_invalid else "success"
    return dbc.Card(dbc.CardBody(children), className=f"lists-result lists-result-{tone}")


@callback(
    Output(ids.RESULT, "children"),
    Input(ids.UPLOADED, "data"),
    prevent_initial_call=True,
)
def show_result(answer: dict | None):
    require("lists.upload")
    lang = current_lang()
    if not isinstance(answer, dict):
        return no_update
    batch = None
    batch_id = answer.get("batch_id")
    if isinstance(batch_id, int):
        with db() as session:
            batch = get_batch(session, current_user(), batch_id, today_local())
    if batch is None:
        message = answer.get("message") or answer.get("error") or t("listpage.upload.failed", lang)
        return dbc.Alert(str(message)[:500], color="danger", className="lists-result-error")
    ignored = [str(c)[:60] for c in answer.get("ignored_columns") or []][:20]
    return result_card(batch, lang, ignored)


@callback(
    Output(ids.TABLE, "children"),
    Output(ids.COUNT, "children"),
    Input(ids.FILTER_AKIMAT, "value"),
    Input(ids.FILTER_STATUS, "value"),
    Input(ids.UPLOADED, "data"),
    State(ids.COUNT, "children"),
    prevent_initial_call=True,
)
def refresh_table(akimat: str | None, status: str | None, _answer, _count):
    user = require("lists.read")
    lang = current_lang()
    akimat_id = int(akimat) if akimat and str(akimat).isdigit() else None
    with db() as session:
        found = list_batches(session, user, today_local(), akimat_id=akimat_id,
                             status=status if status != "all" else None)
    return batch_table(found.rows, lang, user.role != "akimat"), count_text(len(found.rows), found.total, lang)
