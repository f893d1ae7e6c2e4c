"""Calendar (admins): the year's working days, holidays, moved days off and overrides."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from callbacks.context import current_lang, db, today_local
from callbacks.ids import Calendar as ids
from data.i18n import t
from data.queries.calendar import CATEGORIES, override_years

dash.register_page(__name__, path="/calendar", name="calendar", title="ҚТК · Күнтізбе",
                   permission="calendar.admin", order=80, nav_group="admin")


def legend(lang: str) -> html.Div:
    chips = [html.Span([html.Span(className=f"cal-swatch cal-{c}"), t(f"calendar.cat.{c}", lang)],
                       className="cal-legend-item") for c in CATEGORIES]
    chips.append(html.Span([html.Span("?", className="cal-swatch cal-est-mark"), t("calendar.estimated", lang)],
                           className="cal-legend-item"))
    return html.Div(chips, className="cal-legend")


def layout(year=None, **_query):
    lang = current_lang()
    this_year = today_local().year
    with db() as session:
        years = sorted(set(range(this_year - 2, this_year + 4)) | set(override_years(session)))
    try:
        selected = int(year) if year and int(year) in years else this_year
    except ValueError:
        selected = this_year
    form = dbc.Card(
        dbc.CardBody(
            [
                html.H2(t("calendar.form.heading", lang), className="h6 card-title"),
                html.Div(id=ids.PICKED, className="cal-picked"),
                dbc.Row(
                    [
                        dbc.Col([dbc.Label(t("calendar.form.date", lang), html_for=ids.DATE, className="small mb-1"),
                                 dbc.Input(id=ids.DATE, type="text", inputMode="numeric", autoComplete="off",
                                           placeholder=t("calendar.form.date_placeholder", lang), maxLength=10)],
                                md=3),
                        dbc.Col([dbc.Label(t("calendar.form.kind", lang), className="small mb-1"),
                                 dbc.RadioItems(id=ids.KIND, value="holiday", inline=True, options=[
                                     {"label": t("calendar.form.holiday", lang), "value": "holiday"},
                                     {"label": t("calendar.form.workday", lang), "value": "workday"}])],
                                md=4),
                        dbc.Col([dbc.Label(t("calendar.form.name", lang), html_for=ids.NAME, className="small mb-1"),
                                 dbc.Input(id=ids.NAME, type="text", maxLength=400,
                                           placeholder=t("calendar.form.name_placeholder", lang))],
                                md=5),
                    ],
                    className="g-3",
                ),
                html.Div(
                    [dbc.Button(t("calendar.form.save", lang), id=ids.SAVE, color="primary", className="me-2"),
                     dbc.Button(t("calendar.form.unset", lang), id=ids.UNSET, color="secondary", outline=True)],
                    className="mt-3",
                ),
                html.Div(t("calendar.form.note", lang), className="cal-note mt-2"),
                dcc.Loading(html.Div(id=ids.MESSAGE, className="mt-3"), type="dot"),
            ]
        ),
        className="cal-form mb-3",
    )
    return dbc.Container(
        [
            html.Div(
                [html.H1(t("calendar.heading", lang), className="page-title"),
                 html.Div([dbc.Label(t("calendar.year", lang), html_for=ids.YEAR, className="mb-0 me-2"),
                           dcc.Dropdown(id=ids.YEAR, value=selected, clearable=False, searchable=False,
                                        options=[{"label": str(y), "value": y} for y in years],
                                        className="cal-year")],
                          className="cal-year-box"),
                 html.Div(id=ids.SUMMARY, className="text-muted cal-summary")],
                className="page-head",
            ),
            html.Div(t("calendar.hint", lang), className="cal-note mb-2"),
            legend(lang),
            dcc.Loading(html.Div(id=ids.GRID, className="cal-year-grid"), type="dot"),
            form,
            dbc.Card(dbc.CardBody([html.H2(t("calendar.list.heading", lang), className="h6 card-title"),
                                   dcc.Loading(html.Div(id=ids.DAYS), type="dot")]), className="mb-4"),
            dcc.Store(id=ids.VERSION, data=0),
        ],
        fluid=True,
        className="page calendar-page",
    )
