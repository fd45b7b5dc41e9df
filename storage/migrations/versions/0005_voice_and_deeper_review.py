"""answer: voice file id and length for spoken answers; the optional deeper review

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from storage.types import UtcDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # All nullable: typed answers and answers stored before this revision have none of them.
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("voice_file_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("voice_seconds", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("deeper_review", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=True)
        )
        batch_op.add_column(sa.Column("deeper_review_at", UtcDateTime(), nullable=True))
        batch_op.create_index("ix_answer_user_deeper_review", ["user_id", "deeper_review_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_index("ix_answer_user_deeper_review")
        batch_op.drop_column("deeper_review_at")
        batch_op.drop_column("deeper_review")
        batch_op.drop_column("voice_seconds")
        batch_op.drop_column("voice_file_id")
