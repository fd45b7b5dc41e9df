"""What the installed package (and so the Docker image, which installs it) carries.

The image runs the installed package, not the checkout: the question bank, the templates and
the migrations must be inside the wheel, and the image must run as a non-root user.
"""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from questions.topics import TOPICS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    [wheel] = out.glob("interview_bot-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_carries_the_bank_templates_and_migrations(wheel_files: set[str]) -> None:
    assert {f"questions/bank/{topic}.toml" for topic in TOPICS} <= wheel_files
    shipped = {p.relative_to(ROOT).as_posix() for p in (ROOT / "storage/migrations/versions").glob("*.py")}
    assert shipped <= wheel_files
    templates = {
        p.relative_to(ROOT).as_posix() for p in (ROOT / "bot/present/templates").rglob("*") if p.is_file()
    }
    assert templates <= wheel_files
    assert not any(name.startswith("tests/") for name in wheel_files)


def test_the_image_installs_the_package_and_runs_as_a_non_root_user() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()]
    copied = [line.split()[1] for line in lines if line.startswith("COPY ") and "--from" not in line]
    assert all((ROOT / source).exists() for source in copied), copied
    assert {"bot", "questions", "storage", "pyproject.toml"} <= set(copied)
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert lines[-2:] == ['ENTRYPOINT ["interview-bot"]', 'CMD ["run"]']


def test_the_systemd_unit_runs_the_installed_command_privately_and_stops_on_exit_2() -> None:
    settings: dict[str, str] = {}
    for line in (ROOT / "deploy" / "interview-bot.service").read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            settings[key.strip()] = value.strip()
    assert settings["ExecStart"].split()[:2] == ["/opt/interview-bot/.venv/bin/interview-bot", "run"]
    # Exit status 2 is a configuration problem: restarting cannot help.
    assert settings["Restart"] == "on-failure"
    assert settings["RestartPreventExitStatus"] == "2"
    assert settings["UMask"] == "0077"  # the SQLite files hold every user's answers
    assert settings["User"] not in ("root", "0")
    # Longer than the bot's 10 s stop, so SIGTERM gets to finish what is in flight.
    assert int(settings["TimeoutStopSec"]) > 10
