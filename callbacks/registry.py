"""Registry callbacks: the filter form -> the filter store and the URL; the grid's block
requests -> rows from ``data.queries.registry``; row click -> the application page.

The grid uses AG Grid's infinite row model: every block request (start, end, sort, column
filters) reaches ``load_rows``, which asks the data layer for those rows only. The quick
filters live in a store; changing them purges the grid's cache (clientside), so the grid asks
again with the new filters read from the store.
"""
from __future__ import annotations

import json
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from dash import Input, Output, State, callback, clientside_callback, html, no_update

from callbacks.context import current_lang, db, require, today_local
from callbacks.ids import Registry as ids
from callbacks.ui import block_bounds, fmt_count, refresh_grid_on
from data.access import can
from data.i18n import fmt_date, t
from data.queries.registry import (
    Choice,
    FilterProblem,
    GridRequestError,
    RegistryFilters,
    RegistryRow,
    fetch_block,
    filters_from_json,
    parse_filters,
    query_context,
    sort_from_model,
    with_sort,
)
from data.statuses import WORKFLOWS

BLOCK = 100


# -- presentation helpers (also used by the page layout) -------------------------------------------

def days_text(row: RegistryRow, lang: str, *, short: bool = True) -> str:
    """Days left (or, negative, overdue), working and calendar: short for the grid cell, a
    sentence for its tooltip."""
    if row.days_wd is None or row.days_cd is None:
        return ""
    if row.days_cd == 0:
        return t("registry.days.today", lang)
    if short:
        return t("registry.days.short", lang, wd=_signed(row.days_wd), cd=_signed(row.days_cd))
    if row.days_cd < 0:
        return t("registry.days.overdue", lang, wd=-row.days_wd, cd=-row.days_cd)
    return t("registry.days.left", lang, wd=row.days_wd, cd=row.days_cd)


def _signed(value: int) -> str:
    return f"\u2212{-value}" if value < 0 else str(value)


def status_of(row: RegistryRow):
    workflow = WORKFLOWS.get(row.kind)
    return workflow.by_code.get(row.status) if workflow else None


def grid_row(row: RegistryRow, lang: str) -> dict[str, Any]:
    status = status_of(row)
    return {
        "id": row.id,
        "registration_number": row.registration_number or "",
        "registration_date": fmt_date(row.registration_date),
        "kind": t(f"kind.{row.kind}.short", lang),
        "applicant_name": row.applicant_name,
        "applicant_id": row.applicant_id,
        "akimat": row.akimat(lang),
        "status": status.label(lang) if status else row.status,
        "status_color": status.color if status else "slate",
        "reviewer": row.reviewer or "",
        "due_date": fmt_date(row.due_date) if row.is_open else "",
        "days": days_text(row, lang),
        "days_title": days_text(row, lang, short=False),
        "days_state": row.state or "",
        "contract_number": row.contract_number or "",
    }


def problem_text(problem: FilterProblem, lang: str) -> str:
    return t(f"registry.problem.{problem.code}", lang, value=problem.value)


def dropdown_labels(lang: str) -> dict[str, str]:
    """dcc.Dropdown's own texts in the user's language."""
    return {key: t(f"registry.dd.{key}", lang) for key in (
        "select_all", "deselect_all", "selected_count", "search", "clear_search", "clear_selection",
        "no_options_found")}


def options(choices: list[Choice], lang: str) -> list[dict[str, Any]]:
    return [{"label": ("\u2003" if c.indent else "") + c.label(lang), "value": c.value} for c in choices]


TEXT_FILTER = {
    "filter": "agTextColumnFilter",
    "filterParams": {
        "filterOptions": ["startsWith", "contains", "equals", "notEqual", "endsWith", "notContains", "blank",
                          "notBlank"],
        "defaultOption": "startsWith",
        "maxNumConditions": 2,
        "buttons": ["reset"],
        "debounceMs": 500,
        "trimInput": True,
    },
}
DATE_FILTER = {
    "filter": "agDateColumnFilter",
    "filterParams": {
        "filterOptions": ["equals", "greaterThanOrEqual", "lessThanOrEqual", "inRange", "notEqual", "blank",
                          "notBlank"],
        "defaultOption": "inRange",
        "inRangeInclusive": True,
        "maxNumConditions": 1,
        "buttons": ["reset"],
    },
}


