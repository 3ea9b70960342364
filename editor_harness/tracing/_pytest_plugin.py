# Injected into the TARGET repository's test process as a pytest plugin
# (`-p swarm_trace_plugin`, found through PYTHONPATH). It records which code
# of the repository runs while the selected tests run: call counts per code
# object, argument / return reprs of the first calls, the failure's traceback,
# and (on SIGUSR1, sent at a timeout) the stack of the hung test.
#
# The target's interpreter may be anything from Python 3.6 to 3.13, so this
# file uses no f-strings, no walrus, no dataclasses, no `from __future__`
# imports and nothing but the standard library and pytest's public hooks.
# It must never import anything from symbol-swarm.
#
# Output: one JSON object per line, appended to $SWARM_TRACE_OUT with os.write
# as things happen, so a crashed or killed process still leaves a partial
# trace behind. editor_harness.tracing.journal reads it.

import dis
import json
import os
import reprlib
import signal
import sys
import threading
from typing import Any

import pytest

_OPCODES = dis.opmap
_RETURN_OPS = frozenset(_OPCODES[n] for n in ("RETURN_VALUE", "RETURN_CONST") if n in _OPCODES)
_YIELD_OPS = frozenset(_OPCODES[n] for n in ("YIELD_VALUE", "YIELD_FROM") if n in _OPCODES)
_RESUME_OP = _OPCODES.get("RESUME")
_CO_NEWLOCALS = 0x0002
_CO_VARARGS = 0x0004
_CO_VARKEYWORDS = 0x0008
_CO_GENERATOR_LIKE = 0x0020 | 0x0080 | 0x0200  # generator, coroutine, async generator
_MAX_CODES = 20000
_MAX_TEXT = 4000
_SKIPPED_DIRS = ("site-packages", "dist-packages")
_MONITORING = getattr(sys, "monitoring", None)  # type: Any  # Python 3.12+
_DISABLE = getattr(_MONITORING, "DISABLE", None)

# Slots of a code entry (a list: cheaper than an object on the hot path).
_CODE = 0  # the code object itself: ids are reused, identity is checked
_KEY = 1  # int key in the journal, None for code outside the repository
_CALLS = 2
_LEFT = 3  # samples still to take
_PENDING = 4  # samples taken whose return has not been seen yet


class _SafeRepr(reprlib.Repr):
    """repr() that never raises, never runs away and shows plain objects' fields."""

    def __init__(self, limit):
        reprlib.Repr.__init__(self)
        self.maxlevel = 3
        self.maxtuple = self.maxlist = self.maxarray = 8
        self.maxdict = self.maxset = self.maxfrozenset = self.maxdeque = 6
        self.maxstring = max(limit, 10)
        self.maxlong = max(limit, 10)
        self.maxother = max(limit, 10)
        self.limit = limit

    def repr_instance(self, obj, level):
        cls = type(obj)
        name = getattr(cls, "__name__", "object")
        try:
            if cls.__repr__ is object.__repr__:
                fields = getattr(obj, "__dict__", None)
                if not isinstance(fields, dict):
                    return "<" + name + ">"
                if level <= 0:
                    return name + "(...)"
                items = [(k, v) for k, v in list(fields.items())[:6] if isinstance(k, str)]
                parts = [k + "=" + self.repr1(v, level - 1) for k, v in items]
                if len(fields) > len(items):
                    parts.append("...")
                text = name + "(" + ", ".join(parts) + ")"
            else:
                text = repr(obj)
                if not isinstance(text, str):
                    return "<unreprable " + name + ">"
        except Exception:
            return "<unreprable " + name + ">"
        return _shorten(text, self.maxother)

    def safe(self, obj):
        try:
            return _shorten(self.repr(obj), self.limit)
        except Exception:
            return "<unreprable " + getattr(type(obj), "__name__", "object") + ">"


def _shorten(text, limit):
    if len(text) <= limit:
        return text
    keep = max(limit - 3, 2)
    head = (keep * 2) // 3
    return text[:head] + "..." + text[len(text) - (keep - head):]


class _Journal(object):
    def __init__(self, path):
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def write(self, record):
        try:
            line = json.dumps(record, separators=(",", ":")) + "\n"
            os.write(self.fd, line.encode("ascii", "backslashreplace"))
        except Exception:
            pass  # a trace must never break the test run

    def close(self):
        try:
            os.close(self.fd)
        except OSError:
            pass


def _text(value):
    try:
        return _shorten(str(value), _MAX_TEXT)
    except Exception:
        return "<unprintable " + type(value).__name__ + ">"


