"""A Vera's luup API, shared by the MiOS relay (`simulators/mios/`) and the Vera's own LAN port.

`VeraUnit` is one controller: the luup device tree (an AlarmPartition2 per partition, a
SecuritySensor1 per zone, cameras, the panel device) derived from a `SimPanel`, with
loadtime/dataversion change tracking. `LuupRequest` answers one `data_request` (alive,
sdata/lu_sdata long poll, status, user_data, action + jobstatus, variableget/set,
request_image, archive_video). The alarm-panel plugin models ExitDelay/EntryDelay
(DetailedArmMode; Texecom-style plugins write them into ArmMode), Alarm/AlarmMemory and
the DSC-style VendorStatus texts.

Faults: one mechanism, the shared middleware (`simulators/faults.py`). `LuupFaults` adds two
route groups to it: "luup" (any data_request, relay or LAN) and "luup_read" (sdata, status,
user_data and their lu_ forms: where a reloading Luup answers `{"status": 0}`, an empty body or 500).
"""

from __future__ import annotations

import asyncio
import io
import itertools
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from aiohttp import web

from alarmtui.simulators.faults import Fault, FaultInjector
from alarmtui.simulators.panel import Mode, Phase, SimError, SimPanel

AP2 = "urn:micasaverde-com:serviceId:AlarmPartition2"
SS1 = "urn:micasaverde-com:serviceId:SecuritySensor1"
HAD = "urn:micasaverde-com:serviceId:HaDevice1"
CAM = "urn:micasaverde-com:serviceId:Camera1"

#: luup shortcodes (what sdata carries per device).
SHORTCODES: dict[tuple[str, str], str] = {
    (AP2, "ArmMode"): "armmode",
    (AP2, "DetailedArmMode"): "detailedarmmode",
    (AP2, "Alarm"): "alarm",
    (AP2, "AlarmMemory"): "alarmmemory",
    (AP2, "LastAlarmActive"): "lastalarmactive",
    (AP2, "LastUser"): "lastuser",
    (AP2, "VendorStatus"): "vendorstatus",
    (AP2, "VendorStatusCode"): "vendorstatuscode",
    (AP2, "VendorStatusData"): "vendorstatusdata",
    (AP2, "ChimeEnabled"): "chimeenabled",
    (SS1, "Armed"): "armed",
    (SS1, "Tripped"): "tripped",
    (SS1, "ArmedTripped"): "armedtripped",
    (SS1, "LastTrip"): "lasttrip",
    (HAD, "BatteryLevel"): "batterylevel",
    (HAD, "CommFailure"): "commFailure",
}

# DetailedArmMode per (mode) when armed; VendorStatus(Code) texts in the style of the DSC plugin.
_ARMED_DETAIL = {Mode.AWAY: "Armed", Mode.HOME: "Stay", Mode.NIGHT: "Night"}
_VENDOR = {
    "Ready": ("Ready to Arm", "650"),
    "NotReady": ("Not Ready", "651"),
    "FailedToArm": ("Arming failed", "659"),
    "ExitDelay": ("Exit Delay in Progress", "656"),
    "EntryDelay": ("Entry Delay in Progress", "657"),
    "Armed": ("Armed Away", "652"),
    "Force": ("Armed Away (forced)", "652"),
    "Vacation": ("Armed Vacation", "652"),
    "Stay": ("Armed Stay", "652"),
    "StayInstant": ("Armed Stay Instant", "652"),
    "Night": ("Armed Night", "652"),
    "NightInstant": ("Armed Night Instant", "652"),
}
_ARM_STATES = {
    "Armed": (Mode.AWAY, False, False),
    "Vacation": (Mode.AWAY, False, False),
    "Force": (Mode.AWAY, False, True),
    "Stay": (Mode.HOME, False, False),
    "StayInstant": (Mode.HOME, True, False),
    "Night": (Mode.NIGHT, False, False),
    "NightInstant": (Mode.NIGHT, True, False),
}
_ZONE_SUBCATEGORY = {"contact": 1, "motion": 3, "generic": 2, "smoke": 4}
WRONG_PIN_TEXT = "Invalid PIN or User code."


