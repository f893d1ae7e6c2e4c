"""Application page callbacks: load and show the application; change status, assign, add a note.

Every callback checks the permission first (``require``) and the data layer checks the rest
again (scope, may_act_on, optimistic lock): a callback endpoint can be posted to directly.
The status form keeps what the user typed when a change is refused or conflicts: only the
message, the version and the page sections around the form are refreshed.
"""
from __future__ import annotations

import time
from datetime import date, datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import (
    ALL,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    dcc,
    html,
    no_update,
)
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from callbacks.audit import iin_value, may_reveal
from callbacks.context import current_lang, current_user, db, require, today_local
from callbacks.ids import ApplicationPage as ids
from callbacks.ui import (
    DATEFNS_LOCALE_JS,
    clock_days_text,
    clock_state_label,
    status_badge,
)
from data import application_service as service
from data.config import LOCAL_TZ
from data.errors import ConflictError, DomainError
from data.explain import render as explain
from data.i18n import catalogue, fmt_date, fmt_datetime, t
from data.models import Guarantor
from data.queries.application import (
    ApplicationPage,
    application_page,
    status_and_version,
)
from data.statuses import FIELD_TYPES, WORKFLOWS

HIDDEN = {"display": "none"}
SHOWN: dict[str, str] = {}
TEXTAREA_FIELDS = ("remarks", "comment", "refusal_text", "answer_text")


# -- small formatting helpers ----------------------------------------------------------------
def _local(moment: datetime | None) -> str:
    return fmt_datetime(moment.astimezone(LOCAL_TZ)) if moment else ""


def _dash(value: Any) -> Any:
    return value if value not in (None, "") else "—"


def _policy(code: str | None, lang: str) -> str:
    return t(f"apppage.policy.{code}", lang) if code else ""


def _pill(text: str, tone: str, extra: str = "") -> html.Span:
    return html.Span(text, className=f"status-badge status-{tone} {extra}".strip())


def _alert(text: Any, color: str) -> dbc.Alert:
    return dbc.Alert(text, color=color, className="apppage-alert mb-0", dismissable=False)


def _refresh_token() -> int:
    return time.time_ns() // 1_000_000


def _rows(pairs: list[tuple[str, Any]]) -> html.Dl:
    children = []
    for label, value in pairs:
        children += [html.Dt(label), html.Dd(_dash(value))]
    return html.Dl(children, className="apppage-dl")


# -- sections ----------------------------------------------------------------------------------
def render_header(view: ApplicationPage, lang: str) -> html.Div:
    number = view.registration_number or str(view.id)
    meta = [t(f"kind.{view.kind}", lang)]
    if view.registration_date:
        meta.append(t("apppage.registered", lang, date=fmt_date(view.registration_date)))
    else:
        meta.append(t("apppage.not_registered", lang))
    if view.received_at:
        meta.append(t("apppage.received", lang, moment=_local(view.received_at)))
    meta.append(t("apppage.internal_id", lang, id=view.id))
    return html.Div(
        [
            html.Div([html.H1(t("apppage.title", lang, number=number), className="page-title"),
                      status_badge(view.kind, view.status, lang)], className="apppage-title-row"),
            html.Div(" · ".join(meta), className="text-muted apppage-meta"),
        ]
    )


