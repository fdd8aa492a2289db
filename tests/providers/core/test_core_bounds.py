"""Parsers typed and bounded (issue 18): only ProtocolError escapes, record caps, finite waits, big replies off the loop."""

from __future__ import annotations

import base64
import json
import math

import pytest

from alarmtui.providers.errors import LoginPaused, ProtocolError, RateLimited, TooManyRecords, finite_seconds
from alarmtui.providers.http import OFF_LOOP_BYTES, decode_json_async, decode_xml_async, parse_retry_after
from alarmtui.providers.securitas import parse as securitas
from alarmtui.providers.verisure import parse as verisure
from alarmtui.providers.wire import MAX_LIST, RECORD_CAPS, as_bool, capped, optional_list, require_list


def jwt_with(payload: str) -> str:
    return "eyJhbGciOiJFZERTQSJ9." + base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode() + ".c2ln"


# --------------------------------------------------------------------------- Securitas parsers: typed errors only


def test_securitas_overflow_is_a_protocol_error() -> None:
    # Regressions: int too large for a float (OverflowError) escaped the parsers untyped.
    with pytest.raises(ProtocolError):
        securitas.jwt_expiry(jwt_with(json.dumps({"exp": 10**400, "iat": 1})))
    poll = securitas.parse_poll({"res": "ERROR", "error": {"type": "NON_BLOCKING", "exceptionsNumber": math.inf}})
    assert poll.error is not None and poll.error.exceptions_number == 0
    (row,) = securitas.parse_activity({"reg": [{"idSignal": "1", "type": math.inf, "time": "2024-01-01 12:00:00"}]})
    assert row.type == -1


def test_securitas_recursion_is_a_protocol_error() -> None:
    # Regression: a deeply nested token payload raised RecursionError out of the parser.
    with pytest.raises(ProtocolError):
        securitas.jwt_claims(jwt_with("[" * 100_000 + "]" * 100_000))


def test_securitas_token_lifetime_is_always_a_finite_wait() -> None:
    with pytest.raises(ProtocolError):
        securitas.jwt_expiry(jwt_with('{"exp": 1e999, "iat": 0}'))  # inf: the hash would never be renewed
    _, lifetime = securitas.jwt_expiry(jwt_with('{"exp": 9000000000000, "iat": 1}'))
    assert lifetime == 86400.0


def test_securitas_string_booleans_are_read_as_vendors_mean_them() -> None:
    assert securitas.parse_status({"status": "T", "wifiConnected": "true"}).wifi_connected is True
    assert securitas.parse_status({"status": "T", "wifiConnected": "0"}).wifi_connected is False
    (device,) = securitas.parse_devices({"devices": [{"id": "1", "type": "QR", "isActive": "false"}]})
    assert device.active is False
    assert securitas.parse_login({"res": "OK", "needDeviceAuthorization": "true"}).need_device_authorization
    poll = securitas.parse_poll({"res": "ERROR", "error": {"type": "ZONE", "allowForcing": "true"}})
    assert poll.error is not None and poll.error.allow_forcing
    assert as_bool("TRUE", "x") is True and as_bool(0, "x") is False


def test_securitas_services_read_the_exit_delay_and_scheduler_perimeter() -> None:
    services = securitas.parse_services(
        {
            "installation": {
                "panel": "SDVFAST",
                "configRepoUser": {"alarmPartitions": None},
                "services": [
                    {"idService": 506, "request": "SCH", "active": True, "genericConfig": {"total": 0, "attributes": []},
                     "attributes": {"attributes": [{"name": "ARM", "value": "1", "active": True},
                                                   {"name": "PERI", "value": "1", "active": True}]}},
                    {"idService": 11, "request": "EST", "active": True,
                     "genericConfig": {"total": 2, "attributes": [{"key": "entryTime30", "value": "30"},
                                                                  {"key": "exitTime60", "value": "60"}]},
                     "attributes": {"attributes": []}},
                ],
            }
        }
    )  # fmt: skip
    assert services.has_perimeter and services.scheduler_modes == ("ARM", "PERI")
    assert services.exit_delay == 60


# --------------------------------------------------------------------------- record caps


def test_record_caps_name_the_cap() -> None:
    rows = [{"idSignal": str(i), "type": 1, "time": "2024-01-01 12:00:00"} for i in range(RECORD_CAPS["events"] + 1)]
    with pytest.raises(TooManyRecords) as caught:
        securitas.parse_activity({"reg": rows})
    assert caught.value.cap == "events" and caught.value.limit == RECORD_CAPS["events"]
    assert "events" in caught.value.message
    with pytest.raises(TooManyRecords) as caught:
        securitas.parse_devices({"devices": [{"id": str(i)} for i in range(RECORD_CAPS["zones"] + 1)]})
    assert caught.value.cap == "zones"
    assert isinstance(caught.value, ProtocolError)  # callers handle it like any unreadable reply


