"""Callbacks of the complaint registry (/complaints) and the registration form (/complaints/new).

Registry: KPIs; the filter form -> the filter store and the URL; the grid's block requests ->
rows from ``data.queries.complaints``; a row click -> the complaint page. The grid uses AG Grid's
infinite row model: each block request (start, end, sort) reaches ``load_rows``, which asks the
data layer for exactly those rows, scoped to the user.

Registration form: responsible choices, live look-up of what the complaint is about, the IIN/BIN
check, the live preview of the registration day and the answer due date, save.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import (
    ALL,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    html,
    no_update,
)

from callbacks.context import current_lang, db, require, today_local
from callbacks.ids import Complaints as ids
from callbacks.ids import NewComplaint as new_ids
from callbacks.ui import block_bounds, fmt_count, refresh_grid_on
from data import complaints as service
from data.clocks import load_context
from data.errors import DomainError
from data.i18n import fmt_date, t
from data.models import utcnow
from data.queries.complaints import (
    ComplaintKpis,
    ComplaintRow,
    FilterProblem,
    GridRequestError,
    complaint_kpis,
    fetch_block,
    filters_from_json,
    parse_filters,
    query_context,
)
from data.statuses import WORKFLOWS

BLOCK = 100
STATE_TONE = {"on_track": "green", "due_soon": "amber", "overdue": "red"}


# -- presentation helpers (the page layout uses them too) -------------------------------------------
def dropdown_labels(lang: str) -> dict[str, str]:
    return {key: t(f"complaints.dd.{key}", lang) for key in (
        "search", "clear_search", "clear_selection", "no_options_found", "select_all", "deselect_all",
        "selected_count")}


def problem_text(problem: FilterProblem, lang: str) -> str:
    return t(f"complaints.problem.{problem.code}", lang, value=problem.value)



def days_text(row: ComplaintRow, lang: str) -> str:
    if not row.is_open:
        if row.closed_on_time is None:
            return ""
        return t("complaints.answered.on_time" if row.closed_on_time else "complaints.answered.late", lang)
    if row.days is None:
        return ""
    if row.days.calendar == 0:
        return t("complaints.days.today", lang)
    if row.days.calendar < 0:
        return t("complaints.days.overdue", lang, wd=-row.days.working)
    return t("complaints.days.left", lang, wd=row.days.working)


def grid_row(row: ComplaintRow, lang: str) -> dict[str, Any]:
    status = WORKFLOWS["complaint"].by_code.get(row.status)
    about = ""
    if row.about:
        about = f"{t(f'complaints.about.{row.about}.cap', lang)}: {row.about_label or ''}"
    state = row.state or ("answered_late" if row.closed_on_time is False else "")
    return {
        "id": row.id,
        "registration_date": fmt_date(row.registration_date),
        "level": t(f"complaints.level.{row.level}.short", lang),
        "level_long": t(f"complaints.level.{row.level}", lang),
        "complainant": row.complainant_name,
        "about": about,
        "status": status.label(lang) if status else row.status,
        "status_color": status.color if status else "slate",
        "responsible": row.responsible or "",
        "answer_due": fmt_date(row.answer_due),
        "notice_due": fmt_date(row.notice_due),
        "due": days_text(row, lang),
        "due_state": state,
    }


def column_defs(lang: str, sort: tuple[str, str]) -> list[dict[str, Any]]:
    def col(field: str, width: int, *, sortable: bool = False, extra: dict | None = None) -> dict[str, Any]:
        name = t(f"complaints.col.{field}", lang)
        tip = t(f"complaints.col.{field}.long", lang)
        spec: dict[str, Any] = {"field": field, "colId": field, "headerName": name,
                                "headerTooltip": name if tip.startswith("complaints.") else tip,
                                "minWidth": width, "sortable": sortable}
        if sortable and sort[0] == field:
            spec["sort"] = sort[1]
        spec.update(extra or {})
        if "flex" not in spec:
            spec["width"] = width  # AG Grid gives 200 px to a column without a width
        return spec

    return [
        col("id", 70, sortable=True, extra={"pinned": "left", "cellClass": "cmp-number", "maxWidth": 90}),
        col("registration_date", 125, sortable=True),
        col("level", 140, sortable=True, extra={"tooltipField": "level_long"}),
        col("complainant", 140, sortable=True, extra={"flex": 2, "tooltipField": "complainant"}),
        col("about", 130, extra={"flex": 1, "tooltipField": "about"}),
        col("status", 200, sortable=True, extra={"cellRenderer": "KtkStatusBadge", "tooltipField": "status"}),
        col("responsible", 130, sortable=True, extra={"flex": 1, "tooltipField": "responsible"}),
        col("answer_due", 125, sortable=True),
        col("notice_due", 115, sortable=True),
        col("due", 165, sortable=True, extra={"tooltipField": "due", "cellClassRules": {
            "cmp-days-overdue": "params.data && (params.data.due_state === 'overdue' || "
                                "params.data.due_state === 'answered_late')",
            "cmp-days-soon": "params.data && params.data.due_state === 'due_soon'",
        }}),
    ]


def kpi_block(kpis: ComplaintKpis, lang: str) -> list:
    def card(key: str, value: str, tone: str, note: str | None, href: str | None, testid: str):
        body = [html.Div(t(f"complaints.kpi.{key}", lang), className="kpi-label"),
                html.Div(value, className="kpi-value")]
        if note:
            body.append(html.Div(note, className="kpi-note"))
        inner = dbc.Card(dbc.CardBody(body), className=f"kpi-card kpi-{tone}")
        attrs = {"data-kpi": testid}
        return html.A(inner, href=href, className="kpi-link", **attrs) if href else html.Div(inner, **attrs)

    if kpis.on_time_rate is None:
        on_time = card("on_time", "—", "slate", t("complaints.kpi.on_time.none", lang), None, "on_time")
    else:
        tone = "green" if kpis.on_time_rate >= 0.9 else "amber" if kpis.on_time_rate >= 0.75 else "red"
        on_time = card("on_time", f"{kpis.on_time_percent} %", tone,
                       t("complaints.kpi.on_time.note", lang, met=fmt_count(kpis.answered_on_time),
                         total=fmt_count(kpis.answered)), "/complaints?state=answered", "on_time")
    return [
        card("open", fmt_count(kpis.open), "blue", None, "/complaints?state=open", "open"),
        card("due_soon", fmt_count(kpis.due_soon), "amber", None, "/complaints?state=due_soon", "due_soon"),
        card("overdue", fmt_count(kpis.overdue), "red", None, "/complaints?state=overdue", "overdue"),
        on_time,
    ]


def form_params(q, state, levels, statuses, due_from, due_to) -> dict[str, Any]:
    return {"q": q or "", "state": "" if state in (None, "all") else state, "level": ",".join(levels or []),
            "status": ",".join(statuses or []), "due_from": due_from or "", "due_to": due_to or ""}


# -- callbacks ----------------------------------------------------------------------------------------
@callback(Output(ids.KPIS, "children"), Input(ids.LOAD, "data"))
def fill_kpis(_load):
    user = require("complaints.read")
    lang = current_lang()
    with db() as session:
        kpis = complaint_kpis(session, user, today_local())
    return kpi_block(kpis, lang)


@callback(
    Output(ids.FILTERS, "data"),
    Output(ids.DUE_FROM, "invalid"),
    Output(ids.FROM_FEEDBACK, "children"),
    Output(ids.DUE_TO, "invalid"),
    Output(ids.TO_FEEDBACK, "children"),
    Output(ids.PROBLEMS, "children"),
    Input(ids.Q, "value"),
    Input(ids.STATE, "value"),
    Input(ids.LEVEL, "value"),
    Input(ids.STATUS, "value"),
    Input(ids.DUE_FROM, "value"),
    Input(ids.DUE_TO, "value"),
    State(ids.FILTERS, "data"),
    prevent_initial_call=True,
)
def update_filters(q, state, levels, statuses, due_from, due_to, current):
    """Read the form; a value that cannot be read is shown under its field and left out."""
    require("complaints.read")
    lang = current_lang()
    filters, problems = parse_filters(form_params(q, state, levels, statuses, due_from, due_to))
    by_param: dict[str, list[str]] = {}
    for problem in problems:
        by_param.setdefault(problem.param, []).append(problem_text(problem, lang))
    others = [html.Div(text) for name, texts in by_param.items() if name not in ("due_from", "due_to")
              for text in texts]
    data = filters.as_params()
    return (data if data != current else no_update,
            "due_from" in by_param, " ".join(by_param.get("due_from", [])),
            "due_to" in by_param, " ".join(by_param.get("due_to", [])),
            others)



@callback(
    Output(ids.GRID, "getRowsResponse"),
    Output(ids.COUNT, "children"),
    Input(ids.GRID, "getRowsRequest"),
    State(ids.FILTERS, "data"),
    prevent_initial_call=True,
)
def load_rows(request: dict | None, filters_data: dict | None):
    """One block of rows, filtered, sorted and paged in SQL within the user's scope."""
    user = require("complaints.read")
    lang = current_lang()
    if not request:
        return no_update, no_update
    filters = filters_from_json(filters_data)
    start, end = block_bounds(request, BLOCK)
    try:
        with db() as session:
            block = fetch_block(session, query_context(session, user, today_local()), filters, start, end,
                                request.get("sortModel") or None)
    except GridRequestError:
        return {"rowData": [], "rowCount": 0}, html.Span(t("complaints.grid_error", lang), className="text-danger")
    count = no_update
    if block.count is not None:
        count = html.Span(t("complaints.count_none", lang), className="cmp-empty") if block.count == 0 else \
            t("complaints.count", lang, count=fmt_count(block.count))
    return {"rowData": [grid_row(r, lang) for r in block.rows], "rowCount": block.count}, count


