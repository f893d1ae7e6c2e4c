"""Overview callbacks: KPI cards, charts, failing-job warnings; a click on a bar opens the registry.

Thin: the numbers come from ``data.queries.overview.overview`` (scoped to the signed-in user);
this module only shapes them into cards and Plotly figures. Every number links to the registry
with exactly the filters that select its rows (``registry_href``).
"""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html
from dash import ctx as dash_ctx
from dash.exceptions import PreventUpdate

from callbacks.context import db, require, today_local
from callbacks.ids import Overview as ids
from callbacks.ui import PALETTE, fmt_count
from data.access import can
from data.clocks import load_context
from data.config import LOCAL_TZ
from data.i18n import fmt_date, fmt_datetime, normalize_lang, t
from data.job_history import failing_jobs
from data.queries.overview import (
    AGE_BUCKETS,
    Overview,
    OverviewFilter,
    age_bounds,
    overview,
    registry_href,
)
from data.statuses import APPLICATION_KINDS, WORKFLOWS

FONT = dict(family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif", size=12, color="#1f2937")
KIND_PATTERN = {"correction": "", "rent_to_own": "/"}
AGE_COLORS = ("teal", "cyan", "sky", "blue", "amber", "red", "red")
TOP_REVIEWERS = 15


def page_exists(path: str) -> bool:
    return any(page.get("path") == path for page in dash.page_registry.values())


@callback(
    Output(ids.KPIS, "children"),
    Output(ids.BACKLOG, "figure"),
    Output(ids.AGING, "figure"),
    Output(ids.REGIONS, "figure"),
    Output(ids.REVIEWERS, "figure"),
    Output(ids.TREND, "figure"),
    Output(ids.AS_OF, "children"),
    Output(ids.WARNINGS, "children"),
    Output(ids.TREND_NOTE, "children"),
    Output(ids.AGING_NOTE, "children"),
    Input(ids.LOAD, "data"),
    Input(ids.KIND, "value"),
    Input(ids.AKIMAT, "value"),
    Input(ids.PERIOD, "value"),
)
def fill_overview(lang: str, kind=None, akimat=None, period=None):
    user = require("overview.read")
    lang = normalize_lang(lang)
    flt = OverviewFilter.clean(kind, akimat, period)
    today = today_local()
    with db() as session:
        data = overview(session, today, load_context(session), flt, user, concurrent=True)
        failing = failing_jobs(session, lang)
    as_of = [t("overview.as_of", lang, date=fmt_date(today))]
    if user.role == "reviewer":
        as_of.append(html.Span(t("overview.scope.reviewer", lang), className="overview-scope"))
    return (
        kpi_cards(data, lang),
        backlog_figure(data, lang),
        aging_figure(data, lang),
        regions_figure(data, lang),
        reviewers_figure(data, lang),
        trend_figure(data, lang),
        as_of,
        job_warnings(failing, lang, user),
        t("overview.hint.trend", lang, weeks=len(data.trend)),
        aging_note(data, lang),
    )


@callback(
    Output(ids.GO, "href"),
    Input(ids.BACKLOG, "clickData"),
    Input(ids.AGING, "clickData"),
    Input(ids.REGIONS, "clickData"),
    Input(ids.REVIEWERS, "clickData"),
    Input(ids.TREND, "clickData"),
    prevent_initial_call=True,
)
def open_registry(*clicks):
    """A click on a bar goes to the href the bar carries (bars without one do nothing)."""
    require("overview.read")
    trigger = dash_ctx.triggered_id
    chosen = dict(zip((ids.BACKLOG, ids.AGING, ids.REGIONS, ids.REVIEWERS, ids.TREND), clicks)).get(trigger)
    href = clicked_href(chosen)
    if not href:
        raise PreventUpdate
    return href


def clicked_href(click_data) -> str | None:
    try:
        href = click_data["points"][0]["customdata"]
    except (TypeError, KeyError, IndexError):
        return None
    if isinstance(href, (list, tuple)):
        href = href[0] if href else None
    return href if isinstance(href, str) and href.startswith("/registry") else None


# -- KPI cards ----------------------------------------------------------------------------------
def card(label: str, value: str, tone: str, note: str, href: str | None = None, testid: str = "",
         title: str | None = None) -> html.Div:
    body = dbc.CardBody([html.Div(label, className="kpi-label"), html.Div(value, className="kpi-value"),
                         html.Div(note, className="kpi-note")])
    inner = dbc.Card(body, className=f"kpi-card kpi-{tone}" + (" kpi-clickable" if href else ""))
    if href:
        return html.A(inner, href=href, className="kpi-link", title=title or label, **{"data-kpi": testid})
    return html.Div(inner, className="kpi-static", title=title, **{"data-kpi": testid})


def kpi_cards(data: Overview, lang: str) -> list:
    flt, s = data.filter, data.summary
    cards = [
        card(t("overview.kpi.open", lang), fmt_count(s.open), "blue", t("overview.kpi.open.note", lang),
             registry_href(flt, state="open"), "open"),
        card(t("overview.kpi.due_soon", lang), fmt_count(s.due_soon), "amber", t("overview.kpi.due_soon.note", lang),
             registry_href(flt, state="due_soon"), "due_soon"),
        card(t("overview.kpi.overdue", lang), fmt_count(s.overdue), "red", t("overview.kpi.overdue.note", lang),
             registry_href(flt, state="overdue"), "overdue"),
    ]
    ot = data.on_time
    period = dict(since=fmt_date(ot.since), until=fmt_date(ot.until))
    if ot.rate is None:
        cards.append(card(t("overview.kpi.on_time", lang), "—", "slate",
                          t("overview.kpi.on_time.none", lang, **period), None, "on_time",
                          t("overview.kpi.on_time.title", lang)))
    else:
        tone = "green" if ot.rate >= 0.9 else "amber" if ot.rate >= 0.75 else "red"
        cards.append(card(t("overview.kpi.on_time", lang), f"{ot.rate * 100:.0f} %", tone,
                          t("overview.kpi.on_time.note", lang, met=fmt_count(ot.met), total=fmt_count(ot.total),
                            **period), None, "on_time", t("overview.kpi.on_time.title", lang)))
    if data.lists is not None:
        cards.append(card(t("overview.kpi.lists", lang), fmt_count(data.lists.count),
                          "red" if data.lists.overdue else "teal",
                          t("overview.kpi.lists.note", lang, overdue=fmt_count(data.lists.overdue)),
                          "/lists" if page_exists("/lists") else None, "lists"))
    if data.complaints is not None:
        cards.append(card(t("overview.kpi.complaints", lang), fmt_count(data.complaints.count),
                          "red" if data.complaints.overdue else "violet",
                          complaints_note(data.complaints, lang),
                          complaints_href(flt), "complaints"))
    if not s.open:
        cards.append(html.Div(t("overview.empty.open", lang), className="empty-state"))
    return cards


def complaints_note(figures, lang: str) -> str:
    """Due soon and overdue of the open complaints, and the answered on time rate of the period."""
    rate = figures.on_time_rate
    on_time = t("overview.kpi.complaints.on_time", lang, rate=f"{rate * 100:.0f} %",
                answered=fmt_count(figures.answered)) if rate is not None else t("overview.kpi.complaints.none", lang)
    return t("overview.kpi.complaints.note", lang, due_soon=fmt_count(figures.due_soon),
             overdue=fmt_count(figures.overdue), on_time=on_time)


def complaints_href(flt: OverviewFilter) -> str | None:
    """The complaints page filters open complaints exactly (``state=open``); it has no kind or
    akimat filter, so a narrowed overview links nowhere rather than to the wrong rows."""
    if flt.kind or flt.akimat or not page_exists("/complaints"):
        return None
    return "/complaints?state=open"


def job_warnings(failing, lang: str, user) -> list:
    out = []
    for job in failing:
        since = fmt_datetime(job.since.astimezone(LOCAL_TZ)) if job.since else ""
        body = [html.Span(t("overview.job_failing", lang, title=job.title, since=since, failures=job.failures))]
        if can(user, "jobs.admin") and page_exists("/jobs"):
            body += [" ", html.A(t("overview.job_failing.link", lang), href="/jobs", className="alert-link")]
        out.append(dbc.Alert(body, color="warning", className="overview-job-warning mb-2"))
    return out


# -- figures ------------------------------------------------------------------------------------
# Figures are plain dicts (what dcc.Graph receives anyway): building plotly.graph_objects with
# their validation costs more server time than the SQL of the whole page.
AXIS = dict(gridcolor="#eef0f3", zerolinecolor="#d1d5db", automargin=True)


def base_figure(height: int, **layout) -> dict:
    base = dict(
        height=height, margin=dict(l=10, r=16, t=8, b=36), plot_bgcolor="white", paper_bgcolor="white",
        font=FONT, separators=", ", bargap=0.25, hoverlabel=dict(font=FONT, bgcolor="white"),
        legend=dict(orientation="h", yanchor="top", y=-0.12, x=0), xaxis=dict(AXIS), yaxis=dict(AXIS),
    )
    for key, value in layout.items():
        if key in ("xaxis", "yaxis"):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return {"data": [], "layout": base}


def empty_figure(message: str, height: int = 260) -> dict:
    fig = base_figure(height, xaxis=dict(visible=False), yaxis=dict(visible=False))
    fig["layout"]["annotations"] = [dict(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                                         font=dict(size=14, color="#6b7280"))]
    return fig


def count_ticks(values) -> dict:
    """Whole-number ticks: small counts get a tick per unit instead of 0,5 steps."""
    top = max(values or [0])
    return {"dtick": 1} if top <= 8 else {"tickformat": ",d"}


def _hover(lang: str) -> str:
    return f"%{{y}}<br>{t('overview.hover.count', lang)}: %{{x}}<extra></extra>"


def backlog_figure(data: Overview, lang: str) -> dict:
    """Open applications: one bar per status label (in workflow order), stacked by kind; each
    segment in its status colour, rent-to-own hatched."""
    backlog = data.summary.backlog
    if not backlog:
        return empty_figure(t("overview.empty.open", lang))
    labels: list[str] = []
    label_color: dict[str, str] = {}
    for kind in APPLICATION_KINDS:
        for status in WORKFLOWS[kind].statuses:
            label = status.label(lang)
            if backlog.get((kind, status.code)) and label not in labels:
                labels.append(label)
                label_color[label] = PALETTE.get(status.color, PALETTE["slate"])
    traces = []
    for kind in APPLICATION_KINDS:
        rows = [(status.label(lang), status, backlog.get((kind, status.code), 0)) for status in WORKFLOWS[kind].statuses]
        rows = [r for r in rows if r[2]]
        if not rows:
            continue
        name = t(f"kind.{kind}.short", lang)
        traces.append(dict(
            type="bar", name=name, y=[r[0] for r in rows], x=[r[2] for r in rows], orientation="h",
            marker=dict(color=[PALETTE.get(r[1].color, PALETTE["slate"]) for r in rows],
                        pattern=dict(shape=KIND_PATTERN[kind], fgcolor="rgba(255,255,255,.55)", solidity=0.35),
                        line=dict(color="white", width=1)),
            customdata=[registry_href(data.filter, kind=kind, status=r[1].code) for r in rows],
            hovertemplate=f"<b>{name}</b><br>" + _hover(lang), showlegend=False,
        ))
    # the kinds' legend (solid / hatched) is written under the chart, in the page
    totals = [sum(trace["x"][trace["y"].index(label)] for trace in traces if label in trace["y"]) for label in labels]
    fig = base_figure(
        max(240, 30 * len(labels) + 60), barmode="stack", showlegend=False,
        yaxis=dict(categoryorder="array", categoryarray=labels, autorange="reversed", tickvals=labels,
                   ticktext=[f"<span style='color:{label_color[x]}'>●</span> {x}" for x in labels]),
        xaxis=dict(title=dict(text=t("overview.axis.count", lang)), rangemode="tozero", **count_ticks(totals)),
    )
    fig["data"] = traces
    return fig


def age_label(bucket, lang: str) -> str:
    low, high = bucket
    if high is None:
        return t("overview.age.over", lang, days=low - 1)
    return t("overview.age.range", lang, low=low, high=high)


def aging_figure(data: Overview, lang: str) -> dict:
    s = data.summary
    if not s.open:
        return empty_figure(t("overview.empty.open", lang))
    labels = [age_label(b, lang) for b in AGE_BUCKETS]
    hrefs = []
    for bucket in AGE_BUCKETS:
        earliest, latest = age_bounds(data.today, bucket)
        hrefs.append(registry_href(data.filter, state="open", from_=earliest,
                                   to=None if bucket[0] == 0 else latest))
    values = list(s.aging)
    colors = [PALETTE[c] for c in AGE_COLORS]
    if s.unregistered:
        labels.append(t("overview.age.unregistered", lang))
        values.append(s.unregistered)
        colors.append(PALETTE["slate"])
        # not registered = correction applications still being created or sent (the workflow
        # registers them on "registered"); rent-to-own ones are registered when created
        hrefs.append(registry_href(data.filter, kind="correction", status=["creating", "sent"]))
    fig = base_figure(
        300, margin=dict(l=10, r=10, t=20, b=40), showlegend=False,
        yaxis=dict(title=dict(text=t("overview.axis.count", lang)), rangemode="tozero", **count_ticks(values)),
        xaxis=dict(title=dict(text=t("overview.axis.age", lang)), type="category"),
    )
    fig["data"] = [dict(type="bar", x=labels, y=values, marker=dict(color=colors), customdata=hrefs,
                        text=[fmt_count(v) for v in values], textposition="outside", cliponaxis=False,
                        hovertemplate=f"%{{x}}<br>{t('overview.hover.count', lang)}: %{{y}}<extra></extra>")]
    return fig


def aging_note(data: Overview, lang: str) -> str:
    return t("overview.hint.aging", lang)


def regions_figure(data: Overview, lang: str) -> dict:
    if not data.regions:
        return empty_figure(t("overview.empty.overdue", lang))
    names, values, hrefs, colors = [], [], [], []
    for region_id, n in data.regions:
        if region_id is None:
            names.append(t("overview.no_akimat", lang))
            hrefs.append(None)  # the registry has no "without akimat" filter
            colors.append(PALETTE["slate"])
        else:
            node = data.akimats.by_id[region_id]
            names.append(node.name(lang))
            # with an akimat filter the bar holds only the filtered akimat's rows
            hrefs.append(registry_href(data.filter, state="overdue", akimat=data.filter.akimat or node.kato))
            colors.append(PALETTE["red"])
        values.append(n)
    return _hbar(names, values, hrefs, colors, lang)


def reviewers_figure(data: Overview, lang: str) -> dict:
    by_reviewer = data.summary.overdue_by_reviewer
    if not by_reviewer:
        return empty_figure(t("overview.empty.overdue", lang))
    ranked = sorted(by_reviewer.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or 0))[:TOP_REVIEWERS]
    names, values, hrefs, colors = [], [], [], []
    for reviewer_id, n in ranked:
        if reviewer_id is None:
            names.append(t("overview.unassigned", lang))
            hrefs.append(registry_href(data.filter, state="overdue", reviewer="none"))
            colors.append(PALETTE["slate"])
        else:
            names.append(data.reviewers.get(reviewer_id, f"#{reviewer_id}"))
            hrefs.append(registry_href(data.filter, state="overdue", reviewer=reviewer_id))
            colors.append(PALETTE["red"])
        values.append(n)
    return _hbar(names, values, hrefs, colors, lang)


