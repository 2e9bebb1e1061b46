"""Symbolic tensors: what Keras's functional API records a network with.

``keras.Input(shape=(28, 28))`` returns a ``KerasTensor``: a placeholder with a shape (batch axis
first, ``None`` where the size is not known yet), a dtype and a name, but no values. Calling a
layer on placeholders does not compute anything: it builds the layer for their shape, finds the
shape of its output, and records a ``Node`` (the layer, the arguments it was called with, the
placeholders it returned). ``Model(inputs, outputs)`` (``models/functional.py``) then follows the
nodes from its outputs back to its inputs and, when called on data, runs the recorded calls in
the order they were made.

How the output's shape is found: the layer is called, under ``no_grad`` and with
``training=False``, on a *probe*, zeros of the input's shape with a batch of one (the layer's
forward hooks do not run, no random number is drawn, no gradient is kept). An axis of unknown
size (``Input(shape=(None, 8))``: sequences of any length) is probed with two sizes; the output
axes whose size differs between the two are unknown too. A mask travels with a placeholder as a
flag: the probe carries an all-True mask, and the output has a mask when the layer attached one.

A placeholder used as numbers (``np.asarray(x)``, ``x.numpy()``, ``x + np.ones(3)``) raises a
``TypeError`` saying what it is and what to do instead. ``x + y``, ``x - y`` and ``x * y`` between
two placeholders record the ``Add``, ``Subtract`` and ``Multiply`` layers, and ``x / 255.0``,
``2 * x``, ``x ** 2``, ``1 - x``, ``-x`` (a placeholder and a Python number) a ``ConstantOperation``
layer (``layers/merging.py``).
"""
import contextlib
import contextvars
import itertools

import numpy as np

from ..autograd import Tensor, get_mask, no_grad, set_mask

_probing = contextvars.ContextVar("probing", default=False)
_node_ids = itertools.count()

#: ``{'+': fn(a, b), ...}``: the layers that Python operators between two KerasTensors record, and
#: ``'constant': fn(op, x, number, reflected)`` for a KerasTensor and a number (filled in by
#: ``layers/merging.py``, which defines these layers).
OPERATORS = {}

#: The sizes an axis of unknown size is probed with: the first pair that the layer accepts.
PROBE_SIZES = ((24, 31), (4, 5), (1, 2))


def probing():
    """True while a layer runs on a probe (its forward hooks are not run then)."""
    return _probing.get()


@contextlib.contextmanager
def probe_context():
    token = _probing.set(True)
    try:
        yield
    finally:
        _probing.reset(token)


# ------------------------------------------------------------------ nested structures
def flatten(structure):
    """The leaves of nested lists, tuples and dicts (dict values in order), depth first."""
    if isinstance(structure, dict):
        return [leaf for value in structure.values() for leaf in flatten(value)]
    if isinstance(structure, (list, tuple)):
        return [leaf for value in structure for leaf in flatten(value)]
    return [structure]


