"""Preparing data for a model: encoders, scalers, splits and mini-batches.

Everything here works on NumPy arrays (a ``Tensor`` is unwrapped to its ``.data``)
and follows scikit-learn's conventions, so that code written against one runs
against the other:

* labels and categories: ``to_categorical`` / ``one_hot``, ``LabelEncoder``,
  ``OneHotEncoder``, ``get_dummies``;
* feature scaling: ``StandardScaler``, ``MinMaxScaler``, ``normalize_images``;
* splitting a data set: ``train_test_split``, ``KFold``, ``StratifiedKFold``;
* feeding a training loop: ``batches`` (a ``BatchIterator``).

Transformers learn what they need in ``fit`` (the mean of every feature, the list
of categories...) and store it in attributes whose names end in ``_``; ``transform``
then applies exactly the same mapping to any later data.  Fit on the *training*
data only, so that nothing about the test data leaks into the model.

Randomness: ``random_state`` is ``None`` (draw from scratchnn's global generator,
which ``scratchnn.utils.set_random_seed`` reseeds), an ``int`` seed, or a
``numpy.random.Generator``.
"""
import math
import numbers
import warnings
from collections.abc import Mapping

import numpy as np

from .. import random as _random
from ..autograd import Tensor
from ..utils import to_categorical

__all__ = ["NotFittedError", "to_categorical", "one_hot", "LabelEncoder", "OneHotEncoder",
           "get_dummies", "StandardScaler", "MinMaxScaler", "normalize_images", "train_test_split",
           "KFold", "StratifiedKFold", "BatchIterator", "batches"]


class NotFittedError(RuntimeError):
    """Raised when ``transform`` (or a similar method) is called before ``fit``."""


# ----------------------------------------------------------------------------- helpers

def _as_array(x):
    """``x`` as a NumPy array (a ``Tensor`` gives its data, a list becomes an array)."""
    if isinstance(x, Tensor):
        x = x.data
    return np.asarray(x)


def _preview(values, limit=5):
    """The first ``limit`` values of ``values`` as a short readable list, for error messages."""
    values = list(np.asarray(values, dtype=object).ravel())
    shown = ", ".join(repr(v.item() if isinstance(v, np.generic) else v) for v in values[:limit])
    more = f", ... ({len(values)} in all)" if len(values) > limit else ""
    return f"[{shown}{more}]"


def _is_text(dtype):
    return dtype.kind in "OUS"


def _comparable(a, b):
    """False when one array holds strings and the other numbers: then no value can match."""
    text, numbers_ = "US", "biuf"
    return not ((a.kind in text and b.kind in numbers_) or (a.kind in numbers_ and b.kind in text))


def _unique_sorted(values, who):
    """The distinct values of a 1-D array, sorted; a clear error when they cannot be ordered."""
    try:
        return np.unique(values)
    except TypeError:
        kinds = sorted({type(v).__name__ for v in values.ravel()})
        raise TypeError(f"{who}: the values must all be strings or all be numbers so that they can be "
                        f"sorted, got a mix of types {kinds}") from None


def _distinct(values):
    """The distinct values, sorted when they can be (for error messages: never raises)."""
    try:
        return np.unique(values)
    except TypeError:
        return values


def _same(a, b):
    """Element-wise ``a == b`` where two NaNs also count as equal (a NaN category matches NaN)."""
    equal = a == b
    if a.dtype.kind == "f" and b.dtype.kind == "f":
        equal |= np.isnan(a) & np.isnan(b)
    return equal


def _lookup(values, categories):
    """Find each of ``values`` in ``categories`` (which may be in any order).

    Returns ``(codes, found)``: ``categories[codes[i]] == values[i]`` wherever
    ``found[i]`` is True.  Sorting the categories once and binary-searching them
    (``np.searchsorted``) does this for all values at once in O(n log k).
    """
    values = np.asarray(values)
    codes = np.zeros(values.shape, dtype=np.int64)
    if len(categories) == 0 or values.size == 0 or not _comparable(values.dtype, categories.dtype):
        # Nothing to find, or text against numbers: no value can equal a category.
        return codes, np.zeros(values.shape, dtype=bool)
    sorter = np.argsort(categories, kind="stable")
    ordered = categories[sorter]
    try:
        position = np.searchsorted(ordered, values)
    except TypeError:
        # An object array mixing types (say strings and ints) cannot be sorted together: compare
        # with each category in turn instead (a loop over categories, still vectorised over samples).
        found = np.zeros(values.shape, dtype=bool)
        for code, category in enumerate(categories):
            match = (values == category) & ~found
            codes[match] = code
            found |= match
        return codes, found
    position = np.minimum(position, len(ordered) - 1)       # values past the end are not found
    found = _same(ordered[position], values)
    return sorter[position], found


def _check_random_state(random_state, who):
    """A ``numpy.random.Generator`` for ``random_state`` (see the module docstring)."""
    if random_state is None:
        return _random.generator()       # looked up now: set_random_seed replaces the generator
    if isinstance(random_state, np.random.Generator):
        return random_state
    if (isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool)
            and random_state >= 0):
        return np.random.default_rng(int(random_state))
    raise ValueError(f"{who}: random_state must be None, a non-negative int or a numpy.random.Generator, "
                     f"got {random_state!r}")


def _num_samples(x, name, who):
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


def _check_positive_int(value, name, who, minimum=1):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{who}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


class _Fittable:
    """Shared plumbing: a readable ``repr``, ``fit_transform`` and the "fitted yet?" check."""
    _params = ()          # constructor arguments, shown by repr
    _fitted_attr = ""     # an attribute that exists only after fit

    def __repr__(self):
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._params)
        return f"{type(self).__name__}({args})"

    def _check_fitted(self, method):
        if not hasattr(self, self._fitted_attr):
            raise NotFittedError(f"{type(self).__name__}.{method}: this {type(self).__name__} is not fitted "
                                 f"yet; call fit(...) (or fit_transform(...)) first")

    def _check_n_features(self, X, who):
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"{who}: X has {X.shape[1]} features (columns), but this "
                             f"{type(self).__name__} was fitted with {self.n_features_in_} features")

    def fit_transform(self, X, y=None):
        """``fit(X)`` then ``transform(X)`` in one call (``y`` is ignored)."""
        return self.fit(X).transform(X)


