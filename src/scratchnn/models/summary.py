"""``model.summary()``: the layers, their output shapes and parameter counts, as Keras prints them."""
from ..layers.base import format_shape


def _human_bytes(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.2f} {unit}"
        n /= 1024


def _functional_rows(model):
    """One row per layer (InputLayers first), with the tensors each of its calls took: Keras's
    'Connected to' column (``dense[0][0]``: layer, call of the layer, output of the call)."""
    rows = []
    for layer in model.layers:
        nodes = model.model_nodes(layer)
        shapes = [format_shape(t.shape) for n in nodes for t in n.output_tensors]
        inbound = [model.tensor_name(t) for n in nodes for t in n.input_tensors]
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        rows.append((f"{layer.name} ({type(layer).__name__})", ", ".join(dict.fromkeys(shapes)) or "?",
                     params, ", ".join(inbound) or "-"))
    return rows, ("Layer (type)", "Output Shape", "Param #", "Connected to")


def _rows(model):
    rows = []
    shape = model.input_shape
    for layer in model.layers:
        if shape is not None and layer.built:
            shape = layer.compute_output_shape(shape)
            out = format_shape(shape)
        else:
            out = "?"
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        rows.append((f"{layer.name} ({type(layer).__name__})", out, params))
    return rows, ("Layer (type)", "Output Shape", "Param #")


def print_summary(model, print_fn=None, line_length=None):
    print_fn = print_fn or print
    rows, headers = _functional_rows(model) if hasattr(model, "model_nodes") else _rows(model)
    n = len(headers)
    widths = [max(len(headers[i]), *(len(r[i]) for r in rows)) + 2 if rows else len(headers[i]) + 2
              for i in range(n)]
    if line_length:
        widths[0] = max(widths[0], line_length - sum(widths[1:]) - n - 1)

    def line(left, mid, right, fill="─"):
        return left + mid.join(fill * w for w in widths) + right

    def row(cells, bar="│"):
        texts = [f" {cell:>{w - 2}} " if i == 2 else f" {cell:<{w - 2}} "
                 for i, (cell, w) in enumerate(zip(cells, widths))]
        return bar + bar.join(texts) + bar

    print_fn(f'Model: "{model.name}"')
    print_fn(line("┏", "┳", "┓", "━"))
    print_fn(row(headers, "┃"))
    print_fn(line("┡", "╇", "┩", "━"))
    for i, cells in enumerate(rows):
        print_fn(row(cells))
        if i < len(rows) - 1:
            print_fn(line("├", "┼", "┤"))
    print_fn(line("└", "┴", "┘"))
    weights = model.weights
    total = sum(w.size for w in weights)
    trainable = sum(w.size for w in model.trainable_weights)
    nbytes = sum(w.data.nbytes for w in weights)
    tbytes = sum(w.data.nbytes for w in model.trainable_weights)
    print_fn(f" Total params: {total:,} ({_human_bytes(nbytes)})")
    print_fn(f" Trainable params: {trainable:,} ({_human_bytes(tbytes)})")
    print_fn(f" Non-trainable params: {total - trainable:,} ({_human_bytes(nbytes - tbytes)})")