@callback(Output(ids.QUERY, "data"), Input(ids.FILTERS, "data"))
def query_string(filters_data: dict | None):
    require("complaints.read")
    params = filters_from_json(filters_data).as_params()
    params.pop("sort", None)
    return urlencode(params)


# The URL follows the filters without reloading the page.
clientside_callback(
    """function (query) {
        var target = window.location.pathname + (query ? "?" + query : "");
        if (target !== window.location.pathname + window.location.search) {
            window.history.replaceState(window.history.state, "", target);
        }
        return window.dash_clientside.no_update;
    }""",
    Output(ids.QUERY, "id"),
    Input(ids.QUERY, "data"),
    prevent_initial_call=True,
)

refresh_grid_on(ids.FILTERS, ids.GRID)

# A click on a row opens the complaint.
clientside_callback(
    """function (cell) {
        if (!cell || cell.rowId === undefined || cell.rowId === null) { return window.dash_clientside.no_update; }
        return "/complaints/" + encodeURIComponent(String(cell.rowId));
    }""",
    Output(ids.GO, "href"),
    Input(ids.GRID, "cellClicked"),
    prevent_initial_call=True,
)

# Reset: every filter back to "everything".
clientside_callback(
    """function (n) { return ["", "all", [], [], "", ""]; }""",
    Output(ids.Q, "value"),
    Output(ids.STATE, "value"),
    Output(ids.LEVEL, "value"),
    Output(ids.STATUS, "value"),
    Output(ids.DUE_FROM, "value"),
    Output(ids.DUE_TO, "value"),
    Input(ids.RESET, "n_clicks"),
    prevent_initial_call=True,
)