def _check_2d(X, who, numeric):
    """``X`` as a 2-D array (samples x features); numeric and finite if ``numeric``."""
    X = _as_array(X)
    if X.ndim != 2:
        hint = " (for a single feature use X.reshape(-1, 1))" if X.ndim == 1 else ""
        raise ValueError(f"{who}: X must be a 2-D array of shape (n_samples, n_features), "
                         f"got shape {X.shape}{hint}")
    if numeric:
        if X.dtype.kind not in "biuf":
            raise ValueError(f"{who}: X must hold numbers (bool, int or float), got dtype {X.dtype}")
        if X.dtype.kind == "f" and not np.isfinite(X).all():
            bad = int(np.size(X) - np.count_nonzero(np.isfinite(X)))
            raise ValueError(f"{who}: X contains {bad} NaN or infinite values; remove or impute them first")
    return X


def _output_dtype(X):
    """The dtype rule of the scalers: float64 stays float64, everything else becomes float32."""
    return np.dtype(np.float64) if X.dtype == np.float64 else np.dtype(np.float32)


# ----------------------------------------------------------------------------- labels and categories

def one_hot(y, num_classes=None, dtype="float32"):
    """Another name for ``to_categorical``: integer labels -> one-hot rows.

    Label ``k`` becomes a row of ``num_classes`` zeros with a 1 at position ``k``::

        one_hot([0, 2, 1], 3) -> [[1, 0, 0],
                                  [0, 0, 1],
                                  [0, 1, 0]]

    ``num_classes`` defaults to ``max(y) + 1``.  String labels must first be turned
    into integers, e.g. with ``LabelEncoder``.
    """
    return to_categorical(y, num_classes=num_classes, dtype=dtype)


