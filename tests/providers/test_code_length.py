"""A provider's PIN length (`Provider.code_length`) reaches every code check: headless, the service, the wire."""

from __future__ import annotations

import pytest

from alarmtui.domain.inputs import code_problem
from alarmtui.engine.base import ProviderInfo
from alarmtui.engine.wire import info_from_wire, info_to_wire
from alarmtui.headless import Choice, LocalTarget, UsageError, ask_code
from alarmtui.providers import create_provider
from alarmtui.settings import Settings

TABLES = {
    "visonic": {"url": "https://visonic.invalid", "username": "a@b.c", "password": "p", "code": "1234"},
    "securitas": {"username": "a", "password": "p", "country": "ES"},
    "mios": {"url": "https://mios.invalid", "username": "a", "password": "p"},
    "vera": {"url": "http://vera.invalid:3480"},
}


def test_the_provider_length_wins_over_the_vendor_range() -> None:
    assert code_problem("123456", "visonic") is None  # the vendor range (4 to 6)
    assert code_problem("123456", "visonic", length=4) == "the code must be 4 digits"
    assert code_problem("1234", "visonic", length=4) is None
    assert code_problem("12345678", "mios", length=None) is None  # unknown: the range applies
    assert code_problem("١٢٣٤", "mypages", length=4) == "the code must be digits 0-9 only"


@pytest.mark.parametrize(("kind", "length"), [("visonic", 4), ("securitas", None), ("mios", None), ("vera", None)])
def test_each_vendor_states_its_length_where_the_notes_do(kind: str, length: int | None) -> None:
    config = Settings(providers=[{"kind": kind, "name": kind, **TABLES[kind]}]).providers[0]
    provider = create_provider(config)
    assert provider.code_length == length
    assert LocalTarget(provider, Choice(kind, kind)).choice.code_length == length


def test_ask_code_refuses_a_code_of_the_wrong_length(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALARMTUI_CODE", "123456")
    choice = Choice("home", "mypages", needs_code=True, code_length=4)
    with pytest.raises(UsageError, match="4 digits"):
        ask_code(choice)
    assert ask_code(choice._replace(code_length=6)) == "123456"


def test_the_length_crosses_the_socket_and_nonsense_does_not() -> None:
    info = ProviderInfo("home", "mypages", needs_code=True, code_length=6)
    assert info_from_wire(info_to_wire(info)).code_length == 6
    assert info_from_wire({**info_to_wire(info), "code_length": 10_000}).code_length is None
    assert info_from_wire({**info_to_wire(info), "code_length": True}).code_length is None
