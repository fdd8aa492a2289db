"""The scenario control API every simulated cloud shares, on its own loopback port.

Tests, the demo's palette and users drive the same scenarios through it, never
through simulator internals::

    GET  /_control                       every cloud, its panels and the operations
    GET  /_control/{cloud}               the cloud's panels: partitions (phase, alarm zones), zones, troubles
    POST /_control/{cloud}/scenario      {"op": "trip_zone", "zone": "3"}  (optional "panel": index or serial)

Operations (`OPERATIONS`) act on the shared `SimPanel`, so each vendor renders
them in its own dialect. The reply is `{"ok": true, "op": ..., "panel": {...}}`;
a refusal is `{"ok": false, "reason": ..., "message": ...}` with HTTP 400
(bad request), 404 (no such cloud or panel) or 409 (the panel refused, e.g.
offline). The API has no authentication, so it is only ever bound to 127.0.0.1.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from alarmtui.simulators.base import SimCloud
from alarmtui.simulators.panel import Mode, SimError, SimPanel

CONTROL_HOST = "127.0.0.1"
"""The control API listens here whatever address the clouds use: it has no authentication."""


class ScenarioError(Exception):
    """A scenario request that cannot be carried out: `status` is the HTTP status the API answers."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message


def _text(args: Mapping[str, Any], key: str) -> str | None:
    value = args.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str | int):
        raise ScenarioError(400, "bad_request", f"{key!r} must be a string")
    return str(value)


def first_zone(panel: SimPanel, *kinds: str) -> str:
    """The first zone of one of these kinds (any zone if none)."""
    for zone in panel.zones.values():
        if zone.kind in kinds:
            return zone.id
    return next(iter(panel.zones))


def _door(panel: SimPanel, args: Mapping[str, Any]) -> str:
    return _text(args, "zone") or first_zone(panel, "contact")


PanelOperation = Callable[[SimPanel, Mapping[str, Any]], None]

OPERATIONS: dict[str, tuple[PanelOperation, str]] = {
    "trip_zone": (
        lambda panel, a: panel.trip_zone(_text(a, "zone") or first_zone(panel, "motion", "camera", "contact")),
        "an intruder trips a zone (zone): armed partitions watching it alarm at once",
    ),
    "alarm_partition": (
        lambda panel, a: panel.alarm_partition(_text(a, "partition"), _text(a, "zone")),
        "a partition alarms (partition, zone optional; armed first if needed); again with another zone adds it",
    ),
    "entry_delay": (
        lambda panel, a: panel.start_entry_delay(_text(a, "partition"), _text(a, "zone")),
        "the entry delay starts (partition, zone optional), then the alarm sounds unless disarmed",
    ),
    "open_door": (lambda panel, a: panel.open_zone(_door(panel, a), True), "a door opens (zone; default the first contact)"),
    "close_door": (lambda panel, a: panel.open_zone(_door(panel, a), False), "a door closes (zone; default the first contact)"),
    "cut_mains": (lambda panel, a: panel.cut_mains(), "mains power is lost (a trouble)"),
    "restore_mains": (lambda panel, a: panel.restore_mains(), "mains power is back"),
    "outage_start": (lambda panel, a: panel.set_offline(True), "the panel goes offline (a real outage)"),
    "outage_end": (lambda panel, a: panel.set_offline(False), "the panel is back online"),
    "checkin_gap_start": (
        lambda panel, a: panel.set_checkin_gap(True),
        "a routine check-in gap starts (reachable, not an outage)",
    ),
    "checkin_gap_end": (lambda panel, a: panel.set_checkin_gap(False), "the check-in gap ends"),
    "low_battery": (
        lambda panel, a: _low_battery(panel, a),
        "a detector reports a low battery (zone optional)",
    ),
    "disarm": (
        lambda panel, a: panel.disarm(_partitions(a), user="Keypad", source="KEYPAD"),
        "someone disarms at the keypad (partition optional)",
    ),
    # The demo palette's one-key stories: each is one of the operations above, picked from the panel's state.
    "intrusion": (
        lambda panel, a: intrude(panel),
        "arm the first partition if needed, then trip a motion detector (or camera) watching it away",
    ),
    "toggle_door": (
        lambda panel, a: _toggle_door(panel, _door(panel, a)),
        "open the door if closed, close it if open (zone; default the first contact)",
    ),
    "toggle_mains": (
        lambda panel, a: panel.cut_mains() if panel.power_ok else panel.restore_mains(),
        "cut mains power, or restore it",
    ),
    "toggle_outage": (lambda panel, a: panel.set_offline(not panel.faults.offline), "the panel goes offline, or comes back"),
    "toggle_checkin_gap": (
        lambda panel, a: panel.set_checkin_gap(not panel.faults.checkin_gap),
        "a check-in gap starts, or ends",
    ),
}
"""Operations on one panel: name -> (function, help)."""

