"""Credentials and TLS against real Janus servers configured for each.

* ``api_secret``, stored tokens (Admin API ``add_token``) and signed tokens
  (:func:`rxjanus.auth.signed_token`): right credentials work over WebSocket
  and HTTP (the long poll included), wrong ones get typed errors.
* Secrets never show in exception messages, reprs or log lines (every logger
  captured at DEBUG).
* TLS: ``wss://`` and ``https://`` verify the server by default; a context
  trusting the test CA connects, the system trust store refuses.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import secrets
import ssl
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.frames import Frame, Opcode
from websockets.typing import Subprotocol

from rxjanus import (
    JanusPlugin,
    JanusSession,
    PluginAttachFail,
    ServerUnreachable,
    Unauthorized,
    aio,
)
from rxjanus.admin import JanusAdminMonitorClient
from rxjanus.auth import REDACTED, RedactingLoggerAdapter, redact, signed_token
from rxjanus.exceptions import UnauthorizedPlugin
from rxjanus.protocol import JanusProtocol
from rxjanus.protocol import messages as msg
from rxjanus.testing import JanusServer

from .tls_ca import TestCA, make_test_ca

ECHOTEST = "janus.plugin.echotest"
VIDEOROOM = "janus.plugin.videoroom"

# Random per run, and nothing but random: a leak check looks for any 8 characters of them.
API_SECRET = secrets.token_urlsafe(24)
STORED_TOKEN = secrets.token_urlsafe(24)
TOKEN_KEY = secrets.token_urlsafe(24)


def leaked(text: str, secret: str, window: int = 8) -> list[str]:
    """The pieces of ``secret`` (``window`` characters or more) found in ``text``.

    Pieces, not only the whole secret: a logger that shortens long lines (as
    websockets does with frames) can show part of it.
    """
    pieces = {secret[i : i + window] for i in range(len(secret) - window + 1)}
    return sorted(piece for piece in pieces if piece in text)


def chain_texts(exc: BaseException) -> list[str]:
    """str, repr and the formatted traceback of ``exc`` and of every cause and context."""
    texts: list[str] = ["".join(traceback.format_exception(exc))]
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts += [str(current), repr(current), repr(current.args)]
        current = current.__cause__ or current.__context__
    return texts


def signature_of(token: str) -> str:
    """The secret part of a signed token (the data before the colon is public)."""
    return token.rsplit(":", 1)[1]


# -- servers ------------------------------------------------------------------------


def _stop_checked(server: JanusServer) -> None:
    left = server.list_sessions()
    server.stop()
    assert left == [], f"the tests left sessions on the server: {left}"


@pytest.fixture(scope="module")
def secret_janus() -> Iterator[JanusServer]:
    """Janus with ``api_secret``."""
    server = JanusServer(api_secret=API_SECRET, loopback_ice=False).start()
    try:
        yield server
    finally:
        _stop_checked(server)


@pytest.fixture(scope="module")
def stored_token_janus() -> Iterator[JanusServer]:
    """Janus with stored tokens; ``STORED_TOKEN`` may use the EchoTest only."""
    server = JanusServer(token_auth=True, loopback_ice=False).start()
    try:
        server.admin("add_token", token=STORED_TOKEN, plugins=[ECHOTEST])
        yield server
    finally:
        _stop_checked(server)


@pytest.fixture(scope="module")
def signed_token_janus() -> Iterator[JanusServer]:
    """Janus verifying tokens signed with ``TOKEN_KEY``."""
    server = JanusServer(token_auth=True, token_auth_secret=TOKEN_KEY, loopback_ice=False)
    server.start()
    try:
        yield server
    finally:
        _stop_checked(server)


@pytest.fixture(scope="module")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return make_test_ca(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_janus(test_ca: TestCA) -> Iterator[JanusServer]:
    """Janus serving HTTPS and secure WebSocket with a certificate from the test CA."""
    server = JanusServer(loopback_ice=False, tls_cert=test_ca.cert, tls_key=test_ca.key)
    server.start()
    try:
        yield server
    finally:
        _stop_checked(server)


def url_of(server: JanusServer, transport: str) -> str:
    return server.ws_url if transport == "ws" else server.http_url


transports = pytest.mark.parametrize("transport", ["ws", "http"])


async def refused(session: JanusSession, action: Callable[[], Awaitable[object]]) -> Exception:
    """Run ``action``, expecting it to fail; destroy the session either way.

    Returns:
        The exception, for the caller to check its type.
    """
    try:
        await action()
    except Exception as exc:
        return exc
    finally:
        await session.destroy()
    raise AssertionError(f"{action} did not fail")


def tampered(token: str) -> str:
    """``token`` with the first character of its signature changed."""
    data, signature = token.rsplit(":", 1)
    return f"{data}:{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


async def exercise_echotest(session: JanusSession) -> None:
    """Attach the EchoTest, get its asynchronous event (the long poll over HTTP), detach."""
    plugin = JanusPlugin(plugin_id=ECHOTEST)
    await plugin.attach(session)
    reply = await plugin.send({"audio": False})
    assert reply["janus"] == "event"
    assert reply["plugindata"]["data"]["result"] == "ok"
    await session.keepalive()
    await plugin.detach()


# -- signed_token and redact, without a server -----------------------------------


def test_signed_token_matches_a_known_janus_token() -> None:
    # Reference value from: printf '1060,janus,janus.plugin.echotest' |
    #   openssl dgst -sha1 -hmac k -binary | base64
    token = signed_token("k", [ECHOTEST], now=1000, expires_in=60)
    assert token == "1060,janus,janus.plugin.echotest:5XE3Ow8/wN813TdpVrHqnNI5k3g="


def test_signed_token_layout() -> None:
    token = signed_token("key", ["a.b", "c.d"], now=1_700_000_000.9, expires_in=10)
    data, signature = token.split(":")
    assert data == "1700000010,janus,a.b,c.d"
    expected = hmac.new(b"key", data.encode(), hashlib.sha1).digest()
    assert base64.b64decode(signature) == expected
    assert signed_token("key", [], now=5, expires_in=5).startswith("10,janus:")
    before = int(time.time())
    expiry = int(signed_token("key", ["x"]).split(",")[0])
    assert before + 3600 <= expiry <= int(time.time()) + 3600


@pytest.mark.parametrize("plugins", [["a,b"], ["a:b"], [""]])
def test_signed_token_refuses_plugin_names_that_break_the_format(plugins: list[str]) -> None:
    with pytest.raises(ValueError, match="plugin name"):
        signed_token("key", plugins)


def test_signed_token_refuses_an_empty_secret_and_a_bare_string() -> None:
    with pytest.raises(ValueError, match="empty"):
        signed_token("", [ECHOTEST])
    with pytest.raises(TypeError, match="sequence"):
        signed_token("key", ECHOTEST)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"janus":"create","apisecret":"s3"}', '{"janus":"create","apisecret":"***"}'),
        ('{"token" : "a\\"b", "x": 1}', '{"token" : "***", "x": 1}'),
        ("{'admin_secret': 'x'}", "{'admin_secret': 'x'}"),  # not JSON: left alone
        ('{"token_count": "3"}', '{"token_count": "3"}'),
        ("GET /janus/1?maxev=10&apisecret=s3&token=t HTTP/1.1", None),
        ("mytoken=abc&token=t", "mytoken=abc&token=***"),
    ],
)
def test_redact(text: str, expected: str | None) -> None:
    if expected is None:
        expected = "GET /janus/1?maxev=10&apisecret=***&token=*** HTTP/1.1"
    assert redact(text) == expected


def test_redact_literal_secrets() -> None:
    assert redact("a s3cr3t b s3cr3t", ["s3cr3t", ""]) == f"a {REDACTED} b {REDACTED}"


def test_redacting_adapter_redacts_long_frames_before_websockets_shortens_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "x" * 6 + secrets.token_hex(16)
    payload = f'{{"janus":"keepalive","session_id":1234567890123456,"apisecret":"{secret}"}}'
    frame = Frame(Opcode.TEXT, payload.encode())
    assert leaked(str(frame), secret), "the frame as websockets logs it shows the secret"
    adapter = RedactingLoggerAdapter(logging.getLogger("test.redacting"))
    with caplog.at_level(logging.DEBUG, logger="test.redacting"):
        adapter.debug("> %s", frame)
        adapter.info("%(who)s said %(what)s", {"who": "me", "what": f"token={secret}"})
        adapter.debug("bad format %d", "not a number")
    messages = [record.getMessage() for record in caplog.records]
    assert messages[0].startswith("> TEXT ")
    assert '"apisecret":"***"' in messages[0]
    assert messages[1] == "me said token=***"
    assert "bad format" in messages[2]
    assert not leaked("\n".join(messages), secret)
    assert caplog.records[0].pathname == __file__  # stacklevel points at the caller


# -- (a) api_secret ---------------------------------------------------------------


@transports
async def test_api_secret_is_required(secret_janus: JanusServer, transport: str) -> None:
    session = JanusSession(url_of(secret_janus, transport), max_retries=0)
    error = await refused(session, session.create)
    assert isinstance(error, Unauthorized)
    assert error.code == 403
    wrong = JanusSession(url_of(secret_janus, transport), api_secret="wrong", max_retries=0)
    error = await refused(wrong, wrong.create)
    assert isinstance(error, Unauthorized)
    assert secret_janus.list_sessions() == []


@transports
async def test_api_secret_opens_the_session(secret_janus: JanusServer, transport: str) -> None:
    url = url_of(secret_janus, transport)
    async with JanusSession(url, api_secret=API_SECRET, timeout=5) as session:
        assert secret_janus.list_sessions() == [session.session_id]
        await exercise_echotest(session)
        info = await session.transport.info()  # info needs no secret, and works with one
        assert info["server-name"] == secret_janus.server_name
    assert secret_janus.list_sessions() == []


# -- (b) stored tokens ------------------------------------------------------------


@transports
async def test_stored_token_opens_the_session_and_limits_plugins(
    stored_token_janus: JanusServer, transport: str
) -> None:
    url = url_of(stored_token_janus, transport)
    async with JanusSession(url, token=STORED_TOKEN, timeout=5) as session:
        await exercise_echotest(session)
        with pytest.raises(PluginAttachFail) as caught:
            await JanusPlugin(plugin_id=VIDEOROOM).attach(session)
        assert caught.value.code == 405
        assert isinstance(caught.value.__cause__, UnauthorizedPlugin)
    assert stored_token_janus.list_sessions() == []


@transports
async def test_wrong_or_missing_stored_token_is_refused(
    stored_token_janus: JanusServer, transport: str
) -> None:
    url = url_of(stored_token_janus, transport)
    for token in (None, STORED_TOKEN[:-1]):
        session = JanusSession(url, token=token, max_retries=0)
        error = await refused(session, session.create)
        assert isinstance(error, Unauthorized)
        assert error.code == 403


async def test_a_removed_stored_token_stops_working(stored_token_janus: JanusServer) -> None:
    token = secrets.token_urlsafe(16)
    stored_token_janus.admin("add_token", token=token, plugins=[ECHOTEST])
    session = JanusSession(stored_token_janus.ws_url, token=token, keepalive_interval=None)
    await session.create()
    stored_token_janus.admin("remove_token", token=token)
    error = await refused(session, session.keepalive)
    assert isinstance(error, Unauthorized)
    # The destroy was refused too, but closing the WebSocket ends the session
    # (reclaim_session_timeout is 0), on Janus's side a moment later: watch for it.
    async with JanusAdminMonitorClient(
        stored_token_janus.admin_http_url, stored_token_janus.admin_secret
    ) as admin:
        async with asyncio.timeout(10):
            await aio.first(admin.watch(0.05), lambda snapshot: not snapshot.sessions)


# -- (c) signed tokens ------------------------------------------------------------


@transports
async def test_signed_token_opens_the_session_and_limits_plugins(
    signed_token_janus: JanusServer, transport: str
) -> None:
    token = signed_token(TOKEN_KEY, [ECHOTEST], expires_in=60)
    async with JanusSession(url_of(signed_token_janus, transport), token=token) as session:
        await exercise_echotest(session)
        with pytest.raises(PluginAttachFail) as caught:
            await JanusPlugin(plugin_id=VIDEOROOM).attach(session)
        assert caught.value.code == 405


async def test_signed_token_with_url_unsafe_characters_works_over_the_http_long_poll(
    signed_token_janus: JanusServer,
) -> None:
    # The long poll sends the token in the query string: "+", "/" and "=" must survive.
    start = int(time.time())
    token = next(
        t
        for t in (signed_token(TOKEN_KEY, [ECHOTEST], now=start + i) for i in range(5000))
        if "+" in signature_of(t) and "/" in signature_of(t)
    )
    async with JanusSession(signed_token_janus.http_url, token=token, timeout=5) as session:
        await exercise_echotest(session)


@transports
@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda: signed_token(TOKEN_KEY, [ECHOTEST], expires_in=-1), id="expired"),
        pytest.param(lambda: signed_token("other-key", [ECHOTEST]), id="other-key"),
        pytest.param(lambda: tampered(signed_token(TOKEN_KEY, [ECHOTEST])), id="tampered"),
        pytest.param(
            lambda: signed_token(TOKEN_KEY, [ECHOTEST]).replace("janus,", "admin,", 1),
            id="other-realm",
        ),
    ],
)
async def test_bad_signed_tokens_are_refused(
    signed_token_janus: JanusServer, transport: str, make_token: Callable[[], str]
) -> None:
    url = url_of(signed_token_janus, transport)
    session = JanusSession(url, token=make_token(), max_retries=0)
    error = await refused(session, session.create)
    assert isinstance(error, Unauthorized)
    assert error.code == 403


@transports
async def test_signed_token_for_other_plugins_cannot_attach(
    signed_token_janus: JanusServer, transport: str
) -> None:
    for plugins in ([VIDEOROOM], [], [ECHOTEST + "x"]):
        token = signed_token(TOKEN_KEY, plugins)
        async with JanusSession(url_of(signed_token_janus, transport), token=token) as session:
            with pytest.raises(PluginAttachFail) as caught:
                await JanusPlugin(plugin_id=ECHOTEST).attach(session)
            assert caught.value.code == 405, plugins


# -- (d) secrets stay out of logs, exceptions and reprs -----------------------------


@dataclass(repr=False)  # pytest prints locals of failed tests: no secrets in them
class Scenario:
    """One auth mode: its server, good credentials, bad ones, and what must stay secret."""

    mode: str
    server: JanusServer
    good: dict[str, Any]
    bad: list[dict[str, Any]]
    hidden: list[str]
    texts: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"<Scenario {self.mode}>"


@pytest.fixture(params=["api_secret", "stored_token", "signed_token"])
def scenario(request: pytest.FixtureRequest) -> Scenario:
    mode = request.param
    if mode == "api_secret":
        return Scenario(
            mode,
            request.getfixturevalue("secret_janus"),
            {"api_secret": API_SECRET},
            [{}, {"api_secret": API_SECRET[:-1]}],
            [API_SECRET],
        )
    if mode == "stored_token":
        return Scenario(
            mode,
            request.getfixturevalue("stored_token_janus"),
            {"token": STORED_TOKEN},
            [{}, {"token": STORED_TOKEN[:-1]}],
            [STORED_TOKEN],
        )
    good = signed_token(TOKEN_KEY, [ECHOTEST])
    expired = signed_token(TOKEN_KEY, [ECHOTEST], expires_in=-10)
    return Scenario(
        mode,
        request.getfixturevalue("signed_token_janus"),
        {"token": good},
        [{"token": expired}],
        [TOKEN_KEY, signature_of(good), signature_of(expired)],
    )


async def run_scenario(scenario: Scenario, transport: str) -> None:
    """Use the credentials every way we can; keep every exception and repr text."""
    url = url_of(scenario.server, transport)
    texts = scenario.texts
    for bad in scenario.bad:
        session = JanusSession(url, max_retries=0, **bad)
        texts += [repr(session), repr(session.transport)]
        error = await refused(session, session.create)
        assert isinstance(error, Unauthorized)
        texts += chain_texts(error)
    session = JanusSession(url, timeout=5, **scenario.good)
    texts += [repr(session), repr(session.transport)]
    async with session:
        texts += [repr(session), repr(session.transport)]
        texts.append(repr(getattr(session.transport, "_protocol", None)))
        plugin = JanusPlugin(plugin_id=ECHOTEST)
        await plugin.attach(session)
        texts.append(repr(plugin))
        await plugin.send({"audio": False})
        await session.keepalive()
        with pytest.raises(PluginAttachFail) as caught:
            await JanusPlugin(plugin_id="janus.plugin.nosuchthing").attach(session)
        texts += chain_texts(caught.value)
        await plugin.detach()
        texts.append(repr(plugin))
    texts += [repr(session), repr(session.transport)]
    # A URL can carry credentials too: errors and reprs name it without them.
    secret = scenario.hidden[0]
    unreachable = JanusSession(
        f"{transport}://user:{secret}@127.0.0.1:1/janus?apisecret={secret}",
        max_retries=0,
        **scenario.good,
    )
    texts += [repr(unreachable), repr(unreachable.transport)]
    error = await refused(unreachable, unreachable.create)
    assert isinstance(error, ServerUnreachable)
    texts += chain_texts(error)


def log_text(caplog: pytest.LogCaptureFixture, *, skip: tuple[str, ...] = ()) -> str:
    lines = []
    for record in caplog.records:
        if record.name.startswith(skip):
            continue
        lines.append(f"{record.name} {record.levelname} {record.getMessage()}")
        if record.exc_info:
            lines.append("".join(traceback.format_exception(*record.exc_info)))
    return "\n".join(lines)


def capture_everything(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("rxjanus", "websockets", "websockets.client", "aiohttp", "asyncio"):
        caplog.set_level(logging.DEBUG, logger=name)


def assert_secret_free(text: str, scenario: Scenario, where: str) -> None:
    for secret in scenario.hidden:
        pieces = leaked(text, secret)
        assert not pieces, f"{where} show pieces of a secret: {pieces}\n{text[:3000]}"


@transports
async def test_secrets_stay_out_of_exceptions_reprs_and_our_log_lines(
    scenario: Scenario, transport: str, caplog: pytest.LogCaptureFixture
) -> None:
    capture_everything(caplog)
    await run_scenario(scenario, transport)
    assert_secret_free("\n".join(scenario.texts), scenario, "exceptions and reprs")
    text = log_text(caplog, skip=("websockets",))
    assert "rxjanus" in text  # we did capture our DEBUG lines
    assert_secret_free(text, scenario, "log lines (all loggers but websockets)")


def test_outgoing_request_repr_hides_credentials() -> None:
    protocol: JanusProtocol[object, object] = JanusProtocol(
        api_secret=API_SECRET, token=STORED_TOKEN
    )
    outgoing = protocol.send(msg.keepalive(1), object())
    assert API_SECRET in outgoing.text  # it is on the wire, as it must be
    text = repr(outgoing) + repr(protocol)
    assert not leaked(text, API_SECRET)
    assert not leaked(text, STORED_TOKEN)


@pytest.mark.parametrize("transport", ["ws", "http"])
async def test_secrets_stay_out_of_every_log_line(
    scenario: Scenario, transport: str, caplog: pytest.LogCaptureFixture
) -> None:
    capture_everything(caplog)
    await run_scenario(scenario, transport)
    text = log_text(caplog)
    if transport == "ws":
        assert "> TEXT" in text  # websockets' frame log was captured
    assert_secret_free(text, scenario, "log lines")


async def test_redacting_adapter_keeps_websockets_frame_logs_secret(
    secret_janus: JanusServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The proposed fix, on a raw websockets client against the real Janus."""
    capture_everything(caplog)
    logger = RedactingLoggerAdapter(logging.getLogger("websockets.client"))
    async with connect(
        secret_janus.ws_url, subprotocols=[Subprotocol("janus-protocol")], logger=logger
    ) as ws:
        create = f'{{"janus":"create","transaction":"t1","apisecret":"{API_SECRET}"}}'
        await ws.send(create)
        reply = await asyncio.wait_for(ws.recv(), 5)
        session_id = int(str(reply).split('"id":')[1].split("}")[0])
        await ws.send(
            f'{{"janus":"destroy","session_id":{session_id},"transaction":"t2",'
            f'"apisecret":"{API_SECRET}"}}'
        )
        await asyncio.wait_for(ws.recv(), 5)
    text = log_text(caplog)
    assert '"apisecret":"***"' in text
    assert not leaked(text, API_SECRET), text
    assert secret_janus.list_sessions() == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("> Authorization: Basic dXNlcjpwYXNz", "> Authorization: ***"),
        ("< Set-Cookie: sid=abc; Path=/", "< Set-Cookie: ***"),
        ("> Proxy-Authorization:Bearer t", "> Proxy-Authorization:***"),
        ("> Host: h\n> cookie: a=b\n> Origin: o", "> Host: h\n> cookie: ***\n> Origin: o"),
        ("> Authorization-Info: x", "> Authorization-Info: x"),  # not a credential header
        ("Authorization is needed: yes", "Authorization is needed: yes"),  # not a header line
    ],
)
def test_redact_credential_headers(line: str, expected: str) -> None:
    assert redact(line) == expected