def map_structure(fn, structure):
    """The same nesting of lists, tuples and dicts with ``fn`` applied to every leaf."""
    if isinstance(structure, dict):
        return {key: map_structure(fn, value) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(map_structure(fn, value) for value in structure)
    return fn(structure)


def pack_like(structure, leaves):
    """``leaves`` (``flatten(structure)``'s order) arranged as ``structure`` is."""
    it = iter(leaves)
    return map_structure(lambda _: next(it), structure)


def has_symbolic(args, kwargs):
    """Whether a call's arguments hold a KerasTensor (the cheap test every layer call makes)."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, KerasTensor) or (isinstance(value, (list, tuple, dict)) and symbolic_in(value)):
            return True
    return False


def symbolic_in(*structures):
    """The KerasTensors among the leaves of ``structures``."""
    return [leaf for leaf in flatten(list(structures)) if isinstance(leaf, KerasTensor)]


# ------------------------------------------------------------------ KerasTensor
def _describe(value):
    return f"{value!r}" if isinstance(value, KerasTensor) else type(value).__name__


class KerasTensor:
    """A placeholder for the data that will flow through a model: ``shape`` (batch axis first,
    ``None`` where unknown), ``dtype``, ``name``, and ``node`` / ``index``: the call that returned
    it and its position among that call's outputs (``node.layer`` is the layer; an ``InputLayer``
    for a ``keras.Input``). It holds no values."""
    __array_ufunc__ = None        # ndarray (op) KerasTensor -> our reflected operator, which explains
    __hash__ = object.__hash__

    def __init__(self, shape, dtype="float32", name=None, mask_ndim=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        self.name = name
        self.mask_ndim = mask_ndim     # the mask's number of axes, None when there is no mask
        self.node = None
        self.index = 0

    ndim = property(lambda self: len(self.shape))

    @property
    def keras_history(self):
        """``(layer, node_index, tensor_index)``: which call of which layer made this tensor."""
        layer = self.node.layer
        return layer, layer_nodes(layer).index(self.node), self.index

    @property
    def _keras_mask(self):
        """The symbolic mask, as Keras prints it (``x._keras_mask``): a placeholder of the first
        ``mask_ndim`` axes, boolean, or None when the tensor carries no mask."""
        if not self.mask_ndim:
            return None
        return KerasTensor(self.shape[:self.mask_ndim], "bool", name=f"{self.name}_mask")

    def _not_concrete(self, what):
        return TypeError(
            f"{what}: {self!r} is a symbolic tensor (a keras.Input placeholder, or a layer's output "
            "on one): it has a shape but no values yet. Use it to build a model, "
            "model = keras.Model(inputs, outputs), and call the model on data (model(x), "
            "model.predict(x)) to get numbers; combine symbolic tensors with layers "
            "(layers.Add, layers.Multiply, layers.Concatenate, ...).")

    def __array__(self, dtype=None, copy=None):
        raise self._not_concrete("np.asarray() of a symbolic tensor")

    def numpy(self):
        raise self._not_concrete(".numpy() of a symbolic tensor")

    def __bool__(self):
        raise self._not_concrete("the truth value of a symbolic tensor")

    def __float__(self):
        raise self._not_concrete("float() of a symbolic tensor")

    def __int__(self):
        raise self._not_concrete("int() of a symbolic tensor")

    def __len__(self):
        raise self._not_concrete("len() of a symbolic tensor (its shape is .shape)")

    def __iter__(self):
        raise self._not_concrete("iterating over a symbolic tensor")

    def __getitem__(self, key):
        raise self._not_concrete("indexing a symbolic tensor (use a layer: Reshape, Cropping2D, ...)")

    def _operator(self, op, other, reflected=False):
        fn = OPERATORS.get(op)
        if fn is not None and isinstance(other, KerasTensor):
            return fn(other, self) if reflected else fn(self, other)
        constant = OPERATORS.get("constant")
        if constant is not None and isinstance(other, (int, float, np.integer, np.floating)) \
                and not isinstance(other, bool) and op in ("+", "-", "*", "/", "**") \
                and not (op == "**" and reflected):
            return constant(op, self, other.item() if isinstance(other, np.generic) else other, reflected)
        names = {"+": "layers.Add / layers.add([x, y])", "-": "layers.Subtract",
                 "*": "layers.Multiply (or layers.Rescaling for a constant)"}
        left, right = (other, self) if reflected else (self, other)
        left, right = _describe(left), _describe(right)
        raise TypeError(f"cannot compute {left} {op} {right}: {self!r} is a symbolic tensor (a keras.Input "
                        "placeholder, or a layer's output on one) with no values; only +, - and * between "
                        "two symbolic tensors, and +, -, *, / and ** with a Python number, are recorded (as "
                        f"layers). Use a layer instead: {names.get(op, 'a layer that computes it')}.")

    def __add__(self, other):
        return self._operator("+", other)

    def __radd__(self, other):
        return self._operator("+", other, reflected=True)

    def __sub__(self, other):
        return self._operator("-", other)

    def __rsub__(self, other):
        return self._operator("-", other, reflected=True)

    def __mul__(self, other):
        return self._operator("*", other)

    def __rmul__(self, other):
        return self._operator("*", other, reflected=True)

    def __truediv__(self, other):
        return self._operator("/", other)

    def __rtruediv__(self, other):
        return self._operator("/", other, reflected=True)

    def __matmul__(self, other):
        return self._operator("@", other)

    def __rmatmul__(self, other):
        return self._operator("@", other, reflected=True)

    def __pow__(self, other):
        return self._operator("**", other)

    def __rpow__(self, other):
        return self._operator("**", other, reflected=True)

    def __neg__(self):
        return self._operator("*", -1)

    def __repr__(self):
        shape = "(" + ", ".join(str(d) for d in self.shape) + ("," if len(self.shape) == 1 else "") + ")"
        name = f", name={self.name}" if self.name else ""
        return f"<KerasTensor shape={shape}, dtype={self.dtype.name}{name}>"


# ------------------------------------------------------------------ Node
class Node:
    """One call of a layer on symbolic tensors: ``layer``, the ``args`` and ``kwargs`` it was called
    with (KerasTensors among other values), and the ``outputs`` it returned (KerasTensors, in the
    structure the layer returns). Nodes are numbered as they are made (``order``): a node is always
    made after the nodes of its inputs, so this order runs a graph forwards."""

    def __init__(self, layer, args=(), kwargs=None, outputs=None):
        self.layer = layer
        self.args = tuple(args)
        self.kwargs = dict(kwargs or {})
        self.outputs = outputs
        self.order = next(_node_ids)
        self.input_tensors = symbolic_in(self.args, self.kwargs)
        self.output_tensors = symbolic_in(outputs)
        for i, tensor in enumerate(self.output_tensors):
            tensor.node, tensor.index = self, i
        layer.__dict__.setdefault("inbound_nodes", []).append(self)

    @property
    def input(self):
        """What the layer was called on: its first argument (a tensor, or a list of them)."""
        return self.args[0] if self.args else None

    @property
    def parent_nodes(self):
        return [t.node for t in self.input_tensors]

    def __repr__(self):
        return f"<Node of '{self.layer.name}' #{self.order}>"


def layer_nodes(layer):
    """The nodes of ``layer`` (its calls on symbolic tensors), oldest first. A layer of a
    ``Sequential`` whose input shape is known gets its node when first asked (the model makes
    its graph then)."""
    nodes = layer.__dict__.get("inbound_nodes")
    if not nodes:
        for owner in list(layer.__dict__.get("graph_owners", ())):
            if owner.input_shape is not None and any(l is layer for l in owner.layers):
                owner.symbolic_graph()
        nodes = layer.__dict__.get("inbound_nodes")
    return list(nodes or [])


def add_graph_owner(layer, owner):
    """Tell ``layer`` that ``owner`` (a Sequential holding it) can make its node on demand."""
    owners = layer.__dict__.setdefault("graph_owners", [])
    if not any(o is owner for o in owners):
        owners.append(owner)


def single_node(layer, what):
    """The one node of ``layer``, for ``layer.input`` / ``layer.output``: an AttributeError that
    says why when the layer was never called on a symbolic tensor, or was called several times."""
    nodes = layer_nodes(layer)
    if not nodes:
        raise AttributeError(f"layer '{layer.name}' ({type(layer).__name__}) has never been called on a "
                             f"symbolic tensor (a keras.Input), so it has no {what}: build the model "
                             "from keras.Input(shape=...) (or give a Sequential an Input first)")
    if len(nodes) > 1:
        raise AttributeError(f"layer '{layer.name}' ({type(layer).__name__}) has been called {len(nodes)} "
                             f"times (it is shared), so its {what} is ambiguous: use "
                             f"layer.get_{what.split()[0]}_at(node_index)")
    return nodes[0]


def node_at(layer, node_index):
    nodes = layer_nodes(layer)
    if not 0 <= node_index < len(nodes):
        raise ValueError(f"layer '{layer.name}' has {len(nodes)} node(s); asked for node {node_index}")
    return nodes[node_index]


def output_shapes(outputs):
    return map_structure(lambda t: t.shape if isinstance(t, KerasTensor) else None, outputs)


# ------------------------------------------------------------------ a call on symbolic tensors
def _probe(layer, call, args, kwargs, batch, size):
    """Run ``call`` on zeros shaped as the KerasTensors in ``args`` / ``kwargs``."""
    def concrete(t):
        if not isinstance(t, KerasTensor):
            return t
        shape = tuple((batch if i == 0 else size) if d is None else d for i, d in enumerate(t.shape))
        value = Tensor.wrap(np.zeros(shape, dtype=t.dtype))
        if t.mask_ndim:
            set_mask(value, np.ones(shape[:t.mask_ndim], dtype=bool))
        return value

    args, kwargs = map_structure(concrete, args), map_structure(concrete, kwargs)
    kwargs["training"] = False            # the probe never trains: no dropout draw, no statistics
    saved = [(sub, sub.activity_losses) for sub in layer.walk()]
    try:
        with no_grad(), probe_context():
            return call(layer, *args, **kwargs)
    finally:
        for sub, losses in saved:
            sub.activity_losses = losses


def call_symbolic(layer, call, args, kwargs):
    """``layer(*args, **kwargs)`` where some arguments are KerasTensors: build the layer, find the
    output's shape, dtype and mask with probes, record a ``Node``, return the symbolic outputs."""
    tensors = symbolic_in(args, kwargs)
    if not layer.built and len(args) == 1 and len(tensors) == 1 and isinstance(args[0], KerasTensor):
        layer._build_once(args[0].shape)          # for the symbolic shape: unknown axes stay unknown
    batch = tensors[0].shape[0] if tensors[0].ndim else None
    unknown = any(d is None for t in tensors for d in t.shape[1:])
    first_error = None
    for sizes in PROBE_SIZES if unknown else ((1, None),):
        try:
            outs = [_probe(layer, call, args, kwargs, batch or 1, size) for size in sizes if size is not None]
            break
        except Exception as e:          # noqa: BLE001 - another probe size may suit the layer
            if not unknown:
                raise
            first_error = first_error or e
    else:
        raise first_error
    flat = flatten(outs[0])
    other = flatten(outs[1]) if len(outs) > 1 else [None] * len(flat)
    symbolic = [_as_symbolic(a, b, batch, layer) for a, b in zip(flat, other)]
    outputs = pack_like(outs[0], symbolic)
    Node(layer, args, {k: v for k, v in kwargs.items()}, outputs)
    return outputs


def _as_symbolic(a, b, batch, layer):
    if not isinstance(a, Tensor):
        return a
    shape = list(a.shape)
    if b is not None and isinstance(b, Tensor):
        shape = [None if x != y else x for x, y in zip(a.shape, b.shape)]
    if shape:
        shape[0] = batch
    mask = get_mask(a)
    return KerasTensor(shape, a.dtype, name=layer.name, mask_ndim=None if mask is None else mask.ndim)


def input_tensor(layer, shape, dtype):
    """The KerasTensor of an ``InputLayer`` (``keras.Input``), recorded as the layer's node."""
    tensor = KerasTensor(shape, dtype, name=layer.name)
    Node(layer, (), {}, tensor)
    return tensor


__all__ = ["KerasTensor", "Node", "OPERATORS", "flatten", "map_structure", "pack_like", "symbolic_in",
           "has_symbolic", "layer_nodes", "add_graph_owner", "single_node", "node_at", "call_symbolic",
           "input_tensor", "probing", "output_shapes"]
