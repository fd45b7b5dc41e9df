"""End to end: daily prompts, reviews, /daily, /topics and /interviewdate.

The real PTB Application(s) talk HTTP to the fake Bot API server. The FakeClock is the bot's
notion of time (schedules, due dates), and the tests drive the sweep: `Ticks` pauses the
JobQueue's timer and runs the very job it would run, so a test moves the clock past a prompt's
time, runs a tick and reads what the fake recorded, without waiting real seconds. One test keeps
the timer (every second here, [scheduler] tick_seconds = 1) to show the JobQueue sweeps on its
own, and the killed-process test runs a real `python -m bot run` on the system clock.

Only the pacing test keeps the rate limiter's 30 messages a second; the others use the same
limiter without the pacing (it still retries after a 429), so hundreds of prompts go out at once.
"""

import asyncio
import inspect
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.core.interview import Identity
from bot.core.services import Services
from bot.core.sweep import SENDING_LEASE, PromptSweep, Sender, SweepReport
from bot.tg import callback_data
from bot.tg.app import BotApplication
from questions.loader import QuestionBank
from questions.schema import Question
from questions.topics import TOPICS
from tests import db_rows
from tests.conftest import FakeClock, running_bot, write_bot_settings
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.follow_up_helpers import follow_ups_off
from tests.processes import start_bot
from tests.test_e2e_interview import message, rows, say

ANSWER = (
    "I would agree the goals with the sponsor, map the stakeholders, assess the risks, plan a "
    "pilot and a phased rollout with a rollback plan, and report progress every week."
)


