"""Unit tests for the exception tree and for turning error replies into exceptions."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

import rxjanus.exceptions as exc
from rxjanus.exceptions import (
    JanusApiError,
    JanusConnectionError,
    JanusError,
    JanusTimeoutError,
    PluginAttachError,
    PluginAttachFail,
    PluginError,
    ServerUnreachable,
    TransportClosed,
    api_error,
)
from rxjanus.protocol import error_from_reply, plugin_data

KNOWN_CODES: dict[int, type[JanusApiError]] = {
    403: exc.Unauthorized,
    405: exc.UnauthorizedPlugin,
    450: exc.TransportSpecificError,
    452: exc.MissingRequest,
    453: exc.UnknownRequest,
    454: exc.InvalidJson,
    455: exc.InvalidJsonObject,
    456: exc.MissingMandatoryElement,
    457: exc.InvalidRequestPath,
    458: exc.SessionNotFound,
    459: exc.HandleNotFound,
    460: exc.PluginNotFound,
    461: exc.PluginAttachError,
    462: exc.PluginMessageError,
    463: exc.PluginDetachError,
    464: exc.JsepUnknownType,
    465: exc.JsepInvalidSdp,
    466: exc.TrickleInvalidStream,
    467: exc.InvalidElementType,
    468: exc.SessionConflict,
    469: exc.UnexpectedAnswer,
    470: exc.TokenNotFound,
    471: exc.WebRTCStateError,
    472: exc.NotAcceptingSessions,
    490: exc.UnknownJanusError,
}


# -- api_error ------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "cls"), sorted(KNOWN_CODES.items()))
def test_api_error_maps_a_known_code_to_its_class(code: int, cls: type[JanusApiError]) -> None:
    error = api_error(code, "why")
    assert type(error) is cls
    assert (error.code, error.reason) == (code, "why")


@pytest.mark.parametrize("cls", list(KNOWN_CODES.values()), ids=lambda c: c.__name__)
def test_every_coded_class_declares_its_code(cls: type[JanusApiError]) -> None:
    assert KNOWN_CODES[cls.code_number or 0] is cls


def test_every_code_class_in_the_module_is_mapped() -> None:
    coded = {
        obj
        for obj in vars(exc).values()
        if isinstance(obj, type)
        and issubclass(obj, JanusApiError)
        and obj.code_number is not None
        and obj is not PluginAttachFail
    }
    assert coded == set(KNOWN_CODES.values())


@pytest.mark.parametrize("code", [0, 200, 404, 451, 473, 489, 491, -1])
def test_api_error_maps_an_unknown_code_to_janus_api_error(code: int) -> None:
    error = api_error(code, "why")
    assert type(error) is JanusApiError
    assert error.code == code


def test_api_error_461_is_the_plain_attach_error_not_attach_fail() -> None:
    assert type(api_error(461, "refused")) is PluginAttachError


def test_janus_api_error_base_has_no_code_number() -> None:
    assert JanusApiError.code_number is None


# -- str forms ------------------------------------------------------------------------


def test_janus_api_error_str() -> None:
    assert str(api_error(458, "No such session 1")) == "Janus error 458: No such session 1"


def test_unknown_code_str() -> None:
    assert str(JanusApiError(499, "odd")) == "Janus error 499: odd"


def test_plugin_error_str_names_the_plugin() -> None:
    error = PluginError(426, "No such room", "janus.plugin.videoroom")
    assert str(error) == "Plugin error 426 from janus.plugin.videoroom: No such room"


def test_plugin_error_str_without_plugin() -> None:
    assert str(PluginError(426, "No such room")) == "Plugin error 426: No such room"


def test_plugin_attach_fail_str() -> None:
    assert str(PluginAttachFail(460, "No such plugin")) == "Janus error 460: No such plugin"


def test_plain_errors_str_is_their_message() -> None:
    assert str(JanusTimeoutError("no reply to 'create' within 5 s")) == (
        "no reply to 'create' within 5 s"
    )
    assert str(TransportClosed("closed")) == "closed"
    assert str(exc.SessionLost("timed out")) == "timed out"


# -- attributes and args --------------------------------------------------------------


def test_janus_api_error_has_code_reason_and_args() -> None:
    error = exc.SessionNotFound(458, "No such session")
    assert (error.code, error.reason) == (458, "No such session")
    assert error.args == (458, "No such session")


def test_plugin_error_has_code_reason_plugin_and_args() -> None:
    error = PluginError(426, "No such room", "janus.plugin.videoroom")
    assert (error.code, error.reason, error.plugin) == (
        426,
        "No such room",
        "janus.plugin.videoroom",
    )
    assert error.args == (426, "No such room", "janus.plugin.videoroom")


def test_plugin_error_plugin_defaults_to_empty() -> None:
    assert PluginError(1, "x").plugin == ""


@pytest.mark.parametrize(
    "error",
    [
        api_error(458, "No such session"),
        JanusApiError(499, "odd"),
        PluginAttachFail(460, "No such plugin"),
        PluginError(426, "No such room", "janus.plugin.videoroom"),
        JanusTimeoutError("late"),
        TransportClosed("closed"),
        exc.MediaTimeout("webrtcup", 2.5, "ICE checking, DTLS connecting"),
        exc.MediaSourceNotFound(2, "no such media file", "/nowhere.mp4"),
    ],
    ids=type,
)
def test_exceptions_survive_pickling(error: Exception) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.args == error.args


# -- the tree -------------------------------------------------------------------------


def test_media_timeout_says_what_was_awaited_and_the_state_reached() -> None:
    error = exc.MediaTimeout("webrtcup", 2.5, "ICE checking, DTLS connecting")
    assert isinstance(error, TimeoutError)
    assert isinstance(error, JanusTimeoutError)
    assert str(error) == "no webrtcup within 2.5 s (ICE checking, DTLS connecting)"
    assert (error.awaited, error.seconds, error.state) == (
        "webrtcup",
        2.5,
        "ICE checking, DTLS connecting",
    )


def test_media_source_not_found_is_a_file_not_found_error() -> None:
    error = exc.MediaSourceNotFound(2, "no such media file", "/nowhere.mp4")
    assert isinstance(error, FileNotFoundError)
    assert isinstance(error, JanusError)
    assert error.filename == "/nowhere.mp4"
    assert "/nowhere.mp4" in str(error)


def test_timeout_error_is_a_builtin_timeout_error() -> None:
    with pytest.raises(TimeoutError):
        raise JanusTimeoutError("late")


@pytest.mark.parametrize("cls", [JanusConnectionError, ServerUnreachable, TransportClosed])
def test_connection_errors_are_builtin_connection_errors(cls: type[JanusError]) -> None:
    assert issubclass(cls, ConnectionError)
    assert issubclass(cls, JanusConnectionError)
    with pytest.raises(ConnectionError):
        raise cls("gone")


def test_plugin_attach_fail_is_an_api_error_with_code_and_reason() -> None:
    error = PluginAttachFail(403, "Unauthorized")
    assert isinstance(error, JanusApiError)
    assert isinstance(error, PluginAttachError)
    assert (error.code, error.reason) == (403, "Unauthorized")


def test_plugin_error_is_not_an_api_error() -> None:
    assert not issubclass(PluginError, JanusApiError)


@pytest.mark.parametrize("name", exc.__all__)
def test_every_exported_exception_is_a_janus_error(name: str) -> None:
    obj: Any = getattr(exc, name)
    if name == "api_error":
        assert callable(obj)
    else:
        assert issubclass(obj, JanusError)


@pytest.mark.parametrize(
    "cls", [exc.SessionLost, exc.ProtocolError, exc.InvalidStateError, JanusApiError, PluginError]
)
def test_other_errors_are_neither_timeouts_nor_connection_errors(cls: type[JanusError]) -> None:
    assert not issubclass(cls, TimeoutError | ConnectionError)


# -- plugin_data ----------------------------------------------------------------------


def test_plugin_data_returns_plugindata_data() -> None:
    message = {"plugindata": {"plugin": "p", "data": {"echotest": "event"}}}
    assert plugin_data(message) == {"echotest": "event"}


@pytest.mark.parametrize(
    "message",
    [
        {},
        {"plugindata": None},
        {"plugindata": []},
        {"plugindata": {"plugin": "p"}},
        {"plugindata": {"plugin": "p", "data": "text"}},
    ],
)
def test_plugin_data_is_none_without_an_object(message: dict[str, Any]) -> None:
    assert plugin_data(message) is None


# -- error_from_reply -----------------------------------------------------------------


def test_error_from_reply_maps_a_core_error() -> None:
    error = error_from_reply({"janus": "error", "error": {"code": 459, "reason": "No handle"}})
    assert type(error) is exc.HandleNotFound
    assert (error.code, error.reason) == (459, "No handle")


@pytest.mark.parametrize(
    "body",
    [None, "text", [], {}, {"code": "458"}, {"reason": "only a reason"}],
    ids=["missing", "string", "list", "empty", "string code", "no code"],
)
def test_error_from_reply_without_an_integer_code_is_490(body: Any) -> None:
    message: dict[str, Any] = {"janus": "error"}
    if body is not None:
        message["error"] = body
    error = error_from_reply(message)
    assert type(error) is exc.UnknownJanusError
    assert error.code == 490


def test_error_from_reply_keeps_the_reason_when_the_code_is_missing() -> None:
    error = error_from_reply({"janus": "error", "error": {"reason": "only a reason"}})
    assert error is not None
    assert error.reason == "only a reason"


def test_error_from_reply_without_a_string_reason_says_so() -> None:
    error = error_from_reply({"janus": "error", "error": {"code": 458, "reason": 5}})
    assert error is not None
    assert error.reason == "error reply without a reason"


def test_error_from_reply_maps_a_plugin_error() -> None:
    message = {
        "janus": "event",
        "plugindata": {
            "plugin": "janus.plugin.videoroom",
            "data": {"videoroom": "event", "error_code": 426, "error": "No such room"},
        },
    }
    error = error_from_reply(message)
    assert isinstance(error, PluginError)
    assert (error.code, error.reason, error.plugin) == (
        426,
        "No such room",
        "janus.plugin.videoroom",
    )


def test_error_from_reply_fills_in_a_malformed_plugin_error() -> None:
    message = {"janus": "event", "plugindata": {"plugin": 7, "data": {"error_code": "426"}}}
    error = error_from_reply(message)
    assert isinstance(error, PluginError)
    assert (error.code, error.reason, error.plugin) == (0, "plugin error without a reason", "")


@pytest.mark.parametrize(
    "message",
    [
        {"janus": "success"},
        {"janus": "ack"},
        {"janus": "event", "plugindata": {"plugin": "p", "data": {"result": "ok"}}},
        {"janus": "event", "plugindata": {"plugin": "p", "data": {"error": "no code"}}},
        {"janus": "event", "plugindata": "not an object"},
    ],
)
def test_error_from_reply_is_none_for_a_non_error(message: dict[str, Any]) -> None:
    assert error_from_reply(message) is None


def test_a_core_error_wins_over_plugin_data() -> None:
    message = {
        "janus": "error",
        "error": {"code": 462, "reason": "bad message"},
        "plugindata": {"plugin": "p", "data": {"error_code": 1, "error": "x"}},
    }
    assert type(error_from_reply(message)) is exc.PluginMessageError
