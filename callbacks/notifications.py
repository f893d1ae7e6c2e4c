"""Notifications: the list of the signed-in user's own notifications, "mark all read", and the
bell for the navbar (drawn with the shell, so it is current on every page load)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html
from werkzeug.exceptions import Forbidden

from callbacks.context import current_lang, current_user, db
from callbacks.ids import Notifications as ids
from data.config import LOCAL_TZ
from data.i18n import fmt_datetime, t
from data.notifications import list_notifications, mark_all_read, unread_count

ITEM_PATHS = {"application": "/applications/{id}", "complaint": "/complaints/{id}"}


def _me():
    user = current_user()
    if user is None:
        raise Forbidden()
    return user


def bell(user, lang: str):
    """The navbar's bell: a link to /notifications with the unread count (none when signed out)."""
    if user is None:
        return None
    with db() as session:
        n = unread_count(session, user.id)
    label = t("notify.bell_unread", lang, n=n) if n else t("notify.bell", lang)
    children = [html.Span(className="shell-bell-icon", **{"aria-hidden": "true"})]
    if n:
        children.append(dbc.Badge(str(n) if n < 100 else "99+", color="danger", pill=True,
                                  className="shell-bell-count"))
    return html.A(children, href="/notifications", id=ids.BELL, className="shell-bell me-3", title=label,
                  **{"aria-label": label})


def _item(note, lang: str):
    head = [html.Strong(note.title)]
    if note.read_at is None:
        head += [" ", dbc.Badge(t("notify.new", lang), color="primary", className="ms-1")]
    when = fmt_datetime(note.created_at.astimezone(LOCAL_TZ)) if note.created_at else ""
    links = []
    for item in (note.payload or {}).get("items", [])[:40]:
        path = ITEM_PATHS.get(item.get("type"))
        if path and str(item.get("id", "")).isdigit():
            label = f"№{item['id']}" if item["type"] == "application" else f"#{item['id']}"
            links.append(html.A(label, href=path.format(id=item["id"]), className="notify-link me-2"))
    body = [html.Div([html.Div(head), html.Span(when, className="notify-when")],
                     className="d-flex justify-content-between gap-3 flex-wrap"),
            html.Pre(note.body, className="notify-body")]
    if links:
        body.append(html.Div([html.Span(t("notify.open_item", lang) + ": ", className="text-muted small")] + links,
                             className="notify-links mt-2 small"))
    card = dbc.Card(dbc.CardBody(body), className="notify-item mb-2" + (" notify-unread" if note.read_at is None else ""))
    return html.Div(card, **{"data-notification": str(note.id)})


@callback(Output(ids.LIST, "children"), Input(ids.VERSION, "data"))
def show_notifications(_version):
    user = _me()
    lang = current_lang()
    with db() as session:
        notes = list_notifications(session, user.id)
        unread = unread_count(session, user.id)
        items = [_item(n, lang) for n in notes]
    if not items:
        return html.Div(t("notify.empty", lang), className="empty-state")
    return [html.Div(t("notify.unread_count", lang, n=unread), className="text-muted small mb-2")] + items


@callback(
    Output(ids.MESSAGE, "children"),
    Output(ids.VERSION, "data"),
    Input(ids.MARK_ALL, "n_clicks"),
    State(ids.VERSION, "data"),
    prevent_initial_call=True,
)
def mark_read(clicks, version):
    user = _me()  # a user marks only their own notifications
    if not clicks:
        return None, version
    lang = current_lang()
    with db() as session:
        n = mark_all_read(session, user.id)
    return dbc.Alert(t("notify.marked", lang, n=n), color="success", dismissable=True, duration=4000), (version or 0) + 1
