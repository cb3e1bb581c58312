"""The playground's server and engine, over real HTTP: the JSON API, its refusals, the presets' numbers, replays,
the page's weights against glassnet's own, export, CSV files and the update rate."""

import argparse
import http.client
import json
import threading
import time

import numpy as np
import pytest

import glassnet
from glassnet import SGD, Adam, Dense, Glorot, Network
from glassnet.datasets import train_test_split
from glassnet.playground import add_command, run
from glassnet.playground.data import generate
from glassnet.playground.pictures import unit_stats
from glassnet.playground.server import PlaygroundServer, Sessions
from glassnet.playground.settings import LIMITS
from glassnet.tutorials.stairs import worked_example


class Client:
    """A keep-alive connection to a playground server, as the page holds one."""

    def __init__(self, server):
        self.port = server.server_address[1]
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def raw(self, method, path, body=b"", headers=None):
        self.connection.request(method, path, body, headers or {})
        response = self.connection.getresponse()
        data = response.read()
        if response.getheader("Connection") == "close":
            self.connection.close()
        return response.status, response.headers, data

    def post(self, action, body=None, **headers):
        status, head, data = self.raw("POST", f"/api/{action}", json.dumps(body or {}).encode(),
                                      {"Content-Type": "application/json", **headers})
        return status, json.loads(data) if "json" in head.get("Content-Type", "") else data


def start(server):
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def server():
    srv = start(PlaygroundServer(port=0))
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def client(server):
    return Client(server)


@pytest.fixture
def session(client):
    status, state = client.post("session")
    assert status == 200
    yield state["session"]
    client.post("close", {"session": state["session"]})


def ok(client, action, body):
    status, out = client.post(action, body)
    assert status == 200, out
    return out


# ------------------------------------------------------------------ the page
def test_the_page_and_its_files_are_served_from_here_only(client):
    status, head, page = client.raw("GET", "/")
    assert status == 200 and b'src="/static/playground.js"' in page
    assert "script-src 'self'" in head["Content-Security-Policy"]
    for name in ("playground.js", "playground.css"):
        status, _, text = client.raw("GET", f"/static/{name}")
        assert status == 200 and len(text) > 1000
        assert b"http://" not in text and b"https://" not in text  # no CDN: the page works offline
    assert b"http" not in page
    for path in ("/static/../server.py", "/static/", "/etc/passwd", "/api/session"):
        status, _, body = client.raw("GET", path)
        assert status == 404 and json.loads(body)["error"]


# ------------------------------------------------------------------ refusals
BAD_SETTINGS = [
    ({"dataset": "mnist"}, "dataset must be one of"),
    ({"hidden": [LIMITS["max_neurons"] + 1]}, "hidden[0] must be a number of neurons from 1 to 16"),
    ({"hidden": [2] * (LIMITS["max_hidden_layers"] + 1)}, "the playground allows at most 6"),
    ({"n_points": LIMITS["max_points"] + 1}, "n_points must be from 10 to 2,000"),
    ({"batch_size": 0}, "batch_size must be from 1"),
    ({"lr": "fast"}, "lr must be a number"),
    ({"noise": float("inf")}, "noise must be a number"),
    ({"features": ["x3"]}, "features must be a list drawn from"),
    ({"features": []}, "choose at least one input feature"),
    ({"colour": "red"}, "unknown setting 'colour'"),
    ({"init": "tutorial"}, "init 'tutorial'"),
    ({"dataset": "surface", "output": "softmax"}, "choose the linear output"),
    ({"dataset": "csv"}, "upload one first"),
]


@pytest.mark.parametrize("settings, reason", BAD_SETTINGS, ids=[r for _, r in BAD_SETTINGS])
def test_bad_settings_get_a_400_with_one_line_and_the_server_goes_on(client, session, settings, reason):
    status, out = client.post("configure", {"session": session, "settings": settings})
    assert status == 400 and reason in out["error"] and "\n" not in out["error"]
    assert ok(client, "step", {"session": session, "steps": 2})["steps"] == 2  # the session still works


