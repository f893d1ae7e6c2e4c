"""/lists/<batch_id>: one akimat list batch — counts, the file (name, size, SHA-256, received
time, registration date, sender), the 2-working-day upload clock, the row errors, the recipients,
downloads of the original and of the error report, and "SMS sent" for staff who may notify.
A batch outside the user's scope reads as one that does not exist."""
from datetime import datetime

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from callbacks.context import current_lang, current_user, db, today_local
from callbacks.ids import ListBatchPage as ids
from callbacks.list_batch import listed_status_label, recipients_section
from callbacks.lists import (
    batch_badge,
    counts_row,
    days_text,
    fmt_count,
    fmt_size,
    timing_badge,
)
from data.access import can
from data.config import LOCAL_TZ
from data.i18n import fmt_date, fmt_datetime, t
from data.imports.errors import file_error_message
from data.queries.lists import batch_errors, batch_recipients, get_batch


def title(batch_id=None, **_path):
    return t("listpage.batch.tab", current_lang(), id=str(batch_id or "")[:12])


dash.register_page(__name__, path_template="/lists/<batch_id>", name="list_batch", title=title,
                   permission="lists.read", order=941, nav=False)


def _fact(label: str, value, mono: bool = False):
    return html.Div([html.Dt(label, className="lists-fact-label"),
                     html.Dd(value, className="lists-fact-value" + (" lists-mono" if mono else ""))],
                    className="lists-fact")


def _card(title_text: str, body, extra_class: str = ""):
    return dbc.Card(dbc.CardBody([html.H2(title_text, className="h6 lists-card-title"), body]),
                    className=f"lists-card {extra_class}".strip())


