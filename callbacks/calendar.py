"""Calendar page callbacks: draw the year, pick a day, set or remove an override.

The rules (validation, recomputing the open deadlines, the audit entry) live in
``data.queries.calendar.change_override``; these callbacks read inputs and shape the output.
"""
from __future__ import annotations

from datetime import date

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, html, no_update
from dash import ctx as dash_ctx
from dash.exceptions import PreventUpdate

from callbacks.context import current_lang, db, require, today_local
from callbacks.ids import Calendar as ids
from data.clocks import load_calendar
from data.config import LOCAL_TZ
from data.errors import DomainError
from data.i18n import fmt_date, fmt_datetime, t
from data.queries.calendar import (
    CalendarDay,
    YearView,
    change_override,
    day_category,
    result_message,
    year_view,
)


@callback(
    Output(ids.GRID, "children"),
    Output(ids.DAYS, "children"),
    Output(ids.SUMMARY, "children"),
    Input(ids.YEAR, "value"),
    Input(ids.VERSION, "data"),
)
def show_year(year, _version=None):
    require("calendar.admin")
    lang = current_lang()
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = today_local().year
    with db() as session:
        view = year_view(session, year, lang)
    summary = t("calendar.summary", lang, year=year, working=view.working_days, off=view.days_off,
                overrides=view.overrides)
    return year_grid(view, lang, today_local()), special_days_table(view, lang), summary


