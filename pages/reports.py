"""Reports: the catalogue, the filter, a preview of the headline figures, "Generate", and the
user's reports (their own and the scheduled weekly workbook) with progress and downloads."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from callbacks.context import current_lang, current_user, db
from callbacks.ids import Reports as ids
from callbacks.reports import akimat_options, reviewer_options
from callbacks.ui import calendar_locale
from data.i18n import t
from data.report_runs import keep_days
from data.reports import KINDS
from data.statuses import APPLICATION_KINDS

dash.register_page(__name__, path="/reports", name="reports", title="ҚТК · Есептер", permission="reports.run",
                   order=70)


def _card(title: str, children, **kwargs) -> dbc.Card:
    return dbc.Card(dbc.CardBody([html.H2(title, className="card-title h6 apppage-card-title")] + list(children)),
                    className="apppage-card", **kwargs)


def _label(text: str, html_for: str | None = None):
    return dbc.Label(text, html_for=html_for, className="small mb-1 fw-semibold")


def layout(**_query):
    lang = current_lang()
    user = current_user()
    with db() as session:
        akimats = akimat_options(session, lang)
        reviewers = reviewer_options(session, user)

    catalogue = _card(t("report_page.catalogue", lang), [
        dbc.RadioItems(
            id=ids.KIND, value="sla", className="reports-kinds",
            options=[{"label": html.Div([html.Div(t(f"reports.kind.{k}", lang), className="fw-semibold"),
                                         html.Div(t(f"report_page.kind.{k}.desc", lang),
                                                  className="small text-muted")]),
                      "value": k} for k in KINDS],
            labelClassName="mb-2", inputClassName="mt-1",
        ),
    ])

    def picker(ident):
        return dcc.DatePickerSingle(id=ident, display_format="DD.MM.YYYY", first_day_of_week=1, clearable=True,
                                    placeholder=t("report_page.date_placeholder", lang), className="apppage-date")

    filters = _card(t("report_page.filters", lang), [
        dbc.Row([
            dbc.Col([
                _label(t("report_page.period", lang)),
                html.Div([picker(ids.DATE_FROM), html.Span("–", className="mx-2"), picker(ids.DATE_TO)],
                         className="d-flex align-items-center"),
                dbc.FormText(t("report_page.period.hint", lang)),
            ], lg=6),
            dbc.Col([
                _label(t("report_page.app_kind", lang), ids.APP_KIND),
                dcc.Dropdown(id=ids.APP_KIND, clearable=True, searchable=False,
                             placeholder=t("report_page.app_kind.all", lang),
                             options=[{"label": t(f"kind.{k}.short", lang), "value": k} for k in APPLICATION_KINDS]),
            ], lg=6),
        ], className="g-3"),
        dbc.Row([
            dbc.Col([
                _label(t("report_page.akimat", lang), ids.AKIMAT),
                dcc.Dropdown(id=ids.AKIMAT, clearable=True, options=akimats, optionHeight=32,
                             placeholder=t("report_page.akimat.all", lang)),
            ], lg=6),
            dbc.Col([
                _label(t("report_page.reviewer", lang), ids.REVIEWER),
                dcc.Dropdown(id=ids.REVIEWER, clearable=True, options=reviewers,
                             placeholder=t("report_page.reviewer.all", lang)),
            ], lg=6),
        ], className="g-3 mt-0"),
        dbc.Row([
            dbc.Col([
                _label(t("report_page.format", lang)),
                dbc.RadioItems(id=ids.FORMAT, value="xlsx", inline=True,
                               options=[{"label": t(f"report_page.format.{f}", lang), "value": f}
                                        for f in ("xlsx", "csv", "pdf")]),
            ], lg=6),
            dbc.Col([
                _label(t("report_page.separator", lang)),
                dbc.RadioItems(id=ids.SEPARATOR, value=";", inline=True,
                               options=[{"label": t("report_page.separator.semicolon", lang), "value": ";"},
                                        {"label": t("report_page.separator.comma", lang), "value": ","}]),
            ], lg=6, id=ids.SEPARATOR_WRAP, style={"display": "none"}),
        ], className="g-3 mt-0"),
    ])

    preview = _card(t("report_page.preview", lang), [
        html.Div(t("report_page.preview.hint", lang), className="small text-muted mb-2"),
        dcc.Loading(html.Div(id=ids.PREVIEW, className="reports-preview"), type="dot", delay_show=300),
        html.Div([
            dbc.Button(t("report_page.generate", lang), id=ids.GENERATE, color="primary"),
            html.Div(id=ids.MESSAGE, className="ms-3 small", role="status"),
        ], className="d-flex align-items-center mt-3"),
    ])

    mine = _card(t("report_page.mine", lang), [
        html.Div(t("report_page.mine.hint", lang, days=keep_days()), className="small text-muted mb-2"),
        html.Div(id=ids.RUNS),
    ])

    return dbc.Container(
        [
            html.Div([html.H1(t("report_page.title", lang), className="page-title"),
                      html.Span(t("report_page.lead", lang), className="text-muted small")],
                     className="page-head"),
            dbc.Row([
                dbc.Col(catalogue, lg=4),
                dbc.Col([filters, preview], lg=8),
            ], className="g-3"),
            mine,
            dcc.Interval(id=ids.POLL, interval=1500, disabled=True),
            dcc.Store(id=ids.REFRESH, data=0),
            dcc.Store(id=ids.CALENDAR, data=calendar_locale(lang)),
            dcc.Store(id=ids.CALENDAR_READY),
        ],
        fluid=True,
        className="page reports-page",
    )
