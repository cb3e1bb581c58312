"""Worked-step reports: glassnet explain, tutorial --format, and the notebook views of Trace, Network, History.

The stairs worked example is the reference: its numbers, to the decimals the tutorial prints, must come out
of every format (the values are those asserted in test_tutorial_stairs.py).
"""

import csv
import functools
import hashlib
import re
from html.parser import HTMLParser

import numpy as np
import pytest

import glassnet
from glassnet import report
from glassnet.cli import main
from glassnet.tutorials.stairs import worked_example

SEED_Z1 = [[-0.42392, 1.12803], [-0.11433, 0.32380], [1.25645, 0.87617], [0.02983, 0.91020]]
SEED_X2 = [[1, 0.39558, 0.75548], [1, 0.47145, 0.58025], [1, 0.77841, 0.70603], [1, 0.50746, 0.71304]]
SEED_YHAT = [[0.49865, 0.50135], [0.49826, 0.50174], [0.49747, 0.50253], [0.49828, 0.50172]]
SEED_MEAN_CE = "0.69257"
STAIRS_CLASSES = ["stairs", "something else"]  # the tutorial's column order


def text_rows(M):
    """Each row of ``M`` as the text format prints it (the matrix alone, as glassnet.format_matrix aligns it)."""
    return [line.split("= ")[-1].strip() for line in glassnet.format_matrix(M).splitlines()]


def tex_rows(M):
    return [" & ".join(f"{v:.5f}" for v in row) for row in M]


def mathml_rows(M):
    return ["".join(f"<mtd><mn>{v:.5f}</mn></mtd>".replace("-", "\u2212") for v in row) for row in M]


class Page(HTMLParser):
    """What the HTML checks need: the tags seen, their attributes, and the text."""

    def __init__(self, text):
        super().__init__()
        self.tags, self.attrs, self.text = [], [], []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [value or "" for _, value in attrs]

    def handle_data(self, data):
        self.text.append(data)


def check_self_contained(page_text):
    page = Page(page_text)
    assert page.tags.count("html") == 1 and page.tags.count("body") == 1 and page.tags.count("head") == 1
    assert page_text.startswith("<!DOCTYPE html>")
    assert "math" in page.tags
    assert not {"script", "link", "img", "iframe", "object"} & set(page.tags)
    assert not re.search(r"https?:", page_text), "the page must not reach the network"
    assert not any("url(" in a or a.startswith("//") for a in page.attrs)
    return page


@pytest.fixture(scope="module")
def stairs_files(tmp_path_factory):
    """The stairs worked example as a model file and a CSV file of its four images."""
    folder = tmp_path_factory.mktemp("stairs")
    net, X, Y = worked_example()
    net.class_names = STAIRS_CLASSES
    model = folder / "stairs.safetensors"
    net.save(model)
    data = folder / "images.csv"
    with open(data, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["p1", "p2", "p3", "p4", "label"])
        for x, y in zip(X, Y):
            writer.writerow([*(int(v) for v in x), STAIRS_CLASSES[int(y.argmax())]])
    return model, data


