"""registry and deadlines board indexes

Indexes only (bench/registry.py, 1,000,000 applications):

- applications (applicant_name): the registry's search by the beginning of a name and the sort
  by name;
- applications (status, is_open, current_due_date, id): a status filter sorted by due date,
  read from the index alone (no table rows) and sorted in memory;
- clocks (due_date, policy_code, application_id, complaint_id, batch_id, recipient_id,
  stopped_at, paused_since) for the running clocks only (a partial index WHERE
  coalesce(stopped_at, paused_since) IS NULL, the condition exactly as the board's queries
  write it, so that SQLite matches it and does not take the stopped_at index instead): the
  deadlines board counts its window from the index alone (the two always-NULL columns make it
  covering for SQLite, which re-checks the partial index's condition);
- clocks (application_id, due_date, policy_code, stopped_at, paused_since), running clocks
  only: the board's per-reviewer scopes go from a reviewer's applications to their running
  clocks.

Revision ID: 0005_registry_indexes
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_registry_indexes"
down_revision = "0001"
branch_labels = None
depends_on = None

# A running clock (neither stopped nor paused), exactly as data/queries/deadlines.py writes it.
RUNNING = "coalesce(stopped_at, paused_since) IS NULL"


def upgrade() -> None:
    op.create_index("ix_applications_applicant_name", "applications", ["applicant_name"], if_not_exists=True)
    op.create_index("ix_applications_status_is_open_current_due_date_id", "applications",
                    ["status", "is_open", "current_due_date", "id"], if_not_exists=True)
    op.create_index("ix_clocks_running_due", "clocks",
                    ["due_date", "policy_code", "application_id", "complaint_id", "batch_id", "recipient_id",
                     "stopped_at", "paused_since"],
                    sqlite_where=sa.text(RUNNING), postgresql_where=sa.text(RUNNING), if_not_exists=True)
    op.create_index("ix_clocks_running_application", "clocks",
                    ["application_id", "due_date", "policy_code", "stopped_at", "paused_since"],
                    sqlite_where=sa.text(RUNNING), postgresql_where=sa.text(RUNNING), if_not_exists=True)


def downgrade() -> None:
    op.drop_index("ix_clocks_running_application", table_name="clocks")
    op.drop_index("ix_clocks_running_due", table_name="clocks")
    op.drop_index("ix_applications_status_is_open_current_due_date_id", table_name="applications")
    op.drop_index("ix_applications_applicant_name", table_name="applications")
