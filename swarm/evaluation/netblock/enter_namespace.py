"""Run as a script (stdlib only) as the first process inside a fresh network
namespace, then exec the command given after `--`.

Inside, the namespace looks like a network that silently drops outbound
traffic, which is what test suites written against a real network expect
(a "tarpit" address such as 10.255.255.1 times out rather than failing at
once): loopback is up, the default routes point into loopback, where
foreign packets die; name servers are unreachable so lookups fail at once;
and TCP gives up on a silent peer after ~3 s instead of ~2 min. Nothing
leaves the namespace. Without the `ip` tool only loopback comes up and every
other address fails at once with ENETUNREACH.
"""

import fcntl
import os
import shutil
import socket
import struct
import subprocess
import sys

SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


def loopback_up():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


def name_servers(path="/etc/resolv.conf"):
    try:
        with open(path) as handle:
            lines = handle.read().splitlines()
    except OSError:
        return []
    return [line.split()[1] for line in lines if line.startswith("nameserver") and len(line.split()) > 1]


def black_hole():
    ip = shutil.which("ip") or next((p for p in ("/usr/sbin/ip", "/sbin/ip") if os.path.exists(p)), None)
    if ip is None:
        return

    def quietly(*args):
        subprocess.run([ip, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    quietly("route", "add", "default", "dev", "lo")
    quietly("-6", "route", "add", "default", "dev", "lo")
    for server in name_servers():
        if ":" in server:
            quietly("-6", "route", "add", "unreachable", server + "/128")
        else:
            quietly("-4", "route", "add", "unreachable", server + "/32")
    try:
        with open("/proc/sys/net/ipv4/tcp_syn_retries", "w") as handle:
            handle.write("1")
    except OSError:
        pass


def main(argv):
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        sys.exit("usage: enter_namespace.py -- COMMAND [ARGS...]")
    command = argv[argv.index("--") + 1 :]
    loopback_up()
    black_hole()
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
