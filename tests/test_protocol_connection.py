"""Unit tests for JanusProtocol: transactions, replies, errors and routing, all synchronous."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from rxjanus.exceptions import (
    HandleNotFound,
    JanusApiError,
    JanusError,
    MissingMandatoryElement,
    PluginError,
    PluginNotFound,
    SessionNotFound,
    TransportClosed,
    Unauthorized,
    UnknownJanusError,
)
from rxjanus.protocol import (
    JSON,
    Dropped,
    Expect,
    JanusProtocol,
    Outcome,
    Rejected,
    Resolved,
    Routed,
    messages,
)
from rxjanus.protocol.connection import ANSWERED_MEMORY, ENDED_MEMORY

Protocol = JanusProtocol[str, str]

SESSION = 1111
HANDLE = 2222
PLUGIN = "janus.plugin.echotest"
LOGGER = "rxjanus.protocol.connection"

ROUTABLE_KINDS = [
    "event",
    "webrtcup",
    "media",
    "slowlink",
    "hangup",
    "detached",
    "ice-failed",
    "trickle",
    "timeout",
]


# -- helpers --------------------------------------------------------------------------


def feed(protocol: Protocol, message: Any) -> Outcome[str, str]:
    """Feed one message as a text frame and return its single outcome."""
    outcomes = protocol.receive_text(json.dumps(message))
    assert len(outcomes) == 1
    return outcomes[0]


def send(protocol: Protocol, request: messages.Request, waiter: str = "w") -> str:
    return protocol.send(request, waiter).transaction


def success(transaction: str, **fields: Any) -> JSON:
    return {"janus": "success", "transaction": transaction, **fields}


def ack(transaction: str) -> JSON:
    return {"janus": "ack", "session_id": SESSION, "transaction": transaction}


def event(transaction: str | None = None, data: JSON | None = None, **fields: Any) -> JSON:
    message: JSON = {
        "janus": "event",
        "session_id": SESSION,
        "sender": HANDLE,
        "plugindata": {"plugin": PLUGIN, "data": data if data is not None else {"result": "ok"}},
        **fields,
    }
    if transaction is not None:
        message["transaction"] = transaction
    return message


def error(transaction: str | None, code: int, reason: str = "oops") -> JSON:
    message: JSON = {"janus": "error", "error": {"code": code, "reason": reason}}
    if transaction is not None:
        message["transaction"] = transaction
    return message


def assert_no_leftovers(protocol: Protocol) -> None:
    assert protocol.pending_count == 0
    assert protocol._awaiting_ack == set()


@pytest.fixture
def protocol() -> Protocol:
    return JanusProtocol()


@pytest.fixture
def routed() -> Protocol:
    """A protocol with one session and one handle registered."""
    protocol: Protocol = JanusProtocol()
    protocol.add_session(SESSION, "session-target")
    protocol.add_handle(HANDLE, "handle-target")
    return protocol


# -- send -----------------------------------------------------------------------------


def test_send_returns_the_payload_with_a_transaction(protocol: Protocol) -> None:
    request = messages.attach(SESSION, PLUGIN)
    outgoing = protocol.send(request, "w")
    assert json.loads(outgoing.text) == {**request.payload, "transaction": outgoing.transaction}
    assert outgoing.request is request


def test_send_registers_one_pending_request(protocol: Protocol) -> None:
    send(protocol, messages.create())
    assert protocol.pending_count == 1


def test_transaction_ids_are_unique_on_a_connection(protocol: Protocol) -> None:
    ids = {send(protocol, messages.ping(), f"w{n}") for n in range(2000)}
    assert len(ids) == 2000
    assert protocol.pending_count == 2000


def test_transaction_ids_differ_between_connections() -> None:
    first: Protocol = JanusProtocol()
    second: Protocol = JanusProtocol()
    assert first.next_transaction() != second.next_transaction()


def test_next_transaction_returns_strings_never_repeated(protocol: Protocol) -> None:
    ids = [protocol.next_transaction() for _ in range(100)]
    assert all(isinstance(t, str) and t for t in ids)
    assert len(set(ids)) == 100


def test_send_adds_apisecret_and_token_to_authenticated_requests() -> None:
    protocol: Protocol = JanusProtocol(api_secret="s3cret", token="t0ken")
    sent = json.loads(protocol.send(messages.keepalive(SESSION), "w").text)
    assert sent["apisecret"] == "s3cret"
    assert sent["token"] == "t0ken"


def test_send_adds_only_the_apisecret_when_there_is_no_token() -> None:
    protocol: Protocol = JanusProtocol(api_secret="s3cret")
    sent = json.loads(protocol.send(messages.create(), "w").text)
    assert sent["apisecret"] == "s3cret"
    assert "token" not in sent


def test_send_adds_only_the_token_when_there_is_no_apisecret() -> None:
    protocol: Protocol = JanusProtocol(token="t0ken")
    sent = json.loads(protocol.send(messages.create(), "w").text)
    assert sent["token"] == "t0ken"
    assert "apisecret" not in sent


def test_send_adds_no_credentials_when_none_are_configured(protocol: Protocol) -> None:
    sent = json.loads(protocol.send(messages.create(), "w").text)
    assert set(sent) == {"janus", "transaction"}


@pytest.mark.parametrize("request_", [messages.info(), messages.ping()], ids=["info", "ping"])
def test_info_and_ping_carry_no_credentials(request_: messages.Request) -> None:
    protocol: Protocol = JanusProtocol(api_secret="s3cret", token="t0ken")
    sent = json.loads(protocol.send(request_, "w").text)
    assert "apisecret" not in sent
    assert "token" not in sent


def test_send_leaves_the_request_payload_untouched() -> None:
    protocol: Protocol = JanusProtocol(api_secret="s3cret", token="t0ken")
    request = messages.keepalive(SESSION)
    protocol.send(request, "w")
    assert request.payload == {"janus": "keepalive", "session_id": SESSION}


def test_send_sets_its_own_transaction_over_one_in_the_payload(protocol: Protocol) -> None:
    request = messages.Request({"janus": "ping", "transaction": "mine"}, Expect.PONG)
    outgoing = protocol.send(request, "w")
    assert json.loads(outgoing.text)["transaction"] == outgoing.transaction != "mine"


def test_send_of_an_unencodable_body_raises_type_error(protocol: Protocol) -> None:
    with pytest.raises(TypeError, match="'message'"):
        protocol.send(messages.message(SESSION, HANDLE, {"when": object()}), "w")


def test_send_of_an_unencodable_body_registers_nothing(protocol: Protocol) -> None:
    with pytest.raises(TypeError):
        protocol.send(messages.message(SESSION, HANDLE, {"when": object()}), "w")
    assert protocol.pending_count == 0


def test_send_of_a_circular_body_raises_type_error_and_registers_nothing(
    protocol: Protocol,
) -> None:
    body: JSON = {}
    body["self"] = body
    with pytest.raises(TypeError) as caught:
        protocol.send(messages.message(SESSION, HANDLE, body), "w")
    assert isinstance(caught.value.__cause__, ValueError)
    assert protocol.pending_count == 0


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_send_of_a_non_finite_float_raises_type_error(protocol: Protocol, value: float) -> None:
    with pytest.raises(TypeError):
        protocol.send(messages.message(SESSION, HANDLE, {"bitrate": value}), "w")
    assert protocol.pending_count == 0


# -- credentials ----------------------------------------------------------------------


def test_credentials_are_empty_without_secret_or_token(protocol: Protocol) -> None:
    assert protocol.credentials() == {}


def test_credentials_hold_apisecret_and_token() -> None:
    protocol: Protocol = JanusProtocol(api_secret="s", token="t")
    assert protocol.credentials() == {"apisecret": "s", "token": "t"}


def test_credentials_hold_only_what_is_configured() -> None:
    assert JanusProtocol(api_secret="s").credentials() == {"apisecret": "s"}
    assert JanusProtocol(token="t").credentials() == {"token": "t"}


def test_credentials_are_a_fresh_dict_each_time() -> None:
    protocol: Protocol = JanusProtocol(api_secret="s")
    protocol.credentials()["apisecret"] = "changed"
    assert protocol.credentials() == {"apisecret": "s"}


# -- resolution by Expect kind --------------------------------------------------------


def test_create_resolves_on_success(protocol: Protocol) -> None:
    t = send(protocol, messages.create(), "creating")
    reply = success(t, data={"id": SESSION})
    assert feed(protocol, reply) == Resolved("creating", reply)
    assert_no_leftovers(protocol)


def test_attach_resolves_on_success(protocol: Protocol) -> None:
    t = send(protocol, messages.attach(SESSION, PLUGIN), "attaching")
    reply = success(t, session_id=SESSION, data={"id": HANDLE})
    assert feed(protocol, reply) == Resolved("attaching", reply)


def test_keepalive_resolves_on_ack(protocol: Protocol) -> None:
    t = send(protocol, messages.keepalive(SESSION), "keeping")
    assert feed(protocol, ack(t)) == Resolved("keeping", ack(t))
    assert_no_leftovers(protocol)


def test_trickle_resolves_on_ack(protocol: Protocol) -> None:
    t = send(protocol, messages.trickle(SESSION, HANDLE), "trickling")
    assert feed(protocol, ack(t)) == Resolved("trickling", ack(t))
    assert_no_leftovers(protocol)


def test_ping_resolves_on_pong(protocol: Protocol) -> None:
    t = send(protocol, messages.ping(), "pinging")
    reply = {"janus": "pong", "transaction": t}
    assert feed(protocol, reply) == Resolved("pinging", reply)


def test_info_resolves_on_server_info(protocol: Protocol) -> None:
    t = send(protocol, messages.info(), "asking")
    reply = {"janus": "server_info", "transaction": t, "name": "Janus", "version": 1102}
    assert feed(protocol, reply) == Resolved("asking", reply)


def test_a_reply_to_our_request_is_not_also_routed(routed: Protocol) -> None:
    t = send(routed, messages.message(SESSION, HANDLE, {}), "asking")
    feed(routed, ack(t))
    outcomes = routed.receive_text(json.dumps(event(t)))
    assert outcomes == [Resolved("asking", event(t))]


def test_a_request_resolves_only_once(protocol: Protocol) -> None:
    t = send(protocol, messages.create(), "creating")
    feed(protocol, success(t))
    assert isinstance(feed(protocol, success(t)), Dropped)


def test_an_ack_for_a_request_completed_by_success_keeps_it_pending(protocol: Protocol) -> None:
    t = send(protocol, messages.create(), "creating")
    assert isinstance(feed(protocol, ack(t)), Dropped)
    assert protocol.pending_count == 1
    assert feed(protocol, success(t)) == Resolved("creating", success(t))
    assert_no_leftovers(protocol)


def test_a_reply_of_the_wrong_kind_leaves_the_request_pending(protocol: Protocol) -> None:
    t = send(protocol, messages.create(), "creating")
    dropped = feed(protocol, {"janus": "pong", "transaction": t})
    assert isinstance(dropped, Dropped)
    assert protocol.pending_count == 1


def test_an_event_with_the_transaction_of_a_success_request_is_routed(routed: Protocol) -> None:
    t = send(routed, messages.hangup(SESSION, HANDLE), "hanging")
    outcome = feed(routed, event(t))
    assert outcome == Routed("handle-target", SESSION, HANDLE, event(t))
    assert routed.pending_count == 1


def test_message_expecting_ack_resolves_on_ack_and_routes_its_event(routed: Protocol) -> None:
    t = send(routed, messages.message(SESSION, HANDLE, {}, expect=Expect.ACK), "acking")
    assert feed(routed, ack(t)) == Resolved("acking", ack(t))
    assert isinstance(feed(routed, event(t)), Routed)
    assert_no_leftovers(routed)


# -- plugin message: ack and event in both orders -------------------------------------


def test_message_ack_then_event_resolves_on_the_event(protocol: Protocol) -> None:
    t = send(protocol, messages.message(SESSION, HANDLE, {"request": "x"}), "asking")
    first = feed(protocol, ack(t))
    assert isinstance(first, Dropped)
    assert protocol.pending_count == 1
    assert feed(protocol, event(t)) == Resolved("asking", event(t))
    assert_no_leftovers(protocol)


def test_message_ack_before_event_is_not_logged(
    protocol: Protocol, caplog: pytest.LogCaptureFixture
) -> None:
    t = send(protocol, messages.message(SESSION, HANDLE, {}), "asking")
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        feed(protocol, ack(t))
    assert caplog.records == []


def test_message_event_then_ack_resolves_on_the_event(protocol: Protocol) -> None:
    t = send(protocol, messages.message(SESSION, HANDLE, {"request": "x"}), "asking")
    assert feed(protocol, event(t)) == Resolved("asking", event(t))
    assert protocol.pending_count == 0


def test_message_late_ack_after_event_is_dropped_silently(
    protocol: Protocol, caplog: pytest.LogCaptureFixture
) -> None:
    t = send(protocol, messages.message(SESSION, HANDLE, {}), "asking")
    feed(protocol, event(t))
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        late = feed(protocol, ack(t))
    assert isinstance(late, Dropped)
    assert late.reason == "late ack of a completed request"
    assert caplog.records == []
    assert_no_leftovers(protocol)


def test_message_event_with_jsep_resolves_with_the_jsep(protocol: Protocol) -> None:
    t = send(protocol, messages.message(SESSION, HANDLE, {}, {"type": "offer", "sdp": "v=0"}))
    reply = event(t, jsep={"type": "answer", "sdp": "v=0"})
    feed(protocol, ack(t))
    outcome = feed(protocol, reply)
    assert isinstance(outcome, Resolved)
    assert outcome.message["jsep"] == {"type": "answer", "sdp": "v=0"}


def test_message_synchronous_success_resolves(protocol: Protocol) -> None:
    t = send(protocol, messages.message(SESSION, HANDLE, {"request": "list"}), "listing")
    reply = success(
        t,
        session_id=SESSION,
        sender=HANDLE,
        plugindata={"plugin": PLUGIN, "data": {"list": []}},
    )
    assert feed(protocol, reply) == Resolved("listing", reply)
    assert_no_leftovers(protocol)


def test_second_ack_after_late_ack_is_an_unknown_transaction(protocol: Protocol) -> None:
    t = send(protocol, messages.message(SESSION, HANDLE, {}))
    feed(protocol, event(t))
    feed(protocol, ack(t))
    again = feed(protocol, ack(t))
    assert isinstance(again, Dropped)
    assert "unknown transaction" in again.reason


# -- error replies --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "exception"),
    [
        (403, Unauthorized),
        (456, MissingMandatoryElement),
        (458, SessionNotFound),
        (459, HandleNotFound),
        (460, PluginNotFound),
        (490, UnknownJanusError),
        (499, JanusApiError),
    ],
)
def test_error_reply_rejects_with_the_typed_exception(
    protocol: Protocol, code: int, exception: type[JanusApiError]
) -> None:
    t = send(protocol, messages.keepalive(SESSION), "keeping")
    outcome = feed(protocol, error(t, code, "No such thing"))
    assert isinstance(outcome, Rejected)
    assert outcome.waiter == "keeping"
    assert type(outcome.error) is exception
    assert isinstance(outcome.error, JanusApiError)
    assert (outcome.error.code, outcome.error.reason) == (code, "No such thing")
    assert_no_leftovers(protocol)


def test_error_reply_without_an_error_object_is_unknown_janus_error(protocol: Protocol) -> None:
    t = send(protocol, messages.create())
    outcome = feed(protocol, {"janus": "error", "transaction": t})
    assert isinstance(outcome, Rejected)
    assert isinstance(outcome.error, UnknownJanusError)
    assert outcome.error.code == 490
    assert outcome.error.reason == "error reply without a reason"


def test_error_reply_rejects_a_message_before_its_ack(protocol: Protocol) -> None:
    t = send(protocol, messages.message(SESSION, HANDLE, {}), "asking")
    outcome = feed(protocol, error(t, 459))
    assert isinstance(outcome, Rejected)
    assert isinstance(outcome.error, HandleNotFound)
    assert_no_leftovers(protocol)


def test_error_reply_rejects_a_message_after_its_ack(protocol: Protocol) -> None:
    t = send(protocol, messages.message(SESSION, HANDLE, {}), "asking")
    feed(protocol, ack(t))
    assert isinstance(feed(protocol, error(t, 462)), Rejected)
    assert_no_leftovers(protocol)


def test_plugin_error_in_an_event_rejects_with_plugin_error(protocol: Protocol) -> None:
    t = send(protocol, messages.message(SESSION, HANDLE, {"request": "join"}), "joining")
    feed(protocol, ack(t))
    reply = event(t, {"videoroom": "event", "error_code": 426, "error": "No such room"})
    outcome = feed(protocol, reply)
    assert isinstance(outcome, Rejected)
    assert outcome.waiter == "joining"
    assert isinstance(outcome.error, PluginError)
    assert (outcome.error.code, outcome.error.reason, outcome.error.plugin) == (
        426,
        "No such room",
        PLUGIN,
    )
    assert_no_leftovers(protocol)


def test_plugin_error_event_before_ack_drops_the_late_ack(protocol: Protocol) -> None:
    t = send(protocol, messages.message(SESSION, HANDLE, {}), "joining")
    outcome = feed(protocol, event(t, {"error_code": 426, "error": "No such room"}))
    assert isinstance(outcome, Rejected)
    late = feed(protocol, ack(t))
    assert isinstance(late, Dropped)
    assert late.reason == "late ack of a completed request"
    assert_no_leftovers(protocol)


def test_plugin_error_in_a_synchronous_success_rejects(protocol: Protocol) -> None:
    t = send(protocol, messages.message(SESSION, HANDLE, {"request": "create"}), "creating")
    reply = success(
        t, plugindata={"plugin": PLUGIN, "data": {"error_code": 427, "error": "Room exists"}}
    )
    outcome = feed(protocol, reply)
    assert isinstance(outcome, Rejected)
    assert isinstance(outcome.error, PluginError)
    assert outcome.error.code == 427


def test_plugin_data_without_error_code_resolves(protocol: Protocol) -> None:
    t = send(protocol, messages.message(SESSION, HANDLE, {}), "asking")
    reply = event(t, {"error": "looks like an error but has no error_code"})
    assert isinstance(feed(protocol, reply), Resolved)


# -- frames that fit nowhere ----------------------------------------------------------

BAD_FRAMES: list[tuple[str, str | bytes]] = [
    ("error without transaction", json.dumps(error(None, 456))),
    ("error for unknown transaction", json.dumps(error("nope", 458))),
    ("success for unknown transaction", json.dumps(success("nope"))),
    ("ack for unknown transaction", json.dumps(ack("nope"))),
    ("pong for unknown transaction", json.dumps({"janus": "pong", "transaction": "nope"})),
    ("server_info unknown transaction", json.dumps({"janus": "server_info", "transaction": "x"})),
    ("unexpected janus kind", json.dumps({"janus": "surprise", "transaction": "nope"})),
    ("no janus kind", json.dumps({"transaction": "nope"})),
    ("janus kind not a string", json.dumps({"janus": 7})),
    ("transaction not a string", json.dumps({"janus": "success", "transaction": 1})),
    ("number", "42"),
    ("string", '"success"'),
    ("null", "null"),
    ("boolean", "true"),
    ("malformed JSON", '{"janus": "success", '),
    ("empty text", ""),
    ("not JSON at all", "hello"),
    ("BOM before JSON text", '\ufeff{"janus": "ack"}'),
    ("too many digits", "1" * 5000),
    ("invalid UTF-8 bytes", b"\xff\xfe\xfd{"),
    ("truncated UTF-8 bytes", b'{"janus": "\xe2\x82'),
    ("bytes of a non-object", b"[1]"),
    ("routable event for nobody", json.dumps(event(None))),
]


@pytest.mark.parametrize("frame", [f for _, f in BAD_FRAMES], ids=[n for n, _ in BAD_FRAMES])
def test_a_frame_that_fits_nowhere_is_dropped(protocol: Protocol, frame: str | bytes) -> None:
    outcomes = protocol.receive_text(frame)
    assert outcomes
    assert all(isinstance(o, Dropped) for o in outcomes)


@pytest.mark.parametrize("frame", [f for _, f in BAD_FRAMES], ids=[n for n, _ in BAD_FRAMES])
def test_a_frame_that_fits_nowhere_leaves_pending_requests_alone(
    protocol: Protocol, frame: str | bytes
) -> None:
    t = send(protocol, messages.message(SESSION, HANDLE, {}), "asking")
    protocol.receive_text(frame)
    assert protocol.pending_count == 1
    assert feed(protocol, event(t)) == Resolved("asking", event(t))


@pytest.mark.parametrize(
    "frame", ["[" * 100_000, '{"a":' * 100_000, b"[" * 100_000], ids=["array", "object", "bytes"]
)
def test_a_deeply_nested_frame_is_dropped(protocol: Protocol, frame: str | bytes) -> None:
    outcomes = protocol.receive_text(frame)
    assert all(isinstance(o, Dropped) for o in outcomes)


def test_a_dropped_frame_is_logged_as_a_warning(
    protocol: Protocol, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        protocol.receive_text("hello")
    assert [r.levelno for r in caplog.records] == [logging.WARNING]


def test_malformed_json_keeps_the_raw_frame(protocol: Protocol) -> None:
    (outcome,) = protocol.receive_text("{oops")
    assert isinstance(outcome, Dropped)
    assert outcome.message == "{oops"
    assert outcome.reason.startswith("malformed JSON frame")


def test_bytes_frame_of_a_reply_resolves(protocol: Protocol) -> None:
    t = send(protocol, messages.ping(), "pinging")
    outcomes = protocol.receive_text(json.dumps({"janus": "pong", "transaction": t}).encode())
    assert outcomes == [Resolved("pinging", {"janus": "pong", "transaction": t})]


def test_long_poll_keepalive_is_dropped_without_a_warning(
    protocol: Protocol, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        outcome = feed(protocol, {"janus": "keepalive"})
    assert outcome == Dropped("long-poll keepalive", {"janus": "keepalive"})
    assert caplog.records == []


# -- arrays (HTTP long-poll batches) --------------------------------------------------


@pytest.mark.parametrize("frame", ["42", "null", '"s"', "true", "[]", "1.5"])
def test_json_that_is_neither_an_object_nor_a_non_empty_array_is_logged_and_dropped(
    protocol: Protocol, caplog: pytest.LogCaptureFixture, frame: str
) -> None:
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        outcomes = protocol.receive_text(frame)
    assert outcomes == [Dropped("frame is not a JSON object", json.loads(frame))]
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert repr(json.loads(frame)) in caplog.records[0].getMessage()


def test_array_is_handled_item_by_item_in_order(routed: Protocol) -> None:
    t1 = send(routed, messages.ping(), "first")
    t2 = send(routed, messages.keepalive(SESSION), "second")
    batch = [
        ack(t2),
        {"janus": "webrtcup", "session_id": SESSION},
        {"janus": "pong", "transaction": t1},
    ]
    outcomes = routed.receive_text(json.dumps(batch))
    assert outcomes == [
        Resolved("second", batch[0]),
        Routed("session-target", SESSION, None, batch[1]),
        Resolved("first", batch[2]),
    ]
    assert_no_leftovers(routed)


def test_array_items_that_fit_nowhere_are_dropped_one_by_one(protocol: Protocol) -> None:
    t = send(protocol, messages.ping(), "pinging")
    outcomes = protocol.receive_text(json.dumps([1, [], {"janus": "pong", "transaction": t}]))
    assert [type(o) for o in outcomes] == [Dropped, Dropped, Resolved]


def test_receive_messages_handles_decoded_messages_in_order(protocol: Protocol) -> None:
    t = send(protocol, messages.ping(), "pinging")
    outcomes = protocol.receive_messages(iter(["junk", {"janus": "pong", "transaction": t}]))
    assert [type(o) for o in outcomes] == [Dropped, Resolved]


def test_receive_message_takes_one_decoded_message(protocol: Protocol) -> None:
    t = send(protocol, messages.ping(), "pinging")
    reply = {"janus": "pong", "transaction": t}
    assert protocol.receive_message(reply) == Resolved("pinging", reply)


# -- routing of unsolicited messages --------------------------------------------------


@pytest.mark.parametrize("kind", ROUTABLE_KINDS)
def test_unsolicited_message_with_a_known_sender_goes_to_the_handle(
    routed: Protocol, kind: str
) -> None:
    message = {"janus": kind, "session_id": SESSION, "sender": HANDLE}
    assert feed(routed, message) == Routed("handle-target", SESSION, HANDLE, message)


@pytest.mark.parametrize("kind", ROUTABLE_KINDS)
def test_unsolicited_message_without_sender_goes_to_the_session(
    routed: Protocol, kind: str
) -> None:
    message = {"janus": kind, "session_id": SESSION}
    assert feed(routed, message) == Routed("session-target", SESSION, None, message)


@pytest.mark.parametrize("kind", ROUTABLE_KINDS)
def test_unsolicited_message_for_nobody_is_dropped(protocol: Protocol, kind: str) -> None:
    outcome = feed(protocol, {"janus": kind, "session_id": SESSION, "sender": HANDLE})
    assert isinstance(outcome, Dropped)
    assert outcome.reason == f"{kind!r} for no known session or handle"


def test_message_from_a_handle_this_client_does_not_have_is_logged_and_dropped(
    routed: Protocol, caplog: pytest.LogCaptureFixture
) -> None:
    message = {"janus": "webrtcup", "session_id": SESSION, "sender": 9999}
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        outcome = feed(routed, message)
    assert outcome == Dropped("'webrtcup' for no known session or handle", message)
    assert [r.levelno for r in caplog.records] == [logging.WARNING]


def test_message_from_a_known_handle_without_session_id_has_session_zero(
    routed: Protocol,
) -> None:
    message = {"janus": "media", "sender": HANDLE}
    assert feed(routed, message) == Routed("handle-target", 0, HANDLE, message)


def test_message_for_an_unknown_session_is_dropped(routed: Protocol) -> None:
    assert isinstance(feed(routed, {"janus": "timeout", "session_id": 4444}), Dropped)


def test_boolean_session_id_is_not_a_session_id() -> None:
    protocol: Protocol = JanusProtocol()
    protocol.add_session(1, "session-target")
    assert isinstance(feed(protocol, {"janus": "timeout", "session_id": True}), Dropped)


def test_boolean_sender_is_not_a_handle_id() -> None:
    protocol: Protocol = JanusProtocol()
    protocol.add_handle(1, "handle-target")
    assert isinstance(feed(protocol, {"janus": "media", "sender": True}), Dropped)


@pytest.mark.parametrize(
    ("ids", "field"),
    [
        ({"session_id": SESSION, "sender": True}, "sender"),
        ({"session_id": SESSION, "sender": str(HANDLE)}, "sender"),
        ({"session_id": SESSION, "sender": None}, None),
        ({"session_id": str(SESSION), "sender": str(HANDLE)}, "session_id"),
        ({"session_id": 1.5}, "session_id"),
        ({"session_id": False, "sender": HANDLE}, "session_id"),
    ],
)
def test_non_integer_ids_are_logged_and_dropped(
    routed: Protocol, caplog: pytest.LogCaptureFixture, ids: JSON, field: str | None
) -> None:
    message = {"janus": "webrtcup", **ids}
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        outcome = feed(routed, message)
    if field is None:  # a null sender is no sender: the session's message
        assert outcome == Routed("session-target", SESSION, None, message)
        assert caplog.records == []
        return
    assert outcome == Dropped(f"'webrtcup' with a {field} that is not an integer", message)
    assert [r.levelno for r in caplog.records] == [logging.WARNING]


def test_an_event_with_a_transaction_never_issued_is_logged_and_dropped(
    routed: Protocol, caplog: pytest.LogCaptureFixture
) -> None:
    issued = send(routed, messages.keepalive(SESSION))
    prefix = issued[:-1]
    strangers = ["long-gone", *(prefix + n for n in ("2", "0", "01", "zz")), issued + "0"]
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        outcomes = [feed(routed, event(t)) for t in strangers]
    assert outcomes == [
        Dropped("'event' carries a transaction this client never issued", event(t))
        for t in strangers
    ]
    assert [r.levelno for r in caplog.records] == [logging.WARNING] * len(strangers)


def test_a_later_event_with_the_transaction_of_an_answered_request_is_routed(
    routed: Protocol,
) -> None:
    """SIP: ``registering`` answers ``register``; ``registered`` follows with its transaction."""
    t = send(routed, messages.message(SESSION, HANDLE, {"request": "register"}), "registering")
    feed(routed, ack(t))
    answer = event(t, {"event": "registering"})
    assert feed(routed, answer) == Resolved("registering", answer)
    later = event(t, {"event": "registered"})
    assert feed(routed, later) == Routed("handle-target", SESSION, HANDLE, later)


def test_an_event_with_the_transaction_of_a_request_answered_long_ago_is_routed(
    routed: Protocol,
) -> None:
    first = send(routed, messages.message(SESSION, HANDLE, {}), "first")
    feed(routed, event(first))
    for _ in range(ANSWERED_MEMORY):  # the first answer is forgotten
        t = send(routed, messages.message(SESSION, HANDLE, {}))
        feed(routed, event(t))
    assert first not in routed._answered
    assert feed(routed, event(first)) == Routed("handle-target", SESSION, HANDLE, event(first))


def test_a_second_copy_of_an_answering_event_is_logged_and_dropped(
    routed: Protocol, caplog: pytest.LogCaptureFixture
) -> None:
    t = send(routed, messages.message(SESSION, HANDLE, {}), "asking")
    feed(routed, ack(t))
    assert feed(routed, event(t)) == Resolved("asking", event(t))
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        again = feed(routed, event(t))
    assert again == Dropped("a second copy of the event that answered a request", event(t))
    assert [r.levelno for r in caplog.records] == [logging.WARNING]


def test_a_second_copy_of_a_success_reply_is_logged_and_dropped(
    routed: Protocol, caplog: pytest.LogCaptureFixture
) -> None:
    t = send(routed, messages.message(SESSION, HANDLE, {"request": "list"}), "listing")
    reply = success(t, session_id=SESSION, sender=HANDLE, plugindata={"plugin": PLUGIN})
    assert feed(routed, reply) == Resolved("listing", reply)
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        assert isinstance(feed(routed, reply), Dropped)
    assert [r.levelno for r in caplog.records] == [logging.WARNING]


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        (success("T", session_id=SESSION + 1), "session_id 1112, the request's is 1111"),
        (success("T", session_id=str(SESSION)), "session_id '1111', the request's is 1111"),
        (ack("T") | {"session_id": SESSION + 1}, "session_id 1112, the request's is 1111"),
        (error("T", 458) | {"session_id": 4444}, "session_id 4444, the request's is 1111"),
        (event("T") | {"sender": HANDLE + 1}, "sender 2223, the request's handle is 2222"),
        (event("T") | {"sender": True}, "sender True, the request's handle is 2222"),
        (
            success("T", session_id=SESSION, sender=HANDLE + 1, plugindata={"plugin": PLUGIN}),
            "sender 2223, the request's handle is 2222",
        ),
    ],
)
@pytest.mark.parametrize("expect", [Expect.EVENT, Expect.ACK])
def test_a_reply_for_another_session_or_handle_does_not_resolve_the_request(
    routed: Protocol,
    caplog: pytest.LogCaptureFixture,
    reply: JSON,
    why: str,
    expect: Expect,
) -> None:
    t = send(routed, messages.message(SESSION, HANDLE, {}, expect=expect), "asking")
    reply = {**reply, "transaction": t}
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        outcome = feed(routed, reply)
    assert outcome == Dropped(f"{reply['janus']!r} reply does not fit its request: {why}", reply)
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert routed.pending_count == 1  # it waits on for its own reply
    right = ack(t) if expect is Expect.ACK else event(t)
    assert feed(routed, right) == Resolved("asking", right)


def test_a_keepalive_ack_for_another_session_does_not_resolve_it(
    protocol: Protocol,
) -> None:
    """The fast path of the transports (``complete_reply``) checks the ids too."""
    t = send(protocol, messages.keepalive(SESSION), "keeping")
    stranger = ack(t) | {"session_id": SESSION + 1}
    assert protocol.complete_reply(stranger) is None
    assert protocol.pending_count == 1
    assert protocol.complete_reply(ack(t)) == "keeping"


def test_replies_without_ids_fit_any_request(protocol: Protocol) -> None:
    """Janus's ``create`` reply carries no session_id; a sessionless request takes any."""
    t = send(protocol, messages.message(SESSION, HANDLE, {}, expect=Expect.ACK), "acking")
    assert protocol.complete_reply({"janus": "ack", "transaction": t}) == "acking"
    t = send(protocol, messages.create(), "creating")
    reply = success(t, session_id=SESSION, sender=HANDLE, data={"id": SESSION})
    assert protocol.complete_reply(reply) == "creating"


