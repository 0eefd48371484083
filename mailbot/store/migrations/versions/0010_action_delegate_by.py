"""action_items.delegate_by: the day a delegate's silence hands the action over

Revision ID: 0010
Revises: 0009

A "转交" asks the new owner to confirm, "逾期视为默认" like every request; until now the request
carried the first round's deadline (long past) and silence changed nothing, so a delegation
nobody answered stayed pending forever. A delegation pending before this has no deadline of its
own: it waits, as before, for the delegate's answer.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("action_items") as batch:
        batch.add_column(sa.Column("delegate_by", sa.Date(), nullable=True))
        batch.create_index("ix_action_items_delegate_by", ["delegate_by"])


def downgrade() -> None:
    with op.batch_alter_table("action_items") as batch:
        batch.drop_index("ix_action_items_delegate_by")
        batch.drop_column("delegate_by")
