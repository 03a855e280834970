"""Hypothesis fuzz tests for JanusProtocol: hostile frames and replies in any order."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from rxjanus.exceptions import JanusApiError, PluginError, TransportClosed
from rxjanus.protocol import JSON, Dropped, JanusProtocol, Rejected, Resolved, Routed, messages

Protocol = JanusProtocol[str, str]

SESSION = 1111
HANDLE = 2222
PLUGIN = "janus.plugin.echotest"

KINDS = [
    "success",
    "ack",
    "event",
    "error",
    "pong",
    "server_info",
    "keepalive",
    "webrtcup",
    "media",
    "slowlink",
    "hangup",
    "detached",
    "ice-failed",
    "trickle",
    "timeout",
]

# -- strategies -----------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=25,
)
ids = st.one_of(
    st.sampled_from([SESSION, HANDLE, 0, -1, 2**53]), st.booleans(), st.text(max_size=5)
)
janus_like = st.fixed_dictionaries(
    {"janus": st.sampled_from(KINDS) | json_values},
    optional={
        "transaction": st.text(max_size=12) | json_scalars,
        "session_id": ids,
        "sender": ids,
        "error": json_values
        | st.fixed_dictionaries({"code": json_scalars, "reason": json_scalars}),
        "plugindata": json_values
        | st.fixed_dictionaries(
            {"plugin": json_scalars},
            optional={
                "data": json_values
                | st.fixed_dictionaries({"error_code": json_scalars, "error": json_scalars})
            },
        ),
        "jsep": json_values,
    },
)
frames_as_text = (
    st.text()
    | st.binary()
    | json_values.map(json.dumps)
    | janus_like.map(json.dumps)
    | st.lists(janus_like | json_values, max_size=4).map(json.dumps)
    | janus_like.map(lambda m: json.dumps(m).encode())
)


def fresh(*, routes: bool = True) -> Protocol:
    protocol: Protocol = JanusProtocol(api_secret="s", token="t")
    if routes:
        protocol.add_session(SESSION, "session-target")
        protocol.add_handle(HANDLE, "handle-target")
    return protocol


def event_reply(transaction: str) -> JSON:
    return {
        "janus": "event",
        "session_id": SESSION,
        "sender": HANDLE,
        "transaction": transaction,
        "plugindata": {"plugin": PLUGIN, "data": {"result": "ok"}},
    }


def carries(frame: str | bytes, transactions: set[str]) -> bool:
    """Whether a fuzzed frame happens to name one of our transactions."""
    text = frame.decode("utf-8", "replace") if isinstance(frame, bytes) else frame
    return any(t in text for t in transactions)


# -- hostile frames -------------------------------------------------------------------


@given(frame=frames_as_text)
@settings(max_examples=500)
def test_receive_text_never_raises(frame: str | bytes) -> None:
    outcomes = fresh().receive_text(frame)
    assert all(isinstance(o, Dropped | Routed) for o in outcomes)


@given(value=json_values | janus_like)
def test_receive_message_never_raises_on_decoded_values(value: Any) -> None:
    outcome = fresh().receive_message(value)
    assert isinstance(outcome, Dropped | Routed)


@given(frames=st.lists(frames_as_text, max_size=10))
@settings(max_examples=300)
def test_a_pending_request_survives_any_frames_before_its_reply(
    frames: list[str | bytes],
) -> None:
    protocol = fresh()
    transaction = protocol.send(messages.message(SESSION, HANDLE, {"request": "x"}), "asking")
    assume(not any(carries(f, {transaction.transaction}) for f in frames))
    for frame in frames:
        protocol.receive_text(frame)
    protocol.receive_text(json.dumps({"janus": "ack", "transaction": transaction.transaction}))
    reply = event_reply(transaction.transaction)
    assert protocol.receive_text(json.dumps(reply)) == [Resolved("asking", reply)]
    assert protocol.pending_count == 0
    assert protocol._awaiting_ack == set()


@given(frames=st.lists(frames_as_text, max_size=10))
def test_frames_fitting_nowhere_never_complete_a_request(frames: list[str | bytes]) -> None:
    protocol = fresh()
    outgoing = protocol.send(messages.create(), "creating")
    assume(not any(carries(f, {outgoing.transaction}) for f in frames))
    for frame in frames:
        assert not any(isinstance(o, Resolved | Rejected) for o in protocol.receive_text(frame))
    assert protocol.pending_count == 1


# -- replies in any order, with duplicates --------------------------------------------

REQUESTS = {
    "create": (messages.create(), "success"),
    "keepalive": (messages.keepalive(SESSION), "ack"),
    "ping": (messages.ping(), "pong"),
    "info": (messages.info(), "server_info"),
    "trickle": (messages.trickle(SESSION, HANDLE), "ack"),
    "message": (messages.message(SESSION, HANDLE, {"request": "x"}), "event"),
}


def replies_for(name: str, transaction: str, variant: int) -> tuple[list[JSON], JSON]:
    """Return every frame Janus sends for a request, and the one that completes it."""
    completing: JSON
    if variant == 0:  # an error reply
        completing = {"janus": "error", "transaction": transaction, "error": {"code": 458}}
        return [completing], completing
    kind = REQUESTS[name][1]
    if name != "message":
        completing = {"janus": kind, "transaction": transaction, "session_id": SESSION}
        return [completing], completing
    if variant == 1:  # a synchronous success
        completing = {"janus": "success", "transaction": transaction, "sender": HANDLE}
        return [completing], completing
    completing = event_reply(transaction)
    if variant == 3:  # a plugin error
        completing["plugindata"]["data"] = {"error_code": 426, "error": "No such room"}
    return [{"janus": "ack", "transaction": transaction}, completing], completing


@given(
    plan=st.lists(
        st.tuples(st.sampled_from(sorted(REQUESTS)), st.integers(0, 3)), min_size=1, max_size=8
    ),
    data=st.data(),
)
@settings(max_examples=300)
def test_replies_in_any_order_with_duplicates_resolve_each_request_once(
    plan: list[tuple[str, int]], data: st.DataObject
) -> None:
    protocol = fresh()
    expected: dict[str, JSON] = {}
    frames: list[JSON] = []
    for n, (name, variant) in enumerate(plan):
        waiter = f"w{n}"
        transaction = protocol.send(REQUESTS[name][0], waiter).transaction
        sent, completing = replies_for(name, transaction, variant)
        expected[waiter] = completing
        frames += sent
    duplicates = data.draw(st.lists(st.sampled_from(frames), max_size=len(frames)))
    order = data.draw(st.permutations(frames + duplicates))

    completed: dict[str, list[Resolved[str] | Rejected[str]]] = {w: [] for w in expected}
    for frame in order:
        for outcome in protocol.receive_text(json.dumps(frame)):
            if isinstance(outcome, Resolved | Rejected):
                completed[outcome.waiter].append(outcome)

    for waiter, completing in expected.items():
        (outcome,) = completed[waiter]
        if completing["janus"] == "error":
            assert isinstance(outcome, Rejected)
            assert isinstance(outcome.error, JanusApiError)
        elif "error_code" in completing.get("plugindata", {}).get("data", {}):
            assert isinstance(outcome, Rejected)
            assert isinstance(outcome.error, PluginError)
        else:
            assert outcome == Resolved(waiter, completing)
    assert protocol.pending_count == 0
    assert protocol._awaiting_ack == set()


# -- a state machine: requests, replies, junk, forget, fail_all -----------------------


@dataclass
class _Request:
    waiter: str
    frames: list[JSON]
    completing: JSON
    sent: messages.Request
    delivered: list[JSON] = field(default_factory=list)
    done: bool = False
    cancelled: bool = False


class ProtocolMachine(RuleBasedStateMachine):
    """Drives one JanusProtocol and checks it against a model of what is pending."""

    def __init__(self) -> None:
        super().__init__()
        self.protocol = fresh()
        self.requests: dict[str, _Request] = {}
        self.completions: dict[str, int] = {}

    def _undelivered(self) -> list[str]:
        return sorted(t for t, r in self.requests.items() if len(r.delivered) < len(r.frames))

    def _feed(self, frame: str | bytes) -> None:
        for outcome in self.protocol.receive_text(frame):
            if isinstance(outcome, Resolved | Rejected):
                self.completions[outcome.waiter] = self.completions.get(outcome.waiter, 0) + 1

    @rule(name=st.sampled_from(sorted(REQUESTS)), variant=st.integers(0, 3))
    def send(self, name: str, variant: int) -> None:
        waiter = f"w{len(self.requests)}"
        transaction = self.protocol.send(REQUESTS[name][0], waiter).transaction
        frames, completing = replies_for(name, transaction, variant)
        self.requests[transaction] = _Request(waiter, frames, completing, REQUESTS[name][0])

    @precondition(lambda self: bool(self._undelivered()))
    @rule(data=st.data())
    def deliver(self, data: st.DataObject) -> None:
        """Deliver a reply not sent yet, in any order, even after forget or fail_all."""
        transaction = data.draw(st.sampled_from(self._undelivered()))
        request = self.requests[transaction]
        left = [f for f in request.frames if f not in request.delivered]
        frame = data.draw(st.sampled_from(left))
        request.delivered.append(frame)
        self._feed(json.dumps(frame))
        if frame is request.completing and not request.done:
            request.done = True
            assert self.completions[request.waiter] == 1

    @precondition(lambda self: any(r.delivered for r in self.requests.values()))
    @rule(data=st.data())
    def redeliver(self, data: st.DataObject) -> None:
        delivered = [f for r in self.requests.values() for f in r.delivered]
        self._feed(json.dumps(data.draw(st.sampled_from(delivered))))

    def _in_sessions(self) -> list[str]:
        return [t for t in self._undelivered() if self.requests[t].sent.session_id is not None]

    @precondition(lambda self: bool(self._in_sessions()))
    @rule(data=st.data())
    def misfit(self, data: st.DataObject) -> None:
        """A reply of a pending request but for another session or handle resolves nothing."""
        transaction = data.draw(st.sampled_from(self._in_sessions()))
        request = self.requests[transaction]
        frame = data.draw(st.sampled_from(request.frames))
        wrong = {"session_id": SESSION + 1}
        if request.sent.handle_id is not None:
            wrong = data.draw(st.sampled_from([wrong, {"sender": HANDLE + 1}]))
        before = dict(self.completions)
        self._feed(json.dumps({**frame, **wrong}))
        assert self.completions == before

    @rule(frame=frames_as_text)
    def junk(self, frame: str | bytes) -> None:
        assume(not carries(frame, set(self.requests)))
        before = dict(self.completions)
        self._feed(frame)
        assert self.completions == before

    @precondition(lambda self: bool(self.requests))
    @rule(data=st.data())
    def forget(self, data: st.DataObject) -> None:
        transaction = data.draw(st.sampled_from(sorted(self.requests)))
        request = self.requests[transaction]
        waiter = self.protocol.forget(transaction)
        assert waiter == (None if request.done else request.waiter)
        request.cancelled |= not request.done
        request.done = True

    @rule()
    def fail_all(self) -> None:
        rejected = self.protocol.fail_all(TransportClosed("gone"))
        open_waiters = sorted(r.waiter for r in self.requests.values() if not r.done)
        assert sorted(r.waiter for r in rejected) == open_waiters
        for request in self.requests.values():
            request.cancelled |= not request.done
            request.done = True

    @invariant()
    def pending_matches_the_model(self) -> None:
        assert self.protocol.pending_count == sum(not r.done for r in self.requests.values())

    @invariant()
    def nothing_completes_twice(self) -> None:
        assert all(count == 1 for count in self.completions.values())

    @invariant()
    def cancelled_requests_never_complete(self) -> None:
        for request in self.requests.values():
            if request.cancelled:
                assert request.waiter not in self.completions

    @invariant()
    def late_acks_are_only_awaited_for_completed_messages(self) -> None:
        for transaction in self.protocol._awaiting_ack:
            request = self.requests[transaction]
            assert request.completing["janus"] == "event"
            assert not any(f["janus"] == "ack" for f in request.delivered)


ProtocolMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40)
TestProtocolMachine = ProtocolMachine.TestCase
