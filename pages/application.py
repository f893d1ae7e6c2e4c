"""Application page: status, due date and why, data, history, clocks, complaints, actions."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from callbacks.context import current_lang
from callbacks.ids import ApplicationPage as ids
from callbacks.ui import calendar_locale
from data.i18n import t

# Not in the navigation (a path template; app.py's nav also honours nav=False). A high order keeps
# it after /applications/new, so that fixed path is matched before this template.
dash.register_page(__name__, path_template="/applications/<application_id>", name="application", title="ҚТК",
                   permission="applications.read", order=900, nav=False)


def _card(title_key: str, body_id: str, lang: str, loading: bool = True) -> dbc.Card:
    body = html.Div(id=body_id)
    return dbc.Card(
        dbc.CardBody([html.H2(t(title_key, lang), className="card-title h6 apppage-card-title"),
                      dcc.Loading(body, type="dot") if loading else body]),
        className="apppage-card",
    )


def layout(application_id=None, **_query):
    lang = current_lang()
    status_card = dbc.Card(
        dbc.CardBody([
            html.H2(t("apppage.status_form.title", lang), className="card-title h6 apppage-card-title"),
            html.Div(id=ids.STATUS_NOTE, className="text-muted small mb-2"),
            html.Div([
                dbc.Label(t("apppage.status_form.target", lang), html_for=ids.TARGET, className="fw-semibold"),
                dbc.Select(id=ids.TARGET, options=[], value="", className="mb-3",
                           placeholder=t("apppage.choose", lang)),
                html.Div(id=ids.FIELDS),
                dbc.Button(t("apppage.status_form.submit", lang), id=ids.SUBMIT, color="primary", className="mt-1",
                           n_clicks=0),
            ], id=ids.STATUS_FORM, style={"display": "none"}),
            dcc.Loading(html.Div(id=ids.STATUS_MSG, className="mt-2"), type="dot"),
        ]),
        id=ids.STATUS_CARD, className="apppage-card", style={"display": "none"},
    )
    assign_card = dbc.Card(
        dbc.CardBody([
            html.H2(t("apppage.assign.title", lang), className="card-title h6 apppage-card-title"),
            html.Div(id=ids.ASSIGN_CURRENT, className="small text-muted mb-2"),
            dbc.Select(id=ids.ASSIGN_SELECT, options=[], value="", className="mb-2",
                       placeholder=t("apppage.choose", lang)),
            dbc.Button(t("apppage.assign.submit", lang), id=ids.ASSIGN_SUBMIT, color="secondary", n_clicks=0),
            dcc.Loading(html.Div(id=ids.ASSIGN_MSG, className="mt-2"), type="dot"),
        ]),
        id=ids.ASSIGN_CARD, className="apppage-card", style={"display": "none"},
    )
    note_card = dbc.Card(
        dbc.CardBody([
            html.H2(t("apppage.note.title", lang), className="card-title h6 apppage-card-title"),
            dbc.Textarea(id=ids.NOTE_TEXT, placeholder=t("apppage.note.placeholder", lang), rows=3,
                         maxLength=4000, className="mb-2"),
            dbc.Button(t("apppage.note.submit", lang), id=ids.NOTE_SUBMIT, color="secondary", n_clicks=0),
            dcc.Loading(html.Div(id=ids.NOTE_MSG, className="mt-2"), type="dot"),
        ]),
        id=ids.NOTE_CARD, className="apppage-card", style={"display": "none"},
    )
    return dbc.Container(
        [
            dcc.Store(id=ids.APP_ID, data=str(application_id or "")),
            dcc.Store(id=ids.VERSION),
            dcc.Store(id=ids.STATE),
            dcc.Store(id=ids.REFRESH, data=0),
            dcc.Store(id=ids.CALENDAR, data=calendar_locale(lang)),
            dcc.Store(id=ids.CALENDAR_READY),
            dcc.Loading(html.Div(id=ids.HEADER, className="apppage-header"), type="dot"),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            html.Div(id=ids.DUE, className="apppage-due"),
                            html.Div(id=ids.DETAILS),
                            _card("apppage.section.clocks", ids.CLOCKS, lang),
                            _card("apppage.section.history", ids.HISTORY, lang),
                            _card("apppage.section.complaints", ids.COMPLAINTS, lang),
                        ],
                        lg=8,
                    ),
                    dbc.Col([status_card, assign_card, note_card], lg=4, className="apppage-actions"),
                ],
                className="g-3",
            ),
        ],
        fluid=True,
        className="page apppage",
    )
