"""jobs: run history, working-day table, daily snapshots, notifications, clock day counts

Written by hand (only the tables and columns of data/models/jobs.py and the two columns the
overdue job adds to clocks).

Revision ID: 0003_jobs
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_jobs"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=60), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("locked_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("host", sa.String(length=100), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        sa.UniqueConstraint("job", "period", name=op.f("uq_job_runs_job_period")),
    )
    op.create_index(op.f("ix_job_runs_job_started_at"), "job_runs", ["job", "started_at"])
    op.create_index(op.f("ix_job_runs_started_at"), "job_runs", ["started_at"])

    op.create_table(
        "job_state",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_job_state")),
    )

    op.create_table(
        "work_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("wd_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_work_days")),
    )

    op.create_table(
        "daily_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("akimat_id", sa.Integer(), nullable=True),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("open", sa.Integer(), nullable=False),
        sa.Column("due_soon", sa.Integer(), nullable=False),
        sa.Column("overdue", sa.Integer(), nullable=False),
        sa.Column("closed_on_time", sa.Integer(), nullable=False),
        sa.Column("closed_late", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["akimat_id"], ["akimats.id"], name=op.f("fk_daily_snapshots_akimat_id_akimats")),
        sa.ForeignKeyConstraint(["reviewer_id"], ["users.id"], name=op.f("fk_daily_snapshots_reviewer_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_daily_snapshots")),
    )
    op.create_index(op.f("ix_daily_snapshots_day_kind"), "daily_snapshots", ["day", "kind"])
    op.create_index(op.f("ix_daily_snapshots_akimat_id_day"), "daily_snapshots", ["akimat_id", "day"])
    op.create_index(op.f("ix_daily_snapshots_reviewer_id_day"), "daily_snapshots", ["reviewer_id", "day"])

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("dedup_key", sa.String(length=80), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("user_id", "dedup_key", name=op.f("uq_notifications_user_id_dedup_key")),
    )
    op.create_index(op.f("ix_notifications_user_id_read_at_created_at"), "notifications",
                    ["user_id", "read_at", "created_at"])

    with op.batch_alter_table("clocks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("days_overdue_wd", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("days_overdue_cd", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clocks", schema=None) as batch_op:
        batch_op.drop_column("days_overdue_cd")
        batch_op.drop_column("days_overdue_wd")
    op.drop_index(op.f("ix_notifications_user_id_read_at_created_at"), table_name="notifications")
    op.drop_table("notifications")
    op.drop_index(op.f("ix_daily_snapshots_reviewer_id_day"), table_name="daily_snapshots")
    op.drop_index(op.f("ix_daily_snapshots_akimat_id_day"), table_name="daily_snapshots")
    op.drop_index(op.f("ix_daily_snapshots_day_kind"), table_name="daily_snapshots")
    op.drop_table("daily_snapshots")
    op.drop_table("work_days")
    op.drop_table("job_state")
    op.drop_index(op.f("ix_job_runs_started_at"), table_name="job_runs")
    op.drop_index(op.f("ix_job_runs_job_started_at"), table_name="job_runs")
    op.drop_table("job_runs")