def _check_labels(y, who):
    """Labels as a 1-D array (a trailing axis of length 1, as in ``y.reshape(-1, 1)``, is dropped)."""
    y = _as_array(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{who}: y must be a 1-D array of labels, got shape {y.shape}")
    return y


class LabelEncoder(_Fittable):
    """Turn labels (strings or numbers) into the integers ``0 .. n_classes - 1``.

    ``fit`` stores the distinct labels, sorted, in ``classes_``; ``transform``
    replaces each label by its position in ``classes_``; ``inverse_transform`` goes
    back::

        enc = LabelEncoder().fit(["cat", "dog", "cat", "bird"])
        enc.classes_                      # ['bird', 'cat', 'dog']
        enc.transform(["dog", "bird"])    # [2, 0]
        enc.inverse_transform([1])        # ['cat']

    A label that was not seen by ``fit`` has no code: ``transform`` raises a
    ``ValueError`` that lists it.
    """
    _fitted_attr = "classes_"

    def fit(self, y):
        """Learn the sorted distinct labels of ``y`` (1-D).  Returns ``self``."""
        y = _check_labels(y, "LabelEncoder.fit")
        self.classes_ = _unique_sorted(y, "LabelEncoder.fit")
        return self

    def fit_transform(self, y):
        """``fit(y)`` then ``transform(y)``."""
        return self.fit(y).transform(y)

    def transform(self, y):
        """Codes (int64) of the labels in ``y``: ``classes_[code] == label``."""
        self._check_fitted("transform")
        y = _check_labels(y, "LabelEncoder.transform")
        codes, found = _lookup(y, self.classes_)
        if not found.all():
            unseen = _distinct(y[~found])
            raise ValueError(f"LabelEncoder.transform: y contains labels not seen during fit: "
                             f"{_preview(unseen)}; known classes: {_preview(self.classes_, 10)}")
        return codes

    def inverse_transform(self, codes):
        """The labels of integer ``codes`` (each in ``0 .. len(classes_) - 1``)."""
        self._check_fitted("inverse_transform")
        codes = _check_labels(codes, "LabelEncoder.inverse_transform")
        if codes.size == 0:
            return self.classes_[:0]
        if codes.dtype.kind == "f" and np.isfinite(codes).all() and (codes == np.round(codes)).all():
            codes = codes.astype(np.int64)         # 2.0 is a fine code
        if codes.dtype.kind not in "iu":
            raise ValueError(f"LabelEncoder.inverse_transform: codes must be integers, got dtype "
                             f"{codes.dtype} with values {_preview(codes)}")
        bad = (codes < 0) | (codes >= len(self.classes_))
        if bad.any():
            raise ValueError(f"LabelEncoder.inverse_transform: codes must be in "
                             f"[0, {len(self.classes_) - 1}] (there are {len(self.classes_)} classes), "
                             f"got out-of-range codes "
                             f"{_preview(np.unique(codes[bad]))}")
        return self.classes_[codes]


class OneHotEncoder(_Fittable):
    """Encode each categorical column of a 2-D array as a block of 0/1 indicator columns.

    A column with categories ``[c_0, ..., c_{k-1}]`` becomes ``k`` output columns;
    a row holding ``c_j`` gets a 1 in the ``j``-th of them and 0 elsewhere.  The
    blocks of all input columns are placed side by side, so::

        X = [["red", "S"],              categories_ = [["blue", "red"], ["L", "S"]]
             ["blue", "L"]]     ->      transform(X) = [[0, 1, 0, 1],
                                                        [1, 0, 1, 0]]

    Unlike ordinal codes (0, 1, 2...), one-hot columns imply no order or distance
    between categories.

    Parameters
    ----------
    categories : "auto" or list of array-likes
        ``"auto"`` learns the sorted distinct values of each column; a list gives
        the categories of each column explicitly, in the order wanted.
    handle_unknown : "error" or "ignore"
        What ``transform`` does with a value it has no category for: raise a
        ``ValueError``, or encode it as all zeros in that column's block (and
        ``inverse_transform`` then returns ``None`` for it).
    dtype : the dtype of the output (float32 by default).

    Attributes after ``fit``: ``categories_`` (one array per column),
    ``n_features_in_``.  The output is always a dense NumPy array.
    """
    _params = ("categories", "handle_unknown", "dtype")
    _fitted_attr = "categories_"

    def __init__(self, categories="auto", handle_unknown="error", dtype=np.float32):
        if handle_unknown not in ("error", "ignore"):
            raise ValueError(f"OneHotEncoder: handle_unknown must be 'error' or 'ignore', "
                             f"got {handle_unknown!r}")
        if isinstance(categories, str) and categories != "auto":
            raise ValueError(f"OneHotEncoder: categories must be 'auto' or a list with one array of "
                             f"categories per column, got {categories!r}")
        self.categories = categories
        self.handle_unknown = handle_unknown
        self.dtype = dtype

    def fit(self, X, y=None):
        """Learn (or check) the categories of every column of ``X``.  Returns ``self``."""
        X = _check_2d(X, "OneHotEncoder.fit", numeric=False)
        if X.shape[0] == 0:
            raise ValueError("OneHotEncoder.fit: X has 0 samples; at least 1 is needed")
        n_features = X.shape[1]
        if isinstance(self.categories, str):               # "auto"
            categories = [_unique_sorted(X[:, j], f"OneHotEncoder.fit (column {j})")
                          for j in range(n_features)]
        else:
            if len(self.categories) != n_features:
                raise ValueError(f"OneHotEncoder.fit: categories has {len(self.categories)} entries but X "
                                 f"has {n_features} columns; give one array of categories per column")
            categories = []
            for j, cats in enumerate(self.categories):
                cats = _as_array(cats)
                if cats.ndim != 1 or cats.size == 0:
                    raise ValueError(f"OneHotEncoder.fit: categories[{j}] must be a non-empty 1-D list, "
                                     f"got shape {cats.shape}")
                if len(_unique_sorted(cats, f"OneHotEncoder.fit (categories[{j}])")) != len(cats):
                    raise ValueError(f"OneHotEncoder.fit: categories[{j}] contains duplicates: "
                                     f"{_preview(cats)}")
                if self.handle_unknown == "error":
                    _, found = _lookup(X[:, j], cats)
                    if not found.all():
                        raise ValueError(f"OneHotEncoder.fit: column {j} contains values missing from "
                                         f"categories[{j}]: {_preview(_distinct(X[~found, j]))}")
                categories.append(cats)
        self.categories_ = categories
        self.n_features_in_ = n_features
        sizes = np.array([len(c) for c in categories], dtype=np.int64)
        self._offsets = np.concatenate([[0], np.cumsum(sizes)])   # block j is columns offsets[j]:offsets[j+1]
        return self

    def transform(self, X):
        """One-hot encode ``X`` (same columns as in ``fit``): shape (n_samples, total categories)."""
        self._check_fitted("transform")
        X = _check_2d(X, "OneHotEncoder.transform", numeric=False)
        self._check_n_features(X, "OneHotEncoder.transform")
        n, n_features = X.shape
        codes = np.zeros((n, n_features), dtype=np.int64)
        found = np.zeros((n, n_features), dtype=bool)
        for j, cats in enumerate(self.categories_):        # a loop over columns, not samples
            codes[:, j], found[:, j] = _lookup(X[:, j], cats)
        if self.handle_unknown == "error" and not found.all():
            j = int(np.flatnonzero(~found.all(axis=0))[0])
            unknown = _distinct(X[~found[:, j], j])
            raise ValueError(f"OneHotEncoder.transform: found unknown categories {_preview(unknown)} in "
                             f"column {j}; the known categories of column {j} are "
                             f"{_preview(self.categories_[j], 10)}. Use handle_unknown='ignore' to encode "
                             f"unknown values as all zeros")
        out = np.zeros((n, self._offsets[-1]), dtype=self.dtype)
        rows, cols = np.nonzero(found)
        out[rows, self._offsets[cols] + codes[rows, cols]] = 1
        return out

    def inverse_transform(self, X):
        """Back from one-hot blocks to categories: each block is decoded by its largest entry.

        A block of all zeros means "unknown": it becomes ``None`` with
        ``handle_unknown='ignore'`` and is an error otherwise.
        """
        self._check_fitted("inverse_transform")
        X = _check_2d(X, "OneHotEncoder.inverse_transform", numeric=True)
        if X.shape[1] != self._offsets[-1]:
            raise ValueError(f"OneHotEncoder.inverse_transform: X must have {self._offsets[-1]} columns (the "
                             f"total number of categories), got {X.shape[1]}")
        columns, empties = [], []
        for j, cats in enumerate(self.categories_):
            block = X[:, self._offsets[j]:self._offsets[j + 1]]
            empty = ~block.any(axis=1)
            if empty.any() and self.handle_unknown == "error":
                row = int(np.flatnonzero(empty)[0])
                raise ValueError(f"OneHotEncoder.inverse_transform: row {row} has no category set "
                                 f"in the block of column {j} (all zeros)")
            columns.append(cats[block.argmax(axis=1)])
            empties.append(empty)
        try:
            dtype = np.result_type(*[c.dtype for c in self.categories_])
        except TypeError:                                   # e.g. strings and numbers
            dtype = np.dtype(object)
        if any(e.any() for e in empties):
            dtype = np.dtype(object)                        # room for None
        out = np.empty((X.shape[0], len(columns)), dtype=dtype)
        for j, (values, empty) in enumerate(zip(columns, empties)):
            out[:, j] = values
            if empty.any():
                out[empty, j] = None
        return out

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: ``f"{feature}_{category}"`` (features default to ``x0, x1, ...``)."""
        self._check_fitted("get_feature_names_out")
        if input_features is None:
            input_features = [f"x{j}" for j in range(self.n_features_in_)]
        elif len(input_features) != self.n_features_in_:
            raise ValueError(f"OneHotEncoder.get_feature_names_out: input_features has {len(input_features)} "
                             f"names but the encoder was fitted with {self.n_features_in_} features")
        names = [f"{feature}_{category}" for feature, cats in zip(input_features, self.categories_)
                 for category in cats.tolist()]
        return np.array(names, dtype=object)


def _as_table(data):
    """``data`` (a dict of columns or a pandas DataFrame) as an ordered dict name -> 1-D array."""
    if isinstance(data, Mapping):
        table = {name: _as_array(column) for name, column in data.items()}
    elif hasattr(data, "columns") and hasattr(data, "__getitem__"):     # a pandas DataFrame, duck-typed
        table = {}
        for name in data.columns:
            column = data[name]
            if str(getattr(column, "dtype", "")) == "category":
                column = column.astype(object)            # categories are labels, even when numbers
            table[name] = np.asarray(column.to_numpy() if hasattr(column, "to_numpy") else column)
    else:
        raise TypeError(f"get_dummies: data must be a dict of column name -> 1-D array or a pandas "
                        f"DataFrame, got {type(data).__name__}")
    if not table:
        raise ValueError("get_dummies: data has no columns")
    for name, column in table.items():
        if column.ndim != 1:
            raise ValueError(f"get_dummies: column {name!r} must be 1-D, got shape {column.shape}")
    lengths = {name: len(column) for name, column in table.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"get_dummies: all columns must have the same length, got {lengths}")
    return table


def get_dummies(data, columns=None, prefix=None, prefix_sep="_", drop_first=False, dtype=np.float32):
    """One-hot encode the categorical columns of a table; a pandas-style helper without pandas.

    ``data`` is a dict ``{column name: 1-D array}`` (or a pandas DataFrame).  Each
    column named in ``columns`` is replaced by one indicator column per sorted
    distinct value, named ``f"{prefix}{prefix_sep}{value}"``; with ``columns=None``
    every column of string/object dtype is encoded.  The other columns must be
    numeric and pass through with their values unchanged::

        X, names = get_dummies({"age": [31, 42, 25], "city": ["Oslo", "Rome", "Oslo"]})
        names -> ["age", "city_Oslo", "city_Rome"]
        X     -> [[31., 1., 0.],         (float64: see Returns)
                  [42., 0., 1.],
                  [25., 1., 0.]]

    Parameters
    ----------
    prefix : None (the column names), a string for all encoded columns, a list with
        one prefix per encoded column, or a dict column name -> prefix.
    drop_first : drop the first category of each encoded column: its indicator is
        implied by all the others being 0 (``k - 1`` columns carry the information of ``k``).
    dtype : dtype of the indicator columns.

    Returns
    -------
    (array, feature_names): a 2-D array of shape ``(n_rows, n_output_columns)``
    whose columns are the pass-through columns first (in their original order),
    then the indicator blocks (in the order of ``columns``), as pandas orders them;
    and the list of the output column names.  The array has one dtype,
    ``np.result_type(dtype, *pass-through dtypes)`` so that no pass-through value
    is rounded (an int64 column with float32 indicators gives float64).

    Unlike pandas, a missing value (NaN) is treated as a category of its own.
    """
    table = _as_table(data)
    if columns is None:
        columns = [name for name, column in table.items() if _is_text(column.dtype)]
    else:
        columns = [columns] if isinstance(columns, str) else list(columns)
        missing = [name for name in columns if name not in table]
        if missing:
            raise ValueError(f"get_dummies: columns {missing} are not in data; available columns: "
                             f"{list(table)}")
    if prefix is None:
        prefixes = [str(name) for name in columns]
    elif isinstance(prefix, str):
        prefixes = [prefix] * len(columns)
    elif isinstance(prefix, Mapping):
        missing = [name for name in columns if name not in prefix]
        if missing:
            raise ValueError(f"get_dummies: prefix has no entry for the columns {missing}")
        prefixes = [prefix[name] for name in columns]
    else:
        prefixes = list(prefix)
        if len(prefixes) != len(columns):
            raise ValueError(f"get_dummies: prefix has {len(prefixes)} entries but {len(columns)} columns "
                             f"are encoded ({columns})")
    passthrough = [name for name in table if name not in columns]
    for name in passthrough:
        if table[name].dtype.kind not in "biuf":
            raise ValueError(f"get_dummies: column {name!r} has dtype {table[name].dtype} and is not "
                             f"encoded; list it in columns= to one-hot encode it, or drop it")
    out_dtype = np.result_type(np.dtype(dtype), *[table[name].dtype for name in passthrough])
    n = len(next(iter(table.values())))
    parts = [table[name].astype(out_dtype)[:, None] for name in passthrough]
    names = [str(name) for name in passthrough]
    for name, pre in zip(columns, prefixes):
        column = table[name]
        cats = _unique_sorted(column, f"get_dummies (column {name!r})")
        codes, _ = _lookup(column, cats)
        block = np.zeros((n, len(cats)), dtype=out_dtype)
        block[np.arange(n), codes] = 1
        if drop_first:
            block, cats = block[:, 1:], cats[1:]
        parts.append(block)
        names += [f"{pre}{prefix_sep}{cat}" for cat in cats.tolist()]
    array = np.concatenate(parts, axis=1) if parts else np.zeros((n, 0), dtype=out_dtype)
    return array, names


# ----------------------------------------------------------------------------- scaling

class StandardScaler(_Fittable):
    """Standardize features: subtract each column's mean and divide by its standard deviation.

    ``z = (x - mean_) / scale_`` with, over the ``n`` training rows,

        mean_ = (1/n) * sum_i x_i
        var_  = (1/n) * sum_i (x_i - mean_)**2        (the population variance)
        scale_ = sqrt(var_)

    so every transformed training column has mean 0 and standard deviation 1,
    which makes gradient descent treat all features alike.  A constant column
    (zero variance, up to rounding) gets ``scale_ = 1``: it is centred to 0, never
    divided by 0.

    ``with_mean=False`` skips the centring and ``with_std=False`` the division
    (``var_`` and ``scale_`` are then ``None``, and ``mean_`` too if both are off).

    Output dtype: float64 if the input is float64, otherwise float32 (float32,
    float16, integer and boolean input all give float32, the dtype models train
    in).  The statistics themselves are computed and stored in float64.
    Missing values (NaN) are rejected.
    """
    _params = ("with_mean", "with_std")
    _fitted_attr = "n_samples_seen_"

    def __init__(self, with_mean=True, with_std=True):
        self.with_mean = with_mean
        self.with_std = with_std

    def fit(self, X, y=None):
        """Compute ``mean_``, ``var_`` and ``scale_`` of every column of ``X``.  Returns ``self``."""
        X = _check_2d(X, "StandardScaler.fit", numeric=True)
        n = X.shape[0]
        if n == 0:
            raise ValueError("StandardScaler.fit: X has 0 samples; at least 1 is needed")
        X64 = X.astype(np.float64, copy=False)
        mean = X64.mean(axis=0)
        var = X64.var(axis=0)
        # Variance that is within rounding error of 0 (the error of summing n numbers of size |mean|
        # is about n * |mean| * eps) means the column is constant.
        eps = np.finfo(np.float64).eps
        constant = var <= n * eps * var + (n * mean * eps) ** 2
        self.n_samples_seen_ = n
        self.n_features_in_ = X.shape[1]
        self.mean_ = mean if (self.with_mean or self.with_std) else None
        self.var_ = var if self.with_std else None
        self.scale_ = np.where(constant, 1.0, np.sqrt(var)) if self.with_std else None
        return self

    def transform(self, X):
        """``(X - mean_) / scale_`` (each step only if enabled)."""
        self._check_fitted("transform")
        X = _check_2d(X, "StandardScaler.transform", numeric=True)
        self._check_n_features(X, "StandardScaler.transform")
        dtype = _output_dtype(X)
        out = X.astype(dtype, copy=True)
        if self.with_mean:
            out -= self.mean_.astype(dtype)
        if self.with_std:
            out /= self.scale_.astype(dtype)
        return out

    def inverse_transform(self, X):
        """Undo ``transform``: ``X * scale_ + mean_``."""
        self._check_fitted("inverse_transform")
        X = _check_2d(X, "StandardScaler.inverse_transform", numeric=True)
        self._check_n_features(X, "StandardScaler.inverse_transform")
        dtype = _output_dtype(X)
        out = X.astype(dtype, copy=True)
        if self.with_std:
            out *= self.scale_.astype(dtype)
        if self.with_mean:
            out += self.mean_.astype(dtype)
        return out


class MinMaxScaler(_Fittable):
    """Rescale each feature linearly so that its training range becomes ``feature_range``.

    With ``feature_range = (a, b)`` and each column's training minimum and maximum,

        x_scaled = a + (x - data_min_) * (b - a) / (data_max_ - data_min_)

    computed as ``x * scale_ + min_`` with ``scale_ = (b - a) / data_range_`` and
    ``min_ = a - data_min_ * scale_``.  A constant column (range 0, up to rounding)
    uses a range of 1 instead, so all its values map to ``a``.  Later data may fall
    outside ``(a, b)``; ``clip=True`` clips it into the range.

    Attributes after ``fit``: ``data_min_``, ``data_max_``, ``data_range_``,
    ``scale_``, ``min_`` (float64), ``n_samples_seen_``, ``n_features_in_``.
    Output dtype: float64 for float64 input, float32 otherwise (as ``StandardScaler``).
    """
    _params = ("feature_range", "clip")
    _fitted_attr = "scale_"

    def __init__(self, feature_range=(0, 1), clip=False):
        ok = (isinstance(feature_range, (tuple, list)) and len(feature_range) == 2
              and all(isinstance(v, numbers.Real) for v in feature_range)
              and feature_range[0] < feature_range[1])
        if not ok:
            raise ValueError(f"MinMaxScaler: feature_range must be a pair (min, max) of numbers with "
                             f"min < max, got {feature_range!r}")
        self.feature_range = feature_range
        self.clip = clip

    def fit(self, X, y=None):
        """Compute each column's minimum and maximum, then ``scale_`` and ``min_``.  Returns ``self``."""
        X = _check_2d(X, "MinMaxScaler.fit", numeric=True)
        if X.shape[0] == 0:
            raise ValueError("MinMaxScaler.fit: X has 0 samples; at least 1 is needed")
        low, high = self.feature_range
        X64 = X.astype(np.float64, copy=False)
        self.data_min_ = X64.min(axis=0)
        self.data_max_ = X64.max(axis=0)
        self.data_range_ = self.data_max_ - self.data_min_
        # A range within a few rounding errors of 0 counts as a constant column.
        eps = np.finfo(X.dtype if X.dtype.kind == "f" else np.float64).eps
        safe_range = np.where(self.data_range_ < 10 * eps, 1.0, self.data_range_)
        self.scale_ = (high - low) / safe_range
        self.min_ = low - self.data_min_ * self.scale_
        self.n_samples_seen_ = X.shape[0]
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        """``X * scale_ + min_``, clipped to ``feature_range`` if ``clip``."""
        self._check_fitted("transform")
        X = _check_2d(X, "MinMaxScaler.transform", numeric=True)
        self._check_n_features(X, "MinMaxScaler.transform")
        dtype = _output_dtype(X)
        out = X.astype(dtype, copy=True)
        out *= self.scale_.astype(dtype)
        out += self.min_.astype(dtype)
        if self.clip:
            np.clip(out, self.feature_range[0], self.feature_range[1], out=out)
        return out

    def inverse_transform(self, X):
        """Undo ``transform``: ``(X - min_) / scale_``."""
        self._check_fitted("inverse_transform")
        X = _check_2d(X, "MinMaxScaler.inverse_transform", numeric=True)
        self._check_n_features(X, "MinMaxScaler.inverse_transform")
        dtype = _output_dtype(X)
        out = X.astype(dtype, copy=True)
        out -= self.min_.astype(dtype)
        out /= self.scale_.astype(dtype)
        return out


def normalize_images(x, dtype="float32"):
    """Pixel values 0..255 (e.g. uint8 images) -> floats in [0, 1]: ``x.astype(dtype) / 255``.

    The contract is deliberately simple: the input must hold numbers between 0 and
    255 (integers or floats), and it is always divided by 255, whatever its dtype.
    Data already in [0, 1] must therefore not be passed again: it would be divided
    twice.  Values below 0 or above 255 (and NaN) raise a ``ValueError``.
    """
    x = _as_array(x)
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"normalize_images: dtype must be a floating-point dtype, got {dtype}")
    if x.dtype.kind not in "iuf":
        raise ValueError(f"normalize_images: x must hold pixel values (integers or floats in 0..255), "
                         f"got dtype {x.dtype}")
    if x.dtype != np.uint8 and x.size:                      # uint8 is in range by construction
        low, high = x.min(), x.max()
        if not (low >= 0 and high <= 255):                  # also catches NaN
            raise ValueError(f"normalize_images: pixel values must be in [0, 255], got values from {low} "
                             f"to {high}")
    return x.astype(dtype) / dtype.type(255)


