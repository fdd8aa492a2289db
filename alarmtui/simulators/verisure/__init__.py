"""A simulator of the Verisure / Securitas Direct `ws.do` XML service (`shared/protocols/verisure.md` Appendix A).

`cloud.py` holds the state and the operations, `routes.py` the one path and its dispatch on `request`,
`render.py` the XML envelope, messages, error codes and activity rows.
"""

from alarmtui.simulators.verisure.cloud import VerisureCloud

__all__ = ["VerisureCloud"]
