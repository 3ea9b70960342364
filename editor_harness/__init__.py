"""The headless editor: workspace, whole-symbol rewrites, navigation,
diagnostics and tests. Built on symbols/ and lsp/; never imports swarm/."""