# ----------------------------------------------------------------------------- splitting

def _split_sizes(n, test_size, train_size, who):
    """The number of (train, test) samples for sizes given as fractions (floats) or counts (ints).

    A float fraction ``f`` means ``ceil(f * n)`` test samples or ``floor(f * n)``
    train samples (rounding in favour of the test set); an omitted size is the rest.
    """
    if test_size is None and train_size is None:
        test_size = 0.2

    def kind(size, name):
        if size is None:
            return None
        if isinstance(size, numbers.Integral) and not isinstance(size, bool):
            if not 0 < size < n:
                raise ValueError(f"{who}: {name}={size} must be a positive int smaller than the number of "
                                 f"samples ({n}), or a float in (0, 1)")
            return "int"
        if isinstance(size, numbers.Real) and not isinstance(size, bool):
            if not 0 < size < 1:
                raise ValueError(f"{who}: {name}={size} must be a float in (0, 1) (a fraction of the "
                                 f"samples) or a positive int smaller than {n}")
            return "float"
        raise ValueError(f"{who}: {name} must be a float in (0, 1), an int or None, got {size!r}")

    test_kind, train_kind = kind(test_size, "test_size"), kind(train_size, "train_size")
    if test_kind == train_kind == "float" and test_size + train_size > 1:
        raise ValueError(f"{who}: test_size + train_size = {test_size + train_size} must not exceed 1")
    n_test = math.ceil(float(test_size) * n) if test_kind == "float" else test_size
    n_train = math.floor(float(train_size) * n) if train_kind == "float" else train_size
    if train_size is None:
        n_train = n - n_test
    elif test_size is None:
        n_test = n - n_train
    n_train, n_test = int(n_train), int(n_test)
    if n_train + n_test > n:
        raise ValueError(f"{who}: train_size and test_size ask for {n_train} + {n_test} = {n_train + n_test} "
                         f"samples, but there are only {n}")
    if n_train == 0:
        raise ValueError(f"{who}: with n_samples={n}, test_size={test_size} and train_size={train_size} the "
                         f"training set would be empty")
    return n_train, n_test


