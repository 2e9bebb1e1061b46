"""``Model(inputs, outputs)``: Keras's functional API, a model made of the calls recorded on
symbolic tensors.

    inputs = keras.Input(shape=(784,))
    x = layers.Dense(64, activation="relu")(inputs)
    outputs = layers.Dense(10, activation="softmax")(x)
    model = keras.Model(inputs, outputs)

Each layer call on a ``KerasTensor`` recorded a ``Node`` (``layers/symbolic.py``). The model
follows the nodes back from ``outputs`` to ``inputs`` and keeps them in the order they were
made, which runs the graph forwards: ``call`` feeds the data to the inputs, replays each node
on the values of its input tensors (the same layer objects, so a layer called twice shares its
weights, and its gradients add up), and returns the outputs in the structure they were given
(one tensor, a list or a dict). Inputs and outputs may be one tensor, a list or a dict; any
layer, a ``Sequential`` or another model included, may be a node.

``model.layers`` lists the ``InputLayer`` s first, then every other layer once, in the order of
its first call. ``get_config`` follows Keras's layout: each layer's config with its
``inbound_nodes`` (the call's arguments, each tensor named ``[layer name, node index, tensor
index]``), and the ``input_layers`` and ``output_layers`` named the same way.
"""
import collections

import numpy as np

from .. import layers as _layers
from ..autograd import Tensor
from ..layers.base import format_shape, resolve_training, training_context
from ..layers.core import InputLayer
from ..layers.symbolic import KerasTensor, flatten, layer_nodes, map_structure, pack_like, probing
from .model import Model

TENSOR_REF = "__keras_tensor__"


def _check_structure(value, what):
    """``value`` must be a KerasTensor, or a list, tuple or dict of them (no deeper nesting)."""
    if isinstance(value, dict):
        leaves = list(value.values())
    else:
        leaves = list(value) if isinstance(value, (list, tuple)) else [value]
    if not leaves:
        raise ValueError(f"Model(inputs, outputs): {what} is empty")
    for leaf in leaves:
        if not isinstance(leaf, KerasTensor):
            raise TypeError(f"Model(inputs, outputs): {what} must be symbolic tensors (keras.Input(...) and "
                            "layer outputs on them), or a list or dict of them; got "
                            f"{type(leaf).__name__}: {leaf!r:.80}")
    return leaves


def _graph_nodes(inputs, outputs):
    """The nodes between ``inputs`` and ``outputs``, in the order they were made (a forward order)."""
    input_ids = {id(t) for t in inputs}
    nodes, stack = {}, list(outputs)
    while stack:
        tensor = stack.pop()
        if id(tensor) in input_ids:
            continue
        node = tensor.node
        if isinstance(node.layer, InputLayer):
            raise ValueError(f"Model(inputs, outputs): graph disconnected: the outputs depend on the input "
                             f"'{node.layer.name}' {format_shape(tensor.shape)}, which is not among the "
                             f"model's inputs ({', '.join(t.node.layer.name for t in inputs)}); add it to "
                             "inputs")
        if id(node) not in nodes:
            nodes[id(node)] = node
            stack.extend(node.input_tensors)
    return sorted(nodes.values(), key=lambda n: n.order)


