"""End to end: spoken answers and the deeper review, through the real PTB Application, the fake
Bot API (voice updates, getFile, file download) and a fake OpenAI-compatible server.

Each bot has a bank of one question, so every interview asks it and one answer ends it.
"""

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.core.rating import Rating
from bot.tg import callback_data as cd
from questions.loader import QuestionBank
from tests import db_rows
from tests.conftest import FakeClock, running_bot, write_bot_settings
from tests.fake_openai import VALID_REVIEW, FakeOpenAI
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.follow_up_helpers import follow_ups_off
from tests.test_e2e_feedback import CLOUD, MEDIUM
from tests.test_e2e_interview import rows

SPEECH_KEY = "sk-speech-SECRET-0123456789abcdef"
LLM_KEY = "sk-llm-SECRET-fedcba9876543210"


@pytest.fixture
async def openai() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


def speech_toml(server: FakeOpenAI, **extra: object) -> str:
    lines = [f'base_url = "{server.base_url}"', *(f"{k} = {json.dumps(v)}" for k, v in extra.items())]
    return "[speech]\n" + "\n".join(lines) + "\n\n"


def llm_toml(server: FakeOpenAI, **extra: object) -> str:
    lines = [f'base_url = "{server.base_url}"', *(f"{k} = {json.dumps(v)}" for k, v in extra.items())]
    return "[llm]\n" + "\n".join(lines) + "\n\n"


def bot_config(tmp_path: Path, db_url: str, fake: FakeTelegram, extra: str = "") -> Settings:
    return write_bot_settings(tmp_path, db_url, fake, extra)


def one_question(bank: QuestionBank) -> QuestionBank:
    return QuestionBank((bank.by_id[CLOUD],))


async def ask(fake: FakeTelegram, user: FakeUser) -> int:
    """Start an interview (follow-ups off: these tests are about the answer itself); the number
    of the bot's messages so far (the question included)."""
    await follow_ups_off(fake, user)
    before = len(fake.messages(user.id))
    fake.send_text(user, "/interview")
    return len(await fake.wait_for_messages(user.id, before + 1))


def current(fake: FakeTelegram, sent: SentMessage) -> SentMessage:
    """The bot's message as it is now (edits applied)."""
    [now] = [m for m in fake.messages(sent.chat_id) if m.message_id == sent.message_id]
    return now


async def replies(fake: FakeTelegram, user: FakeUser, after: int, count: int) -> list[SentMessage]:
    return (await fake.wait_for_messages(user.id, after + count))[after:]