def explain(capsys, *argv):
    assert main(["explain", *map(str, argv)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    return captured.out


def prose(out):
    """The text with its lines joined: paragraphs are wrapped to the terminal's width."""
    return " ".join(out.split())


# ------------------------------------------------------------------ explain: the stairs numbers
def test_explain_works_out_the_stairs_step_in_the_tutorials_notation(capsys, stairs_files):
    model, data = stairs_files
    before = hashlib.sha256(model.read_bytes()).hexdigest()
    out = explain(capsys, model, "--data", data, "--rows", "0:4", "--notation", "augmented")
    for row in text_rows(SEED_Z1) + text_rows(SEED_X2) + text_rows(SEED_YHAT):
        assert row in out, row
    assert re.search(rf"^loss = .* = {SEED_MEAN_CE}$", out, re.MULTILINE)
    # the first entry of each product, spelled out with its numbers
    assert ("z1[1,1] = x1[1,1] * w1[1,1] + x1[1,2] * w1[2,1] + x1[1,3] * w1[3,1] + x1[1,4] * w1[4,1] + "
            "x1[1,5] * w1[5,1] = 1 * (-0.00469) + 252 * (-0.00256) + 4 * 0.00146 + 155 * 0.00816 + "
            "175 * (-0.00597) = -0.42392") in out
    assert "X1 = [1 | X] = " in out and "Z1 = X1 @ W1 = " in out and "X2 = [1 | A1] = " in out
    assert "dW1 = X1.T @ dZ1" in out and "dZ2 = (Yhat - Y) / N" in out and "W1 <- W1 - 0.1 * dW1" in out
    assert "rows 0-3 of CSV file" in prose(out) and "the model has no preprocessing" in prose(out)
    assert hashlib.sha256(model.read_bytes()).hexdigest() == before, "explain must not change the model file"


def test_explain_in_the_standard_notation_shows_the_bias_apart(capsys, stairs_files):
    model, data = stairs_files
    out = explain(capsys, model, "--data", data)  # rows 0:4 by default
    for row in text_rows(SEED_Z1) + text_rows(SEED_YHAT):
        assert row in out, row
    assert "Z1 = X @ W1 + b1 = " in out and "b1 = " + text_rows([-0.00469, 0.00797])[0] in out
    assert "z1[1,1] = x[1,1] * w1[1,1] + x[1,2] * w1[2,1] + x[1,3] * w1[3,1] + x[1,4] * w1[4,1] + b1[1]" in out
    assert "db1 = sum_i dZ1[i,j]" in out and "dA1 = dZ2 @ W2.T" in out
    trace = glassnet.trace_step(*worked_example(), lr=0.1)
    assert text_rows(trace["W2_new"])[0] in out


def test_explain_markdown_and_html_hold_the_stairs_numbers(capsys, stairs_files, tmp_path):
    model, data = stairs_files
    md = explain(capsys, model, "--data", data, "--format", "markdown", "--notation", "augmented")
    equations = [line for line in md.splitlines() if line.startswith("$$")]
    assert equations and all(line.endswith("$$") and r"\begin{bmatrix}" in line for line in equations[:3])
    assert r"Z^{1} = X^{1} \, W^{1} = \begin{bmatrix} 1 & 252 & 4 & 155 & 175 \\" in md
    assert " \\\\ ".join(tex_rows(SEED_Z1)) in md
    assert f"= {SEED_MEAN_CE}$$" in md
    out = tmp_path / "step.html"
    assert main(["explain", str(model), "--data", str(data), "--format", "html", "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote the worked step (html, 4 rows) to {out}\n"
    page_text = out.read_text(encoding="utf-8")
    check_self_contained(page_text)
    assert "<mtr>" + "</mtr><mtr>".join(mathml_rows(SEED_Z1)) + "</mtr>" in page_text
    assert f"<mn>{SEED_MEAN_CE}</mn></mrow></math>" in page_text


# ------------------------------------------------------------------ explain: a model trained on a CSV file
@pytest.fixture(scope="module")
def flowers(tmp_path_factory):
    folder = tmp_path_factory.mktemp("flowers")
    data, model = folder / "flowers.csv", folder / "flowers.safetensors"
    assert main(["datasets", "export", "iris", str(data)]) == 0
    assert main(["train", "--data", str(data), "--target", "species", "--layers", "16", "--epochs", "5",
                 "--quiet", "--out", str(model)]) == 0
    return model, data


def test_explain_a_model_trained_on_a_csv_file_steps_on_the_inputs_it_sees(capsys, flowers):
    model, data = flowers
    capsys.readouterr()
    out = explain(capsys, model, "--data", data, "--rows", "0:2")
    # the same step, computed here from the public API: the rows after the model's preprocessing
    net = glassnet.load(model)
    frame = glassnet.tables.read_table(data)
    X = net.prepare_X(frame.take(np.arange(2)), dtype=np.float64)
    net.cast(np.float64)
    trace = glassnet.trace_step(net, X, [0, 0], lr=0.1)
    assert "columns, then standardize" in prose(out) and "the inputs the network sees" in prose(out)
    assert "rows 0-1 of CSV file" in prose(out) and "4-16-3 network (relu, softmax)" in prose(out)
    assert text_rows(X)[0] in out
    assert re.search(rf"^loss = .* = {trace['loss']:.5f}$", out, re.MULTILINE)
    # W1 is 4 x 16: its columns past the 6th are elided and its shape is stated
    assert "(4 x 16)" in out and "..." in out
    md = explain(capsys, model, "--data", data, "--rows", "5", "--format", "markdown", "--decimals", "3")
    assert r"\underset{4 \times 16}{\begin{bmatrix}" in md and r"\cdots" in md
    assert "row 5 of CSV file" in prose(md)


@pytest.mark.parametrize("argv, fragment", [
    (["--rows", "4:2"], "the range '4:2' holds no row"),
    (["--rows", "two"], "expected 0-based rows such as 0:4"),
    (["--rows", "148:152"], "--rows: row 150 is out of range; "),
    (["--format", "pdf"], "argument --format: invalid choice: 'pdf'"),
    (["--notation", "tutorial"], "argument --notation: invalid choice"),
    (["--lr", "0"], "argument --lr: expected a number > 0"),
    (["--out", "no/such/folder/step.html"], "--out"),
])
def test_explain_errors_are_one_line_and_exit_2(capsys, flowers, argv, fragment):
    model, data = flowers
    capsys.readouterr()
    assert main(["explain", str(model), "--data", str(data), *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("glassnet: error: ") and fragment in lines[0], captured.err


def test_explain_without_a_model_file_exits_2(capsys, tmp_path, flowers):
    capsys.readouterr()
    assert main(["explain", str(tmp_path / "missing.safetensors"), "--data", str(flowers[1])]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1 and "does not exist" in captured.err


def test_explain_reads_built_in_sets_by_row_number(capsys, tmp_path):
    model = tmp_path / "iris.safetensors"
    assert main(["train", "--data", "iris", "--layers", "4", "--epochs", "2", "--quiet", "--out", str(model)]) == 0
    capsys.readouterr()
    out = explain(capsys, model, "--data", "iris", "--rows", "0,50,100")
    assert "rows 0, 50, 100 of the built-in set iris" in prose(out)
    assert "\n    [ 1  0  0 ]\nY = [ 0  1  0 ]\n    [ 0  0  1 ]\n" in out  # one class each, in the model's order


# ------------------------------------------------------------------ tutorial --format
@pytest.fixture(scope="module")
def stairs_markup():
    """``glassnet tutorial stairs --trace --format markdown`` and ``html`` (the training part shortened: the
    worked step does not depend on it)."""
    run = glassnet.tutorials.run
    quick = functools.partial(run, epochs=20)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(glassnet.tutorials, "run", quick)
        return {fmt: _captured(["tutorial", "stairs", "--trace", "--format", fmt]) for fmt in ("markdown", "html")}


def _captured(argv):
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(argv) == 0
    return out.getvalue()


def test_tutorial_markdown_typesets_the_stairs_matrices(stairs_markup):
    md = stairs_markup["markdown"]
    assert md.startswith("# The stairs worked example\n")
    assert r"$$Z^{1} = \begin{bmatrix} " + " \\\\ ".join(tex_rows(SEED_Z1)) + r" \end{bmatrix}$$" in md
    assert " \\\\ ".join(tex_rows(SEED_YHAT)) in md
    assert f"CE = mean of CE_i = {SEED_MEAN_CE}" in md  # the tutorial's own table, as text
    assert md.count(r"\begin{bmatrix}") == md.count(r"\end{bmatrix}") > 50
    # --trace adds the worked step: every formula with its numbers
    assert r"z^{1}_{11} = x^{1}_{11} \cdot w^{1}_{11}" in md
    assert "## Errata" in md and "\n7. " in md


def test_tutorial_html_is_one_self_contained_page(stairs_markup):
    page_text = stairs_markup["html"]
    page = check_self_contained(page_text)
    assert page.tags.count("math") > 50
    assert "<mtr>" + "</mtr><mtr>".join(mathml_rows(SEED_Z1)) + "</mtr>" in page_text
    assert "The stairs worked example" in "".join(page.text)


def test_tutorial_format_and_json_exclude_each_other(capsys):
    assert main(["tutorial", "stairs", "--json", "--format", "html"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "--json and --format are alternatives" in captured.err


def test_other_tutorials_render_their_steps_as_documents():
    result = glassnet.tutorials.run("sandhu", trace=True)
    md = result.markup("markdown")
    assert not re.search("^## Forward pass", md, re.MULTILINE) and "\n### Forward pass\n" in md
    assert r"\begin{bmatrix}" in md
    check_self_contained(result.markup("html"))
    assert result.markup("text") == result.text()


# ------------------------------------------------------------------ the report API and large matrices
def test_step_report_text_markdown_html_and_parts():
    trace = glassnet.trace_step(*worked_example(), lr=0.1)
    doc = report.step_report(trace, parts=("forward",))
    text = doc.render("text")
    assert "== Forward pass ==" in text and "== Loss ==" not in text
    assert "a1[1,1] = 1 / (1 + exp(-z1[1,1])) = 1 / (1 + exp(0.42392)) = 0.39558" in text
    assert r"a^{1}_{11} = \frac{1}{1 + e^{-z^{1}_{11}}} = \frac{1}{1 + e^{0.42392}} = 0.39558" in \
        doc.render("markdown").replace("- z", "-z")
    with pytest.raises(ValueError, match="format"):
        doc.render("pdf")
    with pytest.raises(ValueError, match="parts"):
        report.step_report(trace, parts=("sideways",))
    assert trace.render("augmented").startswith("== Forward pass (augmented")  # the text rendering stays


def test_large_matrices_are_elided_with_their_shape():
    net = glassnet.Network([glassnet.Dense(20, 12, "tanh"), glassnet.Dense(12, 3, "softmax")], seed=1)
    X = np.random.default_rng(0).normal(size=(10, 20))
    trace = glassnet.trace_step(net, X, np.arange(10) % 3, lr=0.5)
    doc = report.step_report(trace)
    text, md, page = doc.render("text"), doc.render("markdown"), doc.render("html")
    assert "(20 x 12)" in text and "(10 x 20)" in text
    assert r"\underset{20 \times 12}" in md and r"\vdots" in md and r"\ddots" in md
    assert "<munder>" in page and "\u22ee" in page
    check_self_contained(page)
    # the first entry of a long product shows three terms, an ellipsis and the last
    assert "z1[1,1] = x[1,1] * w1[1,1] + x[1,2] * w1[2,1] + x[1,3] * w1[3,1] + ... + x[1,20] * w1[20,1] + b1[1]" \
        in text
    assert "W1 <- W1 - 0.5 * dW1" in text


def test_other_optimizers_show_the_new_parameters():
    net, X, Y = worked_example()
    trace = glassnet.trace_step(net, X, Y, optimizer=glassnet.Adam(lr=0.01))
    assert trace.lr is None and trace.optimizer.startswith("Adam(")
    text = report.step_report(trace, parts=("update",)).render("text")
    assert "The optimizer (Adam(" in text and "<-" not in text


# ------------------------------------------------------------------ notebooks
def test_trace_shows_itself_in_notebooks():
    trace = glassnet.trace_step(*worked_example(), lr=0.1)
    page = trace._repr_html_()
    assert page.startswith('<div class="glassnet">') and "<math" in page and "<script" not in page
    assert "<mn>\u22120.42392</mn>" in page and f"<mn>{SEED_MEAN_CE}</mn>" in page
    md = trace._repr_markdown_()
    assert r"\begin{bmatrix}" in md and " \\\\ ".join(tex_rows(SEED_Z1)) in md


def test_network_shows_its_layers_in_notebooks():
    net, _, _ = worked_example()
    page = net._repr_html_()
    assert "<table>" in page and "<script" not in page
    for cell in ("<td>1 Dense</td><td>(4, 2)</td><td>sigmoid</td><td>10</td>",
                 "<td>2 Dense</td><td>(2, 2)</td><td>softmax</td><td>6</td>"):
        assert cell in page
    assert "total parameters: 16" in page


def test_history_shows_its_numbers_in_notebooks():
    net, X, Y = worked_example()
    history = net.fit(X / 255, Y, epochs=30, lr=1.0, dtype=np.float64)
    page = history._repr_html_()
    assert "<table>" in page and "<th>loss</th>" in page and "<th>accuracy</th>" in page
    assert f"<td>{history.loss[0]:.4f}</td>" in page and f"<td>{history.loss[-1]:.4f}</td>" in page
    assert "<td>...</td>" in page and "30 epochs" in page  # 30 epochs: the first and last five
