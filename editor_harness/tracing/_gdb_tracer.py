# Runs inside gdb's embedded Python (`gdb -nx -batch -x THIS --args TEST_EXE ...`)
# to trace a Rust test binary without touching the crate: one breakpoint per
# function of the repository (placed by the host from the symbol index, by
# absolute source path and the line of `fn`), each counting its hits and
# recording the arguments and return value of its first calls from DWARF.
# Hangs (SIGINT from the host at the timeout) and crashes (a fatal signal)
# leave the stack of the test's thread behind.
#
# Writes the same journal format as _pytest_plugin.py (one JSON object per
# line, appended as it goes) to the path in the config file named by
# $SWARM_TRACE_GDB_CONFIG. Must never import symbol-swarm: gdb's Python is
# not ours.

import json
import os
import re

import gdb  # type: ignore[import-not-found]

_CONFIG = json.load(open(os.environ["SWARM_TRACE_GDB_CONFIG"]))
_FD = os.open(_CONFIG["out"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
_ROOT = os.path.realpath(_CONFIG["root"])
_REPR_LIMIT = int(_CONFIG["repr_limit"])
_MAX_HITS = int(_CONFIG["max_hits"])
_NEXT_KEY = [0]
_NEXT_SAMPLE = [0]
_STOP = {"signal": ""}
# `ledger::ledger::Ledger` -> `Ledger`: module paths make values unreadable.
_MODULE_PATH = re.compile(r"\b(?:[a-z_][a-z0-9_]*::)+(?=[A-Z<])")


def _write(record):
    try:
        os.write(_FD, (json.dumps(record, separators=(",", ":")) + "\n").encode("ascii", "backslashreplace"))
    except Exception:
        pass


def _shorten(text, limit=None):
    limit = limit or _REPR_LIMIT
    text = _MODULE_PATH.sub("", " ".join(text.split()))
    if len(text) <= limit:
        return text
    head = (limit - 3) * 2 // 3
    return text[:head] + "..." + text[len(text) - (limit - 3 - head):]


def _show(value):
    """A value as text: references are followed once, deep structures elided."""
    try:
        code = value.type.strip_typedefs().code
        if code in (gdb.TYPE_CODE_PTR, gdb.TYPE_CODE_REF) and int(value) != 0:
            target = value.type.strip_typedefs().target().strip_typedefs()
            if target.code in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION, gdb.TYPE_CODE_INT,
                               gdb.TYPE_CODE_FLT, gdb.TYPE_CODE_BOOL, gdb.TYPE_CODE_ENUM):
                value = value.dereference()
        return _shorten(value.format_string(max_depth=3, max_elements=24, repeat_threshold=8, styling=False))
    except Exception as exc:  # optimised out, unreadable memory, a printer that failed
        return "<unavailable: " + _shorten(str(exc), 60) + ">"


def _arguments(frame):
    parts = []
    try:
        block = frame.block()
        while block is not None and block.function is None:
            block = block.superblock
        for symbol in block or ():
            if symbol.is_argument:
                parts.append(symbol.print_name + "=" + _show(symbol.value(frame)))
    except Exception as exc:
        return "<arguments unavailable: " + _shorten(str(exc), 60) + ">"
    return ", ".join(parts)


def _returns_in_memory(frame):
    """The return type when the x86-64 ABI returns it through memory (its
    address comes back in rax): gdb misreads such enums' payloads itself."""
    try:
        if "x86-64" not in frame.architecture().name():
            return None
        returned = frame.function().type.target().strip_typedefs()
    except Exception:
        return None
    if returned.code in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION) and returned.sizeof > 16:
        return returned
    return None


class _Return(gdb.FinishBreakpoint):
    def __init__(self, frame, sample):
        self.in_memory = _returns_in_memory(frame)
        gdb.FinishBreakpoint.__init__(self, frame, internal=True)
        self.sample = sample

    def stop(self):
        value = self.return_value
        if self.in_memory is not None:
            try:
                value = gdb.parse_and_eval("$rax").cast(self.in_memory.pointer()).dereference()
            except Exception:
                pass
        _write({"e": "ret", "s": self.sample, "v": "()" if value is None else _show(value)})
        return False

    def out_of_scope(self):
        _write({"e": "raise", "s": self.sample, "v": "<unwound: the call did not return normally>"})


class _Function(object):
    """One function of the repository; generic ones have several entry points."""

    def __init__(self, symbol_id, name, path, line):
        self.symbol_id = symbol_id
        self.name = name
        self.path = path
        self.line = line
        self.key = None
        self.calls = 0
        self.left = int(_CONFIG["max_calls"])


_DONE = []  # argument breakpoints that fired: deleted at the next stop, not inside their own


class _Entry(gdb.Breakpoint):
    """At a function's first instruction: exactly one hit per call, even for
    a one-line function whose body loops on the `fn` line."""

    def __init__(self, address, function, body):
        gdb.Breakpoint.__init__(self, "*0x%x" % address, internal=True)
        self.function = function
        self.body = body

    def stop(self):
        while _DONE:
            _DONE.pop().delete()
        function = self.function
        function.calls += 1
        if function.key is None:
            function.key = _NEXT_KEY[0]
            _NEXT_KEY[0] += 1
            _write({"e": "code", "k": function.key, "f": function.path, "l": function.line,
                    "n": gdb.selected_frame().name() or function.name, "q": None, "body": False,
                    "sym": function.symbol_id})
        if function.left > 0:
            function.left -= 1
            sample = _NEXT_SAMPLE[0]
            _NEXT_SAMPLE[0] += 1
            # Arguments are readable only once the prologue has stored them.
            _Arguments(self.body, function, sample, gdb.selected_frame())
        if function.calls >= _MAX_HITS:
            self.enabled = False
            _write({"e": "note", "text": "stopped counting %s at %d calls" % (function.symbol_id, _MAX_HITS)})
        return False


