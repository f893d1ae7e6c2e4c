"""Complaint page callbacks: show the complaint; take into review, extend, record the notice,
answer, escalate, reassign.

Every callback checks the permission first (``require``); the services in ``data.complaints``
check the rest again (scope, responsible person, optimistic lock): a callback endpoint can be
posted to directly. A refused or conflicting action keeps what the user typed: only the message,
the version and the page sections around the forms are refreshed.
"""
from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from callbacks.audit import iin_value
from callbacks.context import current_lang, db, require, today_local
from callbacks.ids import ComplaintPage as ids
from callbacks.ui import clock_days_text, clock_state_label, status_badge
from data import complaints as service
from data.clocks import load_context
from data.config import LOCAL_TZ
from data.errors import ConflictError, DomainError
from data.i18n import fmt_date, fmt_datetime, t
from data.models import utcnow
from data.queries.complaints import ComplaintPage, complaint_page, version_of
from data.statuses import WORKFLOWS

HIDDEN = {"display": "none"}
SHOWN: dict[str, str] = {}
WORKFLOW = WORKFLOWS["complaint"]


# -- formatting helpers ------------------------------------------------------------------------
def _local(moment: datetime | None) -> str:
    return fmt_datetime(moment.astimezone(LOCAL_TZ)) if moment else ""


def _dash(value: Any) -> Any:
    return value if value not in (None, "", []) else "—"


def _pill(text: str, tone: str) -> html.Span:
    return html.Span(text, className=f"status-badge status-{tone}")


def alert(children: Any, color: str) -> dbc.Alert:
    return dbc.Alert(children, color=color, className="cmp-alert mb-0")


def refresh_token() -> int:
    return time.time_ns() // 1_000_000


def _dl(pairs: list[tuple[str, Any]]) -> html.Dl:
    children: list = []
    for label, value in pairs:
        children += [html.Dt(label), html.Dd(_dash(value))]
    return html.Dl(children, className="cmp-dl")


def policy_name(code: str, lang: str) -> str:
    return t(f"complaints.policy.{code}", lang)


# -- sections ------------------------------------------------------------------------------------
def render_header(view: ComplaintPage, lang: str) -> html.Div:
    meta = [t(f"complaints.level.{view.level}", lang),
            t("complaints.page.registered", lang, date=fmt_date(view.registration_date)),
            t("complaints.page.received", lang, moment=_local(view.received_at)),
            t("complaints.page.channel", lang, channel=t(f"complaints.channel.{view.channel}", lang).lower())]
    return html.Div([
        html.Div([html.H1(t("complaints.page.title", lang, id=view.id), className="page-title"),
                  status_badge("complaint", view.status, lang)], className="cmp-title-row"),
        html.Div(" · ".join(meta), className="text-muted cmp-meta"),
    ])


def render_due(view: ComplaintPage, lang: str) -> html.Div:
    running = [c for c in view.clocks if c.stopped_at is None and c.due_date]
    if running:
        clock = sorted(running, key=lambda c: (c.due_date, c.id))[0]
        state, tone = clock_state_label(clock.state, clock.met, lang)
        body = [
            html.Div(t("complaints.due.heading", lang) + " · " + policy_name(clock.policy_code, lang),
                     className="cmp-due-label"),
            html.Div([html.Span(t("complaints.due.date", lang, date=fmt_date(clock.due_date)), className="cmp-due-date"),
                      _pill(state, tone)], className="cmp-due-row"),
            html.Div(clock_days_text(clock.left, lang), className=f"cmp-days cmp-days-{tone}"),
            html.P(service.explain(clock.explanation, lang), className="cmp-explanation mb-0"),
        ]
        return html.Div(dbc.Card(dbc.CardBody(body), className=f"cmp-card cmp-due-card tone-{tone}"),
                        **{"data-due": "open"})
    key = {True: "complaints.due.answered_on_time", False: "complaints.due.answered_late"}.get(
        view.closed_on_time, "complaints.due.answered_on_time")
    tone = "red" if view.closed_on_time is False else "teal"
    level = view.level_clock
    body = [html.Div(t("complaints.col.answer_due", lang) + (f" · {fmt_date(view.level_clock.due_date)}"
                                                             if view.level_clock else ""), className="cmp-due-label"),
            html.Div(t(key, lang, date=fmt_date(view.answer_date)), className="cmp-due-date-sm")]
    if level is not None:
        body.append(html.P(service.explain(level.explanation, lang), className="cmp-explanation mb-0"))
    return html.Div(dbc.Card(dbc.CardBody(body), className=f"cmp-card cmp-due-card tone-{tone}"),
                    **{"data-due": "closed"})


