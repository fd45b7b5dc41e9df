"""Common English words that say nothing about what an answer covered."""

import re
from typing import Final

# A match phrase made only of these would tick its talking point for almost any answer.
STOP_WORDS: Final[frozenset[str]] = frozenset(
    (
        "a about above after again against all also am an and any are as at be because been before "
        "being below between both but by can could did do does doing done down during each either "
        "every few for from further get got had has have having he her here hers him his how i if in "
        "into is it its itself just let me more most much my no nor not now of off on once only "
        "or other our ours out over own per same she should so some such than that the their them "
        "then there these they this those through thus to too under until up upon us very was we were "
        "what when where which while who whom why will with would yes yet you your yours"
    ).split()
)

_WORD = re.compile(r"[^\W_]+")


def stop_words_only(phrase: str) -> bool:
    return all(word in STOP_WORDS for word in _WORD.findall(phrase.casefold()))
