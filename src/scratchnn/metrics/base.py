"""The ``Metric`` base class and the running reductions ``Mean``, ``Sum`` and ``MeanMetricWrapper``.

A metric is a small accumulator: ``update_state`` folds one batch into its state,
``result()`` reads the value over everything seen since the last ``reset_state()``.
Everything here is plain NumPy, vectorised over the batch.

Numbers: per-sample values are computed in the metric's ``dtype`` (float32 by
default, Keras's ``floatx``), the running sums are kept in float64 (so an epoch of
thousands of batches loses nothing to rounding), and ``result()`` rounds the value
to ``dtype`` before returning it as a Python float (or an ndarray for per-class or
per-threshold results).  So ``Precision`` reports ``float(np.float32(2 / 3))``,
exactly what Keras reports, and ``dtype='float64'`` gives full precision.
"""
import re

import numpy as np

from .. import initializers as _initializers
from ..backend import DEFAULT_FLOAT
from ..layers.variable import Variable
from .arrays import as_array, match_ranks
from .per_sample import PER_SAMPLE_FUNCTIONS


# ------------------------------------------------------------------ helpers
def snake_case(name):
    """``'TopKCategoricalAccuracy'`` -> ``'top_k_categorical_accuracy'``, ``'AUC'`` -> ``'auc'``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", re.sub(r"\W+", "", name))
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def float_dtype(dtype, who):
    """The NumPy floating dtype named by ``dtype`` (None: float32)."""
    if dtype is None:
        return DEFAULT_FLOAT
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.kind != "f":
        raise ValueError(f"{who}: dtype must be a floating-point type such as 'float32' or 'float64', "
                         f"got {dtype!r}")
    return dt


def divide_no_nan(num, den):
    """``num / den`` elementwise, 0 where ``den`` is 0 (Keras's ``divide_no_nan``)."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    safe = np.where(den == 0, 1.0, den)
    return np.where(den == 0, 0.0, num / safe)


def _per_sample_sum(x, how):
    """Reduce every axis but the first (``how`` is 'mean' or 'sum'); 0-D and 1-D are returned as is."""
    if x.ndim <= 1:
        return x
    x = x.reshape(x.shape[0], -1)
    return x.mean(axis=1) if how == "mean" else x.sum(axis=1)


def weighted_totals(values, sample_weight, dtype, who, how="mean"):
    """``(total, count)`` of one batch of ``values`` as Python floats (float64 arithmetic).

    * no weights: every sample (first axis) counts once; a sample holding several values
      contributes their mean (``how='mean'``) or their sum (``'sum'``); a 0-D value is one sample;
    * ``sample_weight`` of the batch's shape, or of its first axes, or with a trailing axis of 1:
      the values are reduced to the weight's rank, then ``total = sum(w * v)`` and
      ``count = sum(w)`` (weights over several axes are averaged per sample first, as Keras);
    * a scalar ``sample_weight`` applies to every sample.  (Keras instead counts a whole batch
      once with weight ``w`` here; broadcasting keeps the epoch value a per-sample mean.)
    """
    v = as_array(values, dtype)
    if sample_weight is None:
        if v.ndim == 0:
            return float(v), 1.0
        return float(np.sum(_per_sample_sum(v, how), dtype=np.float64)), float(v.shape[0])
    w = as_array(sample_weight, np.float64)
    if w.ndim == 0 or w.size == 1 and w.ndim <= max(v.ndim, 1):
        w = float(w.reshape(()))
        if v.ndim == 0:
            return float(v) * w, w
        s = _per_sample_sum(v.astype(np.float64), how)
        return w * float(s.sum()), w * s.shape[0]
    v, w = match_ranks(v.astype(np.float64), w)
    if v.ndim > w.ndim:
        axes = tuple(range(w.ndim, v.ndim))
        v = v.mean(axis=axes) if how == "mean" else v.sum(axis=axes)
    try:
        w = np.broadcast_to(w, v.shape)
    except ValueError:
        raise ValueError(f"{who}: sample_weight of shape {np.shape(sample_weight)} does not match the "
                         f"batch: per-sample values of shape {np.shape(values)} "
                         f"({np.shape(values)[0] if np.ndim(values) else 1} samples)") from None
    total = float(np.sum(_per_sample_sum(v * w, how)))
    count = float(np.sum(_per_sample_sum(w, "mean")))
    return total, count


# --------------------------------------------------------------- the base class
class Metric:
    """Base class of all metrics: a running statistic over the batches of an epoch.

    * ``update_state(y_true, y_pred, sample_weight=None)`` folds one batch in;
    * ``result()`` returns the value so far: a Python float, or an ndarray for
      per-class / per-threshold results; before any update it is 0.0 (as Keras);
    * ``reset_state()`` forgets everything (a training loop calls it at each epoch start);
    * ``metric(y_true, y_pred, sample_weight=None)`` updates and returns ``result()``,
      as Keras's ``Metric.__call__`` does (it does *not* compute a one-batch value);
    * ``get_config()`` / ``from_config(config)`` rebuild an equivalent, empty metric.

    ``name`` is the key under which the value is logged (default: the class name in
    snake_case); ``dtype`` is the floating type of the per-sample values and of the result.
    Subclasses implement the three state methods.
    """

    def __init__(self, name=None, dtype=None):
        self.name = name if name is not None else snake_case(type(self).__name__)
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"{type(self).__name__}: name must be a non-empty string, got {name!r}")
        self._dtype = float_dtype(dtype, self.name)

    @property
    def dtype(self):
        """The metric's floating dtype, as a string (``'float32'``)."""
        return self._dtype.name

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement update_state")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result")

    def reset_state(self):
        """Without an override: every state variable (``add_variable``) back to zeros, as Keras."""
        variables = self.__dict__.get("_state_variables")
        if not variables:
            raise NotImplementedError(f"{type(self).__name__} must implement reset_state")
        for variable in variables:
            variable.assign(np.zeros_like(variable.data))

    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="sum", name=None):
        """A state variable for a custom metric (Keras 3's ``add_variable``; ``add_weight`` is the
        tf.keras 2 name, with ``name`` first): a non-trainable ``Variable`` holding the
        initializer's values, with ``assign``, ``assign_add``, ``assign_sub``, ``value`` and
        ``numpy()``. ``aggregation`` (how distributed replicas combine it) is accepted and unused."""
        shape = tuple(shape) if isinstance(shape, (tuple, list)) else (() if shape is None else (int(shape),))
        dtype = np.dtype(dtype) if dtype is not None else self._dtype
        values = np.asarray(_initializers.get(initializer)(shape, dtype=dtype), dtype=dtype)
        variable = Variable(values, name or f"variable_{len(self.variables)}", trainable=False)
        self.__dict__.setdefault("_state_variables", []).append(variable)
        return variable

    def add_weight(self, name=None, shape=(), aggregation="sum", initializer="zeros", dtype=None):
        """``add_variable`` with tf.keras 2's argument order (``name`` first)."""
        return self.add_variable(shape, initializer, dtype, aggregation, name)

    @property
    def variables(self):
        """The state variables made with ``add_variable``/``add_weight``."""
        return list(self.__dict__.get("_state_variables", ()))

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def _output(self, value):
        """``value`` rounded to ``dtype``: a Python float if 0-D, else an ndarray."""
        arr = np.asarray(value, dtype=self._dtype)
        return float(arr) if arr.ndim == 0 else arr

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


