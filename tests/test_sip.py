"""The SIP plugin against the real Janus and our SIP peer (tests/sip_peer.py) on loopback."""

from __future__ import annotations

import array
import asyncio
import logging
import math
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from reactivex import operators as ops

from rxjanus import JanusSession
from rxjanus.plugins.sip import (
    JanusSipPlugin,
    SipError,
    SipEventType,
    SipResponseError,
    sip_event_type,
    sip_result,
)
from rxjanus.testing import (
    JanusServer,
    SyntheticAudioTrack,
    SyntheticVideoTrack,
    enable_loopback_ice,
    loopback_rtc_configuration,
)

from .helpers import Recorder
from .sip_peer import SipPeer

PASSWORD = "s3cret-pw"
FRAMES_WANTED = 50  # 1 s of 20 ms audio frames


@pytest.fixture(autouse=True)
def loopback_ice() -> None:
    enable_loopback_ice()


@pytest.fixture
async def peer() -> AsyncIterator[SipPeer]:
    async with SipPeer(
        users={
            name: PASSWORD
            for name in ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan")
        }
    ) as sip_peer:
        yield sip_peer


def event(kind: SipEventType) -> Callable[[Any], bool]:
    """A predicate for a SIP plugin event of ``kind`` on ``events``."""
    return lambda message: sip_event_type(message) is kind


def recording_sizes(folder: Path) -> dict[str, int]:
    """The .mjr files in ``folder`` and their sizes."""
    return {path.name: path.stat().st_size for path in folder.glob("*.mjr")}


def new_phone() -> JanusSipPlugin:
    return JanusSipPlugin(pc_config=loopback_rtc_configuration())


async def registered_phone(session: JanusSession, peer: SipPeer, user: str) -> JanusSipPlugin:
    phone = new_phone()
    await phone.attach(session)
    await phone.register(f"sip:{user}@127.0.0.1", secret=PASSWORD, proxy=peer.uri)
    return phone


async def test_register_with_digest_auth_and_a_wrong_password(
    url: str, janus: JanusServer, peer: SipPeer
) -> None:
    async with JanusSession(base_url=url) as session:
        phone = new_phone()
        await phone.attach(session)
        events = Recorder(phone.events)
        result = await phone.register("sip:alice@127.0.0.1", secret=PASSWORD, proxy=peer.uri)
        assert result["username"] == "alice"
        assert result["register_sent"] is True
        assert phone.username == "sip:alice@127.0.0.1"
        assert phone.master_id is not None
        # The registrar challenged the first REGISTER and accepted the answer.
        registers = peer.requests("REGISTER")
        assert registers[0].header("authorization") is None
        assert 'username="alice"' in (registers[-1].header("authorization") or "")
        assert "alice" in peer.registrations
        registered = await events.wait_value(event(SipEventType.REGISTERED))
        assert sip_result(registered)["username"] == "alice"

        intruder = new_phone()
        await intruder.attach(session)
        intruder_events = Recorder(intruder.events)
        with pytest.raises(SipResponseError) as refused:
            await intruder.register("sip:bob@127.0.0.1", secret="wrong", proxy=peer.uri)
        assert refused.value.code == 403
        assert refused.value.reason == "Forbidden"
        assert refused.value.event == "registration_failed"
        assert isinstance(refused.value, SipError)
        assert intruder.username is None
        assert "bob" not in peer.registrations
        failed = await intruder_events.wait_value(event(SipEventType.REGISTRATION_FAILED))
        assert sip_result(failed)["code"] == 403

        unregistered = await phone.unregister()
        assert unregistered["username"] == "alice"
        assert "alice" not in peer.registrations
        assert phone.username is None
    assert janus.list_sessions() == []


def audio_level(frame: Any) -> float:
    """The RMS of a decoded s16 audio frame, 0..1."""
    count = frame.samples * len(frame.layout.channels)
    samples = array.array("h", bytes(frame.planes[0]))[:count]
    return math.sqrt(sum(s * s for s in samples) / max(count, 1)) / 32768.0


