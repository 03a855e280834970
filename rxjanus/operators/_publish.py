from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reactivex
from reactivex import Observable, abc
from reactivex import operators as ops
from reactivex.disposable import Disposable

from ..exceptions import MediaSourceNotFound
from ..media import MediaSource, ObservableTrack
from ..media.checks import check_source
from ..plugins.webrtc import WebRTCPlugin
from ..sources import async_resource


def publish_(
    source: MediaSource, **options: Any
) -> Callable[[Observable[WebRTCPlugin]], Observable[Any]]:
    def make(handle: Any) -> Observable[Any]:
        echo = not hasattr(handle, "publish") and hasattr(handle, "start")
        # An observable of frames is published through a track of our own, whose
        # source error then errors this stream.
        track = ObservableTrack(source) if isinstance(source, Observable) else None
        sent = track if track is not None else source

        async def acquire() -> Any:
            if echo:
                await handle.start(sent, **options)
            else:
                await handle.publish(sent, **options)
            return handle

        async def release(published: Any) -> None:
            if echo:
                await published.close_stream()
            elif published.attached:
                await published.unpublish()

        def ended(_: Any) -> Observable[Any]:
            return track.outcome.pipe(ops.ignore_elements()) if track else reactivex.never()

        return async_resource(acquire, release, ended=ended)

    def operator(handles: Observable[WebRTCPlugin]) -> Observable[Any]:
        def subscribe(
            observer: abc.ObserverBase[Any], scheduler: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            try:
                check_source(source)  # a missing file errors before upstream attaches
            except MediaSourceNotFound as exc:
                observer.on_error(exc)
                return Disposable()
            return handles.pipe(ops.flat_map(make)).subscribe(observer, scheduler=scheduler)

        return Observable(subscribe)

    return operator
