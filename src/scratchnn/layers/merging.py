"""Merge layers: several tensors in, one out (the functional API's joints).

    branch_a = layers.Dense(8)(inputs)
    branch_b = layers.Dense(8)(inputs)
    merged = layers.Add()([branch_a, branch_b])          # or layers.add([branch_a, branch_b])

Each is called on a list of tensors (``Layer.takes_list``):

* ``Add``, ``Subtract`` (two inputs: ``x1 - x2``), ``Multiply``, ``Average``, ``Maximum``,
  ``Minimum``: elementwise over the inputs. Shapes must agree axis by axis (a size of 1
  broadcasts, as in Keras). The gradient reaches every input: ``d(x1 + x2)/dx1 = 1``,
  ``d(x1 * x2)/dx1 = x2``, ``d max(x1, x2)/dx1 = [x1 >= x2]``, ``Average = (x1 + ... + xn) / n``;
* ``Concatenate(axis=-1)``: joined along ``axis``; the other axes must be equal;
* ``Dot(axes, normalize=False)``: per sample, the dot product of ``x1`` and ``x2`` along
  ``axes`` (one axis of each): ``out[b, i, j] = sum_k x1[b, i, k] x2[b, k, j]`` after moving the
  summed axes into place; with ``normalize=True`` each input is first divided by its L2 norm
  along its axis, ``x / sqrt(max(sum(x^2), 1e-12))``, so the result is a cosine similarity.
  Two vectors per sample, (batch, n) and (batch, n), give (batch, 1).

Masks (Keras's rules): the output's mask is the AND of the inputs' masks (an input without one
counts as all True); ``Concatenate`` joins the masks along ``axis`` when it is a mask's axis.
``x + y``, ``x - y`` and ``x * y`` between two ``keras.Input`` tensors record ``Add``,
``Subtract`` and ``Multiply``; a tensor and a Python number (``x / 255.0``, ``1 - x``, ``-x``)
record a ``ConstantOperation``.
"""
import numpy as np

from ..ops import concatenate as _concatenate
from ..ops import matmul, maximum, minimum, reshape, sqrt, transpose
from ..ops import sum as _sum
from .base import Layer, format_shape
from .symbolic import OPERATORS


def _shapes_text(shapes):
    return ", ".join(format_shape(s) for s in shapes)


class Merge(Layer):
    """Base of the merge layers: called on a list of at least ``min_inputs`` tensors."""
    takes_list = True
    supports_masking = True
    min_inputs, max_inputs = 2, None

    def _shapes(self, input_shape):
        if not (isinstance(input_shape, (list, tuple)) and input_shape
                and all(isinstance(s, (list, tuple)) for s in input_shape)):
            raise ValueError(f"layer '{self.name}' ({type(self).__name__}) must be called on a list of "
                             f"tensors, e.g. {type(self).__name__}()([x1, x2]); got one input of shape "
                             f"{format_shape(tuple(input_shape))}")
        n = len(input_shape)
        if n < self.min_inputs or (self.max_inputs is not None and n > self.max_inputs):
            wanted = (f"exactly {self.min_inputs}" if self.max_inputs == self.min_inputs
                      else f"at least {self.min_inputs}")
            raise ValueError(f"layer '{self.name}' ({type(self).__name__}) takes {wanted} inputs, got {n} "
                             f"(shapes {_shapes_text(input_shape)})")
        return [tuple(s) for s in input_shape]

    def build(self, input_shape):
        self.compute_output_shape(input_shape)            # refuses shapes that cannot be merged

    def _check_input(self, shape):
        self.compute_output_shape(shape)


class ElementwiseMerge(Merge):
    """An elementwise merge: shapes agree axis by axis, a size of 1 broadcasts."""

    def compute_output_shape(self, input_shape):
        shapes = self._shapes(input_shape)
        if len({len(s) for s in shapes}) != 1:
            raise ValueError(f"layer '{self.name}' ({type(self).__name__}): inputs must have the same number "
                             f"of axes, got shapes {_shapes_text(shapes)}")
        out = []
        for axis, sizes in enumerate(zip(*shapes)):
            known = {d for d in sizes if d is not None and d != 1}
            if len(known) > 1:
                raise ValueError(f"layer '{self.name}' ({type(self).__name__}): inputs of shapes "
                                 f"{_shapes_text(shapes)} cannot be merged: axis {axis} has sizes "
                                 f"{', '.join(str(d) for d in sizes)} (they must be equal, or 1)")
            if known:
                out.append(known.pop())
            else:
                out.append(None if None in sizes else 1)
        return tuple(out)

    def compute_mask(self, inputs, previous_mask=None):
        masks = [m for m in (previous_mask or []) if m is not None]
        if not masks:
            return None
        combined = masks[0]
        for m in masks[1:]:
            combined = combined & m
        return combined

    def merge(self, inputs):
        raise NotImplementedError

    def call(self, inputs, training=False):
        return self.merge(list(inputs))


