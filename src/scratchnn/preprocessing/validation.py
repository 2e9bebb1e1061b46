"""Pieces shared by the preprocessing modules: the transformer base class and input checks.

* ``NotFittedError`` and ``Fittable``, the base class of every transformer (the
  encoders and the scalers): a readable ``repr``, ``fit_transform`` and the
  "fitted yet?" check;
* input checks that turn what the user passed into NumPy arrays, with clear error
  messages: ``as_array``, ``check_2d``, ``check_labels``, ``num_samples``,
  ``check_positive_int``;
* ``check_random_state``: a ``random_state`` argument (``None``, an ``int`` seed or
  a ``numpy.random.Generator``) as a ``numpy.random.Generator``;
* ``preview``: the first few values of an array, for error messages.
"""
import numbers

import numpy as np

from .. import random as _random
from ..autograd import Tensor
from ..utils import array_chunks

__all__ = ["NotFittedError", "Fittable", "as_array", "preview", "num_samples", "check_positive_int",
           "check_random_state", "check_2d", "check_labels"]


class NotFittedError(RuntimeError):
    """Raised when ``transform`` (or a similar method) is called before ``fit``."""


def as_array(x):
    """``x`` as a NumPy array (a ``Tensor`` gives its data, a list becomes an array)."""
    if isinstance(x, Tensor):
        x = x.data
    return np.asarray(x)


def preview(values, limit=5):
    """The first ``limit`` values of ``values`` as a short readable list, for error messages."""
    values = list(np.asarray(values, dtype=object).ravel())
    shown = ", ".join(repr(v.item() if isinstance(v, np.generic) else v) for v in values[:limit])
    more = f", ... ({len(values)} in all)" if len(values) > limit else ""
    return f"[{shown}{more}]"


def num_samples(x, name, who):
    """The length of the first axis of ``x`` (the number of samples)."""
    shape = getattr(x, "shape", None)
    if shape is not None:
        if len(shape) == 0:
            raise ValueError(f"{who}: {name} must have at least one axis (one entry per sample), "
                             f"got a scalar")
        return int(shape[0])
    try:
        return len(x)
    except TypeError:
        raise TypeError(f"{who}: {name} must be array-like with one entry per sample, "
                        f"got {type(x).__name__}") from None


def check_positive_int(value, name, who, minimum=1):
    """``value`` as an ``int``, checked to be an integer (not a bool) of at least ``minimum``."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{who}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_random_state(random_state, who):
    """A ``numpy.random.Generator`` for ``random_state``.

    ``None`` draws from scratchnn's global generator (which ``scratchnn.utils.set_random_seed``
    reseeds), an ``int`` is a seed for a new generator, and a ``numpy.random.Generator``
    is used as it is.
    """
    if random_state is None:
        return _random.generator()       # looked up now: set_random_seed replaces the generator
    if isinstance(random_state, np.random.Generator):
        return random_state
    if (isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool)
            and random_state >= 0):
        return np.random.default_rng(int(random_state))
    raise ValueError(f"{who}: random_state must be None, a non-negative int or a numpy.random.Generator, "
                     f"got {random_state!r}")


def check_2d(X, who, numeric):
    """``X`` as a 2-D array (samples x features); numeric and finite if ``numeric``."""
    X = as_array(X)
    if X.ndim != 2:
        hint = " (for a single feature use X.reshape(-1, 1))" if X.ndim == 1 else ""
        raise ValueError(f"{who}: X must be a 2-D array of shape (n_samples, n_features), "
                         f"got shape {X.shape}{hint}")
    if numeric:
        if X.dtype.kind not in "biuf":
            raise ValueError(f"{who}: X must hold numbers (bool, int or float), got dtype {X.dtype}")
        bad = 0 if X.dtype.kind != "f" else sum(      # in chunks: no array of X's size is added
            chunk.size - int(np.count_nonzero(np.isfinite(chunk))) for _, chunk in array_chunks(X))
        if bad:
            raise ValueError(f"{who}: X contains {bad} NaN or infinite values; remove or impute them first")
    return X


def check_labels(y, who):
    """Labels as a 1-D array (a trailing axis of length 1, as in ``y.reshape(-1, 1)``, is dropped)."""
    y = as_array(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{who}: y must be a 1-D array of labels, got shape {y.shape}")
    return y


class Fittable:
    """Shared plumbing: a readable ``repr``, ``fit_transform`` and the "fitted yet?" check.

    A subclass sets ``repr_params`` (the constructor arguments that ``repr`` shows) and
    ``fitted_attribute`` (an attribute that ``fit`` creates), and its ``transform`` starts
    with ``self.check_fitted("transform")`` (and ``self.check_n_features(X, who)`` for 2-D input).
    """
    repr_params = ()            # constructor arguments, shown by repr
    fitted_attribute = ""       # an attribute that exists only after fit

    def __repr__(self):
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.repr_params)
        return f"{type(self).__name__}({args})"

    def check_fitted(self, method):
        """Raise ``NotFittedError`` if ``fit`` has not been called yet (``method``: for the message)."""
        if not hasattr(self, self.fitted_attribute):
            raise NotFittedError(f"{type(self).__name__}.{method}: this {type(self).__name__} is not fitted "
                                 f"yet; call fit(...) (or fit_transform(...)) first")

    def check_n_features(self, X, who):
        """Raise ``ValueError`` unless ``X`` has as many columns as the data given to ``fit``."""
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"{who}: X has {X.shape[1]} features (columns), but this "
                             f"{type(self).__name__} was fitted with {self.n_features_in_} features")

    def fit_transform(self, X, y=None):
        """``fit(X)`` then ``transform(X)`` in one call (``y`` is ignored)."""
        return self.fit(X).transform(X)
