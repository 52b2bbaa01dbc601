"""Helpers the test folders share: small sites on disk, the benchmark corpus."""
