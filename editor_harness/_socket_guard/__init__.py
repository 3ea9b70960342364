"""Holds sitecustomize.py, put on a test process's PYTHONPATH by network_guard (not imported)."""
