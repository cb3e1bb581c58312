"""PyTorch exchange: a ``Network`` as an ``nn.Sequential`` state dict, and an ``nn.Sequential`` (or a state
dict) as a ``Network``.

A glassnet network of ``Dense`` layers is, in PyTorch, an ``nn.Sequential`` of
``nn.Linear`` modules each followed by its activation module (``nn.Sigmoid``,
``nn.Tanh``, ``nn.ReLU``, ``nn.Softmax(dim=-1)``; nothing after a linear
layer)::

    Network([Dense(4, 8, "relu"), Dense(8, 3, "softmax")])
    nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3), nn.Softmax(dim=-1))

and its state dict names the parameters by their module's position:
``"0.weight"``, ``"0.bias"``, ``"2.weight"``, ``"2.bias"`` (activations
hold none). **The layout differs**: glassnet's ``W`` has shape ``(n_in,
n_out)`` because rows are samples (``Z = X @ W + b``), while
``nn.Linear.weight`` has shape ``(n_out, n_in)`` (``Z = X @ weight.T +
bias``), so every weight is transposed on the way, both ways. ``b`` and
``bias`` are the same vector.

``to_torch_state_dict(net)`` and ``to_torch(net)`` need torch;
``save_torch(net, path)`` writes the same state dict as a safetensors file
without it (``safetensors.torch.load_file`` then ``load_state_dict`` read it),
and ``from_torch`` takes a state dict of NumPy arrays without it too. torch is
imported only inside these functions and is no dependency of glassnet. The
preprocessing stays with glassnet: give the torch model
``net.preprocessing.transform(X)``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np

from glassnet.checks import describe
from glassnet.files import check_output, output_name, write_atomically
from glassnet.layers import Dense
from glassnet.network import Network
from glassnet.version import __version__

# glassnet's activation -> the torch.nn module after the Linear (None: nothing, the identity)
MODULES = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU", "softmax": "Softmax", "linear": None}
DEFAULT_LOSS = {"softmax": "cross_entropy", "sigmoid": "binary_cross_entropy"}  # else squared_error


def torch_layout(net) -> list:
    """``[(position, W.T, b), ...]``: each layer's position in the ``nn.Sequential`` and its parameters in
    torch's layout, as contiguous NumPy arrays (``b`` None without bias)."""
    if not isinstance(net, Network):
        raise TypeError(f"net must be a glassnet Network, got {describe(net)}")
    out, position = [], 0
    for layer in net.layers:
        out.append((position, np.ascontiguousarray(layer.W.T), None if layer.b is None else layer.b.copy()))
        position += 1 if MODULES[layer.activation.name] is None else 2
    return out


def _named(net) -> dict:
    """The state dict as NumPy arrays: ``{"0.weight": W1.T, "0.bias": b1, "2.weight": ...}``."""
    named = {}
    for position, weight, bias in torch_layout(net):
        named[f"{position}.weight"] = weight
        if bias is not None:
            named[f"{position}.bias"] = bias
    return named


def to_torch_state_dict(net) -> dict:
    """``net``'s weights as the state dict of the ``nn.Sequential`` that ``to_torch`` builds (torch tensors in the
    network's dtype; weights transposed to ``(n_out, n_in)``)."""
    torch = _torch()
    return {name: torch.from_numpy(value) for name, value in _named(net).items()}


def to_torch(net):
    """``net`` as an ``nn.Sequential`` of ``Linear`` and activation modules, in the network's dtype, giving what
    ``predict_proba`` gives for preprocessed inputs."""
    torch = _torch()
    torch_layout(net)  # the check of net
    modules = []
    for layer in net.layers:
        modules.append(torch.nn.Linear(layer.n_in, layer.n_out, bias=layer.bias))
        kind = MODULES[layer.activation.name]
        if kind is not None:
            modules.append(torch.nn.Softmax(dim=-1) if kind == "Softmax" else getattr(torch.nn, kind)())
    model = torch.nn.Sequential(*modules).to(torch.float64 if net.dtype == np.float64 else torch.float32)
    model.load_state_dict(to_torch_state_dict(net))
    return model