class _Recorder(object):
    """What both tracing back ends share: which code counts, counts, samples."""

    def __init__(self, journal, root, max_samples, repr_limit):
        self.journal = journal
        self.root = root
        self.max_samples = max_samples
        self.reprs = _SafeRepr(repr_limit)
        self.by_id = {}
        self.files = {}
        self.keys = []  # key -> entry
        self.pending = {}  # id(frame) -> (sample id, entry)
        self.next_sample = 0
        self.cwd = os.getcwd()
        self.here = os.path.dirname(os.path.abspath(__file__))

    def entry(self, code):
        entry = self.by_id.get(id(code))
        if entry is not None and entry[_CODE] is code:
            return entry
        key = None
        name = code.co_name
        if (not name.startswith("<") or name == "<module>") and len(self.keys) < _MAX_CODES:
            if self.in_repo(code.co_filename):
                key = len(self.keys)
        entry = [code, key, 0, self.max_samples if key is not None else 0, 0]
        self.by_id[id(code)] = entry
        if key is not None:
            self.keys.append(entry)
            self.journal.write({
                "e": "code", "k": key, "f": self.files[code.co_filename], "l": code.co_firstlineno,
                "n": name, "q": getattr(code, "co_qualname", None),
                "body": not (code.co_flags & _CO_NEWLOCALS),
            })
        return entry

    def in_repo(self, filename):
        known = self.files.get(filename)
        if known is not None:
            return bool(known)
        path = filename
        if not path or path.startswith("<"):
            found = ""
        else:
            if not os.path.isabs(path):
                path = os.path.join(self.cwd, path)
            path = os.path.normcase(os.path.realpath(path))
            inside = path.startswith(self.root + os.sep)
            parts = path[len(self.root):].split(os.sep) if inside else ()
            found = path if inside and not any(p in _SKIPPED_DIRS for p in parts) else ""
            if found and os.path.dirname(path) == self.here:
                found = ""
        self.files[filename] = found
        return bool(found)

    def path(self, filename):
        """The normalised path of a repository file; other files keep their name."""
        return self.files[filename] if self.in_repo(filename) else filename

    def start(self, entry, frame):
        """A sampled call begins: record its arguments now, before they change."""
        entry[_LEFT] -= 1
        entry[_PENDING] += 1
        sample = self.next_sample
        self.next_sample += 1
        self.pending[id(frame)] = (sample, entry)
        self.journal.write({"e": "call", "k": entry[_KEY], "s": sample, "a": self.arguments(frame)})

    def arguments(self, frame):
        code = frame.f_code
        try:
            values = frame.f_locals
            names = code.co_varnames
            positional = code.co_argcount  # positional-only ones included (3.8+)
            kwonly = code.co_kwonlyargcount
            parts = []
            for name in names[:positional]:
                parts.append(self.pair(name, values))
            index = positional + kwonly
            if code.co_flags & _CO_VARARGS:
                star = names[index]
                index += 1
                if values.get(star):
                    parts.append("*" + self.pair(star, values))
            for name in names[positional:positional + kwonly]:
                parts.append(self.pair(name, values))
            if code.co_flags & _CO_VARKEYWORDS:
                if values.get(names[index]):
                    parts.append("**" + self.pair(names[index], values))
            return ", ".join(parts)
        except Exception as exc:
            return "<arguments unavailable: " + type(exc).__name__ + ">"

    def pair(self, name, values):
        if name not in values:
            return name + "=<unbound>"
        return name + "=" + self.reprs.safe(values[name])

    def finish(self, frame, kind, value):
        done = self.pending.pop(id(frame), None)
        if done is None:
            return
        sample, entry = done
        if entry[_CODE] is not frame.f_code:
            return
        entry[_PENDING] -= 1
        self.journal.write({"e": kind, "s": sample, "v": self.reprs.safe(value)})

    def yielded(self, frame, value):
        done = self.pending.get(id(frame))
        if done is not None and done[1][_CODE] is frame.f_code:
            self.journal.write({"e": "yield", "s": done[0], "v": self.reprs.safe(value)})

    def flush_counts(self):
        self.journal.write({"e": "counts", "c": [[e[_KEY], e[_CALLS]] for e in list(self.keys)]})


