"""A suggested self-rating with its reasons, the summary's tone, and what to work on next."""

from collections import Counter
from collections.abc import Sequence
from typing import Final, Literal

from bot.core.feedback.model import Feedback, Focus, FocusCode, ReasonCode, Signals, StarAnalysis, Suggestion
from bot.core.rating import Rating

# Share of talking points covered for each rating (the highest threshold reached wins).
RATING_THRESHOLDS: Final[tuple[tuple[float, Rating], ...]] = (
    (0.85, Rating.EASY),
    (0.6, Rating.GOOD),
    (0.3, Rating.HARD),
)


def suggest(
    covered: int,
    total: int,
    listed: int,
    negated: int,
    star: StarAnalysis | None,
    signals: Signals | None,
) -> Suggestion:
    share = covered / total if total else 0.0
    rating = next((r for threshold, r in RATING_THRESHOLDS if share >= threshold), Rating.AGAIN)
    reasons: list[ReasonCode] = ["points"]
    if listed:
        reasons.append("listed")
    if negated:
        reasons.append("negated")
    if star is not None:
        if "result" not in star.present:
            reasons.append("no_result")
        reasons.extend(flag for flag in star.flags)
    # A story without its result, or a plan instead of a story, is one step weaker.
    if star is not None and ("result" not in star.present or "hypothetical" in star.flags):
        rating = Rating(max(Rating.AGAIN, rating - 1))
    if signals is not None and signals.length == "short":
        reasons.append("too_short")
        if signals.word_count * 2 < signals.recommended[0]:
            rating = Rating(min(rating, Rating.HARD))
    return Suggestion(rating, tuple(reasons))


Tone = Literal["none", "low", "mixed", "good", "excellent"]


def tone(covered: int, total: int) -> Tone:
    """How the summary should sound: no praise at 0%."""
    if total == 0 or covered == 0:
        return "none"
    share = covered / total
    if share < 0.34:
        return "low"
    if share < 0.67:
        return "mixed"
    return "good" if share < 0.9 else "excellent"


# Ties go to the earlier code: the more fundamental habit first.
_FOCUS_ORDER: Final[tuple[FocusCode, ...]] = (
    "negated",
    "explain_listed",
    "past_example",
    "star_result",
    "star_action",
    "ownership",
    "numbers",
    "star_task",
    "star_situation",
    "points",
    "length",
)
_FLAG_FOCUS: Final[dict[str, FocusCode]] = {
    "hypothetical": "past_example",
    "we_only": "ownership",
    "no_numbers": "numbers",
}
LOW_COVERAGE: Final = 0.5


def next_focus(feedbacks: Sequence[Feedback]) -> Focus | None:
    """The one thing to work on next: what went wrong in the most answers."""
    counts: Counter[FocusCode] = Counter()
    possible: Counter[FocusCode] = Counter()
    missed: Counter[str] = Counter()
    for fb in feedbacks:
        general: list[FocusCode] = ["negated", "explain_listed", "points", "length"]
        possible.update(general)
        if fb.negated_labels:
            counts["negated"] += 1
        if fb.listed_labels:
            counts["explain_listed"] += 1
        if fb.total and len(fb.covered) / fb.total < LOW_COVERAGE:
            counts["points"] += 1
            missed.update(fb.missed_labels)
        if fb.signals is not None and fb.signals.length == "short":
            counts["length"] += 1
        if fb.star is not None:
            possible.update(["past_example", "ownership", "numbers"])
            possible.update(f"star_{part.name}" for part in fb.star.parts)  # type: ignore[misc]
            for part in fb.star.parts:
                if not part.present:
                    counts[f"star_{part.name}"] += 1  # type: ignore[index]
            for flag in fb.star.flags:
                counts[_FLAG_FOCUS[flag]] += 1
    if not counts:
        return None
    best = max(_FOCUS_ORDER, key=lambda code: (counts[code], -_FOCUS_ORDER.index(code)))
    labels = tuple(label for label, _ in missed.most_common(3)) if best == "points" else ()
    return Focus(best, counts[best], possible[best], labels)
