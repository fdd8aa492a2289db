"""Named things a person can make happen in a simulated house (demo only)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scenario:
    """A command-palette entry: `callback` makes something happen in a simulator.

    The UI only sees this plain callable, so it never imports the simulators.
    The callback is thread-safe and returns at once.
    """

    title: str
    help: str
    callback: Callable[[], None]
