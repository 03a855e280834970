"""Make aiortc gather ICE candidates on 127.0.0.1, for tests and demos only.

aioice leaves loopback addresses out of its host candidates, and aiortc uses a
public STUN server when given no configuration. On a machine with no network
(or to keep a test on loopback) call
[`enable_loopback_ice`][rxjanus.testing.ice.enable_loopback_ice] once and create every peer
connection with [`loopback_rtc_configuration`][rxjanus.testing.ice.loopback_rtc_configuration]:

```python
enable_loopback_ice()
pc = RTCPeerConnection(loopback_rtc_configuration())
```

Together with a [`JanusServer`][rxjanus.testing.server.JanusServer] started with
``loopback_ice=True`` (which offers 127.0.0.1 host candidates), ICE then
connects over loopback.

Warning:
    [`enable_loopback_ice`][rxjanus.testing.ice.enable_loopback_ice] patches ``aioice`` for the
    whole process so that *only* 127.0.0.1 is offered. Never use it in production code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiortc import RTCConfiguration

__all__ = [
    "disable_loopback_ice",
    "enable_loopback_ice",
    "loopback_ice_enabled",
    "loopback_rtc_configuration",
]

logger = logging.getLogger(__name__)

_LOOPBACK_ADDRESS = "127.0.0.1"
_PATCHED_NAME = "get_host_addresses"
_original: Callable[[bool, bool], list[str]] | None = None


def _loopback_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    """Stand-in for ``aioice.ice.get_host_addresses``: loopback only."""
    return [_LOOPBACK_ADDRESS] if use_ipv4 else []


def enable_loopback_ice() -> None:
    """Make aioice offer only a 127.0.0.1 host candidate (tests/demos only).

    Replaces ``aioice.ice.get_host_addresses`` process-wide. Idempotent; undo
    with [`disable_loopback_ice`][rxjanus.testing.ice.disable_loopback_ice]. Never use this in
    production.
    """
    global _original
    import aioice.ice

    if aioice.ice.get_host_addresses is _loopback_host_addresses:
        return
    _original = aioice.ice.get_host_addresses
    setattr(aioice.ice, _PATCHED_NAME, _loopback_host_addresses)
    logger.warning("aioice patched: ICE host candidates are 127.0.0.1 only (tests/demos only)")


def disable_loopback_ice() -> None:
    """Undo [`enable_loopback_ice`][..enable_loopback_ice] (no-op if it is not in effect)."""
    global _original
    import aioice.ice

    if aioice.ice.get_host_addresses is _loopback_host_addresses and _original is not None:
        setattr(aioice.ice, _PATCHED_NAME, _original)
        logger.info("aioice host candidate gathering restored")
    _original = None


def loopback_ice_enabled() -> bool:
    """Return whether [`enable_loopback_ice`][rxjanus.testing.ice.enable_loopback_ice] is in effect.

    Returns:
        True if aioice currently offers only 127.0.0.1.
    """
    import aioice.ice

    return aioice.ice.get_host_addresses is _loopback_host_addresses


def loopback_rtc_configuration() -> RTCConfiguration:
    """Return an ``RTCConfiguration`` with no ICE servers (no public STUN).

    Returns:
        ``aiortc.RTCConfiguration(iceServers=[])``.
    """
    from aiortc import RTCConfiguration

    return RTCConfiguration(iceServers=[])
