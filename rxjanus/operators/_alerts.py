from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from reactivex import Observable, abc
from reactivex.disposable import CompositeDisposable, Disposable, SerialDisposable
from reactivex.scheduler.eventloop import AsyncIOScheduler

from ..eventhandlers.derived import Alert
from ..eventhandlers.events import (
    HandleEvent,
    JanusEvent,
    MediaEvent,
    MediaSubtype,
    WebRTCEvent,
)


@dataclass(slots=True)
class _Watched:
    """A handle with media up, and its no-media timer."""

    session_id: int | None
    packets: int = 0
    timer: SerialDisposable = field(default_factory=SerialDisposable)


def _immediate(event: JanusEvent) -> Alert | None:
    if isinstance(event, MediaEvent) and event.subtype == MediaSubtype.SLOWLINK:
        return Alert(
            "slowlink",
            event.session_id,
            event.handle_id,
            f"{event.media or 'media'} {event.slow_link or 'link'}: "
            f"{event.lost_lastsec} lost in the last second",
            event,
        )
    if isinstance(event, WebRTCEvent) and event.ice == "failed":
        return Alert("ice-failed", event.session_id, event.handle_id, "ICE failed", event)
    if isinstance(event, WebRTCEvent) and event.dtls == "failed":
        return Alert("dtls-failed", event.session_id, event.handle_id, "DTLS failed", event)
    return None


def alerts_(
    no_media_after: float, *, scheduler: abc.SchedulerBase | None = None
) -> Callable[[Observable[JanusEvent]], Observable[Alert]]:
    if no_media_after <= 0:
        raise ValueError("no_media_after must be positive")

    def _alerts(source: Observable[JanusEvent]) -> Observable[Alert]:
        def subscribe(
            observer: abc.ObserverBase[Alert], scheduler_: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            timer = scheduler or scheduler_ or AsyncIOScheduler(asyncio.get_running_loop())
            watched: dict[int, _Watched] = {}

            def arm(handle_id: int, state: _Watched) -> None:
                def fire(_: abc.SchedulerBase, __: object = None) -> None:
                    if watched.get(handle_id) is state:
                        observer.on_next(
                            Alert(
                                "no-media",
                                state.session_id,
                                handle_id,
                                f"no media received for {no_media_after:g} s",
                            )
                        )

                state.timer.disposable = timer.schedule_relative(no_media_after, fire)

            def forget(handle_id: int) -> None:
                state = watched.pop(handle_id, None)
                if state is not None:
                    state.timer.dispose()

            def on_next(event: JanusEvent) -> None:
                alert = _immediate(event)
                if alert is not None:
                    observer.on_next(alert)
                handle_id = event.handle_id
                if handle_id is None:
                    return
                if isinstance(event, WebRTCEvent) and event.connection == "webrtcup":
                    forget(handle_id)
                    state = watched[handle_id] = _Watched(event.session_id)
                    arm(handle_id, state)
                elif (isinstance(event, WebRTCEvent) and event.connection == "hangup") or (
                    isinstance(event, HandleEvent) and event.name == "detached"
                ):
                    forget(handle_id)
                elif isinstance(event, MediaEvent) and handle_id in watched:
                    state = watched[handle_id]
                    if event.subtype == MediaSubtype.STATS:
                        packets = sum(s.packets_received for s in event.stats)
                        if packets > state.packets:
                            arm(handle_id, state)
                            state.packets = packets
                    elif event.receiving is True:
                        arm(handle_id, state)

            def clear() -> None:
                for handle_id in list(watched):
                    forget(handle_id)

            subscription = source.subscribe(
                on_next, observer.on_error, observer.on_completed, scheduler=scheduler_
            )
            return CompositeDisposable(subscription, Disposable(clear))

        return Observable(subscribe)

    return _alerts
