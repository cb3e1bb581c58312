"""What the browser tests share: Debian's chromium driven by playwright, or a skip that says why not."""

import os

import pytest

CHROMIUM = "/usr/bin/chromium"


def playwright_or_skip():
    """``sync_playwright``; skips the calling test module, with the reason, where there is no browser to drive.

    Playwright's own browser download is not used: ``apt-get install chromium`` gives the browser, ``pip
    install playwright`` (in ``.[test]``) the driver.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("no browser: playwright is not installed (pip install playwright)", allow_module_level=True)
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no browser: {CHROMIUM} not found (apt-get install chromium)", allow_module_level=True)
    return sync_playwright
