"""A test's event loop that will not close fails that test, naming the stuck tasks.

When a test ends, pytest-asyncio closes its loop through asyncio's `_cancel_all_tasks`, which
waits without limit for every cancelled task to finish: one task that ignores its cancellation
hangs the whole run with no word of which test or task it was. This replacement waits a bounded
time, then prints each stuck task's stack and raises, so the run goes on and says why.
"""

import asyncio
import asyncio.runners
import io
import sys

STUCK_AFTER = 30.0  # seconds a cancelled task may take to finish


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
