"""The lemma of an English word ("went" -> "go"), from simplemma's English dictionary.

simplemma's low-memory mode reads the same dictionary as a front-coded stream and decodes a
block per lookup, instead of building a dict of its 181,612 entries: the same lemma for every
word, for about 3 MB and 0.07 s at start instead of 20 MB and 0.11 s (bench/README.md). Every
caller caches its own results, so the slower lookup is paid once per word.
"""

import simplemma


def lemma(word: str) -> str:
    """The lowercase lemma of one word; the word itself when the dictionary does not know it."""
    return simplemma.lemmatize(word, lang="en", low_memory=True).lower()
