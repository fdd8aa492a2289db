from __future__ import annotations

import os
from pathlib import Path

import pytest

from alarmtui.settings import SettingsError, VerisureConfig, load_settings, write_config

GOOD = """
theme = "nord"

[[providers]]
name = "casa"
kind = "verisure"
url = "https://127.0.0.1:12010"
username = "ana"
password = "s3cret-pass"
installation = "2423443"
country = "es"
language = "ES"

[[providers]]
name = "vera"
kind = "mios"
url = "https://127.0.0.1:9000/"
username = "demo"
password = "pw"
code = "1234"
"""


def write(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_loads_providers_of_each_kind_with_their_own_fields(tmp_path: Path) -> None:
    loaded = load_settings(write(tmp_path, GOOD))
    casa, vera = loaded.settings.providers
    assert isinstance(casa, VerisureConfig)
    assert (casa.country, casa.language, casa.installation, casa.panel) == ("ES", "es", "2423443", "SDVFAST")
    assert vera.kind == "mios" and vera.url == "https://127.0.0.1:9000"
    assert vera.code is not None and vera.code.get_secret_value() == "1234"
    assert loaded.settings.theme == "nord"
    assert loaded.warnings == []


def test_secrets_never_show_in_repr_or_str(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, GOOD)).settings
    text = repr(settings) + str(settings) + settings.model_dump_json()
    assert "s3cret-pass" not in text and "1234" not in text


def test_world_readable_file_with_passwords_warns(tmp_path: Path) -> None:
    loaded = load_settings(write(tmp_path, GOOD, 0o644))
    assert len(loaded.warnings) == 1
    assert "chmod 600" in loaded.warnings[0] and "config.toml" in loaded.warnings[0]


def test_validation_error_names_file_and_field(tmp_path: Path) -> None:
    bad = GOOD.replace('url = "https://127.0.0.1:12010"', 'url = "127.0.0.1:12010"').replace('code = "1234"', 'code = "12a4"')
    with pytest.raises(SettingsError) as info:
        load_settings(write(tmp_path, bad))
    message = str(info.value)
    assert str(tmp_path / "config.toml") in message
    assert 'providers "casa".url' in message and "http" in message  # named, not numbered
    assert 'providers "vera".code' in message and "digits" in message
    assert "12a4" not in message


def test_unknown_kind_and_unknown_setting_are_named(tmp_path: Path) -> None:
    text = GOOD.replace('kind = "mios"', 'kind = "ring"').replace('theme = "nord"', 'theme = "nord"\ncolour = "red"')
    with pytest.raises(SettingsError) as info:
        load_settings(write(tmp_path, text))
    message = str(info.value)
    assert 'providers "vera": kind must be one of verisure, visonic, mios' in message
    assert "colour: unknown setting" in message


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="repeated: casa"):
        load_settings(write(tmp_path, GOOD.replace('name = "vera"', 'name = "casa"')))


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(write(tmp_path, "providers = [[["))
    with pytest.raises(SettingsError, match="config file not found"):
        load_settings(tmp_path / "nope.toml")


def test_env_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, GOOD)
    monkeypatch.setenv("ALARMTUI_THEME", "gruvbox")
    monkeypatch.setenv("ALARMTUI_CASA_PASSWORD", "from-env")
    monkeypatch.setenv("ALARMTUI_CONFIG", str(path))
    settings = load_settings().settings
    assert settings.theme == "gruvbox"
    assert settings.provider("casa").password.get_secret_value() == "from-env"


def test_default_path_is_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    xdg = Path(os.environ["XDG_CONFIG_HOME"]) / "alarmtui" / "config.toml"
    xdg.parent.mkdir(parents=True)
    xdg.write_text(GOOD)
    xdg.chmod(0o600)
    assert load_settings().path == xdg
    # No file at all is fine when not required: an empty configuration.
    xdg.unlink()
    assert load_settings().settings.providers == []


def test_write_config_round_trips_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "out" / "config.toml"
    write_config(path, [{"name": "q\"uote", "kind": "visonic", "url": "https://127.0.0.1:1", "username": "u", "password": "p\\w", "code": "1234", "verify_tls": True}])
    assert path.stat().st_mode & 0o777 == 0o600
    provider = load_settings(path).settings.providers[0]
    assert provider.name == 'q"uote' and provider.password.get_secret_value() == "p\\w"


def test_ca_file_must_exist(tmp_path: Path) -> None:
    text = GOOD.replace('language = "ES"', f'language = "ES"\nca_file = "{tmp_path / "missing.pem"}"')
    with pytest.raises(SettingsError, match="ca_file"):
        load_settings(write(tmp_path, text))


def test_photo_quality_is_inherited_unless_a_provider_sets_its_own(tmp_path: Path) -> None:
    text = GOOD.replace('theme = "nord"', 'photo_quality = "high"').replace('code = "1234"', 'code = "1234"\nphoto_quality = "low"')
    casa, vera = load_settings(write(tmp_path, text)).settings.providers
    assert casa.photo_quality == "high"
    assert vera.photo_quality == "low"


def test_unknown_provider_field_suggests_the_closest(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(write(tmp_path, GOOD.replace('username = "demo"', 'usernme = "demo"')))
    assert 'providers "vera": unknown field "usernme" — did you mean "username"?' in str(info.value)
