"""group_posts: posts to a project's group robot, queued with the decision, delivered with retries

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "group_posts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(length=300), nullable=False, unique=True),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("robot", sa.String(length=300), nullable=False),
        sa.Column("service", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("message", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("meetings.id"), nullable=True),
        sa.Column("action_id", sa.Integer(), sa.ForeignKey("action_items.id"), nullable=True),
    )
    op.create_index("ix_group_posts_status_next", "group_posts", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_group_posts_status_next", table_name="group_posts")
    op.drop_table("group_posts")
