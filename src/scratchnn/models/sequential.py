"""``Sequential``: a plain stack of layers, each feeding the next."""
from .. import layers as _layers
from ..layers.base import Layer, shape_tuple
from ..layers.core import InputLayer
from ..layers.symbolic import KerasTensor, add_graph_owner
from .inference import inference_plan
from .model import Model


class Sequential(Model):
    """``Sequential([Flatten(input_shape=(28, 28)), Dense(50, activation='relu'), Dense(10)])``.

    When the input shape is known (an ``Input`` first, or ``input_shape=`` on the first
    layer) every layer is built as it is added, so ``summary()`` works before ``fit``;
    otherwise the model is built from the first data it sees.

    Once the input shape is known the model also has a symbolic graph, as in Keras 3 (made when
    first asked for): ``model.inputs``, ``model.outputs``, and each layer's ``input`` / ``output``,
    so that ``Model(model.inputs, [layer.output for layer in model.layers])`` gives every
    layer's activations.
    """

    single_input = True         # fit refuses a list or dict of inputs with a clear message

    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._stack = []
        self._input_layer = None
        self._output_shape = None
        self._graph = []                  # [(layer, its symbolic output)] along the stack
        self._graph_input = None
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self):
        """The layers, without the ``Input`` declaration (as in Keras)."""
        return list(self._stack)

    def add(self, layer):
        """Append a layer (built at once if the model's input shape is known)."""
        if isinstance(layer, KerasTensor):              # keras.Input(...): its InputLayer
            layer = layer.node.layer
            if not isinstance(layer, InputLayer):
                raise TypeError("Sequential.add() takes a Layer or a keras.Input(...), got a symbolic "
                                f"tensor made by layer '{layer.name}' ({type(layer).__name__})")
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add() takes a Layer, got {type(layer).__name__}: {layer!r}")
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer is not None:
                raise ValueError("an Input must come first in a Sequential model")
            self._input_layer = layer
            self._output_shape = (layer.batch_size,) + layer._declared_input_shape
            self.input_shape = (None,) + layer._declared_input_shape
            return
        if any(existing is layer for existing in self._stack):
            raise ValueError(f"layer '{layer.name}' is already in this model")
        declared = layer._declared_input_shape
        if declared is None and isinstance(layer, Sequential) and layer.built and layer.input_shape:
            declared = tuple(layer.input_shape[1:])      # a built Sequential first (data_augmentation = ...)
        if not self._stack and self._output_shape is None and declared is not None:
            self._output_shape = (None,) + declared
            self.input_shape = self._output_shape
        if self._output_shape is not None:
            shape = self._output_shape
            layer._build_once(shape)                      # raises before anything is added
            self._output_shape = layer.compute_output_shape(shape)
            self.built = True
        self._stack.append(layer)
        add_graph_owner(layer, self)

    def pop(self):
        """Remove the last layer."""
        if not self._stack:
            raise IndexError("pop() from an empty Sequential model")
        layer = self._stack.pop()
        if self.built:
            self._output_shape = self.input_shape
            for other in self._stack:
                self._output_shape = other.compute_output_shape(self._output_shape)
        return layer

    def build(self, input_shape):
        """Create every layer's weights for inputs of ``input_shape`` (the batch size may be None).
        A layer that refuses the shape leaves the model as it was (no layer half-built)."""
        shape = shape_tuple(input_shape)
        before = self._unbuilt_layers()
        try:
            for layer in self._stack:
                layer._build_once(shape)
                shape = layer.compute_output_shape(shape)
        except BaseException:
            self._unbuild(before)
            raise
        self._output_shape = shape
        self.input_shape = (None,) + tuple(shape_tuple(input_shape)[1:])
        self.built = True

    def _build_once(self, input_shape):
        if not self.built:
            input_shape = (None,) + tuple(shape_tuple(input_shape)[1:])
            self.build(input_shape)
            self.input_shape = input_shape
            self.built = True

    # ------------------------------------------------------------------ the symbolic graph
    def symbolic_graph(self):
        """``(input, output)``: the model's symbolic graph (``keras.Input`` -> each layer), made
        when first asked for and extended as layers are added; each layer is called once on it."""
        if self.input_shape is None:
            raise AttributeError(f"Sequential '{self.name}' has no symbolic input: its input shape is not "
                                 "known (start it with keras.Input(shape=...), give the first layer "
                                 "input_shape=, or build it)")
        if self._graph_input is None:
            input_layer = self._input_layer or InputLayer(shape=self.input_shape[1:])
            self._graph_input = input_layer.output
        kept = 0
        while kept < min(len(self._graph), len(self._stack)) and self._graph[kept][0] is self._stack[kept]:
            kept += 1
        del self._graph[kept:]
        x = self._graph[-1][1] if self._graph else self._graph_input
        for layer in self._stack[kept:]:
            x = layer(x)
            self._graph.append((layer, x))
        return self._graph_input, x

    @property
    def inputs(self):
        return [self.symbolic_graph()[0]]

    @property
    def outputs(self):
        return [self.symbolic_graph()[1]]

    @property
    def input(self):
        return self.symbolic_graph()[0]

    @property
    def output(self):
        return self.symbolic_graph()[1]

    @property
    def output_names(self):
        """The name of the one output, as Keras names it: the last layer's."""
        return [self._stack[-1].name] if self._stack else []

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._stack:
            shape = layer.compute_output_shape(shape)
        return shape

    def call(self, inputs, training=False):
        """Each layer on the previous one's output. A layer may offer to run together with the next
        one as one faster op with the same result (``layer.fuse_with(next_layer)``, e.g. Conv2D then
        MaxPooling2D), and that op may take the layers after it too (its own ``fuse_with``: Conv2D,
        BatchNormalization, ReLU, MaxPooling2D); layers that hooks watch are never fused."""
        x = inputs
        stack, i = self._stack, 0
        while i < len(stack):
            layer = stack[i]
            fused = layer.fuse_with(stack[i + 1]) if i + 1 < len(stack) else None
            if fused is not None:
                span = 2                          # a fused run may take the layers after, too
                while i + span < len(stack) and hasattr(fused, "fuse_with"):
                    longer = fused.fuse_with(stack[i + span])
                    if longer is None:
                        break
                    fused, span = longer, span + 1
                x = fused(x, training)
                i += span
                continue
            x = layer(x, training=training)
            i += 1
        return x

    def inference_plan(self):
        """The layers as a list of NumPy steps for ``predict`` (``models/inference.py``): built once,
        rebuilt when the layers change; None with fast kernels off, a hook on a layer or the model,
        a layer the plan does not know, or ``call`` overridden."""
        if type(self).call is not Sequential.call or type(self).__call__ is not Model.__call__ \
                or any(layer.observed for layer in self.walk()):
            return None
        return inference_plan(self, self._stack)

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable,
                  "layers": [_layers.serialize(layer) for layer in self._stack]}
        if self.input_shape is not None:
            config["input_shape"] = list(self.input_shape[1:])
        return config

    @classmethod
    def from_config(cls, config):
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        if config.get("input_shape") is not None and not any(
                "input_shape" in l.get("config", {}) for l in config["layers"][:1]):
            model.add(InputLayer(shape=tuple(config["input_shape"])))
        for layer_config in config["layers"]:
            model.add(_layers.deserialize(layer_config))
        return model


_layers.LAYERS.add(Sequential)       # a Sequential inside a Sequential (or a file) is found by name
