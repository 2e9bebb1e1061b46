"""``Model``: a network of layers that can be trained (``Trainer``) and saved.

``Sequential`` stacks layers; subclass ``Model`` and write ``call`` to build any other
architecture (layers assigned as attributes are tracked, so their weights are trained).
This file holds what a model *is*: its layers and weights, how it is built, its config and
its file; ``trainer.py`` holds how it learns (``compile``, ``fit``, ``evaluate``, ``predict``),
``checks.py`` the checks made before training, ``state.py`` the ``snapshot()`` of its state.
"""
import numpy as np

from ..autograd import Tensor, no_grad
from ..export import DEFAULT_OPSET, export_model
from ..layers.base import Layer, resolve_training, training_context
from ..layers.signatures import run_call
from ..layers.symbolic import KerasTensor, probing
from ..saving import model_to_json, save_model, save_weights
from ..saving import load_weights as _load_weights
from . import data as _data
from .state import ModelState
from .summary import print_summary
from .trainer import Trainer


def functional_arguments(args, kwargs):
    """Keras's rule for ``Model(inputs, outputs)``: two positional arguments, or ``inputs`` and
    ``outputs`` by keyword, whose inputs are ``keras.Input`` tensors (alone, in a list or a dict)."""
    if len(args) == 2:
        inputs = args[0]
    elif len(args) == 1 and "outputs" in kwargs:
        inputs = args[0]
    elif "inputs" in kwargs and "outputs" in kwargs:
        inputs = kwargs["inputs"]
    else:
        return False
    values = inputs.values() if isinstance(inputs, dict) else inputs if isinstance(inputs, (list, tuple)) \
        else [inputs]
    return bool(values) and all(isinstance(v, KerasTensor) for v in values)


_FUNCTIONAL_SUBCLASSES = {}


def functional_subclass(cls, functional):
    """``cls`` with the functional model's machinery after it in the method order (one class per
    ``cls``): the subclass's methods (``train_step``, ``compile``, ...) win, ``Functional`` runs the
    graph. Its name is the subclass's own."""
    if cls not in _FUNCTIONAL_SUBCLASSES:
        _FUNCTIONAL_SUBCLASSES[cls] = type(cls.__name__, (cls, functional),
                                           {"__module__": cls.__module__, "__qualname__": cls.__qualname__})
    return _FUNCTIONAL_SUBCLASSES[cls]


