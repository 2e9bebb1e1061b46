"""Normalization layers: ``BatchNormalization``, ``LayerNormalization``, and ``SpatialDropout2D``
(a regularizer for convolutional feature maps, often used next to them).  Keras 3 names,
arguments, defaults and semantics; the formulas and gradients are in
``scratchnn.functional.normalization``.
"""
import numpy as np

from .. import constraints as _constraints
from .. import functional as F
from .. import initializers as _initializers
from .. import regularizers as _regularizers
from ..autograd import no_grad
from ..functional import normalization as _norm
from .base import Layer, format_shape
from .core import serialize_or_none


def _check_int_axis(axis, cls_name):
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise ValueError(f"{cls_name}: axis must be an int, got {axis!r}")
    return int(axis)


def _param_config(layer):
    """The config entries shared by the two normalization layers with gamma and beta."""
    return {"center": layer.center, "scale": layer.scale,
            "beta_initializer": _initializers.serialize(layer.beta_initializer),
            "gamma_initializer": _initializers.serialize(layer.gamma_initializer),
            "beta_regularizer": serialize_or_none(_regularizers, layer.beta_regularizer),
            "gamma_regularizer": serialize_or_none(_regularizers, layer.gamma_regularizer),
            "beta_constraint": serialize_or_none(_constraints, layer.beta_constraint),
            "gamma_constraint": serialize_or_none(_constraints, layer.gamma_constraint)}


