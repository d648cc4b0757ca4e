"""Capacity planning: turn an expected audience into throughput, workers and sizes."""
