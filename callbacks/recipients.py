"""/recipients callbacks: the quick filters -> a store; the grid's block requests (infinite row
model) -> rows from ``data.queries.recipients``, filtered, sorted and paged in SQL; a click on the
batch or application cell opens it."""
from __future__ import annotations

from typing import Any

from dash import Input, Output, State, callback, clientside_callback, html, no_update
from flask import request
from sqlalchemy import select

from callbacks.context import current_lang, db, require, today_local
from callbacks.ids import Recipients as ids
from callbacks.ui import block_bounds, fmt_count, refresh_grid_on
from data.access import can
from data.errors import DomainError
from data.i18n import fmt_date, t
from data.models import Recipient
from data.queries.audit import reveal_iin
from data.queries.recipients import RecipientRow, fetch_block, parse_filters
from data.queries.registry import GridRequestError
from data.statuses import WORKFLOWS

BLOCK = 100

TEXT_FILTER = {
    "filter": "agTextColumnFilter",
    "filterParams": {"filterOptions": ["startsWith", "contains", "equals", "notEqual", "endsWith", "notContains",
                                       "blank", "notBlank"],
                     "defaultOption": "startsWith", "maxNumConditions": 2, "buttons": ["reset"], "debounceMs": 500,
                     "trimInput": True},
}
DATE_FILTER = {
    "filter": "agDateColumnFilter",
    "filterParams": {"filterOptions": ["equals", "greaterThanOrEqual", "lessThanOrEqual", "inRange", "notEqual",
                                       "blank", "notBlank"],
                     "defaultOption": "inRange", "inRangeInclusive": True, "maxNumConditions": 1,
                     "buttons": ["reset"]},
}


def days_text(row: RecipientRow, lang: str) -> str:
    if row.days_left is None:
        return ""
    if row.days_left == 0:
        return t("listpage.recipients.days.today", lang)
    if row.days_left > 0:
        return t("listpage.recipients.days.left", lang, days=row.days_left)
    return t("listpage.recipients.days.over", lang, days=-row.days_left)


def grid_row(row: RecipientRow, lang: str) -> dict[str, Any]:
    status = WORKFLOWS["recipient"].by_code.get(row.status)
    return {
        "id": row.id,
        "iin": row.iin,
        "full_name": row.full_name,
        "category": t(f"import.category.{row.category}", lang),
        "phone": row.phone or "",
        "akimat": row.akimat(lang),
        "batch_id": f"№{row.batch_id}" if row.batch_id else "",
        "batch": row.batch_id,
        "status": status.label(lang) if status else row.status,
        "status_color": status.color if status else "slate",
        "window_due": fmt_date(row.window_due),
        "days": days_text(row, lang),
        "days_state": "over" if (row.days_left or 0) < 0 else ("soon" if row.days_left is not None
                                                                and row.days_left <= 2 else ""),
        "application": f"№{row.application_id}" if row.application_id else "",
        "application_id": row.application_id,
    }


def column_defs(lang: str, iin_filter: bool, *, akimat_column: bool = True,
                open_applications: bool = True) -> list[dict[str, Any]]:
    def col(field: str, width: int, **extra) -> dict[str, Any]:
        name = t(f"listpage.recipients.col.{field}", lang)
        spec = {"field": field, "colId": field, "headerName": name, "headerTooltip": name, "minWidth": width,
                "width": width, "sortable": False}
        spec.update(extra)
        return spec

    columns = [
        col("iin", 150, cellClass="lists-mono", **(TEXT_FILTER if iin_filter else {})),
        col("full_name", 200, sortable=True, flex=2, tooltipField="full_name", **TEXT_FILTER),
        col("category", 150, flex=1, tooltipField="category"),
        col("phone", 135, **TEXT_FILTER),
        col("akimat", 140, flex=1, tooltipField="akimat") if akimat_column else None,
        col("batch_id", 95, sortable=True, cellClass="lists-cell-link"),
        col("status", 140, sortable=True, cellRenderer="KtkStatusBadge"),
        col("window_due", 150, sortable=True, **DATE_FILTER),
        col("days", 150, sortable=True, cellClassRules={
            "lists-days-overdue": "params.data && params.data.days_state === 'over'",
            "lists-days-soon": "params.data && params.data.days_state === 'soon'"}),
        col("application", 100, cellClass="lists-cell-link" if open_applications else ""),
    ]
    return [c for c in columns if c is not None]