async def test_voice_answer_gets_transcript_pace_and_feedback(
    tmp_path: Path,
    db_url: str,
    fake: FakeTelegram,
    openai: FakeOpenAI,
    bank: QuestionBank,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEST_SPEECH_KEY", SPEECH_KEY)
    openai.api_key = SPEECH_KEY
    openai.transcripts.append(MEDIUM + " Um... and <b>measure</b> it.")
    settings = bot_config(tmp_path, db_url, fake, speech_toml(openai, api_key_env="TEST_SPEECH_KEY"))
    async with running_bot(settings, one_question(bank), clock):
        ann = fake.user(1, "Ann")
        asked = await ask(fake, ann)
        voice = fake.send_voice(ann, duration=20, content=b"OggS\x00ann-speaking")
        ack, heard, feedback, summary = await replies(fake, ann, asked, 4)

    assert "transcribing" in ack.plain_text
    assert heard.plain_text.startswith("I heard: " + MEDIUM)
    assert "<b>measure</b>" in heard.plain_text  # the transcript is escaped, not markup
    words = len((MEDIUM + " Um... and <b>measure</b> it.").split())
    assert f"{round(words * 60 / 20)} words per minute" in heard.plain_text
    assert "Long pauses: 1" in heard.plain_text
    assert feedback.plain_text.startswith("Feedback on question 1 of 1")
    assert [label for label, _ in feedback.buttons()] == ["Again", "Hard", "Good", "Easy", "Try again"]
    assert "interview" in summary.plain_text.lower()
    [call] = openai.calls_to("audio/transcriptions")
    assert call.body["file"] == b"OggS\x00ann-speaking" and call.body["model"] == "whisper-1"
    assert call.authorization == f"Bearer {SPEECH_KEY}"
    assert fake.calls_to("getFile") and fake.calls_to("sendChatAction")
    [row] = rows(settings, "SELECT text, voice_file_id, voice_seconds, source_message_id FROM answer")
    assert row.text.startswith(MEDIUM)
    assert (row.voice_file_id, row.voice_seconds) == (voice["voice"]["file_id"], 20)
    assert row.source_message_id == voice["message_id"]


async def test_an_audio_file_is_an_answer_too(
    tmp_path: Path, db_url: str, fake: FakeTelegram, openai: FakeOpenAI, bank: QuestionBank, clock: FakeClock
) -> None:
    settings = bot_config(tmp_path, db_url, fake, speech_toml(openai))
    async with running_bot(settings, one_question(bank), clock):
        ann = fake.user(1, "Ann")
        asked = await ask(fake, ann)
        fake.send_audio(ann, duration=40, filename="answer.mp3")
        _, heard, feedback, _ = await replies(fake, ann, asked, 4)
    assert heard.plain_text.startswith("I heard: " + openai.default_transcript)
    assert feedback.plain_text.startswith("Feedback on question 1 of 1")
    [call] = openai.calls_to("audio/transcriptions")
    assert call.filename == "answer.mp3"
    assert call.authorization is None  # no api_key_env: no key is sent


async def test_voice_without_a_speech_service_keeps_the_question_waiting(
    bot_settings: Settings, fake: FakeTelegram, bank: QuestionBank, clock: FakeClock
) -> None:
    async with running_bot(bot_settings, one_question(bank), clock):
        ann = fake.user(1, "Ann")
        asked = await ask(fake, ann)
        fake.send_voice(ann, duration=12)
        [refusal] = await replies(fake, ann, asked, 1)
        fake.send_text(ann, MEDIUM)
        [feedback, _] = await replies(fake, ann, asked + 1, 2)
    assert "need a transcription service" in refusal.plain_text
    assert "type your answer" in refusal.plain_text and "still waiting" in refusal.plain_text
    assert feedback.plain_text.startswith("Feedback on question 1 of 1")
    assert not fake.calls_to("getFile")


@pytest.mark.parametrize("speech", [True, False], ids=["with-speech", "without-speech"])
async def test_voice_with_no_question_waiting_says_so(
    tmp_path: Path,
    db_url: str,
    fake: FakeTelegram,
    openai: FakeOpenAI,
    bank: QuestionBank,
    clock: FakeClock,
    speech: bool,
) -> None:
    settings = bot_config(tmp_path, db_url, fake, speech_toml(openai) if speech else "")
    async with running_bot(settings, one_question(bank), clock):
        ann = fake.user(1, "Ann")
        fake.send_voice(ann)
        [reply] = await fake.wait_for_messages(ann.id, 1)
    assert "no question waiting" in reply.plain_text
    assert openai.calls == []


@pytest.mark.parametrize(
    ("duration", "file_size", "words"),
    [
        (301, None, "301 seconds long; I can take up to 300 seconds"),
        (60, 21 * 1024 * 1024, "21.0 MB; Telegram lets bots download at most 20 MB"),
    ],
    ids=["too-long", "too-big"],
)
async def test_voice_too_long_or_too_big_gets_a_clear_message(
    tmp_path: Path,
    db_url: str,
    fake: FakeTelegram,
    openai: FakeOpenAI,
    bank: QuestionBank,
    clock: FakeClock,
    duration: int,
    file_size: int | None,
    words: str,
) -> None:
    settings = bot_config(tmp_path, db_url, fake, speech_toml(openai))
    async with running_bot(settings, one_question(bank), clock):
        ann = fake.user(1, "Ann")
        asked = await ask(fake, ann)
        fake.send_voice(ann, duration=duration, file_size=file_size)
        [reply] = await replies(fake, ann, asked, 1)
    assert words in reply.plain_text and "still waiting" in reply.plain_text
    assert openai.calls == [] and not fake.calls_to("getFile")


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        ("500", "service had an error (HTTP 500)"),
        ("429", "service is busy: try again in 7 seconds"),
        ("401", "refused the request (HTTP 401)"),
        ("malformed", "sent back something I couldn't read"),
        ("empty", "couldn't make out any words"),
        ("timeout", "took too long to answer"),
        ("unreachable", "could not be reached"),
    ],
)
async def test_a_failed_transcription_is_one_notice_and_the_question_keeps_waiting(
    tmp_path: Path,
    db_url: str,
    fake: FakeTelegram,
    openai: FakeOpenAI,
    bank: QuestionBank,
    clock: FakeClock,
    mode: str,
    words: str,
) -> None:
    extra = {"timeout_seconds": 1} if mode == "timeout" else {}
    toml = speech_toml(openai, **extra)
    if mode == "unreachable":
        toml = toml.replace(openai.base_url, "http://127.0.0.1:9/v1")  # the discard port: refused
    match mode:
        case "500" | "401":
            openai.fail_next("audio/transcriptions", int(mode))
        case "429":
            openai.fail_next("audio/transcriptions", 429, retry_after=7)
        case "malformed":
            openai.malformed_next("audio/transcriptions")
        case "empty":
            openai.transcripts.append("   ")
        case "timeout":
            openai.hold("audio/transcriptions")
    settings = bot_config(tmp_path, db_url, fake, toml)
    async with running_bot(settings, one_question(bank), clock):
        ann = fake.user(1, "Ann")
        asked = await ask(fake, ann)
        fake.send_voice(ann, duration=10)
        [_, notice] = await replies(fake, ann, asked, 2)
        openai.release()
        fake.send_text(ann, MEDIUM)
        [feedback, _] = await replies(fake, ann, asked + 2, 2)
    assert words in notice.plain_text and "still waiting" in notice.plain_text
    assert feedback.plain_text.startswith("Feedback on question 1 of 1")
    assert rows(settings, "SELECT voice_file_id FROM answer") == [(None,)]


