"""The shape of one question in a bank file, validated with pydantic."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from questions.stopwords import COMMON_ZIPF, common_single_word, stop_words_only
from questions.topics import TOPICS

Level = Literal["coordinator", "project_manager", "senior"]
NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
QuestionId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$")]


class TalkingPoint(BaseModel):
    """Something a strong answer mentions, and the phrases that show it was mentioned."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: NonEmpty
    match: list[NonEmpty] = Field(min_length=1)
    # One line on what to say, shown when the point was missed (else the model answer's best line).
    hint: NonEmpty | None = None

    @field_validator("match")
    @classmethod
    def _distinctive(cls, phrases: list[str]) -> list[str]:
        common = [p for p in phrases if stop_words_only(p)]
        if common:
            shown = ", ".join(repr(p) for p in common)
            raise ValueError(
                f"{shown} only has common words, which match almost any answer; use distinctive words"
            )
        single = [p for p in phrases if common_single_word(p)]
        if single:
            shown = ", ".join(repr(p) for p in single)
            raise ValueError(
                f"{shown}: a single common English word (Zipf frequency >= {COMMON_ZIPF}) ticks this "
                "point on vague answers; use a distinctive term or a phrase of two or more words"
            )
        return phrases


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: QuestionId
    topic: str
    kind: Literal["behavioural", "situational", "technical", "background"]
    difficulty: int = Field(ge=1, le=3)
    text: NonEmpty
    talking_points: list[TalkingPoint] = Field(min_length=1)
    follow_ups: list[NonEmpty] = Field(min_length=1)
    model_answer: list[NonEmpty] = Field(min_length=1)
    # Optional, filled in by the full bank: role levels and skills practised.
    levels: list[Level] = Field(default_factory=list)
    skills: list[NonEmpty] = Field(default_factory=list)
    star: NonEmpty | None = None
    # Where a full interview puts it: first (a warm-up) or last (the candidate's turn to close).
    stage: Literal["opener", "closer"] | None = None

    @field_validator("topic")
    @classmethod
    def _known_topic(cls, value: str) -> str:
        if value not in TOPICS:
            raise ValueError(f"unknown topic {value!r}; known topics: {', '.join(TOPICS)}")
        return value

    @field_validator("levels")
    @classmethod
    def _levels_fit_difficulty(cls, levels: list[Level], info: ValidationInfo) -> list[Level]:
        # Picking questions by level must be dependable: a coordinator never meets a senior
        # panel question, and a senior-only question is never an entry-level one.
        difficulty = info.data.get("difficulty")  # absent when the difficulty itself is invalid
        if difficulty is None:
            return levels
        if "coordinator" in levels and difficulty == 3:
            raise ValueError(
                "a question for coordinators must have difficulty 1 or 2, got 3; "
                'lower the difficulty or drop "coordinator" from levels'
            )
        if set(levels) == {"senior"} and difficulty == 1:
            raise ValueError(
                "a question only for seniors must have difficulty 2 or 3, got 1; "
                "raise the difficulty or add the levels it suits"
            )
        return levels

    @property
    def topic_name(self) -> str:
        return TOPICS[self.topic]
