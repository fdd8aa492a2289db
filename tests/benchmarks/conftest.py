"""Benchmarks print numbers; they are not tests. Keep pytest out of this folder entirely."""

collect_ignore_glob = ["*"]
