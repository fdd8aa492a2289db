"""Configuration: a TOML file at the XDG config path, `ALARMTUI_` env overrides.

Precedence (highest first): keyword arguments, `ALARMTUI_*` environment
variables, the TOML file, defaults. Secrets are `SecretStr` and never printed.
Per-provider secrets can also come from the environment as
`ALARMTUI_<NAME>_PASSWORD` and `ALARMTUI_<NAME>_CODE` (NAME upper-cased, other
characters as `_`), so the file need not hold them at all.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import tomllib
import uuid
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from alarmtui.timespec import parse_duration

CONFIG_ENV = "ALARMTUI_CONFIG"
OFFLINE_GRACE_SECONDS = 180.0
"""Visonic: how long every link may be down before the panel shows offline (a check-in gap lasts ~90 s)."""


def default_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "alarmtui" / "config.toml"


class SettingsError(Exception):
    """The configuration is unusable; the message names the file and field."""


# --------------------------------------------------------------------------- providers


class _ProviderBase(BaseModel):
    # defer_build: a kind's validator is built the first time a table of that kind is validated,
    # so start-up pays only for the kinds configured (see PROVIDER_CONFIGS).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    name: str = Field(min_length=1, max_length=40)
    """A short name shown in the dashboard and used with `--provider`."""
    url: str
    """Base URL of the vendor's cloud (the simulator prints these)."""
    username: str = Field(min_length=1)
    """Account login (email or user name)."""
    password: SecretStr
    """Account password. May instead come from ALARMTUI_<NAME>_PASSWORD."""
    code: SecretStr | None = None
    """User code / PIN for panel operations, if the panel needs one. Leave it out to be asked."""
    verify_tls: bool = True
    """Verify the server's TLS certificate. Turn off only for a server you trust."""
    ca_file: Path | None = None
    """A CA bundle to trust for this provider (e.g. the simulator's, written by `alarmtui sim --tls`)."""
    poll_interval: float = Field(default=30.0, ge=1.0, le=3600.0)
    """Seconds between steady-state polls."""
    refresh_interval: float = Field(default=1800.0, ge=30.0, le=86400.0)
    """Seconds between full (panel-visible) refreshes."""
    enabled: bool = True
    request_budget: int | None = Field(default=None, ge=10, le=100_000)
    """Most vendor requests per hour; polls stretch to stay under it. Default per kind (Verisure 60)."""
    photo_quality: Literal["low", "medium", "high"] | None = None
    """Camera resolution to ask for, where the vendor offers a choice (Vera). Default: the top-level setting."""

    @field_validator("url")
    @classmethod
    def _url_has_scheme(cls, value: str) -> str:
        value = value.strip()
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http:// or https:// URL, e.g. https://127.0.0.1:8443")
        return value.rstrip("/")

    @field_validator("code")
    @classmethod
    def _code_is_digits(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[0-9]{1,12}", value.get_secret_value()):
            raise ValueError("must be 1 to 12 digits")
        return value

    @model_validator(mode="after")
    def _ca_file_exists(self) -> _ProviderBase:
        if self.ca_file is not None and not self.ca_file.is_file():
            raise ValueError(f"ca_file {self.ca_file} does not exist")
        return self


class VerisureConfig(_ProviderBase):
    kind: Literal["verisure"]
    installation: str | None = None
    """Installation number (numinst). Default: the account's first installation."""
    country: str = "ES"
    """Country code, upper case (ES, IT, FR, GB, PT)."""
    language: str = "es"
    """Message language, lower case (es, it, fr, en, pt)."""
    panel: str = "SDVFAST"
    """Panel type sent with panel operations; read from the installation list when available."""
    poll_interval: float = Field(default=60.0, ge=10.0, le=3600.0)
    """Seconds between activity-log polls (ACT_V2 does not wake the panel)."""
    step2_interval: float = Field(default=1.0, ge=0.0, le=30.0)
    """Seconds between the step-2 polls of an operation, until the panel has answered (pysecuritas: 1 s)."""

    @field_validator("country")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("language")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class VisonicConfig(_ProviderBase):
    kind: Literal["visonic"]
    panel_serial: str | None = None
    """Panel serial. Default: the account's first panel."""
    app_id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    """Client id sent to PowerManage (any UUID, stable per installation)."""
    rest_version: str | None = None
    """Force a REST version instead of negotiating (9.0 preferred)."""
    poll_interval: float = Field(default=10.0, ge=2.0, le=3600.0)
    offline_grace: float = Field(default=OFFLINE_GRACE_SECONDS, ge=0.0, le=3600.0)
    """Seconds every link of the panel may be down before it shows offline (routine check-in gaps last ~90 s)."""


class MiosConfig(_ProviderBase):
    kind: Literal["mios"]
    device: str | None = None
    """PK_Device of the Vera. Default: the account's first controller."""
    oem: str = "1"
    """PK_Oem sent to the auth server."""
    poll_interval: float = Field(default=60.0, ge=2.0, le=3600.0)
    """Seconds the relay long poll may wait for a change before polling anyway."""


class VeraConfig(_ProviderBase):
    """A Vera on the LAN (`url = "http://HOST:3480"`): luup straight to the box, no MiOS account."""

    kind: Literal["vera"]
    username: str = ""
    """Unused: a Vera's LAN port needs no account."""
    password: SecretStr = SecretStr("")
    """Unused: a Vera's LAN port needs no account."""
    poll_interval: float = Field(default=60.0, ge=2.0, le=3600.0)
    """Seconds the long poll may wait for a change before polling anyway."""


# Securitas Direct / Verisure Europe OWA hosts per country (protocols/securitas-owa.md §1.1):
# country -> (host, lang). Any other country: customers.securitasdirect.<CC>, lang en.
SECURITAS_COUNTRIES: dict[str, tuple[str, str]] = {
    "ES": ("customers.verisure.es", "es"),
    "FR": ("customers.securitasdirect.fr", "fr"),
    "GB": ("customers.verisure.co.uk", "en"),
    "IE": ("customers.verisure.ie", "en"),
    "IT": ("customers.verisure.it", "it"),
    "PT": ("customers.verisure.pt", "pt"),
    "BR": ("customers.verisure.com.br", "br"),
    "CL": ("customers.verisure.cl", "es"),
    "AR": ("customers.verisure.com.ar", "ar"),
    "PE": ("customers.verisure.pe", "es"),
}


class SecuritasConfig(_ProviderBase):
    """Securitas Direct / Verisure Europe through the live OWA GraphQL API."""

    kind: Literal["securitas"]
    url: str = ""
    """https://HOST of the customer API; default: the country's (the client adds /owa-api/graphql)."""
    country: str = "ES"
    """Country code, upper case (ES, FR, GB, IE, IT, PT, BR, CL, AR, PE, ...); picks the endpoint."""
    language: str | None = None
    """Message language; default: the country's."""
    installation: str | None = None
    """Installation number (numinst). Default: the account's first installation."""
    poll_interval: float = Field(default=120.0, ge=2.0, le=3600.0)
    """Seconds between cached status reads (xSStatus); the vendor's firewall blocks clients that poll hard."""
    refresh_interval: float = Field(default=3600.0, ge=30.0, le=86400.0)
    """Seconds between reads that wake the panel (CheckAlarm). Securitas phones customers who poll it often."""
    request_gap: float = Field(default=2.0, ge=0.0, le=60.0)
    """Seconds between any two requests, and between polls of a command (the vendor's firewall blocks faster clients)."""

    @model_validator(mode="before")
    @classmethod
    def _default_url(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("url"):
            country = str(data.get("country") or "ES").upper()
            host = SECURITAS_COUNTRIES.get(country, (f"customers.securitasdirect.{country}", "en"))[0]
            data = {**data, "url": f"https://{host}"}
        return data

    @field_validator("country")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.strip().upper()

    @property
    def lang(self) -> str:
        if self.language:
            return self.language.lower()
        return SECURITAS_COUNTRIES.get(self.country, ("", "en"))[1]


class MyPagesConfig(_ProviderBase):
    """Verisure My Pages (SE, NO, DK, FI, BE, NL: the "Verisure" app) through its GraphQL API."""

    kind: Literal["mypages"]
    url: str = "https://automation01.verisure.com"
    """https://HOST of the API; default: Verisure's automation01, failing over to automation02."""
    failover_url: str | None = None
    """The second host; default: automation02 when `url` is the default, none when `url` is overridden."""
    installation: str | None = None
    """The installation's giid. Default: the account's first installation."""
    poll_interval: float = Field(default=90.0, ge=2.0, le=3600.0)
    """Seconds between polls (one batched request each). Verisure blocks accounts that poll hard."""
    events_interval: float = Field(default=600.0, ge=2.0, le=86400.0)
    """Seconds between event-log reads (folded into a poll's batch; commands read it sooner)."""
    request_budget: int | None = Field(default=60, ge=10, le=100_000)
    """Most requests per hour (Verisure's daily limit, §6 of the protocol notes)."""

    @field_validator("failover_url")
    @classmethod
    def _failover_has_scheme(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.match(r"^https?://[^/\s]+", value.strip()):
            raise ValueError("must be an http:// or https:// URL")
        return value.strip().rstrip("/")

    @property
    def hosts(self) -> tuple[str, ...]:
        default = ("https://automation01.verisure.com", "https://automation02.verisure.com")
        if self.failover_url:
            return (self.url, self.failover_url)
        return default if self.url == default[0] else (self.url,)


ProviderConfig = Annotated[
    VerisureConfig | VisonicConfig | MiosConfig | VeraConfig | SecuritasConfig | MyPagesConfig,
    Field(discriminator="kind"),
]
"""Any provider's config (for type annotations; validation goes through `PROVIDER_CONFIGS`)."""

PROVIDER_CONFIGS: dict[str, type[_ProviderBase]] = {
    "verisure": VerisureConfig,
    "visonic": VisonicConfig,
    "mios": MiosConfig,
    "vera": VeraConfig,
    "securitas": SecuritasConfig,
    "mypages": MyPagesConfig,
}
"""kind -> its config model, one line per kind: a [[providers]] table is validated by its own kind's model only."""


def _provider_errors(tables: Any) -> tuple[list[Any], list[dict[str, Any]]]:
    """Validate [[providers]] tables, each by the model of its `kind`: (configs, pydantic-style errors)."""
    if not isinstance(tables, list):
        return tables, []  # not a list: Settings itself says so
    configs: list[Any] = []
    errors: list[dict[str, Any]] = []
    kinds = ", ".join(PROVIDER_CONFIGS)
    for index, table in enumerate(tables):
        if isinstance(table, _ProviderBase):
            configs.append(table)
            continue
        loc: tuple[Any, ...] = ("providers", index)
        if not isinstance(table, dict):
            errors.append({"loc": loc, "msg": "each [[providers]] entry must be a table", "type": "model_type"})
            continue
        if "kind" not in table:
            errors.append({"loc": loc, "msg": f"needs kind = {kinds}", "type": "union_tag_not_found"})
            continue
        model = PROVIDER_CONFIGS.get(table["kind"]) if isinstance(table["kind"], str) else None
        if model is None:
            errors.append({"loc": loc, "msg": f"kind must be one of {kinds}", "type": "union_tag_invalid"})
            continue
        try:
            configs.append(model.model_validate(table))
        except ValidationError as exc:
            errors.extend({**err, "loc": (*loc, *err["loc"])} for err in exc.errors())
    return configs, errors


def _as_provider_configs(tables: Any) -> Any:
    """`Settings(providers=[{...}])` built in code: the same per-kind validation, errors in one message."""
    configs, errors = _provider_errors(tables)
    if errors:
        raise ValueError("; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors))
    return configs


if TYPE_CHECKING:
    ProviderList = list[ProviderConfig]
else:  # validated per kind (`_as_provider_configs`): no union of every kind's model to build at import
    ProviderList = Annotated[list[Any], BeforeValidator(_as_provider_configs)]


# --------------------------------------------------------------------------- notifications

NotifyEvent = Literal[
    "alarm", "entry_delay", "tamper", "power", "offline", "login_refused", "command_failed", "armed", "disarmed"
]


class NotifyConfig(BaseModel):
    """One `[[notify]]` table: where to send messages, and which."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    url: SecretStr
    """Any Apprise URL (ntfys://host/topic, mailtos://..., tgram://token/chat). It holds tokens: never logged."""
    events: list[NotifyEvent] = Field(default_factory=lambda: list(NotifyEvent.__args__))  # type: ignore[attr-defined]
    """Which kinds of message this target gets (default: all)."""


# --------------------------------------------------------------------------- bridges (MQTT, metrics)


class MqttConfig(BaseModel):
    """`[mqtt]`: publish to an MQTT broker with Home Assistant discovery (inside `alarmtui serve`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    url: str = "mqtt://127.0.0.1:1883"
    """mqtt://HOST[:PORT], or mqtts://HOST[:PORT] for TLS (with `ca_file` for a private CA)."""
    ca_file: Path | None = None
    """A CA bundle to trust for mqtts://."""
    username: str | None = None
    password: SecretStr | None = None
    """The broker's password, if it wants one. Never logged, never published."""
    discovery_prefix: str = Field(default="homeassistant", min_length=1)
    """Home Assistant's discovery prefix."""
    base_topic: str = Field(default="alarmtui", min_length=1)
    """Where states, availability and commands live (`<base_topic>/<provider>/...`)."""

    @field_validator("url")
    @classmethod
    def _mqtt_url(cls, value: str) -> str:
        value = value.strip()
        if not re.match(r"^mqtts?://[^/\s]+", value):
            raise ValueError("must be an mqtt:// or mqtts:// URL, e.g. mqtt://127.0.0.1:1883")
        return value.rstrip("/")

    @field_validator("discovery_prefix", "base_topic")
    @classmethod
    def _topic_prefix(cls, value: str) -> str:
        value = value.strip().strip("/")
        if not value or any(c in value for c in "+#\0"):
            raise ValueError("must be a topic without wildcards (+, #)")
        return value


class MetricsConfig(BaseModel):
    """`[metrics]`: Prometheus metrics on a loopback TCP port (inside `alarmtui serve`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    listen: str = "127.0.0.1:9877"
    """HOST:PORT to serve /metrics on."""

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.strip().rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError('must be HOST:PORT, e.g. "127.0.0.1:9877"')
        return value.strip()


# --------------------------------------------------------------------------- the app


class Confirmations(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    arm: bool = False
    """Ask before arming."""
    disarm: bool = True
    """Ask before disarming (on by default: one stray key must not disarm the house)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ALARMTUI_", env_nested_delimiter="__", extra="forbid", frozen=True)

    providers: ProviderList = Field(default_factory=list)
    """The vendor accounts to watch, one [[providers]] table each."""
    theme: str = "textual-dark"
    """Textual theme name."""
    keymap: dict[str, str] = Field(default_factory=dict)
    """Binding id -> key(s), e.g. arm_away = "A" or disarm = "d,x"."""
    confirm: Confirmations = Field(default_factory=Confirmations)
    photo_quality: Literal["low", "medium", "high"] = "medium"
    """Resolution of photos requested from cameras that offer a choice."""
    log_file: Path | None = None
    """Where to write a debug log (secrets are redacted). Default: no log."""
    event_limit: int = Field(default=2000, ge=100, le=100_000)
    """How many events the dashboard keeps in memory."""
    socket: Path | None = None
    """The service's Unix socket (`alarmtui serve`). Default: $XDG_RUNTIME_DIR/alarmtui/alarmtui.sock."""
    journal: Path | None = None
    """The journal file. Default: $XDG_STATE_HOME/alarmtui/journal.sqlite3."""
    journal_retention: Annotated[timedelta, BeforeValidator(parse_duration)] = timedelta(days=730)
    """How long the journal keeps entries: e.g. "2y" (the default), "6mo", "90d"."""
    notify: list[NotifyConfig] = Field(default_factory=list)
    """Where to send notifications, one [[notify]] table each."""
    mqtt: MqttConfig | None = None
    """`[mqtt]`: the MQTT bridge with Home Assistant discovery (off unless the table is there)."""
    metrics: MetricsConfig | None = None
    """`[metrics]`: Prometheus metrics (off unless the table is there)."""

    @field_validator("journal")
    @classmethod
    def _expand_journal(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    @field_validator("providers")
    @classmethod
    def _unique_names(cls, value: list[Any]) -> list[Any]:
        names = [p.name for p in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"provider names must be unique; repeated: {', '.join(dupes)}")
        return value

    @model_validator(mode="after")
    def _inherit_photo_quality(self) -> Settings:
        # Providers take the top-level photo_quality unless they set their own.
        providers = [
            p if p.photo_quality is not None else p.model_copy(update={"photo_quality": self.photo_quality})
            for p in self.providers
        ]
        object.__setattr__(self, "providers", providers)
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file is read by `load_settings` and passed as init data
        # beneath env overrides, so errors can name the file.
        return (env_settings, init_settings)

    def provider(self, name: str) -> VerisureConfig | VisonicConfig | MiosConfig | VeraConfig | SecuritasConfig | MyPagesConfig:
        for p in self.providers:
            if p.name == name:
                return p
        raise SettingsError(f"no provider named {name!r}; configured: {', '.join(p.name for p in self.providers) or 'none'}")


class LoadedSettings(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    settings: Settings
    path: Path | None
    warnings: list[str]


def resolve_config_path(explicit: str | Path | None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    return default_config_path()


def _env_key(name: str) -> str:
    return re.sub(r"[^A-Z0-9]", "_", name.upper())


def _apply_secret_env(raw: dict[str, Any]) -> None:
    for table in raw.get("providers", []) or []:
        if not isinstance(table, dict) or not isinstance(table.get("name"), str):
            continue
        key = _env_key(table["name"])
        for field in ("password", "code"):
            value = os.environ.get(f"ALARMTUI_{key}_{field.upper()}")
            if value:
                table[field] = value


def _format_validation_error(
    exc: ValidationError | None,
    source: str,
    raw: dict[str, Any] | None = None,
    *,
    extra: list[dict[str, Any]] = (),  # type: ignore[assignment]
) -> str:
    """One line per problem; a provider is named by its `name`, an unknown field gets the closest known one."""
    raw_providers = (raw or {}).get("providers")
    lines = [f"invalid configuration in {source}:"]
    errors = [*extra, *(exc.errors() if exc is not None else [])]
    for err in errors:
        loc = []
        table: dict[str, Any] | None = None
        parts = list(err["loc"])
        for n, part in enumerate(parts):
            if isinstance(part, int):
                listed = raw_providers if isinstance(raw_providers, list) and n > 0 and parts[n - 1] == "providers" else []
                entry = listed[part] if part < len(listed) else None
                if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                    table = entry
                    loc.append(f' "{entry["name"]}"')
                else:
                    loc.append(f"[{part}]")
            elif part in ("verisure", "visonic", "mios", "vera", "securitas", "mypages"):
                continue  # the discriminator tag pydantic adds to the path
            else:
                loc.append(("." if loc else "") + str(part))
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            field = str(parts[-1])
            close = difflib.get_close_matches(field, _known_fields(table), n=1, cutoff=0.6)
            hint = f' — did you mean "{close[0]}"?' if close else ""
            if table is not None:
                loc.pop()
                message = f'unknown field "{field}"{hint}'
            else:
                message = f"unknown setting{hint}"
        elif err["type"] == "union_tag_invalid":
            message = (
                "kind must be one of verisure, visonic, mios, vera, securitas, mypages (verisure is the ws.do "
                'simulator dialect; Verisure customers: securitas or mypages, see "Which kind am I?" in the README)'
            )
        elif err["type"] == "union_tag_not_found":
            message = "each [[providers]] table needs kind = verisure (the ws.do simulator dialect), visonic, mios, vera, securitas or mypages"
        where = "".join(loc) or "(top level)"
        lines.append(f"  {where}: {message}")
    return "\n".join(lines)


def _known_fields(table: dict[str, Any] | None) -> list[str]:
    """The field names a provider table of this kind accepts (all kinds' if its kind is unknown)."""
    if table is None:
        return list(Settings.model_fields)
    models = list(PROVIDER_CONFIGS.values())
    for model in models:
        if table.get("kind") in get_args(model.model_fields["kind"].annotation):
            return list(model.model_fields)
    return sorted({name for model in models for name in model.model_fields})


def load_settings(config: str | Path | None = None, *, required: bool = False) -> LoadedSettings:
    """Read the TOML file (if any), apply env overrides, validate.

    Raises `SettingsError` with the file name and the failing fields.
    """
    path = resolve_config_path(config)
    warnings: list[str] = []
    raw: dict[str, Any] = {}
    explicit = bool(config or os.environ.get(CONFIG_ENV))
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: not valid TOML: {exc}") from None
        except OSError as exc:
            raise SettingsError(f"{path}: cannot read: {exc.strerror}") from None
        if _holds_secrets(raw):
            mode = path.stat().st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                warnings.append(
                    f"{path} holds passwords but is readable by group or others "
                    f"(mode {stat.filemode(mode)}); run: chmod 600 {path}"
                )
    elif explicit or required:
        raise SettingsError(f"{path}: config file not found (run `alarmtui sim --write-config {path}` for a demo one)")
    else:
        path = None  # type: ignore[assignment]
    _apply_secret_env(raw)
    source = str(path) if path else "the environment"
    # Each provider table by its own kind's model (exact error locations), then the rest.
    configs, provider_errors = _provider_errors(raw.get("providers", []))
    values = {**raw, "providers": configs} if "providers" in raw else raw
    try:
        settings = Settings(**values)
    except ValidationError as exc:
        raise SettingsError(_format_validation_error(exc, source, raw, extra=provider_errors)) from None
    if provider_errors:
        raise SettingsError(_format_validation_error(None, source, raw, extra=provider_errors))
    return LoadedSettings(settings=settings, path=path, warnings=warnings)


def _holds_secrets(raw: dict[str, Any]) -> bool:
    providers = raw.get("providers", []) or []
    return (
        any(isinstance(p, dict) and ("password" in p or "code" in p) for p in providers)
        or bool(raw.get("notify"))
        or (isinstance(raw.get("mqtt"), dict) and "password" in raw["mqtt"])
    )


def toml_quote(value: str) -> str:
    """A TOML basic string literal for `value`."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped)
    return f'"{escaped}"'


def write_config(path: Path, providers: list[dict[str, Any]], extra: dict[str, Any] | None = None) -> None:
    """Write a config file with mode 0600 (it holds passwords)."""
    lines: list[str] = ["# alarmtui configuration", ""]
    for key, value in (extra or {}).items():
        lines.append(f"{key} = {_toml_value(value)}")
    for table in providers:
        lines.append("")
        lines.append("[[providers]]")
        for key, value in table.items():
            if value is not None:
                lines.append(f"{key} = {_toml_value(value)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, SecretStr):
        return toml_quote(value.get_secret_value())
    return toml_quote(str(value))
