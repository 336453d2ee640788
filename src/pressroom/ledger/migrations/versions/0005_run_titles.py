"""The titles of what a run copied: album, artist and track names, in the run's row.

Revision ID: 0005_titles
Revises: 0004_ckpt
Create Date: 2026-12-01

History and reports say what was copied in words a shop reads ("Demo Album: 3 tracks"),
not as content hashes. The names are taken from the catalog when the run starts and kept
with the run, so a later re-tag or a track removed from the catalog does not change what
an old run says it copied. Titles are not secret. Runs recorded before this revision have
no titles (NULL); History names their tracks from the catalog where it still can.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_titles"
down_revision = "0004_ckpt"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("titles", sa.Text))  # JSON list, one entry per track


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("titles")
