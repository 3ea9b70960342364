"""Inside a fresh network namespace: bring loopback up, then exec the command.

Run as a script (`python -I -S netns_exec.py -- CMD ...`) right after
`unshare --net`; a new namespace starts with `lo` down, and tests still need
127.0.0.1 for their own servers. Standard library only, no imports of ours.
"""

from __future__ import annotations

import fcntl
import os
import socket
import struct
import sys

_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1


def loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock.fileno(), _SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock.fileno(), _SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | _IFF_UP))


def main(argv: list[str]) -> int:
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print("usage: netns_exec.py -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    try:
        loopback_up()
    except OSError as exc:
        print(f"netns_exec: cannot bring loopback up: {exc}", file=sys.stderr)
        return 125
    try:
        os.execvp(argv[0], argv)
    except OSError as exc:
        print(f"netns_exec: cannot run {argv[0]}: {exc}", file=sys.stderr)
        return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
