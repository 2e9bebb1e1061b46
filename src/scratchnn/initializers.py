"""Initializers: the starting values of weights, with Keras 3 names, defaults and formulas.

    import scratchnn as snn
    init = snn.initializers.GlorotUniform(seed=0)     # or snn.initializers.get("glorot_uniform")
    W = init((784, 128))                              # a float32 numpy array
    W64 = init((784, 128), dtype="float64")

An initializer is a callable ``init(shape, dtype=None) -> numpy.ndarray`` (``dtype``
float32 by default, ``shape`` a tuple or an int). Notation in the docstrings:
``U(a, b)`` is the uniform distribution on ``[a, b)``, ``N(m, s^2)`` the normal
distribution with mean ``m`` and standard deviation ``s``, and ``TN(m, s^2)`` that normal
truncated to ``[m - 2s, m + 2s]`` (values outside are drawn again).

Fans (``compute_fans``) are the number of inputs and outputs a weight connects:

* a matrix ``(n_in, n_out)`` (a ``Dense`` kernel): ``fan_in = n_in``, ``fan_out = n_out``;
* a vector ``(n,)``: ``fan_in = fan_out = n``; a scalar ``()``: ``1``;
* a convolution kernel ``(k_1, ..., k_d, c_in, c_out)`` with receptive field
  ``r = k_1 * ... * k_d``: ``fan_in = c_in * r``, ``fan_out = c_out * r``.

Seeding: an initializer built with ``seed=s`` makes a fresh generator from ``s`` at each
call, so it returns the same values every time (as in Keras 3), and two instances with the
same seed agree. Without a seed it draws from the library's global generator
(``scratchnn.random.generator()``), so ``scratchnn.random.set_seed(s)`` makes a whole script
repeatable while successive calls still differ. (Keras 3 differs here: an unseeded
initializer picks a seed once, at construction, and then repeats its values.)

Random values are drawn in float64 and then cast, so a seeded initializer gives the same
numbers (up to rounding) in float32 and float64.
"""
import math
import numbers

import numpy as np

from .registry import Configurable, Registry
from . import random as _random
from .backend import DEFAULT_FLOAT

#: The standard deviation of a standard normal truncated to [-2, 2]; dividing a truncated
#: normal's scale by it gives the intended standard deviation after truncation.
TRUNCATED_NORMAL_STDDEV = 0.87962566103423978


