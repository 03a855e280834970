"""Background work started from synchronous callbacks (disposal, timers), kept referenced.

Disposal in reactivex is synchronous, while tearing down a Janus handle or session
is a request. `spawn` runs such work in a task that is kept referenced and
whose failure is logged, never raised; [`settle`][rxjanus._tasks.settle] waits for all of it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

__all__ = ["pending_count", "settle", "spawn"]

logger = logging.getLogger(__name__)

_RUNNING: set[asyncio.Future[Any]] = set()


def spawn(work: Awaitable[Any], *, what: str = "background work") -> asyncio.Future[Any]:
    """Run ``work`` on the running loop; keep it referenced; log its failure.

    Args:
        work: A coroutine or future.
        what: Says what the work is, for the log line if it fails.

    Returns:
        The task.

    Raises:
        RuntimeError: No event loop runs in this thread; the work is dropped.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        if asyncio.iscoroutine(work):
            work.close()
        logger.warning("%s skipped: no running event loop (disposed outside asyncio?)", what)
        raise
    task = asyncio.ensure_future(work)
    _RUNNING.add(task)

    def done(finished: asyncio.Future[Any]) -> None:
        _RUNNING.discard(finished)
        if not finished.cancelled() and finished.exception() is not None:
            logger.warning("%s failed: %r", what, finished.exception())

    task.add_done_callback(done)
    return task


def pending_count() -> int:
    """How many spawned tasks are still running."""
    return len(_RUNNING)


async def settle() -> None:
    """Wait until every spawned task (teardowns included) has finished."""
    while _RUNNING:
        await asyncio.gather(*list(_RUNNING), return_exceptions=True)
