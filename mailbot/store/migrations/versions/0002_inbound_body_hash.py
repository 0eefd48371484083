"""inbound_mails.body_hash: what the person wrote, for dedupe by content and loop detection

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_mails") as batch:
        batch.add_column(sa.Column("body_hash", sa.String(length=64), nullable=True))
        batch.create_index("ix_inbound_mails_body_hash", ["body_hash"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inbound_mails") as batch:
        batch.drop_index("ix_inbound_mails_body_hash")
        batch.drop_column("body_hash")
