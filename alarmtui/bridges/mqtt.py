"""The MQTT bridge: the engine's state on a broker, with Home Assistant discovery; commands back through the engine.

A subscriber of the engine like the journal and the notifier. `feed` (the engine's callback) only
marks a provider as changed and wakes the publisher, so a slow or absent broker never holds up a
poller. The publisher sends what changed, retained, from the engine's cached state; after every
(re)connect it sends everything again. Commands arrive on `<base>/<provider>/partition/<id>/set`
(and `/lock/<id>/set`), subscribed at QoS 0 so the broker hands each at most once, and go to
`Engine.submit` exactly once with origin "via MQTT"; a retained command is never obeyed (it would
be replayed on every reconnect). The code typed in Home Assistant is compared with the configured
one here (or handed to the panel where only the panel knows it); a wrong code is refused with a
published reason and nothing is sent. No credential is ever logged or published.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import ssl
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import aiomqtt

from alarmtui.bridges.homeassistant import OFFLINE, ONLINE, Discovery, Topics, discovery, state_messages, topic_id
from alarmtui.domain import ArmMode, Capability, Command, CommandAction, CommandResult
from alarmtui.domain.changes import command_outcome_state, command_outcome_text
from alarmtui.domain.model import ARM_CAPABILITY
from alarmtui.domain.text import clean_text
from alarmtui.domain.updates import CommandBusy, CommandUpdate, PollerUpdate
from alarmtui.engine.base import Engine

log = logging.getLogger(__name__)

ORIGIN = "via MQTT"
"""Who asked, as the journal and the notifications say it."""
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
"""Seconds between attempts to reach the broker, growing while it stays away."""
WRONG_CODES_ALLOWED = 5
WRONG_CODE_WINDOW = 600.0
"""After this many wrong codes for a provider within this many seconds, its commands from MQTT are refused
until the window has passed (anyone on the broker may try codes; the other views are not affected)."""
ARM_ACTIONS = {
    "ARM_AWAY": ArmMode.AWAY,
    "ARM_HOME": ArmMode.HOME,
    "ARM_NIGHT": ArmMode.NIGHT,
    "ARM_CUSTOM_BYPASS": ArmMode.PERIMETER,
}


class MqttBridge:
    """Publishes the engine's state to a broker and takes commands from it."""

    def __init__(
        self,
        engine: Engine,
        *,
        url: str,
        codes: Mapping[str, str | None],
        username: str | None = None,
        password: str | None = None,
        ca_file: str | None = None,
        discovery_prefix: str = "homeassistant",
        base_topic: str = "alarmtui",
        backoff: tuple[float, ...] = BACKOFF,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        parts = urlsplit(url)
        self.tls = parts.scheme == "mqtts"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (8883 if self.tls else 1883)
        self._username = username
        self._password = password
        self._ca_file = ca_file
        self._codes = dict(codes)
        """Provider -> its configured code (None: none configured). Compared, never published."""
        self.prefix = discovery_prefix
        self.base = base_topic
        self.bridge_status = f"{base_topic}/status"
        self.backoff = backoff
        self._clock = clock
        self._wrong_codes: dict[str, list[float]] = {}
        """Provider -> when wrong codes were typed (within the window)."""
        self._dirty: set[str] = set(engine.providers)
        self._results: list[tuple[str, str]] = []
        """(topic, payload) command outcomes waiting to be published."""
        self._published: dict[str, str] = {}
        """What the broker holds from us since this connection (topic -> payload)."""
        self._commands: dict[str, tuple[str, str, str]] = {}
        """Command topic -> (provider, "partition" | "lock", partition or zone id)."""
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.connected = False
        self.connections = 0
        """Successful connections so far (tests, the log)."""
        self._unsubscribe = engine.subscribe(self.feed)

    @classmethod
    def from_settings(cls, engine: Engine, settings: Any) -> MqttBridge:
        from alarmtui.redaction import register_secrets

        config = settings.mqtt
        password = config.password.get_secret_value() if config.password is not None else None
        register_secrets(password)  # whatever logs it by mistake (paho, aiomqtt) shows *** instead
        codes = {p.name: p.code.get_secret_value() if p.code is not None else None for p in settings.providers}
        return cls(
            engine,
            url=config.url,
            codes=codes,
            username=config.username,
            password=password,
            ca_file=str(config.ca_file) if config.ca_file else None,
            discovery_prefix=config.discovery_prefix,
            base_topic=config.base_topic,
        )

    def describe(self) -> str:
        """Where to, for the log: never the credentials."""
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"

    # -- life

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="alarmtui-mqtt")

    async def close(self, timeout: float = 3.0) -> None:
        """Say "offline" (retained) if connected, then disconnect."""
        self._unsubscribe()
        self._stopping.set()
        self._wake.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        except (TimeoutError, asyncio.CancelledError):
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task

    # -- from the engine (cheap, synchronous, never blocks a poller)

    def feed(self, update: PollerUpdate) -> None:
        self._dirty.add(update.provider)
        if isinstance(update, CommandUpdate) and update.result is not None:
            self._results.append(self._result_message(update.provider, update.command, update.result))
        self._wake.set()

    # -- the connection

    async def _run(self) -> None:
        attempt = 0
        while not self._stopping.is_set():
            try:
                await self._session()
                attempt = 0
            except aiomqtt.MqttError as exc:
                if self.connected:
                    attempt = 0  # it was up: start the back-off afresh
                    log.warning("mqtt: lost the broker at %s: %s", self.describe(), exc)
                else:
                    log.warning("mqtt: cannot reach the broker at %s: %s", self.describe(), exc)
            except Exception:  # a bug here must not end the bridge for good
                log.exception("mqtt: the bridge failed; reconnecting")
            finally:
                self.connected = False
            if self._stopping.is_set():
                break
            delay = self.backoff[min(attempt, len(self.backoff) - 1)]
            attempt += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)

    def _client(self) -> aiomqtt.Client:
        tls_context = None
        if self.tls:
            tls_context = ssl.create_default_context(cafile=self._ca_file)
        return aiomqtt.Client(
            self.host,
            self.port,
            username=self._username,
            password=self._password,
            identifier=f"alarmtui-{topic_id(self.base)}-{os.getpid()}",
            will=aiomqtt.Will(self.bridge_status, OFFLINE, qos=1, retain=True),
            tls_context=tls_context,
            timeout=10.0,
            keepalive=30,
        )

    async def _session(self) -> None:
        async with self._client() as client:
            self.connected = True
            self.connections += 1
            log.info("mqtt: connected to %s", self.describe())
            self._published.clear()
            self._dirty.update(self.engine.providers)
            await client.subscribe(f"{self.prefix}/status", qos=1)
            # QoS 0: the broker delivers each command at most once (a QoS 1 redelivery could arm twice).
            await client.subscribe(f"{self.base}/+/partition/+/set", qos=0)
            await client.subscribe(f"{self.base}/+/lock/+/set", qos=0)
            await client.publish(self.bridge_status, ONLINE, qos=1, retain=True)
            self._wake.set()  # everything again now, not at the next update (which may be an hour away)
            receiver = asyncio.create_task(self._receive(client))
            publisher = asyncio.create_task(self._publish_loop(client))
            done, pending = await asyncio.wait({receiver, publisher}, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
                    await task
            for task in done:
                task.result()  # raises what ended it (a lost broker)
            if self._stopping.is_set():
                await client.publish(self.bridge_status, OFFLINE, qos=1, retain=True)
                log.info("mqtt: said offline to %s", self.describe())

    async def _publish_loop(self, client: aiomqtt.Client) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._publish_changes(client)
            if self._stopping.is_set():
                return

    async def _publish_changes(self, client: aiomqtt.Client) -> None:
        dirty, self._dirty = self._dirty, set()
        for name in dirty:
            info = self.engine.providers.get(name)
            state = self.engine.states.get(name)
            if info is None or state is None:
                continue
            found = self.discovery_for(name)
            if found is not None:
                await self._send(client, found.topic, json.dumps(found.payload, separators=(",", ":"), ensure_ascii=False))
            for topic, payload in state_messages(info, state, base=self.base).items():
                await self._send(client, topic, payload)
        for topic, payload in self.take_results():
            await self._send(client, topic, payload, force=True)

    def discovery_for(self, name: str) -> Discovery | None:
        """The provider's discovery message now (None before its first read); its command topics are learned."""
        info = self.engine.providers.get(name)
        state = self.engine.states.get(name)
        if info is None or state is None or state.snapshot is None:
            return None
        found = discovery(info, state.snapshot, base=self.base, prefix=self.prefix, bridge_status=self.bridge_status)
        for topic, (kind, target) in found.commands.items():
            self._commands[topic] = (name, kind, target)
        return found

    def take_results(self) -> list[tuple[str, str]]:
        """The command outcomes and refusals not yet published, oldest first."""
        results, self._results = self._results, []
        return results

    async def _send(self, client: aiomqtt.Client, topic: str, payload: str, *, force: bool = False) -> None:
        if not force and self._published.get(topic) == payload:
            return
        await client.publish(topic, payload, qos=1, retain=True)
        self._published[topic] = payload

    async def _receive(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            topic = str(message.topic)
            payload = (
                message.payload.decode("utf-8", "replace")
                if isinstance(message.payload, bytes | bytearray)
                else str(message.payload or "")
            )
            if topic == f"{self.prefix}/status":
                if payload.strip().lower() == "online":
                    log.info("mqtt: Home Assistant came online; sending discovery again")
                    self._published.clear()  # everything again: discovery first, then the states
                    self._dirty.update(self.engine.providers)
                    self._wake.set()
                continue
            if message.retain:
                log.warning("mqtt: ignored a retained command on %s (it would be obeyed again on every reconnect)", topic)
                continue
            self.command(topic, payload)

    # -- commands

    def command(self, topic: str, payload: str) -> None:
        """Carry out one command message: check it, then submit it to the engine exactly once."""
        target = self._commands.get(topic)
        if target is None:
            log.warning("mqtt: a command on %s, which names no partition or lock alarmtui knows", topic)
            return
        provider, kind, target_id = target
        action, code = parse_command(payload)
        built = self._build(provider, kind, target_id, action, code)
        del code
        if isinstance(built, str):
            log.warning("mqtt: %s %s on %s refused: %s", provider, action or "(no action)", target_id, built)
            self._refuse(provider, action, target_id, built)
            return
        log.info("mqtt: %s: %s requested %s", provider, built.describe(), ORIGIN)
        try:
            future = self.engine.submit(provider, built, origin=ORIGIN)
        except CommandBusy as exc:
            self._refuse(provider, action, target_id, f"busy: {exc}")
            return
        future.add_done_callback(lambda done: self._after(provider, action, target_id, done))

    def _build(self, provider: str, kind: str, target: str, action: str, code: str | None) -> Command | str:
        """The command, or why it is refused (nothing sent)."""
        info = self.engine.providers.get(provider)
        snapshot = self.engine.states[provider].snapshot if info is not None else None
        if info is None or snapshot is None:
            return "the panel has not been read yet"
        configured = self._codes.get(provider)
        if configured is not None:
            now = self._clock()
            recent = [t for t in self._wrong_codes.get(provider, []) if now - t < WRONG_CODE_WINDOW]
            self._wrong_codes[provider] = recent
            if len(recent) >= WRONG_CODES_ALLOWED:
                wait = WRONG_CODE_WINDOW - (now - recent[0])
                return f"too many wrong codes; commands from MQTT are refused for {wait / 60:.0f} more minutes"
            if code is None or not hmac.compare_digest(code.encode(), configured.encode()):
                recent.append(now)
                return "wrong code"
        elif info.needs_code:
            if not code:
                return "this panel needs its code"
        else:
            code = None  # no code in play: nothing typed is passed on
        if kind == "lock":
            zone = snapshot.zone(target)
            wanted = {"LOCK": CommandAction.LOCK, "UNLOCK": CommandAction.UNLOCK}.get(action)
            if wanted is None:
                return f"unknown lock action {action!r}"
            if not snapshot.available_now(Capability.LOCK):
                return snapshot.why_unavailable(Capability.LOCK)
            return Command(wanted, zone=target, code=code, label=zone.name if zone else target)
        partition = snapshot.partition(target)
        if partition is None:
            return "the panel no longer has this partition"
        whole_panel = Capability.PARTITION_COMMANDS not in snapshot.capabilities
        label = (snapshot.panel_name or provider) if whole_panel else partition.name
        where = None if whole_panel else partition.id
        if action == "DISARM":
            if not snapshot.available_now(Capability.DISARM) and Capability.DISARM in snapshot.capabilities:
                return snapshot.why_unavailable(Capability.DISARM)
            return Command(CommandAction.DISARM, partition=where, code=code, label=label)
        mode = ARM_ACTIONS.get(action)
        if mode is None:
            return f"alarmtui does not offer {action or 'an empty action'!r}"
        capability = ARM_CAPABILITY[mode]
        if not snapshot.available_now(capability):
            return snapshot.why_unavailable(capability)
        return Command(CommandAction.ARM, mode=mode, partition=where, code=code, label=label)

    def _after(self, provider: str, action: str, target: str, done: asyncio.Future[CommandResult]) -> None:
        if done.cancelled():
            return
        error = done.exception()
        if isinstance(error, CommandBusy):
            self._refuse(provider, action, target, f"busy: {error}")
        elif error is not None:
            self._refuse(provider, action, target, f"not sent: {clean_text(error, 200)}")
        # A result is published from the engine's CommandUpdate (the same for every view's commands).

    def _refuse(self, provider: str, action: str, target: str, reason: str) -> None:
        topic = Topics(self.base, provider).command_result
        payload = {
            "action": clean_text(action, 40).lower(),
            "target": clean_text(target, 80),
            "outcome": "refused",
            "message": clean_text(reason, 200),
            "origin": ORIGIN,
            "time": datetime.now(UTC).isoformat(),
        }
        self._results.append((topic, json.dumps(payload, separators=(",", ":"), ensure_ascii=False)))
        self._wake.set()

    def _result_message(self, provider: str, command: Command, result: CommandResult) -> tuple[str, str]:
        payload = {
            "action": command.action.value if command.mode is None else f"{command.action.value}_{command.mode.value}",
            "target": clean_text(command.partition or command.zone or "", 80),
            "outcome": command_outcome_state(result),
            "message": command_outcome_text(result),
            "origin": "",
            "time": datetime.now(UTC).isoformat(),
        }
        return Topics(self.base, provider).command_result, json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def parse_command(payload: str) -> tuple[str, str | None]:
    """(action, code) from `{"action": ..., "code": ...}` (our command template) or a bare action ("ARM_AWAY")."""
    text = payload.strip()
    action, code = text, None
    if text.startswith("{"):
        try:
            body = json.loads(text)
        except ValueError:
            return "", None
        if not isinstance(body, dict):
            return "", None
        action = str(body.get("action") or "")
        raw = body.get("code")
        code = str(raw) if raw not in (None, "", "None") else None
    return action.strip().upper()[:40], code