CLOUD_OPERATIONS: dict[str, str] = {
    "expire_sessions": "the cloud forgets every login; clients must log in again",
    "untrust_device": "the cloud forgets the devices it trusted: the next login asks for two-factor (Securitas)",
}
"""Operations on the cloud itself (`SimCloud.cloud_operation`)."""


def intrude(panel: SimPanel) -> None:
    """Arm the first partition if needed, then trip a motion detector or camera watching it away."""
    part = next(iter(panel.partitions.values()))
    zone = next((z for z in panel.zones_of(part.id) if z.kind in ("motion", "camera") and Mode.AWAY in z.modes), None)
    panel.alarm_partition(part.id, zone.id if zone else None)


def _toggle_door(panel: SimPanel, zone_id: str) -> None:
    panel.open_zone(zone_id, not panel.zone(zone_id).open)


def _low_battery(panel: SimPanel, args: Mapping[str, Any]) -> None:
    panel.raise_trouble("low_battery", _text(args, "zone") or first_zone(panel, "motion", "camera"))


def _partitions(args: Mapping[str, Any]) -> list[str] | None:
    partition = _text(args, "partition")
    return [partition] if partition else None


def pick_panel(cloud: SimCloud, which: Any = None) -> SimPanel:
    """The cloud's panel by index or serial (default: its first, the demo's main one)."""
    panels = cloud.panels
    if which is None or which == "":
        return panels[0]
    for panel in panels:
        if panel.serial == str(which):
            return panel
    if isinstance(which, int) or (isinstance(which, str) and which.isdigit()):
        index = int(which)
        if 0 <= index < len(panels):
            return panels[index]
    raise ScenarioError(404, "unknown_panel", f"{cloud.kind} has no panel {which!r}")


def apply_scenario(cloud: SimCloud, op: str, args: Mapping[str, Any] | None = None) -> SimPanel:
    """Carry out one scenario operation on the simulator's loop; returns the panel it acted on."""
    args = args or {}
    panel = pick_panel(cloud, args.get("panel"))
    if op in CLOUD_OPERATIONS:
        try:
            cloud.cloud_operation(op)
        except NotImplementedError:
            raise ScenarioError(400, "unsupported", f"{cloud.kind} has no {op!r}") from None
        return panel
    entry = OPERATIONS.get(op)
    if entry is None:
        known = ", ".join([*OPERATIONS, *CLOUD_OPERATIONS])
        raise ScenarioError(400, "unknown_op", f"unknown op {op!r}; choose from {known}")
    try:
        entry[0](panel, args)
    except SimError as exc:
        raise ScenarioError(404 if exc.reason.startswith("unknown") else 409, exc.reason, exc.message) from None
    return panel


def describe_panel(panel: SimPanel) -> dict[str, Any]:
    """What a scenario's caller needs to check its effect (no secrets: no user codes)."""
    panel.advance()
    return {
        "name": panel.name,
        "serial": panel.serial,
        "offline": panel.faults.offline,
        "checkin_gap": panel.faults.checkin_gap,
        "mains": panel.power_ok,
        "partitions": [
            {
                "id": part.id,
                "name": part.name,
                "phase": part.phase.value,
                "mode": part.mode.value if part.mode else None,
                "perimeter": part.perimeter,
                "alarm_zones": list(part.alarm_zones),
                "remaining": round(panel.remaining(part), 3),
            }
            for part in panel.partitions.values()
        ],
        "zones": [
            {"id": z.id, "name": z.name, "kind": z.kind, "partitions": list(z.partitions), "open": z.open, "alarm": z.alarm}
            for z in panel.zones.values()
        ],
        "troubles": [{"kind": t.kind, "zone": t.zone, "text": t.text} for t in panel.troubles],
    }