@pytest.mark.parametrize("transport", ["ws", "http"])
async def test_url_credentials_stay_out_of_every_log_line(
    janus: JanusServer, transport: str, caplog: pytest.LogCaptureFixture
) -> None:
    """``ws://user:password@host``: websockets logs the handshake's Authorization header."""
    password = secrets.token_urlsafe(24)
    basic = base64.b64encode(f"rxjanus:{password}".encode()).decode()
    plain = url_of(janus, transport)
    scheme, rest = plain.split("://", 1)
    capture_everything(caplog)
    async with JanusSession(f"{scheme}://rxjanus:{password}@{rest}", timeout=5) as session:
        await session.keepalive()
    text = log_text(caplog)
    if transport == "ws":
        assert "> Authorization: ***" in text  # the handshake's headers were captured
    for secret in (password, basic):
        assert not leaked(text, secret), text[:3000]


# -- (e) TLS ----------------------------------------------------------------------

tls_transports = pytest.mark.parametrize("scheme", ["wss", "https"])


def tls_url(server: JanusServer, scheme: str) -> str:
    return server.wss_url if scheme == "wss" else server.https_url


@tls_transports
async def test_tls_with_a_context_trusting_the_test_ca(
    tls_janus: JanusServer, test_ca: TestCA, scheme: str
) -> None:
    url = tls_url(tls_janus, scheme)
    assert url.startswith(f"{scheme}://127.0.0.1:")
    async with JanusSession(url, ssl=test_ca.client_context(), timeout=5) as session:
        assert tls_janus.list_sessions() == [session.session_id]
        await exercise_echotest(session)
        info = await session.transport.info()
        assert info["server-name"] == tls_janus.server_name


