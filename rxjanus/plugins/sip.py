"""The SIP plugin: a WebRTC user agent that Janus turns into a SIP phone.

Janus keeps a SIP stack (Sofia-SIP) per handle: ``register`` logs in at a SIP
registrar (or as a ``guest``, without a REGISTER), ``call`` sends an INVITE
with our WebRTC offer turned into plain RTP, an INVITE to our contact arrives
as ``incomingcall``, and ``accept``/``decline``/``hangup``/``hold``/``info``...
drive the dialog. The media between us and Janus is WebRTC; between Janus and
the SIP peer it is plain RTP (or SDES-SRTP).

Every request is answered at once by an event naming what Janus started
(``registering``, ``calling``, ``hangingup``...); how it ends comes later as
an unsolicited event (``registered``/``registration_failed``,
``accepted``/``hangup``...). The methods here wait for that outcome where there
is one, and raise [`SipResponseError`][rxjanus.plugins.sip.SipResponseError] (with the SIP code and
reason) when it is a failure. Everything but the immediate replies reaches
[`events`][rxjanus.plugins.base.JanusPlugin.events] (the outcomes too, even when
one comes first, in the reply's place); [`sip_event_type`][rxjanus.plugins.sip.sip_event_type]
classifies the messages.

Requests and events are as the header of Janus's ``janus_sip.c`` (v1.1.x)
describes them.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from aiortc import RTCConfiguration

from ..exceptions import InvalidStateError, PluginError
from ..media import MediaKind, MediaSource
from ..protocol import JSON, plugin_data
from .base import classify, event_data, plugin_errors, request_body, sends
from .webrtc import WebRTCPlugin

__all__ = [
    "JanusSipPlugin",
    "SipError",
    "SipEventType",
    "SipIncomingCall",
    "SipResponseError",
    "sip_event_type",
    "sip_result",
]

logger = logging.getLogger(__name__)


"""Seconds a new negotiation waits for Janus to finish closing the last PeerConnection."""


class SipError(PluginError):
    """An error from the SIP plugin (``error_code`` 440-499), or a local refusal (code 0)."""

    label = "SIP"


class SipResponseError(SipError):
    """A SIP failure Janus reported: a refused REGISTER, a call that ended unanswered...

    Attributes:
        code: The SIP status code (403, 486, 603...).
        reason: The SIP reason phrase.
        event: The plugin event that reported it (``registration_failed``,
            ``hangup``, ``subscribe_failed``).
        result: The event's whole ``result`` object.
    """

    def __init__(self, code: int, reason: str, event: str = "", result: JSON | None = None) -> None:
        super().__init__(code, reason)
        self.event = event
        self.result: JSON = dict(result or {})

    def __str__(self) -> str:
        return f"SIP {self.event or 'failure'} {self.code}: {self.reason}"


class SipEventType(enum.Enum):
    """The ``result.event`` names of SIP plugin messages (and ``error``)."""

    REGISTERING = "registering"
    REGISTERED = "registered"
    REGISTRATION_FAILED = "registration_failed"
    UNREGISTERING = "unregistering"
    UNREGISTERED = "unregistered"
    CALLING = "calling"
    RINGING = "ringing"
    PROCEEDING = "proceeding"
    PROGRESS = "progress"
    ACCEPTING = "accepting"
    ACCEPTED = "accepted"
    INCOMINGCALL = "incomingcall"
    MISSED_CALL = "missed_call"
    UPDATING = "updating"
    UPDATINGCALL = "updatingcall"
    UPDATED = "updated"
    HOLDING = "holding"
    RESUMING = "resuming"
    DECLINING = "declining"
    HANGINGUP = "hangingup"
    HANGUP = "hangup"
    INFOSENT = "infosent"
    INFO = "info"
    MESSAGESENT = "messagesent"
    MESSAGE = "message"
    MESSAGEDELIVERY = "messagedelivery"
    DTMFSENT = "dtmfsent"
    SUBSCRIBING = "subscribing"
    SUBSCRIBE_SUCCEEDED = "subscribe_succeeded"
    SUBSCRIBE_FAILED = "subscribe_failed"
    UNSUBSCRIBING = "unsubscribing"
    NOTIFY = "notify"
    TRANSFERRING = "transferring"
    TRANSFER = "transfer"
    RECORDINGUPDATED = "recordingupdated"
    RESET = "reset"
    ERROR = "error"


@dataclass(frozen=True)
class SipIncomingCall:
    """An INVITE to us, to answer with ``accept`` or ``decline``.

    Attributes:
        username: The caller's SIP URI.
        callee: The URI that was called.
        call_id: The SIP Call-ID.
        displayname: The caller's display name, if it sent one (without quotes).
        jsep: The offer (None for an offerless INVITE: ``accept`` then offers).
        result: The event's whole ``result`` object.
    """

    username: str
    callee: str
    call_id: str
    displayname: str | None
    jsep: JSON | None
    result: JSON


def sip_result(message: JSON) -> JSON | None:
    """Return the ``result`` of a SIP plugin message (whole message or plugin data)."""
    data = event_data(message)
    if data.get("sip") != "event":
        return None
    result = data.get("result")
    return result if isinstance(result, dict) else None


def sip_event_type(message: JSON) -> SipEventType | None:
    """Classify a SIP plugin message (a whole Janus message or its plugin data).

    Example:
        >>> sip_event_type({"sip": "event", "result": {"event": "registered"}})
        <SipEventType.REGISTERED: 'registered'>

    Returns:
        The event's kind, or None for anything else (core messages included).
    """
    return classify(message, "sip", SipEventType, _event_name)


def _event_name(message: JSON) -> str | None:
    result = sip_result(message)
    name = result.get("event") if result is not None else None
    return name if isinstance(name, str) else None


def _call_id(message: JSON) -> str | None:
    data = event_data(message)
    value = data.get("call_id")
    if isinstance(value, str):
        return value
    value = (sip_result(message) or {}).get("call_id")
    return value if isinstance(value, str) else None


def _new_call_id() -> str:
    """A random SIP Call-ID, as Janus makes them (24 letters and digits)."""
    return secrets.token_urlsafe(18).replace("-", "x").replace("_", "y")


_CALL_OUTCOMES = frozenset({"accepted", "hangup"})

_OUTCOMES: dict[str, tuple[frozenset[str], ...]] = {
    request: tuple(frozenset(names.split()) for names in row)
    for request, row in {
        # request: (Janus's acknowledging replies, the events that end it well, and badly)
        "register": ("registering", "registered", "registration_failed"),
        "unregister": ("unregistering", "unregistered", "registration_failed"),
        "call": ("calling", "accepted", "hangup"),
        "accept": ("accepting", "accepted", "hangup"),
        "update": ("updated updating", "accepted", "hangup"),
        "decline": ("declining", "hangup", ""),
        "hangup": ("hangingup", "hangup", ""),
        "subscribe": ("subscribing", "subscribe_succeeded", "subscribe_failed"),
        "unsubscribe": ("unsubscribing", "subscribe_succeeded", "subscribe_failed"),
        "hold": ("holding", "", ""),
        "unhold": ("resuming", "", ""),
        "dtmf_info": ("dtmfsent", "", ""),
        "info": ("infosent", "", ""),
        "message": ("messagesent", "", ""),
        "transfer": ("transferring", "", ""),
        "recording": ("recordingupdated", "", ""),
        "reset": ("reset", "", ""),
    }.items()
}


class JanusSipPlugin(WebRTCPlugin):
    """A handle on ``janus.plugin.sip``: one SIP account, one call at a time.

    Example:
        >>> sip = JanusSipPlugin()  # doctest: +SKIP
        >>> await sip.attach(session)  # doctest: +SKIP
        >>> await sip.register("sip:alice@example.com", secret="...",
        ...                    proxy="sip:example.com")  # doctest: +SKIP
        >>> await sip.call("sip:bob@example.com", source=microphone)  # doctest: +SKIP
        >>> await sip.send_dtmf("1")  # doctest: +SKIP
        >>> await sip.hangup()  # doctest: +SKIP

    Plugin errors raise [`SipError`][rxjanus.plugins.sip.SipError]; SIP failures (a refused
    REGISTER, an unanswered call) raise [`SipResponseError`][rxjanus.plugins.sip.SipResponseError].
    """

    name = "janus.plugin.sip"
    error_class = SipError
    classify_event = staticmethod(sip_event_type)

    janus_events: ClassVar[Mapping[str, str]] = {
        "registering": "the reply to register(), which then waits for the outcome",
        "registered": "returned by register(); events (SipEventType.REGISTERED)",
        "registration_failed": "raised by register() as SipResponseError (SIP code, reason); "
        "events (SipEventType.REGISTRATION_FAILED)",
        "unregistering": "the reply to unregister(), which then waits for the outcome "
        "(returned for a helper)",
        "unregistered": "returned by unregister(); events (SipEventType.UNREGISTERED)",
        "calling": "the reply to call(), which then waits for the answer (returned with "
        "wait_accepted=False)",
        "ringing": "events (SipEventType.RINGING)",
        "proceeding": "events (SipEventType.PROCEEDING)",
        "progress": "events (SipEventType.PROGRESS); its early-media answer is applied",
        "accepting": "the reply to accept() of an offerless INVITE, which then waits for accepted",
        "accepted": "returned by call() and accept(); events (SipEventType.ACCEPTED); the "
        "answer it carries is applied",
        "incomingcall": "wait_incoming_call() (SipIncomingCall); events "
        "(SipEventType.INCOMINGCALL)",
        "missed_call": "events (SipEventType.MISSED_CALL)",
        "updating": "the reply to update() with an offer, which then waits for accepted",
        "updatingcall": "events (SipEventType.UPDATINGCALL); answer with update(jsep)",
        "updated": "returned by update(jsep)",
        "holding": "returned by hold()",
        "resuming": "returned by unhold()",
        "declining": "the reply to decline(), which then waits for the hangup (returned "
        "by decline() of a transfer)",
        "hangingup": "the reply to hangup(), which then waits for the hangup; events "
        "(SipEventType.HANGINGUP) when Janus hangs up on its own",
        "hangup": "returned by hangup() and decline(); raised by call() as "
        "SipResponseError when the call ends unanswered; events (SipEventType.HANGUP)",
        "infosent": "returned by send_info()",
        "info": "events (SipEventType.INFO): a SIP INFO from the peer",
        "messagesent": "returned by send_message()",
        "message": "events (SipEventType.MESSAGE): a SIP MESSAGE from the peer",
        "messagedelivery": "events (SipEventType.MESSAGEDELIVERY): the peer's answer to our "
        "MESSAGE",
        "dtmfsent": "returned by send_dtmf()",
        "subscribing": "the reply to subscribe(), which then waits for the outcome",
        "subscribe_succeeded": "returned by subscribe() and unsubscribe(); events "
        "(SipEventType.SUBSCRIBE_SUCCEEDED)",
        "subscribe_failed": "raised by subscribe() and unsubscribe() as SipResponseError; "
        "events (SipEventType.SUBSCRIBE_FAILED)",
        "unsubscribing": "the reply to unsubscribe(), which then waits for the outcome",
        "notify": "events (SipEventType.NOTIFY)",
        "transferring": "returned by transfer()",
        "transfer": "events (SipEventType.TRANSFER): a REFER from the peer; refuse it with "
        "decline(refer_id=...) or follow it with call(refer_id=...)",
        "recordingupdated": "returned by recording()",
        "reset": "returned by reset()",
        "error": "raised as SipError (a PluginError) by the method that sent the request; "
        "events (SipEventType.ERROR) if unsolicited",
    }

    _username: str | None = None
    _master_id: int | None = None
    _helper: bool = False
    _in_call: bool = False
    _call_id: str | None = None
    _incoming: SipIncomingCall | None = None
    _pending_answer: bool = False

    def __init__(self, pc_config: RTCConfiguration | None = None, *, trickle: bool = True) -> None:
        super().__init__(pc_config, trickle=trickle)
        self._subscriptions: dict[str, str] = {}
        self._negotiations: set[asyncio.Task[None]] = set()

    # -- state ----------------------------------------------------------------------

    @property
    def username(self) -> str | None:
        """The SIP URI registered (or used as a guest), if any."""
        return self._username

    @property
    def master_id(self) -> int | None:
        """The id Janus gave this registration, to pass to ``helper`` registrations."""
        return self._master_id

    @property
    def in_call(self) -> bool:
        """Whether a call is being set up or up on this handle."""
        return self._in_call

    @property
    def call_id(self) -> str | None:
        """The SIP Call-ID of the current (or ringing) call."""
        return self._call_id

    @property
    def incoming_call(self) -> SipIncomingCall | None:
        """The call ringing now, if any."""
        return self._incoming

    # -- registration ---------------------------------------------------------------

    @sends("register")
    async def register(
        self,
        username: str,
        secret: str | None = None,
        proxy: str | None = None,
        *,
        type: Literal["guest", "helper"] | None = None,
        ha1_secret: str | None = None,
        authuser: str | None = None,
        display_name: str | None = None,
        user_agent: str | None = None,
        outbound_proxy: str | None = None,
        headers: Mapping[str, str] | None = None,
        contact_params: Mapping[str, str] | None = None,
        incoming_header_prefixes: list[str] | None = None,
        refresh: bool | None = None,
        master_id: int | None = None,
        register_ttl: int | None = None,
        send_register: bool | None = None,
        force_udp: bool | None = None,
        force_tcp: bool | None = None,
        sips: bool | None = None,
        rfc2543_cancel: bool | None = None,
        timeout: float = 30.0,
    ) -> JSON:
        """Register ``username`` (a SIP URI) and return once the registrar said yes.

        Args:
            username: The SIP URI, e.g. ``sip:alice@example.com``.
            secret: The password (a digest challenge is answered by Janus).
            proxy: The registrar, e.g. ``sip:example.com:5060``.
            type: ``"guest"`` (no REGISTER; calls out only) or ``"helper"``
                (an extra line of the registration ``master_id``).
            ha1_secret: A pre-hashed password instead of ``secret``.
            authuser: The user to authenticate as, if not the URI's.
            display_name: Our display name.
            user_agent: The User-Agent header.
            outbound_proxy: A proxy to send everything through.
            headers: Extra headers for the REGISTER.
            contact_params: Extra Contact URI parameters.
            incoming_header_prefixes: Custom header prefixes to report in events.
            refresh: Only refresh the current registration.
            master_id: The master registration of a ``helper``.
            register_ttl: Seconds the registration lasts.
            send_register: False: register without a REGISTER.
            force_udp: Use UDP for SIP.
            force_tcp: Use TCP for SIP.
            sips: Register a SIPS URI too.
            rfc2543_cancel: CANCEL INVITEs that had no provisional answer.
            timeout: Seconds to wait for the registrar.

        Returns:
            The ``registered`` result (``username``, ``register_sent``, ``master_id``).

        Raises:
            SipResponseError: The registrar refused (``registration_failed``:
                e.g. 403 for a wrong password).
            SipError: The plugin refused the request (e.g. 445, already registered).
        """
        body = request_body(
            "register",
            username=username,
            secret=secret,
            proxy=proxy,
            type=type,
            ha1_secret=ha1_secret,
            authuser=authuser,
            display_name=display_name,
            user_agent=user_agent,
            outbound_proxy=outbound_proxy,
            headers=headers,
            contact_params=contact_params,
            incoming_header_prefixes=incoming_header_prefixes,
            refresh=refresh,
            master_id=master_id,
            register_ttl=register_ttl,
            send_register=send_register,
            force_udp=force_udp,
            force_tcp=force_tcp,
            sips=sips,
            rfc2543_cancel=rfc2543_cancel,
        )
        result = await self._exchange(
            body,
            timeout=timeout,
        )
        self._username = username
        self._helper = type == "helper"
        master = result.get("master_id")
        self._master_id = master if isinstance(master, int) and master else None
        return result

    @sends("unregister")
    async def unregister(self, timeout: float = 30.0) -> JSON:
        """Unregister (a REGISTER with expiry 0 if one was sent at first).

        Returns:
            The ``unregistered`` result (``unregistering``'s for a helper).

        Raises:
            SipError: Not registered (447; a guest cannot unregister either).
        """
        result = await self._exchange(
            {"request": "unregister"},
            timeout=timeout,
            wait=not self._helper,  # a helper only leaves its master: no REGISTER
        )
        self._username = None
        self._master_id = None
        return result

    # -- calls ----------------------------------------------------------------------

    @sends("call")
    async def call(
        self,
        uri: str,
        source: MediaSource | None = None,
        *,
        audio: bool = True,
        video: bool = False,
        receive: tuple[MediaKind, ...] = ("audio",),
        call_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        srtp: Literal["sdes_optional", "sdes_mandatory"] | None = None,
        srtp_profile: str | None = None,
        secret: str | None = None,
        ha1_secret: str | None = None,
        authuser: str | None = None,
        refer_id: int | None = None,
        autoaccept_reinvites: bool | None = None,
        wait_accepted: bool = True,
        timeout: float = 60.0,
    ) -> JSON:
        """Call ``uri`` (an INVITE with our offer); return once the callee answered.

        Args:
            uri: Whom to call, e.g. ``sip:bob@example.com``.
            source: What to send (file, ``MediaPlayer`` or track).
            audio: Send the source's audio.
            video: Send the source's video.
            receive: Kinds to receive without sending them.
            call_id: The SIP Call-ID to use (default: a random one).
            headers: Extra headers for the INVITE.
            srtp: Offer (``sdes_optional``) or require (``sdes_mandatory``) SDES-SRTP.
            srtp_profile: The SRTP profile to offer.
            secret: A password, for an INVITE challenged without a REGISTER.
            ha1_secret: A pre-hashed password instead.
            authuser: The user to authenticate as.
            refer_id: The ``refer_id`` of a ``transfer`` event this call follows.
            autoaccept_reinvites: False: re-INVITEs come as ``updatingcall`` events.
            wait_accepted: Wait for the answer (default) or return on ``calling``.
            timeout: Seconds to wait, ringing included (the attempt is hung up then).

        Returns:
            The ``accepted`` result; if not waiting, the reply (``calling``, or a
            ``ringing``... that came first, which then also reaches ``events``).

        Raises:
            SipResponseError: The call ended unanswered (486 busy, 603 declined...).
            SipError: Not registered, already in a call, or a plugin error.
            TimeoutError: No answer in time.
        """
        if self._in_call:
            raise self._misuse("Already in a call")
        await self._wait_janus_idle()
        self._add_media(source, audio=audio, video=video, receive=receive)
        offer = await self.peer.create_offer()
        call_id = call_id or _new_call_id()
        body = request_body(
            "call",
            uri=uri,
            call_id=call_id,
            headers=headers,
            srtp=srtp,
            srtp_profile=srtp_profile,
            secret=secret,
            ha1_secret=ha1_secret,
            authuser=authuser,
            refer_id=refer_id,
            autoaccept_reinvites=autoaccept_reinvites,
        )
        self._in_call = True
        self._call_id = call_id
        self._pending_answer = True
        self._janus_idle.clear()
        try:
            result = await self._exchange(
                body,
                offer,
                timeout=timeout,
                wait=wait_accepted,
                after_ack=self._trickle_quietly,
                match=lambda m: _call_id(m) == call_id,
            )
        except TimeoutError:
            logger.info("call to %s timed out; hanging up", uri)
            await self._abandon_call()
            raise
        except BaseException:
            self._in_call = False
            self._pending_answer = False
            await self.reset_connection()
            raise
        if wait_accepted:
            await self._settle_negotiations()
        return result

    async def wait_incoming_call(self, timeout: float | None = None) -> SipIncomingCall:
        """Wait for an INVITE to us (or return the one ringing now).

        Raises:
            TimeoutError: Nobody called in time.
        """
        if self._incoming is not None:
            return self._incoming
        await self._wait_event(lambda m: _event_name(m) == "incomingcall", timeout)
        if self._incoming is None:
            raise InvalidStateError(f"{self!r}: the incoming call is gone already")
        return self._incoming

    @sends("accept")
    async def accept(
        self,
        source: MediaSource | None = None,
        *,
        jsep: JSON | None = None,
        audio: bool = True,
        video: bool = False,
        receive: tuple[MediaKind, ...] = ("audio",),
        srtp: Literal["sdes_optional", "sdes_mandatory"] | None = None,
        headers: Mapping[str, str] | None = None,
        autoaccept_reinvites: bool | None = None,
        timeout: float = 30.0,
    ) -> JSON:
        """Answer the incoming call (a 200 OK with our answer).

        Args:
            source: What to send back (file, ``MediaPlayer`` or track).
            jsep: The caller's offer (default: the ringing call's).
            audio: Send the source's audio.
            video: Send the source's video.
            receive: Kinds to receive, for an offerless INVITE (we offer then).
            srtp: SDES-SRTP optional or mandatory.
            headers: Extra headers for the 200 OK.
            autoaccept_reinvites: False: re-INVITEs come as ``updatingcall`` events.
            timeout: Seconds to wait for Janus (and, offerless, for the ACK's answer).

        Returns:
            The ``accepted`` result.

        Raises:
            SipError: No call is ringing (code 0), or a plugin error.
        """
        incoming = self._incoming
        if incoming is None and jsep is None:
            raise self._misuse("No incoming call to accept")
        offer = jsep if jsep is not None else (incoming.jsep if incoming else None)
        await self._wait_janus_idle()
        peer = self.peer
        self._add_media(source, audio=audio, video=video, receive=receive if offer is None else ())
        body = request_body(
            "accept",
            srtp=srtp,
            headers=headers,
            autoaccept_reinvites=autoaccept_reinvites,
        )
        try:
            if offer is not None:
                local = await peer.create_answer(offer)
            else:
                local = await peer.create_offer()
                self._pending_answer = True
            self._janus_idle.clear()
            result = await self._exchange(
                body,
                local,
                timeout=timeout,
                after_ack=self._trickle_quietly,
            )
        except BaseException:
            self._pending_answer = False
            await self.reset_connection()
            raise
        self._incoming = None
        self._in_call = True
        await self._settle_negotiations()
        return result

    @sends("decline")
    async def decline(
        self,
        code: int | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        refer_id: int | None = None,
        timeout: float = 30.0,
    ) -> JSON:
        """Refuse the incoming call (486 Busy Here unless ``code`` says otherwise).

        Note:
            Janus 1.1 then closes the handle's (not yet made) PeerConnection on
            a one-second timer: until it has, it answers new INVITEs to this
            handle 486 (a ``missed_call`` event), and ``reset`` would let a
            call in only for that timer to cut its media. Take the next call
            on another handle, or a second later.

        Args:
            code: The SIP status to answer with, e.g. 603.
            headers: Extra headers for the answer.
            refer_id: Decline this ``transfer`` (REFER) instead of a call.
            timeout: Seconds to wait for Janus.

        Returns:
            The ``hangup`` result that ends the declined call (``code`` is the
            status sent), or the ``declining`` result for a transfer.

        Raises:
            SipError: No call is ringing (code 0): Janus would not answer at all.
        """
        if refer_id is None and self._incoming is None:
            raise self._misuse("No incoming call to decline")
        body = request_body("decline", code=code, headers=headers, refer_id=refer_id)
        result = await self._exchange(
            body,
            timeout=timeout,
            wait=refer_id is None,
        )
        if refer_id is None:
            self._incoming = None
            self._in_call = False
        return result

    @sends("hangup")
    async def hangup(
        self, timeout: float | None = 30.0, *, headers: Mapping[str, str] | None = None
    ) -> JSON:
        """End the call (BYE), or cancel our ringing attempt (CANCEL).

        This is the SIP ``hangup`` request; the core hangup of the
        PeerConnection is
        [`hangup_peer_connection`][rxjanus.plugins.webrtc.WebRTCPlugin.hangup_peer_connection]. A
        call ringing *to* us is refused with [`decline`][rxjanus.plugins.sip.JanusSipPlugin.decline]
        instead.

        Returns:
            The ``hangup`` result (``code``, ``reason``).

        Raises:
            SipError: No call (code 0): Janus would not answer at all.
        """
        if self._incoming is not None and not self._in_call:
            raise self._misuse("The call is ringing: decline it instead")
        if not self._in_call:
            raise self._misuse("Not in a call")
        body = request_body("hangup", headers=headers)
        call_id = self._call_id
        try:
            result = await self._exchange(
                body,
                timeout=30.0 if timeout is None else timeout,
                match=lambda m: call_id is None or _call_id(m) in (None, call_id),
            )
        finally:
            self._in_call = False
            self._pending_answer = False
            await self.reset_connection()
        return result

    @sends("update")
    async def update(
        self,
        jsep: JSON | None = None,
        *,
        timeout: float = 30.0,
    ) -> JSON:
        """Renegotiate the call (a re-INVITE), or answer the peer's (``updatingcall``).

        Args:
            jsep: The offer of an ``updatingcall`` event to answer. Without one
                we make a new offer (with an ICE restart) and apply the answer.
            timeout: Seconds to wait.

        Returns:
            ``updated`` when answering; ``accepted`` (the peer's answer) when offering.
        """
        if not self._in_call:
            raise self._misuse("Not in a call")
        peer = self.peer
        if jsep is not None:
            answer = await peer.create_answer(jsep)
            result = await self._exchange(
                {"request": "update"}, answer, timeout=timeout, wait=False
            )
            await self._trickle_quietly()
            return result
        await peer.pc.setLocalDescription(await peer.pc.createOffer())
        offer = dict(peer.local_jsep())
        offer["update"] = True
        self._pending_answer = True
        result = await self._exchange(
            {"request": "update"},
            offer,
            timeout=timeout,
            after_ack=self._trickle_quietly,
        )
        await self._settle_negotiations()
        return result

    @sends("hold")
    async def hold(
        self,
        direction: Literal["sendonly", "recvonly", "inactive"] | None = None,
        *,
        timeout: float = 30.0,
    ) -> JSON:
        """Put the call on hold (a re-INVITE with ``direction``, sendonly by default).

        Note:
            Janus 1.1 answers ``hold`` and ``unhold`` only when no re-INVITE is
            under way; during one it ignores the request, and this method
            then raises ``TimeoutError``. Wait for the peer's answer to the last
            re-INVITE first.

        Returns:
            The ``holding`` result.

        Raises:
            SipError: Not in a call (code 0): Janus would not answer at all.
        """
        if not self._in_call:
            raise self._misuse("Not in a call")
        body = request_body("hold", direction=direction)
        return await self._exchange(body, timeout=timeout, wait=False)

    @sends("unhold")
    async def unhold(self, *, timeout: float = 30.0) -> JSON:
        """Resume the call held with [`hold`][..hold] (a re-INVITE; see the note there).

        Returns:
            The ``resuming`` result.
        """
        if not self._in_call:
            raise self._misuse("Not in a call")
        return await self._exchange({"request": "unhold"}, timeout=timeout, wait=False)

    # -- in-call and out-of-call messages -------------------------------------------

    @sends("dtmf_info")
    async def send_dtmf(
        self,
        digit: str,
        *,
        duration: int | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
    ) -> JSON:
        """Send a DTMF digit in a SIP INFO (``application/dtmf-relay``), the ``dtmf_info`` request.

        Args:
            digit: ``0``-``9``, ``*``, ``#``, ``A``-``D``.
            duration: Milliseconds (Janus's default: 160).
            headers: Extra headers for the INFO.
            timeout: Seconds to wait for Janus.

        Returns:
            The ``dtmfsent`` result.
        """
        body = request_body("dtmf_info", digit=digit, duration=duration, headers=headers)
        return await self._exchange(body, timeout=timeout, wait=False)

    @sends("info")
    async def send_info(
        self,
        type: str,
        content: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
    ) -> JSON:
        """Send a SIP INFO in the call, with ``content`` of content type ``type``.

        Returns:
            The ``infosent`` result.
        """
        body = request_body("info", type=type, content=content, headers=headers)
        return await self._exchange(body, timeout=timeout, wait=False)

    @sends("message")
    async def send_message(
        self,
        content: str,
        *,
        uri: str | None = None,
        content_type: str | None = None,
        call_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
    ) -> JSON:
        """Send a SIP MESSAGE: in the call, or to ``uri`` out of dialog (when registered).

        The peer's answer arrives later as a ``messagedelivery`` event.

        Returns:
            The ``messagesent`` result.
        """
        body = request_body(
            "message",
            content=content,
            uri=uri,
            content_type=content_type,
            call_id=call_id,
            headers=headers,
        )
        return await self._exchange(body, timeout=timeout, wait=False)

    @sends("subscribe")
    async def subscribe(
        self,
        event: str,
        *,
        to: str | None = None,
        accept: str | None = None,
        subscribe_ttl: int | None = None,
        call_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
    ) -> JSON:
        """SUBSCRIBE to ``event`` (e.g. ``message-summary``); NOTIFYs come as ``notify`` events.

        Returns:
            The ``subscribe_succeeded`` result.

        Raises:
            SipResponseError: The SUBSCRIBE failed (``subscribe_failed``).
        """
        # Janus keeps one SIP dialog per event package: its Call-ID tells our
        # outcome from the late outcome of an earlier (un)subscription.
        call_id = self._subscriptions.setdefault(event, call_id or _new_call_id())
        body = request_body(
            "subscribe",
            event=event,
            to=to,
            accept=accept,
            subscribe_ttl=subscribe_ttl,
            call_id=call_id,
            headers=headers,
        )
        return await self._exchange(
            body,
            timeout=timeout,
            match=lambda m: _call_id(m) == call_id,
        )

    @sends("unsubscribe")
    async def unsubscribe(
        self, event: str, *, to: str | None = None, timeout: float = 30.0
    ) -> JSON:
        """End the subscription to ``event`` (a SUBSCRIBE with expiry 0).

        Returns:
            The outcome of that SUBSCRIBE (``subscribe_succeeded``, ``code`` 200).

        Raises:
            SipResponseError: The peer refused it (``subscribe_failed``).
            SipError: Not subscribed to ``event`` (447).
        """
        call_id = self._subscriptions.get(event)
        body = request_body("unsubscribe", event=event, to=to)
        return await self._exchange(
            body,
            timeout=timeout,
            match=lambda m: _call_id(m) == call_id,
            wait=call_id is not None,
        )

    @sends("transfer")
    async def transfer(
        self, uri: str, *, replace: str | None = None, timeout: float = 30.0
    ) -> JSON:
        """Transfer the peer to ``uri`` (a REFER): blind, or attended replacing call ``replace``.

        Returns:
            The ``transferring`` result; progress comes as ``notify`` events.
        """
        body = request_body("transfer", uri=uri, replace=replace)
        return await self._exchange(body, timeout=timeout, wait=False)

    @sends("recording")
    async def recording(
        self,
        action: Literal["start", "stop"],
        *,
        audio: bool | None = None,
        video: bool | None = None,
        peer_audio: bool | None = None,
        peer_video: bool | None = None,
        send_peer_pli: bool | None = None,
        filename: str | None = None,
        timeout: float = 30.0,
    ) -> JSON:
        """Start or stop recording the call on the server (.mjr files).

        Args:
            action: ``start`` or ``stop``.
            audio: Our audio.
            video: Our video.
            peer_audio: The peer's audio.
            peer_video: The peer's video.
            send_peer_pli: Ask the peer for a keyframe.
            filename: The base path of the recordings.
            timeout: Seconds to wait for Janus.

        Returns:
            The ``recordingupdated`` result.
        """
        body = request_body(
            "recording",
            action=action,
            audio=audio,
            video=video,
            peer_audio=peer_audio,
            peer_video=peer_video,
            send_peer_pli=send_peer_pli,
            filename=filename,
        )
        return await self._exchange(body, timeout=timeout, wait=False)

    # Not in the header's list of requests, but handled by janus_sip.c 1.1.2.
    @sends("reset")
    async def reset(self, timeout: float = 30.0) -> JSON:
        """Clear a call state Janus may keep after a call (its ``reset`` request).

        Returns:
            The ``reset`` result.
        """
        return await self._exchange({"request": "reset"}, timeout=timeout, wait=False)

    # -- internals ------------------------------------------------------------------

    async def _exchange(
        self,
        body: JSON,
        jsep: JSON | None = None,
        *,
        timeout: float,
        wait: bool = True,
        after_ack: Callable[[], Any] | None = None,
        match: Callable[[JSON], bool] | None = None,
    ) -> JSON:
        """Send ``body`` and return the ``result`` of the message that ends it.

        Janus answers at once with one of its ``acks`` and reports the outcome
        (one of ``done`` or ``failed``, see ``_OUTCOMES``) later, which is
        awaited unless ``wait`` is False; an outcome may also come first,
        with our transaction. A reply that is neither is an unrelated event
        that carried our transaction (Janus stamps a call's events with the
        transaction of its ``call``/``accept``): it is emitted on ``events``,
        and our reply is then awaited there.
        """
        acks, done, failed = _OUTCOMES[body["request"]]
        outcomes = done | failed

        def is_outcome(message: JSON) -> bool:
            if "error_code" in (plugin_data(message) or {}):
                return False
            return _event_name(message) in outcomes and (match is None or match(message))

        waiter = self._next_event(is_outcome) if wait and outcomes else None
        # If an unrelated event takes our transaction, our reply comes as an event.
        late_reply = self._next_event(lambda m: _event_name(m) in acks or is_outcome(m))
        try:
            async with asyncio.timeout(timeout):
                with plugin_errors(SipError):
                    reply = await self.send(body, jsep, timeout=timeout)
                name = _event_name(reply)
                if name not in acks and name not in outcomes:
                    self.receive(reply)  # an event that took our transaction
                    reply = await late_reply
                    name = _event_name(reply)
                elif name in outcomes:
                    self.receive(reply)  # an outcome is an event, whenever it comes
                if after_ack is not None:
                    await after_ack()
                if waiter is None or name in outcomes:
                    outcome = reply
                else:
                    outcome = await waiter
        finally:
            late_reply.cancel()
            if waiter is not None:
                waiter.cancel()
        name = _event_name(outcome)
        if name in failed:
            result = sip_result(outcome) or {}
            raise SipResponseError(
                int(result.get("code") or 0), str(result.get("reason") or ""), name or "", result
            )
        return sip_result(outcome) or {}

    async def _settle_negotiations(self) -> None:
        """Wait for the answers being applied (from ``accepted``/``progress`` events)."""
        while self._negotiations:
            await asyncio.gather(*list(self._negotiations), return_exceptions=True)

    async def _apply_answer(self, jsep: JSON) -> None:
        peer = self._peer
        if peer is None or peer.closed:
            return
        try:
            await peer.set_remote_description(jsep)
        except Exception:
            logger.exception("%r: could not apply the SIP peer's answer", self)

    async def _abandon_call(self) -> None:
        """Hang up a call attempt we give up on; errors are only logged."""
        in_call, self._in_call, self._pending_answer = self._in_call, False, False
        await (self._abandon("hangup") if in_call else self.reset_connection())

    def _on_event(self, message: JSON) -> None:
        super()._on_event(message)
        if message.get("janus") == "hangup":
            return
        name = _event_name(message)
        if name is None:
            return
        result = sip_result(message) or {}
        jsep = message.get("jsep")
        if name == "incomingcall":
            self._call_id = _call_id(message)
            displayname = result.get("displayname")
            self._incoming = SipIncomingCall(
                username=str(result.get("username", "")),
                callee=str(result.get("callee", "")),
                call_id=self._call_id or "",
                displayname=displayname.strip('"') if isinstance(displayname, str) else None,
                jsep=jsep if isinstance(jsep, dict) else None,
                result=result,
            )
        elif name in ("calling", "ringing", "proceeding") and self._in_call:
            self._call_id = _call_id(message) or self._call_id
        elif name in ("progress", "accepted"):
            self._call_id = _call_id(message) or self._call_id
            if isinstance(jsep, dict) and self._pending_answer and jsep.get("type") == "answer":
                self._pending_answer = False
                task = asyncio.get_running_loop().create_task(self._apply_answer(jsep))
                self._negotiations.add(task)
                task.add_done_callback(self._negotiations.discard)
            if name == "accepted":
                self._in_call = True
        elif name == "hangup":
            if _call_id(message) != self._call_id:
                # Another call's end, e.g. one Janus refused as busy (missed_call).
                return
            logger.info(
                "%s: call %s ended: %s %s",
                self.name,
                _call_id(message),
                result.get("code"),
                result.get("reason"),
            )
            self._in_call = False
            self._pending_answer = False
            self._incoming = None
            self._spawn(self.reset_connection())
        elif name in ("unregistered", "registration_failed"):
            self._username = None

    async def _teardown(self) -> None:
        self._subscriptions.clear()
        self._username = None
        self._in_call = False
        self._incoming = None
        self._pending_answer = False
        for task in list(self._negotiations):
            task.cancel()
        await super()._teardown()
