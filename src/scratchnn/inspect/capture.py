"""Looking at a network without training it: every layer's output, every layer's gradient norm.

Both work on any architecture (a ``Sequential``, a subclassed ``Model``, nested models) through
the layers' public hooks: ``layer.add_forward_hook`` records each layer's output during one
forward pass, and ``model.snapshot()`` puts back everything a training-mode pass changes
(BatchNormalization's moving statistics, dropout's random draws, the weights' gradients), so
looking never changes a later ``fit``.
"""

from ..autograd import Tensor, no_grad
from ..losses import get as get_loss
from ..models import Model
from ..models import data as _data
from .statistics import grad_norm


def check_model(model, who):
    if not isinstance(model, Model):
        raise TypeError(f"{who}: model must be a scratchnn Model (Sequential or a Model subclass), "
                        f"got {type(model).__name__}")


def leaf_layers(model):
    """Every layer inside ``model`` that is not itself a model, nested models unfolded."""
    return [layer for layer in model.walk() if not isinstance(layer, Model)]


def as_batch(model, x, name, who):
    """``x`` as a float batch for ``model`` (``Tensor`` and lists accepted); the model is built for it."""
    arr = _data.as_array(getattr(x, "data", x), name)
    if arr is None:
        raise ValueError(f"{who}: {name} is required")
    if len(arr) == 0:
        raise ValueError(f"{who}: {name} holds no samples (shape {arr.shape})")
    arr = _data.to_float_batch(arr)
    if model.dtype is not None and arr.dtype != model.dtype:
        arr = arr.astype(model.dtype)
    model.ensure_built(arr.shape[1:])
    return arr


def forward_capture(model, x, training=False):
    """Run ``model`` on the batch ``x`` without recording a graph and return ``(output, captured)``:
    the model's output Tensor and ``[(layer, output Tensor), ...]`` for every leaf layer, in the
    order the layers were called.

    A forward hook on each leaf layer keeps its output for this one pass (hooked layers are never
    fused, so each is seen on its own). The hooks are removed afterwards, and each layer's activity
    penalties of the last training step are put back: the model is left as it was.
    """
    captured = []

    def record(layer, inputs, outputs):
        captured.append((layer, outputs))

    leaves = leaf_layers(model)
    penalties = [(layer, layer.activity_losses) for layer in leaves]
    handles = [layer.add_forward_hook(record) for layer in leaves]
    try:
        with no_grad():
            out = model(Tensor.wrap(x), training=training)
    finally:
        for handle in handles:
            handle.remove()
        for layer, losses in penalties:
            layer.activity_losses = losses
    return out, captured


def unique_names(layers):
    """Layer names, made unique by a '#2', '#3' suffix when a layer is called twice."""
    seen, names = {}, []
    for layer in layers:
        n = seen.get(layer.name, 0) + 1
        seen[layer.name] = n
        names.append(layer.name if n == 1 else f"{layer.name}#{n}")
    return names


def layer_activations(model, x, training=False):
    """Every layer's output for the batch ``x``, computed without a graph.

    Returns a dict ``{layer name: output array}`` in the order the layers are called (each array
    keeps the batch axis). ``training=False`` (the default) runs the layers in inference mode:
    dropout does nothing and BatchNormalization uses its moving statistics; ``training=True``
    applies dropout and normalizes by the batch's own statistics. Nothing changes either way:
    the moving statistics and the random generators are put back after a training-mode pass. A
    layer called twice appears as ``'name'`` and ``'name#2'``.

        acts = layer_activations(model, x_test[:500])
        {name: a.std() for name, a in acts.items()}     # does the signal shrink layer by layer?
    """
    check_model(model, "layer_activations")
    x = as_batch(model, x, "x", "layer_activations")
    if training:       # moves BatchNormalization's statistics and draws dropout masks: put back after
        with model.snapshot(optimizer=False):
            _, captured = forward_capture(model, x, training=True)
    else:
        _, captured = forward_capture(model, x)
    names = unique_names([layer for layer, _ in captured])
    return {name: out.data for name, (_, out) in zip(names, captured)}


def gradient_norms(model, x, y, sample_weight=None, loss=None, training=True):
    """One forward and backward pass on the batch ``(x, y)``; returns ``{layer name: ||dL/dW||_2}``.

    ``L`` is the model's training objective (the compiled loss plus the regularization penalties,
    as in ``fit``), or ``loss`` when given (a name or a loss object, for a model not compiled);
    ``W`` are the layer's kernels (see ``statistics.py``). Layers without trainable weights are
    left out. The model is not updated: the weights, BatchNormalization's moving statistics, the
    optimizer, every weight's ``.grad`` and the random generators (dropout's masks) are exactly as
    before (``model.snapshot()``), so calling it does not change a later ``fit``
    (``training=True``, the default, computes the gradient ``fit`` would: dropout active, batch
    statistics).

    In a deep network with sigmoid activations the first layer's norm is orders of magnitude
    below the last one's (each sigmoid multiplies the backpropagated gradient by at most 0.25):
    the *vanishing gradient* problem.
    """
    check_model(model, "gradient_norms")
    x = as_batch(model, x, "x", "gradient_norms")
    y = _data.as_array(getattr(y, "data", y), "y")
    if y is None or len(y) != len(x):
        raise ValueError(f"gradient_norms: y must have one target per sample of x ({len(x)}), got "
                         f"{'None' if y is None else f'{len(y)} (shape {y.shape})'}")
    sample_weight = _data.as_array(sample_weight, "sample_weight")
    if loss is not None:
        loss_fn = get_loss(loss)
    elif getattr(model, "loss", None) is not None:
        loss_fn = None
    else:
        raise ValueError("gradient_norms: the model has no loss; compile it first or pass loss=, "
                         "e.g. loss='sparse_categorical_crossentropy'")
    trainable = {id(w) for w in model.trainable_weights}
    with model.snapshot(optimizer=False):
        for w in model.weights:
            w.grad = None
            w.requires_grad = id(w) in trainable
        y_pred = model(Tensor.wrap(x), training=bool(training))
        if loss_fn is None:
            objective = model.compute_loss(y, y_pred, sample_weight)
        else:
            objective = loss_fn(y, y_pred, sample_weight=sample_weight)
            for penalty in model.losses:
                objective = objective + penalty
        if objective.requires_grad:
            objective.backward()
        norms = {}
        for layer in leaf_layers(model):
            norm = grad_norm(layer)
            if norm is not None and layer.trainable:
                norms[layer.name] = norm
    return norms
