"""Leases on reservations: who holds an open copy, how far it got, until when.

Revision ID: 0003_fleet
Revises: 0002
Create Date: 2026-12-01

``stage`` says whether the holder may have started writing the disk's licence
("before-licence" or "licence"); ``lease_until`` is renewed by the holding run while it is
alive; ``settled_by`` names the station that settled a reservation another station left
open (after its lease expired) or its own after a crash. Rows from before this revision
have no lease: they count as expired once they are older than a lease.

``catalog_paths`` records, per station, where that station keeps its own copy of a track
(the catalog's identity is the content hash; several stations keep the same music in
different folders).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_fleet"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reservations") as batch:
        batch.add_column(
            sa.Column("stage", sa.String(16), nullable=False, server_default="before-licence")
        )
        batch.add_column(sa.Column("lease_until", sa.Float))
        batch.add_column(sa.Column("settled_by", sa.String(32)))
    if "catalog_paths" in sa.inspect(op.get_bind()).get_table_names():
        return  # made by a catalog store used before the ledger (see 0001): adopted
    op.create_table(
        "catalog_paths",
        sa.Column("content_hash", sa.String(64), primary_key=True),
        sa.Column("station_id", sa.String(32), primary_key=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("verified_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("catalog_paths")
    with op.batch_alter_table("reservations") as batch:
        batch.drop_column("settled_by")
        batch.drop_column("lease_until")
        batch.drop_column("stage")