# -- the registration form (/complaints/new) -----------------------------------------------------------
HIDDEN = {"display": "none"}
SHOWN: dict[str, str] = {}


@callback(
    Output(new_ids.RESPONSIBLE, "options"),
    Output(new_ids.RESPONSIBLE, "value"),
    Input(new_ids.LOAD, "data"),
)
def fill_responsible(_load):
    """Active reviewers; a reviewer who registers is the default responsible person."""
    user = require("complaints.act")
    lang = current_lang()
    with db() as session:
        choices = service.responsible_choices(session)
    options = [{"label": t("complaints.form.none", lang), "value": "none"}] + [
        {"label": label, "value": str(ident)} for ident, label in choices]
    me = str(user.id) if user.role == "reviewer" and any(ident == user.id for ident, _ in choices) else "none"
    return options, me


@callback(
    Output(new_ids.REF_FEEDBACK, "children"),
    Output(new_ids.PERSON, "data"),
    Output(new_ids.PREFILL, "style"),
    Output(new_ids.REF, "placeholder"),
    Input(new_ids.ABOUT, "value"),
    Input(new_ids.REF, "value"),
)
def look_up(about, ref):
    """What the complaint is about, found as soon as it is typed (only within the user's scope)."""
    user = require("complaints.act")
    lang = current_lang()
    placeholder = t(f"complaints.about.{about}.hint", lang) if about in service.ABOUT else ""
    if not (ref or "").strip() or about not in service.ABOUT:
        return None, {}, HIDDEN, placeholder
    with db() as session:
        found = service.find_subject(session, user, about, ref)
    if found is None:
        message = service.Problem("ref", "complaints.err.ref_not_found",
                                  {"what": f"@complaints.about.{about}", "value": str(ref)[:40]}).message(lang)
        return html.Div(message, className="text-danger small"), {}, HIDDEN, placeholder
    label = found.label
    if about == "application":
        status = WORKFLOWS["rent_to_own"].by_code.get(found.detail) or WORKFLOWS["correction"].by_code.get(found.detail)
        if status is not None:
            label = f"{label} · {found.person_name or ''} · {status.label(lang)}"
    elif found.detail:
        label = f"{label} · {found.detail}"
    person = {"id_number": found.person_id_number, "name": found.person_name, "contact": found.person_contact}
    feedback = html.Div("✓ " + t("complaints.new.found", lang, label=label), className="text-success small")
    return feedback, person, SHOWN if any(person.values()) else HIDDEN, placeholder


