"""Common English words that say nothing about what an answer covered."""

import math
import re
from functools import lru_cache
from typing import Final

from questions.common_words import FREQUENCIES
from questions.lemma import WORD_CACHE_SIZE, lemma

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

# A one-word phrase at least this frequent in general English (Zipf scale: 4.4 is about 25 uses
# per million words) is rejected. Every single word the issue saw ticking points on vague answers
# lies at or above it ("delay" 4.40, "talked" 4.62, "finish" 4.91, "impact" 4.92, "risk" 5.05,
# "safe" 5.07, "help" 5.75, "years" 5.96, "people" 6.25), while the terms that mark a real answer
# lie below it ("stakeholder" 3.01, "backlog" 3.21, "retrospective" 3.48, "rollback" 2.70,
# "kanban" 2.04, "raci" 1.60, "forecast" 4.09, "governance" 4.09).
COMMON_ZIPF: Final[float] = 4.4

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def stop_words_only(phrase: str) -> bool:
    return all(word in STOP_WORDS for word in _WORD.findall(phrase.casefold()))


@lru_cache(maxsize=WORD_CACHE_SIZE)
def zipf(word: str) -> float:
    """How common a word is in English, the more common of its written form and its lemma.

    wordfreq's Zipf frequency wherever it is at least 4.39 (questions/common_words.py); 0.0 for
    rarer words, since only the thresholds 4.4 and 5.5 are ever asked about."""
    base = lemma(word)
    return max(zipf_frequency(word), zipf_frequency(base))


# A word of ASCII letters and digits (with inner apostrophes) is one token to wordfreq, looked up
# as it is, except that each run of two or more digits is looked up as zeros and weighted by how
# often such a number occurs (wordfreq.numbers, reproduced below).
_PLAIN = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
_DIGIT_RUN = re.compile(r"[0-9]{2,}")
_FIRST_DIGIT_FREQS = (0.009, 0.300, 0.175, 0.124, 0.096, 0.078, 0.066, 0.057, 0.050, 0.045)


def _benford(digits: str) -> float:
    return float(_FIRST_DIGIT_FREQS[int(digits[0])] / 10 ** (len(digits) - 1))


def _year(digits: str) -> float:
    year = int(digits)
    if year <= 2019:
        log_freq = -1.9185 - 0.0083 * (2019 - year)
    elif year <= 2019 + 20:
        log_freq = -1.9185
    else:
        log_freq = -1.9185 - 0.2 * (year - (2019 + 20))
    return float(10.0**log_freq) + 0.1 * _benford(digits)


def zipf_frequency(word: str) -> float:
    """wordfreq.zipf_frequency(word, "en") when that is at least 4.39, else 0.0 or a value below
    it; without loading wordfreq's whole table (about 43 MB) for plain words ("wi-fi" is two)."""
    parts = word.split("-")
    if not all(_PLAIN.fullmatch(part) for part in parts):
        from wordfreq import zipf_frequency as full  # rare: other letters, curly apostrophes

        return full(word, "en")
    # wordfreq combines the tokens of a word as 1/f = 1/f1 + 1/f2 + ...: below each of them.
    one_over = 0.0
    for part in parts:
        smashed = _DIGIT_RUN.sub(lambda m: "0" * len(m.group()), part)
        freq = FREQUENCIES.get(smashed)
        if freq is None:
            return 0.0  # below 4.39 (digit weights only ever lower a frequency)
        if smashed != part:
            for run in _DIGIT_RUN.findall(part):
                freq *= _year(run) if len(run) == 4 else _benford(run)
        one_over += 1.0 / freq
    # wordfreq's rounding: three significant digits, then hundredths of a Zipf unit.
    freq = max(1.0 / one_over, 1e-9)
    freq = round(freq, math.floor(-math.log(freq, 10)) + 3)
    return round(math.log(freq, 10) + 9, 2)


def common_single_word(phrase: str) -> bool:
    """A one-word phrase that is a common English word: it ticks points on vague answers."""
    found = _WORD.findall(phrase.casefold())
    return len(found) == 1 and zipf(found[0]) >= COMMON_ZIPF
