"""Headless Chromium driven over the DevTools protocol, for testing pages like a user's browser.

Chromium talks CDP over a pipe (`--remote-debugging-pipe`: it reads
NUL-terminated JSON commands on fd 3 and writes replies and events on fd 4),
so no port is opened and no websocket library is needed. The flags keep it
off the network (no background requests, updates or sync) and runnable as
root.

    async with open_chromium(tmp_path) as browser:
        page = await browser.load(url)          # console errors and exceptions collected
        value = await browser.evaluate("document.title")
        png = await browser.screenshot()
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trio

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    "--remote-debugging-pipe",
)
TIMEOUT_S = 90.0


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class Browser:
    """One Chromium process and one page in it."""

    send_stream: trio.lowlevel.FdStream
    receive_stream: trio.lowlevel.FdStream
    console_errors: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    session: str | None = None
    _next_id: int = 0
    _buffer: bytes = b""

    async def _read_one(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = await self.receive_stream.receive_some(1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed its DevTools pipe")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        message = json.loads(raw)
        if "method" in message:
            self._note(message)
        return message

    def _note(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.console_errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.console_errors.append(str(details.get("exception", {}).get("description") or details.get("text")))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            self.console_errors.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}".strip())

    async def send(self, method: str, params: dict[str, Any] | None = None, *, browser: bool = False) -> dict[str, Any]:
        """Send a command (to the page's session unless `browser`) and return its result."""
        self._next_id += 1
        command: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if self.session is not None and not browser:
            command["sessionId"] = self.session
        await self.send_stream.send_all(json.dumps(command).encode() + b"\0")
        with trio.fail_after(TIMEOUT_S):
            while True:
                message = await self._read_one()
                if message.get("id") == self._next_id:
                    if "error" in message:
                        raise RuntimeError(f"{method} failed: {message['error']}")
                    return message.get("result", {})

    async def wait_event(self, method: str, seen_before: int = 0) -> dict[str, Any]:
        """The first `method` event after the first `seen_before` events, waiting for it."""
        with trio.fail_after(TIMEOUT_S):
            while True:
                for event in self.events[seen_before:]:
                    if event["method"] == method:
                        return event
                await self._read_one()

    async def open_page(self, width: int, height: int) -> None:
        target = await self.send("Target.createTarget", {"url": "about:blank"}, browser=True)
        attached = await self.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}, browser=True
        )
        self.session = attached["sessionId"]
        for domain in ("Runtime.enable", "Log.enable", "Page.enable"):
            await self.send(domain)
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    async def load(self, url: str) -> None:
        seen = len(self.events)
        await self.send("Page.navigate", {"url": url})
        await self.wait_event("Page.loadEventFired", seen)

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluating {expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def click(self, selector: str) -> None:
        """A real mouse click at the centre of the element (so SVG event handlers see it)."""
        box = await self.evaluate(
            f"(() => {{ const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
            " window.scrollTo(0, 0); return [r.left + r.width / 2, r.top + r.height / 2]; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            await self.send(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1},
            )

    async def screenshot(self) -> bytes:
        result = await self.send("Page.captureScreenshot", {"format": "png"})
        return base64.b64decode(result["data"])


def _high_fd(fd: int) -> int:
    # Copies above the fds the child's dup2 targets (3, 4), so no dup2 clobbers its own source.
    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)


@asynccontextmanager
async def open_chromium(profile: Path, *, width: int = 1400, height: int = 1000) -> AsyncIterator[Browser]:
    executable = chromium_path()
    if executable is None:
        raise RuntimeError("chromium is not installed: `scripts/setup test` installs it (Debian package chromium)")
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()
    child_in, child_out = _high_fd(to_child_r), _high_fd(from_child_w)
    for fd in (to_child_r, from_child_w):
        os.close(fd)

    def wire_pipes() -> None:  # runs in the child before exec: fd 3 = commands in, fd 4 = replies out
        os.dup2(child_in, 3)
        os.dup2(child_out, 4)

    args = [executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"]
    with open(profile.parent / "chromium.log", "wb") as log:
        process = await trio.lowlevel.open_process(
            args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, close_fds=False, preexec_fn=wire_pipes
        )
    os.close(child_in)
    os.close(child_out)
    browser = Browser(trio.lowlevel.FdStream(to_child_w), trio.lowlevel.FdStream(from_child_r))
    try:
        await browser.open_page(width, height)
        yield browser
    finally:
        with trio.move_on_after(10) as scope:
            scope.shield = True
            try:
                await browser.send("Browser.close", browser=True)
            except (RuntimeError, trio.BrokenResourceError, trio.ClosedResourceError):
                pass
            await process.wait()
        if process.returncode is None:
            process.kill()
            with trio.CancelScope(shield=True):
                await process.wait()
        await browser.send_stream.aclose()
        await browser.receive_stream.aclose()
