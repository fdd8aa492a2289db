"""The MQTT bridge end to end: `alarmtui serve` over the simulated clouds, a real Mosquitto, a client listening as Home
Assistant does."""

from __future__ import annotations

import json
from pathlib import Path

from alarmtui.bridges.homeassistant import topic_id
from alarmtui.demo import DemoEnvironment
from alarmtui.journal.store import JournalReader, default_journal_path
from alarmtui.settings import write_config
from tests.bridges.conftest import Broker, HomeAssistant, Topics, home_assistant
from tests.bridges.ha_schema import check_device_discovery
from tests.service.conftest import ServiceProcess, run_cli

PROVIDERS = {"casa", "powermaster", "vera", "hogar", "villa"}


def status_json(service: ServiceProcess, config: Path) -> dict[str, dict[str, object]]:
    result = run_cli("status", "--json", "--config", str(config), env=service.env)
    assert result.returncode == 0, result.stderr
    return {p["name"]: p for p in json.loads(result.stdout)["providers"]}


def set_state_posts(demo: DemoEnvironment) -> int:
    return sum(1 for method, path in demo.host.cloud("visonic").requests if method == "POST" and path.endswith("/set_state"))  # type: ignore[attr-defined]


def components(ha: HomeAssistant, provider: str) -> dict[str, dict[str, object]]:
    payload = json.loads(ha.retained[f"{ha.topics.prefix}/device/alarmtui_{topic_id(provider)}/config"])
    return payload["components"]


async def test_discovery_for_every_partition_and_zone_and_retained_state_matches_status(
    mqtt_service: ServiceProcess, mqtt_config_file: Path, broker: Broker, topics: Topics
) -> None:
    async with home_assistant(broker, topics) as first:
        await first.until(lambda: len(first.discovery()) == len(PROVIDERS), what="a discovery message per provider")
        await first.until(lambda: all(first.retained.get(f"{topics.base}/{p}/availability") == "online" for p in PROVIDERS))
    status = status_json(mqtt_service, mqtt_config_file)
    # A Home Assistant that starts now gets everything from what the broker retained.
    async with home_assistant(broker, topics) as ha:
        await ha.until(lambda: len(ha.discovery()) == len(PROVIDERS) and ha.retained.get(f"{topics.base}/status") == "online")
        for topic, raw in ha.discovery().items():
            assert check_device_discovery(topic, json.loads(raw), topics.prefix) == []
        named = {
            c["state_topic"]
            for raw in ha.discovery().values()
            for key, c in json.loads(raw)["components"].items()
            if key not in ("last_command", "last_event")  # unknown until a command is sent, an event read
        }
        await ha.until(lambda: named <= set(ha.retained), what="every state topic discovery names, retained")
        for name, entry in status.items():
            found = components(ha, name)
            platforms = {key: c["platform"] for key, c in found.items()}
            for partition in entry["partitions"]:  # type: ignore[union-attr]
                key = f"partition_{topic_id(partition['id'])}"
                assert platforms[key] == "alarm_control_panel"
                state_topic = found[key]["state_topic"]
                await ha.until(lambda t=state_topic: t in ha.retained, what=state_topic)
                expected = "None" if partition["state"] == "unknown" else partition["state"]
                assert ha.retained[state_topic] == expected, (name, partition)
            for zone in entry["zones"]:  # type: ignore[union-attr]
                zid = topic_id(zone["id"])
                platform = {"lock": "lock", "climate": "sensor"}.get(zone["kind"], "binary_sensor")
                keys = [k for k in found if k.endswith(f"_{zid}") and found[k]["platform"] == platform]
                assert keys, (name, zone)
                if platform == "binary_sensor" and zone["kind"] in ("contact", "motion", "camera"):
                    state = ha.retained[found[keys[0]]["state_topic"]]  # type: ignore[index]
                    assert state == {True: "ON", False: "OFF", None: "None"}[zone["open"]], (name, zone)
            assert ha.retained[f"{topics.base}/{name}/troubles/state"] == str(len(entry["troubles"]))  # type: ignore[arg-type]
        # The classes Home Assistant shows: doors, motion, smoke where the demo houses have them.
        classes = {c.get("device_class") for name in PROVIDERS for c in components(ha, name).values()}
        assert {"door", "motion", "smoke"} <= classes
        # What a code needs: checked by alarmtui where configured, none asked where the panel needs none.
        assert (
            components(ha, "powermaster")["partition_" + topic_id(status["powermaster"]["partitions"][0]["id"])]["code"]
            == "REMOTE_CODE"
        )  # type: ignore[index]
        casa = next(c for c in components(ha, "casa").values() if c["platform"] == "alarm_control_panel")
        assert "code" not in casa and casa["code_arm_required"] is False
        # No credential in any topic or payload.
        secrets = {"demo-pass", "1234"}
        text = " ".join(f"{t} {p}" for t, p in ha.retained.items())
        assert not any(secret in text for secret in secrets if secret != "1234") and '"code":"1234"' not in text
    assert mqtt_service.terminate() == 0


