"""CPU per answer: the interview bot against a bare python-telegram-bot echo bot.

    .venv/bin/python bench/answer_cpu.py [--users 20] [--answers 1000] [--warmup 100]

Both bots run as subprocesses against the fake Bot API server from the tests
(``tests/fake_telegram/``), which runs in this process, over loopback. Simulated users hold mock
interviews in a closed loop, like people would: ``/interview``, wait for the question, answer with a
60-120 word text, wait for the bot's two replies (feedback, then the next question or the summary),
answer again; a finished interview is followed by a new one. The echo bot gets the same users, the
same texts and the same closed loop (each text waits for its one echo).

For each bot, only the measured phase counts (a warm-up runs first): the subprocess's user+system
CPU time is read right before and right after it. Printed: updates, CPU ms per update and per
answer update, updates/s, p50/p99 latency (update fed to the fake -> the bot's first reply stored
by the fake) and peak RSS (VmHWM), then the ratio of the bot's CPU per answer to the echo bot's CPU
per update against the 1.5x goal. Exit status 0 whatever the numbers: it is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on sys.path, the repo root is not
    sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage  # noqa: E402

# A token of the real shape (the bot's config checks it); it is not a real bot's.
# Token-shaped (the config checks the shape) but built here, so it never reads as a real secret.
TOKEN = "123456789:" + "TEST_token_for_the_fake_bot_api_server"
GOAL_RATIO = 1.5
QUESTIONS_PER_SESSION = 5  # the bot's default; the echo users follow the same rhythm
REPLY_TIMEOUT = 60.0  # seconds for one exchange; the bot's rate limiter queues replies under load
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
FIRST_USER_ID = 700_001

Kind = Literal["bot", "echo"]


class BenchError(Exception):
    """The benchmark could not run (a bot did not start, or answered unexpectedly)."""


# ------------------------------------------------------------------------------------ answer texts

_SENTENCES = (
    "I would start from the business case and agree measurable success criteria with the sponsor.",
    "Next I map the stakeholders, their interests and their influence, and agree how often each group "
    "hears from me.",
    "Before committing to dates I run a short discovery with the architects to understand the "
    "integration points and the data we have to migrate.",
    "I prefer a pilot with one department first, because it shows real problems while they are cheap to fix.",
    "After the pilot we plan a phased rollout, region by region, with a rollback plan for every wave.",
    "Security and compliance review the design early, so their findings do not arrive a week before go-live.",
    "I keep a risk register with owners and mitigations and review it with the team every sprint.",
    "The budget is tracked against the baseline every month, and I flag a variance above five percent "
    "to the steering committee at once.",
    "Training and support matter as much as the technology: we prepare champions in each team and a "
    "clear runbook for the service desk.",
    "In Scrum I protect the team's focus, keep the backlog refined with the product owner and make "
    "impediments visible in the daily stand-up.",
    "When velocity drops I look at the retrospective notes and the flow of work before I talk about people.",
    "For Kanban teams I watch cycle time and work in progress limits rather than story points.",
    "With vendors I agree service levels, escalation paths and acceptance criteria in the contract, "
    "not after the first incident.",
    "Change management means the users hear why the change happens, what it means for them and where "
    "to get help.",
    "I report status weekly with a one-page summary: milestones, risks, decisions needed and budget.",
    "If a key stakeholder resists, I meet them one to one, listen to the concern and look for a "
    "change that addresses it.",
    "Scope creep is handled through the change control process, with the impact on time and cost "
    "written down before anyone decides.",
    "In my last role I led the migration of forty applications to the cloud over eighteen months.",
    "We cut the release cycle from six weeks to two by automating the test and deployment pipeline.",
    "Dependencies between teams go on a shared board, and the integration milestones are agreed with "
    "every team lead.",
    "I measure success with a few metrics the business cares about, such as adoption, incidents and "
    "cost per user.",
    "When a deadline is at risk I present options with their trade-offs instead of only bad news.",
    "Lessons learned are captured at every phase gate, not only at the end of the project.",
    "Conflicts in the team are handled early and privately, with a focus on the shared goal.",
    "For a fixed budget I prioritise with the sponsor using MoSCoW and keep a contingency reserve.",
    "Data migration gets its own plan with trial runs, reconciliation reports and a sign-off by the "
    "data owners.",
    "I would also agree the communication plan with the sponsor so that every group knows what to "
    "expect and when.",
    "Quality is built in through a definition of done that includes security checks and documentation.",
    "After go-live we keep a hypercare period of two weeks with daily check-ins and a clear "
    "hand-over to operations.",
    "Honestly, the hardest part is usually not the technology but aligning people and priorities.",
)


def answer_texts(rng: random.Random) -> Callable[[], str]:
    """Varied 60-120 word answers made of PM-interview sentences."""
    lengths = [len(s.split()) for s in _SENTENCES]

    def make() -> str:
        target = rng.randint(60, 120)
        order = rng.sample(range(len(_SENTENCES)), len(_SENTENCES))
        chosen: list[str] = []
        words = 0
        for i in order:
            if words + lengths[i] > 120:
                continue
            chosen.append(_SENTENCES[i])
            words += lengths[i]
            if words >= target:
                break
        return " ".join(chosen)

    return make


# ------------------------------------------------------------------------------- the bot processes


class BotProcess:
    """A bot subprocess with its CPU time and peak RSS; output goes to a log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        self._log: IO[bytes] = log_path.open("wb")
        self.popen = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT
        )
        self.process = psutil.Process(self.popen.pid)

    def cpu_seconds(self) -> tuple[float, float]:
        """(user, system) CPU seconds so far, the process's own threads (not its children)."""
        times = self.process.cpu_times()
        return float(times.user), float(times.system)

    def peak_rss_bytes(self) -> int:
        try:
            for line in Path(f"/proc/{self.popen.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return int(self.process.memory_info().rss)  # no /proc: the current RSS is the best we have

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        text = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:]) or "(no output)"

    async def stop(self) -> None:
        """SIGINT (run_polling's own clean stop), then SIGKILL if it takes too long.

        Waits without blocking the loop: the bot talks to the fake server while it shuts down.
        """
        try:
            if self.popen.poll() is None:
                self.popen.send_signal(signal.SIGINT)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    await asyncio.to_thread(self.popen.wait, STOP_TIMEOUT)
                if self.popen.poll() is None:
                    print(
                        f"  {self.name}: no exit {STOP_TIMEOUT:.0f}s after SIGINT; killing it",
                        file=sys.stderr,
                    )
                    self.popen.kill()
                    self.popen.wait()
        finally:
            self._log.close()


