"""Reference data (from R) and loaders shared by tests/test_stats_*.py."""