async def test_outgoing_call_with_media_dtmf_info_message_hold_and_hangup(
    url: str, janus: JanusServer, peer: SipPeer
) -> None:
    async with JanusSession(base_url=url) as session:
        phone = await registered_phone(session, peer, "alice")
        events = Recorder(phone.events)
        levels = Recorder(phone.frames("audio").pipe(ops.map(audio_level)))
        tone = SyntheticAudioTrack()
        accepted = await phone.call(peer.user_uri("echo"), tone)
        assert accepted["event"] == "accepted"
        assert phone.in_call
        call = await peer.wait_call("echo")
        assert phone.call_id == call.call_id
        assert "m=audio" in call.invite.body if call.invite else False
        await events.wait_value(event(SipEventType.ACCEPTED))

        # Media: our tone reaches the peer as RTP, and its echo comes back decoded.
        await call.media["audio"].wait_received(FRAMES_WANTED)
        await levels.wait_for(lambda r: len(r.values) >= FRAMES_WANTED, timeout=30)
        assert max(levels.values) > 0.05, "the echoed tone is silent"
        print(
            f"audio: sent {tone.frames_sent} frames, peer got {call.media['audio'].received} "
            f"RTP packets, {len(levels.values)} frames back"
        )

        dtmf = await phone.send_dtmf("5", duration=200)
        assert dtmf["event"] == "dtmfsent"
        info = await peer.wait_request("INFO", call.call_id)
        assert info.header("content-type") == "application/dtmf-relay"
        assert "Signal=5" in info.body
        assert "Duration=200" in info.body

        await phone.send_info("text/plain", "hello over INFO")
        await peer.wait_message(lambda m: m.method == "INFO" and m.body == "hello over INFO")
        sent = await phone.send_message("hello over MESSAGE")
        assert sent["event"] == "messagesent"
        message = await peer.wait_request("MESSAGE", call.call_id)
        assert message.body == "hello over MESSAGE"
        delivery = await events.wait_value(event(SipEventType.MESSAGEDELIVERY))
        assert sip_result(delivery)["code"] == 200

        # The peer's INFO and MESSAGE reach us as events.
        peer.request(call, "INFO", "from the peer", "text/plain")
        peer.request(call, "MESSAGE", "peer says hi", "text/plain")
        incoming_info = await events.wait_value(event(SipEventType.INFO))
        assert sip_result(incoming_info)["content"] == "from the peer"
        incoming_message = await events.wait_value(event(SipEventType.MESSAGE))
        assert sip_result(incoming_message)["content"] == "peer says hi"

        # Hold and resume are re-INVITEs with the media direction changed.
        assert (await phone.hold())["event"] == "holding"
        held = await peer.wait_message(
            lambda m: m.method == "INVITE" and m.call_id == call.call_id and "a=sendonly" in m.body
        )
        # Janus ignores (never answers) a hold/unhold while a re-INVITE is going on:
        # wait until it has ACKed the peer's answer.
        await peer.wait_message(
            lambda m: m.method == "ACK" and m.call_id == call.call_id and m.cseq[0] == held.cseq[0]
        )
        assert (await phone.unhold())["event"] == "resuming"
        await peer.wait_message(
            lambda m: (
                m.method == "INVITE"
                and m.call_id == call.call_id
                and m.cseq[0] > held.cseq[0]
                and "a=sendonly" not in m.body
            )
        )

        ended = await phone.hangup()
        assert ended["event"] == "hangup"
        await peer.wait_request("BYE", call.call_id)
        assert call.ended
        assert not phone.in_call
        await levels.wait_for(lambda r: r.ended, timeout=10)
        with pytest.raises(SipError) as no_call:
            await phone.hangup()
        assert no_call.value.code == 0
    assert janus.list_sessions() == []