def clean_env() -> dict[str, str]:
    env = dict(os.environ)
    # These would override the config file written for the benchmark.
    for key in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "INTERVIEW_BOT_CONFIG"):
        env.pop(key, None)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def write_bot_config(config: Path, fake: FakeTelegram, database: Path, sections: str = "") -> None:
    """The interview bot's config for a benchmark: the fake Bot API, a SQLite file, WARNING logs,
    and any further `sections` (TOML)."""
    config.write_text(
        "[telegram]\n"
        f'token = "{fake.token}"\n'
        f'base_url = "{fake.base_url}"\n'
        f'base_file_url = "{fake.base_file_url}"\n\n'
        "[database]\n"
        f'url = "sqlite+aiosqlite:///{database}"\n\n'
        f"{sections}"
        "[logging]\n"
        'level = "WARNING"\n',
        encoding="utf-8",
    )


def start_interview_bot(fake: FakeTelegram, workdir: Path) -> BotProcess:
    config = workdir / "config.toml"
    write_bot_config(
        config,
        fake,
        workdir / "bench.db",
        "[interview]\n"
        f"questions_per_session = {QUESTIONS_PER_SESSION}\n"
        # A first /interview would ask the user's level before the first question.
        "ask_level = false\n\n",
    )
    # Migrated first, as every start but an operator's very first one finds it: the bot that
    # migrates a fresh file keeps Alembic (and Mako, Pygments) loaded for its whole life.
    subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade", "--config", str(config)],
        cwd=ROOT,
        env=clean_env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    argv = [sys.executable, "-m", "bot", "run", "--config", str(config)]
    return BotProcess("interview bot", argv, clean_env(), workdir / "bot.log")


def start_echo_bot(fake: FakeTelegram, workdir: Path, replies: int = 1) -> BotProcess:
    env = clean_env()
    env["TELEGRAM_BOT_TOKEN"] = fake.token
    argv = [
        sys.executable,
        str(ROOT / "bench" / "echo_bot.py"),
        "--base-url",
        fake.base_url,
        "--base-file-url",
        fake.base_file_url,
        "--replies",
        str(replies),
    ]
    return BotProcess("echo bot", argv, env, workdir / "echo.log")


