"""The engine under ``Dataset`` (``dataset.py``): one node per transformation.

A node produces its elements in *chunks*: ``(structure, n)``, where every array of the structure
has a first axis of length ``n`` and row ``i`` of each array is part of element ``i``. Data held
in memory travels as few large chunks, so that ``from_tensor_slices((x, y)).shuffle(n).batch(32)``
costs one fancy-indexing copy per batch (batches of unshuffled data are slices, not copies) and
no Python work per element; a batch is a chunk of one element (its arrays get a first axis of 1).
Only ``map`` and ``filter`` call Python for each element they see (after ``batch``, each element
is a whole batch).

A node may also offer ``table()``: its elements as one structure of arrays, for random access
(the in-memory sources; ``take``, ``skip``, ``zip``, ``enumerate`` and ``cache`` of them), which
``shuffle`` uses to permute indices instead of elements.

``cardinality()``: the number of elements, ``INFINITE`` (-1) or ``UNKNOWN`` (-2), as TensorFlow counts.
"""
import itertools

import numpy as np

from .structure import describe, leaves, map_structure, to_arrays

INFINITE = -1
UNKNOWN = -2

#: Rows per chunk when a node cuts a large table or a permutation into pieces.
PIECE = 8192


# --------------------------------------------------------------------------- chunk helpers
def rows(structure, index):
    return map_structure(lambda a: a[index], structure)


def expand(structure):
    """One element as a chunk of one (a view with a new first axis)."""
    return map_structure(lambda a: a[None], structure)


def concat(structures, who):
    if len(structures) == 1:
        return structures[0]
    try:
        return map_structure(lambda *parts: np.concatenate(parts), *structures)
    except ValueError:
        shapes = sorted({describe(rows(s, 0)) for s in structures})
        raise ValueError(f"{who}: the elements do not all have the same shape ({', '.join(shapes)}); "
                         "batch() stacks elements of one shape only") from None


def length(structure):
    return len(leaves(structure)[0])


def stacked(elements):
    """Elements computed one by one as chunks: one chunk when they share a shape, else one each."""
    try:
        yield map_structure(lambda *parts: np.stack(parts), *elements), len(elements)
    except ValueError:                     # ragged elements (for padded_batch): one chunk each
        for element in elements:
            yield expand(element), 1


def growing_groups(items):
    """``items`` in lists of 1, 2, 4, ... up to ``PIECE``: work done element by element is handed on
    in chunks (for slicing downstream) while computing at most as far ahead as was consumed
    (``take(1)`` after ``map`` calls the function once)."""
    group, size = [], 1
    for item in items:
        group.append(item)
        if len(group) == size:
            yield group
            group, size = [], min(2 * size, PIECE)
    if group:
        yield group


def pieces(table, n, order=None):
    """``table``'s rows (in ``order`` if given) as chunks of at most ``PIECE`` rows."""
    if order is None and n <= PIECE:
        if n:
            yield table, n
        return
    for start in range(0, n, PIECE):
        index = slice(start, start + PIECE) if order is None else order[start:start + PIECE]
        part = rows(table, index)
        yield part, length(part)


# --------------------------------------------------------------------------- sources
class Table:
    """Elements held in memory as one structure of arrays (``from_tensor_slices``, ``from_tensors``,
    ``range``)."""

    def __init__(self, structure):
        self.structure = structure
        self.n = length(structure)

    def table(self):
        return self.structure

    def cardinality(self):
        return self.n

    def chunks(self):
        return pieces(self.structure, self.n)


class Counter:
    """0, 1, 2, ... for ever (``range`` without an end is not TensorFlow's; ``enumerate`` uses it)."""

    def __init__(self, start=0, dtype=np.int64):
        self.start, self.dtype = start, dtype

    def table(self):
        return None

    def cardinality(self):
        return INFINITE

    def chunks(self):
        for start in itertools.count(self.start, PIECE):
            yield np.arange(start, start + PIECE, dtype=self.dtype), PIECE


class Generated:
    """``from_generator``: each iteration calls the function again; one element per item."""

    def __init__(self, generator, args=()):
        self.generator, self.args = generator, tuple(args)

    def table(self):
        return None

    def cardinality(self):
        return UNKNOWN

    def chunks(self):
        items = (to_arrays(item, "from_generator") for item in self.generator(*self.args))
        for group in growing_groups(items):
            yield from stacked(group)


# --------------------------------------------------------------------------- one input
class Node:
    """A transformation of one input node; by default it keeps the input's table and count."""

    def __init__(self, parent):
        self.parent = parent

    def table(self):
        return None

    def cardinality(self):
        return self.parent.cardinality()


class Identity(Node):
    """``prefetch``, ``with_options``: nothing to do when everything runs at once in one thread."""

    def table(self):
        return self.parent.table()

    def chunks(self):
        return self.parent.chunks()


