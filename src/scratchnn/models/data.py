"""Getting data into ``fit``/``evaluate``/``predict``: checks, splits and batches.

Arrays (or lists) are checked once, up front, so that a mistake is reported before
anything is trained: lengths of x and y, NaN/Inf values, batch size.  Batches are
taken with one fancy-indexing copy each and converted to float32 one batch at a
time (no float32 copy of the whole data set).  Batches from elsewhere are accepted as well
(``batch_source``): a ``tf.data``-like dataset (``scratchnn.preprocessing.Dataset``), a Keras
``PyDataset``/``Sequence`` (``__len__`` + ``__getitem__``), a generator or any iterable of
``x``, ``(x, y)`` or ``(x, y, sample_weight)`` batches (duck-typed: nothing here imports them).

A model with several inputs or outputs takes a *structure* of arrays: a list or tuple of arrays
(``[x_image, x_meta]``) or a dict of them by name (``{"image": ..., "meta": ...}``). Every array
of ``x``, ``y`` and ``sample_weight`` must hold the same number of samples; batches index them
all with the same positions (one shuffle for all), and keep the structure.
"""
import itertools
import math

import numpy as np

from ..autograd import Tensor
from ..backend import DEFAULT_FLOAT
from ..utils import array_chunks


def as_array(value, name):
    """An ndarray from an array, list or Tensor (None stays None)."""
    if value is None:
        return None
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, dict):
        raise TypeError(f"{name} is a dict (keys {', '.join(map(repr, value))}): named inputs and outputs "
                        f"are for models with several of them; this model takes one array: pass "
                        f"{name}[key] for the one it needs")
    try:
        arr = np.asarray(value)
    except ValueError as err:   # ragged lists
        raise ValueError(f"{name} cannot be converted to an array: {err}") from None
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got an array of dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"{name} must have a batch axis (one entry per sample), got the scalar {value!r}")
    return arr


# ------------------------------------------------------------ structures of arrays
def is_structure(value):
    """True for several arrays given together: a dict, or a non-empty list or tuple whose items
    are all arrays or Tensors (``[x1, x2]``; a list of numbers or of lists is one array)."""
    if isinstance(value, dict):
        return True
    return (isinstance(value, (list, tuple)) and len(value) > 0
            and all(isinstance(v, (np.ndarray, Tensor)) for v in value))


def leaves(value, name):
    """``[(label, leaf)]`` of a structure (``x[0]``, ``y['age']``), or ``[(name, value)]``."""
    if isinstance(value, dict):
        return [(f"{name}[{k!r}]", v) for k, v in value.items()]
    if is_structure(value):
        return [(f"{name}[{i}]", v) for i, v in enumerate(value)]
    return [(name, value)]