def test_a_late_event_of_an_ended_session_is_dropped_at_debug(
    routed: Protocol, caplog: pytest.LogCaptureFixture
) -> None:
    routed.remove_session(SESSION)
    late = [
        {"janus": "timeout", "session_id": SESSION},
        {"janus": "detached", "session_id": SESSION, "sender": HANDLE},
    ]
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        outcomes = [feed(routed, message) for message in late]
    assert [o.reason for o in outcomes if isinstance(o, Dropped)] == [
        "late 'timeout' of a session or handle that ended",
        "late 'detached' of a session or handle that ended",
    ]
    assert [r.levelno for r in caplog.records] == [logging.DEBUG, logging.DEBUG]


def test_a_late_message_of_an_ended_handle_without_session_id_is_dropped_at_debug(
    routed: Protocol, caplog: pytest.LogCaptureFixture
) -> None:
    routed.remove_handle(HANDLE)
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        outcome = feed(routed, {"janus": "media", "sender": HANDLE})
    assert isinstance(outcome, Dropped)
    assert outcome.reason == "late 'media' of a session or handle that ended"
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]


def test_messages_for_ids_never_routed_are_logged_at_warning(
    routed: Protocol, caplog: pytest.LogCaptureFixture
) -> None:
    never = [
        {"janus": "timeout", "session_id": 4444},
        {"janus": "media", "sender": 9999},
        {"janus": "media", "session_id": 4444, "sender": HANDLE},  # not its session
        {"janus": "media", "session_id": SESSION, "sender": 9999},
        {"janus": "webrtcup"},
    ]
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        outcomes = [feed(routed, message) for message in never]
    assert all(isinstance(o, Dropped) for o in outcomes)
    assert [r.levelno for r in caplog.records] == [logging.WARNING] * len(never)