async def test_a_slow_transcription_blocks_no_one(
    tmp_path: Path, db_url: str, fake: FakeTelegram, openai: FakeOpenAI, bank: QuestionBank, clock: FakeClock
) -> None:
    openai.hold("audio/transcriptions")
    settings = bot_config(tmp_path, db_url, fake, speech_toml(openai))
    async with running_bot(settings, one_question(bank), clock):
        ann, bob = fake.user(1, "Ann"), fake.user(2, "Bob")
        asked = await ask(fake, ann)
        fake.send_voice(ann, duration=10)
        await replies(fake, ann, asked, 1)  # the acknowledgement
        await openai.wait_for_calls("audio/transcriptions", 1)
        # While Ann's transcription hangs, Bob is served, and so is Ann's next update.
        fake.send_text(bob, "/help")
        await fake.wait_for_messages(bob.id, 1)
        fake.send_text(ann, "/help")
        [help_reply] = await replies(fake, ann, asked + 1, 1)
        assert "interview" in help_reply.plain_text
        openai.release()
        heard, feedback, _ = await replies(fake, ann, asked + 2, 3)
    assert heard.plain_text.startswith("I heard:")
    assert feedback.plain_text.startswith("Feedback on question 1 of 1")


# ------------------------------------------------------------------------------------- deeper review


async def answer_and_press(fake: FakeTelegram, ann: FakeUser) -> tuple[SentMessage, int, str]:
    """Answer the question by text and press "Deeper review": the feedback, the count of the
    bot's messages before the press, and the press's query id."""
    asked = await ask(fake, ann)
    fake.send_text(ann, MEDIUM)
    feedback, _ = await replies(fake, ann, asked, 2)
    [deeper] = [data for label, data in feedback.buttons() if label == "Deeper review"]
    query = fake.press_button(ann, feedback.message_id, deeper)
    return feedback, asked + 2, query


