"""Benchmark harnesses for Enclave; run them from the repo root with ``python -m bench.<name>``."""
