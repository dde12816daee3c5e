"""Load benchmarks; run them with `make bench`, never under pytest."""
