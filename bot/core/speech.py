"""Spoken answers: the transcription client and what the voice itself tells (speaking pace).

`POST {base_url}/audio/transcriptions` is OpenAI's transcription API, which whisper.cpp's
server, faster-whisper servers (speaches), LocalAI and vLLM also serve. Only the audio and
the model name are sent.
"""

import re
from dataclasses import dataclass
from typing import Final, Literal

import httpx

from bot.config import SpeechSettings
from bot.core.endpoint import Endpoint, ServiceFailure

# Telegram's Bot API serves files up to 20 MB through getFile.
MAX_DOWNLOAD_BYTES: Final = 20 * 1024 * 1024
# Conversational English runs at about 120-160 words a minute; well outside, interviewers notice.
SLOW_WPM: Final = 110
FAST_WPM: Final = 175
# Whisper-style transcripts mark hesitations with an ellipsis.
_PAUSE = re.compile(r"\.\.\.|…")


@dataclass(frozen=True, slots=True)
class Pace:
    words_per_minute: int
    verdict: Literal["slow", "ok", "fast"]
    # Hesitations the transcript marks ("..."); 0 when it marks none or cannot.
    pauses: int


def speaking_pace(transcript: str, seconds: int) -> Pace | None:
    """Words per minute over the voice's length; None for clips too short to judge (under 5 s)."""
    if seconds < 5:
        return None
    words = len(transcript.split())
    wpm = round(words * 60 / seconds)
    verdict: Literal["slow", "ok", "fast"] = "slow" if wpm < SLOW_WPM else "fast" if wpm > FAST_WPM else "ok"
    return Pace(wpm, verdict, len(_PAUSE.findall(transcript)))


class SpeechClient:
    def __init__(
        self,
        settings: SpeechSettings,
        api_key: str | None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        assert settings.base_url is not None
        self.model = settings.model
        self._endpoint = Endpoint(
            "transcription", settings.base_url, api_key, settings.timeout_seconds, transport=transport
        )

    async def transcribe(self, audio: bytes, filename: str, mime_type: str) -> str | ServiceFailure:
        """The transcript, stripped; ServiceFailure("empty") when the service heard nothing."""
        response = await self._endpoint.post(
            "audio/transcriptions",
            files={"file": (filename, audio, mime_type)},
            data={"model": self.model, "response_format": "json"},
        )
        if isinstance(response, ServiceFailure):
            return response
        try:
            body = response.json()
        except ValueError:
            return ServiceFailure("malformed", response.status_code)
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str):
            return ServiceFailure("malformed", response.status_code)
        text = " ".join(text.split())
        return text if text else ServiceFailure("empty")

    async def aclose(self) -> None:
        await self._endpoint.aclose()