# ----------------------------------------------------------------- helpers
def _check_real(name, value, low=None, low_open=False, expected=None):
    """``value`` as a float, or a ValueError naming the argument, the expectation and the value."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"`{name}` must be a real number, got {value!r} ({type(value).__name__}).")
    value = float(value)
    bad = not math.isfinite(value) or (low is not None and (value < low or (low_open and value == low)))
    if bad:
        if expected is None:
            expected = ("a finite number" if low is None
                        else f"a finite number {'>' if low_open else '>='} {low:g}")
        raise ValueError(f"`{name}` must be {expected}, got {value!r}.")
    return value


def _check_seed(seed):
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"`seed` must be None or an integer >= 0, got {seed!r}.")
    return int(seed)


def _shape_tuple(shape):
    """``shape`` (an int or a sequence of ints) as a tuple of non-negative ints."""
    if isinstance(shape, (numbers.Integral, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise ValueError(f"`shape` must be an int or a tuple of ints, got {shape!r}.") from None
    out = []
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, (numbers.Integral, np.integer)) or d < 0:
            raise ValueError(f"`shape` must contain integers >= 0, got {shape!r}.")
        out.append(int(d))
    return tuple(out)


def _dtype(dtype, need_float=False):
    dt = DEFAULT_FLOAT if dtype is None else np.dtype(dtype)
    if need_float and dt.kind != "f":
        raise ValueError(f"`dtype` must be a floating-point dtype for a random initializer, got {dt}.")
    return dt


def compute_fans(shape):
    """``(fan_in, fan_out)`` of a weight of ``shape``, as Keras computes them.

    ``()`` -> ``(1, 1)``; ``(n,)`` -> ``(n, n)``; ``(n_in, n_out)`` -> ``(n_in, n_out)``;
    ``(k_1, ..., k_d, c_in, c_out)`` -> ``(c_in * r, c_out * r)`` with ``r = k_1 * ... * k_d``.

        >>> compute_fans((3, 3, 16, 32))
        (144, 288)
    """
    shape = _shape_tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def _truncated_standard_normal(rng, shape):
    """Standard normal draws restricted to [-2, 2]: out-of-range values are re-drawn.

    Vectorised by rounds: each round re-draws, in one call, every value still outside the
    interval (about 4.6% of them), so a million values need about six rounds.
    """
    z = np.asarray(rng.standard_normal(shape))
    flat = z.reshape(-1)
    bad = np.flatnonzero(np.abs(flat) > 2.0)
    while bad.size:
        flat[bad] = rng.standard_normal(bad.size)
        bad = bad[np.abs(flat[bad]) > 2.0]
    return z


# ----------------------------------------------------------------- base classes
class Initializer(Configurable):
    """Base class of the initializers: ``init(shape, dtype=None) -> numpy.ndarray``.

    Subclass it and implement ``__call__(shape, dtype=None)`` (and ``get_config`` if the
    constructor takes arguments) to write your own; any plain function
    ``f(shape, dtype=None)`` works wherever an initializer is expected, too.
    """

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype=None).")


class _RandomInitializer(Initializer):
    """An initializer that draws random numbers: holds ``seed`` and picks the generator."""

    def __init__(self, seed=None):
        self.seed = _check_seed(seed)

    def _rng(self):
        # A fresh generator from the seed at every call (same values each time), else the
        # global one, looked up now so that a later ``set_seed`` takes effect.
        return _random.make_rng(self.seed)

    def get_config(self):
        return {"seed": self.seed}


# ----------------------------------------------------------------- constants
class Zeros(Initializer):
    """All zeros: ``w = 0``."""

    def __call__(self, shape, dtype=None):
        return np.zeros(_shape_tuple(shape), dtype=_dtype(dtype))


class Ones(Initializer):
    """All ones: ``w = 1``."""

    def __call__(self, shape, dtype=None):
        return np.ones(_shape_tuple(shape), dtype=_dtype(dtype))


class Constant(Initializer):
    """Every element equal to a scalar: ``w = value`` (default ``0.0``)."""

    def __init__(self, value=0.0):
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, numbers.Number):
            raise ValueError(f"`value` must be a scalar number, got {value!r} ({type(value).__name__}).")
        self.value = value

    def __call__(self, shape, dtype=None):
        return np.full(_shape_tuple(shape), self.value, dtype=_dtype(dtype))

    def get_config(self):
        return {"value": self.value}


class Identity(Initializer):
    """The identity matrix times ``gain``: ``w_ij = gain`` if ``i == j`` else ``0``.

    Only for 2-D shapes; a non-square ``(n, m)`` gets ones on its main diagonal (``numpy.eye(n, m)``).
    """

    def __init__(self, gain=1.0):
        self.gain = _check_real("gain", gain)

    def __call__(self, shape, dtype=None):
        shape = _shape_tuple(shape)
        if len(shape) != 2:
            raise ValueError(f"Identity: `shape` must be 2-D (a matrix), got {shape} of rank {len(shape)}.")
        return np.asarray(self.gain * np.eye(*shape), dtype=_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


# ----------------------------------------------------------------- random distributions
class RandomNormal(_RandomInitializer):
    """Normal draws: ``w ~ N(mean, stddev^2)``; defaults ``mean = 0``, ``stddev = 0.05``."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = _check_real("mean", mean)
        self.stddev = _check_real("stddev", stddev, 0.0)
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        dt, shape = _dtype(dtype, need_float=True), _shape_tuple(shape)
        return np.asarray(self.mean + self.stddev * self._rng().standard_normal(shape), dtype=dt)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class RandomUniform(_RandomInitializer):
    """Uniform draws: ``w ~ U(minval, maxval)``; defaults ``minval = -0.05``, ``maxval = 0.05``."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = _check_real("minval", minval)
        self.maxval = _check_real("maxval", maxval)
        if self.maxval < self.minval:
            raise ValueError(f"`maxval` must be >= `minval`, got minval={self.minval!r}, "
                             f"maxval={self.maxval!r}.")
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        dt, shape = _dtype(dtype, need_float=True), _shape_tuple(shape)
        return np.asarray(self._rng().uniform(self.minval, self.maxval, shape), dtype=dt)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


class TruncatedNormal(_RandomInitializer):
    """Truncated normal draws: ``w ~ TN(mean, stddev^2)``, i.e. ``N(mean, stddev^2)`` with every
    value outside ``[mean - 2 stddev, mean + 2 stddev]`` drawn again.

    Note that ``stddev`` is the scale of the normal *before* truncation: the values' actual
    standard deviation is ``0.8796 * stddev`` (``VarianceScaling`` corrects for this).
    Defaults ``mean = 0``, ``stddev = 0.05``.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = _check_real("mean", mean)
        self.stddev = _check_real("stddev", stddev, 0.0)
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        dt, shape = _dtype(dtype, need_float=True), _shape_tuple(shape)
        z = _truncated_standard_normal(self._rng(), shape)
        return np.asarray(self.mean + self.stddev * z, dtype=dt)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class VarianceScaling(_RandomInitializer):
    """Draws with variance ``scale / n``, ``n`` depending on the weight's fans.

    With ``(fan_in, fan_out) = compute_fans(shape)``::

        n = max(1, fan_in)                 mode = "fan_in"   (default)
        n = max(1, fan_out)                mode = "fan_out"
        n = max(1, (fan_in + fan_out)/2)   mode = "fan_avg"

    and then, by ``distribution``::

        "truncated_normal" (default):  w ~ TN(0, s^2),  s = sqrt(scale / n) / 0.87962566103423978
        "untruncated_normal":          w ~ N(0, scale / n)
        "uniform":                     w ~ U(-limit, limit),  limit = sqrt(3 * scale / n)

    All three have variance ``scale / n``: the truncated normal's scale is divided by the
    standard deviation of a standard normal truncated to [-2, 2] (0.8796...), so the values
    after truncation have standard deviation ``sqrt(scale / n)``; a uniform on
    ``[-limit, limit]`` has variance ``limit^2 / 3``. ``distribution="normal"`` is accepted as
    Keras's alias of ``"truncated_normal"``.
    """

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        self.scale = _check_real("scale", scale, 0.0, low_open=True)
        if mode not in self._MODES:
            raise ValueError(f"`mode` must be one of {list(self._MODES)}, got {mode!r}.")
        dist = distribution.lower() if isinstance(distribution, str) else distribution
        if dist == "normal":
            dist = "truncated_normal"
        if dist not in self._DISTRIBUTIONS:
            raise ValueError(f"`distribution` must be one of {list(self._DISTRIBUTIONS)} (or 'normal'), "
                             f"got {distribution!r}.")
        self.mode = mode
        self.distribution = dist
        super().__init__(seed)

    def variance(self, shape):
        """The target variance ``scale / n`` for a weight of ``shape``."""
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        return self.scale / max(1.0, n)

    def __call__(self, shape, dtype=None):
        dt, shape = _dtype(dtype, need_float=True), _shape_tuple(shape)
        var = self.variance(shape)
        rng = self._rng()
        if self.distribution == "truncated_normal":
            w = (math.sqrt(var) / TRUNCATED_NORMAL_STDDEV) * _truncated_standard_normal(rng, shape)
        elif self.distribution == "untruncated_normal":
            w = math.sqrt(var) * rng.standard_normal(shape)
        else:
            limit = math.sqrt(3.0 * var)
            w = rng.uniform(-limit, limit, shape)
        return np.asarray(w, dtype=dt)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                **super().get_config()}


