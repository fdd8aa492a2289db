"""The client side of `alarmtui serve`: everything a view needs to find, trust and use the service.

    find.py     which service serves this config (no socket file: none, at once)
    quick.py    standard-library HTTP over the socket, for `status` answered within a quarter second
    client.py   httpx over the socket: requests, the server-sent-events feed
    engine.py   `AttachedEngine`: the `Engine` views use, fed by the service

Nothing is imported here: `status` answered by the service loads only find and quick. What both ends
share lives beside this package: the wire format (`engine.wire`), where the socket lives and which
config a service serves (`engine.endpoint`), and who may talk to whom (`engine.trust`).
"""