class _Arguments(gdb.Breakpoint):
    def __init__(self, address, function, sample, frame):
        gdb.Breakpoint.__init__(self, "*0x%x" % address, internal=True)
        self.function = function
        self.sample = sample
        self.frame = frame

    def stop(self):
        if not self.enabled:
            return False
        try:
            frame = gdb.selected_frame()
            if frame != self.frame:
                return False  # another call (another thread) got here first
        except gdb.error:
            return False
        self.enabled = False
        _DONE.append(self)
        _write({"e": "call", "k": self.function.key, "s": self.sample, "a": _arguments(frame)})
        try:
            _Return(frame, self.sample)
        except Exception:
            pass  # no caller frame to return to (a thread's entry point)
        return False


def _frames():
    """The stack of the thread that holds repository code, innermost first."""
    best = []
    for thread in gdb.selected_inferior().threads():
        try:
            thread.switch()
            frame = gdb.newest_frame()
        except gdb.error:
            continue
        found = []
        while frame is not None and len(found) < 200:
            sal = frame.find_sal()
            path = sal.symtab.fullname() if sal.symtab is not None else ""
            found.append([path, sal.line, frame.name() or "??"])
            try:
                frame = frame.older()
            except gdb.error:
                break
        inside = [f for f in found if f[0].startswith(_ROOT + os.sep)]
        if inside and (not best or len(inside) > len([f for f in best if f[0].startswith(_ROOT + os.sep)])):
            best = found
        elif not best:
            best = found
    return [f for i, f in enumerate(best) if i == 0 or f[0].startswith(_ROOT + os.sep)]


def _on_stop(event):
    if isinstance(event, gdb.SignalEvent):
        _STOP["signal"] = event.stop_signal


def _counts():
    _write({"e": "counts", "c": [[f.key, f.calls] for f in _FUNCTIONS if f.key is not None]})


for setting in ("pagination off", "confirm off", "print thread-events off", "print inferior-events off",
                "startup-with-shell off", "breakpoint pending off", "style enabled off"):
    try:
        gdb.execute("set " + setting)
    except gdb.error:
        pass
# Signals a test may use on purpose pass straight through; fatal ones stop it
# so that its stack can be read.
for name in ("SIGPIPE", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGCHLD", "SIGWINCH", "SIGURG", "SIGIO", "SIGPROF",
             "SIGVTALRM"):
    try:
        gdb.execute("handle %s nostop noprint pass" % name, to_string=True)
    except gdb.error:
        pass
_write({"e": "start", "python": "", "tracer": "gdb breakpoints", "gdb": gdb.VERSION, "pid": os.getpid()})


def _own(location, first, last):
    """Is this breakpoint location inside the function itself? With no code
    on its line gdb slides to the next line that has some, maybe another
    function's; a closure on the `fn` line (#[test]'s) is not the function."""
    if "closure" in (location.function or ""):
        return False
    source = location.source
    return source is not None and first <= source[1] <= last


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _entry_of(address, name):
    """The first instruction of the function holding `address`, if it is the
    function called `name` (and not a nested one on the same line)."""
    block = gdb.block_for_pc(address)
    while block is not None and block.function is None:
        block = block.superblock
    if block is None or block.function is None:
        return None
    full = block.function.print_name or ""
    while full.endswith(">") and "<" in full:
        full = full[:full.rindex("<")]  # trailing generic arguments
    names = _IDENT.findall(full)
    return block.start if names and names[-1] == name else None


# Stop at the first instruction: the executable is mapped (addresses of a PIE
# relocated), nothing of the test has run yet.
gdb.execute("starti", to_string=True)
_FUNCTIONS = []
_BREAKPOINTS = []
for symbol_id, name, path, line, last_line in _CONFIG["functions"]:
    try:
        probe = gdb.Breakpoint("-source %s -line %d" % (path, line), internal=True)
    except gdb.error:
        continue  # not compiled into this binary (unused generic, other target, cfg'd out)
    bodies = [loc.address for loc in probe.locations if _own(loc, line, last_line)]
    probe.delete()
    function = _Function(symbol_id, name, path, line)
    entries = set()
    for body in bodies:
        entry = _entry_of(body, name)
        if entry is not None and entry not in entries:
            entries.add(entry)
            _BREAKPOINTS.append(_Entry(entry, function, body))
    if entries:
        _FUNCTIONS.append(function)
_write({"e": "note", "text": "%d of the crate's functions are in this test binary" % len(_FUNCTIONS)})
gdb.events.stop.connect(_on_stop)
gdb.execute("continue", to_string=False)
_counts()
if gdb.selected_inferior().pid:
    signal_name = _STOP["signal"] or "SIGINT"  # no signal seen: the host interrupted us
    kind = "hang" if signal_name == "SIGINT" else "crash"
    _write({"e": kind, "signal": signal_name, "frames": _frames()})
    gdb.execute("kill")
    _write({"e": "end", "exit": -1})
else:
    exit_code = gdb.parse_and_eval("$_exitcode")
    _write({"e": "end", "exit": int(exit_code) if exit_code.type.code != gdb.TYPE_CODE_VOID else -1})
