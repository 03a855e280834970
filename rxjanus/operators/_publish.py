from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reactivex import Observable
from reactivex import operators as ops

from ..media import MediaSource
from ..plugins.webrtc import WebRTCPlugin
from ..sources import async_resource


def publish_(
    source: MediaSource, **options: Any
) -> Callable[[Observable[WebRTCPlugin]], Observable[Any]]:
    def make(handle: Any) -> Observable[Any]:
        echo = not hasattr(handle, "publish") and hasattr(handle, "start")

        async def acquire() -> Any:
            if echo:
                await handle.start(source, **options)
            else:
                await handle.publish(source, **options)
            return handle

        async def release(published: Any) -> None:
            if echo:
                await published.close_stream()
            elif published.attached:
                await published.unpublish()

        return async_resource(acquire, release)

    return ops.flat_map(make)