def render_due(view: ApplicationPage, lang: str) -> dbc.Card:
    clock = view.running_clock
    if clock is not None:
        state_text, tone = clock_state_label(clock.state, clock.met, lang)
        body = [
            html.Div(t("apppage.due.heading", lang) + " · " + _policy(clock.policy_code, lang),
                     className="apppage-due-label"),
            html.Div([html.Span(t("apppage.due.date", lang, date=fmt_date(clock.due_date)), className="apppage-due-date"),
                      _pill(state_text, tone)], className="apppage-due-row"),
            html.Div(clock_days_text(clock.left, lang), className=f"apppage-days apppage-days-{tone}"),
            html.P(explain(clock.explanation, lang), className="apppage-explanation mb-0"),
        ]
        for paused in view.paused_clocks:
            body.append(html.Div(t("apppage.due.paused", lang, policy=_policy(paused.policy_code, lang),
                                   date=fmt_date(paused.paused_since)), className="text-muted small mt-2"))
        return dbc.Card(dbc.CardBody(body), className=f"apppage-card apppage-due-card tone-{tone}")
    body = []
    for paused in view.paused_clocks:
        body.append(html.Div(t("apppage.due.paused", lang, policy=_policy(paused.policy_code, lang),
                               date=fmt_date(paused.paused_since)), className="apppage-due-date-sm"))
        body.append(html.P(explain(paused.explanation, lang), className="apppage-explanation mb-0"))
    if not view.is_open:
        closed_on = fmt_date(view.closed_at.astimezone(LOCAL_TZ)) if view.closed_at else ""
        key = {True: "apppage.closed_on_time", False: "apppage.closed_late"}.get(view.closed_on_time, "apppage.closed")
        body.append(html.Div(t(key, lang, date=closed_on), className="apppage-due-date-sm"))
    if not body:
        body.append(html.Div(t("apppage.due.none", lang), className="apppage-due-date-sm"))
    stopped = [c for c in view.clocks if c.stopped_at is not None]
    if stopped:  # the last term that ran, and whether it was met
        last = max(stopped, key=lambda c: (c.stopped_at, c.id))
        body.append(html.Div(t("apppage.due.last", lang, policy=_policy(last.policy_code, lang),
                                due=fmt_date(last.due_date), stopped=fmt_date(last.stopped_on),
                                state=clock_state_label(last.state, last.met, lang)[0].lower()), className="text-muted small"))
    tone = "red" if not view.is_open and view.closed_on_time is False else "slate"
    return dbc.Card(dbc.CardBody([html.Div(t("apppage.due.heading", lang), className="apppage-due-label")] + body),
                    className=f"apppage-card apppage-due-card tone-{tone}")


def render_details(view: ApplicationPage, lang: str, guarantor_ids: list[int] | None = None) -> html.Div:
    """``guarantor_ids`` (in the order of ``view.guarantors``): given to a user who sees IINs
    masked and may reveal one, each guarantor's IIN gets the logged "show" too."""
    id_label = t("apppage.f.bin" if view.kind == "correction" else "apppage.f.iin", lang)
    applicant = [
        (t("apppage.f.name", lang), view.applicant_name),
        (id_label, iin_value(view.applicant_id_number, "application", view.id, lang)),
        (t("apppage.f.phone", lang), view.applicant_phone),
        (t("field.akimat", lang), view.akimat.get(lang) if view.akimat else None),
    ]
    if view.kind == "rent_to_own":
        applicant += [
            (t("field.category", lang), t(f"apppage.category.{view.category}", lang) if view.category else None),
            (t("apppage.f.family_size", lang), view.family_size),
            (t("apppage.f.consent", lang),
             {True: t("apppage.yes", lang), False: t("apppage.no", lang)}.get(view.consent, t("apppage.unknown", lang))),
        ]
    data = [
        (t("field.registration_number", lang), view.registration_number),
        (t("field.registration_date", lang), fmt_date(view.registration_date)),
        (t("field.received_at", lang), _local(view.received_at)),
    ]
    if view.kind == "correction":
        category = view.reference_label("correction_category", view.correction_category, lang)
        if view.correction_other:
            category = f"{category}: {view.correction_other}"
        data += [
            (t("field.internal_number", lang), view.internal_number),
            (t("field.contract_number", lang), view.contract_number),
            (t("field.contract_date", lang), fmt_date(view.contract_date)),
            (t("field.correction_category", lang), category),
        ]
        if view.agreement_number or view.agreement_date:
            data += [(t("field.agreement_number", lang), view.agreement_number),
                     (t("field.agreement_date", lang), fmt_date(view.agreement_date))]
    else:
        if view.contract_number or view.contract_date:
            data += [(t("field.contract_number", lang), view.contract_number),
                     (t("field.contract_date", lang), fmt_date(view.contract_date))]
        if view.payment_confirmed_at:
            data.append((t("field.payment_confirmed_at", lang), _local(view.payment_confirmed_at)))
    review = [(t("field.reviewer_id", lang), view.reviewer or t("apppage.unassigned", lang))]
    if view.remarks:
        review.append((t("field.remarks", lang), view.remarks))
    if view.revision_due:
        review.append((t("field.revision_due", lang), fmt_date(view.revision_due)))
    if view.refusal_reason:
        review.append((t("field.refusal_reason", lang), view.reference_label("refusal_reason", view.refusal_reason, lang)))
        if view.refusal_text:
            review.append((t("field.refusal_text", lang), view.refusal_text))

    def card(title_key: str, content, wide: bool = False) -> dbc.Card:
        return dbc.Card(dbc.CardBody([html.H2(t(title_key, lang), className="card-title h6 apppage-card-title"),
                                      content]), className="apppage-card" + (" apppage-wide" if wide else ""))

    cards = [
        card("apppage.section.applicant", _rows(applicant)),
        card("apppage.section.contract", _rows(data)),
        card("apppage.section.review", _rows(review), wide=True),
    ]
    if view.kind == "rent_to_own":
        cards += [card("apppage.section.guarantors", _guarantors(view, lang, guarantor_ids)),
                  card("apppage.section.documents", _documents(view, lang))]
    return html.Div(cards, className="apppage-details")


