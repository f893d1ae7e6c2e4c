"""merge the branch migrations 0002-0006 into one line

Later migrations build on this revision.

Revision ID: 0007_merge
Revises: 0002_list_imports, 0003_jobs, 0004_auth_audit, 0005_registry_indexes, 0006_overview_indexes
"""
from __future__ import annotations

revision = "0007_merge"
down_revision = ("0002_list_imports", "0003_jobs", "0004_auth_audit", "0005_registry_indexes", "0006_overview_indexes")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
