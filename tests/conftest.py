"""Shared fixtures: a fresh migrated SQLite file per test, a fake clock, the bank."""

import random
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.core.services import Services
from questions.loader import QuestionBank, load_bank
from storage.db import Database
from storage.migrate import upgrade


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once per run; each test copies the file (much faster than migrating again)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def db_url(tmp_path: Path, migrated_template: Path) -> str:
    target = tmp_path / "bot.db"
    shutil.copy(migrated_template, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture(scope="session")
def bank() -> QuestionBank:
    return load_bank()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


def make_settings(tmp_path: Path, db_url: str, **env: str) -> Settings:
    return load_settings(None, {"DATABASE_URL": db_url, **env}, tmp_path)


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return make_settings(tmp_path, db_url)


@pytest.fixture
async def services(settings: Settings, bank: QuestionBank, clock: FakeClock) -> AsyncIterator[Services]:
    opened = Services(settings, Database(settings.database.url), bank, clock, random.Random(7))
    yield opened
    await opened.close()