def test_the_memory_of_ended_sessions_is_bounded_and_a_new_route_leaves_it(
    protocol: Protocol,
) -> None:
    for session_id in range(1, ENDED_MEMORY + 2):
        protocol.add_session(session_id, "s")
        protocol.remove_session(session_id)
        protocol.add_handle(session_id, "h")
        protocol.remove_handle(session_id)
    assert len(protocol._ended_sessions) == ENDED_MEMORY
    assert len(protocol._ended_handles) == ENDED_MEMORY
    assert 1 not in protocol._ended_sessions
    protocol.add_session(2, "again")
    protocol.add_handle(2, "again")
    assert 2 not in protocol._ended_sessions
    assert 2 not in protocol._ended_handles


def test_a_late_reply_to_an_abandoned_request_is_logged_at_debug(
    protocol: Protocol, caplog: pytest.LogCaptureFixture
) -> None:
    t = send(protocol, messages.keepalive(SESSION))
    protocol.forget(t)
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        outcome = feed(protocol, ack(t))
    assert outcome == Dropped("late reply to a request given up on", ack(t))
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]


def test_a_late_message_of_a_removed_handle_is_dropped_at_debug_not_sent_to_its_session(
    routed: Protocol, caplog: pytest.LogCaptureFixture
) -> None:
    routed.remove_handle(HANDLE)
    message = {"janus": "hangup", "session_id": SESSION, "sender": HANDLE, "reason": "x"}
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        outcome = feed(routed, message)
    assert outcome == Dropped("late 'hangup' of a session or handle that ended", message)
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]


