"""New application: register an application that arrived on paper or by e-mail."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from callbacks.context import current_lang, today_local
from callbacks.ids import NewApplication as ids
from callbacks.ui import calendar_locale
from data.i18n import t
from data.statuses import CATEGORIES, DOCUMENT_CHECKLIST

dash.register_page(__name__, path="/applications/new", name="new_application", title="ҚТК",
                   permission="applications.create", order=15)


def layout(**_query):
    lang = current_lang()
    today = today_local()

    def field(name, label, control, hint=None, required=False, hint_id=None, mark_id=None, after=None):
        if mark_id:
            mark = html.Span(id=mark_id, className="text-danger")
        else:
            mark = html.Span(" *", className="text-danger") if required else None
        parts = [dbc.Label([label, mark], className="fw-semibold mb-1"), control] if label else [control]
        if hint is not None or hint_id:
            parts.append(dbc.FormText(hint, id=hint_id, className="d-block") if hint_id
                         else dbc.FormText(hint, className="d-block"))
        if after is not None:
            parts.append(after)
        return html.Div(parts, id={"type": ids.WRAP, "name": name}, className="newapp-field")

    def card(title_key, children, **kwargs):
        return dbc.Card(dbc.CardBody([html.H2(t(title_key, lang), className="card-title h6 apppage-card-title")]
                                     + children), className="apppage-card", **kwargs)

    def picker(ident, max_date=None, date=None):
        return dcc.DatePickerSingle(id=ident, display_format="DD.MM.YYYY", first_day_of_week=1,
                                    placeholder=t("apppage.date_placeholder", lang), max_date_allowed=max_date,
                                    date=date, clearable=True, className="apppage-date")

    kind_card = card("newapp.section.kind", [
        field("kind", None, dbc.RadioItems(
            id=ids.KIND, value="rent_to_own", className="newapp-kind",
            options=[{"label": t("newapp.kind.rent_to_own", lang), "value": "rent_to_own"},
                     {"label": t("newapp.kind.correction", lang), "value": "correction"}])),
    ])
    applicant_card = card("newapp.section.applicant", [
        dbc.Row([
            dbc.Col(field("id_number", html.Span(t("newapp.iin", lang), id=ids.ID_LABEL),
                          dbc.Input(id=ids.ID_NUMBER, type="text", inputMode="numeric", maxLength=20,
                                    debounce=True, autoComplete="off", className="font-monospace"),
                          t("newapp.id_hint", lang), required=True,
                          after=html.Div(id=ids.ID_FEEDBACK, className="newapp-id-feedback")), md=5),
            dbc.Col(field("applicant_name", t("newapp.field.applicant_name", lang),
                          dbc.Input(id=ids.NAME, type="text", maxLength=300), required=True), md=7),
        ], className="g-3"),
        dbc.Row([
            dbc.Col(field("phone", t("newapp.field.phone", lang),
                          dbc.Input(id=ids.PHONE, type="tel", maxLength=30), t("newapp.phone_hint", lang)), md=5),
            dbc.Col(field("akimat_id", t("newapp.field.akimat_id", lang),
                          dcc.Dropdown(id=ids.AKIMAT, options=[], placeholder=t("apppage.choose", lang),
                                       searchable=True, clearable=True, className="newapp-dropdown",
                                       labels={k: t(f"apppage.dd.{k}", lang) for k in (
                                           "search", "clear_search", "clear_selection", "no_options_found",
                                           "select_all", "deselect_all", "selected_count")}),
                          hint_id=ids.AKIMAT_HINT, mark_id=ids.AKIMAT_MARK), md=7),
        ], className="g-3 mt-0"),
    ])
    arrival_card = card("newapp.section.arrival", [
        dbc.Row([
            dbc.Col(field("received_date", t("newapp.field.received_date", lang),
                          picker(ids.RECEIVED_DATE, max_date=today.isoformat(), date=today.isoformat()),
                          required=True), md=4),
            dbc.Col(field("received_time", t("newapp.field.received_time", lang),
                          dbc.Input(id=ids.RECEIVED_TIME, type="text", inputMode="numeric", maxLength=5,
                                    placeholder=t("apppage.time_placeholder", lang), debounce=True,
                                    className="apppage-time"),
                          t("newapp.time_hint", lang), required=True), md=3),
            dbc.Col(field("registration_number", t("newapp.field.registration_number", lang),
                          dbc.Input(id=ids.REG_NUMBER, type="text", maxLength=40, debounce=True),
                          hint_id=ids.REG_NUMBER_HINT, mark_id=ids.REG_NUMBER_MARK), md=5),
        ], className="g-3"),
    ])
    correction_card = card("newapp.section.contract", [
        dbc.Row([
            dbc.Col(field("contract_number", t("newapp.field.contract_number", lang),
                          dbc.Input(id=ids.CONTRACT_NUMBER, type="text", maxLength=60), required=True), md=5),
            dbc.Col(field("contract_date", t("newapp.field.contract_date", lang),
                          picker(ids.CONTRACT_DATE, max_date=today.isoformat()), required=True), md=3),
            dbc.Col(field("internal_number", t("newapp.field.internal_number", lang),
                          dbc.Input(id=ids.INTERNAL_NUMBER, type="text", maxLength=40),
                          t("apppage.optional", lang).capitalize()), md=4),
        ], className="g-3"),
        dbc.Row([
            dbc.Col(field("correction_category", t("newapp.field.correction_category", lang),
                          dbc.Select(id=ids.CORR_CATEGORY, options=[], value="",
                                     placeholder=t("apppage.choose", lang)), required=True), md=5),
            dbc.Col(field("correction_other", t("newapp.field.correction_other", lang),
                          dbc.Input(id=ids.CORR_OTHER, type="text", maxLength=300)), md=7),
        ], className="g-3 mt-0"),
    ], id=ids.CORRECTION, style={"display": "none"})
    rent_card = html.Div([
        card("newapp.section.rent", [
            dbc.Row([
                dbc.Col(field("category", t("newapp.field.category", lang), dbc.Select(
                    id=ids.CATEGORY, value="", placeholder=t("apppage.choose", lang),
                    options=[{"label": t(f"apppage.category.{c}", lang), "value": c} for c in CATEGORIES]),
                    required=True), md=7),
                dbc.Col(field("family_size", t("newapp.field.family_size", lang),
                              dbc.Input(id=ids.FAMILY, type="text", inputMode="numeric", maxLength=2),
                              required=True), md=5),
            ], className="g-3"),
            field("consent", t("newapp.field.consent", lang), html.Div([
                dbc.Checkbox(id=ids.CONSENT, value=False, label=t("newapp.consent.label", lang)),
                dbc.FormText(t("newapp.consent.warning", lang)),
            ])),
        ]),
        card("newapp.section.documents", [
            dbc.Checklist(id=ids.DOCUMENTS, value=[],
                          options=[{"label": t(f"apppage.doc.{code}", lang), "value": code} for code in DOCUMENT_CHECKLIST]),
        ]),
        card("newapp.section.guarantors", [
            html.Div(html.Div(t("newapp.guarantor.none", lang), className="text-muted small newapp-guarantor-empty"),
                     id=ids.GUARANTORS),
            dbc.Button(t("newapp.guarantor.add", lang), id=ids.ADD_GUARANTOR, color="link", n_clicks=0,
                       className="px-0"),
        ]),
    ], id=ids.RENT)
    side = html.Div([
        dbc.Card(dbc.CardBody([
            html.H2(t("newapp.preview.title", lang), className="card-title h6 apppage-card-title"),
            dcc.Loading(html.Div(id=ids.PREVIEW), type="dot"),
        ]), className="apppage-card newapp-preview"),
        html.Div(id=ids.DUPLICATES),
        html.Div(dbc.Checkbox(id=ids.OVERRIDE, value=False, label=t("newapp.dup.override", lang)),
                 id=ids.OVERRIDE_BOX, style={"display": "none"}, className="newapp-override"),
        dbc.Button(t("newapp.save", lang), id=ids.SAVE, color="primary", size="lg", className="w-100 mt-3",
                   n_clicks=0),
        dcc.Loading(html.Div(id=ids.MESSAGE, className="mt-3"), type="dot"),
    ], className="newapp-side")
    return dbc.Container(
        [
            html.Div([html.H1(t("newapp.heading", lang), className="page-title"),
                      html.Div(t("newapp.intro", lang), className="text-muted")], className="page-head"),
            dbc.Row([
                dbc.Col([kind_card, applicant_card, arrival_card, correction_card, rent_card], lg=8),
                dbc.Col(side, lg=4),
            ], className="g-3"),
            dcc.Store(id=ids.LOAD, data=lang),
            dcc.Store(id=ids.CALENDAR, data=calendar_locale(lang)),
            dcc.Store(id=ids.CALENDAR_READY),
            dcc.Location(id=ids.REDIRECT, refresh="callback-nav"),
        ],
        fluid=True,
        className="page newapp",
    )
