"""Network guard for test processes: only loopback and Unix sockets may connect.

Injected through PYTHONPATH by editor_harness.network_guard when the machine
has no network namespaces. Runs in the TARGET project's interpreter, which
may be as old as Python 3.6: no f-strings, no walrus, no annotations.
Active only when SWARM_NETWORK_GUARD=1, so a stray PYTHONPATH entry is inert.
With SWARM_NETWORK_TARPIT=1 the outside behaves as a network that drops
packets: a connect with a timeout waits (at most 3 s), then times out.
After installing itself it runs the next `sitecustomize` on sys.path, if any,
so the environment's own customisation still happens.
"""

import errno
import ipaddress
import os
import socket
import sys
import time

_TARPIT_SECONDS = 3.0

_ALLOWED_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
_MESSAGE = "network access blocked by symbol-swarm's test guard (only loopback is allowed): "


def _is_loopback_host(host):
    if host is None or host == "":
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").split("%", 1)[0]
    if host.lower() in _ALLOWED_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def _check_address(sock_family, address, sock=None):
    if sock_family not in (socket.AF_INET, getattr(socket, "AF_INET6", None)):
        return
    host = address[0] if isinstance(address, tuple) and address else address
    if not _is_loopback_host(host):
        timeout = sock.gettimeout() if sock is not None else None
        if timeout and os.environ.get("SWARM_NETWORK_TARPIT") == "1":
            time.sleep(min(timeout, _TARPIT_SECONDS))
            raise socket.timeout("timed out (" + _MESSAGE + repr(address) + ")")
        raise OSError(errno.ENETUNREACH, _MESSAGE + repr(address))


def _install():
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_sendto = socket.socket.sendto
    real_getaddrinfo = socket.getaddrinfo

    def connect(self, address):
        _check_address(self.family, address, self)
        return real_connect(self, address)

    def connect_ex(self, address):
        _check_address(self.family, address)
        return real_connect_ex(self, address)

    def sendto(self, data, *args):
        _check_address(self.family, args[-1])
        return real_sendto(self, data, *args)

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if not _is_loopback_host(host):
            try:
                # A numeric address resolves locally; connecting to it is checked later.
                return real_getaddrinfo(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
            except socket.gaierror:
                raise socket.gaierror(socket.EAI_NONAME, _MESSAGE + "cannot resolve " + repr(host))
        return real_getaddrinfo(host, port, family, type, proto, flags)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.socket.sendto = sendto
    socket.getaddrinfo = getaddrinfo
    if hasattr(socket.socket, "sendmsg"):
        real_sendmsg = socket.socket.sendmsg

        def sendmsg(self, buffers, ancdata=(), flags=0, address=None):
            if address is not None:
                _check_address(self.family, address)
                return real_sendmsg(self, buffers, ancdata, flags, address)
            return real_sendmsg(self, buffers, ancdata, flags)

        socket.socket.sendmsg = sendmsg


def _chain_next_sitecustomize():
    import importlib.machinery
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    others = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", others)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)


if os.environ.get("SWARM_NETWORK_GUARD") == "1":
    _install()
_chain_next_sitecustomize()