def _allocate(counts, n_draws, rng):
    """Share ``n_draws`` samples between classes in proportion to ``counts`` (whole numbers).

    Each class first gets ``floor(n_draws * count / total)``; the samples still
    missing go to the classes with the largest fractional parts (ties broken at
    random), the "largest remainder" rule.
    """
    exact = counts / counts.sum() * n_draws
    share = np.floor(exact)
    missing = int(n_draws - share.sum())
    if missing > 0:
        order = np.lexsort((rng.random(len(counts)), -(exact - share)))   # largest remainder first
        share[order[:missing]] += 1
    return share.astype(np.int64)


def _stratified_split(stratify, n_train, n_test, rng, who):
    """Train and test indices that keep the class proportions of ``stratify``."""
    if stratify.ndim == 2:                    # multi-label targets: each distinct row is a class
        classes, y = np.unique(stratify, axis=0, return_inverse=True)
    else:
        classes, y = np.unique(stratify, return_inverse=True)
    y = y.reshape(-1)
    counts = np.bincount(y)
    if counts.min() < 2:
        raise ValueError(f"{who}: every class in stratify needs at least 2 members (one for each side); "
                         f"classes with only 1 member: {_preview(classes[counts < 2])}")
    for size, name in ((n_train, "train"), (n_test, "test")):
        if size < len(classes):
            raise ValueError(f"{who}: the {name} set would have {size} samples, fewer than the "
                             f"{len(classes)} classes in stratify; make it larger")
    train_per_class = _allocate(counts, n_train, rng)
    test_per_class = _allocate(counts - train_per_class, n_test, rng)
    # Group the samples by class, in random order within each class, then take the first
    # train_per_class[k] of class k for training and the next test_per_class[k] for testing.
    order = np.lexsort((rng.random(len(y)), y))
    y_sorted = y[order]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.arange(len(y)) - starts[y_sorted]           # position of each sample within its class
    in_train = rank < train_per_class[y_sorted]
    in_test = ~in_train & (rank < train_per_class[y_sorted] + test_per_class[y_sorted])
    return rng.permutation(order[in_train]), rng.permutation(order[in_test])


