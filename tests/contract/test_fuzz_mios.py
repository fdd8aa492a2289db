"""Hypothesis fuzzing of the luup and MMS parsers (MiOS relay and Vera LAN): only `ProviderError` may escape.

The hypothesis profile's examples per parser (small by default, 2000 under `HYPOTHESIS_PROFILE=fuzz`);
`ALARMTUI_FUZZ_EXAMPLES=5000` sets the number itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alarmtui.providers.errors import ProviderError
from alarmtui.providers.luup import mapping as luup_mapping
from alarmtui.providers.luup import parse as luup
from alarmtui.providers.mios import mapping as mios_mapping
from alarmtui.providers.mios import parse as mms
from tests.helpers import fuzz_examples

EXAMPLES = fuzz_examples(100)
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

KEYS = ["full", "loadtime", "dataversion", "devices", "id", "name", "category", "subcategory", "parent", "altid",
        "armmode", "detailedarmmode", "alarm", "armed", "tripped", "batterylevel", "commFailure", "state", "comment",
        "status", "Identity", "IdentitySignature", "Server_Account", "Server_Event", "Server_Relay", "Devices",
        "PK_Device", "PK_DeviceType", "Server_Device", "Server_Device_Alt", "Records", "PK_Event", "EventType",
        "DeviceID", "Timestamp", "Code", "NewValue", "OldValue", "PK_Store", "Key", "Server_Storage"]  # fmt: skip
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["1", "0", "23", "4", "6", "22", "Armed", "Stay", "NotReady", "ExitDelay", "Active", "host.example:443"])
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=6),
    max_leaves=16,
)

PARSERS: dict[str, Callable[[Any], Any]] = {
    "parse_sdata": luup.parse_sdata,
    "parse_jobstatus": luup.parse_jobstatus,
    "parse_auth_reply": mms.parse_auth_reply,
    "parse_devices": mms.parse_devices,
    "parse_device_info": lambda data: mms.parse_device_info(data, "35101627"),
    "parse_event_records": lambda data: mios_mapping.events_from_records(mms.parse_event_records(data), {}),
    "build_snapshot": lambda data: luup_mapping.build_snapshot(luup.parse_sdata(data).devices, panel_name="Vera"),
    "change_events": lambda data: luup_mapping.change_events(
        luup.parse_sdata(data).devices, luup.parse_sdata(data).devices, stamp="1-2", when=__import__("datetime").datetime.now()
    ),
}


@pytest.mark.parametrize("name", list(PARSERS))
def test_mios_parsers_raise_only_provider_errors(name: str) -> None:
    parser = PARSERS[name]

    @FUZZ
    @given(data=json_values)
    def run(data: Any) -> None:
        try:
            parser(data)
        except ProviderError:
            pass

    run()


@FUZZ
@given(body=st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v, default=str)))
def test_luup_decode_and_action_replies_raise_only_provider_errors(body: bytes | str) -> None:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    for parse in (lambda t: luup.decode_json(t, "fuzz"), luup.parse_action_reply):
        try:
            parse(text)
        except ProviderError:
            pass
