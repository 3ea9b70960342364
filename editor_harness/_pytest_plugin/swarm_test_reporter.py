"""pytest plugin: one JSON line per test event, written and flushed as it happens.

Loaded by editor_harness.pytest_runner with `-p swarm_test_reporter` from
PYTHONPATH, into the TARGET project's interpreter (Python 3.6+, pytest 3.6+):
no f-strings, no annotations. Because every line is flushed at once, a run
killed at its timeout still says which tests finished and which one hung.
The output path comes from SWARM_TEST_REPORT; without it the plugin is inert.
"""

import json
import os

_OUT = []
_MAX_MESSAGE = 4000


def _write(record):
    if not _OUT:
        return
    _OUT[0].write(json.dumps(record) + "\n")
    _OUT[0].flush()


def _message(report):
    text = getattr(report, "longreprtext", None)
    if text is None and report.longrepr is not None:
        text = str(report.longrepr)
    text = text or ""
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        text = str(report.longrepr[2])  # a skip: (path, line, reason)
    crash = getattr(getattr(report.longrepr, "reprcrash", None), "message", None)
    if crash and len(text) > _MAX_MESSAGE:
        return crash + "\n...\n" + text[-(_MAX_MESSAGE - len(crash)):]
    return text[-_MAX_MESSAGE:]


def pytest_configure(config):
    path = os.environ.get("SWARM_TEST_REPORT")
    if path and not _OUT:
        _OUT.append(open(path, "a", encoding="utf-8"))


def pytest_sessionstart(session):
    root = getattr(session.config, "rootpath", None) or getattr(session.config, "rootdir", None)
    _write({"event": "session", "rootdir": str(root) if root is not None else None})


def pytest_collectreport(report):
    if report.failed:
        _write({"event": "collect_error", "nodeid": report.nodeid, "message": _message(report)})


def pytest_collection_finish(session):
    _write({"event": "collected", "nodeids": [item.nodeid for item in session.items]})


def pytest_runtest_logstart(nodeid, location):
    _write({"event": "start", "nodeid": nodeid})


def pytest_runtest_logreport(report):
    record = {
        "event": "report",
        "nodeid": report.nodeid,
        "when": report.when,
        "outcome": report.outcome,
        "duration": getattr(report, "duration", 0.0),
        "wasxfail": hasattr(report, "wasxfail"),
    }
    if report.outcome != "passed":
        record["message"] = _message(report)
    _write(record)


def pytest_sessionfinish(session, exitstatus):
    _write({"event": "finish", "exitstatus": int(exitstatus)})


def pytest_unconfigure(config):
    while _OUT:
        _OUT.pop().close()