def _hbar(names, values, hrefs, colors, lang: str) -> dict:
    fig = base_figure(
        max(220, 28 * len(names) + 70), showlegend=False, margin=dict(l=10, r=40, t=8, b=36),
        yaxis=dict(autorange="reversed", type="category"),
        xaxis=dict(title=dict(text=t("overview.axis.count", lang)), rangemode="tozero", **count_ticks(values)),
    )
    fig["data"] = [dict(type="bar", y=names, x=values, orientation="h", marker=dict(color=colors), customdata=hrefs,
                        text=[fmt_count(v) for v in values], textposition="outside", cliponaxis=False,
                        hovertemplate=_hover(lang))]
    return fig


def trend_figure(data: Overview, lang: str) -> dict:
    points = data.trend
    if not any(p.received or p.closed or p.overdue for p in points):
        return empty_figure(t("overview.empty.trend", lang), 340)
    x = [p.start.strftime("%d.%m") if p.start.year == data.today.year else p.start.strftime("%d.%m.%y")
         for p in points]
    weeks = [t("overview.hover.week", lang, start=fmt_date(p.start), end=fmt_date(p.end)) for p in points]
    received, closed, overdue = (t(f"overview.series.{k}", lang) for k in ("received", "closed", "overdue"))
    fig = base_figure(
        360, barmode="group", bargap=0.3, bargroupgap=0.05, margin=dict(l=10, r=16, t=8, b=40),
        legend=dict(orientation="h", yanchor="top", x=0, y=-0.2),
        xaxis=dict(type="category", title=dict(text=t("overview.axis.week", lang)), tickangle=-45),
        yaxis=dict(title=dict(text=t("overview.axis.count", lang)), rangemode="tozero",
                   **count_ticks([max(p.received, p.closed, p.overdue) for p in points])),
    )
    fig["data"] = [
        dict(type="bar", name=received, x=x, y=[p.received for p in points], marker=dict(color=PALETTE["blue"]),
             customdata=[registry_href(data.filter, from_=p.start, to=p.end) for p in points], hovertext=weeks,
             hovertemplate=f"%{{hovertext}}<br>{received}: %{{y}}<br><i>{t('overview.hover.open_registry', lang)}"
                           f"</i><extra></extra>"),
        dict(type="bar", name=closed, x=x, y=[p.closed for p in points], marker=dict(color=PALETTE["green"]),
             hovertext=weeks, hovertemplate=f"%{{hovertext}}<br>{closed}: %{{y}}<extra></extra>"),
        dict(type="scatter", name=overdue, x=x, y=[p.overdue for p in points], mode="lines+markers",
             line=dict(color=PALETTE["red"], width=2.5), marker=dict(size=6), hovertext=weeks,
             hovertemplate=f"%{{hovertext}}<br>{overdue}: %{{y}}<extra></extra>"),
    ]
    return fig


__all__ = ["fill_overview", "open_registry", "kpi_cards", "backlog_figure", "aging_figure", "regions_figure",
           "reviewers_figure", "trend_figure", "clicked_href"]
