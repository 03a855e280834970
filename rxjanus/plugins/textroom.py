"""The TextRoom plugin: text rooms over a WebRTC data channel.

``setup`` has Janus offer a PeerConnection with only a data channel; we answer
with ``ack`` and open our channel. Room traffic (join, leave, message,
announcement, kick) then goes over the channel as JSON with ``textroom`` and
``transaction``; Janus answers each with the same transaction, and everything
else it sends there (messages, joins, leaves...) is unsolicited. Room admin
(list, create, destroy, exists, listparticipants) goes through the Janus API.
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import uuid
from collections.abc import Mapping
from typing import ClassVar, Literal

from aiortc import RTCConfiguration, RTCDataChannel
from reactivex import Observable
from reactivex.abc import DisposableBase
from reactivex.subject import Subject

from ..exceptions import (
    InvalidStateError,
    JanusClientPluginError,
    JanusConnectionError,
    ProtocolError,
)
from ..protocol import JSON, plugin_data
from .base import event_data, plugin_errors, sends
from .webrtc import WebRTCPlugin

__all__ = [
    "JanusTextRoomPlugin",
    "TextRoomError",
    "TextRoomEventType",
    "textroom_event_type",
]

logger = logging.getLogger(__name__)

CHANNEL_LABEL = "JanusDataChannel"


class TextRoomError(JanusClientPluginError):
    """An error from the TextRoom plugin, or a local refusal (code 0: no data channel yet)."""

    label = "TextRoom"


class TextRoomEventType(enum.Enum):
    """The ``textroom`` values of unsolicited data-channel messages (janus_client's enum)."""

    JOIN = "join"
    LEAVE = "leave"
    KICKED = "kicked"
    DESTROYED = "destroyed"
    MESSAGE = "message"
    ANNOUNCEMENT = "announcement"
    ERROR = "error"


def textroom_event_type(message: JSON) -> TextRoomEventType | None:
    """The kind of a TextRoom message (a data-channel message or a Janus one), or None."""
    try:
        return TextRoomEventType(event_data(message).get("textroom"))
    except ValueError:
        return None


def _error_of(reply: JSON) -> TextRoomError | None:
    if reply.get("textroom") != "error" and "error_code" not in reply:
        return None
    code = reply.get("error_code")
    reason = reply.get("error")
    return TextRoomError(
        code if isinstance(code, int) else 0,
        reason if isinstance(reason, str) else "error without a reason",
    )


class JanusTextRoomPlugin(WebRTCPlugin):
    """A handle on ``janus.plugin.textroom``.

    Unsolicited data-channel messages (``message``, ``announcement``, ``join``,
    ``leave``, ``kicked``, ``destroyed``...) are emitted on
    [`messages`][rxjanus.plugins.textroom.JanusTextRoomPlugin.messages] as dicts; replies to our own
    requests are not, except an ``error`` nobody waits for (a message sent with ``ack=False`` that
    Janus refused).

    Example:
        >>> room = JanusTextRoomPlugin()  # doctest: +SKIP
        >>> await room.attach(session)  # doctest: +SKIP
        >>> await room.setup()  # doctest: +SKIP
        >>> room.messages.subscribe(print)  # doctest: +SKIP
        >>> await room.join_room(1234, "alice")  # doctest: +SKIP
        >>> await room.send_message(1234, "hello")  # doctest: +SKIP
    """

    name = "janus.plugin.textroom"
    error_class = TextRoomError
    classify_event = staticmethod(textroom_event_type)

    janus_events: ClassVar[Mapping[str, str]] = {
        "success": "returned by the method that sent the request (list_rooms(), "
        "room_exists(), create_room(), allowed(), join_room(), send_message()...)",
        "participants": "returned by list_participants()",
        "edited": "returned by edit_room()",
        "destroyed": "returned by destroy_room(); the room's participants get it on "
        "messages (TextRoomEventType.DESTROYED)",
        "kicked": "messages (TextRoomEventType.KICKED)",
        "join": "messages (TextRoomEventType.JOIN)",
        "leave": "messages (TextRoomEventType.LEAVE)",
        "message": "messages (TextRoomEventType.MESSAGE; `whisper` marks a private one)",
        "announcement": "messages (TextRoomEventType.ANNOUNCEMENT)",
        "error": "raised as TextRoomError (a PluginError) by the method that sent the "
        "request; messages (TextRoomEventType.ERROR) for a message sent with ack=False",
    }

    _messages_ended: bool = False
    _channel_subscription: DisposableBase | None = None
    _channel: RTCDataChannel | None = None

    def __init__(self, pc_config: RTCConfiguration | None = None, *, trickle: bool = True) -> None:
        super().__init__(pc_config, trickle=trickle)
        self._messages: Subject[JSON] = Subject()
        self._pending: dict[str, asyncio.Future[JSON]] = {}

    @property
    def messages(self) -> Observable[JSON]:
        """Unsolicited data-channel messages, parsed; completes when the handle detaches."""
        if self._messages_ended and self.attached:
            self._messages = Subject()
            self._messages_ended = False
        return self._messages

    @property
    def ready(self) -> bool:
        """Whether [`setup`][..setup] opened the data channel and it is still open."""
        return self._channel_subscription is not None and self._channel_open()

    # -- PeerConnection -------------------------------------------------------------

    @sends("setup")
    async def setup(self, timeout: float = 30.0) -> None:
        """Set up the PeerConnection and open the data channel.

        Args:
            timeout: Seconds for the whole negotiation, channel opening included.

        Raises:
            TextRoomError: The plugin refused (e.g. 416, already set up).
            TimeoutError: The channel did not open in time.
        """
        async with asyncio.timeout(timeout):
            reply = await self._reply({"request": "setup"}, timeout=timeout)
            offer = reply.get("jsep")
            if not isinstance(offer, dict):
                raise TextRoomError(0, "No JSEP offer received from setup")
            peer = self.peer
            peer.create_data_channel(CHANNEL_LABEL)
            self._listen(peer.data_messages)
            with plugin_errors(TextRoomError):
                await self.send_answer({"request": "ack"}, offer, timeout=timeout)
            self._channel = await peer.wait_data_channel()
        logger.debug("%r: data channel open", self)

    # -- room admin, through the Janus API ------------------------------------------

    @sends("list")
    async def list_rooms(
        self, admin_key: str | None = None, timeout: float | None = None
    ) -> list[JSON]:
        """Return the public rooms (all rooms with the plugin's ``admin_key``)."""
        data = await self._call("list", admin_key=admin_key or None, timeout=timeout)
        rooms = data.get("list")
        return rooms if isinstance(rooms, list) else []

    @sends("listparticipants")
    async def list_participants(self, room: int, timeout: float | None = None) -> list[JSON]:
        """Return the participants of ``room`` (``username`` and ``display``)."""
        data = await self._call("listparticipants", room=room, timeout=timeout)
        participants = data.get("participants")
        return participants if isinstance(participants, list) else []

    @sends("exists")
    async def room_exists(self, room: int, timeout: float | None = None) -> bool:
        """Whether ``room`` exists."""
        data = await self._call("exists", room=room, timeout=timeout)
        return bool(data.get("exists"))

    @sends("create")
    async def create_room(
        self,
        room: int | None = None,
        description: str | None = None,
        secret: str | None = None,
        pin: str | None = None,
        is_private: bool = True,
        history: int = 0,
        post: str | None = None,
        admin_key: str | None = None,
        permanent: bool = False,
        timeout: float | None = None,
    ) -> int:
        """Create a room and return its id (chosen by Janus if ``room`` is None).

        Raises:
            TextRoomError: For example 418, the room exists already.
        """
        data = await self._call(
            "create",
            is_private=is_private,
            room=room,
            description=description or None,
            secret=secret or None,
            pin=pin or None,
            post=post or None,
            admin_key=admin_key or None,
            history=history if history > 0 else None,
            permanent=permanent or None,
            timeout=timeout,
        )
        created = data.get("room")
        if not isinstance(created, int):
            raise ProtocolError(f"the TextRoom create reply has no room id: {data!r}")
        return created

    @sends("destroy")
    async def destroy_room(
        self,
        room: int,
        secret: str | None = None,
        permanent: bool = False,
        timeout: float | None = None,
    ) -> None:
        """Destroy ``room``; its participants get a ``destroyed`` message."""
        await self._call(
            "destroy",
            room=room,
            secret=secret or None,
            permanent=permanent or None,
            timeout=timeout,
        )

    @sends("edit")
    async def edit_room(
        self,
        room: int,
        secret: str | None = None,
        *,
        new_description: str | None = None,
        new_secret: str | None = None,
        new_pin: str | None = None,
        new_is_private: bool | None = None,
        new_post: str | None = None,
        permanent: bool = False,
        timeout: float | None = None,
    ) -> JSON:
        """Change a room's description, secret, PIN, privacy or HTTP backend.

        Returns:
            The plugin's data (``{"textroom": "edited", "room": ...}``).

        Raises:
            TextRoomError: For example 417 (no such room) or 419 (wrong secret).
        """
        return await self._call(
            "edit",
            room=room,
            secret=secret,
            new_description=new_description,
            new_secret=new_secret,
            new_pin=new_pin,
            new_is_private=new_is_private,
            new_post=new_post,
            permanent=permanent or None,
            timeout=timeout,
        )

    @sends("allowed")
    async def allowed(
        self,
        room: int,
        action: Literal["enable", "disable", "add", "remove"],
        allowed: list[str] | None = None,
        secret: str | None = None,
        timeout: float | None = None,
    ) -> list[str]:
        """Manage the tokens a room accepts in ``join`` (its ACL).

        Args:
            room: The room.
            action: ``enable`` or ``disable`` the check, ``add`` or ``remove`` tokens.
            allowed: The tokens to add or remove.
            secret: The room's secret, if it has one.
            timeout: Seconds to wait.

        Returns:
            The whole list of tokens now (empty after ``disable``).
        """
        data = await self._call(
            "allowed",
            room=room,
            action=action,
            allowed=allowed,
            secret=secret or None,
            timeout=timeout,
        )
        tokens = data.get("allowed")
        return [str(token) for token in tokens] if isinstance(tokens, list) else []

    # -- participation, over the data channel ---------------------------------------

    @sends("join")
    async def join_room(
        self,
        room: int,
        username: str,
        display: str | None = None,
        pin: str | None = None,
        token: str | None = None,
        history: bool = True,
        timeout: float | None = None,
    ) -> list[JSON]:
        """Join ``room`` as ``username``; return the other participants.

        Raises:
            TextRoomError: No data channel (code 0; call
                [`setup`][rxjanus.plugins.textroom.JanusTextRoomPlugin.setup] first), or the plugin
                refused (e.g. 417 no such room, 420 username taken).
        """
        body: JSON = {"textroom": "join", "room": room, "username": username, "history": history}
        for key, value in (("display", display), ("pin", pin), ("token", token)):
            if value:
                body[key] = value
        reply = await self._channel_request(body, timeout)
        participants = reply.get("participants")
        return participants if isinstance(participants, list) else []

    @sends("leave")
    async def leave_room(self, room: int, timeout: float | None = None) -> None:
        """Leave ``room``."""
        await self._channel_request({"textroom": "leave", "room": room}, timeout)

    @sends("message")
    async def send_message(
        self,
        room: int,
        text: str,
        to: str | None = None,
        tos: list[str] | None = None,
        ack: bool = True,
        timeout: float | None = None,
    ) -> JSON | None:
        """Send ``text`` to ``room``, or privately to ``to`` or to each of ``tos``.

        Args:
            room: The room.
            text: The message.
            to: One recipient, for a private message.
            tos: Several recipients, for a private message.
            ack: Wait for Janus's ack; False sends and returns at once.
            timeout: Seconds to wait for the ack (default: the session's ``timeout``).

        Returns:
            Janus's ack (with ``sent`` per recipient for a private message), or
            None without ``ack``.
        """
        body: JSON = {"textroom": "message", "room": room, "text": text, "ack": ack}
        if to:
            body["to"] = to
        if tos:
            body["tos"] = tos
        if ack:
            return await self._channel_request(body, timeout)
        body["transaction"] = uuid.uuid4().hex
        self._send_on_channel(body)
        return None

    @sends("announcement")
    async def send_announcement(
        self, room: int, text: str, secret: str | None = None, timeout: float | None = None
    ) -> None:
        """Announce ``text`` to ``room`` (as the room; needs its ``secret`` if it has one)."""
        body: JSON = {"textroom": "announcement", "room": room, "text": text}
        if secret:
            body["secret"] = secret
        await self._channel_or_admin(body, timeout)

    @sends("kick")
    async def kick_participant(
        self, room: int, username: str, secret: str | None = None, timeout: float | None = None
    ) -> None:
        """Kick ``username`` out of ``room`` (needs the room's ``secret`` if it has one)."""
        body: JSON = {"textroom": "kick", "room": room, "username": username}
        if secret:
            body["secret"] = secret
        await self._channel_or_admin(body, timeout)

    def check_error_in_response(self, response: JSON) -> None:
        """Raise [TextRoomError][rxjanus.plugins.textroom.TextRoomError] for an error reply.

        janus_client's helper: a Janus ``error`` or a plugin ``error`` in ``response``.
        """
        error = response.get("error")
        if response.get("janus") == "error" and isinstance(error, dict):
            raise TextRoomError(error.get("code", 0), error.get("reason", "Unknown error"))
        data = plugin_data(response) or {}
        if "error" in data:
            raise TextRoomError(data.get("error_code", 0), str(data["error"]))

    async def send_wrapper(self, message: JSON, matcher: JSON, timeout: float) -> JSON:
        """Send a TextRoom request through the Janus API; return the whole reply.

        janus_client's helper; ``matcher`` is not needed (the reply is the one
        with our transaction). Errors raise ``TextRoomError``.
        """
        del matcher
        return await self._reply(message, timeout=timeout)

    # -- internals ------------------------------------------------------------------

    async def _channel_or_admin(self, body: JSON, timeout: float | None) -> None:
        """Send over the data channel if it is open, else through the Janus API."""
        if self._channel_open():
            await self._channel_request(body, timeout)
            return
        fields = {key: value for key, value in body.items() if key != "textroom"}
        await self._call(body["textroom"], fields, timeout=timeout)

    async def _channel_request(self, body: JSON, timeout: float | None) -> JSON:
        """Send ``body`` on the data channel and wait for the reply with its transaction."""
        seconds = timeout if timeout is not None else self._default_timeout()
        transaction = uuid.uuid4().hex
        future: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        self._pending[transaction] = future
        try:
            self._send_on_channel({**body, "transaction": transaction})
            async with asyncio.timeout(seconds):
                reply = await future
        finally:
            self._pending.pop(transaction, None)
        error = _error_of(reply)
        if error is not None:
            raise error
        return reply

    def _send_on_channel(self, body: JSON) -> None:
        if not self._channel_open():
            raise self._misuse("DataChannel not established")
        assert self._peer is not None
        self._peer.send_data(json.dumps(body))

    def _channel_open(self) -> bool:
        peer, channel = self._peer, self._channel
        if peer is None or peer.closed or channel is None:
            return False
        return bool(channel.readyState == "open")

    def _listen(self, source: Observable[str | bytes]) -> None:
        if self._channel_subscription is not None:
            self._channel_subscription.dispose()
        self._channel_subscription = source.subscribe(
            self._on_channel_message, on_completed=self._on_channel_closed
        )

    def _on_channel_message(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            logger.warning("%r: a data-channel message that is not JSON: %.200r", self, raw)
            return
        if not isinstance(message, dict):
            logger.warning("%r: a data-channel message that is not an object: %.200r", self, raw)
            return
        transaction = message.get("transaction")
        if transaction is not None:
            future = self._pending.get(transaction) if isinstance(transaction, str) else None
            if future is not None:
                if not future.done():
                    future.set_result(message)
                return
            if message.get("textroom") != "error":
                # Only replies carry a transaction: this one came too late.
                logger.debug("%r: a reply nobody waits for: %.200r", self, message)
                return
            # An error for a request sent without ack (or given up on): let it be seen.
        self._trigger(message)
        try:
            self._messages.on_next(message)
        except Exception:
            logger.exception("%r: a messages observer failed", self)

    def _on_channel_closed(self) -> None:
        self._channel_subscription = None
        self._fail_pending(JanusConnectionError("the TextRoom data channel closed"))

    def _fail_pending(self, error: Exception) -> None:
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(error)

    async def _teardown(self) -> None:
        await super()._teardown()
        if self._channel_subscription is not None:
            self._channel_subscription.dispose()
            self._channel_subscription = None
        self._channel = None
        self._fail_pending(InvalidStateError(f"{self!r} was detached"))
        if not self._messages_ended:
            self._messages_ended = True
            self._messages.on_completed()
