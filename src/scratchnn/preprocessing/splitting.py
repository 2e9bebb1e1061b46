"""Splitting a data set: a train/test split and k-fold cross-validation.

* ``train_test_split``: random (optionally stratified) train and test parts, row-aligned;
* ``KFold``: ``n_splits`` folds, each of them the test set once;
* ``StratifiedKFold``: k-fold that keeps each class's share of samples the same in every fold.

Randomness: ``random_state`` is ``None`` (draw from scratchnn's global generator,
which ``scratchnn.utils.set_random_seed`` reseeds), an ``int`` seed, or a
``numpy.random.Generator``.
"""
import math
import numbers
import warnings

import numpy as np

from .validation import as_array, check_labels, check_positive_int, check_random_state, num_samples, preview

__all__ = ["train_test_split", "KFold", "StratifiedKFold"]


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
                         f"classes with only 1 member: {preview(classes[counts < 2])}")
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
    arrays = [as_array(a) for a in arrays]
    lengths = [num_samples(a, f"arrays[{i}]", who) for i, a in enumerate(arrays)]
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
        rng = check_random_state(random_state, who)
        if stratify is None:
            permutation = rng.permutation(n)
            test, train = permutation[:n_test], permutation[n_test:n_test + n_train]
        else:
            stratify = as_array(stratify)
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
        self.n_splits = check_positive_int(n_splits, "n_splits", who, minimum=2)
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
        n = num_samples(X, "X", who)
        if y is not None and num_samples(y, "y", who) != n:
            raise ValueError(f"{who}: X has {n} samples but y has {num_samples(y, 'y', who)}")
        if self.n_splits > n:
            raise ValueError(f"{who}: n_splits={self.n_splits} is greater than the number of samples "
                             f"n_samples={n}; every fold needs at least one sample")
        return n

    def _test_folds(self, n, y):
        """The fold number (0 .. n_splits - 1) of every sample."""
        order = np.arange(n)
        if self.shuffle:
            order = check_random_state(self.random_state, "KFold.split").permutation(n)
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
        y = check_labels(y, who)
        if y.dtype.kind == "f" and not np.all(y == np.round(y)):
            fractional = y[y != np.round(y)]
            raise ValueError(f"{who}: y looks continuous (non-integer values such as "
                             f"{preview(fractional)}); stratification needs class labels")
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
            rng = check_random_state(self.random_state, who)
            folds_sorted = folds_sorted[np.lexsort((rng.random(n), y_sorted))]   # shuffle within each class
        folds = np.empty(n, dtype=np.int64)
        folds[np.argsort(y_codes, kind="stable")] = folds_sorted    # samples of a class, in their order
        return folds
