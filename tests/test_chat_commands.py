"""The terminal chat's other commands through a pipe: /daily, /topics, /interviewdate, /review,
/history's "Practise again" and Skip, /stats and /export without answers, and the choices' rules."""

import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.test_chat import answers_of, assert_clean_exit, chat


def profile(db: Path, user: str) -> tuple[list[str] | None, str | None]:
    """(topics, interview_date) stored for the chat user."""
    with closing(sqlite3.connect(db)) as conn:
        topics, day = conn.execute(
            'SELECT topics, interview_date FROM "user" WHERE external_id = ?', (f"chat:{user}",)
        ).fetchone()
    return (None if topics is None else json.loads(topics)), day


def test_daily_shows_the_setting_and_says_why_it_is_not_set_here(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    result = chat(tmp_path, db, "dan", ["/daily", "/daily 07:30 Europe/Berlin", "/quit"])
    assert_clean_exit(result)
    assert result.out.count("Daily practice is off here.") == 2
    assert "which a terminal can't receive, so here /daily only shows the setting" in result.out
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT count(*) FROM practice_schedule").fetchone() == (0,)


def test_topics_toggle_by_number_and_the_interview_date_is_set(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    day = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    lines = ["/topics", "2", "2", "2", "/interviewdate 1999-01-01", f"/interviewdate {day}", "/quit"]
    result = chat(tmp_path, db, "tia", lines)
    assert_clean_exit(result)
    out = result.out
    assert "  2  ✅ Agile and Scrum" in out and "  2  ▫️ Agile and Scrum" in out
    assert "That date has passed." in out
    assert "/interviewdate off to clear the date." in out and "/daily 07:30 Europe/Berlin" not in out
    assert "Good luck! Your interview is on" in out
    # Off, on, off again: every topic but Agile and Scrum.
    topics, stored_day = profile(db, "tia")
    assert topics is not None and "agile" not in topics and "cloud" in topics
    assert stored_day == day


def test_practise_again_from_history_and_skip(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    first = "I set up a risk register with owners and reviewed it weekly with the sponsor."
    lines = ["/interview", first, "", "/cancel", "/history", "1", "1"]
    result = chat(tmp_path, db, "pam", [*lines, "1", "My second go at it.", "", "/quit"])
    assert_clean_exit(result)
    out = result.out
    practice = out.index("Daily practice · ")
    assert out.index("Attempt 1 · ") < practice
    assert "1 Skip — type a number" in out[practice:]
    # "1" under the practice question is Skip: another question is asked instead.
    assert out.index("Daily practice · ", practice + 1) > practice
    rows = answers_of(db, "chat:pam")
    assert [row["text"] for row in rows] == [first, "My second go at it."]
    assert rows[1]["question_id"] != rows[0]["question_id"]


def test_commands_with_nothing_to_show_and_an_unknown_export_format(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    result = chat(tmp_path, db, "ned", ["/stats", "/export", "/export pdf", "/review", "/quit"])
    assert_clean_exit(result)
    assert "No answers yet, so no stats." in result.out
    assert "There's nothing to export yet" in result.out
    assert "I can export as /export (Markdown), /export html or /export csv." in result.out
    assert "You have no reviews scheduled yet." in result.out
    assert "saved to" not in result.out.lower()
    written = [p.name for p in tmp_path.iterdir() if not p.name.startswith("chat.db")]
    assert written == ["config.toml"]  # the test's own (tests.test_chat.write_config)


def test_history_filters_by_topic_from_its_choices(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    lines = ["/interview agile", "I kept the backlog ordered with the product owner.", "", "/cancel"]
    result = chat(tmp_path, db, "hui", [*lines, "/history", "topic", "1", "all", "topic", "2", "/quit"])
    assert_clean_exit(result)
    out = result.out
    menu = out.index("Show answers from one topic:")
    assert "  1  Cloud rollout and migration" in out[menu:]
    assert "You haven't answered any Cloud rollout and migration questions yet." in out[menu:]
    assert "(all: All topics)" in out[menu:]
    assert "Your answers · Agile and Scrum — 1 answer" in out[menu:]


def test_level_and_job_ad_are_set_as_on_telegram(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    ad = "Senior IT PM: Scrum and SAFe, AWS migration, vendor management and SLAs, RAID log, UAT."
    lines = ["/level", "3", "/level wizard", "/level pm", f"/jobad {ad}", "/jobad", "/jobad off", "/quit"]
    result = chat(tmp_path, db, "lev", lines)
    assert_clean_exit(result)
    out = result.out
    # Buttons as numbered choices: "3" picks the third level.
    assert out.index("1 Coordinator") < out.index("Level set: Senior") < out.index("I don't know the level")
    assert "Level set: Project manager" in out
    with closing(sqlite3.connect(db)) as conn:
        level, weights = conn.execute(
            'SELECT level, topic_weights FROM "user" WHERE external_id = ?', ("chat:lev",)
        ).fetchone()
    assert level == "project_manager"
    assert weights is None  # /jobad off cleared it
    assert "Job ad read." in out and "Scrum" in out and "AWS" in out
    assert "Job ad cleared: questions come from every topic again." in out


def test_privacy_says_what_is_stored_and_that_nothing_leaves_without_services(tmp_path: Path) -> None:
    result = chat(tmp_path, tmp_path / "chat.db", "pia", ["/privacy", "/quit"])
    assert_clean_exit(result)
    assert "Your answers, ratings, interviews and practice schedule are stored" in result.out
    assert "so your answers are never sent to one" in result.out
    assert "<b>" not in result.out  # Telegram's markup is stripped for the terminal
