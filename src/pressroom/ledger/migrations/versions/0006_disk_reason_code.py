"""A failed disk's reason code, beside its sentence, in the disk's row and its event.

Revision ID: 0006_reason_code
Revises: 0005_titles
Create Date: 2026-12-01

History and reports say why a disk failed in the shop's words (``station.words``), which
are keyed by the engine's stable reason codes; the ledger kept only the engine's own
sentence. Disks recorded before this revision have an empty code and are shown with the
sentence they were recorded with.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_reason_code"
down_revision = "0005_titles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("disks") as batch:
        batch.add_column(sa.Column("reason_code", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("disks") as batch:
        batch.drop_column("reason_code")