def test_bad_requests_get_a_4xx_with_one_line(client, session):
    cases = [
        (client.raw("POST", "/api/step", b"{not json", {"Content-Type": "application/json"}), 400, "not valid JSON"),
        (client.raw("POST", "/api/step", b"[1, 2]"), 400, "must be a JSON object"),
        (client.raw("POST", "/api/step", b"\xff\xfe"), 400, "not valid JSON"),
        (client.raw("POST", "/api/launch", b"{}"), 404, "no API call"),
        (client.raw("PUT", "/api/step", b"{}"), 405, "takes POST"),
        (client.raw("POST", "/api/step", b"{}"), 400, "needs a 'session'"),
        (client.raw("POST", "/api/step", json.dumps({"session": "forged"}).encode()), 404, "no session"),
        (client.raw("POST", "/api/step", json.dumps({"session": session, "steps": LIMITS["max_steps"] + 1})
                    .encode()), 400, "steps must be from 1 to 500"),
        (client.raw("POST", "/api/step", json.dumps({"session": session, "notation": "latex"}).encode()), 400,
         "notation must be one of standard, augmented"),
        (client.raw("POST", "/api/preset", json.dumps({"session": session, "name": "mnist"}).encode()), 400,
         "preset must be one of"),
        (client.raw("POST", "/api/step", b"{}", {"Content-Length": str(LIMITS["max_body_bytes"] + 1)}), 413,
         "request body has"),
    ]
    for (status, _, body), expected, reason in cases:
        error = json.loads(body)["error"]
        assert status == expected and reason in error and "\n" not in error, (status, error)
    assert ok(client, "step", {"session": session})["steps"] == 1  # on a new connection: 413 closed the last


def test_too_many_rows_or_columns_in_a_csv_file_get_a_413(client, session):
    rows = "a,b,label\n" + "".join(f"{i},{i % 7},{i % 2}\n" for i in range(LIMITS["max_rows"] + 1))
    status, out = client.post("upload", {"session": session, "name": "big.csv", "text": rows})
    assert status == 413 and "at most 5,000" in out["error"]
    wide = ",".join(f"c{j}" for j in range(70)) + "\n" + ",".join("1" for _ in range(70)) + "\n"
    status, out = client.post("upload", {"session": session, "name": "wide.csv", "text": wide * 1})
    assert status == 413 and "numeric columns" in out["error"]
    status, out = client.post("upload", {"session": session, "name": "../../etc/x.csv", "text": "a;b\n1;\n"})
    assert status == 400 and "\n" not in out["error"] and "/tmp" not in out["error"]
    assert ok(client, "step", {"session": session})["steps"] == 1


def test_sessions_are_bounded_in_number_and_expire():
    srv = start(PlaygroundServer(port=0, sessions=Sessions(limit=2, ttl=3600)))
    try:
        c = Client(srv)
        ids = [ok(c, "session", {})["session"] for _ in range(2)]
        status, out = c.post("session")
        assert status == 429 and "too many open sessions (2)" in out["error"]
        ok(c, "close", {"session": ids[0]})
        assert ok(c, "session", {})["session"] not in ids  # room again, a new id
        srv.sessions.ttl = 0
        time.sleep(0.01)
        status, out = c.post("step", {"session": ids[1]})
        assert status == 404 and "expire" in out["error"]
        assert srv.sessions.open == {}
    finally:
        srv.shutdown()
        srv.server_close()


def test_only_loopback_unless_the_host_is_given_explicitly(client, session):
    with pytest.raises(ValueError, match="serves only 127.0.0.1; binding '0.0.0.0' needs --host"):
        PlaygroundServer("0.0.0.0", 0)
    PlaygroundServer("0.0.0.0", 0, explicit_host=True).server_close()
    status, _, body = client.raw("GET", "/", headers={"Host": "attacker.example:8765"})  # DNS rebinding
    assert status == 403 and "127.0.0.1 only" in json.loads(body)["error"]
    status, out = client.post("step", {"session": session}, Origin="http://attacker.example")
    assert status == 403 and "another page" in out["error"]
    assert ok(client, "step", {"session": session})["steps"] == 1


def test_the_cli_pieces():
    parser = argparse.ArgumentParser()
    add_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["playground", "--no-browser", "--port", "70000"])
    assert args.run is run and args.no_browser and args.host is None
    with pytest.raises(ValueError, match="--port must be from 0 to 65535"):
        run(args)
    with pytest.raises(ValueError, match="needs --host given explicitly"):
        glassnet.playground.serve("192.0.2.1", 0, open_browser=False)


# ------------------------------------------------------------------ the presets
def blocks_of(frame):
    """The maths blocks by name; the update's W and b (the weights after the step) under 'W1 after', ..."""
    return {b["name"] + (" after" if b["part"] == "update" else ""): b for b in frame["trace"]["blocks"]}