class _NamedVarianceScaling(VarianceScaling):
    """A ``VarianceScaling`` with fixed arguments: only ``seed`` is configurable."""
    _ARGS = {}

    def __init__(self, seed=None):
        super().__init__(seed=seed, **self._ARGS)

    def get_config(self):
        return {"seed": self.seed}


class GlorotUniform(_NamedVarianceScaling):
    """Glorot (Xavier) uniform: ``w ~ U(-limit, limit)``, ``limit = sqrt(6 / (fan_in + fan_out))``.

    ``VarianceScaling(scale=1, mode="fan_avg", distribution="uniform")``; the variance is
    ``2 / (fan_in + fan_out)``. The default kernel initializer of Keras's layers. PyTorch's
    ``xavier_uniform_`` (gain 1) uses the same bound.
    """
    _ARGS = {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}


class GlorotNormal(_NamedVarianceScaling):
    """Glorot (Xavier) normal: truncated normal with standard deviation ``sqrt(2 / (fan_in + fan_out))``.

    ``VarianceScaling(scale=1, mode="fan_avg", distribution="truncated_normal")``. PyTorch's
    ``xavier_normal_`` has the same standard deviation but draws an untruncated normal.
    """
    _ARGS = {"scale": 1.0, "mode": "fan_avg", "distribution": "truncated_normal"}


class HeNormal(_NamedVarianceScaling):
    """He (Kaiming) normal: truncated normal with standard deviation ``sqrt(2 / fan_in)``.

    ``VarianceScaling(scale=2, mode="fan_in", distribution="truncated_normal")`` (Keras 3
    truncates). PyTorch's ``kaiming_normal_(nonlinearity="relu")`` has the same standard
    deviation but draws an untruncated normal.
    """
    _ARGS = {"scale": 2.0, "mode": "fan_in", "distribution": "truncated_normal"}


class HeUniform(_NamedVarianceScaling):
    """He (Kaiming) uniform: ``w ~ U(-limit, limit)``, ``limit = sqrt(6 / fan_in)``.

    ``VarianceScaling(scale=2, mode="fan_in", distribution="uniform")``; the same bound as
    PyTorch's ``kaiming_uniform_(nonlinearity="relu")``. (PyTorch's *default* ``Linear``
    initialisation is ``kaiming_uniform_(a=sqrt(5))``, i.e. ``limit = sqrt(1 / fan_in)``.)
    """
    _ARGS = {"scale": 2.0, "mode": "fan_in", "distribution": "uniform"}