def guarantor_ids(session, view: ApplicationPage, user) -> list[int]:
    """The guarantors' ids in the page's order, for a user who may reveal their masked IINs
    (nobody else needs them: a full or a plain masked IIN is shown as it is)."""
    if view.kind != "rent_to_own" or not view.guarantors or not may_reveal(user):
        return []
    return list(session.scalars(select(Guarantor.id).where(Guarantor.application_id == view.id)
                                .order_by(Guarantor.id)))


def _guarantors(view: ApplicationPage, lang: str, ids_in_order: list[int] | None = None):
    if not view.guarantors:
        return html.Div(t("apppage.no_guarantors", lang), className="text-muted")
    revealable = ids_in_order if ids_in_order and len(ids_in_order) == len(view.guarantors) else None
    rows = []
    for index, (iin, name) in enumerate(view.guarantors):
        shown = iin_value(iin, "guarantor", revealable[index], lang) if revealable else iin
        rows.append(html.Tr([html.Td(shown, className="font-monospace"), html.Td(name)]))
    return html.Table(
        [html.Thead(html.Tr([html.Th(t("apppage.f.iin", lang)), html.Th(t("apppage.f.name", lang))])),
         html.Tbody(rows)],
        className="table table-sm apppage-table mb-0",
    )


def _documents(view: ApplicationPage, lang: str):
    items = []
    for code, provided in view.documents:
        mark, state, tone = {True: ("✓", "apppage.doc.provided", "ok"), False: ("✗", "apppage.doc.missing", "missing")}\
            .get(provided, ("–", "apppage.doc.unknown", "unknown"))
        items.append(html.Li([html.Span(mark, className=f"doc-mark doc-{tone}", **{"aria-hidden": "true"}),
                              html.Span(t(f"apppage.doc.{code}", lang)),
                              html.Span(t(state, lang), className=f"doc-state doc-{tone}")],
                             className="apppage-doc"))
    return html.Ul(items, className="apppage-docs")


def render_clocks(view: ApplicationPage, lang: str):
    if not view.clocks:
        return html.Div(t("apppage.no_clocks", lang), className="empty-state")
    blocks = []
    for clock in view.clocks:
        state_text, tone = clock_state_label(clock.state, clock.met, lang)
        pauses = [
            t("apppage.pause.closed", lang, frm=fmt_date(a), to=fmt_date(b)) if b else
            t("apppage.pause.open", lang, frm=fmt_date(a))
            for a, b in clock.pauses
        ] + [t("apppage.extension", lang, date=fmt_date(d), days=n) for d, n in clock.extensions]
        facts = [
            (t("apppage.clock.started", lang), _local(clock.started_at)),
            (t("apppage.clock.registered", lang), fmt_date(clock.registered_on)),
            (t("apppage.clock.due", lang), fmt_date(clock.due_date)),
            (t("apppage.clock.pauses", lang), "; ".join(pauses)),
            (t("apppage.clock.stopped", lang), _local(clock.stopped_at)),
        ]
        days = clock_days_text(clock.left, lang)
        blocks.append(html.Div(
            [
                html.Div([html.Span(_policy(clock.policy_code, lang), className="clock-name"),
                          html.Span(t("apppage.clock.version", lang, version=clock.policy_version),
                                    className="text-muted small"),
                          _pill(state_text, tone),
                          html.Span(days, className="small text-muted") if days else None],
                         className="clock-head"),
                html.Div([html.Div([html.Div(label, className="clock-fact-label"),
                                    html.Div(_dash(value), className="clock-fact-value")],
                                   className="clock-fact" + (" clock-fact-wide" if index == 3 and len(pauses) > 1
                                                             else ""))
                          for index, (label, value) in enumerate(facts)], className="clock-facts"),
                html.P(explain(clock.explanation, lang), className="apppage-explanation mb-0"),
            ],
            className="clock-item", **{"data-policy": clock.policy_code},
        ))
    return blocks


