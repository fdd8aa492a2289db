"""`[mqtt]` and `[metrics]` in the config: off unless present, validated with the field named, the password hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from alarmtui.settings import SettingsError, load_settings


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def test_bridges_are_off_unless_configured(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path / "c.toml", "")).settings
    assert settings.mqtt is None and settings.metrics is None


def test_mqtt_and_metrics_settings(tmp_path: Path) -> None:
    text = '[mqtt]\nurl = "mqtts://broker.lan:8883"\nusername = "u"\npassword = "hunter2"\n\n[metrics]\n'
    loaded = load_settings(write(tmp_path / "c.toml", text, 0o644))
    mqtt = loaded.settings.mqtt
    assert mqtt is not None and mqtt.discovery_prefix == "homeassistant" and mqtt.base_topic == "alarmtui"
    assert "hunter2" not in repr(loaded.settings) and mqtt.password is not None
    assert loaded.settings.metrics is not None and loaded.settings.metrics.listen == "127.0.0.1:9877"
    assert any("chmod 600" in warning for warning in loaded.warnings)  # it holds the broker's password


@pytest.mark.parametrize(
    ("table", "field"),
    [
        ('[mqtt]\nurl = "http://broker"\n', "mqtt.url"),
        ('[mqtt]\nbase_topic = "alarm/#"\n', "mqtt.base_topic"),
        ('[metrics]\nlisten = "9877"\n', "metrics.listen"),
        ('[mqtt]\nhost = "x"\n', "mqtt"),
    ],
)
def test_mistakes_name_the_field(tmp_path: Path, table: str, field: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(write(tmp_path / "c.toml", table))
    assert field in str(raised.value)


def test_the_broker_password_is_not_in_the_config_fingerprint(tmp_path: Path) -> None:
    from alarmtui.engine.endpoint import config_fingerprint

    one = write(tmp_path / "one.toml", '[mqtt]\nusername = "u"\npassword = "first"\n')
    two = write(tmp_path / "two.toml", '[mqtt]\nusername = "u"\npassword = "second"\n')
    other = write(tmp_path / "other.toml", '[mqtt]\nusername = "v"\npassword = "first"\n')
    assert config_fingerprint(one) == config_fingerprint(two) != config_fingerprint(other)
