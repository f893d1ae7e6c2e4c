"""Registry: every application the user may see, filtered, sorted and paged on the server.

The filters come from the URL (``data.queries.registry`` documents the parameters), so other
pages link here with a ready filter, e.g. ``/registry?state=overdue&akimat=710000000``.
"""
import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from callbacks.context import current_lang, current_user, db
from callbacks.ids import Registry as ids
from callbacks.registry import (BLOCK, column_defs, dropdown_labels, export_href, may_have_queue, options,
                                problem_text)
from data.access import can
from data.i18n import fmt_date, t
from data.i18n.grid import grid_locale_text
from data.queries.registry import (
    FilterProblem,
    akimat_choices,
    parse_filters,
    reviewer_choices,
    sort_from_model,
    status_choices,
)
from data.statuses import APPLICATION_KINDS

dash.register_page(__name__, path="/registry", name="registry", title="ҚТК · Тізілім", permission="applications.read",
                   order=10)


def _raw(query: dict, name: str) -> str:
    value = query.get(name)
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return "" if value is None else str(value)


def _field(label: str, control, width: dict, feedback=None):
    children = [dbc.Label(label, className="registry-label d-block"), html.Div(control)]
    if feedback is not None:
        children.append(feedback)
    return dbc.Col(children, **width)


