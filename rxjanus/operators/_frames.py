from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reactivex import Observable
from reactivex import operators as ops

from ..media import MediaKind
from ..plugins.webrtc import WebRTCPlugin


def frames_(kind: MediaKind) -> Callable[[Observable[WebRTCPlugin]], Observable[Any]]:
    return ops.flat_map(lambda handle: handle.frames(kind))