class Reply(Exception):
    """Raised by helpers to short-circuit a handler with a ready response."""

    def __init__(self, response: web.StreamResponse) -> None:
        super().__init__(getattr(response, "status", 0))
        self.response = response


@dataclass
class Job:
    id: int
    device: int
    action: str
    status: int = 0  # 0 waiting, 1 in progress, 2 error, 4 done
    notes: str = ""


@dataclass
class DeviceMeta:
    num: int
    name: str
    category: int
    subcategory: int
    parent: int
    room: int
    altid: str
    device_type: str
    zone: str = ""
    partition: str = ""
    state: int = -1
    comment: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class UnitHost(Protocol):
    """What a `VeraUnit` needs from the cloud it sits behind (the MiOS event and storage modules)."""

    def now(self) -> float: ...

    def log_variable(self, unit: VeraUnit, dev: DeviceMeta, key: tuple[str, str], old: str, new: str) -> None: ...

    def store_image(self, unit: VeraUnit, dev: DeviceMeta, jpeg: bytes, when: float, index: int) -> None: ...


class VeraUnit:
    """One Vera controller: the luup device tree derived from a `SimPanel`."""

    PANEL_DEV = 40

    def __init__(self, cloud: UnitHost, panel: SimPanel, pk_device: int) -> None:
        self.cloud = cloud
        self.panel = panel
        self.pk_device = pk_device
        self.loadtime = int(cloud.now())
        self.dataversion = 1000
        self.changed_at: dict[int, int] = {}
        self.jobs: dict[int, Job] = {}
        self._job_ids = itertools.count(400)
        self.actions_received: list[str] = []
        self.detail_override: dict[str, str] = {}
        self.refuse_jobs: dict[int, str] = {}
        """Device number -> task text: the plugin fails every job on that device with it."""
        self.refuse_requests: dict[int, tuple[int, str]] = {}
        """Device number -> (HTTP status, body) answered to an action on that device (relay or LAN refusing it)."""
        self.stall_jobs = False
        """Jobs stay "in progress" for ever (the command's outcome never arrives)."""
        self.minimal_jobstatus = False
        """Answer `jobstatus` with exactly `{"status": N}` (mios.md §2.4) instead of adding notes/type."""
        self.panic_enabled = True
        self.plugin_style = "standard"  # or "texecom": non-standard ArmMode="ExitDelay"/"EntryDelay"
        self.tasks: set[asyncio.Task[None]] = set()
        self.devices = self._build_devices()
        self.values: dict[int, dict[tuple[str, str], str]] = self._compute()
        self._seen_photos: set[int] = set(panel.photos)
        panel.listeners.append(lambda _panel: self.refresh())

    # ------------------------------------------------------------------ device tree

    def _build_devices(self) -> dict[int, DeviceMeta]:
        devices = {
            self.PANEL_DEV: DeviceMeta(
                self.PANEL_DEV,
                f"{self.panel.name} Alarm Panel",
                22,
                0,
                1,
                1,
                "panel",
                "urn:schemas-micasaverde-com:device:AlarmPanel:1",
            )
        }
        for index, part in enumerate(self.panel.partitions.values()):
            num = 41 + index if index < 9 else 300 + index
            devices[num] = DeviceMeta(
                num,
                part.name,
                23,
                0,
                self.PANEL_DEV,
                1,
                f"Partition{part.id}",
                "urn:schemas-micasaverde-com:device:AlarmPartition:2",
                partition=part.id,
            )
        spare = itertools.count(100)

        def claim(preferred: int, block: int) -> int:
            """Vera-like numbers (sensors 51.., cameras 67); collisions move to 100 and up."""
            if preferred not in devices and block <= preferred < block + 10:
                return preferred
            return next(n for n in spare if n not in devices)

        for zone in self.panel.zones.values():
            number = int(zone.id) if zone.id.isdigit() else -1
            if zone.camera:
                num = claim(60 + number, 60)
                devices[num] = DeviceMeta(
                    num,
                    zone.name,
                    6,
                    0,
                    0,
                    2,
                    "",
                    "urn:schemas-upnp-org:device:DigitalSecurityCamera:2",
                    zone=zone.id,
                    extra={"ip": "192.168.1.60"},
                )
            elif zone.kind in _ZONE_SUBCATEGORY:
                num = claim(50 + number, 50)
                kind = {"contact": "Door", "motion": "Motion", "smoke": "Smoke", "generic": "Flood"}[zone.kind]
                devices[num] = DeviceMeta(
                    num,
                    zone.name,
                    4,
                    _ZONE_SUBCATEGORY.get(zone.kind, 0),
                    self.PANEL_DEV,
                    2,
                    f"Zone{zone.id}",
                    f"urn:schemas-micasaverde-com:device:{kind}Sensor:1",
                    zone=zone.id,
                )
        return devices

    def device_for_zone(self, zone_id: str) -> int | None:
        return next((d.num for d in self.devices.values() if d.zone == zone_id), None)

    def _compute(self) -> dict[int, dict[tuple[str, str], str]]:
        panel = self.panel
        values: dict[int, dict[tuple[str, str], str]] = {}
        comm = {t.zone for t in panel.troubles if t.kind == "comm_failure"}
        for dev in self.devices.values():
            out: dict[tuple[str, str], str] = {}
            if dev.category == 23:
                part = panel.partitions[dev.partition]
                if part.phase is Phase.DISARMED:
                    self.detail_override.pop(part.id, None)
                    if part.failed_to_arm:
                        detail = "FailedToArm"
                    else:
                        detail = "Ready" if panel.ready(part.id) else "NotReady"
                    arm_mode = "Disarmed"
                elif part.phase is Phase.EXIT_DELAY:
                    detail, arm_mode = "ExitDelay", "Armed"
                elif part.phase is Phase.ENTRY_DELAY:
                    detail, arm_mode = "EntryDelay", "Armed"
                else:
                    detail = self.detail_override.get(part.id) or _ARMED_DETAIL.get(part.mode, "Armed")  # type: ignore[arg-type]
                    arm_mode = "Armed" if part.mode is not None else "Disarmed"
                if self.plugin_style == "texecom" and detail in ("ExitDelay", "EntryDelay"):
                    arm_mode = detail  # Texecom's plugin writes these into ArmMode
                alarm = part.phase is Phase.ALARM
                status, code = ("Alarm", "654") if alarm else _VENDOR.get(detail, (detail, ""))
                out[(AP2, "ArmMode")] = arm_mode
                out[(AP2, "DetailedArmMode")] = detail
                out[(AP2, "Alarm")] = "Active" if alarm else "None"
                out[(AP2, "AlarmMemory")] = "1" if part.alarm_memory else "0"
                out[(AP2, "LastAlarmActive")] = str(int(part.last_alarm))
                out[(AP2, "LastUser")] = part.last_user
                out[(AP2, "VendorStatus")] = status
                out[(AP2, "VendorStatusCode")] = code
                out[(AP2, "VendorStatusData")] = ""
                out[(AP2, "ChimeEnabled")] = "0"
            elif dev.category == 4:
                zone = panel.zones[dev.zone]
                out[(SS1, "Armed")] = "0" if zone.bypassed else "1"
                out[(SS1, "Tripped")] = "1" if zone.open else "0"
                out[(SS1, "ArmedTripped")] = "1" if zone.open and not zone.bypassed else "0"
                out[(SS1, "LastTrip")] = str(int(zone.last_trip))
                out[(HAD, "BatteryLevel")] = "9" if zone.battery_low else "100"
                out[(HAD, "CommFailure")] = "1" if zone.id in comm else "0"
            elif dev.category == 6:
                out[(CAM, "URL")] = "/cgi-bin/snapshot.jpg"
                out[(HAD, "CommFailure")] = "0"
            elif dev.category == 22:
                # The plugin lost its panel: what a client on the LAN sees (the relay says "Tunnel not found").
                out[(HAD, "CommFailure")] = "1" if panel.faults.offline else "0"
            values[dev.num] = out
        return values

    def refresh(self) -> None:
        """Recompute the luup variables; every change bumps dataversion and logs an event."""
        new = self._compute()
        changed: list[tuple[int, tuple[str, str], str, str]] = []
        for num, variables in new.items():
            old = self.values.get(num, {})
            changed.extend((num, key, old.get(key, ""), value) for key, value in variables.items() if old.get(key) != value)
        self.values = new
        if changed:
            self.dataversion += 1
            for num, key, old_value, value in changed:
                self.changed_at[num] = self.dataversion
                self.cloud.log_variable(self, self.devices[num], key, old_value, value)
        for photo_id, photo_set in list(self.panel.photos.items()):
            if photo_id not in self._seen_photos:
                self._seen_photos.add(photo_id)
                camera = self.device_for_zone(photo_set.zone)
                if camera is not None:
                    for index, jpeg in enumerate(photo_set.jpegs):
                        self.cloud.store_image(self, self.devices[camera], jpeg, photo_set.time + index * 0.5, index)

    def set_job_state(self, num: int, state: int, comment: str) -> None:
        dev = self.devices[num]
        if (dev.state, dev.comment) != (state, comment):
            dev.state, dev.comment = state, comment
            self.dataversion += 1
            self.changed_at[num] = self.dataversion
            # Wake long polls: the engine's own notification (the panel itself did not change).
            self.panel._touch()

    def reload(self) -> None:
        """A Luup reload: new loadtime, so clients must take a full refresh."""
        self.loadtime = max(self.loadtime + 1, int(self.cloud.now()))
        self.dataversion += 1
        self.panel._touch()

    # ------------------------------------------------------------------ luup JSON

    def device_json(self, num: int) -> dict[str, Any]:
        dev = self.devices[num]
        entry: dict[str, Any] = {
            "name": dev.name,
            "altid": dev.altid,
            "id": dev.num,
            "category": dev.category,
            "subcategory": dev.subcategory,
            "room": dev.room,
            "parent": dev.parent,
        }
        for key, value in self.values[num].items():
            short = SHORTCODES.get(key)
            if short:
                entry[short] = value
        entry.update(dev.extra)
        entry["state"] = dev.state
        entry["comment"] = dev.comment
        return entry

    def sdata(self, since: int | None) -> dict[str, Any]:
        full = since is None
        nums = [n for n in self.devices if full or self.changed_at.get(n, 0) > since]  # type: ignore[operator]
        reply: dict[str, Any] = {
            "full": 1 if full else 0,
            "loadtime": self.loadtime,
            "dataversion": self.dataversion,
            "state": -1,
            "comment": "",
            "devices": [self.device_json(n) for n in nums],
        }
        if full:
            categories = sorted({d.category for d in self.devices.values()})
            names = {4: "Sensor", 6: "Camera", 22: "Alarm Panel", 23: "Alarm Partition"}
            reply.update(
                {
                    "version": "*1.7.5186*",
                    "model": self.panel.name,
                    "zwave_heal": 0,
                    "temperature": "C",
                    "skin": "mios",
                    "serial_number": str(self.pk_device),
                    "fwd1": "",
                    "fwd2": "",
                    "mode": 1,
                    "sections": [{"name": "My Home", "id": 1}],
                    "rooms": [{"name": "Hall", "id": 1, "section": 1}, {"name": "Outside", "id": 2, "section": 1}],
                    "scenes": [],
                    "categories": [{"name": names.get(c, "Device"), "id": c} for c in categories],
                    "ir": 0,
                    "irtx": "",
                }
            )
        return reply

    def states(self, num: int) -> list[dict[str, Any]]:
        return [
            {"id": index, "service": service, "variable": variable, "value": value}
            for index, ((service, variable), value) in enumerate(self.values[num].items())
        ]