def _about_link(view: ComplaintPage, lang: str):
    if not view.about:
        return None
    label = f"{t(f'complaints.about.{view.about}.cap', lang)}: {view.about_label or ''}"
    if view.about == "application":
        return dcc.Link(label, href=f"/applications/{view.about_id}")
    return label


def _linked(item, lang: str):
    text = t("complaints.page.linked", lang, id=item.id)
    head = dcc.Link(text, href=f"/complaints/{item.id}") if item.visible else html.Span(text)
    return html.Span([head, " ", status_badge("complaint", item.status, lang)], className="cmp-linked")


def render_details(view: ComplaintPage, lang: str) -> list:
    complainant = [
        (t("complaints.page.f.name", lang), view.complainant_name),
        (t("complaints.page.f.id_number", lang), iin_value(view.complainant_id, "complaint", view.id, lang)),
        (t("complaints.page.f.contact", lang), view.complainant_contact),
        (t("complaints.f.channel", lang), t(f"complaints.channel.{view.channel}", lang)),
    ]
    extension = None
    if view.extension_days:
        extension = t("complaints.page.f.extension_value", lang, days=view.extension_days,
                      reason=t(f"complaints.reason.{view.extension_reason}", lang) if view.extension_reason else "—")
    notice = None
    if view.notice_sent_on:
        notice = t("complaints.page.f.notice_value", lang, date=fmt_date(view.notice_sent_on),
                   channel=t(f"complaints.channel.{view.notice_channel}", lang).lower())
    elif view.notice_open:
        notice = html.Span(t("complaints.page.f.notice_pending", lang), className="text-warning-emphasis")
    complaint = [
        (t("complaints.page.f.level", lang), t(f"complaints.level.{view.level}.long", lang)),
        (t("complaints.page.about", lang), _about_link(view, lang)),
        (t("complaints.page.f.subject", lang), html.Div(view.subject, className="cmp-pre")),
        (t("complaints.page.f.responsible", lang), view.responsible or t("complaints.page.unassigned", lang)),
    ]
    if extension:
        complaint.append((t("complaints.page.f.extension", lang), extension))
    if notice:
        complaint.append((t("complaints.page.f.notice", lang), notice))
    if view.parent:
        complaint.append((t("complaints.page.parent", lang), _linked(view.parent, lang)))
    if view.children:
        complaint.append((t("complaints.page.children", lang), html.Div([_linked(c, lang) for c in view.children])))

    def card(title_key: str, content) -> dbc.Card:
        return dbc.Card(dbc.CardBody([html.H2(t(title_key, lang), className="card-title h6 cmp-card-title"), content]),
                        className="cmp-card h-100")

    cards = [dbc.Row([
        dbc.Col(card("complaints.page.section.complainant", _dl(complainant)), md=5),
        dbc.Col(card("complaints.page.section.complaint", _dl(complaint)), md=7),
    ], className="g-3 mb-3")]
    if view.status == "answered":
        answer = [
            (t("complaints.page.f.outcome", lang), t(f"complaints.outcome.{view.outcome}", lang) if view.outcome else None),
            (t("complaints.page.f.answer_date", lang), fmt_date(view.answer_date)),
            (t("complaints.page.f.answer_text", lang), html.Div(view.answer_text, className="cmp-pre")),
        ]
        cards.append(html.Div(card("complaints.page.section.answer", _dl(answer)), className="mb-3 cmp-answer"))
    return cards


