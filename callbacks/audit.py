"""Audit page callbacks (/audit, admins) and the logged IIN "show" used on item pages.

The grid uses AG Grid's infinite row model: each block request reaches ``load_rows``, which
asks ``data.queries.audit`` for those rows only (sorted and paged in SQL). The form's filters
live in a store; a change purges the grid's cache (clientside) so it asks again. A row click
shows the entry's details (before → after as a small table), read again on the server. There is
no edit or delete anywhere: the trail is append-only, down to the database triggers. A row's
detail is shown in the reader's language (``detail_text``: a stored message key and parameters
through the translation table; older rows' plain text as stored).
"""
from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import (
    MATCH,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    dcc,
    html,
    no_update,
)
from flask import request

from callbacks.context import current_lang, current_user, db, require
from callbacks.ids import AuditPage as ids
from callbacks.ids import IinReveal
from callbacks.ui import block_bounds, fmt_count, refresh_grid_on
from data.access import can
from data.audit import parse_message
from data.config import LOCAL_TZ
from data.errors import DomainError
from data.i18n import fmt_date, fmt_datetime, t
from data.queries.audit import (
    AuditRow,
    FilterProblem,
    GridRequestError,
    changes,
    entry,
    fetch_block,
    filters_from_json,
    mask_text,
    parse_filters,
    plain,
    reveal_iin,
    summary,
)

BLOCK = 100


# -- presentation helpers (also used by the page layout and the CSV route) ---------------------------

def action_label(code: str, lang: str) -> str:
    key = f"audit.action.{code}"
    text = t(key, lang)
    return code if text == key else text


def entity_label(code: str | None, lang: str) -> str:
    if not code:
        return ""
    key = f"audit.entity.{code}"
    text = t(key, lang)
    return code if text == key else text


def actor_text(row: AuditRow, lang: str) -> str:
    if row.actor_full_name:
        return f"{row.actor_full_name} ({row.actor_name})" if row.actor_name else row.actor_full_name
    if row.actor_name:
        return row.actor_name
    return t("audit.system", lang)


def entity_text(row: AuditRow, lang: str) -> str:
    label = entity_label(row.entity, lang)
    if row.entity_id:
        return f"{label} №{row.entity_id}" if label else f"№{row.entity_id}"
    return label


def _param_text(value: Any) -> Any:
    """A message parameter as shown: ISO dates and moments as dd.mm.yyyy [HH:MM] (local time)."""
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[:4].isdigit():
        try:
            if len(value) == 10:
                return fmt_date(date.fromisoformat(value))
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return fmt_datetime(moment.astimezone(LOCAL_TZ) if moment.tzinfo else moment)
    return "—" if value is None else value


def _fact_label(name: str, lang: str) -> str:
    key = f"audit.fact.{name}"
    text = t(key, lang)
    return name if text == key else text


def _fact_value(value: Any, lang: str) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{key}={plain(inner)}" for key, inner in value.items()) or t("audit.fact.none", lang)
    return plain(value)


def detail_text(detail: str | None, lang: str) -> str:
    """A row's detail in the reader's language: a stored message (key and parameters) through the
    translation table; the JSON facts of an export or a download with their names translated; the
    plain text of an older row as stored."""
    message = parse_message(detail)
    if message is not None:
        key, params = message
        text = t(key, lang, **{name: _param_text(value) for name, value in params.items()})
        return (detail or "") if text == key else text  # a key this version does not know: as stored
    if detail and detail.startswith("{"):
        try:
            facts = json.loads(detail)
        except ValueError:
            facts = None
        if isinstance(facts, dict) and facts:
            return "; ".join(f"{_fact_label(name, lang)}: {_fact_value(value, lang)}" for name, value in facts.items())
    return detail or ""


def _md_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "\\`*_{}[]()<>#+-.!|" else ch for ch in text)


def _shown(text: str | None, full_iins: bool) -> str:
    text = text or ""
    return text if full_iins else (mask_text(text) or "")


def problem_text(problem: FilterProblem, lang: str) -> str:
    return t(f"audit.problem.{problem.code}", lang, value=problem.value)


def grid_row(row: AuditRow, lang: str, full_iins: bool) -> dict[str, Any]:
    entity = entity_text(row, lang)
    return {
        "id": row.id,
        "at": fmt_datetime(row.local_at),
        "actor": actor_text(row, lang),
        "action": action_label(row.action, lang),
        "action_code": row.action,
        "entity": f"[{_md_escape(entity)}]({row.link})" if row.link else _md_escape(entity),
        "entity_id": row.entity_id or "",
        "change": _shown(summary(row), full_iins),
        "detail": _shown(detail_text(row.detail, lang), full_iins),
        "ip": row.ip or "",
    }