async def test_busy_unanswered_and_early_media_calls(janus: JanusServer, peer: SipPeer) -> None:
    async with JanusSession(base_url=janus.ws_url) as session:
        phone = await registered_phone(session, peer, "carol")
        with pytest.raises(SipResponseError) as busy:
            await phone.call(peer.user_uri("busy"), SyntheticAudioTrack())
        assert (busy.value.code, busy.value.event) == (486, "hangup")
        assert not phone.in_call

        # Janus stays busy for up to a second after a call: the next one gets its own handle.
        phone = await registered_phone(session, peer, "frank")
        events = Recorder(phone.events)
        calling = await phone.call(
            peer.user_uri("noanswer"), SyntheticAudioTrack(), wait_accepted=False
        )
        assert calling["event"] in ("calling", "ringing", "proceeding")
        await events.wait_value(event(SipEventType.RINGING))
        call = await peer.wait_call("noanswer")
        cancelled = await phone.hangup()
        assert cancelled["code"] == 487
        await peer.wait_request("CANCEL", call.call_id)
        assert call.final == 487

        # Early media: a 183 with the answer (progress), then the 200 (accepted, no answer).
        phone = await registered_phone(session, peer, "heidi")
        events = Recorder(phone.events)
        levels = Recorder(phone.frames("audio").pipe(ops.map(audio_level)))
        accepted = await phone.call(peer.user_uri("early-echo"), SyntheticAudioTrack())
        assert accepted["event"] == "accepted"
        progress = await events.wait_value(event(SipEventType.PROGRESS))
        assert progress["jsep"]["type"] == "answer"
        late = await events.wait_value(event(SipEventType.ACCEPTED))
        assert "jsep" not in late
        await levels.wait_for(lambda r: len(r.values) >= FRAMES_WANTED, timeout=30)
        assert max(levels.values) > 0.05
        await phone.hangup()
    assert janus.list_sessions() == []


async def test_incoming_calls_declined_and_accepted(
    url: str, janus: JanusServer, peer: SipPeer
) -> None:
    async with JanusSession(base_url=url) as session:
        # Declined: with 603, and with the default 486. (Janus keeps a handle
        # busy for up to a second after a call, so each call has its own handle.)
        for user, code, expected in (("dave", 603, 603), ("erin", None, 486)):
            refuser = await registered_phone(session, peer, user)
            refused = await peer.invite(user)
            ringing = await refuser.wait_incoming_call(timeout=30)
            assert ringing.call_id == refused.call_id
            declined = await refuser.decline(code)
            assert declined["event"] == "hangup"
            assert declined["code"] == expected
            assert await refused.wait_final() == expected
            assert refuser.incoming_call is None
            assert not refuser.in_call
            await refuser.detach()

        phone = await registered_phone(session, peer, "bob")
        events = Recorder(phone.events)
        call = await peer.invite("bob", display="Peer Caller")
        incoming = await phone.wait_incoming_call(timeout=30)
        assert incoming.call_id == call.call_id
        assert incoming.displayname == "Peer Caller"
        assert incoming.username.startswith("sip:caller@")
        assert incoming.jsep is not None
        assert incoming.jsep["type"] == "offer"
        assert await peer.wait_message(lambda m: m.call_id == call.call_id and m.status == 180)
        levels = Recorder(phone.frames("audio").pipe(ops.map(audio_level)))
        tone = SyntheticAudioTrack()
        accepted = await phone.accept(tone)
        assert accepted["event"] == "accepted"
        assert await call.wait_final() == 200
        assert phone.in_call
        await call.media["audio"].wait_received(FRAMES_WANTED)
        await levels.wait_for(lambda r: len(r.values) >= FRAMES_WANTED, timeout=30)
        assert max(levels.values) > 0.05
        print(
            f"incoming call audio: sent {tone.frames_sent} frames, peer got "
            f"{call.media['audio'].received} RTP packets, {len(levels.values)} frames back"
        )

        # A second call while in one: Janus answers 486 and tells us it was missed.
        second = await peer.invite("bob")
        assert await second.wait_final() == 486
        missed = await events.wait_value(event(SipEventType.MISSED_CALL))
        assert sip_result(missed)["caller"].startswith("sip:caller@")
        assert phone.in_call

        # The peer hangs up: the call and our media end.
        peer.request(call, "BYE")
        hangup = await events.wait_value(
            lambda m: event(SipEventType.HANGUP)(m) and sip_result(m)["code"] == 200
        )
        assert sip_result(hangup)["reason"]
        await levels.wait_for(lambda r: r.ended, timeout=10)
        assert not phone.in_call
    assert janus.list_sessions() == []


