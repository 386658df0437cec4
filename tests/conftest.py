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


@pytest.fixture
def restore_threads():
    """For tests that run a benchmark in this process: it sets fastact's and
    torch's thread counts (torch's reaches OpenMP's own setting, which fastact
    honours as a limit: a later test found num_threads() capped at 1); put both
    back."""
    import sys

    import fastact

    ours = fastact._config._num_threads
    torch = sys.modules.get("torch")
    theirs = torch.get_num_threads() if torch is not None else None
    yield
    fastact.set_num_threads(ours)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(theirs if theirs is not None else fastact._config._omp_default)
