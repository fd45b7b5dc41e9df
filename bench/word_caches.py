"""Memory and CPU of the answer path's per-word caches over a long run of new words.

A running bot meets new words all its life: names, typos, numbers, rare terms. Every per-word
cache of the analysis (lemmas, comparison keys, verb tests, word frequencies) grows with them
until its bound. This feeds `FeedbackMatcher.assess` answers of 100 words drawn from English as
it is written (wordfreq's 300,000 most frequent words, weighted by frequency), one word in 33
made unique as a typo or a name would be, and prints how much the process grew and what an
analysis cost, early and late in the run.

    .venv/bin/python bench/word_caches.py [--answers 6000] [--seed 7]
"""

import argparse
import gc
import random
import time

import wordfreq

from bot.core.feedback import FeedbackMatcher
from bot.core.feedback.text import key
from questions.lemma import LEMMA_CACHE_SIZE, WORD_CACHE_SIZE, lemma
from questions.loader import load_bank

WORDS_PER_ANSWER = 100
UNIQUE_EVERY = 33


def _status(field: str) -> float:
    """A memory figure of this process from /proc, in MB."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024


def _answers(count: int, seed: int) -> tuple[list[str], list[str], tuple[list[str], list[float]]]:
    """The answers, their words, and the word list and weights they were drawn from. The caller
    keeps all of it alive: memory freed here would be reused by the caches and hide their growth."""
    words = [w for w in wordfreq.top_n_list("en", 300_000) if w.isalpha()]
    weights = [wordfreq.word_frequency(w, "en") for w in words]
    rng = random.Random(seed)
    stream = rng.choices(words, weights, k=count * WORDS_PER_ANSWER)
    for i in range(0, len(stream), UNIQUE_EVERY):
        stream[i] = f"{stream[i]}x{i}"
    answers = [
        " ".join(stream[i : i + WORDS_PER_ANSWER]) + "." for i in range(0, len(stream), WORDS_PER_ANSWER)
    ]
    return answers, stream, (words, weights)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--answers", type=int, default=6000, help="answers of 100 words (default 6000)")
    parser.add_argument("--seed", type=int, default=7, help="seed for the word stream (default 7)")
    args = parser.parse_args()

    bank = load_bank()
    matcher = FeedbackMatcher(bank.questions)
    question = next(q for q in bank.questions if q.kind == "behavioural")
    answers, stream, _drawn_from = _answers(args.answers, args.seed)
    matcher.assess(question, "I led the release and we shipped it on time.")  # compile the question
    gc.collect()
    before = _status("VmRSS")
    tenth = max(1, len(answers) // 10)
    cpu: list[float] = []
    for i in range(0, len(answers), tenth):
        start = time.process_time()
        for text in answers[i : i + tenth]:
            matcher.assess(question, text)
        cpu.append((time.process_time() - start) * 1000 / len(answers[i : i + tenth]))
    gc.collect()
    grown = _status("VmRSS") - before
    distinct = len(set(stream))
    print(f"{len(answers)} answers, {len(answers) * WORDS_PER_ANSWER:,} words, {distinct:,} distinct")
    print(f"caches bounded at {LEMMA_CACHE_SIZE:,} lemmas and {WORD_CACHE_SIZE:,} keys")
    print(f"process grew by {grown:.1f} MB (VmRSS after / before the answers)")
    print(f"CPU ms per analysis, first tenth of the run: {cpu[0]:.2f}; last tenth: {cpu[-1]:.2f}")
    for cached in (lemma, key):
        info = cached.cache_info()
        hit_rate = info.hits / max(1, info.hits + info.misses)
        print(f"  {cached.__name__:15} {info.currsize:7,} entries, {hit_rate:.1%} hits")


if __name__ == "__main__":
    main()
