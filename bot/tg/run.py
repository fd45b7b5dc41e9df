"""Running the bot until it is told to stop, or can no longer work.

PTB's `run_polling` was not enough on two counts: a 401 while polling ends its polling loop
("Invalid token. Aborting retry loop.") but leaves the process running and looking healthy, and
its shutdown waits for every handler, job and request however long they take. `serve` runs the
same steps itself:

- start-up retries an unreachable Bot API with backoff (a few times), then gives up;
- any 401 from Telegram (a revoked token) stops the bot, and `interview-bot run` exits 2;
- transient errors while polling keep being retried by PTB, with its backoff: an outage is one
  WARNING (what failed, when the next try comes) and one INFO when getting updates works again;
- once running it logs one line with the bot's @username, the database and the mode, and serves
  `[health] port` (bot/health.py) until it stops;
- SIGTERM or SIGINT stops it in under 10 seconds whatever it is doing: updates stop coming,
  handlers and a sweep under way get a short grace period and are then cancelled (and logged),
  messages still waiting out flood control are logged as not sent; a watchdog ends the process
  if all that still hangs.
"""

import asyncio
import contextlib
import logging
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from telegram.error import InvalidToken, NetworkError, TelegramError, TimedOut
from telegram.ext import Updater
from telegram.request import BaseRequest

from bot import metrics
from bot.health import HealthServer
from bot.metrics import VITALS
from bot.tg.app import BotApplication
from bot.tg.jobs import SweepRunner
from bot.tg.requests import Send, WrappedRequest
from bot.tg.updates import PerChatUpdates
from bot.tg.webhook import Webhook, start_webhook

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_TOKEN = 2

START_ATTEMPTS = 5
GRACE_SECONDS = 2.0  # for handlers and the sweep to finish once a stop is asked for
STEP_SECONDS = 2.0  # for each of the library's own stop steps
HARD_STOP_SECONDS = 9.0  # the watchdog: after this, the process ends whatever still runs


class Stopper:
    """Why and when the bot stops: a signal, or Telegram refusing the token."""

    def __init__(self) -> None:
        self.code = EXIT_OK
        self.reason = ""
        self.refusal: tuple[int, bytes] | None = None  # Telegram's 401 answer, once it came
        self._event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._event = asyncio.Event()
        if self.code != EXIT_OK:
            self._event.set()

    def unauthorized(self, answer: tuple[int, bytes]) -> None:
        """Telegram answered 401: the token was revoked or is wrong; retrying cannot help."""
        self.refusal = answer
        if self.code == EXIT_OK:
            self.code = EXIT_TOKEN
            self.reason = "Telegram rejected the token (401 Unauthorized)"
        self._set()

    def signal(self, signum: int) -> None:
        if not self.reason:
            self.reason = f"{signal.Signals(signum).name} received"
        self._set()

    def _set(self) -> None:
        if self._event is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._event.set)

    @property
    def requested(self) -> bool:
        return self._event is not None and self._event.is_set()

    async def wait(self) -> None:
        assert self._event is not None
        await self._event.wait()


class WatchedRequest(WrappedRequest):
    """An HTTP client that tells the Stopper about any 401 before PTB turns it into InvalidToken.

    After a 401 every request gets the same answer without reaching the network: PTB's last
    getUpdates on the way out would otherwise wait for the connection the refused poll held.
    """

    def __init__(self, inner: BaseRequest, stopper: Stopper) -> None:
        super().__init__(inner)
        self._stopper = stopper

    async def call(self, url: str, send: Send) -> tuple[int, bytes]:
        if self._stopper.refusal is not None:
            return self._stopper.refusal
        api_method = _api_method(url)
        try:
            code, payload = await send()
        except TimedOut as exc:
            metrics.telegram_error("timed_out", api_method)
            if api_method == "getUpdates":
                _polling_failed(exc, timed_out=True)
            raise
        except NetworkError:  # reported by PTB's polling loop through _polling_error
            metrics.telegram_error("network", api_method)
            raise
        if code == 401:
            self._stopper.unauthorized((code, payload))
        if not 200 <= code <= 299:
            metrics.telegram_error(metrics.error_kind(code), api_method)
        elif api_method == "getUpdates":
            _polling_works()
        return code, payload


_API_METHOD = re.compile(r"/bot[^/]+/([A-Za-z]+)$")


def _api_method(url: str) -> str:
    """The Bot API method a URL calls; "file" for a download (its path may name a user's file)."""
    match = _API_METHOD.search(url)
    return match.group(1) if match else "file"


# --- polling outages: one WARNING when getUpdates starts failing, one INFO when it works again --

# PTB's retry loop (telegram.ext._utils.networkloop) waits 1 s after a first failure, then 1.5
# times longer after each one, at most 30 s; a timeout is retried at once.
_FIRST_DELAY = 1.0
_MAX_DELAY = 30.0


def _polling_error(exc: TelegramError) -> None:
    """PTB's error callback for getUpdates (it retries after this; a timeout never comes here).

    PTB's default callback logs every retry as an ERROR with a traceback."""
    if isinstance(exc, InvalidToken):
        return  # the Stopper ends the bot and the CLI says why
    _polling_failed(exc, timed_out=False)


async def _receive_updates(updater: Updater, allowed_updates: Sequence[str], webhook: Webhook | None) -> None:
    """Long polling (which deletes any webhook first), or the webhook server when one is given."""
    if webhook is not None:
        await start_webhook(updater, allowed_updates, webhook)
    else:
        await updater.start_polling(allowed_updates=allowed_updates, error_callback=_polling_error)


