"""The playground's page in a real browser (Debian's chromium, driven by playwright).

Skipped, with the reason, where there is no browser: /usr/bin/chromium is
missing (``apt-get install chromium``) or playwright is not installed
(``pip install playwright``; ``.[test]`` has it). Playwright's own browser
download is not used.
"""

import io
import re
import threading
import time

import numpy as np
import pytest
from browser import CHROMIUM, playwright_or_skip

import glassnet
from glassnet import Adam, Dense, Glorot, Network
from glassnet.datasets import train_test_split
from glassnet.playground.data import generate
from glassnet.playground.server import PlaygroundServer

sync_playwright = playwright_or_skip()


@pytest.fixture(scope="module")
def server():
    srv = PlaygroundServer(port=0)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        try:
            chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        except Exception as exc:  # a browser that cannot start here is no browser
            pytest.skip(f"no browser: {CHROMIUM} did not start ({str(exc).splitlines()[0]})")
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shared_page(server, browser):
    """One tab for the whole module (each test sets the page up as it needs); ``problems`` collects what the
    browser complained about: console errors and warnings, uncaught exceptions, failed requests."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.on("requestfailed", lambda r: page.problems.append(f"failed: {r.url}"))
    page.goto(server.url)
    page.wait_for_selector("body[data-ready=true]")
    yield page
    context.close()


@pytest.fixture
def page(shared_page):
    shared_page.problems.clear()
    shared_page.mouse.move(0, 0)
    yield shared_page
    settle(shared_page)
    assert shared_page.problems == []


def wait_until(page, expression, timeout=15.0):
    """Poll ``expression`` in the page until it is true (the page's policy forbids the eval wait_for_function uses)."""
    end = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > end:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(50)


def preset(page, name):
    page.select_option("#preset", name)
    title = page.evaluate("(n) => window.playground.state.presets[n].title", name)
    wait_until(page, f"document.getElementById('preset-about').textContent.includes({title!r})")


def settle(page):
    page.evaluate("window.playground.stop()")


def weights(page):
    return page.evaluate("window.playground.state.frame.weights")


def metric(page, which="test"):
    return float(page.inner_text(f"#{which}-metric"))


def play_until(page, condition, timeout=30.0):
    page.click("#play")
    wait_until(page, condition, timeout)
    settle(page)


def pixel_colours(png: bytes) -> np.ndarray:
    import matplotlib.image

    rgb = (matplotlib.image.imread(io.BytesIO(png), format="png")[..., :3] * 255).round().astype(int)
    return np.unique(rgb.reshape(-1, 3), axis=0)


def test_the_page_loads_without_console_errors(page):
    page.wait_for_timeout(200)
    assert page.problems == []
    assert page.inner_text("#network-summary").startswith("2-4-4-2")  # the first test: the page as it opens
    assert len(pixel_colours(page.locator("#picture").screenshot())) > 20


@pytest.mark.parametrize("dataset", ["circles", "xor", "corners", "gaussians", "spirals", "blobs", "surface",
                                     "stairs", "toy16", "bugs"])
def test_every_data_set_trains_and_draws(page, dataset):
    page.evaluate(f"window.playground.configure({{dataset: {dataset!r}, features: ['x1', 'x2', 'x1x2']}})")
    wait_until(page, f"window.playground.state.data.name === {dataset!r}")
    page.click("#epoch")
    wait_until(page, "window.playground.state.frame.epoch === 1")
    kind = page.evaluate("window.playground.state.frame.picture.kind")
    assert kind == {"surface": "values", "bugs": "curve"}.get(dataset, "classes")
    assert len(pixel_colours(page.locator("#picture").screenshot())) > 10


def test_the_stairs_preset_shows_the_tutorials_numbers_after_one_step(page):
    preset(page, "stairs")
    assert page.is_checked("input[name=notation][value=augmented]")
    page.click("#step")
    wait_until(page, "document.getElementById('maths').innerText.includes('-0.42392')")
    text = page.inner_text("#maths")
    for number in ("-0.42392", "1.12803", "0.49865", "0.50135", "0.69257", "252.00000"):
        assert number in text, number
    assert "Z1 = X1 @ W1" in text and "loss = mean of loss_i = 0.69257" in text
    page.check("input[name=notation][value=standard]")
    wait_until(page, "document.getElementById('maths').innerText.includes('X @ W1 + b1')")
    assert "-0.42392" in page.inner_text("#maths") and page.problems == []


def library_xor(settings, steps):
    """The XOR preset's run with glassnet alone, ``steps`` batches."""
    s = settings
    X, y = generate(s["dataset"], s["n_points"], s["noise"], s["data_seed"])
    X_train, _, y_train, _ = train_test_split(X, y, test_fraction=1 - s["train_ratio"], seed=s["data_seed"],
                                              stratify=True)
    net = Network([Dense(2, 2, "tanh", init=Glorot()), Dense(2, 2, "softmax", init=Glorot())], seed=s["seed"])
    optimizer, done = Adam(s["lr"]), 0
    while done < steps:
        order = net.rng.permutation(len(X_train))
        for i in range(0, len(X_train), s["batch_size"]):
            if done < steps:
                net.train_step(X_train[order[i:i + s["batch_size"]]], y_train[order[i:i + s["batch_size"]]],
                               optimizer)
                done += 1
    return net


def test_xor_plays_to_95_percent_and_its_weights_are_the_librarys_then_reset_replays_them(page):
    preset(page, "xor")
    start = weights(page)
    play_until(page, "parseFloat(document.getElementById('test-metric').textContent) >= 0.95")
    frame = page.evaluate("window.playground.state.frame")
    print(f"\nplayground page: XOR test accuracy {frame['test']['value']:.2f} after {frame['steps']} batches")
    assert metric(page) >= 0.95 and frame["test"]["value"] >= 0.95
    settings = page.evaluate("window.playground.state.settings")
    net = library_xor(settings, frame["steps"])
    for mine, layer in zip(frame["weights"], net.layers):
        assert np.array_equal(np.array(mine["W"]), layer.W) and np.array_equal(np.array(mine["b"]), layer.b)
    page.click("#reset")
    wait_until(page, "window.playground.state.frame.steps === 0")
    assert weights(page) == start
    replay = page.evaluate("(n) => window.playground.api('step', {steps: n})", frame["steps"])
    assert replay["weights"] == frame["weights"]
    assert page.problems == []


def test_playing_updates_the_pictures(page):
    """Play on a 2-4-4-2 network: the picture count grows (the rate is benchmarks/bench_playground.py's)."""
    page.evaluate("window.playground.configure({dataset: 'circles', features: ['x1', 'x2'], hidden: [4, 4]})")
    before = page.evaluate("window.playground.state.updates")
    play_until(page, f"window.playground.state.updates >= {before} + 5")
    assert page.evaluate("window.playground.state.updates") >= before + 5


def test_hovering_a_weight_shows_its_update_with_the_numbers_and_follows_the_steps(page):
    preset(page, "xor")
    page.evaluate("window.playground.configure({optimizer: 'sgd', lr: 0.3})")
    page.click("#step")
    wait_until(page, "window.playground.state.frame.steps === 1")
    box = page.locator("#network").bounding_box()
    a, b = page.evaluate("(() => { const u = window.playground.layout().units; return [u[1][0], u[2][1]]; })()")
    scale = box["width"] / page.evaluate("document.getElementById('network').width")
    x0, y0, x1, y1 = a["x"] + a["size"], a["y"] + a["size"] / 2, b["x"], b["y"] + b["size"] / 2
    # a quarter of the way along: the middle is where the two lines between these layers cross
    x, y = box["x"] + scale * (x0 + 0.25 * (x1 - x0)), box["y"] + scale * (y0 + 0.25 * (y1 - y0))
    page.mouse.move(x, y)
    tip = page.locator("#tooltip")
    tip.wait_for(state="visible")
    text = tip.inner_text()
    assert text.startswith("W2[0, 1] = ")
    found = re.search(r"w ← w − lr · dW = (-?[\d.]+) − 0\.3 · \(?(-?[\d.]+)\)? = (-?[\d.]+)", text)
    assert found, text
    before, g, after = map(float, found.groups())
    assert after == pytest.approx(before - 0.3 * g, abs=2e-5)
    page.evaluate("window.playground.step('step')")  # a click on the button would move the pointer away
    wait_until(page, "window.playground.state.frame.steps === 2")
    assert tip.is_visible() and tip.inner_text() != text  # updated while hovered


def test_clicking_a_unit_marks_its_column_in_Z_and_A(page):
    preset(page, "xor")
    page.click("#step")
    page.wait_for_selector(".block[data-name=Z1]")
    u = page.evaluate("window.playground.layout().units[1][1]")
    page.locator("#network").click(position={"x": u["x"] + u["size"] / 2, "y": u["y"] + u["size"] / 2})
    for name in ("Z1", "A1"):
        cells = page.locator(f".block[data-name={name}] table.matrix tr")
        marked = page.locator(f".block[data-name={name}] td.mark")
        assert marked.count() == cells.count() - 1  # every shown row but the ⋮
        assert page.evaluate(f"[...document.querySelectorAll('.block[data-name={name}] td.mark')]"
                             ".every(td => td.cellIndex === 2)")  # th, column 0, then column 1


def test_a_csv_upload_trains(page, tmp_path):
    rng = np.random.default_rng(1)
    rows = ["sepal,petal,kind"] + [f"{a:.3f},{b:.3f},{'wide' if a + 0.5 * b > 5 else 'narrow'}"
                                   for a, b in rng.uniform(0, 6, (150, 2))]
    path = tmp_path / "flowers.csv"
    path.write_text("\n".join(rows) + "\n")
    page.set_input_files("#csv-file", str(path))
    wait_until(page, "window.playground.state.data.name === 'csv'")
    assert page.evaluate("window.playground.state.data.class_names") == ["narrow", "wide"]
    assert not page.is_hidden("#csv-columns") and page.input_value("#target") == "kind"
    page.evaluate("window.playground.configure({optimizer: 'adam', lr: 0.1})")
    for _ in range(8):
        page.click("#epoch")
    wait_until(page, "window.playground.state.frame.epoch === 8")
    assert metric(page) >= 0.9 and page.problems == []


def test_a_screenshot_shows_the_decision_regions_and_the_exports_work(page, tmp_path):
    preset(page, "xor")
    play_until(page, "parseFloat(document.getElementById('test-metric').textContent) >= 0.95")
    colours = pixel_colours(page.locator("#picture").screenshot())
    assert len(colours) > 100  # shades of two classes, points and labels, not a blank canvas
    orange = (colours[:, 0] > colours[:, 2] + 60).sum()
    blue = (colours[:, 2] > colours[:, 0] + 60).sum()
    assert orange > 10 and blue > 10
    with page.expect_download() as model:
        page.click("#export-model")
    model.value.save_as(tmp_path / "xor.safetensors")
    net = glassnet.load(tmp_path / "xor.safetensors")
    assert net.layers[0].W.tolist() == weights(page)[0]["W"]
    with page.expect_download() as picture:
        page.click("#export-png")
    picture.value.save_as(tmp_path / "xor.png")
    assert (tmp_path / "xor.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for button, name in (("#export-markdown", "step.md"), ("#export-html", "step.html")):
        with page.expect_download() as step:
            page.click(button)
        step.value.save_as(tmp_path / name)
    assert "begin{bmatrix}" in (tmp_path / "step.md").read_text()
    assert "<math" in (tmp_path / "step.html").read_text()
