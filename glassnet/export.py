"""``glassnet export MODEL --onnx FILE --torch FILE``: a model file for other tools (ONNX, PyTorch).

The command lives apart from ``glassnet.onnx_export`` and ``glassnet.torch_exchange`` because it loads the model
with ``glassnet.io``, which offers those modules' functions: in them it would close an import cycle.
"""

from __future__ import annotations

from glassnet.files import check_output
from glassnet.io import load
from glassnet.onnx_export import INSTALL, input_summary, output_kind, preprocessing_steps, require_onnx, to_onnx
from glassnet.torch_exchange import module_texts, save_torch


def add_command(subparsers):
    """Add ``glassnet export`` to the CLI's subparsers; it calls ``run(args)``."""
    summary = "write a model for other tools: an ONNX file, a PyTorch state dict (safetensors)"
    p = subparsers.add_parser("export", help=summary, description=summary[0].upper() + summary[1:] + ".")
    p.add_argument("model", metavar="MODEL", help="the model file (.safetensors) written by glassnet train")
    p.add_argument("--onnx", metavar="FILE",
                   help=f"write an ONNX model (.onnx) that takes raw inputs, preprocessing included ({INSTALL})")
    p.add_argument("--torch", metavar="FILE",
                   help="write the network as a PyTorch nn.Sequential state dict (.safetensors): "
                        "model.load_state_dict(safetensors.torch.load_file(FILE))")
    p.set_defaults(run=run)
    return p


def run(args):
    """``glassnet export``: check the outputs, load the model, write each file and say what it holds."""
    if args.onnx is None and args.torch is None:
        raise ValueError("give --onnx FILE, --torch FILE or both: the files to write")
    if args.onnx is not None:
        check_output("--onnx", args.onnx, ".onnx")
    if args.torch is not None:
        check_output("--torch", args.torch, ".safetensors")
    net = load(args.model)
    if args.onnx is not None:  # what cannot be exported, said before any file is written
        preprocessing_steps(net)
        try:
            require_onnx()
        except ModuleNotFoundError as exc:
            raise ValueError(str(exc)) from None
        path = to_onnx(net, args.onnx)
        prep = "" if net.preprocessing is None else f" {net.preprocessing!r} and"
        print(f"wrote {path}: ONNX, {input_summary(net)} through{prep} the network to {output_kind(net)} "
              f"(N, {net.n_out})")
    if args.torch is not None:
        path = save_torch(net, args.torch)
        note = ("" if net.preprocessing is None
                else f"; the preprocessing {net.preprocessing!r} is not in it: give the torch model its output")
        print(f"wrote {path}: a PyTorch state dict ({net.dtype.name}) for nn.Sequential({', '.join(module_texts(net))})"
              f"{note}")
