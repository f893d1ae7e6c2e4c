"""clocks: fillfactor 70 on PostgreSQL, so the overdue job's updates are heap-only (HOT)

The overdue job rewrites ``state``, ``days_overdue_wd`` and ``days_overdue_cd`` of the open
clocks (all of them on its first run, every overdue one each new day). None of these columns is
indexed, so PostgreSQL can keep the new row version on the same page without touching any of
the table's eleven indexes, but only when the page has room: a table filled to 100 % (the
default) makes every such update write a new entry into every index. With 30 % of each page
left free the updates stay on their page. Pages written before this migration keep their
density until the table is rewritten (``VACUUM FULL clocks`` in a maintenance window); new rows
get the room at once. SQLite has no such setting: nothing to do there.

Revision ID: 0009_clocks_fillfactor
Revises: 0008_report_runs
"""
from alembic import op

revision = "0009_clocks_fillfactor"
down_revision = "0008_report_runs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE clocks SET (fillfactor = 70)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE clocks RESET (fillfactor)")
