"""Complaint page: status, both clocks (answer and extension notice) with the explanation of each due
date, complainant and answer, history; forms to take into review, extend, record the notice,
answer, escalate and reassign (each shown only to who may use it; the server checks again)."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from callbacks.context import current_lang
from callbacks.ids import ComplaintPage as ids
from data.complaints import CHANNELS
from data.i18n import t
from data.statuses import EXTENSION_REASONS, OUTCOMES

# Not in the navigation; a high order keeps it after /complaints/new, which is matched first.
def title(complaint_id=None, **_path):
    return t("complaints.tab.complaint", current_lang(), id=str(complaint_id or "")[:12])


dash.register_page(__name__, path_template="/complaints/<complaint_id>", name="complaint", title=title,
                   permission="complaints.read", order=910, nav=False)

HIDDEN = {"display": "none"}


def _section(title_key: str, body_id: str, lang: str) -> dbc.Card:
    return dbc.Card(dbc.CardBody([html.H2(t(title_key, lang), className="card-title h6 cmp-card-title"),
                                  dcc.Loading(html.Div(id=body_id), type="dot")]), className="cmp-card")


def _label(key: str, lang: str, required: bool = True, html_for: str | None = None):
    mark = html.Span(" *", className="text-danger") if required else \
        html.Span(f" ({t('complaints.form.optional', lang)})", className="text-muted small")
    return dbc.Label([t(key, lang), mark], className="fw-semibold mb-1", html_for=html_for)


def _form_card(card_id: str, title_key: str, body: list, submit_id: str, submit_key: str, msg_id: str, lang: str,
               color: str = "primary") -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.H2(t(title_key, lang), className="card-title h6 cmp-card-title"),
        *body,
        dbc.Button(t(submit_key, lang), id=submit_id, color=color, n_clicks=0, className="mt-2"),
        dcc.Loading(html.Div(id=msg_id, className="mt-2", role="status"), type="dot"),
    ]), id=card_id, className="cmp-card cmp-action", style=HIDDEN)


def _date_input(ident: str, lang: str, value: str = "") -> dbc.Input:
    return dbc.Input(id=ident, type="text", value=value, maxLength=10, autoComplete="off", inputMode="numeric",
                     placeholder=t("complaints.form.date_placeholder", lang), className="cmp-date")


def layout(complaint_id=None, **_query):
    lang = current_lang()
    choose = t("complaints.form.choose", lang)
    channels = [{"label": t(f"complaints.channel.{c}", lang), "value": c} for c in CHANNELS]

    review = _form_card(ids.REVIEW_CARD, "complaints.review.title", [
        html.Div(t("complaints.review.hint", lang), className="text-muted small mb-2"),
        _label("complaints.f.responsible_id", lang, required=False, html_for=ids.REVIEW_RESPONSIBLE),
        dbc.Select(id=ids.REVIEW_RESPONSIBLE, options=[], value="none"),
    ], ids.REVIEW_SUBMIT, "complaints.review.submit", ids.REVIEW_MSG, lang)

    extend = _form_card(ids.EXT_CARD, "complaints.extend.title", [
        html.Div(id=ids.EXT_HINT, className="text-muted small mb-2"),
        html.Div([_label("complaints.extend.reason", lang, html_for=ids.EXT_REASON),
                  dbc.Select(id=ids.EXT_REASON, value="", placeholder=choose, options=[
                      {"label": t(f"complaints.reason.{code}", lang), "value": code} for code in EXTENSION_REASONS])],
                 className="cmp-field"),
        html.Div([_label("complaints.extend.days", lang, html_for=ids.EXT_DAYS),
                  dbc.Input(id=ids.EXT_DAYS, type="text", inputMode="numeric", maxLength=3, value="", debounce=False,
                            autoComplete="off",
                            className="cmp-days-input")],
                 className="cmp-field"),
        html.Div(id=ids.EXT_PREVIEW, className="cmp-preview small"),
    ], ids.EXT_SUBMIT, "complaints.extend.submit", ids.EXT_MSG, lang, color="warning")

    notice = _form_card(ids.NOTICE_CARD, "complaints.notice.title", [
        html.Div(id=ids.NOTICE_HINT, className="text-muted small mb-2"),
        html.Div([_label("complaints.notice.sent_on", lang, html_for=ids.NOTICE_DATE),
                  _date_input(ids.NOTICE_DATE, lang)], className="cmp-field"),
        html.Div([_label("complaints.notice.channel", lang),
                  dbc.RadioItems(id=ids.NOTICE_CHANNEL, options=channels, value=None, inline=True)],
                 className="cmp-field"),
        html.Div([_label("complaints.notice.reason", lang, html_for=ids.NOTICE_REASON),
                  dbc.Textarea(id=ids.NOTICE_REASON, rows=2, maxLength=1000, value=""),
                  dbc.FormText(t("complaints.notice.reason.hint", lang))],
                 id=ids.NOTICE_REASON_WRAP, className="cmp-field", style=HIDDEN),
    ], ids.NOTICE_SUBMIT, "complaints.notice.submit", ids.NOTICE_MSG, lang)

    answer = _form_card(ids.ANSWER_CARD, "complaints.answer.title", [
        html.Div([_label("complaints.answer.outcome", lang, html_for=ids.ANSWER_OUTCOME),
                  dbc.Select(id=ids.ANSWER_OUTCOME, value="", placeholder=choose, options=[
                      {"label": t(f"complaints.outcome.{code}", lang), "value": code} for code in OUTCOMES])],
                 className="cmp-field"),
        html.Div([_label("complaints.answer.text", lang, html_for=ids.ANSWER_TEXT),
                  dbc.Textarea(id=ids.ANSWER_TEXT, rows=4, maxLength=4000, value="")], className="cmp-field"),
        html.Div([_label("complaints.answer.date", lang, html_for=ids.ANSWER_DATE),
                  _date_input(ids.ANSWER_DATE, lang),
                  dbc.FormText(t("complaints.answer.date.hint", lang))], className="cmp-field"),
    ], ids.ANSWER_SUBMIT, "complaints.answer.submit", ids.ANSWER_MSG, lang, color="success")

    escalate = _form_card(ids.ESC_CARD, "complaints.escalate.title", [
        html.Div(t("complaints.escalate.hint", lang), className="text-muted small mb-2"),
        dbc.Row([
            dbc.Col([_label("complaints.escalate.date", lang, html_for=ids.ESC_DATE),
                     _date_input(ids.ESC_DATE, lang)], xs=6),
            dbc.Col([_label("complaints.escalate.time", lang, html_for=ids.ESC_TIME),
                     dbc.Input(id=ids.ESC_TIME, type="text", maxLength=5, value="", autoComplete="off",
                               placeholder=t("complaints.form.time_placeholder", lang), inputMode="numeric",
                               className="cmp-time")], xs=6),
        ], className="g-2 cmp-field"),
        html.Div([_label("complaints.f.channel", lang),
                  dbc.RadioItems(id=ids.ESC_CHANNEL, options=channels, value=None, inline=True)],
                 className="cmp-field"),
        html.Div([_label("complaints.f.responsible_id", lang, required=False, html_for=ids.ESC_RESPONSIBLE),
                  dbc.Select(id=ids.ESC_RESPONSIBLE, options=[], value="none")], className="cmp-field"),
        html.Div([_label("complaints.f.subject", lang, required=False, html_for=ids.ESC_SUBJECT),
                  dbc.Textarea(id=ids.ESC_SUBJECT, rows=2, maxLength=4000, value=""),
                  dbc.FormText(t("complaints.escalate.subject.hint", lang))], className="cmp-field"),
        html.Div(id=ids.ESC_PREVIEW, className="cmp-preview small"),
    ], ids.ESC_SUBMIT, "complaints.escalate.submit", ids.ESC_MSG, lang, color="secondary")

    assign = _form_card(ids.ASSIGN_CARD, "complaints.assign.title", [
        html.Div(id=ids.ASSIGN_CURRENT, className="text-muted small mb-2"),
        dbc.Select(id=ids.ASSIGN_SELECT, options=[], value="", placeholder=choose),
    ], ids.ASSIGN_SUBMIT, "complaints.assign.submit", ids.ASSIGN_MSG, lang, color="secondary")

    return dbc.Container([
        dcc.Store(id=ids.ID, data=str(complaint_id or "")),
        dcc.Store(id=ids.VERSION),
        dcc.Store(id=ids.STATE),
        dcc.Store(id=ids.REFRESH, data=0),
        dcc.Location(id=ids.GO, refresh="callback-nav"),
        dcc.Link(t("complaints.page.back", lang), href="/complaints", className="cmp-back small"),
        dcc.Loading(html.Div(id=ids.HEADER, className="cmp-header"), type="dot"),
        dbc.Row([
            dbc.Col([
                html.Div(id=ids.DUE),
                html.Div(id=ids.DETAILS),
                _section("complaints.page.section.clocks", ids.CLOCKS, lang),
                _section("complaints.page.section.history", ids.HISTORY, lang),
            ], lg=8),
            dbc.Col([
                html.Div(id=ids.FLASH, role="status"),
                html.Div(id=ids.READONLY),
                review, extend, notice, answer, escalate, assign,
            ], lg=4, className="cmp-actions"),
        ], className="g-3", id=ids.BODY),
    ], fluid=True, className="page cmp-page")