# ------------------------------------------------------------------------------------- the users


class Inbox:
    """What the bot sent to one chat, with the monotonic time the fake stored each message."""

    def __init__(self) -> None:
        self.received: list[tuple[float, SentMessage]] = []
        self._want = 0
        self._waiter: asyncio.Future[None] | None = None

    def push(self, message: SentMessage) -> None:
        self.received.append((time.monotonic(), message))
        if self._waiter is not None and len(self.received) >= self._want and not self._waiter.done():
            self._waiter.set_result(None)

    async def wait_for(self, count: int) -> None:
        if len(self.received) >= count:
            return
        self._want = count
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(REPLY_TIMEOUT):
                await self._waiter
        finally:
            self._waiter = None


@dataclass
class SimUser:
    user: FakeUser
    next_answer: Callable[[], str]
    rng: random.Random
    inbox: Inbox = field(default_factory=Inbox)
    in_interview: bool = False
    answered_in_interview: int = 0
    next_send_at: float = 0.0  # paced runs only
    date: int = 0  # the Telegram date of the user's last text


@dataclass
class Tally:
    updates: int = 0
    answers: int = 0
    latencies: list[float] = field(default_factory=list)


class Load:
    """Closed-loop users holding mock interviews with one bot."""

    def __init__(self, fake: FakeTelegram, kind: Kind, users: int, seed: int, echo_replies: int = 1) -> None:
        self.fake = fake
        self.kind = kind
        self.echo_replies = echo_replies
        self.users = [
            SimUser(
                fake.user(FIRST_USER_ID + i, f"User{i}", f"bench_user_{i}"),
                answer_texts(random.Random(seed * 1_000_003 + i)),
                random.Random(seed * 7_919 + i),
            )
            for i in range(users)
        ]
        self._interval = 0.0
        by_chat = {u.user.id: u.inbox for u in self.users}

        def listener(message: SentMessage) -> None:
            inbox = by_chat.get(message.chat_id)
            if inbox is not None:
                inbox.push(message)

        fake.message_listeners.append(listener)

    async def run(self, answers: int, rate: float | None = None) -> Tally:
        """Every user loops until `answers` answers have been sent and answered, in total.

        With `rate` (updates/s over all users), each user also waits between texts, on average
        users/rate seconds from one send to the next (uniformly 0.5-1.5 times that), so the bot
        sees about that many updates a second instead of as many as it can take.
        """
        tally = Tally()
        tickets = answers
        self._interval = len(self.users) / rate if rate else 0.0
        now = time.monotonic()
        for u in self.users:
            u.next_send_at = now + u.rng.random() * self._interval

        async def user_loop(u: SimUser) -> None:
            nonlocal tickets
            while tickets > 0:
                if not u.in_interview:
                    replies = self.echo_replies if self.kind == "echo" else 1
                    question, *_ = await self._exchange(u, "/interview", replies, tally, answer=False)
                    if self.kind == "bot" and not question.plain_text.startswith("Question 1 of "):
                        raise BenchError(f"/interview got an unexpected reply: {question.plain_text[:200]!r}")
                    u.in_interview, u.answered_in_interview = True, 0
                    if tickets <= 0:
                        break
                tickets -= 1
                text = u.next_answer()
                if self.kind == "echo":
                    echoed, *_ = await self._exchange(u, text, self.echo_replies, tally, answer=True)
                    if echoed.plain_text != text:
                        raise BenchError(f"the echo bot answered {echoed.plain_text[:200]!r}")
                    u.answered_in_interview += 1
                    u.in_interview = u.answered_in_interview < QUESTIONS_PER_SESSION
                    continue
                feedback, following = await self._exchange(u, text, 2, tally, answer=True)
                # An answer that leaves points out may get a follow-up question, answered in turn.
                if not feedback.plain_text.startswith(("Feedback on question", "Feedback on your follow-up")):
                    raise BenchError(f"an answer got an unexpected reply: {feedback.plain_text[:200]!r}")
                u.answered_in_interview += 1
                u.in_interview = following.plain_text.startswith(("Question ", "Follow-up"))
                if not u.in_interview and not following.plain_text.startswith("Interview complete"):
                    raise BenchError(f"unexpected second reply: {following.plain_text[:200]!r}")

        tasks = [asyncio.create_task(user_loop(u)) for u in self.users]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
        return tally

    async def _exchange(
        self, u: SimUser, text: str, replies: int, tally: Tally, *, answer: bool
    ) -> list[SentMessage]:
        if self._interval:
            delay = u.next_send_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            u.next_send_at = max(u.next_send_at, time.monotonic() - self._interval)
            u.next_send_at += u.rng.uniform(0.5, 1.5) * self._interval
        before = len(u.inbox.received)
        sent_at = time.monotonic()
        # Dated 30 s after the user's previous text: people take longer than the bot's 20-second
        # window for an answer sent as several quick messages, so each text is a new answer.
        u.date = max(u.date + 30, int(time.time()))
        self.fake.send_text(u.user, text, date=u.date)
        try:
            await u.inbox.wait_for(before + replies)
        except TimeoutError:
            raise BenchError(
                f"user {u.user.id} waited {REPLY_TIMEOUT:.0f}s for {replies} repl(ies) to {text[:40]!r}\n"
                f"{self.fake.describe_recent_calls()}"
            ) from None
        got = u.inbox.received[before : before + replies]
        tally.latencies.append(got[0][0] - sent_at)
        tally.updates += 1
        tally.answers += answer
        return [message for _, message in got]


