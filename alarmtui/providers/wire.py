"""Typed accessors for decoded wire data (JSON values, xmltodict dicts).

A parser reads a reply only through these, so a value of the wrong type, a
missing required field or an absurd size raises `ProtocolError` naming the
field — never `KeyError`/`TypeError`/`AttributeError` — and vendor text is
cleaned of control characters (`clean_text`).

    node = require_mapping(data, "status")
    name = as_text(node.get("name"), "status.name")            # "" when absent
    zone = as_int(node.get("zone"), "status.zone")              # required
    flag = as_bool(node.get("ready"), "status.ready", default=None)
    for item in as_list(node.get("partitions"), "status.partitions"): ...
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from alarmtui.domain.text import clean_text
from alarmtui.providers.errors import ProtocolError, TooManyRecords

T = TypeVar("T")
_MISSING: Any = object()

RECORD_CAPS: dict[str, int] = {
    "partitions": 64,
    "zones": 2048,
    "events": 2000,
    "users": 512,
    "photos": 64,
    "troubles": 2048,
    "installations": 256,
    "services": 512,
}
"""The most records of each kind one reply may hold; more raises `TooManyRecords` naming the cap.

Far above any real installation (a Vera has a few hundred devices, a timeline page 30 rows), far
below what stalls the loop."""
MAX_LIST = 5000
"""Any other list in a reply: more entries than this is not a reply, it is an attack."""


def capped(items: list[T], cap: str, *, what: str = "") -> list[T]:
    """`items`, or `TooManyRecords` when there are more than `RECORD_CAPS[cap]` of them."""
    limit = RECORD_CAPS.get(cap, MAX_LIST)
    if len(items) > limit:
        where = f" in {what}" if what else ""
        raise TooManyRecords(
            f"the reply holds {len(items)} {cap}{where}; at most {limit} are accepted (cap {cap!r})", cap=cap, limit=limit
        )
    return items


def require_mapping(value: Any, what: str) -> dict[str, Any]:
    """A JSON object / XML element with children; anything else → ProtocolError."""
    if isinstance(value, dict):
        return value
    raise ProtocolError(f"expected an object for {what}, got {_kind(value)}")


def optional_mapping(value: Any, what: str) -> dict[str, Any]:
    """A mapping, or {} when absent / null / an empty XML element."""
    if value is None or value == "":
        return {}
    return require_mapping(value, what)


def require_list(value: Any, what: str, *, cap: str = "") -> list[Any]:
    """A JSON array of at most `RECORD_CAPS[cap]` entries (`MAX_LIST` without a cap); anything else → ProtocolError."""
    if isinstance(value, list):
        return capped(value, cap or "entries", what=what)
    raise ProtocolError(f"expected a list for {what}, got {_kind(value)}")


def optional_list(value: Any, what: str, *, cap: str = "") -> list[Any]:
    """A JSON array, or [] when null / absent; anything else → ProtocolError. Capped like `require_list`."""
    if value is None:
        return []
    return require_list(value, what, cap=cap)


def as_list(value: Any, what: str = "", *, cap: str = "") -> list[Any]:
    """xmltodict's none / one-is-a-dict / many-is-a-list, normalised to a list (a JSON null → []). Capped."""
    if value is None:
        return []
    if isinstance(value, list):
        return capped(value, cap or "entries", what=what)
    return [value]


def as_text(value: Any, what: str, *, default: str = "", limit: int = 500, required: bool = False) -> str:
    """Cleaned text. Numbers are accepted as their decimal form; an XML element's `#text` too.

    Absent / null → `default` (or ProtocolError when `required`).
    """
    if value is None:
        if required:
            raise ProtocolError(f"{what} is missing")
        return default
    if isinstance(value, bool):
        raise ProtocolError(f"expected text for {what}, got a boolean")
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ProtocolError(f"expected text for {what}, got {value!r}")
        value = str(value)
    elif isinstance(value, dict) and isinstance(value.get("#text", ""), str):
        value = value.get("#text", "")
    if not isinstance(value, str):
        raise ProtocolError(f"expected text for {what}, got {_kind(value)}")
    text = clean_text(value, limit=limit)
    if required and not text:
        raise ProtocolError(f"{what} is empty")
    return text


def as_ident(value: Any, what: str, *, limit: int = 80) -> str:
    """A non-empty identifier (text or integer)."""
    return as_text(value, what, limit=limit, required=True)


def as_int(value: Any, what: str, *, default: Any = _MISSING, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer (JSON number or decimal text). Absent / null → `default`, or ProtocolError when no default."""
    if value is None or value == "":
        if default is _MISSING:
            raise ProtocolError(f"{what} is missing")
        return default  # type: ignore[no-any-return]
    if isinstance(value, bool):
        raise ProtocolError(f"expected a number for {what}, got a boolean")
    number: int
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().lstrip("+-").isdigit() and len(value) < 20:
        number = int(value.strip())
    else:
        raise ProtocolError(f"expected a whole number for {what}, got {_kind(value)}")
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ProtocolError(f"{what} is out of range ({number})")
    return number


def as_float(value: Any, what: str, *, default: Any = _MISSING) -> float:
    """A finite number (JSON number or decimal text)."""
    if value is None or value == "":
        if default is _MISSING:
            raise ProtocolError(f"{what} is missing")
        return default  # type: ignore[no-any-return]
    if isinstance(value, bool):
        raise ProtocolError(f"expected a number for {what}, got a boolean")
    try:
        number = float(value) if isinstance(value, int | float | str) and len(str(value)) < 40 else math.nan
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise ProtocolError(f"expected a number for {what}, got {_kind(value)}")
    return number


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def as_bool(value: Any, what: str, *, default: Any = False) -> Any:
    """A flag: JSON bool, 0/1, or "true"/"false"/"1"/"0" text. Absent / null → `default`."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ProtocolError(f"expected true/false for {what}, got {_kind(value)}")


def field(mapping: Mapping[str, Any], key: str, what: str, convert: Callable[[Any, str], T]) -> T:
    """`convert(mapping[key])`, naming the field as `what.key` in any error."""
    return convert(mapping.get(key), f"{what}.{key}")


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


__all__ = [
    "MAX_LIST",
    "RECORD_CAPS",
    "as_bool",
    "as_float",
    "as_ident",
    "as_int",
    "as_list",
    "as_text",
    "capped",
    "field",
    "optional_list",
    "optional_mapping",
    "require_list",
    "require_mapping",
]
