"""A refused Securitas login explains itself in which-kind terms: configured for a My Pages country (SE, NO, DK,
FI, BE, NL — no OWA host serves them) it says "this looks like a Verisure My Pages account"; elsewhere the refusal
still names the My Pages countries beside "check the username and password". A hint, never a guess that acts."""

from __future__ import annotations

import socket

import pytest

from alarmtui.headless import one_shot_hint
from alarmtui.providers.errors import AuthenticationFailed, ConnectionFailed
from tests.providers.securitas.conftest import Sim


async def test_a_refused_login_for_a_my_pages_country_suggests_kind_mypages(sim: Sim) -> None:
    provider = sim.provider(sim.config(country="SE", password="my-pages-password"))
    with pytest.raises(AuthenticationFailed) as caught:
        await provider.connect()
    assert "This looks like a Verisure My Pages account" in caught.value.hint
    assert 'kind = "mypages"' in caught.value.hint and "Which kind am I?" in caught.value.hint
    assert "my-pages-password" not in str(caught.value) + caught.value.hint
    assert one_shot_hint(caught.value) == caught.value.hint  # `alarmtui status` prints it as it is
    assert sim.count("mkLoginToken") == 1  # said once; nothing retried because of it
    await provider.close()


async def test_a_refused_login_elsewhere_names_the_my_pages_countries_beside_the_password(sim: Sim) -> None:
    provider = sim.provider(sim.config(country="ES", password="wrong"))
    with pytest.raises(AuthenticationFailed) as caught:
        await provider.connect()
    hint = caught.value.hint
    assert hint.startswith("Check the username and password")
    assert "Sweden" in hint and 'kind = "mypages"' in hint and "looks like" not in hint
    await provider.close()


async def test_a_my_pages_country_whose_host_answers_nothing_suggests_kind_mypages(sim: Sim) -> None:
    with socket.socket() as closed:  # a port nobody listens on, as customers.securitasdirect.SE serves nobody
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    provider = sim.provider(sim.config(country="NO", url=f"http://127.0.0.1:{port}"))
    with pytest.raises(ConnectionFailed) as caught:
        await provider.connect()
    assert "This looks like a Verisure My Pages account" in one_shot_hint(caught.value)
    await provider.close()


async def test_a_served_country_that_cannot_connect_keeps_the_network_hint(sim: Sim) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    provider = sim.provider(sim.config(country="ES", url=f"http://127.0.0.1:{port}"))
    with pytest.raises(ConnectionFailed) as caught:
        await provider.connect()
    assert "My Pages" not in caught.value.hint
    await provider.close()
