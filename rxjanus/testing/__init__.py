"""Helpers for testing against a real Janus: a throwaway server and loopback ICE.

* [`JanusServer`][rxjanus.testing.server.JanusServer] starts a private Janus on 127.0.0.1 with
  configs the package owns, and reads server state back over the Admin API.
* [`enable_loopback_ice`][rxjanus.testing.ice.enable_loopback_ice] and
  [`loopback_rtc_configuration`][rxjanus.testing.ice.loopback_rtc_configuration] let aiortc peer
  connections do ICE over 127.0.0.1 (tests and demos only).

Names are imported lazily, so ``import rxjanus.testing`` does not import
aiortc, and ``python -m rxjanus.testing.server`` runs without warnings.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .ice import (
        disable_loopback_ice,
        enable_loopback_ice,
        loopback_ice_enabled,
        loopback_rtc_configuration,
    )
    from .media import SyntheticAudioTrack, SyntheticVideoTrack, make_test_video
    from .mosquitto import MosquittoBroker, MosquittoStartError, mosquitto_available
    from .rabbitmq import RabbitMQBroker, RabbitMQStartError, rabbitmq_available
    from .rtp import MjrRecording, RtpSource, audio_level, make_opus_file, read_mjr
    from .server import JanusAdminError, JanusServer, JanusStartError
    from .shim import ShimBuildError, build_loopback_shim

__all__ = [
    "JanusAdminError",
    "JanusServer",
    "JanusStartError",
    "MjrRecording",
    "MosquittoBroker",
    "MosquittoStartError",
    "RabbitMQBroker",
    "RabbitMQStartError",
    "RtpSource",
    "ShimBuildError",
    "SyntheticAudioTrack",
    "SyntheticVideoTrack",
    "audio_level",
    "build_loopback_shim",
    "disable_loopback_ice",
    "enable_loopback_ice",
    "loopback_ice_enabled",
    "loopback_rtc_configuration",
    "make_opus_file",
    "make_test_video",
    "mosquitto_available",
    "rabbitmq_available",
    "read_mjr",
]

_LOCATIONS = {
    "JanusAdminError": ".server",
    "JanusServer": ".server",
    "JanusStartError": ".server",
    "ShimBuildError": ".shim",
    "SyntheticAudioTrack": ".media",
    "SyntheticVideoTrack": ".media",
    "make_test_video": ".media",
    "build_loopback_shim": ".shim",
    "disable_loopback_ice": ".ice",
    "enable_loopback_ice": ".ice",
    "loopback_ice_enabled": ".ice",
    "loopback_rtc_configuration": ".ice",
    "MjrRecording": ".rtp",
    "RtpSource": ".rtp",
    "audio_level": ".rtp",
    "make_opus_file": ".rtp",
    "read_mjr": ".rtp",
    "MosquittoBroker": ".mosquitto",
    "MosquittoStartError": ".mosquitto",
    "mosquitto_available": ".mosquitto",
    "RabbitMQBroker": ".rabbitmq",
    "RabbitMQStartError": ".rabbitmq",
    "rabbitmq_available": ".rabbitmq",
}


def __getattr__(name: str) -> Any:
    """Import public names on first use (PEP 562)."""
    module = _LOCATIONS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