def layout(**query):
    lang = current_lang()
    user = current_user()
    if not can(user, "applications.read"):
        return dbc.Container(dbc.Alert(t("registry.forbidden", lang), color="warning"), fluid=True, className="page")
    filters, problems = parse_filters(query)
    sort = sort_from_model(None, filters.sort)
    with db() as session:
        akimats = akimat_choices(session)
        reviewers = reviewer_choices(session, user)
    if filters.akimat and filters.akimat not in {c.value for c in akimats}:
        problems.append(FilterProblem("akimat", "unknown_akimat", filters.akimat))
    reviewer_options = [{"label": t("registry.reviewer.none", lang), "value": "none"}] + options(reviewers, lang)
    if filters.reviewer and filters.reviewer not in ("me", "none") and \
            filters.reviewer not in {o["value"] for o in reviewer_options}:
        reviewer_options.append({"label": f"#{filters.reviewer}", "value": filters.reviewer})
    bad = {p.param: p for p in problems}
    from_text = _raw(query, "from") if "from" in bad else fmt_date(filters.date_from)
    to_text = _raw(query, "to") if "to" in bad else fmt_date(filters.date_to)
    other_problems = [html.Div(problem_text(p, lang)) for p in problems if p.param not in ("from", "to")]
    store = filters.as_json()
    store.pop("sort", None)

    labels = dropdown_labels(lang)
    state_options = [{"label": t(f"registry.state.{code}", lang), "value": code}
                     for code in ("all", "open", "due_soon", "overdue", "closed")]
    form = dbc.Card(
        dbc.CardBody(
            [
                dbc.Row(
                    [
                        _field(t("registry.search", lang),
                               dbc.Input(id=ids.Q, type="search", value=filters.q, debounce=0.4,
                                         placeholder=t("registry.search.placeholder", lang), maxLength=100,
                                         autoComplete="off"),
                               {"lg": 4, "md": 12}),
                        _field(t("registry.state", lang),
                               dbc.RadioItems(id=ids.STATE, options=state_options, value=filters.state or "all",
                                              inline=True, className="btn-group registry-state",
                                              inputClassName="btn-check",
                                              labelClassName="btn btn-outline-secondary btn-sm",
                                              labelCheckedClassName="active"),
                               {"lg": 6, "md": 9}),
                        dbc.Col(
                            dbc.Switch(id=ids.MINE, label=t("registry.mine", lang), value=filters.reviewer == "me",
                                       className="registry-mine"),
                            lg=2, md=3,
                            className="d-flex align-items-end" + ("" if may_have_queue(user) else " d-none"),
                        ),
                    ],
                    className="g-3 align-items-end",
                ),
                dbc.Row(
                    [
                        _field(t("registry.status", lang),
                               dcc.Dropdown(id=ids.STATUS, options=options(status_choices(), lang), labels=labels,
                                            value=list(filters.statuses), multi=True,
                                            placeholder=t("registry.status.placeholder", lang)),
                               {"lg": 3, "md": 6}),
                        _field(t("registry.akimat", lang),
                               dcc.Dropdown(id=ids.AKIMAT, options=options(akimats, lang), value=filters.akimat,
                                            labels=labels,
                                            placeholder=t("registry.akimat.placeholder", lang)),
                               {"lg": 3, "md": 6}),
                        _field(t("registry.kind", lang),
                               dcc.Dropdown(id=ids.KIND, multi=True, value=list(filters.kinds), labels=labels,
                                            options=[{"label": t(f"kind.{k}.short", lang), "value": k}
                                                     for k in APPLICATION_KINDS],
                                            placeholder=t("registry.kind.placeholder", lang)),
                               {"lg": 2, "md": 4}),
                        _field(t("registry.reviewer", lang),
                               dcc.Dropdown(id=ids.REVIEWER, options=reviewer_options, labels=labels,
                                            value=None if filters.reviewer == "me" else filters.reviewer,
                                            placeholder=t("registry.reviewer.placeholder", lang)),
                               {"lg": 2, "md": 4}),
                        _field(t("registry.dates", lang),
                               html.Div(
                                   [dbc.Input(id=ids.DATE_FROM, value=from_text, debounce=True, invalid="from" in bad,
                                              placeholder=t("registry.date.placeholder", lang), maxLength=10,
                                              autoComplete="off", className="registry-date"),
                                    html.Span("–", className="registry-dash"),
                                    dbc.Input(id=ids.DATE_TO, value=to_text, debounce=True, invalid="to" in bad,
                                              placeholder=t("registry.date.placeholder", lang), maxLength=10,
                                              autoComplete="off", className="registry-date")],
                                   className="registry-dates",
                               ),
                               {"lg": 2, "md": 4},
                               html.Div([html.Div(problem_text(bad["from"], lang) if "from" in bad else "",
                                                  id=ids.FROM_FEEDBACK),
                                         html.Div(problem_text(bad["to"], lang) if "to" in bad else "",
                                                  id=ids.TO_FEEDBACK)],
                                        className="registry-date-errors")),
                    ],
                    className="g-3 mt-0",
                ),
            ]
        ),
        className="registry-filters",
    )
    head = html.Div(
        [
            html.H1(t("registry.title", lang), className="page-title"),
            dcc.Loading(html.Span(id=ids.COUNT, className="registry-count"), type="dot", delay_show=300,
                        parent_className="registry-count-wrap"),
            html.Div(
                [
                    dbc.Button(t("registry.reset", lang), id=ids.RESET, color="link", size="sm",
                               className="registry-reset"),
                    dbc.DropdownMenu(
                        [
                            dbc.DropdownMenuItem(t("registry.export.semicolon", lang), id=ids.EXPORT_SEMICOLON,
                                                 href=export_href("", True), external_link=True),
                            dbc.DropdownMenuItem(t("registry.export.comma", lang), id=ids.EXPORT_COMMA,
                                                 href=export_href("", False), external_link=True),
                            dbc.DropdownMenuItem(t("report_page.registry.xlsx", lang), id=ids.EXPORT_XLSX,
                                                 n_clicks=0),
                            dbc.DropdownMenuItem(divider=True),
                            dbc.DropdownMenuItem(t("registry.export.hint", lang), header=True,
                                                 className="registry-export-hint"),
                        ],
                        label=t("report_page.registry.export", lang), color="primary", size="sm", align_end=True,
                        className="registry-export",
                    ),
                ],
                className="ms-auto d-flex align-items-center gap-2",
            ),
        ],
        className="page-head registry-head",
    )
    grid = dag.AgGrid(
        id=ids.GRID,
        rowModelType="infinite",
        columnDefs=column_defs(lang, sort),
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
            "suppressCellFocus": False,
        },
        style={"height": "calc(100vh - 330px)", "minHeight": "420px", "width": "100%"},
        className="registry-grid",
    )
    return dbc.Container(
        [
            head,
            form,
            html.Div(other_problems, id=ids.PROBLEMS, className="registry-problems", role="status"),
            grid,
            html.Div([t("registry.row_hint", lang), " ", t("registry.days.legend", lang)],
                     className="registry-legend text-muted"),
            dcc.Store(id=ids.FILTERS, data=store),
            dcc.Store(id=ids.GRID_STATE, data={"sort": "", "filter": {}}),
            dcc.Store(id=ids.QUERY),
            dcc.Location(id=ids.GO, refresh="callback-nav"),
            dcc.Location(id=ids.EXPORT_GO, refresh="callback-nav"),
        ],
        fluid=True,
        className="page registry-page",
    )
