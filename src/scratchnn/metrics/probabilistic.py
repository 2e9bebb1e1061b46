"""The cross-entropy losses as metrics (Keras's ``metrics.BinaryCrossentropy`` and kin): the epoch's
weighted mean of the per-sample loss, to watch the loss on held-out data or next to another loss.

The per-sample values are those of ``scratchnn.functional``'s losses (``reduction='none'``):

* ``BinaryCrossentropy``: ``-[t log p + (1 - t) log(1 - p)]`` averaged over the last axis;
* ``CategoricalCrossentropy``: ``-sum_k t_k log p_k`` for one-hot (or soft) targets;
* ``SparseCategoricalCrossentropy``: ``-log p_y`` for integer class labels ``y``.

Probabilities are clipped to ``[1e-7, 1 - 1e-7]`` as in Keras; ``from_logits=True`` takes logits.
"""
from .. import functional as F
from ..autograd import no_grad
from .base import MeanMetricWrapper

__all__ = ["BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy"]


def _values(loss, y_true, y_pred, **kwargs):
    with no_grad():
        return loss(y_true, y_pred, reduction="none", **kwargs).data


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    return _values(F.binary_crossentropy, y_true, y_pred, from_logits=from_logits,
                   label_smoothing=label_smoothing)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    return _values(F.categorical_crossentropy, y_true, y_pred, from_logits=from_logits,
                   label_smoothing=label_smoothing)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    return _values(F.sparse_categorical_crossentropy, y_true, y_pred, from_logits=from_logits)


class _Crossentropy(MeanMetricWrapper):
    function = None

    def __init__(self, name=None, dtype=None, **kwargs):
        fn = type(self).function
        super().__init__(fn, name=name or fn.__name__, dtype=dtype, **kwargs)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}


class BinaryCrossentropy(_Crossentropy):
    """The weighted mean of the binary cross-entropy over all samples."""
    function = staticmethod(binary_crossentropy)

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0.0):
        super().__init__(name, dtype, from_logits=bool(from_logits), label_smoothing=float(label_smoothing))


class CategoricalCrossentropy(_Crossentropy):
    """The weighted mean of the categorical cross-entropy (one-hot targets) over all samples."""
    function = staticmethod(categorical_crossentropy)

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False, label_smoothing=0.0,
                 axis=-1):
        if axis != -1:
            raise ValueError(f"CategoricalCrossentropy: only axis=-1 (classes last) is supported, "
                             f"got {axis!r}")
        super().__init__(name, dtype, from_logits=bool(from_logits), label_smoothing=float(label_smoothing))


class SparseCategoricalCrossentropy(_Crossentropy):
    """The weighted mean of the sparse categorical cross-entropy (integer labels) over all samples."""
    function = staticmethod(sparse_categorical_crossentropy)

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False, axis=-1):
        if axis != -1:
            raise ValueError(f"SparseCategoricalCrossentropy: only axis=-1 (classes last) is supported, "
                             f"got {axis!r}")
        super().__init__(name, dtype, from_logits=bool(from_logits))
