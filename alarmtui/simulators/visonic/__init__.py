"""A simulated Visonic PowerManage cloud over the shared panel engine.

Speaks REST 14.0 by default, as the cloud does today (`shared/protocols/visonic.md` §9): an
intrusion on an armed panel is an `ALARM_IN_MEMORY` entry, device numbers repeat across device
types, devices have empty names with the room in `traits.location`, users carry `MASTER_USER` /
`USER` roles, an unknown session token is 400 "Unable to recognize session token" and an expired
one 440. `versions=LIBRARY_VERSIONS` (9.0/10.0) serves the shapes the unmodified `visonicalarm`
3.12.0 library was written for: every call answers HTTP 200 with JSON, errors carry
`error`/`error_reason_code`/`extras` bodies, and the reason phrases the library dispatches on
(440 "Session token not found", 442, 444) are sent exactly.

Version differences served (chosen by the `/rest_api/<v>/` prefix):
* 9.0: events carry `name` (and `zone_name`), `gprs.state` is a string, devices keep their traits
  while the panel is offline.
* 10.0 and newer: events carry only `zone_name`, `gprs.state` is null, devices have empty `traits`
  while the panel is offline.
* 14.0: the shapes above.

Two separate faults: a routine check-in gap (`cloud.checkin_gap(seconds)`: `connected` false while
`bba.state` stays "online") and a real outage (the panel's `set_offline()`: every transport
"offline"). `cloud.connected_as_text = True` sends `connected` as a string.

Simulator extensions the real cloud may spell differently (no public record):
`POST /make_video {"camera_id": zone}` takes photos on a camera PIR; `/cameras` and photo events
then carry `preview_path` (a fetchable JPEG) plus `preview_frames`.

Layout: `cloud.py` (state and scenario hooks), `routes.py` (the route table), `render.py` (panel → JSON).
"""

from alarmtui.simulators.visonic.cloud import (
    DEFAULT_VERSIONS,
    DEMO_CODE,
    DEMO_EMAIL,
    DEMO_PASSWORD,
    LIBRARY_VERSIONS,
    MAIN_SERIAL,
    SECOND_SERIAL,
    VisonicCloud,
)

__all__ = [
    "DEFAULT_VERSIONS",
    "DEMO_CODE",
    "DEMO_EMAIL",
    "DEMO_PASSWORD",
    "LIBRARY_VERSIONS",
    "MAIN_SERIAL",
    "SECOND_SERIAL",
    "VisonicCloud",
]
