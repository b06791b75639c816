"""Stockroom's benchmark suite: ``make bench`` (``python -m bench --help``). See README "Performance"."""
