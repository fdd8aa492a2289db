"""What crosses the socket: every update round-trips exactly, and no PIN ever rides along."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alarmtui.domain import (
    ArmMode,
    Capability,
    Command,
    CommandAction,
    CommandPhase,
    CommandProgress,
    CommandResult,
    Event,
    EventKind,
    Partition,
    PartitionState,
    Photo,
    Snapshot,
    Trouble,
    TroubleKind,
    User,
    Zone,
    ZoneKind,
)
from alarmtui.domain.updates import (
    CommandUpdate,
    EventsUpdate,
    LinkState,
    PhotosUpdate,
    ProviderStatus,
    SnapshotUpdate,
    StatusUpdate,
)
from alarmtui.engine.wire import command_request, update_from_wire, update_to_wire

WHEN = datetime(2026, 11, 27, 3, 12, 5, tzinfo=UTC)
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) + b"\xff\xd9"
SNAPSHOT = Snapshot(
    partitions=(
        Partition(
            "1",
            "House",
            PartitionState.ARMED_AWAY,
            "armed",
            ready=False,
            open_zones=("Hall",),
            exit_delay_until=WHEN,
            alarm_zone="3",
        ),
    ),
    zones=(Zone("ZONE-1", "Hall PIR", ZoneKind.MOTION, open=None, bypassed=True, camera=True, partitions=("1",), detail="x"),),
    troubles=(Trouble("t1", TroubleKind.LOW_BATTERY, "battery low", zone="ZONE-1", since=WHEN),),
    users=(User("u1", "Ana", "master", "d"),),
    capabilities=frozenset({Capability.ARM_AWAY, Capability.BYPASS}),
    panel_name="Casa",
    online=False,
    detail="offline since 03:00",
    fetched_at=WHEN,
)
UPDATES = [
    StatusUpdate(
        "p",
        ProviderStatus(
            "p",
            "visonic",
            LinkState.RECONNECTING,
            "timeout",
            "hint",
            WHEN,
            4.0,
            2,
            stale=True,
            requests_last_hour=17,
            request_ceiling=900,
        ),
    ),
    SnapshotUpdate("p", SNAPSHOT),
    EventsUpdate(
        "p", (Event("e1", WHEN, EventKind.ALARM, "ALARM", who="Ana", zone="Hall", partition="1", provider="p", photo_ref="r"),)
    ),
    PhotosUpdate("p", (Photo("Hall", WHEN, JPEG, 1, "p"),)),
    CommandUpdate(
        "p",
        Command(CommandAction.ARM, mode=ArmMode.NIGHT, partition="1", label="House", force=True),
        CommandProgress(CommandPhase.DONE, "armed", 3.5),
        CommandResult(CommandPhase.DONE, "armed", 3.5, (Photo("Hall", WHEN, JPEG),)),
    ),
]


@pytest.mark.parametrize("update", UPDATES, ids=lambda u: type(u).__name__)
def test_every_update_round_trips_through_json(update: object) -> None:
    text = json.dumps(update_to_wire(update))  # type: ignore[arg-type]
    assert update_from_wire(json.loads(text)) == update


def test_a_command_update_never_carries_the_pin() -> None:
    command = Command(CommandAction.DISARM, partition="1", code="4711")
    update = CommandUpdate("p", command, CommandProgress(CommandPhase.SENT))
    text = json.dumps(update_to_wire(update))
    assert "4711" not in text
    assert update_from_wire(json.loads(text)).command.code is None


def test_only_a_command_request_carries_the_pin_and_it_arrives_intact() -> None:
    from alarmtui.domain.serialize import command_from_wire

    body = command_request("p", Command(CommandAction.ARM, mode=ArmMode.AWAY, code="0042"))
    assert command_from_wire(json.loads(json.dumps(body))["command"]).code == "0042"


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"type": "snapshot", "provider": "p", "snapshot": {"partitions": [{"id": 1}]}},
        {"type": "status", "provider": "p", "status": {"state": "sleepy"}},
        {"type": "nonsense", "provider": "p"},
        {"type": "photos", "provider": "p", "photos": [{"zone": "z", "time": "now", "jpeg": "!!"}]},
        ["not", "a", "dict"],
    ],
)
def test_malformed_updates_raise_value_error(data: object) -> None:
    with pytest.raises(ValueError):
        update_from_wire(data)  # type: ignore[arg-type]


@settings(max_examples=25, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=4),
        max_leaves=12,
    )
)
def test_any_json_is_an_update_or_a_value_error(data: object) -> None:
    for kind in ("status", "snapshot", "events", "command", "photos"):
        try:
            update_from_wire({"type": kind, "provider": "p", kind: data, "command": data, "progress": data})
        except ValueError:
            pass


def test_the_typed_error_behind_a_result_crosses_with_its_fields() -> None:
    from alarmtui.engine.wire import result_from_wire, result_to_wire
    from alarmtui.providers.errors import OpenZones

    error = OpenZones("zones are open", zones=("Hall", "Kitchen"), can_force=True, provider="p")
    error.may_have_left = False
    result = CommandResult(CommandPhase.FAILED, "zones are open", 1.5, error=error)
    back = result_from_wire(json.loads(json.dumps(result_to_wire(result))))
    assert back == result
    assert isinstance(back.error, OpenZones)
    assert back.error.zones == ("Hall", "Kitchen") and back.error.can_force and back.error.may_have_left is False


def test_an_unknown_error_type_comes_back_as_a_plain_provider_error() -> None:
    from alarmtui.engine.wire import error_from_wire
    from alarmtui.providers.errors import ProviderError

    back = error_from_wire({"type": "SystemExit", "message": "nope"})
    assert type(back) is ProviderError and back.message == "nope"