def test_the_stairs_preset_steps_to_the_tutorials_numbers(client, session):
    state = ok(client, "preset", {"session": session, "name": "stairs"})
    assert state["notation"] == "augmented" and state["network"]["sizes"] == [4, 2, 2]
    frame = ok(client, "step", {"session": session, "steps": 1, "notation": "augmented"})
    b = blocks_of(frame)
    assert np.round(b["Z1"]["rows"][0], 5).tolist() == [-0.42392, 1.12803]
    assert np.round(b["Yhat"]["rows"][0], 5).tolist() == [0.49865, 0.50135]
    assert round(b["loss"]["value"], 5) == 0.69257 and round(frame["trace"]["loss"], 5) == 0.69257
    assert b["X1"]["rows"][0] == [1, 252, 4, 155, 175]
    # every number of the step, bit for bit, is glassnet's own trace of the tutorial's network
    net, X, Y = worked_example()
    aug = glassnet.trace_step(net, X, Y, lr=0.1).augmented()
    for name in ("Z1", "Z2", "dZ1", "dZ2", "dW1", "dW2"):
        assert b[name]["rows"] == aug[name].tolist(), name
    assert [block["rows"] for block in frame["trace"]["blocks"] if block["part"] == "update"] == \
        [aug["W1_new"].tolist(), aug["W2_new"].tolist()]
    standard = blocks_of(ok(client, "frame", {"session": session, "notation": "standard"}))
    assert standard["b1"]["rows"] == [aug["W1"][0].tolist()] and standard["X"]["shape"] == [4, 4]


def test_rashids_bug_classifier_moves_the_slope_as_the_tutorial_does(client, session):
    ok(client, "preset", {"session": session, "name": "rashid"})
    slopes = [ok(client, "step", {"session": session})["weights"][0]["W"][0][0] for _ in range(2)]
    assert slopes == pytest.approx([0.775, 1.8375], abs=1e-12)  # A: 0.25 -> 0.775 -> 1.8375 (gradient steps)
    frame = ok(client, "frame", {"session": session})
    assert frame["picture"]["kind"] == "curve" and frame["train"]["metric"] == "r2"


def test_desais_table_reaches_full_test_accuracy(client, session):
    ok(client, "preset", {"session": session, "name": "desai"})
    for _ in range(200):
        frame = ok(client, "epoch", {"session": session})
    assert frame["epoch"] == 200 and frame["test"]["value"] == 1.0


def test_xor_reset_replays_the_same_weights(client, session):
    start_weights = ok(client, "preset", {"session": session, "name": "xor"})["frame"]["weights"]
    run1 = [ok(client, "step", {"session": session, "steps": 7})["weights"] for _ in range(5)]
    assert run1[-1] != start_weights
    assert ok(client, "reset", {"session": session})["frame"]["weights"] == start_weights
    run2 = [ok(client, "step", {"session": session, "steps": 7})["weights"] for _ in range(5)]
    assert run2 == run1
    new_seed = ok(client, "configure", {"session": session, "settings": {"seed": 4}})["frame"]["weights"]
    assert new_seed != start_weights


# ------------------------------------------------------------------ the page's weights are glassnet's
REPLAY = {"dataset": "circles", "n_points": 300, "noise": 0.2, "train_ratio": 0.6, "data_seed": 5,
          "features": ["x1", "x2", "x1x2"], "hidden": [4, 4], "activation": "tanh", "output": "softmax",
          "init": "glorot", "seed": 11, "batch_size": 7, "shuffle": True, "lr": 0.03}


def library_run(settings, optimizer, steps):
    """The same run with glassnet alone: the data, a Network built directly, train_step batch by batch."""
    s = settings
    X, y = generate(s["dataset"], s["n_points"], s["noise"], s["data_seed"])
    X_train, _, y_train, _ = train_test_split(X, y, test_fraction=1 - s["train_ratio"], seed=s["data_seed"],
                                              stratify=True)
    inputs = np.column_stack([X_train[:, 0], X_train[:, 1], X_train[:, 0] * X_train[:, 1]])
    net = Network([Dense(3, 4, "tanh", init=Glorot()), Dense(4, 4, "tanh", init=Glorot()),
                   Dense(4, 2, "softmax", init=Glorot())], loss="cross_entropy", seed=s["seed"])
    n, bs, done = len(inputs), s["batch_size"], 0
    while done < steps:
        order = net.rng.permutation(n)
        for i in range(0, n, bs):
            if done == steps:
                break
            rows = order[i:i + bs]
            net.train_step(inputs[rows], y_train[rows], optimizer)
            done += 1
    return net, X_train