class Functional(Model):
    """A model defined by its symbolic ``inputs`` and ``outputs`` (``keras.Model(inputs, outputs)``)."""

    def __init__(self, inputs, outputs, name=None, trainable=True):
        flat_inputs = _check_structure(inputs, "inputs")
        flat_outputs = _check_structure(outputs, "outputs")
        for t in flat_inputs:
            if not isinstance(t.node.layer, InputLayer):
                raise ValueError(f"Model(inputs, outputs): every input must be a keras.Input(...); {t!r} "
                                 f"is the output of layer '{t.node.layer.name}' "
                                 f"({type(t.node.layer).__name__})")
        if len({id(t) for t in flat_inputs}) != len(flat_inputs):
            raise ValueError("Model(inputs, outputs): the same Input is given twice in inputs")
        nodes = _graph_nodes(flat_inputs, flat_outputs)
        layers = [t.node.layer for t in flat_inputs]
        for node in nodes:
            if not any(layer is node.layer for layer in layers):
                layers.append(node.layer)
        names = [layer.name for layer in layers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"Model(inputs, outputs): layer names must be unique in a model; "
                             f"{', '.join(repr(n) for n in duplicates)} is used by several layers")
        super().__init__(name=name, trainable=trainable)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self._flat_inputs, self._flat_outputs = flat_inputs, flat_outputs
        self._nodes = nodes
        self._layers = layers
        self.built = True
        shapes = [t.shape for t in flat_inputs]
        self.input_shape = shapes[0] if len(shapes) == 1 else shapes
        self.output_names = (list(outputs) if isinstance(outputs, dict)
                             else [t.node.layer.name for t in flat_outputs])

    # ------------------------------------------------------------------ structure
    @property
    def layers(self):
        """The InputLayers first, then every other layer once, in the order of its first call."""
        return list(self._layers)

    @property
    def inputs(self):
        return list(self._flat_inputs)

    @property
    def outputs(self):
        return list(self._flat_outputs)

    @property
    def input(self):
        return self._inputs_struct

    @property
    def output(self):
        return self._outputs_struct

    @property
    def output_shape(self):
        return map_structure(lambda t: t.shape, self._outputs_struct)

    def compute_output_shape(self, input_shape):
        return self.output_shape

    def output_activation(self):
        if len(self._flat_outputs) != 1:
            return None
        return self._flat_outputs[0].node.layer.output_activation()

    def model_nodes(self, layer):
        """The nodes of ``layer`` that belong to this model, oldest first (an InputLayer's one node
        for an input): what the config's node indices count."""
        own = {id(n) for n in self._nodes} | {id(t.node) for t in self._flat_inputs}
        return [n for n in layer_nodes(layer) if id(n) in own]

    def node_index(self, node):
        return [id(n) for n in self.model_nodes(node.layer)].index(id(node))

    def tensor_name(self, tensor):
        """``'dense_1[0][0]'``: the layer, the node (in this model) and the output it is."""
        return f"{tensor.node.layer.name}[{self.node_index(tensor.node)}][{tensor.index}]"

    # ------------------------------------------------------------------ running
    @property
    def single_input(self):
        """One ``Input`` and one output tensor (neither in a list or dict): trained, checked and
        batched like a Sequential."""
        return isinstance(self._inputs_struct, KerasTensor) and isinstance(self._outputs_struct, KerasTensor)

    def _match_inputs(self, inputs):
        """The values for ``self.inputs``, in order, from a value, a list or a dict."""
        n = len(self._flat_inputs)
        struct = self._inputs_struct
        if isinstance(inputs, dict):
            names = [t.node.layer.name for t in self._flat_inputs]
            keys = list(struct) if isinstance(struct, dict) else names
            missing = [k for k, name in zip(keys, names) if k not in inputs and name not in inputs]
            if missing:
                raise ValueError(f"model '{self.name}' expects the inputs {keys}; the dict given lacks "
                                 f"{missing} (it has {list(inputs)})")
            return [inputs[k] if k in inputs else inputs[name] for k, name in zip(keys, names)]
        if n == 1:
            if isinstance(inputs, (list, tuple)) and len(inputs) == 1 and not isinstance(struct, KerasTensor):
                return [inputs[0]]
            return [inputs]
        if not isinstance(inputs, (list, tuple)) or len(inputs) != n:
            got = f"a list of {len(inputs)}" if isinstance(inputs, (list, tuple)) else type(inputs).__name__
            raise ValueError(f"model '{self.name}' has {n} inputs "
                             f"({', '.join(t.node.layer.name for t in self._flat_inputs)}): pass a list of "
                             f"{n} arrays (or a dict by input name), got {got}")
        return list(inputs)

    def _input_tensor(self, value, spec):
        if not isinstance(value, Tensor):
            array = np.asarray(value)
            if array.dtype != spec.dtype and (spec.dtype.kind == "f" or array.dtype.kind in "iub"):
                array = array.astype(spec.dtype)
            value = Tensor.wrap(array)
        shape, expected = value.shape, spec.shape
        if len(shape) != len(expected) or any(
                e is not None and e != s for e, s in zip(expected[1:], shape[1:])):
            raise ValueError(f"model '{self.name}': input '{spec.node.layer.name}' expects shape "
                             f"{format_shape(expected)}, got shape {format_shape(shape)}")
        return value

    def __call__(self, inputs, training=None):
        training = resolve_training(training)
        flat = [self._input_tensor(v, spec) for v, spec in zip(self._match_inputs(inputs), self._flat_inputs)]
        with training_context(training):
            out = self.run_graph(flat)
        if (self._forward_hooks or self._backward_hooks) and not probing():
            self.run_hooks(inputs, out)
        return out

    def call(self, inputs, training=False):
        with training_context(training):
            return self.run_graph([self._input_tensor(v, spec) for v, spec in
                                   zip(self._match_inputs(inputs), self._flat_inputs)])

    def run_graph(self, flat_inputs):
        """Replay the recorded calls on ``flat_inputs`` (Tensors, in ``self.inputs`` order)."""
        values = {id(t): v for t, v in zip(self._flat_inputs, flat_inputs)}

        def value_of(x):
            return values[id(x)] if isinstance(x, KerasTensor) else x

        for node in self._nodes:
            out = node.layer(*map_structure(value_of, node.args), **map_structure(value_of, node.kwargs))
            for symbolic, concrete in zip(flatten(node.outputs), flatten(out)):
                if isinstance(symbolic, KerasTensor):
                    values[id(symbolic)] = concrete
        return pack_like(self._outputs_struct, [values[id(t)] for t in self._flat_outputs])

    # ------------------------------------------------------------------ config
    def _reference(self, tensor):
        return {"class_name": TENSOR_REF, "config": {"keras_history": [
            tensor.node.layer.name, self.node_index(tensor.node), tensor.index]}}

    def _argument(self, value, layer):
        if isinstance(value, KerasTensor):
            return self._reference(value)
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        raise ValueError(f"cannot save the functional model '{self.name}': layer '{layer.name}' was called "
                         f"with an argument of type {type(value).__name__}, which a config cannot hold")

    def _check_no_layer_in_two_places(self):
        """A file rebuilds each layer from its own config: a layer reached through two of this model's
        layers (one inside a nested model and used again outside it) would load as two layers."""
        owner = {}
        for top in self._layers:
            for layer in top.walk():
                first = owner.setdefault(id(layer), top)
                if first is not top:
                    raise ValueError(f"cannot save the functional model '{self.name}': layer '{layer.name}' "
                                     f"is used both in '{first.name}' and in '{top.name}'; a saved file "
                                     "would "
                                     "rebuild it as two layers with their own weights. Save the weights "
                                     "alone (save_weights), or do not share a layer across nested models")

    def get_config(self):
        self._check_no_layer_in_two_places()
        layers = []
        for layer in self._layers:
            nodes = [] if isinstance(layer, InputLayer) else self.model_nodes(layer)
            inbound = [{"args": map_structure(lambda v, l=layer: self._argument(v, l), list(n.args)),
                        "kwargs": map_structure(lambda v, l=layer: self._argument(v, l), n.kwargs)}
                       for n in nodes]
            layers.append({**_layers.serialize(layer), "name": layer.name, "inbound_nodes": inbound})

        def history(t):
            return [t.node.layer.name, self.node_index(t.node), t.index]
        return {"name": self.name, "trainable": self.trainable, "layers": layers,
                "input_layers": map_structure(history, self._inputs_struct),
                "output_layers": map_structure(history, self._outputs_struct)}

    @classmethod
    def from_config(cls, config):
        layer_configs = config["layers"]
        created, made = {}, {}          # name -> layer; (name, node index) -> flat outputs
        for lc in layer_configs:
            layer = _layers.deserialize(lc)
            name = lc.get("name", layer.name)
            if name in created:
                raise ValueError(f"the config names two layers {name!r}")
            created[name] = layer
            if isinstance(layer, InputLayer):
                made[(name, 0)] = [layer.output]
        queues = {name: collections.deque(lc.get("inbound_nodes", []))
                  for name, lc in zip(list(created), layer_configs)}
        done = {name: 0 for name in created}

        def tensor(ref):
            history = ref.history if isinstance(ref, TensorRef) else ref["config"]["keras_history"]
            name, node_index, index = history
            if (name, node_index) not in made or not 0 <= index < len(made[(name, node_index)]):
                raise ValueError(f"the config names the tensor {history}, which no layer makes")
            return made[(name, node_index)][index]

        def is_ref(v):
            return isinstance(v, dict) and v.get("class_name") == TENSOR_REF

        def resolve(v):
            """The argument with every tensor reference replaced by its tensor."""
            if is_ref(v):
                return tensor(v)
            if isinstance(v, dict):
                return {k: resolve(x) for k, x in v.items()}
            return [resolve(x) for x in v] if isinstance(v, list) else v

        def refs_in(v):
            if is_ref(v):
                return [tuple(v["config"]["keras_history"][:2])]
            values = v.values() if isinstance(v, dict) else v if isinstance(v, list) else []
            return [r for x in values for r in refs_in(x)]

        # Each layer replays its calls in order, a call as soon as the tensors it takes exist: a
        # call waiting for a tensor is looked at again when that tensor is made (each reference is
        # waited for at most once, so a file cannot make this quadratic).
        waiting, to_try = collections.defaultdict(list), list(reversed(list(created)))
        while to_try:
            name = to_try.pop()
            queue = queues[name]
            while queue:
                node = queue[0]
                missing = next((key for key in refs_in([node.get("args", []), node.get("kwargs", {})])
                                if key not in made), None)
                if missing is not None:
                    waiting[missing].append(name)
                    break
                out = created[name](*resolve(node.get("args", [])), **resolve(node.get("kwargs", {})))
                key = (name, done[name])
                made[key] = [t for t in flatten(out) if isinstance(t, KerasTensor)]
                done[name] += 1
                queue.popleft()
                to_try.extend(reversed(waiting.pop(key, [])))
        stuck = sorted(name for name, queue in queues.items() if queue)
        if stuck:
            raise ValueError(f"the config's inbound_nodes of {stuck[:5]} refer to tensors that no layer "
                             "makes")
        inputs = map_structure(tensor, _as_refs(config["input_layers"]))
        outputs = map_structure(tensor, _as_refs(config["output_layers"]))
        model = cls(inputs, outputs, name=config.get("name"), trainable=config.get("trainable", True))
        order = list(created.values())
        if {id(l) for l in order} == {id(l) for l in model._layers}:
            model._layers = order               # the saved order: the weights' order in the file
        return model


def _as_refs(value):
    """``[name, node, index]`` (one tensor) becomes a leaf; lists and dicts of them are kept."""
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str) \
            and isinstance(value[1], int):
        return TensorRef(*value)
    if isinstance(value, dict):
        return {k: _as_refs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_refs(v) for v in value]
    raise ValueError(f"expected [layer name, node index, tensor index] or a list or dict of them, "
                     f"got {value!r}")


class TensorRef:
    """One ``[layer name, node index, tensor index]`` of ``input_layers`` / ``output_layers``."""

    def __init__(self, name, node_index, index):
        self.history = [name, node_index, index]


Model.functional_class = Functional
_layers.LAYERS.add(Functional)