async def test_deeper_review_is_validated_escaped_and_stored(
    tmp_path: Path,
    db_url: str,
    fake: FakeTelegram,
    openai: FakeOpenAI,
    bank: QuestionBank,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEST_LLM_KEY", LLM_KEY)
    openai.api_key = LLM_KEY
    settings = bot_config(
        tmp_path, db_url, fake, llm_toml(openai, model="local-8b", api_key_env="TEST_LLM_KEY")
    )
    async with running_bot(settings, one_question(bank), clock):
        ann = fake.user(1, "Ann")
        feedback, before, query = await answer_and_press(fake, ann)
        [review] = await replies(fake, ann, before, 1)
        answered = fake.callback_answer(query)
        # A second press shows the stored review without asking the model again.
        fake.press_button(ann, feedback.message_id, cd.AskDeeperReview(1).encode())
        [again] = await replies(fake, ann, before + 1, 1)

    assert answered is not None and answered.text and "Asking the language model" in answered.text
    text = review.plain_text
    assert text.startswith("Deeper review")
    assert "Business case" in text and "“agree the business case with the sponsor”" in text
    assert VALID_REVIEW["factual_errors"][0] in text
    assert VALID_REVIEW["top_improvement"] in text  # "&" and "<it>" shown, escaped
    assert VALID_REVIEW["rewrite"] in text
    assert again.plain_text == text
    [call] = openai.calls_to("chat/completions")
    assert call.body["model"] == "local-8b" and call.authorization == f"Bearer {LLM_KEY}"
    prompt = call.body["messages"][-1]["content"]
    assert MEDIUM in prompt and bank.by_id[CLOUD].text in prompt
    assert "Ann" not in json.dumps(call.body)  # no name leaves the machine
    [row] = rows(settings, "SELECT deeper_review, deeper_review_at FROM answer")
    assert db_rows.stored_json(row.deeper_review) == VALID_REVIEW and row.deeper_review_at is not None


async def test_a_malformed_review_is_retried_once(
    tmp_path: Path, db_url: str, fake: FakeTelegram, openai: FakeOpenAI, bank: QuestionBank, clock: FakeClock
) -> None:
    openai.malformed_next("chat/completions")
    settings = bot_config(tmp_path, db_url, fake, llm_toml(openai))
    async with running_bot(settings, one_question(bank), clock):
        ann = fake.user(1, "Ann")
        _, before, _ = await answer_and_press(fake, ann)
        [review] = await replies(fake, ann, before, 1)
    assert review.plain_text.startswith("Deeper review")
    first, second = openai.calls_to("chat/completions")
    assert len(second.body["messages"]) == len(first.body["messages"]) + 2
    assert "not the JSON object" in second.body["messages"][-1]["content"]


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        ("malformed twice", "sent back something I couldn't read"),
        ("ignores the schema", "sent back something I couldn't read"),
        ("rewrite too long", "sent back something I couldn't read"),
        ("500", "had an error (HTTP 500)"),
        ("429", "is busy: try again in 30 seconds"),
        ("timeout", "took too long"),
    ],
)
async def test_a_failed_review_is_one_notice_and_the_feedback_stands(
    tmp_path: Path,
    db_url: str,
    fake: FakeTelegram,
    openai: FakeOpenAI,
    bank: QuestionBank,
    clock: FakeClock,
    mode: str,
    words: str,
) -> None:
    match mode:
        case "malformed twice":
            openai.malformed_next("chat/completions", 2)
        case "ignores the schema":
            openai.reviews.extend([{"review": "Looks fine."}, {"score": 7, "covered": "everything"}])
        case "rewrite too long":
            long = {**VALID_REVIEW, "rewrite": "word " * 201}
            openai.reviews.extend([long, long])
        case "500":
            openai.fail_next("chat/completions", 500)
        case "429":
            openai.fail_next("chat/completions", 429, retry_after=30)
        case "timeout":
            openai.hold("chat/completions")
    extra = {"timeout_seconds": 1} if mode == "timeout" else {}
    settings = bot_config(tmp_path, db_url, fake, llm_toml(openai, **extra))
    async with running_bot(settings, one_question(bank), clock):
        ann = fake.user(1, "Ann")
        feedback, before, _ = await answer_and_press(fake, ann)
        [notice] = await replies(fake, ann, before, 1)
        openai.release()
    assert notice.plain_text.startswith("No deeper review this time.")
    assert words in notice.plain_text and "feedback above still stands" in notice.plain_text
    assert not current(fake, feedback).deleted
    assert rows(settings, "SELECT deeper_review FROM answer") == [(None,)]


async def test_a_foreign_or_stale_deeper_button_gets_a_short_notice(
    tmp_path: Path, db_url: str, fake: FakeTelegram, openai: FakeOpenAI, bank: QuestionBank, clock: FakeClock
) -> None:
    settings = bot_config(tmp_path, db_url, fake, llm_toml(openai))
    async with running_bot(settings, one_question(bank), clock):
        ann, eve = fake.user(1, "Ann"), fake.user(2, "Eve")
        asked = await ask(fake, ann)
        fake.send_text(ann, MEDIUM)
        feedback, _ = await replies(fake, ann, asked, 2)
        fake.send_text(eve, "/start")
        await fake.wait_for_messages(eve.id, 1)
        forged = fake.press_button(eve, 1, cd.AskDeeperReview(1).encode())
        stale = fake.press_button(ann, feedback.message_id, cd.AskDeeperReview(999).encode())
        await fake.wait_for(lambda: None not in (fake.callback_answer(forged), fake.callback_answer(stale)))
    for query in (forged, stale):
        answered = fake.callback_answer(query)
        assert answered is not None and answered.text and "expired" in answered.text
    assert openai.calls == []


