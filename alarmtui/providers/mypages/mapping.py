"""My Pages wire values → alarmtui's domain, and the vendor's error codes → alarmtui's errors.

Override tables, as every vendor has: arm states, event categories, and the
REST `errorCode`s of §1.3. The wording of a refused login speaks in "which kind
am I" terms: My Pages serves Sweden, Norway, Denmark, Finland, Belgium and the
Netherlands; a Spanish, Italian, French, Portuguese, British or Latin American
Verisure account lives on the OWA API (`kind = "securitas"`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from alarmtui.domain import ArmMode, EventKind, PartitionState
from alarmtui.providers.errors import (
    AuthenticationFailed,
    CommandRejected,
    ProtocolError,
    ProviderError,
    RateLimited,
    SessionExpired,
    WrongCode,
)

ARM_STATES: dict[str, tuple[PartitionState, str]] = {
    "DISARMED": (PartitionState.DISARMED, "disarmed"),
    "ARMED_HOME": (PartitionState.ARMED_HOME, "armed home"),
    "ARMED_AWAY": (PartitionState.ARMED_AWAY, "armed away"),
    "PENDING": (PartitionState.PENDING, "changing state"),  # HA maps it [H]; never seen in a sample
}

FUTURE_STATE = {ArmMode.AWAY: "ARMED_AWAY", ArmMode.HOME: "ARMED_HOME"}
ARM_ROOT = {ArmMode.AWAY: "armStateArmAway", ArmMode.HOME: "armStateArmHome"}
ARM_OPERATION = {ArmMode.AWAY: "armAway", ArmMode.HOME: "armHome"}

EVENT_KINDS: dict[str, EventKind] = {
    "INTRUSION": EventKind.ALARM,
    "FIRE": EventKind.ALARM,
    "SOS": EventKind.ALARM,
    "WATER": EventKind.ALARM,
    "ANIMAL": EventKind.ALARM,
    "TECHNICAL": EventKind.TROUBLE,
    "WARNING": EventKind.TROUBLE,
    "ARM": EventKind.ARM,
    "DISARM": EventKind.DISARM,
    "LOCK": EventKind.ZONE,  # a lock's change, as alarmtui journals its own lock commands (domain.changes)
    "UNLOCK": EventKind.ZONE,
    "PICTURE": EventKind.PHOTO,
    "CLIMATE": EventKind.SYSTEM,
    "CAMERA_SETTINGS": EventKind.SYSTEM,
}
EVENT_WORDS = {
    "INTRUSION": "Intrusion alarm",
    "FIRE": "Fire alarm",
    "SOS": "SOS alarm",
    "WATER": "Water leak alarm",
    "ANIMAL": "Animal alarm",
    "TECHNICAL": "Technical fault",
    "WARNING": "Warning",
    "DISARM": "Disarmed",
    "LOCK": "Locked",
    "UNLOCK": "Unlocked",
    "PICTURE": "Picture taken",
    "CLIMATE": "Climate",
    "CAMERA_SETTINGS": "Camera settings changed",
}

ALARM_CATEGORIES = ("INTRUSION", "FIRE", "SOS", "WATER")
"""The categories every poll asks the event log for: armState has no triggered state (§4.2)."""
ALARMS_WHATEVER_THE_STATE = frozenset({"FIRE", "SOS", "WATER"})
"""Alarms even while disarmed; an intrusion is one only while armed."""


class AlarmRow(Protocol):
    """The event-log fields the alarm rule reads (parse.LogRow has them)."""

    @property
    def category(self) -> str: ...
    @property
    def time(self) -> datetime | None: ...
    @property
    def device_label(self) -> str: ...
    @property
    def area(self) -> str: ...


@dataclass(frozen=True, slots=True)
class AlarmInForce:
    """The alarm-category events since the last arm/disarm that make the installation TRIGGERED."""

    categories: tuple[str, ...]
    """Oldest first, one per category."""
    zones: tuple[str, ...]
    """The events' devices (area, else device label), oldest first: the first is the one that triggered."""
    since: datetime


def alarm_in_force(status: str, changed_at: datetime | None, rows: Iterable[AlarmRow]) -> AlarmInForce | None:
    """Whether the event log shows an alarm the current arm state has not cleared (§4.2: only the log shows alarms).

    `status`/`changed_at` are armState's `statusType`/`date` (the last arm or disarm). An alarm-category event
    newer than that change counts: an intrusion only while armed, fire/water/SOS whatever the state. A tie goes to
    the change: an event in the same instant as an arm counts (it came with it), one in the same instant as a
    disarm is cleared. Without a change time nothing can be ordered, so nothing counts.
    """
    if changed_at is None:
        return None
    armed = status.upper() in ("ARMED_AWAY", "ARMED_HOME")
    found = sorted(
        (
            r
            for r in rows
            if r.time is not None
            and r.category in ALARM_CATEGORIES
            and (r.time >= changed_at if armed else r.time > changed_at)
            and (armed or r.category in ALARMS_WHATEVER_THE_STATE)
        ),
        key=lambda r: r.time or changed_at,
    )
    if not found:
        return None
    categories = tuple(dict.fromkeys(r.category for r in found))
    zones = tuple(dict.fromkeys(z for r in found if (z := r.area or r.device_label)))
    return AlarmInForce(categories, zones, found[0].time or changed_at)


