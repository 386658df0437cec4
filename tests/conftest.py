"""Shared pytest configuration."""


def pytest_configure(config):
    # Slow tests still run by default (and in CI); `-m "not slow"` skips them.
    config.addinivalue_line(
        "markers", "slow: long-running reliability test (run by default; -m 'not slow' skips)"
    )


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _idle_team_rule_off():
    """The rule that runs short calls serially while the thread team sleeps
    (fastact/_call.pyx, _wake_ns) learns from timing; off in every test so that
    thread counts do not depend on it (tests/test_threads.py tests the rule)."""
    from fastact import _call

    _call.set_idle_rule(False)
    yield
    _call.set_idle_rule(False)