@pytest.mark.parametrize("rule, optimizer", [
    ("sgd", SGD(0.03)),
    ("momentum", SGD(0.03, momentum=0.9, weight_decay=0.001)),
    ("adam", Adam(0.03, weight_decay=0.001)),
])
def test_the_pages_weights_equal_the_librarys_bit_for_bit(client, session, rule, optimizer):
    settings = {**REPLAY, "optimizer": rule, "l2": 0.0 if rule == "sgd" else 0.001}
    state = ok(client, "configure", {"session": session, "settings": settings})
    for steps in (5, 20, 30):  # 55 batches of 7 over 180 rows: across two epoch ends, a short last batch
        frame = ok(client, "step", {"session": session, "steps": steps})
    net, X_train = library_run(settings, optimizer, 55)
    assert frame["steps"] == 55 and frame["epoch"] == 2
    assert state["data"]["train"]["x"] == X_train[:, 0].tolist()
    for page, layer in zip(frame["weights"], net.layers):
        assert np.array_equal(np.array(page["W"]), layer.W) and np.array_equal(np.array(page["b"]), layer.b)


def test_the_exported_model_file_is_the_pages_network(client, session, tmp_path):
    ok(client, "configure", {"session": session, "settings": REPLAY})
    frame = ok(client, "step", {"session": session, "steps": 12})
    status, blob = client.post("export", {"session": session})
    assert status == 200 and isinstance(blob, bytes)
    (tmp_path / "m.safetensors").write_bytes(blob)
    model = glassnet.load(tmp_path / "m.safetensors")
    assert [np.array(p["W"]).tolist() for p in frame["weights"]] == [layer.W.tolist() for layer in model.layers]
    assert model.notes["inputs"] == ["x1", "x2", "x1·x2"] and model.notes["steps"] == 12


# ------------------------------------------------------------------ CSV files
def csv_text(regression=False):
    rng = np.random.default_rng(0)
    lines = ["id;width;height;colour;label"]
    for i in range(120):
        w, h = rng.uniform(0, 10, 2)
        label = f"{w * 3 + h:.3f}" if regression else ("big" if w + h > 10 else "small")
        lines.append(f"r{i};{w:.3f};{h:.3f};{'red' if i % 2 else 'blue'};{label}")
    return "\n".join(lines) + "\n"


def test_a_csv_file_trains_on_its_numeric_columns(client, session, tmp_path):
    state = ok(client, "upload", {"session": session, "name": "shapes.csv", "text": csv_text()})
    d = state["data"]
    assert d["name"] == "csv" and d["columns"] == ["width", "height"] and d["class_names"] == ["big", "small"]
    assert state["upload"]["numeric"] == ["width", "height"] and state["settings"]["output"] == "softmax"
    assert d["n_train"] + d["n_test"] == 120
    for _ in range(30):
        frame = ok(client, "epoch", {"session": session})
    assert frame["test"]["value"] >= 0.9
    status, out = client.post("configure", {"session": session, "settings": {"plot": ["colour"]}})
    assert status == 400 and "not an input column" in out["error"]
    status, out = client.post("configure", {"session": session, "settings": {"target": "size"}})
    assert status == 400 and "not a column of shapes.csv" in out["error"]
    # the model file reads the file's own columns by name, in any order
    (tmp_path / "m.safetensors").write_bytes(client.post("export", {"session": session})[1])
    model = glassnet.load(tmp_path / "m.safetensors")
    assert model.predict({"height": [9.0, 0.5], "width": [9.0, 0.5]}).tolist() == [0, 1]


def test_a_csv_regression_takes_the_linear_output_and_scores_r2(client, session, tmp_path):
    state = ok(client, "upload", {"session": session, "name": "r.csv", "text": csv_text(regression=True)})
    assert state["settings"]["output"] == "linear" and state["data"]["kind"] == "regression"
    ok(client, "configure", {"session": session, "settings": {"hidden": [], "optimizer": "adam", "lr": 0.1}})
    for _ in range(40):
        frame = ok(client, "epoch", {"session": session})
    assert frame["test"]["metric"] == "r2" and frame["test"]["value"] > 0.99
    (tmp_path / "m.safetensors").write_bytes(client.post("export", {"session": session})[1])
    model = glassnet.load(tmp_path / "m.safetensors")
    assert model.predict({"width": [2.0], "height": [5.0]})[0] == pytest.approx(11.0, abs=0.3)  # target's units


