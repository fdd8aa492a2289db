"""Hypothesis fuzzing of every wire parser: only `ProviderError` may escape.

Each generated example goes through every parser of its vendor, so every parser
sees `ALARMTUI_FUZZ_EXAMPLES` examples (200 by default; 5000 for a long run, with `--timeout=0`).
The Securitas tests run ≥ 10,000 examples under `HYPOTHESIS_PROFILE=fuzz`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from alarmtui.providers.errors import ProtocolError, ProviderError
from alarmtui.providers.http import decode_json
from alarmtui.providers.securitas import parse as securitas
from alarmtui.providers.verisure import parse as verisure
from alarmtui.providers.visonic import parse as visonic

EXAMPLES = int(os.environ.get("ALARMTUI_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

# --------------------------------------------------------------------------- Verisure ws.do XML

TAGS = ["PET", "RES", "ERR", "MSG", "HASH", "STATUS", "NUMINST", "INSTALATIONS", "INSTALATION", "ALIAS", "PANEL",
        "INSTALLATION", "DEVICES", "DEVICE", "LIST", "REG", "IMG", "INSTIBS", "SIM", "BLOQ"]  # fmt: skip
ATTRS = ["type", "idsignal", "time", "alias", "idDev", "code", "name", "aliasType", "signaltype", "device", "user", "source"]
texts = st.one_of(
    st.sampled_from(["OK", "WAIT", "ERROR", "60022", "1", "0", "E", "B", "31", "16", "27", "240101120000", "/9j/", ""]),
    st.text(max_size=20),
)


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda tag, attrs, inner: f"<{tag}{''.join(f' {k}={quoteattr(v)}' for k, v in attrs.items())}>{inner}</{tag}>",
        st.sampled_from(TAGS),
        st.dictionaries(st.sampled_from(ATTRS), texts, max_size=4),
        st.one_of(texts.map(escape), st.lists(children, max_size=4).map("".join)),
    )


xml_bodies = st.one_of(
    st.recursive(texts.map(escape), _element, max_leaves=12).map(lambda inner: f"<PET>{inner}</PET>".encode()),
    st.builds(
        lambda enc, body: f"<?xml version='1.0' encoding='{enc}'?><PET><RES>{body}</RES></PET>".encode("latin-1", "replace"),
        st.sampled_from(["UTF-8", "YR", "utf-16", "ascii", "x-unknown", "latin-1"]),
        texts.map(escape),
    ),
    st.binary(max_size=200),
)

VERISURE_PARSERS: dict[str, Callable[[Any], Any]] = {
    "parse_installations": verisure.parse_installations,
    "parse_srv": verisure.parse_srv,
    "parse_my_installation": verisure.parse_my_installation,
    "parse_status": verisure.parse_status,
    "parse_activity": verisure.parse_activity,
    "parse_inf": verisure.parse_inf,
    "parse_login": verisure.parse_login,
}


@FUZZ
@given(body=xml_bodies)
def test_verisure_parsers_raise_only_provider_errors(body: bytes) -> None:
    """Every example goes through the envelope parser and then every record parser (one generation, all parsers)."""
    try:
        reply = verisure.parse_reply(body, "FUZZ")
    except ProviderError:
        return
    for parser in VERISURE_PARSERS.values():
        try:
            parser(reply)
        except ProviderError:
            pass


# --------------------------------------------------------------------------- Visonic JSON

KEYS = ["connected", "partitions", "id", "state", "status", "ready", "device_type", "device_number", "subtype", "traits",
        "warnings", "type", "zone", "zone_name", "event", "datetime", "label", "video", "preview_path", "token",
        "users", "name", "process_token", "rest_versions", "user_token", "session_token", "bypass", "enabled"]  # fmt: skip
scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=12)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=5),
    max_leaves=12,
)

VISONIC_PARSERS: dict[str, Callable[[Any], Any]] = {
    "parse_versions": visonic.parse_versions,
    "parse_token": lambda data: visonic.parse_token(data, "user_token"),
    "parse_panel_facts": lambda data: visonic.parse_panel_facts(data, data),
    "parse_status": visonic.parse_status,
    "parse_devices": visonic.parse_devices,
    "parse_alarms": visonic.parse_alarms,
    "parse_troubles": visonic.parse_troubles,
    "parse_users": visonic.parse_users,
    "parse_cameras": visonic.parse_cameras,
    "parse_events": visonic.parse_events,
    "parse_process": lambda data: visonic.parse_process(data, "token"),
}


@FUZZ
@given(data=json_values)
def test_visonic_parsers_raise_only_provider_errors(data: Any) -> None:
    """Every example goes through every parser (one generation, all parsers)."""
    for parser in VISONIC_PARSERS.values():
        try:
            parser(data)
        except ProviderError:
            pass


@FUZZ
@given(body=st.binary(max_size=300) | json_values.map(lambda v: repr(v).encode()))
def test_visonic_decode_raises_only_provider_errors(body: bytes) -> None:
    try:
        visonic.decode_json(body, "fuzz")
    except ProviderError:
        pass


# --------------------------------------------------------------------------- Securitas OWA GraphQL JSON
#
# Small by default (ALARMTUI_FUZZ_EXAMPLES); HYPOTHESIS_PROFILE=fuzz runs ≥ 10,000 examples per test.

try:
    _FUZZ_PROFILE = settings.get_profile("fuzz")
except InvalidArgument:  # tests/conftest.py did not register it: ours
    settings.register_profile("fuzz", max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck))
    _FUZZ_PROFILE = settings.get_profile("fuzz")
SECURITAS_FUZZ = (
    settings(_FUZZ_PROFILE, max_examples=max(10_000, _FUZZ_PROFILE.max_examples), deadline=None)
    if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz"
    else FUZZ
)

SECURITAS_KEYS = ["res", "msg", "hash", "refreshToken", "installations", "numinst", "panel", "installation", "services",
                  "capabilities", "status", "exceptions", "alias", "referenceId", "protomResponse", "error", "type",
                  "allowForcing", "exceptionsNumber", "reg", "idSignal", "time", "img", "devices", "code", "images", "image",
                  "data", "errors", "auth-phones", "auth-otp-hash", "xSStatus", "xSArmStatus", "genericConfig", "attributes",
                  "key", "value", "active", "request", "configRepoUser", "alarmPartitions", "enterStates", "wifiConnected",
                  "needDeviceAuthorization", "isActive", "signalType", "exp", "iat", "cap", "ins"]  # fmt: skip
securitas_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=12),
    st.sampled_from(["OK", "WAIT", "ERROR", "T", "NON_BLOCKING", "60062", "60052", "SCH", "PERI", "exitTime30", "true",
                     "2024-01-01 12:00:00", "2026-02-28T16:03:13Z", "/9j/4AAQ"]),
)  # fmt: skip
securitas_values = st.recursive(
    securitas_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(SECURITAS_KEYS) | st.text(max_size=6), inner, max_size=6)
    ),
    max_leaves=16,
)


def _jwt(claims: Any) -> str:
    import base64
    import json

    payload = base64.urlsafe_b64encode(json.dumps(claims, default=str).encode()).rstrip(b"=").decode()
    return f"eyJhbGciOiJFZERTQSJ9.{payload}.c2ln"


SECURITAS_PARSERS: dict[str, Callable[[Any], Any]] = {
    "parse_error": lambda v: securitas.parse_error(v, "xSStatus"),
    "root_of": lambda v: securitas.root_of(v, "Status"),
    "parse_login": securitas.parse_login,
    "parse_installations": securitas.parse_installations,
    "parse_services": securitas.parse_services,
    "parse_status": securitas.parse_status,
    "parse_submit": securitas.parse_submit,
    "parse_poll": securitas.parse_poll,
    "parse_exceptions": securitas.parse_exceptions,
    "parse_activity": securitas.parse_activity,
    "parse_devices": securitas.parse_devices,
    "parse_thumbnail": securitas.parse_thumbnail,
    "parse_photo_images": securitas.parse_photo_images,
    "jwt_expiry": lambda v: securitas.jwt_expiry(_jwt(v)),
    "capability_list": lambda v: securitas.capability_list(_jwt(v), "1"),
}


@SECURITAS_FUZZ
@given(data=securitas_values)
def test_securitas_parsers_raise_only_protocol_errors(data: Any) -> None:
    """Every example goes through every Securitas parser (one generation, all parsers): ProtocolError or a value."""
    for parser in SECURITAS_PARSERS.values():
        try:
            parser(data)
        except ProtocolError:
            pass


@SECURITAS_FUZZ
@given(body=st.binary(max_size=300) | securitas_values.map(lambda v: repr(v).encode()))
def test_securitas_decode_and_envelope_raise_only_protocol_errors(body: bytes) -> None:
    try:
        decoded = decode_json(body, what="fuzz")
        securitas.parse_error(decoded, "xSArmStatus")
        securitas.parse_poll(securitas.root_of(decoded, "ArmStatus"))
    except ProtocolError:
        pass
