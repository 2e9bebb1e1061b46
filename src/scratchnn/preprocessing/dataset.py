"""``Dataset``: a small ``tf.data.Dataset`` on NumPy arrays (``tf.data`` in
``scratchnn.compat.tensorflow`` is this class).

    ds = Dataset.from_tensor_slices((x_train, y_train)).shuffle(1000, seed=0).batch(32)
    model.fit(ds, epochs=5, validation_data=val_ds)
    for xb, yb in ds.take(1):
        print(xb.numpy().shape)

An element is an array, or a tuple or dict of arrays (nested); iterating a dataset gives each
element as scratchnn ``Tensor``s (``.numpy()`` gives the array back; text stays a NumPy array),
``as_numpy_iterator()`` as NumPy arrays. A dataset is re-iterable: each ``for`` loop (each
epoch of ``fit``) starts again from the first element, and a ``shuffle`` in it draws a new
order (``reshuffle_each_iteration=True``, the default).

Transformations return a new dataset and change nothing in place; they run when the dataset is
iterated. Data in memory is batched by slicing whole arrays (``dataset_nodes.py``): no Python
work per element unless ``map`` or ``filter`` needs it. ``map`` after ``batch`` calls its
function once per batch, on the whole batch (the faster order, as in TensorFlow).

Out of scope (this is not TensorFlow): files (``TFRecordDataset``, ``cache(filename)`` keeps the
cache in memory), ``interleave``, ``group_by_window``, distribution, and graph tracing (functions given
to ``map``/``filter`` run eagerly on tensors; ``num_parallel_calls`` and ``deterministic`` are
accepted and ignored, as is ``prefetch``).
"""
import numbers

import numpy as np

from ..autograd import Tensor
from . import dataset_nodes as nodes
from .dataset_padding import PaddedBatch
from .dataset_shuffle import Shuffle
from .structure import describe, leaves, map_structure, to_arrays

__all__ = ["Dataset", "TensorSpec", "AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY"]

#: ``tf.data.AUTOTUNE``: accepted wherever TensorFlow accepts it (it changes nothing here).
AUTOTUNE = -1
INFINITE_CARDINALITY = nodes.INFINITE
UNKNOWN_CARDINALITY = nodes.UNKNOWN


class TensorSpec:
    """The shape and dtype of one component of an element (``dataset.element_spec``); ``None``
    in the shape is an axis whose length varies (the batch axis of ``batch()`` without
    ``drop_remainder``)."""

    def __init__(self, shape, dtype, name=None):
        self.shape, self.dtype, self.name = tuple(shape), np.dtype(dtype), name

    def __eq__(self, other):
        return (isinstance(other, TensorSpec) and (self.shape, self.dtype, self.name)
                == (other.shape, other.dtype, other.name))

    __hash__ = None

    def __repr__(self):
        return f"TensorSpec(shape={self.shape}, dtype={self.dtype.name}, name={self.name!r})"


def _as_tensor(array):
    """An element's array as a Tensor without copy or dtype change; text stays an array, a window
    (``Dataset.window``) a Dataset."""
    if isinstance(array, Dataset):
        return array
    array = np.asarray(array)                  # a scalar component: a 0-d array
    return Tensor.wrap(array) if array.dtype.kind in "biuf" else array


