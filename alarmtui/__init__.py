"""alarmtui: a terminal dashboard for home alarm systems."""

import sys

__version__ = "0.1.0"

# httpx imports its own command-line tool whenever `click` is installed (Apprise brings it): click and pygments'
# lexers, ~30 ms of every start, for a tool alarmtui never runs. A None entry fails that import the way httpx
# expects when click is missing (its `httpx` command would then say what to install).
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
