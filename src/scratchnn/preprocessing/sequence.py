"""``PyDataset`` (Keras 3) and ``Sequence`` (its older name): a base class for data that gives its
batches by index, which ``fit``/``evaluate``/``predict`` accept as ``x``.

    class Batches(PyDataset):
        def __init__(self, x, y, batch_size, **kwargs):
            super().__init__(**kwargs)
            self.x, self.y, self.batch_size = x, y, batch_size
        def __len__(self):                      # batches per epoch
            return -(-len(self.x) // self.batch_size)
        def __getitem__(self, index):           # batch number `index`: (x, y) or (x, y, w) or x
            rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
            return self.x[rows], self.y[rows]

Each epoch asks for batches ``0 .. len-1`` in order, then calls ``on_epoch_end()`` (reshuffle
there). ``workers``, ``use_multiprocessing`` and ``max_queue_size`` are accepted and ignored:
batches are made one after the other in this process.
"""

__all__ = ["PyDataset", "Sequence"]


class PyDataset:
    """Batches by index: override ``__len__`` (the number of batches) and ``__getitem__(index)``;
    optionally ``on_epoch_begin``/``on_epoch_end``."""

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.workers, self.max_queue_size = workers, max_queue_size
        self.use_multiprocessing = use_multiprocessing

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index): batch number "
                                  "index, as x, (x, y) or (x, y, sample_weight)")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__(): the number of batches")

    @property
    def num_batches(self):
        return len(self)

    def on_epoch_begin(self):
        """Called before each epoch's first batch."""

    def on_epoch_end(self):
        """Called after each epoch's last batch (shuffle the order here)."""


#: The Keras 2 name; in Keras 3, ``keras.utils.Sequence`` is ``PyDataset``.
Sequence = PyDataset
