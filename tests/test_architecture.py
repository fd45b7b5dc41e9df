"""Project-wide promises: every template renders with the values the core returns.

The layers' import rules live in tests/test_layers.py.
"""

from datetime import UTC, date, datetime, time, timedelta

from bot.core.daily_settings import DailySetting, InterviewDate
from bot.core.endpoint import ServiceFailure
from bot.core.feedback import Feedback, FeedbackMatcher, Focus
from bot.core.interview import (
    Answered,
    FollowUpAnswered,
    InterviewSummary,
    QuestionPrompt,
    Rated,
    SummaryItem,
)
from bot.core.probes import Probe
from bot.core.progress import (
    Attempt,
    AttemptDiff,
    HistoryItem,
    HistoryPage,
    QuestionHistory,
    Stats,
    TopicStats,
)
from bot.core.prompting import DailyPrompt, Pick
from bot.core.rating import Rating
from bot.core.review_model import DeeperReview
from bot.core.schedule_time import QuietHours
from bot.core.speech import Pace
from bot.present.labels import TELEGRAM_COMMANDS as COMMANDS
from bot.present.render import render, template_names, to_plain
from questions.loader import QuestionBank
from storage.states import PickReason, SessionKind
from tests.fake_telegram import parse_html


def sample_context(bank: QuestionBank) -> dict[str, dict[str, object]]:
    q = bank.questions[0]
    prompt = QuestionPrompt(1, 2, 5, q)
    feedback = Feedback(tuple(tp.label for tp in q.talking_points), (0,), 12)
    summary = InterviewSummary((SummaryItem(q, 1, len(q.talking_points), 3),), 5, False)
    answered = Answered(9, q, 2, 5, feedback, 30, None, summary)
    # A full analysis with every kind of point, STAR and signals, from the real engine.
    story = next(question for question in bank.questions if question.star)
    first, second = (tp.match[0] for tp in story.talking_points[:2])
    analysed = FeedbackMatcher(bank.questions).assess(
        story,
        f"{first}, {second}, scope, budget. We basically never bothered with {second} <b>. "
        "We did it last year and it worked.",
    )
    analysed_result = Answered(9, story, 2, 5, analysed, 30, None, None)
    focused = InterviewSummary(
        (SummaryItem(story, 0, len(story.talking_points), None),), 5, False, focus=Focus("star_result", 1, 1)
    )
    when = datetime(2026, 1, 2, 9, 0, tzinfo=UTC)
    topics = (("agile", "Agile and Scrum"),)
    review = DeeperReview.model_validate(
        {
            "covered": [{"point": "Business case", "quote": "the <b>business case</b> & goals"}],
            "factual_errors": ["EVM's CPI is EV/AC, not AC/EV."],
            "top_improvement": "Name one measurable result.",
            "rewrite": "I would first agree the business case & success criteria with the sponsor.",
        }
    )
    return {
        "start": {"new": True, "name": "Ann", "per_session": 5},
        "help": {"commands": COMMANDS, "topics": topics},
        "question": {"prompt": prompt},
        "feedback": {"result": answered},
        "feedback with analysis": {"result": analysed_result},
        "summary": {"summary": summary},
        "summary with focus": {"summary": focused},
        "already_running": {"prompt": prompt},
        "unknown_topic": {"given": "x", "topics": topics},
        "not_asked": {"topics": topics},
        "history": {
            "page": HistoryPage(
                (HistoryItem(9, q, when, when.date(), 2, 5, Rating.GOOD, "my answer <b>"),),
                1,
                3,
                25,
                10,
                None,
            ),
            "topics": topics,
            "buttons": True,
        },
        "attempts": {
            "history": QuestionHistory(
                q,
                (
                    Attempt(8, 1, when, when.date(), "first <i>", ("A",), ("B",), 1, 2, None, 3, None),
                    Attempt(
                        9,
                        2,
                        when,
                        when.date(),
                        "second",
                        ("B",),
                        ("A",),
                        1,
                        2,
                        Rating.GOOD,
                        4,
                        AttemptDiff(("B",), ("A",), 1),
                        analysed,
                        voice_seconds=42,
                        deeper_review=review,
                    ),
                ),
                9,
            )
        },
        "stats": {
            "stats": Stats(
                12,
                4,
                2,
                3,
                False,
                when.date(),
                when.date(),
                "UTC",
                (
                    TopicStats(
                        "agile", "Agile and Scrum", 3, 2, 5, 9, ((Rating.GOOD, 2), (Rating.EASY, 0)), 1
                    ),
                ),
                0,
                when,
                (),
            ),
            "next_review": "Mon 5 Jan, 09:00",
        },
        "export_caption": {"count": 12, "when": "Mon 5 Jan, 09:00"},
        "deleted": {"deleted": True},
        "too_long": {"length": 20000, "limit": 12000},
        "media": {"what": "a sticker"},
        "unknown_command": {"command": "/nope"},
        "daily_prompt": {
            "daily": DailyPrompt(
                QuestionPrompt(3, 1, 1, q, SessionKind.DAILY),
                Pick(q, PickReason.REVIEW, Rating.HARD, 6),
                4,
                5,
                ("Agile and Scrum",),
            )
        },
        "daily_prompt with again": {
            "daily": DailyPrompt(
                QuestionPrompt(3, 1, 1, q, SessionKind.DAILY), Pick(q, PickReason.AGAIN), 0, None, ()
            )
        },
        "daily_status": {
            "setting": DailySetting(
                True,
                time(7, 30),
                "Europe/Berlin",
                QuietHours(),
                datetime(2026, 1, 2, 6, 30, tzinfo=UTC),
                None,
                None,
            ),
            "changed": True,
            "next_local": "Fri 2 Jan, 07:30",
        },
        "daily_terminal": {
            "setting": DailySetting(False, time(7, 30), "UTC", QuietHours(), None, None, None),
        },
        "schedule_error": {"message": "'25:00' is not a valid time."},
        "interview_date_error": {"message": "That date has passed.", "example_date": date(2026, 3, 16)},
        "interview_date_error with no example": {"message": "That date has passed.", "example_date": None},
        "topics": {"all_selected": True},
        "level_status": {"level_name": "Project manager"},
        "level_status with no level": {"level_name": None},
        "level_set": {"level_name": "Coordinator"},
        "level_unknown": {"given": "<b>wizard</b>"},
        "jobad_status": {"topics": ("Agile and Scrum", "Risk management")},
        "jobad_status with no ad": {"topics": ()},
        "jobad_set": {"terms": ("Scrum", "AWS", "SLAs"), "topics": ("Agile and Scrum",), "shown": 2},
        "jobad_no_terms": {"kept": ("Risk management",)},
        "jobad_no_terms with nothing kept": {"kept": ()},
        "jobad_too_long": {"length": 20000, "limit": 15000},
        "jobad_cleared": {"had_one": True},
        "review_nothing": {"next_due": datetime(2026, 1, 5, tzinfo=UTC), "next_local": "Mon 5 Jan, 01:00"},
        "interview_date": {
            "result": InterviewDate(datetime(2026, 2, 1, tzinfo=UTC).date(), 30),
            "cleared": False,
        },
        "interview_date with none set": {
            "result": InterviewDate(None, None, date(2026, 1, 19)),
            "cleared": False,
        },
        "snoozed": {"at": "Mon 5 Jan, 09:30"},
        "rated": {"rated": Rated(9, Rating.GOOD, q, datetime(2026, 1, 6, tzinfo=UTC), timedelta(days=4))},
        "voice_too_long": {"seconds": 301, "limit": 300},
        "voice_too_big": {"size": 21 * 1024 * 1024, "limit": 20 * 1024 * 1024},
        "voice_failed": {"failure": ServiceFailure("rate_limited", 429, 7), "download": False},
        "voice_failed with download": {"failure": None, "download": True},
        "voice_heard": {"transcript": "I would <b>start</b>...", "pace": Pace(180, "fast", 1)},
        "voice_heard with no pace": {"transcript": "Short.", "pace": None},
        "privacy": {"speech": False, "llm": False},
        "privacy with services": {"speech": True, "llm": True},
        "voice_moved_on": {"transcript": "I would <b>start</b>..."},
        "deeper_failed": {"failure": ServiceFailure("timeout")},
        "deeper_limit": {"limit": 20},
        "deeper_review": {"question": q, "review": review},
        "deeper_review with nothing covered": {
            "question": q,
            "review": review.model_copy(update={"covered": [], "factual_errors": []}),
        },
        "settings": {"follow_ups": True},
        "settings with follow-ups off": {"follow_ups": False},
        "question with a follow-up": {"prompt": QuestionPrompt(1, 2, 5, q, probe=Probe("result"))},
        "question with Try again": {"prompt": QuestionPrompt(1, 2, 5, q, retry=True)},
        "follow_up_feedback": {
            "result": FollowUpAnswered(
                9, story, 2, 5, Probe("point", "Risks"), analysed, (0,), (0, 1), None, None
            )
        },
        "follow_up_feedback with the result": {
            "result": FollowUpAnswered(
                9, story, 2, 5, Probe("result"), analysed, (), (0,), None, None, parts=2
            )
        },
    }


def test_every_template_renders(bank: QuestionBank) -> None:
    contexts = sample_context(bank)
    for name in template_names():
        out = render(name, **contexts.get(name, {}))
        assert out.strip(), name
        assert "<br" not in out, f"{name}: Telegram HTML has no <br>"


def test_variants_render_as_telegram_html(bank: QuestionBank) -> None:
    """Contexts named "<template> with ..." exercise a template's other branches."""
    variants = {k: v for k, v in sample_context(bank).items() if " with " in k}
    assert variants
    for key, context in variants.items():
        out = render(key.split(" with ")[0], **context)
        parse_html(out)  # raises on HTML Telegram would refuse
    analysed = to_plain(render("feedback", **sample_context(bank)["feedback with analysis"]))
    assert "STAR" in analysed and "Suggested:" in analysed.splitlines()[-1]
    assert "listed, not explained" in analysed and "you said you wouldn't" in analysed
    attempts = render("attempts", **sample_context(bank)["attempts"])
    parse_html(attempts)
    assert "🎙 spoken, 42 seconds" in attempts and "<b>Deeper review</b>" in attempts
