"""ix_answer_user_answered carries the columns history pages and /stats read

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05

The index keeps its name and leading columns (user_id, answered_at), so every query that used it
still does; the added columns let /stats aggregate and a history page skip rows (OFFSET, the topic
filter) from the index alone, without reading a table row per answer.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NARROW = ["user_id", "answered_at"]
WIDE = ["user_id", "answered_at", "id", "question_id", "rating", "points_total", "covered"]


def upgrade() -> None:
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_index("ix_answer_user_answered")
        batch_op.create_index("ix_answer_user_answered", WIDE, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_index("ix_answer_user_answered")
        batch_op.create_index("ix_answer_user_answered", NARROW, unique=False)