async def test_arm_from_the_command_topic_checks_the_code_and_arms_once(
    mqtt_service: ServiceProcess, mqtt_config_file: Path, broker: Broker, topics: Topics, demo: DemoEnvironment
) -> None:
    async with home_assistant(broker, topics) as ha:
        await ha.until(lambda: f"{topics.prefix}/device/alarmtui_powermaster/config" in ha.retained)
        panel = next(c for c in components(ha, "powermaster").values() if c["platform"] == "alarm_control_panel")
        await ha.until(lambda: ha.retained.get(panel["state_topic"]) == "disarmed", what="disarmed")  # type: ignore[arg-type]
        result_topic = f"{topics.base}/powermaster/command/result"
        before = set_state_posts(demo)

        await ha.publish(panel["command_topic"], json.dumps({"action": "ARM_AWAY", "code": "0000"}))  # type: ignore[arg-type]
        await ha.until(lambda: result_topic in ha.retained, what="the refusal")
        refusal = json.loads(ha.retained[result_topic])
        assert refusal["outcome"] == "refused" and "wrong code" in refusal["message"]
        assert "0000" not in ha.retained[result_topic]
        assert set_state_posts(demo) == before  # nothing reached the panel

        # A retained command is never obeyed (it would be replayed at every reconnect).
        await ha.publish(panel["command_topic"], json.dumps({"action": "ARM_AWAY", "code": "1234"}), retain=True)  # type: ignore[arg-type]
        await ha.publish(panel["command_topic"], "", retain=True)  # type: ignore[arg-type]  # clear it from the broker

        await ha.publish(panel["command_topic"], json.dumps({"action": "ARM_AWAY", "code": "1234"}))  # type: ignore[arg-type]
        await ha.until(lambda: ha.retained.get(panel["state_topic"]) in ("arming", "armed_away"), what="arming")  # type: ignore[arg-type]
        await ha.until(
            lambda: json.loads(ha.retained[result_topic])["outcome"] in ("accepted", "done"), what="the command's outcome"
        )
        await ha.until(lambda: ha.retained.get(panel["state_topic"]) == "armed_away", what="armed away")  # type: ignore[arg-type]
        assert set_state_posts(demo) == before + 1
    assert mqtt_service.terminate() == 0
    assert set_state_posts(demo) == before + 1
    journal = JournalReader(default_journal_path())
    try:
        commands = journal.search(kinds=["command"], providers=["powermaster"])
    finally:
        journal.close()
    assert [c.who for c in commands] == ["via MQTT"], commands


async def test_availability_offline_when_the_service_stops_or_dies(
    mqtt_service: ServiceProcess, broker: Broker, topics: Topics
) -> None:
    async with home_assistant(broker, topics) as ha:
        status = f"{topics.base}/status"
        await ha.until(lambda: ha.retained.get(status) == "online", what="online")
        assert mqtt_service.terminate() == 0
        await ha.until(lambda: ha.retained.get(status) == "offline", what="offline after SIGTERM")
        mqtt_service.start()
        await ha.until(lambda: ha.retained.get(status) == "online", what="online again")
        mqtt_service.kill()  # no goodbye: the broker publishes the last will
        await ha.until(lambda: ha.retained.get(status) == "offline", what="the last will")


async def test_discovery_sent_again_when_home_assistant_comes_online(
    mqtt_service: ServiceProcess, broker: Broker, topics: Topics
) -> None:
    async with home_assistant(broker, topics) as ha:
        await ha.until(lambda: len(ha.discovery()) == len(PROVIDERS), what="discovery")
        seen = len(ha.log)
        await ha.publish(f"{topics.prefix}/status", "online")
        await ha.until(
            lambda: (
                {t for t, _, retain in ha.log[seen:] if t.startswith(f"{topics.prefix}/device/") and not retain}
                == set(ha.discovery())
            ),
            what="discovery again",
        )
    assert mqtt_service.terminate() == 0


async def refresh(service: ServiceProcess, provider: str) -> None:
    """Ask the service for one read now, as the dashboard's `r` does (its next poll would find the same, later)."""
    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=str(service.socket))) as session:
        async with session.post("http://alarmtui/v1/refresh", json={"provider": provider}):
            pass  # a hurry, not the check: the state is waited for below either way


