"""Register a complaint that arrived on paper or electronically. ``?application=<id>`` (from the
application page and elsewhere) fills in what the complaint is about and the complainant."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from callbacks.context import current_lang, current_user, db, today_local
from callbacks.ids import NewComplaint as ids
from data.complaints import ABOUT, CHANNELS, LEVELS, find_subject, may_register
from data.i18n import fmt_date, t

def title(**_path):
    return t("complaints.tab.new", current_lang())


dash.register_page(__name__, path="/complaints/new", name="new_complaint", title=title, permission="complaints.act",
                   order=41, nav=False)


def _first(value) -> str:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return "" if value is None else str(value)


def layout(application=None, recipient=None, batch=None, **_query):
    lang = current_lang()
    user = current_user()
    if not may_register(user):
        return dbc.Container(dbc.Alert(t("complaints.new.forbidden", lang), color="warning", className="mt-3"),
                             fluid=True, className="page")
    today = today_local()

    # ?application=<id> (or ?recipient= / ?batch=): what the complaint is about, and the complainant
    about, ref, found = "application", "", None
    for name, value in (("application", application), ("recipient", recipient), ("batch", batch)):
        if _first(value).strip():
            about = name
            with db() as session:
                found = find_subject(session, user, name, "#" + _first(value).strip().lstrip("#"))
            ref = (found.label if found and name == "application" and not found.label.startswith("#")
                   else f"#{found.id}" if found else _first(value).strip())
            break

    def field(name, label_key, control, hint=None, required=True, hint_id=None):
        mark = html.Span(" *", className="text-danger") if required else \
            html.Span(f" ({t('complaints.form.optional', lang)})", className="text-muted small")
        parts = [dbc.Label([t(label_key, lang), mark], className="fw-semibold mb-1"), control]
        if hint is not None or hint_id:
            parts.append(dbc.FormText(hint, id=hint_id) if hint_id else dbc.FormText(hint))
        return html.Div(parts, id={"type": ids.WRAP, "name": name}, className="cmp-field")

    def card(title_key, children):
        return dbc.Card(dbc.CardBody([html.H2(t(title_key, lang), className="card-title h6 cmp-card-title")]
                                     + children), className="cmp-card")

    about_card = card("complaints.new.section.about", [
        field("about", "complaints.f.about_kind", dbc.RadioItems(
            id=ids.ABOUT, value=about, inline=True,
            options=[{"label": t(f"complaints.about.{code}.cap", lang), "value": code} for code in ABOUT])),
        field("ref", "complaints.f.ref", html.Div([
            dbc.Input(id=ids.REF, type="text", value=ref, maxLength=60, debounce=True, autoComplete="off",
                      placeholder=t(f"complaints.about.{about}.hint", lang)),
            html.Div(id=ids.REF_FEEDBACK, className="cmp-feedback"),
            dbc.Button(t("complaints.new.prefill", lang), id=ids.PREFILL, color="link", size="sm", n_clicks=0,
                       className="px-0", style={"display": "none"}),
        ])),
    ])
    person = {"id_number": found.person_id_number, "name": found.person_name, "contact": found.person_contact} \
        if found else {}
    complainant_card = card("complaints.new.section.complainant", [
        dbc.Row([
            dbc.Col(field("complainant_id_number", "complaints.f.complainant_id_number", html.Div([
                dbc.Input(id=ids.ID_NUMBER, type="text", inputMode="numeric", maxLength=20, debounce=True,
                          autoComplete="off", className="font-monospace", value=person.get("id_number") or ""),
                html.Div(id=ids.ID_FEEDBACK, className="cmp-feedback")])), md=5),
            dbc.Col(field("complainant_name", "complaints.f.complainant_name",
                          dbc.Input(id=ids.NAME, type="text", maxLength=300, value=person.get("name") or "")), md=7),
        ], className="g-3"),
        field("complainant_contact", "complaints.f.complainant_contact",
              dbc.Input(id=ids.CONTACT, type="text", maxLength=200, value=person.get("contact") or "")),
    ])
    arrival_card = card("complaints.new.section.arrival", [
        dbc.Row([
            dbc.Col(field("received_date", "complaints.f.received_date",
                          dbc.Input(id=ids.RECEIVED_DATE, type="text", maxLength=10, value=fmt_date(today),
                                    debounce=True, autoComplete="off", inputMode="numeric",
                                    placeholder=t("complaints.form.date_placeholder", lang), className="cmp-date")),
                    md=4),
            dbc.Col(field("received_time", "complaints.f.received_time",
                          dbc.Input(id=ids.RECEIVED_TIME, type="text", maxLength=5, debounce=True, autoComplete="off",
                                    inputMode="numeric", placeholder=t("complaints.form.time_placeholder", lang),
                                    className="cmp-time"),
                          t("complaints.new.time_hint", lang)), md=3),
            dbc.Col(field("channel", "complaints.f.channel", dbc.RadioItems(
                id=ids.CHANNEL, value=None, inline=True,
                options=[{"label": t(f"complaints.channel.{c}", lang), "value": c} for c in CHANNELS])), md=5),
        ], className="g-3"),
        field("level", "complaints.f.level", dbc.RadioItems(
            id=ids.LEVEL, value="provider",
            options=[{"label": t(f"complaints.level.{code}.long", lang), "value": code} for code in LEVELS])),
    ])
    subject_card = card("complaints.new.section.subject", [
        field("subject", "complaints.f.subject", dbc.Textarea(id=ids.SUBJECT, rows=4, maxLength=4000, value="")),
        field("responsible_id", "complaints.f.responsible_id",
              dbc.Select(id=ids.RESPONSIBLE, options=[], value="none"),
              t("complaints.new.responsible.me", lang) if user.role == "reviewer" else None, required=False),
    ])
    side = html.Div([
        dbc.Card(dbc.CardBody([
            html.H2(t("complaints.new.preview.title", lang), className="card-title h6 cmp-card-title"),
            dcc.Loading(html.Div(id=ids.PREVIEW), type="dot"),
        ]), className="cmp-card cmp-preview-card"),
        dbc.Button(t("complaints.new.save", lang), id=ids.SAVE, color="primary", size="lg", className="w-100",
                   n_clicks=0),
        dcc.Loading(html.Div(id=ids.MESSAGE, className="mt-3", role="status"), type="dot"),
    ], className="cmp-side")
    return dbc.Container([
        dcc.Link(t("complaints.page.back", lang), href="/complaints", className="cmp-back small"),
        html.Div([html.H1(t("complaints.new.heading", lang), className="page-title"),
                  html.Div(t("complaints.new.intro", lang), className="text-muted")], className="page-head cmp-head"),
        dbc.Row([
            dbc.Col([about_card, complainant_card, arrival_card, subject_card], lg=8),
            dbc.Col(side, lg=4),
        ], className="g-3"),
        dcc.Store(id=ids.LOAD, data=lang),
        dcc.Store(id=ids.PERSON, data=person),
        dcc.Location(id=ids.REDIRECT, refresh="callback-nav"),
    ], fluid=True, className="page cmp-page cmp-new")
