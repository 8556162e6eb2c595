"""Helpers for browser tests: a real HTTP server on the test database and Debian's Chromium."""
import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from ticketing import create_app
from ticketing.extensions import db

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
BROWSER_HINT = ("Chromium not found at /usr/bin/chromium: `apt-get install chromium` to run the browser tests "
                "(REQUIRE_BROWSER=1 turns this skip into a failure)")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _as_function(expression: str) -> str:
    """Playwright polls a ``wait_for_function`` *expression* (not a function) with ``eval``, which the site's
    Content-Security-Policy (no 'unsafe-eval') refuses in the page; an arrow function it calls directly."""
    if re.match(r"\s*(async\b|function\b|\([^()]*\)\s*=>|[A-Za-z_$][\w$]*\s*=>)", expression):
        return expression
    return f"() => ({expression})"


def _csp_safe_wait_for_function(original):
    def wait_for_function(self, expression, *args, **kwargs):
        return original(self, _as_function(expression), *args, **kwargs)
    return wait_for_function


try:
    from playwright.sync_api import Frame, Page, expect
except ImportError:  # no Playwright: require_browser() skips
    pass
else:
    # expect() gives up after 5 s by default, page waits after 30 s. A CI machine running the whole suite on two
    # cores can be slower than 5 s; a passing test never waits for the deadline, so it is the same for both.
    expect.set_options(timeout=30_000)
    for _cls in (Page, Frame):
        if not getattr(_cls.wait_for_function, "csp_safe", False):
            _cls.wait_for_function = _csp_safe_wait_for_function(_cls.wait_for_function)
            _cls.wait_for_function.csp_safe = True


def require_browser():
    try:
        import playwright  # noqa: F401
    except ImportError:
        available = False
    else:
        available = Path(CHROMIUM).exists() or shutil.which("chromium") is not None
    if not available:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(BROWSER_HINT)
        pytest.skip(BROWSER_HINT)


class LiveServer:
    """The real app (CSRF on) served by a threaded werkzeug server in this process."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def browser():
    """Debian's Chromium, headless, for one test (Playwright; its own browser downloads are not used)."""
    require_browser()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture
def live(app):
    """The app served on a free port by a real HTTP server, on the test's own database."""
    require_browser()
    server_app = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True})
    with LiveServer(server_app) as server:
        yield server
    with server_app.app_context():
        db.engine.dispose()