async def test_update_transfer_and_recording_in_a_call(
    janus: JanusServer, peer: SipPeer, tmp_path: Path
) -> None:
    async with JanusSession(base_url=janus.ws_url) as session:
        phone = await registered_phone(session, peer, "grace")
        events = Recorder(phone.events)
        levels = Recorder(phone.frames("audio").pipe(ops.map(audio_level)))
        sizes = Recorder(phone.frames("video").pipe(ops.map(lambda f: (f.width, f.height))))
        camera = SyntheticVideoTrack(320, 240)
        phone.peer.add_track(camera)  # video too: the INVITE offers audio and video
        await phone.call(peer.user_uri("echo-grace"), SyntheticAudioTrack())
        call = await peer.wait_call("echo-grace")
        assert sorted(call.media) == ["audio", "video"]
        await levels.wait_for(lambda r: len(r.values) >= 10, timeout=30)
        await sizes.wait_for(lambda r: len(r.values) >= 30, timeout=30)
        assert sizes.values[-1] == (320, 240)
        print(
            f"video: sent {camera.frames_sent} frames, peer got {call.media['video'].received} "
            f"RTP packets, {len(sizes.values)} frames back"
        )

        # A renegotiation: our new offer goes out as a re-INVITE; the answer is applied.
        updated = await phone.update()
        assert updated["event"] == "accepted"
        reinvites = [m for m in peer.requests("INVITE", call.call_id) if m.cseq[0] > 1]
        assert reinvites
        assert phone.pc.signalingState == "stable"
        frames_then = len(levels.values)
        await levels.wait_for(lambda r: len(r.values) >= frames_then + FRAMES_WANTED, timeout=30)

        # Recording on the server: our audio and the peer's, as .mjr files.
        base = tmp_path / "sip-call"
        started = await phone.recording("start", audio=True, peer_audio=True, filename=str(base))
        assert started["event"] == "recordingupdated"
        frames_then = len(levels.values)
        await levels.wait_for(lambda r: len(r.values) >= frames_then + 25, timeout=30)
        stopped = await phone.recording("stop", audio=True, peer_audio=True)
        assert stopped["event"] == "recordingupdated"
        recordings = recording_sizes(tmp_path)
        assert sorted(recordings) == ["sip-call-peer-audio.mjr", "sip-call-user-audio.mjr"]
        assert min(recordings.values()) > 1000, recordings

        # A blind transfer: a REFER to the peer naming the target.
        transferring = await phone.transfer(peer.user_uri("target"))
        assert transferring["event"] == "transferring"
        refer = await peer.wait_request("REFER", call.call_id)
        assert peer.user_uri("target") in (refer.header("refer-to") or "")

        # The peer asks us to transfer; we decline, and it hears so in a NOTIFY.
        peer.request(
            call,
            "REFER",
            extra=[("refer-to", f"<{peer.user_uri('elsewhere')}>")],
        )
        transfer = await events.wait_value(event(SipEventType.TRANSFER))
        refer_id = sip_result(transfer)["refer_id"]
        assert peer.user_uri("elsewhere") in sip_result(transfer)["refer_to"]
        declined = await phone.decline(603, refer_id=refer_id)
        assert declined["event"] == "declining"
        notify = await peer.wait_message(
            lambda m: m.method == "NOTIFY" and m.is_request and "603" in m.body
        )
        assert notify.header("content-type") == "message/sipfrag"

        # Another REFER, followed this time: a helper line calls the target with the
        # refer_id, and the peer hears how it goes in NOTIFYs.
        peer.request(call, "REFER", extra=[("refer-to", f"<{peer.user_uri('target-b')}>")])
        transfer = await events.wait_value(
            lambda m: event(SipEventType.TRANSFER)(m) and sip_result(m)["refer_id"] != refer_id
        )
        helper = new_phone()
        await helper.attach(session)
        await helper.register("sip:grace@127.0.0.1", type="helper", master_id=phone.master_id)
        followed = await helper.call(
            sip_result(transfer)["refer_to"],
            SyntheticAudioTrack(),
            refer_id=sip_result(transfer)["refer_id"],
        )
        assert followed["event"] == "accepted"
        await peer.wait_call("target-b")
        await peer.wait_message(
            lambda m: m.method == "NOTIFY" and m.is_request and "SIP/2.0 200" in m.body
        )
        await helper.hangup()

        await phone.hangup()
        await peer.wait_request("BYE", call.call_id)
    assert janus.list_sessions() == []


