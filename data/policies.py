"""The catalogue of deadline policies (domain.md "Deadline policies"), versioned by date.

Policies are data: the catalogue below seeds the ``deadline_policies`` table; admins can add a
new version with a later ``effective_from``. A clock keeps the version in force on the day it
started.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.errors import DomainError
from data.models import DeadlinePolicy

CD, WD, SET = "cd", "wd", "set"
REGISTRATION, EVENT, SET_DATE = "registration", "event", "set_date"

# Versions below are in force for everything the tracker holds (2025 onward).
BASE_DATE = date(2020, 1, 1)


@dataclass(frozen=True)
class Policy:
    code: str
    term: int | None
    unit: str
    start_rule: str
    seed_ref: str
    version: int = 1
    effective_from: date = BASE_DATE
    roll_forward: bool = True
    pause_mode: str = "resume"
    pause_statuses: tuple[str, ...] = ()
    warn_wd: int = 2
    variants: dict[str, int] = field(default_factory=dict)

    def term_for(self, variant: str | None) -> int | None:
        if variant and variant in self.variants:
            return self.variants[variant]
        return self.term

    @classmethod
    def from_row(cls, row: DeadlinePolicy) -> "Policy":
        return cls(
            code=row.code,
            term=row.term,
            unit=row.unit,
            start_rule=row.start_rule,
            seed_ref=row.seed_ref,
            version=row.version,
            effective_from=row.effective_from,
            roll_forward=row.roll_forward,
            pause_mode=row.pause_mode,
            pause_statuses=tuple(row.pause_statuses or ()),
            warn_wd=row.warn_wd,
            variants=dict(row.variants or {}),
        )

    def as_row(self) -> dict[str, Any]:
        values = asdict(self)
        values["pause_statuses"] = list(self.pause_statuses)
        return values


CATALOGUE: tuple[Policy, ...] = (
    Policy("list_upload", 2, WD, REGISTRATION, "001 p.6"),
    Policy("applicant_submission", 15, CD, EVENT, "001 p.7"),
    Policy("ktk_review", 15, CD, REGISTRATION, "001 p.13", pause_statuses=("needs_revision",)),
    Policy("applicant_revision", None, SET, SET_DATE, "000"),
    Policy("state_registration", 1, WD, EVENT, "001 p.38", pause_statuses=("registration_suspended",)),
    Policy("complaint_provider", 5, WD, REGISTRATION, "004 p.33"),
    Policy("complaint_quality_body", 15, WD, REGISTRATION, "004 p.33"),
    Policy("complaint_extension", 10, WD, EVENT, "004 p.34"),
    Policy("complaint_extension_notice", 3, WD, EVENT, "004 p.34"),
    Policy("housing_queue_registration", 30, CD, REGISTRATION, "002 p.12"),
    Policy(
        "otbasy_queue_registration", 1, WD, REGISTRATION, "004",
        variants={"emergency": 3, "orphans": 3},
    ),
    Policy("rent_subsidy", 3, WD, REGISTRATION, "004"),
    Policy("privatization_decision", 30, CD, REGISTRATION, "004"),
    Policy("privatization_transfer", 15, CD, REGISTRATION, "004"),
    Policy("privatization_contract", 5, WD, REGISTRATION, "004"),
)

CODES: tuple[str, ...] = tuple(p.code for p in CATALOGUE)


class PolicyBook:
    """All versions of all policies, answering "which version was in force on day D"."""

    def __init__(self, policies: list[Policy] | tuple[Policy, ...]) -> None:
        self._by_code: dict[str, list[Policy]] = {}
        for policy in policies:
            self._by_code.setdefault(policy.code, []).append(policy)
        for versions in self._by_code.values():
            versions.sort(key=lambda p: (p.effective_from, p.version))

    @classmethod
    def load(cls, session: Session) -> "PolicyBook":
        rows = session.scalars(select(DeadlinePolicy)).all()
        return cls([Policy.from_row(r) for r in rows] or list(CATALOGUE))

    def codes(self) -> list[str]:
        return sorted(self._by_code)

    def in_force(self, code: str, on: date) -> Policy:
        versions = self._by_code.get(code)
        if not versions:
            raise DomainError("unknown_policy", policy=code, known=", ".join(sorted(self._by_code)))
        chosen = versions[0]
        for policy in versions:
            if policy.effective_from <= on:
                chosen = policy
        return chosen

    def version(self, code: str, version: int) -> Policy:
        for policy in self._by_code.get(code, []):
            if policy.version == version:
                return policy
        raise DomainError("unknown_policy", policy=f"{code} v{version}", known=", ".join(self.codes()))


def seed_policies(session: Session) -> int:
    """Insert the catalogue versions that are not in the table yet; returns how many."""
    existing = set(session.execute(select(DeadlinePolicy.code, DeadlinePolicy.version)).all())
    added = 0
    for policy in CATALOGUE:
        if (policy.code, policy.version) not in existing:
            session.add(DeadlinePolicy(**policy.as_row()))
            added += 1
    session.flush()
    return added
