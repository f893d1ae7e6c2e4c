"""akimat list imports: row errors table, more about each batch

Written by hand (other branches add tables at the same time): only the table and the columns
of the list import.

Revision ID: 0002_list_imports
Revises: 0001
Create Date: 2026-11-22 05:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = "0002_list_imports"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "list_row_errors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=True),
        sa.Column("column", sa.String(length=200), nullable=True),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("row_values", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["list_batches.id"],
                                name=op.f("fk_list_row_errors_batch_id_list_batches")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_row_errors")),
    )
    with op.batch_alter_table("list_row_errors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_list_row_errors_batch_id_row"), ["batch_id", "row"], unique=False)

    # Nullable columns without constraints: a plain ALTER TABLE ... ADD COLUMN on SQLite too
    # (no table rebuild, so existing recipients keep their foreign keys untouched).
    with op.batch_alter_table("list_batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("file_format", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("error_code", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("error_params", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("duplicate_of_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("header_row", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("headers", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("ignored_columns", sa.JSON(), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite >= 3.35 has it): a rebuild of list_batches would fail
    # on SQLite while recipients reference it.
    with op.batch_alter_table("list_batches", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("ignored_columns")
        batch_op.drop_column("headers")
        batch_op.drop_column("header_row")
        batch_op.drop_column("duplicate_of_id")
        batch_op.drop_column("error_params")
        batch_op.drop_column("error_code")
        batch_op.drop_column("file_format")
        batch_op.drop_column("source")
    with op.batch_alter_table("list_row_errors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_list_row_errors_batch_id_row"))
    op.drop_table("list_row_errors")
