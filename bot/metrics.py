"""What the running bot counts, for `/metrics` (Prometheus text format) and `/healthz`.

Each event is counted where it happens, in one line (`metrics.answer_stored()`); the metrics
live in prometheus-client's default registry, which also carries the process's CPU, memory and
open files. `VITALS` keeps the monotonic times the health check turns into ages.
"""

import time
from dataclasses import dataclass

from prometheus_client import Counter, Histogram

UPDATES_HANDLED = Counter("interview_bot_updates_handled", "Telegram updates handled, whatever the outcome")
HANDLER_SECONDS = Histogram(
    "interview_bot_handler_seconds",
    "Seconds from an update's turn to the end of its handler",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
ANSWERS_STORED = Counter("interview_bot_answers_stored", "Answers stored in the database")
PROMPTS = Counter("interview_bot_prompts", "Daily prompts and reviews by outcome", ["outcome"])
PROMPT_OUTCOMES = ("sent", "failed", "blocked", "missed")
TELEGRAM_ERRORS = Counter(
    "interview_bot_telegram_errors",
    "Bot API calls that failed, by kind (bad_request, forbidden, flood, server_error, network, ...)",
    ["kind", "method"],
)
SWEEP_SECONDS = Histogram(
    "interview_bot_sweep_seconds",
    "Seconds one prompt sweep took (claiming, rendering and sending)",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)

for _outcome in PROMPT_OUTCOMES:  # shown as 0 from the start, so rates work from the first scrape
    PROMPTS.labels(_outcome)

# Bot API answers by HTTP status; other 5xx are "server_error", other 4xx "http_<code>".
_ERROR_KINDS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "too_large",
    429: "flood",
}


@dataclass(slots=True)
class Vitals:
    """Monotonic times of the last signs of life; None until the first one."""

    started: float | None = None  # the bot finished starting
    last_poll: float | None = None  # a getUpdates answered
    last_update: float | None = None  # an update handled (polling or webhook)
    last_sweep: float | None = None  # a prompt sweep finished
    polling_failing_since: float | None = None  # the first failure of the outage under way
    polling_failures: int = 0  # failed getUpdates in the outage under way
    polling_delay: float = 0.0  # PTB's back-off before the next getUpdates (see bot/tg/run.py)


VITALS = Vitals()


def update_handled(seconds: float) -> None:
    UPDATES_HANDLED.inc()
    HANDLER_SECONDS.observe(seconds)
    VITALS.last_update = time.monotonic()


def answer_stored() -> None:
    ANSWERS_STORED.inc()


def prompts(sent: int, failed: int, blocked: int, missed: int) -> None:
    for outcome, count in zip(PROMPT_OUTCOMES, (sent, failed, blocked, missed), strict=True):
        if count:
            PROMPTS.labels(outcome).inc(count)


def sweep_done(seconds: float) -> None:
    SWEEP_SECONDS.observe(seconds)
    VITALS.last_sweep = time.monotonic()


def telegram_error(kind: str, method: str) -> None:
    TELEGRAM_ERRORS.labels(kind, method).inc()


def error_kind(status: int) -> str:
    return _ERROR_KINDS.get(status) or ("server_error" if status >= 500 else f"http_{status}")
