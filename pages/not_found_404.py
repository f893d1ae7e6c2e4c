"""Dash Pages' "not found" layout: an unknown page path, in the user's language, with a way home."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from callbacks.context import current_lang
from data.i18n import t

dash.register_page(__name__, path="/404", name="not_found", title="ҚТК", nav=False)


def layout(**_query):
    lang = current_lang()
    return dbc.Container(
        dbc.Card(dbc.CardBody([
            html.H1(t("notfound.title", lang), className="h4 mb-3"),
            html.P(t("notfound.text", lang)),
            dcc.Link(t("errorpage.home", lang), href="/", className="btn btn-primary btn-sm"),
        ]), className="error-page not-found"),
        fluid=True,
        className="page",
    )
