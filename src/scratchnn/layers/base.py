"""``Layer``: the building block of models, and ``Variable``, a named trainable weight.

A layer's life (as in Keras):

1. ``__init__`` stores the hyper-parameters (units, activation, ...), nothing else;
2. ``build(input_shape)`` creates the weights once the input shape is known
   (lazily, at the first call, or eagerly when ``input_shape=`` is given to
   the first layer of a ``Sequential``);
3. ``call(inputs, training)`` computes the output from Tensors, with
   differentiable ops, so ``backward()`` reaches the weights;
4. ``get_config()`` returns the hyper-parameters, and ``from_config(config)``
   rebuilds an equal (unbuilt) layer from them.

Subclass ``Layer`` and implement ``build`` and ``call`` to write your own.

Layers hold layers (as in Keras): a layer assigned to an attribute (``self.d1 = Dense(8)``), or
held in a list, tuple or dict attribute (``self.blocks = [Dense(8), Dense(8)]``), is *tracked*:
its weights are part of this layer's ``weights`` (so ``fit`` trains them, ``get_weights`` and the
model file hold them), freezing this layer freezes it, ``walk()`` reaches it, and a call with
``training=True`` runs it in training mode unless it is called with its own ``training=``.

Tools look inside a network only through this public surface (``scratchnn.inspect`` and the
studio use nothing else):

* ``add_forward_hook(fn)``: ``fn(layer, inputs, outputs)`` after every call of the layer;
* ``add_backward_hook(fn)``: ``fn(layer, grad)`` with d(loss)/d(outputs) during ``backward``;
* ``sublayers()`` and ``walk()``: the layers inside a layer (those its attributes hold, a model's
  layers, nested models);
* ``random_generators()``: the random generators of its own that the layer draws from;
* ``fuse_with(next_layer)``: how a layer offers to run together with the next one as one fast
  op (``Conv2D`` + ``MaxPooling2D``); a layer with hooks is never fused, so hooks see every layer.

The functional API (``layers/symbolic.py``): a layer called on symbolic tensors (``keras.Input``)
is built for their shape and records the call as a node; ``layer.input`` / ``layer.output`` are
then the tensors of that call, which ``Model(inputs, outputs)`` is made from.

Masks (Keras's implicit masking, see ``layers/masking.py``): a layer passes its input's padding
mask to ``call(..., mask=)`` when ``call`` takes one, and, if it ``supports_masking``, attaches
``compute_mask(inputs, previous_mask)`` to its output.
"""
import contextlib
import contextvars
import functools
import math
import re

import numpy as np

from .. import constraints as _constraints
from .. import initializers as _initializers
from .. import regularizers as _regularizers
from ..autograd import HookHandle, Tensor, no_grad
from ..backend import DEFAULT_FLOAT
from . import masking as _masking
from . import symbolic as _symbolic
from .signatures import run_call, weight_arguments
from .variable import Variable

_name_counts = {}

#: The ``training`` flag of the layer call under way: a layer called without ``training=`` (a
#: sublayer inside its parent's ``call``) runs as its caller does; outside any call, False.
_call_training = contextvars.ContextVar("call_training", default=False)

#: While a model is rebuilt from a file: ``[weight elements left, whether to initialize]``. A
#: config that asks for more elements than the file holds (an absurd ``units``) fails before
#: anything is allocated.
_weight_budget = contextvars.ContextVar("weight_budget", default=None)


@contextlib.contextmanager
def weight_budget(elements, initialize=True):
    """Inside the block, layers may create at most ``elements`` weight values in all (``add_weight``
    raises beyond that): what loading a model file uses so that a file cannot make scratchnn
    allocate more than it holds. With ``initialize=False`` the weights are created as zeros and
    their initializers are not called: the file's values fill them next, so no values are
    computed only to be overwritten and no random number is drawn."""
    token = _weight_budget.set([int(elements), bool(initialize)])
    try:
        yield
    finally:
        _weight_budget.reset(token)


def initializing_weights():
    """False while a model is rebuilt from a file (``weight_budget(..., initialize=False)``): a
    layer whose ``build`` sets initial values itself (beyond ``add_weight``'s initializer) skips
    that work then, as the file's values overwrite them and no random number may be drawn."""
    budget = _weight_budget.get()
    return budget is None or budget[1]