def column_defs(lang: str) -> list[dict[str, Any]]:
    def col(field: str, width: int, **extra: Any) -> dict[str, Any]:
        spec = {"field": field, "colId": field, "headerName": t(f"audit.col.{field}", lang), "minWidth": width,
                "width": width, "sortable": False, "headerTooltip": t(f"audit.col.{field}", lang)}
        spec.update(extra)
        return spec

    text_filter = {
        "filter": "agTextColumnFilter",
        "filterParams": {"filterOptions": ["contains", "startsWith", "equals", "notContains", "blank", "notBlank"],
                         "defaultOption": "contains", "maxNumConditions": 1, "buttons": ["reset"],
                         "debounceMs": 500, "trimInput": True},
    }
    return [
        col("at", 128, sortable=True, sort="desc", maxWidth=150, cellClass="audit-time"),
        col("actor", 140, flex=1.2, tooltipField="actor", **text_filter),
        col("action", 150, sortable=True, flex=1.2, tooltipField="action", cellClass="audit-action"),
        col("entity", 120, flex=1, cellRenderer="markdown"),
        col("change", 170, flex=2, tooltipField="change", cellClass="audit-change"),
        col("detail", 130, flex=1.5, tooltipField="detail"),
        col("ip", 100, maxWidth=140, **text_filter),
    ]


def export_href(filters_data: dict | None) -> str:
    params = filters_from_json(filters_data).as_params()
    return "/files/audit.csv" + (f"?{urlencode(params)}" if params else "")


def details_panel(row: AuditRow | None, lang: str, full_iins: bool, entry_id: Any = None):
    """The entry as a small definition list, and its before → after as a table."""
    if row is None:
        text = t("audit.details.gone", lang, id=str(entry_id)[:20]) if entry_id is not None \
            else t("audit.details.empty", lang)
        return html.Div(text, className="text-muted small")
    facts = [
        (t("audit.col.at", lang), fmt_datetime(row.local_at)),
        (t("audit.col.actor", lang), actor_text(row, lang)),
        (t("audit.col.action", lang), action_label(row.action, lang)),
    ]
    if row.entity:
        target = entity_text(row, lang)
        facts.append((t("audit.col.entity", lang),
                      dcc.Link(target, href=row.link) if row.link else target))
    if row.detail:
        facts.append((t("audit.col.detail", lang), html.Span(_shown(detail_text(row.detail, lang), full_iins),
                                                             className="audit-pre")))
    if row.ip:
        facts.append((t("audit.col.ip", lang), row.ip))
    items = []
    for label, value in facts:
        items += [html.Dt(label), html.Dd(value)]
    lines = changes(row.before, row.after)
    if lines:
        table = dbc.Table(
            [html.Thead(html.Tr([html.Th(t("audit.details.field", lang)), html.Th(t("audit.details.before", lang)),
                                 html.Th(t("audit.details.after", lang))])),
             html.Tbody([
                 html.Tr([html.Td(line.key or "—", className="font-monospace"),
                          html.Td(_shown(plain(line.before), full_iins)),
                          html.Td(_shown(plain(line.after), full_iins))],
                         className="audit-changed" if line.changed else "audit-same")
                 for line in lines])],
            size="sm", bordered=False, hover=False, className="audit-diff mb-0",
        )
    else:
        table = html.Div(t("audit.details.no_change", lang), className="text-muted small")
    return html.Div([
        html.H2(t("audit.details.title", lang, id=row.id), className="h6 audit-details-title"),
        html.Dl(items, className="apppage-dl audit-dl"),
        table,
    ])


# -- audit page callbacks ------------------------------------------------------------------------------
@callback(
    Output(ids.FILTERS, "data"),
    Output(ids.PROBLEMS, "children"),
    Output(ids.DATE_FROM, "invalid"),
    Output(ids.DATE_TO, "invalid"),
    Input(ids.DATE_FROM, "value"),
    Input(ids.DATE_TO, "value"),
    Input(ids.ACTOR, "value"),
    Input(ids.ACTION, "value"),
    Input(ids.ENTITY, "value"),
    Input(ids.ENTITY_ID, "value"),
    Input(ids.Q, "value"),
    State(ids.FILTERS, "data"),
    prevent_initial_call=True,
)
def update_filters(date_from, date_to, actor, actions, entity, entity_id, q, current):
    """The form → the filter store; a value that cannot be read is named and left out."""
    require("audit.read")
    lang = current_lang()
    filters, problems = parse_filters({"from": date_from or "", "to": date_to or "", "actor": actor or "",
                                       "action": list(actions or []), "entity": entity or "",
                                       "entity_id": entity_id or "", "q": q or ""})
    data = filters.as_params()
    bad = {p.param for p in problems}
    return (data if data != current else no_update, [html.Div(problem_text(p, lang)) for p in problems],
            "from" in bad, "to" in bad)


