"""Key press -> the simulated panel receives the command, and -> the partition shows ARMING.

The real dashboard (headless, 160x48) against the real demo clouds (plain HTTP on
loopback, demo exit delays, the providers' default poll intervals). The panel's
receipt is timed by a listener on `SimPanel._note_command`, which every command
passes through on the simulator's own thread; the screen by `FrameProbe`.
Between runs the partition is disarmed inside the simulator and the app is told
to refresh.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (
    SIZE,
    FrameProbe,
    Metric,
    RequestLog,
    arguments,
    finish,
    header_text,
    log,
    partition_shows,
    quiet_logging,
)

# provider name, sim kind, partition name (partitions with an exit delay, commanded per partition),
# and how to recognise the arm command among the HTTP requests the simulated cloud receives.
TARGETS = [
    ("powermaster", "visonic", "Garage", lambda method, path: method == "POST" and path.endswith("/set_state")),
    ("vera", "mios", "Garage", lambda method, path: "RequestArmMode" in path),
]


async def measure(runs: int) -> list[Metric]:
    from textual import events

    from alarmtui import imaging
    from alarmtui.demo import DemoEnvironment
    from alarmtui.simulators.panel import Phase
    from alarmtui.ui.app import create_app

    imaging.prepare_terminal()
    requests = RequestLog()
    kinds = [kind for _, kind, _, _ in TARGETS]
    env = DemoEnvironment.start(kinds=kinds, tls=False, life=False, fast=False)
    metrics: list[Metric] = []
    try:
        app = create_app(env.settings, scenarios=env.scenarios)
        async with app.run_test(size=SIZE) as pilot:
            probe = FrameProbe(app)
            for provider, kind, partition_name, is_arm in TARGETS:
                received = Metric(f"key → cloud sim receives arm ({kind})", 50.0)
                executed = Metric(f"key → sim panel executes arm ({kind})", None,
                                  note="includes the simulated cloud's modelled relay delay to the panel "
                                  "(Visonic process_delay 0.3 s, MiOS job 0.05 s)")
                in_flight = Metric(f"key → header shows command in flight ({kind})", None)
                arming = Metric(f"key → partition shows ARMING ({kind})", 100.0)
                metrics += [received, executed, in_flight, arming]
                panel = env.host.cloud(kind).panels[0]
                receipts: list[float] = []
                original = panel._note_command

                def note(text: str, original=original, receipts=receipts) -> None:
                    receipts.append(time.monotonic())
                    original(text)

                panel._note_command = note  # type: ignore[method-assign]
                sim_part = next(p for p in panel.partitions.values() if p.name == partition_name)
                await probe.until(lambda: partition_shows(app, provider, partition_name, "DISARMED"))
                for run in range(runs):
                    view = app.views[provider]
                    await _until(lambda: view.online and not view.command_pending, what=f"{provider} idle")
                    pid = next(p.id for p in view.snapshot.partitions if p.name == partition_name)
                    app.partitions.select(provider, pid)
                    # The UI refuses an echo of the previous run's arm until the panel's state settles.
                    await _until(lambda: app.why_not("arm", ("away",)) is None, 30, f"{provider} accepts arm")
                    await pilot.pause(0.3)  # let the highlight settle and the loop go quiet
                    receipts.clear()
                    shown = probe.watch(lambda: partition_shows(app, provider, partition_name, "ARMING"))
                    header = probe.watch(lambda: "⟳ arm" in header_text(app))
                    pressed = time.monotonic()
                    app._driver.send_message(events.Key("a", "a"))
                    at = await asyncio.wait_for(shown, 10)
                    header_at = await asyncio.wait_for(header, 10)
                    await _until(lambda: bool(receipts), what="receipt")
                    request_at = requests.first(pressed, is_arm)
                    assert request_at is not None, "the arm request never reached the simulator"
                    received.add((request_at - pressed) * 1000)
                    executed.add((receipts[0] - pressed) * 1000)
                    in_flight.add((header_at - pressed) * 1000)
                    arming.add((at - pressed) * 1000)
                    log(f"{kind} run {run + 1}: request {received.samples[-1]:.1f} ms, executed "
                        f"{executed.samples[-1]:.1f} ms, header {in_flight.samples[-1]:.1f} ms, "
                        f"ARMING {arming.samples[-1]:.1f} ms")
                    await _until(lambda: not view.command_pending, what="command finished")
                    env.host.call(lambda: panel.disarm([sim_part.id], user="bench", source="BENCH"))
                    assert env.host.call(lambda: sim_part.phase) is Phase.DISARMED
                    disarmed = probe.watch(lambda: partition_shows(app, provider, partition_name, "DISARMED"))
                    app.pollers[provider].refresh_now()
                    await asyncio.wait_for(disarmed, 10)
                panel._note_command = original  # type: ignore[method-assign]
    finally:
        env.stop()
    return metrics


async def _until(predicate, timeout: float = 15.0, what: str = "") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def main() -> None:
    args = arguments(__doc__.splitlines()[0], runs=7)
    quiet_logging()
    finish(asyncio.run(measure(args.runs)))


if __name__ == "__main__":
    main()
