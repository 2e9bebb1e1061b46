"""The ONNX graph being built: its nodes, its constants (the weights), and the values that flow
between the layers, each with its layout.

scratchnn is channels-last: an image is (N, H, W, C). ONNX's Conv, MaxPool, AveragePool and
ConvTranspose are channels-first, (N, C, H, W). A ``Value`` remembers which of the two layouts its
tensor is in, while its ``shape`` is always the shape scratchnn sees (channels last). A
convolution asks for ``graph.channels_first(x)``, which adds one Transpose only when x is not
channels-first already; a layer that needs scratchnn's order (Flatten, Dense, Reshape ...) asks
for ``graph.channels_last(x)``. Layers that work on either order (activations, Dropout,
BatchNormalization, Rescaling, ZeroPadding2D ...) keep the layout they are given, so a stack of
Conv2D / BatchNormalization / ReLU / MaxPooling2D layers costs one Transpose in and one out,
and the Dense weights after ``Flatten`` see the values in scratchnn's order.

``onnx`` is imported lazily (``require_onnx``): ``import scratchnn`` never needs it.
"""
import numpy as np

INSTALL_HINT = "pip install 'scratchnn[onnx]'"

# (physical axis of each logical axis) for a channels-first tensor of rank 3 or 4:
# logical (N, L, C) is stored (N, C, L); logical (N, H, W, C) is stored (N, C, H, W).
_TO_FIRST = {3: (0, 2, 1), 4: (0, 3, 1, 2)}       # Transpose perm: channels-last -> channels-first
_TO_LAST = {3: (0, 2, 1), 4: (0, 2, 3, 1)}        # Transpose perm: channels-first -> channels-last


class ExportError(ValueError):
    """A model that cannot be exported (a layer without a converter, an unbuilt model, an
    unsupported option): raised before anything is written."""


def require_onnx():
    """The ``onnx`` module, or an ``ImportError`` naming the extra that installs it."""
    try:
        import onnx
    except ImportError:
        raise ImportError(f"ONNX export needs the onnx package: {INSTALL_HINT}") from None
    return onnx


class Value:
    """A tensor of the graph: its ONNX ``name``, the ``shape`` scratchnn sees (channels last,
    None for a size known only at run time), whether it is stored ``channels_first``, and its
    ONNX element type ``elem_type``; ``mask``: the name of the boolean (batch, time) padding mask
    it carries (Keras's implicit mask, from ``Embedding(mask_zero=True)``), or None."""

    def __init__(self, name, shape, elem_type, channels_first=False, mask=None):
        self.name, self.shape, self.elem_type = name, tuple(shape), elem_type
        self.channels_first, self.mask = bool(channels_first), mask

    @property
    def rank(self):
        return len(self.shape)

    def with_name(self, name, shape=None, channels_first=None):
        """The same kind of value under another name (and shape / layout, when given)."""
        return Value(name, self.shape if shape is None else shape, self.elem_type,
                     self.channels_first if channels_first is None else channels_first, self.mask)

    def physical_axis(self, axis):
        """Where logical (channels-last) ``axis`` is stored."""
        axis = axis % self.rank
        return _TO_FIRST[self.rank].index(axis) if self.channels_first else axis


class Graph:
    """Collects nodes and initializers; ``convert(layer, inputs)`` runs a layer's converter.

    ``dtype``: the model's float type (its weights and float inputs); ``opset``: the ONNX opset
    the nodes are written for (13 or later). ``converters`` finds the converter of a layer.
    """

    def __init__(self, dtype, opset, converters):
        self.onnx = require_onnx()
        self.helper = self.onnx.helper
        self.dtype = np.dtype(dtype)
        self.float_type = self.helper.np_dtype_to_tensor_dtype(self.dtype)
        self.opset = int(opset)
        self.converters = converters
        self.nodes, self.initializers, self._taken = [], [], set()

    # ------------------------------------------------------------------ names and nodes
    def fresh(self, hint):
        """A name no other tensor of the graph has, made from ``hint``."""
        base = "".join(c if c.isalnum() or c in "_./-" else "_" for c in str(hint)) or "t"
        name, i = base, 1
        while name in self._taken:
            i += 1
            name = f"{base}_{i}"
        self._taken.add(name)
        return name

    def const(self, array, hint, dtype=None):
        """An initializer holding ``array`` (in the model's float type unless ``dtype``)."""
        array = np.asarray(array, dtype=self.dtype if dtype is None else dtype)
        name = self.fresh(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def ints(self, values, hint):
        """An int64 initializer (shapes, axes, pads)."""
        return self.const(np.asarray(values, dtype=np.int64), hint, dtype=np.int64)

    def op(self, op_type, inputs, hint, **attributes):
        """Add one node with one output; returns the output's name."""
        out = self.fresh(hint)
        node_name = self.fresh(f"{hint}/{op_type}")
        self.nodes.append(self.helper.make_node(op_type, list(inputs), [out], name=node_name, **attributes))
        return out

    def reduce(self, op_type, x, axes, hint, keepdims=1):
        """ReduceMean / ReduceMax / ... over ``axes``: an attribute before opset 18, an input from 18."""
        if self.opset >= 18:
            return self.op(op_type, [x, self.ints(list(axes), f"{hint}/axes")], hint, keepdims=keepdims)
        return self.op(op_type, [x], hint, axes=list(axes), keepdims=keepdims)

    # ------------------------------------------------------------------ layouts
    def channels_first(self, x, hint):
        """``x`` stored channels-first (one Transpose unless it is already)."""
        if x.rank not in _TO_FIRST:
            raise ExportError(f"{hint}: expected a sequence (N, L, C) or images (N, H, W, C), "
                              f"got shape {x.shape}")
        if x.channels_first:
            return x
        name = self.op("Transpose", [x.name], f"{hint}/to_channels_first", perm=list(_TO_FIRST[x.rank]))
        return x.with_name(name, channels_first=True)

    def channels_last(self, x, hint):
        """``x`` stored in scratchnn's order (one Transpose unless it is already)."""
        if not x.channels_first:
            return x
        name = self.op("Transpose", [x.name], f"{hint}/to_channels_last", perm=list(_TO_LAST[x.rank]))
        return x.with_name(name, channels_first=False)

    def broadcastable(self, values, x, axis):
        """``values`` (one per entry of logical ``axis`` of x) reshaped to broadcast against x as
        it is stored, without the batch axis: for the channels (C,) -> (C, 1, 1) for channels-first
        images, (1, 1, C) for channels-last ones; ``axis`` None: ``values`` as they are (a scalar)."""
        values = np.asarray(values)
        if axis is None:
            return values
        shape = [1] * x.rank
        shape[x.physical_axis(axis)] = values.shape[0]
        return values.reshape(shape[1:])                  # without the batch axis: it broadcasts

    # ------------------------------------------------------------------ layers
    def convert(self, layer, inputs):
        """Run ``layer``'s converter on the list of input Values; returns the output Value."""
        return self.converters.lookup(layer).fn(self, layer, list(inputs))

    def weight(self, variable, hint, transpose=None, shape=None):
        """An initializer from a layer's weight (optionally transposed / reshaped first)."""
        array = np.asarray(variable.data if hasattr(variable, "data") else variable)
        if transpose is not None:
            array = array.transpose(transpose)
        if shape is not None:
            array = array.reshape(shape)
        return self.const(array, hint)