# Rate-limit words anywhere in a reply (even a 200) mean a limit, as vsure reads them (§1.4).
RATE_MARKERS = (
    b"aut_00021",
    b"acc_00002",
    b"toomanystepuptokens",
    b"too many step up tokens",
    b"request limit",
    b"rate limit",
    b"too many requests",
)

WRONG_KIND_HINT = (
    "My Pages (kind = mypages) is the Verisure of Sweden, Norway, Denmark, Finland, Belgium and the Netherlands "
    '(the "Verisure" app, mypages.verisure.com). A Spanish, Italian, French, Portuguese, British, Irish or Latin '
    'American account ("My Verisure" app, customers.verisure.<country>) is kind = securitas.'
)
DEFAULT_RATE_WAIT = 60.0
"""Seconds to wait after a 429 without Retry-After (the vendor sends none we know of)."""


def arm_state(status: str) -> tuple[PartitionState, str]:
    return ARM_STATES.get(status.upper(), (PartitionState.UNKNOWN, f"unknown state {status!r}"))


def armed_mode(status: str) -> ArmMode | None:
    return {"ARMED_AWAY": ArmMode.AWAY, "ARMED_HOME": ArmMode.HOME}.get(status.upper())


class AccountBlocked(RateLimited):
    """403 AUT_00021: the vendor blocked the account for the day; nothing is sent until the user asks."""

    hint = (
        "Verisure blocked this account for exceeding its daily limit of API calls (it also e-mails you). "
        "alarmtui stopped sending requests; press r to try again later, and poll less often — "
        "one account per integration."
    )


class TooManyCodes(AuthenticationFailed):
    """ACC_00002: too many verification codes were requested; no further code is asked for."""

    hint = (
        "Verisure refuses to send more verification codes for now (too many step-up tokens). Wait (hours), then run "
        "`alarmtui login NAME` once and type the code; alarmtui remembers the device afterwards."
    )


def error_for(
    status: int, code: str, message: str, *, what: str, provider: str, retry_after: float | None = None, body: bytes = b""
) -> ProviderError | None:
    """The error a refused REST reply means (§1.3, §1.4), mapped by `errorCode` first; None for a 2xx without limit words."""
    lowered = body.lower()
    words = f" ({message})" if message else ""
    if code == "ACC_00002" or b"toomanystepuptokens" in lowered or b"too many step up tokens" in lowered:
        return TooManyCodes(
            f"Verisure refuses to send more verification codes while {what}: too many were requested",
            provider=provider,
            vendor_code="ACC_00002",
            detail=message,
        )
    if status == 403 and (code == "AUT_00021" or b"blocked" in lowered):
        return AccountBlocked(
            f"Verisure blocked this account for today (daily limit of API calls) while {what}; polling stopped",
            retry_after=24 * 3600.0,
            provider=provider,
            vendor_code=code or "403",
            detail=message,
        )
    if status == 429 or code == "AUT_00021" or any(marker in lowered for marker in RATE_MARKERS):
        wait = retry_after if retry_after is not None else DEFAULT_RATE_WAIT
        return RateLimited(
            f"Verisure's request limit was reached while {what}; waiting {wait:.0f} s before the next request",
            retry_after=wait,
            provider=provider,
            vendor_code=code or str(status),
            detail=message,
        )
    if 200 <= status < 300:
        return None
    if code == "AUT_00011":
        return SessionExpired(f"the session cookie was refused while {what}", provider=provider, vendor_code=code)
    if code in ("AUT_00001", "AUT_00003"):
        # The which-kind advice goes in the message: the standard hint marks a refused login for notifications.
        return AuthenticationFailed(
            f"Verisure My Pages refused the e-mail address or password{words}. {WRONG_KIND_HINT}",
            provider=provider,
            vendor_code=code,
        )
    if code == "AUT_00004":
        return AuthenticationFailed(
            f"Verisure My Pages refused this login{words}: this account may be an OWA account — try kind = securitas. "
            f"{WRONG_KIND_HINT}",
            provider=provider,
            vendor_code=code,
        )
    if code == "VAL_00008":
        return WrongCode(f"the panel refused the code{words}", provider=provider, vendor_code=code)
    if code == "VAL_00818":
        return CommandRejected(
            f"the panel refused the change{words}: it is already in that state, or it must be disarmed first",
            provider=provider,
            vendor_code=code,
            hint="Verisure cannot switch from armed home to armed away directly: disarm first, then arm away.",
        )
    if status in (401, 403):
        return AuthenticationFailed(
            f"access refused (HTTP {status}{', ' + code if code else ''}) while {what}{words}",
            provider=provider,
            vendor_code=code or str(status),
        )
    if status == 415:
        return ProtocolError(
            f"the server refused our request's media type while {what}{words}", provider=provider, vendor_code=code
        )
    if 400 <= status < 500:
        return CommandRejected(
            f"the server refused the request while {what}{words}", provider=provider, vendor_code=code or str(status)
        )
    return None
