"""Deadlines board callbacks: the board for the chosen scope and bucket."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from callbacks.context import current_lang, db, require, today_local
from callbacks.ids import Deadlines as ids
from callbacks.ui import fmt_count, kpi_card
from data.i18n import fmt_date, t
from data.queries.deadlines import BUCKETS, Board, BoardItem, deadline_board
from data.queries.registry import calendar

BUCKET_TONE = {"overdue": "red", "today": "amber", "tomorrow": "amber", "week": "blue"}



def tomorrow_key(board: Board) -> str:
    """"Tomorrow" when the next working day is tomorrow, else "next working day"."""
    return "tomorrow" if (board.window.tomorrow - board.window.today).days == 1 else "next_working_day"


def bucket_label(board: Board, bucket: str, lang: str) -> str:
    if bucket == "tomorrow":
        return t(f"deadlines.bucket.{tomorrow_key(board)}", lang)
    return t(f"deadlines.bucket.{bucket}", lang)


def days_text(item: BoardItem, lang: str) -> str:
    if item.days_cd < 0:
        return t("deadlines.days.overdue", lang, wd=-item.days_wd, cd=-item.days_cd)
    if item.days_cd == 0:
        return t("deadlines.days.today", lang)
    return t("deadlines.days.left", lang, wd=item.days_wd, cd=item.days_cd)


def summary(board: Board, lang: str) -> list:
    cards = []
    for bucket in BUCKETS:
        key = f"deadlines.kpi.{tomorrow_key(board)}" if bucket == "tomorrow" else f"deadlines.kpi.{bucket}"
        cards.append(kpi_card(t(key, lang), fmt_count(board.total(bucket)), BUCKET_TONE[bucket]))
    return cards


def item_row(item: BoardItem, lang: str) -> html.Tr:
    days_class = {"overdue": "deadlines-days-overdue", "today": "deadlines-days-today"}.get(item.bucket,
                                                                                        "deadlines-days")
    return html.Tr(
        [
            html.Td([dcc.Link(item.title, href=item.href, className="deadlines-link"),
                     html.Div(item.subtitle, className="deadlines-sub")]),
            html.Td(item.responsible or t("deadlines.nobody", lang)),
            html.Td(fmt_date(item.due_date), className="text-nowrap"),
            html.Td(days_text(item, lang), className=days_class),
        ],
        className=f"deadlines-item bucket-{item.bucket}",
    )


def group_card(board: Board, group: str, lang: str):
    counts = board.counts.get(group, {})
    chips = [
        html.Span([bucket_label(board, b, lang), html.B(fmt_count(counts.get(b, 0)))],
                  className=f"deadlines-chip bucket-{b}" + ("" if counts.get(b) else " is-zero"))
        for b in BUCKETS if board.bucket in (None, b)
    ]
    items = board.items.get(group, [])
    if items:
        body = html.Table(
            [html.Thead(html.Tr([html.Th(t("deadlines.col.item", lang)), html.Th(t("deadlines.col.who", lang)),
                                 html.Th(t("deadlines.col.due", lang)), html.Th(t("deadlines.col.days", lang))])),
             html.Tbody([item_row(i, lang) for i in items])],
            className="deadlines-table",
        )
    else:
        body = html.Div(t("deadlines.group_empty", lang), className="deadlines-empty")
    rest = board.group_total(group) - len(items)
    children = [html.Div(chips, className="deadlines-counts"), body]
    if rest > 0:
        children.append(html.Div(t("deadlines.more", lang, count=fmt_count(rest)), className="deadlines-more"))
    return dbc.Card(
        [dbc.CardHeader([html.H2(t(f"deadlines.group.{group}", lang), className="deadlines-group-title"),
                         html.Span(t(f"deadlines.term.{group}", lang), className="deadlines-group-term")]),
         dbc.CardBody(children)],
        className=f"deadlines-group group-{group}",
    )


def board_view(board: Board, lang: str) -> list:
    window = board.window
    note = html.Div(t("deadlines.window", lang, today=fmt_date(window.today),
                      tomorrow_label=bucket_label(board, "tomorrow", lang), tomorrow=fmt_date(window.tomorrow),
                      week_end=fmt_date(window.week_end)), className="deadlines-window")
    if not any(board.group_total(g) for g in board.groups()):
        return [note, html.Div(t(f"deadlines.empty.{board.scope}", lang), className="empty-state")]
    return [note, html.Div([group_card(board, g, lang) for g in board.groups()], className="deadlines-board")]


@callback(
    Output(ids.SUMMARY, "children"),
    Output(ids.BOARD, "children"),
    Output(ids.AS_OF, "children"),
    Input(ids.SCOPE, "value"),
    Input(ids.BUCKET, "value"),
)
def fill_board(scope: str, bucket: str):
    user = require("deadlines.read")
    lang = current_lang()
    today = today_local()
    with db() as session:
        board = deadline_board(session, user, scope, today, calendar(session),
                               bucket=None if bucket in (None, "all") else bucket, lang=lang)
    return summary(board, lang), board_view(board, lang), t("deadlines.as_of", lang, date=fmt_date(today))
