"""The lemma of an English word ("went" -> "go"), from simplemma's English dictionary.

simplemma's low-memory mode reads the same dictionary as a front-coded stream and decodes a
block per lookup, instead of building a dict of its 181,612 entries: the same lemma for every
word, for about 3 MB and 0.07 s at start instead of 20 MB and 0.11 s (bench/README.md). A lookup
decodes a block (about 37 µs), so lemmas are cached here, in one bounded cache.

The bot meets new words all its life (names, typos, numbers), so its per-word caches are
bounded: lemmas at LEMMA_CACHE_SIZE entries, the analysis' comparison keys and word frequencies at
WORD_CACHE_SIZE. With English as written (bench/word_caches.py), the former caches (65,536 to
131,072 entries each, four of them looking new words up on their own) grew the process by 34 MB
over 600,000 words and 59 MB over 2,000,000; these stop at about 16 MB, for the same CPU. Tests
on a word that need only its lemma ("an irregular past?") are not cached: they cost about 1 µs.
"""

from functools import lru_cache
from typing import Final

from simplemma import Lemmatizer
from simplemma.strategies import DefaultStrategy

LEMMA_CACHE_SIZE: Final = 32768
WORD_CACHE_SIZE: Final = 16384

# simplemma's own cache (65,536 entries) is turned off: the one below, bounded, replaces it.
_LEMMATIZER: Final = Lemmatizer(cache_max_size=0, lemmatization_strategy=DefaultStrategy(low_memory=True))


@lru_cache(maxsize=LEMMA_CACHE_SIZE)
def lemma(word: str) -> str:
    """The lowercase lemma of one word; the word itself when the dictionary does not know it."""
    found = _LEMMATIZER.lemmatize(word, "en").lower()
    return word if found == word else found  # the cache then holds one string, not two