def train_test_split(*arrays, test_size=None, train_size=None, random_state=None, shuffle=True,
                     stratify=None):
    """Split arrays (features, labels...) into random train and test parts, row-aligned.

    ``x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0)``

    All arrays must have the same number of samples (first axis) and are split
    with the same indices, so row ``i`` of ``x_train`` still belongs with row ``i``
    of ``y_train``.  The result lists ``[a_train, a_test, b_train, b_test, ...]``.

    Sizes: a float is a fraction of the ``n`` samples, ``n_test = ceil(test_size * n)``
    and ``n_train = floor(train_size * n)``; an int is a count; a size left as
    ``None`` takes the rest.  If both are ``None``, ``test_size=0.2`` (an 80/20
    split, as in Keras tutorials; scikit-learn uses 0.25).

    ``shuffle=False`` takes the first ``n_train`` samples for training and the next
    ``n_test`` for testing (e.g. for time series).  ``stratify=labels`` keeps the
    proportion of every class the same in both parts (requires ``shuffle=True``
    and at least 2 members per class).  ``random_state``: see the module docstring.

    Lists and tensors come back as NumPy arrays.
    """
    who = "train_test_split"
    if not arrays:
        raise ValueError(f"{who}: at least one array is required")
    arrays = [_as_array(a) for a in arrays]
    lengths = [_num_samples(a, f"arrays[{i}]", who) for i, a in enumerate(arrays)]
    if len(set(lengths)) > 1:
        raise ValueError(f"{who}: all arrays must have the same number of samples (first axis), got lengths "
                         f"{lengths}")
    n = lengths[0]
    n_train, n_test = _split_sizes(n, test_size, train_size, who)
    if not shuffle:
        if stratify is not None:
            raise ValueError(f"{who}: stratify requires shuffle=True (a stratified split picks samples at "
                             f"random within each class), got shuffle=False")
        train, test = np.arange(n_train), np.arange(n_train, n_train + n_test)
    else:
        rng = _check_random_state(random_state, who)
        if stratify is None:
            permutation = rng.permutation(n)
            test, train = permutation[:n_test], permutation[n_test:n_test + n_train]
        else:
            stratify = _as_array(stratify)
            if len(stratify) != n:
                raise ValueError(f"{who}: stratify has {len(stratify)} labels but the arrays have "
                                 f"{n} samples")
            train, test = _stratified_split(stratify, n_train, n_test, rng, who)
    return [part for a in arrays for part in (a[train], a[test])]


