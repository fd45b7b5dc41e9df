"""The analysis as it is stored with an answer, and back: a versioned, JSON-ready dict.

`to_stored` keeps `Feedback.to_dict()` (the shape `questions try --json` prints) and adds what
a round trip needs (the labels in bank order and a version). `from_stored` is tolerant: a key
that is missing, of the wrong type or of an unknown code is skipped, so rows written by an
older or newer engine still show what they can; None means "nothing usable" (show as before).
"""

from collections.abc import Mapping
from typing import Any, Final, get_args

from bot.core.feedback.model import (
    STAR_NAMES,
    Feedback,
    Length,
    PointResult,
    PointStatus,
    ReasonCode,
    Signals,
    StarAnalysis,
    StarFlag,
    StarPart,
    Suggestion,
)
from bot.core.rating import Rating

VERSION: Final = 1
_STATUSES: Final[frozenset[str]] = frozenset(get_args(PointStatus))
_FLAGS: Final[frozenset[str]] = frozenset(get_args(StarFlag))
_REASONS: Final[frozenset[str]] = frozenset(get_args(ReasonCode))
_LENGTHS: Final[frozenset[str]] = frozenset(get_args(Length))


def to_stored(feedback: Feedback) -> dict[str, Any]:
    """The dict kept in answer.analysis."""
    stored = feedback.to_dict()
    stored["version"] = VERSION
    stored["labels"] = list(feedback.labels)
    stored["covered_index"] = list(feedback.covered)
    return stored


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _int(value: object, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _points(data: Mapping[str, Any]) -> tuple[PointResult, ...]:
    points = []
    for item in _list(data.get("points")):
        if isinstance(item, Mapping) and isinstance(item.get("label"), str):
            status = item.get("status")
            points.append(
                PointResult(
                    item["label"],
                    status if status in _STATUSES else "missed",
                    _str(item.get("evidence")),
                    _str(item.get("hint")),
                )
            )
    return tuple(points)


def _star(value: object) -> StarAnalysis | None:
    if not isinstance(value, Mapping):
        return None
    parts_data = value.get("parts")
    parts_map = parts_data if isinstance(parts_data, Mapping) else {}
    parts = tuple(StarPart(name, _str(parts_map.get(name))) for name in STAR_NAMES)
    weakest = value.get("weakest")
    flags = tuple(f for f in _list(value.get("flags")) if f in _FLAGS)
    note = value.get("note")
    return StarAnalysis(
        parts,
        weakest if weakest in STAR_NAMES else None,
        flags,
        note if isinstance(note, str) else None,
    )


def _pairs(value: object, key: str) -> tuple[tuple[str, int], ...]:
    return tuple(
        (item[key], _int(item.get("count"), 1))
        for item in _list(value)
        if isinstance(item, Mapping) and isinstance(item.get(key), str)
    )


def _signals(value: object, word_count: int) -> Signals | None:
    if not isinstance(value, Mapping):
        return None
    recommended = _list(value.get("recommended"))
    low, high = recommended[:2] if len(recommended) >= 2 else (0, 0)
    length = value.get("length")
    return Signals(
        word_count=_int(value.get("word_count"), word_count),
        recommended=(_int(low), _int(high)),
        length=length if length in _LENGTHS else "ok",
        fillers=_pairs(value.get("fillers"), "phrase"),
        terms=tuple(t for t in _list(value.get("terms")) if isinstance(t, str)),
        repeated=_pairs(value.get("repeated"), "word"),
    )


def _suggestion(value: object) -> Suggestion | None:
    if not isinstance(value, Mapping):
        return None
    name = value.get("rating")
    if not isinstance(name, str) or name.upper() not in Rating.__members__:
        return None
    reasons = tuple(r for r in _list(value.get("reasons")) if r in _REASONS)
    return Suggestion(Rating[name.upper()], reasons)


def from_stored(data: object) -> Feedback | None:
    """The Feedback a stored dict describes; None for NULL or anything unusable."""
    if not isinstance(data, Mapping):
        return None
    points = _points(data)
    labels_data = [label for label in _list(data.get("labels")) if isinstance(label, str)]
    labels = tuple(labels_data) if labels_data else tuple(p.label for p in points)
    if not labels:
        return None
    covered_index = [i for i in _list(data.get("covered_index")) if isinstance(i, int)]
    if covered_index or "covered_index" in data:
        covered = tuple(i for i in covered_index if 0 <= i < len(labels))
    else:  # only the stable fields: covered labels in bank order
        said = {label for label in _list(data.get("covered")) if isinstance(label, str)}
        covered = tuple(i for i, label in enumerate(labels) if label in said)
    word_count = _int(data.get("word_count"))
    return Feedback(
        labels=labels,
        covered=covered,
        word_count=word_count,
        points=points,
        star=_star(data.get("star")),
        signals=_signals(data.get("signals"), word_count),
        suggestion=_suggestion(data.get("suggested_rating")),
    )
