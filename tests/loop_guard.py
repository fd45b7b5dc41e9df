"""A test's event loop that will not close fails that test, naming the stuck tasks.

When a test ends, pytest-asyncio closes its loop through asyncio's `_cancel_all_tasks`, which
waits without limit for every cancelled task to finish: one task that ignores its cancellation
hangs the whole run with no word of which test or task it was. This replacement waits a bounded
time, then prints each stuck task's stack and raises (pytest-asyncio reports it as a warning on
that test), so the run goes on and says why.

One such task seen: SQLAlchemy tears down an aiosqlite connection whose task was cancelled in
the middle of a statement by closing it in a shielded task; once aiosqlite's thread has been
stopped, a second cancel leaves that close waiting forever.
"""

import asyncio
import asyncio.runners
import io
import sys

STUCK_AFTER = 10.0  # seconds a cancelled task may take to finish

# Stuck tasks are kept here for good: destroyed with their loop closed, their coroutines would
# be closed by the garbage collector in some later test and complain there instead.
_stuck: list["asyncio.Task[object]"] = []


def _cancel_all_tasks(loop: asyncio.AbstractEventLoop) -> None:
    tasks = asyncio.all_tasks(loop)
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    _, pending = loop.run_until_complete(asyncio.wait(tasks, timeout=STUCK_AFTER))
    for task in tasks - pending:
        if task.cancelled():
            continue
        if task.exception() is not None:
            loop.call_exception_handler(
                {
                    "message": "unhandled exception during asyncio.run() shutdown",
                    "exception": task.exception(),
                    "task": task,
                }
            )
    if pending:
        _stuck.extend(pending)
        stacks = io.StringIO()
        for task in pending:
            task.print_stack(file=stacks)
            stacks.write(f"  waiting on: {_innermost(task)!r}\n")
        sys.stderr.write(f"\n{len(pending)} task(s) ignored cancellation:\n{stacks.getvalue()}\n")
        raise RuntimeError(
            f"{len(pending)} task(s) still running {STUCK_AFTER:.0f} s after cancel:\n{stacks.getvalue()}"
        )


def _innermost(task: "asyncio.Task[object]") -> object:
    """What the task's chain of coroutines is suspended on (a future, a sleep, a lock)."""
    awaited: object = task.get_coro()
    while True:
        inner = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
        if inner is None:
            return awaited
        awaited = inner


def install() -> None:
    asyncio.runners._cancel_all_tasks = _cancel_all_tasks  # type: ignore[attr-defined]