def test_remove_session_stops_routing_the_session(routed: Protocol) -> None:
    routed.remove_session(SESSION)
    assert isinstance(feed(routed, {"janus": "timeout", "session_id": SESSION}), Dropped)
    assert routed.session_ids == []


def test_remove_session_stops_routing_its_handles(routed: Protocol) -> None:
    routed.remove_session(SESSION)
    assert isinstance(feed(routed, event(None)), Dropped)


def test_removing_unknown_routes_is_a_no_op(protocol: Protocol) -> None:
    protocol.remove_session(1)
    protocol.remove_handle(2)
    assert protocol.session_ids == []


def test_session_ids_lists_the_routed_sessions(protocol: Protocol) -> None:
    protocol.add_session(1, "a")
    protocol.add_session(2, "b")
    assert sorted(protocol.session_ids) == [1, 2]


def test_adding_a_route_again_replaces_its_target(protocol: Protocol) -> None:
    protocol.add_handle(HANDLE, "old")
    protocol.add_handle(HANDLE, "new")
    outcome = feed(protocol, {"janus": "media", "sender": HANDLE})
    assert isinstance(outcome, Routed)
    assert outcome.target == "new"


# -- forget ---------------------------------------------------------------------------


def test_forget_returns_the_waiter_and_unregisters_it(protocol: Protocol) -> None:
    t = send(protocol, messages.create(), "creating")
    assert protocol.forget(t) == "creating"
    assert protocol.pending_count == 0


