"""Browser-test fixtures: Debian's Chromium, launched headless by pytest-playwright, and a screenshot of the page
in test-artifacts/<test name>.png whenever a test fails.

A missing Chromium fails these tests (it never skips them): CI must run them. Install it with
`apt-get install -y chromium`, or point CHROMIUM_PATH at another Chromium build.

Playwright and Django in one thread
-----------------------------------
Playwright's sync API marks its event loop as running in the test's thread from its start to its stop. Django sees
a running loop and (1) refuses ORM calls unless DJANGO_ALLOW_ASYNC_UNSAFE is set, and (2) keeps that thread's
database connections in a separate, per-context store: the connection the tests use while Playwright runs is not
the one pytest-django set the test database up with, and lacks the snapshot of the seeded rows (document types,
configurations, permissions) that `serialized_rollback` restores after another transactional test's flush.

So Playwright here lives for the tests/browser package only (pytest-playwright makes it session-wide, which would
leave every later test of the session on the other store), the variable is set only while it runs, and the
snapshot is handed to the connection the browser tests use.
"""

import os
import re
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import sync_playwright

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
_REPORTS = pytest.StashKey[dict]()


@pytest.fixture(scope="package")
def playwright(_pw_api_request_contexts, django_db_setup):
    """pytest-playwright's fixture of the same name, for this package only; see the module docstring."""
    snapshots = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    previous = os.environ.get(ASYNC_UNSAFE)
    # The tests' ORM calls (test data, assertions) are plain synchronous code; the live server has its own thread.
    os.environ[ASYNC_UNSAFE] = "true"
    pw = sync_playwright().start()
    try:
        if _pw_api_request_contexts:
            _pw_api_request_contexts.instrument(pw)
        for alias, snapshot in snapshots.items():
            connections[alias]._test_serialized_contents = snapshot
        yield pw
        for connection in connections.all(initialized_only=True):
            connection.close()
    finally:
        pw.stop()
        if previous is None:
            del os.environ[ASYNC_UNSAFE]
        else:
            os.environ[ASYNC_UNSAFE] = previous


# pytest-playwright's session fixtures that depend on `playwright`, narrowed to the package like it (same code).
@pytest.fixture(scope="package")
def browser_type(playwright, browser_name):
    return getattr(playwright, browser_name)


@pytest.fixture(scope="package")
def launch_browser(browser_type_launch_args, browser_type):
    def launch(**kwargs):
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture(scope="package")
def browser(launch_browser):
    browser = launch_browser()
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.access(CHROMIUM_PATH, os.X_OK):
        pytest.fail(
            f"The browser tests need Chromium at {CHROMIUM_PATH} and it is not there: install it with "
            "`apt-get install -y chromium` (Debian; .ci/run does), or set CHROMIUM_PATH to a Chromium binary.",
            pytrace=False,
        )
    return {**browser_type_launch_args, "executable_path": CHROMIUM_PATH, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="package")
def browser_context_args(pytestconfig, base_url, _pw_artifacts_folder):
    """pytest-playwright's (less --device, which needs Playwright), with the README screenshots' viewport."""
    context_args = {"viewport": VIEWPORT, "locale": "en-GB", "timezone_id": "UTC"}
    if base_url:
        context_args["base_url"] = base_url
    if pytestconfig.getoption("--video") in ("on", "retain-on-failure"):
        context_args["record_video_dir"] = _pw_artifacts_folder.name
    return context_args


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture(autouse=True)
def screenshot_on_failure(request, page):
    """On failure, what the browser showed: test-artifacts/<test name>.png (CI keeps the folder)."""
    yield
    reports = request.node.stash.get(_REPORTS, {})
    if not any(report.failed for report in reports.values()):
        return
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', request.node.name).strip('-')}.png"
    page.screenshot(path=path, full_page=True)
    request.node.add_report_section("teardown", "screenshot", f"saved {path}")
