"""vidstyle benchmarks (installed as vidstyle.benchmarks; also `python -m benchmarks` from the repo)."""
