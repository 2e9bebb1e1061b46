"""The core layers: Input, Dense, Flatten, Activation, Dropout, Reshape."""
import math

import numpy as np

from .. import constraints as _constraints
from .. import functional as F
from .. import initializers as _initializers
from .. import regularizers as _regularizers
from ..backend import DEFAULT_FLOAT
from .base import Layer, format_shape
from .symbolic import input_tensor


def serialize_activation(fn):
    """The Keras name of an activation function (for get_config)."""
    return F.ACTIVATIONS.name_of(fn) or getattr(fn, "__name__", str(fn))


def serialize_or_none(module, obj):
    return None if obj is None else module.serialize(obj)


class KernelBiasMixin:
    """What the layers with a kernel and a bias (Dense, the convolutions) share: the activation,
    ``use_bias``, and the initializer/regularizer/constraint of each weight, as Keras names them
    (``prefix`` 'kernel', or 'depthwise' for DepthwiseConv2D), in their arguments and config."""

    def _set_kernel_args(self, activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint):
        self.activation = F.get_activation(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = _initializers.get(kernel_initializer)
        self.bias_initializer = _initializers.get(bias_initializer)
        self.kernel_regularizer = _regularizers.get(kernel_regularizer)
        self.bias_regularizer = _regularizers.get(bias_regularizer)
        self.activity_regularizer = _regularizers.get(activity_regularizer)
        self.kernel_constraint = _constraints.get(kernel_constraint)
        self.bias_constraint = _constraints.get(bias_constraint)
        self.kernel = self.bias = None

    def _add_kernel_and_bias(self, kernel_shape, bias_units):
        self.kernel = self.add_weight("kernel", kernel_shape, self.kernel_initializer,
                                      self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", (bias_units,), self.bias_initializer, self.bias_regularizer,
                                        constraint=self.bias_constraint)

    def _kernel_config(self, prefix="kernel"):
        return {"activation": serialize_activation(self.activation), "use_bias": self.use_bias,
                f"{prefix}_initializer": _initializers.serialize(self.kernel_initializer),
                "bias_initializer": _initializers.serialize(self.bias_initializer),
                f"{prefix}_regularizer": serialize_or_none(_regularizers, self.kernel_regularizer),
                "bias_regularizer": serialize_or_none(_regularizers, self.bias_regularizer),
                "activity_regularizer": serialize_or_none(_regularizers, self.activity_regularizer),
                f"{prefix}_constraint": serialize_or_none(_constraints, self.kernel_constraint),
                "bias_constraint": serialize_or_none(_constraints, self.bias_constraint)}


class InputLayer(Layer):
    """Declares the shape of the model's inputs (without the batch axis); computes nothing.

    It owns the symbolic tensor ``keras.Input`` returns (``layer.output``): its shape is
    ``(batch_size, *shape)``, its dtype ``dtype`` (float32 by default; an integer dtype for token
    ids). In a ``Sequential`` it only declares the input shape."""
    supports_masking = True

    def __init__(self, shape=None, batch_size=None, name=None, input_shape=None, dtype=None, sparse=None,
                 ragged=None, batch_shape=None, **kwargs):
        if batch_shape is not None and shape is None:
            shape, batch_size = tuple(batch_shape)[1:], tuple(batch_shape)[0]
        shape = shape if shape is not None else input_shape
        if shape is None:
            raise ValueError("InputLayer: pass shape=, e.g. Input(shape=(28, 28))")
        if sparse or ragged:
            raise ValueError(f"InputLayer: sparse=True and ragged=True are not supported by scratchnn "
                             f"(got sparse={sparse!r}, ragged={ragged!r}): inputs are dense arrays")
        try:
            input_dtype = np.dtype(dtype if dtype is not None else DEFAULT_FLOAT)
        except TypeError:
            input_dtype = None
        if input_dtype is None or input_dtype.kind not in "fiub":
            raise ValueError(f"InputLayer: dtype must be a float, integer or bool dtype, got {dtype!r} "
                             "(string inputs are not supported: apply TextVectorization or StringLookup to "
                             "the data before the model, and give the model the ids)")
        super().__init__(name=name, input_shape=shape,
                         dtype=input_dtype if input_dtype.kind == "f" else None, **kwargs)
        self.dtype = input_dtype
        self.batch_size = None if batch_size is None else int(batch_size)
        self.built = True
        self.input_shape = (None,) + self._declared_input_shape
        input_tensor(self, (self.batch_size,) + self._declared_input_shape, input_dtype)

    def call(self, inputs, training=False):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["shape"] = config.pop("input_shape")
        config["batch_size"] = self.batch_size
        return config


def Input(shape=None, batch_size=None, name=None, dtype=None, sparse=None, batch_shape=None, ragged=None,
          tensor=None):
    """``keras.Input(shape=(28, 28))``: a symbolic tensor (``KerasTensor``) of shape
    ``(batch_size, 28, 28)`` to build a functional model from (``x = Dense(8)(inputs)``,
    ``Model(inputs, x)``). In a ``Sequential`` it declares the input shape."""
    if tensor is not None:
        raise ValueError("Input: tensor= is not supported by scratchnn (an Input is always a placeholder)")
    return InputLayer(shape=shape, batch_size=batch_size, name=name, dtype=dtype, sparse=sparse,
                      batch_shape=batch_shape, ragged=ragged).output


class Dense(KernelBiasMixin, Layer):
    """Fully connected layer: ``y = activation(x W + b)``.

    x: (batch, ..., n_in); W ("kernel"): (n_in, units), initialised with
    ``kernel_initializer`` (Glorot uniform: U(-l, l), l = sqrt(6 / (n_in + units)));
    b: (units,), zeros.  Backpropagation (see ``F.dense``):
    dx = g W^T,  dW = x^T g,  db = sum of g over the batch,  with g = dL/dy before the
    activation.  Parameters: n_in * units + units.  A mask on the input (batch, time) passes on
    to the output: Dense works on each position alone.
    """
    supports_masking = True

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        self.units = int(units)
        self._set_kernel_args(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                              bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint)

    def build(self, input_shape):
        n_in = input_shape[-1]
        if n_in is None:
            raise ValueError(f"Dense '{self.name}': the last axis of the input must be known, "
                             f"got input shape {format_shape(input_shape)}")
        self._add_kernel_and_bias((n_in, self.units), self.units)

    def _check_input(self, shape):
        """Like Keras's InputSpec for Dense: at least 2 axes, and the last one fixed at build."""
        n_in = self.kernel.shape[0]
        if len(shape) < 2 or shape[-1] != n_in:
            raise ValueError(f"layer '{self.name}' (Dense) expects inputs of shape "
                             f"{format_shape(self.input_shape)} (any leading axes, last axis {n_in}), "
                             f"got shape {format_shape(shape)}")

    def call(self, inputs, training=False):
        return self.activation(F.dense(inputs, self.kernel, self.bias))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units, **self._kernel_config()}


