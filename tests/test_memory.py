"""The bot caps glibc's malloc arenas before its threads start, unless the operator chose."""

import os
import subprocess
import sys

import pytest

CHECK = "from bot.memory import cap_malloc_arenas; print(cap_malloc_arenas())"


def _run(env: dict[str, str]) -> str:
    command = [sys.executable, "-c", CHECK]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux only")
def test_glibc_takes_the_cap() -> None:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    assert _run(env) == "True"


def test_the_operators_setting_wins() -> None:
    assert _run({**os.environ, "MALLOC_ARENA_MAX": "8"}) == "False"
