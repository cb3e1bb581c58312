"""ONNX export: a trained ``Network`` with its preprocessing as one standard ONNX graph (``to_onnx``).

The exported model takes raw inputs, as ``predict_proba`` does, and gives
what ``predict_proba`` gives::

    X (N, n_features) -> preprocessing -> MatMul W1 -> Add b1 -> Tanh -> ... -> Softmax -> probabilities (N, n_out)

* one input named ``X`` and one output named ``probabilities`` (a softmax or
  sigmoid output layer) or ``values`` (any other), both with a dynamic first
  (batch) axis ``N``, in the network's dtype (float32 or float64);
* glassnet's ``W`` has shape ``(n_in, n_out)``, so ``Z = X @ W + b`` is
  ``MatMul(X, W)`` then ``Add(Z, b)`` with ``W`` stored as it is;
* the preprocessing becomes elementwise operators with its fitted numbers as
  constants: ``Standardize`` is ``Sub``/``Div``, ``MinMax`` ``Sub``/``Mul``/
  ``Add``, ``RashidScale`` ``Mul``/``Add``, a ``Pipeline`` its steps in order,
  and a ``glassnet.tables.Columns`` step of numeric columns a ``Where(IsNaN)``
  that puts the fill values in the missing cells (NaN). The preprocessing
  runs in float64, as glassnet runs it, and a float32 network's input is cast
  to float64 for it and back;
* the class names (JSON) and, after a ``Columns`` step, the input columns'
  names (JSON) are in the model's ``metadata_props``.

A model whose preprocessing starts with a ``Columns`` step that has
categorical (text) columns takes a table instead, one input per column,
as ``predict_proba`` takes a dict or a DataFrame:

* each input is named after its column, made an identifier where the name is
  not one (every character other than a letter, digit or ``_`` becomes
  ``_``, a leading digit gets a ``_`` in front, a name taken twice, or taken
  by the output, gets ``_2``, ``_3``, ...); ``metadata_props`` holds
  ``input_columns`` and ``input_names`` (JSON lists, the columns and their
  inputs in the same order) and ``categories`` (JSON: column -> its
  categories, in the order of its one-hot inputs), and each input's
  ``doc_string`` names its column;
* each input has shape ``(N, 1)``. A numeric column is float64 whatever the
  network's dtype (glassnet reads tables in float64 and runs the
  preprocessing in float64; a float32 network gets the prepared matrix cast
  to float32), NaN where a cell is missing. A categorical column is
  ``tensor(string)``, except a column whose categories are all numbers as
  glassnet writes them (``"3"``, ``"2.5"``: a column of codes made
  categorical, as ``--categorical`` does with a CSV's numbers), which is
  float64 and compared by value, so that 3.0 is the category ``"3"``;
* a categorical column becomes its one-hot block, categories in the sorted
  order ``Columns`` uses, then the blocks and the numeric columns are
  joined (``Concat``) in the columns' order: the matrix ``Columns.transform``
  makes. Text cells go through an ``ai.onnx.ml`` ``LabelEncoder`` (category
  -> its index) and an ``Equal`` with the indices; number codes through an
  ``Equal`` with the codes. Every operator is in opset 13 (and
  ``ai.onnx.ml`` 2), so the default opset (17) and every opset from 13 can
  express it;
* a missing text cell is one of glassnet's missing texts
  (``glassnet.tables.frame.MISSING_TEXTS``: ``""``, ``"NA"``, ``"None"``,
  ``"nan"``, ``"?"``, ...; compared as they are, not stripped), unless the
  model knows that text as a category. ONNX has no None: ONNX Runtime turns
  a None in an object array into ``"None"`` and a NaN into ``"nan"``, so a
  DataFrame's missing text cells arrive as missing. A missing cell takes the
  fill value (the most frequent category), as in ``predict``. This differs
  from ``predict`` given a dict or DataFrame, where only None (or NaN) is
  missing and ``"NA"`` is a category the model never saw; it matches
  ``glassnet predict`` on a CSV file, which reads those texts as missing;
* a category the model never saw gives all zeros (``unknown="ignore"``), as
  in ``predict``.

ONNX cannot raise an error for one row. Where ``predict`` refuses the whole
table, the ONNX model gives NaN for the rows that it would refuse and the
right outputs for the others: a missing cell where the model has no fill
value (trained with ``missing="error"`` or ``"drop"``), an unknown category
with ``unknown="error"``, an infinite number. In the single-input ``X``
form a missing cell where the model has no fill value gives NaN outputs too.

What cannot be exported is refused before anything is written: activations
and preprocessing objects other than glassnet's, and a ``Columns`` step with
categorical columns that is not the preprocessing's first step.
``onnx`` is an optional extra: ``pip install 'glassnet[onnx]'``.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np

from glassnet.checks import describe, shown
from glassnet.files import check_output, output_name, write_atomically
from glassnet.network import Network
from glassnet.preprocessing import MinMax, Pipeline, RashidScale, Standardize
from glassnet.tables.columns import Columns
from glassnet.tables.frame import MISSING_TEXTS
from glassnet.tables.words import number_text
from glassnet.version import __version__

OPSET = 17
MIN_OPSET = 13  # Softmax over the last axis alone (before 13 it flattened all the axes after the given one)
ML_OPSET = 2  # ai.onnx.ml: LabelEncoder with keys_strings and values_int64s
ACTIVATION_OPS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "softmax": "Softmax", "linear": None}
EXPORTABLE = "Standardize, MinMax, RashidScale, Pipeline and Columns"
INSTALL = "pip install 'glassnet[onnx]'"
UNKNOWN, MISSING = -1, -2  # a text cell's index when it is no category / a missing cell the model does not fill


def to_onnx(net, path, opset=OPSET) -> str:
    """Write ``net`` and its preprocessing to the ONNX file ``path`` (atomically); return the path.

    Parameters
    ----------
    net : Network
    path : str or Path
        The file to write; it must end in ``.onnx``.
    opset : int
        The ONNX operator set version, from 13 to the installed onnx's newest (default 17).

    Raises
    ------
    TypeError, ValueError
        ``net`` is not a Network, or has a piece that cannot be exported; a bad ``path`` or ``opset``.
    ModuleNotFoundError
        onnx is not installed.

    Examples
    --------
    >>> to_onnx(net, "model.onnx")  # doctest: +SKIP
    >>> import onnxruntime  # doctest: +SKIP
    >>> session = onnxruntime.InferenceSession("model.onnx")  # doctest: +SKIP
    >>> session.run(None, {"X": X.astype(net.dtype)})[0]  # what net.predict_proba(X) gives  # doctest: +SKIP

    A model with text columns takes one ``(N, 1)`` input per column (see the module docstring):

    >>> session.run(None, {"size": np.array([[1.5], [2.0]]),  # doctest: +SKIP
    ...                    "colour": np.array([["red"], ["blue"]], dtype=object)})[0]
    """
    steps = preprocessing_steps(net)
    name = output_name(path)
    path = check_output(name, path, ".onnx")
    onnx = require_onnx()
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)) or not MIN_OPSET <= opset <= newest:
        raise ValueError(f"opset must be a whole number from {MIN_OPSET} to {newest} (this onnx's newest), "
                         f"got {describe(opset)}")
    model = build_model(net, steps, int(opset))
    return write_atomically(path, model.SerializeToString(), name)


def require_onnx():
    """The ``onnx`` module, or a one-line ``ModuleNotFoundError`` saying how to install it."""
    try:
        import onnx
    except ImportError:
        raise ModuleNotFoundError(f"ONNX export needs the onnx package: {INSTALL}") from None
    return onnx


def output_kind(net) -> str:
    """The output's name: ``"probabilities"`` after a softmax or sigmoid layer, else ``"values"``."""
    return "probabilities" if net.layers[-1].activation.name in ("softmax", "sigmoid") else "values"