# ----------------------------------------------------------- running reductions
class Sum(Metric):
    """Weighted running sum: ``total += sum(w_i * v_i)`` (``w_i = 1`` without weights).

    ``update_state(values, sample_weight=None)``; ``result() = total``.
    ``Sum()([1, 3, 5, 7])`` is 16.0; with ``sample_weight=[1, 1, 0, 0]`` it is 4.0.
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def reset_state(self):
        self.total = 0.0

    def update_state(self, values, sample_weight=None):
        total, _ = weighted_totals(values, sample_weight, self._dtype, self.name, how="sum")
        self.total += total

    def result(self):
        return self._output(self.total)


class Mean(Metric):
    """Weighted running mean: ``total += sum(w_i * v_i)``, ``count += sum(w_i)``,
    ``result() = total / count`` (0.0 while ``count`` is 0).

    ``update_state(values, sample_weight=None)``.  The first axis of ``values`` is the
    batch; a sample with several values contributes their mean.  ``Mean()([1, 3, 5, 7])``
    is 4.0; with ``sample_weight=[1, 1, 0, 0]`` it is 2.0.  A scalar value with a scalar
    weight (``update_state(batch_loss, sample_weight=batch_size)``) adds ``w * v`` and ``w``.
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None):
        if isinstance(values, (float, int, np.floating, np.integer)) and (
                sample_weight is None or isinstance(sample_weight, (float, int, np.floating, np.integer))):
            w = 1.0 if sample_weight is None else float(sample_weight)     # fast path: a batch loss
            self.total += float(self._dtype.type(values)) * w
            self.count += w
            return
        total, count = weighted_totals(values, sample_weight, self._dtype, self.name)
        self.total += total
        self.count += count

    def result(self):
        return self._output(self.total / self.count if self.count != 0 else 0.0)


class MeanMetricWrapper(Mean):
    """The weighted mean, over every sample seen, of a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    Each batch adds ``sum(w_i * fn(y_true, y_pred)_i)`` to ``total`` and ``sum(w_i)`` to
    ``count`` (``w_i = 1`` without weights), so the epoch value is the mean over all
    samples, not a mean of batch means.  ``fn`` returns one value per sample (shape
    ``(N,)``), or more (``(N, T)``: each sample contributes their mean); it may take NumPy
    arrays or return a Tensor.  ``name`` defaults to ``fn.__name__``.
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise ValueError(f"MeanMetricWrapper: fn must be callable, got {fn!r}")
        if name is None:
            name = getattr(fn, "__name__", None) or "mean_metric_wrapper"
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        try:
            values = self._fn(y_true, y_pred, **self._fn_kwargs)
        except ValueError as e:
            raise ValueError(f"metric {self.name!r}: {e}") from None
        total, count = weighted_totals(values, sample_weight, self._dtype, f"metric {self.name!r}")
        self.total += total
        self.count += count

    def get_config(self):
        config = super().get_config()
        config["fn"] = PER_SAMPLE_FUNCTIONS.name_of(self._fn) or getattr(self._fn, "__name__", self._fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" not in config:                  # a subclass that fixes its own function
            return cls(**config)
        fn = config.pop("fn")
        if isinstance(fn, str):
            found = PER_SAMPLE_FUNCTIONS.find(fn)
            if found is None:
                raise ValueError(f"MeanMetricWrapper.from_config: {PER_SAMPLE_FUNCTIONS.unknown(fn)}")
            fn = found
        return cls(fn, **config)
