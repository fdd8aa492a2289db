"""Property tests: whatever JSON the cloud sends, the Visonic client raises only typed errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alarmtui.domain import Snapshot
from alarmtui.providers.base import PanelOffline, ProtocolError, ProviderError
from alarmtui.providers.visonic import (
    VisonicProvider,
    choose_version,
    decode_json,
    error_for_response,
    parse_alarms,
    parse_cameras,
    parse_devices,
    parse_events,
    parse_panel_facts,
    parse_process,
    parse_status,
    parse_token,
    parse_troubles,
    parse_users,
    parse_versions,
)
from alarmtui.settings import VisonicConfig
from alarmtui.simulators.host import ThreadedSimHost
from alarmtui.simulators.visonic import VisonicCloud

scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=12)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=16
)


def shaped(*keys: str, nested: dict[str, st.SearchStrategy[Any]] | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with the keys a real reply has (each optional) and arbitrary values: reaches deep code paths."""
    optional: dict[str, st.SearchStrategy[Any]] = {key: json_values for key in keys}
    optional.update(nested or {})
    return st.fixed_dictionaries({}, optional=optional)


warning = shaped("type", "severity", "in_memory")
traits = shaped("bypass", "location", "soak", "vod", "owner", "signal_level", "parent", nested={
    "bypass": shaped("enabled"), "location": shaped("id", "name")})  # fmt: skip
device = shaped(
    "id", "device_number", "device_type", "subtype", "name", "enrollment_id", "partitions", "preenroll", "zone_type",
    nested={"traits": traits | json_values, "warnings": st.lists(warning | json_values, max_size=3) | json_values},
)  # fmt: skip
partition = shaped("id", "state", "status", "ready", "options")
status = shaped(
    "connected",
    "connected_status",
    "discovery",
    "rssi",
    nested={"partitions": st.lists(partition | json_values, max_size=3) | json_values},
)
event = shaped(
    "event", "type_id", "label", "description", "appointment", "datetime", "video", "device_type", "zone", "partitions",
    "name", "zone_name", "preview_path", "preview_frames",
)  # fmt: skip
trouble = shaped("device_type", "location", "partitions", "trouble_type", "zone", "zone_name", "zone_type")
alarm = shaped("device_type", "alarm_type", "datetime", "has_video", "evt_id", "location", "partitions", "zone", "zone_name")
user = shaped("id", "name", "email", "partitions", "role")
camera = shaped(
    "location", "partitions", "preenroll", "preview_path", "status", "timestamp", "zone", "zone_name", "preview_frames"
)
process = shaped("token", "status", "message", "error")
panel_info = shaped("current_user", "model", "serial", "bypass_mode", "features", nested={
    "partitions": st.lists(shaped("id", "name", "exit_delay_time", "active") | json_values, max_size=3) | json_values})  # fmt: skip
feature_set = shaped("events", "partitions", "sirens", "state")


