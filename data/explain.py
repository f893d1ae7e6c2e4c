"""Render a clock's stored explanation steps as a sentence in Kazakh or Russian."""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from data.i18n import t

_RU_HOLIDAYS = {
    "New Year's Day": "Новый год",
    "Orthodox Christmas": "Православное Рождество",
    "International Women's Day": "Международный женский день",
    "Nowruz Holiday": "Наурыз мейрамы",
    "Kazakhstan's People Solidarity Holiday": "Праздник единства народа Казахстана",
    "Defender of the Fatherland Day": "День защитника Отечества",
    "Victory Day": "День Победы",
    "Capital Day": "День Столицы",
    "Constitution Day": "День Конституции",
    "Republic Day": "День Республики",
    "Independence Day": "День Независимости",
    "Eid al-Adha": "Курбан айт",
}


def _d(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d.%m.%Y")


def _dm(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d.%m")


def holiday_name(day: dict[str, Any], lang: str) -> str:
    """The name of a non-working day as the engine recorded it."""
    source = day.get("source")
    if source == "override_holiday":
        return day.get("override_name") or t("explain.override_holiday", lang)
    if source == "weekend":
        weekday = date.fromisoformat(day["date"]).weekday()
        return t(f"weekday.{weekday}", lang)
    if lang != "ru":
        return day.get("name_kk") or day.get("name_en") or ""
    name = day.get("name_en") or ""
    match = re.match(r"Day off \(substituted from (\d\d)/(\d\d)/(\d{4})\)", name)
    if match:
        return f"перенесённый выходной (с {match.group(1)}.{match.group(2)}.{match.group(3)})"
    suffix = ""
    if name.endswith(" (observed)"):
        name, suffix = name[: -len(" (observed)")], " (перенос)"
    elif name.endswith(" (estimated)"):
        name, suffix = name[: -len(" (estimated)")], " (ориентировочно)"
    return _RU_HOLIDAYS.get(name, name) + suffix


def _days(days: list[dict[str, Any]], lang: str) -> str:
    return "; ".join(f"{_dm(d['date'])} — {holiday_name(d, lang)}" for d in days)


def render_step(step: dict[str, Any], lang: str) -> str:
    code = step["code"]
    if code in ("start", "restart"):
        if step["rule"] == "event":
            return t(f"explain.{code}_event", lang, date=_d(step["date"]))
        received = datetime.fromisoformat(step["received"])
        params = {
            "weekday": t(f"weekday.{received.weekday()}", lang),
            "received": received.strftime("%d.%m.%Y %H:%M"),
            "registered": _d(step["registered"]),
            "skipped": _days(step.get("skipped") or [], lang),
        }
        text = t(f"explain.{code}_{step['reason']}", lang, **params)
        if step.get("skipped") and step["reason"] in ("after_hours", "non_working_day"):
            text += " " + t("explain.skipped", lang, **params)
        return text
    if code == "set_date":
        return t("explain.set_date", lang, date=_d(step["date"]), on=_d(step["on"]))
    if code == "term_cd":
        key = "explain.term_cd_extra" if step.get("extra") else "explain.term_cd"
        return t(key, lang, n=step["n"], extra=step.get("extra"), start=_d(step["from"]), end=_d(step["end"]))
    if code == "term_wd":
        key = "explain.term_wd_extra" if step.get("extra") else "explain.term_wd"
        text = t(key, lang, n=step["n"], extra=step.get("extra"), start=_d(step["from"]), due=_d(step["due"]))
        holidays_skipped = [d for d in step.get("skipped") or [] if d["source"] != "weekend"]
        if holidays_skipped:
            text += " " + t("explain.holidays_skipped", lang, days=_days(holidays_skipped, lang))
        return text
    if code == "rolled_forward":
        return t("explain.rolled_forward", lang, frm=_d(step["from"]), to=_d(step["to"]),
                 days=_days(step.get("days") or [], lang))
    if code == "paused":
        if step.get("mode") == "restart":
            return t("explain.paused_restart", lang, frm=_d(step["from"]))
        return t(f"explain.paused_{step['unit']}", lang, frm=_d(step["from"]), to=_d(step["to"]), days=step["days"])
    if code == "extended":
        return t("explain.extended", lang, days=step["days"], frm=_d(step["from"]), to=_d(step["to"]))
    if code == "paused_now":
        return t("explain.paused_now", lang, since=_d(step["since"]))
    if code == "due":
        return t("explain.due", lang, date=_d(step["date"]))
    return code


def render(steps: list[dict[str, Any]], lang: str = "kk") -> str:
    return " ".join(render_step(step, lang) for step in steps)
