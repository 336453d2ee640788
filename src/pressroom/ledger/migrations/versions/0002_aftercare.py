"""After the sale: revocations (who revoked what, and why) and replacement links.

Revision ID: 0002
Revises: 0001
Create Date: 2024-07-01

``revocations`` holds one row per revoked licence or station as this station learned of it
(revoked here, or imported from the publisher's list); ``replacements`` links a licence to
the replacement disk made for it. Both are also in the hash-chained event log; the tables
make "was this licence replaced or revoked?" one indexed query.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revocations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("target_kind", sa.String(16), nullable=False),  # licence | station
        sa.Column("target", sa.String(32), nullable=False),  # hex id
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("operator", sa.Text, nullable=False, server_default=""),
        sa.Column("station_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("list_number", sa.Integer),  # None: requested, not yet in a list here
        sa.Column("source", sa.String(16), nullable=False),  # local | imported | requested
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index("ix_revocations_target", "revocations", ["target"])
    op.create_table(
        "replacements",
        sa.Column("old_licence", sa.String(32), primary_key=True),
        sa.Column("new_licence", sa.String(32), nullable=False, unique=True),
        sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.run_id")),
        sa.Column("operator", sa.Text, nullable=False, server_default=""),
        sa.Column("plays_carried", sa.Boolean, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("replacements")
    op.drop_index("ix_revocations_target", "revocations")
    op.drop_table("revocations")
