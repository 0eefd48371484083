"""held_mails: mails from unproven senders, waiting for the claimed address to confirm

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "held_mails",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("inbound_mail_id", sa.Integer(), sa.ForeignKey("inbound_mails.id"), nullable=False, unique=True),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("settled_by_id", sa.Integer(), sa.ForeignKey("inbound_mails.id"), nullable=True),
    )
    op.create_index("ix_held_mails_address", "held_mails", ["address"])


def downgrade() -> None:
    op.drop_index("ix_held_mails_address", table_name="held_mails")
    op.drop_table("held_mails")
