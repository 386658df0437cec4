"""Shared pytest configuration."""


def pytest_configure(config):
    # Slow tests still run by default (and in CI); `-m "not slow"` skips them.
    config.addinivalue_line(
        "markers", "slow: long-running reliability test (run by default; -m 'not slow' skips)"
    )
