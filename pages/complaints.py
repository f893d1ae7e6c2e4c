"""Complaints registry: KPIs, filters (level, status, due state, answer due range, search) and the
server-side grid. The filters come from the URL (``data.queries.complaints`` documents them), so
other pages link here with a ready filter, e.g. ``/complaints?state=overdue``."""
import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from callbacks.complaints import BLOCK, column_defs, dropdown_labels, problem_text
from callbacks.context import current_lang, current_user
from callbacks.ids import Complaints as ids
from data.complaints import LEVELS, may_register
from data.i18n import fmt_date, t
from data.i18n.grid import grid_locale_text
from data.queries.complaints import STATES, STATUSES, parse_filters, sort_from_model
from data.statuses import WORKFLOWS

def title(**_path):
    return t("complaints.tab.registry", current_lang())


dash.register_page(__name__, path="/complaints", name="complaints", title=title, permission="complaints.read",
                   order=40)


def _raw(query: dict, name: str) -> str:
    value = query.get(name)
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return "" if value is None else str(value)


def _field(label: str, control, width: dict, feedback=None) -> dbc.Col:
    children = [dbc.Label(label, className="cmp-label d-block"), control]
    if feedback is not None:
        children.append(feedback)
    return dbc.Col(children, **width)


def layout(**query):
    lang = current_lang()
    user = current_user()
    filters, problems = parse_filters(query)
    bad = {p.param: p for p in problems}
    sort = sort_from_model(None, filters.sort)
    workflow = WORKFLOWS["complaint"]
    from_text = _raw(query, "due_from") if "due_from" in bad else fmt_date(filters.due_from)
    to_text = _raw(query, "due_to") if "due_to" in bad else fmt_date(filters.due_to)
    store = filters.as_params()
    store.pop("sort", None)

    form = dbc.Card(dbc.CardBody([
        dbc.Row([
            _field(t("complaints.filter.q", lang),
                   dbc.Input(id=ids.Q, type="search", value=filters.q, debounce=0.4, maxLength=100,
                             placeholder=t("complaints.filter.q.placeholder", lang), autoComplete="off"),
                   {"lg": 4, "md": 12}),
            _field(t("complaints.filter.state", lang),
                   dbc.RadioItems(id=ids.STATE, value=filters.state or "all", inline=True,
                                  options=[{"label": t(f"complaints.state.{code}", lang), "value": code}
                                           for code in ("all",) + STATES],
                                  className="btn-group cmp-state", inputClassName="btn-check",
                                  labelClassName="btn btn-outline-secondary btn-sm", labelCheckedClassName="active"),
                   {"lg": 8, "md": 12}),
        ], className="g-3 align-items-end"),
        dbc.Row([
            _field(t("complaints.filter.level", lang),
                   dcc.Dropdown(id=ids.LEVEL, multi=True, value=list(filters.levels), searchable=False,
                                options=[{"label": t(f"complaints.level.{code}", lang), "value": code}
                                         for code in LEVELS],
                                placeholder=t("complaints.filter.level.placeholder", lang),
                                labels=dropdown_labels(lang)),
                   {"lg": 4, "md": 6}),
            _field(t("complaints.filter.status", lang),
                   dcc.Dropdown(id=ids.STATUS, multi=True, value=list(filters.statuses), searchable=False,
                                options=[{"label": workflow.status(code).label(lang), "value": code}
                                         for code in STATUSES],
                                placeholder=t("complaints.filter.status.placeholder", lang),
                                labels=dropdown_labels(lang)),
                   {"lg": 4, "md": 6}),
            _field(t("complaints.filter.due_from", lang),
                   dbc.Input(id=ids.DUE_FROM, value=from_text, debounce=True, maxLength=10, autoComplete="off",
                             invalid="due_from" in bad, placeholder=t("complaints.filter.date.placeholder", lang)),
                   {"lg": 2, "md": 3, "xs": 6},
                   dbc.FormFeedback(problem_text(bad["due_from"], lang) if "due_from" in bad else "",
                                    id=ids.FROM_FEEDBACK, type="invalid")),
            _field(t("complaints.filter.due_to", lang),
                   dbc.Input(id=ids.DUE_TO, value=to_text, debounce=True, maxLength=10, autoComplete="off",
                             invalid="due_to" in bad, placeholder=t("complaints.filter.date.placeholder", lang)),
                   {"lg": 2, "md": 3, "xs": 6},
                   dbc.FormFeedback(problem_text(bad["due_to"], lang) if "due_to" in bad else "",
                                    id=ids.TO_FEEDBACK, type="invalid")),
        ], className="g-3 mt-0"),
    ]), className="cmp-filters")

    actions = [dbc.Button(t("complaints.reset", lang), id=ids.RESET, color="link", size="sm")]
    if may_register(user):
        actions.append(dbc.Button(t("complaints.new", lang), id=ids.NEW, href="/complaints/new", color="primary",
                                  size="sm", className="cmp-new"))
    head = html.Div([
        html.H1(t("complaints.title", lang), className="page-title"),
        dcc.Loading(html.Span(id=ids.COUNT, className="cmp-count"), type="dot", delay_show=300,
                    parent_className="cmp-count-wrap"),
        html.Div(actions, className="ms-auto d-flex align-items-center gap-2"),
    ], className="page-head cmp-head")

    grid = dag.AgGrid(
        id=ids.GRID,
        rowModelType="infinite",
        columnDefs=column_defs(lang, sort),
        defaultColDef={"resizable": True, "sortable": False, "suppressHeaderMenuButton": True},
        getRowId="params.data.id",
        dashGridOptions={
            "localeText": grid_locale_text(lang),
            "cacheBlockSize": BLOCK,
            "maxBlocksInCache": 20,
            "maxConcurrentDatasourceRequests": 1,
            "infiniteInitialRowCount": 1,
            "blockLoadDebounceMillis": 60,
            "suppressMultiSort": True,
            "rowClass": "cmp-row",
            "tooltipShowDelay": 400,
            "animateRows": False,
        },
        style={"height": "calc(100vh - 420px)", "minHeight": "380px", "width": "100%"},
        className="cmp-grid",
    )
    return dbc.Container([
        head,
        dcc.Loading(html.Div(id=ids.KPIS, className="kpi-row cmp-kpis"), type="dot"),
        form,
        html.Div([html.Div(problem_text(p, lang)) for p in problems if p.param not in ("due_from", "due_to")],
                 id=ids.PROBLEMS, className="cmp-problems", role="status"),
        grid,
        html.Div(t("complaints.row_hint", lang), className="cmp-legend text-muted"),
        dcc.Store(id=ids.LOAD, data=lang),
        dcc.Store(id=ids.FILTERS, data=store),
        dcc.Store(id=ids.QUERY),
        dcc.Location(id=ids.GO, refresh="callback-nav"),
    ], fluid=True, className="page cmp-page")
