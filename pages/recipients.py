"""/recipients: everyone named by the akimat lists the user may see, with their status (listed,
SMS sent, applied, expired) and the 15-calendar-day application window, in a grid whose rows are
filtered, sorted and paged on the server. URL parameters: ``status``, ``akimat`` (id), ``batch``
(id), ``q`` (see ``data.queries.recipients``)."""
import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from callbacks.context import current_lang, current_user, db
from callbacks.ids import Recipients as ids
from callbacks.recipients import BLOCK, column_defs
from data.access import can
from data.i18n import t
from data.i18n.grid import grid_locale_text
from data.queries.recipients import STATUSES, may_read_iin, parse_filters
from data.statuses import WORKFLOWS


def title():
    return t("listpage.recipients.tab", current_lang())


dash.register_page(__name__, path="/recipients", name="recipients", title=title, permission="recipients.read",
                   order=55)


def _akimat_options(session, user, lang: str) -> list[dict]:
    from sqlalchemy import select

    from data.models import Akimat

    rows = session.execute(select(Akimat.id, Akimat.kato, Akimat.name_kk, Akimat.name_ru).order_by(Akimat.kato))
    return [{"label": f"{ru if lang == 'ru' else kk} ({kato})", "value": str(ident)} for ident, kato, kk, ru in rows]


def layout(**query):
    lang = current_lang()
    user = current_user()
    filters, bad = parse_filters(query)
    iin_ok = may_read_iin(user)
    status_options = [{"label": WORKFLOWS["recipient"].status(code).label(lang), "value": code} for code in STATUSES]
    fields = [
        dbc.Col([dbc.Label(t("listpage.recipients.search", lang), html_for=ids.Q, className="registry-label"),
                 dbc.Input(id=ids.Q, type="search", value=filters.q, debounce=0.4, maxLength=100, autoComplete="off",
                           placeholder=t("listpage.recipients.search_placeholder" if iin_ok else
                                         "listpage.recipients.search_placeholder_masked", lang))], lg=4, md=6),
        dbc.Col([dbc.Label(t("listpage.recipients.status", lang), html_for=ids.STATUS, className="registry-label"),
                 dcc.Dropdown(id=ids.STATUS, options=status_options, value=list(filters.statuses), multi=True,
                              placeholder=t("listpage.recipients.status_placeholder", lang))], lg=3, md=6),
    ]
    if user.role != "akimat":
        with db() as session:
            akimat_options = _akimat_options(session, user, lang)
        fields.append(dbc.Col([dbc.Label(t("listpage.recipients.akimat", lang), html_for=ids.AKIMAT,
                                         className="registry-label"),
                               dcc.Dropdown(id=ids.AKIMAT, options=akimat_options,
                                            value=str(filters.akimat_id) if filters.akimat_id else None,
                                            placeholder=t("listpage.recipients.akimat_placeholder", lang))],
                              lg=3, md=6))
    else:
        fields.append(html.Div(dcc.Dropdown(id=ids.AKIMAT, options=[], value=None), className="d-none"))
    fields.append(dbc.Col([dbc.Label(t("listpage.recipients.batch", lang), html_for=ids.BATCH,
                                     className="registry-label"),
                           dbc.Input(id=ids.BATCH, value=str(filters.batch_id or ""), debounce=True, maxLength=12,
                                     inputMode="numeric", autoComplete="off", invalid="batch" in bad),
                           dbc.FormFeedback(t("listpage.recipients.batch_bad", lang), type="invalid")], lg=2, md=6))
    problems = [html.Div(t("listpage.recipients.bad_param", lang, name=name)) for name in bad if name != "batch"]
    head = html.Div([
        html.H1(t("listpage.recipients.title", lang), className="page-title"),
        html.Span(id=ids.COUNT, className="registry-count"),
        dbc.Button(t("listpage.recipients.reset", lang), id=ids.RESET, color="link", size="sm",
                   className="ms-auto registry-reset"),
    ], className="page-head registry-head d-flex align-items-baseline gap-3")
    grid = dag.AgGrid(
        id=ids.GRID,
        rowModelType="infinite",
        columnDefs=column_defs(lang, iin_ok, akimat_column=user.role != "akimat",
                               open_applications=can(user, "applications.read")),
        defaultColDef={"resizable": True, "sortable": False, "suppressHeaderMenuButton": True},
        getRowId="params.data.id",
        dashGridOptions={
            "localeText": grid_locale_text(lang),
            "cacheBlockSize": BLOCK,
            "maxBlocksInCache": 50,
            "maxConcurrentDatasourceRequests": 1,
            "infiniteInitialRowCount": 1,
            "blockLoadDebounceMillis": 60,
            "suppressMultiSort": True,
            "tooltipShowDelay": 400,
            "animateRows": False,
        },
        style={"height": "calc(100vh - 300px)", "minHeight": "420px", "width": "100%"},
        className="recipients-grid",
    )
    return dbc.Container([
        head,
        dbc.Card(dbc.CardBody(dbc.Row(fields, className="g-3 align-items-start")), className="registry-filters"),
        html.Div(problems, className="registry-problems", role="status"),
        html.Div(id=ids.REVEAL, className="recipients-reveal", role="status"),
        grid,
        html.Div([t("listpage.recipients.legend", lang), " ",
                  t("listpage.recipients.legend_links" if can(user, "applications.read")
                    else "listpage.recipients.legend_batch", lang),
                  " " + t("listpage.recipients.legend_reveal", lang) if can(user, "iin.reveal") else ""],
                 className="registry-legend text-muted"),
        dcc.Store(id=ids.FILTERS, data=filters.as_params()),
        dcc.Location(id=ids.GO, refresh="callback-nav"),
        dcc.Store(id=ids.LINKS, data={"applications": can(user, "applications.read")}),
    ], fluid=True, className="page registry-page recipients-page")
