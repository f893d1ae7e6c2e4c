"""Errors the data layer raises for users: a stable code, parameters, a kk/ru message."""
from __future__ import annotations

from typing import Any

from data.i18n import t


class DomainError(Exception):
    """A rule was broken; nothing was changed. ``message(lang)`` says what, for users."""

    def __init__(self, code: str, /, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(f"{code}: {params}")

    def message(self, lang: str = "kk") -> str:
        return t(f"error.{self.code}", lang, **_display_params(self.params, lang))


def _display_params(params: dict[str, Any], lang: str) -> dict[str, Any]:
    """Add the human labels the messages use (field, status and reason names) to the codes."""
    from data.statuses import WORKFLOWS  # the status tables import nothing from here

    shown = dict(params)
    workflow = WORKFLOWS.get(params.get("kind", ""))

    def label(code: str) -> str:
        if workflow is not None and code in workflow.by_code:
            return workflow.status(code).label(lang)
        return code

    if "field" in params:
        shown["field_label"] = t(f"field.{params['field']}", lang)
    if "from_status" in params:
        shown["from_label"] = label(params["from_status"])
    if "to_status" in params:
        shown["to_label"] = label(params["to_status"])
    if "allowed_codes" in params:
        names = [label(code) for code in params["allowed_codes"]]
        shown["allowed"] = ", ".join(f"«{n}»" for n in names) if names else t("error.nothing_allowed", lang)
    if "reason_key" in params:
        shown["reason"] = t(f"reason.{params['reason_key']}", lang, **params)
    return shown


class ConflictError(DomainError):
    """Someone else changed the item since it was read (optimistic lock)."""

    def __init__(self, **params: Any) -> None:
        super().__init__("conflict", **params)
