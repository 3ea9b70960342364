"""The swarm's participants: the coordinator, symbol agents, and the harness
and proxy-user roles on the bus; their tools, turn loop and context."""