class _GammaBeta(Layer):
    """Shared by BatchNormalization and LayerNormalization: the arguments of gamma and beta."""

    def _init_gamma_beta(self, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint):
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = _initializers.get(beta_initializer)
        self.gamma_initializer = _initializers.get(gamma_initializer)
        self.beta_regularizer = _regularizers.get(beta_regularizer)
        self.gamma_regularizer = _regularizers.get(gamma_regularizer)
        self.beta_constraint = _constraints.get(beta_constraint)
        self.gamma_constraint = _constraints.get(gamma_constraint)
        self.gamma = self.beta = None

    def _build_gamma_beta(self, shape):
        if self.scale:
            self.gamma = self.add_weight("gamma", shape, self.gamma_initializer, self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight("beta", shape, self.beta_initializer, self.beta_regularizer,
                                        constraint=self.beta_constraint)

    def _axis_error(self, axis, input_shape):
        return ValueError(f"{type(self).__name__} '{self.name}': axis {axis} is out of range for inputs "
                          f"of shape {format_shape(input_shape)} (axes -{len(input_shape)} to "
                          f"{len(input_shape) - 1}, and not the batch axis 0)")

    def compute_output_shape(self, input_shape):
        return input_shape


class BatchNormalization(_GammaBeta):
    """Normalizes each channel with batch statistics in training and moving averages at inference.

    ``training=True`` (as in ``fit``): per channel of ``axis`` (the last by default: features after
    ``Dense``, channels after ``Conv2D``), over every other axis,
        y = gamma * (x - mean(x)) / sqrt(var(x) + epsilon) + beta,
    and the moving statistics are updated (``var`` is the biased batch variance, as in Keras 3):
        moving_mean     = momentum * moving_mean     + (1 - momentum) * mean(x)
        moving_variance = momentum * moving_variance + (1 - momentum) * var(x).
    ``training=False`` (``evaluate``, ``predict``, a plain call): the moving statistics replace
    the batch's.  A frozen layer (``trainable=False``) always runs in inference mode and leaves
    its moving statistics alone, as in Keras 3 (the usual choice when fine-tuning).

    Weights: gamma and beta (trainable, shape (C,), unless ``scale``/``center`` is False) and
    moving_mean, moving_variance (non-trainable, saved with the model).
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, synchronized=False, renorm=False,
                 renorm_clipping=None, renorm_momentum=0.99, **kwargs):
        super().__init__(**kwargs)
        if renorm:
            raise NotImplementedError(f"BatchNormalization '{self.name}': renorm=True (batch "
                                      "renormalization) is not implemented")
        # synchronized only matters across devices, and there is one here; renorm_clipping and
        # renorm_momentum only matter with renorm.  They are accepted so Keras configs load.
        del synchronized, renorm_clipping, renorm_momentum
        self.axis = _check_int_axis(axis, "BatchNormalization")
        if not 0 <= momentum <= 1:
            raise ValueError(f"BatchNormalization: momentum must be in [0, 1], got {momentum!r}")
        if not epsilon > 0:
            raise ValueError(f"BatchNormalization: epsilon must be positive, got {epsilon!r}")
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self._init_gamma_beta(center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                              gamma_regularizer, beta_constraint, gamma_constraint)
        self.moving_mean_initializer = _initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = _initializers.get(moving_variance_initializer)
        self.moving_mean = self.moving_variance = None

    def compute_output_shape(self, input_shape):
        self._positive_axis(input_shape)
        return input_shape

    def _positive_axis(self, input_shape):
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim or self.axis % ndim == 0:
            raise self._axis_error(self.axis, input_shape)
        return self.axis % ndim

    def build(self, input_shape):
        axis = self._positive_axis(input_shape)
        channels = input_shape[axis]
        if channels is None:
            raise ValueError(f"BatchNormalization '{self.name}': the size of axis {self.axis} of the "
                             f"input must be known, got input shape {format_shape(input_shape)}")
        shape = (channels,)
        self._built_shape = tuple(input_shape)
        self._build_gamma_beta(shape)
        self.moving_mean = self.add_weight("moving_mean", shape, self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight("moving_variance", shape,
                                               self.moving_variance_initializer, trainable=False)

    def _check_input(self, shape):
        """Like Keras's InputSpec: the same number of axes, and the channel axis unchanged (the
        other axes, e.g. an image's height and width, may vary)."""
        expected = self._built_shape
        axis = self.axis % len(expected)
        channels = self.moving_mean.shape[0]
        if len(shape) != len(expected) or shape[axis] != channels:
            raise ValueError(f"layer '{self.name}' (BatchNormalization) expects inputs with "
                             f"{len(expected)} axes and axis {self.axis} of size {channels} (built for "
                             f"{format_shape(expected)}), got shape {format_shape(shape)}")

    def call(self, inputs, training=False):
        x = inputs
        if x.dtype != np.float32 and x.dtype != np.float64:
            x = x.astype(np.float32)          # as Keras: never normalize in float16
        axis = self.axis % x.ndim
        if training and self.trainable:
            y, mean, var = _norm.batch_norm_train(x, self.gamma, self.beta, axis=axis,
                                                  epsilon=self.epsilon)
            with no_grad():
                m = self.momentum
                for moving, batch in ((self.moving_mean, mean), (self.moving_variance, var)):
                    moving.assign(moving.data * m + batch.data.astype(moving.dtype) * (1.0 - m))
        else:
            y = _norm.batch_norm(x, self.gamma, self.beta, self.moving_mean, self.moving_variance,
                                 epsilon=self.epsilon, axis=axis)
        return y if y.dtype == inputs.dtype or inputs.dtype.kind != "f" else y.astype(inputs.dtype)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "epsilon": self.epsilon, **_param_config(self),
                "moving_mean_initializer": _initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": _initializers.serialize(self.moving_variance_initializer)}


class LayerNormalization(_GammaBeta):
    """Normalizes each sample over ``axis`` (the last by default; an int or a list of ints):
        y = gamma * (x - mean(x)) / sqrt(var(x) + epsilon) + beta,
    with the mean and the (biased) variance taken per sample over those axes, so it behaves the
    same in training and at inference and does not depend on the batch.  gamma and beta have the
    shape of the input at ``axis`` (e.g. (features,)).  A mask on the input passes on.
    """
    supports_masking = True

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, **kwargs):
        if kwargs.pop("rms_scaling", False):
            raise NotImplementedError("LayerNormalization: rms_scaling=True is not implemented "
                                      "(Keras deprecates it too)")
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            if not axis:
                raise ValueError("LayerNormalization: axis must name at least one axis, got []")
            self.axis = [_check_int_axis(a, "LayerNormalization") for a in axis]
        else:
            self.axis = _check_int_axis(axis, "LayerNormalization")
        if not epsilon > 0:
            raise ValueError(f"LayerNormalization: epsilon must be positive, got {epsilon!r}")
        self.epsilon = float(epsilon)
        self._init_gamma_beta(center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                              gamma_regularizer, beta_constraint, gamma_constraint)
        self._axes = None

    def compute_output_shape(self, input_shape):
        self._positive_axes(input_shape)
        return input_shape

    def _positive_axes(self, input_shape):
        ndim = len(input_shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        out = []
        for a in axes:
            if not -ndim <= a < ndim or a % ndim == 0:
                raise self._axis_error(a, input_shape)
            out.append(a % ndim)
        if len(set(out)) != len(out):
            raise ValueError(f"LayerNormalization '{self.name}': axis {self.axis} names an axis twice "
                             f"for inputs of shape {format_shape(input_shape)}")
        return tuple(sorted(out))

    def build(self, input_shape):
        self._axes = self._positive_axes(input_shape)
        shape = tuple(input_shape[a] for a in self._axes)
        if None in shape:
            raise ValueError(f"LayerNormalization '{self.name}': the sizes of axis {self.axis} of the "
                             f"input must be known, got input shape {format_shape(input_shape)}")
        self._param_shape, self._built_shape = shape, tuple(input_shape)
        self._build_gamma_beta(shape)

    def _check_input(self, shape):
        expected = self._built_shape
        if len(shape) != len(expected) or tuple(shape[a] for a in self._axes) != self._param_shape:
            sizes = ", ".join(f"axis {a} of size {n}" for a, n in zip(self._axes, self._param_shape))
            raise ValueError(f"layer '{self.name}' (LayerNormalization) expects inputs with "
                             f"{len(expected)} axes and {sizes} (built for {format_shape(expected)}), "
                             f"got shape {format_shape(shape)}")

    def call(self, inputs, training=False):
        x = inputs
        if x.dtype != np.float32 and x.dtype != np.float64:
            x = x.astype(np.float32)
        y = _norm.layer_norm(x, self.gamma, self.beta, axis=self._axes, epsilon=self.epsilon)
        return y if y.dtype == inputs.dtype or inputs.dtype.kind != "f" else y.astype(inputs.dtype)

    def get_config(self):
        axis = list(self.axis) if isinstance(self.axis, list) else self.axis
        return {**super().get_config(), "axis": axis, "epsilon": self.epsilon, **_param_config(self)}


class SpatialDropout2D(Layer):
    """Dropout of whole feature maps: in training, each channel of each sample is zeroed with
    probability ``rate`` (all its pixels at once) and the kept ones are scaled by 1 / (1 - rate);
    at inference it does nothing.  Neighbouring pixels are strongly correlated, so dropping
    single pixels (``Dropout``) barely regularizes a convolutional network; dropping channels does.
    Inputs are (N, H, W, C) (``data_format='channels_last'``, the default) or (N, C, H, W).
    """

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float, np.number)) or not 0 <= rate < 1:
            raise ValueError(f"SpatialDropout2D: rate must be a number in [0, 1), got {rate!r}")
        data_format = "channels_last" if data_format is None else data_format
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"SpatialDropout2D: data_format must be 'channels_last' or 'channels_first', "
                             f"got {data_format!r}")
        self.rate, self.data_format, self.seed = float(rate), data_format, seed
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def _check_input(self, shape):
        if len(shape) != 4:
            raise ValueError(f"layer '{self.name}' (SpatialDropout2D) expects 4-D inputs (batch, rows, "
                             f"cols, channels), got shape {format_shape(shape)}")

    def build(self, input_shape):
        self._check_input(input_shape)

    def call(self, inputs, training=False):
        n, a, b, c = inputs.shape
        noise = (n, 1, 1, c) if self.data_format == "channels_last" else (n, a, 1, 1)
        return F.dropout(inputs, self.rate, training=bool(training), rng=self._rng, noise_shape=noise)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "data_format": self.data_format,
                "seed": self.seed}
