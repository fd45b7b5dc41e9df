"""The pieces under spoken answers and the deeper review, in tables: pace, the review's
validation, Retry-After, the prompt, the clients against the fake server, and config exit codes."""

import json
from pathlib import Path

import pytest

from bot.config import LlmSettings, SpeechSettings
from bot.core.endpoint import ServiceFailure, retry_after_seconds
from bot.core.review_model import DeeperReview, ReviewModel, parse_review, review_messages
from bot.core.speech import Pace, SpeechClient, speaking_pace
from tests.fake_openai import VALID_REVIEW, FakeOpenAI
from tests.test_cli import assert_config_error, bot


@pytest.mark.parametrize(
    ("transcript", "seconds", "expected"),
    [
        ("word " * 50, 20, Pace(150, "ok", 0)),
        ("word " * 30, 20, Pace(90, "slow", 0)),
        ("word " * 70, 20, Pace(210, "fast", 0)),
        ("So... I would, um… start with the sponsor.", 6, Pace(80, "slow", 2)),
        ("word " * 10, 4, None),  # too short to judge
        ("", 10, Pace(0, "slow", 0)),
    ],
)
def test_speaking_pace(transcript: str, seconds: int, expected: Pace | None) -> None:
    assert speaking_pace(transcript, seconds) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7),
        (" 30 ", 30),
        ("0", 0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-1", None),
        ("999999", 86400),
    ],
)
def test_retry_after_seconds(value: str | None, expected: int | None) -> None:
    assert retry_after_seconds(value) == expected


@pytest.mark.parametrize(
    ("content", "valid"),
    [
        (json.dumps(VALID_REVIEW), True),
        ("```json\n" + json.dumps(VALID_REVIEW) + "\n```", True),  # fenced anyway
        (json.dumps({**VALID_REVIEW, "score": 8}), True),  # extra keys are ignored
        (json.dumps({**VALID_REVIEW, "rewrite": "word " * 200}), True),
        (json.dumps({**VALID_REVIEW, "rewrite": "word " * 201}), False),
        (json.dumps({**VALID_REVIEW, "rewrite": "  "}), False),
        (json.dumps({k: v for k, v in VALID_REVIEW.items() if k != "top_improvement"}), False),
        (json.dumps({**VALID_REVIEW, "covered": ["Business case"]}), False),
        (json.dumps({**VALID_REVIEW, "factual_errors": "none"}), False),
        (json.dumps([VALID_REVIEW]), False),
        ("The answer is good.", False),
        ("", False),
    ],
)
def test_parse_review(content: str, valid: bool) -> None:
    review = parse_review(content)
    assert (review is not None) == valid
    if review is not None:
        assert isinstance(review, DeeperReview) and review.covered[0].point == "Business case"


def test_the_prompt_carries_the_question_points_and_answer_and_nothing_else() -> None:
    system, user = review_messages(
        "How do you start?", ["Business case", "Pilot"], "I ask {{ why }}.", spoken=True
    )
    assert (
        system["role"] == "system" and '"rewrite"' in system["content"] and "200 words" in system["content"]
    )
    assert user["content"].startswith("Interview question:\nHow do you start?")
    assert "- Business case\n- Pilot" in user["content"]
    assert "I ask {{ why }}." in user["content"]  # the answer is data, never template code
    assert "transcribed from speech" in user["content"]
    assert "transcribed" not in review_messages("Q?", [], "A.", spoken=False)[1]["content"]


async def test_clients_reuse_one_connection_and_send_the_key_only_as_a_header() -> None:
    async with FakeOpenAI(api_key="sk-unit") as server:
        speech = SpeechClient(SpeechSettings(base_url=server.base_url), "sk-unit")
        model = ReviewModel(LlmSettings(base_url=server.base_url, model="m"), "sk-unit")
        try:
            assert await speech.transcribe(b"OggS", "voice.ogg", "audio/ogg") == server.default_transcript
            assert await speech.transcribe(b"OggS", "voice.ogg", "audio/ogg") == server.default_transcript
            review = await model.review("Q?", ["P"], "A.")
            server.fail_next("chat/completions", 429, retry_after=12)
            assert await model.review("Q?", ["P"], "A.") == ServiceFailure("rate_limited", 429, 12)
        finally:
            await speech.aclose()
            await model.aclose()
        wrong = SpeechClient(SpeechSettings(base_url=server.base_url), "sk-wrong")
        try:
            assert await wrong.transcribe(b"OggS", "voice.ogg", "audio/ogg") == ServiceFailure("refused", 401)
        finally:
            await wrong.aclose()
    assert isinstance(review, DeeperReview)
    first, second = (c.peer for c in server.calls_to("audio/transcriptions")[:2])
    assert first is not None and first == second  # one kept-alive connection
    assert all("sk-unit" not in json.dumps(c.body, default=str) for c in server.calls)


def test_a_bad_endpoint_url_stops_the_bot_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[speech]\nbase_url = "whisper.local:8080"\n', encoding="utf-8")
    assert_config_error(bot(tmp_path, "chat"), "[speech] base_url: expected an http:// or https:// URL")
