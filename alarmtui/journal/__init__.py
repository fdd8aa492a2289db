"""The journal: every event, command, state change and connectivity change, kept in SQLite.

Import what you need from the modules (`alarmtui.journal.store`, `.derive`, `.timespec`); this
package's top level imports nothing, so `alarmtui.settings` can use `timespec` without a cycle.
"""
