"""The git worktree a run edits, so a run never half-edits the user's files.

    checkout = await create_checkout(repo, run_id)          # base = `git stash create`, else HEAD
    patch = await checkout.diff()                            # base -> worktree, relative to `repo`

The worktree lives at `<toplevel>/.swarm/worktrees/<run-id>` and starts at a
base commit: the user's uncommitted tracked changes (`git stash create`,
which touches neither the tree nor the stash list) or HEAD when the tree is
clean. A ref `refs/swarm/<run-id>/base` keeps that commit alive. `repo` may
be a subdirectory of a repository: the run then works in the same
subdirectory of the worktree and the patch is relative to it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import trio

from swarm.errors import SwarmError

WORKTREES = Path(".swarm") / "worktrees"
PATCHES = Path(".swarm") / "runs"


class CheckoutError(SwarmError):
    """The run's git checkout could not be made, reset or diffed."""


class NotAGitRepository(CheckoutError):
    """`--repo` is not inside a git work tree."""


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    # Commits git makes for us (stash create) need an identity; never prompt.
    env.setdefault("GIT_AUTHOR_NAME", "symbol-swarm")
    env.setdefault("GIT_AUTHOR_EMAIL", "swarm@localhost")
    env.setdefault("GIT_COMMITTER_NAME", "symbol-swarm")
    env.setdefault("GIT_COMMITTER_EMAIL", "swarm@localhost")
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


async def git(cwd: Path, *args: str, check: bool = True, stdin: bytes | None = None) -> str:
    """Run git in `cwd`; its stdout. CheckoutError with git's message when it fails."""
    try:
        result = await trio.run_process(
            ["git", "-C", str(cwd), *args],
            capture_stdout=True,
            capture_stderr=True,
            check=False,
            stdin=stdin,
            env=_git_env(),
        )
    except FileNotFoundError:
        raise CheckoutError("git is not installed: symbol-swarm needs git to make the run's worktree") from None
    if check and result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip() or f"exit status {result.returncode}"
        raise CheckoutError(f"git {' '.join(args[:3])} failed in {cwd}: {message}")
    return result.stdout.decode("utf-8", "replace")


async def locate_repo(repo: Path) -> tuple[Path, str]:
    """(toplevel of the repository holding `repo`, `repo` relative to it: "" or "a/b")."""
    repo = Path(repo).resolve()
    if not repo.is_dir():
        raise NotAGitRepository(f"{repo} is not a directory: pass --repo the root (or a folder) of a git checkout")
    try:
        top = (await git(repo, "rev-parse", "--show-toplevel")).strip()
    except CheckoutError:
        raise NotAGitRepository(
            f"{repo} is not inside a git repository: the swarm works in a git worktree of it. "
            "Run `git init && git add -A && git commit -m initial` there first"
        ) from None
    toplevel = Path(top).resolve()
    subdir = repo.relative_to(toplevel).as_posix()
    return toplevel, "" if subdir == "." else subdir


@dataclass(frozen=True, slots=True)
class Checkout:
    """Where a run edits: `root` is the worktree's copy of the user's `--repo` folder."""

    toplevel: Path      # the user's repository
    subdir: str         # `--repo` relative to `toplevel` ("" for the toplevel itself)
    worktree: Path      # <toplevel>/.swarm/worktrees/<run-id>
    base_commit: str
    run_id: str

    @property
    def root(self) -> Path:
        return self.worktree / self.subdir if self.subdir else self.worktree

    @property
    def user_root(self) -> Path:
        return self.toplevel / self.subdir if self.subdir else self.toplevel

    @property
    def patch_path(self) -> Path:
        return self.toplevel / PATCHES / f"{self.run_id}.patch"

    def to_json(self) -> dict[str, str]:
        return {
            "toplevel": str(self.toplevel),
            "subdir": self.subdir,
            "worktree": str(self.worktree),
            "base_commit": self.base_commit,
        }

    async def diff(self, new_files: tuple[str, ...] = ()) -> str:
        """The patch base -> worktree, paths relative to `root`.

        `new_files` (relative to `root`) are files the run created: they are
        marked intent-to-add so they appear; other untracked files (caches,
        build output) never do.
        """
        present = [f for f in new_files if (self.root / f).is_file()]
        if present:
            await git(self.root, "add", "--intent-to-add", "--", *present)
        return await git(self.root, "diff", "--relative", "--no-color", "--no-ext-diff", self.base_commit, "--", ".")