def column_defs(lang: str, sort: tuple[str, str]) -> list[dict[str, Any]]:
    """The grid's columns; ``sort`` is shown on its column."""
    def col(field: str, width: int, *, sortable: bool = False, extra: dict | None = None) -> dict[str, Any]:
        spec: dict[str, Any] = {"field": field, "colId": field, "headerName": t(f"registry.col.{field}", lang),
                                "minWidth": width, "width": width, "sortable": sortable,
                                "headerTooltip": t(f"registry.col.{field}", lang)}
        if sortable and sort[0] == field:
            spec["sort"] = sort[1]
        if extra:
            spec.update(extra)
        return spec

    return [
        col("registration_number", 140, sortable=True, extra={**TEXT_FILTER, "pinned": "left",
                                                             "cellClass": "registry-number"}),
        col("registration_date", 115, sortable=True, extra={**DATE_FILTER, "maxWidth": 130}),
        col("kind", 120, sortable=True, extra={"maxWidth": 160, "tooltipField": "kind"}),
        col("applicant_name", 160, sortable=True, extra={**TEXT_FILTER, "flex": 2, "tooltipField": "applicant_name"}),
        col("applicant_id", 115, extra={**TEXT_FILTER, "maxWidth": 140}),
        col("akimat", 120, extra={"flex": 1, "tooltipField": "akimat"}),
        col("status", 160, extra={"cellRenderer": "KtkStatusBadge", "flex": 1.5, "tooltipField": "status"}),
        col("reviewer", 110, extra={"flex": 1, "tooltipField": "reviewer"}),
        col("due_date", 100, sortable=True, extra={**DATE_FILTER, "maxWidth": 130}),
        col("days", 130, sortable=True, extra={"tooltipField": "days_title", "cellClassRules": {
            "registry-days-overdue": "params.data && params.data.days_state === 'overdue'",
            "registry-days-soon": "params.data && params.data.days_state === 'due_soon'",
        }}),
        col("contract_number", 130, sortable=True, extra={**TEXT_FILTER, "tooltipField": "contract_number"}),
    ]


def export_href(query: str, semicolon: bool) -> str:
    extra = urlencode({"sep": "semicolon"}) if semicolon else ""
    joined = "&".join(part for part in (query, extra) if part)
    return "/files/registry.csv" + (f"?{joined}" if joined else "")


def form_params(q, state, mine, statuses, akimat, kinds, reviewer, date_from, date_to) -> dict[str, Any]:
    """The filter form's values as the registry's URL parameters."""
    return {
        "q": q or "",
        "state": "" if state in (None, "all") else state,
        "reviewer": "me" if mine else (reviewer or ""),
        "status": ",".join(statuses or []),
        "akimat": akimat or "",
        "kind": ",".join(kinds or []),
        "from": date_from or "",
        "to": date_to or "",
    }


# -- callbacks ---------------------------------------------------------------------------------------
@callback(
    Output(ids.FILTERS, "data"),
    Output(ids.DATE_FROM, "invalid"),
    Output(ids.FROM_FEEDBACK, "children"),
    Output(ids.DATE_TO, "invalid"),
    Output(ids.TO_FEEDBACK, "children"),
    Output(ids.PROBLEMS, "children"),
    Input(ids.Q, "value"),
    Input(ids.STATE, "value"),
    Input(ids.MINE, "value"),
    Input(ids.STATUS, "value"),
    Input(ids.AKIMAT, "value"),
    Input(ids.KIND, "value"),
    Input(ids.REVIEWER, "value"),
    Input(ids.DATE_FROM, "value"),
    Input(ids.DATE_TO, "value"),
    State(ids.FILTERS, "data"),
    prevent_initial_call=True,
)
def update_filters(q, state, mine, statuses, akimat, kinds, reviewer, date_from, date_to, current):
    """Read the form; a value that cannot be read is shown under its field and left out."""
    require("applications.read")
    lang = current_lang()
    params = form_params(q, state, mine, statuses, akimat, kinds, reviewer, date_from, date_to)
    filters, problems = parse_filters(params)
    by_param: dict[str, list[str]] = {}
    for problem in problems:
        by_param.setdefault(problem.param, []).append(problem_text(problem, lang))
    others = [html.Div(text) for name, texts in by_param.items() if name not in ("from", "to") for text in texts]
    data = filters.as_json()
    return (
        data if data != current else no_update,
        "from" in by_param, " ".join(by_param.get("from", [])),
        "to" in by_param, " ".join(by_param.get("to", [])),
        others,
    )


