"""SWE-bench-format evaluation: mirrors, batch runs, local grading."""
