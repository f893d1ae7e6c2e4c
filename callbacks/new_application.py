"""New application callbacks: options, kind switch, live registration preview, IIN/BIN and
duplicate check, guarantor rows, save (then open the application's page)."""
from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import (
    ALL,
    Input,
    Output,
    Patch,
    State,
    callback,
    clientside_callback,
    dcc,
    html,
    no_update,
)

from callbacks.context import current_lang, db, require
from callbacks.ids import NewApplication as ids
from callbacks.ui import DATEFNS_LOCALE_JS, status_badge
from data import application_service as service
from data.clocks import load_context
from data.errors import DomainError
from data.explain import render as explain
from data.i18n import fmt_date, t
from data.models import utcnow

HIDDEN = {"display": "none"}
SHOWN: dict[str, str] = {}


def _alert(children: Any, color: str) -> dbc.Alert:
    return dbc.Alert(children, color=color, className="apppage-alert mb-0")


@callback(
    Output(ids.AKIMAT, "options"),
    Output(ids.CORR_CATEGORY, "options"),
    Input(ids.LOAD, "data"),
)
def fill_options(_load):
    require("applications.create")
    lang = current_lang()
    with db() as session:
        akimats = service.akimat_choices(session, lang)
        categories = service.reference_choices(session, "correction_category", lang)
    return ([{"label": name, "value": ident} for ident, name in akimats],
            [{"label": label, "value": code} for code, label in categories])


@callback(
    Output(ids.CORRECTION, "style"),
    Output(ids.RENT, "style"),
    Output(ids.ID_LABEL, "children"),
    Output(ids.REG_NUMBER_HINT, "children"),
    Output(ids.AKIMAT_HINT, "children"),
    Output(ids.AKIMAT_MARK, "children"),
    Output(ids.REG_NUMBER_MARK, "children"),
    Input(ids.KIND, "value"),
)
def switch_kind(kind):
    """Correction: BIN, contract and category, registration number required. Rent-to-own: IIN,
    akimat, category, family, consent, documents, guarantors."""
    require("applications.create")
    lang = current_lang()
    correction = kind == "correction"
    return (
        SHOWN if correction else HIDDEN,
        HIDDEN if correction else SHOWN,
        t(service.id_label_key(kind), lang),
        None if correction else t("newapp.number_hint_rent", lang),
        t("newapp.akimat_hint_correction", lang) if correction else None,
        None if correction else " *",
        " *" if correction else None,
    )


def preview_block(preview: service.Preview, lang: str) -> html.Div:
    return html.Div([
        html.Div([html.Div(t("newapp.preview.registered", lang), className="clock-fact-label"),
                  html.Div(fmt_date(preview.registered), className="newapp-preview-date", id="newapp-preview-registered")],
                 className="clock-fact"),
        html.Div([html.Div(t("newapp.preview.due", lang), className="clock-fact-label"),
                  html.Div(fmt_date(preview.due), className="newapp-preview-date", id="newapp-preview-due")],
                 className="clock-fact"),
        html.P(explain(preview.steps, lang), className="apppage-explanation mb-0 mt-2"),
    ], className="newapp-preview-body")


@callback(
    Output(ids.PREVIEW, "children"),
    Input(ids.RECEIVED_DATE, "date"),
    Input(ids.RECEIVED_TIME, "value"),
)
def show_preview(received_date, received_time):
    """The registration day by the rule and the review due date, live, before saving."""
    require("applications.create")
    lang = current_lang()
    if not received_date or not (received_time or "").strip():
        return html.Div(t("newapp.preview.empty", lang), className="text-muted small")
    problems: list[service.Problem] = []
    moment = service.received_moment({"received_date": received_date, "received_time": received_time}, problems,
                                      utcnow())
    if moment is None:
        return html.Div(problems[0].message(lang) if problems else t("newapp.preview.empty", lang),
                        className="text-danger small")
    with db() as session:
        preview = service.registration_preview(load_context(session), moment)
    return preview_block(preview, lang)


