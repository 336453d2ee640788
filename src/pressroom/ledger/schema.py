"""The ledger's tables, as SQLAlchemy Core objects (the migrations own the DDL).

Times are Unix seconds as floats (UTC), except ``events.at``, which is integer
microseconds because it is hashed and must survive every database round trip exactly.
Binary ids are stored as lowercase hex so that they read the same in SQL, CSV and JSON.

The ``catalog`` table belongs to :mod:`pressroom.catalog` and is defined in
:mod:`pressroom.tables`, below both; it lives in this database so one PostgreSQL URL
shares tracks, grants and quotas across a fleet.
"""

from __future__ import annotations

import sqlalchemy as sa

from pressroom.tables import define_catalog_paths_table, define_catalog_table

metadata = sa.MetaData()
catalog = define_catalog_table(metadata)
catalog_paths = define_catalog_paths_table(metadata)

GENESIS_HASH = "0" * 64

grants = sa.Table(
    "grants",
    metadata,
    sa.Column("grant_id", sa.String(32), primary_key=True),
    sa.Column("raw", sa.LargeBinary, nullable=False),  # the signed envelope, as issued
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("publisher", sa.String(32), nullable=False),
    sa.Column("station", sa.String(32)),  # None: any certified station
    sa.Column("tracks", sa.Text, nullable=False),  # JSON list of content hashes
    sa.Column("copies", sa.Integer, nullable=False),
    sa.Column("replacements", sa.Integer, nullable=False),
    # Quota in use: reserved + committed. Released reservations give their copy back.
    sa.Column("copies_used", sa.Integer, nullable=False, server_default="0"),
    sa.Column("replacements_used", sa.Integer, nullable=False, server_default="0"),
    # Copy numbers handed out so far; never decremented, so no index is ever reused.
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

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("run_id", sa.String(32), primary_key=True),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("finished_at", sa.Float),
    sa.Column("operator", sa.Text, nullable=False, server_default=""),
    sa.Column("station_id", sa.String(32), nullable=False),
    sa.Column("grant_id", sa.String(32), sa.ForeignKey("grants.grant_id"), nullable=False),
    sa.Column("tracks", sa.Text, nullable=False),  # JSON list of content hashes
    sa.Column("copies_wanted", sa.Integer, nullable=False),
    sa.Column("rights", sa.Text, nullable=False),  # JSON: per-track or one rights map
    sa.Column("status", sa.String(16), nullable=False),  # running|finished|aborted|failed|crashed
    # JSON list of {"title", "album", "artist"}, one per track (migration 0005; NULL before)
    sa.Column("titles", sa.Text),
)

reservations = sa.Table(
    "reservations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("grant_id", sa.String(32), sa.ForeignKey("grants.grant_id"), nullable=False),
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.run_id")),
    sa.Column("station_id", sa.String(32), nullable=False, server_default=""),
    sa.Column("drive_id", sa.Text, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # sale | replacement
    sa.Column("copy_index", sa.Integer, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # reserved | committed | released | burned
    sa.Column("reason", sa.Text),  # why it was released
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    # the lease (migration 0003): how far the holder got, until when it is alive, who settled
    sa.Column("stage", sa.String(16), nullable=False, server_default="before-licence"),
    sa.Column("lease_until", sa.Float),
    sa.Column("settled_by", sa.String(32)),
    sa.Index("ix_reservations_state", "state"),
    # One holder per copy index; a released index (no licence can exist) may be reused.
    sa.Index(
        "uq_reservations_held_copy",
        "grant_id",
        "kind",
        "copy_index",
        unique=True,
        sqlite_where=sa.text("state IN ('reserved', 'committed', 'burned')"),
        postgresql_where=sa.text("state IN ('reserved', 'committed', 'burned')"),
    ),
)

disks = sa.Table(
    "disks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("licence_id", sa.String(32), unique=True),  # None for failed disks
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.run_id")),
    sa.Column("reservation_id", sa.Integer, sa.ForeignKey("reservations.id")),
    sa.Column("grant_id", sa.String(32)),
    sa.Column("copy_index", sa.Integer),
    sa.Column("slot", sa.Text, nullable=False, server_default=""),
    sa.Column("drive_id", sa.Text, nullable=False, server_default=""),
    sa.Column("identity_hash", sa.String(64)),  # SHA-256 of the canonical disk identity
    sa.Column("serial_hash", sa.String(64)),  # SHA-256 of the serial alone
    sa.Column("serial_masked", sa.Text, nullable=False, server_default=""),
    sa.Column("vendor", sa.Text, nullable=False, server_default=""),
    sa.Column("product", sa.Text, nullable=False, server_default=""),
    sa.Column("capacity", sa.BigInteger),
    sa.Column("tracks", sa.Text, nullable=False, server_default="[]"),
    sa.Column("bytes", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("result", sa.String(8), nullable=False),  # pass | fail
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    # the engine's stable code for a failure (station.words names it in a shop's words)
    sa.Column("reason_code", sa.Text, nullable=False, server_default=""),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("finished_at", sa.Float, nullable=False),
    sa.Column("write_seconds", sa.Float),
    sa.Column("verify_seconds", sa.Float),
    sa.Column("mb_per_s", sa.Float),
    sa.Column("operator", sa.Text, nullable=False, server_default=""),
    sa.Column("station_id", sa.String(32), nullable=False, server_default=""),
    sa.Index("ix_disks_identity", "identity_hash"),
    sa.Index("ix_disks_serial", "serial_hash"),
    sa.Index("ix_disks_run", "run_id"),
    sa.Index("ix_disks_finished", "finished_at"),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("at", sa.BigInteger, nullable=False),  # Unix microseconds
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),  # canonical JSON
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    # Revision 0003: the rare events that record a ledger recovery, found without a scan.
    sa.Index(
        "ix_events_recovered",
        "seq",
        sqlite_where=sa.text("kind = 'ledger-recovered'"),
        postgresql_where=sa.text("kind = 'ledger-recovered'"),
    ),
)

# One row (id = 1): the newest event's seq and hash. Writers lock it (PostgreSQL), and
# verification compares it with the last row, so truncating the chain's tail shows.
chain_head = sa.Table(
    "chain_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# Revision 0002: after the sale.
revocations = sa.Table(
    "revocations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("target_kind", sa.String(16), nullable=False),  # licence | station
    sa.Column("target", sa.String(32), nullable=False),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("operator", sa.Text, nullable=False, server_default=""),
    sa.Column("station_id", sa.String(32), nullable=False, server_default=""),
    sa.Column("list_number", sa.Integer),  # None: requested from the publisher only
    sa.Column("source", sa.String(16), nullable=False),  # local | imported | requested
    sa.Column("at", sa.Float, nullable=False),
    sa.Index("ix_revocations_target", "target"),
)

# A licence is replaced at most once; a replacement's own licence may be replaced later.
replacements = sa.Table(
    "replacements",
    metadata,
    sa.Column("old_licence", sa.String(32), primary_key=True),
    sa.Column("new_licence", sa.String(32), nullable=False, unique=True),
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.run_id")),
    sa.Column("operator", sa.Text, nullable=False, server_default=""),
    sa.Column("plays_carried", sa.Boolean, nullable=False),
    sa.Column("at", sa.Float, nullable=False),
)
