"""Overview: the manager's picture of the work (KPIs, backlog, overdue, trend, aging)."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from callbacks.context import current_lang, db
from callbacks.ids import Overview as ids
from data.i18n import t
from data.queries.overview import PERIODS, OverviewFilter, load_akimats
from data.statuses import APPLICATION_KINDS

dash.register_page(__name__, path="/", name="overview", title="ҚТК", permission="overview.read", order=0)

GRAPH_CONFIG = {"displayModeBar": False, "displaylogo": False, "responsive": True}


def _chart(title_key: str, graph_id: str, lang: str, hint=None, width: int = 6) -> dbc.Col:
    body = [html.H2(t(title_key, lang), className="card-title h6 overview-chart-title"),
            dcc.Loading(dcc.Graph(id=graph_id, config=GRAPH_CONFIG, className="overview-graph"), type="dot")]
    if hint is not None:
        body.append(hint)
    return dbc.Col(dbc.Card(dbc.CardBody(body), className="overview-chart h-100"), lg=width, className="mb-3")


def _hint(text: str, element_id: str | None = None):
    return html.Div(text, id=element_id, className="overview-hint") if element_id else html.Div(
        text, className="overview-hint")


def layout(kind=None, akimat=None, period=None, **_query):
    lang = current_lang()
    flt = OverviewFilter.clean(kind, akimat, period)
    with db() as session:
        options = load_akimats(session).options(lang)
    akimat_options = [{"label": ("\u2003" * depth) + name, "value": kato, "search": name}
                      for kato, name, depth in options]
    filters = html.Div(
        [
            html.Div([dbc.Label(t("overview.filter.kind", lang), html_for=ids.KIND, className="small mb-1"),
                      dcc.Dropdown(id=ids.KIND, value=flt.kind, clearable=True, searchable=False,
                                   placeholder=t("overview.filter.all_kinds", lang),
                                   options=[{"label": t(f"kind.{k}", lang), "value": k} for k in APPLICATION_KINDS])],
                     className="overview-filter overview-filter-kind"),
            html.Div([dbc.Label(t("overview.filter.akimat", lang), html_for=ids.AKIMAT, className="small mb-1"),
                      dcc.Dropdown(id=ids.AKIMAT, value=flt.akimat, clearable=True, options=akimat_options,
                                   placeholder=t("overview.filter.all_akimats", lang), optionHeight=32)],
                     className="overview-filter overview-filter-akimat"),
            html.Div([dbc.Label(t("overview.filter.period", lang), html_for=ids.PERIOD, className="small mb-1"),
                      dcc.Dropdown(id=ids.PERIOD, value=flt.period_days, clearable=False, searchable=False,
                                   options=[{"label": t(f"overview.period.{p}", lang), "value": p}
                                            for p in PERIODS])],
                     className="overview-filter overview-filter-period"),
        ],
        className="overview-filters",
    )
    return dbc.Container(
        [
            dcc.Location(id=ids.GO, refresh="callback-nav"),
            html.Div(
                [html.H1(t("overview.heading", lang), className="page-title"),
                 html.Div(id=ids.AS_OF, className="text-muted")],
                className="page-head",
            ),
            filters,
            html.Div(id=ids.WARNINGS),
            dcc.Loading(html.Div(id=ids.KPIS, className="kpi-row overview-kpis"), type="dot"),
            dbc.Row(
                [
                    _chart("overview.chart.backlog", ids.BACKLOG, lang, html.Div(
                        [html.Span([html.Span(className="overview-swatch overview-swatch-solid"),
                                    t("kind.correction.short", lang)], className="overview-legend-item"),
                         html.Span([html.Span(className="overview-swatch overview-swatch-hatched"),
                                    t("kind.rent_to_own.short", lang)], className="overview-legend-item"),
                         html.Span(t("overview.hint.backlog", lang))],
                        className="overview-hint"), 7),
                    _chart("overview.chart.aging", ids.AGING, lang, _hint("", ids.AGING_NOTE), 5),
                ],
                className="mt-3",
            ),
            dbc.Row(
                [
                    _chart("overview.chart.regions", ids.REGIONS, lang, _hint(t("overview.hint.click", lang))),
                    _chart("overview.chart.reviewers", ids.REVIEWERS, lang,
                           _hint(t("overview.hint.reviewers", lang))),
                ],
            ),
            dbc.Row([_chart("overview.chart.trend", ids.TREND, lang, _hint("", ids.TREND_NOTE), 12)]),
            dcc.Store(id=ids.LOAD, data=lang),
        ],
        fluid=True,
        className="page overview-page",
    )
