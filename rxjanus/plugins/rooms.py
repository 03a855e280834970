"""The room administration the room plugins share (AudioBridge, VideoRoom)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, ClassVar, Literal

from ..protocol import JSON
from .base import sends
from .webrtc import WebRTCPlugin

__all__ = ["RoomPlugin", "participant_request", "room_request"]

RoomRequest = Callable[["RoomPlugin", int, str | None, float | None], Coroutine[Any, Any, JSON]]
ParticipantRequest = Callable[
    ["RoomPlugin", int, int, str | None, float | None], Coroutine[Any, Any, JSON]
]


def room_request(request: str, doc: str) -> RoomRequest:
    """A method sending ``request`` about a room: ``(room_id, secret=None, timeout=None)``."""

    async def send(
        self: RoomPlugin, room_id: int, secret: str | None = None, timeout: float | None = None
    ) -> JSON:
        return await self._call(request, room=room_id, secret=secret, timeout=timeout)

    send.__doc__ = doc
    return sends(request)(send)


def participant_request(request: str, doc: str) -> ParticipantRequest:
    """A method sending ``request`` about a participant of a room, by its id."""

    async def send(
        self: RoomPlugin,
        room_id: int,
        participant_id: int,
        secret: str | None = None,
        timeout: float | None = None,
    ) -> JSON:
        return await self._call(
            request, room=room_id, id=participant_id, secret=secret, timeout=timeout
        )

    send.__doc__ = doc
    return sends(request)(send)


class RoomPlugin(WebRTCPlugin):
    """A plugin handle with rooms: the requests that manage them, the same in each plugin.

    ``create_room`` and the plugin's own requests stay in the plugin's class.
    """

    forwarders_key: ClassVar[str] = "rtp_forwarders"
    """Where the ``listforwarders`` reply lists the forwarders."""

    _room_id: int | None = None
    _display_name: str | None = None

    @property
    def room_id(self) -> int | None:
        """The room joined, or None."""
        return self._room_id

    @property
    def display_name(self) -> str | None:
        """Our display name in the room."""
        return self._display_name

    @sends("destroy", "destroy")
    async def destroy_room(
        self,
        room_id: int,
        secret: str | None = None,
        permanent: bool = False,
        timeout: float | None = None,
    ) -> JSON:
        """Destroy a room; its participants get a ``destroyed`` event.

        Returns:
            The plugin's data (``destroyed``, with the ``room``).
        """
        return await self._call(
            "destroy", room=room_id, permanent=permanent, secret=secret, timeout=timeout
        )

    @sends("exists", "exists")
    async def exists(self, room_id: int, timeout: float | None = None) -> bool:
        """Return whether the room exists."""
        return bool((await self._call("exists", room=room_id, timeout=timeout)).get("exists"))

    @sends("list", "list")
    async def list_rooms(
        self, admin_key: str | None = None, timeout: float | None = None
    ) -> list[JSON]:
        """List the public rooms (the private ones too with the ``admin_key``)."""
        data = await self._call("list", admin_key=admin_key, timeout=timeout)
        # Janus 1.1's AudioBridge sends "list" (its documentation says "rooms").
        return list(data.get("list") or data.get("rooms") or [])

    @sends("listparticipants", "listparticipants")
    async def list_participants(self, room_id: int, timeout: float | None = None) -> list[JSON]:
        """List a room's participants (``id``, ``display``...)."""
        data = await self._call("listparticipants", room=room_id, timeout=timeout)
        return list(data.get("participants", []))

    @sends("listforwarders", "listforwarders")
    async def list_forwarders(
        self, room_id: int, secret: str | None = None, timeout: float | None = None
    ) -> list[JSON]:
        """List a room's RTP forwarders.

        AudioBridge: each with its ``stream_id``; VideoRoom:
        ``[{"publisher_id": ..., "forwarders": [...]}]``.
        """
        data = await self._call("listforwarders", room=room_id, secret=secret, timeout=timeout)
        return list(data.get(self.forwarders_key, []))

    @sends("edit", "edit")
    async def edit(
        self,
        room_id: int,
        *,
        secret: str | None = None,
        permanent: bool = False,
        timeout: float | None = None,
        **changes: Any,
    ) -> JSON:
        """Change a room's properties: ``edit(room, description="new", pin="1")``.

        Args:
            room_id: The room.
            secret: The room's secret, if it has one.
            permanent: Change the plugin's config file too.
            timeout: Seconds to wait.
            **changes: New values; ``description`` is sent as ``new_description``
                (a ``new_`` prefix may also be written out).

        Returns:
            The plugin's data (``edited``, with the ``room``).
        """
        new = {key if key.startswith("new_") else f"new_{key}": v for key, v in changes.items()}
        return await self._call(
            "edit", new, room=room_id, secret=secret, permanent=permanent, timeout=timeout
        )

    async def edit_room(self, room_id: int, **changes: Any) -> JSON:
        """Another name for `edit`."""
        return await self.edit(room_id, **changes)

    @sends("allowed", "allowed")
    async def allowed(
        self,
        room_id: int,
        action: Literal["enable", "disable", "add", "remove"],
        allowed: list[str] | None = None,
        *,
        secret: str | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """Manage the tokens a room accepts in ``join`` (its ACL).

        Returns:
            The plugin's data; its ``allowed`` is the whole list now.
        """
        return await self._call(
            "allowed", room=room_id, action=action, allowed=allowed, secret=secret, timeout=timeout
        )

    kick_participant = participant_request(
        "kick", "Kick a participant out of a room (Janus also closes its PeerConnection)."
    )
    kick = participant_request("kick", "Another name for `kick_participant`.")