def at(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """An instant in 2026, UTC. The FakeClock starts at Mon 2 Mar 09:00 UTC."""
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


utc = db_rows.stored_utc


@pytest.fixture
def daily_settings(tmp_path: Path, db_url: str, fake: FakeTelegram) -> Settings:
    return write_bot_settings(tmp_path, db_url, fake, "[scheduler]\ntick_seconds = 1\n")


class Ticks:
    """Counts the sweeps one running Application finishes (a spy around its PromptSweep.tick),
    and runs its sweep job on demand; unless `scheduled`, the JobQueue's timer is paused."""

    def __init__(self, app: BotApplication, monkeypatch: pytest.MonkeyPatch, *, scheduled: bool) -> None:
        assert app.job_queue is not None
        [job] = app.job_queue.get_jobs_by_name("prompt-sweep")
        self.app, self.job, self.scheduled = app, job, scheduled
        services = job.data
        assert isinstance(services, Services)
        self.reports: list[SweepReport] = []
        self.crashes: list[Exception] = []
        tick = services.sweep.tick

        async def counted(send: Sender, *, concurrency: int = 8) -> SweepReport:
            try:
                report = await tick(send, concurrency=concurrency)
            except Exception as exc:
                self.crashes.append(exc)
                raise
            self.reports.append(report)
            return report

        monkeypatch.setattr(services.sweep, "tick", counted)

    @property
    def finished(self) -> int:
        return len(self.reports) + len(self.crashes)

    @property
    def sent(self) -> int:
        return sum(r.sent for r in self.reports)

    async def run(self) -> None:
        """One sweep now, with the clock as it is: the job the JobQueue runs every tick (it may
        overlap a scheduled run, as another process's sweep would). When it returns, every
        prompt it sent is recorded by the fake."""
        await self.job.run(self.app)
        assert not self.crashes, self.crashes

    async def wait(self, fake: FakeTelegram, ticks: int = 1) -> None:
        """Wait for `ticks` more scheduled sweeps to finish (the first may be one under way)."""
        assert self.scheduled, "the timer is paused: use run()"
        target = self.finished + ticks
        await fake.wait_for(lambda: self.finished >= target, timeout=10 + 5 * ticks)
        assert not self.crashes, self.crashes

    async def settle(self, fake: FakeTelegram) -> None:
        """Every sweep under way has finished and recorded its outcome, and one more ran after now."""
        if self.scheduled:
            await self.wait(fake)
        await self.run()


@asynccontextmanager
async def daily_bot(
    settings: Settings,
    bank: QuestionBank,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    *,
    scheduled: bool = False,
    paced: bool = False,
) -> AsyncIterator[tuple[BotApplication, Ticks]]:
    """A running bot whose sweep the test drives (`scheduled`: the JobQueue's timer runs too);
    `paced` keeps the rate limiter's 30 messages a second."""
    async with running_bot(settings, bank, clock, paced=paced, sweep_timer=scheduled) as app:
        yield app, Ticks(app, monkeypatch, scheduled=scheduled)


def person(chat_id: int) -> FakeUser:
    return FakeUser(chat_id, f"User {chat_id}")


async def seed_daily(
    services: Services, fake: FakeTelegram, schedules: Iterable[tuple[int, str, str | None]]
) -> None:
    """Users who set /daily earlier (our own DailySettingsService on the same database file)."""
    for chat_id, hhmm, zone in schedules:
        user = person(chat_id)
        fake.add_chat(chat_id, user=user)
        await services.daily_settings.set_daily(
            Identity(f"tg:{chat_id}", chat_id, user.first_name), hhmm, zone
        )


def prompts(fake: FakeTelegram, chat_id: int) -> list[SentMessage]:
    """The pushed questions in a chat ("Daily practice is on" replies to /daily are not)."""
    return [m for m in fake.messages(chat_id) if m.plain_text.startswith("Daily practice · ")]


def prompt_counts(fake: FakeTelegram, chat_ids: Iterable[int]) -> Counter[int]:
    """How many users got how many prompts: {1: 200} is "exactly one each"."""
    return Counter(len(prompts(fake, c)) for c in chat_ids)


async def next_prompt(fake: FakeTelegram, ticks: Ticks, chat_id: int, count: int) -> SentMessage:
    """Run a sweep, then wait for the chat's `count`-th prompt (a button's handler may send it)."""
    await ticks.run()
    await fake.wait_for(lambda: len(prompts(fake, chat_id)) >= count)
    return prompts(fake, chat_id)[count - 1]


def asked(bank: QuestionBank, sent: SentMessage) -> Question:
    """The bank question a prompt (or a review question) shows."""
    found = [q for q in bank.questions if q.text in sent.plain_text]
    assert found, sent.plain_text
    return max(found, key=lambda q: len(q.text))


async def press(fake: FakeTelegram, user: FakeUser, message_id: int, data: str) -> str | None:
    """Press a button and return the notice the bot answers the press with."""
    query = fake.press_button(user, message_id, data)
    await fake.wait_for(lambda: fake.callback_answer(query) is not None)
    answer = fake.callback_answer(query)
    assert answer is not None
    return answer.text


def sent_per_status(settings: Settings) -> dict[str, int]:
    found = rows(settings, "SELECT status, count(*) AS n FROM delivery GROUP BY status")
    return {r.status: r.n for r in found}


# --- /daily ----------------------------------------------------------------------------------


async def test_daily_sets_rejects_shows_buttons_and_turns_off(
    fake: FakeTelegram,
    daily_settings: Settings,
    bank: QuestionBank,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with daily_bot(daily_settings, bank, clock, monkeypatch) as (_, ticks):
        ann = fake.user(1001, "Ann")
        [on] = await say(fake, ann, "/daily 07:30 Europe/Berlin", 1)
        assert on.plain_text.startswith("Done! Daily practice is on")
        assert "one question every day at 07:30 (Europe/Berlin)" in on.plain_text
        assert "Next: Tue 3 Mar, 07:30." in on.plain_text  # it is Mon 10:00 in Berlin
        assert "Quiet hours: 22:00-07:00" in on.plain_text
        [schedule] = rows(
            daily_settings,
            "SELECT s.enabled, s.local_time, s.next_due_at, u.timezone "
            'FROM practice_schedule s JOIN "user" u ON u.id = s.user_id',
        )
        assert (schedule.enabled, schedule.local_time, schedule.timezone) == (1, "07:30", "Europe/Berlin")
        assert utc(schedule.next_due_at) == at(3, 3, 6, 30)

        [bad_time] = await say(fake, ann, "/daily 25:00", 1)
        assert "'25:00' is not a valid time: hours go from 00 to 23" in bad_time.plain_text
        assert "For example: /daily 07:30 Europe/Berlin" in bad_time.plain_text
        [bad_zone] = await say(fake, ann, "/daily 07:30 Mars/Base", 1)
        assert bad_zone.plain_text.startswith("Unknown timezone 'Mars/Base'.")
        assert "Europe/Berlin" in bad_zone.plain_text
        [typo] = await say(fake, ann, "/daily 07:30 Europe/Berln", 1)
        assert "Did you mean Europe/Berlin?" in typo.plain_text

        # Errors changed nothing; /daily alone shows the setting with preset times and Turn off.
        [menu] = await say(fake, ann, "/daily", 1)
        assert not menu.plain_text.startswith("Done!")
        assert "every day at 07:30 (Europe/Berlin)" in menu.plain_text
        assert "Next: Tue 3 Mar, 07:30." in menu.plain_text
        buttons = dict(menu.buttons())
        assert list(buttons) == ["07:00", "08:00", "12:30", "18:00", "21:00", "Turn off"]
        assert buttons["08:00"] == callback_data.SetDailyTime("08:00").encode()

        before = len(fake.messages(ann.id))
        assert await press(fake, ann, menu.message_id, buttons["08:00"]) is None
        [changed] = (await fake.wait_for_messages(ann.id, before + 1))[before:]
        assert "Done! Daily practice is on" in changed.plain_text
        assert "every day at 08:00 (Europe/Berlin)" in changed.plain_text  # the zone is remembered
        assert "Next: Tue 3 Mar, 08:00." in changed.plain_text
        assert message(fake, ann, menu.message_id).reply_markup is None

        # The new time is the one that counts: nothing at 07:30, the prompt at 08:00 (07:00 UTC).
        clock.now = at(3, 3, 6, 30, 30)
        await ticks.run()
        assert prompts(fake, ann.id) == []
        clock.now = at(3, 3, 7, 0, 20)
        first = await next_prompt(fake, ticks, ann.id, 1)
        assert first.plain_text.startswith("Daily practice · ")

        [off] = await say(fake, ann, "/daily off", 1)
        assert "Daily practice is off." in off.plain_text
        assert "Turn off" not in dict(off.buttons())
        assert [label for label, _ in off.buttons()] == ["07:00", "08:00", "12:30", "18:00", "21:00"]
        [schedule] = rows(daily_settings, "SELECT enabled, next_due_at FROM practice_schedule")
        assert (schedule.enabled, schedule.next_due_at) == (0, None)

        clock.now = at(3, 4, 7, 0, 20)  # the next day, past 08:00 in Berlin
        await ticks.run()
        assert prompts(fake, ann.id) == [first]
        [status] = await say(fake, ann, "/daily", 1)
        assert "Daily practice is off." in status.plain_text and "Or pick a time:" in status.plain_text
    assert sent_per_status(daily_settings) == {"sent": 1}


# --- the sweep: many users, crashes, two processes, blocked users, flood control --------------

# 07:30 UTC on Tue 3 Mar 2026, as five users' clocks show it.
SAME_MINUTE = [
    ("07:30", "UTC"),
    ("08:30", "Europe/Berlin"),
    ("07:30", "Europe/London"),
    ("02:30", "America/New_York"),
    ("13:00", "Asia/Kolkata"),
]


def same_minute(chat_ids: Iterable[int]) -> list[tuple[int, str, str | None]]:
    return [(c, *SAME_MINUTE[i % len(SAME_MINUTE)]) for i, c in enumerate(chat_ids)]


async def test_200_users_due_in_the_same_minute_each_get_exactly_one_prompt(
    fake: FakeTelegram,
    daily_settings: Settings,
    services: Services,
    bank: QuestionBank,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    users = range(3000, 3200)
    await seed_daily(services, fake, same_minute(users))
    due = {utc(r.next_due_at) for r in rows(daily_settings, "SELECT next_due_at FROM practice_schedule")}
    assert due == {at(3, 3, 7, 30)}

    # The JobQueue's own timer sweeps here: no tick is run by hand until every prompt is out.
    async with daily_bot(daily_settings, bank, clock, monkeypatch, scheduled=True) as (_, ticks):
        clock.now = at(3, 3, 7, 30, 20)
        await fake.wait_for(lambda: all(prompts(fake, c) for c in users), timeout=40)
        await ticks.settle(fake)
        await ticks.wait(fake)  # and one more on the JobQueue's own schedule
    assert prompt_counts(fake, users) == {1: 200}
    sends = fake.calls_to("sendMessage")
    assert len(sends) == 200 and all(c.response_ok for c in sends)
    assert ticks.sent == 200
    assert sent_per_status(daily_settings) == {"sent": 200}


async def test_the_rate_limiter_paces_a_burst_of_prompts_to_about_30_a_second(
    fake: FakeTelegram,
    daily_settings: Settings,
    services: Services,
    bank: QuestionBank,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    users = range(3300, 3390)
    await seed_daily(services, fake, same_minute(users))
    async with daily_bot(daily_settings, bank, clock, monkeypatch, paced=True) as (_, ticks):
        clock.now = at(3, 3, 7, 30, 20)
        await ticks.run()
    assert prompt_counts(fake, users) == {1: 90}
    sends = fake.calls_to("sendMessage")
    assert len(sends) == 90 and all(c.response_ok for c in sends)
    # Through the AIORateLimiter: after its burst allowance, about 30 messages a second.
    span = sends[-1].at - sends[0].at
    assert span >= (90 - 30) / 30 * 0.9, f"90 prompts in {span:.1f}s"


async def test_killed_mid_sweep_and_restarted_every_user_gets_exactly_one(
    fake: FakeTelegram,
    daily_settings: Settings,
    services: Services,
    bank: QuestionBank,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # The bot that gets killed is a real process (SIGKILL: no cleanup at all, and SQLite's locks
    # go with it), so it runs on the system clock: the prompts fell due this very minute, in a
    # zone where it is about noon (far from quiet hours) whenever the test runs.
    real_now = datetime.now(UTC)
    offset = 12 - real_now.hour
    zone = ZoneInfo("Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}")
    local_now = real_now.astimezone(zone)
    assert local_now.hour == 12
    clock.now = real_now - timedelta(days=1)
    users, answered = range(4000, 4060), 20
    await seed_daily(services, fake, [(c, local_now.strftime("%H:%M"), zone.key) for c in users])
    fake.hold("sendMessage", after=answered)

    # Killed when every send it has started is held and the answered ones are recorded as
    # sent. (Killed between Telegram's answer and that write, a prompt would be sent again
    # after the lease: at-least-once, as with any API without an idempotency key.)
    concurrency = inspect.signature(PromptSweep.tick).parameters["concurrency"].default
    in_flight = min(concurrency, daily_settings.scheduler.batch_size - answered)
    log = tmp_path / "killed-bot.log"
    process = start_bot(daily_settings, log)
    try:
        await fake.wait_for(lambda: fake.held == in_flight or process.poll() is not None, timeout=30)
        assert process.poll() is None, log.read_text()
        await fake.wait_for(lambda: sent_per_status(daily_settings).get("sent") == answered)
        assert sum(len(prompts(fake, c)) for c in users) == answered
        assert fake.held == in_flight
    finally:
        process.kill()
        process.wait(timeout=10)
    assert "Traceback" not in log.read_text()
    fake.drop_held()  # what was in flight never reached Telegram
    await fake.wait_for(lambda: fake.held == 0)
    states = sent_per_status(daily_settings)
    assert states["sent"] == answered and states["sending"] >= 1
    assert states["sending"] + states["pending"] == len(users) - answered

    # Restarted within the lease: the pending prompts go out; the ones the dead process had
    # claimed wait, since (for all this process knows) another process may still send them.
    clock.now = datetime.now(UTC)
    async with daily_bot(daily_settings, bank, clock, monkeypatch) as (_, ticks):
        ready = answered + states["pending"]
        await ticks.run()
        await ticks.settle(fake)
        assert prompt_counts(fake, users) == {1: ready, 0: states["sending"]}

        clock.now += SENDING_LEASE + timedelta(minutes=1)
        await ticks.run()
        await ticks.settle(fake)
    assert sum(r.recovered for r in ticks.reports) == states["sending"]
    assert prompt_counts(fake, users) == {1: len(users)}
    assert sent_per_status(daily_settings) == {"sent": len(users)}
    attempts = Counter(r.attempts for r in rows(daily_settings, "SELECT attempts FROM delivery"))
    assert attempts == {1: len(users) - states["sending"], 2: states["sending"]}
    # Each user has one open prompt: the one they saw (a reply answers that question).
    open_sessions = rows(
        daily_settings,
        'SELECT u.chat_id, s.id, s.question_ids FROM interview_session s JOIN "user" u ON u.id = s.user_id '
        "WHERE s.status = 'active'",
    )
    assert sorted(r.chat_id for r in open_sessions) == list(users)
    for r in open_sessions:
        [shown] = prompts(fake, r.chat_id)
        assert dict(shown.buttons())["Skip"] == callback_data.SkipPrompt(r.id).encode()
        assert asked(bank, shown).id in r.question_ids


async def test_two_bot_processes_on_one_database_send_exactly_one_each(
    fake: FakeTelegram,
    daily_settings: Settings,
    services: Services,
    bank: QuestionBank,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    users = range(5000, 5100)
    await seed_daily(services, fake, same_minute(users))
    async with (
        daily_bot(daily_settings, bank, clock, monkeypatch) as (_, first),
        daily_bot(daily_settings, bank, clock, monkeypatch) as (_, second),
    ):
        clock.now = at(3, 3, 7, 30, 20)
        await asyncio.gather(first.run(), second.run())
        assert all(prompts(fake, c) for c in users)
        await asyncio.gather(first.settle(fake), second.settle(fake))
    assert prompt_counts(fake, users) == {1: 100}
    assert first.sent + second.sent == 100
    assert sent_per_status(daily_settings) == {"sent": 100}


async def test_blocked_users_are_deactivated_and_skipped_until_they_start_again(
    fake: FakeTelegram,
    daily_settings: Settings,
    services: Services,
    bank: QuestionBank,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    users = list(range(6000, 6020))
    blocked = users[::5]
    others = [c for c in users if c not in blocked]
    await seed_daily(services, fake, same_minute(users))
    for chat_id in blocked:
        fake.block(chat_id)

    def refusals(chat_id: int) -> int:
        return sum(
            1 for c in fake.calls_to("sendMessage") if c.params["chat_id"] == chat_id and c.status == 403
        )

    def inactive() -> list[int]:
        return [r.chat_id for r in rows(daily_settings, 'SELECT chat_id FROM "user" WHERE NOT is_active')]

    async with daily_bot(daily_settings, bank, clock, monkeypatch) as (_, ticks):
        clock.now = at(3, 3, 7, 30, 20)
        await ticks.run()
        assert all(prompts(fake, c) for c in others) and all(refusals(c) for c in blocked)
        await ticks.settle(fake)
        assert prompt_counts(fake, others) == {1: len(others)}
        assert prompt_counts(fake, blocked) == {0: len(blocked)}
        assert [refusals(c) for c in blocked] == [1] * len(blocked)
        assert sorted(inactive()) == blocked
        assert sent_per_status(daily_settings) == {"sent": len(others), "blocked": len(blocked)}

        # The next day: nobody even tries the blocked chats.
        clock.now = at(3, 4, 7, 30, 20)
        await ticks.run()
        assert all(len(prompts(fake, c)) == 2 for c in others)
        await ticks.settle(fake)
        assert prompt_counts(fake, others) == {2: len(others)}
        assert [refusals(c) for c in blocked] == [1] * len(blocked)

        # One of them comes back at noon: active again, and the prompt comes the next morning.
        back = person(blocked[0])
        fake.unblock(back.id)
        clock.now = at(3, 4, 12, 0)
        await ticks.settle(fake)  # no sweep still works with the morning's time
        [greeting] = await say(fake, back, "/start", 1)
        assert greeting.plain_text.startswith(f"Welcome back, {back.first_name}!")
        assert sorted(inactive()) == blocked[1:]
        await ticks.run()
        assert prompts(fake, back.id) == []  # this morning's was hours ago: recorded missed
        clock.now = at(3, 5, 7, 30, 20)
        await next_prompt(fake, ticks, back.id, 1)
        assert all(len(prompts(fake, c)) == 3 for c in others)
        await ticks.settle(fake)
    assert prompt_counts(fake, others) == {3: len(others)}
    assert len(prompts(fake, back.id)) == 1
    assert prompt_counts(fake, blocked[1:]) == {0: len(blocked) - 1}
    assert [refusals(c) for c in blocked] == [1] * len(blocked)
    history = rows(
        daily_settings,
        'SELECT d.local_date, d.status FROM delivery d JOIN "user" u ON u.id = d.user_id '
        "WHERE u.chat_id = :chat ORDER BY d.local_date",
        chat=back.id,
    )
    assert [(str(r.local_date), r.status) for r in history] == [
        ("2026-03-03", "blocked"),
        ("2026-03-04", "missed"),
        ("2026-03-05", "sent"),
    ]


async def test_a_burst_of_429s_delays_but_never_loses_or_doubles_a_prompt(
    fake: FakeTelegram,
    daily_settings: Settings,
    services: Services,
    bank: QuestionBank,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    users = range(7000, 7030)
    await seed_daily(services, fake, same_minute(users))
    async with daily_bot(daily_settings, bank, clock, monkeypatch) as (_, ticks):
        fake.fail_next("sendMessage", 10, status=429, retry_after=1)
        clock.now = at(3, 3, 7, 30, 20)
        await ticks.run()
        assert all(prompts(fake, c) for c in users)
        await ticks.settle(fake)
    assert prompt_counts(fake, users) == {1: 30}
    sends = fake.calls_to("sendMessage")
    assert [c.status for c in sends if not c.response_ok] == [429] * 10
    assert sorted(c.params["chat_id"] for c in sends if c.response_ok) == list(users)
    # The rate limiter waited out retry_after and retried within the same attempt.
    assert sent_per_status(daily_settings) == {"sent": 30}
    assert {r.attempts for r in rows(daily_settings, "SELECT attempts FROM delivery")} == {1}


# --- answering, skipping and snoozing a prompt ------------------------------------------------


async def test_answering_a_prompt_rates_it_and_the_review_comes_back_when_due(
    fake: FakeTelegram,
    daily_settings: Settings,
    bank: QuestionBank,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with daily_bot(daily_settings, bank, clock, monkeypatch) as (_, ticks):
        ann = fake.user(1001, "Ann")
        await say(fake, ann, "/daily 07:30 Europe/Berlin", 1)  # 06:30 UTC
        clock.now = at(3, 3, 6, 30, 10)
        prompt = await next_prompt(fake, ticks, ann.id, 1)
        question = asked(bank, prompt)
        assert prompt.plain_text.startswith(f"Daily practice · {question.topic_name}")
        assert f"New: {question.topic_name}" in prompt.plain_text
        assert prompt.plain_text.endswith("Just reply with your answer.")
        assert [label for label, _ in prompt.buttons()] == ["Skip", "Snooze 1h"]

        # A plain reply answers it: feedback and the rating buttons, and no interview summary
        # (the next message the bot sends is the reply to the next command).
        [feedback] = await say(fake, ann, ANSWER, 1)
        assert feedback.plain_text.startswith("Feedback on question 1 of 1")
        assert [label for label, _ in feedback.buttons()] == ["Again", "Hard", "Good", "Easy", "Try again"]
        [nothing] = await say(fake, ann, "/review", 1)
        assert "no reviews scheduled yet" in nothing.plain_text
        [stored] = rows(
            daily_settings,
            "SELECT a.question_id, a.text, s.kind, s.status FROM answer a "
            "JOIN interview_session s ON s.id = a.session_id",
        )
        assert (stored.question_id, stored.text, stored.kind, stored.status) == (
            question.id,
            ANSWER,
            "daily",
            "finished",
        )

        notice = await press(fake, ann, feedback.message_id, dict(feedback.buttons())["Good"])
        assert notice == "Saved: Good — next review in 2 days"
        [card] = rows(daily_settings, "SELECT question_id, due_at, last_rating, review_count FROM card")
        assert (card.question_id, card.last_rating, card.review_count) == (question.id, 3, 1)
        first_due = utc(card.due_at)
        assert first_due == clock.now + timedelta(days=2)

        # Tomorrow it is not due yet: a new question.
        clock.now = at(3, 4, 6, 30, 20)
        tomorrow = await next_prompt(fake, ticks, ann.id, 2)
        assert asked(bank, tomorrow) != question
        assert "New: " in tomorrow.plain_text

        # The day after, it is due: it comes back, and says why.
        clock.now = at(3, 5, 6, 30, 20)
        review = await next_prompt(fake, ticks, ann.id, 3)
        assert asked(bank, review) == question
        assert "Due for review: you rated it Good 2 days ago." in review.plain_text
        [feedback] = await say(fake, ann, "Budget, scope, and a weekly status report.", 1)
        assert feedback.plain_text.startswith("Feedback on question 1 of 1")
        notice = await press(fake, ann, feedback.message_id, dict(feedback.buttons())["Hard"])
        assert notice is not None and notice.startswith("Saved: Hard — next review in ")
        [card] = rows(
            daily_settings,
            "SELECT due_at, last_rating, review_count FROM card WHERE question_id = :q",
            q=question.id,
        )
        assert (card.last_rating, card.review_count) == (2, 2)
        assert utc(card.due_at) > clock.now
        assert len(rows(daily_settings, "SELECT id FROM review_log")) == 2
        await ticks.run()
    assert not any("Interview complete" in m.plain_text for m in fake.messages(ann.id))
    assert len(prompts(fake, ann.id)) == 3


async def test_skip_gives_another_question_and_snooze_asks_the_same_one_in_an_hour(
    fake: FakeTelegram,
    daily_settings: Settings,
    bank: QuestionBank,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with daily_bot(daily_settings, bank, clock, monkeypatch) as (_, ticks):
        ann = fake.user(1001, "Ann")
        await say(fake, ann, "/daily 07:30", 1)  # UTC, the default zone
        clock.now = at(3, 3, 7, 30, 10)
        first = await next_prompt(fake, ticks, ann.id, 1)

        assert await press(fake, ann, first.message_id, dict(first.buttons())["Skip"]) is None
        second = await next_prompt(fake, ticks, ann.id, 2)
        assert asked(bank, second) != asked(bank, first)
        assert message(fake, ann, first.message_id).reply_markup is None
        assert [label for label, _ in second.buttons()] == ["Skip", "Snooze 1h"]

        before = len(fake.messages(ann.id))
        notice = await press(fake, ann, second.message_id, dict(second.buttons())["Snooze 1h"])
        assert notice == "Snoozed — I'll ask again at Tue 3 Mar, 08:30."
        [snoozed] = (await fake.wait_for_messages(ann.id, before + 1))[before:]
        assert snoozed.plain_text == "Snoozed — I'll ask again at Tue 3 Mar, 08:30."
        assert message(fake, ann, second.message_id).reply_markup is None
        [nothing] = await say(fake, ann, "an answer to nothing", 1)  # the snoozed one is not open
        assert "no question waiting" in nothing.plain_text

        clock.now = at(3, 3, 8, 29)
        await ticks.run()
        assert len(prompts(fake, ann.id)) == 2
        clock.now = at(3, 3, 8, 30, 15)
        again = await next_prompt(fake, ticks, ann.id, 3)
        assert asked(bank, again) == asked(bank, second)
        [feedback] = await say(fake, ann, ANSWER, 1)
        assert feedback.plain_text.startswith("Feedback on question 1 of 1")
        await ticks.run()
    assert len(prompts(fake, ann.id)) == 3
    sessions = rows(daily_settings, "SELECT status FROM interview_session ORDER BY id")
    assert [s.status for s in sessions] == ["skipped", "snoozed", "finished"]


async def test_a_snooze_into_quiet_hours_waits_until_they_end(
    fake: FakeTelegram,
    daily_settings: Settings,
    bank: QuestionBank,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with daily_bot(daily_settings, bank, clock, monkeypatch) as (_, ticks):
        bob = fake.user(1002, "Bob")
        await say(fake, bob, "/daily 21:30 Europe/Berlin", 1)  # 20:30 UTC; quiet from 22:00
        clock.now = at(3, 2, 20, 30, 10)
        prompt = await next_prompt(fake, ticks, bob.id, 1)
        notice = await press(fake, bob, prompt.message_id, dict(prompt.buttons())["Snooze 1h"])
        assert notice == "Snoozed — I'll ask again at Tue 3 Mar, 07:00."

        clock.now = at(3, 2, 21, 31)  # an hour on: 22:31 in Berlin, quiet
        await ticks.run()
        clock.now = at(3, 3, 5, 59)  # 06:59 in Berlin
        await ticks.run()
        assert len(prompts(fake, bob.id)) == 1
        clock.now = at(3, 3, 6, 0, 5)  # 07:00:05 in Berlin: quiet hours are over
        again = await next_prompt(fake, ticks, bob.id, 2)
        assert asked(bank, again) == asked(bank, prompt)
        await ticks.settle(fake)
    assert len(prompts(fake, bob.id)) == 2
    snoozed = rows(daily_settings, "SELECT due_at, sent_at, status FROM delivery WHERE kind = 'snooze'")
    assert [(utc(r.due_at), utc(r.sent_at), r.status) for r in snoozed] == [
        (at(3, 3, 6, 0), at(3, 3, 6, 0, 5), "sent")
    ]


async def test_forged_or_foreign_skip_and_snooze_buttons_change_nothing(
    fake: FakeTelegram,
    daily_settings: Settings,
    bank: QuestionBank,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with daily_bot(daily_settings, bank, clock, monkeypatch) as (_, ticks):
        ann, eve = fake.user(1001, "Ann"), fake.user(6666, "Eve")
        await say(fake, ann, "/daily 07:30", 1)
        clock.now = at(3, 3, 7, 30, 10)
        prompt = await next_prompt(fake, ticks, ann.id, 1)
        skip, snooze = dict(prompt.buttons())["Skip"], dict(prompt.buttons())["Snooze 1h"]
        gone = "That practice question is no longer open."

        # Eve, unknown to the bot, then known, presses Ann's buttons in her own chat.
        assert await press(fake, eve, 1, skip) == "That button has expired — it belongs to an older message."
        await say(fake, eve, "/start", 1)
        assert await press(fake, eve, 1, skip) == gone
        assert await press(fake, eve, 1, snooze) == gone
        # Forged by Ann: a session id that does not exist, and the id of Eve's mock interview.
        session_id = int(skip.rsplit(":", 1)[1])
        assert (
            await press(fake, ann, prompt.message_id, callback_data.SkipPrompt(session_id + 999).encode())
            == gone
        )
        [interview_question] = await say(fake, eve, "/interview", 1)
        eve_session = rows(daily_settings, "SELECT max(id) AS id FROM interview_session")[0].id
        assert (
            await press(fake, ann, prompt.message_id, callback_data.SnoozePrompt(eve_session).encode())
            == gone
        )
        assert (
            await press(fake, ann, prompt.message_id, callback_data.SkipPrompt(eve_session).encode()) == gone
        )
        # Malformed: the generic notice.
        malformed = await press(fake, eve, 1, "dp:s:" + "9" * 20)
        assert malformed is not None and "expired" in malformed

        assert [m.plain_text for m in fake.messages(eve.id)][1:] == [interview_question.plain_text]
        statuses = rows(daily_settings, "SELECT id, kind, status FROM interview_session ORDER BY id")
        assert [(r.id, r.kind, r.status) for r in statuses] == [
            (session_id, "daily", "active"),
            (eve_session, "interview", "active"),
        ]
        assert message(fake, ann, prompt.message_id).reply_markup is not None
        assert rows(daily_settings, "SELECT count(*) AS n FROM delivery WHERE kind = 'snooze'")[0].n == 0
        [feedback] = await say(fake, ann, ANSWER, 1)  # Ann's prompt is still open and hers
        assert feedback.plain_text.startswith("Feedback on question 1 of 1")
        # Answered, its buttons are stale too.
        assert await press(fake, ann, prompt.message_id, skip) == gone
        await ticks.run()
    assert len(prompts(fake, ann.id)) == 1
    assert (
        rows(daily_settings, "SELECT status FROM interview_session WHERE id = :s", s=session_id)[0].status
        == "finished"
    )


# --- /review, /topics, /interviewdate --------------------------------------------------------


async def test_review_says_when_nothing_is_due_then_asks_each_due_question(
    fake: FakeTelegram,
    daily_settings: Settings,
    bank: QuestionBank,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with daily_bot(daily_settings, bank, clock, monkeypatch):
        ann = fake.user(1001, "Ann")
        [none_yet] = await say(fake, ann, "/review", 1)
        assert "You have no reviews scheduled yet." in none_yet.plain_text

        # A mock interview, three answers rated a minute apart: Again, Hard, Good.
        await follow_ups_off(fake, ann)  # question after question (follow-ups: test_e2e_follow_ups.py)
        await say(fake, ann, "/interview", 1)
        feedbacks = []
        for n in range(5):
            feedback, _ = await say(fake, ann, f"{ANSWER} ({n})", 2)
            feedbacks.append(feedback)
        for feedback, label in zip(feedbacks, ["Again", "Hard", "Good"], strict=False):
            await press(fake, ann, feedback.message_id, dict(feedback.buttons())[label])
            clock.advance(minutes=1)
        cards = rows(daily_settings, "SELECT question_id, due_at, last_rating FROM card ORDER BY due_at")
        assert [c.last_rating for c in cards] == [1, 2, 3]
        assert [utc(c.due_at) for c in cards] == [at(3, 3, 9, 0), at(3, 3, 9, 1), at(3, 4, 9, 2)]

        [nothing] = await say(fake, ann, "/review", 1)
        assert "Nothing is due for review right now. Your next review is on Tue 3 Mar, 09:00." in (
            nothing.plain_text
        )

        clock.advance(days=30)
        [first] = await say(fake, ann, "/review", 1)
        shown = [first]
        for n in range(1, 3):
            feedback, following = await say(fake, ann, f"review answer {n}", 2)
            assert feedback.plain_text.startswith(f"Feedback on question {n} of 3")
            shown.append(following)
        feedback, summary = await say(fake, ann, "review answer 3", 2)
        assert feedback.plain_text.startswith("Feedback on question 3 of 3")
        assert summary.plain_text.startswith("Review complete — 3 of 3 questions answered")
    for n, question in enumerate(shown, start=1):
        assert question.plain_text.startswith(f"Review {n} of 3 · ")
    # Most overdue first.
    assert [asked(bank, q).id for q in shown] == [c.question_id for c in cards]


async def test_topics_toggle_with_buttons(
    fake: FakeTelegram,
    daily_settings: Settings,
    bank: QuestionBank,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    topics = bank.topics()
    async with daily_bot(daily_settings, bank, clock, monkeypatch):
        ann = fake.user(1001, "Ann")
        [menu] = await say(fake, ann, "/topics", 1)
        assert menu.plain_text.startswith("Topics for new practice questions")
        assert "All topics are on." in menu.plain_text
        labels = [label for label, _ in menu.buttons()]
        assert labels == [f"✅ {TOPICS[t]}" for t in topics] + ["All topics"]

        def shown() -> SentMessage:
            return message(fake, ann, menu.message_id)

        def chosen() -> Any:
            stored = rows(daily_settings, 'SELECT topics FROM "user"')[0].topics
            return None if stored is None else db_rows.stored_json(stored)

        def edits() -> list[bool]:
            return [c.response_ok for c in fake.calls_to("editMessageText")]

        # A double press: both are answered and each flips the topic (off, then on again).
        first = callback_data.ToggleTopic(topics[0]).encode()
        queries = [fake.press_button(ann, menu.message_id, first) for _ in range(2)]
        await fake.wait_for(lambda: all(fake.callback_answer(q) is not None for q in queries))
        await fake.wait_for(lambda: len(edits()) == 2)
        assert edits() == [True, True]
        assert "All topics are on." in shown().plain_text
        assert [label for label, _ in shown().buttons()] == labels
        assert chosen() is None

        assert await press(fake, ann, menu.message_id, first) is None
        await fake.wait_for(lambda: len(edits()) == 3)
        assert "Tap a topic to switch it on or off." in shown().plain_text
        assert [label for label, _ in shown().buttons()][:2] == [
            f"▫️ {TOPICS[topics[0]]}",
            f"✅ {TOPICS[topics[1]]}",
        ]
        assert chosen() == list(topics[1:])

        every = callback_data.ToggleTopic(None).encode()
        assert await press(fake, ann, menu.message_id, every) is None
        await fake.wait_for(lambda: len(edits()) == 4)
        assert [label for label, _ in shown().buttons()] == labels and chosen() is None
        # Pressed again, the edit would change nothing and Telegram refuses it: no harm done.
        assert await press(fake, ann, menu.message_id, every) is None
        await fake.wait_for(lambda: len(edits()) == 5)
        assert edits()[-1] is False
        stale = await press(fake, ann, menu.message_id, "tp:no_such_topic")
        assert stale is not None and "expired" in stale
        [again] = await say(fake, ann, "/topics", 1)
        assert "All topics are on." in again.plain_text
    assert len(fake.messages(ann.id)) == 2


async def test_interview_date_counts_down_in_the_reply_and_the_prompt(
    fake: FakeTelegram,
    daily_settings: Settings,
    bank: QuestionBank,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with daily_bot(daily_settings, bank, clock, monkeypatch) as (_, ticks):
        ann = fake.user(1001, "Ann")
        [ask] = await say(fake, ann, "/interviewdate", 1)
        # The example is two weeks from the user's today (2 March here), so never a past date.
        assert "/interviewdate 2026-03-16" in ask.plain_text
        for given, error in [
            ("2026-02-30", "'2026-02-30' is not a date: use YYYY-MM-DD, e.g. 2026-03-16."),
            ("next friday", "'next' is not a date: use YYYY-MM-DD"),
            ("2026-03-01", "That date has passed."),
            ("2029-01-01", "more than two years away"),
        ]:
            [reply] = await say(fake, ann, f"/interviewdate {given}", 1)
            assert error in reply.plain_text, reply.plain_text
            # The example is of this command, not of /daily.
            assert "For example: /interviewdate 2026-03-16, or /interviewdate off" in reply.plain_text
            assert "/daily" not in reply.plain_text
        assert rows(daily_settings, 'SELECT interview_date FROM "user"')[0].interview_date is None

        [good] = await say(fake, ann, "/interviewdate 2026-03-20", 1)
        assert "Good luck! Your interview is on Fri 20 Mar 2026 — 18 days to go." in good.plain_text
        [status] = await say(fake, ann, "/daily 07:30", 1)
        assert "Your interview: Fri 20 Mar 2026 (18 days to go)." in status.plain_text

        clock.now = at(3, 3, 7, 30, 10)
        prompt = await next_prompt(fake, ticks, ann.id, 1)
        assert "⏳ Your interview is in 17 days." in prompt.plain_text
        names = [TOPICS[t] for t in bank.topics()]
        assert f"Not practised yet: {', '.join(names)}." in prompt.plain_text

        [cleared] = await say(fake, ann, "/interviewdate off", 1)
        assert "Interview date cleared." in cleared.plain_text
    assert rows(daily_settings, 'SELECT interview_date FROM "user"')[0].interview_date is None


# --- downtime -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("back_at", "expected"),
    [
        pytest.param(at(3, 3, 8, 30), "sent", id="down-till-60-min-after-the-prompt"),
        pytest.param(at(3, 3, 10, 0), "missed", id="down-till-150-min-after-the-prompt"),
        pytest.param(
            at(3, 4, 7, 40),
            "sent",
            id="down-over-a-day-till-10-min-after-the-next-prompt",
        ),
    ],
)
async def test_a_prompt_missed_while_the_bot_was_down_is_sent_only_within_grace(
    fake: FakeTelegram,
    daily_settings: Settings,
    services: Services,
    bank: QuestionBank,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    back_at: datetime,
    expected: str,
) -> None:
    await seed_daily(services, fake, [(1001, "07:30", None)])  # due Tue 07:30 UTC; the bot is down
    clock.now = back_at
    async with daily_bot(daily_settings, bank, clock, monkeypatch) as (_, ticks):
        await ticks.settle(fake)
    assert len(prompts(fake, 1001)) == (1 if expected == "sent" else 0)
    [latest] = rows(daily_settings, "SELECT status FROM delivery ORDER BY local_date DESC LIMIT 1")
    assert latest.status == expected