class Cache(Node):
    """Keeps the chunks of the first *complete* pass and serves them again afterwards (a pass cut
    short, by ``take`` for instance, caches nothing, as in TensorFlow). The kept elements are
    joined into one table when they share a shape, so that after ``map(f).cache()`` the next
    passes are batched and shuffled by slicing, as data loaded whole is."""

    def __init__(self, parent):
        super().__init__(parent)
        self.stored = None                  # the chunks of a complete pass
        self.joined = None                  # the same as one table (elements of one shape)

    def table(self):
        return self.joined if self.joined is not None else self.parent.table()

    def chunks(self):
        if self.joined is not None:
            yield from pieces(self.joined, length(self.joined))
            return
        if self.stored is not None:
            yield from self.stored
            return
        kept = []
        for chunk in self.parent.chunks():
            kept.append(chunk)
            yield chunk
        self.stored = kept
        if len(kept) > 1 and self.parent.table() is None:
            try:
                self.joined = concat([structure for structure, _ in kept], "cache")
                self.stored = None
            except ValueError:              # elements of different shapes: kept as chunks
                pass


class Take(Node):
    def __init__(self, parent, count):
        super().__init__(parent)
        self.count = count

    def table(self):
        table = self.parent.table()
        return None if table is None else rows(table, slice(0, self.count))

    def cardinality(self):
        n = self.parent.cardinality()
        if n == INFINITE:
            return self.count
        return min(n, self.count) if n >= 0 else UNKNOWN

    def chunks(self):
        left = self.count
        if left == 0:
            return
        for structure, n in self.parent.chunks():
            if n >= left:
                yield rows(structure, slice(0, left)), left
                return
            left -= n
            yield structure, n


class Skip(Node):
    def __init__(self, parent, count):
        super().__init__(parent)
        self.count = count

    def table(self):
        table = self.parent.table()
        return None if table is None else rows(table, slice(self.count, None))

    def cardinality(self):
        n = self.parent.cardinality()
        return max(n - self.count, 0) if n >= 0 else n

    def chunks(self):
        left = self.count
        for structure, n in self.parent.chunks():
            if left >= n:
                left -= n
                continue
            if left:
                structure, n, left = rows(structure, slice(left, None)), n - left, 0
            yield structure, n


class Repeat(Node):
    """``count`` passes (None: for ever); each pass iterates the input afresh, so a ``shuffle``
    before ``repeat`` gives each pass its own order."""

    def __init__(self, parent, count):
        super().__init__(parent)
        self.count = count

    def cardinality(self):
        n = self.parent.cardinality()
        if n == 0:
            return 0
        if self.count is None:
            return INFINITE if n != UNKNOWN else UNKNOWN
        return n * self.count if n >= 0 else n

    def chunks(self):
        passes = itertools.count() if self.count is None else range(self.count)
        for _ in passes:
            empty = True
            for chunk in self.parent.chunks():
                empty = False
                yield chunk
            if empty:                      # an empty input repeated for ever is empty
                return


class Batch(Node):
    """Consecutive elements stacked along a new first axis; a chunk long enough gives its batches
    as slices (views), pieces are joined only across chunk borders."""

    def __init__(self, parent, batch_size, drop_remainder):
        super().__init__(parent)
        self.batch_size, self.drop_remainder = batch_size, drop_remainder

    def cardinality(self):
        n = self.parent.cardinality()
        if n < 0:
            return n
        return n // self.batch_size if self.drop_remainder else -(-n // self.batch_size)

    def chunks(self):
        size, pending, count = self.batch_size, [], 0
        for structure, n in self.parent.chunks():
            start = 0
            while start < n:
                take = min(size - count, n - start)
                whole = start == 0 and take == n
                part = structure if whole else rows(structure, slice(start, start + take))
                start += take
                if count == 0 and take == size:
                    yield expand(part), 1
                    continue
                pending.append(part)
                count += take
                if count == size:
                    yield expand(concat(pending, "batch")), 1
                    pending, count = [], 0
        if pending and not self.drop_remainder:
            yield expand(concat(pending, "batch")), 1


class Unbatch(Node):
    def cardinality(self):
        n = self.parent.cardinality()
        return INFINITE if n == INFINITE else (0 if n == 0 else UNKNOWN)

    def chunks(self):
        for structure, n in self.parent.chunks():
            for i in range(n):
                element = rows(structure, i)
                if any(np.ndim(a) == 0 for a in leaves(element)):
                    raise ValueError("unbatch: an element has a scalar (no first axis to split)")
                k = length(element)
                if k:
                    yield element, k


class Map(Node):
    """``fn`` on each element (a tuple is spread over the arguments, as in TensorFlow)."""

    def __init__(self, parent, fn, wrap):
        super().__init__(parent)
        self.fn, self.wrap = fn, wrap

    def _apply(self, structure, i):
        element = self.wrap(rows(structure, i))
        out = self.fn(*element) if isinstance(element, tuple) else self.fn(element)
        if isinstance(out, list):          # several values returned as a list: a tuple
            out = tuple(out)
        return to_arrays(out, "map")

    def chunks(self):
        elements = (self._apply(structure, i) for structure, n in self.parent.chunks() for i in range(n))
        for group in growing_groups(elements):
            yield from stacked(group)


