"""Reports page callbacks: the preview of the headline figures, "Generate" (queues a run and
starts it on the background pool), and "my reports" (polled only while something is queued or
running). The registry's "Excel" export (callbacks/registry.py) queues a register run through
``queue_run`` here too."""
from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback, html, no_update
from sqlalchemy import select
from sqlalchemy.orm import Session

from callbacks.context import current_lang, db, require, today_local
from callbacks.ids import Reports as ids
from callbacks.ui import DATEFNS_LOCALE_JS, kpi_card
from data import report_runs
from data.config import LOCAL_TZ
from data.errors import DomainError
from data.i18n import fmt_date, fmt_datetime, t
from data.models import User
from data.models.base import utcnow
from data.models.report_run import ReportRun
from data.queries.overview import load_akimats
from data.queries.registry import reviewer_choices

STATUS_COLORS = {"queued": "slate", "running": "blue", "done": "green", "failed": "red", "expired": "slate"}


# -- helpers shared with the layout --------------------------------------------------------------
def akimat_options(session: Session, lang: str) -> list[dict[str, Any]]:
    return [{"label": ("\u2003" * depth) + name, "value": kato, "search": name}
            for kato, name, depth in load_akimats(session).options(lang)]


def reviewer_options(session: Session, user: User | None) -> list[dict[str, Any]]:
    if user is None:
        return []
    return [{"label": c.kk, "value": int(c.value)} for c in reviewer_choices(session, user)]


def form_filters(date_from, date_to, app_kind, akimat, reviewer, separator) -> dict[str, Any]:
    """The form's values as the report filter (JSON form of data.reports' ReportFilters)."""
    return {"date_from": date_from or None, "date_to": date_to or None, "kind": app_kind or None,
            "akimat_kato": akimat or None, "reviewer_id": reviewer if reviewer not in ("", None) else None,
            "registry": None, "csv_delimiter": separator if separator in (",", ";") else ","}


def queue_run(user: User, kind: str, fmt: str, filters: dict[str, Any], lang: str) -> int:
    """Queue a run (DomainError when refused), commit, start it in the background; its id."""
    with db() as session:
        run_id = report_runs.submit(session, user, kind, fmt, filters, lang=lang).id
    report_runs.start_background(run_id)
    return run_id


def _error_text(row: ReportRun, lang: str) -> str:
    if not row.error_key:
        return ""
    params = dict(row.error_params or {})
    if row.error_key.startswith("error."):
        return DomainError(row.error_key[len("error."):], **params).message(lang)
    return t(row.error_key, lang, **params)


def _progress(row: ReportRun):
    value = max(0.0, min(1.0, row.progress or 0.0))
    return dbc.Progress(value=round(value * 100), label=f"{round(value * 100)}%", striped=True, animated=True,
                        style={"height": "1rem", "minWidth": "8rem"}, className="reports-progress",
                        color="info" if row.status == "running" else "secondary")


def runs_table(session: Session, runs: list[ReportRun], lang: str):
    if not runs:
        return html.Div(t("report_page.mine.empty", lang), className="text-muted small reports-empty")
    now = utcnow()
    names = load_akimats(session)
    reviewer_ids = {int(r.filters["reviewer_id"]) for r in runs if (r.filters or {}).get("reviewer_id")}
    people = dict(session.execute(select(User.id, User.full_name).where(User.id.in_(reviewer_ids)))) \
        if reviewer_ids else {}

    def akimat_name(kato: str) -> str:
        node = names.by_kato.get(kato)
        return node.name(lang) if node else kato

    body = []
    for row in runs:
        expired = row.expires_at <= now
        status = "expired" if expired and row.status == "done" else row.status
        badge = html.Span(t(f"report_page.status.{status}", lang),
                          className=f"status-badge status-{STATUS_COLORS.get(status, 'slate')}")
        state_cell: list = [badge]
        if row.status in report_runs.ACTIVE:
            state_cell.append(html.Div(_progress(row), className="mt-1"))
        elif row.status == "failed":
            state_cell.append(html.Div(_error_text(row, lang), className="small text-danger mt-1 reports-error",
                                       style={"maxWidth": "24rem"}))
        if row.status == "done" and not expired:
            file_cell = html.A(t("report_page.download", lang), href=f"/files/reports/{row.id}",
                               className="reports-download", title=row.filename or "")
        else:
            file_cell = ""
        title = [t(f"reports.kind.{row.kind}", lang)]
        if row.scheduled:
            title.append(html.Span(t("report_page.scheduled", lang), className="badge bg-light text-dark ms-2"))
        summary = report_runs.filter_summary(row.filters, lang, akimat_name=akimat_name,
                                             reviewer_name=lambda rid: people.get(rid, f"#{rid}"), kind=row.kind)
        body.append(html.Tr([
            html.Td(title),
            html.Td(summary, className="small"),
            html.Td(row.format.upper()),
            html.Td(fmt_datetime(row.created_at.astimezone(LOCAL_TZ)), className="text-nowrap"),
            html.Td(state_cell),
            html.Td("" if row.rows is None else f"{row.rows:,}".replace(",", "\u00a0"), className="text-end"),
            html.Td(file_cell),
            html.Td(fmt_date(row.expires_at.astimezone(LOCAL_TZ)), className="text-nowrap"),
        ], id=f"reports-run-{row.id}", className=f"reports-run reports-run-{row.status}"))
    head = html.Thead(html.Tr([html.Th(t(f"report_page.col.{c}", lang)) for c in
                               ("report", "filter", "format", "created", "status", "rows", "file", "expires")]))
    return dbc.Table([head, html.Tbody(body)], size="sm", hover=True, responsive=True,
                     className="apppage-table reports-table align-middle mb-0")


