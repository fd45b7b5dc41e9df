"""Voice messages and audio files as answers, and the "Deeper review" button.

Both call a slow service (seconds to a minute). The handler only checks and acknowledges; the
call runs as its own task (Application.create_task), so the update is done at once and nothing
else waits: other users' messages, and this user's next ones, are handled meanwhile. The result
comes as its own message. A failure is one short notice; the question keeps waiting (voice) or
the offline feedback stands (review).
"""

import io
import logging
import warnings
from datetime import timedelta
from typing import assert_never

from telegram import Audio, Message, Update, Voice
from telegram.error import TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.core.deeper import (
    Ready,
    Reviewed,
    ReviewFailed,
    ReviewInProgress,
    ReviewLimitReached,
    ReviewNotAvailable,
    ReviewNotFound,
    ReviewOutcome,
)
from bot.core.endpoint import ServiceFailure
from bot.core.interview import Identity, NotAsked
from bot.core.services import Services
from bot.core.voice import (
    Accepted,
    NoSpeechService,
    NothingWaiting,
    VoiceTooBig,
    VoiceTooLong,
)
from bot.tg import callback_data as cd
from bot.tg.handlers.actions import showing
from bot.tg.handlers.common import Context, answer_query, reply, with_identity
from bot.tg.handlers.interview import InterviewHandlers

log = logging.getLogger(__name__)


def _seconds(media: Voice | Audio) -> int:
    # PTB 22 warns when a duration is read as int; the value is the same either way.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        duration = media.duration
    return int(duration.total_seconds()) if isinstance(duration, timedelta) else int(duration)


def _file_name(media: Voice | Audio) -> tuple[str, str]:
    """A name and type the transcription service recognises the format by."""
    mime = media.mime_type or "audio/ogg"
    if isinstance(media, Audio) and media.file_name:
        return media.file_name, mime
    return "voice.ogg", mime


class VoiceHandlers:
    def __init__(self, services: Services, interview: InterviewHandlers) -> None:
        self.voice_answers = services.voice
        self.deeper = services.deeper
        self.interview = interview
        self.topics = services.interviews.topics
        self.speech_on = services.settings.speech.configured
        self.llm_on = services.settings.llm.configured

    async def privacy(self, update: Update, context: Context) -> None:
        await reply(update, context, "privacy", speech=self.speech_on, llm=self.llm_on)

    @with_identity
    async def voice(self, update: Update, context: Context, who: Identity) -> None:
        message = update.effective_message
        media = (message.voice or message.audio) if message else None
        if message is None or media is None:
            return
        seconds = _seconds(media)
        match await self.voice_answers.check(who, seconds, media.file_size):
            case NothingWaiting():
                await reply(update, context, "not_asked", topics=self.topics())
            case NoSpeechService():
                await reply(update, context, "voice_unconfigured")
            case VoiceTooLong(seconds=length, limit=limit):
                await reply(update, context, "voice_too_long", seconds=length, limit=limit)
            case VoiceTooBig(size=size, limit=limit):
                await reply(update, context, "voice_too_big", size=size, limit=limit)
            case Accepted() as accepted:
                await reply(update, context, "voice_received")
                context.application.create_task(
                    self._transcribe(update, context, who, accepted, message, media, seconds),
                    update=update,
                    name=f"transcribe-{message.chat_id}-{message.message_id}",
                )

    async def _transcribe(
        self,
        update: Update,
        context: Context,
        who: Identity,
        accepted: Accepted,
        message: Message,
        media: Voice | Audio,
        seconds: int,
    ) -> None:
        async with showing(context.bot, message.chat_id):
            audio = await self._download(context, media)
            transcript = (
                await self.voice_answers.transcribe(audio, *_file_name(media)) if audio is not None else None
            )
        if transcript is None or isinstance(transcript, ServiceFailure):
            await reply(update, context, "voice_failed", failure=transcript, download=transcript is None)
            return
        result = await self.voice_answers.answer(
            who, accepted, transcript, message.message_id, media.file_id, seconds
        )
        if isinstance(result.outcome, NotAsked):
            # The question was answered (typed) or the interview cancelled meanwhile.
            await reply(update, context, "voice_moved_on", transcript=transcript)
            return
        await reply(update, context, "voice_heard", transcript=transcript, pace=result.pace)
        await self.interview.answered(update, context, result.outcome)

    async def _download(self, context: Context, media: Voice | Audio) -> bytes | None:
        """The file through the Bot API (getFile, then the file URL), or None (logged)."""
        try:
            file = await context.bot.get_file(media.file_id)
            buffer = io.BytesIO()
            await file.download_to_memory(buffer)
        except TelegramError as exc:
            log.warning("could not download a voice message: %s", exc)
            return None
        return buffer.getvalue()

    async def press(
        self, update: Update, context: Context, who: Identity, action: cd.AskDeeperReview
    ) -> None:
        query = update.callback_query
        assert query is not None
        checked = await self.deeper.check(who, action.answer_id)
        match checked:
            case Ready():
                await answer_query(query, "deeper_working")
                chat = update.effective_chat
                assert chat is not None
                context.application.create_task(
                    self._review(update, context, chat.id, checked),
                    update=update,
                    name=f"deeper-review-{action.answer_id}",
                )
            case ReviewNotFound():
                await answer_query(query, "stale_button")
            case ReviewNotAvailable():
                await answer_query(query, "deeper_unavailable")
            case ReviewInProgress():
                await answer_query(query, "deeper_in_progress")
            case _:
                await answer_query(query)
                await self._show(update, context, checked)

    async def _review(self, update: Update, context: Context, chat_id: int, ready: Ready) -> None:
        async with showing(context.bot, chat_id):
            outcome = await self.deeper.ask(ready)
        await self._show(update, context, outcome)

    async def _show(self, update: Update, context: Context, outcome: ReviewOutcome) -> None:
        match outcome:
            case Reviewed(question=question, review=review):
                await reply(update, context, "deeper_review", question=question, review=review)
            case ReviewFailed(failure=failure):
                await reply(update, context, "deeper_failed", failure=failure)
            case ReviewLimitReached(limit=limit):
                await reply(update, context, "deeper_limit", limit=limit)
            case ReviewInProgress():
                await reply(update, context, "deeper_in_progress")
            case ReviewNotAvailable():
                await reply(update, context, "deeper_unavailable")
            case ReviewNotFound():
                await reply(update, context, "stale_button")
            case _:
                assert_never(outcome)
