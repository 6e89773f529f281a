"""What `make bench` and `make chaos` run. Benchmarks print figures; they assert nothing about time."""
