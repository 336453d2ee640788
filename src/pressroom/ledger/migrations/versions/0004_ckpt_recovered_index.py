"""A partial index on the events that record a ledger recovery.

Revision ID: 0004_ckpt
Revises: 0003_fleet
Create Date: 2026-12-01

Every checkpoint says whether its ledger was recovered (the newest ``ledger-recovered``
event); without an index that question scans the whole chain (0.45 s at a million events
on SQLite, before every run). The index holds only those rare events, so appending any
other event costs nothing more.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_ckpt"
down_revision = "0003_fleet"
branch_labels = None
depends_on = None

_WHERE = "kind = 'ledger-recovered'"


def upgrade() -> None:
    op.create_index(
        "ix_events_recovered",
        "events",
        ["seq"],
        sqlite_where=sa.text(_WHERE),
        postgresql_where=sa.text(_WHERE),
    )


def downgrade() -> None:
    op.drop_index("ix_events_recovered", table_name="events")