# -------------------------------------------------------------------------------------- measuring


@dataclass(frozen=True)
class Result:
    name: str
    updates: int
    answers: int
    cpu_user: float
    cpu_system: float
    wall_seconds: float
    latencies: list[float]
    peak_rss_bytes: int
    get_updates_calls: int

    @property
    def cpu_seconds(self) -> float:
        return self.cpu_user + self.cpu_system

    @property
    def cpu_ms_per_update(self) -> float:
        return 1000 * self.cpu_seconds / self.updates

    @property
    def cpu_ms_per_answer(self) -> float:
        return 1000 * self.cpu_seconds / self.answers

    @property
    def updates_per_second(self) -> float:
        return self.updates / self.wall_seconds

    def latency_ms(self, percentile: int) -> float:
        if len(self.latencies) < 2:
            return 1000 * (self.latencies[0] if self.latencies else 0.0)
        return 1000 * statistics.quantiles(self.latencies, n=100, method="inclusive")[percentile - 1]


async def settled(fake: FakeTelegram) -> None:
    """The bot has taken every update and waits in a long poll again: nothing left in flight."""
    await fake.wait_for(
        lambda: fake.pending_updates() == 0 and fake.waiting_polls >= 1, timeout=REPLY_TIMEOUT
    )
    await asyncio.sleep(0.2)  # the handler's last lines after its final sendMessage


async def measured_phase(
    name: str, fake: FakeTelegram, process: BotProcess, load: Load, answers: int, rate: float | None = None
) -> Result:
    """One measured phase, from a settled bot to a settled bot."""
    polls_before = len(fake.calls_to("getUpdates"))
    (user_before, system_before), wall_before = process.cpu_seconds(), time.monotonic()
    tally = await load.run(answers, rate)
    wall = time.monotonic() - wall_before
    await settled(fake)
    user_after, system_after = process.cpu_seconds()
    return Result(
        name=name,
        updates=tally.updates,
        answers=tally.answers,
        cpu_user=user_after - user_before,
        cpu_system=system_after - system_before,
        wall_seconds=wall,
        latencies=tally.latencies,
        peak_rss_bytes=process.peak_rss_bytes(),
        get_updates_calls=len(fake.calls_to("getUpdates")) - polls_before,
    )