async def test_guest_helper_subscribe_and_reset(janus: JanusServer, peer: SipPeer) -> None:
    async with JanusSession(base_url=janus.ws_url) as session:
        # A guest sends no REGISTER, and may still SUBSCRIBE and call.
        guest = new_phone()
        await guest.attach(session)
        registers_before = len(peer.requests("REGISTER"))
        result = await guest.register("sip:visitor@127.0.0.1", type="guest")
        assert result["register_sent"] is False
        assert len(peer.requests("REGISTER")) == registers_before
        events = Recorder(guest.events)
        subscribed = await guest.subscribe(
            "message-summary",
            to=peer.user_uri("visitor"),
            accept="application/simple-message-summary",
        )
        assert subscribed["event"] == "subscribe_succeeded"
        assert subscribed["code"] == 200
        notify = await events.wait_value(event(SipEventType.NOTIFY))
        assert sip_result(notify)["notify"] == "message-summary"
        assert "Messages-Waiting: yes" in sip_result(notify)["content"]
        unsubscribed = await guest.unsubscribe("message-summary", to=peer.user_uri("visitor"))
        assert (unsubscribed["event"], unsubscribed["code"]) == ("subscribe_succeeded", 200)
        await peer.wait_message(
            lambda m: m.method == "SUBSCRIBE" and (m.header("expires") or "").strip() == "0"
        )
        with pytest.raises(SipResponseError) as bad_event:
            await guest.subscribe("presence", to=peer.user_uri("visitor"))
        assert (bad_event.value.code, bad_event.value.event) == (489, "subscribe_failed")
        with pytest.raises(SipResponseError) as busy:
            await guest.call(peer.user_uri("busy-guest"), SyntheticAudioTrack())
        assert busy.value.code == 486
        assert (await guest.reset())["event"] == "reset"
        with pytest.raises(SipError) as not_registered:
            await guest.unregister()
        assert not_registered.value.code == 447  # JANUS_SIP_ERROR_WRONG_STATE

        # A helper shares a registered account, for a second line.
        master = await registered_phone(session, peer, "alice")
        assert master.master_id is not None
        helper = new_phone()
        await helper.attach(session)
        joined = await helper.register(
            "sip:alice@127.0.0.1", type="helper", master_id=master.master_id
        )
        assert joined["register_sent"] is False
        left = await helper.unregister()
        assert left["event"] == "unregistering"
        with pytest.raises(SipError) as twice:
            await master.register("sip:alice@127.0.0.1", secret=PASSWORD, proxy=peer.uri)
        assert twice.value.code == 445  # JANUS_SIP_ERROR_ALREADY_REGISTERED
    assert janus.list_sessions() == []