@callback(
    Output(ids.DATE, "value"),
    Output(ids.KIND, "value"),
    Output(ids.PICKED, "children"),
    Input({"type": ids.DAY, "day": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def pick_day(clicks):
    """A click on a day puts it into the form, proposing the opposite of what the day is now."""
    require("calendar.admin")
    trigger = dash_ctx.triggered_id
    if not isinstance(trigger, dict) or not any(clicks or []):
        raise PreventUpdate
    lang = current_lang()
    day = date.fromisoformat(trigger["day"])
    with db() as session:
        info = load_calendar(session).day_info(day)
    picked = t("calendar.picked", lang, date=fmt_date(day), weekday=t(f"weekday.{day.weekday()}", lang),
               what=t(f"calendar.cat.{day_category(info)}", lang))
    return fmt_date(day), "workday" if not info.working else "holiday", picked


@callback(
    Output(ids.MESSAGE, "children"),
    Output(ids.VERSION, "data"),
    Output(ids.YEAR, "value"),
    Input(ids.SAVE, "n_clicks"),
    Input(ids.UNSET, "n_clicks"),
    Input({"type": ids.REMOVE, "day": ALL}, "n_clicks"),
    State(ids.DATE, "value"),
    State(ids.KIND, "value"),
    State(ids.NAME, "value"),
    State(ids.VERSION, "data"),
    State(ids.YEAR, "value"),
    prevent_initial_call=True,
)
def change_day(save, unset, removes, day_text, kind, name, version, year):
    """Save or remove an override; say how many open deadlines moved. Bad input: a clear message,
    nothing changed, the form keeps what was typed."""
    user = require("calendar.admin")
    lang = current_lang()
    trigger = dash_ctx.triggered_id
    if trigger == ids.SAVE and save:
        remove = False
    elif trigger == ids.UNSET and unset:
        remove = True
    elif isinstance(trigger, dict) and trigger.get("type") == ids.REMOVE and any(removes or []):
        remove, day_text = True, fmt_date(date.fromisoformat(trigger["day"]))
    else:
        raise PreventUpdate
    try:
        with db() as session:
            result = change_override(session, user, day_text, kind, name, remove=remove)
    except DomainError as exc:
        return dbc.Alert(exc.message(lang), color="danger", className="mb-0 cal-message"), no_update, no_update
    message = dbc.Alert(result_message(result, lang), color="success", className="mb-0 cal-message")
    new_year = result.day.year if result.day.year != year else no_update
    return message, (version or 0) + 1, new_year


# -- rendering ----------------------------------------------------------------------------------
def day_title(day: CalendarDay, lang: str) -> str:
    parts = [f"{fmt_date(day.day)}, {t(f'weekday.{day.day.weekday()}', lang)}"]
    parts.append(day.name or t(f"calendar.cat.{day.category}", lang))
    if day.origin == "override":
        parts.append(t("calendar.national_was", lang, name=day.national))
    if day.origin:
        parts.append(t(f"calendar.source.{day.origin}", lang))
    if day.estimated:
        parts.append(t("calendar.estimated", lang))
    return " · ".join(parts)


def _cell(day: CalendarDay | None, lang: str, today: date):
    if day is None:
        return html.Td(className="cal-empty")
    classes = f"cal-day cal-{day.category}"
    if day.day == today:
        classes += " cal-today"
    if day.estimated:
        classes += " cal-estimated"
    return html.Td(html.Button(str(day.day.day), id={"type": ids.DAY, "day": day.day.isoformat()},
                               className=classes, title=day_title(day, lang), n_clicks=0))


def year_grid(view: YearView, lang: str, today: date) -> list:
    head = html.Thead(html.Tr([html.Th(t(f"calendar.wd.{i}", lang), className="cal-weekend-head" if i >= 5 else "")
                               for i in range(7)]))
    months = []
    for month in view.months:
        rows = [html.Tr([_cell(day, lang, today) for day in week]) for week in month.weeks]
        months.append(html.Div(
            [
                html.Div([html.Span(t(f"calendar.month.{month.month}", lang), className="cal-month-name"),
                          html.Span(t("calendar.month_working", lang, n=month.working_days),
                                    className="cal-month-count",
                                    title=t("calendar.month_working.title", lang, n=month.working_days,
                                            off=month.days_off))],
                         className="cal-month-head"),
                html.Table([head, html.Tbody(rows)], className="cal-table"),
            ],
            className="cal-month",
            **{"data-month": str(month.month)},
        ))
    return months


def special_days_table(view: YearView, lang: str):
    rows = []
    for day in view.special:
        source = t(f"calendar.source.{day.origin}", lang) if day.origin else ""
        if day.origin == "override" and day.created_by:
            when = fmt_datetime(day.created_at.astimezone(LOCAL_TZ)) if day.created_at else ""
            source = t("calendar.source.override_by", lang, user=day.created_by, date=when)
        name = [day.name]
        if day.origin == "override":
            name += [html.Div(t("calendar.national_was", lang, name=day.national), className="cal-national")]
        if day.estimated:
            name += [html.Div(t("calendar.estimated", lang), className="cal-national")]
        action = (dbc.Button(t("calendar.remove", lang), id={"type": ids.REMOVE, "day": day.day.isoformat()},
                             size="sm", color="danger", outline=True, n_clicks=0)
                  if day.origin == "override" else "")
        rows.append(html.Tr(
            [html.Td(fmt_date(day.day), className="text-nowrap"), html.Td(t(f"weekday.{day.day.weekday()}", lang)),
             html.Td(html.Span([html.Span(className=f"cal-swatch cal-{day.category}"),
                                t(f"calendar.cat.{day.category}", lang)], className="cal-type")),
             html.Td(name), html.Td(source), html.Td(action)],
            className=f"cal-row-{day.origin or 'plain'}", **{"data-day": day.day.isoformat()},
        ))
    table = dbc.Table(
        [html.Thead(html.Tr([html.Th(t(f"calendar.col.{c}", lang))
                             for c in ("date", "weekday", "type", "name", "source", "action")])),
         html.Tbody(rows)],
        size="sm", hover=True, responsive=True, className="cal-list mb-0",
    )
    out = [table]
    if not view.overrides:
        out.insert(0, html.Div(t("calendar.no_overrides", lang), className="empty-state mb-2 cal-empty-state"))
    return out


__all__ = ["show_year", "pick_day", "change_day", "year_grid", "special_days_table", "day_title"]