async def measure(
    kind: Kind, args: argparse.Namespace, workdir: Path, paced_rate: float | None = None
) -> list[Result]:
    """The bot's closed-loop phase; for the echo bot, then a phase paced at `paced_rate` updates/s."""
    name = "interview bot" if kind == "bot" else "echo bot"
    async with FakeTelegram(token=TOKEN) as fake:
        echo_replies = args.echo_replies
        if kind == "bot":
            process = start_interview_bot(fake, workdir)
        else:
            process = start_echo_bot(fake, workdir, echo_replies)
        try:
            started = time.monotonic()
            while fake.waiting_polls < 1:  # polling, so post_init (setMyCommands) is done
                if process.popen.poll() is not None:
                    raise BenchError(
                        f"the {name} exited with status {process.popen.returncode}:\n{process.log_tail()}"
                    )
                if time.monotonic() - started > START_TIMEOUT:
                    raise BenchError(f"the {name} did not start polling in {START_TIMEOUT:.0f}s")
                await asyncio.sleep(0.05)
            load = Load(fake, kind, args.users, args.seed, echo_replies)
            print(f"  {name}: warm-up, {args.warmup} answers ...", flush=True)
            await load.run(args.warmup)
            await settled(fake)
            print(f"  {name}: measuring, {args.answers} answers, closed loop ...", flush=True)
            results = [await measured_phase(kind, fake, process, load, args.answers)]
            if paced_rate is not None and args.paced_answers > 0:
                pace = f"paced at {paced_rate:.1f} updates/s"
                print(f"  {name}: measuring, {args.paced_answers} answers, {pace} ...", flush=True)
                results.append(
                    await measured_phase("echo@rate", fake, process, load, args.paced_answers, paced_rate)
                )
            return results
        finally:
            await process.stop()


def report(results: list[Result]) -> str:
    rows: list[tuple[str, Callable[[Result], str]]] = [
        ("updates (all texts)", lambda r: f"{r.updates}"),
        ("answer updates", lambda r: f"{r.answers}"),
        ("CPU ms / update", lambda r: f"{r.cpu_ms_per_update:.2f}"),
        ("CPU ms / answer update", lambda r: f"{r.cpu_ms_per_answer:.2f}"),
        ("  of which kernel (sys)", lambda r: f"{1000 * r.cpu_system / r.answers:.2f}"),
        ("updates/s", lambda r: f"{r.updates_per_second:.1f}"),
        ("latency p50 ms", lambda r: f"{r.latency_ms(50):.1f}"),
        ("latency p99 ms", lambda r: f"{r.latency_ms(99):.1f}"),
        ("peak RSS MB", lambda r: f"{r.peak_rss_bytes / 2**20:.1f}"),
        ("updates per getUpdates", lambda r: f"{r.updates / max(r.get_updates_calls, 1):.2f}"),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [f"{'':{width}}" + "".join(f"  {r.name:>10}" for r in results)]
    lines += [f"{label:{width}}" + "".join(f"  {cell(r):>10}" for r in results) for label, cell in rows]
    bot, echo, *paced = results
    lines.append("")
    for baseline, how in [(echo, "closed loop"), *((p, "paced at the bot's updates/s") for p in paced)]:
        ratio = bot.cpu_ms_per_answer / baseline.cpu_ms_per_update
        per_update = bot.cpu_ms_per_update / baseline.cpu_ms_per_update
        verdict = "meets" if ratio <= GOAL_RATIO else "does NOT meet"
        lines.append(
            f"bot CPU per answer / echo CPU per update ({how}): {ratio:.2f}x "
            f"({verdict} the {GOAL_RATIO}x goal); per update: {per_update:.2f}x"
        )
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="answer-cpu-") as tmp:
        workdir = Path(tmp)
        print(
            f"answer_cpu: {args.users} users; {args.warmup} warm-up + {args.answers} measured answers "
            f"a bot, then {args.paced_answers} answers to the echo bot at the bot's rate",
            flush=True,
        )
        try:
            [bot] = await measure("bot", args, workdir)
            echo = await measure("echo", args, workdir, paced_rate=bot.updates_per_second)
        except BenchError as exc:
            print(f"answer_cpu: {exc}", file=sys.stderr)
            return 1
    print()
    print(report([bot, *echo]))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=20, help="simulated users (default 20)")
    parser.add_argument("--answers", type=int, default=1000, help="measured answers per bot (default 1000)")
    parser.add_argument("--warmup", type=int, default=100, help="warm-up answers per bot (default 100)")
    parser.add_argument(
        "--paced-answers",
        type=int,
        default=250,
        help="answers to the echo bot paced at the interview bot's updates/s (default 250; 0 skips)",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed for the answer texts (default 1)")
    parser.add_argument(
        "--echo-replies",
        type=int,
        choices=(1, 2),
        default=1,
        help="messages the echo bot sends per update (2: the echo and a feedback-shaped message)",
    )
    args = parser.parse_args(argv)
    if args.users < 1 or args.answers < 1 or args.warmup < 0 or args.paced_answers < 0:
        parser.error("--users and --answers must be at least 1, --warmup and --paced-answers at least 0")
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(run(args))
    return 130


if __name__ == "__main__":
    sys.exit(main())
