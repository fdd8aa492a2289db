"""The luup API of a Vera, shared by its two transports: the MiOS cloud relay (`mios`) and the LAN port (`vera`).

`parse` reads luup replies, `mapping` turns luup devices into the domain, `transport`
is the contract a transport fulfils, `provider` holds the reads and commands.
"""
