"""Tests wait for the thing they need to have happened, never for a fixed time."""
import time

import pytest


def wait_until(condition, what: str, timeout: float = 30.0, interval: float = 0.01):
    """Call ``condition`` until it returns something true, and return that; fail the test, naming
    ``what`` was awaited, if that has not happened within ``timeout`` seconds. The deadline only
    bounds a test that would otherwise hang: a passing test never waits for it."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout:g} seconds waiting for {what}")
        time.sleep(interval)
