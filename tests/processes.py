"""The bot as an operator starts it: `python -m bot ...` as a real process, for end-to-end tests."""

import os
import subprocess
import sys
from pathlib import Path

from bot.config import Settings

# Variables the bot reads; a test sets only those it means to (`env`).
CONTROLLED_ENV = ("INTERVIEW_BOT_CONFIG", "TELEGRAM_BOT_TOKEN", "DATABASE_URL", "TELEGRAM_WEBHOOK_SECRET")


def start_bot(
    settings: Settings, stderr: Path, *command: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """`python -m bot COMMAND --config ...` (`run` by default), its stdout and stderr (logs
    included) into `stderr`."""
    assert settings.source is not None
    full_env = {k: v for k, v in os.environ.items() if k not in CONTROLLED_ENV}
    full_env.update(env or {})
    with stderr.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", *(command or ("run",)), "--config", str(settings.source)],
            cwd=settings.source.parent,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
