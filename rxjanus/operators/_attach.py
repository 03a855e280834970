from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, overload

from reactivex import Observable
from reactivex import operators as ops

from ..janus_session import JanusSession
from ..plugins.base import JanusPlugin
from ..sources import async_resource

P = TypeVar("P", bound=JanusPlugin)


@overload
def attach_(
    plugin: type[P], **options: Any
) -> Callable[[Observable[JanusSession]], Observable[P]]: ...


@overload
def attach_(
    plugin: str, **options: Any
) -> Callable[[Observable[JanusSession]], Observable[JanusPlugin]]: ...


def attach_(
    plugin: type[JanusPlugin] | str, **options: Any
) -> Callable[[Observable[JanusSession]], Observable[Any]]:
    def make(session: JanusSession) -> Observable[JanusPlugin]:
        async def acquire() -> JanusPlugin:
            handle = (
                JanusPlugin(plugin_id=plugin, **options)
                if isinstance(plugin, str)
                else plugin(**options)
            )
            await handle.attach(session)
            return handle

        async def release(handle: JanusPlugin) -> None:
            await handle.detach()

        return async_resource(
            acquire,
            release,
            ended=lambda handle: handle.events,
            stands_on=lambda handle: (session, handle),
        )

    return ops.flat_map(make)
