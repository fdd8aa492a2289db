"""The login pause outlives the process (issue 18): a refused password is not re-sent by any process until the user asks."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from alarmtui.providers.errors import AuthenticationFailed, LoginPaused
from tests.providers.securitas.conftest import Sim


def pause_files(sim: Sim) -> list[Path]:
    return sorted(sim.state.glob("login-pause-*.json"))


async def test_a_second_provider_with_the_same_state_folder_does_not_resend_a_refused_password(sim: Sim) -> None:
    wrong = sim.config(password="wrong-password")
    dashboard = sim.provider(wrong)
    with pytest.raises(AuthenticationFailed):
        await dashboard.connect()
    assert sim.count("mkLoginToken") == 1
    (pause,) = pause_files(sim)
    assert stat.S_IMODE(pause.stat().st_mode) == 0o600
    text = pause.read_text()
    assert "wrong-password" not in text and sim.cloud.username not in text  # no secret, not even the login
    assert json.loads(text)["reason"]

    cron = sim.provider(wrong)  # another process: same state folder, a fresh provider
    with pytest.raises(LoginPaused) as caught:
        await cron.connect()
    assert "alarmtui login casa" in caught.value.message
    assert sim.count("mkLoginToken") == 1  # not re-sent
    await dashboard.close()
    await cron.close()


async def test_the_user_lifts_the_pause_and_a_success_clears_it_for_everyone(sim: Sim) -> None:
    wrong = sim.config(password="wrong-password")
    first = sim.provider(wrong)
    with pytest.raises(AuthenticationFailed):
        await first.connect()
    service = sim.provider(wrong)
    with pytest.raises(LoginPaused):
        await service.connect()
    service.allow_login()  # `alarmtui login casa` / the r key: exactly one attempt goes
    with pytest.raises(AuthenticationFailed) as caught:
        await service.connect()
    assert not isinstance(caught.value, LoginPaused)
    assert sim.count("mkLoginToken") == 2

    # The config changes (the right password): another identity, so the pause does not apply ...
    fixed = sim.provider(sim.config())
    await fixed.connect()
    assert sim.count("mkLoginToken") == 3
    assert pause_files(sim) == []  # ... and a success lifts it for every process
    await first.close()
    await service.close()
    await fixed.close()


async def test_a_refused_password_pauses_a_separate_process(sim: Sim, tmp_path: Path) -> None:
    """Two real processes: the second (a cron `status`) does not re-send what the first had refused."""
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from pathlib import Path
        from alarmtui.providers.errors import AuthenticationFailed, LoginPaused
        from alarmtui.providers.securitas import Pacing, SecuritasProvider
        from alarmtui.settings import SecuritasConfig

        async def main():
            config = SecuritasConfig(kind="securitas", name="casa", url={sim.host.urls["securitas"]!r},
                                     username={sim.cloud.username!r}, password="wrong-password",
                                     ca_file={str(sim.host.ca_file) if sim.host.ca_file else None!r})
            provider = SecuritasProvider(config, pacing=Pacing(min_gap=0.0), state_directory=Path({str(sim.state)!r}))
            try:
                await provider.connect()
                print("connected")
            except LoginPaused:
                print("paused")
            except AuthenticationFailed:
                print("refused")
            finally:
                await provider.close()

        asyncio.run(main())
        """
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}

    async def run() -> str:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        return out.decode().strip()

    assert await run() == "refused"
    assert await run() == "paused"
    assert sim.count("mkLoginToken") == 1
