"""The journal: every event, command, state change and connectivity change, kept in SQLite.

Import what you need from the modules (`alarmtui.journal.store`, `.derive`); this package's top
level imports nothing, so reading the journal (`alarmtui events`) loads no more than it needs.
"""
