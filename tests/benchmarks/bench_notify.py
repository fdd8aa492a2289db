"""Notification delivery against bad targets: threads and RSS stay flat, shutdown stays bounded.

1. 1,000 deliveries through real Apprise to a target that drips its reply one byte at a time
   (loopback, asyncio server): threads and RSS every 250 deliveries.
2. `Notifier.aclose(5)` with 10 targets that never answer, each with a delivery stuck: how long it takes.

Run: PYTHONPATH=. python tests/benchmarks/bench_notify.py [--deliveries N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import threading
import time
from datetime import UTC, datetime

from alarmtui.notify.notifier import Message, Notifier, Target

REPLY = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def bad_target(*, drip: float | None) -> tuple[asyncio.base_events.Server, int]:
    """drip: seconds between the reply's bytes; None: never answer."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception, asyncio.CancelledError):  # cancelled at the end of the run
            while True:  # keep-alive: one request after another on the connection
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")), 0)
                await reader.readexactly(length)
                if drip is None:
                    await asyncio.sleep(3600)
                for byte in REPLY:
                    writer.write(bytes([byte]))
                    await writer.drain()
                    await asyncio.sleep(drip)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def message(n: int) -> Message:
    return Message("offline", "bench", "Offline", f"message {n}", datetime.now(UTC))


async def dripping(deliveries: int) -> None:
    server, port = await bad_target(drip=0.001)
    notifier = Notifier([Target(f"json://127.0.0.1:{port}/hook", number=1)], retry_delays=(), deadline=5.0)
    notifier.start()
    print(f"dripping target: {len(REPLY)}-byte reply, one byte per ms; {deliveries} deliveries")
    print(f"{'deliveries':>10} {'sent':>6} {'threads':>8} {'RSS MB':>8} {'s':>6}")
    started = time.monotonic()
    print(f"{0:>10} {0:>6} {threading.active_count():>8} {rss_mb():>8.1f} {0:>6.1f}")
    batch = 50
    for done in range(batch, deliveries + 1, batch):
        for n in range(done - batch, done):
            notifier._dispatch(message(n))
        await notifier.idle(timeout=600)
        if done % 250 == 0:
            sent = notifier.outcomes.get(("target 1 (json)", "sent"), 0)
            print(f"{done:>10} {sent:>6} {threading.active_count():>8} {rss_mb():>8.1f} {time.monotonic() - started:>6.1f}")
    print(f"abandoned: {len(notifier.abandoned)}")
    await notifier.aclose()
    server.close()


async def stuck_close(targets: int) -> None:
    servers = [await bad_target(drip=None) for _ in range(targets)]
    notifier = Notifier([Target(f"json://127.0.0.1:{port}/hook", number=i + 1) for i, (_, port) in enumerate(servers)])
    notifier.start()
    for n in range(3):
        notifier._dispatch(message(n))
    await asyncio.sleep(0.5)  # every target now holds a request it never answers
    started = time.monotonic()
    left = await notifier.aclose(timeout=5.0)
    took = time.monotonic() - started
    print(f"aclose(5 s) with {targets} stuck targets: {took:.2f} s, {len(left)} message(s) abandoned (logged)")
    for server, _ in servers:
        server.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--stuck", type=int, default=10)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    await dripping(args.deliveries)
    await stuck_close(args.stuck)


if __name__ == "__main__":
    asyncio.run(main())
