"""full-text search indexes for needs and offers (SQLite FTS5)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 23:50:00
"""
from collections.abc import Sequence

from alembic import op

from matchmaker import search_index

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # other databases search with LIKE
    for table in search_index.INDEXED_TABLES:
        for statement in search_index.create_statements(table):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in search_index.INDEXED_TABLES:
        for statement in search_index.drop_statements(table):
            op.execute(statement)
