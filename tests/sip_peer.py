"""A small SIP peer for the SIP plugin tests: registrar, user agent and RTP echo, on UDP loopback.

It is just enough SIP (RFC 3261 over UDP on 127.0.0.1, no retransmissions:
loopback does not lose datagrams) to stand in for a PBX and a phone:

* **registrar**: answers ``REGISTER`` with a digest challenge (401), then 200
  with the right credentials or 403 with wrong ones, and remembers the contact;
* **callee** (an INVITE to the peer): answers by the user part of the
  request URI: ``busy...`` gets 486, ``reject...`` 603, ``noanswer...`` only
  180; ``early...`` 183 with the SDP answer, then 200; anything else 100,
  180 and 200 with an SDP answer. In a call it answers
  re-INVITEs (mirroring the direction), ``BYE``, ``INFO``, ``MESSAGE``,
  ``REFER`` (202) and ``SUBSCRIBE`` (200, then a ``NOTIFY``; 489 for an event
  package other than ``message-summary``);
* **caller**: :meth:`SipPeer.invite` calls a registered user with an SDP
  offer (or none: then it answers in the ACK) and ACKs the final answer;
  :meth:`SipPeer.reinvite` changes the call's media direction;
  :meth:`SipPeer.request` sends BYE, INFO, MESSAGE... in a dialog;
* **media**: every call has an :class:`RtpEcho` that counts the RTP packets it
  gets and sends each one back to the address in the other side's SDP.

Everything it receives is kept in :attr:`SipPeer.received`; tests wait on it
with :meth:`SipPeer.wait_message`, never with sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
REALM = "rxjanus.test"

_COMPACT = {
    "v": "via",
    "f": "from",
    "t": "to",
    "i": "call-id",
    "m": "contact",
    "l": "content-length",
    "c": "content-type",
    "k": "supported",
    "o": "event",
    "r": "refer-to",
    "b": "referred-by",
    "s": "subject",
    "u": "allow-events",
}


@dataclass
class SipMessage:
    """One SIP request or response as received or sent."""

    start: str
    headers: list[tuple[str, str]]
    body: str = ""
    source: tuple[str, int] = (HOST, 0)

    @classmethod
    def parse(cls, data: bytes, source: tuple[str, int]) -> SipMessage:
        """Parse a datagram (headers folded per line, compact names expanded)."""
        text = data.decode("utf-8", errors="replace")
        head, _, body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and headers:
                name, value = headers[-1]
                headers[-1] = (name, f"{value} {line.strip()}")
                continue
            name, _, value = line.partition(":")
            key = name.strip().lower()
            headers.append((_COMPACT.get(key, key), value.strip()))
        return cls(lines[0], headers, body, source)

    @property
    def is_request(self) -> bool:
        return not self.start.startswith("SIP/2.0")

    @property
    def method(self) -> str:
        """The request's method, or the CSeq method of a response."""
        if self.is_request:
            return self.start.split(" ", 1)[0]
        return self.cseq[1]

    @property
    def uri(self) -> str:
        return self.start.split(" ")[1]

    @property
    def status(self) -> int:
        return int(self.start.split(" ")[1]) if not self.is_request else 0

    @property
    def reason(self) -> str:
        return self.start.split(" ", 2)[2] if not self.is_request else ""

    def header(self, name: str) -> str | None:
        """The first value of header ``name``."""
        values = self.all(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        """Every value of header ``name`` (Via lines split on commas)."""
        key = name.lower()
        values = [value for header, value in self.headers if header == key]
        if key == "via":
            return [part.strip() for value in values for part in value.split(",")]
        return values

    @property
    def call_id(self) -> str:
        return self.header("call-id") or ""

    @property
    def cseq(self) -> tuple[int, str]:
        number, _, method = (self.header("cseq") or "0 ?").partition(" ")
        return int(number), method.strip()

    @property
    def user(self) -> str:
        """The user part of the request URI."""
        return _user_of(self.uri)

    def encode(self) -> bytes:
        body = self.body.encode()
        lines = [self.start]
        lines += [
            f"{_title(name)}: {value}" for name, value in self.headers if name != "content-length"
        ]
        lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    def __repr__(self) -> str:
        return f"<SipMessage {self.start!r} call-id={self.call_id}>"


def _title(name: str) -> str:
    special = {"call-id": "Call-ID", "cseq": "CSeq", "www-authenticate": "WWW-Authenticate"}
    return special.get(name, "-".join(part.capitalize() for part in name.split("-")))


def _user_of(uri: str) -> str:
    match = re.search(r"sips?:([^@;>]+)@", uri)
    return match.group(1) if match else ""


def _tag_of(value: str) -> str | None:
    match = re.search(r";\s*tag=([^;>\s]+)", value)
    return match.group(1) if match else None


def _uri_of(value: str) -> str:
    """The URI of a From/To/Contact value (inside <> if there are some)."""
    match = re.search(r"<([^>]+)>", value)
    return match.group(1) if match else value.split(";")[0].strip()


def _address_of(uri: str) -> tuple[str, int]:
    match = re.search(r"sips?:(?:[^@]+@)?([^:;>]+)(?::(\d+))?", uri)
    if match is None:
        raise ValueError(f"no address in {uri!r}")
    return match.group(1), int(match.group(2) or 5060)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def _auth_params(value: str) -> dict[str, str]:
    scheme, _, rest = value.partition(" ")
    params = dict(re.findall(r'(\w+)\s*=\s*"?([^",]*)"?', rest))
    params["scheme"] = scheme
    return params


# -- SDP ---------------------------------------------------------------------------


@dataclass
class MediaLine:
    """One m= section of an SDP, as far as the peer cares."""

    kind: str
    port: int
    payload_types: list[str]
    rtpmaps: dict[str, str]
    fmtps: dict[str, str]
    direction: str
    address: str


def parse_sdp(sdp: str) -> list[MediaLine]:
    """The m= sections of ``sdp``, with their connection address."""
    session_address = HOST
    lines: list[MediaLine] = []
    for raw in sdp.splitlines():
        line = raw.strip()
        if line.startswith("c=") and not lines:
            session_address = line.split()[-1]
        elif line.startswith("m="):
            parts = line[2:].split()
            lines.append(
                MediaLine(parts[0], int(parts[1]), parts[3:], {}, {}, "sendrecv", session_address)
            )
        elif lines and line.startswith("c="):
            lines[-1].address = line.split()[-1]
        elif lines and line.startswith("a=rtpmap:"):
            pt, _, codec = line[len("a=rtpmap:") :].partition(" ")
            lines[-1].rtpmaps[pt] = codec
        elif lines and line.startswith("a=fmtp:"):
            pt, _, params = line[len("a=fmtp:") :].partition(" ")
            lines[-1].fmtps[pt] = params
        elif lines and line[2:] in ("sendrecv", "sendonly", "recvonly", "inactive"):
            lines[-1].direction = line[2:]
    return lines


_MIRROR = {"sendonly": "recvonly", "recvonly": "sendonly"}


def _sdp(media: list[str], version: int) -> str:
    head = [
        "v=0",
        f"o=sippeer 1 {version} IN IP4 {HOST}",
        "s=sip-peer",
        f"c=IN IP4 {HOST}",
        "t=0 0",
    ]
    return "\r\n".join(head + media) + "\r\n"


# -- RTP ---------------------------------------------------------------------------


class _Rtp(asyncio.DatagramProtocol):
    def __init__(self, echo: RtpEcho, rtcp: bool) -> None:
        self.echo = echo
        self.rtcp = rtcp
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if not self.rtcp:
            self.echo.on_rtp(data, addr)


class RtpEcho:
    """An RTP (and RTCP) socket pair that counts packets and echoes them back.

    Attributes:
        received: RTP packets received.
        echoed: RTP packets sent back.
        payload_types: Payload types seen, with their counts.
        remote: Where echoed packets go (from the other side's SDP).
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.received = 0
        self.echoed = 0
        self.payload_types: dict[int, int] = {}
        self.remote: tuple[str, int] | None = None
        self.echo = True
        self.port = 0
        self._rtp: _Rtp | None = None
        self._rtcp: _Rtp | None = None
        self._changed = asyncio.Event()

    async def open(self) -> None:
        """Bind an even RTP port and the RTCP port after it, on loopback."""
        loop = asyncio.get_running_loop()
        for _ in range(50):
            port = 2 * secrets.randbelow(5000) + 20000
            try:
                _, rtp = await loop.create_datagram_endpoint(
                    lambda: _Rtp(self, False), local_addr=(HOST, port)
                )
            except OSError:
                continue
            try:
                _, rtcp = await loop.create_datagram_endpoint(
                    lambda: _Rtp(self, True), local_addr=(HOST, port + 1)
                )
            except OSError:
                assert rtp.transport is not None
                rtp.transport.close()
                continue
            self._rtp, self._rtcp, self.port = rtp, rtcp, port
            return
        raise OSError("no free RTP port pair on loopback")

    def on_rtp(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) < 12 or data[0] >> 6 != 2:
            return
        self.received += 1
        pt = data[1] & 0x7F
        self.payload_types[pt] = self.payload_types.get(pt, 0) + 1
        if self.echo and self.remote is not None and self._rtp and self._rtp.transport:
            self._rtp.transport.sendto(data, self.remote)
            self.echoed += 1
        self._changed.set()

    async def wait_received(self, count: int, timeout: float = 30.0) -> None:
        """Wait until ``count`` RTP packets have arrived."""
        async with asyncio.timeout(timeout):
            while self.received < count:
                self._changed.clear()
                await self._changed.wait()

    def close(self) -> None:
        for endpoint in (self._rtp, self._rtcp):
            if endpoint is not None and endpoint.transport is not None:
                endpoint.transport.close()


# -- dialogs -----------------------------------------------------------------------


@dataclass
class PeerCall:
    """A call (dialog) the peer takes part in.

    Attributes:
        outgoing: The peer sent the INVITE (else Janus did).
        final: The INVITE's final status (200, 486...), once known.
        remote_sdp: The other side's SDP.
        media: One :class:`RtpEcho` per accepted m= line, by kind.
    """

    call_id: str
    outgoing: bool
    local_header: str  # our From (outgoing) or To (incoming) value, with our tag
    remote_header: str  # theirs, with their tag once known
    remote_target: str = ""
    remote_addr: tuple[str, int] = (HOST, 0)
    local_cseq: int = 1
    final: int | None = None
    remote_sdp: str = ""
    media: dict[str, RtpEcho] = field(default_factory=dict)
    ended: bool = False
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    invite: SipMessage | None = None
    sent_invites: dict[int, SipMessage] = field(default_factory=dict)
    sdp_version: int = 1

    def rtp_received(self) -> int:
        return sum(echo.received for echo in self.media.values())

    async def wait_final(self, timeout: float = 30.0) -> int:
        """Wait for the INVITE's final status."""
        async with asyncio.timeout(timeout):
            while self.final is None:
                self.changed.clear()
                await self.changed.wait()
        return self.final


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, peer: SipPeer) -> None:
        self.peer = peer

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            message = SipMessage.parse(data, addr)
        except Exception:
            logger.exception("sip peer: could not parse a datagram from %s", addr)
            return
        try:
            self.peer.on_message(message)
        except Exception:
            logger.exception("sip peer: failed on %r", message)