def duplicates_block(duplicates: list[service.Duplicate], lang: str):
    if not duplicates:
        return None
    items = []
    for dup in duplicates:
        items.append(html.Li([
            dcc.Link(t("newapp.dup.item", lang, number=dup.registration_number or dup.application_id,
                       date=fmt_date(dup.registration_date) or "—", reason=t(f"newapp.dup.{dup.reason}", lang)),
                     href=f"/applications/{dup.application_id}", target="_blank"),
            " ", status_badge(dup.kind, dup.status, lang),
        ]))
    return _alert([html.Div(t("newapp.dup.title", lang), className="fw-semibold"), html.Ul(items, className="mb-1"),
                   html.Div(t("newapp.dup.hint", lang), className="small")], "warning")


@callback(
    Output(ids.ID_FEEDBACK, "children"),
    Output(ids.DUPLICATES, "children"),
    Output(ids.OVERRIDE_BOX, "style"),
    Output(ids.OVERRIDE, "value"),
    Input(ids.ID_NUMBER, "value"),
    Input(ids.KIND, "value"),
    Input(ids.REG_NUMBER, "value"),
)
def check_identity(id_number, kind, registration_number):
    """IIN/BIN check digit and duplicates as soon as the number is entered. Any change of the
    number unticks the override: it must be given for the duplicates now shown."""
    require("applications.create")
    lang = current_lang()
    feedback = None
    number = None
    if (id_number or "").strip():
        number, problem = service.check_id_number(id_number, kind)
        feedback = html.Div(problem.message(lang), className="text-danger small") if problem else \
            html.Div("✓ " + t("newapp.id_ok", lang, label=t(service.id_label_key(kind), lang)),
                     className="text-success small")
    with db() as session:
        duplicates = service.find_duplicates(session, kind, number, (registration_number or "").strip() or None)
    return feedback, duplicates_block(duplicates, lang), SHOWN if duplicates else HIDDEN, False


@callback(
    Output(ids.GUARANTORS, "children"),
    Output(ids.ADD_GUARANTOR, "disabled"),
    Input(ids.ADD_GUARANTOR, "n_clicks"),
    prevent_initial_call=True,
)
def add_guarantor(n_clicks):
    """Append one guarantor row (what was typed in the others stays), up to the maximum."""
    require("applications.create")
    lang = current_lang()
    if not n_clicks or n_clicks > service.MAX_GUARANTORS:
        return no_update, True
    position = n_clicks
    rows = Patch()
    if position == 1:
        rows.clear()
    rows.append(html.Div(
        dbc.Row([
            dbc.Col([dbc.Label(f"{position}. " + t("newapp.guarantor.iin", lang), className="small mb-1"),
                     dbc.Input(id={"type": ids.GUARANTOR_IIN, "index": position}, type="text", inputMode="numeric",
                               maxLength=20, className="font-monospace")], md=5),
            dbc.Col([dbc.Label(t("newapp.guarantor.name", lang), className="small mb-1"),
                     dbc.Input(id={"type": ids.GUARANTOR_NAME, "index": position}, type="text", maxLength=300)], md=7),
        ], className="g-2"),
        id={"type": ids.WRAP, "name": f"guarantor_{position}"}, className="newapp-field newapp-guarantor",
    ))
    return rows, position >= service.MAX_GUARANTORS


def form_values(kind, id_number, name, phone, akimat, received_date, received_time, registration_number,
                internal_number, contract_number, contract_date, correction_category, correction_other, category,
                family_size, consent, documents, guarantor_iins, guarantor_iin_ids, guarantor_names,
                guarantor_name_ids) -> dict[str, Any]:
    names = {item["index"]: value for item, value in zip(guarantor_name_ids or [], guarantor_names or [])}
    guarantors = [(value, names.get(item["index"], ""))
                  for item, value in sorted(zip(guarantor_iin_ids or [], guarantor_iins or []),
                                            key=lambda pair: pair[0]["index"])]
    return {
        "kind": kind, "id_number": id_number, "applicant_name": name, "phone": phone, "akimat_id": akimat,
        "received_date": received_date, "received_time": received_time,
        "registration_number": registration_number, "internal_number": internal_number,
        "contract_number": contract_number, "contract_date": contract_date,
        "correction_category": correction_category, "correction_other": correction_other, "category": category,
        "family_size": family_size, "consent": bool(consent), "documents": documents or [],
        "guarantors": guarantors,
    }


