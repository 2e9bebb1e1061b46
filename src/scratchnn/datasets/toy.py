"""Seedable toy datasets for teaching: logic gates, spirals, moons, circles, blobs, regressions,
and images of shapes with per-pixel labels (``shapes``, for segmentation).

    from scratchnn.datasets import moons, spirals, logic_gate, linear_regression
    x, y = logic_gate("xor")                      # x float32 (4, 2), y float32 (4, 1)
    x, y = moons(500, noise=0.1, random_state=0)  # x float32 (500, 2), y int64 (500,)
    x, y = linear_regression(200, slope=3.0)      # x, y float32 (200, 1)

Classification generators return ``x`` float32 of shape (n, 2) (``blobs``: (n, n_features)) and
``y`` int64 labels of shape (n,); regression generators return ``x`` and ``y`` float32 of shape
(n, 1). ``random_state`` is an int (a fresh ``numpy.random.default_rng(seed)``), a
``numpy.random.Generator`` (used and advanced) or None: scratchnn's global generator
(``scratchnn.random.generator()``), so ``scratchnn.utils.set_random_seed(s)`` makes a script that
draws its data with None repeatable. Invalid arguments raise ``ValueError`` naming the argument
and the value.

``moons`` and ``circles`` draw the same point sets as scikit-learn's ``make_moons`` and
``make_circles`` (same class sizes for odd ``n_samples``: class 0 gets ``n // 2``), though not the
same shuffling or noise for a given seed.
"""
import numbers

import numpy as np

from .. import random as _random

LOGIC_GATES = ("and", "or", "nand", "nor", "xor")

_TRUTH_TABLES = {  # outputs for the inputs (0, 0), (0, 1), (1, 0), (1, 1)
    "and": (0, 0, 0, 1),
    "or": (0, 1, 1, 1),
    "nand": (1, 1, 1, 0),
    "nor": (1, 0, 0, 0),
    "xor": (0, 1, 1, 0),
}


# ----------------------------------------------------------------------------- argument checks

def _rng(random_state):
    if random_state is None:
        return _random.generator()  # looked up on each call: set_seed replaces the generator
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool) \
            and random_state >= 0:
        return np.random.default_rng(int(random_state))
    raise ValueError("random_state must be None, a non-negative int or a numpy.random.Generator, "
                     f"got {random_state!r}")


def _count(name, value, minimum=1):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _real(name, value, minimum=None, allow_none=False, positive=False):
    if value is None and allow_none:
        return None
    try:
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(float(value))
    except OverflowError:  # an int too large for a float
        ok = False
    if not ok or (minimum is not None and value < minimum) or (positive and value <= 0):
        bound = " > 0" if positive else f" >= {minimum}" if minimum is not None else ""
        also = " or None" if allow_none else ""
        raise ValueError(f"{name} must be a finite number{bound}{also}, got {value!r}")
    return float(value)


def _floats(value):
    """``value`` as a float64 array, or None if it is not an array of finite numbers."""
    if isinstance(value, (str, bytes, bool)):
        return None
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array if np.isfinite(array).all() else None


def _interval(name, value):
    try:
        low, high = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high) with low < high, got {value!r}") from None
    _real(f"{name}[0]", low), _real(f"{name}[1]", high)
    if not low < high:
        raise ValueError(f"{name} must be a pair (low, high) with low < high, got {value!r}")
    return float(low), float(high)


def _finish(x, y, shuffle, noise, rng):
    """Shuffle the rows (if asked), add Gaussian noise (if any), cast: ``(float32 x, int64 y)``."""
    if shuffle:
        order = rng.permutation(len(y))
        x, y = x[order], y[order]
    if noise is not None:
        x = x + rng.normal(0.0, noise, size=x.shape)
    return x.astype(np.float32), y.astype(np.int64)


# ----------------------------------------------------------------------------- classification

