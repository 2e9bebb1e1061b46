"""``Dataset.shuffle``'s node: TensorFlow's shuffle buffer, computed a chunk at a time.

The buffer holds ``buffer_size`` elements; each output is the element of a uniformly drawn slot,
which the next input element then fills; when the input ends the buffer is emptied in random
order. Which element a step emits depends only on the slots drawn, so a whole chunk of steps is
computed at once (``slot_history``: each step's previous draw of the same slot, by a stable sort),
for a table as an order of indices (``reservoir_order``), for a stream as rows (``buffered_shuffle``).
"""
import functools

import numpy as np

from .. import random as _random
from .dataset_nodes import Node, concat, length, pieces, rows
from .structure import map_structure


class Shuffle(Node):
    """TensorFlow's shuffle buffer: the first ``buffer_size`` elements fill a buffer; each output is
    a uniformly drawn element of the buffer, replaced by the next input element; when the input
    ends, the buffer is emptied in random order. ``buffer_size >= n`` is a uniform permutation.

    On a table the order is computed on indices, without a Python loop (``reservoir_order``);
    otherwise elements go through the buffer one by one."""

    def __init__(self, parent, buffer_size, seed, reshuffle_each_iteration):
        super().__init__(parent)
        self.buffer_size = buffer_size
        self.reshuffle = reshuffle_each_iteration
        if reshuffle_each_iteration:
            self.rng = None if seed is None else np.random.default_rng(seed)
            self.fixed_seed = None
        else:            # every pass draws the same order
            self.rng = None
            self.fixed_seed = seed if seed is not None else int(_random.generator().integers(2**63 - 1))

    def _generator(self):
        if self.fixed_seed is not None:
            return np.random.default_rng(self.fixed_seed)
        return self.rng if self.rng is not None else _random.generator()

    def chunks(self):
        rng = self._generator()
        table = self.parent.table()
        if table is not None:
            n = length(table)
            yield from pieces(table, n, reservoir_order(n, self.buffer_size, rng))
            return
        yield from buffered_shuffle(self.parent.chunks(), self.buffer_size, rng)


def slot_history(draws, buffer_size):
    """For steps that draw the slots ``draws``, with the steps ordered by slot, then time
    (``by_slot``, a stable sort: no Python loop): ``first[s]``, whether step ``by_slot[s]`` is its
    slot's first draw; ``previous[s]``, the step of that slot's previous draw (meaningful where not
    ``first``); ``last[s]``, whether it is the slot's last draw. Returns
    ``(first, previous, last, by_slot)``."""
    by_slot = np.argsort(draws, kind="stable")
    slots = draws[by_slot]
    first = np.ones(len(draws), dtype=bool)
    first[1:] = slots[1:] != slots[:-1]
    last = np.ones(len(draws), dtype=bool)
    last[:-1] = first[1:]
    previous = np.full(len(draws), -1, dtype=np.int64)
    previous[1:] = by_slot[:-1]
    return first, previous, last, by_slot


def buffered_shuffle(chunks, size, rng):
    """The shuffle buffer over a stream of chunks, a chunk at a time: step ``t`` of a chunk emits what
    its drawn slot holds (the buffer's row at the slot's first draw in this chunk, else the chunk's
    element that the previous draw let in), then the slot keeps the chunk's element of its last draw."""
    buffer, filled = None, 0
    for structure, n in chunks:
        if filled < size:                                   # the filling: the first `size` elements
            take = min(size - filled, n)
            part = map_structure(np.array, rows(structure, slice(0, take)))      # a copy we may write
            buffer = part if buffer is None else concat([buffer, part], "shuffle")
            filled += take
            if take == n:
                continue
            structure, n = rows(structure, slice(take, None)), n - take
        draws = rng.integers(0, size, size=n)
        first, previous, last, by_slot = slot_history(draws, size)
        slots = draws[by_slot]
        steps = (by_slot[first], slots[first], by_slot[~first], previous[~first], slots[last], by_slot[last])
        yield map_structure(functools.partial(_emit, steps=steps), buffer, structure), n
    if buffer is not None:
        yield rows(buffer, rng.permutation(filled)), filled


def _emit(held, incoming, steps):
    """One chunk's outputs (from the buffer ``held`` or the chunk ``incoming``), then the refill."""
    from_held, held_slots, from_incoming, previous, refilled, newest = steps
    out = np.empty_like(incoming)
    out[from_held] = held[held_slots]
    out[from_incoming] = incoming[previous]
    held[refilled] = incoming[newest]                # after reading: the slots' new elements
    return out


def reservoir_order(n, buffer_size, rng):
    """The order in which a shuffle buffer of ``buffer_size`` emits elements ``0 .. n-1``.

    Input element ``buffer_size + t`` arrives at step ``t`` into the slot ``d[t]`` drawn at that
    step, and step ``t`` emits what that slot held: the element that entered it at the slot's
    previous draw, or, at its first draw, the element that filled it at the start
    (``slot_history`` finds every previous draw at once)."""
    if buffer_size >= n:
        return rng.permutation(n)
    steps = n - buffer_size
    draws = rng.integers(0, buffer_size, size=steps)
    first, previous, last, by_slot = slot_history(draws, buffer_size)
    slots = draws[by_slot]
    emitted = np.empty(steps, dtype=np.int64)
    emitted[by_slot] = np.where(first, slots, buffer_size + previous)
    remaining = np.arange(buffer_size)
    remaining[slots[last]] = buffer_size + by_slot[last]
    return np.concatenate([emitted, remaining[rng.permutation(buffer_size)]])
