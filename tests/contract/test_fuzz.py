"""Hypothesis fuzzing of every wire parser: only `ProviderError` may escape.

A few hundred examples per parser by default; `ALARMTUI_FUZZ_EXAMPLES=5000` for a long run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alarmtui.providers.errors import ProviderError
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
def test_verisure_parse_reply_raises_only_provider_errors(body: bytes) -> None:
    try:
        verisure.parse_reply(body, "FUZZ")
    except ProviderError:
        pass


@pytest.mark.parametrize("name", list(VERISURE_PARSERS))
def test_verisure_record_parsers_raise_only_provider_errors(name: str) -> None:
    parser = VERISURE_PARSERS[name]

    @FUZZ
    @given(body=xml_bodies)
    def run(body: bytes) -> None:
        try:
            reply = verisure.parse_reply(body, "FUZZ")
        except ProviderError:
            return
        try:
            parser(reply)
        except ProviderError:
            pass

    run()


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


@pytest.mark.parametrize("name", list(VISONIC_PARSERS))
def test_visonic_parsers_raise_only_provider_errors(name: str) -> None:
    parser = VISONIC_PARSERS[name]

    @FUZZ
    @given(data=json_values)
    def run(data: Any) -> None:
        try:
            parser(data)
        except ProviderError:
            pass

    run()


@FUZZ
@given(body=st.binary(max_size=300) | json_values.map(lambda v: repr(v).encode()))
def test_visonic_decode_raises_only_provider_errors(body: bytes) -> None:
    try:
        visonic.decode_json(body, "fuzz")
    except ProviderError:
        pass
