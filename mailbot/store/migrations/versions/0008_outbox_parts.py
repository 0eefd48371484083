"""outbox_parts: context pieces many outbox rows share, stored once (the Monday mail's meetings)

Revision ID: 0008
Revises: 0007

Each reader's weekly status mail held a copy of every meeting section it shows: a host, the
department heads and every owner of a meeting stored the same section again, ~400 MB a week at
1,000 meetings (bench/scale.py), most of the run's time. Rows decided before this keep their
whole context and render as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_parts",
        sa.Column("key", sa.String(length=64), primary_key=True),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("outbox_parts")