def map_structure(fn, value):
    """``fn`` applied to every array of a structure (the same structure back), or to ``value``."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: fn(v) for k, v in value.items()}
    if is_structure(value):
        return type(value)(fn(v) for v in value)
    return fn(value)


def first_leaf(value):
    """The first array of a structure (the one that tells the number of samples)."""
    return leaves(value, "")[0][1] if value is not None else None


def _structure_as_arrays(value, name):
    """``as_array`` of ``value``, or of each array of a structure (named ``x[0]``, ``y['age']``)."""
    if not is_structure(value):
        return as_array(value, name)
    if not value:
        raise ValueError(f"{name} is an empty dict: it must map each input/output name to an array")
    arrays = [as_array(v, label) for label, v in leaves(value, name)]
    if isinstance(value, dict):
        return dict(zip(value, arrays))
    return type(value)(arrays)


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """What ``train_step(data)`` receives, as Keras packs it: ``x`` alone (``(x,)`` if ``x`` is a
    list or tuple) when there are no targets, else ``(x, y)`` or ``(x, y, sample_weight)``."""
    if y is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    return (x, y) if sample_weight is None else (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from a ``train_step``'s ``data`` (Keras's helper of this name):
    a tuple of 1, 2 or 3 items, or ``x`` alone."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(f"the data of a step must be x, (x,), (x, y) or (x, y, sample_weight); got a "
                     f"tuple of {len(data)} items")


def _finite_as_float32(chunk):
    """True where a value stays finite as float32, the type the model computes in (1e39 is a finite
    float64 but inf in float32)."""
    if chunk.dtype.itemsize <= 4:                  # float16, float32: a cast never overflows
        return np.isfinite(chunk)
    with np.errstate(over="ignore"):
        return np.isfinite(chunk.astype(DEFAULT_FLOAT))


#: Row width of the finite check's matrix-vector product (see ``_all_finite_as_float32``).
CHECK_ROW = 1024


def _all_finite_as_float32(chunk):
    """Whether every value of the chunk is finite and within float32's range, without an
    elementwise pass. float32: the sums of its rows of ``CHECK_ROW`` values, as one matrix-vector
    product with a vector of ones (BLAS, on every core; a NaN or an infinity makes its row's sum
    non-finite). Other dtypes: the minimum and the maximum (a NaN makes both NaN). A "no" can be a
    false alarm (float32 values near the limit whose sum overflows, a float64 a little above the
    limit that rounds down to it): the exact elementwise check then decides. Clean data, the
    common case, costs a quarter of ``isfinite`` on the whole array."""
    if chunk.size == 0:
        return True
    if chunk.dtype == np.float32:
        flat = chunk.reshape(-1)
        cut = flat.size - flat.size % CHECK_ROW
        with np.errstate(over="ignore", invalid="ignore"):
            sums = flat[:cut].reshape(-1, CHECK_ROW) @ np.ones(CHECK_ROW, dtype=np.float32)
            return bool(np.isfinite(sums).all() and np.isfinite(flat[cut:].sum()))
    limit = np.finfo(DEFAULT_FLOAT).max
    return bool(-limit <= chunk.min() and chunk.max() <= limit)


def _position(index):
    return ", ".join(str(int(i)) for i in index)


def check_finite(arr, name, where=""):
    """Refuse NaN or Inf in a float array, and values too large for float32 (which the batch's
    conversion would turn into inf), naming the argument, the first bad position and its value
    (``where``: e.g. " in batch 3 of the generator"). Checked a chunk at a time (``_chunks``)."""
    if arr is None or arr.dtype.kind != "f":
        return
    for offset, chunk in array_chunks(arr):
        if _all_finite_as_float32(chunk):
            continue
        ok = _finite_as_float32(chunk)             # exact (a float64 just above the limit may round down)
        if ok.all():
            continue
        index = np.unravel_index(offset + int(np.argmin(ok.reshape(-1))), arr.shape)
        value = arr[index]
        at = f"{name}[{_position(index)}]" if arr.ndim else name
        if np.isfinite(value):
            limit = float(np.finfo(DEFAULT_FLOAT).max)
            raise ValueError(f"{at} = {float(value):.6g}{where} is too large for float32 (the largest "
                             f"is {limit:.4g}): it would become inf in training; rescale {name} "
                             "(standardize it, or change its units)")
        sample = f"sample {index[0]}: " if arr.ndim else ""
        raise ValueError(f"{name} contains NaN or Inf values{where} (first at {sample}{at} = {value}); "
                         "clean or impute the data before training")


def checked_arrays(x, y, sample_weight, what, names=("x", "y", "sample_weight"), x_by_batch=False):
    """``x``, ``y``, ``sample_weight`` as arrays with the same number of samples, not empty,
    finite and within float32's range; a ValueError saying which argument is wrong otherwise.
    ``x_by_batch``: a single array x is left for ``ArrayData(check_batches=True)`` to check batch by
    batch (``predict``: each batch just before it is computed, while it is in the cache)."""
    x, y, w = (None if v is None else _structure_as_arrays(v, n)
               for v, n in zip((x, y, sample_weight), names))
    if x is None:
        raise ValueError(f"{what}() needs {names[0]}")
    items = [item for v, n in zip((x, y, w), names) if v is not None for item in leaves(v, n)]
    first_name, first = items[0]
    for name, arr in items[1:]:
        if len(arr) != len(first):
            raise ValueError(f"{first_name} and {name} have different numbers of samples: "
                             f"{len(first)} and {len(arr)}")
    if len(first) == 0:
        raise ValueError(f"{what}() got no samples ({first_name} is empty)")
    for name, arr in items:
        if not (x_by_batch and arr is x and not is_structure(x)):
            check_finite(arr, name)
    return x, y, w


def check_finite_batch(arr, index, name):
    """``check_finite`` for the batch ``arr[index]`` of an array whose earlier batches passed;
    returns the batch. Its error is the one ``check_finite(arr, name)`` gives (the first bad
    position in the whole array, which is in this batch)."""
    batch = arr[index]
    try:
        check_finite(batch, name)
    except ValueError:
        check_finite(arr, name)              # raises, naming the position in the whole array
        raise
    return batch


def check_batch_size(batch_size, default=32):
    if batch_size is None:
        return default
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    return int(batch_size)


def validation_split_arrays(arrays, validation_split):
    """Split off the last ``validation_split`` fraction (before any shuffling), as Keras does."""
    if not 0 < validation_split < 1:
        raise ValueError(f"validation_split must be in (0, 1), got {validation_split!r}")
    n = len(first_leaf(arrays[0]))
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(f"{n} samples cannot be split into training and validation sets with "
                         f"validation_split={validation_split}")
    train = tuple(map_structure(lambda a: a[:split_at], a) for a in arrays)
    val = tuple(map_structure(lambda a: a[split_at:], a) for a in arrays)
    return train, val


def unpack_validation_data(data):
    """``(x_val, y_val, sample_weight_val)`` from ``fit``'s ``validation_data``: a tuple (or list) of
    2 or 3 arrays; an iterable of batches is returned as ``(data, None, None)``. An array alone, or a
    tuple of another length, is refused: validation needs targets."""
    if isinstance(data, dict):
        as_array(data, "validation_data")                       # refused there, with the keys
    batches = isinstance(data, list) and data and isinstance(data[0], tuple)
    if isinstance(data, (tuple, list)) and not batches:
        if 2 <= len(data) <= 3:
            return tuple(data) + (None,) * (3 - len(data))
        raise ValueError(f"validation_data must be (x_val, y_val) or (x_val, y_val, sample_weight_val); "
                         f"got a {type(data).__name__} of {len(data)} item(s)")
    if is_array_like(data):
        shape = f" of shape {np.shape(data)}" if isinstance(data, (np.ndarray, Tensor)) else ""
        raise ValueError(f"validation_data is one array{shape}, inputs without targets: pass "
                         "(x_val, y_val), or a generator or dataset of (x, y) batches")
    return data, None, None


def needs_feature_axis(input_shape, x_shape):
    """Keras 3's rule: x with one axis fewer than the model's declared input, whose last axis is 1
    (``x`` of shape (n,) for ``Input((1,))``), gets that axis of one feature added."""
    return (input_shape is not None and len(x_shape) == len(input_shape) - 1 and len(input_shape) >= 2
            and input_shape[-1] == 1)


def to_float_batch(xb):
    """A batch of inputs as float32 (integer images, float64 arrays); each array of a structure."""
    if is_structure(xb):
        return map_structure(to_float_batch, xb)
    return xb if xb.dtype == DEFAULT_FLOAT else xb.astype(DEFAULT_FLOAT)


def to_tensors(x):
    """The inputs of a model call as Tensors (a structure keeps its structure; a Tensor stays
    itself, so that gradients flow through a model called inside another)."""
    if is_structure(x):
        return map_structure(lambda v: v if isinstance(v, Tensor) else
                             Tensor.wrap(to_float_batch(as_array(v, "inputs"))), x)
    return x if isinstance(x, Tensor) else Tensor.wrap(x)


class ArrayData:
    """(x, y, sample_weight) arrays served in batches, shuffled per epoch if asked."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, shuffle=False, max_steps=None,
                 check_batches=False):
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.check_batches = check_batches  # check x's batches for NaN/Inf (``checked_arrays(x_by_batch)``)
        self.batch_size, self.shuffle = batch_size, shuffle
        n = len(first_leaf(x))
        for name, value in (("y", y), ("sample_weight", sample_weight)):
            for label, arr in leaves(value, name) if value is not None else ():
                if len(arr) != n:
                    raise ValueError(f"x and {label} have different numbers of samples: {n} and {len(arr)}")
        self.num_samples = n
        self.max_steps = max_steps          # steps_per_epoch: end each epoch after this many batches
        self.feature_axis = False           # add a last axis of 1 to x (needs_feature_axis)

    @property
    def steps(self):
        full = math.ceil(self.num_samples / self.batch_size)
        return full if self.max_steps is None else min(full, self.max_steps)

    def batches(self, rng=None):
        n, bs = self.num_samples, self.batch_size
        order = rng.permutation(n) if self.shuffle else None
        for start in range(0, self.steps * bs, bs):
            idx = order[start:start + bs] if order is not None else slice(start, start + bs)
            if self._simple:                      # one array each: no structure to walk
                xb = check_finite_batch(self.x, idx, "x") if self.check_batches else self.x[idx]
                xb = to_float_batch(xb)
                yield (xb[..., None] if self.feature_axis else xb,
                       None if self.y is None else self.y[idx],
                       None if self.sample_weight is None else self.sample_weight[idx])
            else:
                take = _Take(idx)
                yield (to_float_batch(map_structure(take, self.x)),
                       map_structure(take, self.y), map_structure(take, self.sample_weight))

    @property
    def _simple(self):
        return not any(is_structure(v) for v in (self.x, self.y, self.sample_weight))


