"""janus_client 0.9's `is_subset`, with its own cases (its tests/test_is_subset.py)."""

from __future__ import annotations

from typing import Any

import pytest

from rxjanus.janus_client.message_transaction import is_subset

NESTED = {"a": 1, "b": {"c": 2, "d": 3, "e": {"f": 4}}}

CASES = [
    ({"a": 1}, {"a": 1}, True),
    ({"a": 1}, {}, True),
    ({}, {}, True),
    ({}, {"a": 1}, False),
    ({"a": 1, "b": None}, {"b": None}, True),
    ({"a": 1, "b": 2}, {"b": None}, True),
    ({"a": 1, "b": 2}, {"b": 3}, False),
    ({"a": 1, "b": 2}, {"c": None}, False),
    ({"a": 1, "b": {"c": 2, "d": 3}}, {"a": 1, "b": {"c": 2}}, True),
    (NESTED, {"a": 1, "b": {"e": {}}}, True),
    (NESTED, {"a": 1, "b": {"c": None, "e": {}}}, True),
    (NESTED, {"a": 1, "b": {"e": None}}, True),
    (NESTED, {"a": 1, "b": {"e": {"f": None}}}, True),
    (NESTED, {"a": 1, "b": {"e": {"f": None, "g": None}}}, False),
    ({"janus": "success", "status": {"x": 1}}, {"janus": "success", "status": {}}, True),
    ({"janus": "error"}, {"janus": "success"}, False),
]


@pytest.mark.parametrize(("dict_1", "dict_2", "expected"), CASES)
def test_is_subset(dict_1: dict[str, Any], dict_2: dict[str, Any], expected: bool) -> None:
    assert is_subset(dict_1=dict_1, dict_2=dict_2) is expected


@pytest.mark.parametrize(("dict_1", "dict_2"), [("", {}), ({}, ""), ("", "")])
def test_invalid_input(dict_1: Any, dict_2: Any) -> None:
    with pytest.raises(TypeError, match="must be a dictionary"):
        is_subset(dict_1=dict_1, dict_2=dict_2)
