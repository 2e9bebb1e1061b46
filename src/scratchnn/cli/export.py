"""``scratchnn export RUN_OR_MODEL --format onnx [--out PATH] [--opset N]``: write a trained model
for other runtimes (``scratchnn.export``). The file goes beside the model (``model.onnx`` in the
run folder) unless ``--out`` names another file (or a folder to put ``model.onnx`` in).

Errors are one line, as for the other commands: a missing or unreadable model (exit status 2), a
layer without a converter (2, nothing written), the onnx package missing (1, with the pip line).
"""
import os

from ..export import ExportError, export_model
from .errors import CLIError
from .use import load_run

FORMATS = ("onnx",)


def output_path(model_path, out, fmt):
    """Where the file goes: ``--out`` (a folder gets ``<model name>.<format>`` inside), else beside
    the model with the format's suffix."""
    stem = os.path.splitext(os.path.basename(model_path))[0]
    if out is None:
        return os.path.join(os.path.dirname(model_path) or ".", f"{stem}.{fmt}")
    if os.path.isdir(out):
        return os.path.join(out, f"{stem}.{fmt}")
    if out.endswith(os.sep):
        raise CLIError(f"--out {out}: no such folder; create it, or give a file name", usage=True)
    return out


def run(args):
    """``scratchnn export``: see the module docstring."""
    model, _, model_path, _ = load_run(args.run)
    path = output_path(model_path, args.out, args.format)
    try:
        export_model(model, path, format=args.format, opset=args.opset)
    except ExportError as e:
        raise CLIError(f"{model_path}: {e}", usage=True) from None
    except ImportError as e:
        raise CLIError(str(e)) from None
    print(f"wrote {path} ({os.path.getsize(path):,} bytes; ONNX opset {args.opset}, input 'input' "
          f"{_shape(model.input_shape)}, output 'output')")
    return 0


def _shape(shape):
    dims = ["batch" if i == 0 else ("?" if d is None else str(d)) for i, d in enumerate(shape)]
    return "(" + ", ".join(dims) + ")"
