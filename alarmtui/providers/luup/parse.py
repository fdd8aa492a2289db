"""luup wire parsing shared by every transport that reaches a Vera (MiOS relay, LAN port).

Typed accessors tolerate what real Veras send (ids as numbers or strings, "1"/"true"
booleans); anything else is a `ProtocolError`, never another exception type.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alarmtui.domain.text import clean_text  # cuts a huge field before cleaning it
from alarmtui.providers.base import CommandRejected, ProtocolError
from alarmtui.providers.http import decode_json as core_decode_json
from alarmtui.providers.http import decode_json_async
from alarmtui.providers.wire import require_list as as_list
from alarmtui.providers.wire import require_mapping as as_mapping

AP2 = "urn:micasaverde-com:serviceId:AlarmPartition2"
SS1 = "urn:micasaverde-com:serviceId:SecuritySensor1"

#: luup job states (mios.md §2.4): -1 none, 0 waiting, 1 in progress, 2 error, 3 aborted, 4 done, 5..7 pending.
JOB_NONE, JOB_ERROR, JOB_ABORTED, JOB_DONE = -1, 2, 3, 4


def _fail(what: str) -> ProtocolError:
    return ProtocolError(what)


def as_int(value: object, what: str) -> int:
    """Numbers arrive as numbers or strings ("35101627"); anything else is a protocol error."""
    if isinstance(value, bool):
        raise _fail(f"{what}: expected a number, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]{1,20}\s*", value):
        return int(value)
    raise _fail(f"{what}: expected a number, got {type(value).__name__}")


def as_id(value: object, what: str) -> str:
    """An id that may be a number or a string; returned as a canonical string."""
    if isinstance(value, str) and value.strip() and len(value) <= 64 and value.strip().isprintable():
        stripped = value.strip()
        return str(int(stripped)) if re.fullmatch(r"-?[0-9]{1,20}", stripped) else stripped
    return str(as_int(value, what))


def as_bool(value: object) -> bool | None:
    """Vera booleans: "1"/"0", "true"/"false", 1/0; None when missing or unreadable."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value != 0
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False if text else None
    return None


def as_text(value: object) -> str:
    """Server text as a clean one-line string (numbers allowed; containers are not text)."""
    if value is None:
        return ""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return clean_text(value)
    return ""


def decode_json(text: str, what: str) -> Any:
    """The core decoder (`providers.http.decode_json`): any failure at all, nesting included, is a ProtocolError."""
    if not text.strip():
        raise _fail(f"empty reply while {what}")
    return core_decode_json(text, what=what)


async def decode_reply(body: bytes, what: str, *, provider: str = "") -> Any:
    """Decode a reply body as the provider does: off the event loop when it is large (`http.decode_json_async`),
    so a 16 MB `sdata` never freezes the views; a tree too big to map is refused there as `TooManyRecords`."""
    if len(body) <= 4096 and not body.strip():
        raise _fail(f"empty reply while {what}")
    return await decode_json_async(body, what=what, provider=provider)


OFF_LOOP_RECORDS = 200
"""More records than this in one reply are parsed and mapped in a worker thread: 2,048 devices take ~150 ms
of Python to map, far above the 50 ms any view may freeze."""


def record_count(data: object, key: str) -> int:
    """How many records `data[key]` lists (0 when it is not a list), to decide where to parse them."""
    value = data.get(key) if isinstance(data, Mapping) else None
    return len(value) if isinstance(value, list) else 0


@dataclass(frozen=True)
class SData:
    full: bool
    loadtime: int
    dataversion: int
    devices: dict[str, dict[str, Any]]
    model: str = ""


def parse_sdata(data: object) -> SData:
    """A luup `sdata` / `lu_sdata` reply; `{"status": 0}` and friends (Luup reloading) are errors.

    At most `RECORD_CAPS["zones"]` devices (a Vera has a few hundred): more is `TooManyRecords`."""
    body = as_mapping(data, "sdata")
    if "loadtime" not in body or "dataversion" not in body:
        raise _fail("sdata reply has no loadtime/dataversion (is the Vera reloading?)")
    devices: dict[str, dict[str, Any]] = {}
    for index, entry in enumerate(as_list(body.get("devices", []), "sdata devices", cap="zones")):
        item = dict(as_mapping(entry, f"sdata device {index}"))
        device_id = as_id(item.get("id"), "sdata device id")
        item["id"] = device_id
        devices[device_id] = item
    return SData(
        full=as_bool(body.get("full")) is True,
        loadtime=as_int(body["loadtime"], "loadtime"),
        dataversion=as_int(body["dataversion"], "dataversion"),
        devices=devices,
        model=as_text(body.get("model")),
    )


MAX_ACTION_REPLY = 64 * 1024
"""An action's answer is a few dozen bytes; a larger one is decoded nowhere (it would stall the loop)."""


def parse_action_reply(text: str) -> str | None:
    """`{"u:<Action>Response": {"JobID": "419"}}` -> "419"; `{"...": {"OK": "OK"}}` -> None."""
    stripped = text.strip()
    if stripped[:5].upper() == "ERROR":
        raise CommandRejected(f"the Vera refused the action: {clean_text(stripped[:400], 200)}")
    if stripped == "OK":
        return None
    if len(stripped) > MAX_ACTION_REPLY:
        raise _fail(f"the action reply is {len(stripped)} characters long; not an action reply")
    body = as_mapping(decode_json(stripped, "the action"), "action reply")
    for key, value in body.items():
        if isinstance(key, str) and key.endswith("Response") and isinstance(value, Mapping):
            if "JobID" in value:
                return as_id(value["JobID"], "JobID")
            if "OK" in value:
                return None
    raise _fail("action reply has no JobID")


def parse_jobstatus(data: object) -> int:
    return as_int(as_mapping(data, "jobstatus").get("status"), "job status")
