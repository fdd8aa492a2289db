"""`alarmtui --demo`: every cloud online at once, nothing in the user's folders, no wait for the simulators."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from alarmtui.demo import DemoEnvironment
from alarmtui.domain.updates import LinkState
from alarmtui.simulators.host import SimHost
from tests.helpers import until


def _online(engine: Any) -> bool:
    return all(p.status.state is LinkState.ONLINE and p.snapshot is not None for p in engine.group)


async def test_the_demo_writes_nothing_in_the_users_folders(private_home: Path) -> None:
    env = DemoEnvironment.start(life=True, fast=True, journal=True, private=True, wait=False)  # as `alarmtui --demo`
    folder = env.folder
    try:
        engine = env.engine()
        await engine.start()
        try:
            # Securitas trusts the demo's device at launch: every cloud online, no SMS asked for.
            await until(lambda: _online(engine), timeout=30, what="every simulated cloud online")
        finally:
            await engine.close()
    finally:
        env.stop()
    assert sorted(str(p.relative_to(private_home)) for p in private_home.rglob("*")) == []
    assert folder is not None and not folder.exists()
    assert os.environ["XDG_STATE_HOME"] == str(private_home / "xdg_state_home")  # put back when the demo ends


async def test_the_demo_does_not_wait_for_its_simulators(monkeypatch: pytest.MonkeyPatch) -> None:
    """The dashboard's first frame comes before the simulators serve: their sockets are bound, clients queue."""
    release = threading.Event()
    original = SimHost.start

    async def held_start(self: SimHost) -> None:
        await asyncio.get_running_loop().run_in_executor(None, release.wait, 30)
        await original(self)

    monkeypatch.setattr(SimHost, "start", held_start)
    env = DemoEnvironment.start(kinds=("visonic", "mios"), life=False, fast=True, wait=False)  # returns while held
    try:
        assert not env.host._ready.is_set()  # the servers are not up: nothing waited for them
        engine = env.engine()
        await engine.start()
        try:
            await asyncio.sleep(0.05)  # the pollers' first requests are already queued at the sockets
            assert not _online(engine)
            release.set()
            await until(lambda: _online(engine), timeout=30, what="the queued clients to be served")
        finally:
            await engine.close()
    finally:
        release.set()
        env.stop()


def test_headless_demo_commands_write_nothing_in_the_users_folders(
    private_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from alarmtui.cli import main

    assert main(["--demo", "status", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"hogar"' in out  # Securitas answered too: the demo trusts its device
    kinds = sorted(p["kind"] for p in json.loads(out)["providers"])  # as the e2e test_cli.py::test_status_json_demo
    assert kinds == sorted(("verisure", "visonic", "mios", "securitas", "mypages"))
    assert sorted(str(p.relative_to(private_home)) for p in private_home.rglob("*")) == []


def test_listen_demo_writes_nothing_in_the_users_folders(private_home: Path) -> None:
    """`alarmtui --demo listen` runs the demo's clouds too: their device identities stay in its own folder."""
    from tests.helpers import ListenThread

    listener = ListenThread("--demo", "--json").start()
    try:
        lines = [listener.out.lines.get(timeout=30) for _ in range(5)]  # link lines as the clouds come online
        assert any('"type": "link"' in line for line in lines), lines
    finally:
        assert listener.stop() == 0
    assert sorted(str(p.relative_to(private_home)) for p in private_home.rglob("*")) == []
    assert os.environ["XDG_STATE_HOME"] == str(private_home / "xdg_state_home")  # put back when the demo ends