@callback(
    Output(ids.MESSAGE, "children"),
    Output(ids.REDIRECT, "href"),
    Output({"type": ids.WRAP, "name": ALL}, "className"),
    Output(ids.DUPLICATES, "children", allow_duplicate=True),
    Output(ids.OVERRIDE_BOX, "style", allow_duplicate=True),
    Input(ids.SAVE, "n_clicks"),
    State(ids.KIND, "value"),
    State(ids.ID_NUMBER, "value"),
    State(ids.NAME, "value"),
    State(ids.PHONE, "value"),
    State(ids.AKIMAT, "value"),
    State(ids.RECEIVED_DATE, "date"),
    State(ids.RECEIVED_TIME, "value"),
    State(ids.REG_NUMBER, "value"),
    State(ids.INTERNAL_NUMBER, "value"),
    State(ids.CONTRACT_NUMBER, "value"),
    State(ids.CONTRACT_DATE, "date"),
    State(ids.CORR_CATEGORY, "value"),
    State(ids.CORR_OTHER, "value"),
    State(ids.CATEGORY, "value"),
    State(ids.FAMILY, "value"),
    State(ids.CONSENT, "value"),
    State(ids.DOCUMENTS, "value"),
    State({"type": ids.GUARANTOR_IIN, "index": ALL}, "value"),
    State({"type": ids.GUARANTOR_IIN, "index": ALL}, "id"),
    State({"type": ids.GUARANTOR_NAME, "index": ALL}, "value"),
    State({"type": ids.GUARANTOR_NAME, "index": ALL}, "id"),
    State({"type": ids.WRAP, "name": ALL}, "id"),
    State(ids.OVERRIDE, "value"),
    prevent_initial_call=True,
)
def save(n_clicks, kind, id_number, name, phone, akimat, received_date, received_time, registration_number,
         internal_number, contract_number, contract_date, correction_category, correction_other, category,
         family_size, consent, documents, guarantor_iins, guarantor_iin_ids, guarantor_names, guarantor_name_ids,
         wrap_ids, override):
    """Register the application and open its page; otherwise say exactly what to fix (nothing typed is lost)."""
    user = require("applications.create")
    lang = current_lang()
    wraps = [w["name"] for w in wrap_ids or []]
    plain = ["newapp-field"] * len(wraps)
    if not n_clicks:
        return no_update, no_update, [no_update] * len(wraps), no_update, no_update
    raw = form_values(kind, id_number, name, phone, akimat, received_date, received_time, registration_number,
                      internal_number, contract_number, contract_date, correction_category, correction_other,
                      category, family_size, consent, documents, guarantor_iins, guarantor_iin_ids, guarantor_names,
                      guarantor_name_ids)
    try:
        with db() as session:
            application = service.register_new_application(session, user, raw, override_duplicates=bool(override))
            target = f"/applications/{application.id}"
    except service.FormInvalid as error:
        bad = error.check.fields()
        marked = ["newapp-field is-invalid-field" if name_ in bad else "newapp-field" for name_ in wraps]
        message = _alert([html.Div(error.message(lang), className="fw-semibold"),
                          html.Ul([html.Li(p.message(lang)) for p in error.check.problems], className="mb-0 mt-1")],
                         "danger")
        return message, no_update, marked, no_update, no_update
    except service.DuplicatesFound as error:
        return (_alert(error.message(lang), "warning"), no_update, plain,
                duplicates_block(error.check.duplicates, lang), SHOWN)
    except DomainError as error:
        return _alert(error.message(lang), "danger"), no_update, plain, no_update, no_update
    return _alert(t("newapp.saved", lang), "success"), target, plain, no_update, no_update


clientside_callback(DATEFNS_LOCALE_JS, Output(ids.CALENDAR_READY, "data"), Input(ids.CALENDAR, "data"))
