"""The HTML worked step in a real browser (Debian's chromium, driven by playwright): it renders offline, its
formulas are laid out as MathML, and it holds the stairs tutorial's numbers.

Skipped, with the reason, where there is no browser (see tests/test_playground_browser.py).
"""

import io

import numpy as np
import pytest
from browser import CHROMIUM, playwright_or_skip

from glassnet.cli import main

sync_playwright = playwright_or_skip()


def test_the_stairs_step_as_html_renders_in_chromium_offline(tmp_path, capsys):
    page_file = tmp_path / "stairs.html"
    assert main(["tutorial", "stairs", "--trace", "--format", "html"]) == 0
    page_file.write_text(capsys.readouterr().out)
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        except Exception as exc:  # a browser that cannot start here is no browser
            pytest.skip(f"no browser: {CHROMIUM} did not start ({str(exc).splitlines()[0]})")
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        problems, requests = [], []
        page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(page_file.as_uri())
        text = page.inner_text("body").replace("\u2212", "-")  # MathML shows a true minus sign
        # MathML laid out by the browser: every <math> has a box of its own, and matrices are tables of cells
        sizes = page.evaluate("[...document.querySelectorAll('math')].map(m => m.getBoundingClientRect().width)")
        cells = page.evaluate("document.querySelectorAll('math mtd').length")
        png = page.screenshot(full_page=False)
        browser.close()
    assert problems == []
    assert requests == [page_file.as_uri()]  # nothing fetched but the file itself: it works offline
    assert len(sizes) > 20 and min(sizes) > 0
    assert cells > 100
    for number in ("-0.42392", "1.12803", "0.69257"):  # Z1[0] and the loss, to the decimals the tutorial prints
        assert number in text
    import matplotlib.image

    rgb = matplotlib.image.imread(io.BytesIO(png), format="png")[..., :3]
    assert len(np.unique((rgb * 255).round().reshape(-1, 3), axis=0)) > 20  # text and brackets, not a blank page