class _Take:
    """``a[index]`` for each array of a batch (one set of positions for every input and output)."""

    def __init__(self, index):
        self.index = index

    def __call__(self, a):
        return a[self.index]


class DatasetBatches:
    """A ``tf.data``-like dataset (anything with ``as_numpy_iterator()``: scratchnn's
    ``preprocessing.Dataset``, TensorFlow's own) as a re-iterable of NumPy batches."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __iter__(self):
        return iter(self.dataset.as_numpy_iterator())


class SequenceBatches:
    """A ``keras.utils.PyDataset`` / ``Sequence`` (``__len__`` and ``__getitem__``): its
    ``on_epoch_begin()``, batches ``0 .. len-1``, then its ``on_epoch_end()``, each epoch (as Keras)."""

    def __init__(self, sequence):
        self.sequence = sequence

    def __iter__(self):
        on_epoch_begin = getattr(self.sequence, "on_epoch_begin", None)
        if callable(on_epoch_begin):
            on_epoch_begin()
        for i in range(len(self.sequence)):
            yield self.sequence[i]

    def end_epoch(self):
        """``IterableData`` calls this when an epoch's batches are done."""
        on_epoch_end = getattr(self.sequence, "on_epoch_end", None)
        if callable(on_epoch_end):
            on_epoch_end()


