"""/lists: upload an akimat's tenant list (drag and drop, progress, result) and the batches sent,
with the 2-working-day ``list_upload`` clock of each. Akimat users see and upload only their own
akimat's lists; KTK staff with ``lists.upload`` pick the akimat."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from callbacks.context import current_lang, current_user, db, today_local
from callbacks.ids import Lists as ids
from callbacks.lists import batch_table, count_text
from data.access import can
from data.i18n import t
from data.imports import Limits
from data.queries.lists import (
    BATCH_STATUSES,
    batch_akimats,
    list_batches,
    upload_akimats,
)


def title():
    return t("listpage.tab", current_lang())


dash.register_page(__name__, path="/lists", name="lists", title=title, permission="lists.read", order=50)


def _akimat_label(kato: str, kk: str, ru: str, lang: str) -> str:
    return f"{ru if lang == 'ru' else kk} ({kato})"


def upload_card(session, user, lang: str):
    akimats = upload_akimats(session, user)
    fixed = user.role == "akimat"
    limit = Limits.from_env().max_bytes
    limit_mb = f"{limit / (1024 * 1024):.0f}"
    options = [{"label": _akimat_label(kato, kk, ru, lang), "value": str(ident)} for ident, kato, kk, ru in akimats]
    picker = dbc.Select(id=ids.AKIMAT, options=options, value=options[0]["value"] if fixed and options else None,
                        placeholder=t("listpage.upload.akimat_pick", lang), disabled=fixed,
                        className="lists-akimat-select")
    texts = {
        "data-url": "/files/lists/upload",
        "data-accept": ".xlsx,.xls,.csv",
        "data-max-bytes": str(limit),
        "data-sending": t("listpage.upload.sending", lang, name="{name}"),
        "data-checking": t("listpage.upload.checking", lang),
        "data-failed": t("listpage.upload.failed", lang),
        "data-pick-akimat": t("listpage.upload.pick_akimat_first", lang),
        "data-too-large": t("listpage.upload.too_large", lang, limit_mb=limit_mb),
        "data-one-file": t("listpage.upload.one_file", lang),
    }
    drop = html.Div(
        [
            html.Div("⇪", className="lists-drop-icon", **{"aria-hidden": "true"}),
            html.Div(t("listpage.upload.drop", lang), className="lists-drop-text"),
            html.Div(t("listpage.upload.formats", lang, limit_mb=limit_mb), className="lists-drop-hint"),
            html.Span(t("listpage.upload.choose", lang), className="btn btn-outline-primary btn-sm mt-2"),
        ],
        id=ids.DROP, className="lists-drop", tabIndex="0", role="button", **texts,
    )
    return dbc.Card(dbc.CardBody([
        html.H2(t("listpage.upload.title", lang), className="h6 lists-card-title"),
        dbc.Row([
            dbc.Col([dbc.Label(t("listpage.upload.akimat", lang), html_for=ids.AKIMAT, className="lists-label"),
                     picker,
                     html.Div(t("listpage.upload.akimat_fixed", lang), className="text-muted small mt-1")
                     if fixed else None], lg=5, md=12),
            dbc.Col([drop,
                     html.Div(html.Div(id=ids.PROGRESS_BAR, className="progress-bar", role="progressbar",
                                       style={"width": "0%"}, **{"aria-valuemin": "0", "aria-valuemax": "100",
                                                                  "aria-valuenow": "0"}),
                              id=ids.PROGRESS, className="progress mt-2 d-none lists-progress"),
                     html.Div(id=ids.STATUS, className="list-upload-status", role="status")], lg=7, md=12),
        ], className="g-3"),
        dcc.Loading(html.Div(id=ids.RESULT, className="mt-3"), type="dot"),
    ]), className="lists-card lists-upload")


def layout(**_query):
    lang = current_lang()
    user = current_user()
    with db() as session:
        found = list_batches(session, user, today_local())
        akimats = batch_akimats(session, user)
        upload = upload_card(session, user, lang) if can(user, "lists.upload") else None
    filters = [
        dbc.Col(dbc.Select(id=ids.FILTER_STATUS, value="all", options=[
            {"label": t("listpage.batches.all_statuses", lang), "value": "all"},
            *({"label": t(f"import.status.{s}", lang), "value": s} for s in BATCH_STATUSES)]), width="auto"),
    ]
    if user.role != "akimat":
        filters.insert(0, dbc.Col(dbc.Select(id=ids.FILTER_AKIMAT, value="all", options=[
            {"label": t("listpage.batches.all_akimats", lang), "value": "all"},
            *({"label": _akimat_label(kato, kk, ru, lang), "value": str(ident)} for ident, kato, kk, ru in akimats)],
            className="lists-filter-akimat"), width="auto"))
    else:
        filters.insert(0, html.Div(dbc.Select(id=ids.FILTER_AKIMAT, value="", options=[]), className="d-none"))
    batches = dbc.Card(dbc.CardBody([
        html.Div([html.H2(t("listpage.batches.title", lang), className="h6 lists-card-title mb-0"),
                  html.Span(count_text(len(found.rows), found.total, lang), id=ids.COUNT, className="lists-total"),
                  dbc.Row(filters, className="g-2 ms-auto")],
                 className="d-flex align-items-center gap-3 mb-2 flex-wrap"),
        dcc.Loading(html.Div(batch_table(found.rows, lang, user.role != "akimat"), id=ids.TABLE), type="dot", delay_show=300),
        html.Div(t("listpage.days.legend", lang), className="text-muted small"),
    ]), className="lists-card")
    return dbc.Container([
        html.Div([html.H1(t("listpage.title", lang), className="page-title")], className="page-head"),
        html.P(t("listpage.intro", lang), className="text-muted lists-intro"),
        upload,
        batches,
        dcc.Store(id=ids.UPLOADED),  # the upload's answer (also refreshes the batch list)
    ], fluid=True, className="page lists-page")
