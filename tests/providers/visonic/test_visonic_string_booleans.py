"""Visonic's string booleans read through the one accessor, `wire.as_bool` (issue 18: `"connected": "true"`)."""

from __future__ import annotations

import pytest

from alarmtui.providers.errors import ProtocolError
from alarmtui.providers.visonic.parse import parse_status


@pytest.mark.parametrize(("wire", "online"), [("true", True), ("True", True), (1, True), ("false", False), ("0", False)])
def test_connected_as_a_string_or_number(wire: object, online: bool) -> None:
    status = parse_status({"connected": wire, "partitions": [{"id": 1, "state": "DISARM", "ready": "true"}]})
    assert status.connected is online and status.reachable is online
    assert status.partitions[0].ready is True


def test_a_link_flag_as_a_string() -> None:
    status = parse_status({"connected": "false", "connected_status": {"bba": {"is_connected": "true"}}, "partitions": []})
    assert status.connected is False and status.reachable is True and "bba connected" in status.detail


def test_a_flag_that_is_no_boolean_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="status.connected"):
        parse_status({"connected": "perhaps", "partitions": []})