@callback(
    Output(new_ids.ID_NUMBER, "value"),
    Output(new_ids.NAME, "value"),
    Output(new_ids.CONTACT, "value"),
    Input(new_ids.PREFILL, "n_clicks"),
    State(new_ids.PERSON, "data"),
    prevent_initial_call=True,
)
def prefill(n_clicks, person):
    require("complaints.act")
    if not n_clicks or not person:
        return no_update, no_update, no_update
    return person.get("id_number") or no_update, person.get("name") or no_update, person.get("contact") or no_update


@callback(Output(new_ids.ID_FEEDBACK, "children"), Input(new_ids.ID_NUMBER, "value"))
def check_id_number(value):
    """The IIN/BIN check digit, as soon as the number is entered."""
    require("complaints.act")
    lang = current_lang()
    if not (value or "").strip():
        return None
    number, problem = service.check_id_number(value)
    if problem:
        return html.Div(problem.message(lang), className="text-danger small")
    return html.Div("✓ " + t("complaints.new.id_ok", lang), className="text-success small")


def preview_block(preview: service.Preview, lang: str) -> html.Div:
    return html.Div([
        html.Div([html.Div(t("complaints.new.preview.registered", lang), className="cmp-fact-label"),
                  html.Div(fmt_date(preview.registered), className="cmp-preview-date", **{"data-preview": "registered"})],
                 className="cmp-fact"),
        html.Div([html.Div(t("complaints.new.preview.due", lang), className="cmp-fact-label"),
                  html.Div(fmt_date(preview.due), className="cmp-preview-date", **{"data-preview": "due"})],
                 className="cmp-fact"),
        html.Div(t(f"complaints.policy.{service.LEVEL_POLICY[preview.level]}", lang), className="small text-muted"),
        html.P(service.explain(preview.steps, lang), className="cmp-explanation mb-0 mt-2"),
    ], className="cmp-preview-body")


