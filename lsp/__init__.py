"""LSP wire: a trio client for language servers, and a server shell for
editors that talks to a backend protocol (never to swarm/ directly)."""