class _MonitoringTracer(object):
    """Python 3.12+: sys.monitoring, with every event of code outside the
    repository switched off after its first sighting (DISABLE)."""

    name = "sys.monitoring"

    def __init__(self, recorder):
        self.recorder = recorder
        self.by_id = recorder.by_id
        self.tool = None

    def start(self):
        mon = _MONITORING
        for tool in (mon.PROFILER_ID, 3, 4):
            try:
                mon.use_tool_id(tool, "symbol-swarm trace")
            except ValueError:
                continue
            self.tool = tool
            break
        if self.tool is None:
            return "every sys.monitoring tool id is taken (another profiler or debugger is active)"
        ev = mon.events
        mon.register_callback(self.tool, ev.PY_START, self.on_start)
        mon.register_callback(self.tool, ev.PY_RETURN, self.on_return)
        mon.register_callback(self.tool, ev.PY_YIELD, self.on_yield)
        mon.register_callback(self.tool, ev.PY_UNWIND, self.on_unwind)
        mon.set_events(self.tool, ev.PY_START | ev.PY_RETURN | ev.PY_YIELD | ev.PY_UNWIND)
        return None

    def stop(self):
        if self.tool is None:
            return
        mon = _MONITORING
        mon.set_events(self.tool, 0)
        for event in (mon.events.PY_START, mon.events.PY_RETURN, mon.events.PY_YIELD, mon.events.PY_UNWIND):
            mon.register_callback(self.tool, event, None)
        mon.free_tool_id(self.tool)
        self.tool = None

    def on_start(self, code, offset):
        # The hot path: once per call of repository code.
        entry = self.by_id.get(id(code))
        if entry is None or entry[_CODE] is not code:
            entry = self.recorder.entry(code)
        if entry[_KEY] is None:
            return _DISABLE
        entry[_CALLS] += 1
        if entry[_LEFT] > 0:
            self.recorder.start(entry, sys._getframe(1))
        return None

    def on_return(self, code, offset, value):
        entry = self.recorder.entry(code)
        if entry[_PENDING] == 0:
            return _DISABLE if entry[_LEFT] == 0 else None
        self.recorder.finish(sys._getframe(1), "ret", value)
        return None

    def on_yield(self, code, offset, value):
        entry = self.recorder.entry(code)
        if entry[_PENDING] == 0:
            return _DISABLE if entry[_LEFT] == 0 else None
        self.recorder.yielded(sys._getframe(1), value)
        return None

    def on_unwind(self, code, offset, exc):
        # PY_UNWIND cannot be disabled per code object: keep this cheap.
        if self.recorder.pending:
            self.recorder.finish(sys._getframe(1), "raise", exc)


class _SettraceTracer(object):
    """Python < 3.12: sys.settrace. Code outside the repository gets no local
    tracer; repository frames get one only while a sample is open, with line
    events switched off where the interpreter allows it (3.7+)."""

    name = "sys.settrace"

    def __init__(self, recorder):
        self.recorder = recorder
        self.previous = None
        self.errors = {}

    def start(self):
        self.previous = sys.gettrace()
        sys.settrace(self.on_call)
        threading.settrace(self.on_call)
        return None

    def stop(self):
        sys.settrace(self.previous)
        threading.settrace(self.previous)

    def on_call(self, frame, event, arg):
        if event != "call":
            return None
        code = frame.f_code
        recorder = self.recorder
        entry = recorder.by_id.get(id(code))
        if entry is None or entry[_CODE] is not code:
            entry = recorder.entry(code)
        if entry[_KEY] is None:
            return None
        if code.co_flags & _CO_GENERATOR_LIKE and not _starting(frame):
            return self.on_local if id(frame) in recorder.pending else None
        entry[_CALLS] += 1
        if entry[_LEFT] <= 0:
            return None
        recorder.start(entry, frame)
        try:
            frame.f_trace_lines = False
        except AttributeError:
            pass  # 3.6: line events still come; on_local ignores them
        return self.on_local

    def on_local(self, frame, event, arg):
        if event == "exception":
            self.errors[id(frame)] = arg[1]
        elif event == "return":
            op = _op_at(frame)
            error = self.errors.pop(id(frame), None)
            if op in _RETURN_OPS:
                self.recorder.finish(frame, "ret", arg)
            elif op in _YIELD_OPS or (op == _RESUME_OP and op is not None):
                self.recorder.yielded(frame, arg)
            else:
                self.recorder.finish(frame, "raise", error)
        return self.on_local


def _op_at(frame):
    code = frame.f_code.co_code
    index = frame.f_lasti
    return code[index] if 0 <= index < len(code) else None


def _starting(frame):
    """Is this 'call' event a generator's first entry rather than a resume?"""
    index = frame.f_lasti
    if index < 0:
        return True
    code = frame.f_code.co_code
    return _RESUME_OP is not None and code[index] == _RESUME_OP and (code[index + 1] & 3) == 0


def _frames(recorder, tb=None, frame=None):
    """[[path, line, name], ...] innermost first, from a traceback or a frame:
    the innermost frame wherever it is, then only frames of the repository."""
    found = []
    while tb is not None:
        found.append((tb.tb_frame.f_code, tb.tb_lineno))
        tb = tb.tb_next
    found.reverse()
    while frame is not None:
        found.append((frame.f_code, frame.f_lineno))
        frame = frame.f_back
    return [
        [recorder.path(code.co_filename), line, code.co_name]
        for index, (code, line) in enumerate(found)
        if index == 0 or recorder.in_repo(code.co_filename)
    ]