def logic_gate(name):
    """The truth table of a two-input logic gate: ``"and"``, ``"or"``, ``"nand"``, ``"nor"`` or
    ``"xor"`` (case-insensitive). Returns ``x``: float32 (4, 2), the inputs (0, 0), (0, 1),
    (1, 0), (1, 1) in that order, and ``y``: float32 (4, 1), the gate's output for each (XOR is
    the classic problem that no single-layer perceptron solves)."""
    key = name.strip().lower() if isinstance(name, str) else None
    if key not in _TRUTH_TABLES:
        raise ValueError(f"unknown logic gate {name!r}; expected one of {list(LOGIC_GATES)}")
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array(_TRUTH_TABLES[key], dtype=np.float32).reshape(4, 1)
    return x, y


def spirals(n_samples=200, noise=0.2, turns=1.5, shuffle=True, random_state=None):
    """Two interleaved spirals (the "two-spirals" problem), labels 0 and 1.

    Arm ``k`` is the Archimedean spiral ``r = theta / pi`` for ``theta`` in
    ``[0, 2 pi turns]``, rotated by ``k pi``: in polar coordinates a point of arm ``k`` at radius
    ``r`` has angle ``pi r + k pi`` (mod 2 pi), so along any ray from the origin the two arms
    alternate, 1 apart. Positions along each arm are drawn at random, roughly uniformly in arc
    length (``theta = 2 pi turns sqrt(u)``, ``u`` uniform), then Gaussian noise with standard
    deviation ``noise`` is added to each coordinate. Class 0 gets ``n_samples - n_samples // 2``
    points, class 1 ``n_samples // 2``. Returns ``x`` float32 (n, 2), ``y`` int64 (n,).
    """
    n = _count("n_samples", n_samples)
    noise = _real("noise", noise, minimum=0)
    turns = _real("turns", turns, positive=True)
    rng = _rng(random_state)
    y = np.repeat([0, 1], [n - n // 2, n // 2])
    theta = 2 * np.pi * turns * np.sqrt(rng.uniform(size=n))
    radius = theta / np.pi
    angle = theta + np.pi * y
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return _finish(x, y, shuffle, noise, rng)


def moons(n_samples=100, noise=None, shuffle=True, random_state=None):
    """Two interleaving half circles (scikit-learn's ``make_moons`` geometry).

    Class 0 (``n_samples // 2`` points): the upper half of the unit circle, angles evenly spaced
    from 0 to pi inclusive. Class 1 (the other ``n_samples - n_samples // 2``): the lower half
    circle centred at (1, 0.5), ``(1 - cos a, 0.5 - sin a)`` for the same kind of angles. Gaussian
    noise with standard deviation ``noise`` is added to each coordinate unless ``noise`` is None.
    Returns ``x`` float32 (n, 2), ``y`` int64 (n,).
    """
    n = _count("n_samples", n_samples)
    noise = _real("noise", noise, minimum=0, allow_none=True)
    rng = _rng(random_state) if shuffle or noise is not None else None
    n_upper = n // 2
    a_upper = np.linspace(0.0, np.pi, n_upper)
    a_lower = np.linspace(0.0, np.pi, n - n_upper)
    x = np.concatenate([np.stack([np.cos(a_upper), np.sin(a_upper)], axis=1),
                        np.stack([1.0 - np.cos(a_lower), 0.5 - np.sin(a_lower)], axis=1)])
    y = np.repeat([0, 1], [n_upper, n - n_upper])
    return _finish(x, y, shuffle, noise, rng)


def circles(n_samples=100, noise=None, factor=0.8, shuffle=True, random_state=None):
    """A circle inside a larger one (scikit-learn's ``make_circles`` geometry).

    Class 0 (``n_samples // 2`` points): the unit circle; class 1 (the other
    ``n_samples - n_samples // 2``): the circle of radius ``factor`` (0 <= factor < 1), both
    centred at the origin, with angles evenly spaced on [0, 2 pi) (the end point left out).
    Gaussian noise with standard deviation ``noise`` is added to each coordinate unless ``noise``
    is None. Returns ``x`` float32 (n, 2), ``y`` int64 (n,).
    """
    n = _count("n_samples", n_samples)
    noise = _real("noise", noise, minimum=0, allow_none=True)
    factor = _real("factor", factor, minimum=0)
    if factor >= 1:
        raise ValueError(f"factor must be in [0, 1), got {factor!r}")
    rng = _rng(random_state) if shuffle or noise is not None else None
    n_outer = n // 2
    parts = []
    for count, radius in ((n_outer, 1.0), (n - n_outer, factor)):
        angle = np.linspace(0.0, 2 * np.pi, count, endpoint=False)
        parts.append(radius * np.stack([np.cos(angle), np.sin(angle)], axis=1))
    y = np.repeat([0, 1], [n_outer, n - n_outer])
    return _finish(np.concatenate(parts), y, shuffle, noise, rng)


def blobs(n_samples=300, centers=3, cluster_std=1.0, n_features=2, center_box=(-10.0, 10.0),
          shuffle=True, random_state=None):
    """Isotropic Gaussian clusters, one class each: good for multi-class decision boundaries.

    ``centers``: the number of clusters ``k`` (their centres then drawn uniformly in the box
    ``center_box`` in each of ``n_features`` dimensions), or a (k, d) array of centres
    (``n_features`` is then ignored). ``cluster_std``: the standard deviation of every cluster,
    or one per cluster. Each cluster gets ``n_samples // k`` points, the first
    ``n_samples % k`` one more; label ``i`` is cluster ``i``. Returns ``x`` float32 (n, d),
    ``y`` int64 (n,).
    """
    n = _count("n_samples", n_samples)
    rng = _rng(random_state)
    if isinstance(centers, numbers.Integral) and not isinstance(centers, bool):
        k = _count("centers", centers)
        d = _count("n_features", n_features)
        low, high = _interval("center_box", center_box)
        means = rng.uniform(low, high, size=(k, d))
    else:
        means = _floats(centers)
        if means is None or means.ndim != 2 or means.size == 0:
            raise ValueError(f"centers must be an integer >= 1 or a non-empty (k, d) array of finite "
                             f"numbers, got {centers!r}")
        k, d = means.shape
    stds = _floats(cluster_std)
    if stds is None or stds.ndim > 1 or stds.size not in (1, k) or (stds < 0).any():
        raise ValueError(f"cluster_std must be a number >= 0 or {k} of them (one per cluster), "
                         f"got {cluster_std!r}")
    sizes = np.full(k, n // k) + (np.arange(k) < n % k)
    y = np.repeat(np.arange(k), sizes)
    stds = np.broadcast_to(stds, (k,))
    x = means[y] + rng.standard_normal((n, d)) * stds[y, None]
    return _finish(x, y, shuffle, None, rng)


# ----------------------------------------------------------------------------- regression

def linear_regression(n_samples=100, slope=2.0, intercept=1.0, noise=1.0, x_range=(-3.0, 3.0),
                      random_state=None):
    """Points around a line: ``x`` uniform on ``x_range``, ``y = slope x + intercept + e`` with
    ``e`` Gaussian of standard deviation ``noise``. Returns ``x``, ``y`` float32 (n, 1), in draw
    order (not sorted). The same seed gives the same ``x`` and noise direction whatever
    ``noise`` is."""
    n = _count("n_samples", n_samples)
    slope, intercept = _real("slope", slope), _real("intercept", intercept)
    return polynomial_regression(n, (intercept, slope), noise, x_range, random_state)


def polynomial_regression(n_samples=100, coefficients=(1.0, -2.0, 0.5), noise=1.0, x_range=(-3.0, 3.0),
                          random_state=None):
    """Points around a polynomial: ``x`` uniform on ``x_range``,
    ``y = c[0] + c[1] x + c[2] x**2 + ... + e`` (``coefficients`` in *increasing* powers, as in
    ``numpy.polynomial``; the default is ``1 - 2x + 0.5x**2``), ``e`` Gaussian of standard
    deviation ``noise``. Returns ``x``, ``y`` float32 (n, 1), in draw order (not sorted)."""
    n = _count("n_samples", n_samples)
    coefs = _floats(coefficients)
    if coefs is None or coefs.ndim != 1 or coefs.size == 0:
        raise ValueError(f"coefficients must be a non-empty sequence of finite numbers, got {coefficients!r}")
    noise = _real("noise", noise, minimum=0)
    low, high = _interval("x_range", x_range)
    rng = _rng(random_state)
    x = rng.uniform(low, high, size=(n, 1))
    y = np.polynomial.polynomial.polyval(x, coefs) + noise * rng.standard_normal((n, 1))
    return x.astype(np.float32), y.astype(np.float32)


# ----------------------------------------------------------------------------- images

def shapes(n_samples=200, size=32, max_shapes=3, noise=0.05, random_state=None):
    """Grey-level images of filled circles and squares with per-pixel labels, for semantic
    segmentation.

    Each image gets between 1 and ``max_shapes`` shapes (uniformly), each a filled circle or a
    filled axis-aligned square (even odds), drawn in turn in intensity 1 on a background of 0;
    shapes may overlap, a later one is drawn on top of the earlier ones. A square has an integer
    side ``s`` in ``[round(0.2 size), round(0.5 size)]`` (at least 2) and is aligned with the
    pixel grid; a circle has a real radius in ``[s_min / 2, s_max / 2]`` and a real centre, and
    covers the pixels whose centre (``i + 0.5``) lies in the disc. Every shape lies wholly inside
    the image, so every image has at least one labelled pixel. Gaussian noise with standard
    deviation ``noise`` is then added and the values clipped to [0, 1] (with ``noise=0`` the
    pixels are exactly 0 or 1; the same seed gives the same shapes whatever ``noise`` is).
    Returns ``x`` float32 (n, size, size, 1) and ``y`` int64 (n, size, size): 0 background,
    1 circle, 2 square. ``size`` must be at least 8.
    """
    n = _count("n_samples", n_samples)
    size = _count("size", size, minimum=8)
    max_shapes = _count("max_shapes", max_shapes)
    noise = _real("noise", noise, minimum=0)
    rng = _rng(random_state)
    side_min = max(2, round(0.2 * size))
    side_max = max(side_min, round(0.5 * size))
    k = (n, max_shapes)
    count = rng.integers(1, max_shapes + 1, size=n)
    is_circle = rng.uniform(size=k) < 0.5
    side = rng.integers(side_min, side_max + 1, size=k)                       # squares
    row0 = np.floor(rng.uniform(size=k) * (size - side + 1)).astype(np.int64)
    col0 = np.floor(rng.uniform(size=k) * (size - side + 1)).astype(np.int64)
    radius = rng.uniform(side_min / 2, side_max / 2, size=k)                  # circles
    centre_y = radius + rng.uniform(size=k) * (size - 2 * radius)
    centre_x = radius + rng.uniform(size=k) * (size - 2 * radius)

    rows = np.arange(size)[None, :, None]                                   # (1, size, 1)
    cols = np.arange(size)[None, None, :]                                   # (1, 1, size)
    y = np.zeros((n, size, size), dtype=np.int64)
    for j in range(max_shapes):  # one pass per shape slot, over all images at once
        r, c, s = (a[:, j, None, None] for a in (row0, col0, side))          # (n, 1, 1) each
        cy, cx, radius_j = (a[:, j, None, None] for a in (centre_y, centre_x, radius))
        circle = is_circle[:, j, None, None]
        square = (rows >= r) & (rows < r + s) & (cols >= c) & (cols < c + s)
        disc = (rows + 0.5 - cy) ** 2 + (cols + 0.5 - cx) ** 2 <= radius_j ** 2
        drawn = np.where(circle, disc, square) & (j < count)[:, None, None]
        y = np.where(drawn, np.where(circle, 1, 2), y)
    x = (y > 0).astype(np.float64)[..., None]
    if noise > 0:
        x = np.clip(x + rng.normal(0.0, noise, size=x.shape), 0.0, 1.0)
    return x.astype(np.float32), y


__all__ = ["LOGIC_GATES", "logic_gate", "spirals", "moons", "circles", "blobs", "linear_regression",
           "polynomial_regression", "shapes"]
