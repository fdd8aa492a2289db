"""`alarmtui init`: a first config, guided — which kind, credentials and code, a test login, a file only its owner reads.

It asks on the terminal (or reads answers from standard input, one per line, for scripts and tests),
tries the login (answering a two-factor challenge the way `alarmtui login` does), writes the config
with mode 0600 where the README says it lives, never overwriting a file without asking, and offers
to install the systemd user unit for `alarmtui serve`.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import re
import sys
from pathlib import Path
from typing import Any

WHICH_KIND = """\
Which kind is your alarm?
  securitas  Securitas Direct / Verisure in Spain, Portugal, Italy, France, the UK, Ireland and Latin America
             (you use the "My Verisure" app)
  mypages    Verisure in Sweden, Norway, Denmark, Finland, Belgium and the Netherlands
             (you use the "Verisure" app; Verisure My Pages)
  visonic    Visonic PowerMaster / PowerSeries Neo through PowerManage (the "Visonic-GO" / "BW" apps)
  mios       a Vera controller through the MiOS / ezlo cloud relay
  vera       a Vera controller on your own network (http://HOST:3480, no account)
  verisure   the retired ws.do interface (only for alarmtui's own simulator)
"""
KINDS = ("securitas", "mypages", "visonic", "mios", "vera", "verisure")
NO_ACCOUNT = frozenset({"vera"})


class Cancelled(Exception):
    """The user chose not to go on (nothing was written)."""


def ask(prompt: str, default: str = "", *, choices: tuple[str, ...] = ()) -> str:
    shown = f"{prompt} [{default}]: " if default else f"{prompt}: "
    while True:
        try:
            answer = input(shown).strip()
        except EOFError:
            raise Cancelled("no answer on standard input") from None
        answer = answer or default
        if choices and answer not in choices:
            print(f"  choose one of: {', '.join(choices)}")
            continue
        return answer


def ask_secret(prompt: str) -> str:
    """Not echoed on a terminal; read as a plain line from a script."""
    if sys.stdin.isatty():
        return getpass.getpass(f"{prompt}: ")
    print(f"{prompt}: ", end="", flush=True)
    line = sys.stdin.readline()
    if not line:
        raise Cancelled("no answer on standard input")
    print()
    return line.rstrip("\n")


def yes(prompt: str, default: bool = False) -> bool:
    answer = ask(f"{prompt} ({'Y/n' if default else 'y/N'})", "").lower()
    return default if not answer else answer.startswith("y")


def provider_model(kind: str) -> Any:
    """The settings model of `kind`, or None when this installation does not know it."""
    from alarmtui import settings

    for model in settings._ProviderBase.__subclasses__():
        annotation = model.model_fields["kind"].annotation
        if kind in getattr(annotation, "__args__", ()):
            return model
    return None


def ask_provider(existing: set[str]) -> dict[str, Any]:
    """One `[[providers]]` table, from the answers."""
    print(WHICH_KIND)
    kind = ask("kind", "securitas", choices=KINDS)
    model = provider_model(kind)
    if model is None:
        raise Cancelled(f"this installation of alarmtui does not support kind {kind!r} yet")
    name = ask("a short name for it (shown in the dashboard)", "home" if "home" not in existing else kind)
    while not re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", name) or name in existing:
        print("  letters, digits, . _ - (at most 40), not used by another provider")
        name = ask("a short name for it")
    table: dict[str, Any] = {"name": name, "kind": kind}
    fields = model.model_fields
    if "country" in fields and kind == "securitas":
        from alarmtui.settings import SECURITAS_COUNTRIES

        country = ask(f"country ({', '.join(SECURITAS_COUNTRIES)})", "ES").upper()
        table["country"] = country
    url_field = fields["url"]
    if url_field.is_required():
        example = {"vera": "http://192.168.1.20:3480"}.get(kind, "https://…")
        table["url"] = ask(f"URL of the service (e.g. {example})")
    else:
        url = ask("URL of the service (Enter: the vendor's own)", "")
        if url:
            table["url"] = url
    if kind not in NO_ACCOUNT:
        table["username"] = ask("user name (the e-mail you log in with)")
        table["password"] = ask_secret("password (not shown)")
    code = ask_secret("user code / PIN for arming and disarming (Enter: ask each time)").strip()
    while code and not re.fullmatch(r"[0-9]{1,12}", code):
        print("  digits only (1 to 12)")
        code = ask_secret("user code / PIN (Enter: ask each time)").strip()
    if code:
        table["code"] = code
    return table


async def try_login(config: Any) -> tuple[bool, str]:
    """Log in and read the panel once; a two-factor challenge is answered on the terminal. (ok, what happened)"""
    from alarmtui.headless import UsageError, answer_challenge
    from alarmtui.providers import ProviderError, create_provider
    from alarmtui.providers.errors import TwoFactorRequired

    provider = create_provider(config)
    try:
        for _attempt in range(3):
            try:
                await provider.connect()
                snapshot = await provider.snapshot()
            except TwoFactorRequired as challenge:
                try:
                    await answer_challenge(provider, challenge)
                except (EOFError, UsageError) as exc:
                    return False, f"the device was not validated ({exc or 'no answer'})"
                continue
            parts = ", ".join(p.name or p.id for p in snapshot.partitions) or "no partitions"
            return True, f"{snapshot.panel_name or config.name}: {parts}; {len(snapshot.zones)} zones"
        return False, "too many failed attempts at the two-factor step"
    except ProviderError as exc:
        hint = f" {exc.hint}" if exc.hint else ""
        return False, f"{exc}{hint}"
    finally:
        await provider.close()


def append_provider(path: Path, table: dict[str, Any]) -> None:
    """Add one `[[providers]]` table at the end of an existing config (other tables untouched), keeping it 0600."""
    from alarmtui.settings import _toml_value

    lines = ["", "[[providers]]", *(f"{key} = {_toml_value(value)}" for key, value in table.items() if value is not None)]
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)


def unit_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user" / "alarmtui.service"


async def init(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from alarmtui.headless import Exit
    from alarmtui.settings import (
        Settings,
        SettingsError,
        _format_validation_error,
        load_settings,
        resolve_config_path,
        write_config,
    )

    path = Path(args.path).expanduser() if args.path else resolve_config_path(args.config)
    existing: set[str] = set()
    loads = True
    if path.exists():
        try:
            existing = {p.name for p in load_settings(path).settings.providers}
        except SettingsError as exc:
            loads = False
            print(f"alarmtui: {path} exists but does not load ({exc}); `init` will only overwrite it if you say so")
    print(f"alarmtui init: a config at {path}\n")
    table = ask_provider(existing)
    try:
        config = Settings.model_validate({"providers": [table]}).providers[0]
    except ValidationError as exc:  # the answers do not make a valid provider
        print(f"alarmtui: {_format_validation_error(exc, 'your answers', {'providers': [table]})}", file=sys.stderr)
        return Exit.USAGE
    print(f"\nTrying to log in to {config.name} …")
    ok, said = await try_login(config)
    if ok:
        print(f"Logged in. {said}")
    else:
        print(f"alarmtui: the login did not work: {said}", file=sys.stderr)
        if not yes("Save the config anyway?"):
            print("Nothing written.")
            return Exit.AUTH
    if path.exists():
        if loads:
            choice = ask(f"{path} exists: [a]dd this provider to it, [o]verwrite it, or [c]ancel", "a", choices=("a", "o", "c"))
        else:
            choice = ask(f"{path} exists and does not load: [o]verwrite it, or [c]ancel", "c", choices=("o", "c"))
        if choice == "c":
            print("Nothing written.")
            return Exit.OK
        if choice == "a":
            if config.name in existing:
                print(f"alarmtui: {path} already has a provider named {config.name!r}; nothing written", file=sys.stderr)
                return Exit.USAGE
            append_provider(path, table)
        else:
            write_config(path, [table])
    else:
        write_config(path, [table])
    print(f"Wrote {path} (mode 0600: only you can read it).")
    if yes("Install the systemd user unit so `alarmtui serve` keeps watch in the background?"):
        from alarmtui.service.main import systemd_unit

        unit = unit_path()
        if unit.exists() and not yes(f"{unit} exists; replace it?"):
            print("Unit left as it was.")
        else:
            unit.parent.mkdir(parents=True, exist_ok=True)
            unit.write_text(systemd_unit(str(path)))
            print(f"Wrote {unit}. Start it with:\n  systemctl --user daemon-reload && systemctl --user enable --now alarmtui")
    print("\nNext: `alarmtui` for the dashboard, `alarmtui status` for a one-line check.")
    return Exit.OK


def run_init(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(init(args))
    except Cancelled as exc:
        print(f"\nalarmtui: init stopped: {exc}; nothing written", file=sys.stderr)
        return 1