class _Session(object):
    def __init__(self):
        self.journal = _Journal(os.environ["SWARM_TRACE_OUT"])
        root = os.path.normcase(os.path.realpath(os.environ["SWARM_TRACE_ROOT"]))
        recorder = _Recorder(
            self.journal,
            root,
            int(os.environ.get("SWARM_TRACE_MAX_CALLS", "3")),
            int(os.environ.get("SWARM_TRACE_REPR_LIMIT", "120")),
        )
        self.recorder = recorder
        mode = os.environ.get("SWARM_TRACE_MODE", "auto")
        use_monitoring = _MONITORING is not None and mode != "settrace"
        self.tracer = _MonitoringTracer(recorder) if use_monitoring else _SettraceTracer(recorder)
        self.tracing = False
        self.previous_handler = None  # type: Any
        self.journal.write({
            "e": "start", "python": sys.version.split()[0], "tracer": self.tracer.name,
            "pytest": getattr(pytest, "__version__", "?"), "pid": os.getpid(),
        })

    def begin(self):
        if self.tracing:
            return
        problem = self.tracer.start()
        if problem:
            self.journal.write({"e": "note", "text": "no call tracing: " + problem})
            return
        self.tracing = True

    def end(self):
        if self.tracing:
            self.tracer.stop()
            self.tracing = False
        self.recorder.flush_counts()

    def on_signal(self, signum, frame):
        # Sent by the host when the run timed out: say where we are, then let
        # the host kill us.
        self.journal.write({"e": "hang", "frames": _frames(self.recorder, frame=frame)})
        self.recorder.flush_counts()


_session = None


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    global _session
    if _session is not None or "SWARM_TRACE_OUT" not in os.environ:
        return
    _session = _Session()
    if hasattr(signal, "SIGUSR1") and threading.current_thread() is threading.main_thread():
        _session.previous_handler = signal.signal(signal.SIGUSR1, _session.on_signal)
    # One selection is traced in one process: pytest-xdist workers (`-n` in a
    # project's addopts) would each run their own tracer. Runs before xdist's
    # own configure hook, which is where it would start them.
    if getattr(config.option, "dist", "no") != "no" or getattr(config.option, "numprocesses", None):
        config.option.dist = "no"
        config.option.numprocesses = None
        _session.journal.write({"e": "note", "text": "pytest-xdist was switched off: one process is traced"})


def pytest_collection_finish(session):
    if _session is not None:
        _session.journal.write({"e": "collected", "n": len(session.items)})


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    if _session is not None:
        code = _test_code(item)
        if code is not None:
            _session.journal.write({
                "e": "test", "id": item.nodeid, "f": _session.recorder.path(code.co_filename),
                "l": code.co_firstlineno,
                "n": code.co_name,
            })
        _session.begin()
    yield


def _test_code(item):
    func = getattr(item, "obj", None)
    for _ in range(10):
        inner = getattr(func, "__wrapped__", None)
        if inner is None:
            break
        func = inner
    func = getattr(func, "__func__", func)
    return getattr(func, "__code__", None)


def pytest_runtest_makereport(item, call):
    if _session is None or call.excinfo is None:
        return
    value = call.excinfo.value
    if isinstance(value, (pytest.skip.Exception, pytest.xfail.Exception)):
        return
    _session.journal.write({
        "e": "exception", "id": item.nodeid, "when": call.when, "type": type(value).__name__,
        "msg": _text(value), "frames": _frames(_session.recorder, tb=call.excinfo.tb),
    })


def pytest_collectreport(report):
    if _session is None or not report.failed:
        return
    _session.journal.write({
        "e": "exception", "id": report.nodeid, "when": "collect", "type": "CollectError",
        "msg": _text(getattr(report, "longreprtext", None) or report.longrepr), "frames": [],
    })


def pytest_runtest_logreport(report):
    if _session is None:
        return
    _session.journal.write({
        "e": "report", "id": report.nodeid, "when": report.when, "outcome": report.outcome,
        "xfail": bool(getattr(report, "wasxfail", None)), "dur": getattr(report, "duration", 0.0),
    })


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    if _session is not None:
        _session.end()
        _session.journal.write({"e": "end", "exit": int(exitstatus)})


def pytest_unconfigure(config):
    global _session
    if _session is None:
        return
    if _session.tracing:
        _session.end()
    if _session.previous_handler is not None:
        signal.signal(signal.SIGUSR1, _session.previous_handler)
    _session.journal.close()
    _session = None