def test_ten_thousand_partitions_are_refused_by_the_shared_helpers() -> None:
    partitions = [{"id": i, "state": "DISARMED"} for i in range(10_000)]
    with pytest.raises(TooManyRecords) as caught:
        require_list(partitions, "status.partitions", cap="partitions")
    assert caught.value.cap == "partitions" and caught.value.limit == RECORD_CAPS["partitions"]
    with pytest.raises(TooManyRecords):  # a list with no cap of its own still has one
        optional_list(partitions, "status.partitions")
    assert len(capped(list(range(MAX_LIST)), "entries")) == MAX_LIST


def test_verisure_xml_lists_are_capped() -> None:
    regs = "".join(f'<REG type="31" idsignal="{i}" time="240101120000" alias="x"/>' for i in range(RECORD_CAPS["events"] + 1))
    reply = verisure.parse_reply(f"<PET><RES>OK</RES><LIST>{regs}</LIST></PET>".encode(), "ACT_V2")
    with pytest.raises(TooManyRecords):
        verisure.parse_activity(reply)


# --------------------------------------------------------------------------- waits are finite numbers


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-5", "1e999", "NaN"])
def test_retry_after_is_never_nan_inf_or_negative(value: str) -> None:
    wait = parse_retry_after(value)
    assert wait is None or (math.isfinite(wait) and wait >= 0)


def test_errors_carry_only_finite_waits() -> None:
    assert RateLimited("x", retry_after=math.nan).retry_after is None
    assert RateLimited("x", retry_after=math.inf).retry_after is None
    assert RateLimited("x", retry_after=-3).retry_after is None
    assert RateLimited("x", retry_after=1e9).retry_after == 86400.0
    assert LoginPaused("x", retry_after=math.nan).retry_after is None
    assert RateLimited("x", retry_after=90).retry_after == 90.0
    assert finite_seconds("12", 5.0) == 5.0  # only numbers


# --------------------------------------------------------------------------- big replies off the event loop


async def test_a_big_json_reply_is_decoded_off_the_loop_and_the_same() -> None:
    # How long the loop stalls is measured by tests/benchmarks/bench_parse_stall.py, not asserted here.
    rows = [{"id": i, "name": f"zone {i} on the ground floor", "ok": True, "t": 1.5} for i in range(4_000)]
    body = json.dumps({"data": {"rows": rows}}).encode()
    assert len(body) > OFF_LOOP_BYTES
    assert await decode_json_async(body, what="big") == json.loads(body)
    assert await decode_json_async(body.decode("utf-8").encode("utf-16"), what="utf-16") == json.loads(body)
    with pytest.raises(ProtocolError):
        await decode_json_async(body[:-3], what="cut off")
    with pytest.raises(ProtocolError):  # RecursionError in the worker → ProtocolError
        await decode_json_async(b"[" * (OFF_LOOP_BYTES + 10), what="deep")
    with pytest.raises(ProtocolError):
        await decode_json_async(b" " * (OFF_LOOP_BYTES + 10), what="empty")
    flood = json.dumps({"partitions": [{"id": i} for i in range(30_000)]}).encode()
    with pytest.raises(TooManyRecords) as caught:  # refused (and freed) in the worker
        await decode_json_async(flood, what="status")
    assert caught.value.cap == "entries" and caught.value.__traceback__ is not None
    wide = json.dumps([[1] * 100 for _ in range(3_000)]).encode()  # no long list, too many values
    with pytest.raises(TooManyRecords) as caught:
        await decode_json_async(wide, what="status")
    assert caught.value.cap == "nodes"


async def test_a_big_xml_reply_is_decoded_off_the_loop() -> None:
    body = (
        "<PET><RES>OK</RES>" + "<REG alias='front door of the house on the ground floor' a='1' b='2'/>" * 4_000 + "</PET>"
    ).encode()
    assert len(body) > OFF_LOOP_BYTES
    doc = await decode_xml_async(body, what="big")
    assert len(doc["PET"]["REG"]) == 4_000
    with pytest.raises(TooManyRecords):
        await decode_xml_async(("<PET>" + "<REG a='1'/>" * 30_000 + "</PET>").encode(), what="flood")
    with pytest.raises(ProtocolError):
        await decode_xml_async(body[:-4], what="cut off")