def render_clocks(view: ComplaintPage, lang: str) -> list:
    blocks = []
    for clock in view.clocks:
        state, tone = clock_state_label(clock.state, clock.met, lang)
        facts = [
            (t("complaints.clock.started", lang), _local(clock.started_at)),
            (t("complaints.clock.registered", lang), fmt_date(clock.registered_on)),
            (t("complaints.clock.due", lang), fmt_date(clock.due_date)),
            (t("complaints.clock.stopped", lang), fmt_date(clock.stopped_on)),  # the day is what counts
        ]
        if clock.extensions:
            facts.insert(3, (t("complaints.clock.extensions", lang), "; ".join(
                t("complaints.clock.extension", lang, date=fmt_date(d), days=n) for d, n in clock.extensions)))
        days = clock_days_text(clock.left, lang)
        blocks.append(html.Div([
            html.Div([html.Span(policy_name(clock.policy_code, lang), className="cmp-clock-name"),
                      _pill(state, tone),
                      html.Span(days, className="small text-muted") if days else None], className="cmp-clock-head"),
            html.Div([html.Div([html.Div(label, className="cmp-fact-label"),
                                html.Div(_dash(value), className="cmp-fact-value")], className="cmp-fact")
                      for label, value in facts], className="cmp-facts"),
            html.P(service.explain(clock.explanation, lang), className="cmp-explanation mb-0"),
        ], className="cmp-clock", **{"data-policy": clock.policy_code}))
    if view.notice_clock is None and view.is_open:
        blocks.append(html.Div(t("complaints.clock.no_notice", lang), className="text-muted small cmp-clock"))
    return blocks


def _status(code: str | None, lang: str) -> str:
    return WORKFLOW.status(code).label(lang) if code in WORKFLOW.by_code else (code or "")


def _name(view: ComplaintPage, ident: Any, lang: str) -> str:
    return view.user_names.get(ident, f"#{ident}") if ident else t("complaints.page.unassigned", lang)


def render_history(view: ComplaintPage, lang: str):
    items = []
    for entry in reversed(view.history):
        head = html.Div([html.Span(_local(entry.at), className="cmp-when"),
                         html.Span(entry.actor or t("complaints.hist.system", lang), className="cmp-who")],
                        className="cmp-tl-head")
        p = entry.payload
        lines: list = []
        if entry.kind == "transition" and entry.from_status is None:
            what = t("complaints.hist.created", lang)
            if p.get("level"):
                lines.append(t("complaints.hist.level", lang, level=t(f"complaints.level.{p['level']}", lang)))
        elif entry.kind == "transition":
            what = t("complaints.hist.transition", lang, frm=_status(entry.from_status, lang),
                     to=_status(entry.to_status, lang))
            if p.get("extension_days"):
                lines.append(t("complaints.hist.extension", lang, days=p["extension_days"],
                               reason=t(f"complaints.reason.{p.get('extension_reason')}", lang)))
            if p.get("outcome"):
                day = p.get("answer_date")
                lines.append(t("complaints.hist.answer", lang, outcome=t(f"complaints.outcome.{p['outcome']}", lang),
                               date=fmt_date(datetime.fromisoformat(day)) if day else "—"))
            if p.get("responsible_id"):
                lines.append(f"{t('complaints.page.f.responsible', lang)}: {_name(view, p['responsible_id'], lang)}")
        elif entry.kind == "assign":
            what = t("complaints.hist.assign", lang, frm=_name(view, p.get("from_responsible_id"), lang),
                     to=_name(view, p.get("to_responsible_id"), lang))
        elif entry.kind == "action" and p.get("action") == "extension_notice":
            what = t("complaints.hist.notice", lang, date=fmt_date(datetime.fromisoformat(p["sent_on"])),
                     channel=t(f"complaints.channel.{p.get('channel')}", lang).lower())
            if p.get("channel_differs"):
                lines.append(t("complaints.hist.notice_differs", lang))
        elif entry.kind == "action" and p.get("action") == "escalated":
            what = t("complaints.hist.escalated", lang, id=p.get("child_id"))
        elif entry.kind == "note":
            what = t("complaints.hist.note", lang)
        else:
            what = t("complaints.hist.action", lang)
        body = [head, html.Div(what, className="cmp-tl-what")]
        body += [html.Div(line, className="cmp-tl-line small") for line in lines]
        if entry.comment:
            body.append(html.Div(entry.comment, className="cmp-tl-comment"))
        items.append(html.Li(body, className=f"cmp-tl-item cmp-tl-{entry.kind}"))
    return html.Ol(items, className="cmp-timeline")