def test_forget_of_an_unknown_transaction_returns_none(protocol: Protocol) -> None:
    assert protocol.forget("nope") is None


def test_forget_of_a_completed_request_returns_none(protocol: Protocol) -> None:
    t = send(protocol, messages.create())
    feed(protocol, success(t))
    assert protocol.forget(t) is None


def test_forget_clears_an_awaited_late_ack(protocol: Protocol) -> None:
    t = send(protocol, messages.message(SESSION, HANDLE, {}))
    feed(protocol, event(t))
    protocol.forget(t)
    assert_no_leftovers(protocol)


def test_reply_after_forget_is_dropped(protocol: Protocol) -> None:
    t = send(protocol, messages.create(), "creating")
    protocol.forget(t)
    assert isinstance(feed(protocol, success(t)), Dropped)


def test_forget_leaves_other_requests_pending(protocol: Protocol) -> None:
    t1 = send(protocol, messages.create(), "first")
    t2 = send(protocol, messages.create(), "second")
    protocol.forget(t1)
    assert feed(protocol, success(t2)) == Resolved("second", success(t2))


# -- fail_all -------------------------------------------------------------------------


def test_fail_all_rejects_every_pending_request_once(protocol: Protocol) -> None:
    for name in ("a", "b", "c"):
        send(protocol, messages.create(), name)
    lost = TransportClosed("gone")
    rejected = protocol.fail_all(lost)
    assert sorted(r.waiter for r in rejected) == ["a", "b", "c"]
    assert all(r.error is lost for r in rejected)