async def test_offerless_incoming_call_and_a_reinvite_from_the_peer(
    janus: JanusServer, peer: SipPeer
) -> None:
    async with JanusSession(base_url=janus.ws_url) as session:
        phone = await registered_phone(session, peer, "ivan")
        events = Recorder(phone.events)
        levels = Recorder(phone.frames("audio").pipe(ops.map(audio_level)))

        # No offer in the INVITE: we offer in accept(), the peer answers in its ACK.
        call = await peer.invite("ivan", offer=False)
        incoming = await phone.wait_incoming_call(timeout=30)
        assert incoming.jsep is None
        accepted = await phone.accept(SyntheticAudioTrack(), autoaccept_reinvites=False)
        assert accepted["event"] == "accepted"
        assert phone.pc.signalingState == "stable"  # the answer from the ACK is applied
        [ack] = [m for m in peer.sent if m.method == "ACK" and m.call_id == call.call_id]
        assert "m=audio" in ack.body
        await levels.wait_for(lambda r: len(r.values) >= FRAMES_WANTED, timeout=30)
        assert max(levels.values) > 0.05

        # The peer's re-INVITE comes to us (autoaccept_reinvites=False); we answer it.
        reinvite = peer.reinvite(call, "sendonly")
        updating = await events.wait_value(event(SipEventType.UPDATINGCALL))
        assert updating["jsep"]["type"] == "offer"
        updated = await phone.update(updating["jsep"])
        assert updated["event"] == "updated"
        ok = await peer.wait_message(
            lambda m: m.call_id == call.call_id and m.status == 200 and m.cseq == reinvite.cseq
        )
        assert "a=recvonly" in ok.body

        await phone.hangup()
        await peer.wait_request("BYE", call.call_id)
    assert janus.list_sessions() == []


async def test_an_event_in_the_reply_slot_reaches_events_and_the_reply_is_awaited() -> None:
    """Janus stamps a call's events with the call's transaction: one may answer a request."""
    phone = new_phone()
    loop = asyncio.get_running_loop()

    def sip_event(name: str, **result: Any) -> dict[str, Any]:
        data = {"sip": "event", "result": {"event": name, **result}}
        return {"janus": "event", "plugindata": {"plugin": "janus.plugin.sip", "data": data}}

    async def send(body: Any, jsep: Any = None, **_: Any) -> dict[str, Any]:
        if body["request"] == "register":
            loop.call_soon(phone.receive, sip_event("registering"))
            loop.call_soon(phone.receive, sip_event("registered", username="zed"))
        else:
            loop.call_soon(phone.receive, sip_event("dtmfsent"))
        return sip_event("message", content="hello", sender="sip:x@127.0.0.1")

    phone.send = send  # type: ignore[method-assign]
    events = Recorder(phone.events)
    result = await phone.register("sip:zed@127.0.0.1", secret="x", proxy="sip:127.0.0.1")
    assert result["event"] == "registered"
    sent = await phone.send_dtmf("1")
    assert sent["event"] == "dtmfsent"
    assert [sip_event_type(m) for m in events.values] == [
        SipEventType.MESSAGE,
        SipEventType.REGISTERING,
        SipEventType.REGISTERED,
        SipEventType.MESSAGE,
        SipEventType.DTMFSENT,
    ]

    # The outcome itself may come in the reply's place: it still reaches events.
    async def outcome_first(body: Any, jsep: Any = None, **_: Any) -> dict[str, Any]:
        return sip_event("unregistered", username="zed")

    phone.send = outcome_first  # type: ignore[method-assign]
    assert (await phone.unregister())["event"] == "unregistered"
    assert sip_event_type(events.values[-1]) is SipEventType.UNREGISTERED


async def test_the_sip_password_stays_out_of_the_logs(
    url: str, janus: JanusServer, peer: SipPeer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with JanusSession(base_url=url) as session:
        phone = await registered_phone(session, peer, "carol")
        assert phone.username == "sip:carol@127.0.0.1"
        with pytest.raises(SipError):
            await phone.register("sip:carol@127.0.0.1", secret=PASSWORD, proxy=peer.uri)
    assert caplog.records, "nothing was logged at DEBUG"
    assert PASSWORD not in caplog.text
    assert PASSWORD not in repr(phone)