class Model(Trainer, Layer):
    """A trainable network.  ``Sequential`` stacks layers; subclass ``Model`` and define
    ``call(self, x, training=False)`` for anything else (layers assigned as attributes
    are tracked, so their weights are trained)."""

    #: The class that ``Model(inputs, outputs)`` makes (``Functional``, set by ``models/functional.py``).
    functional_class = None

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            return object.__new__(Model.functional_class)       # Keras's functional API (it checks them)
        if functional_arguments(args, kwargs):
            if not issubclass(cls, Model.functional_class):
                # A subclass given inputs and outputs (``CustomModel(inputs, outputs)`` with its own
                # ``train_step``): as in Keras, an instance of the subclass that is also functional.
                return object.__new__(functional_subclass(cls, Model.functional_class))
        return object.__new__(cls)

    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            raise TypeError(f"{type(self).__name__}: Model.__init__ got positional arguments or "
                            f"inputs/outputs it cannot use: {args!r}; a functional model is built "
                            "from keras.Input tensors, Model(inputs, outputs); a subclass writes call()")
        super().__init__(**kwargs)
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._metric_ids = []
        self._weighted_metric_ids = []
        self._compiled_metrics = None
        self._warned_from_logits = False

    # ------------------------------------------------------------- layer tracking
    @property
    def layers(self):
        """The model's layers: those its attributes hold (a layer, or layers in a list, tuple or
        dict), in the order they were assigned, each once (``Layer.sublayers``). Weights, freezing,
        ``training`` and ``walk()`` follow them as for any layer (``layers/base.py``)."""
        return Layer.sublayers(self)

    def get_layer(self, name=None, index=None):
        """A layer by name or position (``get_layer('dense')``, ``get_layer(index=0)``)."""
        if isinstance(name, int) and index is None:
            name, index = None, name
        if index is not None:
            layers = self.layers
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"model '{self.name}' has {len(layers)} layers; no layer at index {index}")
            return layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r}; layers: {', '.join(l.name for l in self.layers)}")


    # ------------------------------------------------------------------ the output
    def output_activation(self):
        """The name of the activation applied last ('softmax', 'sigmoid', 'linear', ...) or None
        when it cannot be told (the last layer has no ``activation``)."""
        layers = self.layers
        if not layers:
            return None
        return layers[-1].output_activation()

    # ---------------------------------------------------------------- building
    def build(self, input_shape):
        """Build every layer for inputs of ``input_shape`` (a forward pass on zeros)."""
        probe = tuple(1 if d is None else d for d in input_shape)
        with no_grad():
            run_call(self, Tensor(np.zeros(probe, dtype=self.dtype)), training=False)
        self.input_shape = (None,) + tuple(input_shape[1:])
        self.built = True

    def _unbuilt_layers(self):
        return [layer for layer in self.walk() if not layer.built]

    @staticmethod
    def _unbuild(layers):
        """Undo a build that failed half-way: no half-built model is left behind."""
        for layer in layers:
            layer.built, layer._weights, layer.input_shape = False, [], None
            if hasattr(layer, "_output_shape"):       # a Sequential forgets its derived shape too
                layer._output_shape = None

    def ensure_built(self, sample_shape):
        """Build the model for samples of ``sample_shape`` (no batch axis) unless it is built;
        on failure no layer is left half-built."""
        if self.built:
            return
        before = self._unbuilt_layers()
        try:
            self._build_once((None,) + tuple(sample_shape))
        except Exception:
            self._unbuild(before)
            raise


    def sublayers(self):
        """The model's layers (``walk()`` descends into nested models too)."""
        return self.layers

    def _first_layers(self):
        first = self.layers[:1]
        while first and isinstance(first[0], Model):
            first = first[0].layers[:1]
        return first

    @property
    def output_shape(self):
        if not self.built:
            raise ValueError(f"model '{self.name}' is not built yet: call it on data or give the "
                             "first layer an input_shape")
        return self.compute_output_shape(self.input_shape)

    # ------------------------------------------------------------------ state
    def snapshot(self, weights=True, optimizer=True, random=True):
        """Save everything training changes (weights, gradients, optimizer slots, BatchNormalization
        statistics, random generators): ``state.restore()`` puts it back; ``with model.snapshot():``
        restores it when the block ends. See ``models/state.py``."""
        return ModelState(self, weights=weights, optimizer=optimizer, random=random)

    def __call__(self, inputs, training=None):
        training = resolve_training(training)
        several = _data.is_structure(inputs)        # a list or dict of inputs: built by this call
        if several:
            inputs = _data.to_tensors(inputs)
        elif not isinstance(inputs, Tensor):
            inputs = Tensor(_data.to_float_batch(_data.as_array(inputs, "inputs")))
        if not self.built and not several:
            self.ensure_built(inputs.shape[1:])
        self.added_losses = []                    # add_loss: this call's
        with training_context(training):
            out = run_call(self, inputs, training=training)
        self.built = True
        if (self._forward_hooks or self._backward_hooks) and not probing():
            self.run_hooks(inputs, out)
        return out

    # ------------------------------------------------------------------ misc
    def summary(self, print_fn=None, line_length=None):
        """Print the layers with their output shapes and parameter counts, and the totals."""
        print_summary(self, print_fn=print_fn, line_length=line_length)

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable}

    @classmethod
    def from_config(cls, config):
        if cls is Model and "input_layers" in config:        # a functional model's config (as in Keras)
            return Model.functional_class.from_config(config)
        return super().from_config(config)

    # ------------------------------------------------------------------ saving
    def save(self, filepath, overwrite=True, include_optimizer=True):
        """Write architecture, weights, compile settings and optimizer state to one
        ``.scratchnn`` file, atomically; ``scratchnn.models.load_model`` reads it back."""
        return save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def save_weights(self, filepath, overwrite=True):
        """Write the weights alone (a safetensors file), atomically."""
        return save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath):
        """Set the weights from ``save_weights``'s file (or a model file), checked before any is written."""
        _load_weights(self, filepath)

    def export(self, filepath, format="onnx", opset=DEFAULT_OPSET):
        """Write the model for other runtimes (Keras 3's method): ``format="onnx"`` (the only one;
        needs ``pip install 'scratchnn[onnx]'``), ``opset`` the ONNX opset (13 or later). A layer
        without a converter is refused by name before anything is written; the file is written
        atomically. See ``scratchnn.export``."""
        return export_model(self, filepath, format=format, opset=opset)

    def to_json(self, **kwargs):
        """The architecture as JSON (``scratchnn.models.model_from_json`` rebuilds it, fresh weights)."""
        return model_to_json(self, **kwargs)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