class Filter(Node):
    """The elements for which ``predicate`` is true (one call per element, one copy per chunk)."""

    def __init__(self, parent, predicate, wrap):
        super().__init__(parent)
        self.predicate, self.wrap = predicate, wrap

    def cardinality(self):
        n = self.parent.cardinality()
        return n if n in (0, INFINITE) else UNKNOWN

    def chunks(self):
        for structure, n in self.parent.chunks():
            keep = np.zeros(n, dtype=bool)
            for i in range(n):
                element = self.wrap(rows(structure, i))
                verdict = self.predicate(*element) if isinstance(element, tuple) else self.predicate(element)
                verdict = np.asarray(getattr(verdict, "data", verdict))
                if verdict.shape != () or verdict.dtype != bool:
                    raise ValueError(f"filter: the predicate must return one boolean, got "
                                     f"{verdict.dtype} of shape {verdict.shape}")
                keep[i] = bool(verdict)
            if keep.all():
                yield structure, n
            elif keep.any():
                yield rows(structure, keep), int(keep.sum())


class Window(Node):
    """Elements ``start, start + stride, ...`` (``size`` of them) as one element each, for ``start``
    every ``shift``: each window is a structure of datasets (``make(table)`` builds one), held in
    object arrays. The input is read whole first (a series held in memory, as windows are used)."""

    def __init__(self, parent, size, shift, stride, drop_remainder, make):
        super().__init__(parent)
        self.size, self.shift, self.stride = size, shift, stride
        self.drop_remainder, self.make = drop_remainder, make

    def _starts(self, n):
        span = (self.size - 1) * self.stride + 1
        last = n - span if self.drop_remainder else n - 1
        return range(0, max(last + 1, 0), self.shift)

    def cardinality(self):
        n = self.parent.cardinality()
        return len(self._starts(n)) if n >= 0 else n

    def chunks(self):
        table = self.parent.table()
        if table is None:
            parts = [structure for structure, _ in self.parent.chunks()]
            if not parts:
                return
            table = concat(parts, "window")
        for start in self._starts(length(table)):
            index = slice(start, start + self.size * self.stride, self.stride)

            def one(a, index=index):
                holder = np.empty(1, dtype=object)
                holder[0] = self.make(a[index])
                return holder
            yield map_structure(one, table), 1


class FlatMap(Node):
    """``fn(element)`` returns a dataset (a node here, through ``unwrap``); its elements follow one
    another."""

    def __init__(self, parent, fn, wrap, unwrap):
        super().__init__(parent)
        self.fn, self.wrap, self.unwrap = fn, wrap, unwrap

    def cardinality(self):
        n = self.parent.cardinality()
        return n if n in (0, INFINITE) else UNKNOWN

    def chunks(self):
        for structure, n in self.parent.chunks():
            for i in range(n):
                element = self.wrap(rows(structure, i))
                inner = self.fn(*element) if isinstance(element, tuple) else self.fn(element)
                yield from self.unwrap(inner).chunks()


class Enumerate(Node):
    def __init__(self, parent, start):
        super().__init__(parent)
        self.start = start

    def table(self):
        table = self.parent.table()
        if table is None:
            return None
        return (np.arange(self.start, self.start + length(table), dtype=np.int64), table)

    def chunks(self):
        position = self.start
        for structure, n in self.parent.chunks():
            yield (np.arange(position, position + n, dtype=np.int64), structure), n
            position += n


# --------------------------------------------------------------------------- several inputs
class Concatenate:
    def __init__(self, first, second):
        self.first, self.second = first, second

    def table(self):
        return None

    def cardinality(self):
        a, b = self.first.cardinality(), self.second.cardinality()
        if INFINITE in (a, b):
            return INFINITE
        return a + b if a >= 0 and b >= 0 else UNKNOWN

    def chunks(self):
        yield from self.first.chunks()
        yield from self.second.chunks()


class Zip:
    """Element ``i`` of each input together; as long as the shortest input."""

    def __init__(self, nodes, pack):
        self.nodes, self.pack = nodes, pack          # pack(list of structures) -> tuple or dict

    def table(self):
        tables = [node.table() for node in self.nodes]
        if any(t is None for t in tables):
            return None
        n = min(length(t) for t in tables)
        return self.pack([rows(t, slice(0, n)) for t in tables])

    def cardinality(self):
        counts = [node.cardinality() for node in self.nodes]
        finite = [c for c in counts if c >= 0]
        if finite:
            return min(finite) if UNKNOWN not in counts or min(finite) == 0 else UNKNOWN
        return UNKNOWN if UNKNOWN in counts else INFINITE

    def chunks(self):
        iterators = [node.chunks() for node in self.nodes]
        current = [(None, 0, 0)] * len(iterators)          # (structure, n, rows used)
        while True:
            for k, it in enumerate(iterators):
                structure, n, used = current[k]
                while used == n:
                    nxt = next(it, None)
                    if nxt is None:
                        return
                    (structure, n), used = nxt, 0
                current[k] = (structure, n, used)
            step = min(n - used for _, n, used in current)
            parts = [rows(s, slice(used, used + step)) if (used or step != n) else s
                     for s, n, used in current]
            current = [(s, n, used + step) for s, n, used in current]
            yield self.pack(parts), step
