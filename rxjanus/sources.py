"""Cold observables of Janus resources: each subscription makes its own, disposal ends it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from reactivex import Observable, abc
from reactivex.disposable import Disposable

from ._tasks import spawn
from .janus_session import JanusSession

__all__ = ["async_resource", "session"]

logger = logging.getLogger(__name__)

R = TypeVar("R")


def async_resource(
    acquire: Callable[[], Awaitable[R]],
    release: Callable[[R], Awaitable[None]],
    *,
    ended: Callable[[R], Observable[Any]] | None = None,
    stands_on: Callable[[R], Sequence[object]] | None = None,
) -> Observable[R]:
    """A cold observable that acquires a resource per subscription and releases it on disposal.

    Nothing happens before subscribe. The resource is emitted once, when
    acquired. Disposal is idempotent and never raises: it releases the resource
    in a task (see [`rxjanus.aio.settle`][rxjanus._tasks.settle]); a disposal that comes while the
    resource is still being acquired lets the acquisition finish, then releases
    it, so nothing is left on the server.

    Args:
        acquire: Makes the resource (e.g. creates a session).
        release: Ends it (e.g. destroys the session).
        ended: The resource's own end: its errors and completion are passed on
            (e.g. a session's ``events``, which error with ``SessionLost``).
        stands_on: The objects this resource belongs to (default: itself). A
            release waits for the releases of resources acquired later on the
            same objects, so teardown runs inner-first: unpublish and leave
            before detach, detach before destroying the session.

    Returns:
        The observable.
    """

    def subscribe(
        observer: abc.ObserverBase[R], scheduler: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        disposed = False
        acquired: list[R] = []
        watch: list[abc.DisposableBase] = []
        entry = _Entry()

        async def run() -> None:
            try:
                resource = await acquire()
            except Exception as exc:
                if not disposed:
                    observer.on_error(exc)
                return
            acquired.append(resource)
            entry.owners = tuple(stands_on(resource)) if stands_on else (resource,)
            _enter(entry)
            if disposed:
                _release_in_order(entry, lambda: release(resource))
                return
            observer.on_next(resource)
            if ended is not None and not disposed:
                watch.append(
                    ended(resource).subscribe(
                        on_error=lambda error: None if disposed else observer.on_error(error),
                        on_completed=lambda: None if disposed else observer.on_completed(),
                    )
                )

        spawn(run(), what="acquiring a resource")

        def dispose() -> None:
            nonlocal disposed
            if disposed:
                return
            disposed = True
            for subscription in watch:
                subscription.dispose()
            if acquired:
                resource = acquired[0]
                _release_in_order(entry, lambda: release(resource))
            # Otherwise run() is still acquiring and releases what it gets, or it failed.

        return Disposable(dispose)

    return Observable(subscribe)


class _Entry:
    """One acquired resource in the release order of the objects it stands on."""

    __slots__ = ("owners", "task")

    def __init__(self) -> None:
        self.owners: tuple[object, ...] = ()
        self.task: asyncio.Future[Any] | None = None


_ORDER: dict[int, list[_Entry]] = {}
"""For each owner object (by id, while it has entries): its entries, in acquisition order."""


def _enter(entry: _Entry) -> None:
    for owner in entry.owners:
        _ORDER.setdefault(id(owner), []).append(entry)


def _release_in_order(entry: _Entry, release: Callable[[], Awaitable[None]]) -> None:
    """Release after what was acquired later on the same owners has been released."""

    async def run() -> None:
        later: list[asyncio.Future[Any]] = []
        for owner in entry.owners:
            stack = _ORDER.get(id(owner), [])
            if entry in stack:
                position = stack.index(entry)
                later.extend(e.task for e in stack[position + 1 :] if e.task is not None)
        try:
            if later:
                await asyncio.gather(*later, return_exceptions=True)
            await release()
        finally:
            for owner in entry.owners:
                entries = _ORDER.get(id(owner))
                if entries is not None and entry in entries:
                    entries.remove(entry)
                    if not entries:
                        del _ORDER[id(owner)]

    entry.task = spawn(run(), what="releasing a resource")


def session(base_url: str = "", **options: Any) -> Observable[JanusSession]:
    """A cold observable of a created [`JanusSession`][rxjanus.janus_session.JanusSession].

    Each subscription opens its own session (and transport, unless one is
    passed with ``transport=``), emits it once created, and destroys it when
    disposed, detaching its handles first. The stream errors with
    ``SessionLost`` if the server or the transport ends the session.

    Args:
        base_url: The server URL.
        **options: Passed to [`JanusSession`][rxjanus.janus_session.JanusSession] (``timeout``,
            ``api_secret`` ...).

    Returns:
        The observable.
    """

    async def create() -> JanusSession:
        created = JanusSession(base_url, **options)
        try:
            await created.create()
        except BaseException:
            await asyncio.shield(created.destroy())
            raise
        return created

    async def destroy(created: JanusSession) -> None:
        await created.destroy()

    return async_resource(create, destroy, ended=lambda created: created.events)