class KFold:
    """K-fold cross-validation: split ``n`` samples into ``n_splits`` folds; each fold is the
    test set once while the other folds train.

    Fold sizes differ by at most one: the first ``n % n_splits`` folds get
    ``n // n_splits + 1`` samples, the others ``n // n_splits``.  Without
    shuffling, fold 0 is the first samples, fold 1 the next, and so on.  With
    ``shuffle=True`` the samples are permuted first (``random_state``: see the
    module docstring; an int gives the same folds on every call to ``split``).

    ``split(X)`` yields ``(train_indices, test_indices)`` pairs, both sorted.
    The ``y`` and ``groups`` arguments are accepted (and ignored) so that this
    works wherever scikit-learn expects a cross-validator.
    """

    def __init__(self, n_splits=5, shuffle=False, random_state=None):
        who = type(self).__name__
        self.n_splits = _check_positive_int(n_splits, "n_splits", who, minimum=2)
        if not isinstance(shuffle, (bool, np.bool_)):
            raise ValueError(f"{who}: shuffle must be True or False, got {shuffle!r}")
        if not shuffle and random_state is not None:
            raise ValueError(f"{who}: random_state={random_state!r} has no effect with shuffle=False; "
                             f"leave random_state=None or set shuffle=True")
        self.shuffle = bool(shuffle)
        self.random_state = random_state

    def __repr__(self):
        return (f"{type(self).__name__}(n_splits={self.n_splits}, shuffle={self.shuffle}, "
                f"random_state={self.random_state!r})")

    def get_n_splits(self, X=None, y=None, groups=None):
        """The number of (train, test) pairs that ``split`` yields: ``n_splits``."""
        return self.n_splits

    def _check_n_samples(self, X, y):
        who = f"{type(self).__name__}.split"
        n = _num_samples(X, "X", who)
        if y is not None and _num_samples(y, "y", who) != n:
            raise ValueError(f"{who}: X has {n} samples but y has {_num_samples(y, 'y', who)}")
        if self.n_splits > n:
            raise ValueError(f"{who}: n_splits={self.n_splits} is greater than the number of samples "
                             f"n_samples={n}; every fold needs at least one sample")
        return n

    def _test_folds(self, n, y):
        """The fold number (0 .. n_splits - 1) of every sample."""
        order = np.arange(n)
        if self.shuffle:
            order = _check_random_state(self.random_state, "KFold.split").permutation(n)
        fold_sizes = np.full(self.n_splits, n // self.n_splits)
        fold_sizes[: n % self.n_splits] += 1
        folds = np.empty(n, dtype=np.int64)
        folds[order] = np.repeat(np.arange(self.n_splits), fold_sizes)
        return folds

    def split(self, X, y=None, groups=None):
        """Yield ``(train_indices, test_indices)`` for each of the ``n_splits`` folds."""
        n = self._check_n_samples(X, y)
        folds = self._test_folds(n, y)       # validated and drawn now, not at the first next()

        def generate():
            for k in range(self.n_splits):
                is_test = folds == k
                yield np.flatnonzero(~is_test), np.flatnonzero(is_test)
        return generate()


class StratifiedKFold(KFold):
    """K-fold cross-validation that keeps each class's share of samples the same in every fold.

    The folds are built like dealing cards: sort the samples by class and deal
    them round-robin into the ``n_splits`` folds; this fixes how many samples of
    each class each fold gets (counts differ by at most one between folds).
    Within a class, samples then go to folds in their original order (fold 0
    first), or in random order with ``shuffle=True``.  Classes are numbered in
    order of first appearance in ``y``; this reproduces scikit-learn's folds
    exactly when ``shuffle=False``.

    ``split(X, y)`` needs the class labels ``y`` (1-D; strings or integers).  It
    raises if every class has fewer than ``n_splits`` members and warns if the
    smallest one does (that class then misses from some test folds).
    """

    def split(self, X, y=None, groups=None):
        """Yield ``(train_indices, test_indices)`` for each fold, stratified by ``y``."""
        if y is None:
            raise ValueError("StratifiedKFold.split: y (the class labels) is required to stratify")
        return super().split(X, y, groups)

    def _test_folds(self, n, y):
        who = "StratifiedKFold.split"
        y = _check_labels(y, who)
        if y.dtype.kind == "f" and not np.all(y == np.round(y)):
            fractional = y[y != np.round(y)]
            raise ValueError(f"{who}: y looks continuous (non-integer values such as "
                             f"{_preview(fractional)}); stratification needs class labels")
        k = self.n_splits
        _, first_seen, y_codes = np.unique(y, return_index=True, return_inverse=True)
        # Renumber the classes by order of first appearance (np.unique numbers them in sorted order).
        y_codes = np.argsort(np.argsort(first_seen))[y_codes.reshape(-1)]
        counts = np.bincount(y_codes)
        if np.all(counts < k):
            raise ValueError(f"{who}: n_splits={k} is greater than the number of members of every class "
                             f"(largest class: {counts.max()} members)")
        if counts.min() < k:
            warnings.warn(f"{who}: the least populated class in y has only {counts.min()} members, which is "
                          f"less than n_splits={k}", UserWarning, stacklevel=4)
        # Deal the class-sorted samples round-robin: position p goes to fold p % k.
        # allocation[c, f] = how many samples of class c fold f receives.
        n_classes = len(counts)
        y_sorted = np.sort(y_codes)
        dealt_to = np.arange(n) % k
        allocation = np.bincount(y_sorted * k + dealt_to, minlength=n_classes * k).reshape(n_classes, k)
        # For each class in turn: fold 0 repeated allocation[c, 0] times, then fold 1, ...
        folds_sorted = np.repeat(np.tile(np.arange(k), n_classes), allocation.ravel())
        if self.shuffle:
            rng = _check_random_state(self.random_state, who)
            folds_sorted = folds_sorted[np.lexsort((rng.random(n), y_sorted))]   # shuffle within each class
        folds = np.empty(n, dtype=np.int64)
        folds[np.argsort(y_codes, kind="stable")] = folds_sorted    # samples of a class, in their order
        return folds


# ----------------------------------------------------------------------------- mini-batches

class BatchIterator:
    """Iterate over aligned arrays in mini-batches of ``batch_size`` samples.

    Each step yields a tuple with the same rows of every array (``(x_batch, y_batch)``),
    or the batch itself if a single array was given.  The last batch is smaller
    when ``batch_size`` does not divide the number of samples, unless
    ``drop_last=True`` skips it.  ``len()`` is the number of batches:
    ``ceil(n / batch_size)``, or ``floor(n / batch_size)`` with ``drop_last``.

    ``shuffle=True`` draws a new order on every pass (every ``for`` loop, i.e.
    every epoch).  With an int ``random_state`` the generator is created once, so
    successive epochs differ but the whole sequence repeats from run to run;
    ``None`` uses scratchnn's global generator; ``random_state`` is ignored when
    ``shuffle=False``.  Without shuffling the batches are views (slices), not copies.
    """

    def __init__(self, *arrays, batch_size=32, shuffle=False, drop_last=False, random_state=None):
        who = "batches"
        if not arrays:
            raise ValueError(f"{who}: at least one array is required")
        self.arrays = [_as_array(a) for a in arrays]
        lengths = [_num_samples(a, f"arrays[{i}]", who) for i, a in enumerate(self.arrays)]
        if len(set(lengths)) > 1:
            raise ValueError(f"{who}: all arrays must have the same number of samples (first axis), got "
                             f"lengths {lengths}")
        self.n_samples = lengths[0]
        self.batch_size = _check_positive_int(batch_size, "batch_size", who)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self._rng = None
        if self.shuffle and random_state is not None:
            self._rng = _check_random_state(random_state, who)

    def __len__(self):
        if self.drop_last:
            return self.n_samples // self.batch_size
        return -(-self.n_samples // self.batch_size)          # ceil without floats

    def __iter__(self):
        n, size = self.n_samples, self.batch_size
        order = None
        if self.shuffle:
            rng = self._rng if self._rng is not None else _random.generator()
            order = rng.permutation(n)
        stop = n - n % size if self.drop_last else n
        for start in range(0, stop, size):                     # a loop over batches, not samples
            rows = slice(start, start + size) if order is None else order[start:start + size]
            batch = tuple(a[rows] for a in self.arrays)
            yield batch[0] if len(batch) == 1 else batch


def batches(*arrays, batch_size=32, shuffle=False, drop_last=False, random_state=None):
    """Mini-batches of aligned arrays: ``for xb, yb in batches(x, y, batch_size=64, shuffle=True): ...``

    Returns a ``BatchIterator`` (iterable once per epoch, with ``len()``); see it
    for the details of shuffling, the last partial batch and ``drop_last``.
    """
    return BatchIterator(*arrays, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last,
                         random_state=random_state)
