"""``Dataset.padded_batch``'s node: batches of elements whose shapes differ (sentences of different
lengths), each component padded to one shape with a padding value.

The shape of a component in a batch is, axis by axis, the given ``padded_shapes`` entry, or the
longest of the batch where that entry is ``None`` or -1 (or no shape is given); an element longer
than a fixed entry is refused. Elements are gathered one by one (ragged data cannot be sliced whole).
"""
import numpy as np

from .dataset_nodes import Node, expand, rows
from .structure import leaves, map_structure


def matching(structure, other, name):
    """``other``'s entries at the leaves of ``structure`` (a single entry stands for every leaf)."""
    if isinstance(structure, (tuple, dict)) and not isinstance(other, type(structure)):
        return [other] * len(leaves(structure))
    if isinstance(structure, tuple):
        if len(other) != len(structure):
            raise ValueError(f"padded_batch: {name} has {len(other)} entries for elements of "
                             f"{len(structure)}")
        return [v for s, o in zip(structure, other) for v in matching(s, o, name)]
    if isinstance(structure, dict):
        return [v for k, s in structure.items() for v in matching(s, other[k], name)]
    return [other]


class PaddedBatch(Node):
    def __init__(self, parent, batch_size, padded_shapes, padding_values, drop_remainder):
        super().__init__(parent)
        self.batch_size, self.drop_remainder = batch_size, drop_remainder
        self.padded_shapes, self.padding_values = padded_shapes, padding_values

    def cardinality(self):
        n = self.parent.cardinality()
        if n < 0:
            return n
        return n // self.batch_size if self.drop_remainder else -(-n // self.batch_size)

    def _pad(self, elements):
        first = elements[0]
        shapes = matching(first, self.padded_shapes, "padded_shapes")
        values = matching(first, self.padding_values, "padding_values")
        columns = list(zip(*(leaves(e) for e in elements)))
        out = []
        for k, (column, shape, value) in enumerate(zip(columns, shapes, values)):
            ranks = {np.ndim(a) for a in column}
            if len(ranks) > 1:
                raise ValueError(f"padded_batch: component {k} has elements of different ranks "
                                 f"{sorted(ranks)}")
            longest = np.max([np.shape(a) for a in column], axis=0) if column[0].ndim else ()
            target = tuple(int(m) if s is None or s == -1 else int(s)
                           for m, s in zip(longest, shape if shape is not None else longest))
            if any(m > t for m, t in zip(longest, target)):
                raise ValueError(f"padded_batch: component {k} has an element of shape {tuple(longest)}, "
                                 f"longer than its padded shape {target}")
            fill = value if value is not None else ("" if column[0].dtype.kind in "US" else 0)
            dtype = np.result_type(*column) if column[0].dtype.kind not in "US" else column[0].dtype
            batch = np.full((len(column),) + target, fill, dtype=dtype)
            for i, a in enumerate(column):
                batch[(i,) + tuple(slice(0, d) for d in np.shape(a))] = a
            out.append(batch)
        flat = iter(out)
        return map_structure(lambda _: next(flat), first)

    def chunks(self):
        pending = []
        for structure, n in self.parent.chunks():
            for i in range(n):
                pending.append(rows(structure, i))
                if len(pending) == self.batch_size:
                    batch, pending = self._pad(pending), []
                    yield expand(batch), 1
        if pending and not self.drop_remainder:
            yield expand(self._pad(pending)), 1
