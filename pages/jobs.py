"""Jobs (admins): each scheduled job with its schedule, last and next run and a "run now" button,
and the recent run history. The content is drawn by callbacks/jobs.py (and redrawn every two
seconds while a run is in progress)."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from callbacks.context import current_lang
from callbacks.ids import Jobs as ids
from data.i18n import t
from jobs.runner import JOBS

dash.register_page(__name__, path="/jobs", name="jobs", title="ҚТК · Тапсырмалар", permission="jobs.admin",
                   order=85, nav_group="admin")


def layout(job=None, **_query):
    lang = current_lang()
    selected = job if job in JOBS else None
    options = [{"label": t("jobspage.history.all", lang), "value": ""}] + [
        {"label": t(f"jobs.name.{name}", lang), "value": name} for name in JOBS]
    return dbc.Container(
        [
            html.Div(
                [html.H1(t("jobspage.heading", lang), className="page-title"),
                 html.Span(id=ids.AS_OF, className="text-muted jobs-as-of")],
                className="page-head",
            ),
            html.Div(t("jobspage.hint", lang), className="jobs-hint mb-3"),
            html.Div(id=ids.MESSAGE, className="jobs-message"),
            dbc.Card(dbc.CardBody(html.Div(id=ids.TABLE, className="jobs-table-wrap")), className="jobs-card mb-4"),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.Div(
                            [html.H2(t("jobspage.history", lang), className="h6 card-title mb-0"),
                             html.Span(id=ids.HISTORY_COUNT, className="text-muted small"),
                             html.Div([dbc.Label(t("jobspage.history.filter", lang), html_for=ids.FILTER,
                                                 className="mb-0 me-2 small"),
                                       dcc.Dropdown(id=ids.FILTER, value=selected or "", options=options,
                                                    clearable=False, searchable=False, className="jobs-filter")],
                                      className="jobs-filter-box ms-auto")],
                            className="jobs-history-head",
                        ),
                        html.Div(id=ids.HISTORY, className="jobs-history"),
                    ]
                ),
                className="jobs-card mb-4",
            ),
            dcc.Store(id=ids.VERSION, data=0),
            dcc.Interval(id=ids.TICK, interval=2000, disabled=True),
        ],
        fluid=True,
        className="page jobs-page",
    )
