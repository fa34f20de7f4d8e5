"""A seeded generator of national-scale, believable data for benchmarks, load and query-count tests.

``citypilot generate --scale N [--seed S]``: see ``core`` for the shape and ``steps`` for what is made.
"""
