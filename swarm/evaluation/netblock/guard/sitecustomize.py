"""Loaded by every Python process of a graded test run (PYTHONPATH): no
connection leaves the machine. Like the namespace block, it behaves as a
network that drops outbound packets: a connect with a timeout waits (at most
3 s) and times out, one without fails at once, and name lookups fail at
once; loopback and Unix sockets work. Must stay valid Python 3.6 (the oldest
interpreter an environment may use)."""

import errno
import os
import socket
import time

_SILENT_PEER_SECONDS = 3.0

_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")


def _is_local_host(host):
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).split("%", 1)[0].strip("[]").lower()
    if host in _LOCAL_NAMES or host == "::1" or host.startswith("127."):
        return True
    return host in ("0:0:0:0:0:0:0:1",)


def _refuse(what):
    return OSError(
        errno.ENETUNREACH, "network blocked by the symbol-swarm grader: " + str(what)
    )


def _check(sock, address, connecting=True):
    family = getattr(sock, "family", None)
    if family not in (socket.AF_INET, socket.AF_INET6):
        return
    if isinstance(address, tuple) and address and _is_local_host(address[0]):
        return
    timeout = sock.gettimeout() if connecting else None
    if timeout:
        time.sleep(min(timeout, _SILENT_PEER_SECONDS))
        raise socket.timeout("timed out (network blocked by the symbol-swarm grader)")
    raise _refuse(address)


def _install():
    base = socket.socket
    connect, connect_ex, sendto = base.connect, base.connect_ex, base.sendto

    def guarded_connect(self, address):
        _check(self, address)
        return connect(self, address)

    def guarded_connect_ex(self, address):
        try:
            _check(self, address)
        except OSError as exc:
            return exc.errno or errno.ETIMEDOUT
        return connect_ex(self, address)

    def guarded_sendto(self, data, *args):
        _check(self, args[-1], connecting=False)
        return sendto(self, data, *args)

    base.connect, base.connect_ex, base.sendto = guarded_connect, guarded_connect_ex, guarded_sendto
    getaddrinfo, gethostbyname = socket.getaddrinfo, socket.gethostbyname

    def guarded_getaddrinfo(host, *args, **kwargs):
        if host is not None and not _is_local_host(host) and not _is_literal(host):
            raise socket.gaierror(socket.EAI_NONAME, "name lookup blocked by the symbol-swarm grader")
        return getaddrinfo(host, *args, **kwargs)

    def guarded_gethostbyname(host):
        if not _is_local_host(host) and not _is_literal(host):
            raise socket.gaierror(socket.EAI_NONAME, "name lookup blocked by the symbol-swarm grader")
        return gethostbyname(host)

    socket.getaddrinfo, socket.gethostbyname = guarded_getaddrinfo, guarded_gethostbyname


def _is_literal(host):
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, str(host).split("%", 1)[0])
            return True
        except (OSError, ValueError):
            pass
    return False


if os.environ.get("SWARM_NETWORK_GUARD") == "1":
    _install()