def is_dataset(x):
    return hasattr(x, "as_numpy_iterator") and hasattr(x, "cardinality")


def is_sequence(x):
    """A Keras ``PyDataset``/``Sequence``: ``__len__`` and ``__getitem__``, not an array or a list."""
    return (hasattr(x, "__len__") and hasattr(x, "__getitem__") and not isinstance(x, (list, tuple, dict))
            and not is_array_like(x) and not is_dataset(x))


def refuse_batch_size(x, batch_size, what):
    """Keras's rule: a dataset or a generator makes its own batches (a ``PyDataset``'s own batches
    are used too, and ``batch_size`` is ignored, as Keras 3 does)."""
    if batch_size is not None and x is not None and not is_array_like(x) and not is_sequence(x):
        raise ValueError(f"{what}(): the batch_size argument must not be given when x is a "
                         f"{type(x).__name__} (it yields batches already; batch it with .batch() or "
                         f"in the generator), got batch_size={batch_size!r}")


def batch_source(x, steps, what="fit", steps_name="steps_per_epoch"):
    """``IterableData`` for a dataset, a ``PyDataset``/``Sequence``, a generator or an iterable of
    batches; the number of batches per epoch from ``len()`` when it is known (the progress bar's
    length). An endless dataset needs ``steps``: Keras's error otherwise."""
    kind = type(x).__name__
    length = None
    if is_dataset(x):
        length = int(x.cardinality())
        if length == -1 and steps is None:
            raise ValueError(f"{what}(): the {kind} repeats for ever (its cardinality is infinite): pass "
                             f"{steps_name}, the number of batches per epoch")
        x = DatasetBatches(x)
    elif is_sequence(x):
        length = len(x)
        x = SequenceBatches(x)
    if steps is not None:
        return IterableData(x, steps, kind=kind, keep_position=True)
    return IterableData(x, length if length is not None and length >= 0 else None, kind=kind)