# -- loading the page -------------------------------------------------------------------------------
def _options(choices: list[tuple[int, str]], lang: str, optional: bool = True) -> list[dict[str, str]]:
    """Reviewers to choose from; an optional choice starts with "not assigned" ("none": a select
    cannot offer an empty value next to its placeholder)."""
    none = [{"label": t("complaints.form.none", lang), "value": "none"}] if optional else []
    return none + [{"label": label, "value": str(ident)} for ident, label in choices]


def _fresh_line(session, complaint_id: Any, user, lang: str) -> tuple[str, int | None]:
    ident = service.parse_id(complaint_id)
    fresh = version_of(session, ident, user) if ident is not None else None
    if fresh is None:
        return "", None
    return t("complaints.conflict.fresh", lang, status=_status(fresh[0], lang)), fresh[1]


def failure(error: DomainError, complaint_id: Any, user, lang: str) -> tuple[dbc.Alert, Any, Any]:
    """(the message, the new version store value, the refresh token) after a refused action:
    a conflict shows who changed it, refreshes the page and takes the fresh version; anything
    else only says what is wrong. The form keeps its values either way."""
    if isinstance(error, ConflictError):
        with db() as session:
            line, version = _fresh_line(session, complaint_id, user, lang)
        return (alert([html.Div(error.message(lang), className="fw-semibold"), html.Div(line, className="mt-1")],
                      "warning"), version if version is not None else no_update, refresh_token())
    if isinstance(error, service.FormInvalid):
        return (alert([html.Div(error.message(lang), className="fw-semibold"),
                       html.Ul([html.Li(p.message(lang)) for p in error.problems], className="mb-0 mt-1")], "danger"),
                no_update, no_update)
    return alert(error.message(lang), "danger"), no_update, no_update


@callback(
    Output(ids.HEADER, "children"),
    Output(ids.DUE, "children"),
    Output(ids.DETAILS, "children"),
    Output(ids.CLOCKS, "children"),
    Output(ids.HISTORY, "children"),
    Output(ids.STATE, "data"),
    Output(ids.VERSION, "data"),
    Output(ids.READONLY, "children"),
    Output(ids.REVIEW_CARD, "style"),
    Output(ids.EXT_CARD, "style"),
    Output(ids.NOTICE_CARD, "style"),
    Output(ids.ANSWER_CARD, "style"),
    Output(ids.ESC_CARD, "style"),
    Output(ids.ASSIGN_CARD, "style"),
    Output(ids.REVIEW_RESPONSIBLE, "options"),
    Output(ids.REVIEW_RESPONSIBLE, "value"),
    Output(ids.EXT_HINT, "children"),
    Output(ids.NOTICE_HINT, "children"),
    Output(ids.NOTICE_CHANNEL, "value"),
    Output(ids.NOTICE_DATE, "value"),
    Output(ids.ANSWER_DATE, "value"),
    Output(ids.ESC_RESPONSIBLE, "options"),
    Output(ids.ESC_DATE, "value"),
    Output(ids.ASSIGN_CURRENT, "children"),
    Output(ids.ASSIGN_SELECT, "options"),
    Output(ids.EXT_DAYS, "placeholder"),
    Output(ids.ESC_CHANNEL, "value"),
    Output(ids.BODY, "style"),
    Input(ids.ID, "data"),
    Input(ids.REFRESH, "data"),
)
def load_page(complaint_id, refresh):
    """Everything shown about the complaint. Form values are set on the first load only, so a
    refresh after a refused action never wipes what the user typed."""
    user = require("complaints.read")
    lang = current_lang()
    today = today_local()
    first = not refresh
    ident = service.parse_id(complaint_id)
    with db() as session:
        view = complaint_page(session, ident, user, today) if ident is not None else None
        if view is None:
            message = html.Div([alert(service.not_found(complaint_id).message(lang), "warning"),
                                html.P(t("complaints.page.not_found.hint", lang), className="text-muted mt-2")])
            return (message,) + (None,) * 7 + (HIDDEN,) * 6 + ([], "", None, None, no_update, no_update, no_update,
                                                               [], no_update, None, [], no_update, no_update,
                                                               HIDDEN)
        complaint = service.scoped_complaint(session, user, ident)
        actions = service.actions_for(session, user, complaint)
        reviewers = service.responsible_choices(session) if (actions.review or actions.escalate or actions.assign) else []
    me = str(user.id) if user.role == "reviewer" and any(i == user.id for i, _ in reviewers) else ""
    if not view.is_open:
        readonly = html.Div(t("complaints.form.closed", lang), className="text-muted small cmp-note")
    elif not service.may_act(user, complaint):
        key = "complaints.form.readonly" if user.role == "reviewer" else "complaints.form.readonly_role"
        readonly = html.Div(t(key, lang, who=view.responsible or ""), className="text-muted small cmp-note")
    else:
        readonly = None
    level = view.level_clock
    ext_hint = t("complaints.extend.hint", lang, due=fmt_date(level.due_date) if level else "—",
                 left=actions.remaining_wd)
    notice = view.notice_clock
    notice_hint = t("complaints.notice.hint", lang, due=fmt_date(notice.due_date) if notice else "—",
                    channel=t(f"complaints.channel.{view.channel}.of", lang))
    style = lambda shown: SHOWN if shown else HIDDEN  # noqa: E731
    today_text = fmt_date(today)
    return (
        render_header(view, lang), render_due(view, lang), render_details(view, lang), render_clocks(view, lang),
        render_history(view, lang), {"status": view.status, "channel": view.channel, "level": view.level},
        view.version if first else no_update, readonly,
        style(actions.review), style(actions.extend), style(actions.notice), style(actions.answer),
        style(actions.escalate), style(actions.assign),
        _options(reviewers, lang),
        ((str(view.responsible_id) if view.responsible_id else me) or "none") if first else no_update,
        ext_hint, notice_hint,
        view.channel if first else no_update, today_text if first else no_update, today_text if first else no_update,
        _options(reviewers, lang), today_text if first else no_update,
        t("complaints.assign.current", lang, name=view.responsible or t("complaints.page.unassigned", lang)),
        _options(reviewers, lang, optional=False), f"1–{max(1, actions.remaining_wd)}", None if first else no_update,
        SHOWN,
    )