def resolve_training(training):
    """The ``training`` flag a layer call runs with: ``training`` when given, else the flag of the
    enclosing layer call (Keras's call context), else False."""
    return _call_training.get() if training is None else bool(training)


@contextlib.contextmanager
def training_context(training):
    """Inside the block, layers called without ``training=`` run with ``training``."""
    token = _call_training.set(bool(training))
    try:
        yield
    finally:
        _call_training.reset(token)


def unique_weights(weights):
    """The weights in order, each once (a weight or layer reached twice counts once)."""
    seen, out = set(), []
    for w in weights:
        if id(w) not in seen:
            seen.add(id(w))
            out.append(w)
    return out


def _layers_in(value):
    """The layers an attribute value holds: itself if a Layer, those in a list, tuple or dict
    (values, in order; nested containers too); none for anything else."""
    if isinstance(value, Layer):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [layer for item in value if isinstance(item, (Layer, list, tuple, dict))
                for layer in _layers_in(item)]
    return []


def unique_name(base):
    """'dense', then 'dense_1', 'dense_2', ... (Keras's automatic layer names)."""
    n = _name_counts.get(base, 0)
    _name_counts[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def snake_case(name):
    """Keras's automatic names: 'Dense' -> 'dense', 'MaxPooling2D' -> 'max_pooling2d',
    'Conv2D' -> 'conv2d', 'LeakyReLU' -> 'leaky_re_lu', 'InputLayer' -> 'input_layer'."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def shape_tuple(shape):
    if shape is None:
        return None
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(None if d is None else int(d) for d in shape)


def format_shape(shape):
    body = ", ".join("None" if d is None else str(d) for d in shape)
    return "(" + body + ("," if len(shape) == 1 else "") + ")"


def symbolic_entry(call):
    """Wrap a layer's ``__call__`` so that a call on symbolic tensors (``keras.Input``) records a
    node instead of computing (``layers/symbolic.py``). ``Layer`` applies it to every subclass that
    defines its own ``__call__``, so such a layer needs nothing to take part in the functional API."""
    @functools.wraps(call)
    def wrapper(self, *args, **kwargs):
        if _symbolic.has_symbolic(args, kwargs):
            return _symbolic.call_symbolic(self, call, args, kwargs)
        return call(self, *args, **kwargs)
    wrapper.symbolic_entry = True
    return wrapper


class _BuildWhenShapeKnown(type):
    """Builds a layer right after construction when ``input_shape=`` was given (Keras's
    eager build): the subclass's ``__init__`` has set its hyper-parameters by then."""

    def __call__(cls, *args, **kwargs):
        layer = super().__call__(*args, **kwargs)
        shape = getattr(layer, "_declared_input_shape", None)
        if shape is not None and not layer.built:
            layer._build_once((None,) + shape)
        return layer


def _marks_built(build):
    """``build`` that leaves the layer built (Keras's rule): ``layer.build(shape)`` called by user
    code, then ``set_weights``, then a call uses those weights instead of building again."""
    @functools.wraps(build)
    def wrapper(self, *args, **kwargs):
        result = build(self, *args, **kwargs)
        shape = args[0] if args else kwargs.get("input_shape")
        if getattr(self, "input_shape", None) is None and isinstance(shape, (tuple, list)) and shape \
                and all(d is None or isinstance(d, (int, np.integer)) for d in shape):
            self.input_shape = (None,) + shape_tuple(shape)[1:]
        self.built = True
        return result
    wrapper.marks_built = True
    return wrapper


class Layer(metaclass=_BuildWhenShapeKnown):
    """Base class of all layers.

    Arguments every layer takes: ``name``, ``trainable`` (False freezes the weights),
    ``dtype`` (float32 by default), and for the first layer of a model
    ``input_shape`` (without the batch axis) or ``input_dim``.
    """

    _forward_hooks = ()       # a list on the instance once a hook is added
    _backward_hooks = ()
    #: True for a layer called on a list of tensors (the merge layers): ``__call__`` then converts
    #: each, builds with the list of their shapes and passes the list of their masks on.
    takes_list = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("__call__")
        if own is not None and not getattr(own, "symbolic_entry", False):
            cls.__call__ = symbolic_entry(own)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "marks_built", False):
            cls.build = _marks_built(build)

    def __init__(self, trainable=True, name=None, dtype=None, input_shape=None, input_dim=None,
                 batch_input_shape=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) "
                            f"{', '.join(sorted(kwargs))}")
        self.name = name if name is not None else unique_name(snake_case(type(self).__name__))
        self._trainable_flag = bool(trainable)          # no sublayers yet: nothing to propagate to
        try:
            self.dtype = np.dtype(dtype) if dtype is not None else DEFAULT_FLOAT
        except TypeError:
            self.dtype = None
        if self.dtype not in (np.float16, np.float32, np.float64):
            raise ValueError(f"{type(self).__name__}: dtype must be float16, float32 or float64, "
                             f"got {dtype!r}")
        self.built = False
        self._weights = []
        self.activity_losses = []
        self.added_losses = []               # add_loss's, from the last call
        self.activity_regularizer = None
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            input_shape = tuple(batch_input_shape)[1:]
        self._declared_input_shape = shape_tuple(input_shape)   # without the batch axis
        self.input_shape = None                                  # with the batch axis, once built

    # ------------------------------------------------------------------ weights
    def add_weight(self, *args, **kwargs):
        """Create, initialise and track a weight (``Variable``) of this layer.

        Keras 3's arguments: ``add_weight(shape=None, initializer=None, dtype=None, trainable=True,
        autocast=True, regularizer=None, constraint=None, aggregation=..., name=None)``; a first
        positional argument that is a string is the name, followed by ``shape, initializer,
        regularizer, trainable, constraint, dtype`` (scratchnn's older order; Keras 2 code writes
        ``add_weight("kernel", shape=...)``). ``initializer=None`` is Keras's default: Glorot
        uniform for a float weight, zeros otherwise; ``name=None`` names it 'variable',
        'variable_1', ... The distribution arguments (``aggregation``, ``synchronization``, ...)
        are accepted and ignored."""
        kw = weight_arguments(self.name, args, kwargs)
        shape = shape_tuple(kw["shape"])
        name, initializer, dtype = kw.get("name"), kw.get("initializer"), kw.get("dtype")
        regularizer, constraint = kw.get("regularizer"), kw.get("constraint")
        trainable = kw.get("trainable", True)
        if name is None:
            taken = {w.name for w in self._weights}
            name = next(n for n in (f"variable_{i}" if i else "variable" for i in range(len(taken) + 1))
                        if f"{self.name}/{n}" not in taken)
        dtype = np.dtype(getattr(dtype, "name", dtype)) if dtype is not None else self.dtype
        budget = _weight_budget.get()
        if budget is not None:
            size = math.prod(shape)
            if size > budget[0]:
                raise ValueError(f"layer '{self.name}': weight '{name}' of shape {shape} needs {size} "
                                 f"values, more than the {budget[0]} left in the file")
            budget[0] -= size
        initializer = _initializers.get(initializer)
        if initializer is None:                       # Keras's default for a weight: by its dtype
            initializer = _initializers.get("glorot_uniform" if dtype.kind == "f" else "zeros")
        if budget is not None and not budget[1]:
            values = np.zeros(shape, dtype=dtype)     # filled from a file next (untouched pages cost nothing)
        else:
            values = initializer(shape, dtype=dtype)
        var = Variable(np.asarray(values, dtype=dtype), name=f"{self.name}/{name}", trainable=trainable,
                       regularizer=_regularizers.get(regularizer), constraint=_constraints.get(constraint))
        self._weights.append(var)
        return var

    @property
    def trainable(self):
        """Whether ``fit`` trains this layer's weights; setting it sets every sublayer's too (as in
        Keras), so a frozen block freezes its BatchNormalization's moving statistics as well."""
        return self._trainable_flag

    @trainable.setter
    def trainable(self, value):
        self._trainable_flag = bool(value)
        for layer in self.sublayers():
            layer.trainable = value

    @property
    def weights(self):
        """All weights (Keras 3's order): this layer's own, trainable first, then non-trainable,
        then each tracked sublayer's ``weights`` in turn; each weight once."""
        own = [w for w in self._weights if w.trainable] + [w for w in self._weights if not w.trainable]
        return unique_weights(own + [w for layer in self.sublayers() for w in layer.weights])

    @property
    def trainable_weights(self):
        """The weights ``fit`` updates: none if this layer is frozen; else its own trainable ones and
        the ``trainable_weights`` of each sublayer (a frozen sublayer gives none), in ``weights`` order."""
        if not self.trainable:
            return []
        ids = {id(w) for w in self._weights if w.trainable}
        ids.update(id(w) for layer in self.sublayers() for w in layer.trainable_weights)
        return [w for w in self.weights if id(w) in ids]

    @property
    def non_trainable_weights(self):
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    # Keras's other names for the same lists (``tape.gradient(loss, model.trainable_variables)``)
    variables = property(lambda self: self.weights, doc="``weights``")
    trainable_variables = property(lambda self: self.trainable_weights, doc="``trainable_weights``")
    non_trainable_variables = property(lambda self: self.non_trainable_weights, doc="non_trainable_weights")

    def get_weights(self):
        """The weights' values as a list of NumPy arrays (copies)."""
        return [w.data.copy() for w in self.weights]

    def set_weights(self, weights):
        """Set the weights from a list of arrays (same order and shapes as ``get_weights()``).

        Everything is checked before anything is written, so a bad list changes nothing.
        """
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(f"layer '{self.name}' expects {len(own)} weight arrays, got {len(weights)}")
        arrays = []
        for var, value in zip(own, weights):
            value = np.asarray(getattr(value, "data", value))
            if value.shape != var.shape:
                raise ValueError(f"layer '{self.name}': weight '{var.name}' has shape {var.shape}, "
                                 f"got an array of shape {value.shape}")
            arrays.append(value)
        for var, value in zip(own, arrays):
            var.assign(value)

    def count_params(self):
        """Number of scalars in all weights."""
        return int(sum(w.size for w in self.weights))

    @property
    def losses(self):
        """Regularization penalties of this layer and of every layer inside it (each layer once):
        of every weight with a regularizer, plus the activity penalties of the last call.  Each is
        a scalar Tensor; ``fit`` adds them to the loss."""
        penalties, seen = [], set()
        for layer in self.walk():
            own = [w for w in layer._weights if id(w) not in seen]
            seen.update(id(w) for w in own)
            penalties += [w.regularizer(w) for w in own if w.regularizer is not None]
            penalties += list(layer.activity_losses)
            penalties += list(getattr(layer, "added_losses", ()))
        return penalties

    def add_loss(self, loss):
        """Add ``loss`` (a scalar Tensor computed in ``call``, e.g. an auxiliary penalty) to the losses
        ``fit`` minimizes: it joins ``self.losses`` until this layer is called again (as in Keras)."""
        if not isinstance(loss, Tensor):
            loss = Tensor(np.asarray(loss, dtype=DEFAULT_FLOAT))
        if loss.size != 1:
            raise ValueError(f"layer '{self.name}': add_loss needs a scalar (reduce it first, e.g. with "
                             f".mean()), got a tensor of shape {loss.shape}")
        self.added_losses.append(loss.reshape(()) if loss.ndim else loss)

    # --------------------------------------------------------------- computing
    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch axis first, may be None)."""
        self.built = True

    def call(self, inputs, training=False):
        """The computation, on Tensors. Override."""
        raise NotImplementedError(f"{type(self).__name__} must implement call()")

    @property
    def supports_masking(self):
        """Whether the layer passes a mask on (``compute_mask`` gives its output's mask). False by
        default, True for a class that overrides ``compute_mask`` (as in Keras 3); a layer that keeps
        the time axis sets it: ``self.supports_masking = True`` (or a class attribute)."""
        value = self.__dict__.get("_supports_masking")
        return type(self).compute_mask is not Layer.compute_mask if value is None else value

    @supports_masking.setter
    def supports_masking(self, value):
        self._supports_masking = bool(value)

    def compute_mask(self, inputs, previous_mask=None):
        """The mask of the output for ``inputs`` whose mask is ``previous_mask`` (a boolean array
        or None): by default the same mask. Override it in a layer that makes or changes masks."""
        return previous_mask

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape``; by default found by running the layer on zeros."""
        probe = tuple(1 if d is None else d for d in input_shape)
        with no_grad():
            out = self(Tensor(np.zeros(probe, dtype=self.dtype)))
        return (input_shape[0],) + tuple(out.shape[1:])

    def _build_once(self, input_shape):
        if not self.built:
            if input_shape and isinstance(input_shape[0], (tuple, list)):      # a list of inputs
                self.input_shape = [(None,) + tuple(shape_tuple(s)[1:]) for s in input_shape]
                self.build(self.input_shape)
                self.built = True
                return
            input_shape = shape_tuple(input_shape)
            self.input_shape = (None,) + tuple(input_shape[1:])
            self.build(self.input_shape)
            self.built = True

    def _check_input(self, shape):
        """Inputs must keep the shape the layer was built for (batch axis excepted)."""
        expected = self.input_shape
        if expected is None:
            return
        if isinstance(shape, list) and isinstance(expected, list):   # several inputs: each checked
            if len(shape) != len(expected) or any(len(s) != len(e) or any(
                    a is not None and a != b for a, b in zip(e[1:], s[1:])) for s, e in zip(shape, expected)):
                raise ValueError(f"layer '{self.name}' ({type(self).__name__}) expects inputs of shapes "
                                 f"{list(map(format_shape, expected))}, got {list(map(format_shape, shape))}")
            return
        if len(shape) != len(expected) or any(
                e is not None and e != s for e, s in zip(expected[1:], shape[1:])):
            raise ValueError(f"layer '{self.name}' ({type(self).__name__}) expects inputs of shape "
                             f"{format_shape(expected)}, got shape {format_shape(shape)}")

    @symbolic_entry
    def __call__(self, inputs, *args, training=None, **kwargs):
        """Build at the first call, check the input's shape (a list of tensors: each), run ``call``
        and pass the input's mask on (``layers/masking.py``). ``training=None`` runs as the enclosing
        layer call does. On symbolic tensors (``keras.Input``) it records the call (``symbolic.py``)."""
        training = resolve_training(training)
        if isinstance(inputs, (list, tuple)) and (self.takes_list or
                                                  any(isinstance(t, Tensor) for t in inputs)):
            inputs = [x if isinstance(x, Tensor) else self._as_tensor_input(x) for x in inputs]
            shape = [x.shape for x in inputs]
        else:
            if not isinstance(inputs, Tensor):
                inputs = self._as_tensor_input(inputs)
            shape = inputs.shape
        if self.built:
            self._check_input(shape)
        else:
            self._build_once(shape)
        previous_mask = _masking.input_mask(self, inputs, kwargs)
        self.added_losses = []                    # add_loss: this call's (Keras clears them per call)
        with training_context(training):
            out = run_call(self, inputs, *args, training=training, **kwargs)
        _masking.attach_output_mask(self, inputs, out, previous_mask)
        if self.activity_regularizer is not None:
            self.activity_losses = [self.activity_regularizer(out)]   # Keras 3: not divided by batch
        if (self._forward_hooks or self._backward_hooks) and not _symbolic.probing():
            self.run_hooks(inputs, out)
        return out

    def _as_tensor_input(self, x):
        return Tensor(x, dtype=self.dtype if np.asarray(x).dtype.kind in "fiub" else None)

    # ------------------------------------------------------------------ the functional API
    @property
    def input(self):
        """The symbolic tensor(s) this layer was called on (a layer called once on ``keras.Input``
        placeholders, or a layer of a Sequential with a known input shape)."""
        return _symbolic.single_node(self, "input").input

    @property
    def output(self):
        """The symbolic tensor(s) this layer returned (see ``input``): ``Model(inputs, layer.output)``."""
        return _symbolic.single_node(self, "output").outputs

    @property
    def output_shape(self):
        """The shape of ``output`` (batch axis first); for a layer never called symbolically, its
        output shape for the shape it was built for."""
        if not _symbolic.layer_nodes(self) and self.built and isinstance(self.input_shape, tuple):
            return self.compute_output_shape(self.input_shape)
        return _symbolic.output_shapes(_symbolic.single_node(self, "output shape").outputs)

    def get_input_at(self, node_index):
        """The input of the ``node_index``-th call of this layer on symbolic tensors."""
        return _symbolic.node_at(self, node_index).input

    def get_output_at(self, node_index):
        """The output of the ``node_index``-th call of this layer on symbolic tensors."""
        return _symbolic.node_at(self, node_index).outputs

    # ------------------------------------------------------------------ hooks
    def add_forward_hook(self, hook):
        """Call ``hook(layer, inputs, outputs)`` after each call of this layer (its return value is
        ignored). Returns a ``HookHandle``: ``handle.remove()``, or ``with layer.add_forward_hook(f):``."""
        return HookHandle.attach(self, "_forward_hooks", hook, "add_forward_hook")

    def add_backward_hook(self, hook):
        """Call ``hook(layer, grad)`` during ``backward`` with d(loss)/d(outputs) of each call of
        this layer (an array of the output's shape, to read, not to modify). Returns a ``HookHandle``."""
        return HookHandle.attach(self, "_backward_hooks", hook, "add_backward_hook")

    @property
    def observed(self):
        """Whether something watches this layer's output (a hook, an activity regularizer): such a
        layer always runs on its own, never fused with its neighbour."""
        return bool(self._forward_hooks or self._backward_hooks) or self.activity_regularizer is not None

    def run_hooks(self, inputs, outputs):
        """Run the forward hooks on one call's ``inputs`` and ``outputs`` and attach the backward
        hooks to ``outputs`` (``__call__`` does this; a model that computes a layer's output
        another way calls it so that hooks still see it)."""
        for hook in list(self._forward_hooks):
            hook(self, inputs, outputs)
        # on the output of an op only: its hooks go away with the graph (a leaf would keep them)
        if self._backward_hooks and isinstance(outputs, Tensor) and outputs.requires_grad \
                and not outputs.is_leaf:
            hooks = self._backward_hooks
            outputs.register_hook(lambda grad: [hook(self, grad) for hook in list(hooks)])

    # ------------------------------------------------------------------ structure
    def __setattr__(self, name, value):
        """Records, in order, the attributes that get a layer or a container (which may hold layers
        now or later): Keras's tracking order, which ``weights`` and ``get_weights`` follow."""
        if isinstance(value, (Layer, list, tuple, dict)):
            order = self.__dict__.setdefault("_layer_attributes", [])
            if name not in order:
                order.append(name)
        elif isinstance(value, Variable) and value.tracked_by_layers and "_weights" in self.__dict__ \
                and all(w is not value for w in self._weights):
            self._weights.append(value)     # a Keras variable set by hand (self.w = keras.Variable(...))
        object.__setattr__(self, name, value)

    def sublayers(self):
        """The layers directly inside this one: those its attributes hold (a layer, or layers in a
        list, tuple or dict, looked at now, so layers appended later count), in the order such a
        value was first assigned to each attribute, each layer once."""
        seen, out, values = {id(self)}, [], self.__dict__
        for name in values.get("_layer_attributes", ()):
            for layer in _layers_in(values.get(name)):
                if id(layer) not in seen:
                    seen.add(id(layer))
                    out.append(layer)
        return out

    def walk(self, include_self=True):
        """This layer and every layer inside it, depth-first, each once (nested models too)."""
        seen, stack = set(), [self] if include_self else list(reversed(self.sublayers()))
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            yield layer
            stack.extend(reversed(layer.sublayers()))

    def random_generators(self):
        """The ``numpy.random.Generator`` objects of its own that this layer draws from (a seeded
        Dropout's); layers without one use ``scratchnn.random.generator()``."""
        return [value for value in vars(self).values() if isinstance(value, np.random.Generator)]

    def output_activation(self):
        """The name of the activation function this layer applies last ('relu', 'softmax', ...), or
        None: what the pre-training checks and the tools read (is a model's output a softmax? can
        this layer's units die like ReLU's?)."""
        activation = getattr(self, "activation", None)
        return getattr(activation, "__name__", None) if activation is not None else None

    def fuse_with(self, next_layer):
        """A function ``f(x, training)`` that computes ``next_layer(self(x))`` as one faster op, or
        None (the default). ``Sequential`` asks each layer (``Conv2D`` answers for a MaxPooling2D or a
        BatchNormalization), then ``f.fuse_with``, if any, about the layer after (``layers/fused.py``)."""
        return None

    # ------------------------------------------------------------------ config
    def get_config(self):
        """The hyper-parameters as a JSON-friendly dict; ``from_config`` inverts it."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype.name}
        if self._declared_input_shape is not None:
            config["input_shape"] = list(self._declared_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "input_shape" in config and config["input_shape"] is not None:
            config["input_shape"] = tuple(config["input_shape"])
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