@callback(
    Output(ids.FILTERS, "data"),
    Output(ids.BATCH, "invalid"),
    Input(ids.Q, "value"),
    Input(ids.STATUS, "value"),
    Input(ids.AKIMAT, "value"),
    Input(ids.BATCH, "value"),
    State(ids.FILTERS, "data"),
    prevent_initial_call=True,
)
def update_filters(q, statuses, akimat, batch, current):
    require("recipients.read")
    params = {"q": q or "", "status": ",".join(statuses or []), "akimat": akimat or "",
              "batch": str(batch or "").strip()}
    filters, bad = parse_filters(params)
    data = filters.as_params()
    return (data if data != current else no_update), "batch" in bad


@callback(
    Output(ids.GRID, "getRowsResponse"),
    Output(ids.COUNT, "children"),
    Input(ids.GRID, "getRowsRequest"),
    State(ids.FILTERS, "data"),
    prevent_initial_call=True,
)
def load_rows(request: dict | None, filters_data: dict | None):
    user = require("recipients.read")
    lang = current_lang()
    if not request:
        return no_update, no_update
    filters, _bad = parse_filters(dict(filters_data or {}))
    start, end = block_bounds(request, BLOCK)
    try:
        with db() as session:
            block = fetch_block(session, user, today_local(), filters, start, end,
                                request.get("sortModel") or None, request.get("filterModel") or None)
    except (GridRequestError, ValueError):
        return {"rowData": [], "rowCount": 0}, html.Span(t("listpage.recipients.grid_error", lang),
                                                          className="text-danger")
    count = html.Span(t("listpage.recipients.count_none", lang), className="registry-empty") if block.count == 0 \
        else t("listpage.recipients.count", lang, count=fmt_count(block.count))
    return {"rowData": [grid_row(r, lang) for r in block.rows], "rowCount": block.count}, count



refresh_grid_on(ids.FILTERS, ids.GRID)

# A click on the batch cell opens the batch; on the application cell, the application.
clientside_callback(
    """function (cell, links) {
        var digits = cell && cell.value ? String(cell.value).replace(/[^0-9]/g, "") : "";
        if (!digits) { return window.dash_clientside.no_update; }
        if (cell.colId === "batch_id") { return "/lists/" + digits; }
        if (cell.colId === "application" && links && links.applications) { return "/applications/" + digits; }
        return window.dash_clientside.no_update;
    }""",
    Output(ids.GO, "href"),
    Input(ids.GRID, "cellClicked"),
    State(ids.LINKS, "data"),
    prevent_initial_call=True,
)

@callback(
    Output(ids.REVEAL, "children"),
    Input(ids.GRID, "cellClicked"),
    prevent_initial_call=True,
)
def reveal_masked_iin(cell: dict | None):
    """A click on a masked IIN shows it in full to a user who may reveal it: permission and the
    recipient's scope are checked on the server and the reveal is written to the audit trail."""
    user = require("recipients.read")
    if not isinstance(cell, dict) or cell.get("colId") != "iin" or "*" not in str(cell.get("value") or ""):
        return no_update
    if not can(user, "iin.reveal"):
        return no_update
    lang = current_lang()
    try:
        with db() as session:
            value = reveal_iin(session, user, "recipient", cell.get("rowId"), ip=request.remote_addr)
            name = session.scalar(select(Recipient.full_name).where(Recipient.id == int(cell["rowId"])))
    except DomainError as error:
        return html.Span(error.message(lang), className="text-danger")
    return html.Span(t("listpage.recipients.revealed", lang, name=name or "", iin=value))


# Reset the quick filters and the grid's column filters.
clientside_callback(
    """function (n, gridId) {
        var api = window.dash_ag_grid && window.dash_ag_grid.getApi(gridId);
        if (api) { api.setFilterModel(null); }
        return ["", [], null, ""];
    }""",
    Output(ids.Q, "value"),
    Output(ids.STATUS, "value"),
    Output(ids.AKIMAT, "value"),
    Output(ids.BATCH, "value"),
    Input(ids.RESET, "n_clicks"),
    State(ids.GRID, "id"),
    prevent_initial_call=True,
)
