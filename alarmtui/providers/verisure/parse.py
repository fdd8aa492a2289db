"""Parsing of the Verisure / Securitas Direct `ws.do` XML dialect.

Every reply is `<PET><RES>OK|WAIT|ERROR</RES>...<BLOQ/></PET>`. We parse with
`http.decode_xml` (xmltodict over an expat parser that refuses any DOCTYPE, and
where any failure — an unknown declared encoding included — is ProtocolError),
then turn the dict into small typed records. xmltodict gives a dict for one child element and a list for
several, so every repeated element goes through `as_list`.

Anything that does not have the documented shape raises `ProtocolError`; the
vendor's words (MSG, aliases) are passed through `clean_text`.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alarmtui.domain.text import clean_text
from alarmtui.providers import wire
from alarmtui.providers.errors import ProtocolError
from alarmtui.providers.http import MAX_REPLY_BYTES, decode_xml

MAX_JPEG_BYTES = 5 * 1024 * 1024


def parse_xml(body: bytes | str) -> dict[str, Any]:
    """Parse one reply safely into xmltodict's dict form, or raise ProtocolError (see `http.decode_xml`)."""
    return decode_xml(body, what="the request", limit=MAX_REPLY_BYTES)


def as_list(value: Any, cap: str = "") -> list[Any]:
    """xmltodict's one-is-a-dict, many-is-a-list, none-is-None, normalised to a list of at most
    `wire.RECORD_CAPS[cap]` entries (`TooManyRecords` beyond)."""
    return wire.as_list(value, cap=cap)


def text_of(value: Any) -> str:
    """The text of an element: a plain string, or `#text` of an element with attributes."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        inner = value.get("#text", "")
        if isinstance(inner, str):
            return inner
    raise ProtocolError(f"expected text, got {type(value).__name__}")


def element(value: Any, what: str) -> dict[str, Any]:
    """An element that must have children or attributes (a dict); an empty element is {}."""
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return value
    raise ProtocolError(f"{what} has an unexpected shape ({type(value).__name__})")


def single(value: Any, what: str) -> dict[str, Any]:
    """An element expected once; if the server repeats it, the first one counts."""
    items = as_list(value)
    if not items:
        return {}
    return element(items[0], what)


def attr(node: dict[str, Any], name: str) -> str:
    value = node.get("@" + name, "")
    if not isinstance(value, str):
        raise ProtocolError(f"attribute {name} is not text")
    return value


# --------------------------------------------------------------------------- envelope


@dataclass(frozen=True, slots=True)
class Reply:
    """The `<PET>` envelope of one reply."""

    request: str
    res: str  # OK, WAIT, ERROR
    err: str  # vendor error code, "" if none
    msg: str  # cleaned vendor message
    body: dict[str, Any]  # the PET children, BLOQ removed

    @property
    def ok(self) -> bool:
        return self.res == "OK"

    @property
    def waiting(self) -> bool:
        return self.res == "WAIT"

    @property
    def error(self) -> bool:
        return self.res == "ERROR"


def parse_reply(body: bytes | str | dict[str, Any], request: str = "") -> Reply:
    """The `<PET>` envelope of a reply body, or of a document already decoded (`http.decode_xml_async`)."""
    doc = body if isinstance(body, dict) else parse_xml(body)
    if not isinstance(doc, dict) or "PET" not in doc:
        raise ProtocolError(f"reply to {request or 'request'} has no <PET> root")
    pet = element(doc["PET"], "PET")
    res = clean_text(text_of(single_text(pet.get("RES")))).upper()
    if res not in ("OK", "WAIT", "ERROR"):
        raise ProtocolError(f"reply to {request or 'request'} has RES={res[:20]!r}, expected OK, WAIT or ERROR")
    err = clean_text(text_of(single_text(pet.get("ERR"))), limit=20)
    msg = clean_text(text_of(single_text(pet.get("MSG"))))
    payload = {k: v for k, v in pet.items() if k != "BLOQ"}
    return Reply(request=request, res=res, err=err, msg=msg, body=payload)


def single_text(value: Any) -> Any:
    """An element expected once that holds text."""
    items = as_list(value)
    return items[0] if items else None


def field(node: dict[str, Any], name: str) -> str:
    """Cleaned text of child element `name`, "" when absent."""
    return clean_text(text_of(single_text(node.get(name))))


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class InstallationInfo:
    numinst: str
    alias: str
    panel: str


def parse_installations(reply: Reply) -> list[InstallationInfo]:
    """INS: `INSTALATIONS/INSTALATION/{NUMINST,PANEL,ALIAS}` (single-L spelling)."""
    container = single(reply.body.get("INSTALATIONS"), "INSTALATIONS")
    result = []
    for item in as_list(container.get("INSTALATION"), "installations"):
        node = element(item, "INSTALATION")
        numinst = field(node, "NUMINST")
        if not numinst:
            raise ProtocolError("an installation in INS has no NUMINST")
        result.append(InstallationInfo(numinst, field(node, "ALIAS") or numinst, field(node, "PANEL")))
    return result


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    numinst: str
    alias: str
    panel: str
    instibs: str
    sim: str


def parse_srv(reply: Reply) -> ServiceInfo:
    """SRV: `INSTALATION/{NUMINST, ALIAS, PANEL, SIM, INSTIBS, ...}`."""
    node = single(reply.body.get("INSTALATION"), "INSTALATION")
    return ServiceInfo(
        numinst=field(node, "NUMINST"),
        alias=field(node, "ALIAS"),
        panel=field(node, "PANEL"),
        instibs=field(node, "INSTIBS"),
        sim=field(node, "SIM"),
    )


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    id: str
    code: str
    alias: str
    type: str
    alias_type: str

    @property
    def photo_capable(self) -> bool:
        kind = self.alias_type.lower()
        return self.type.upper() == "YR" or "foto" in kind or "image" in kind or "photo" in kind


@dataclass(frozen=True, slots=True)
class InstallationDetails:
    alias: str
    devices: tuple[DeviceInfo, ...]


def parse_my_installation(reply: Reply) -> InstallationDetails:
    """MYINSTALLATION: `INSTALLATION(alias)/DEVICES/DEVICE(idDev, code, alias, type, aliasType)`."""
    node = single(reply.body.get("INSTALLATION"), "INSTALLATION")
    devices_node = single(node.get("DEVICES"), "DEVICES")
    devices = []
    for item in as_list(devices_node.get("DEVICE"), "zones"):
        dev = element(item, "DEVICE")
        dev_id = clean_text(attr(dev, "idDev"), limit=40)
        if not dev_id:
            raise ProtocolError("a DEVICE in MYINSTALLATION has no idDev")
        devices.append(
            DeviceInfo(
                id=dev_id,
                code=clean_text(attr(dev, "code"), limit=40),
                alias=clean_text(attr(dev, "alias"), limit=80) or f"Device {dev_id}",
                type=clean_text(attr(dev, "type"), limit=20),
                alias_type=clean_text(attr(dev, "aliasType"), limit=80),
            )
        )
    return InstallationDetails(alias=clean_text(attr(node, "alias")), devices=tuple(devices))


@dataclass(frozen=True, slots=True)
class StatusInfo:
    code: str
    msg: str
    numinst: str


def parse_status(reply: Reply) -> StatusInfo:
    """Final step 2: `<STATUS>` plus MSG and NUMINST."""
    return StatusInfo(code=field(reply.body, "STATUS")[:10], msg=reply.msg, numinst=field(reply.body, "NUMINST"))


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    """One `<REG>` of ACT_V2."""

    type: str
    alias: str
    time: datetime
    idsignal: str
    signaltype: str
    source: str
    device: str
    user: str


REG_TIME_FORMAT = "%y%m%d%H%M%S"


def parse_reg_time(value: str) -> datetime:
    """`yyMMddHHmmss` in the server's local time; we read it as ours."""
    try:
        return datetime.strptime(value, REG_TIME_FORMAT).astimezone()
    except (ValueError, OverflowError, OSError):
        raise ProtocolError(f"activity time {value[:20]!r} is not yyMMddHHmmss") from None


