"""Short quotes of the answer: the words that earned (or lost) a point."""

from collections.abc import Sequence
from typing import Final

from bot.core.feedback.text import Token
from questions.stopwords import STOP_WORDS

CONTEXT_WORDS: Final = 2
MAX_QUOTE: Final = 90
# Small words that still carry meaning in a quote: a negated point's quote must show the negation.
_KEEP: Final = frozenset({"not", "no", "never", "without", "nor", "none", "nothing", "nobody"})


def _small(token: Token) -> bool:
    return token.word in STOP_WORDS and token.word not in _KEEP and not token.word.endswith("n't")


def quote(text: str, tokens: Sequence[Token], first: int, last: int, context: int = CONTEXT_WORDS) -> str:
    """The original text from `first` to `last` token, with a little of its clause around it.

    Context counts content words only and never ends on a small word, so a quote reads
    "success criteria with the sponsor", not "with the sponsor and check".
    """
    clause = tokens[first].clause
    start, taken = first, 0
    while start > 0 and taken < context and tokens[start - 1].clause == clause:
        start -= 1
        taken += not _small(tokens[start])
    while start < first and _small(tokens[start]):
        start += 1
    end, taken = last, 0
    while end + 1 < len(tokens) and taken < context and tokens[end + 1].clause == tokens[last].clause:
        end += 1
        taken += not _small(tokens[end])
    while end > last and _small(tokens[end]):
        end -= 1
    # Long spans keep the words found and as much context as fits.
    while end > last and tokens[end].end - tokens[start].start > MAX_QUOTE:
        end -= 1
    while start < first and tokens[end].end - tokens[start].start > MAX_QUOTE:
        start += 1
    return " ".join(text[tokens[start].start : tokens[end].end].split())


def sentence_quote(text: str, tokens: Sequence[Token], at: int) -> str:
    """The sentence holding token `at`, cut to MAX_QUOTE characters around that token."""
    sentence = tokens[at].sentence
    members = [i for i, t in enumerate(tokens) if t.sentence == sentence]
    first, last = members[0], members[-1]
    while tokens[last].end - tokens[first].start > MAX_QUOTE and (first < at or last > at):
        if last > at and (at - first <= last - at or first == at):
            last -= 1
        else:
            first += 1
    return " ".join(text[tokens[first].start : tokens[last].end].split())