@callback(
    Output(new_ids.PREVIEW, "children"),
    Input(new_ids.RECEIVED_DATE, "value"),
    Input(new_ids.RECEIVED_TIME, "value"),
    Input(new_ids.LEVEL, "value"),
)
def show_preview(received_date, received_time, level):
    """The registration day by the rule and the answer due date, live, before saving."""
    require("complaints.act")
    lang = current_lang()
    if not (received_date or "").strip() or not (received_time or "").strip():
        return html.Div(t("complaints.new.preview.empty", lang), className="text-muted small")
    problems: list[service.Problem] = []
    moment = service.received_moment({"received_date": received_date, "received_time": received_time}, problems,
                                     utcnow())
    if moment is None:
        return html.Div([html.Div(p.message(lang)) for p in problems], className="text-danger small")
    with db() as session:
        preview = service.registration_preview(load_context(session), moment,
                                               level if level in service.LEVELS else "provider")
    return preview_block(preview, lang)


@callback(
    Output(new_ids.MESSAGE, "children"),
    Output(new_ids.REDIRECT, "href"),
    Output({"type": new_ids.WRAP, "name": ALL}, "className"),
    Input(new_ids.SAVE, "n_clicks"),
    State(new_ids.ABOUT, "value"),
    State(new_ids.REF, "value"),
    State(new_ids.ID_NUMBER, "value"),
    State(new_ids.NAME, "value"),
    State(new_ids.CONTACT, "value"),
    State(new_ids.RECEIVED_DATE, "value"),
    State(new_ids.RECEIVED_TIME, "value"),
    State(new_ids.CHANNEL, "value"),
    State(new_ids.LEVEL, "value"),
    State(new_ids.SUBJECT, "value"),
    State(new_ids.RESPONSIBLE, "value"),
    State({"type": new_ids.WRAP, "name": ALL}, "id"),
    prevent_initial_call=True,
)
def save(n_clicks, about, ref, id_number, name, contact, received_date, received_time, channel, level, subject,
         responsible, wrap_ids):
    """Register the complaint and open its page; otherwise list every problem (nothing typed is lost)."""
    user = require("complaints.act")
    lang = current_lang()
    wraps = [w["name"] for w in wrap_ids or []]
    if not n_clicks:
        return no_update, no_update, [no_update] * len(wraps)
    raw = {"about": about, "ref": ref, "complainant_id_number": id_number, "complainant_name": name,
           "complainant_contact": contact, "received_date": received_date, "received_time": received_time,
           "channel": channel, "level": level, "subject": subject, "responsible_id": responsible}
    try:
        with db() as session:
            complaint = service.register(session, user, raw)
            target = f"/complaints/{complaint.id}"
    except service.FormInvalid as error:
        bad = error.fields()
        marked = ["cmp-field is-invalid-field" if name_ in bad else "cmp-field" for name_ in wraps]
        message = dbc.Alert([html.Div(error.message(lang), className="fw-semibold"),
                             html.Ul([html.Li(p.message(lang)) for p in error.problems], className="mb-0 mt-1")],
                            color="danger", className="cmp-alert mb-0")
        return message, no_update, marked
    except DomainError as error:
        return dbc.Alert(error.message(lang), color="danger", className="cmp-alert mb-0"), no_update, \
            ["cmp-field"] * len(wraps)
    return dbc.Alert(t("complaints.new.saved", lang), color="success", className="cmp-alert mb-0"), target, \
        ["cmp-field"] * len(wraps)
