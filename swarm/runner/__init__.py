"""The run driver, split by job: the request and outcome shapes, the git
checkout a run edits, the shared run state, resume, and `run_swarm` itself.
`swarm.run` re-exports the public names."""