def _polling_failed(exc: TelegramError, *, timed_out: bool) -> None:
    vitals = VITALS
    vitals.polling_delay = (
        0.0
        if timed_out
        else _FIRST_DELAY
        if vitals.polling_delay == 0
        else min(_MAX_DELAY, vitals.polling_delay * 1.5)
    )
    vitals.polling_failures += 1
    log.debug("getting updates failed (attempt %d)", vitals.polling_failures, exc_info=exc)
    if vitals.polling_failing_since is not None:
        return
    vitals.polling_failing_since = time.monotonic()
    when = "at once" if timed_out else f"in {vitals.polling_delay:.0f}s, then ever later up to 30s"
    log.warning("getting updates from Telegram failed: %s; retrying %s until it works", exc, when)


def _polling_works() -> None:
    vitals = VITALS
    vitals.last_poll = time.monotonic()
    vitals.polling_delay = 0.0
    since, failures = vitals.polling_failing_since, vitals.polling_failures
    vitals.polling_failing_since, vitals.polling_failures = None, 0
    if since is not None:
        log.info(
            "getting updates from Telegram works again, after %.0fs and %d failed attempt(s)",
            vitals.last_poll - since,
            failures,
        )


@dataclass(frozen=True, slots=True)
class Operations:
    """What the operator sees besides the bot: the start-up line and the health endpoint."""

    database: str  # the database URL without its password
    mode: str = "polling"
    health: HealthServer | None = None


async def _open_operations(ops: Operations) -> None:
    if ops.health is not None:
        await ops.health.start()  # OSError (the port is taken): the CLI says so in a line


def _announce(app: BotApplication, ops: Operations) -> None:
    VITALS.started = time.monotonic()
    health = "" if ops.health is None else f"; health and metrics on {ops.health.url}/healthz, /metrics"
    log.info("running as @%s; database %s; mode %s%s", app.bot.username, ops.database, ops.mode, health)


async def _start(
    app: BotApplication, allowed_updates: Sequence[str], ops: Operations, webhook: Webhook | None = None
) -> None:
    delay = 1.0
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            await app.initialize()
            break
        except InvalidToken:
            raise
        except (NetworkError, TimedOut) as exc:
            if attempt == START_ATTEMPTS:
                raise
            log.warning(
                "cannot reach the Bot API (attempt %d/%d, next in %.0fs): %s",
                attempt,
                START_ATTEMPTS,
                delay,
                exc,
                exc_info=exc,  # shown at DEBUG only (bot/logs.py)
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)
    if app.post_init:
        await app.post_init(app)
    assert app.updater is not None
    await _receive_updates(app.updater, allowed_updates, webhook)
    await app.start()
    _announce(app, ops)


async def _step(what: str, coro: Any) -> None:
    """One stop step, bounded in time; a failure is logged, never stops the next step."""
    try:
        async with asyncio.timeout(STEP_SECONDS):
            await coro
    except TimeoutError:
        log.warning("shutting down: %s took over %.0fs, skipped", what, STEP_SECONDS)
    except InvalidToken:
        pass  # the polling loop ended on the 401 that stopped us: reported once, by the CLI
    except Exception:
        log.exception("shutting down: %s failed", what)


async def _stop(app: BotApplication) -> None:
    updater = app.updater
    if updater is not None and updater.running:
        await _step("stopping polling", updater.stop())
    drains = []
    if isinstance(app.update_processor, PerChatUpdates):
        drains.append(app.update_processor.stop(GRACE_SECONDS))
    if app.job_queue is not None:
        for job in app.job_queue.get_jobs_by_name("prompt-sweep"):
            if isinstance(job.callback, SweepRunner):
                drains.append(job.callback.stop(GRACE_SECONDS))
    await asyncio.gather(*drains)
    if app.running:
        await _step("stopping the application", app.stop())
    await _step("closing connections", app.shutdown())
    if app.post_shutdown:
        await _step("closing the database", app.post_shutdown(app))


def _watchdog(stopper: Stopper) -> None:
    """Ends the process if a clean stop has not finished in time (e.g. a hung thread)."""

    def hard_exit() -> None:
        print(
            f"interview-bot: stopping took over {HARD_STOP_SECONDS:.0f}s; exiting now",
            file=sys.stderr,
            flush=True,
        )
        os._exit(stopper.code or EXIT_FAILURE)  # not a clean stop: never report success

    timer = threading.Timer(HARD_STOP_SECONDS, hard_exit)
    timer.daemon = True
    timer.start()


async def serve(
    app: BotApplication,
    stopper: Stopper,
    allowed_updates: Sequence[str],
    webhook: Webhook | None = None,
    ops: Operations | None = None,
) -> int:
    """Run until SIGTERM/SIGINT or a 401; returns the exit code (see the module docstring).
    Updates come by long polling, or by `webhook` when one is given (bot/tg/webhook.py).

    Raises InvalidToken when start-up finds the token malformed, NetworkError when the Bot API
    stayed unreachable through every start-up attempt, another TelegramError when it refused
    to start the bot, OSError when the webhook's or the health port cannot be opened.
    """
    ops = ops if ops is not None else Operations(database="?")
    loop = asyncio.get_running_loop()
    stopper.attach(loop)
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopper.signal, signum)
    await _open_operations(ops)
    starting = asyncio.create_task(_start(app, allowed_updates, ops, webhook))
    stopping = asyncio.create_task(stopper.wait())
    try:
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if starting.done():
            starting.result()  # start-up errors go to the caller
            await stopping
    finally:
        _watchdog(stopper)
        if not starting.done():
            starting.cancel()
            with contextlib.suppress(BaseException):
                await starting
        stopping.cancel()
        log.info("stopping: %s", stopper.reason or "start-up failed")
        if ops.health is not None:
            await ops.health.stop()
        await _stop(app)
    return stopper.code
