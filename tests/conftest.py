"""Shared fixtures: keep the developer's own config and environment out of tests; fast simulators;
one fake clock; hypothesis profiles (small by default, `HYPOTHESIS_PROFILE=fuzz` for the long run)."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from alarmtui.logging_setup import quiet_term_image
from alarmtui.redaction import SECRET_FILTER
from alarmtui.simulators.base import SimCloud
from alarmtui.simulators.host import SimHost, create_cloud
from tests.helpers import FakeClock

quiet_term_image()

# Some machines set PYTHONDONTWRITEBYTECODE=1: then every xdist worker compiled and assertion-rewrote every test
# module again on every run (~7 s of CPU each). The suite keeps its compiled files (in __pycache__, ignored by git).
sys.dont_write_bytecode = False

# ---------------------------------------------------------------------- hypothesis

SMALL_EXAMPLES = 20
"""The everyday run: every property test tries at most this many examples (it still finds the shallow bugs)."""
hypothesis_settings.register_profile(
    "default", max_examples=SMALL_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.register_profile(
    "fuzz", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
hypothesis_settings.load_profile(HYPOTHESIS_PROFILE)


WORKERS_PER_CORE = 2
"""`-n auto`: two workers a core. Many tests wait on loopback servers, subprocesses and timers rather than
compute, so a second worker per core fills that time (measured on 2 cores: 6 min 52 s with 2 workers, 5 min 00 s with 4)."""


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(2, cores * WORKERS_PER_CORE)


SERIAL_MARKERS = ("tmux", "e2e")
"""Tests that start real terminals or processes: one xdist worker runs them one after the other."""


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Serial groups for tmux/e2e tests; the hypothesis profile also bounds tests that set their own `max_examples`
    (small: capped; fuzz: at least the profile's)."""
    for item in items:
        if any(item.get_closest_marker(name) for name in SERIAL_MARKERS) and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group("serial"))
    profile = hypothesis_settings.get_profile(HYPOTHESIS_PROFILE)
    for item in items:
        test = getattr(getattr(item, "obj", None), "__func__", getattr(item, "obj", None))
        current = getattr(test, "_hypothesis_internal_use_settings", None)
        if current is None or not hasattr(test, "hypothesis"):
            continue
        if HYPOTHESIS_PROFILE == "fuzz":
            wanted = max(current.max_examples, profile.max_examples)
        else:
            wanted = min(current.max_examples, profile.max_examples)
        if wanted != current.max_examples:
            test._hypothesis_internal_use_settings = hypothesis_settings(current, max_examples=wanted)


# ---------------------------------------------------------------------- isolation


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("ALARMTUI_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))  # device identities, journal: never the developer's own
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "xdg-runtime"))  # never attach to the developer's service
    monkeypatch.setenv("ALARMTUI_DEMO_FAST", "1")  # an `alarmtui --demo` a test starts runs on fast simulator timing
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)


@pytest.fixture
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty HOME with the XDG folders inside it: a test then asserts the demo left nothing there."""
    from alarmtui.demo import PRIVATE_DIRS

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in PRIVATE_DIRS:
        monkeypatch.setenv(name, str(home / name.lower()))
    return home


@pytest.fixture(autouse=True)
def forget_registered_secrets() -> Iterator[None]:
    """A test's password ("wrong") must not scrub another test's messages."""
    SECRET_FILTER.clear()
    yield
    SECRET_FILTER.clear()


# ---------------------------------------------------------------------- time and simulators


@pytest.fixture
def fake_clock() -> FakeClock:
    """One clock for the simulators' panels, the providers and `LoginGate` (pass it as `clock=`)."""
    return FakeClock()


@pytest.fixture
async def sim_host() -> AsyncIterator[Callable[..., Awaitable[SimHost]]]:
    """Start simulated clouds on loopback with fast timing and the control API: `host = await sim_host("visonic")`.

    Options go to every cloud (e.g. `clock=fake_clock`); drive scenarios with
    `run_scenario(host.control_url, kind, op, ...)`.
    """
    hosts: list[SimHost] = []

    async def start(*kinds: str, **options: Any) -> SimHost:
        clouds: list[SimCloud] = [create_cloud(kind, **options) for kind in kinds]
        for cloud in clouds:
            cloud.use_fast_timing()
        host = SimHost(clouds, control=True)
        await host.start()
        hosts.append(host)
        return host

    yield start
    for host in hosts:
        await host.stop()
