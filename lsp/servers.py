"""What it takes to run each language server: command, environment, settings,
how it reports diagnostics and how to tell it is ready.

A spec is data. Adding a server is adding a `ServerSpec` to `KNOWN_SERVERS`;
the client and the diagnostics service read everything they need from it.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from lsp.errors import ServerNotFound, UnknownServer


@dataclass(frozen=True, slots=True)
class ServerSpec:
    name: str
    # argv; command[0] is looked up in `search_dirs` first, then on PATH.
    command: tuple[str, ...]
    language_ids: tuple[str, ...]
    file_extensions: tuple[str, ...]
    # Extra environment for the server process (added to ours).
    env: tuple[tuple[str, str], ...] = ()
    # Directories put first on the server's PATH (e.g. where its toolchain lives).
    path_prepend: tuple[str, ...] = ()
    search_dirs: tuple[str, ...] = ()
    initialization_options: object = field(default=None, hash=False, compare=False)
    # Answers to `workspace/configuration`, looked up by dotted section.
    settings: object = field(default=None, hash=False, compare=False)
    experimental_capabilities: object = field(default=None, hash=False, compare=False)
    # How to know the server has loaded the workspace: "progress" waits until no
    # `$/progress` task runs for `ready_quiet` seconds; "server-status" waits for
    # rust-analyzer's `experimental/serverStatus` with `quiescent: true`.
    readiness: Literal["progress", "server-status"] = "progress"
    ready_quiet: float = 0.3
    ready_timeout: float = 120.0
    # "pull": the client announces `textDocument/diagnostic` and asks for
    # diagnostics when it wants them (computed for the text just sent; pyright
    # then stops pushing, with its ~260 ms publish delay); "push": the server
    # publishes on its own after each change.
    diagnostics: Literal["pull", "push"] = "push"
    install_hint: str = ""

    def handles_path(self, path: str | Path) -> bool:
        return str(path).endswith(self.file_extensions)

    @property
    def language_id(self) -> str:
        """The `languageId` documents of this server are opened with."""
        return self.language_ids[0]

    def resolve_command(self) -> list[str]:
        """The argv to run, with command[0] made absolute; ServerNotFound if missing."""
        program = self.command[0]
        if os.sep in program:
            found = program if os.access(program, os.X_OK) else None
        else:
            found = None
            for directory in self.search_dirs:
                candidate = Path(directory) / program
                if candidate.is_file() and os.access(candidate, os.X_OK):
                    found = str(candidate)
                    break
            if found is None:
                found = shutil.which(program, path=self.process_env().get("PATH"))
        if found is None:
            hint = f" {self.install_hint}" if self.install_hint else ""
            raise ServerNotFound(f"{self.name}: executable {program!r} not found.{hint}")
        return [found, *self.command[1:]]

    def process_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(dict(self.env))
        if self.path_prepend:
            env["PATH"] = os.pathsep.join([*self.path_prepend, env.get("PATH", "")])
        return env

    def with_settings(self, settings: object) -> ServerSpec:
        return replace(self, settings=settings)


def _venv_bin() -> tuple[str, ...]:
    # The venv that runs us holds pyright (and its own node); prefer it to any
    # global install, which may be missing or a different version.
    dirs = [str(Path(sys.prefix) / "bin"), str(Path(sys.executable).parent)]
    return tuple(dict.fromkeys(dirs))


PYRIGHT_SETTINGS: dict[str, object] = {
    "python": {
        "analysis": {
            "diagnosticMode": "openFilesOnly",
            "autoSearchPaths": True,
            "useLibraryCodeForTypes": True,
            "typeCheckingMode": "standard",
        },
    },
    "pyright": {"disableOrganizeImports": False},
}

PYRIGHT = ServerSpec(
    name="pyright",
    command=("pyright-langserver", "--stdio"),
    language_ids=("python",),
    file_extensions=(".py", ".pyi"),
    # pyright-python's launcher may check PyPI for a newer version; never at run time.
    env=(("PYRIGHT_PYTHON_IGNORE_WARNINGS", "1"),),
    search_dirs=_venv_bin(),
    settings=PYRIGHT_SETTINGS,
    readiness="progress",
    diagnostics="pull",
    install_hint="Install it with `./scripts/setup` (pip package pyright[nodejs]).",
)

def pyright_for(python: str | Path) -> ServerSpec:
    """PYRIGHT resolving imports against another interpreter's environment
    (a target repository's virtualenv) instead of the first `python` on PATH."""
    settings = json.loads(json.dumps(PYRIGHT_SETTINGS))
    settings["python"]["pythonPath"] = str(python)
    return PYRIGHT.with_settings(settings)


RUST_ANALYZER_CONFIG: dict[str, object] = {
    # No flycheck: the diagnostics service runs `cargo check` itself, beside
    # the server's own diagnostics. Through the server it costs a save-to-spawn
    # delay and competes for the same two cores with the server's re-analysis.
    "checkOnSave": False,
    "check": {"command": "check", "allTargets": True},
    "cargo": {"buildScripts": {"enable": True}, "extraEnv": {"CARGO_NET_OFFLINE": "true"}},
    "procMacro": {"enable": True},
    # The client does not watch files; let the server do it.
    "files": {"watcher": "server"},
    "diagnostics": {"enable": True, "experimental": {"enable": False}},
    "cachePriming": {"enable": True},
}

RUST_ANALYZER = ServerSpec(
    name="rust-analyzer",
    # Debian's binary; the rustup proxy in ~/.cargo/bin of the same name only
    # works with a rustup-installed component, which this machine lacks.
    command=("rust-analyzer",),
    language_ids=("rust",),
    file_extensions=(".rs",),
    env=(("CARGO_NET_OFFLINE", "true"),),
    path_prepend=("/usr/bin", "/bin"),
    search_dirs=("/usr/bin",),
    initialization_options=RUST_ANALYZER_CONFIG,
    settings={"rust-analyzer": RUST_ANALYZER_CONFIG},
    experimental_capabilities={"serverStatusNotification": True},
    readiness="server-status",
    ready_timeout=180.0,
    diagnostics="pull",
    install_hint="Install it with `./scripts/setup test` (Debian package rust-web-analyzer).",
)

KNOWN_SERVERS: dict[str, ServerSpec] = {"python": PYRIGHT, "rust": RUST_ANALYZER}


def spec_for_language(name: str) -> ServerSpec:
    try:
        return KNOWN_SERVERS[name.lower()]
    except KeyError:
        known = ", ".join(sorted(KNOWN_SERVERS))
        raise UnknownServer(f"no language server known for {name!r} (known: {known})") from None


def spec_for_path(path: str | Path) -> ServerSpec:
    for spec in KNOWN_SERVERS.values():
        if spec.handles_path(path):
            return spec
    raise UnknownServer(f"{path}: no language server handles this file type")
