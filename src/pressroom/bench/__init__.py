"""Benchmarks that report ratios against a baseline measured in the same run.

These machines are shared and noisy: absolute numbers drift, ratios of two measurements
taken side by side mostly do not. Each suite interleaves its candidate and its baseline.
"""
