"""applications: the open / closed overview indexes end with the id (index-only on PostgreSQL)

The overview's clock figures of a reviewer's scope or a kind filter semi-join on the ids of the
open applications and of those closed in the window (``data.queries.overview._clock_filters``).
SQLite keeps the row id in every index; PostgreSQL needs ``id`` in the index to answer from it
alone, else it read the table (a parallel scan of a million rows: 0.3 s of the reviewer's
overview). The two indexes are rebuilt with ``id`` as their last column.

Revision ID: 0011_overview_ids
Revises: 0010_clocks_stopped_covering
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_overview_ids"
down_revision = "0010_clocks_stopped_covering"
branch_labels = None
depends_on = None

OPEN = ["kind", "status", "akimat_id", "reviewer_id", "current_due_date", "current_policy", "registration_date",
        "is_open"]
CLOSED = ["closed_at", "kind", "akimat_id", "reviewer_id"]


def _create(with_id: bool) -> None:
    extra = ["id"] if with_id else []
    op.create_index("ix_applications_open_overview", "applications", OPEN + extra,
                    sqlite_where=sa.text("is_open IS 1"), postgresql_where=sa.text("is_open IS true"))
    op.create_index("ix_applications_closed_overview", "applications", CLOSED + extra)


def _drop() -> None:
    op.drop_index("ix_applications_open_overview", table_name="applications")
    op.drop_index("ix_applications_closed_overview", table_name="applications")


def upgrade() -> None:
    _drop()
    _create(with_id=True)
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM applications LIMIT 1")).first() is not None:
        if bind.dialect.name == "sqlite":
            op.execute("ANALYZE ix_applications_open_overview")
            op.execute("ANALYZE ix_applications_closed_overview")
        else:
            op.execute("ANALYZE applications")


def downgrade() -> None:
    _drop()
    _create(with_id=False)
