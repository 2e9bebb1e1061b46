"""A model's layers as a graph: ``model_to_dot`` (Graphviz's DOT text) and ``plot_model``
(``keras.utils.plot_model``), which draws it.

    keras.utils.plot_model(model, to_file="model.png", show_shapes=True)

One box per layer (its name and class, optionally its output shape, dtype, activation and
whether it trains), one arrow per tensor a layer takes from another: a ``Sequential`` is a
chain from its input; a functional ``Model(inputs, outputs)`` shows its real graph (several
inputs, merges, shared layers).

The DOT text is written here, without pydot. Drawing it (``.png``, ``.svg``, ``.pdf``, ...)
needs Graphviz's ``dot`` program; without it ``plot_model`` raises one ``ImportError`` line
saying what to install. ``to_file="model.dot"`` writes the text and needs nothing.
"""
import os
import shutil
import subprocess

from ..layers.base import format_shape

__all__ = ["model_to_dot", "plot_model"]

FORMATS = ("png", "svg", "pdf", "jpg", "jpeg", "gif", "ps", "eps")


def _quote(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _sequential_graph(model):
    """``[(layer, output shape or None)], [(source index, target index)]`` of a layer stack."""
    shape = getattr(model, "input_shape", None)
    nodes = [(None, shape)] if shape is not None else []
    for layer in model.layers:
        try:
            shape = layer.compute_output_shape(shape) if shape is not None and layer.built else None
        except (NotImplementedError, ValueError, TypeError):
            shape = None
        nodes.append((layer, shape))
    return nodes, [(i, i + 1) for i in range(len(nodes) - 1)]


def _functional_graph(model):
    layers = list(model.layers)
    where = {id(layer): i for i, layer in enumerate(layers)}
    nodes, edges = [], []
    for i, layer in enumerate(layers):
        calls = model.model_nodes(layer)
        shapes = [t.shape for n in calls for t in n.output_tensors]
        nodes.append((layer, shapes[0] if len(shapes) == 1 else (shapes or None)))
        for call in calls:
            for tensor in call.input_tensors:
                source = where.get(id(tensor.node.layer))
                if source is not None and (source, i) not in edges:
                    edges.append((source, i))
    return nodes, edges


def _label(layer, shape, show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable):
    if layer is None:
        parts = ["input (Input)" if show_layer_names else "Input"]
    else:
        kind = type(layer).__name__
        parts = [f"{layer.name} ({kind})" if show_layer_names else kind]
    if show_shapes:
        if shape is None:
            parts.append("output: ?")
        elif shape and isinstance(shape, list):
            parts.append("output: " + ", ".join(format_shape(s) for s in shape))
        else:
            parts.append(f"output: {format_shape(shape)}")
    if show_dtype and layer is not None:
        parts.append(f"dtype: {getattr(layer, 'dtype', None) or 'float32'}")
    if show_layer_activations and layer is not None and getattr(layer, "activation", None) is not None:
        activation = layer.activation
        parts.append(f"activation: {getattr(activation, '__name__', activation)}")
    if show_trainable and layer is not None:
        parts.append(f"trainable: {bool(getattr(layer, 'trainable', True))}")
    return "\\n".join(p.replace("\\", "\\\\").replace('"', '\\"') for p in parts)


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=200, show_layer_activations=False, show_trainable=False, **kwargs):
    """The graph of ``model`` as DOT text (a ``str``; Keras returns a pydot object instead).

    ``rankdir``: ``"TB"`` (top to bottom) or ``"LR"`` (left to right); the ``show_*`` flags add
    lines to each box. ``expand_nested`` is accepted; a nested model is drawn as one box.
    """
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"model_to_dot: `rankdir` must be 'TB', 'LR', 'BT' or 'RL', got {rankdir!r}.")
    if not hasattr(model, "layers"):
        raise TypeError(f"model_to_dot: expected a model (with .layers), got {type(model).__name__}.")
    graph = _functional_graph if hasattr(model, "model_nodes") else _sequential_graph
    nodes, edges = graph(model)
    lines = [f"digraph {_quote(getattr(model, 'name', 'model'))} {{",
             f"  graph [rankdir={rankdir}, dpi={int(dpi)}];",
             '  node [shape=box, fontname="Helvetica"];']
    for i, (layer, shape) in enumerate(nodes):
        label = _label(layer, shape, show_shapes, show_dtype, show_layer_names, show_layer_activations,
                       show_trainable)
        lines.append(f'  n{i} [label="{label}"];')
    lines += [f"  n{a} -> n{b};" for a, b in edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=True,
               rankdir="TB", expand_nested=False, dpi=200, show_layer_activations=False, show_trainable=False,
               **kwargs):
    """Draw ``model``'s graph into ``to_file`` (its extension picks the format: ``.png``, ``.svg``,
    ``.pdf``, ...; ``.dot`` writes the DOT text itself) and return the path.

    Raises ``ImportError`` (one line) when Graphviz's ``dot`` program, needed for every format
    but ``.dot``, is not installed; nothing is written then."""
    extension = os.path.splitext(str(to_file))[1].lower().lstrip(".") or "png"
    if extension != "dot" and extension not in FORMATS:
        raise ValueError(f"plot_model: cannot draw to {to_file!r}; the extension must be .dot or one of "
                         f"{', '.join('.' + f for f in FORMATS)}.")
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype,
                       show_layer_names=show_layer_names, rankdir=rankdir, expand_nested=expand_nested,
                       dpi=dpi,
                       show_layer_activations=show_layer_activations, show_trainable=show_trainable)
    if extension == "dot":
        with open(to_file, "w", encoding="utf-8") as f:
            f.write(dot)
        return str(to_file)
    program = shutil.which("dot")
    if program is None:
        raise ImportError(f"plot_model: drawing {to_file} needs Graphviz's `dot` program, which is not "
                          "installed (apt-get install graphviz, brew install graphviz or conda install "
                          "graphviz); to_file='model.dot' writes the graph as text without it.")
    try:
        subprocess.run([program, f"-T{'jpg' if extension == 'jpeg' else extension}", "-o", str(to_file)],
                       input=dot.encode("utf-8"), check=True, capture_output=True, timeout=120)
    except subprocess.CalledProcessError as exc:
        why = exc.stderr.decode(errors="replace").strip()
        raise RuntimeError(f"plot_model: Graphviz's dot failed: {why}") from None
    return str(to_file)
