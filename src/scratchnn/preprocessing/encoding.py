"""Labels and categories as numbers: one-hot rows, label codes and indicator columns.

* ``one_hot`` (another name for ``scratchnn.utils.to_categorical``): integer labels ->
  one-hot rows;
* ``LabelEncoder``: labels (strings or numbers) <-> the integers ``0 .. n_classes - 1``;
* ``OneHotEncoder``: each categorical column of a 2-D array -> a block of 0/1 columns;
* ``get_dummies``: the categorical columns of a table (a dict of columns or a pandas
  DataFrame) -> indicator columns, as ``pandas.get_dummies`` does.

The private helpers at the top find values among categories all at once
(``_lookup``: sort the categories once, then binary-search them) and sort
categories with a clear error when strings and numbers are mixed.
"""
from collections.abc import Mapping

import numpy as np

from ..utils import to_categorical
from .validation import Fittable, as_array, check_2d, check_labels, preview

__all__ = ["one_hot", "LabelEncoder", "OneHotEncoder", "get_dummies"]


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


class LabelEncoder(Fittable):
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
    fitted_attribute = "classes_"

    def fit(self, y):
        """Learn the sorted distinct labels of ``y`` (1-D).  Returns ``self``."""
        y = check_labels(y, "LabelEncoder.fit")
        self.classes_ = _unique_sorted(y, "LabelEncoder.fit")
        return self

    def fit_transform(self, y):
        """``fit(y)`` then ``transform(y)``."""
        return self.fit(y).transform(y)

    def transform(self, y):
        """Codes (int64) of the labels in ``y``: ``classes_[code] == label``."""
        self.check_fitted("transform")
        y = check_labels(y, "LabelEncoder.transform")
        codes, found = _lookup(y, self.classes_)
        if not found.all():
            unseen = _distinct(y[~found])
            raise ValueError(f"LabelEncoder.transform: y contains labels not seen during fit: "
                             f"{preview(unseen)}; known classes: {preview(self.classes_, 10)}")
        return codes

    def inverse_transform(self, codes):
        """The labels of integer ``codes`` (each in ``0 .. len(classes_) - 1``)."""
        self.check_fitted("inverse_transform")
        codes = check_labels(codes, "LabelEncoder.inverse_transform")
        if codes.size == 0:
            return self.classes_[:0]
        if codes.dtype.kind == "f" and np.isfinite(codes).all() and (codes == np.round(codes)).all():
            codes = codes.astype(np.int64)         # 2.0 is a fine code
        if codes.dtype.kind not in "iu":
            raise ValueError(f"LabelEncoder.inverse_transform: codes must be integers, got dtype "
                             f"{codes.dtype} with values {preview(codes)}")
        bad = (codes < 0) | (codes >= len(self.classes_))
        if bad.any():
            raise ValueError(f"LabelEncoder.inverse_transform: codes must be in "
                             f"[0, {len(self.classes_) - 1}] (there are {len(self.classes_)} classes), "
                             f"got out-of-range codes "
                             f"{preview(np.unique(codes[bad]))}")
        return self.classes_[codes]


class OneHotEncoder(Fittable):
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
    repr_params = ("categories", "handle_unknown", "dtype")
    fitted_attribute = "categories_"

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
        X = check_2d(X, "OneHotEncoder.fit", numeric=False)
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
                cats = as_array(cats)
                if cats.ndim != 1 or cats.size == 0:
                    raise ValueError(f"OneHotEncoder.fit: categories[{j}] must be a non-empty 1-D list, "
                                     f"got shape {cats.shape}")
                if len(_unique_sorted(cats, f"OneHotEncoder.fit (categories[{j}])")) != len(cats):
                    raise ValueError(f"OneHotEncoder.fit: categories[{j}] contains duplicates: "
                                     f"{preview(cats)}")
                if self.handle_unknown == "error":
                    _, found = _lookup(X[:, j], cats)
                    if not found.all():
                        raise ValueError(f"OneHotEncoder.fit: column {j} contains values missing from "
                                         f"categories[{j}]: {preview(_distinct(X[~found, j]))}")
                categories.append(cats)
        self.categories_ = categories
        self.n_features_in_ = n_features
        sizes = np.array([len(c) for c in categories], dtype=np.int64)
        self._offsets = np.concatenate([[0], np.cumsum(sizes)])   # block j is columns offsets[j]:offsets[j+1]
        return self

    def transform(self, X):
        """One-hot encode ``X`` (same columns as in ``fit``): shape (n_samples, total categories)."""
        self.check_fitted("transform")
        X = check_2d(X, "OneHotEncoder.transform", numeric=False)
        self.check_n_features(X, "OneHotEncoder.transform")
        n, n_features = X.shape
        codes = np.zeros((n, n_features), dtype=np.int64)
        found = np.zeros((n, n_features), dtype=bool)
        for j, cats in enumerate(self.categories_):        # a loop over columns, not samples
            codes[:, j], found[:, j] = _lookup(X[:, j], cats)
        if self.handle_unknown == "error" and not found.all():
            j = int(np.flatnonzero(~found.all(axis=0))[0])
            unknown = _distinct(X[~found[:, j], j])
            raise ValueError(f"OneHotEncoder.transform: found unknown categories {preview(unknown)} in "
                             f"column {j}; the known categories of column {j} are "
                             f"{preview(self.categories_[j], 10)}. Use handle_unknown='ignore' to encode "
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
        self.check_fitted("inverse_transform")
        X = check_2d(X, "OneHotEncoder.inverse_transform", numeric=True)
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
        self.check_fitted("get_feature_names_out")
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
        table = {name: as_array(column) for name, column in data.items()}
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