def _payload_value(view: ApplicationPage, key: str, value: Any, lang: str) -> str | None:
    kind = FIELD_TYPES.get(key)
    if key in ("from_reviewer_id", "to_reviewer_id") or kind == "user":
        return view.user_names.get(value, str(value)) if value else t("apppage.unassigned", lang)
    if kind == "refusal_reason":
        return view.reference_label("refusal_reason", value, lang)
    if kind == "date" and isinstance(value, str):
        try:
            return fmt_date(date.fromisoformat(value[:10]))
        except ValueError:
            return value
    if kind == "datetime" and isinstance(value, str):
        try:
            return _local(datetime.fromisoformat(value))
        except ValueError:
            return value
    return None if value in (None, "") else str(value)


def _entry_fields(view: ApplicationPage, entry, lang: str) -> list:
    known = catalogue()
    shown = []
    for key, value in entry.payload.items():
        if key in ("comment", "remarks", "refusal_text") and value == entry.comment:
            continue
        if key in ("from_reviewer_id", "to_reviewer_id") or f"field.{key}" not in known:
            continue
        text = _payload_value(view, key, value, lang)
        if text:
            shown.append(html.Div([html.Span(t(f"field.{key}", lang) + ": ", className="text-muted"), text],
                                  className="timeline-field"))
    return shown


def render_history(view: ApplicationPage, lang: str):
    if not view.history:
        return html.Div(t("apppage.no_history", lang), className="empty-state")
    items = []
    for entry in reversed(view.history):  # newest first
        who = entry.actor or t("apppage.hist.system", lang)
        head = html.Div([html.Span(_local(entry.at), className="timeline-when"),
                         html.Span(who, className="timeline-who")], className="timeline-head")
        if entry.kind == "transition" and entry.from_status is None:
            what = [html.Span(t("apppage.hist.created", lang), className="timeline-label"), " ",
                    status_badge(view.kind, entry.to_status, lang)]
        elif entry.kind == "transition":
            what = [status_badge(view.kind, entry.from_status, lang), html.Span("→", className="timeline-arrow"),
                    status_badge(view.kind, entry.to_status, lang)]
        elif entry.kind == "assign":
            frm = _payload_value(view, "from_reviewer_id", entry.payload.get("from_reviewer_id"), lang)
            to = _payload_value(view, "to_reviewer_id", entry.payload.get("to_reviewer_id"), lang)
            what = [html.Span(t("apppage.hist.assign", lang, frm=frm, to=to), className="timeline-label")]
        elif entry.kind == "note":
            what = [html.Span(t("apppage.hist.note", lang), className="timeline-label")]
        else:
            what = [html.Span(t("apppage.hist.action", lang), className="timeline-label")]
        body = [head, html.Div(what, className="timeline-what")] + _entry_fields(view, entry, lang)
        if entry.comment:
            body.append(html.Div(entry.comment, className="timeline-comment"))
        if entry.documents:
            body.append(html.Div(t("apppage.hist.documents", lang, names=", ".join(entry.documents)),
                                 className="timeline-docs small text-muted"))
        items.append(html.Li(body, className=f"timeline-item timeline-{entry.kind}"))
    return html.Ol(items, className="timeline")


def render_complaints(view: ApplicationPage, lang: str):
    if not view.complaints:
        return html.Div(t("apppage.no_complaints", lang), className="empty-state")
    rows = []
    for complaint in view.complaints:
        facts = [t(f"apppage.complaint.level.{complaint.level}", lang),
                 t("apppage.complaint.registered", lang, date=fmt_date(complaint.registration_date))]
        if complaint.is_open and complaint.due_date:
            facts.append(t("apppage.complaint.due", lang, date=fmt_date(complaint.due_date)))
        rows.append(html.Li([
            html.Div([dcc.Link(t("apppage.complaint.link", lang, id=complaint.id), href=f"/complaints/{complaint.id}",
                               className="fw-semibold"),
                      status_badge("complaint", complaint.status, lang)], className="complaint-head"),
            html.Div(" · ".join(facts), className="small text-muted"),
            html.Div(complaint.subject, className="complaint-subject small"),
        ], className="complaint-item"))
    return html.Ul(rows, className="complaint-list")


