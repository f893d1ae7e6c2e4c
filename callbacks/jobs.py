"""Jobs page callbacks: draw the jobs and the history (again every two seconds while a run is in
progress), and "run now".

The rules live in ``data.job_history`` (``list_jobs``, ``recent_runs``, ``request_run``: the same
claim and lock as the scheduler and the CLI, refused while the job runs, audited); these
callbacks read inputs and shape the output. Every callback checks ``jobs.admin`` on the server.
"""
from __future__ import annotations

import json

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, html, no_update
from dash import ctx as dash_ctx
from dash.exceptions import PreventUpdate
from flask import request

from callbacks.context import current_lang, db, require
from callbacks.ids import Jobs as ids
from data.config import LOCAL_TZ
from data.i18n import fmt_datetime, t
from data.job_history import (
    JobInfo,
    RunRow,
    any_running,
    failing_jobs,
    list_jobs,
    recent_runs,
    request_run,
    schedule_in_words,
)
from data.models.base import utcnow
from jobs.runner import JOBS, UnknownJob

HISTORY_LIMIT = 50
OUTCOME_TONE = {"ok": "green", "error": "red", "skipped": "slate", "running": "sky", "duplicate": "slate"}


def _local(moment) -> str:
    return fmt_datetime(moment.astimezone(LOCAL_TZ)) if moment else ""


def _seconds(ms: int | None) -> str:
    if ms is None:
        return ""
    return f"{ms / 1000:.1f}".replace(".", ",")


def outcome_badge(outcome: str, lang: str):
    return html.Span(t(f"jobs.outcome.{outcome}", lang),
                     className=f"status-badge status-{OUTCOME_TONE.get(outcome, 'slate')} jobs-outcome",
                     **{"data-outcome": outcome})


def _schedule_cell(job: JobInfo, lang: str):
    if not job.schedule:
        key = "jobs.schedule.off" if job.disabled else "jobs.schedule.on_demand"
        return html.Div(t(key, lang), className="jobs-schedule-words")
    words = schedule_in_words(job.schedule, lang)
    if JOBS[job.name].working_days_only:
        words = f"{words} ({t('jobspage.sched.working_days_only', lang)})"
    return [html.Div(words, className="jobs-schedule-words"),
            html.Code(job.schedule, className="jobs-crontab")]


def _last_cell(job: JobInfo, lang: str):
    run = job.last_run
    if run is None:
        return html.Span(t("jobs.never", lang), className="text-muted")
    facts = []
    if run.duration_ms is not None:
        facts.append(t("jobspage.duration", lang, s=_seconds(run.duration_ms)))
    if run.rows is not None:
        facts.append(t("jobspage.rows", lang, n=f"{run.rows:,}".replace(",", "\u00a0")))
    out = [html.Div([outcome_badge(run.outcome, lang), " ",
                     html.Span(_local(run.started_at), className="jobs-facts text-nowrap")])]
    if facts:
        out.append(html.Div(" · ".join(f.replace(" ", "\u00a0") for f in facts), className="jobs-sub"))
    if run.outcome != "ok" and job.last_ok_at:
        out.append(html.Div(t("jobspage.last_ok", lang, time=_local(job.last_ok_at)), className="jobs-sub"))
    return out


def _next_cell(job: JobInfo, lang: str):
    if not job.scheduled:
        return html.Span(t("jobspage.no_next", lang), className="text-muted")
    if job.next_run is None:
        return html.Span(t("jobspage.next_unknown", lang), className="text-muted small")
    return _local(job.next_run)


def _state_cell(job: JobInfo, failing: dict, lang: str):
    if job.last_run is not None and job.last_run.outcome == "running":
        return html.Span([dbc.Spinner(size="sm", spinner_class_name="me-1"), t("jobspage.state.running", lang)],
                         className="jobs-state jobs-state-running")
    if job.failing:
        info = failing.get(job.name)
        detail = t("jobspage.state.failing_since", lang, since=_local(info.since), n=info.failures) if info else ""
        return html.Div([html.Span(t("jobspage.state.failing", lang), className="status-badge status-red"),
                         html.Div(detail, className="jobs-sub")], className="jobs-state jobs-state-failing")
    if job.disabled:
        return html.Span(t("jobspage.state.disabled", lang), className="jobs-state text-muted")
    if job.last_run is None:
        return html.Span(t("jobspage.state.never", lang), className="jobs-state text-muted")
    return html.Span(t("jobspage.state.ok", lang), className="jobs-state jobs-state-ok")


