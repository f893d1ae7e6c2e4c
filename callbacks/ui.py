"""Small presentational helpers shared by callbacks (status badges, palette, KPI cards)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

PALETTE = {
    "slate": "#64748b",
    "sky": "#0ea5e9",
    "blue": "#2563eb",
    "indigo": "#4f46e5",
    "violet": "#7c3aed",
    "amber": "#d97706",
    "red": "#dc2626",
    "teal": "#0d9488",
    "cyan": "#0891b2",
    "green": "#16a34a",
}


def kpi_card(label: str, value: str, tone: str = "slate", href: str | None = None) -> dbc.Card:
    body = dbc.CardBody([html.Div(label, className="kpi-label"), html.Div(value, className="kpi-value")])
    card = dbc.Card(body, className=f"kpi-card kpi-{tone}")
    return html.A(card, href=href, className="kpi-link") if href else card


def status_badge(kind: str, code: str, lang: str):
    """The status as a coloured pill, the same colour on every page and chart."""
    from data.statuses import WORKFLOWS

    workflow = WORKFLOWS.get(kind)
    status = workflow.by_code.get(code) if workflow else None
    if status is None:
        return html.Span(code, className="status-badge status-slate")
    return html.Span(status.label(lang), className=f"status-badge status-{status.color}")


# -- server-side grids (dash-ag-grid, infinite row model) ----------------------------------------
def fmt_count(value: int) -> str:
    """12345 -> "12 345" (a no-break space between thousands, as both languages write them)."""
    return f"{value:,}".replace(",", "\u00a0")


def block_bounds(request: dict, block: int) -> tuple[int, int]:
    """The [start, end) rows an AG Grid infinite-model request asks for; junk reads as the first block."""
    def number(value, default: int) -> int:
        try:
            return max(0, int(value))
        except (TypeError, ValueError):
            return default

    start = number(request.get("startRow"), 0)
    return start, number(request.get("endRow"), start + block)


def refresh_grid_on(filters_id: str, grid_id: str) -> None:
    """New filters in the ``filters_id`` store: drop the grid's cached blocks and ask again from
    the first row (a clientside callback; the rows themselves always come from the server)."""
    from dash import Input, State, clientside_callback

    clientside_callback(
        """function (filters, gridId) {
            var api = window.dash_ag_grid && window.dash_ag_grid.getApi(gridId);
            if (api) { api.ensureIndexVisible(0, "top"); api.purgeInfiniteCache(); }
        }""",
        Input(filters_id, "data"),
        State(grid_id, "id"),
        prevent_initial_call=True,
    )


# -- deadline clocks: the same words and colours on the application and the complaint pages -----
CLOCK_STATE_TONE = {"on_track": "green", "due_soon": "amber", "overdue": "red", "paused": "slate"}


def clock_days_text(left, lang: str) -> str:
    """Working and calendar days left (``data.deadlines.DaysLeft``), "due today", or overdue by."""
    from data.i18n import t

    if left is None:
        return ""
    if left.calendar > 0:
        return t("clock.days.left", lang, wd=left.working, cd=left.calendar)
    if left.calendar == 0:
        return t("clock.days.today", lang)
    return t("clock.days.overdue", lang, wd=-left.working, cd=-left.calendar)


def clock_state_label(state: str, met: bool | None, lang: str) -> tuple[str, str]:
    """(label, tone) of a clock's state; a stopped clock says whether it was met."""
    from data.i18n import t

    if state == "stopped":
        if met is True:
            return t("clock.state.stopped_met", lang), "teal"
        if met is False:
            return t("clock.state.stopped_late", lang), "red"
        return t("clock.state.stopped", lang), "slate"
    return t(f"clock.state.{state}", lang), CLOCK_STATE_TONE.get(state, "slate")


# -- the date picker's calendar in the user's language ----------------------------------------
# dcc.DatePickerSingle (Dash 4) names months and weekdays with the date-fns locale it finds in
# ``window.dateFns.locale`` (else English). A page puts ``calendar_locale(lang)`` in a dcc.Store
# and registers ``clientside_callback(DATEFNS_LOCALE_JS, Output(<dummy store>, "data"),
# Input(<that store>, "data"))``: the locale is built in the browser from the translation table,
# with nothing loaded from outside.
DATEFNS_LOCALE_JS = """
function (data) {
    if (!data || !data.months) { return window.dash_clientside.no_update; }
    function byWidth(wide, short) {
        return function (index, options) {
            var width = (options && options.width) || "wide";
            return width === "wide" ? wide[index] : short[index];
        };
    }
    function noMatch() { return null; }
    var locale = {
        code: data.code,
        localize: {
            ordinalNumber: function (n) { return String(n); },
            era: function (n) { return String(n); },
            quarter: function (n) { return String(n); },
            month: byWidth(data.months, data.months_short),
            day: byWidth(data.days, data.days_short),
            dayPeriod: function (p) { return p; }
        },
        formatLong: {
            date: function () { return "dd.MM.yyyy"; },
            time: function () { return "HH:mm"; },
            dateTime: function () { return "{{date}} {{time}}"; }
        },
        match: {ordinalNumber: noMatch, era: noMatch, quarter: noMatch, month: noMatch, day: noMatch,
                dayPeriod: noMatch},
        options: {weekStartsOn: 1, firstWeekContainsDate: 1}
    };
    window.dateFns = window.dateFns || {};
    var locales = {};
    locales[data.code] = locale;
    window.dateFns.locale = locales;
    return data.code;
}
"""


def calendar_locale(lang: str) -> dict:
    """Month and weekday names for the date picker's calendar (date-fns order: 0 = Sunday)."""
    from data.i18n import t

    python_weekday = [6, 0, 1, 2, 3, 4, 5]  # date-fns day index -> Python weekday (0 = Monday)
    return {
        "code": lang,
        "months": [t(f"apppage.month.{m}", lang) for m in range(1, 13)],
        "months_short": [t(f"apppage.month_short.{m}", lang) for m in range(1, 13)],
        "days": [t(f"weekday.{python_weekday[d]}", lang) for d in range(7)],
        "days_short": [t(f"apppage.day_short.{d}", lang) for d in range(7)],
    }