class Add(ElementwiseMerge):
    """``x1 + x2 + ... + xn``."""

    def merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out


class Subtract(ElementwiseMerge):
    """``x1 - x2`` (exactly two inputs)."""
    max_inputs = 2

    def merge(self, inputs):
        return inputs[0] - inputs[1]


class Multiply(ElementwiseMerge):
    """``x1 * x2 * ... * xn`` (elementwise)."""

    def merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out * x
        return out


class Average(ElementwiseMerge):
    """``(x1 + ... + xn) / n``."""

    def merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out * (1.0 / len(inputs))


class Maximum(ElementwiseMerge):
    """Elementwise ``max(x1, ..., xn)``."""

    def merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = maximum(out, x)
        return out


class Minimum(ElementwiseMerge):
    """Elementwise ``min(x1, ..., xn)``."""

    def merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = minimum(out, x)
        return out


class Concatenate(Merge):
    """Joins the inputs along ``axis`` (default -1, the features); the other axes must be equal."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def _axis(self, rank):
        axis = self.axis + rank if self.axis < 0 else self.axis
        if not 1 <= axis < rank:
            raise ValueError(f"layer '{self.name}' (Concatenate): axis {self.axis} is not a non-batch axis "
                             f"of inputs with {rank} axes")
        return axis

    def compute_output_shape(self, input_shape):
        shapes = self._shapes(input_shape)
        if len({len(s) for s in shapes}) != 1:
            raise ValueError(f"layer '{self.name}' (Concatenate): inputs must have the same number of axes, "
                             f"got shapes {_shapes_text(shapes)}")
        axis = self._axis(len(shapes[0]))
        out = []
        for i, sizes in enumerate(zip(*shapes)):
            if i == axis:
                out.append(None if None in sizes else sum(sizes))
                continue
            known = {d for d in sizes if d is not None}
            if len(known) > 1 and i > 0:
                raise ValueError(f"layer '{self.name}' (Concatenate) joins along axis {self.axis}: the other "
                                 f"axes must be equal, got shapes {_shapes_text(shapes)} (axis {i} differs)")
            out.append(known.pop() if len(known) == 1 else None)
        return tuple(out)

    def call(self, inputs, training=False):
        return _concatenate(list(inputs), axis=self._axis(inputs[0].ndim))

    def compute_mask(self, inputs, previous_mask=None):
        if previous_mask is None or all(m is None for m in previous_mask):
            return None
        axis = self._axis(inputs[0].ndim)
        ndim = max(m.ndim for m in previous_mask if m is not None)
        masks = [np.ones(x.shape[:ndim], dtype=bool) if m is None else m
                 for x, m in zip(inputs, previous_mask)]
        if axis < ndim:                       # joined along a masked axis (time): the masks are joined too
            return np.concatenate(masks, axis=axis)
        combined = masks[0]
        for m in masks[1:]:
            combined = combined & m
        return combined

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Dot(Merge):
    """Per-sample dot product of two inputs along ``axes`` (an int for both, or one per input);
    ``normalize=True`` makes it the cosine similarity."""
    max_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2:
                raise ValueError(f"Dot: axes must be an int or a pair of ints, got {axes!r}")
            self.axes = (int(axes[0]), int(axes[1]))
        else:
            self.axes = int(axes)
        self.normalize = bool(normalize)

    def _resolved_axes(self, shapes):
        axes = self.axes if isinstance(self.axes, tuple) else (self.axes, self.axes)
        out = []
        for a, shape in zip(axes, shapes):
            r = a + len(shape) if a < 0 else a
            if not 1 <= r < len(shape):
                raise ValueError(f"layer '{self.name}' (Dot): axis {a} is not a non-batch axis of an input "
                                 f"of shape {format_shape(shape)}")
            out.append(r)
        return out

    def compute_output_shape(self, input_shape):
        shapes = self._shapes(input_shape)
        a1, a2 = self._resolved_axes(shapes)
        s1, s2 = shapes
        if s1[a1] is not None and s2[a2] is not None and s1[a1] != s2[a2]:
            raise ValueError(f"layer '{self.name}' (Dot): the summed axes differ in size: axis {a1} of "
                             f"{format_shape(s1)} has {s1[a1]}, axis {a2} of {format_shape(s2)} has {s2[a2]}")
        rest = ([d for i, d in enumerate(s1) if i not in (0, a1)]
                + [d for i, d in enumerate(s2) if i not in (0, a2)])
        return (s1[0],) + tuple(rest or [1])

    @staticmethod
    def _l2_normalize(x, axis):
        return x / sqrt(maximum(_sum(x * x, axis=axis, keepdims=True), 1e-12))

    def call(self, inputs, training=False):
        x1, x2 = inputs
        a1, a2 = self._resolved_axes([x1.shape, x2.shape])
        if self.normalize:
            x1, x2 = self._l2_normalize(x1, a1), self._l2_normalize(x2, a2)
        b = x1.shape[0]
        rest1 = [i for i in range(x1.ndim) if i not in (0, a1)]
        rest2 = [i for i in range(x2.ndim) if i not in (0, a2)]
        k = x1.shape[a1]
        left = reshape(transpose(x1, [0] + rest1 + [a1]), (b, -1, k))          # (B, P, k)
        right = reshape(transpose(x2, [0, a2] + rest2), (b, k, -1))           # (B, k, Q)
        out = matmul(left, right)                                               # (B, P, Q)
        shape = tuple(x1.shape[i] for i in rest1) + tuple(x2.shape[i] for i in rest2)
        return reshape(out, (b,) + (shape or (1,)))

    def compute_mask(self, inputs, previous_mask=None):
        return None

    def get_config(self):
        axes = list(self.axes) if isinstance(self.axes, tuple) else self.axes
        return {**super().get_config(), "axes": axes, "normalize": self.normalize}


# ------------------------------------------------------------------ the functional forms
def add(inputs, **kwargs):
    """``Add(**kwargs)(inputs)``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """``Subtract(**kwargs)(inputs)``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """``Multiply(**kwargs)(inputs)``."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """``Average(**kwargs)(inputs)``."""
    return Average(**kwargs)(inputs)


def maximum_(inputs, **kwargs):
    return Maximum(**kwargs)(inputs)


def minimum_(inputs, **kwargs):
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """``Concatenate(axis, **kwargs)(inputs)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """``Dot(axes, normalize, **kwargs)(inputs)``."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)


maximum_.__name__, minimum_.__name__ = "maximum", "minimum"
maximum_.__doc__, minimum_.__doc__ = "``Maximum(**kwargs)(inputs)``.", "``Minimum(**kwargs)(inputs)``."

class ConstantOperation(Layer):
    """``x op c`` (or ``c op x`` when ``reflected``) for a Python number ``c`` and ``op`` one of
    ``+ - * / **``: what ``inputs / 255.0``, ``1 - x`` or ``-x`` records on a ``keras.Input``.
    Elementwise, so a mask passes on; the gradient is the operator's (``d(x / c)/dx = 1 / c``)."""
    supports_masking = True
    OPS = ("+", "-", "*", "/", "**")

    def __init__(self, op, constant, reflected=False, **kwargs):
        super().__init__(**kwargs)
        if op not in self.OPS or (op == "**" and reflected):
            raise ValueError(f"ConstantOperation: op must be one of {self.OPS} (** not reflected), "
                             f"got {op!r}")
        if not isinstance(constant, (int, float)) or isinstance(constant, bool):
            raise ValueError(f"ConstantOperation: constant must be a Python number, got {constant!r}")
        self.op, self.constant, self.reflected = op, constant, bool(reflected)

    def call(self, inputs, training=False):
        a, b = (self.constant, inputs) if self.reflected else (inputs, self.constant)
        if self.op == "+":
            return a + b
        if self.op == "-":
            return a - b
        if self.op == "*":
            return a * b
        if self.op == "/":
            return a / b
        return a ** b

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "op": self.op, "constant": self.constant, "reflected": self.reflected}


OPERATORS.update({"+": lambda a, b: add([a, b]), "-": lambda a, b: subtract([a, b]),
                  "*": lambda a, b: multiply([a, b]),
                  "constant": lambda op, x, c, reflected: ConstantOperation(op, c, reflected)(x)})

#: The merge layer classes, for the registry.
MERGE_LAYERS = (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot, ConstantOperation)
