"""The first ledger schema: catalog, grants, runs, reservations, disks, hash-chained events.

Revision ID: 0001
Revises:
Create Date: 2024-06-01

Migrations spell their tables out instead of importing the live schema, so that this
revision creates the same tables forever, whatever later code looks like.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Early catalog builds created their table on demand in the same file: adopt it.
    if "catalog" not in sa.inspect(op.get_bind()).get_table_names():
        _create_catalog()
    _create_ledger_tables()


def _create_catalog() -> None:
    op.create_table(
        "catalog",
        sa.Column("content_hash", sa.String(64), primary_key=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("codec", sa.String(32), nullable=False, server_default=""),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("artist", sa.Text, nullable=False, server_default=""),
        sa.Column("album", sa.Text, nullable=False, server_default=""),
        sa.Column("track_number", sa.Integer),
        sa.Column("duration", sa.Float),
        sa.Column("bitrate", sa.Integer),
        sa.Column("sample_rate", sa.Integer),
        sa.Column("channels", sa.Integer),
        sa.Column("cover", sa.LargeBinary),
        sa.Column("cover_mime", sa.String(32)),
        sa.Column("imported_at", sa.Float, nullable=False),
    )


def _create_ledger_tables() -> None:
    op.create_table(
        "grants",
        sa.Column("grant_id", sa.String(32), primary_key=True),
        sa.Column("raw", sa.LargeBinary, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("publisher", sa.String(32), nullable=False),
        sa.Column("station", sa.String(32)),
        sa.Column("tracks", sa.Text, nullable=False),
        sa.Column("copies", sa.Integer, nullable=False),
        sa.Column("replacements", sa.Integer, nullable=False),
        sa.Column("copies_used", sa.Integer, nullable=False, server_default="0"),
        sa.Column("replacements_used", sa.Integer, nullable=False, server_default="0"),
        sa.Column("copies_issued", sa.Integer, nullable=False, server_default="0"),
        sa.Column("replacements_issued", sa.Integer, nullable=False, server_default="0"),
        sa.Column("not_before", sa.BigInteger, nullable=False),
        sa.Column("not_after", sa.BigInteger, nullable=False),
        sa.Column("imported_at", sa.Float, nullable=False),
        sa.CheckConstraint("copies_used >= 0 AND copies_used <= copies", name="ck_grants_copies"),
        sa.CheckConstraint(
            "replacements_used >= 0 AND replacements_used <= replacements",
            name="ck_grants_replacements",
        ),
    )
    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(32), primary_key=True),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float),
        sa.Column("operator", sa.Text, nullable=False, server_default=""),
        sa.Column("station_id", sa.String(32), nullable=False),
        sa.Column("grant_id", sa.String(32), sa.ForeignKey("grants.grant_id"), nullable=False),
        sa.Column("tracks", sa.Text, nullable=False),
        sa.Column("copies_wanted", sa.Integer, nullable=False),
        sa.Column("rights", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
    )
    op.create_table(
        "reservations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("grant_id", sa.String(32), sa.ForeignKey("grants.grant_id"), nullable=False),
        sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.run_id")),
        sa.Column("station_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("drive_id", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("copy_index", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_reservations_state", "reservations", ["state"])
    held = sa.text("state IN ('reserved', 'committed', 'burned')")
    op.create_index(
        "uq_reservations_held_copy",
        "reservations",
        ["grant_id", "kind", "copy_index"],
        unique=True,
        sqlite_where=held,
        postgresql_where=held,
    )
    op.create_table(
        "disks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("licence_id", sa.String(32), unique=True),
        sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.run_id")),
        sa.Column("reservation_id", sa.Integer, sa.ForeignKey("reservations.id")),
        sa.Column("grant_id", sa.String(32)),
        sa.Column("copy_index", sa.Integer),
        sa.Column("slot", sa.Text, nullable=False, server_default=""),
        sa.Column("drive_id", sa.Text, nullable=False, server_default=""),
        sa.Column("identity_hash", sa.String(64)),
        sa.Column("serial_hash", sa.String(64)),
        sa.Column("serial_masked", sa.Text, nullable=False, server_default=""),
        sa.Column("vendor", sa.Text, nullable=False, server_default=""),
        sa.Column("product", sa.Text, nullable=False, server_default=""),
        sa.Column("capacity", sa.BigInteger),
        sa.Column("tracks", sa.Text, nullable=False, server_default="[]"),
        sa.Column("bytes", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("result", sa.String(8), nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float, nullable=False),
        sa.Column("write_seconds", sa.Float),
        sa.Column("verify_seconds", sa.Float),
        sa.Column("mb_per_s", sa.Float),
        sa.Column("operator", sa.Text, nullable=False, server_default=""),
        sa.Column("station_id", sa.String(32), nullable=False, server_default=""),
    )
    op.create_index("ix_disks_identity", "disks", ["identity_hash"])
    op.create_index("ix_disks_serial", "disks", ["serial_hash"])
    op.create_index("ix_disks_run", "disks", ["run_id"])
    op.create_index("ix_disks_finished", "disks", ["finished_at"])
    op.create_table(
        "events",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    head = op.create_table(
        "chain_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": "0" * 64}])


def downgrade() -> None:
    for table in ("chain_head", "events", "disks", "reservations", "runs", "grants", "catalog"):
        op.drop_table(table)
