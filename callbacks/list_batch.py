"""/lists/<id> callbacks: "SMS sent" for the batch's listed recipients (staff with
``recipients.notify``), then the recipients section again with their window due dates.

The section builders are here too (the page layout uses them for the first render)."""
from __future__ import annotations

from datetime import UTC, datetime

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html, no_update
from flask import request

from callbacks.context import current_lang, db, require, today_local
from callbacks.ids import ListBatchPage as ids
from callbacks.ui import fmt_count, status_badge
from data.config import LOCAL_TZ
from data.i18n import fmt_date, fmt_datetime, t
from data.models import User
from data.queries.lists import (
    ListPageError,
    batch_recipients,
    mark_notified,
    window_due,
)
from data.statuses import WORKFLOWS


def recipients_section(session, user: User, batch_id: int, lang: str):
    rows, counts = batch_recipients(session, user, batch_id)
    total = sum(counts.values())
    if not total:
        return html.Div(t("listpage.batch.recipients_none", lang), className="text-muted")
    summary = html.Div([
        html.Span([status_badge("recipient", code, lang), " ", html.Span(fmt_count(count), className="fw-semibold",
                                                                          **{"data-status-count": code})],
                  className="me-3 text-nowrap")
        for code, count in counts.items() if count
    ], className="mb-2 lists-recipient-summary")
    head = html.Thead(html.Tr([html.Th(t(f"listpage.rec.{key}", lang)) for key in (
        "iin", "name", "phone", "status", "sms", "window_due")]))
    body = html.Tbody([
        html.Tr([
            html.Td(r.iin if _full_iin(user) else _masked(r.iin), className="lists-num"),
            html.Td(r.full_name),
            html.Td(r.phone or ""),
            html.Td(status_badge("recipient", r.status, lang)),
            html.Td(fmt_datetime(r.notified_at.astimezone(LOCAL_TZ)) if r.notified_at else ""),
            html.Td(fmt_date(r.window_due) if r.window_due else "", className="lists-window-due"),
        ]) for r in rows
    ])
    more = []
    if total > len(rows):
        more.append(html.Span(t("listpage.batch.recipients_more", lang, shown=len(rows), count=fmt_count(total)),
                              className="text-muted small me-2"))
    more.append(html.A(t("listpage.batch.recipients_all", lang), href=f"/recipients?batch={batch_id}",
                       className="small"))
    return html.Div([summary, dbc.Table([head, body], size="sm", hover=True, responsive=True,
                                        className="lists-table lists-recipients"), html.Div(more)])


def _full_iin(user: User) -> bool:
    from data.queries.recipients import may_read_iin

    return may_read_iin(user)


def _masked(iin: str) -> str:
    from data.access import mask_iin

    return mask_iin(iin)


def listed_status_label(lang: str) -> str:
    return WORKFLOWS["recipient"].status("listed").label(lang)


@callback(
    Output(ids.NOTIFY_MSG, "children"),
    Output(ids.RECIPIENTS, "children"),
    Output(ids.NOTIFY, "disabled"),
    Input(ids.NOTIFY, "n_clicks"),
    State(ids.SENT_AT, "value"),
    State(ids.BATCH_ID, "data"),
    prevent_initial_call=True,
)
def notify(n_clicks, sent_at, batch_id):
    user = require("recipients.notify")
    lang = current_lang()
    if not n_clicks or not isinstance(batch_id, int):
        return no_update, no_update, no_update
    now = datetime.now(UTC)
    try:
        with db() as session:
            result = mark_notified(session, user, batch_id, sent_at, now=now, today=today_local(),
                                   ip=request.remote_addr)
            session.flush()
            due = window_due(session, result.notified[0])
            section = recipients_section(session, user, batch_id, lang)
    except ListPageError as exc:
        return dbc.Alert(exc.message(lang), color="danger", className="mb-0 lists-notify-error"), no_update, no_update
    message = dbc.Alert(t("listpage.notify.done", lang, count=fmt_count(result.count), due=fmt_date(due)),
                        color="success", className="mb-0 lists-notify-done")
    return message, section, True