@callback(
    Output(ids.GRID, "getRowsResponse"),
    Output(ids.COUNT, "children"),
    Output(ids.GRID_STATE, "data"),
    Input(ids.GRID, "getRowsRequest"),
    State(ids.FILTERS, "data"),
    State(ids.GRID_STATE, "data"),
    prevent_initial_call=True,
)
def load_rows(request: dict | None, filters_data: dict | None, grid_state: dict | None):
    """One block of rows for the grid, filtered, sorted and paged in SQL."""
    user = require("applications.read")
    lang = current_lang()
    if not request:
        return no_update, no_update, no_update
    filters = replace(filters_from_json(filters_data), sort=None)  # the sort is the grid's
    start, end = block_bounds(request, BLOCK)
    sort_model = request.get("sortModel") or None
    filter_model = request.get("filterModel") or None
    try:
        sort = sort_from_model(sort_model, None)
        with db() as session:
            ctx = query_context(session, user, today_local())
            block = fetch_block(session, ctx, filters, start, end, sort_model, filter_model)
    except GridRequestError:
        return {"rowData": [], "rowCount": 0}, html.Span(t("registry.grid_error", lang),
                                                          className="text-danger"), no_update
    response = {"rowData": [grid_row(row, lang) for row in block.rows], "rowCount": block.count}
    count = no_update
    if block.count is not None:
        count = (html.Span(t("registry.count_none", lang), className="registry-empty")
                 if block.count == 0 else t("registry.count", lang, count=fmt_count(block.count)))
    elif block.at_least is not None:
        count = t("registry.count_more", lang, count=fmt_count(block.at_least))
    state = {"sort": with_sort(RegistryFilters(), sort).sort or "", "filter": filter_model or {}}
    return response, count, (state if state != grid_state else no_update)



@callback(
    Output(ids.QUERY, "data"),
    Output(ids.EXPORT_COMMA, "href"),
    Output(ids.EXPORT_SEMICOLON, "href"),
    Input(ids.FILTERS, "data"),
    Input(ids.GRID_STATE, "data"),
)
def links(filters_data: dict | None, grid_state: dict | None):
    """The URL of the current view (query string) and the export links (the same parameters,
    plus the grid's column filters)."""
    require("applications.read")
    filters = filters_from_json(filters_data)
    sort = (grid_state or {}).get("sort") or None
    params = filters.as_params()
    params.pop("sort", None)
    if sort:
        params["sort"] = sort
    query = urlencode(params)
    export_query = query
    column_filters = (grid_state or {}).get("filter") or None
    if column_filters:
        export_query = "&".join(p for p in (query, urlencode({"grid": json.dumps(column_filters, ensure_ascii=False,
                                                                                 separators=(",", ":"))})) if p)
    return query, export_href(export_query, False), export_href(export_query, True)


@callback(
    Output(ids.EXPORT_GO, "href"),
    Output(ids.PROBLEMS, "children", allow_duplicate=True),
    Input(ids.EXPORT_XLSX, "n_clicks"),
    State(ids.FILTERS, "data"),
    State(ids.GRID_STATE, "data"),
    prevent_initial_call=True,
)
def export_xlsx(n_clicks, filters_data, grid_state):
    """Excel: a register report of the current view, made in the background; opens Reports."""
    from callbacks.reports import queue_registry_export
    from data.errors import DomainError

    user = require("reports.run")
    if not n_clicks:
        return no_update, no_update
    try:
        run_id = queue_registry_export(user, filters_data, grid_state, current_lang())
    except DomainError as exc:
        return no_update, html.Div(exc.message(current_lang()), className="text-danger")
    return f"/reports?run={run_id}", no_update


# The URL follows the filters without reloading the page (history.replaceState).
clientside_callback(
    """function (query) {
        var target = window.location.pathname + (query ? "?" + query : "");
        if (target !== window.location.pathname + window.location.search) {
            window.history.replaceState(window.history.state, "", target);
        }
    }""",
    Input(ids.QUERY, "data"),
    prevent_initial_call=True,
)

refresh_grid_on(ids.FILTERS, ids.GRID)

# A click on a row opens the application.
clientside_callback(
    """function (cell) {
        if (!cell || cell.rowId === undefined || cell.rowId === null) {
            return window.dash_clientside.no_update;
        }
        return "/applications/" + encodeURIComponent(String(cell.rowId));
    }""",
    Output(ids.GO, "href"),
    Input(ids.GRID, "cellClicked"),
    prevent_initial_call=True,
)

# Reset: the form back to "everything", the grid's column filters cleared.
clientside_callback(
    """function (n, gridId) {
        var api = window.dash_ag_grid && window.dash_ag_grid.getApi(gridId);
        if (api) { api.setFilterModel(null); }
        return ["", "all", false, [], null, [], null, "", ""];
    }""",
    Output(ids.Q, "value"),
    Output(ids.STATE, "value"),
    Output(ids.MINE, "value"),
    Output(ids.STATUS, "value"),
    Output(ids.AKIMAT, "value"),
    Output(ids.KIND, "value"),
    Output(ids.REVIEWER, "value"),
    Output(ids.DATE_FROM, "value"),
    Output(ids.DATE_TO, "value"),
    Input(ids.RESET, "n_clicks"),
    State(ids.GRID, "id"),
    prevent_initial_call=True,
)


def may_have_queue(user) -> bool:
    return can(user, "applications.act")
