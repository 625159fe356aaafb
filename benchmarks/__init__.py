"""Benchmarks: throughput and memory, mutation scores, the report's height (run as scripts)."""
