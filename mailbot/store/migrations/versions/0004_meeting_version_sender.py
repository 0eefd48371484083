"""meetings.version_sender: who sent the agenda or minutes in force (who may send a new version)

Revision ID: 0004
Revises: 0003

Existing meetings take the sender of their active minutes version, else of the last agenda or
minutes mail processed for them; a meeting with neither keeps none (its recorder and host decide).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meetings") as batch:
        batch.add_column(sa.Column("version_sender", sa.String(length=320), nullable=True))
    op.execute(
        """
        UPDATE meetings SET version_sender = lower((
            SELECT i.sender FROM minutes_versions v JOIN inbound_mails i ON i.id = v.inbound_mail_id
            WHERE v.meeting_id = meetings.id AND v.status = 'active'
            ORDER BY v.number DESC LIMIT 1
        ))
        WHERE version_sender IS NULL
        """
    )
    op.execute(
        """
        UPDATE meetings SET version_sender = lower((
            SELECT i.sender FROM inbound_mails i
            WHERE i.meeting_id = meetings.id AND i.kind IN ('agenda', 'minutes') AND i.outcome = 'processed'
            ORDER BY i.id DESC LIMIT 1
        ))
        WHERE version_sender IS NULL
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("meetings") as batch:
        batch.drop_column("version_sender")
