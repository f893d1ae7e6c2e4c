"""Deadlines board: everything overdue, due today, tomorrow and this week, by kind of deadline."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from callbacks.context import current_lang, current_user
from callbacks.ids import Deadlines as ids
from data.access import can
from data.i18n import t
from data.queries.deadlines import BUCKETS

dash.register_page(__name__, path="/deadlines", name="deadlines", title="ҚТК · Мерзімдер",
                   permission="deadlines.read", order=30)


def _buttons(component_id: str, options: list[dict], value: str, class_name: str):
    return dbc.RadioItems(id=component_id, options=options, value=value, inline=True,
                          className=f"btn-group {class_name}", inputClassName="btn-check",
                          labelClassName="btn btn-outline-secondary btn-sm", labelCheckedClassName="active")


def layout(scope: str | None = None, bucket: str | None = None, **_query):
    lang = current_lang()
    user = current_user()
    if not can(user, "deadlines.read"):
        return dbc.Container(dbc.Alert(t("deadlines.forbidden", lang), color="warning"), fluid=True, className="page")
    default_scope = "me" if user.role == "reviewer" else "all"
    scope = scope if scope in ("me", "team", "all") else default_scope
    bucket = bucket if bucket in BUCKETS else "all"
    scopes = [{"label": t(f"deadlines.scope.{s}", lang), "value": s} for s in ("me", "team", "all")]
    buckets = [{"label": t(f"deadlines.bucket.{b}", lang), "value": b} for b in ("all",) + BUCKETS]
    return dbc.Container(
        [
            html.Div(
                [html.H1(t("deadlines.title", lang), className="page-title"),
                 html.Div(id=ids.AS_OF, className="text-muted"),
                 html.Div([_buttons(ids.SCOPE, scopes, scope, "deadlines-scope"),
                           _buttons(ids.BUCKET, buckets, bucket, "deadlines-scope")],
                          className="ms-auto d-flex gap-2 flex-wrap")],
                className="page-head",
            ),
            dcc.Loading(
                [html.Div(id=ids.SUMMARY, className="deadlines-summary"),
                 html.Div(id=ids.BOARD, className="deadlines-board-wrap")],
                type="dot", delay_show=250,
            ),
            dcc.Store(id=ids.LOAD, data=lang),
        ],
        fluid=True,
        className="page deadlines-page",
    )
