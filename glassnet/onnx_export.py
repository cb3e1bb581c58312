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

What cannot be exported is refused before anything is written: text
categories (one-hot of strings: the ONNX input is one numeric matrix) and
preprocessing objects other than glassnet's. A missing cell where the model
has no fill value gives NaN outputs, where ``predict`` raises an error.
``onnx`` is an optional extra: ``pip install 'glassnet[onnx]'``.
"""

from __future__ import annotations

import json

import numpy as np

from glassnet.checks import describe, shown
from glassnet.files import check_output, output_name, write_atomically
from glassnet.network import Network
from glassnet.preprocessing import MinMax, Pipeline, RashidScale, Standardize
from glassnet.tables.columns import Columns
from glassnet.version import __version__

OPSET = 17
MIN_OPSET = 13  # Softmax over the last axis alone (before 13 it flattened all the axes after the given one)
ACTIVATION_OPS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "softmax": "Softmax", "linear": None}
EXPORTABLE = "Standardize, MinMax, RashidScale, Pipeline and Columns of numeric columns"
INSTALL = "pip install 'glassnet[onnx]'"


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
    their column; the constant holds NaN for a column without a fill value).
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
    return [op for step in steps for op in _step_operators(step)]


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
    if isinstance(step, Columns):
        text = [n for n, kind in zip(step.names, step.kinds) if kind == "categorical"]
        if text:
            raise ValueError(f"the model's column {shown(text[0])} is categorical (one input per category), which "
                             "cannot be exported to ONNX yet; only numeric columns can")
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


def build_model(net, steps, opset):
    """The checked ``onnx.ModelProto`` of ``net`` with the preprocessing ``steps`` (``preprocessing_steps``)."""
    onnx = require_onnx()
    from onnx import TensorProto, helper, numpy_helper

    dtype = net.dtype
    elem = TensorProto.FLOAT if dtype == np.float32 else TensorProto.DOUBLE
    nodes, constants = [], []
    current = "X"

    def add(op, inputs, name, **attrs):
        nonlocal current
        nodes.append(helper.make_node(op, [current, *inputs], [name], name=name, **attrs))
        current = name

    def constant(name, value):
        constants.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    if steps:
        if dtype != np.float64:
            add("Cast", [], "X_float64", to=TensorProto.DOUBLE)
        for i, (op, value) in enumerate(steps):
            if op == "Fill":
                source = current
                nodes.append(helper.make_node("IsNaN", [source], [f"prep.{i}.missing"], name=f"prep.{i}.missing"))
                fill = constant(f"prep.{i}.fill", value)
                nodes.append(helper.make_node("Where", [f"prep.{i}.missing", fill, source], [f"prep.{i}.Fill"],
                                              name=f"prep.{i}.Fill"))
                current = f"prep.{i}.Fill"
            else:
                add(op, [constant(f"prep.{i}.{op.lower()}", value)], f"prep.{i}.{op}")
        if dtype != np.float64:
            add("Cast", [], "X_prepared", to=elem)
    output = output_kind(net)
    last = len(net.layers) - 1
    for i, layer in enumerate(net.layers):
        add("MatMul", [constant(f"layers.{i}.W", layer.W)], f"layers.{i}.XW")
        if layer.bias:
            add("Add", [constant(f"layers.{i}.b", layer.b)], f"layers.{i}.Z")
        op = ACTIVATION_OPS[layer.activation.name]
        if op is not None or i == last:
            attrs = {"axis": -1} if op == "Softmax" else {}
            add(op or "Identity", [], output if i == last else f"layers.{i}.A", **attrs)

    graph = helper.make_graph(
        nodes, "glassnet", [helper.make_tensor_value_info("X", elem, ["N", n_features(net)])],
        [helper.make_tensor_value_info(output, elem, ["N", net.n_out])], initializer=constants,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="glassnet",
                              producer_version=__version__, doc_string=repr(net))
    model.ir_version = min(model.ir_version, _ir_version(onnx, opset))
    metadata = {"glassnet_version": __version__, "output": output}
    if net.class_names is not None:
        metadata["class_names"] = json.dumps(list(net.class_names))
    columns = input_columns(net)
    if columns is not None:
        metadata["input_columns"] = json.dumps(columns)
    helper.set_model_props(model, metadata)
    onnx.checker.check_model(model, full_check=True)
    return model


def n_features(net) -> int:
    width = getattr(net.preprocessing, "n_features_", None)
    return net.n_in if width is None else int(width)


def _ir_version(onnx, opset) -> int:
    """The IR version that came with ``opset``: a newer onnx writes a newer one by default, which older
    runtimes refuse even for an old opset."""
    for _release, ir, ai_onnx, *_ in onnx.helper.VERSION_TABLE:
        if ai_onnx >= opset:
            return ir
    return onnx.IR_VERSION
