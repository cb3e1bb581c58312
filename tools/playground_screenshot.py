"""Save docs/playground.png: the playground's page after XOR with two hidden neurons has trained.

Needs Debian's chromium (/usr/bin/chromium) and playwright, as the browser tests do:

    python tools/playground_screenshot.py [--out docs/playground.png]
"""

import argparse
import threading
import time

from playwright.sync_api import sync_playwright

from glassnet.playground.server import PlaygroundServer


def wait_until(page, expression, timeout=30.0):
    end = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > end:
            raise SystemExit(f"the page never got to: {expression}")
        page.wait_for_timeout(50)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/playground.png")
    out = parser.parse_args().out
    server = PlaygroundServer(port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1240})
        page.goto(server.url)
        page.wait_for_selector("body[data-ready=true]")
        page.select_option("#preset", "xor")
        wait_until(page, "document.getElementById('preset-about').textContent.includes('XOR')")
        page.click("#play")
        wait_until(page, "window.playground.state.frame.steps >= 150")
        page.evaluate("window.playground.stop()")
        u = page.evaluate("window.playground.layout().units")
        box = page.locator("#network").bounding_box()
        scale = box["width"] / page.evaluate("document.getElementById('network').width")
        unit = u[1][1]
        page.mouse.click(box["x"] + scale * (unit["x"] + unit["size"] / 2), box["y"] + scale * (unit["y"] + 5))
        a, b = u[1][0], u[2][1]
        x0, y0, x1, y1 = a["x"] + a["size"], a["y"] + a["size"] / 2, b["x"], b["y"] + b["size"] / 2
        page.mouse.move(box["x"] + scale * (x0 + 0.25 * (x1 - x0)), box["y"] + scale * (y0 + 0.25 * (y1 - y0)))
        page.wait_for_timeout(200)
        page.screenshot(path=out)
        browser.close()
    server.shutdown()
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
