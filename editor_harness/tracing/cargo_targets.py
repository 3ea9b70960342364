"""Which cargo test binary holds a selection: resolve the selection to cargo
arguments, build the test binaries (offline), list their tests."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from editor_harness.tracing.errors import TestNotFound, TraceSetupError
from editor_harness.tracing.process import Finished, run_in_group
from editor_harness.tracing.symbol_map import SymbolMap


@dataclass(frozen=True, slots=True)
class CargoSelection:
    """Where to run cargo and with which arguments for one selection."""

    crate_dir: Path
    target_args: tuple[str, ...]
    name: str  # libtest's exact test name


@dataclass(frozen=True, slots=True)
class TestBinary:
    executable: Path
    source: Path  # the target's root file: tests/x.rs, src/lib.rs
    manifest: Path
    package: str
    version: str
    crate: str

    __test__ = False

    def env(self) -> dict[str, str]:
        """What cargo itself would set when running this binary."""
        return {
            "CARGO_MANIFEST_DIR": str(self.manifest.parent),
            "CARGO_MANIFEST_PATH": str(self.manifest),
            "CARGO_PKG_NAME": self.package,
            "CARGO_PKG_VERSION": self.version,
            "CARGO_CRATE_NAME": self.crate.replace("-", "_"),
        }


def cargo_selection(root: Path, selection: str, symbols: SymbolMap) -> CargoSelection:
    """A libtest test name (`transfer_moves_money`, `ledger::tests::f`), or a
    test function's symbol id (`tests/transfers.rs::transfer_moves_money`,
    `src/ledger.rs::tests::f`)."""
    head, sep, qualname = selection.partition("::")
    if not (sep and head.endswith(".rs")):
        if not (root / "Cargo.toml").is_file():
            raise TraceSetupError(f"{root} has no Cargo.toml: name the test by its symbol id (path.rs::name)")
        return CargoSelection(root, (), selection)
    rel = symbols.relative(head)
    if rel is None:
        raise TestNotFound(f"{head}: not a Rust source file of {root}")
    crate_dir = _crate_dir(root, root / rel)
    inside = PurePosixPath((root / rel).relative_to(crate_dir).as_posix())
    if inside.parts[0] == "tests" and len(inside.parts) == 2:
        return CargoSelection(crate_dir, ("--test", inside.stem), qualname)
    if inside.parts[0] == "src":
        modules = module_path(inside)
        if modules is None:
            raise TestNotFound(f"{head}: cannot tell which crate module it is; pass libtest's test name instead")
        target = ("--bins",) if inside.parts[1:2] in (("main.rs",), ("bin",)) else ("--lib",)
        return CargoSelection(crate_dir, target, "::".join([*modules, qualname]))
    raise TestNotFound(f"{head}: not under src/ or tests/ of its crate; pass libtest's test name instead")


def _crate_dir(root: Path, file: Path) -> Path:
    for parent in file.parents:
        if (parent / "Cargo.toml").is_file():
            return parent
        if parent == root:
            break
    raise TraceSetupError(f"{file}: no Cargo.toml above it inside {root}")


def module_path(inside: PurePosixPath) -> list[str] | None:
    """`src/a/b.rs` -> [a, b]; `src/lib.rs` -> []; `src/a/mod.rs` -> [a]."""
    parts = list(inside.parts[1:])
    if parts[:1] == ["bin"]:
        parts = parts[2:] if len(parts) > 2 else []
    if not parts:
        return None
    last = parts[-1]
    if last in ("lib.rs", "main.rs", "mod.rs"):
        parts = parts[:-1]
    elif last.endswith(".rs"):
        parts[-1] = last[: -len(".rs")]
    else:
        return None
    return parts


async def build_tests(cargo: str, selection: CargoSelection, env: Mapping[str, str],
                      timeout: float) -> tuple[Finished, tuple[TestBinary, ...]]:
    """`cargo test --no-run`: the test binaries, or the failed build's output."""
    argv = [cargo, "test", "--no-run", "--message-format=json-render-diagnostics", *selection.target_args]
    finished = await run_in_group(argv, cwd=selection.crate_dir, env=env, timeout=timeout)
    binaries: list[TestBinary] = []
    text: list[str] = []
    for line in finished.output.splitlines():
        if not line.startswith("{"):
            text.append(line)
            continue
        try:
            message = json.loads(line)
        except ValueError:
            text.append(line)
            continue
        binary = _test_binary(message)
        if binary is not None:
            binaries.append(binary)
    # The caller reads build errors from the rendered text, not from the JSON.
    plain = Finished(finished.returncode, "\n".join(text), finished.timed_out, finished.elapsed_s,
                     finished.output_truncated)
    return plain, tuple(binaries)


def _test_binary(message: dict) -> TestBinary | None:
    if message.get("reason") != "compiler-artifact" or not message.get("executable"):
        return None
    if not message.get("profile", {}).get("test"):
        return None
    target = message.get("target", {})
    package_id = str(message.get("package_id", ""))
    # `path+file:///x#ledger@0.1.0`, or the older `ledger 0.1.0 (path+file:///x)`
    tail = package_id.rsplit("#", 1)[-1]
    if "@" in tail:
        package, version = tail.split("@", 1)
    elif " " in package_id:
        package, version = package_id.split(" ")[:2]
    else:
        package, version = target.get("name", ""), ""
    return TestBinary(
        executable=Path(message["executable"]),
        source=Path(target.get("src_path", "")),
        manifest=Path(message.get("manifest_path", "")),
        package=package,
        version=version,
        crate=str(target.get("name", package)),
    )


async def list_tests(binary: TestBinary, env: Mapping[str, str], timeout: float) -> list[str]:
    listed = await run_in_group([str(binary.executable), "--list"], cwd=binary.manifest.parent,
                                env={**env, **binary.env()}, timeout=timeout)
    return [line[: -len(": test")] for line in listed.output.splitlines() if line.endswith(": test")]


def not_found(selection: str, name: str, listed: Mapping[TestBinary, list[str]]) -> TestNotFound:
    names = [n for names in listed.values() for n in names]
    wanted = name.rsplit("::", 1)[-1].lower()
    close = [n for n in names if wanted in n.lower()][:10]
    hint = f" Tests with a similar name: {', '.join(close)}." if close else f" The crate has {len(names)} tests."
    return TestNotFound(f"no test is named exactly {name!r} (from {selection!r}); "
                        f"give libtest's full name (module::path::test) or the test's symbol id.{hint}")
