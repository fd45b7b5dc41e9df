"""The analysis kept with an answer: to the JSON column and back, tolerant of what it cannot read."""

import json
from typing import Any

import pytest

from bot.core.feedback import Feedback, FeedbackMatcher
from bot.core.feedback.stored import VERSION, from_stored, to_stored
from bot.core.rating import Rating
from questions.loader import QuestionBank

ANSWERS = [
    (
        "cloud-begin-implementation",
        "Business case, stakeholders, current state, security, compliance, pilot, AWS, Azure.",
    ),
    (
        "cloud-begin-implementation",
        "First I would agree the business case with a sponsor. I would not bother with a pilot. "
        "Basically I guess security is kind of important, and security again, security.",
    ),
    (
        "agile-retrospectives-stale",
        "Our retros had gone stale. We changed the format to a starfish. We put actions on the board. "
        "Carried-over work fell by a third within three sprints.",
    ),
]


@pytest.fixture(scope="module")
def matcher(bank: QuestionBank) -> FeedbackMatcher:
    return FeedbackMatcher(bank.questions)


@pytest.mark.parametrize(("question_id", "answer"), ANSWERS)
def test_a_feedback_survives_the_json_column(
    bank: QuestionBank, matcher: FeedbackMatcher, question_id: str, answer: str
) -> None:
    feedback = matcher.assess(bank.by_id[question_id], answer)
    stored = json.loads(json.dumps(to_stored(feedback)))
    assert stored["version"] == VERSION
    # The stable fields of `questions try --json` are there as they are.
    assert {k: stored[k] for k in ("total", "covered", "not_counted")} == {
        k: feedback.to_dict()[k] for k in ("total", "covered", "not_counted")
    }
    assert from_stored(stored) == feedback


def test_the_behavioural_parts_come_back(bank: QuestionBank, matcher: FeedbackMatcher) -> None:
    question_id, answer = ANSWERS[2]
    back = from_stored(json.loads(json.dumps(to_stored(matcher.assess(bank.by_id[question_id], answer)))))
    assert back is not None and back.star is not None and back.signals is not None
    assert back.star.note == bank.by_id[question_id].star
    assert back.suggestion is not None and isinstance(back.suggestion.rating, Rating)


@pytest.mark.parametrize("value", [None, {}, [], "text", 3, {"labels": []}, {"points": "nonsense"}])
def test_nothing_usable_reads_as_no_analysis(value: Any) -> None:
    assert from_stored(value) is None


def test_a_dict_with_only_the_stable_fields_still_reads() -> None:
    """What `questions try --json` prints (no version, no labels) is enough for the history."""
    data = {
        "total": 3,
        "covered": ["B"],
        "not_counted": [{"label": "C", "reason": "negated"}],
        "points": [
            {"label": "A", "status": "missed"},
            {"label": "B", "status": "covered", "evidence": "said B"},
            {"label": "C", "status": "negated", "evidence": "no C", "hint": 7},
        ],
        "star": {"parts": {"result": "it worked"}, "weakest": "nonsense", "flags": ["we_only", "new_flag"]},
        "signals": {"recommended": "bad", "length": "odd", "fillers": [{"phrase": "um"}]},
        "suggested_rating": {"rating": "someday", "reasons": ["points"]},
        "added_later": {"by": "a newer engine"},
    }
    back = from_stored(data)
    assert isinstance(back, Feedback)
    assert back.labels == ("A", "B", "C") and back.covered == (1,)
    assert back.not_counted == [("C", "negated")]
    assert back.points[2].hint == ""
    assert back.star is not None and back.star.present == ("result",) and back.star.weakest is None
    assert back.star.flags == ("we_only",)
    assert back.signals is not None and back.signals.recommended == (0, 0) and back.signals.length == "ok"
    assert back.signals.fillers == (("um", 1),)
    assert back.suggestion is None