class IterableData:
    """Batches from a generator or any iterable of ``x`` / ``(x, y)`` / ``(x, y, w)``.

    A re-iterable (a list, a dataset, a Sequence-like object) is iterated afresh each epoch;
    a one-shot generator needs ``steps`` (batches per epoch), as in Keras. With
    ``keep_position`` (``steps_per_epoch`` given), an epoch continues where the last one stopped
    and the source starts again only once it is exhausted (Keras 3: ``ds.repeat()`` with
    ``steps_per_epoch`` runs through the data, not over its first batches each epoch). Each batch is checked
    as arrays are (NaN, Inf, values too large for float32) before it is used; ``peek()`` reads the
    first batch ahead, so that an empty source or a batch without targets is refused before any step.
    """

    def __init__(self, source, steps=None, kind=None, keep_position=False):
        self.source, self.steps = source, steps
        self.one_shot = iter(source) is source
        self.kind = "generator" if self.one_shot else (kind or type(source).__name__)
        self.keep_position = keep_position
        self.feature_axis = False           # add a last axis of 1 to x (needs_feature_axis)
        self.reweight = None                # fit's class_weight: (y, w) -> the batch's sample weights
        self._iterator = None
        self._pending = None        # the batch peek() read, served first
        self._used = False          # an epoch has started
        self._count = 0

    def peek(self):
        """The first batch ``(x, y, sample_weight)`` of the next epoch, or None if there is none."""
        if self._iterator is None or (self._used and not self.one_shot and not self.keep_position):
            self._iterator, self._used, self._count = iter(self.source), False, 0
        if self._pending is None:
            try:
                self._pending = self._read()
            except StopIteration:
                return None
        return self._pending

    def _read(self):
        self._count += 1
        return self._unpack(next(self._iterator), f" in batch {self._count} of the {self.kind}")

    def _next(self):
        if self._pending is not None:
            batch, self._pending = self._pending, None
            return batch
        return self._read()

    def batches(self, rng=None):
        if self.steps is None and self.one_shot and self._used:
            raise ValueError("the generator is exhausted after one epoch; pass steps_per_epoch "
                             "(or a re-iterable such as a list) to train for several epochs")
        if self._iterator is None or (self._used and not self.one_shot and not self.keep_position):
            self._iterator, self._pending, self._count = iter(self.source), None, 0
        self._used = True
        for _ in range(self.steps) if self.steps is not None else itertools.count():
            try:
                batch = self._next()
            except StopIteration:
                if self.one_shot or self.steps is None:
                    break
                self._iterator, self._count = iter(self.source), 0      # a re-iterable starts over
                batch = self._next()
            if self.feature_axis:
                batch = (batch[0][..., None],) + batch[1:]
            if self.reweight is not None:
                if batch[1] is None:
                    raise ValueError(f"class_weight needs targets: the batches of the {self.kind} "
                                     "hold x alone")
                batch = (batch[0], batch[1], self.reweight(batch[1], batch[2]))
            yield batch
        if hasattr(self.source, "end_epoch"):
            self.source.end_epoch()

    @staticmethod
    def _unpack(item, where=""):
        if not isinstance(item, (tuple, list)):
            item = (item,)
        if not 1 <= len(item) <= 3:
            raise ValueError(f"a batch must be x, (x, y) or (x, y, sample_weight); got {len(item)} items")
        x = _structure_as_arrays(item[0], "x")
        y = _structure_as_arrays(item[1], "y") if len(item) > 1 and item[1] is not None else None
        w = _structure_as_arrays(item[2], "sample_weight") if len(item) > 2 and item[2] is not None else None
        for value, name in ((x, "x"), (y, "y"), (w, "sample_weight")):
            for label, arr in leaves(value, name) if value is not None else ():
                check_finite(arr, label, where)
        return map_structure(to_float_batch, x), y, w


def is_array_like(x):
    """True for data given as one array (an ndarray, a list, a Tensor; a dict, a number or a string,
    which ``as_array`` refuses with a message), False for an iterable of batches."""
    if is_structure(x):
        return True           # the arrays of several inputs: [x1, x2], (x1, x2), {"a": x1, ...}
    if isinstance(x, list) and x and isinstance(x[0], tuple):
        return False          # a list of (x, y[, sample_weight]) batches
    if isinstance(x, (np.ndarray, list, Tensor, dict, int, float, complex, str, bytes, np.generic)):
        return True
    return hasattr(x, "__array__") and not hasattr(x, "__next__")
