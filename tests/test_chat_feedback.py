"""The terminal chat prints the same analysis as Telegram, and stores it with each answer."""

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from bot.core.feedback import FeedbackMatcher
from bot.core.feedback.stored import from_stored
from bot.core.interview import Answered
from bot.present.feedback import feedback_message
from bot.present.render import to_plain
from questions.loader import QuestionBank
from tests.test_chat import asked, assert_clean_exit, chat

ANSWERS = [
    "I agreed the goals with the sponsor and I mapped the stakeholders. I would not bother with a pilot.",
    "Risks, budget, scope, schedule, quality, stakeholders.",
    "We planned it together and we delivered it on time; the team was happy with the result.",
    "Basically I guess I would kind of talk to people and see what happens, basically.",
    "I led the project: I set up a weekly steering meeting, reported progress and cut costs by 20%.",
]


def test_the_chat_prints_the_same_analysis(tmp_path: Path, bank: QuestionBank) -> None:
    db = tmp_path / "chat.db"
    lines = ["/interview"]
    for text in ANSWERS:
        lines += [text, "", "2"]
    result = chat(tmp_path, db, "carol", lines)
    assert_clean_exit(result)
    questions = [next(q for q in bank.questions if q.text == text) for _, text in asked(result.out)]
    assert len(questions) == 5
    matcher = FeedbackMatcher(bank.questions)
    with closing(sqlite3.connect(db)) as conn:
        stored = [row[0] for row in conn.execute("SELECT analysis FROM answer ORDER BY id")]
    assert len(stored) == 5
    for number, (question, text, analysis) in enumerate(zip(questions, ANSWERS, stored, strict=True), 1):
        feedback = matcher.assess(question, text)
        expected = to_plain(feedback_message(Answered(0, question, number, 5, feedback, 0, None, None)))
        assert "\n" + expected + "\n" in result.out
        assert from_stored(json.loads(analysis)) == feedback
    # The closing words follow the result and name what to work on next.
    assert "Work on next:" in result.out and "Nicely done" not in result.out