# -- live helpers ---------------------------------------------------------------------------------
@callback(
    Output(ids.EXT_PREVIEW, "children"),
    Input(ids.EXT_DAYS, "value"),
    State(ids.ID, "data"),
    prevent_initial_call=True,
)
def extension_preview(days, complaint_id):
    """The new answer due date and the notice due date, before extending."""
    user = require("complaints.read")
    lang = current_lang()
    if days in (None, ""):
        return None
    try:
        with db() as session:
            complaint = service.scoped_complaint(session, user, complaint_id)
            preview = service.extension_preview(session, complaint, days, load_context(session))
    except DomainError as error:
        return html.Div(error.message(lang), className="text-danger")
    if preview is None:
        return html.Div(t("reason.extension_range", lang), className="text-danger")
    if preview.used + preview.asked > service.MAX_EXTENSION_WD:
        error = DomainError("extension_too_long", used=preview.used, asked=preview.asked)
        return html.Div(error.message(lang), className="text-danger")
    return html.Div([html.Div(t("complaints.extend.preview", lang, due=fmt_date(preview.due),
                                notice=fmt_date(preview.notice_due)), className="fw-semibold"),
                     html.Div(service.explain(preview.steps, lang), className="cmp-explanation")])


@callback(
    Output(ids.NOTICE_REASON_WRAP, "style"),
    Input(ids.NOTICE_CHANNEL, "value"),
    State(ids.STATE, "data"),
)
def notice_reason_visible(channel, state):
    """The reason field appears only when the notice goes by another channel than the complaint came."""
    require("complaints.read")
    came = (state or {}).get("channel")
    return SHOWN if channel and came and channel != came else HIDDEN


@callback(
    Output(ids.ESC_PREVIEW, "children"),
    Input(ids.ESC_DATE, "value"),
    Input(ids.ESC_TIME, "value"),
    prevent_initial_call=True,
)
def escalation_preview(day, clock):
    require("complaints.read")
    lang = current_lang()
    if not (day or "").strip() or not (clock or "").strip():
        return None
    problems: list[service.Problem] = []
    moment = service.received_moment({"received_date": day, "received_time": clock}, problems, utcnow())
    if moment is None:
        return html.Div(problems[0].message(lang), className="text-danger")
    with db() as session:
        preview = service.registration_preview(load_context(session), moment, "quality_body")
    return html.Div([html.Div(f"{t('complaints.new.preview.registered', lang)}: {fmt_date(preview.registered)} · "
                              f"{t('complaints.new.preview.due', lang)}: {fmt_date(preview.due)}",
                              className="fw-semibold"),
                     html.Div(service.explain(preview.steps, lang), className="cmp-explanation")])