# -- callbacks ---------------------------------------------------------------------------------------
@callback(
    Output(ids.SEPARATOR_WRAP, "style"),
    Input(ids.FORMAT, "value"),
)
def show_separator(fmt):
    return {} if fmt == "csv" else {"display": "none"}


@callback(
    Output(ids.PREVIEW, "children"),
    Input(ids.KIND, "value"),
    Input(ids.DATE_FROM, "date"),
    Input(ids.DATE_TO, "date"),
    Input(ids.APP_KIND, "value"),
    Input(ids.AKIMAT, "value"),
    Input(ids.REVIEWER, "value"),
)
def preview(kind, date_from, date_to, app_kind, akimat, reviewer):
    """The headline figures of the chosen report and filter, computed now."""
    user = require("reports.run")
    lang = current_lang()
    from data.reports import preview as engine_preview
    from data.reports.filters import ReportFilters

    try:
        filters = ReportFilters.from_json(form_filters(date_from, date_to, app_kind, akimat, reviewer, ","))
        with db() as session:
            figures = engine_preview(session, kind, filters, user=user, lang=lang, today=today_local())
    except DomainError as exc:
        return dbc.Alert(exc.message(lang), color="warning", className="mb-0 py-2 reports-preview-error")
    if not figures:
        return html.Div(t("report_page.preview.empty", lang), className="text-muted small")
    return html.Div([kpi_card(label, value, tone="blue") for label, value in figures], className="kpi-row")


@callback(
    Output(ids.MESSAGE, "children"),
    Output(ids.REFRESH, "data"),
    Input(ids.GENERATE, "n_clicks"),
    State(ids.KIND, "value"),
    State(ids.FORMAT, "value"),
    State(ids.DATE_FROM, "date"),
    State(ids.DATE_TO, "date"),
    State(ids.APP_KIND, "value"),
    State(ids.AKIMAT, "value"),
    State(ids.REVIEWER, "value"),
    State(ids.SEPARATOR, "value"),
    State(ids.REFRESH, "data"),
    prevent_initial_call=True,
)
def generate(n_clicks, kind, fmt, date_from, date_to, app_kind, akimat, reviewer, separator, refresh):
    user = require("reports.run")
    lang = current_lang()
    if not n_clicks:
        return no_update, no_update
    try:
        queue_run(user, kind, fmt, form_filters(date_from, date_to, app_kind, akimat, reviewer, separator), lang)
    except DomainError as exc:
        return html.Span(exc.message(lang), className="text-danger reports-refused"), no_update
    return html.Span(t("report_page.generate.queued", lang), className="text-success"), (refresh or 0) + 1


@callback(
    Output(ids.RUNS, "children"),
    Output(ids.POLL, "disabled"),
    Input(ids.REFRESH, "data"),
    Input(ids.POLL, "n_intervals"),
)
def my_reports(_refresh, _ticks):
    """The list; the poll runs only while one of the runs is queued or running."""
    user = require("reports.run")
    lang = current_lang()
    report_runs.housekeeping_once()
    with db() as session:
        runs = report_runs.list_for(session, user)
    if report_runs.any_active(runs) and report_runs.recover_interrupted():
        runs = None  # a run's process died since: show it failed, saying why
    with db() as session:
        runs = runs if runs is not None else report_runs.list_for(session, user)
        table = runs_table(session, runs, lang)
    return table, not report_runs.any_active(runs)


clientside_callback(DATEFNS_LOCALE_JS, Output(ids.CALENDAR_READY, "data"), Input(ids.CALENDAR, "data"))


def registry_filter(filters_data: dict | None, grid_state: dict | None) -> dict[str, Any]:
    """The registry page's current view (quick filters, sort, the grid's column filters) as the
    ``registry`` part of a register report's filter: the registry's own URL parameters."""
    import json

    from data.queries.registry import filters_from_json

    params = {k: v for k, v in filters_from_json(filters_data).as_params().items() if v not in ("", None)}
    params.pop("sort", None)
    sort = (grid_state or {}).get("sort")
    if sort:
        params["sort"] = sort
    column_filters = (grid_state or {}).get("filter")
    if column_filters:
        params["grid"] = json.dumps(column_filters, ensure_ascii=False, separators=(",", ":"))
    return params


def queue_registry_export(user: User, filters_data: dict | None, grid_state: dict | None, lang: str) -> int:
    """The registry's "Excel" export: a register xlsx run of the current view."""
    filters = {"registry": registry_filter(filters_data, grid_state), "csv_delimiter": ","}
    return queue_run(user, "register", "xlsx", filters, lang)