async def base_commit_of(toplevel: Path, base: str | None) -> str:
    """The commit a run starts from: `base` resolved, else the dirty tree's stash commit, else HEAD."""
    if base is not None:
        try:
            return (await git(toplevel, "rev-parse", "--verify", f"{base}^{{commit}}")).strip()
        except CheckoutError:
            raise CheckoutError(f"--base {base!r} is not a commit of {toplevel}") from None
    try:
        stash = (await git(toplevel, "stash", "create")).strip()
    except CheckoutError as exc:
        raise CheckoutError(f"{toplevel} has no commit to start from ({exc}); commit something first") from None
    if stash:
        return stash
    try:
        return (await git(toplevel, "rev-parse", "--verify", "HEAD^{commit}")).strip()
    except CheckoutError:
        raise CheckoutError(f"{toplevel} has no commits yet: commit the code the swarm should work on first") from None


async def create_checkout(repo: Path, run_id: str, base: str | None = None) -> Checkout:
    toplevel, subdir = await locate_repo(repo)
    commit = await base_commit_of(toplevel, base)
    await git(toplevel, "update-ref", f"refs/swarm/{run_id}/base", commit)
    worktree = toplevel / WORKTREES / run_id
    _ensure_swarm_dir(toplevel)
    await git(toplevel, "worktree", "add", "--detach", "--quiet", str(worktree), commit)
    return Checkout(toplevel, subdir, worktree, commit, run_id)


async def reset_checkout(checkout: Checkout) -> Checkout:
    """The worktree back at its base commit: recreated when missing, else tracked
    files restored and untracked (not ignored) files removed. Build caches
    that git ignores (target/, __pycache__) survive, which keeps cargo warm."""
    top = checkout.toplevel
    if not (checkout.worktree / ".git").exists():
        await git(top, "worktree", "prune")
        _ensure_swarm_dir(top)
        await git(top, "worktree", "add", "--detach", "--quiet", "--force", str(checkout.worktree), checkout.base_commit)
        return checkout
    await git(checkout.worktree, "reset", "--quiet", "--hard", checkout.base_commit)
    await git(checkout.worktree, "clean", "--quiet", "-fd")
    return checkout


async def remove_checkout(checkout: Checkout) -> None:
    """Drop the worktree (the base ref stays, so the run can be replayed)."""
    await git(checkout.toplevel, "worktree", "remove", "--force", str(checkout.worktree), check=False)


async def apply_to_user_tree(checkout: Checkout, patch_path: Path) -> tuple[bool, str]:
    """`git apply --3way` of the run's patch onto the user's tree. (applied, what happened)."""
    args = ["apply", "--3way", "--whitespace=nowarn"]
    if checkout.subdir:
        args.append(f"--directory={checkout.subdir}")
    try:
        await git(checkout.toplevel, *args, str(patch_path))
    except CheckoutError as exc:
        return False, f"the patch did not apply cleanly; it is kept at {patch_path}. {exc}"
    return True, f"applied to {checkout.user_root}"


def _ensure_swarm_dir(toplevel: Path) -> None:
    swarm_dir = toplevel / ".swarm"
    swarm_dir.mkdir(parents=True, exist_ok=True)
    ignore = swarm_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# written by symbol-swarm: run logs and worktrees never belong in the repository\n*\n")
