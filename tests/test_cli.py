"""The ``rxjanus`` command line, run as a user runs it: a subprocess against the real Janus."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import pty
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import termios
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from rxjanus import JanusEchoTestPlugin, JanusSession
from rxjanus.testing import JanusServer, make_test_video

RXJANUS = str(Path(sys.executable).with_name("rxjanus"))
SECRET = "cli-test-admin-secret-4f1d"  # distinctive: it must never show up in any output
pytestmark = pytest.mark.janus


def rxjanus(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the console script and return what it did (never raises on a failure status)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [RXJANUS, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=full_env,
    )


async def arxjanus(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`rxjanus` from async tests, off the event loop (the test's session keeps running)."""
    return await asyncio.to_thread(rxjanus, *args, env=env)


def admin_env(server: JanusServer) -> dict[str, str]:
    return {"RXJANUS_ADMIN_SECRET": server.admin_secret}


@contextlib.asynccontextmanager
async def echo_handle(url: str) -> AsyncIterator[tuple[int, int]]:
    """A session with one EchoTest handle, made by the test: (session id, handle id)."""
    async with JanusSession(base_url=url) as session:
        echo = JanusEchoTestPlugin()
        await echo.attach(session)
        assert session.session_id is not None
        assert echo.id is not None
        yield session.session_id, echo.id


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    # Log lines aside (--loopback warns that it patches aioice), one line says what failed.
    lines = [x for x in done.stderr.strip().splitlines() if not x.startswith("WARNING ")]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("rxjanus: ")
    return lines[0]


# -- the command itself ----------------------------------------------------------------