def test_fail_all_clears_every_pending_request(protocol: Protocol) -> None:
    send(protocol, messages.create())
    t = send(protocol, messages.message(SESSION, HANDLE, {}))
    feed(protocol, event(t))  # leaves a late ack awaited
    protocol.fail_all(TransportClosed("gone"))
    assert_no_leftovers(protocol)


def test_fail_all_with_nothing_pending_returns_nothing(protocol: Protocol) -> None:
    assert protocol.fail_all(JanusError("x")) == []


def test_fail_all_keeps_the_routes(routed: Protocol) -> None:
    routed.fail_all(TransportClosed("gone"))
    assert routed.session_ids == [SESSION]
    assert isinstance(feed(routed, event(None)), Routed)


def test_reply_after_fail_all_is_dropped(protocol: Protocol) -> None:
    t = send(protocol, messages.create())
    protocol.fail_all(TransportClosed("gone"))
    assert isinstance(feed(protocol, success(t)), Dropped)


# -- repr -----------------------------------------------------------------------------


def test_repr_counts_pending_sessions_and_handles(routed: Protocol) -> None:
    send(routed, messages.ping())
    assert repr(routed) == "<JanusProtocol pending=1 sessions=1 handles=1>"


def test_complete_reply_leaves_anything_but_a_plain_reply_to_receive_message(
    routed: Protocol,
) -> None:
    t = send(routed, messages.message(SESSION, HANDLE, {}), "asking")
    assert routed.complete_reply({"janus": "ack", "transaction": 7}) is None
    assert routed.complete_reply(ack("nobody-sent-this")) is None
    assert routed.complete_reply(event(t)) is None
    assert routed.complete_reply(success(t, plugindata={"plugin": PLUGIN})) is None
    assert routed.pending_count == 1


def test_the_admin_secret_goes_with_authenticated_requests() -> None:
    protocol: Protocol = JanusProtocol(admin_secret="s")
    outgoing = protocol.send(messages.keepalive(SESSION), "w")
    assert json.loads(outgoing.text)["admin_secret"] == "s"
