"""report runs: the exports users and the scheduler asked for (data/models/report_run.py)

Revision ID: 0008_report_runs
Revises: 0007_merge
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_report_runs"
down_revision = "0007_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("file_path", sa.String(length=300), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=True),
        sa.Column("error_key", sa.String(length=80), nullable=True),
        sa.Column("error_params", sa.JSON(), nullable=True),
        sa.Column("error_detail", sa.Text(), nullable=True),
        sa.Column("scheduled", sa.Boolean(), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=True),
        sa.Column("worker", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_report_runs_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_runs")),
    )
    op.create_index(op.f("ix_report_runs_user_id_created_at"), "report_runs", ["user_id", "created_at"])
    op.create_index(op.f("ix_report_runs_audience_created_at"), "report_runs", ["audience", "created_at"])
    op.create_index(op.f("ix_report_runs_status"), "report_runs", ["status"])
    op.create_index(op.f("ix_report_runs_expires_at"), "report_runs", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_report_runs_expires_at"), table_name="report_runs")
    op.drop_index(op.f("ix_report_runs_status"), table_name="report_runs")
    op.drop_index(op.f("ix_report_runs_audience_created_at"), table_name="report_runs")
    op.drop_index(op.f("ix_report_runs_user_id_created_at"), table_name="report_runs")
    op.drop_table("report_runs")