@tls_transports
async def test_tls_is_verified_by_default_and_refused_clearly(
    tls_janus: JanusServer, scheme: str
) -> None:
    url = tls_url(tls_janus, scheme)
    session = JanusSession(url, max_retries=0, timeout=5)
    with pytest.raises(ConnectionError) as caught:
        await session.create()
    await session.destroy()
    error = caught.value
    assert isinstance(error, ServerUnreachable)
    assert url in str(error)
    assert "CERTIFICATE_VERIFY_FAILED" in str(error)
    causes: list[BaseException] = []
    current: BaseException | None = error
    while current is not None:
        causes.append(current)
        current = current.__cause__
    assert any(isinstance(c, ssl.SSLCertVerificationError) for c in causes), causes
    assert tls_janus.list_sessions() == []


@tls_transports
async def test_tls_context_for_another_ca_is_refused(
    tls_janus: JanusServer, tmp_path: Path, scheme: str
) -> None:
    other = make_test_ca(tmp_path / "other")
    session = JanusSession(tls_url(tls_janus, scheme), ssl=other.client_context(), max_retries=0)
    with pytest.raises(ServerUnreachable, match="CERTIFICATE_VERIFY_FAILED"):
        await session.create()
    await session.destroy()


async def test_plain_urls_still_work_on_a_tls_server(tls_janus: JanusServer) -> None:
    for url in (tls_janus.ws_url, tls_janus.http_url):
        async with JanusSession(url) as session:
            await session.keepalive()


def test_tls_options_of_the_test_server(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="together"):
        JanusServer(tls_cert=tmp_path / "cert.pem")
    server = JanusServer(loopback_ice=False)
    assert not server.tls
    with pytest.raises(RuntimeError):
        _ = server.wss_url
