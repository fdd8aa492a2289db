"""alarmtui: a terminal dashboard for home alarm systems."""

__version__ = "0.1.0"