async def test_an_offline_panel_is_unavailable(
    mqtt_service: ServiceProcess, broker: Broker, topics: Topics, demo: DemoEnvironment
) -> None:
    import asyncio

    async with home_assistant(broker, topics) as ha:
        topic = f"{topics.base}/powermaster/availability"
        await ha.until(lambda: ha.retained.get(topic) == "online", what="online")
        await asyncio.to_thread(demo.scenario, "visonic", "outage_start")
        await refresh(mqtt_service, "powermaster")
        await ha.until(lambda: ha.retained.get(topic) == "offline", what="offline", timeout=30)
        await asyncio.to_thread(demo.scenario, "visonic", "outage_end")
        await refresh(mqtt_service, "powermaster")
        await ha.until(lambda: ha.retained.get(topic) == "online", what="online again", timeout=30)
    assert mqtt_service.terminate() == 0


async def test_the_bridge_reconnects_when_the_broker_comes_back(
    demo: DemoEnvironment, short_dir: Path, service_env: dict[str, str], topics: Topics
) -> None:
    from tests.bridges.conftest import free_port, mqtt_config, start_mosquitto, stop_mosquitto

    own = start_mosquitto(short_dir, free_port())
    tables = [t for t in demo.host.provider_tables() if t["kind"] == "visonic"]
    for table in tables:
        table["poll_interval"] = 3600.0  # no update to wake the bridge: it must send everything on reconnecting
    config = mqtt_config(tables, short_dir / "reconnect.toml", own, topics)
    proc = ServiceProcess(config, service_env, short_dir / "reconnect.log").start()
    try:
        async with home_assistant(own, topics) as ha:
            await ha.until(lambda: len(ha.discovery()) == 1, what="discovery")
        stop_mosquitto(own)  # a new broker with nothing retained (no persistence)
        own = start_mosquitto(short_dir, own.port)
        async with home_assistant(own, topics) as ha:
            await ha.until(
                lambda: len(ha.discovery()) == 1 and ha.retained.get(f"{topics.base}/status") == "online", what="everything again"
            )
            await ha.until(lambda: ha.retained.get(f"{topics.base}/powermaster/availability") == "online", what="available")
        assert proc.process is not None and proc.process.poll() is None  # the service never noticed
        assert "lost the broker" in proc.log.read_text()
    finally:
        assert proc.terminate() == 0
        stop_mosquitto(own)


async def test_mqtts_with_a_private_ca_and_a_password_that_is_never_logged_or_published(
    demo: DemoEnvironment, short_dir: Path, service_env: dict[str, str], topics: Topics
) -> None:
    import ssl
    import subprocess

    import trustme

    from tests.bridges.conftest import free_port, start_mosquitto, stop_mosquitto

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ca_file, cert_file, key_file = short_dir / "ca.pem", short_dir / "broker.pem", short_dir / "broker.key"
    ca.cert_pem.write_to_path(str(ca_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    secret = "s3cret-broker-pass"
    passwords = short_dir / "passwords"
    passwords.write_text("")
    subprocess.run(["mosquitto_passwd", "-b", str(passwords), "alarmtui", secret], check=True)
    tls = start_mosquitto(short_dir, free_port(), extra=f"certfile {cert_file}\nkeyfile {key_file}\npassword_file {passwords}\n")
    tables = [t for t in demo.host.provider_tables() if t["kind"] == "visonic"]
    config = short_dir / "tls.toml"
    write_config(config, tables)
    with config.open("a") as fh:
        fh.write(
            f'\n[mqtt]\nurl = "mqtts://127.0.0.1:{tls.port}"\nca_file = "{ca_file}"\nusername = "alarmtui"\npassword = "{secret}"\n'
            f'discovery_prefix = "{topics.prefix}"\nbase_topic = "{topics.base}"\n'
        )
    proc = ServiceProcess(config, service_env, short_dir / "tls.log").start()
    try:
        context = ssl.create_default_context(cafile=str(ca_file))
        async with home_assistant(tls, topics, tls_context=context, username="alarmtui", password=secret) as ha:
            await ha.until(lambda: len(ha.discovery()) == 1, what="discovery over TLS")
            await ha.until(lambda: ha.retained.get(f"{topics.base}/powermaster/availability") == "online", what="online")
            assert not any(secret in f"{t} {p}" for t, p in ha.retained.items())
    finally:
        assert proc.terminate() == 0
        stop_mosquitto(tls)
    log = proc.log.read_text()
    assert "connected to mqtts://127.0.0.1" in log and secret not in log
