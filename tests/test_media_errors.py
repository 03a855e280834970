"""Clear errors for media that cannot start: a missing source file, a PeerConnection never up."""

from __future__ import annotations

from pathlib import Path

import pytest
import reactivex

from rxjanus import JanusEchoTestPlugin, JanusSession
from rxjanus.aio import first
from rxjanus.exceptions import MediaSourceNotFound, MediaTimeout
from rxjanus.operators import publish
from rxjanus.testing import JanusServer


async def test_a_missing_source_file_fails_before_anything_is_sent(
    janus: JanusServer, tmp_path: Path
) -> None:
    missing = tmp_path / "nothing-here.mp4"
    async with JanusSession(base_url=janus.ws_url) as session:
        echo = JanusEchoTestPlugin()
        await echo.attach(session)
        with pytest.raises(MediaSourceNotFound) as caught:
            await echo.start(str(missing))
        assert isinstance(caught.value, FileNotFoundError)
        assert caught.value.filename == str(missing)
        # Nothing was negotiated: Janus holds no PeerConnection for the handle.
        assert session.session_id is not None
        assert echo.id is not None
        info = janus.handle_info(session.session_id, echo.id)
        assert "remote" not in info.get("sdps", {})


async def test_the_publish_operator_errors_before_subscribing_upstream(tmp_path: Path) -> None:
    subscribed: list[int] = []

    def upstream(_: object) -> reactivex.Observable[JanusEchoTestPlugin]:
        subscribed.append(1)
        return reactivex.never()

    flow = reactivex.defer(upstream).pipe(publish(str(tmp_path / "missing.mp4")))
    with pytest.raises(MediaSourceNotFound):
        await first(flow)
    assert subscribed == []  # no session was made, no handle attached


async def test_webrtcup_that_never_comes_says_what_was_awaited(url: str) -> None:
    async with JanusSession(base_url=url) as session:
        echo = JanusEchoTestPlugin()
        await echo.attach(session)
        with pytest.raises(MediaTimeout) as caught:
            await echo.wait_webrtcup(timeout=0.1)
    assert isinstance(caught.value, TimeoutError)
    assert "webrtcup" in str(caught.value)
    assert "no PeerConnection was made" in str(caught.value)
