"""Command line: `interview-bot run|chat|questions ...|db upgrade|backup` (also `python -m bot`)."""

import argparse
import asyncio
import getpass
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import ConfigError, Settings, load_settings
from bot.memory import cap_malloc_arenas

if TYPE_CHECKING:  # importing the core loads SQLAlchemy: not worth it for --help or a config error
    from bot.core.services import Services
    from bot.tg.run import Operations
    from bot.tg.webhook import Webhook

EXIT_PROBLEMS = 1
EXIT_CONFIG = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="interview-bot", description="Interview coach for IT project managers."
    )
    parser.add_argument("--version", action="version", version=f"interview-bot {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run the Telegram bot (long polling, or --webhook)")
    run.add_argument(
        "--config", type=Path, help="config file (default: $INTERVIEW_BOT_CONFIG or ./config.toml)"
    )
    _add_webhook_arguments(run, sub)

    chat = sub.add_parser("chat", help="hold a mock interview in this terminal")
    chat.add_argument("--config", type=Path, help="config file")
    chat.add_argument("--user", help="whose answers these are (default: your login name)")

    questions = sub.add_parser("questions", help="work with question files")
    qsub = questions.add_subparsers(dest="questions_command", required=True, metavar="ACTION")
    validate = qsub.add_parser("validate", help="check question files; prints file:line: message per problem")
    validate.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the whole bank)")
    validate.add_argument("--config", type=Path, help="config file (its [questions] paths are checked too)")

    stats = qsub.add_parser(
        "stats", help="print how many questions the bank has per topic, kind, difficulty, level"
    )
    stats.add_argument("paths", nargs="*", type=Path, help="extra packs (default: those in the config)")
    stats.add_argument("--config", type=Path, help="config file (its [questions] paths are counted too)")

    try_ = qsub.add_parser(
        "try",
        help="analyse an answer read from standard input and print the feedback",
        description=(
            "Reads an answer on standard input and prints the feedback the bot would give. "
            '--jsonl reads one {"question_id": ..., "answer": ...} object per line instead.'
        ),
    )
    try_.add_argument("question_id", nargs="?", help="the question answered (not with --jsonl)")
    output = try_.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the feedback as one JSON object")
    output.add_argument("--jsonl", action="store_true", help="JSON lines in, one JSON object per line out")
    try_.add_argument("--pack", dest="paths", action="append", type=Path, default=[], help="extra pack")
    try_.add_argument("--config", type=Path, help="config file (its [questions] paths are loaded too)")

    db = sub.add_parser("db", help="database maintenance")
    dsub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = dsub.add_parser("upgrade", help="apply database migrations")
    upgrade.add_argument("--config", type=Path, help="config file")
    backup = dsub.add_parser(
        "backup",
        help="copy the SQLite database to PATH while the bot runs (PostgreSQL: prints the pg_dump command)",
    )
    backup.add_argument("path", type=Path, help="the backup file to write (must not exist yet)")
    backup.add_argument("--config", type=Path, help="config file")
    return parser


def _add_webhook_arguments(run: argparse.ArgumentParser, sub: "argparse._SubParsersAction[Any]") -> None:
    run.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates by webhook ([webhook] in the config) instead of long polling",
    )
    webhook = sub.add_parser("webhook", help="manage the Telegram webhook")
    wsub = webhook.add_subparsers(dest="webhook_command", required=True, metavar="ACTION")
    delete = wsub.add_parser(
        "delete", help="remove the webhook, so updates wait for long polling (pending ones are kept)"
    )
    delete.add_argument("--config", type=Path, help="config file")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("interview-bot")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def _settings(path: Path | None) -> Settings:
    from bot import redact

    settings = load_settings(path, os.environ, Path.cwd())
    redact.register_settings(settings, os.environ)  # from now on no output shows them
    return settings


def _fail(message: str, code: int) -> int:
    from bot import redact

    print(f"interview-bot: {redact.mask(message)}", file=sys.stderr)
    return code


