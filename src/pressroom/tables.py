"""Tables two parts share: the ``catalog`` table, defined on a MetaData the caller owns.

It sits below both :mod:`pressroom.catalog` (which reads and writes it) and
:mod:`pressroom.ledger` (whose metadata, and so whose Alembic migrations, include it), so
the two parts stay independent of each other (docs/ARCHITECTURE.md); the catalog never
creates a second schema of its own. The columns follow the ledger's
conventions and its migration 0001: times are Unix seconds as floats, and unknown text
tags are stored as '' (NOT NULL with a server default) so SQL and CSV reports need no
NULL handling; the store maps '' back to None.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

CATALOG_TABLE = "catalog"
CATALOG_PATHS_TABLE = "catalog_paths"


def define_catalog_paths_table(metadata: MetaData) -> Table:
    """Where each station keeps its own copy of a track (several stations share one
    catalog, each with its own folders); a row is written only after the file at that
    path hashed to the track's content hash."""
    if CATALOG_PATHS_TABLE in metadata.tables:
        return metadata.tables[CATALOG_PATHS_TABLE]
    return Table(
        CATALOG_PATHS_TABLE,
        metadata,
        Column("content_hash", String(64), primary_key=True),
        Column("station_id", String(32), primary_key=True),
        Column("path", Text, nullable=False),
        Column("verified_at", Float, nullable=False),  # when its bytes hashed to the track
    )


def define_catalog_table(metadata: MetaData) -> Table:
    """Add the catalog table to ``metadata`` (or return it if already there)."""
    if CATALOG_TABLE in metadata.tables:
        return metadata.tables[CATALOG_TABLE]
    return Table(
        CATALOG_TABLE,
        metadata,
        Column("content_hash", String(64), primary_key=True),  # hex SHA-256 of the bytes
        Column("path", Text, nullable=False),
        Column("size", BigInteger, nullable=False),
        Column("kind", String(16), nullable=False),  # audio | other
        Column("format", String(16), nullable=False),
        Column("codec", String(32), nullable=False, server_default=""),
        Column("title", Text, nullable=False, server_default=""),
        Column("artist", Text, nullable=False, server_default=""),
        Column("album", Text, nullable=False, server_default=""),
        Column("track_number", Integer),
        Column("duration", Float),
        Column("bitrate", Integer),
        Column("sample_rate", Integer),
        Column("channels", Integer),
        Column("cover", LargeBinary),
        Column("cover_mime", String(32)),
        Column("imported_at", Float, nullable=False),  # Unix seconds, UTC
    )
