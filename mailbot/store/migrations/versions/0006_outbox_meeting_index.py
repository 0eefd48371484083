"""outbox.meeting_id indexed: the last draft mail of a meeting is one index look-up, not a scan

Revision ID: 0006
Revises: 0005

`confirmation.changes_since` asks, for every minutes draft, which mail of a meeting's kinds went
out last (`WHERE meeting_id = ? AND kind IN (...) ORDER BY id DESC LIMIT 1`). Without this index
the database read every row of those kinds (and its context) for each draft: ingest slowed as
the outbox grew.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_outbox_meeting_id", "outbox", ["meeting_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbox_meeting_id", table_name="outbox")
