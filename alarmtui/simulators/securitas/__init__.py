"""A simulator of the Securitas Direct / Verisure Europe OWA GraphQL API (`shared/protocols/securitas-owa.md` §12, §14).

`cloud.py` holds the state and what each operation does, `routes.py` the one GraphQL endpoint and its
dispatch on `operationName`, `render.py` the vendor's reply shapes, texts, activity codes and timestamps.
"""

from alarmtui.simulators.securitas.cloud import SecuritasCloud

__all__ = ["SecuritasCloud"]
