"""Holds the pytest plugin the pytest runner loads with -p (not imported here)."""