class Flatten(Layer):
    """Reshapes (batch, d1, d2, ...) to (batch, d1 * d2 * ...): e.g. 28x28 images to 784-vectors."""

    def call(self, inputs, training=False):
        return inputs.reshape(inputs.shape[0], -1)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else int(math.prod(rest)))


class Activation(Layer):
    """Applies an activation function: ``Activation('relu')``. A mask on the input passes on."""
    supports_masking = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = F.get_activation(activation)

    def call(self, inputs, training=False):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "activation": serialize_activation(self.activation)}


class Dropout(Layer):
    """Inverted dropout: during training each value is set to 0 with probability ``rate``
    and the others are multiplied by 1 / (1 - rate); at inference it does nothing.
    (See ``F.dropout``.)  ``noise_shape`` and ``seed`` as in Keras.  A mask on the input passes on."""
    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def call(self, inputs, training=False):
        return F.dropout(inputs, self.rate, training=training, rng=self._rng, noise_shape=self.noise_shape)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape,
                "seed": self.seed}


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (the batch axis is kept; one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1 or any(d == 0 or d < -1 for d in self.target_shape):
            raise ValueError(f"Reshape: invalid target_shape {target_shape!r}: positive sizes "
                             "and at most one -1")

    def build(self, input_shape):
        self.compute_output_shape(input_shape)          # validates the sizes

    def call(self, inputs, training=False):
        return inputs.reshape((inputs.shape[0],) + self.target_shape)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        if None in rest:
            return (input_shape[0],) + tuple(None if d == -1 else d for d in self.target_shape)
        n = int(math.prod(rest))
        known = int(math.prod(d for d in self.target_shape if d != -1))
        if -1 in self.target_shape:
            if n % known:
                raise ValueError(f"Reshape '{self.name}': cannot reshape {format_shape(input_shape)} "
                                 f"to {self.target_shape}")
            shape = tuple(n // known if d == -1 else d for d in self.target_shape)
        else:
            if n != known:
                raise ValueError(f"Reshape '{self.name}': cannot reshape {format_shape(input_shape)} "
                                 f"({n} values per sample) to {self.target_shape} ({known} values)")
            shape = self.target_shape
        return (input_shape[0],) + shape

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


class Masking(Layer):
    """Marks the time steps to skip (Keras's ``Masking``): a step of a (batch, time, features) input
    whose features all equal ``mask_value`` is masked,

        mask[b, t] = any_f (x[b, t, f] != mask_value),

    its values are set to 0 in the output, and the layers after it (``LSTM``,
    ``GlobalAveragePooling1D``, ...) receive the mask, as they would from ``Embedding(mask_zero=True)``."""

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = float(mask_value)

    def compute_mask(self, inputs, previous_mask=None):
        data = inputs.data if hasattr(inputs, "data") else np.asarray(inputs)
        return np.any(data != self.mask_value, axis=-1)

    def call(self, inputs, training=False):
        keep = self.compute_mask(inputs)[..., None].astype(inputs.dtype)
        return inputs * keep

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
