"""The plain values an analysis returns: data and codes, no sentences (templates word them)."""

from dataclasses import dataclass, field
from typing import Any, Literal

from bot.core.rating import Rating

PointStatus = Literal["covered", "listed", "negated", "missed"]
StarName = Literal["situation", "task", "action", "result"]
STAR_NAMES: tuple[StarName, ...] = ("situation", "task", "action", "result")
# Codes of the STAR flags: "I would..." on a past-experience question, "we" without "I",
# a result without any number, percentage, money or time.
StarFlag = Literal["hypothetical", "we_only", "no_numbers"]
Length = Literal["short", "ok", "long"]


@dataclass(frozen=True, slots=True)
class PointResult:
    """One talking point: how the answer dealt with it, the words that show it, what to say."""

    label: str
    status: PointStatus
    evidence: str = ""  # a short quote of the answer (covered, listed or negated); "" if missed
    hint: str = ""  # one line on what to say, for points not covered


@dataclass(frozen=True, slots=True)
class StarPart:
    name: StarName
    evidence: str = ""  # a short quote of the answer; "" when the part is missing

    @property
    def present(self) -> bool:
        return bool(self.evidence)


@dataclass(frozen=True, slots=True)
class StarAnalysis:
    """Situation, task, action, result of a behavioural answer (always in that order)."""

    parts: tuple[StarPart, ...]
    weakest: StarName | None  # the part to work on first; None when all four are clear
    flags: tuple[StarFlag, ...] = ()
    note: str | None = None  # the question's own STAR note

    @property
    def present(self) -> tuple[StarName, ...]:
        return tuple(part.name for part in self.parts if part.present)


@dataclass(frozen=True, slots=True)
class Signals:
    word_count: int
    recommended: tuple[int, int]  # the range of words for this kind of question
    length: Length
    fillers: tuple[tuple[str, int], ...] = ()  # filler and hedge phrases, with how often
    terms: tuple[str, ...] = ()  # IT project management terms used, as in the glossary
    repeated: tuple[tuple[str, int], ...] = ()  # most repeated words, with how often


# Codes of the reasons for a suggested rating, most important first.
ReasonCode = Literal[
    "points", "listed", "negated", "no_result", "hypothetical", "we_only", "no_numbers", "too_short"
]


@dataclass(frozen=True, slots=True)
class Suggestion:
    rating: Rating
    reasons: tuple[ReasonCode, ...]


@dataclass(frozen=True, slots=True)
class Feedback:
    labels: tuple[str, ...]
    covered: tuple[int, ...]
    word_count: int
    points: tuple[PointResult, ...] = ()
    star: StarAnalysis | None = None
    signals: Signals | None = None
    suggestion: Suggestion | None = field(default=None)

    @property
    def total(self) -> int:
        return len(self.labels)

    @property
    def covered_labels(self) -> list[str]:
        return [self.labels[i] for i in self.covered]

    @property
    def missed_labels(self) -> list[str]:
        """Labels not counted as covered (missed, listed or negated)."""
        return [label for i, label in enumerate(self.labels) if i not in self.covered]

    def _with_status(self, status: PointStatus) -> list[str]:
        return [point.label for point in self.points if point.status == status]

    @property
    def listed_labels(self) -> list[str]:
        return self._with_status("listed")

    @property
    def negated_labels(self) -> list[str]:
        return self._with_status("negated")

    @property
    def not_counted(self) -> list[tuple[str, Literal["list", "negated"]]]:
        """Points mentioned but not counted, in bank order, with the reason."""
        return [
            (point.label, "list" if point.status == "listed" else "negated")
            for point in self.points
            if point.status in ("listed", "negated")
        ]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form: the stable fields of `questions try --json`, and the rest."""
        result: dict[str, Any] = {
            "total": self.total,
            "covered": self.covered_labels,
            "not_counted": [{"label": label, "reason": reason} for label, reason in self.not_counted],
            "word_count": self.word_count,
            "points": [
                {"label": p.label, "status": p.status, "evidence": p.evidence, "hint": p.hint}
                for p in self.points
            ],
        }
        if self.star is not None:
            result["star"] = {
                "parts": {part.name: part.evidence for part in self.star.parts},
                "weakest": self.star.weakest,
                "flags": list(self.star.flags),
                "note": self.star.note,
            }
        if self.signals is not None:
            s = self.signals
            result["signals"] = {
                "word_count": s.word_count,
                "recommended": list(s.recommended),
                "length": s.length,
                "fillers": [{"phrase": p, "count": n} for p, n in s.fillers],
                "terms": list(s.terms),
                "repeated": [{"word": w, "count": n} for w, n in s.repeated],
            }
        if self.suggestion is not None:
            result["suggested_rating"] = {
                "rating": self.suggestion.rating.name.lower(),
                "reasons": list(self.suggestion.reasons),
            }
        return result


FocusCode = Literal[
    "explain_listed",  # points named in bare lists
    "negated",  # good practice dismissed
    "star_situation",
    "star_task",
    "star_action",
    "star_result",
    "numbers",  # results without a number
    "ownership",  # "we" without "I"
    "past_example",  # "I would..." where a real example was asked for
    "length",  # answers too short
    "points",  # talking points missed
]


@dataclass(frozen=True, slots=True)
class Focus:
    """The one thing to work on next, and how often it showed across the answers."""

    code: FocusCode
    count: int  # answers where it showed
    of: int  # answers it could show in
    labels: tuple[str, ...] = ()  # for "points": the most often missed labels
