"""`alarmtui serve`: the engine behind a Unix socket, and the way views find and attach to it."""