def _detail(exc: BaseException, limit: int = 300) -> str:
    """An exception's text for a one-line error: masked first, then cut (a cut token would
    no longer match its mask)."""
    from bot import redact

    text = " ".join(redact.mask(str(exc)).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _first_line(exc: Exception) -> str:
    """A driver error's own first line, without SQLAlchemy's [SQL: ...] and background links."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _open_services(settings: Settings) -> "Services | int":
    from bot.core.services import Services
    from questions.loader import BankError
    from storage.migrate import upgrade

    try:
        upgrade(settings.database.url)
    except Exception as exc:  # a bad URL or an unreachable server: one line, no traceback
        return _fail(f"[database] url: cannot open the database: {_first_line(exc)}", EXIT_CONFIG)
    try:
        return Services.open(settings)
    except BankError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return _fail("the question bank has problems (see above)", EXIT_CONFIG)


def cmd_run(args: argparse.Namespace) -> int:
    from telegram.error import InvalidToken, NetworkError, TelegramError
    from telegram.request import HTTPXRequest

    from bot import redact
    from bot.logs import configure_logging
    from bot.tg.app import ALLOWED_UPDATES, build_application
    from bot.tg.run import EXIT_TOKEN, Stopper, WatchedRequest, serve

    settings = _settings(args.config)
    token = settings.require_token()
    webhook = _webhook(settings) if args.webhook else None
    redact.install_excepthooks()
    configure_logging(settings.logging.level, include_user_content=settings.logging.include_user_content)
    services = _open_services(settings)
    if isinstance(services, int):
        return services
    stopper = Stopper()
    # PTB's own defaults (256 connections for API calls, 1 for getUpdates), watched for a 401.
    requests = (
        WatchedRequest(HTTPXRequest(connection_pool_size=256), stopper),
        WatchedRequest(HTTPXRequest(connection_pool_size=1), stopper),
    )
    app = build_application(services, token, requests=requests)
    ops = _operations(settings, services, "webhook" if webhook else "polling")
    rejected = "[telegram] token: Telegram rejected this token; copy it again from @BotFather"
    api = settings.telegram.base_url
    try:
        code = asyncio.run(serve(app, stopper, ALLOWED_UPDATES, webhook, ops))
    except InvalidToken:
        return _fail(rejected, EXIT_CONFIG)
    except NetworkError as exc:  # still unreachable after the start-up retries
        return _fail(f"cannot reach the Telegram Bot API at {api}: {_detail(exc)}", EXIT_CONFIG)
    except TelegramError as exc:  # e.g. a proxy answering 403 in Telegram's place
        return _fail(f"the Telegram Bot API at {api} refused to start the bot: {_detail(exc)}", EXIT_CONFIG)
    except OSError as exc:  # the webhook's port or the health port is taken
        return _fail(_listen_failed(settings, exc, webhook is not None), EXIT_CONFIG)
    if code == EXIT_TOKEN:
        return _fail(f"{rejected} (401 Unauthorized: revoked or replaced?)", EXIT_CONFIG)
    return code


def _webhook(settings: Settings) -> "Webhook":
    from bot.tg.webhook import Webhook

    return Webhook.from_settings(settings)  # ConfigError when public_url or secret_token is missing


def _listen_failed(settings: Settings, exc: OSError, webhook: bool) -> str:
    """Which port could not be opened: the health server binds first, then the webhook's."""
    hook, health = settings.webhook, settings.health
    if webhook and not (health.port is not None and str(health.port) in str(exc)):
        return f"[webhook] port: cannot listen on {hook.listen}:{hook.port}: {exc.strerror or exc}"
    return f"[health] port: cannot listen on {health.listen}:{health.port}: {_detail(exc)}"


def cmd_webhook(args: argparse.Namespace) -> int:
    """`webhook delete`: Telegram stops posting updates; they wait for getUpdates instead."""
    from telegram import Bot
    from telegram.error import InvalidToken, TelegramError

    from bot.tg.webhook import delete_webhook

    settings = _settings(args.config)
    telegram = settings.telegram
    bot = Bot(settings.require_token(), base_url=telegram.base_url, base_file_url=telegram.base_file_url)
    try:
        url = asyncio.run(delete_webhook(bot))
    except InvalidToken:
        return _fail("[telegram] token: Telegram rejected this token (401 Unauthorized)", EXIT_CONFIG)
    except TelegramError as exc:
        return _fail(f"could not delete the webhook: {exc}", EXIT_PROBLEMS)
    print(f"Webhook deleted (it was {url})." if url else "No webhook was set.")
    return 0


def _operations(settings: Settings, services: "Services", mode: str) -> "Operations":
    """The start-up line's facts and the health endpoint, when `[health] port` is set."""
    from sqlalchemy.engine import make_url

    from bot.health import HealthServer, sql_check
    from bot.tg.run import Operations

    database = make_url(settings.database.url).render_as_string(hide_password=True)
    health = None
    if settings.health.port is not None:
        health = HealthServer(settings.health, sql_check(services.db.engine), mode)
    return Operations(database=database, mode=mode, health=health)


def _chat_user(given: str | None) -> str:
    name = " ".join((given or "").split())[:64]
    if name:
        return name
    try:
        return getpass.getuser()[:64] or "me"
    except (KeyError, OSError):  # no login name: e.g. a container run as an arbitrary uid
        return "me"


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.chat.terminal import TerminalChat
    from bot.core.interview import Identity

    settings = _settings(args.config)
    services = _open_services(settings)
    if isinstance(services, int):
        return services
    # Bytes that are not UTF-8 (a legacy terminal, a piped file) become U+FFFD, not a crash.
    for stream in (sys.stdin, sys.stdout):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")
    name = _chat_user(args.user)
    who = Identity(f"chat:{name}", None, name)

    async def main() -> int:
        try:
            return await TerminalChat(services, who, sys.stdin, sys.stdout).run()
        finally:
            await services.close()

    try:
        return asyncio.run(main())
    except KeyboardInterrupt:
        print("\nBye! Your answers are saved.")
        return 0


def cmd_questions(args: argparse.Namespace) -> int:
    if args.questions_command == "try":
        return cmd_try(args)
    return cmd_stats(args) if args.questions_command == "stats" else cmd_validate(args)


def cmd_try(args: argparse.Namespace) -> int:
    """Feedback on answers from standard input: plain text, --json, or --jsonl in and out."""
    import json

    from bot.core.feedback import FeedbackMatcher
    from bot.present.render import render, to_plain
    from questions.loader import BankError, load_bank

    if args.jsonl == bool(args.question_id):
        return _fail("questions try: give a QUESTION_ID, or --jsonl without one", EXIT_CONFIG)
    try:
        bank = load_bank([p for p in _bank_paths(args) if p not in _builtin_paths()])
    except BankError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return _fail("the question bank has problems (see above)", EXIT_CONFIG)
    matcher = FeedbackMatcher(bank.questions)

    if not args.jsonl:
        question = bank.by_id.get(args.question_id)
        if question is None:
            return _fail(f"unknown question id {args.question_id!r}", EXIT_CONFIG)
        feedback = matcher.assess(question, sys.stdin.read())
        if args.json:
            print(json.dumps({"question_id": question.id, **feedback.to_dict()}, ensure_ascii=False))
        else:
            print(to_plain(render("feedback_try", question=question, feedback=feedback)))
        return 0

    failed = False
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        result: dict[str, object]
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("expected an object")
            question_id, answer = item.get("question_id"), item.get("answer")
            if not isinstance(question_id, str) or not isinstance(answer, str):
                raise ValueError('expected "question_id" and "answer" as strings')
        except ValueError as exc:  # json.JSONDecodeError is a ValueError too
            result = {"line": number, "error": f"not a valid request: {exc}"}
        else:
            question = bank.by_id.get(question_id)
            if question is None:
                result = {"line": number, "question_id": question_id, "error": "unknown question id"}
            else:
                result = {"question_id": question.id, **matcher.assess(question, answer).to_dict()}
        if "error" in result:
            failed = True
            print(f"interview-bot: line {number}: {result['error']}", file=sys.stderr)
        print(json.dumps(result, ensure_ascii=False), flush=True)
    return EXIT_PROBLEMS if failed else 0


def _builtin_paths() -> list[Path]:
    from questions.loader import builtin_bank_files

    return builtin_bank_files()


def _bank_paths(args: argparse.Namespace) -> list[Path]:
    """Built-in files plus the packs named, else those in the config."""
    from questions.loader import builtin_bank_files

    paths: list[Path] = list(args.paths) or list(_settings(args.config).questions.paths)
    # Always alongside the built-in bank, so a pack's id clashing with a built-in one is caught.
    return [*builtin_bank_files(), *paths]


def cmd_stats(args: argparse.Namespace) -> int:
    from questions.loader import validate_paths
    from questions.stats import format_stats

    questions, problems = validate_paths(_bank_paths(args))
    for problem in problems:
        print(problem, file=sys.stderr)
    print(format_stats(questions))
    return EXIT_PROBLEMS if problems else 0


def cmd_validate(args: argparse.Namespace) -> int:
    from questions.loader import validate_paths
    from questions.quality import near_duplicates

    paths = _bank_paths(args)
    questions, problems = validate_paths(paths)
    for problem in problems:
        print(problem)
    # Near-duplicates are worth a look but do not make a pack unusable.
    for pair in near_duplicates(questions):
        print(f"warning: {pair}")
    if problems:
        print(f"{len(problems)} problem(s) found.", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"OK: {len(questions)} questions in {len(paths)} path(s).")
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    from storage.migrate import upgrade

    settings = _settings(args.config)
    try:
        upgrade(settings.database.url)
    except Exception as exc:
        return _fail(f"[database] url: cannot migrate: {_first_line(exc)}", EXIT_CONFIG)
    print(f"Database is up to date: {make_url(settings.database.url).render_as_string(hide_password=True)}")
    return 0


def cmd_db_backup(args: argparse.Namespace) -> int:
    """SQLite: the online backup API, a consistent copy while the bot keeps writing."""
    import sqlite3
    from contextlib import closing

    from sqlalchemy.engine import URL, make_url

    url = make_url(_settings(args.config).database.url)
    if url.get_backend_name() == "postgresql":
        # pg_dump is the right tool; the password is left to PGPASSWORD or ~/.pgpass.
        target = URL.create(
            "postgresql", url.username, None, url.host, url.port, url.database, url.query
        ).render_as_string(hide_password=False)
        print(
            f"PostgreSQL: back up with pg_dump, e.g.\n  pg_dump --format=custom --file {args.path} '{target}'"
        )
        return 0
    source = url.database
    if url.get_backend_name() != "sqlite" or source in (None, "", ":memory:"):
        return _fail(f"[database] url: nothing to back up in {url.render_as_string()}", EXIT_CONFIG)
    if not Path(source).is_file():
        return _fail(f"[database] url: no database file at {source}", EXIT_CONFIG)
    if args.path.exists():
        return _fail(f"{args.path} exists already; choose a new file name", EXIT_CONFIG)
    try:
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(args.path)) as dest:
            src.backup(dest)
    except (sqlite3.Error, OSError) as exc:
        args.path.unlink(missing_ok=True)
        return _fail(f"backup failed: {exc}", EXIT_PROBLEMS)
    print(f"Backed up {source} to {args.path} ({args.path.stat().st_size:,} bytes).")
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    return cmd_db_backup(args) if args.db_command == "backup" else cmd_db_upgrade(args)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in ("run", "chat"):
        cap_malloc_arenas()  # before the database's threads start
    handlers = {
        "run": cmd_run,
        "chat": cmd_chat,
        "questions": cmd_questions,
        "db": cmd_db,
        "webhook": cmd_webhook,
    }
    try:
        return handlers[args.command](args)
    except ConfigError as exc:
        return _fail(str(exc), EXIT_CONFIG)
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly; flushing at exit must not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PROBLEMS


if __name__ == "__main__":
    sys.exit(main())