# -- the forms -------------------------------------------------------------------------------
def target_options(view: ApplicationPage, lang: str) -> list[dict[str, str]]:
    offered = service.offered_transitions(view.kind, view.status, bool(view.guarantors))
    workflow = WORKFLOWS[view.kind]
    return [{"label": workflow.status(rule.target).label(lang), "value": rule.target} for rule in offered]


def _field_label(name: str, required: bool, lang: str):
    text = t(f"field.{name}", lang)
    suffix = html.Span(" *", className="text-danger", title="") if required else \
        html.Span(f" ({t('apppage.optional', lang)})", className="text-muted small")
    return dbc.Label([text, suffix], className="fw-semibold mb-1")


def field_input(item: service.FormField, lang: str, reviewers: list[tuple[int, str]],
                reasons: list[tuple[str, str]], me: int | None):
    name = item.name
    if item.type == "date":
        control = dcc.DatePickerSingle(id={"type": ids.FIELD_DATE, "name": name}, display_format="DD.MM.YYYY",
                                       first_day_of_week=1, placeholder=t("apppage.date_placeholder", lang),
                                       clearable=True, className="apppage-date")
    elif item.type == "datetime":
        control = html.Div([
            dcc.DatePickerSingle(id={"type": ids.FIELD_DATE, "name": name}, display_format="DD.MM.YYYY",
                                 first_day_of_week=1, placeholder=t("apppage.date_placeholder", lang),
                                 clearable=True, className="apppage-date"),
            dbc.Input(id={"type": ids.FIELD_TIME, "name": name}, placeholder=t("apppage.time_placeholder", lang),
                      maxLength=5, className="apppage-time", type="text", inputMode="numeric"),
        ], className="apppage-datetime")
    elif item.type == "user":
        options = [{"label": label, "value": str(ident)} for ident, label in reviewers]
        default = str(me) if me and any(ident == me for ident, _ in reviewers) else ""
        control = dbc.Select(id={"type": ids.FIELD, "name": name}, options=options, value=default,
                             placeholder=t("apppage.choose", lang))
    elif item.type == "refusal_reason":
        options = [{"label": label, "value": code} for code, label in reasons]
        control = dbc.Select(id={"type": ids.FIELD, "name": name}, options=options, value="",
                             placeholder=t("apppage.choose", lang))
    elif name in TEXTAREA_FIELDS:
        control = dbc.Textarea(id={"type": ids.FIELD, "name": name}, rows=3, maxLength=4000, value="")
    else:
        control = dbc.Input(id={"type": ids.FIELD, "name": name}, type="text", maxLength=300, value="")
    return html.Div([_field_label(name, item.required, lang), control],
                    id={"type": ids.FIELD_WRAP, "name": name}, className="apppage-field")


def _fresh_line(session, app_id: Any, user, lang: str) -> tuple[str, int | None]:
    ident = service.parse_id(app_id)
    fresh = status_and_version(session, ident, user) if ident is not None else None
    if fresh is None:
        return "", None
    kind, status, version = fresh
    app = service.scoped_application(session, user, ident)
    reviewer = app.reviewer.full_name if app.reviewer else t("apppage.unassigned", lang)
    return t("apppage.conflict.fresh", lang, status=WORKFLOWS[kind].status(status).label(lang),
             reviewer=reviewer), version


def _conflict_alert(error: ConflictError, app_id: Any, user, lang: str) -> tuple[Any, int | None]:
    with db() as session:
        line, version = _fresh_line(session, app_id, user, lang)
    return _alert([html.Div(error.message(lang), className="fw-semibold"), html.Div(line, className="mt-1")],
                  "warning"), version


def _mapped(values: list | None, id_list: list | None) -> dict[str, Any]:
    return {item["name"]: value for item, value in zip(id_list or [], values or [])}


