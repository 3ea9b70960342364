"""The trace tool's parts: run one test selection and see which symbols of the
repository it executed. The entry point is `editor_harness.trace.trace_test`.

    model.py           TraceResult and its parts (frozen, JSON in and out), TraceOptions
    errors.py          TraceError and its kinds
    process.py         run a command in its own process group, with a timeout
    symbol_map.py      locations and runtime names -> symbol ids, through the index
    call_table.py      a run's evidence per symbol, in order of first call
    notes.py           the caveats a trace's note ends with
    journal.py         read the journal the injected tracers write
    _pytest_plugin.py  Python: the pytest plugin (runs in the TARGET interpreter, 3.6+)
    python.py          PythonTracer: pytest + the plugin
    cargo_targets.py   Rust: selection -> cargo arguments, build, list the tests
    cargo_output.py    Rust: read libtest's output: results, panics, backtraces
    _gdb_tracer.py     Rust: counts calls under gdb (runs in gdb's Python)
    rust.py            RustTracer: the test binary under gdb, or with backtraces only
"""
