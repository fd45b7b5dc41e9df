"""Offline, deterministic feedback on a typed answer: data and codes, worded by templates.

- text.py: normalisation, tokens with spans, lemma-based keys;
- matching.py: phrases in an answer, negation scopes, bare lists;
- star.py: STAR parts and flags of behavioural answers;
- signals.py: length, fillers, job terms, repeated words;
- suggest.py: the suggested rating, the summary's tone, the next thing to work on;
- matcher.py: `FeedbackMatcher(questions).assess(question, answer)`, the entry point.
"""

from bot.core.feedback.matcher import FeedbackMatcher
from bot.core.feedback.model import (
    Feedback,
    Focus,
    PointResult,
    PointStatus,
    Signals,
    StarAnalysis,
    StarPart,
    Suggestion,
)
from bot.core.feedback.suggest import next_focus, tone
from bot.core.feedback.text import words

__all__ = [
    "Feedback",
    "FeedbackMatcher",
    "Focus",
    "PointResult",
    "PointStatus",
    "Signals",
    "StarAnalysis",
    "StarPart",
    "Suggestion",
    "next_focus",
    "tone",
    "words",
]
