from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import reactivex
from reactivex import Observable, abc
from reactivex.disposable import CompositeDisposable
from reactivex.scheduler.eventloop import AsyncIOScheduler

from ..eventhandlers.derived import MediaQuality
from ..eventhandlers.events import HandleEvent, JanusEvent, MediaEvent, MediaStats

logger = logging.getLogger("rxjanus.operators.media_quality")

_Key = tuple[int, str]


@dataclass(slots=True)
class _Sample:
    timestamp: int
    stats: MediaStats


@dataclass(slots=True)
class _Window:
    session_id: int | None
    first: _Sample
    last: _Sample
    samples: int


def _quality(key: _Key, window: _Window, base: _Sample | None) -> MediaQuality:
    last = window.last
    if base is not None and last.stats.packets_received < base.stats.packets_received:
        base = None  # a new PeerConnection on the handle: counters started over
    now = last.stats
    if base is None:
        before = None
        seconds = 0.0
    else:
        before = base.stats
        seconds = (last.timestamp - base.timestamp) / 1e6

    def delta(name: str) -> int:
        value: int = getattr(now, name)
        return value - (getattr(before, name) if before is not None else 0)

    if seconds > 0:
        bitrate_in = delta("bytes_received") * 8 / seconds
        bitrate_out = delta("bytes_sent") * 8 / seconds
    else:
        bitrate_in = float(now.bytes_received_lastsec * 8)
        bitrate_out = float(now.bytes_sent_lastsec * 8)
    return MediaQuality(
        session_id=window.session_id,
        handle_id=key[0],
        mid=now.mid,
        media=now.media,
        start=None if base is None else base.timestamp,
        end=last.timestamp,
        packets_received=delta("packets_received"),
        packets_sent=delta("packets_sent"),
        lost=delta("lost"),
        bitrate_in=bitrate_in,
        bitrate_out=bitrate_out,
        rtt=now.rtt,
        jitter=now.jitter_local,
        nacks_received=delta("nacks_received"),
        nacks_sent=delta("nacks_sent"),
        samples=window.samples,
    )


def media_quality_(
    window: float, *, max_media: int = 10_000, scheduler: abc.SchedulerBase | None = None
) -> Callable[[Observable[JanusEvent]], Observable[MediaQuality]]:
    if window <= 0:
        raise ValueError("window must be positive")
    if max_media < 1:
        raise ValueError("max_media must be at least 1")

    def _media_quality(source: Observable[JanusEvent]) -> Observable[MediaQuality]:
        def subscribe(
            observer: abc.ObserverBase[MediaQuality], scheduler_: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            timer = scheduler or scheduler_ or AsyncIOScheduler(asyncio.get_running_loop())
            baselines: OrderedDict[_Key, _Sample] = OrderedDict()
            pending: dict[_Key, _Window] = {}
            gone: set[_Key] = set()  # detached during the window: reported, then forgotten

            def flush() -> None:
                windows = list(pending.items())
                pending.clear()
                forget = set(gone)
                gone.clear()
                for key, current in windows:
                    quality = _quality(key, current, baselines.get(key))
                    if key in forget:
                        baselines.pop(key, None)
                    else:
                        baselines[key] = current.last
                        baselines.move_to_end(key)
                    while len(baselines) > max_media:
                        evicted, _ = baselines.popitem(last=False)
                        logger.warning(
                            "media_quality tracks over %d media; forgot handle %d mid %s",
                            max_media,
                            *evicted,
                        )
                    observer.on_next(quality)

            def on_next(event: JanusEvent) -> None:
                if isinstance(event, HandleEvent) and event.name == "detached":
                    # Media with stats in this window keep their baseline until it is reported.
                    gone.update(k for k in pending if k[0] == event.handle_id)
                    for key in [k for k in baselines if k[0] == event.handle_id]:
                        if key not in gone:
                            del baselines[key]
                    return
                if not isinstance(event, MediaEvent) or event.handle_id is None:
                    return
                for stats in event.stats:
                    key = (event.handle_id, stats.mid or stats.media or "")
                    sample = _Sample(event.timestamp, stats)
                    current = pending.get(key)
                    if current is None:
                        pending[key] = _Window(event.session_id, sample, sample, 1)
                    else:
                        current.last = sample
                        current.samples += 1

            def on_completed() -> None:
                flush()
                observer.on_completed()

            ticks = reactivex.interval(window, timer).subscribe(lambda _: flush())
            subscription = source.subscribe(
                on_next, observer.on_error, on_completed, scheduler=scheduler_
            )
            return CompositeDisposable(ticks, subscription)

        return Observable(subscribe)

    return _media_quality
