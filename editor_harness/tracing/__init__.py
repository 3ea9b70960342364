"""The trace tool's parts: run one test selection and see which symbols of the
repository it executed. The entry point is `editor_harness.trace.trace_test`.

    model.py           TraceResult and its parts (frozen, JSON in and out)
    process.py         run a command in its own process group, with a timeout
    journal.py         read what the injected pytest plugin wrote
    _pytest_plugin.py  the plugin itself (runs in the TARGET interpreter, 3.6+)
    python.py          PythonTracer: pytest + the plugin, mapped to symbol ids
    cargo_output.py    read `cargo test` output: results, panics, backtraces
    rust.py            RustTracer: cargo test with backtraces, mapped to symbol ids
    symbol_map.py      locations and names -> symbol ids through the index
"""
