"""The deeper review: one OpenAI-compatible `POST {base_url}/chat/completions` call, its prompt
kept as templates in bot/core/prompts/, and its reply validated before anyone sees it.

Sent to the endpoint: the question, its talking points and the answer's text, nothing else (no
name, no user id). A reply that is not the JSON object the prompt asks for is retried once with
a reminder, then reported as malformed.
"""

import json
import logging
import re
from functools import cache
from typing import Annotated, Any, Final

import httpx
from jinja2 import Environment, PackageLoader, StrictUndefined
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from bot.config import LlmSettings
from bot.core.endpoint import Endpoint, ServiceFailure

log = logging.getLogger(__name__)

MAX_REWRITE_WORDS: Final = 200
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.S)
_REMINDER = (
    "Your reply was not the JSON object described. Reply again with only that JSON object: keys "
    '"covered", "factual_errors", "top_improvement", "rewrite"; the rewrite at most 200 words.'
)

_Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=600)]


class CoveredPoint(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    point: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    quote: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)]


class DeeperReview(BaseModel):
    """The model's review as shown and stored (`model_dump()` is the stored JSON)."""

    # Extra keys are ignored (models like to add some); missing or mistyped ones are not.
    model_config = ConfigDict(extra="ignore", frozen=True)

    covered: list[CoveredPoint] = Field(max_length=20)
    factual_errors: list[_Short] = Field(max_length=10)
    top_improvement: _Short
    rewrite: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]

    @field_validator("rewrite")
    @classmethod
    def _at_most_200_words(cls, value: str) -> str:
        if len(value.split()) > MAX_REWRITE_WORDS:
            raise ValueError(f"rewrite longer than {MAX_REWRITE_WORDS} words")
        return value


@cache
def _prompts() -> Environment:
    # Plain text for a model, not HTML for a chat: no autoescape.
    return Environment(
        loader=PackageLoader("bot.core", "prompts"),
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def review_messages(
    question: str, talking_points: list[str], answer: str, *, spoken: bool
) -> list[dict[str, str]]:
    env = _prompts()
    return [
        {"role": "system", "content": env.get_template("deeper_review_system.j2").render().strip()},
        {
            "role": "user",
            "content": env.get_template("deeper_review_user.j2")
            .render(question=question, talking_points=talking_points, answer=answer, spoken=spoken)
            .strip(),
        },
    ]


def parse_review(content: str) -> DeeperReview | None:
    """The validated review in a reply's text, or None when it is not one."""
    text = content.strip()
    if fenced := _FENCE.match(text):
        text = fenced.group(1)
    try:
        return DeeperReview.model_validate(json.loads(text))
    except (ValueError, ValidationError):
        return None


class ReviewModel:
    def __init__(
        self, settings: LlmSettings, api_key: str | None, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        assert settings.base_url is not None
        self.model = settings.model
        self._endpoint = Endpoint(
            "review model", settings.base_url, api_key, settings.timeout_seconds, transport=transport
        )

    async def review(
        self, question: str, talking_points: list[str], answer: str, *, spoken: bool = False
    ) -> DeeperReview | ServiceFailure:
        messages = review_messages(question, talking_points, answer, spoken=spoken)
        for attempt in (1, 2):
            content = await self._complete(messages)
            if isinstance(content, ServiceFailure):
                return content
            review = parse_review(content) if content is not None else None
            if review is not None:
                return review
            log.warning("review model: reply %d was not a valid review", attempt)
            messages = [
                *messages,
                {"role": "assistant", "content": content or ""},
                {"role": "user", "content": _REMINDER},
            ]
        return ServiceFailure("malformed")

    async def _complete(self, messages: list[dict[str, str]]) -> str | ServiceFailure | None:
        """The reply's text; None when the response is not a chat completion at all."""
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": 0.2,
            # Honoured by OpenAI, llama.cpp's server, Ollama and vLLM; ignored by the rest.
            "response_format": {"type": "json_object"},
        }
        response = await self._endpoint.post("chat/completions", json=payload)
        if isinstance(response, ServiceFailure):
            return response
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            return None
        return content if isinstance(content, str) else None

    async def aclose(self) -> None:
        await self._endpoint.aclose()
