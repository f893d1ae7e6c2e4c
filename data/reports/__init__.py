"""Manager reports: SLA compliance, backlog and flow, akimat lists, complaints, the register
extract; as Excel (.xlsx), CSV or a one-page PDF summary. See ``engine`` for running one.

    from data.reports import ReportFilters, generate, preview
    result = generate(session, "sla", "xlsx", ReportFilters(kind="rent_to_own"), user=user, lang="ru",
                      out_dir=Path("instance/reports"))
"""
from data.reports.engine import MIME, ReportResult, generate, preview
from data.reports.filters import FORMATS, KINDS, ReportFilters

__all__ = ["FORMATS", "KINDS", "MIME", "ReportFilters", "ReportResult", "generate", "preview"]
