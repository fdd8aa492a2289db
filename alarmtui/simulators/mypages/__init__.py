"""A simulator of Verisure My Pages (automation01/02.verisure.com) for the `mypages` kind.

`cloud.py` holds the account and installation state and the scenario hooks,
`routes.py` the HTTP face of each host, `render.py` the GraphQL document
reader. Built to shared/protocols/verisure-mypages.md §8.
"""

from alarmtui.simulators.mypages.cloud import MyPagesCloud

__all__ = ["MyPagesCloud"]
