"""Lemmas from simplemma's low-memory reader, stems from Snowball's C stemmers: the same results as
the in-memory dictionary and the pure-Python stemmers, for less memory and time."""

import re
import subprocess
import sys

import pytest
import simplemma
import snowballstemmer
import Stemmer
from simplemma.strategies.dictionaries.stream_dictionary_factory import StreamMap
from snowballstemmer.english_stemmer import EnglishStemmer

from bot.core.feedback import text
from bot.core.feedback.text import key
from questions.lemma import _LEMMATIZER, LEMMA_CACHE_SIZE, WORD_CACHE_SIZE, lemma
from questions.loader import load_bank
from questions.stopwords import STOP_WORDS, zipf


def _in_memory(word: str) -> str:
    return simplemma.lemmatize(word, lang="en").lower()


def test_every_dictionary_entry_and_its_inflections_get_the_in_memory_lemma() -> None:
    entries = list(StreamMap("en"))
    assert len(entries) > 100_000
    # Every 7th entry keeps the run short; the reader decodes a block of 32 per lookup.
    words = [form for entry in entries[::7] for form in (entry, entry + "s", entry + "ed")]
    assert [w for w in words if lemma(w) != _in_memory(w)] == []


def test_the_banks_words_get_the_in_memory_lemma() -> None:
    text = " ".join(q.model_dump_json() for q in load_bank().questions)
    words = set(re.findall(r"[a-z]+(?:'[a-z]+)*", text.lower())) | STOP_WORDS
    assert len(words) > 3000
    assert {w: lemma(w) for w in words if lemma(w) != _in_memory(w)} == {}


@pytest.mark.parametrize(
    ("word", "expected"), [("went", "go"), ("stakeholders", "stakeholder"), ("zzyzx", "zzyzx")]
)
def test_known_words_and_unknown_ones(word: str, expected: str) -> None:
    assert lemma(word) == expected


def test_starting_the_bot_and_assessing_an_answer_never_builds_the_in_memory_dictionary() -> None:
    code = (
        "import bot.tg.app, bot.tg.run\n"
        "from questions.loader import load_bank\n"
        "from bot.core.feedback.matcher import FeedbackMatcher\n"
        "from simplemma.strategies.dictionaries.dictionary_factory import DEFAULT_DICTIONARY_FACTORY\n"
        "bank = load_bank()\n"
        "answer = 'I went over the risks and ran it.'\n"
        "feedback = FeedbackMatcher(bank.questions).assess(bank.questions[0], answer)\n"
        "print(feedback.star is not None, DEFAULT_DICTIONARY_FACTORY._get_dictionary.cache_info().currsize)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "0"]


def test_stems_come_from_snowballs_c_stemmers_and_equal_the_pure_python_ones() -> None:
    assert isinstance(snowballstemmer.stemmer("english"), Stemmer.Stemmer)
    pure, fast = EnglishStemmer(), snowballstemmer.stemmer("english")
    words = [entry.lower() for entry in list(StreamMap("en"))[::3]]
    assert [w for w in words if pure.stemWord(w) != fast.stemWord(w)] == []
    assert key("stakeholders") == key("stakeholder") == pure.stemWord("stakeholder")


def test_american_spelling_is_the_same_with_its_quick_gate() -> None:
    entries = list(StreamMap("en"))[::3]
    suffixed = [e + s for e in entries[::50] for s in ("ise", "ised", "isation", "yse", "our", "ours", "tre")]
    words = entries + suffixed + ["licence", "programme", "catalogue", "colour", "centre", "analyse"]

    def every_pattern(word: str) -> str:
        for pattern, replacement in text._US_SPELLING:
            word = pattern.sub(replacement, word)
        return word

    assert {w: text.american(w) for w in words if text.american(w) != every_pattern(w)} == {}
    assert text.american("prioritise") == "prioritize"


def test_per_word_caches_stay_within_their_bounds_and_stay_right() -> None:
    """A bot meets new words (names, typos) all its life: its per-word caches must not grow
    with them, simplemma's own cache included, and evicted words must come back right."""
    fresh = [f"zq{i}worker" for i in range(LEMMA_CACHE_SIZE + 500)]
    for word in fresh:
        key(word)
        zipf(word)
    assert lemma.cache_info().currsize <= LEMMA_CACHE_SIZE
    assert key.cache_info().currsize <= WORD_CACHE_SIZE
    assert zipf.cache_info().currsize <= WORD_CACHE_SIZE
    assert _LEMMATIZER._cached_lemmatize.cache_info().currsize == 0
    assert lemma("went") == "go"
    assert key("stakeholders") == key("stakeholder")
