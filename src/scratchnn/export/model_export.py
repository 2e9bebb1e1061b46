"""``to_onnx(model)``: the ONNX ModelProto of a built model; ``export_model(model, path)``: the
same, checked and written atomically (``model.export(path, format="onnx")`` calls it).

Every step that can refuse runs before the file is touched: the format and the opset are
checked, every layer without a converter is named (all of them, in one message), the graph is
built in memory and passed through ``onnx.checker``; only then is the file written, through
``saving.atomic_write`` (a failed export leaves no file, or the old one intact).

The graph has one input, ``input`` (the model's input shape, the batch axis a symbolic
``batch``; integer ids, int64, for a model that starts with an Embedding or for a GPT; else the
model's float type), and one output, ``output``, in scratchnn's channels-last order.
"""
import os

from ..saving.atomic import atomic_write
from ..version import __version__
from .graph import ExportError, Graph, Value, require_onnx
from .registry import CONVERTERS

DEFAULT_OPSET = 17
MIN_OPSET = 13             # Softmax over one axis, Unsqueeze/Squeeze/Slice with tensor axes
FORMATS = ("onnx",)


def _check_opset(opset, onnx):
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= newest:
        raise ExportError(f"opset must be an integer from {MIN_OPSET} to {newest} (the installed onnx's "
                          f"newest), got {opset!r}")


def _check_model(model):
    if not getattr(model, "built", False) or getattr(model, "input_shape", None) is None:
        raise ExportError(f"model '{model.name}' is not built, so its input shape is unknown: call it on "
                          "data, fit it, or declare an Input / input_shape before exporting it")
    bad = CONVERTERS.unsupported(model)
    if bad:
        names = ", ".join(f"'{layer.name}' ({type(layer).__name__})" for layer in bad)
        raise ExportError(f"cannot export model '{model.name}' to ONNX: no converter for layer(s) {names}; "
                          "nothing was written")


def _value_info(helper, name, elem_type, shape, prefix):
    dims = ["batch" if i == 0 and d is None else (f"{prefix}_{i}" if d is None else int(d))
            for i, d in enumerate(shape)]
    return helper.make_tensor_value_info(name, elem_type, dims)


def to_onnx(model, opset=DEFAULT_OPSET):
    """The ``onnx.ModelProto`` of a built scratchnn model (checked by ``onnx.checker``)."""
    onnx = require_onnx()
    _check_opset(opset, onnx)
    _check_model(model)
    g = Graph(model.dtype, opset, CONVERTERS)
    helper = g.helper
    elem_type = onnx.TensorProto.INT64 if CONVERTERS.takes_ids(model) else g.float_type
    x = Value(g.fresh("input"), tuple(model.input_shape), elem_type)
    y = g.channels_last(g.convert(model, [x]), "output")
    output = g.fresh("output")
    g.nodes.append(helper.make_node("Identity", [y.name], [output], name=g.fresh("output/Identity")))
    output_shape = model.compute_output_shape(model.input_shape)
    graph = helper.make_graph(g.nodes, model.name, [_value_info(helper, x.name, elem_type, x.shape, "input")],
                              [_value_info(helper, output, g.float_type, output_shape, "output")],
                              initializer=g.initializers,
                              doc_string=f"scratchnn {type(model).__name__} '{model.name}'")
    opsets = [helper.make_opsetid("", opset)]
    proto = helper.make_model(graph, opset_imports=opsets, producer_name="scratchnn",
                              producer_version=__version__, ir_version=helper.find_min_ir_version_for(opsets))
    onnx.checker.check_model(proto, full_check=True)
    return proto


def export_model(model, filepath, format="onnx", opset=DEFAULT_OPSET):
    """Write ``model`` to ``filepath`` as ONNX (``format`` must be 'onnx'); returns the path.
    Raises ``ExportError`` (a ValueError) before anything is written when it cannot be exported,
    ``ImportError`` naming ``pip install 'scratchnn[onnx]'`` without the onnx package."""
    if not isinstance(format, str) or format.lower() not in FORMATS:
        raise ExportError(f"export format {format!r} is not supported: scratchnn exports format='onnx' "
                          "(Keras's 'tf_saved_model' needs TensorFlow)")
    proto = to_onnx(model, opset=opset)
    data = proto.SerializeToString()
    with atomic_write(filepath) as f:
        f.write(data)
    return os.fspath(filepath)