# -- callbacks -------------------------------------------------------------------------------
@callback(
    Output(ids.HEADER, "children"),
    Output(ids.DUE, "children"),
    Output(ids.DETAILS, "children"),
    Output(ids.CLOCKS, "children"),
    Output(ids.HISTORY, "children"),
    Output(ids.COMPLAINTS, "children"),
    Output(ids.STATE, "data"),
    Output(ids.VERSION, "data"),
    Output(ids.STATUS_CARD, "style"),
    Output(ids.STATUS_NOTE, "children"),
    Output(ids.STATUS_FORM, "style"),
    Output(ids.TARGET, "options"),
    Output(ids.ASSIGN_CARD, "style"),
    Output(ids.ASSIGN_CURRENT, "children"),
    Output(ids.ASSIGN_SELECT, "options"),
    Output(ids.NOTE_CARD, "style"),
    Input(ids.APP_ID, "data"),
    Input(ids.REFRESH, "data"),
)
def load_page(app_id, refresh):
    """Everything shown about the application. The version store is set on the first load only:
    afterwards it moves only with the user's own saved changes (or a conflict they were shown)."""
    user = require("applications.read")
    lang = current_lang()
    ident = service.parse_id(app_id)
    with db() as session:
        view = application_page(session, ident, user, today_local()) if ident is not None else None
        if view is None:
            message = html.Div([
                _alert(DomainError("appl_not_found", id=str(app_id or "")[:20]).message(lang), "warning"),
                html.P(t("apppage.not_found.hint", lang), className="text-muted mt-2"),
                dcc.Link(t("apppage.back", lang), href="/"),
            ])
            return (message, None, None, None, None, None, None, no_update, HIDDEN, None, HIDDEN, [], HIDDEN, None,
                    [], HIDDEN)
        can_act = service.may_change_status(user, view)
        reviewers = service.reviewer_choices(session) if service.may_assign(user) else []
        revealable = guarantor_ids(session, view, user)
    offered = target_options(view, lang)
    if can_act and offered:
        status_style, note, form_style = SHOWN, t("apppage.status_form.hint", lang), SHOWN
    elif can_act:
        status_style, note, form_style = SHOWN, t("apppage.status_form.final", lang), HIDDEN
    elif user.role == "reviewer" and view.is_open:
        status_style, form_style = SHOWN, HIDDEN
        note = t("apppage.status_form.cannot_act", lang, reviewer=view.reviewer or t("apppage.unassigned", lang))
    else:
        status_style, note, form_style = HIDDEN, None, HIDDEN
    assign_style = SHOWN if service.may_assign(user) and view.is_open else HIDDEN
    assign_options = [{"label": label, "value": str(ident_)} for ident_, label in reviewers]
    current = t("apppage.assign.current", lang, name=view.reviewer or t("apppage.unassigned", lang))
    note_style = SHOWN if service.may_add_note(user) else HIDDEN
    version = view.version if not refresh else no_update
    return (
        render_header(view, lang), render_due(view, lang), render_details(view, lang, revealable),
        render_clocks(view, lang), render_history(view, lang), render_complaints(view, lang),
        {"kind": view.kind, "status": view.status},
        version, status_style, note, form_style, offered if can_act else [], assign_style, current, assign_options,
        note_style,
    )


@callback(
    Output(ids.FIELDS, "children"),
    Output(ids.STATUS_MSG, "children", allow_duplicate=True),
    Input(ids.TARGET, "value"),
    State(ids.STATE, "data"),
    prevent_initial_call=True,
)
def show_fields(target, state):
    """Exactly the inputs the chosen transition records (required first, then optional). A new
    choice clears the previous message (a reset after a saved change keeps the success note)."""
    user = require("applications.act")
    lang = current_lang()
    if not target or not state:
        return None, no_update
    workflow = WORKFLOWS.get(state.get("kind"))
    rule = workflow.find(state.get("status"), target) if workflow else None
    if rule is None:
        return None, None
    fields = service.form_fields(rule)
    if not fields:
        return html.Div(t("apppage.status_form.no_fields", lang), className="text-muted small"), None
    with db() as session:
        reviewers = service.reviewer_choices(session) if any(f.type == "user" for f in fields) else []
        reasons = service.reference_choices(session, "refusal_reason", lang) \
            if any(f.type == "refusal_reason" for f in fields) else []
    me = user.id if user.role == "reviewer" else None
    return [field_input(item, lang, reviewers, reasons, me) for item in fields], None


