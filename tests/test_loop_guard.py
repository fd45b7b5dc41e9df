"""The test loop's closing guard: a task that ignores its cancellation is named, not waited on."""

import asyncio

import pytest

from tests import loop_guard


def test_a_task_that_ignores_its_cancellation_is_reported_with_its_stack(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(loop_guard, "STUCK_AFTER", 0.2)
    loop = asyncio.new_event_loop()
    never = loop.create_future()

    async def stubborn() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            await never  # what a close waiting on a stopped thread does

    async def polite() -> None:
        await asyncio.sleep(3600)

    try:
        stuck = loop.create_task(stubborn(), name="stubborn")
        gone = loop.create_task(polite(), name="polite")
        loop.run_until_complete(asyncio.sleep(0))
        with pytest.raises(RuntimeError, match=r"1 task\(s\) still running") as raised:
            loop_guard._cancel_all_tasks(loop)
        assert "name='stubborn'" in str(raised.value)
        assert "in stubborn" in str(raised.value)  # the frame it is stuck in
        assert gone.cancelled()
        assert not stuck.done()
    finally:
        never.cancel()
        loop.run_until_complete(asyncio.sleep(0))
        loop.close()


def test_tasks_that_finish_on_cancel_close_quietly() -> None:
    loop = asyncio.new_event_loop()
    try:
        task = loop.create_task(asyncio.sleep(3600))
        loop.run_until_complete(asyncio.sleep(0))
        loop_guard._cancel_all_tasks(loop)
        assert task.cancelled()
    finally:
        loop.close()