def resize_jpeg(jpeg: bytes, size: tuple[int, int]) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(jpeg)) as image:
        image.thumbnail(size)
        out = io.BytesIO()
        image.convert("RGB").save(out, format="JPEG", quality=75)
    return out.getvalue()


class LuupRequest:
    """One luup `data_request` on a Vera."""

    def __init__(self, unit: VeraUnit, request: web.Request) -> None:
        self.unit = unit
        self.panel = unit.panel
        self.q = request.query

    def text(self, body: str, status: int = 200) -> web.Response:
        return web.Response(status=status, text=body, content_type="text/plain")

    def int_arg(self, name: str, default: int = 0) -> int:
        raw = self.q.get(name)
        if raw is None:
            raw = next((v for k, v in self.q.items() if k.lower() == name.lower()), None)
        if raw in (None, ""):
            return default
        try:
            return int(float(raw))
        except ValueError:
            raise Reply(self.text(f"ERROR: Invalid {name}")) from None

    async def handle(self) -> web.StreamResponse:
        request_id = self.q.get("id", "")
        if request_id.startswith(("lu_", "lr_")):
            request_id = request_id[3:]
        self.panel.advance()
        self.unit.refresh()
        try:
            handler = getattr(self, f"do_{request_id}", None)
            if handler is None:
                return self.text("ERROR: No handler")
            return await handler()
        except Reply as reply:
            return reply.response

    async def do_alive(self) -> web.Response:
        return self.text("OK")

    async def do_sdata(self) -> web.Response:
        unit = self.unit
        loadtime = self.int_arg("loadtime")
        dataversion = self.int_arg("dataversion")
        timeout = max(0.0, min(float(self.int_arg("timeout")), 60.0))
        minimum_delay = max(0.0, min(self.int_arg("minimumdelay") / 1000.0, 5.0))
        started = asyncio.get_running_loop().time()
        if loadtime != unit.loadtime or dataversion <= 0:
            return web.json_response(unit.sdata(None))
        deadline = started + timeout
        while unit.dataversion <= dataversion:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            await self.panel.wait_changed(self.panel.version, left)
            unit.refresh()
            if not self.panel.serving:
                break  # the server stops: answered now, not held to its shutdown timeout
            if self.panel.faults.offline:
                return self.text("ERROR:Tunnel not found", 500)
            if unit.loadtime != loadtime:
                return web.json_response(unit.sdata(None))
        wait_more = started + minimum_delay - asyncio.get_running_loop().time()
        if wait_more > 0 and self.panel.serving:
            await asyncio.sleep(wait_more)
            unit.refresh()
        return web.json_response(unit.sdata(dataversion))

    do_summary = do_sdata

    async def do_status(self) -> web.Response:
        unit = self.unit
        device_num = self.int_arg("DeviceNum", -1)

        def entry(num: int) -> dict[str, Any]:
            dev = unit.devices[num]
            return {
                "id": num,
                "status": dev.state,
                "comment": dev.comment,
                "tooltip": {"display": "0"},
                "Jobs": [],
                "PendingJobs": 0,
                "states": unit.states(num),
            }

        if device_num >= 0:
            if device_num not in unit.devices:
                return self.text("ERROR: Invalid Device")
            return web.json_response({f"Device_Num_{device_num}": entry(device_num)})
        return web.json_response(
            {
                "alerts": [],
                "TimeStamp": int(time.time()),
                "Mode": 1,
                "LoadTime": unit.loadtime,
                "DataVersion": unit.dataversion,
                "UserData_DataVersion": unit.loadtime,
                "LocalTime": datetime.now().strftime("%Y-%m-%d %H:%M:%S D"),
                "devices": [entry(n) for n in unit.devices],
                "startup": {"tasks": []},
            }
        )

    async def do_user_data(self) -> web.Response:
        unit = self.unit
        if self.int_arg("DataVersion") == unit.loadtime:
            return self.text("NO_CHANGES")
        devices = [
            {
                "id": str(dev.num),
                "name": dev.name,
                "device_type": dev.device_type,
                "category_num": dev.category,
                "subcategory_num": dev.subcategory,
                "room": str(dev.room),
                "id_parent": dev.parent,
                "altid": dev.altid,
                "states": unit.states(dev.num),
                **dev.extra,
            }
            for dev in unit.devices.values()
        ]
        return web.json_response(
            {
                "devices": devices,
                "rooms": [{"id": 1, "name": "Hall", "section": 1}, {"id": 2, "name": "Outside", "section": 1}],
                "scenes": [],
                "sections": [{"id": 1, "name": "My Home"}],
                "DataVersion": unit.loadtime,
                "LoadTime": unit.loadtime,
                "model": unit.panel.name,
                "PK_AccessPoint": str(unit.pk_device),
                "serial_number": str(unit.pk_device),
                "Mode": "1",
            }
        )

    async def do_variableget(self) -> web.Response:
        num = self.int_arg("DeviceNum", -1)
        values = self.unit.values.get(num)
        if values is None:
            return self.text("ERROR: Invalid Device")
        value = values.get((self.q.get("serviceId", ""), self.q.get("Variable", "")))
        return self.text(value) if value is not None else self.text("ERROR: Variable not found")

    async def do_variableset(self) -> web.Response:
        num = self.int_arg("DeviceNum", -1)
        dev = self.unit.devices.get(num)
        if dev is None:
            return self.text("ERROR: Invalid Device")
        if (self.q.get("serviceId"), self.q.get("Variable")) == (SS1, "Tripped") and dev.category == 4:
            self.panel.open_zone(dev.zone, self.q.get("Value") == "1")
            return self.text("OK")
        return self.text("ERROR: Variable is read-only in this simulator")

    async def do_jobstatus(self) -> web.Response:
        job = self.unit.jobs.get(self.int_arg("job", -1))
        if job is None:
            return web.json_response({"status": -1})
        if self.unit.minimal_jobstatus:
            return web.json_response({"status": job.status})  # exactly the shape in mios.md §2.4
        return web.json_response({"status": job.status, "notes": job.notes, "type": job.action})

    async def do_request_image(self) -> web.StreamResponse:
        dev = self.unit.devices.get(self.int_arg("cam", -1))
        if dev is None or dev.category != 6:
            return self.text("ERROR: Invalid camera")
        try:
            photo_set = self.panel.take_photos(dev.zone, user="remote")
        except SimError as exc:
            return self.text(f"ERROR: {exc.message}")
        self.unit.refresh()
        jpeg = photo_set.jpegs[0]
        if self.q.get("res") == "low":
            jpeg = resize_jpeg(jpeg, (320, 240))
        return web.Response(body=jpeg, content_type="image/jpeg")

    async def do_archive_video(self) -> web.Response:
        dev = self.unit.devices.get(self.int_arg("cam", -1))
        if dev is None or dev.category != 6:
            return self.text("ERROR: Invalid camera")
        try:
            self.panel.take_photos(dev.zone, user="archive")
        except SimError as exc:
            return self.text(f"ERROR: {exc.message}")
        self.unit.refresh()
        return self.text("OK")

    # ------------------------------------------------------------------ actions

    async def do_action(self) -> web.Response:
        unit = self.unit
        num = self.int_arg("DeviceNum", -1)
        dev = unit.devices.get(num)
        service = self.q.get("serviceId", "")
        action = self.q.get("action", "")
        if dev is None:
            return self.text("ERROR: Invalid Device")
        if num in unit.refuse_requests:
            status, body = unit.refuse_requests[num]
            return web.Response(status=status, text=body, headers={"WWW-Authenticate": body} if status == 401 else None)
        known = {
            AP2: {"RequestArmMode", "RequestQuickArmMode", "RequestPanicMode"},
            SS1: {"SetArmed"},
        }
        if (
            action not in known.get(service, set())
            or (service == AP2) != (dev.category == 23)
            or (service == SS1 and dev.category != 4)
        ):
            return self.text("ERROR: No implementation")
        unit.actions_received.append(f"{num} {action} {self.q.get('State', self.q.get('newArmedValue', ''))}")
        job = Job(next(unit._job_ids), num, action, status=1)
        unit.jobs[job.id] = job
        unit.set_job_state(num, 1, "Sending")
        arguments = {k: v for k, v in self.q.items() if k not in ("id", "output_format", "DeviceNum", "serviceId", "action")}
        task = asyncio.get_running_loop().create_task(self._run_job(job, dev, arguments))
        unit.tasks.add(task)
        task.add_done_callback(unit.tasks.discard)
        return web.json_response({f"u:{action}Response": {"JobID": str(job.id)}})

    async def _run_job(self, job: Job, dev: DeviceMeta, arguments: dict[str, str]) -> None:
        await asyncio.sleep(0.05 + self.panel.faults.slow_commands)
        if self.unit.stall_jobs:
            return
        self.panel.advance()
        try:
            refusal = self.unit.refuse_jobs.get(dev.num)
            if refusal:
                raise SimError("refused", refusal)
            message = self._perform(job.action, dev, arguments)
        except SimError as exc:
            job.status, job.notes = 2, exc.message
            self.unit.set_job_state(dev.num, 2, exc.message)
        else:
            job.status, job.notes = 4, message
            self.unit.set_job_state(dev.num, 4, message)
        self.unit.refresh()

    def _perform(self, action: str, dev: DeviceMeta, arguments: dict[str, str]) -> str:
        panel, unit = self.panel, self.unit
        state = arguments.get("State", "")
        if action == "SetArmed":
            value = arguments.get("newArmedValue", "")
            if value not in ("0", "1"):
                raise SimError("bad_argument", "newArmedValue must be 0 or 1")
            panel.bypass(dev.zone, on=value == "0", user="remote")
            return ""
        partition = dev.partition
        if action == "RequestPanicMode":
            if not unit.panic_enabled:
                raise SimError("not_supported", "Panic is not enabled on this panel")
            if state not in ("Police", "Fire", "Medical"):
                raise SimError("bad_argument", f"Invalid panic mode {state!r}")
            panel.panic(state.lower(), partition=partition)
            return ""
        if action == "RequestArmMode":
            user = panel.user_by_code(arguments.get("PINCode", ""))
            if user is None:
                panel.log("arm_failed", WRONG_PIN_TEXT, partition=partition)
                raise SimError("wrong_code", WRONG_PIN_TEXT)
            who = user.name
        else:  # RequestQuickArmMode
            if state == "Disarmed":
                raise SimError("wrong_code", "No Disarm without PIN")
            who = ""
        if state == "Disarmed":
            panel.disarm([partition], user=who, source="vera")
            return ""
        if state not in _ARM_STATES:
            raise SimError("bad_argument", f"Invalid arm mode {state!r}")
        mode, instant, force = _ARM_STATES[state]
        if state in ("StayInstant", "NightInstant", "Force", "Vacation"):
            unit.detail_override[partition] = state  # dropped again while disarmed
        try:
            panel.arm(mode, [partition], user=who, instant=instant, force=force, source="vera")
        except SimError as exc:
            unit.detail_override.pop(partition, None)
            if exc.reason == "not_ready":
                raise SimError("not_ready", f"Arming failed: {exc.message}") from None
            raise
        return ""


