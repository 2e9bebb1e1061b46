"""The candidate settings a search tries: every combination of a grid, or random draws.

``ParameterGrid`` lists every combination of ``{name: [values]}`` (``GridSearch``);
``ParameterSampler`` draws ``n_iter`` settings from lists and distributions (``RandomSearch``);
``loguniform`` is the distribution for scale parameters such as a learning rate.
"""
import itertools
import math
import warnings
from numbers import Integral, Real

import numpy as np


def _check_values(values, where):
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__") or \
            (isinstance(values, np.ndarray) and values.ndim != 1):
        raise ValueError(f"{where} must be a list of values to try, got {values!r}; "
                         f"write [{values!r}] for a single value")
    if len(values) == 0:
        raise ValueError(f"{where} is an empty list: give at least one value to try")
    return list(values)


def _as_dicts(grid, what):
    if isinstance(grid, dict):
        grids = [grid]
    elif isinstance(grid, (list, tuple)) and all(isinstance(g, dict) for g in grid):
        grids = list(grid)
    else:
        raise ValueError(f"{what} must be a dict {{name: values}} or a list of such dicts, got {grid!r}")
    if not grids or any(not g for g in grids):
        raise ValueError(f"{what} is empty: give at least one hyper-parameter and its values, e.g. "
                         "{'learning_rate': [0.001, 0.01]} (to evaluate a single setting, use "
                         "cross_validate)")
    for g in grids:
        for name in g:
            if not isinstance(name, str) or not name:
                raise ValueError(f"{what}: hyper-parameter names must be non-empty strings, got {name!r}")
    return grids


class ParameterGrid:
    """Every combination of the values of a grid ``{name: [values]}`` (or a list of such grids,
    whose combinations follow each other), as dicts, in scikit-learn's order: names sorted, the
    last name varying fastest. ``len(grid)`` is the product of the numbers of values.

    ``list(ParameterGrid({'lr': [0.1, 0.01], 'units': [16, 32]}))`` ->
    ``[{'lr': 0.1, 'units': 16}, {'lr': 0.1, 'units': 32}, {'lr': 0.01, 'units': 16}, ...]``.
    An empty grid, a name without values, or a value that is not a list raises ``ValueError``.
    """

    def __init__(self, param_grid):
        grids = _as_dicts(param_grid, "param_grid")
        self.param_grid = [{name: _check_values(values, f"param_grid[{name!r}]")
                            for name, values in sorted(g.items())} for g in grids]

    def __len__(self):
        return sum(math.prod(len(v) for v in g.values()) for g in self.param_grid)

    def __iter__(self):
        for g in self.param_grid:
            names = list(g)
            for combo in itertools.product(*(g[n] for n in names)):
                yield dict(zip(names, combo))

    def __getitem__(self, index):
        return list(self)[index]


class loguniform:
    """A log-uniform distribution on ``[a, b]``: ``exp(U(log a, log b))``, for ``RandomSearch``.

    Each decade is equally likely: with ``loguniform(1e-4, 1e-1)`` a learning rate falls in
    ``[1e-4, 1e-3]``, ``[1e-3, 1e-2]`` or ``[1e-2, 1e-1]`` with probability 1/3 each (a uniform
    draw would land in the last decade 90% of the time). ``rvs(size=None, random_state=None)``
    draws, like a ``scipy.stats`` distribution.
    """

    def __init__(self, a, b):
        for name, v in (("a", a), ("b", b)):
            if not isinstance(v, Real) or isinstance(v, bool) or not math.isfinite(v) or v <= 0:
                raise ValueError(f"loguniform: {name} must be a positive finite number, got {v!r}")
        if not a < b:
            raise ValueError(f"loguniform: a must be smaller than b, got a={a!r}, b={b!r}")
        self.a, self.b = float(a), float(b)

    def __repr__(self):
        return f"loguniform({self.a:g}, {self.b:g})"

    def rvs(self, size=None, random_state=None):
        """Draw ``size`` values (one float when ``size`` is None)."""
        rng = random_state if isinstance(random_state, np.random.Generator) else \
            np.random.default_rng(random_state)
        value = np.exp(rng.uniform(np.log(self.a), np.log(self.b), size=size))
        return float(value) if size is None else value


class ParameterSampler:
    """``n_iter`` settings drawn from ``param_distributions`` (scikit-learn's rules).

    ``param_distributions`` maps names to a list of values (drawn uniformly) or to a distribution
    with ``rvs(random_state=...)`` (``loguniform(1e-4, 1e-1)``, or a ``scipy.stats`` one); a list of
    such dicts picks one dict at random for each draw. When every entry is a list, the settings
    are drawn *without* replacement from the grid they form (and the whole grid, with a warning,
    if it has fewer than ``n_iter`` settings). ``random_state``: an int for repeatable draws.
    """

    def __init__(self, param_distributions, n_iter, random_state=None):
        grids = _as_dicts(param_distributions, "param_distributions")
        checked = []
        for g in grids:
            d = {}
            for name, dist in sorted(g.items()):
                if hasattr(dist, "rvs"):
                    d[name] = dist
                else:
                    d[name] = _check_values(dist, f"param_distributions[{name!r}] (a list or a distribution "
                                                  "with .rvs)")
            checked.append(d)
        self.param_distributions = checked
        if not isinstance(n_iter, Integral) or isinstance(n_iter, bool) or n_iter < 1:
            raise ValueError(f"n_iter must be a positive integer, got {n_iter!r}")
        self.n_iter = int(n_iter)
        self.random_state = random_state

    def _all_lists(self):
        return all(not hasattr(v, "rvs") for g in self.param_distributions for v in g.values())

    def __len__(self):
        if self._all_lists():
            return min(self.n_iter, len(ParameterGrid(self.param_distributions)))
        return self.n_iter

    def __iter__(self):
        rng = np.random.default_rng(self.random_state)
        if self._all_lists():
            grid = list(ParameterGrid(self.param_distributions))
            if len(grid) < self.n_iter:
                warnings.warn(f"the grid of param_distributions has {len(grid)} settings, fewer than "
                              f"n_iter={self.n_iter}: each is tried once", UserWarning, stacklevel=3)
            for i in rng.choice(len(grid), size=min(self.n_iter, len(grid)), replace=False):
                yield grid[int(i)]
            return
        for _ in range(self.n_iter):
            g = self.param_distributions[int(rng.integers(len(self.param_distributions)))]
            params = {}
            for name, dist in g.items():
                if hasattr(dist, "rvs"):
                    value = dist.rvs(random_state=rng)
                    params[name] = value.item() if isinstance(value, np.generic) else value
                else:
                    params[name] = dist[int(rng.integers(len(dist)))]
            yield params
