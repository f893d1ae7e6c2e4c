"""Audit trail search (admins): who did what, when, to which item, before → after, from where.

Filters come from the URL too (``data.queries.audit`` documents them), e.g.
``/audit?entity=application&entity_id=42`` lists everything that happened to application 42.
Read only: there is nothing to edit or delete here.
"""
import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from callbacks.audit import BLOCK, column_defs, export_href, problem_text
from callbacks.context import current_lang, current_user, db
from callbacks.ids import AuditPage as ids
from callbacks.registry import dropdown_labels
from data.access import can
from data.i18n import t
from data.i18n.grid import grid_locale_text
from data.queries.audit import ACTIONS, ENTITIES, actor_choices, parse_filters

dash.register_page(__name__, path="/audit", name="audit", title="ҚТК · Аудит", permission="audit.read", order=90,
                   nav_group="admin")


def _field(label: str, control, width: dict):
    return dbc.Col([dbc.Label(label, className="registry-label d-block"), html.Div(control)], **width)


def layout(**query):
    lang = current_lang()
    if not can(current_user(), "audit.read"):
        return dbc.Container(dbc.Alert(t("audit.forbidden", lang), color="warning", className="mt-4"),
                             fluid=True, className="page")
    filters, problems = parse_filters(query)
    with db() as session:
        actors = actor_choices(session)
    bad = {p.param for p in problems}
    labels = dropdown_labels(lang)
    date_input = dict(debounce=True, maxLength=10, autoComplete="off", className="registry-date",
                      placeholder=t("audit.f.date.placeholder", lang))
    form = dbc.Card(
        dbc.CardBody([
            dbc.Row([
                _field(t("audit.f.period", lang),
                       html.Div([dbc.Input(id=ids.DATE_FROM, invalid="from" in bad,
                                           value=query.get("from", "") if "from" in bad else
                                           (filters.date_from.strftime("%d.%m.%Y") if filters.date_from else ""),
                                           **date_input),
                                 html.Span("–", className="registry-dash"),
                                 dbc.Input(id=ids.DATE_TO, invalid="to" in bad,
                                           value=query.get("to", "") if "to" in bad else
                                           (filters.date_to.strftime("%d.%m.%Y") if filters.date_to else ""),
                                           **date_input)],
                                className="registry-dates"),
                       {"lg": 3, "md": 6}),
                _field(t("audit.f.actor", lang),
                       dcc.Dropdown(id=ids.ACTOR, labels=labels, value=str(filters.actor_id) if filters.actor_id else None,
                                    options=[{"label": label, "value": str(uid)} for uid, label in actors],
                                    placeholder=t("audit.f.actor.placeholder", lang)),
                       {"lg": 3, "md": 6}),
                _field(t("audit.f.action", lang),
                       dcc.Dropdown(id=ids.ACTION, multi=True, labels=labels, value=list(filters.actions),
                                    options=[{"label": t(f"audit.action.{code}", lang), "value": code}
                                             for code in ACTIONS],
                                    placeholder=t("audit.f.action.placeholder", lang)),
                       {"lg": 6, "md": 12}),
            ], className="g-3 align-items-end"),
            dbc.Row([
                _field(t("audit.f.entity", lang),
                       dcc.Dropdown(id=ids.ENTITY, labels=labels, value=filters.entity,
                                    options=[{"label": t(f"audit.entity.{code}", lang), "value": code}
                                             for code in ENTITIES],
                                    placeholder=t("audit.f.entity.placeholder", lang)),
                       {"lg": 3, "md": 6}),
                _field(t("audit.f.entity_id", lang),
                       dbc.Input(id=ids.ENTITY_ID, value=filters.entity_id or "", debounce=True, maxLength=40,
                                 autoComplete="off"),
                       {"lg": 2, "md": 6}),
                _field(t("audit.f.q", lang),
                       dbc.Input(id=ids.Q, type="search", value=filters.q, debounce=0.4, maxLength=100,
                                 autoComplete="off", placeholder=t("audit.f.q.placeholder", lang)),
                       {"lg": 7, "md": 12}),
            ], className="g-3 mt-0"),
        ]),
        className="registry-filters",
    )
    head = html.Div([
        html.H1(t("audit.title", lang), className="page-title"),
        dcc.Loading(html.Span(id=ids.COUNT, className="registry-count"), type="dot", delay_show=300,
                    parent_className="registry-count-wrap"),
        html.Div([
            dbc.Button(t("audit.reset", lang), id=ids.RESET, color="link", size="sm", className="registry-reset"),
            html.A(t("audit.export", lang), id=ids.EXPORT, href=export_href(filters.as_params()),
                   title=t("audit.export.title", lang), className="btn btn-outline-primary btn-sm"),
        ], className="ms-auto d-flex align-items-center gap-2"),
    ], className="page-head registry-head")
    grid = dag.AgGrid(
        id=ids.GRID,
        rowModelType="infinite",
        columnDefs=column_defs(lang),
        defaultColDef={"resizable": True, "sortable": False, "suppressHeaderMenuButton": True},
        getRowId="params.data.id",
        dashGridOptions={
            "localeText": grid_locale_text(lang),
            "cacheBlockSize": BLOCK,
            "maxBlocksInCache": 50,
            "maxConcurrentDatasourceRequests": 1,
            "infiniteInitialRowCount": 1,
            "blockLoadDebounceMillis": 60,
            "suppressMultiSort": True,
            "rowClass": "registry-row",
            "tooltipShowDelay": 400,
            "animateRows": False,
            "rowSelection": "single",
        },
        style={"height": "calc(100vh - 360px)", "minHeight": "420px", "width": "100%"},
        className="registry-grid audit-grid",
    )
    details = dbc.Card(dbc.CardBody(html.Div(html.Div(t("audit.details.empty", lang), className="text-muted small"),
                                             id=ids.DETAILS)),
                       className="apppage-card audit-details")
    return dbc.Container(
        [
            head,
            html.P(t("audit.lead", lang), className="text-muted small audit-lead"),
            form,
            html.Div([html.Div(problem_text(p, lang)) for p in problems], id=ids.PROBLEMS,
                     className="registry-problems", role="status"),
            dbc.Row([dbc.Col(grid, lg=8), dbc.Col(details, lg=4)], className="g-3"),
            html.Div(t("audit.row_hint", lang), className="registry-legend text-muted"),
            dcc.Store(id=ids.FILTERS, data=filters.as_params()),
        ],
        fluid=True,
        className="page audit-page",
    )
