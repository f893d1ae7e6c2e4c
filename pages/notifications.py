"""Notifications: the signed-in user's in-app notifications (the morning digest), newest first.
Everyone signed in has one; the bell in the navbar links here with the unread count."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from callbacks.context import current_lang
from callbacks.ids import Notifications as ids
from data.i18n import t

dash.register_page(__name__, path="/notifications", name="notifications", title="ҚТК · Хабарламалар",
                   nav=False, order=950)


def layout(**_query):
    lang = current_lang()
    return dbc.Container(
        [
            html.Div(
                [html.H1(t("notify.heading", lang), className="page-title"),
                 dbc.Button(t("notify.mark_all", lang), id=ids.MARK_ALL, color="secondary", outline=True,
                            size="sm", className="ms-auto")],
                className="page-head align-items-center",
            ),
            html.Div(id=ids.MESSAGE),
            html.Div(id=ids.LIST, className="notify-list"),
            dcc.Store(id=ids.VERSION, data=0),
        ],
        fluid=True,
        className="page notifications-page",
    )