def parse_activity(reply: Reply) -> list[ActivityRecord]:
    """ACT_V2: `LIST(totalreg, costtotal)/REG(...)`, newest first. An empty LIST is fine."""
    listing = single(reply.body.get("LIST"), "LIST")
    records = []
    for item in as_list(listing.get("REG"), "events"):
        reg = element(item, "REG")
        reg_type = clean_text(attr(reg, "type"), limit=12)
        idsignal = clean_text(attr(reg, "idsignal"), limit=40)
        if not reg_type or not idsignal:
            raise ProtocolError("a REG in ACT_V2 lacks type or idsignal")
        records.append(
            ActivityRecord(
                type=reg_type,
                alias=clean_text(attr(reg, "alias"), limit=200),
                time=parse_reg_time(attr(reg, "time")),
                idsignal=idsignal,
                signaltype=clean_text(attr(reg, "signaltype"), limit=12),
                source=clean_text(attr(reg, "source"), limit=60),
                device=clean_text(attr(reg, "device"), limit=80),
                user=clean_text(attr(reg, "user") or attr(reg, "myverisureUser"), limit=80),
            )
        )
    return records


@dataclass(frozen=True, slots=True)
class PhotoSet:
    device_code: str
    device_name: str
    jpegs: tuple[bytes, ...]


def parse_inf(reply: Reply) -> list[PhotoSet]:
    """INF: `DEVICES/DEVICE(code, name)/IMG×3` in base64."""
    devices = single(reply.body.get("DEVICES"), "DEVICES")
    result = []
    for item in as_list(devices.get("DEVICE"), "photos"):
        dev = element(item, "DEVICE")
        jpegs = []
        for img in as_list(dev.get("IMG"), "photos"):
            encoded = text_of(img).strip()
            if len(encoded) > MAX_JPEG_BYTES * 4 // 3 + 8:
                raise ProtocolError("photo too large")
            try:
                data = base64.b64decode("".join(encoded.split()), validate=True)
            except (binascii.Error, ValueError):
                raise ProtocolError("photo is not valid base64") from None
            if not data.startswith(b"\xff\xd8"):
                raise ProtocolError("photo is not a JPEG")
            jpegs.append(data)
        result.append(
            PhotoSet(
                device_code=clean_text(attr(dev, "code"), limit=40),
                device_name=clean_text(attr(dev, "name"), limit=80),
                jpegs=tuple(jpegs),
            )
        )
    return result


def parse_login(reply: Reply) -> str:
    """LOGIN: the `<HASH>` token."""
    token = text_of(single_text(reply.body.get("HASH"))).strip()
    if not token or len(token) > 200 or any(c.isspace() for c in token):
        raise ProtocolError("login reply has no usable HASH")
    return token
