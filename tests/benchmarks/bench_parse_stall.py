"""Loop stall while a provider takes in the largest reply it accepts (issue 18: goal ≤ 50 ms per vendor).

For each vendor a reply of `MAX_REPLY_BYTES` (16 MB; 4 MB with --quick) is built in the vendor's own
shape — a record flood (10,000s of partitions / rows / devices, which the record caps then refuse)
and, where the vendor sends them, photos (long base64 strings, within the caps) — and handed to the
same decode + parse path the vendor's client runs. A 1 ms ticker on the event loop records the
longest gap between its ticks: that is how long every view of the dashboard or service would freeze.

Each vendor's rows run what its client runs: Visonic (`parse.decode_reply`) and luup — MiOS relay and
Vera LAN — (`parse.decode_reply`) decode through the shared `http.decode_json_async` (off the loop above
256 KB) and their parsers cap records; Securitas parses photo replies in a worker thread (the provider's
`asyncio.to_thread`), where the base64 is decoded in steps.
The two baselines show what the machine's own scheduling costs (a loaded 2-core box adds tens of ms).
"""

from __future__ import annotations

import asyncio
import base64
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchlib import Metric, arguments, finish, log

from alarmtui.providers.errors import ProviderError
from alarmtui.providers.http import MAX_REPLY_BYTES, decode_json_async, decode_xml_async
from alarmtui.providers.luup import parse as luup
from alarmtui.providers.securitas import parse as securitas
from alarmtui.providers.verisure import parse as verisure
from alarmtui.providers.visonic import parse as visonic

GOAL_MS = 50.0


def fill(prefix: str, item: str, suffix: str, size: int, sep: str = ",") -> bytes:
    """`prefix item,item,… suffix` of about `size` bytes."""
    count = max(1, (size - len(prefix) - len(suffix)) // (len(item) + len(sep)))
    return (prefix + sep.join([item] * count) + suffix).encode()


def photo_json(size: int, wrap: Callable[[str], str]) -> bytes:
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * (size * 3 // 4 // 3 - 64)
    image = base64.b64encode(jpeg).decode()
    return wrap(image).encode()


async def stall(work: Callable[[], Awaitable[Any]]) -> tuple[float, str]:
    """Worst gap between 1 ms ticks of the loop (ms) while `work` runs, and how the work ended."""
    worst = 0.0
    running = True

    async def ticker() -> None:
        nonlocal worst
        last = time.perf_counter()
        while running:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            worst = max(worst, now - last)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.02)
    try:
        await work()
        outcome = "parsed"
    except ProviderError as exc:
        outcome = type(exc).__name__
    finally:
        running = False
        await task
    return worst * 1000, outcome


def cases(size: int) -> dict[str, list[tuple[str, Callable[[], Awaitable[Any]]]]]:
    sec_rows = fill(
        '{"data":{"xSActV2":{"reg":[',
        '{"idSignal":"123456789","type":13,"alias":"Alarm","time":"2024-01-01 12:00:00","deviceName":"Hall"}',
        "]}}}",
        size,
    )
    sec_photo = photo_json(
        size,
        lambda img: (
            '{"data":{"xSGetPhotoImages":{"devices":[{"code":"2","name":"Cam","images":[{"id":1,"type":"BINARY","image":"'
            + img
            + '"}]}]}}}'
        ),
    )
    ver_regs = fill(
        "<PET><RES>OK</RES><LIST>",
        '<REG type="13" idsignal="123456789" time="240101120000" alias="Alarma" device="Hall"/>',
        "</LIST></PET>",
        size,
        sep="",
    )
    vis_parts = fill(
        '{"connected":true,"partitions":[', '{"id":1,"state":"DISARMED","status":"","ready":true,"options":[]}', "]}", size
    )
    luup_devices = fill(
        '{"full":1,"loadtime":1,"dataversion":1,"devices":[',
        '{"id":12,"name":"Door","category":4,"subcategory":1,"room":1,"tripped":"0","armed":"1"}',
        "]}",
        size,
    )

    async def securitas_rows() -> None:
        body = await decode_json_async(sec_rows, what="ActV2Timeline")
        securitas.parse_activity(securitas.root_of(body, "ActV2Timeline"))

    async def securitas_photos() -> None:
        body = await decode_json_async(sec_photo, what="mkGetPhotoImages")
        await asyncio.to_thread(securitas.parse_photo_images, securitas.root_of(body, "mkGetPhotoImages"))

    async def verisure_regs() -> None:
        doc = await decode_xml_async(ver_regs, what="ACT_V2")
        verisure.parse_activity(verisure.parse_reply(doc, "ACT_V2"))

    async def visonic_client_path() -> None:
        visonic.parse_status(await visonic.decode_reply(vis_parts, "status"))

    async def luup_client_path() -> None:
        luup.parse_sdata(await luup.decode_reply(luup_devices, "lu_sdata"))

    async def idle() -> None:
        await asyncio.sleep(1.0)

    async def python_worker() -> None:
        def spin() -> None:  # pure Python in a thread: what GIL hand-overs alone cost on this machine
            end = time.perf_counter() + 1.0
            while time.perf_counter() < end:
                pass

        await asyncio.to_thread(spin)

    return {
        "baseline: idle loop": [("1 s", idle)],
        "baseline: a Python worker thread": [("1 s", python_worker)],
        "securitas": [("timeline flood", securitas_rows), ("photos", securitas_photos)],
        "verisure": [("activity flood", verisure_regs)],
        "visonic": [("10k+ partitions", visonic_client_path)],
        "luup (MiOS, Vera)": [("device flood", luup_client_path)],
    }


async def main() -> None:
    args = arguments(__doc__.splitlines()[0], runs=3)
    size = MAX_REPLY_BYTES // 4 if args.quick else MAX_REPLY_BYTES
    metrics = []
    for vendor, shapes in cases(size).items():
        baseline = vendor.startswith("baseline")
        name = f"loop stall, {vendor}" + ("" if baseline else f", {size // 2**20} MB reply")
        metric = Metric(name, None if baseline else GOAL_MS, "ms", judge="max")
        for _ in range(args.runs):
            for shape, work in shapes:
                worst, outcome = await stall(work)
                metric.add(worst)
                log(f"{vendor:24} {shape:16} worst stall {worst:8.1f} ms ({outcome})")
        metrics.append(metric)
    finish(metrics)


if __name__ == "__main__":
    asyncio.run(main())