def save_torch(net, path) -> str:
    """Write ``net``'s ``to_torch_state_dict`` as the safetensors file ``path`` (atomically; torch not needed).

    ``model.load_state_dict(safetensors.torch.load_file(path))`` then fills an ``nn.Sequential`` like
    ``to_torch``'s. The header's metadata holds ``"format": "pt"``, the modules (``"glassnet.sequential"``, JSON)
    and the class names (``"glassnet.class_names"``, JSON).
    """
    from safetensors.numpy import save

    named = _named(net)
    name = output_name(path)
    path = check_output(name, path, ".safetensors")
    metadata = {"format": "pt", "glassnet_version": __version__, "glassnet.sequential": json.dumps(module_texts(net))}
    if net.class_names is not None:
        metadata["glassnet.class_names"] = json.dumps(list(net.class_names))
    return write_atomically(path, save(named, metadata=metadata), name)


def module_texts(net) -> list:
    """``["Linear(4, 8)", "ReLU()", ...]``: the modules of the ``nn.Sequential`` that ``to_torch`` builds."""
    torch_layout(net)  # the check of net
    out = []
    for layer in net.layers:
        out.append(f"Linear({layer.n_in}, {layer.n_out}{'' if layer.bias else ', bias=False'})")
        kind = MODULES[layer.activation.name]
        if kind is not None:
            out.append("Softmax(dim=-1)" if kind == "Softmax" else f"{kind}()")
    return out


def from_torch(module_or_state_dict, activations=None, loss=None) -> Network:
    """A ``Network`` with the weights of a PyTorch ``nn.Sequential`` or of a state dict.

    Parameters
    ----------
    module_or_state_dict : torch.nn.Sequential, torch.nn.Linear, or a mapping
        A module: ``Linear`` modules, each followed by at most one of ``Sigmoid``, ``Tanh``, ``ReLU``,
        ``Softmax(dim=-1)`` (or ``dim=1``) and ``Identity``; nested ``Sequential`` modules are read in order.
        A state dict (torch tensors or NumPy arrays, ``{"0.weight": ..., "0.bias": ...}``): its ``.weight``
        matrices in order, each with its ``.bias`` if it has one, in torch's layout ``(n_out, n_in)``.
    activations : list of str, optional
        One glassnet activation per layer; required with a state dict (it holds none), not given with a module
        (its activation modules say them).
    loss : str, optional
        The network's loss; by default ``cross_entropy`` after softmax, ``binary_cross_entropy`` after sigmoid,
        else ``squared_error``.

    The weights keep their dtype (float32 or float64; float16 and bfloat16 become float32), transposed to
    glassnet's ``(n_in, n_out)``. The network has no preprocessing.
    """
    if isinstance(module_or_state_dict, Mapping):
        layers = _state_dict_layers(module_or_state_dict)
        if activations is None:
            raise ValueError(f"a state dict holds no activations: give activations, one per layer "
                             f"({len(layers)} here), such as {['relu'] * (len(layers) - 1) + ['softmax']}")
        if isinstance(activations, str) or not isinstance(activations, (list, tuple)):
            raise TypeError(f"activations must be a list of activation names, got {describe(activations)}")
        if len(activations) != len(layers):
            raise ValueError(f"activations has {len(activations)} names but the state dict has {len(layers)} "
                             "layers; give one per layer")
    else:
        if activations is not None:
            raise ValueError("activations come from the module's activation modules; give activations only with a "
                             "state dict")
        layers, activations = _module_layers(module_or_state_dict)
    dtype = np.result_type(*(W for W, _ in layers))
    built = []
    for i, ((weight, bias), activation) in enumerate(zip(layers, activations)):
        n_out, n_in = weight.shape
        dense = Dense(n_in, n_out, activation, bias=bias is not None)
        dense.W = np.array(weight.T, dtype=dtype, order="C")  # a copy: never the module's memory
        dense.b = None if bias is None else np.array(bias, dtype=dtype)
        if dense.b is not None and dense.b.shape != (n_out,):
            raise ValueError(f"layer {i}: the bias has shape {dense.b.shape} but the weight {weight.shape} needs "
                             f"({n_out},)")
        if not (np.isfinite(dense.W).all() and (dense.b is None or np.isfinite(dense.b).all())):
            raise ValueError(f"layer {i} has NaN or infinite weights")
        built.append(dense)
    if loss is None:
        loss = DEFAULT_LOSS.get(built[-1].activation.name, "squared_error")
    return Network(built, loss=loss)