@callback(
    Output(ids.STATUS_MSG, "children"),
    Output(ids.VERSION, "data", allow_duplicate=True),
    Output(ids.REFRESH, "data", allow_duplicate=True),
    Output(ids.TARGET, "value"),
    Output({"type": ids.FIELD_WRAP, "name": ALL}, "className"),
    Input(ids.SUBMIT, "n_clicks"),
    State(ids.TARGET, "value"),
    State({"type": ids.FIELD, "name": ALL}, "value"),
    State({"type": ids.FIELD, "name": ALL}, "id"),
    State({"type": ids.FIELD_DATE, "name": ALL}, "date"),
    State({"type": ids.FIELD_DATE, "name": ALL}, "id"),
    State({"type": ids.FIELD_TIME, "name": ALL}, "value"),
    State({"type": ids.FIELD_TIME, "name": ALL}, "id"),
    State({"type": ids.FIELD_WRAP, "name": ALL}, "id"),
    State(ids.VERSION, "data"),
    State(ids.APP_ID, "data"),
    prevent_initial_call=True,
)
def submit_status(n_clicks, target, values, value_ids, dates, date_ids, times, time_ids, wrap_ids, version, app_id):
    """Change the status. Refused or conflicting: the message says why and the form keeps its values."""
    user = require("applications.act")
    lang = current_lang()
    wraps = [w["name"] for w in wrap_ids or []]
    plain = ["apppage-field"] * len(wraps)
    if not n_clicks:
        return no_update, no_update, no_update, no_update, [no_update] * len(wraps)
    if not target:
        return (_alert(t("apppage.status_form.hint", lang), "warning"), no_update, no_update, no_update, plain)
    try:
        with db() as session:
            change = service.change_status(session, user, app_id, target, _mapped(values, value_ids),
                                           dates=_mapped(dates, date_ids), times=_mapped(times, time_ids),
                                           expected_version=version)
    except ConflictError as error:
        alert, fresh_version = _conflict_alert(error, app_id, user, lang)
        return alert, fresh_version if fresh_version is not None else no_update, _refresh_token(), no_update, plain
    except DomainError as error:
        bad = set(service.error_fields(error))
        marked = ["apppage-field is-invalid-field" if name in bad else "apppage-field" for name in wraps]
        return _alert(error.message(lang), "danger"), no_update, no_update, no_update, marked
    done = _alert(t("apppage.status_changed", lang, status=WORKFLOWS[change.kind].status(change.status).label(lang)),
                  "success")
    return done, change.version, _refresh_token(), "", plain


@callback(
    Output(ids.ASSIGN_MSG, "children"),
    Output(ids.VERSION, "data", allow_duplicate=True),
    Output(ids.REFRESH, "data", allow_duplicate=True),
    Input(ids.ASSIGN_SUBMIT, "n_clicks"),
    State(ids.ASSIGN_SELECT, "value"),
    State(ids.VERSION, "data"),
    State(ids.APP_ID, "data"),
    prevent_initial_call=True,
)
def submit_assign(n_clicks, reviewer_id, version, app_id):
    user = require("applications.assign")
    lang = current_lang()
    if not n_clicks:
        return no_update, no_update, no_update
    try:
        with db() as session:
            change = service.assign(session, user, app_id, reviewer_id, expected_version=version)
            application = service.scoped_application(session, user, change.application_id)
            name = application.reviewer.full_name if application.reviewer else ""
    except ConflictError as error:
        alert, fresh_version = _conflict_alert(error, app_id, user, lang)
        return alert, fresh_version if fresh_version is not None else no_update, _refresh_token()
    except DomainError as error:
        return _alert(error.message(lang), "danger"), no_update, no_update
    return _alert(t("apppage.assign.done", lang, name=name), "success"), change.version, _refresh_token()


@callback(
    Output(ids.NOTE_MSG, "children"),
    Output(ids.NOTE_TEXT, "value"),
    Output(ids.REFRESH, "data", allow_duplicate=True),
    Input(ids.NOTE_SUBMIT, "n_clicks"),
    State(ids.NOTE_TEXT, "value"),
    State(ids.APP_ID, "data"),
    prevent_initial_call=True,
)
def submit_note(n_clicks, text, app_id):
    user = current_user()
    if not service.may_add_note(user):
        raise Forbidden()
    lang = current_lang()
    if not n_clicks:
        return no_update, no_update, no_update
    try:
        with db() as session:
            service.note(session, user, app_id, text or "")
    except DomainError as error:
        return _alert(error.message(lang), "danger"), no_update, no_update
    return _alert(t("apppage.note.done", lang), "success"), "", _refresh_token()


clientside_callback(DATEFNS_LOCALE_JS, Output(ids.CALENDAR_READY, "data"), Input(ids.CALENDAR, "data"))
