"""Converters of the models made of layers: ``Sequential`` (and a Sequential inside a
Sequential) and the ``GPT``.

``export`` sits below ``models`` (``model.export()`` calls it), so it names these classes by
their module and class name and reads them through their public surface: a Sequential's
``layers``, the GPT's layer attributes (``token_embedding``, ``position_embedding``,
``transformer_layers``, ``layer_norm``, ``lm_head``).

A functional model (``Model(inputs, outputs)``) will be one more converter here: it maps each
of its input tensors to a Value, then for each node in topological order calls
``graph.convert(node.layer, [values of the node's inputs])`` (merge layers take several) and
records the output Value under the node's output tensor; ``children`` lists its layers.
"""
from .attention import convert_embedding, convert_position_embedding
from .graph import Value
from .registry import CONVERTERS

SEQUENTIAL = "scratchnn.models.sequential.Sequential"
GPT = "scratchnn.models.gpt.GPT"


def run_layer(g, layer, x):
    """``layer`` on Value x, with Keras's implicit mask: a layer that supports masking passes
    x's mask on (unless it makes its own, as Embedding does); any other layer drops it."""
    y = g.convert(layer, [x])
    if not getattr(layer, "supports_masking", False):
        y.mask = None
    elif y.mask is None:
        y.mask = x.mask
    return y


def _sequential_children(model):
    return list(model.layers)


def _first_takes_ids(model):
    layers = model.layers
    return bool(layers) and CONVERTERS.takes_ids(layers[0])


@CONVERTERS.register(SEQUENTIAL, children=_sequential_children, takes_ids=_first_takes_ids)
def convert_sequential(g, model, inputs):
    """Each layer on the previous one's output (a nested Sequential is one more layer)."""
    x = inputs[0]
    for layer in model.layers:
        x = run_layer(g, layer, x)
    return x


def _gpt_children(model):
    return [model.token_embedding, model.position_embedding, *model.transformer_layers, model.layer_norm,
            model.lm_head]


@CONVERTERS.register(GPT, children=_gpt_children, takes_ids=lambda model: True)
def convert_gpt(g, model, inputs):
    """ids (B, T) -> token embedding + position embedding -> the decoder blocks -> layer norm ->
    lm_head: logits (B, T, V) (GPT.call without the dropouts)."""
    x = convert_embedding(g, model.token_embedding, inputs)
    positions = convert_position_embedding(g, model.position_embedding, [x])
    x = Value(g.op("Add", [x.name, positions.name], f"{model.name}/embeddings"), x.shape, x.elem_type)
    for block in model.transformer_layers:
        x = g.convert(block, [x])
    return g.convert(model.lm_head, [g.convert(model.layer_norm, [x])])
