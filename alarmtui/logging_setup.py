"""Logging for the CLI and dashboard: to a file only, secrets scrubbed."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

# Libraries that log full request URLs (Verisure puts the password in them) at INFO.
NOISY = ("httpx", "httpcore", "aiohttp.access", "hpack")


def quiet_term_image() -> None:
    """term-image warns at import when stdout is not a terminal; we know."""
    warnings.filterwarnings("ignore", module=r"term_image(\..*)?")
    warnings.filterwarnings("ignore", message=r".*not connected to a terminal.*")


def setup_logging(log_file: Path | None, *, debug: bool = False) -> None:
    import logging  # here: `status` answered by the service never logs, and skips this import

    from alarmtui.redaction import install_log_filter

    root = logging.getLogger()
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.close(fd)
        handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    else:
        root.addHandler(logging.NullHandler())
    install_log_filter(root)