def preprocessing_steps(net) -> list:
    """``net``'s preprocessing as ``(operator, float64 constant)`` pairs applied in order, or a one-line error.

    The operators are ``Sub``, ``Div``, ``Mul``, ``Add`` and ``Fill`` (NaN cells take the constant's entry of
    their column; the constant holds NaN for a column without a fill value). A first ``Columns`` step with
    categorical columns is the pair ``("Columns", step)``: the model then takes one input per column.
    """
    if not isinstance(net, Network):
        raise TypeError(f"net must be a glassnet Network, got {describe(net)}")
    for i, layer in enumerate(net.layers):
        if layer.activation.name not in ACTIVATION_OPS:
            raise ValueError(f"layers[{i}] has the activation {layer.activation.name!r}, which cannot be exported "
                             f"to ONNX; these can: {', '.join(ACTIVATION_OPS)}")
    prep = net.preprocessing
    if prep is None:
        return []
    steps = prep.steps if isinstance(prep, Pipeline) else [prep]
    operators = []
    for i, step in enumerate(steps):
        if isinstance(step, Columns) and step.names is None:
            raise ValueError(f"the preprocessing step {step!r} is not fitted, so it has no columns to export; "
                             "fit it (or train the network with it) first")
        if isinstance(step, Columns) and "categorical" in step.kinds:
            if i:
                text = step.names[step.kinds.index("categorical")]
                raise ValueError(f"the preprocessing's step {i} (of steps 0 to {len(steps) - 1}) is a Columns step "
                                 f"with the categorical column {shown(text)}, which can be exported to ONNX only as "
                                 "step 0, where it takes the table")
            operators.append(("Columns", step))
        else:
            operators.extend(_step_operators(step))
    return operators


