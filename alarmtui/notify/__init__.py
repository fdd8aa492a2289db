"""Notifications through Apprise (ntfy, e-mail, Matrix, Telegram, Gotify, webhooks, ...).

`alarmtui.notify.notifier.Notifier` is fed poller updates and delivers in the background.
"""
