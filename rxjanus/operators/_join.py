from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reactivex import Observable
from reactivex import operators as ops

from ..plugins.base import JanusPlugin
from ..sources import async_resource


def join_(
    room_id: int | str, username: str | None = None, **options: Any
) -> Callable[[Observable[JanusPlugin]], Observable[Any]]:
    def make(handle: Any) -> Observable[Any]:
        text_room = hasattr(handle, "join_room")

        async def acquire() -> Any:
            if text_room:
                await handle.join_room(room_id, username, **options)
            else:
                await handle.join(room_id, username, **options)
            return handle

        async def release(joined: Any) -> None:
            if not joined.attached:
                return
            if text_room:
                await joined.leave_room(room_id)
            else:
                await joined.leave()

        return async_resource(acquire, release)

    return ops.flat_map(make)
