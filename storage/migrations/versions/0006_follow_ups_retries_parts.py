"""Follow-up probes, Try again and answers in several messages

- answer: the follow-up asked after it (probe), the candidate's answer to it with its covered
  points and analysis, and the parts the answer arrived in (count, last message id and date);
- interview_session: the follow-up waiting for an answer, and a question re-asked by Try again;
- user: whether mock interviews ask follow-ups (on by default).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from storage.types import UtcDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    # Every new column is nullable or has a server default: existing rows stay valid as they are.
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("probe", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("probe_answer", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("probe_covered", _json(), nullable=True))
        batch_op.add_column(sa.Column("probe_analysis", _json(), nullable=True))
        batch_op.add_column(sa.Column("probe_answered_at", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("parts", sa.SmallInteger(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("last_message_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("last_part_at", UtcDateTime(), nullable=True))
    with op.batch_alter_table("interview_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("probe_answer_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("probe", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("retry_question_id", sa.String(length=64), nullable=True))
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("follow_ups", sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("follow_ups")
    with op.batch_alter_table("interview_session", schema=None) as batch_op:
        batch_op.drop_column("retry_question_id")
        batch_op.drop_column("probe")
        batch_op.drop_column("probe_answer_id")
    with op.batch_alter_table("answer", schema=None) as batch_op:
        for column in (
            "last_part_at",
            "last_message_id",
            "parts",
            "probe_answered_at",
            "probe_analysis",
            "probe_covered",
            "probe_answer",
            "probe",
        ):
            batch_op.drop_column(column)