# -- the actions ------------------------------------------------------------------------------------
def _done(text: str) -> dbc.Alert:
    return alert(text, "success")


@callback(
    Output(ids.REVIEW_MSG, "children"),
    Output(ids.FLASH, "children", allow_duplicate=True),
    Output(ids.VERSION, "data", allow_duplicate=True),
    Output(ids.REFRESH, "data", allow_duplicate=True),
    Input(ids.REVIEW_SUBMIT, "n_clicks"),
    State(ids.REVIEW_RESPONSIBLE, "value"),
    State(ids.VERSION, "data"),
    State(ids.ID, "data"),
    prevent_initial_call=True,
)
def submit_review(n_clicks, responsible, version, complaint_id):
    user = require("complaints.act")
    lang = current_lang()
    if not n_clicks:
        return no_update, no_update, no_update, no_update
    try:
        with db() as session:
            change = service.take_into_review(session, user, complaint_id, responsible_id=responsible or None,
                                              expected_version=version)
    except DomainError as error:
        message, new_version, token = failure(error, complaint_id, user, lang)
        return message, None, new_version, token
    return None, _done(t("complaints.review.done", lang)), change.version, refresh_token()


@callback(
    Output(ids.EXT_MSG, "children"),
    Output(ids.FLASH, "children", allow_duplicate=True),
    Output(ids.VERSION, "data", allow_duplicate=True),
    Output(ids.REFRESH, "data", allow_duplicate=True),
    Output(ids.EXT_REASON, "invalid"),
    Output(ids.EXT_DAYS, "invalid"),
    Output(ids.EXT_REASON, "value"),
    Output(ids.EXT_DAYS, "value"),
    Input(ids.EXT_SUBMIT, "n_clicks"),
    State(ids.EXT_REASON, "value"),
    State(ids.EXT_DAYS, "value"),
    State(ids.VERSION, "data"),
    State(ids.ID, "data"),
    prevent_initial_call=True,
)
def submit_extension(n_clicks, reason, days, version, complaint_id):
    """Extend the answer term (only for the rule's reasons, at most 10 wd in total, not after the due date)."""
    user = require("complaints.act")
    lang = current_lang()
    if not n_clicks:
        return (no_update,) * 8
    try:
        with db() as session:
            change = service.extend(session, user, complaint_id, reason, days, expected_version=version)
            complaint = service.scoped_complaint(session, user, complaint_id)
            level = service.level_clock(session, complaint)
            notice = service.notice_clock(session, complaint)
            done = t("complaints.extend.done", lang, due=fmt_date(level.due_date), notice=fmt_date(notice.due_date))
    except DomainError as error:
        message, new_version, token = failure(error, complaint_id, user, lang)
        bad = service.error_fields(error)
        return (message, None, new_version, token, "extension_reason" in bad, "extension_days" in bad,
                no_update, no_update)
    return None, _done(done), change.version, refresh_token(), False, False, "", ""


@callback(
    Output(ids.NOTICE_MSG, "children"),
    Output(ids.FLASH, "children", allow_duplicate=True),
    Output(ids.VERSION, "data", allow_duplicate=True),
    Output(ids.REFRESH, "data", allow_duplicate=True),
    Output(ids.NOTICE_DATE, "invalid"),
    Output(ids.NOTICE_REASON, "invalid"),
    Input(ids.NOTICE_SUBMIT, "n_clicks"),
    State(ids.NOTICE_DATE, "value"),
    State(ids.NOTICE_CHANNEL, "value"),
    State(ids.NOTICE_REASON, "value"),
    State(ids.VERSION, "data"),
    State(ids.ID, "data"),
    prevent_initial_call=True,
)
def submit_notice(n_clicks, sent_on, channel, reason, version, complaint_id):
    """The complainant was told of the extension: closes the 3-working-day notice clock."""
    user = require("complaints.act")
    lang = current_lang()
    if not n_clicks:
        return (no_update,) * 6
    try:
        with db() as session:
            change = service.record_notice(session, user, complaint_id, sent_on, channel, reason,
                                           expected_version=version)
    except DomainError as error:
        message, new_version, token = failure(error, complaint_id, user, lang)
        bad = service.error_fields(error)
        date_bad = "notice_sent_on" in bad or error.code == "invalid_date"
        return message, None, new_version, token, date_bad, "notice_reason" in bad
    return None, _done(t("complaints.notice.done", lang)), change.version, refresh_token(), False, False