class LecunNormal(_NamedVarianceScaling):
    """LeCun normal: truncated normal with standard deviation ``sqrt(1 / fan_in)`` (used with SELU).

    ``VarianceScaling(scale=1, mode="fan_in", distribution="truncated_normal")``.
    """
    _ARGS = {"scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal"}


class LecunUniform(_NamedVarianceScaling):
    """LeCun uniform: ``w ~ U(-limit, limit)``, ``limit = sqrt(3 / fan_in)``.

    ``VarianceScaling(scale=1, mode="fan_in", distribution="uniform")``.
    """
    _ARGS = {"scale": 1.0, "mode": "fan_in", "distribution": "uniform"}


class Orthogonal(_RandomInitializer):
    """A (semi-)orthogonal matrix times ``gain``, from the QR decomposition of a normal matrix.

    The shape is seen as a matrix of ``rows = prod(shape[:-1])`` by ``cols = shape[-1]``
    (a conv kernel's filters are its columns). With ``A ~ N(0, 1)`` of shape
    ``(max(rows, cols), min(rows, cols))`` and ``A = Q R``::

        Q <- Q * sign(diag(R))           (each column's sign fixed, so Q is uniformly distributed)
        W = gain * Q        if rows >= cols:   W^T W = gain^2 I  (orthonormal columns)
        W = gain * Q^T      if rows <  cols:   W W^T = gain^2 I  (orthonormal rows)

    reshaped to ``shape``. Needs a shape of rank >= 2.
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = _check_real("gain", gain)
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        dt, shape = _dtype(dtype, need_float=True), _shape_tuple(shape)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: `shape` must have rank >= 2, got {shape} of rank {len(shape)}.")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.where(np.diag(r) < 0, -1.0, 1.0)
        if rows < cols:
            q = q.T
        return np.asarray((self.gain * q).reshape(shape), dtype=dt)

    def get_config(self):
        return {"gain": self.gain, **super().get_config()}


# ----------------------------------------------------------------- lower-case aliases (as Keras)
zeros = Zeros
ones = Ones
constant = Constant
identity = Identity
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_normal = HeNormal
he_uniform = HeUniform
lecun_normal = LecunNormal
lecun_uniform = LecunUniform
orthogonal = Orthogonal

_CLASSES = (Zeros, Ones, Constant, Identity, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling,
            GlorotUniform, GlorotNormal, HeNormal, HeUniform, LecunNormal, LecunUniform, Orthogonal)
_SNAKE = {"zeros": Zeros, "ones": Ones, "constant": Constant, "identity": Identity,
          "random_normal": RandomNormal, "random_uniform": RandomUniform,
          "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling,
          "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal, "he_normal": HeNormal,
          "he_uniform": HeUniform, "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform,
          "orthogonal": Orthogonal}
#: Keras's short aliases, accepted besides the snake_case and class names.
_ALIASES = {"zero": Zeros, "one": Ones, "normal": RandomNormal, "uniform": RandomUniform,
            "OrthogonalInitializer": Orthogonal, "IdentityInitializer": Identity}


#: The initializer names: snake_case names listed, class names and Keras's aliases accepted too.
INITIALIZERS = Registry("initializer", base=Initializer, example="GlorotUniform",
                        callable_form="f(shape, dtype)")
for _name, _cls in _SNAKE.items():
    INITIALIZERS.add(_cls, _name)
for _name, _cls in {**{c.__name__: c for c in _CLASSES}, **_ALIASES}.items():
    INITIALIZERS.alias(_name, _cls)
del _name, _cls


def serialize(initializer):
    """``{"class_name": ..., "config": ...}`` of an ``Initializer``; ``deserialize``/``get`` rebuild it."""
    return INITIALIZERS.serialize(initializer)


def deserialize(config):
    """Build an initializer from ``serialize``'s dict (or from a name)."""
    return INITIALIZERS.deserialize(config)


def get(identifier):
    """Resolve ``identifier`` to an initializer, as ``keras.initializers.get`` does.

    * ``None``: ``None``;
    * a name such as ``"glorot_uniform"`` or ``"GlorotUniform"``: a new instance, default arguments;
    * a config dict ``{"class_name": "RandomNormal", "config": {"stddev": 0.1}}``;
    * an ``Initializer`` subclass: a new instance; an instance: returned as is;
    * any other callable ``f(shape, dtype=None)``: returned as is.
    """
    return INITIALIZERS.get(identifier)


__all__ = ["Initializer", "Zeros", "Ones", "Constant", "Identity", "RandomNormal", "RandomUniform",
           "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform",
           "LecunNormal", "LecunUniform", "Orthogonal", *_SNAKE, "compute_fans", "get", "serialize",
           "deserialize"]