def test_version_from_the_script_and_from_python_m() -> None:
    import rxjanus as package

    done = rxjanus("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"rxjanus, version {package.__version__}"
    module = subprocess.run(
        [sys.executable, "-m", "rxjanus", "--version"], capture_output=True, text=True, check=True
    )
    assert module.stdout == done.stdout


def test_import_rxjanus_does_not_import_the_cli_libraries() -> None:
    code = "import sys, rxjanus; print(sorted({'click', 'rich'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_help_lists_every_command_and_the_exit_codes() -> None:
    done = rxjanus("--help")
    assert done.returncode == 0
    for command in (
        "info", "ping", "sessions", "handles", "handle-info", "top", "echo",
        "publish", "record", "tokens", "server",
    ):  # fmt: skip
        assert f"  {command} " in done.stdout, command
    assert "3 server down" in done.stdout


# -- info and ping ---------------------------------------------------------------------


def test_info_shows_the_server_as_a_table_and_as_json(url: str, janus: JanusServer) -> None:
    table = rxjanus("info", url)
    assert table.returncode == 0, table.stderr
    assert janus.server_name in table.stdout
    assert "janus.plugin.echotest" in table.stdout
    as_json = rxjanus("info", url, "--json")
    assert as_json.returncode == 0
    reply = json.loads(as_json.stdout)
    assert reply["server-name"] == janus.server_name
    assert "janus.plugin.videoroom" in reply["plugins"]


def test_ping_counts_round_trips_like_ping(url: str) -> None:
    done = rxjanus("ping", url, "-c", "3", "-i", "0")
    assert done.returncode == 0, done.stderr
    assert [line.split(":")[-1].split()[0] for line in done.stdout.splitlines()[:3]] == [
        "seq=1",
        "seq=2",
        "seq=3",
    ]
    assert "3 pings sent, 3 pongs received, 0% lost" in done.stdout
    assert "round trip min/avg/max = " in done.stdout
    summary = json.loads(rxjanus("ping", url, "-c", "2", "-i", "0", "--json").stdout)
    assert summary["sent"] == summary["received"] == 2
    assert summary["min_ms"] <= summary["avg_ms"] <= summary["max_ms"]


def test_ping_stops_on_ctrl_c_with_its_summary(janus: JanusServer) -> None:
    proc = subprocess.Popen(
        [RXJANUS, "ping", janus.ws_url, "-c", "1000", "-i", "0.1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("pong from ")
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert "ping statistics" in out
    sent = int(out.split(" pings sent")[0].rsplit("\n", 1)[-1])
    assert 1 <= sent < 1000


# -- errors: one line, distinct exit codes, no secret ----------------------------------


def test_a_server_down_exits_3(unused_tcp_port_url: str) -> None:
    done = rxjanus("info", unused_tcp_port_url)
    assert done.returncode == 3
    assert one_error_line(done).startswith("rxjanus: server down: ")
    assert done.stdout == ""


def test_a_wrong_url_exits_5(janus: JanusServer) -> None:
    not_janus = rxjanus("info", janus.http_url.removesuffix("/janus") + "/wrong")
    assert not_janus.returncode == 5
    assert "HTTP 404" in one_error_line(not_janus)
    janus_api_for_admin = rxjanus("sessions", janus.http_url, env=admin_env(janus))
    assert janus_api_for_admin.returncode == 5
    assert "457" in one_error_line(janus_api_for_admin)
    scheme = rxjanus("info", "gopher://127.0.0.1")
    assert scheme.returncode == 5
    assert "scheme" in one_error_line(scheme)


def test_a_wrong_secret_exits_4_and_is_never_printed(janus: JanusServer) -> None:
    done = rxjanus("-vv", "sessions", janus.admin_http_url, env={"RXJANUS_ADMIN_SECRET": SECRET})
    assert done.returncode == 4
    assert one_error_line(done.__class__(done.args, 4, "", done.stderr.splitlines()[-1]))
    assert "wrong secret" in done.stderr
    assert "DEBUG" in done.stderr  # -vv logged the requests ...
    assert SECRET not in done.stdout + done.stderr  # ... but not the secret
    option = rxjanus("sessions", janus.admin_http_url, "--admin-secret", SECRET)
    assert option.returncode == 4
    assert SECRET not in option.stdout + option.stderr


# -- the Admin API ---------------------------------------------------------------------


async def test_sessions_handles_and_handle_info_show_what_the_test_made(
    janus: JanusServer,
) -> None:
    env = admin_env(janus)
    admin = janus.admin_http_url
    async with echo_handle(janus.ws_url) as (session_id, handle_id):
        listed = await arxjanus("sessions", admin, "--json", env=env)
        assert listed.returncode == 0, listed.stderr
        assert {"session": session_id, "handles": [handle_id]} in json.loads(listed.stdout)
        table = await arxjanus("sessions", admin, env=env)
        assert str(session_id) in table.stdout

        handles = json.loads(
            (await arxjanus("handles", admin, str(session_id), "--json", env=env)).stdout
        )
        assert [(h["session"], h["handle"], h["plugin"]) for h in handles] == [
            (session_id, handle_id, "janus.plugin.echotest")
        ]
        every = json.loads((await arxjanus("handles", admin, "--json", env=env)).stdout)
        assert handle_id in [h["handle"] for h in every]

        info = await arxjanus(
            "handle-info", admin, str(session_id), str(handle_id), "--json", env=env
        )
        assert json.loads(info.stdout)["plugin"] == "janus.plugin.echotest"
        shown = await arxjanus("handle-info", admin, str(session_id), str(handle_id), env=env)
        assert str(handle_id) in shown.stdout
        assert "echotest" in shown.stdout
    gone = await arxjanus("handles", admin, str(session_id), env=env)
    assert gone.returncode == 1
    assert "458" in one_error_line(gone)


def test_tokens_add_list_allow_disallow_remove() -> None:
    with JanusServer(token_auth=True, loopback_ice=False, admin_secret=SECRET) as server:
        env = {"RXJANUS_ADMIN_SECRET": SECRET}
        url = server.admin_http_url
        added = rxjanus("tokens", url, "add", "--plugin", "echotest", env=env)
        assert added.returncode == 0, added.stderr
        token = added.stdout.strip()
        listed = json.loads(rxjanus("tokens", url, "list", "--json", env=env).stdout)
        assert listed == [{"token": token, "allowed_plugins": ["janus.plugin.echotest"]}]
        allowed = rxjanus("tokens", url, "allow", token, "-p", "videoroom", "--json", env=env)
        assert sorted(json.loads(allowed.stdout)["allowed_plugins"]) == [
            "janus.plugin.echotest",
            "janus.plugin.videoroom",
        ]
        disallowed = rxjanus("tokens", url, "disallow", token, "-p", "echotest", env=env)
        assert "allowed plugins: janus.plugin.videoroom" in disallowed.stdout
        table = rxjanus("tokens", url, "list", env=env)
        assert token in table.stdout
        assert "1 token(s)" in table.stdout
        removed = rxjanus("tokens", url, "remove", env={**env, "RXJANUS_TOKEN": token})
        assert removed.returncode == 0, removed.stderr
        assert json.loads(rxjanus("tokens", url, "list", "--json", env=env).stdout) == []
        assert SECRET not in added.stdout + added.stderr + table.stdout + table.stderr


# -- top, in a terminal ----------------------------------------------------------------


@contextlib.contextmanager
def in_terminal(*args: str, env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """Run ``rxjanus ARGS`` on a pseudo-terminal of 40 rows and 160 columns."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    full_env = {**os.environ, **env, "TERM": "xterm-256color", "COLUMNS": "160", "LINES": "40"}
    proc = subprocess.Popen(
        [RXJANUS, *args],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=full_env,
        start_new_session=True,
        # The terminal becomes its controlling terminal, so Ctrl-C sends SIGINT.
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
    )
    os.close(terminal)
    try:
        yield proc, controller
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        os.close(controller)


def read_until(controller: int, wanted: bytes, screen: bytearray, bound: float = 30) -> None:
    """Read the terminal until ``wanted`` shows (``bound`` only stops a hung test)."""
    deadline = time.monotonic() + bound
    while wanted not in screen:
        left = deadline - time.monotonic()
        assert left > 0, f"{wanted!r} never showed; screen: {bytes(screen)[-3000:]!r}"
        ready, _, _ = select.select([controller], [], [], left)
        if ready:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the program closed the terminal
                chunk = b""
            assert chunk, f"the terminal closed before {wanted!r}; screen: {bytes(screen)!r}"
            screen.extend(chunk)


def drain(controller: int, proc: subprocess.Popen[bytes], screen: bytearray) -> int:
    """Read the terminal until the program exits; return its status."""
    while True:
        ready, _, _ = select.select([controller], [], [], 30)
        assert ready, "the program neither wrote nor exited"
        try:
            chunk = os.read(controller, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            return proc.wait(timeout=30)
        screen.extend(chunk)


@pytest.mark.parametrize("quit_key", [b"q", b"\x03"], ids=["q", "ctrl-c"])
async def test_top_shows_a_new_session_live_and_quits_cleanly(
    janus: JanusServer, quit_key: bytes
) -> None:
    screen = bytearray()
    with in_terminal("top", janus.admin_http_url, "-d", "0.2", env=admin_env(janus)) as (
        proc,
        controller,
    ):
        await asyncio.to_thread(read_until, controller, b"session(s)", screen)
        async with echo_handle(janus.ws_url) as (session_id, handle_id):
            # The session this test made appears, with its handle and plugin.
            await asyncio.to_thread(read_until, controller, str(handle_id).encode(), screen)
            assert str(session_id).encode() in screen
            assert b"echotest" in screen
        os.write(controller, quit_key)
        status = await asyncio.to_thread(drain, controller, proc, screen)
    assert status == 0, bytes(screen)[-2000:]
    assert b"Traceback" not in screen
    assert b"\x1b[?1049h" in screen
    assert b"\x1b[?1049l" in screen


EVH_USER, EVH_PASSWORD = "top-evh", "top-evh-secret-93c2"  # must never show up either
ECHOED = re.compile(rb"video in ([1-9][0-9]*) out ([1-9][0-9]*) pkts [0-9]+/[0-9]+ kbit/s lost")
"""A medium of the events column once Janus both received and echoed packets."""


def read_until_match(
    controller: int, pattern: re.Pattern[bytes], screen: bytearray, bound: float = 30
) -> re.Match[bytes]:
    """Read the terminal until ``pattern`` shows in what it prints from now on; return the match."""
    start = len(screen)
    deadline = time.monotonic() + bound
    while (found := pattern.search(screen, start)) is None:
        left = deadline - time.monotonic()
        assert left > 0, f"{pattern.pattern!r} never showed; screen: {bytes(screen)[-3000:]!r}"
        ready, _, _ = select.select([controller], [], [], left)
        if ready:
            chunk = os.read(controller, 65536)
            assert chunk, f"the terminal closed; screen: {bytes(screen)[-3000:]!r}"
            screen.extend(chunk)
    return found


@pytest.mark.parametrize("handler", ["sampleevh", "wsevh"])
async def test_top_with_events_shows_media_stats_from_janus_event_handler(handler: str) -> None:
    from rxjanus.testing import SyntheticVideoTrack, enable_loopback_ice, loopback_rtc_configuration

    enable_loopback_ice()
    (port,) = free_ports(1)
    settings: dict[str, str | int | bool] = {"events": "all", "grouping": True, "json": "compact"}
    if handler == "sampleevh":
        events_url = f"http://127.0.0.1:{port}/janus-events"
        settings.update(backend=events_url, backend_user=EVH_USER, backend_pwd=EVH_PASSWORD)
    else:  # Janus connects out, and again after 1 s, 2 s ... while nothing listens yet
        events_url = f"ws://127.0.0.1:{port}"
        settings.update(backend=events_url, subprotocol="janus-event-handlers")
    server = JanusServer(event_handlers={handler: settings}, events_stats_period=1)
    await asyncio.to_thread(server.start)
    env = admin_env(server)
    if handler == "sampleevh":
        env.update(RXJANUS_EVENTS_USER=EVH_USER, RXJANUS_EVENTS_PASSWORD=EVH_PASSWORD)
    screen = bytearray()
    try:
        args = ("top", server.admin_http_url, "-d", "0.5", "--events", events_url)
        with in_terminal(*args, env=env) as (proc, controller):
            await asyncio.to_thread(read_until, controller, b"media (events)", screen)
            async with JanusSession(base_url=server.ws_url) as session:
                echo = JanusEchoTestPlugin(pc_config=loopback_rtc_configuration())
                await echo.attach(session)
                handle_id = echo.id
                assert handle_id is not None
                source = SyntheticVideoTrack(320, 240, fps=30)
                await echo.start(source, None, audio=False)
                # Only the stats events fill this column: packets in and out, loss and RTT.
                echoed = await asyncio.to_thread(read_until_match, controller, ECHOED, screen)
                await echo.close_stream()
            assert str(handle_id).encode() in screen
            assert b"events (" in screen
            # The last-events line names the handle's stats events too.
            wanted = b"stats h" + str(handle_id).encode()
            await asyncio.to_thread(read_until, controller, wanted, screen)
            os.write(controller, b"q")
            status = await asyncio.to_thread(drain, controller, proc, screen)
    finally:
        await asyncio.to_thread(server.stop)
    assert status == 0, bytes(screen)[-2000:]
    assert b"Traceback" not in screen
    assert EVH_PASSWORD.encode() not in screen
    assert int(echoed[1]) > 0
    assert int(echoed[2]) > 0


async def test_top_json_prints_one_line_per_refresh(janus: JanusServer) -> None:
    async with echo_handle(janus.ws_url) as (session_id, handle_id):
        done = await arxjanus(
            "top", janus.admin_http_url, "--json", "-n", "2", "-d", "0.1", env=admin_env(janus)
        )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == 2
    assert session_id in lines[0]["sessions"]
    assert handle_id in [h["handle"] for h in lines[0]["handles"]]


# -- media -----------------------------------------------------------------------------


def echoed(summary: dict[str, Any], kind: str) -> tuple[int, int]:
    media = summary["media"][kind]
    return media["frames_sent"], media["frames_back"]


def test_echo_sends_generated_media_and_counts_it_back(janus: JanusServer) -> None:
    done = rxjanus("echo", janus.ws_url, "--seconds", "2", "--loopback", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    for kind in ("audio", "video"):
        sent, back = echoed(summary, kind)
        assert 0 < back <= sent, (kind, sent, back)
    # The RTCP round trip needs Janus's first receiver report, which a short run may not see.
    assert set(summary["round_trip_ms"]) == {"min", "avg", "max"}
    assert janus.list_sessions() == []


def test_echo_shows_live_stats_and_a_summary(janus: JanusServer) -> None:
    done = rxjanus("echo", janus.http_url, "--seconds", "1", "--loopback", "--no-audio")
    assert done.returncode == 0, done.stderr
    assert "frames back" in done.stdout
    line = next(x for x in done.stdout.splitlines() if x.startswith("video: "))
    assert "frames sent" in line
    assert "fps back" in line
    assert "audio" not in done.stdout


def test_echo_sends_a_file(janus: JanusServer, tmp_path: Path) -> None:
    video = make_test_video(tmp_path / "input.mp4", seconds=1.0, width=320, height=240)
    done = rxjanus("echo", janus.ws_url, str(video), "--seconds", "10", "--loopback", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    sent, back = echoed(summary, "video")
    assert summary["stopped_by"] == "end of file"
    assert 0 < back <= sent


def test_echo_of_a_missing_file_is_a_usage_error(janus: JanusServer) -> None:
    done = rxjanus("echo", janus.ws_url, "/nonexistent/input.mp4")
    assert done.returncode == 2
    assert "does not exist" in done.stderr


# -- rxjanus server --------------------------------------------------------------------


def free_ports(count: int) -> list[int]:
    socks = [socket.socket() for _ in range(count)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def test_server_on_given_ports_prints_its_urls_and_stops_on_sigterm() -> None:
    ws, http, admin, admin_ws = free_ports(4)
    proc = subprocess.Popen(
        [
            RXJANUS,
            "server",
            "--ws-port",
            str(ws),
            "--http-port",
            str(http),
            "--admin-port",
            str(admin),
            "--admin-ws-port",
            str(admin_ws),
            "--no-loopback-ice",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "RXJANUS_ADMIN_SECRET": SECRET},
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        assert lines[1].split() == [
            "Janus",
            "API:",
            f"ws://127.0.0.1:{ws}",
            f"http://127.0.0.1:{http}/janus",
        ]
        assert lines[2].split() == [
            "Admin",
            "API:",
            f"http://127.0.0.1:{admin}/admin",
            f"ws://127.0.0.1:{admin_ws}",
        ]
        info = rxjanus("info", f"ws://127.0.0.1:{ws}", "--json")
        assert json.loads(info.stdout)["name"] == "Janus WebRTC Server"
        sessions = rxjanus(
            "sessions", f"ws://127.0.0.1:{admin_ws}", "--json", env={"RXJANUS_ADMIN_SECRET": SECRET}
        )
        assert json.loads(sessions.stdout) == []
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert SECRET not in "".join(lines) + out + err
    with socket.socket() as sock:  # Janus is gone: nothing listens on its port
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is fine
        sock.bind(("127.0.0.1", ws))


def test_server_json_and_default_ports() -> None:
    assert "8188" in rxjanus("server", "--help").stdout
    proc = subprocess.Popen(
        [
            RXJANUS,
            "server",
            "--json",
            "--no-loopback-ice",
            "--ws-port",
            "0",
            "--http-port",
            "0",
            "--admin-port",
            "0",
            "--admin-ws-port",
            "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        urls = json.loads(proc.stdout.readline())
        assert urls["admin_secret"] == "rxjanus-admin-secret"  # the demo's, not a user's secret
        assert rxjanus("ping", urls["http_url"], "-c", "1").returncode == 0
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def video_frames_in(path: Path) -> int:
    import av

    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def test_record_a_room_while_a_publisher_publishes_into_it(
    janus: JanusServer, tmp_path: Path
) -> None:
    room = 4242
    recorder = subprocess.Popen(
        [
            RXJANUS,
            "record",
            janus.ws_url,
            str(tmp_path / "rec"),
            "--room",
            str(room),
            "--create",
            "--once",
            "--loopback",
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    publisher = None
    try:
        assert recorder.stderr is not None
        assert "recording room" in recorder.stderr.readline() + recorder.stderr.readline()
        publisher = subprocess.Popen(
            [
                RXJANUS,
                "publish",
                janus.ws_url,
                "--room",
                str(room),
                "--display",
                "alice smith",
                "--loopback",
                "--json",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # Publish until the recorder gets video, then Ctrl-C the publisher: it unpublishes
        # and leaves, and the recorder, seeing its only feed gone, finishes the file and exits.
        line = ""
        while "receiving video of feed" not in line:
            line = recorder.stderr.readline()
            assert line, "the recorder ended before it recorded a feed"
        publisher.send_signal(signal.SIGINT)
        published_out, published_err = publisher.communicate(timeout=60)
        assert publisher.returncode == 0, published_err
        recorded_out, recorded_err = recorder.communicate(timeout=60)
        assert recorder.returncode == 0, recorded_err
    finally:
        for proc in (recorder, publisher):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.communicate()
    published = json.loads(published_out)
    assert published["stopped_by"] == "Ctrl-C"
    assert published["frames_sent"]["video"] > 0
    [recording] = json.loads(recorded_out)
    assert recording["feed"] == published["feed"]
    assert recording["display"] == "alice smith"
    path = Path(recording["path"])
    assert path.parent == tmp_path / "rec"
    assert path.name == f"{published['feed']}-alice_smith.mp4"
    assert 0 < recording["frames"]["video"] <= published["frames_sent"]["video"]
    assert video_frames_in(path) > 0
    assert janus.list_sessions() == []


def test_publish_into_a_missing_room_is_a_plugin_error(janus: JanusServer) -> None:
    done = rxjanus("publish", janus.ws_url, "--room", "987654", "--loopback")
    assert done.returncode == 1
    assert "426" in one_error_line(done)
    assert janus.list_sessions() == []


def test_fixed_ports_must_differ() -> None:
    with pytest.raises(ValueError, match="differ"):
        JanusServer(ws_port=8188, http_port=8188)


def test_top_off_a_terminal_prints_one_table_per_refresh(janus: JanusServer) -> None:
    done = rxjanus("top", janus.admin_http_url, "-n", "2", "-d", "0.1", env=admin_env(janus))
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("rxjanus top ") == 2
    assert "\x1b[?1049h" not in done.stdout  # no alternate screen when not a terminal


def test_server_on_a_taken_port_says_so() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = rxjanus(
            *("server", "--ws-port", str(port), "--http-port", "0", "--admin-port", "0"),
            *("--admin-ws-port", "0", "--no-loopback-ice"),
        )
    assert done.returncode == 1
    assert one_error_line(done).endswith(f"127.0.0.1:{port} (the ws port) is in use")
    assert done.stdout == ""
