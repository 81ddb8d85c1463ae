"""Benchmarks of livionkey-async, run against the simulator in a separate process.

Not tests: nothing here asserts speed. Run them with ``make bench`` / ``make bench-bulk`` or
``python -m benchmarks.rate_limit`` / ``python -m benchmarks.bulk``; see ``README.md``.
"""
