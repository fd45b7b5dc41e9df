"""Spoken answers, front-end neutral: may this voice be transcribed, transcribe it, and record
the transcript as the answer (with the voice's file id and length) through the interview.

The download is the front end's job (only it knows where the file lives); everything after the
audio bytes is here. No transaction is open while the service is called.
"""

from dataclasses import dataclass

from bot.config import SpeechSettings
from bot.core.endpoint import ServiceFailure
from bot.core.interview import AnswerOutcome, Identity, InterviewService
from bot.core.speech import MAX_DOWNLOAD_BYTES, Pace, SpeechClient, speaking_pace
from storage.db import Database


@dataclass(frozen=True, slots=True)
class NoSpeechService:
    """No [speech] endpoint configured: voice cannot be assessed; a typed answer works."""


@dataclass(frozen=True, slots=True)
class NothingWaiting:
    """No question waits for an answer."""


@dataclass(frozen=True, slots=True)
class VoiceTooLong:
    seconds: int
    limit: int


@dataclass(frozen=True, slots=True)
class VoiceTooBig:
    size: int
    limit: int


@dataclass(frozen=True, slots=True)
class Accepted:
    """Go ahead: download and transcribe. The transcript answers this question or none (the user
    may type an answer meanwhile, and the next question must not get this one's transcript)."""

    session_id: int
    position: int


VoiceCheck = Accepted | NoSpeechService | NothingWaiting | VoiceTooLong | VoiceTooBig


@dataclass(frozen=True, slots=True)
class VoiceAnswered:
    transcript: str
    pace: Pace | None
    outcome: AnswerOutcome


class VoiceAnswers:
    def __init__(
        self,
        db: Database,
        interviews: InterviewService,
        settings: SpeechSettings,
        client: SpeechClient | None,
    ) -> None:
        self.db = db
        self.interviews = interviews
        self.settings = settings
        self.client = client

    async def check(self, who: Identity, seconds: int, size: int | None) -> VoiceCheck:
        """Before anything is downloaded: is there a question, a service, and a sane file?"""
        async with self.db.unit() as uow:
            _, session = await uow.sessions.active_for(who.external_id)
        if session is None or session.pending_question_id is None:
            return NothingWaiting()
        if self.client is None:
            return NoSpeechService()
        if seconds > self.settings.max_seconds:
            return VoiceTooLong(seconds, self.settings.max_seconds)
        if size is not None and size > MAX_DOWNLOAD_BYTES:
            return VoiceTooBig(size, MAX_DOWNLOAD_BYTES)
        return Accepted(session.id, session.position)

    async def transcribe(self, audio: bytes, filename: str, mime_type: str) -> str | ServiceFailure:
        assert self.client is not None, "check() first"
        return await self.client.transcribe(audio, filename, mime_type)

    async def answer(
        self,
        who: Identity,
        accepted: Accepted,
        transcript: str,
        message_id: int | None,
        file_id: str,
        seconds: int,
    ) -> VoiceAnswered:
        outcome = await self.interviews.answer(
            who,
            transcript,
            message_id,
            voice=(file_id, seconds),
            pending=(accepted.session_id, accepted.position),
        )
        return VoiceAnswered(transcript, speaking_pace(transcript, seconds), outcome)

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aclose()