def lists_of(item: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(item, max_size=4) | json_values


def only_protocol_errors(parse: Callable[[Any], Any], data: Any) -> None:
    try:
        parse(data)
    except ProtocolError:
        pass


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(lists_of(device))
def test_devices(data: Any) -> None:
    only_protocol_errors(parse_devices, data)


@PROPERTY
@given(status | json_values)
def test_status(data: Any) -> None:
    only_protocol_errors(parse_status, data)


@PROPERTY
@given(lists_of(event))
def test_events(data: Any) -> None:
    try:
        events = parse_events(data)
    except ProtocolError:
        return
    assert all(a.time >= b.time for a, b in zip(events, events[1:], strict=False))
    assert all("\x1b" not in e.text and "\n" not in e.who for e in events)


@PROPERTY
@given(lists_of(trouble))
def test_troubles(data: Any) -> None:
    only_protocol_errors(parse_troubles, data)


@PROPERTY
@given(lists_of(alarm))
def test_alarms(data: Any) -> None:
    only_protocol_errors(parse_alarms, data)


@PROPERTY
@given(st.fixed_dictionaries({}, optional={"users": lists_of(user)}) | json_values)
def test_users(data: Any) -> None:
    only_protocol_errors(parse_users, data)


@PROPERTY
@given(lists_of(camera))
def test_cameras(data: Any) -> None:
    only_protocol_errors(parse_cameras, data)


@PROPERTY
@given(lists_of(process), st.text(max_size=8))
def test_process(data: Any, token: str) -> None:
    only_protocol_errors(lambda d: parse_process(d, token), data)


@PROPERTY
@given(panel_info | json_values, feature_set | json_values)
def test_panel_facts(info: Any, features: Any) -> None:
    only_protocol_errors(lambda _: parse_panel_facts(info, features), None)


@PROPERTY
@given(st.fixed_dictionaries({}, optional={"rest_versions": lists_of(scalars)}) | json_values, st.none() | st.text(max_size=5))
def test_versions(data: Any, forced: str | None) -> None:
    try:
        choose_version(parse_versions(data), forced)
    except ProtocolError:
        pass


@PROPERTY
@given(json_values, st.sampled_from(["user_token", "session_token"]))
def test_tokens(data: Any, key: str) -> None:
    only_protocol_errors(lambda d: parse_token(d, key), data)


@PROPERTY
@given(st.binary(max_size=64) | json_values.map(lambda v: json.dumps(v).encode()))
def test_decode_json(raw: bytes) -> None:
    only_protocol_errors(lambda r: decode_json(r, "a test"), raw)


def test_deeply_nested_json_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        decode_json(b"[" * 100_000 + b"]" * 100_000, "a test")


@PROPERTY
@given(
    st.integers(100, 599),
    shaped("error", "error_message", "error_reason_code", nested={"extras": lists_of(shaped("key", "value"))}) | json_values,
    st.booleans(),
)
def test_error_mapping_always_gives_a_provider_error(status_code: int, body: Any, command: bool) -> None:
    error = error_for_response(status_code, body, what="testing", command=command, provider="p")
    assert isinstance(error, ProviderError)
    assert str(error).startswith("p: ")


# --------------------------------------------------------------------------- through the real client and server


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[ThreadedSimHost, VisonicCloud, VisonicProvider, asyncio.AbstractEventLoop]]:
    cloud = VisonicCloud(process_delay=0.0)
    host = ThreadedSimHost([cloud], tls=True).start()
    table = cloud.provider_tables(host.urls["visonic"])[0]
    provider = VisonicProvider(VisonicConfig(**table, ca_file=host.ca_file))
    loop = asyncio.new_event_loop()
    loop.run_until_complete(provider.connect())
    yield host, cloud, provider, loop
    loop.run_until_complete(provider.close())
    loop.close()
    host.stop()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(["status", "devices", "alarms", "troubles"]),
    json_values | status | lists_of(device) | lists_of(alarm) | lists_of(trouble),
)
def test_snapshot_over_the_wire_raises_only_protocol_errors(
    live: tuple[ThreadedSimHost, VisonicCloud, VisonicProvider, asyncio.AbstractEventLoop], path: str, body: Any
) -> None:
    host, cloud, provider, loop = live
    host.call(cloud.inject_error, path, 200, body)
    try:
        snap = loop.run_until_complete(provider.snapshot())
    except (ProtocolError, PanelOffline):  # a status without `connected: true` is an offline panel
        pass
    else:
        assert isinstance(snap, Snapshot)
    finally:
        host.call(cloud.faults.clear)


# --------------------------------------------------------------------------- the simulator, fuzzed


@pytest.fixture(scope="module")
def fuzz_target() -> Iterator[tuple[str, dict[str, str], str]]:
    import requests

    cloud = VisonicCloud(process_delay=0.0, versions=["9.0", "14.0"])
    host = ThreadedSimHost([cloud], tls=True).start()
    base = f"{host.urls['visonic']}/rest_api/9.0"
    verify = str(host.ca_file)
    auth = requests.post(
        f"{base}/auth", json={"email": cloud.username, "password": cloud.password, "app_id": "x"}, verify=verify, timeout=4
    )
    user_token = auth.json()["user_token"]
    login = requests.post(
        f"{base}/panel/login",
        json={"user_code": cloud.code, "app_type": "t", "app_id": "x", "panel_serial": cloud.panels[0].serial},
        headers={"User-Token": user_token},
        verify=verify,
        timeout=4,
    )
    headers = {"User-Token": user_token, "Session-Token": login.json()["session_token"]}
    yield base, headers, verify
    host.stop()


POST_PATHS = [
    "auth", "panel/login", "set_state", "set_bypass_zone", "set_name", "set_user_code", "activate_siren", "disable_siren",
    "make_video", "access/grant", "access/revoke", "panel/add", "panel/rename", "password/reset",
    "password/reset/complete", "notifications/email",
]  # fmt: skip
BODY_KEYS = [
    "email", "password", "app_id", "user_code", "panel_serial", "partition", "state", "zone", "set", "class", "id",
    "name", "user_id", "mode", "camera_id", "user", "alias", "master_user_code", "reset_password_code", "new_password",
]  # fmt: skip


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.sampled_from(POST_PATHS), st.fixed_dictionaries({}, optional={k: json_values for k in BODY_KEYS}) | json_values)
def test_simulator_answers_any_body_with_json_never_a_crash(
    fuzz_target: tuple[str, dict[str, str], str], path: str, body: Any
) -> None:
    import requests

    base, headers, verify = fuzz_target
    response = requests.post(
        f"{base}/{path}", data=json.dumps(body), headers={**headers, "Content-Type": "application/json"}, verify=verify, timeout=4
    )
    assert response.status_code in (200, 400, 401, 403, 420, 442, 444), response.status_code
    reply = response.json()
    if response.status_code != 200:
        assert isinstance(reply["error"], int) and isinstance(reply["extras"], list)