# ------------------------------------------------------------------ pictures, units, maths
def test_a_frame_holds_every_picture_and_the_elided_maths(client, session):
    ok(client, "configure", {"session": session, "settings": {**REPLAY, "batch_size": 20}})
    frame = ok(client, "step", {"session": session})
    p = frame["picture"]
    assert p["kind"] == "classes" and (p["width"], p["height"]) == (60, 60)
    assert [len(layer) for layer in p["neurons"]] == [4, 4, 2]
    assert [u["activation"] for u in frame["units"]] == ["tanh", "tanh"]
    b = blocks_of(frame)
    assert b["X"]["shape"] == [20, 3] and len(b["X"]["rows"]) == 8 and b["X"]["more_rows"] == 12
    assert b["Z1"]["units"] and b["Z1"]["layer"] == 1
    assert b["dZ3"]["formula"].startswith("dZ3 = (Yhat − Y) / N")
    assert frame["trace"]["update"][0]["dW"] == b["dW1"]["rows"]  # whole, for the hovered weight's update


def test_a_diverging_run_says_so_and_stays_valid_json(client, session):
    ok(client, "configure", {"session": session, "settings": {"dataset": "surface", "output": "linear",
                                                                 "activation": "relu", "lr": 10.0, "hidden": [8]}})
    frame = ok(client, "step", {"session": session, "steps": 50})
    assert "lower it and reset" in frame["diverged"]
    assert ok(client, "reset", {"session": session})["frame"]["diverged"] is None


def test_saturated_and_dead_units_are_counted():
    saturated = Network([Dense(2, 3, "sigmoid", init=50.0), Dense(3, 2, "softmax")], seed=0)
    dead = Network([Dense(2, 4, "relu", init=0.1, bias_init=-100.0), Dense(4, 2, "softmax")], seed=0)
    X = np.random.default_rng(0).uniform(1, 5, (30, 2))
    assert unit_stats(saturated, X) == [{"activation": "sigmoid", "saturated": 1.0, "dead": None}]
    assert unit_stats(dead, X) == [{"activation": "relu", "saturated": None, "dead": 1.0}]


def test_play_frames_carry_the_picture_and_the_trace(client, session):
    """What the page asks for while playing (5 batches a request; the rate is benchmarks/bench_playground.py's)."""
    ok(client, "configure", {"session": session, "settings": {"dataset": "circles", "features": ["x1", "x2"],
                                                                 "hidden": [4, 4], "batch_size": 10}})
    first = ok(client, "step", {"session": session, "steps": 5})
    frame = ok(client, "step", {"session": session, "steps": 5})
    assert frame["picture"] and frame["trace"]
    assert frame["steps"] == first["steps"] + 5


def test_the_last_step_is_written_out_as_markdown_and_html(client, session):
    status, out = client.post("report", {"session": session, "format": "markdown"})
    assert status == 400 and out["error"] == "there is no step to write out yet: take one step first"
    ok(client, "preset", {"session": session, "name": "stairs"})
    ok(client, "step", {"session": session, "steps": 1, "notation": "augmented"})
    status, head, markdown = client.raw("POST", "/api/report", json.dumps(
        {"session": session, "format": "markdown", "notation": "augmented"}).encode())
    assert status == 200 and head["Content-Type"].startswith("text/markdown")
    assert head["Content-Disposition"] == 'attachment; filename="glassnet-step.md"'
    text = markdown.decode()
    assert text.startswith("# One training step from the glassnet playground") and "\\begin{bmatrix}" in text
    for number in ("-0.42392", "1.12803", "0.69257"):  # the stairs tutorial's Z1[0] and loss
        assert number in text
    status, head, html = client.raw("POST", "/api/report", json.dumps(
        {"session": session, "format": "html"}).encode())
    assert status == 200 and head["Content-Type"].startswith("text/html")
    assert b"<math" in html and b"<script" not in html and b"0.69257" in html
    status, out = client.post("report", {"session": session, "format": "pdf"})
    assert status == 400 and out["error"] == "format must be 'markdown' or 'html', got 'pdf'"

