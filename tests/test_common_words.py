"""The bot's small table of common English words answers as wordfreq's whole table does.

questions/stopwords.py asks only whether a word's Zipf frequency is at least 4.4 (a one-word
phrase too common to count) or below 5.5 (a word distinctive enough for a follow-up); it now
keeps wordfreq's frequencies at or above 4.39 and reproduces its handling of numbers, instead
of loading the whole table (about 43 MB) at every start.
"""

import importlib.metadata
import itertools
import subprocess
import sys
from pathlib import Path

import pytest
from wordfreq import get_frequency_dict
from wordfreq import zipf_frequency as full

from questions.common_words import FREQUENCIES
from questions.loader import load_bank
from questions.stopwords import _PLAIN, zipf_frequency


def _plain_words() -> list[str]:
    """Every plain word of wordfreq's English list, numbers of every shape a word can hold, and
    every word of the built-in bank."""
    words = [w for w in get_frequency_dict("en") if _PLAIN.fullmatch(w)]
    words += [str(n) for n in range(0, 3000)] + [f"{n:04d}" for n in range(0, 100)]
    words += [str(10**k + d) for k in range(4, 12) for d in (0, 7, 123)]
    words += [f"{a}{n}" for a, n in itertools.product(("x", "q", "v", "covid", "h"), (1, 2, 19, 365, 2024))]
    words += [
        f"{n}{a}" for a, n in itertools.product(("s", "th", "k", "am", "pm", "x"), (1, 2, 19, 40, 365, 2024))
    ]
    words += [f"{a}-{b}" for a, b in itertools.product([*words[:300:7], "wi", "fi", "2020", "21"], repeat=2)]
    words += ["wi-fi", "e-mail", "follow-up", "x-ray", "co-op", "long-term", "a-b-c", "well-known"]
    for q in load_bank().questions:
        words += [w for w in q.text.casefold().split() if _PLAIN.fullmatch(w)]
    return sorted(set(words))


def test_the_table_is_wordfreqs_own() -> None:
    version = importlib.metadata.version("wordfreq")
    source = Path(sys.modules["questions.common_words"].__file__ or "").read_text(encoding="utf-8")
    assert f"wordfreq {version};" in source, "regenerate: python -m questions.make_common_words"
    table = get_frequency_dict("en")
    assert all(table[w] == f for w, f in FREQUENCIES.items())


def test_every_plain_word_meets_the_thresholds_exactly_as_with_wordfreq() -> None:
    wrong = []
    for word in _plain_words():
        ours, theirs = zipf_frequency(word), full(word, "en")
        same = ours == theirs if theirs >= 4.39 else ours < 4.39
        if not same or (ours >= 4.4) != (theirs >= 4.4) or (ours < 5.5) != (theirs < 5.5):
            wrong.append((word, ours, theirs))
    assert wrong == []


@pytest.mark.parametrize("word", ["naïve", "café", "o’clock", "ǅ", "١٢", "half-naïve", "-", "a--b"])
def test_a_word_of_other_letters_asks_wordfreq_itself(word: str) -> None:
    assert zipf_frequency(word) == full(word, "en")


def test_starting_the_bot_does_not_load_wordfreq() -> None:
    code = (
        "import sys, bot.tg.app, bot.tg.run; from questions.loader import load_bank; load_bank(); "
        "print('wordfreq' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout.strip()) == (0, "False"), result.stderr
