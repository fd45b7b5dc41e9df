"""The terminal chat in-process, on the real core and a SQLite file, with the fake clock: what
depends on time passing. The keyboard is a script of messages; steps between them move the clock."""

import io
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from bot.chat.reader import StandsAlone
from bot.chat.terminal import TerminalChat
from bot.config import Settings
from bot.core.interview import Identity
from bot.core.services import Services
from tests.conftest import FakeClock, make_settings
from tests.test_chat import write_config

WHO = Identity("chat:cleo", None, "cleo")


class Script:
    """The user's messages in order; a callable between them runs instead (e.g. moves the clock)."""

    def __init__(self, steps: Iterable[str | Callable[[], object]]) -> None:
        self.steps = iter(steps)

    async def read(self, prompt: str, stands_alone: StandsAlone) -> str | None:
        for step in self.steps:
            if isinstance(step, str):
                return step
            step()
        return None


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    """A first /interview starts at once: the level question is the subject of other tests."""
    write_config(tmp_path)
    return make_settings(tmp_path, db_url)


async def run(services: Services, tmp_path: Path, steps: Iterable[str | Callable[[], object]]) -> str:
    # Follow-up questions are the subject of other tests.
    await services.interviews.register(WHO)
    await services.interviews.set_follow_ups(WHO, False)
    out = io.StringIO()
    chat = TerminalChat(services, WHO, io.StringIO(), out, reader=Script(steps), folder=tmp_path)
    assert await chat.run() == 0
    return out.getvalue()


async def test_a_deletion_confirmed_too_late_deletes_nothing(
    services: Services, clock: FakeClock, tmp_path: Path
) -> None:
    answer = "I agreed the scope with the sponsor and kept a risk log."
    out = await run(
        services,
        tmp_path,
        ["/interview", answer, "/deletedata", lambda: clock.advance(minutes=16), "1"],
    )
    assert out.index("Delete everything?") < out.index("That button has expired")
    assert "Done: everything I stored about you is deleted." not in out
    page = await services.progress.history_page(WHO, 1, None, 10)
    assert [item.excerpt for item in page.items] == [answer]

    out = await run(services, tmp_path, ["/deletedata", lambda: clock.advance(minutes=14), "1"])
    assert "Done: everything I stored about you is deleted." in out
    assert (await services.progress.history_page(WHO, 1, None, 10)).total == 0


async def test_the_chart_and_the_export_are_named_by_the_users_day(
    services: Services, clock: FakeClock, tmp_path: Path
) -> None:
    await run(services, tmp_path, ["/interview", "I kept a risk log with owners.", "/stats", "/export html"])
    written = sorted(name for name in os.listdir(tmp_path) if name.endswith((".png", ".html")))
    assert written == [
        "interview-practice-2026-03-02.html",
        "progress-2026-03-02.png",
    ]