def _step_operators(step) -> list:
    if isinstance(step, Standardize):
        arrays = step.arrays()
        return [("Sub", arrays["mean"]), ("Div", arrays["scale"])]
    if isinstance(step, MinMax):
        arrays = step.arrays()
        return [("Sub", arrays["min"]), ("Mul", _minmax_scale(step.low, step.high, arrays["min"], arrays["max"])),
                ("Add", np.array(step.low))]
    if isinstance(step, RashidScale):
        return [("Mul", np.array(0.99 / step.max_value)), ("Add", np.array(0.01))]
    if isinstance(step, Columns):  # numeric columns only (preprocessing_steps takes the others)
        if all(value is None for value in step.fill):
            return []
        return [("Fill", np.array([np.nan if value is None else value for value in step.fill], dtype=np.float64))]
    raise ValueError(f"the preprocessing step {describe(step)} cannot be exported to ONNX; these can: {EXPORTABLE}")


def _minmax_scale(low, high, low_values, high_values):
    """``(high - low) / (max_ - min_)`` per column as ``MinMax`` computes it: 0 for a column that was constant
    (or whose range is too small to divide by), a range beyond the float range halved first."""
    width = high - low
    with np.errstate(over="ignore", under="ignore"):
        span = high_values - low_values
        scale = np.divide(width, span, out=np.zeros_like(span), where=span > 0)
        wide = np.isinf(span)
        scale[wide] = np.ldexp(width / (np.ldexp(high_values[wide], -1) - np.ldexp(low_values[wide], -1)), -1)
    scale[np.isinf(scale)] = 0.0
    return scale


def input_columns(net):
    """The names of the input columns when the preprocessing starts with ``Columns``, else None."""
    prep = net.preprocessing
    first = prep.steps[0] if isinstance(prep, Pipeline) else prep
    return list(first.names) if isinstance(first, Columns) else None


def table_columns(net):
    """The fitted first ``Columns`` step when the ONNX model takes one input per column (it has categorical
    columns), else None (the model takes one matrix ``X``)."""
    prep = net.preprocessing
    first = prep.steps[0] if isinstance(prep, Pipeline) else prep
    if isinstance(first, Columns) and first.names is not None and "categorical" in first.kinds:
        return first
    return None


def input_names(columns, taken=()) -> list:
    """The ONNX input name of each column: the name itself when it is an identifier (letters, digits and
    ``_``, not starting with a digit), else made one; a name already given, or in ``taken``, gets ``_2``,
    ``_3``, ..."""
    used, names = set(taken), []
    for column in columns:
        base = re.sub(r"\W", "_", column, flags=re.ASCII) or "_"
        if base[0].isdigit():
            base = "_" + base
        name, k = base, 2
        while name in used:
            name, k = f"{base}_{k}", k + 1
        used.add(name)
        names.append(name)
    return names


def number_codes(categories):
    """The categories as float64 numbers when each is a finite number as glassnet writes it (``"3"``,
    ``"2.5"``: a column of codes), else None."""
    try:
        values = [float(c) for c in categories]
    except ValueError:
        return None
    if all(math.isfinite(v) and number_text(v) == c for v, c in zip(values, categories)):
        return np.array(values, dtype=np.float64)
    return None


