"""How many pictures a second the playground gives while playing, against the issue's target of 30.

Two figures for a 2-4-4-2 network on the circles (batches of 10, five batches a picture, what the page asks
for at speed 5): the server alone, asked over HTTP on one keep-alive connection as the page asks, and the
page itself in Debian's chromium driven by playwright (reported as missing where there is no browser). Each
is measured ``--repeats`` times for ``--seconds`` seconds; the table gives the median and the spread.

    python benchmarks/bench_playground.py [--seconds 3] [--repeats 3]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import statistics
import threading
import time

import glassnet
from glassnet.playground.server import PlaygroundServer

TARGET = 30.0
SETTINGS = {"dataset": "circles", "features": ["x1", "x2"], "hidden": [4, 4], "batch_size": 10}


def post(connection, action, body):
    connection.request("POST", f"/api/{action}", json.dumps(body).encode(), {"Content-Type": "application/json"})
    response = connection.getresponse()
    data = json.loads(response.read())
    if response.status != 200:
        raise RuntimeError(f"{action}: {data}")
    return data


def server_rate(port, seconds) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    session = post(connection, "session", {})["session"]
    post(connection, "configure", {"session": session, "settings": SETTINGS})
    post(connection, "step", {"session": session, "steps": 5})  # warm
    frames, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        post(connection, "step", {"session": session, "steps": 5})
        frames += 1
    rate = frames / (time.perf_counter() - start)
    post(connection, "close", {"session": session})
    return rate


def page_rates(url, seconds, repeats) -> list | str:
    """The page's pictures a second while playing, or why it could not be measured."""
    chromium = "/usr/bin/chromium"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "playwright is not installed"
    if not os.path.exists(chromium):
        return f"{chromium} not found"
    rates = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        page.wait_for_selector("body[data-ready=true]")
        page.evaluate(f"window.playground.configure({json.dumps(SETTINGS)})")
        for _ in range(repeats):
            page.click("#play")
            page.wait_for_timeout(500)
            before, start = page.evaluate("window.playground.state.updates"), time.perf_counter()
            page.wait_for_timeout(seconds * 1000)
            rates.append((page.evaluate("window.playground.state.updates") - before) / (time.perf_counter() - start))
            page.evaluate("window.playground.stop()")
        browser.close()
    return rates


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    server = PlaygroundServer(port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        rows = [("server over HTTP", [server_rate(server.server_address[1], args.seconds)
                                      for _ in range(args.repeats)])]
        rows.append(("page in chromium", page_rates(server.url, args.seconds, args.repeats)))
    finally:
        server.shutdown()
        server.server_close()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
          f"glassnet {glassnet.__version__}, Python {platform.python_version()}")
    print("2-4-4-2 network, circles, 5 batches of 10 a picture")
    print(f"{'':<18} {'pictures/s (median)':>20} {'min-max':>12} {'x target (30/s)':>16}")
    for name, rates in rows:
        if isinstance(rates, str):
            print(f"{name:<18} {'not measured: ' + rates:>50}")
            continue
        median = statistics.median(rates)
        print(f"{name:<18} {median:>20.1f} {min(rates):>5.0f}-{max(rates):<6.0f} {median / TARGET:>16.2f}")


if __name__ == "__main__":
    main()
