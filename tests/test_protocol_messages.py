"""Unit tests for the request builders in rxjanus.protocol.messages."""

from __future__ import annotations

import pytest

from rxjanus.protocol import messages
from rxjanus.protocol.messages import Expect, Request

# -- Expect ---------------------------------------------------------------------------


def test_expect_success_completes_on_success_only() -> None:
    assert Expect.SUCCESS.value == frozenset({"success"})


def test_expect_ack_completes_on_ack_only() -> None:
    assert Expect.ACK.value == frozenset({"ack"})


def test_expect_event_completes_on_event_or_synchronous_success() -> None:
    assert Expect.EVENT.value == frozenset({"event", "success"})


def test_expect_pong_completes_on_pong_only() -> None:
    assert Expect.PONG.value == frozenset({"pong"})


def test_expect_server_info_completes_on_server_info_only() -> None:
    assert Expect.SERVER_INFO.value == frozenset({"server_info"})


# -- Request --------------------------------------------------------------------------


def test_request_is_authenticated_by_default() -> None:
    assert Request({"janus": "x"}, Expect.ACK).authenticated is True


def test_request_janus_is_the_verb() -> None:
    assert Request({"janus": "attach"}, Expect.SUCCESS).janus == "attach"


def test_request_without_session_or_handle_has_none() -> None:
    request = Request({"janus": "info"}, Expect.SERVER_INFO)
    assert request.session_id is None
    assert request.handle_id is None


def test_request_session_and_handle_ids_come_from_the_payload() -> None:
    request = Request({"janus": "detach", "session_id": 1, "handle_id": 2}, Expect.SUCCESS)
    assert request.session_id == 1
    assert request.handle_id == 2


def test_request_is_frozen() -> None:
    request = messages.ping()
    with pytest.raises(AttributeError):
        request.expect = Expect.ACK  # type: ignore[misc]


# -- unauthenticated builders ---------------------------------------------------------


def test_info_asks_for_server_info_without_credentials() -> None:
    request = messages.info()
    assert request.payload == {"janus": "info"}
    assert request.expect is Expect.SERVER_INFO
    assert request.authenticated is False


def test_ping_expects_pong_without_credentials() -> None:
    request = messages.ping()
    assert request.payload == {"janus": "ping"}
    assert request.expect is Expect.PONG
    assert request.authenticated is False


# -- session builders -----------------------------------------------------------------


def test_create_without_id() -> None:
    request = messages.create()
    assert request.payload == {"janus": "create"}
    assert request.expect is Expect.SUCCESS
    assert request.authenticated is True


def test_create_with_a_wanted_id_sends_it_as_id() -> None:
    request = messages.create(1234)
    assert request.payload == {"janus": "create", "id": 1234}
    assert request.session_id is None  # "id", not "session_id": the session does not exist yet


def test_claim() -> None:
    request = messages.claim(7)
    assert request.payload == {"janus": "claim", "session_id": 7}
    assert request.expect is Expect.SUCCESS
    assert request.authenticated is True
    assert request.session_id == 7


def test_keepalive_expects_ack_and_is_authenticated() -> None:
    request = messages.keepalive(7)
    assert request.payload == {"janus": "keepalive", "session_id": 7}
    assert request.expect is Expect.ACK
    assert request.authenticated is True


def test_destroy() -> None:
    request = messages.destroy(7)
    assert request.payload == {"janus": "destroy", "session_id": 7}
    assert request.expect is Expect.SUCCESS
    assert request.authenticated is True


# -- handle builders ------------------------------------------------------------------


def test_attach_without_opaque_id() -> None:
    request = messages.attach(7, "janus.plugin.echotest")
    assert request.payload == {
        "janus": "attach",
        "session_id": 7,
        "plugin": "janus.plugin.echotest",
    }
    assert request.expect is Expect.SUCCESS
    assert request.authenticated is True


def test_attach_with_opaque_id() -> None:
    request = messages.attach(7, "janus.plugin.echotest", opaque_id="me-1")
    assert request.payload["opaque_id"] == "me-1"


def test_detach() -> None:
    request = messages.detach(7, 8)
    assert request.payload == {"janus": "detach", "session_id": 7, "handle_id": 8}
    assert request.expect is Expect.SUCCESS
    assert request.authenticated is True
    assert (request.session_id, request.handle_id) == (7, 8)


def test_hangup() -> None:
    request = messages.hangup(7, 8)
    assert request.payload == {"janus": "hangup", "session_id": 7, "handle_id": 8}
    assert request.expect is Expect.SUCCESS
    assert request.authenticated is True


def test_message_without_jsep_expects_event() -> None:
    request = messages.message(7, 8, {"request": "list"})
    assert request.payload == {
        "janus": "message",
        "session_id": 7,
        "handle_id": 8,
        "body": {"request": "list"},
    }
    assert request.expect is Expect.EVENT
    assert request.authenticated is True


def test_message_with_jsep_carries_it() -> None:
    jsep = {"type": "offer", "sdp": "v=0\r\n"}
    request = messages.message(7, 8, {"audio": True}, jsep)
    assert request.payload["jsep"] == jsep


def test_message_can_complete_on_the_ack_alone() -> None:
    assert messages.message(7, 8, {}, expect=Expect.ACK).expect is Expect.ACK


def test_trickle_one_candidate() -> None:
    candidate = {"candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host", "sdpMid": "0"}
    request = messages.trickle(7, 8, candidate)
    assert request.payload == {
        "janus": "trickle",
        "session_id": 7,
        "handle_id": 8,
        "candidate": candidate,
    }
    assert request.expect is Expect.ACK
    assert request.authenticated is True


def test_trickle_several_candidates() -> None:
    batch = [{"candidate": "a", "sdpMid": "0"}, {"candidate": "b", "sdpMid": "1"}]
    request = messages.trickle(7, 8, candidates=batch)
    assert request.payload["candidates"] == batch
    assert "candidate" not in request.payload


def test_trickle_without_candidate_means_end_of_candidates() -> None:
    request = messages.trickle(7, 8)
    assert request.payload["candidate"] == {"completed": True}


def test_trickle_empty_candidate_list_is_sent_as_is() -> None:
    assert messages.trickle(7, 8, candidates=[]).payload["candidates"] == []


def test_builders_never_add_transaction_or_credentials() -> None:
    built = [
        messages.info(),
        messages.ping(),
        messages.create(),
        messages.claim(1),
        messages.keepalive(1),
        messages.destroy(1),
        messages.attach(1, "p"),
        messages.detach(1, 2),
        messages.hangup(1, 2),
        messages.message(1, 2, {}),
        messages.trickle(1, 2),
    ]
    for request in built:
        assert not {"transaction", "apisecret", "token"} & request.payload.keys()


def test_builders_return_fresh_payloads() -> None:
    first = messages.create()
    first.payload["id"] = 99
    assert messages.create().payload == {"janus": "create"}
