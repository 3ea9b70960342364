"""Who decides: the message bus, symbol agents, proxy user, model providers,
the SQLite run log and the `swarm` command line."""
