"""Reproducible benchmarks for briefbot (quality and speed). Run as scripts: see the README."""