def input_summary(net) -> str:
    """The ONNX model's input for messages: ``input X (N, 4) float32``, or for a table ``inputs: 3 columns of
    shape (N, 1): 2 numeric (float64), 1 categorical (string)``."""
    step = table_columns(net)
    if step is None:
        return f"input X (N, {n_features(net)}) {net.dtype.name}"
    kinds = {"numeric": 0, "coded": 0, "text": 0}
    for kind, categories in zip(step.kinds, step.categories):
        kinds["numeric" if kind == "numeric" else "coded" if number_codes(categories) is not None else "text"] += 1
    parts = [f"{kinds['numeric']} numeric (float64)"] if kinds["numeric"] else []
    if kinds["coded"]:
        parts.append(f"{kinds['coded']} categorical of number codes (float64)")
    if kinds["text"]:
        parts.append(f"{kinds['text']} categorical (string)")
    return f"inputs: {len(step.names)} columns of shape (N, 1): {', '.join(parts)}"


class _Graph:
    """The nodes and constants of a graph being built, each node named after its output."""

    def __init__(self):
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes, self.constants = [], []

    def node(self, op, inputs, name, domain=None, **attrs):
        self.nodes.append(self.helper.make_node(op, list(inputs), [name], name=name, domain=domain, **attrs))
        return name

    def constant(self, name, value):
        self.constants.append(self.numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name


def _table_inputs(g, step, names, TensorProto):
    """The graph's inputs for the table ``step`` (a fitted ``Columns``), the name of the float64 matrix that
    ``Columns.transform`` makes of them, and the (N, 1) bool tensors that are True in the rows ``predict``
    would refuse."""
    inputs, blocks, refused = [], [], []

    def int64(name, value):
        return g.constant(name, np.array(value, dtype=np.int64))

    for j, (column, kind, fill, categories, x) in enumerate(zip(step.names, step.kinds, step.fill, step.categories,
                                                                 names)):
        p = f"columns.{j}"
        codes = None if kind == "numeric" else number_codes(categories)
        if kind == "numeric" or codes is not None:  # float64 numbers; NaN missing
            what = "numbers" if codes is None else f"the number codes of its {len(categories)} categories"
            inputs.append(g.helper.make_tensor_value_info(x, TensorProto.DOUBLE, ["N", 1], doc_string=(
                f"column {shown(column)}: {what} (float64), NaN where missing")))
            missing = g.node("IsNaN", [x], f"{p}.missing")
            value = x
            if fill is None:
                refused.append(missing)
            else:
                filled = float(fill) if codes is None else float(codes[categories.index(fill)])
                value = g.node("Where", [missing, g.constant(f"{p}.fill", np.array(filled)), x], f"{p}.filled")
            if codes is None:
                refused.append(g.node("IsInf", [x], f"{p}.infinite"))
                blocks.append(value)
                continue
            hot = g.node("Equal", [value, g.constant(f"{p}.codes", codes.reshape(1, -1))], f"{p}.is")
            blocks.append(g.node("Cast", [hot], f"{p}.onehot", to=TensorProto.DOUBLE))
            if step.unknown == "error":
                found = g.node("ReduceSum", [blocks[-1], int64(f"{p}.axis", [1])], f"{p}.found", keepdims=1)
                refused.append(g.node("Equal", [found, g.constant(f"{p}.none", np.array(0.0))], f"{p}.unknown"))
            continue
        # text: LabelEncoder gives each cell its category's index, the fill's for a missing text, else UNKNOWN
        extra = [text for text in sorted(MISSING_TEXTS) if text not in set(categories)]
        gone = MISSING if fill is None else categories.index(fill)
        inputs.append(g.helper.make_tensor_value_info(x, TensorProto.STRING, ["N", 1], doc_string=(
            f"column {shown(column)}: text, one of its {len(categories)} categories (metadata 'categories')"
            + (f"; missing: {', '.join(map(repr, extra))}" if extra else ""))))
        index = g.node("LabelEncoder", [x], f"{p}.index", domain="ai.onnx.ml", keys_strings=[*categories, *extra],
                       values_int64s=[*range(len(categories)), *[gone] * len(extra)], default_int64=UNKNOWN)
        indices = int64(f"{p}.indices", np.arange(len(categories)).reshape(1, -1))
        blocks.append(g.node("Cast", [g.node("Equal", [index, indices], f"{p}.is")], f"{p}.onehot",
                             to=TensorProto.DOUBLE))
        if fill is None:
            refused.append(g.node("Equal", [index, int64(f"{p}.gone", MISSING)], f"{p}.missing"))
        if step.unknown == "error":
            refused.append(g.node("Equal", [index, int64(f"{p}.unseen", UNKNOWN)], f"{p}.unknown"))
    return inputs, g.node("Concat", blocks, "columns.matrix", axis=1), refused


def build_model(net, steps, opset):
    """The checked ``onnx.ModelProto`` of ``net`` with the preprocessing ``steps`` (``preprocessing_steps``)."""
    onnx = require_onnx()
    from onnx import TensorProto

    g = _Graph()
    helper = g.helper
    dtype = net.dtype
    elem = TensorProto.FLOAT if dtype == np.float32 else TensorProto.DOUBLE
    output = output_kind(net)
    table = steps[0][1] if steps and steps[0][0] == "Columns" else None
    refused, metadata = [], {}
    if table is not None:
        names = input_names(table.names, taken={output, "X_prepared"})  # the other names hold a dot
        inputs, current, refused = _table_inputs(g, table, names, TensorProto)
        steps = steps[1:]
        metadata["input_names"] = json.dumps(names)
        metadata["categories"] = json.dumps({n: c for n, c in zip(table.names, table.categories) if c is not None})
        float64 = True
    else:
        inputs = [helper.make_tensor_value_info("X", elem, ["N", n_features(net)])]
        current = "X"
        float64 = dtype == np.float64
        if steps and not float64:
            current = g.node("Cast", [current], "X_float64", to=TensorProto.DOUBLE)
            float64 = True

    for i, (op, value) in enumerate(steps):
        if op == "Fill":
            missing = g.node("IsNaN", [current], f"prep.{i}.missing")
            current = g.node("Where", [missing, g.constant(f"prep.{i}.fill", value), current], f"prep.{i}.Fill")
        else:
            current = g.node(op, [current, g.constant(f"prep.{i}.{op.lower()}", value)], f"prep.{i}.{op}")
    if float64 and dtype != np.float64:
        current = g.node("Cast", [current], "X_prepared", to=elem)
    last = len(net.layers) - 1
    final = f"{output}.computed" if refused else output
    for i, layer in enumerate(net.layers):
        current = g.node("MatMul", [current, g.constant(f"layers.{i}.W", layer.W)], f"layers.{i}.XW")
        if layer.bias:
            current = g.node("Add", [current, g.constant(f"layers.{i}.b", layer.b)], f"layers.{i}.Z")
        op = ACTIVATION_OPS[layer.activation.name]
        if op is not None or i == last:
            attrs = {"axis": -1} if op == "Softmax" else {}
            current = g.node(op or "Identity", [current], final if i == last else f"layers.{i}.A", **attrs)
    if refused:  # rows that predict would refuse: NaN
        bad = refused[0]
        for k, flag in enumerate(refused[1:]):
            bad = g.node("Or", [bad, flag], f"refused.{k}")
        g.node("Where", [bad, g.constant("refused.nan", np.array(np.nan, dtype=dtype)), current], output)

    graph = helper.make_graph(g.nodes, "glassnet", inputs, [helper.make_tensor_value_info(output, elem,
                                                                                         ["N", net.n_out])],
                              initializer=g.constants)
    opsets = [helper.make_opsetid("", opset)]
    if any(node.domain == "ai.onnx.ml" for node in g.nodes):
        opsets.append(helper.make_opsetid("ai.onnx.ml", ML_OPSET))
    model = helper.make_model(graph, opset_imports=opsets, producer_name="glassnet", producer_version=__version__,
                              doc_string=repr(net))
    model.ir_version = min(model.ir_version, _ir_version(onnx, opset))
    metadata.update({"glassnet_version": __version__, "output": output})
    if net.class_names is not None:
        metadata["class_names"] = json.dumps(list(net.class_names))
    columns = input_columns(net)
    if columns is not None:
        metadata["input_columns"] = json.dumps(columns)
    helper.set_model_props(model, metadata)
    onnx.checker.check_model(model, full_check=True)
    return model


def n_features(net) -> int:
    """The number of input columns the model takes."""
    width = getattr(net.preprocessing, "n_features_", None)
    return net.n_in if width is None else int(width)


def _ir_version(onnx, opset) -> int:
    """The IR version that came with ``opset``: a newer onnx writes a newer one by default, which older
    runtimes refuse even for an old opset."""
    for _release, ir, ai_onnx, *_ in onnx.helper.VERSION_TABLE:
        if ai_onnx >= opset:
            return ir
    return onnx.IR_VERSION
