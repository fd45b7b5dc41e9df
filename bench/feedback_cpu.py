"""CPU time of the offline feedback analysis for a 500-word answer (the issue asks < 5 ms).

Builds the matcher for the whole built-in bank once, then analyses a 500-word answer to a
behavioural question (points, STAR, signals and the suggested rating: the full analysis)
many times and prints the CPU time per answer. The answer is varied per run so caches of
single words help, as they do in the bot, but no run sees the very same text twice.

    .venv/bin/python bench/feedback_cpu.py
"""

import time

from bot.core.feedback import FeedbackMatcher
from bot.core.feedback.text import tokenize
from questions.loader import load_bank

RUNS = 300
WORDS = 500
BASE = (
    "Last year I led the migration of our customer portal to Azure. The cutover was planned for a Saturday "
    "night and the runbook had clear go/no-go criteria we'd agreed with the service owner: error rate under "
    "1%, page loads under three seconds and a hard rollback deadline of 06:00. By 02:00 about 8% of logins "
    "were failing, so I got the business owner and the infrastructure lead on a call, showed them the "
    "dashboards against the criteria, and we agreed to roll back. I didn't wait hoping it would fix itself. "
    "We restored the database from the snapshot and were back on the old platform by 04:30 with no data "
    "lost. I sent the update to the service desk and basically kept everyone informed. The root cause was a "
    "session timeout on the new load balancer; we fixed it, tested it under load and went live two weeks "
    "later. "
)


def answer(n: int) -> str:
    """Exactly WORDS words as the analysis counts them ("06:00" is two), one of them unique."""
    text = BASE * 8
    cut = tokenize(text)[WORDS - 1].end
    words = text[:cut].split()
    words[n % len(words)] = f"variant{n}"
    return " ".join(words)


def main() -> None:
    bank = load_bank()
    matcher = FeedbackMatcher(bank.questions)
    question = bank.by_id["cloud-rollback-decision"]
    matcher.assess(question, answer(-1))  # first use fills the word caches, as a running bot has
    texts = [answer(n) for n in range(RUNS)]
    start = time.process_time()
    for text in texts:
        feedback = matcher.assess(question, text)
    per_answer = (time.process_time() - start) / RUNS
    print(
        f"{feedback.word_count}-word answer: {per_answer * 1000:.2f} ms CPU per analysis "
        f"({len(feedback.covered)}/{feedback.total} points, {RUNS} runs)"
    )


if __name__ == "__main__":
    main()