def _count(value, name, who, allow_none=False, minimum=-1):
    """An integer argument (``-1``: all / for ever where TensorFlow allows it)."""
    if value is None and allow_none:
        return None
    value = getattr(value, "data", value)
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        low = "-1 (all)" if minimum == -1 else str(minimum)
        raise ValueError(f"Dataset.{who}: {name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _callable(fn, who):
    if not callable(fn):
        raise TypeError(f"Dataset.{who} needs a function, got {type(fn).__name__} {fn!r:.60}")
    return fn


#: Transformations that keep the shape and dtype of the elements.
_SAME_SPEC = (nodes.Identity, nodes.Cache, nodes.Take, nodes.Skip, nodes.Repeat, Shuffle, nodes.Filter)


def _spec_of(node):
    table = node.table()                   # data in memory (or cached): no function to run
    if table is not None:
        return map_structure(lambda a: TensorSpec(a.shape[1:], a.dtype), table)
    while isinstance(node, _SAME_SPEC):
        node = node.parent
    if isinstance(node, nodes.Batch):
        size = node.batch_size if node.drop_remainder else None
        return map_structure(lambda s: TensorSpec((size,) + s.shape, s.dtype), _spec_of(node.parent))
    first = next(iter(node.chunks()), None)
    if first is None:
        raise ValueError("element_spec: the dataset is empty, so its elements cannot be described")
    return map_structure(lambda a: TensorSpec(a.shape[1:], a.dtype), first[0])


class Dataset:
    """A sequence of elements with TensorFlow's ``tf.data.Dataset`` methods. Create one with
    ``from_tensor_slices``, ``from_tensors``, ``range``, ``zip`` or ``from_generator``."""

    def __init__(self, node):
        self._node = node

    # ----------------------------------------------------------------- sources
    @staticmethod
    def from_tensor_slices(tensors, name=None):
        """One element per row of ``tensors`` (an array, or a tuple or dict of arrays with the same
        first axis): ``from_tensor_slices((x, y))`` gives ``(x[i], y[i])``. A list is one array."""
        structure = to_arrays(tensors, "from_tensor_slices")
        arrays = leaves(structure)
        if any(a.ndim == 0 for a in arrays):
            raise ValueError(f"from_tensor_slices: every component needs a first axis to slice along; got "
                             f"shapes {describe(structure)} (use from_tensors for one element)")
        if len({len(a) for a in arrays}) > 1:
            raise ValueError(f"from_tensor_slices: all components must have the same first dimension, "
                             f"got shapes {describe(structure)}")
        return Dataset(nodes.Table(structure))

    @staticmethod
    def from_tensors(tensors, name=None):
        """A dataset of one element: ``tensors`` itself."""
        return Dataset(nodes.Table(map_structure(lambda a: a[None], to_arrays(tensors, "from_tensors"))))

    @staticmethod
    def range(*args, dtype=np.int64, name=None):
        """``range(stop)``, ``range(start, stop[, step])``: integers, as Python's ``range``."""
        if not 1 <= len(args) <= 3:
            raise TypeError(f"Dataset.range takes 1 to 3 arguments (stop or start, stop, step), "
                            f"got {len(args)}")
        for a in args:
            _count(a, "each argument", "range", minimum=-(2**62))
        if len(args) == 3 and args[2] == 0:
            raise ValueError("Dataset.range: step must not be 0")
        return Dataset(nodes.Table(np.arange(*args).astype(dtype)))

    @staticmethod
    def zip(*datasets, name=None):
        """Element ``i`` of each dataset together (a tuple, or a dict for a dict of datasets);
        as long as the shortest. ``zip((a, b))`` and ``zip(a, b)`` are the same."""
        if len(datasets) == 1 and isinstance(datasets[0], (tuple, dict)):
            datasets = datasets[0]
        if isinstance(datasets, dict):
            keys = list(datasets)
            parts = [datasets[k] for k in keys]
            def pack(structures):
                return dict(zip(keys, structures))
        else:
            parts = list(datasets)
            pack = tuple
        if not parts or not all(isinstance(d, Dataset) for d in parts):
            raise TypeError("Dataset.zip needs datasets (a tuple or dict of them), got "
                            f"{[type(d).__name__ for d in parts]}")
        return Dataset(nodes.Zip([d._node for d in parts], pack))

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None, output_signature=None,
                       name=None):
        """Elements from ``generator()`` (a function returning an iterable, called again at each
        iteration); the signature arguments are accepted and not checked."""
        _callable(generator, "from_generator")
        return Dataset(nodes.Generated(generator, args or ()))

    # ----------------------------------------------------------------- iteration
    def __iter__(self):
        """Each element as Tensors (``.numpy()`` gives the array)."""
        for structure, n in self._node.chunks():
            for i in range(n):
                yield map_structure(_as_tensor, nodes.rows(structure, i))

    def as_numpy_iterator(self):
        """Each element as NumPy arrays (a scalar component as a 0-d array's value)."""
        for structure, n in self._node.chunks():
            for i in range(n):
                yield nodes.rows(structure, i)

    def numpy_chunks(self):
        """The elements in chunks ``(structure, n)`` (the engine's view, for fast consumers such as
        ``fit``: a batched dataset gives ``(batch, 1)``, one batch with a first axis of 1)."""
        return self._node.chunks()

    def cardinality(self):
        """The number of elements as a 0-d int64 Tensor (``.numpy()``, ``int()``): ``-1``
        (``INFINITE_CARDINALITY``) for a dataset without end, ``-2`` (``UNKNOWN_CARDINALITY``)
        when it cannot be known without iterating (after ``filter``, ``unbatch``, ``from_generator``)."""
        return Tensor.wrap(np.asarray(self._node.cardinality(), dtype=np.int64))

    def __len__(self):
        n = self._node.cardinality()
        if n == INFINITE_CARDINALITY:
            raise TypeError("the dataset length is infinite (it repeats for ever)")
        if n == UNKNOWN_CARDINALITY:
            raise TypeError("the dataset length is unknown (after filter, unbatch or from_generator it "
                            "cannot be known without iterating)")
        return n

    def __bool__(self):
        return True

    @property
    def element_spec(self):
        """The ``TensorSpec`` of each component of an element (read from the first element of the
        data under the transformations that keep the spec, so no shuffle order is drawn)."""
        return _spec_of(self._node)

    def __repr__(self):
        """The count, and the element spec when it is known without running any function of yours."""
        n = self._node.cardinality()
        count = {INFINITE_CARDINALITY: "infinite", UNKNOWN_CARDINALITY: "unknown"}.get(n, n)
        table = self._node.table()
        if table is None or not nodes.length(table):
            return f"<Dataset cardinality={count}>"
        return f"<Dataset cardinality={count} element_spec={self.element_spec}>"

    def _wrap(self, structure):
        return map_structure(_as_tensor, structure)

    # ----------------------------------------------------------------- transformations
    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None, deterministic=None, name=None):
        """Consecutive elements stacked into batches of ``batch_size`` (the last one smaller unless
        ``drop_remainder=True`` drops it)."""
        return Dataset(nodes.Batch(self._node, _count(batch_size, "batch_size", "batch", minimum=1),
                                   bool(drop_remainder)))

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None, drop_remainder=False,
                     name=None):
        """Batches of elements whose shapes differ, each component padded (with ``padding_values``,
        default 0, or '' for text) to ``padded_shapes`` (one shape per component; ``None`` or -1 in
        it, or no shape at all: the longest of the batch on that axis)."""
        return Dataset(PaddedBatch(self._node, _count(batch_size, "batch_size", "padded_batch", minimum=1),
                                   padded_shapes, padding_values, bool(drop_remainder)))

    def unbatch(self, name=None):
        """The rows of each element as elements (``batch``'s inverse)."""
        return Dataset(nodes.Unbatch(self._node))

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        """Elements in random order through a buffer of ``buffer_size`` (TensorFlow's algorithm: each
        output is drawn uniformly from the buffer, which the next element refills). A buffer at least
        as large as the dataset gives a uniform permutation; a small one only mixes nearby elements.
        ``seed``: the same sequence of orders at every run (else drawn from
        ``scratchnn.random``, which ``set_random_seed`` seeds); ``reshuffle_each_iteration=False``:
        the same order at every iteration."""
        size = _count(buffer_size, "buffer_size", "shuffle")
        if size == 0:
            raise ValueError("Dataset.shuffle: buffer_size must be at least 1 (or -1: the whole dataset)")
        if size == -1:
            size = 2**62
        return Dataset(Shuffle(self._node, size, seed, bool(reshuffle_each_iteration)))

    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """``map_func`` applied to each element (given as Tensors; a tuple element is spread over the
        arguments: ``ds.map(lambda x, y: (x / 255, y))``); it returns the new element."""
        return Dataset(nodes.Map(self._node, _callable(map_func, "map"), self._wrap))

    def filter(self, predicate, name=None):
        """The elements for which ``predicate`` returns True."""
        return Dataset(nodes.Filter(self._node, _callable(predicate, "filter"), self._wrap))

    def take(self, count, name=None):
        """The first ``count`` elements (``-1``: all)."""
        count = _count(count, "count", "take")
        return self if count == -1 else Dataset(nodes.Take(self._node, count))

    def skip(self, count, name=None):
        """All but the first ``count`` elements (``-1``: skip all)."""
        count = _count(count, "count", "skip")
        return Dataset(nodes.Take(self._node, 0)) if count == -1 else Dataset(nodes.Skip(self._node, count))

    def repeat(self, count=None, name=None):
        """The dataset ``count`` times (``None`` or ``-1``: for ever)."""
        count = _count(count, "count", "repeat", allow_none=True)
        return Dataset(nodes.Repeat(self._node, None if count == -1 else count))

    def cache(self, filename="", name=None):
        """Keep the elements of the first complete iteration in memory and serve them afterwards
        (a ``filename`` is accepted; the cache is kept in memory all the same)."""
        return Dataset(nodes.Cache(self._node))

    def prefetch(self, buffer_size=None, name=None):
        """Accepted for compatibility; elements are produced when asked for."""
        return Dataset(nodes.Identity(self._node))

    def with_options(self, options, name=None):
        return Dataset(nodes.Identity(self._node))

    def concatenate(self, dataset, name=None):
        """This dataset's elements, then ``dataset``'s."""
        if not isinstance(dataset, Dataset):
            raise TypeError(f"Dataset.concatenate needs a Dataset, got {type(dataset).__name__}")
        return Dataset(nodes.Concatenate(self._node, dataset._node))

    def flat_map(self, map_func, name=None):
        """``map_func`` returns a dataset for each element; their elements, one dataset after the other
        (``ds.window(5).flat_map(lambda w: w.batch(5))``)."""
        _callable(map_func, "flat_map")

        def node_of(result):
            if not isinstance(result, Dataset):
                raise TypeError(f"Dataset.flat_map: the function must return a Dataset, got "
                                f"{type(result).__name__}")
            return result._node
        return Dataset(nodes.FlatMap(self._node, map_func, self._wrap, node_of))

    def window(self, size, shift=None, stride=1, drop_remainder=False, name=None):
        """Windows of ``size`` consecutive elements (every ``stride``-th), one starting every
        ``shift`` elements (default: ``size``); each window is a dataset (a tuple or dict of
        datasets for tuple or dict elements), usually batched whole with ``flat_map``:
        ``ds.window(6, shift=1, drop_remainder=True).flat_map(lambda w: w.batch(6))``. Without
        ``drop_remainder`` the last windows are shorter."""
        size = _count(size, "size", "window", minimum=1)
        shift = size if shift is None else _count(shift, "shift", "window", minimum=1)
        stride = _count(stride, "stride", "window", minimum=1)
        return Dataset(nodes.Window(self._node, size, shift, stride, bool(drop_remainder),
                                    lambda rows: Dataset(nodes.Table(rows))))

    def enumerate(self, start=0, name=None):
        """``(i, element)`` pairs, ``i`` counting from ``start``."""
        return Dataset(nodes.Enumerate(self._node, _count(start, "start", "enumerate", minimum=-(2**62))))

    def apply(self, transformation_func):
        """``transformation_func(self)``."""
        return transformation_func(self)
