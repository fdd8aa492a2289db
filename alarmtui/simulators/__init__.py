"""Faithful simulators of the vendor clouds (Verisure ws.do, Securitas OWA, Verisure My Pages, Visonic, the MiOS
relay and a Vera's own LAN port) over one simulated panel engine, with the demo houses they serve."""