@callback(
    Output(ids.ANSWER_MSG, "children"),
    Output(ids.FLASH, "children", allow_duplicate=True),
    Output(ids.VERSION, "data", allow_duplicate=True),
    Output(ids.REFRESH, "data", allow_duplicate=True),
    Output(ids.ANSWER_OUTCOME, "invalid"),
    Output(ids.ANSWER_TEXT, "invalid"),
    Output(ids.ANSWER_DATE, "invalid"),
    Input(ids.ANSWER_SUBMIT, "n_clicks"),
    State(ids.ANSWER_OUTCOME, "value"),
    State(ids.ANSWER_TEXT, "value"),
    State(ids.ANSWER_DATE, "value"),
    State(ids.VERSION, "data"),
    State(ids.ID, "data"),
    prevent_initial_call=True,
)
def submit_answer(n_clicks, outcome, text, answer_date, version, complaint_id):
    """Answer the complaint: stops its clocks on the answer date."""
    user = require("complaints.act")
    lang = current_lang()
    if not n_clicks:
        return (no_update,) * 7
    try:
        with db() as session:
            change = service.answer(session, user, complaint_id, outcome, text, answer_date, expected_version=version)
    except DomainError as error:
        message, new_version, token = failure(error, complaint_id, user, lang)
        bad = service.error_fields(error)
        return (message, None, new_version, token, "outcome" in bad, "answer_text" in bad,
                "answer_date" in bad or error.code == "invalid_date")
    return None, _done(t("complaints.answer.done", lang)), change.version, refresh_token(), False, False, False


@callback(
    Output(ids.ESC_MSG, "children"),
    Output(ids.GO, "href"),
    Input(ids.ESC_SUBMIT, "n_clicks"),
    State(ids.ESC_DATE, "value"),
    State(ids.ESC_TIME, "value"),
    State(ids.ESC_CHANNEL, "value"),
    State(ids.ESC_RESPONSIBLE, "value"),
    State(ids.ESC_SUBJECT, "value"),
    State(ids.ID, "data"),
    prevent_initial_call=True,
)
def submit_escalation(n_clicks, day, clock, channel, responsible, subject, complaint_id):
    """Register the linked quality-body complaint and open it."""
    user = require("complaints.act")
    lang = current_lang()
    if not n_clicks:
        return no_update, no_update
    raw = {"received_date": day, "received_time": clock, "channel": channel, "responsible_id": responsible,
           "subject": subject}
    try:
        with db() as session:
            child = service.escalate(session, user, complaint_id, raw)
            target = f"/complaints/{child.id}"
    except DomainError as error:
        message, _version, _token = failure(error, complaint_id, user, lang)
        return message, no_update
    return _done(t("complaints.new.saved", lang)), target


@callback(
    Output(ids.ASSIGN_MSG, "children"),
    Output(ids.FLASH, "children", allow_duplicate=True),
    Output(ids.VERSION, "data", allow_duplicate=True),
    Output(ids.REFRESH, "data", allow_duplicate=True),
    Input(ids.ASSIGN_SUBMIT, "n_clicks"),
    State(ids.ASSIGN_SELECT, "value"),
    State(ids.VERSION, "data"),
    State(ids.ID, "data"),
    prevent_initial_call=True,
)
def submit_assign(n_clicks, responsible, version, complaint_id):
    user = require("complaints.assign")
    lang = current_lang()
    if not n_clicks:
        return no_update, no_update, no_update, no_update
    try:
        with db() as session:
            change = service.reassign(session, user, complaint_id, responsible, expected_version=version)
            complaint = service.scoped_complaint(session, user, complaint_id)
            name = complaint.responsible.full_name if complaint.responsible else ""
    except DomainError as error:
        message, new_version, token = failure(error, complaint_id, user, lang)
        return message, None, new_version, token
    return None, _done(t("complaints.assign.done", lang, name=name)), change.version, refresh_token()
