"""Hypothesis fuzzing of the Securitas parsers: only `ProviderError` may escape (as in tests/contract/test_fuzz.py)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alarmtui.providers.errors import ProviderError
from alarmtui.providers.securitas import parse
from tests.helpers import fuzz_examples

EXAMPLES = fuzz_examples(50)
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

KEYS = ["res", "msg", "hash", "refreshToken", "installations", "numinst", "panel", "installation", "services", "capabilities",
        "status", "exceptions", "alias", "referenceId", "protomResponse", "error", "type", "allowForcing", "exceptionsNumber",
        "reg", "idSignal", "time", "img", "devices", "code", "images", "image", "data", "errors", "auth-phones", "xSStatus"]  # fmt: skip
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=12),
                    st.sampled_from(["OK", "WAIT", "ERROR", "T", "NON_BLOCKING", "60062", "2024-01-01 12:00:00", "/9j/4AAQ"]))  # fmt: skip
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.sampled_from(KEYS), children, max_size=5)),
    max_leaves=15,
)
PARSERS = [
    parse.parse_login, parse.parse_installations, parse.parse_services, parse.parse_status, parse.parse_submit,
    parse.parse_poll, parse.parse_exceptions, parse.parse_activity, parse.parse_devices, parse.parse_thumbnail,
    parse.parse_photo_images,
]  # fmt: skip


@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: p.__name__)
def test_record_parsers_raise_only_provider_errors(parser: Any) -> None:
    @FUZZ
    @given(value=json_values)
    def run(value: Any) -> None:
        try:
            parser(value)
        except ProviderError:
            pass

    run()


@FUZZ
@given(body=json_values, root=st.sampled_from(["xSStatus", "xSArmPanel", "xSLoginToken"]))
def test_error_envelope_raises_only_provider_errors(body: Any, root: str) -> None:
    try:
        if isinstance(body, dict):
            parse.parse_error(body, root)
        parse.root_of(body, "Status")
    except ProviderError:
        pass


@FUZZ
@given(token=st.one_of(st.text(max_size=40), st.builds(lambda a, b: f"{a}.{b}.c", st.text(max_size=10), st.text(max_size=30))))
def test_tokens_raise_only_provider_errors(token: str) -> None:
    for reader in (parse.jwt_claims, parse.jwt_expiry, lambda t: parse.capability_list(t, "1")):
        try:
            reader(token)
        except ProviderError:
            pass
