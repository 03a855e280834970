from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from aiortc import RTCConfiguration
from reactivex import Observable
from reactivex import operators as ops

from ..exceptions import JanusError
from ..janus_session import JanusSession
from ..plugins.videoroom import JanusVideoRoomPlugin
from ..protocol import JSON
from ..sources import async_resource


def watch_(
    room_id: int,
    feed_id: int,
    *,
    streams: list[JSON] | None = None,
    pc_config: RTCConfiguration | None = None,
    trickle: bool = True,
    plugin: type[JanusVideoRoomPlugin] = JanusVideoRoomPlugin,
    **options: Any,
) -> Callable[[Observable[JanusSession]], Observable[JanusVideoRoomPlugin]]:
    wanted = streams if streams is not None else [{"feed": feed_id}]

    def make(session: JanusSession) -> Observable[JanusVideoRoomPlugin]:
        async def acquire() -> JanusVideoRoomPlugin:
            handle = plugin(pc_config, trickle=trickle)
            await handle.attach(session)
            try:
                await handle.subscribe_to_publisher(room_id, wanted, **options)
            except BaseException:
                await handle.detach()
                raise
            return handle

        async def release(handle: JanusVideoRoomPlugin) -> None:
            # Leave (closing the PeerConnection), then detach.
            try:
                if handle.attached:
                    # The session may be going at the same time (its disposal
                    # detaches its handles): then there is nothing to leave.
                    with contextlib.suppress(JanusError):
                        await handle.leave()
            finally:
                await handle.detach()

        return async_resource(
            acquire,
            release,
            ended=lambda handle: handle.events,
            stands_on=lambda handle: (session, handle),
        )

    return ops.flat_map(make)