def layout(batch_id=None, **_query):
    lang = current_lang()
    user = current_user()
    back = html.A(t("listpage.batch.back", lang), href="/lists", className="lists-back")
    with db() as session:
        batch = get_batch(session, user, batch_id, today_local())
        if batch is None:
            return dbc.Container([back, dbc.Alert(t("listpage.batch.not_found", lang), color="warning",
                                                  className="mt-3 lists-not-found")], fluid=True, className="page")
        errors, error_total = batch_errors(session, batch.id, lang)
        recipients = recipients_section(session, user, batch.id, lang)
        _rows, counts = batch_recipients(session, user, batch.id, limit=0)
    listed = counts.get("listed", 0)

    head = html.Div([
        back,
        html.Div([html.H1(t("listpage.batch.title", lang, id=batch.id), className="page-title mb-0"),
                  batch_badge(batch.status, lang),
                  html.Span(batch.akimat(lang), className="text-muted")],
                 className="d-flex align-items-center gap-3 flex-wrap"),
    ], className="page-head d-block")

    alerts = []
    if batch.error_code == "duplicate_file":
        alerts.append(dbc.Alert([t("listpage.result.duplicate", lang, batch_id=batch.duplicate_of_id), " ",
                                 html.A(t("listpage.result.open_duplicate", lang, batch_id=batch.duplicate_of_id),
                                        href=f"/lists/{batch.duplicate_of_id}", className="alert-link")],
                                color="warning", className="lists-file-error"))
    elif batch.error_code:
        alerts.append(dbc.Alert([html.Strong(t("listpage.batch.file_error", lang) + ": "),
                                 file_error_message(batch.error_code, batch.error_params, lang)],
                                color="danger", className="lists-file-error"))

    facts = html.Dl([
        _fact(t("listpage.batch.akimat", lang), f"{batch.akimat(lang)} ({batch.akimat_kato})"),
        _fact(t("listpage.batch.file_name", lang), batch.file_name),
        _fact(t("listpage.batch.size", lang), fmt_size(batch.size_bytes)),
        _fact(t("listpage.batch.format", lang), (batch.file_format or "—").upper()),
        _fact(t("listpage.batch.sha256", lang), batch.sha256, mono=True),
        _fact(t("listpage.batch.received", lang), fmt_datetime(batch.received_local)),
        _fact(t("listpage.batch.registered", lang), fmt_date(batch.registration_date)),
        _fact(t("listpage.batch.loaded_at", lang),
              fmt_datetime(batch.loaded_at.astimezone(LOCAL_TZ)) if batch.loaded_at else "—"),
        _fact(t("listpage.batch.sender", lang), batch.uploaded_by or "—"),
        _fact(t("listpage.batch.source", lang), t(f"listpage.batch.source.{batch.source}", lang)
              if batch.source in ("upload", "inbox", "cli") else "—"),
    ], className="lists-facts")
    downloads = html.Div([
        dbc.Button(t("listpage.batch.download_original", lang), href=f"/files/lists/{batch.id}/original",
                   external_link=True, color="outline-secondary", size="sm", id="listbatch-download-original"),
        dbc.Button(t("listpage.batch.download_report", lang), href=f"/files/lists/{batch.id}/errors.xlsx",
                   external_link=True, color="primary", size="sm", id="listbatch-download-report"),
    ], className="d-flex gap-2 flex-wrap mt-2")

    if batch.due_date:
        clock = html.Div([
            html.Div(t("listpage.batch.due", lang), className="kpi-label"),
            html.Div(fmt_date(batch.due_date), className="lists-due-date"),
            html.Div([timing_badge(batch, lang), html.Span(days_text(batch, lang), className="ms-2")],
                     className="mt-1"),
            html.Div(t("listpage.days.legend", lang), className="text-muted small mt-2"),
        ])
    else:
        clock = html.Div(t("listpage.batch.no_clock", lang), className="text-muted")

    if errors:
        error_table = dbc.Table([
            html.Thead(html.Tr([html.Th(t(f"listpage.err.{k}", lang)) for k in ("row", "column", "code", "message")])),
            html.Tbody([html.Tr([html.Td(e.row, className="lists-num"), html.Td(e.column), html.Td(html.Code(e.code)),
                                 html.Td(e.message)]) for e in errors]),
        ], size="sm", hover=True, responsive=True, className="lists-table lists-errors")
        more = html.Div(t("listpage.batch.errors_more", lang, shown=len(errors), count=fmt_count(error_total)),
                        className="text-muted small") if error_total > len(errors) else None
        error_body = html.Div([html.Div(t("listpage.batch.report_hint", lang), className="text-muted small mb-2"),
                               html.Div(error_table, className="lists-scroll"), more])
    else:
        error_body = html.Div(t("listpage.batch.errors_none", lang), className="text-muted")

    notify = None
    if can(user, "recipients.notify") and batch.status == "loaded":
        now_text = datetime.now(LOCAL_TZ).strftime("%d.%m.%Y %H:%M")
        notify = dbc.Card(dbc.CardBody([
            html.H2(t("listpage.notify.title", lang), className="h6 lists-card-title"),
            html.Div(t("listpage.notify.hint", lang, status=listed_status_label(lang), count=fmt_count(listed))
                     if listed else t("listpage.error.nothing_to_notify", lang), className="text-muted small mb-2"),
            dbc.Row([
                dbc.Col([dbc.Label(t("listpage.notify.sent_at", lang), html_for=ids.SENT_AT, className="lists-label"),
                         dbc.Input(id=ids.SENT_AT, value=now_text, maxLength=16, autoComplete="off",
                                   placeholder=t("listpage.notify.placeholder", lang))], md=5),
                dbc.Col(dbc.Button(t("listpage.notify.submit", lang), id=ids.NOTIFY, color="primary", n_clicks=0,
                                   disabled=listed == 0), md="auto", className="d-flex align-items-end"),
            ], className="g-2"),
            dcc.Loading(html.Div(id=ids.NOTIFY_MSG, className="mt-2", role="status"), type="dot"),
        ]), id=ids.NOTIFY_CARD, className="lists-card lists-notify")

    return dbc.Container([
        head,
        *alerts,
        counts_row(batch, lang) if batch.status in ("validated", "loaded") else None,
        dbc.Row([
            dbc.Col(_card(t("listpage.batch.file", lang), html.Div([facts, downloads])), lg=8),
            dbc.Col(_card(t("listpage.batch.clock", lang), clock), lg=4),
        ], className="g-3 mt-1"),
        notify,
        _card(t("listpage.batch.errors", lang) + (f" · {fmt_count(error_total)}" if error_total else ""), error_body),
        _card(t("listpage.batch.recipients", lang), html.Div(recipients, id=ids.RECIPIENTS)),
        dcc.Store(id=ids.BATCH_ID, data=batch.id),
    ], fluid=True, className="page lists-page lists-batch-page")