@callback(
    Output(ids.GRID, "getRowsResponse"),
    Output(ids.COUNT, "children"),
    Input(ids.GRID, "getRowsRequest"),
    State(ids.FILTERS, "data"),
    prevent_initial_call=True,
)
def load_rows(grid_request: dict | None, filters_data: dict | None):
    """One block of audit entries, filtered, sorted and paged in SQL."""
    user = require("audit.read")
    lang = current_lang()
    if not grid_request:
        return no_update, no_update
    start, end = block_bounds(grid_request, BLOCK)
    try:
        with db() as session:
            block = fetch_block(session, filters_from_json(filters_data), start, end,
                                grid_request.get("sortModel") or None, grid_request.get("filterModel") or None)
    except GridRequestError:
        return {"rowData": [], "rowCount": 0}, html.Span(t("audit.grid_error", lang), className="text-danger")
    full = can(user, "iin.read")
    response = {"rowData": [grid_row(row, lang, full) for row in block.rows], "rowCount": block.count}
    if block.count == 0:
        count = html.Span(t("audit.count_none", lang), className="registry-empty")
    elif block.exact:
        count = t("audit.count", lang, count=fmt_count(block.count))
    elif block.count is None:
        count = t("audit.count_at_least", lang, count=fmt_count(block.at_least))
    else:
        count = t("audit.count_more", lang, count=fmt_count(block.count))
    return response, count



@callback(
    Output(ids.DETAILS, "children"),
    Input(ids.GRID, "cellClicked"),
    prevent_initial_call=True,
)
def show_details(cell: dict | None):
    """The clicked entry, read again on the server (the row data is only what the grid shows)."""
    user = require("audit.read")
    lang = current_lang()
    if not cell or cell.get("rowId") in (None, ""):
        return no_update
    with db() as session:
        row = entry(session, cell.get("rowId"))
    return details_panel(row, lang, can(user, "iin.read"), entry_id=cell.get("rowId"))


@callback(
    Output(ids.EXPORT, "href"),
    Input(ids.FILTERS, "data"),
)
def export_link(filters_data: dict | None):
    require("audit.read")
    return export_href(filters_data)


refresh_grid_on(ids.FILTERS, ids.GRID)

# Reset: the form back to "everything", the grid's column filters cleared.
clientside_callback(
    """function (n, gridId) {
        var api = window.dash_ag_grid && window.dash_ag_grid.getApi(gridId);
        if (api) { api.setFilterModel(null); }
        return ["", "", null, [], null, "", ""];
    }""",
    Output(ids.DATE_FROM, "value"),
    Output(ids.DATE_TO, "value"),
    Output(ids.ACTOR, "value"),
    Output(ids.ACTION, "value"),
    Output(ids.ENTITY, "value"),
    Output(ids.ENTITY_ID, "value"),
    Output(ids.Q, "value"),
    Input(ids.RESET, "n_clicks"),
    State(ids.GRID, "id"),
    prevent_initial_call=True,
)


# -- the logged "show" of a masked IIN -----------------------------------------------------------------
def may_reveal(user) -> bool:
    return can(user, "iin.reveal") and not can(user, "iin.read")


def iin_value(shown: str | None, entity: str, entity_id: Any, lang: str, user=None):
    """The identity number as shown (masked or not); for a user who sees it masked and may reveal
    it, followed by a small "show" button that asks the server (which logs it)."""
    if not shown:
        return "—"
    user = user if user is not None else current_user()
    value = html.Span(shown, id={"type": IinReveal.VALUE, "entity": entity, "id": str(entity_id)},
                      className="font-monospace")
    if not may_reveal(user) or "*" not in shown:
        return value
    ident = {"entity": entity, "id": str(entity_id)}
    button = dbc.Button(t("audit.reveal.show", lang), id={"type": IinReveal.SHOW, **ident}, color="link", size="sm",
                        n_clicks=0, title=t("audit.reveal.title", lang), className="iin-reveal p-0 ms-2 align-baseline")
    message = html.Span(id={"type": IinReveal.MSG, **ident}, className="iin-reveal-msg small")
    return html.Span([value, button, message], className="iin-reveal-wrap")


@callback(
    Output({"type": IinReveal.VALUE, "entity": MATCH, "id": MATCH}, "children"),
    Output({"type": IinReveal.SHOW, "entity": MATCH, "id": MATCH}, "style"),
    Output({"type": IinReveal.MSG, "entity": MATCH, "id": MATCH}, "children"),
    Input({"type": IinReveal.SHOW, "entity": MATCH, "id": MATCH}, "n_clicks"),
    State({"type": IinReveal.SHOW, "entity": MATCH, "id": MATCH}, "id"),
    prevent_initial_call=True,
)
def reveal(n_clicks, button_id):
    """Show one item's full IIN: permission and the item's scope checked on the server, the
    reveal written to the audit trail (who, when, which item, from where)."""
    user = require("iin.reveal")
    lang = current_lang()
    if not n_clicks or not isinstance(button_id, dict):
        return no_update, no_update, no_update
    entity, entity_id = str(button_id.get("entity") or ""), button_id.get("id")
    try:
        with db() as session:
            value = reveal_iin(session, user, entity, entity_id, ip=request.remote_addr)
    except DomainError as error:
        return no_update, no_update, html.Span(error.message(lang), className="text-danger")
    return value, {"display": "none"}, html.Span(t("audit.reveal.logged", lang), className="text-muted")