#: luup request ids (with and without the lu_ prefix) the fault groups apply to.
LUUP_READS = frozenset(
    {"sdata", "lu_sdata", "summary", "status", "lu_status", "lu_status2", "status2", "user_data", "lu_user_data"}
)
GROUP_ANY = "luup"
GROUP_READS = "luup_read"
GLITCHES: dict[str, tuple[int, bytes, str]] = {
    "empty": (200, b"", "application/json"),
    "status0": (200, b'{"status": 0}', "application/json"),
    "500": (500, b"", "text/plain"),
}


class LuupFaults(FaultInjector):
    """The shared fault middleware, with the luup route groups: a fault on "luup" applies to the next
    data_request of any id, one on "luup_read" to the next sdata/status/user_data read."""

    def __init__(self, route_of: Any, luup_ids: frozenset[str] | None = None) -> None:
        super().__init__(route_of)
        self.luup_routes: set[str] = set(luup_ids or ())

    def _take(self, route: str) -> Fault | None:
        fault = super()._take(route)
        if fault is None and route in self.luup_routes:
            if route in LUUP_READS:
                fault = super()._take(GROUP_READS)
            fault = fault or super()._take(GROUP_ANY)
        return fault


__all__ = [
    "AP2",
    "CAM",
    "GLITCHES",
    "GROUP_ANY",
    "GROUP_READS",
    "HAD",
    "LUUP_READS",
    "SHORTCODES",
    "SS1",
    "DeviceMeta",
    "Job",
    "LuupFaults",
    "LuupRequest",
    "Reply",
    "resize_jpeg",
    "UnitHost",
    "VeraUnit",
]