class SipPeer:
    """The SIP peer: start it with ``async with SipPeer(users={...}) as peer``.

    Args:
        users: Usernames and passwords the registrar accepts.
    """

    def __init__(self, users: dict[str, str] | None = None) -> None:
        self.users = dict(users or {})
        self.port = 0
        self.received: list[SipMessage] = []
        self.sent: list[SipMessage] = []
        self.registrations: dict[str, str] = {}
        self.calls: dict[str, PeerCall] = {}
        self.event_packages = {"message-summary"}
        self.notify_body = "Messages-Waiting: yes\r\nVoice-Message: 2/8 (0/2)\r\n"
        self._transport: asyncio.DatagramTransport | None = None
        self._changed = asyncio.Event()
        self._nonces: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> SipPeer:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self), local_addr=(HOST, 0)
        )
        self._transport = transport
        self.port = transport.get_extra_info("sockname")[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for call in self.calls.values():
            for echo in call.media.values():
                echo.close()
        if self._transport is not None:
            self._transport.close()

    @property
    def uri(self) -> str:
        """The peer's own SIP URI (``sip:127.0.0.1:<port>``)."""
        return f"sip:{HOST}:{self.port}"

    def user_uri(self, user: str) -> str:
        return f"sip:{user}@{HOST}:{self.port}"

    # -- waiting --------------------------------------------------------------------

    async def wait_message(
        self, predicate: Callable[[SipMessage], bool], timeout: float = 30.0
    ) -> SipMessage:
        """Wait for (or find) a received message that satisfies ``predicate``."""
        async with asyncio.timeout(timeout):
            while True:
                for message in self.received:
                    if predicate(message):
                        return message
                self._changed.clear()
                await self._changed.wait()

    async def wait_request(
        self, method: str, call_id: str | None = None, timeout: float = 30.0
    ) -> SipMessage:
        """Wait for a ``method`` request (in the call ``call_id``, if given)."""
        return await self.wait_message(
            lambda m: (
                m.is_request and m.method == method and (call_id is None or m.call_id == call_id)
            ),
            timeout,
        )

    def requests(self, method: str, call_id: str | None = None) -> list[SipMessage]:
        return [
            m
            for m in self.received
            if m.is_request and m.method == method and (call_id is None or m.call_id == call_id)
        ]

    async def wait_call(self, user: str, timeout: float = 30.0) -> PeerCall:
        """Wait for an INVITE to ``user`` and return its call."""
        invite = await self.wait_message(
            lambda m: m.is_request and m.method == "INVITE" and m.user == user, timeout
        )
        return self.calls[invite.call_id]

    # -- sending --------------------------------------------------------------------

    def _send(self, message: SipMessage, addr: tuple[str, int]) -> None:
        assert self._transport is not None
        self.sent.append(message)
        self._transport.sendto(message.encode(), addr)

    def _respond(
        self,
        request: SipMessage,
        status: int,
        reason: str,
        extra: list[tuple[str, str]] | None = None,
        body: str = "",
        to_tag: str | None = None,
    ) -> None:
        vias = request.all("via")
        if vias and ";rport" in vias[0] and not re.search(r";rport=\d", vias[0]):
            port = request.source[1]
            vias[0] = vias[0].replace(";rport", f";received={request.source[0]};rport={port}", 1)
        to = request.header("to") or ""
        if to_tag is not None and _tag_of(to) is None:
            to = f"{to};tag={to_tag}"
        headers = [("via", via) for via in vias]
        headers += [
            ("from", request.header("from") or ""),
            ("to", to),
            ("call-id", request.call_id),
            ("cseq", request.header("cseq") or ""),
            ("server", "rxjanus-sip-peer"),
        ]
        headers += extra or []
        if body:
            headers.append(("content-type", "application/sdp"))
        self._send(SipMessage(f"SIP/2.0 {status} {reason}", headers, body), request.source)

    def _request_headers(self, call: PeerCall, method: str, cseq: int) -> list[tuple[str, str]]:
        branch = "z9hG4bK" + secrets.token_hex(8)
        return [
            ("via", f"SIP/2.0/UDP {HOST}:{self.port};branch={branch};rport"),
            ("max-forwards", "70"),
            ("from", call.local_header),
            ("to", call.remote_header),
            ("call-id", call.call_id),
            ("cseq", f"{cseq} {method}"),
            ("contact", f"<{self.user_uri('peer')}>"),
            ("user-agent", "rxjanus-sip-peer"),
        ]

    def request(
        self,
        call: PeerCall,
        method: str,
        body: str = "",
        content_type: str | None = None,
        extra: list[tuple[str, str]] | None = None,
    ) -> SipMessage:
        """Send ``method`` in the dialog of ``call`` (BYE, INFO, MESSAGE, NOTIFY...)."""
        call.local_cseq += 1
        headers = self._request_headers(call, method, call.local_cseq)
        headers += extra or []
        if content_type:
            headers.append(("content-type", content_type))
        message = SipMessage(f"{method} {call.remote_target} SIP/2.0", headers, body)
        self._send(message, call.remote_addr)
        if method == "BYE":
            self._end(call)
        return message

    async def invite(
        self, user: str, *, display: str = "Peer Caller", offer: bool = True
    ) -> PeerCall:
        """Call the registered ``user`` with an audio offer (opus, PCMU), or none.

        Without an offer (``offer=False``) the answer's SDP is an offer, and the
        peer answers it in the ACK.
        """
        contact = self.registrations[user]
        echo = RtpEcho("audio")
        await echo.open()
        call_id = secrets.token_hex(10) + "@sip-peer"
        tag = secrets.token_hex(4)
        call = PeerCall(
            call_id=call_id,
            outgoing=True,
            local_header=f'"{display}" <{self.user_uri("caller")}>;tag={tag}',
            remote_header=f"<sip:{user}@{HOST}>",
            remote_target=contact,
            remote_addr=_address_of(contact),
            media={"audio": echo},
        )
        self.calls[call_id] = call
        invite = self._send_invite(call, self._offer_sdp(call, "sendrecv") if offer else "")
        call.invite = invite
        return call

    def reinvite(self, call: PeerCall, direction: str = "sendonly") -> SipMessage:
        """Send a re-INVITE in ``call`` with our audio in ``direction``."""
        call.local_cseq += 1
        call.sdp_version += 1
        return self._send_invite(call, self._offer_sdp(call, direction))

    def _offer_sdp(self, call: PeerCall, direction: str) -> str:
        return _sdp(
            [
                f"m=audio {call.media['audio'].port} RTP/AVP 111 0",
                "a=rtpmap:111 opus/48000/2",
                "a=rtpmap:0 PCMU/8000",
                f"a={direction}",
            ],
            call.sdp_version,
        )

    def _send_invite(self, call: PeerCall, sdp: str) -> SipMessage:
        headers = self._request_headers(call, "INVITE", call.local_cseq)
        if sdp:
            headers.append(("content-type", "application/sdp"))
        invite = SipMessage(f"INVITE {call.remote_target} SIP/2.0", headers, sdp)
        call.sent_invites[call.local_cseq] = invite
        self._send(invite, call.remote_addr)
        return invite

    def cancel(self, call: PeerCall) -> None:
        """CANCEL an INVITE the peer sent that has no final answer yet."""
        assert call.invite is not None
        invite = call.invite
        headers = [
            ("via", invite.all("via")[0]),
            ("max-forwards", "70"),
            ("from", invite.header("from") or ""),
            ("to", invite.header("to") or ""),
            ("call-id", call.call_id),
            ("cseq", f"{invite.cseq[0]} CANCEL"),
        ]
        self._send(SipMessage(f"CANCEL {invite.uri} SIP/2.0", headers), call.remote_addr)

    # -- receiving ------------------------------------------------------------------

    def on_message(self, message: SipMessage) -> None:
        logger.debug("sip peer got %s from %s", message.start, message.source)
        if message.is_request:
            self._on_request(message)
        else:
            self._on_response(message)
        self.received.append(message)
        self._changed.set()

    def _on_request(self, request: SipMessage) -> None:
        method = request.method
        if method == "REGISTER":
            self._on_register(request)
        elif method == "INVITE":
            self._on_invite(request)
        elif method == "ACK":
            pass
        elif method == "CANCEL":
            self._respond(request, 200, "OK")
            call = self.calls.get(request.call_id)
            if call is not None and call.invite is not None and call.final is None:
                call.final = 487
                self._respond(
                    call.invite, 487, "Request Terminated", to_tag=_tag_of(call.local_header)
                )
                self._end(call)
        elif method == "BYE":
            self._respond(request, 200, "OK")
            call = self.calls.get(request.call_id)
            if call is not None:
                self._end(call)
        elif method == "SUBSCRIBE":
            self._on_subscribe(request)
        elif method == "REFER":
            self._respond(request, 202, "Accepted", to_tag=secrets.token_hex(4))
        elif method in ("INFO", "MESSAGE", "NOTIFY", "OPTIONS", "UPDATE"):
            self._respond(request, 200, "OK", to_tag=secrets.token_hex(4))
        else:
            self._respond(request, 405, "Method Not Allowed")

    def _on_register(self, request: SipMessage) -> None:
        user = _user_of(_uri_of(request.header("to") or ""))
        authorization = request.header("authorization")
        if authorization is None:
            nonce = secrets.token_hex(16)
            self._nonces.add(nonce)
            challenge = f'Digest realm="{REALM}", nonce="{nonce}", algorithm=MD5, qop="auth"'
            self._respond(
                request, 401, "Unauthorized", [("www-authenticate", challenge)], to_tag="reg"
            )
            return
        params = _auth_params(authorization)
        password = self.users.get(params.get("username", ""))
        if password is None or params.get("nonce") not in self._nonces:
            self._respond(request, 403, "Forbidden", to_tag="reg")
            return
        ha1 = _md5(f"{params['username']}:{params.get('realm', '')}:{password}")
        ha2 = _md5(f"REGISTER:{params.get('uri', '')}")
        if params.get("qop"):
            expected = _md5(
                f"{ha1}:{params['nonce']}:{params.get('nc', '')}:{params.get('cnonce', '')}"
                f":{params['qop']}:{ha2}"
            )
        else:
            expected = _md5(f"{ha1}:{params['nonce']}:{ha2}")
        if params.get("response") != expected:
            self._respond(request, 403, "Forbidden", to_tag="reg")
            return
        contact = request.header("contact") or ""
        expires = request.header("expires") or "3600"
        if expires.strip() == "0" or "expires=0" in contact:
            self.registrations.pop(user, None)
        else:
            self.registrations[user] = _uri_of(contact)
        self._respond(
            request,
            200,
            "OK",
            [("contact", f"{contact};expires={expires}"), ("expires", expires)],
            to_tag="reg",
        )

    def _on_invite(self, request: SipMessage) -> None:
        call = self.calls.get(request.call_id)
        if call is not None:
            self._on_reinvite(call, request)
            return
        tag = secrets.token_hex(4)
        call = PeerCall(
            call_id=request.call_id,
            outgoing=False,
            local_header=f"{request.header('to')};tag={tag}",
            remote_header=request.header("from") or "",
            remote_target=_uri_of(request.header("contact") or ""),
            remote_addr=request.source,
            remote_sdp=request.body,
            invite=request,
        )
        self.calls[request.call_id] = call
        user = request.user
        self._respond(request, 100, "Trying")
        if user.startswith("busy"):
            call.final = 486
            self._respond(request, 486, "Busy Here", to_tag=tag)
            self._end(call)
            return
        if user.startswith("reject"):
            call.final = 603
            self._respond(request, 603, "Decline", to_tag=tag)
            self._end(call)
            return
        self._respond(request, 180, "Ringing", to_tag=tag)
        if user.startswith("noanswer"):
            return
        self._spawn(self._answer(call, request))

    async def _answer(self, call: PeerCall, request: SipMessage) -> None:
        body = await self._answer_sdp(call, request.body)
        if request.user.startswith("early"):
            # Early media: the answer goes in a 183 first (Janus: a "progress" event).
            self._respond(
                request,
                183,
                "Session Progress",
                [("contact", f"<{self.user_uri(request.user)}>")],
                body=body,
                to_tag=_tag_of(call.local_header),
            )
        call.final = 200
        call.changed.set()
        self._respond(
            request,
            200,
            "OK",
            [("contact", f"<{self.user_uri(request.user or 'peer')}>")],
            body=body,
            to_tag=_tag_of(call.local_header),
        )

    async def _answer_sdp(self, call: PeerCall, offer: str) -> str:
        media: list[str] = []
        for line in parse_sdp(offer):
            pt = line.payload_types[0] if line.payload_types else "0"
            if line.port == 0 or line.kind not in ("audio", "video"):
                media.append(f"m={line.kind} 0 RTP/AVP {pt}")
                continue
            echo = call.media.get(line.kind)
            if echo is None:
                echo = RtpEcho(line.kind)
                await echo.open()
                call.media[line.kind] = echo
            echo.remote = (line.address, line.port)
            media.append(f"m={line.kind} {echo.port} RTP/AVP {pt}")
            if pt in line.rtpmaps:
                media.append(f"a=rtpmap:{pt} {line.rtpmaps[pt]}")
            if pt in line.fmtps:
                media.append(f"a=fmtp:{pt} {line.fmtps[pt]}")
            media.append(f"a={_MIRROR.get(line.direction, line.direction)}")
        return _sdp(media, call.sdp_version)

    def _on_reinvite(self, call: PeerCall, request: SipMessage) -> None:
        call.remote_sdp = request.body or call.remote_sdp
        call.sdp_version += 1

        async def answer() -> None:
            body = await self._answer_sdp(call, call.remote_sdp)
            self._respond(
                request,
                200,
                "OK",
                [("contact", f"<{self.user_uri('peer')}>")],
                body=body,
            )

        self._spawn(answer())

    def _on_subscribe(self, request: SipMessage) -> None:
        tag = secrets.token_hex(4)
        if (request.header("event") or "") not in self.event_packages:
            self._respond(request, 489, "Bad Event", to_tag=tag)
            return
        expires = request.header("expires") or "3600"
        self._respond(request, 200, "OK", [("expires", expires)], to_tag=tag)
        if expires.strip() == "0":
            return
        call = PeerCall(
            call_id=request.call_id,
            outgoing=False,
            local_header=f"{request.header('to')};tag={tag}",
            remote_header=request.header("from") or "",
            remote_target=_uri_of(request.header("contact") or ""),
            remote_addr=request.source,
            ended=True,
        )
        self.request(
            call,
            "NOTIFY",
            self.notify_body,
            "application/simple-message-summary",
            [
                ("event", request.header("event") or "message-summary"),
                ("subscription-state", f"active;expires={expires}"),
            ],
        )

    def _on_response(self, response: SipMessage) -> None:
        call = self.calls.get(response.call_id)
        if call is None or response.method != "INVITE" or response.status < 200:
            return
        invite = call.sent_invites.get(response.cseq[0])
        if invite is None:
            return
        to_tag = _tag_of(response.header("to") or "")
        if to_tag is not None and _tag_of(call.remote_header) is None:
            call.remote_header = response.header("to") or call.remote_header
        if response.status < 300:
            contact = response.header("contact")
            if contact:
                call.remote_target = _uri_of(contact)
                call.remote_addr = _address_of(call.remote_target)
            call.remote_sdp = response.body or call.remote_sdp
            if not invite.body and response.body:
                # An offerless INVITE: the 200 carries the offer, our ACK the answer.
                self._spawn(self._ack_with_answer(call, response))
            else:
                for line in parse_sdp(call.remote_sdp):
                    echo = call.media.get(line.kind)
                    if echo is not None and line.port:
                        echo.remote = (line.address, line.port)
                self._ack(call, response.cseq[0])
        else:
            # A non-2xx final answer is ACKed in the INVITE's transaction (same branch).
            headers = [
                ("via", invite.all("via")[0]),
                ("max-forwards", "70"),
                ("from", invite.header("from") or ""),
                ("to", response.header("to") or ""),
                ("call-id", call.call_id),
                ("cseq", f"{invite.cseq[0]} ACK"),
            ]
            self._send(SipMessage(f"ACK {invite.uri} SIP/2.0", headers), call.remote_addr)
            if invite is call.invite:
                self._end(call)
        if invite is call.invite and call.final is None:
            call.final = response.status
        call.changed.set()

    def _ack(self, call: PeerCall, cseq: int, body: str = "") -> None:
        headers = self._request_headers(call, "ACK", cseq)
        if body:
            headers.append(("content-type", "application/sdp"))
        self._send(SipMessage(f"ACK {call.remote_target} SIP/2.0", headers, body), call.remote_addr)

    async def _ack_with_answer(self, call: PeerCall, response: SipMessage) -> None:
        self._ack(call, response.cseq[0], await self._answer_sdp(call, response.body))

    def _end(self, call: PeerCall) -> None:
        call.ended = True
        for echo in call.media.values():
            echo.echo = False
        call.changed.set()

    def _spawn(self, work: object) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(work)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
