"""daily prompts, cards, review logs and deliveries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from storage.types import UtcDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "card",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("state_json", sa.Text(), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("last_rating", sa.SmallInteger(), nullable=False),
        sa.Column("last_review_at", UtcDateTime(), nullable=False),
        sa.Column("review_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_card_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card")),
    )
    with op.batch_alter_table("card", schema=None) as batch_op:
        batch_op.create_index("ix_card_user_due", ["user_id", "due_at"], unique=False)
        batch_op.create_index("uq_card_user_question", ["user_id", "question_id"], unique=True)

    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", UtcDateTime(), nullable=True),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.Column("question_id", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_delivery_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index("ix_delivery_status_due", ["status", "due_at"], unique=False)
        batch_op.create_index("ix_delivery_user_sent", ["user_id", "sent_at"], unique=False)
        batch_op.create_index(
            "uq_delivery_daily_per_day",
            ["user_id", "local_date"],
            unique=True,
            sqlite_where=sa.text("kind = 'daily'"),
            postgresql_where=sa.text("kind = 'daily'"),
        )

    op.create_table(
        "practice_schedule",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("local_time", sa.String(length=5), nullable=False),
        sa.Column("quiet_start", sa.String(length=5), nullable=False),
        sa.Column("quiet_end", sa.String(length=5), nullable=False),
        sa.Column("next_due_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_practice_schedule_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_practice_schedule")),
    )
    with op.batch_alter_table("practice_schedule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_practice_schedule_next_due_at"), ["next_due_at"], unique=False)

    op.create_table(
        "review_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("reviewed_at", UtcDateTime(), nullable=False),
        sa.Column("log_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answer_id"], ["answer.id"], name=op.f("fk_review_log_answer_id_answer"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_review_log_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_log")),
    )
    with op.batch_alter_table("review_log", schema=None) as batch_op:
        batch_op.create_index("ix_review_log_user_reviewed", ["user_id", "reviewed_at"], unique=False)

    with op.batch_alter_table("interview_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), server_default="interview", nullable=False)
        )

    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("topics", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True)
        )
        batch_op.add_column(sa.Column("interview_date", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("interview_session", schema=None) as batch_op:
        batch_op.drop_column("kind")

    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("interview_date")
        batch_op.drop_column("topics")
        batch_op.drop_column("timezone")

    with op.batch_alter_table("review_log", schema=None) as batch_op:
        batch_op.drop_index("ix_review_log_user_reviewed")

    op.drop_table("review_log")
    with op.batch_alter_table("practice_schedule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_schedule_next_due_at"))

    op.drop_table("practice_schedule")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_delivery_daily_per_day",
            sqlite_where=sa.text("kind = 'daily'"),
            postgresql_where=sa.text("kind = 'daily'"),
        )
        batch_op.drop_index("ix_delivery_user_sent")
        batch_op.drop_index("ix_delivery_status_due")

    op.drop_table("delivery")
    with op.batch_alter_table("card", schema=None) as batch_op:
        batch_op.drop_index("uq_card_user_question")
        batch_op.drop_index("ix_card_user_due")

    op.drop_table("card")