def jobs_table(jobs: list[JobInfo], failing: dict, lang: str) -> dbc.Table:
    head = html.Thead(html.Tr([html.Th(t(f"jobspage.col.{c}", lang)) for c in
                               ("job", "schedule", "last", "next", "state")] + [html.Th("")]))
    rows = []
    for job in jobs:
        rows.append(html.Tr(
            [
                html.Td([html.Div(job.title, className="jobs-title"),
                         html.Div([html.Code(job.name, className="jobs-name"), " ", job.about],
                                  className="jobs-about")]),
                html.Td(_schedule_cell(job, lang)),
                html.Td(_last_cell(job, lang)),
                html.Td(_next_cell(job, lang)),
                html.Td(_state_cell(job, failing, lang)),
                html.Td(dbc.Button(t("jobspage.run_now", lang), id={"type": ids.RUN, "job": job.name},
                                   color="primary", outline=True, size="sm", className="jobs-run"),
                        className="text-end"),
            ],
            className="jobs-row jobs-row-failing" if job.failing else "jobs-row",
            **{"data-job": job.name},
        ))
    return dbc.Table([head, html.Tbody(rows)], hover=True, responsive=True, className="jobs-table align-middle mb-0")


def _detail(run: RunRow, lang: str):
    parts = []
    if run.error:
        parts.append(html.Details([html.Summary(t("jobspage.show_error", lang)), html.Pre(run.error, className="jobs-error")],
                                  className="jobs-detail"))
    if run.summary:
        text = json.dumps(run.summary, ensure_ascii=False, indent=1, default=str)
        parts.append(html.Details([html.Summary(t("jobspage.show_summary", lang)),
                                   html.Pre(text[:4000], className="jobs-summary")], className="jobs-detail"))
    return parts


def history_table(runs: list[RunRow], lang: str):
    if not runs:
        return html.Div(t("jobspage.history.empty", lang), className="empty-state")
    head = html.Thead(html.Tr([html.Th(t(f"jobspage.h.{c}", lang)) for c in
                               ("started", "job", "trigger", "duration", "outcome", "rows", "detail")]))
    body = []
    for run in runs:
        trigger = t(f"jobspage.trigger.{run.trigger}", lang) if run.trigger in ("schedule", "manual") else run.trigger
        body.append(html.Tr(
            [
                html.Td(_local(run.started_at), className="text-nowrap"),
                html.Td(t(f"jobs.name.{run.job}", lang)),
                html.Td(trigger),
                html.Td(t("jobspage.duration", lang, s=_seconds(run.duration_ms)) if run.duration_ms is not None else ""),
                html.Td(outcome_badge(run.outcome, lang)),
                html.Td("" if run.rows is None else f"{run.rows:,}".replace(",", "\u00a0"), className="text-end"),
                html.Td(_detail(run, lang)),
            ],
            className=f"jobs-run-row jobs-run-{run.outcome}",
            **{"data-run": str(run.id), "data-job": run.job},
        ))
    return dbc.Table([head, html.Tbody(body)], size="sm", hover=True, responsive=True,
                     className="jobs-history-table align-middle mb-0")


@callback(
    Output(ids.TABLE, "children"),
    Output(ids.HISTORY, "children"),
    Output(ids.HISTORY_COUNT, "children"),
    Output(ids.AS_OF, "children"),
    Output(ids.TICK, "disabled"),
    Input(ids.VERSION, "data"),
    Input(ids.TICK, "n_intervals"),
    Input(ids.FILTER, "value"),
)
def show_jobs(_version, _ticks, job_filter):
    require("jobs.admin")
    lang = current_lang()
    name = job_filter if job_filter in JOBS else None
    with db() as session:
        jobs = list_jobs(session, lang)
        failing = {f.name: f for f in failing_jobs(session, lang)}
        runs = recent_runs(session, name, HISTORY_LIMIT)
        running = any_running(session)
    return (jobs_table(jobs, failing, lang), history_table(runs, lang),
            t("jobspage.history.count", lang, n=len(runs)),
            t("jobspage.as_of", lang, time=_local(utcnow())), not running)


@callback(
    Output(ids.MESSAGE, "children"),
    Output(ids.VERSION, "data"),
    Input({"type": ids.RUN, "job": ALL}, "n_clicks"),
    State(ids.VERSION, "data"),
    prevent_initial_call=True,
)
def run_now(clicks, version):
    """"Run now": refused while the job runs; else the run is claimed and works in the background."""
    user = require("jobs.admin")
    trigger = dash_ctx.triggered_id
    if not isinstance(trigger, dict) or not any(clicks or []):
        raise PreventUpdate
    lang = current_lang()
    name = str(trigger.get("job"))
    try:
        outcome = request_run(name, user, ip=request.remote_addr)
    except UnknownJob:
        return dbc.Alert(t("jobspage.run.unknown", lang, name=name), color="danger", dismissable=True), no_update
    title = t(f"jobs.name.{name}", lang)
    if outcome.status == "running":
        message = dbc.Alert(t("jobspage.run.running", lang, title=title, since=_local(outcome.since),
                              run_id=outcome.run_id), color="warning", dismissable=True, className="jobs-refused")
    elif outcome.status == "duplicate":
        message = dbc.Alert(t("jobspage.run.duplicate", lang, title=title), color="warning", dismissable=True)
    else:
        message = dbc.Alert(t("jobspage.run.started", lang, title=title, run_id=outcome.run_id), color="success",
                            dismissable=True, className="jobs-started")
    return message, (version or 0) + 1
