"""people.language_source: whether a person's language is the directory's word or what they wrote in

Revision ID: 0009
Revises: 0008

A person the directory lists without a language never had the language they write in
remembered (it could not be told apart from the directory's word afterwards), so an English
writer in a Chinese company got Chinese reminders and weekly mails forever. "directory": the
directory said it, a mail never changes it; "mail": what they last wrote in (enough words, a
proven sender). Existing rows are filled in from what each could have come from.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("language_source", sa.String(length=20), nullable=True))
    # Until now only the directory set a directory person's language, and only mail anyone else's.
    op.execute(
        "UPDATE people SET language_source = CASE WHEN source = 'directory' THEN 'directory' ELSE 'mail' END"
        " WHERE language IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.drop_column("language_source")