async def test_rating_keeps_the_deeper_review_on_offer(
    tmp_path: Path, db_url: str, fake: FakeTelegram, openai: FakeOpenAI, bank: QuestionBank, clock: FakeClock
) -> None:
    settings = bot_config(tmp_path, db_url, fake, llm_toml(openai))
    async with running_bot(settings, one_question(bank), clock):
        ann = fake.user(1, "Ann")
        asked = await ask(fake, ann)
        fake.send_text(ann, MEDIUM)
        feedback, _ = await replies(fake, ann, asked, 2)
        fake.press_button(ann, feedback.message_id, cd.RateAnswer(1, Rating.GOOD).encode())
        await fake.wait_for(lambda: len(current(fake, feedback).buttons()) == 2)
    assert current(fake, feedback).buttons() == [
        ("Try again", cd.TryAgain(1).encode()),
        ("Deeper review", cd.AskDeeperReview(1).encode()),
    ]


async def test_without_llm_there_is_no_deeper_button(
    bot_settings: Settings, fake: FakeTelegram, bank: QuestionBank, clock: FakeClock
) -> None:
    async with running_bot(bot_settings, one_question(bank), clock):
        ann = fake.user(1, "Ann")
        asked = await ask(fake, ann)
        fake.send_text(ann, MEDIUM)
        feedback, _ = await replies(fake, ann, asked, 2)
    assert "Deeper review" not in [label for label, _ in feedback.buttons()]


async def test_the_daily_cap_and_the_allowlist_hold(
    tmp_path: Path, db_url: str, fake: FakeTelegram, openai: FakeOpenAI, bank: QuestionBank, clock: FakeClock
) -> None:
    toml = llm_toml(openai, max_reviews_per_day=1, enabled_for="allowlist", allow_user_ids=[1])
    settings = bot_config(tmp_path, db_url, fake, toml)
    async with running_bot(settings, one_question(bank), clock):
        ann, bob = fake.user(1, "Ann"), fake.user(2, "Bob")
        _, before, _ = await answer_and_press(fake, ann)
        await replies(fake, ann, before, 1)
        # A second answer the same day: the cap is reached.
        _, before, _ = await answer_and_press(fake, ann)
        [capped] = await replies(fake, ann, before, 1)
        asked = await ask(fake, bob)
        fake.send_text(bob, MEDIUM)
        bob_feedback, _ = await replies(fake, bob, asked, 2)
    assert "1 deeper review in the last 24 hours" in capped.plain_text
    assert "Deeper review" not in [label for label, _ in bob_feedback.buttons()]
    assert len(openai.calls_to("chat/completions")) == 1