def control_app(clouds: Mapping[str, SimCloud]) -> web.Application:
    """The aiohttp application of the control API over `clouds` (by kind)."""

    def cloud_of(request: web.Request) -> SimCloud:
        cloud = clouds.get(request.match_info["cloud"])
        if cloud is None:
            raise ScenarioError(
                404, "unknown_cloud", f"no cloud {request.match_info['cloud']!r}; choose from {', '.join(clouds)}"
            )
        return cloud

    def refusal(exc: ScenarioError) -> web.Response:
        return web.json_response({"ok": False, "reason": exc.reason, "message": exc.message}, status=exc.status)

    async def index(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "clouds": {kind: [p.serial for p in cloud.panels] for kind, cloud in clouds.items()},
                "operations": {op: text for op, (_, text) in OPERATIONS.items()} | CLOUD_OPERATIONS,
            }
        )

    async def show(request: web.Request) -> web.Response:
        try:
            cloud = cloud_of(request)
        except ScenarioError as exc:
            return refusal(exc)
        return web.json_response({"cloud": cloud.kind, "panels": [describe_panel(p) for p in cloud.panels]})

    async def scenario(request: web.Request) -> web.Response:
        try:
            cloud = cloud_of(request)
            try:
                body = await request.json()
            except (ValueError, UnicodeDecodeError):
                raise ScenarioError(400, "bad_request", 'the body must be JSON: {"op": ...}') from None
            if not isinstance(body, dict) or not isinstance(body.get("op"), str):
                raise ScenarioError(400, "bad_request", 'the body must be a JSON object with an "op"')
            panel = apply_scenario(cloud, body["op"], body)
        except ScenarioError as exc:
            return refusal(exc)
        return web.json_response({"ok": True, "op": body["op"], "panel": describe_panel(panel)})

    app = web.Application(client_max_size=64 * 1024)
    app.router.add_get("/_control", index)
    app.router.add_get("/_control/{cloud}", show)
    app.router.add_post("/_control/{cloud}/scenario", scenario)
    return app


# ---------------------------------------------------------------------- clients


def _check_reply(status: int, body: bytes) -> dict[str, Any]:
    reply = json.loads(body or b"{}")
    if status != 200 or not reply.get("ok", True):
        raise ScenarioError(status, str(reply.get("reason", "error")), str(reply.get("message", body[:200])))
    return reply  # type: ignore[no-any-return]


async def run_scenario(control_url: str, cloud: str, op: str, **args: Any) -> dict[str, Any]:
    """POST one scenario from code on an event loop (the control API may be served by the same loop)."""
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.post(f"{control_url}/_control/{cloud}/scenario", json={"op": op, **args}) as response:
            return _check_reply(response.status, await response.read())


async def read_panels(control_url: str, cloud: str) -> list[dict[str, Any]]:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.get(f"{control_url}/_control/{cloud}") as response:
            return _check_reply(response.status, await response.read())["panels"]  # type: ignore[no-any-return]


def run_scenario_sync(control_url: str, cloud: str, op: str, timeout: float = 5.0, **args: Any) -> dict[str, Any]:
    """The same from a thread with no loop (a simulator in another thread or process)."""
    data = json.dumps({"op": op, **args}).encode()
    request = urllib.request.Request(
        f"{control_url}/_control/{cloud}/scenario", data=data, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback URL we were given
            return _check_reply(response.status, response.read())
    except urllib.error.HTTPError as exc:
        return _check_reply(exc.code, exc.read())


__all__ = [
    "CLOUD_OPERATIONS",
    "CONTROL_HOST",
    "OPERATIONS",
    "ScenarioError",
    "apply_scenario",
    "control_app",
    "describe_panel",
    "pick_panel",
    "read_panels",
    "run_scenario",
    "run_scenario_sync",
]