def _array(name, value):
    """A state dict's entry as a float32 or float64 NumPy array."""
    if hasattr(value, "detach"):  # a torch tensor, on any device, in any float dtype
        torch = _torch()
        value = value.detach().cpu()
        if value.dtype not in (torch.float32, torch.float64):
            if not value.is_floating_point():
                raise TypeError(f"{name} must hold floats, got a tensor of {value.dtype}")
            value = value.to(torch.float32)
        value = value.numpy()
    if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
        raise TypeError(f"{name} must be a float tensor or array, got {describe(value)}")
    return value if value.dtype in (np.float32, np.float64) else value.astype(np.float32)


def _state_dict_layers(state) -> list:
    """``[(weight, bias or None), ...]`` of a state dict, in the order of its ``.weight`` entries."""
    names = [str(n) for n in state]
    weights = [n for n in names if n.endswith(".weight") or n == "weight"]
    if not weights:
        raise ValueError(f"the state dict has no '.weight' entries (got {names[:5]}); expected names such as "
                         "'0.weight', '0.bias' from an nn.Sequential of Linear layers")
    stray = sorted(set(names) - set(weights) - {w[: -len("weight")] + "bias" for w in weights})
    if stray:
        raise ValueError(f"the state dict holds {stray[:5]}, which belong to no Linear layer; only Linear "
                         "weights and biases can be read")
    layers = []
    for w in weights:
        weight = _array(w, state[w])
        if weight.ndim != 2:
            raise ValueError(f"{w} has shape {weight.shape}; a Linear weight is a matrix (n_out, n_in)")
        b = w[: -len("weight")] + "bias"
        layers.append((weight, _array(b, state[b]) if b in state else None))
    for i, ((before, _), (after, _)) in enumerate(zip(layers, layers[1:])):
        if before.shape[0] != after.shape[1]:
            raise ValueError(f"{weights[i]} has {before.shape[0]} outputs but {weights[i + 1]} takes "
                             f"{after.shape[1]} inputs (shapes {before.shape} and {after.shape})")
    return layers


def _module_layers(module):
    """``(layers, activations)`` of an ``nn.Sequential`` (or one ``nn.Linear``)."""
    torch = _torch()
    nn = torch.nn
    if not isinstance(module, nn.Module):
        raise TypeError(f"from_torch takes an nn.Sequential or a state dict, got {describe(module)}")
    if not isinstance(module, (nn.Sequential, nn.Linear)):
        raise TypeError(f"from_torch reads an nn.Sequential of Linear and activation modules, got "
                        f"{type(module).__name__}: give its state_dict() with activations=[...]")
    names = {getattr(nn, kind): name for name, kind in MODULES.items() if kind is not None}
    names[nn.Identity] = "linear"
    layers, activations = [], []
    for child in _leaves(module, nn):
        if isinstance(child, nn.Linear):
            layers.append((_array("weight", child.weight), None if child.bias is None else _array("bias", child.bias)))
            activations.append("linear")
            continue
        name = names.get(type(child))
        if name is None:
            raise TypeError(f"from_torch cannot read the module {child!r}; it reads Linear, Sigmoid, Tanh, ReLU, "
                            "Softmax(dim=-1) and Identity")
        if isinstance(child, nn.Softmax) and child.dim not in (-1, 1):
            raise ValueError(f"{child!r}: only a softmax over each row (dim=-1 or dim=1) can be read")
        if not layers:
            raise ValueError(f"the module starts with {child!r}; it must start with a Linear layer")
        if activations[-1] != "linear" and name != "linear":
            raise ValueError(f"{child!r} follows another activation; glassnet's layers have one activation each")
        if name != "linear":
            activations[-1] = name
    if not layers:
        raise ValueError("the module holds no Linear layer")
    for i, ((before, _), (after, _)) in enumerate(zip(layers, layers[1:])):
        if before.shape[0] != after.shape[1]:
            raise ValueError(f"Linear layer {i} has {before.shape[0]} outputs but layer {i + 1} takes "
                             f"{after.shape[1]} inputs")
    return layers, activations


def _leaves(module, nn):
    if isinstance(module, nn.Sequential):
        for child in module:
            yield from _leaves(child, nn)
    else:
        yield module


def _torch():
    try:
        import torch
    except ImportError:
        raise ModuleNotFoundError("this needs PyTorch, which glassnet does not install: see https://pytorch.org "
                                  "(pip install torch)") from None
    return torch
