"""Two sweeps at once against PostgreSQL: FOR UPDATE SKIP LOCKED keeps every prompt single.

SQLite serialises writers, so tests/test_sweep.py cannot show that two processes skip each
other's locked rows; this file does, on a real server. It runs when TEST_DATABASE_URL names
one (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test), on the `pg_url` fixture's
database (tests/conftest.py): migrated, emptied for each test. An answer's stored analysis
(JSONB there, JSON on SQLite) is checked to come back unchanged as well.
"""

import asyncio
import random
from collections import Counter
from datetime import date
from pathlib import Path

from bot.core.interview import Answered, Identity, Started
from bot.core.services import Services
from bot.core.srs import SpacedRepetition
from bot.core.sweep import SweepReport
from questions.loader import QuestionBank
from storage.db import Database
from tests.conftest import FakeClock, make_settings
from tests.conftest import pg_url as pg_url  # some modules import the fixture from here
from tests.test_sweep import Recorder, chat, daily_for, delivery_rows, person, unblocked_the_same_day

URL_VAR = "TEST_DATABASE_URL"
BATCH = 5


def open_services(url: str, tmp_path: Path, bank: QuestionBank, clock: FakeClock, seed: int) -> Services:
    """One bot process: its own engine and connection pool.

    Small batches make the two processes claim many times each, so their claims overlap.
    """
    settings = make_settings(tmp_path, url)
    return Services(
        settings.model_copy(
            update={"scheduler": settings.scheduler.model_copy(update={"batch_size": BATCH})}
        ),
        Database(url),
        bank,
        clock,
        random.Random(seed),
        SpacedRepetition(enable_fuzzing=False),
    )


async def test_two_sweeps_on_postgresql_send_each_of_100_users_exactly_one_prompt(
    pg_url: str, tmp_path: Path, bank: QuestionBank, clock: FakeClock
) -> None:
    first = open_services(pg_url, tmp_path, bank, clock, seed=1)
    second = open_services(pg_url, tmp_path, bank, clock, seed=2)
    people = [person(n) for n in range(100)]
    rec = Recorder()
    try:
        assert first.db.engine.dialect.name == "postgresql"
        await daily_for(first, people, "09:30")
        clock.advance(minutes=30)
        reports: list[SweepReport] = []
        for _ in range(3):
            reports += await asyncio.gather(first.sweep.tick(rec), second.sweep.tick(rec))
        assert rec.per_chat() == {chat(p): 1 for p in people}
        assert [r.errors for r in reports] == [[]] * len(reports)
        assert sum(r.scheduled for r in reports) == 100
        assert sum(r.sent for r in reports) == 100
        rows = await delivery_rows(first.db)
    finally:
        await first.close()
        await second.close()
    assert len(rec.calls) == 100
    assert Counter((r.chat_id, r.local_date, r.status) for r in rows) == {
        (chat(p), date(2026, 3, 2), "sent"): 1 for p in people
    }


async def test_an_answers_analysis_round_trips_through_jsonb(
    pg_url: str, tmp_path: Path, bank: QuestionBank, clock: FakeClock
) -> None:
    services = open_services(pg_url, tmp_path, bank, clock, seed=3)
    who = Identity("pg:1", 1, "Ann")
    try:
        started = await services.interviews.start(who)
        assert isinstance(started, Started)
        question = started.prompt.question
        model = " ".join(question.model_answer)
        answered = await services.interviews.answer(who, model)
        assert isinstance(answered, Answered) and answered.feedback.covered
        history = await services.progress.attempts(who, answered.answer_id)
    finally:
        await services.close()
    assert history is not None
    [attempt] = history.attempts
    assert attempt.feedback == answered.feedback


async def test_a_prompt_refused_by_a_blocked_chat_frees_the_day_on_postgresql(
    pg_url: str, tmp_path: Path, bank: QuestionBank, clock: FakeClock
) -> None:
    services = open_services(pg_url, tmp_path, bank, clock, seed=4)
    try:
        await unblocked_the_same_day(services, clock)
    finally:
        await services.close()
