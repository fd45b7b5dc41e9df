"""The unit of work: one short transaction and every repository over it.

    async with db.unit() as uow:
        user, _ = await uow.users.upsert(...)
        await uow.sessions.create(user.id, ...)

The block commits when it ends and rolls back when it raises. A write refused by a unique
index (another process, or a redelivered update, got there first) leaves the block as
Conflict, so callers never see the driver's exceptions. The answer path's writes tell the
expected duplicate (Conflict) from any other refusal (StorageError), so a real fault is never
reported as "already answered". Repositories are built on first
use: the answer path touches two of them, and each is a single attribute over the
connection.
"""

from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncConnection

from storage.errors import Conflict, StorageError
from storage.history_repositories import HistoryRepository
from storage.inbox_repositories import InboxRepository
from storage.practice_repositories import (
    CardRepository,
    DeliveryRepository,
    ReviewLogRepository,
    ScheduleRepository,
)
from storage.repositories import AnswerRepository, SessionRepository, UserRepository

__all__ = ["Conflict", "StorageError", "UnitOfWork"]


class UnitOfWork:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    @cached_property
    def users(self) -> UserRepository:
        return UserRepository(self.conn)

    @cached_property
    def sessions(self) -> SessionRepository:
        return SessionRepository(self.conn)

    @cached_property
    def answers(self) -> AnswerRepository:
        return AnswerRepository(self.conn)

    @cached_property
    def history(self) -> HistoryRepository:
        return HistoryRepository(self.conn)

    @cached_property
    def schedules(self) -> ScheduleRepository:
        return ScheduleRepository(self.conn)

    @cached_property
    def cards(self) -> CardRepository:
        return CardRepository(self.conn)

    @cached_property
    def review_logs(self) -> ReviewLogRepository:
        return ReviewLogRepository(self.conn)

    @cached_property
    def deliveries(self) -> DeliveryRepository:
        return DeliveryRepository(self.conn)

    @cached_property
    def inbox(self) -> InboxRepository:
        return InboxRepository(self.conn)
