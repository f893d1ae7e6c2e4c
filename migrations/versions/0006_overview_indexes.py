"""overview: covering indexes for the overview's KPIs and charts (data/queries/overview.py)

Written by hand; indexes only. Each one lets a query of the overview read an index instead of
the table (measured by bench/overview.py at 1,000,000 applications):

- ``ix_applications_open_overview`` (partial: open applications only): the one grouped pass
  over the open applications (KPIs, backlog, overdue by region / reviewer, aging).
- ``ix_applications_closed_overview``: applications closed per week (the trend).
- ``ix_applications_received_overview``: applications registered per week, with the filters.
- ``ix_clocks_late_overview`` (partial: application clocks still open or stopped after their
  due date, i.e. the only ones ever overdue): overdue at the end of each week.
- ``ix_clocks_on_time_overview``: the on-time rate (clocks stopped in the period).
- ``ix_applications_filter_overview``: the ids of the applications a kind / akimat filter selects
  (the clock queries semi-join on them), read from the index alone.

On a database that already holds applications the new indexes are analyzed at once, so the
planners know them before the next ANALYZE.

The partial indexes' conditions are written exactly as the queries write them
(``is_open IS 1`` / ``IS true``; ``data.queries.overview.late_clock_condition``), so both
SQLite and PostgreSQL can prove that a query may use them.

Revision ID: 0006_overview_indexes
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_overview_indexes"
down_revision = "0001"
branch_labels = None
depends_on = None

OPEN_COLUMNS = ["kind", "status", "akimat_id", "reviewer_id", "current_due_date", "current_policy",
                "registration_date", "is_open"]
LATE = "application_id IS NOT NULL AND (stopped_on IS NULL OR stopped_on > due_date)"
NAMES = ("ix_applications_open_overview", "ix_applications_closed_overview", "ix_applications_received_overview",
         "ix_clocks_late_overview", "ix_clocks_on_time_overview", "ix_applications_filter_overview")


def upgrade() -> None:
    op.create_index("ix_applications_open_overview", "applications", OPEN_COLUMNS,
                    sqlite_where=sa.text("is_open IS 1"), postgresql_where=sa.text("is_open IS true"))
    op.create_index("ix_applications_closed_overview", "applications",
                    ["closed_at", "kind", "akimat_id", "reviewer_id"])
    op.create_index("ix_applications_received_overview", "applications",
                    ["registration_date", "kind", "akimat_id", "reviewer_id"])
    op.create_index("ix_clocks_late_overview", "clocks", ["stopped_on", "due_date", "paused_since", "application_id"],
                    sqlite_where=sa.text(LATE), postgresql_where=sa.text(LATE))
    op.create_index("ix_clocks_on_time_overview", "clocks", ["policy_code", "stopped_on", "due_date", "application_id"])
    op.create_index("ix_applications_filter_overview", "applications", ["akimat_id", "kind", "reviewer_id", "id"])
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM applications LIMIT 1")).first() is None:
        return  # an empty database: nothing to measure yet
    if bind.dialect.name == "sqlite":
        for name in NAMES:
            op.execute(f"ANALYZE {name}")
    else:
        op.execute("ANALYZE applications")
        op.execute("ANALYZE clocks")


def downgrade() -> None:
    for name in reversed(NAMES):
        op.drop_index(name, table_name="clocks" if name.startswith("ix_clocks") else "applications")