async def test_api_keys_never_reach_the_logs(
    tmp_path: Path,
    db_url: str,
    fake: FakeTelegram,
    openai: FakeOpenAI,
    bank: QuestionBank,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("TEST_SPEECH_KEY", SPEECH_KEY)
    monkeypatch.setenv("TEST_LLM_KEY", LLM_KEY)
    openai.fail_next("audio/transcriptions", 401)
    openai.fail_next("chat/completions", 500)
    toml = speech_toml(openai, api_key_env="TEST_SPEECH_KEY") + llm_toml(openai, api_key_env="TEST_LLM_KEY")
    settings = bot_config(tmp_path, db_url, fake, toml)
    async with running_bot(settings, one_question(bank), clock):
        ann = fake.user(1, "Ann")
        asked = await ask(fake, ann)
        fake.send_voice(ann, duration=10)
        await replies(fake, ann, asked, 2)  # acknowledgement, failure notice
        fake.send_voice(ann, duration=10)
        await replies(fake, ann, asked + 2, 4)  # acknowledgement, I heard, feedback, summary
        [feedback] = [m for m in fake.messages(ann.id) if m.text.startswith("<b>Feedback")]
        fake.press_button(ann, feedback.message_id, cd.AskDeeperReview(1).encode())
        await replies(fake, ann, asked + 6, 1)
    assert {c.authorization for c in openai.calls} == {f"Bearer {SPEECH_KEY}", f"Bearer {LLM_KEY}"}
    logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert "transcription" in logged  # the failures were logged...
    assert SPEECH_KEY not in logged and LLM_KEY not in logged  # ...without the keys
    assert all(SPEECH_KEY not in m.text and LLM_KEY not in m.text for m in fake.messages(ann.id))


async def test_history_shows_the_spoken_answer_and_its_review(
    tmp_path: Path, db_url: str, fake: FakeTelegram, openai: FakeOpenAI, bank: QuestionBank, clock: FakeClock
) -> None:
    settings = bot_config(tmp_path, db_url, fake, speech_toml(openai) + llm_toml(openai))
    async with running_bot(settings, one_question(bank), clock):
        ann = fake.user(1, "Ann")
        asked = await ask(fake, ann)
        fake.send_voice(ann, duration=20)
        _, _, feedback, _ = await replies(fake, ann, asked, 4)
        fake.press_button(ann, feedback.message_id, cd.AskDeeperReview(1).encode())
        await replies(fake, ann, asked + 4, 1)
        fake.press_button(ann, feedback.message_id, cd.OpenAnswer(1).encode())
        [attempts] = await replies(fake, ann, asked + 5, 1)
        for count, command in enumerate(("/export", "/export html"), start=1):
            fake.send_text(ann, command)
            await fake.wait_for(lambda n=count: len(fake.files(ann.id)) == n)  # type: ignore[misc]
    markdown, html = (f.file_bytes.decode("utf-8") for f in fake.files(ann.id) if f.file_bytes)
    for document in (markdown, html):
        assert "Spoken (20 seconds); the transcript:" in document
        assert "Deeper review" in document and "I would first agree the business case" in document
    text = attempts.plain_text
    assert "🎙 spoken, 20 seconds" in text and "I heard: " + openai.default_transcript in text
    assert "Deeper review (language model): " + VALID_REVIEW["top_improvement"] in text
    assert VALID_REVIEW["rewrite"] in text


async def test_a_transcript_never_answers_the_next_question(
    tmp_path: Path, db_url: str, fake: FakeTelegram, openai: FakeOpenAI, bank: QuestionBank, clock: FakeClock
) -> None:
    """Typed while the voice was being transcribed: the typed answer counts, and the transcript
    does not become the answer to the question asked after it."""
    openai.hold("audio/transcriptions")
    settings = bot_config(tmp_path, db_url, fake, speech_toml(openai))
    two = QuestionBank((bank.by_id[CLOUD], bank.by_id["agile-retrospectives-stale"]))
    async with running_bot(settings, two, clock):
        ann = fake.user(1, "Ann")
        asked = await ask(fake, ann)
        fake.send_voice(ann, duration=10)
        await replies(fake, ann, asked, 1)
        await openai.wait_for_calls("audio/transcriptions", 1)
        fake.send_text(ann, MEDIUM)
        _, second_question = await replies(fake, ann, asked + 1, 2)
        openai.release()
        [moved_on] = await replies(fake, ann, asked + 3, 1)
    assert second_question.plain_text.startswith("Question 2 of 2")
    assert "didn't record this as an answer" in moved_on.plain_text
    assert rows(settings, "SELECT text, voice_file_id FROM answer") == [(MEDIUM, None)]


@pytest.mark.parametrize("configured", [False, True], ids=["nothing-configured", "both-configured"])
async def test_privacy_says_what_leaves_the_machine(
    tmp_path: Path,
    db_url: str,
    fake: FakeTelegram,
    openai: FakeOpenAI,
    bank: QuestionBank,
    clock: FakeClock,
    configured: bool,
) -> None:
    extra = speech_toml(openai) + llm_toml(openai) if configured else ""
    settings = bot_config(tmp_path, db_url, fake, extra)
    async with running_bot(settings, one_question(bank), clock):
        ann = fake.user(1, "Ann")
        fake.send_text(ann, "/privacy")
        [reply] = await fake.wait_for_messages(ann.id, 1)
    text = reply.plain_text
    assert "/deletedata" in text
    if configured:
        assert "sent to the transcription service" in text and "go to the language model" in text
    else:
        assert "not sent anywhere" in text and "never sent to one" in text
    assert openai.calls == []
