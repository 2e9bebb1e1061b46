"""Training windows for a language model: random slices of a long token array, each paired
with the same slice shifted by one token (nanoGPT's ``get_batch``).

    from scratchnn.preprocessing import TextWindows
    train = TextWindows(train_ids, block_size=64, batch_size=12, steps=200, seed=0)
    val = TextWindows(val_ids, block_size=64, batch_size=12, steps=20, seed=1, fixed=True)
    model.fit(train, validation_data=val, epochs=10)          # an epoch = 200 random batches

A window starting at position s is ``x = tokens[s : s + block_size]`` and its targets are
``y = tokens[s + 1 : s + block_size + 1]``: at every position t the model learns to predict
``y[t]``, the token after ``x[t]``. There are ``len(tokens) - block_size`` possible windows
(a million for tiny Shakespeare), far too many to visit in order, so each batch draws its
``batch_size`` starts uniformly at random, as nanoGPT does.
"""
import numpy as np

from .validation import as_array, check_positive_int, check_random_state

__all__ = ["TextWindows", "windows_at"]


def _tokens(tokens, block_size, who):
    ids = as_array(tokens)
    if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
        raise ValueError(f"{who}: tokens must be a 1-D array of integer token ids, got shape {ids.shape} "
                         f"and dtype {ids.dtype}")
    if len(ids) < block_size + 1:
        raise ValueError(f"{who}: {len(ids)} tokens are too few for windows of block_size {block_size}: "
                         f"a window and its shifted targets need block_size + 1 = {block_size + 1} tokens")
    return ids


def windows_at(tokens, starts, block_size):
    """``(x, y)``, each (len(starts), block_size) int64: ``x[i] = tokens[s : s + block_size]`` and
    ``y[i] = tokens[s + 1 : s + block_size + 1]`` for each start s (one gather, no Python loop)."""
    tokens = _tokens(tokens, block_size, "windows_at")
    starts = np.asarray(starts)
    if starts.ndim != 1 or (starts.size and starts.dtype.kind not in "iu"):
        raise ValueError(f"windows_at: starts must be a 1-D array of integer positions, got shape "
                         f"{starts.shape} and dtype {starts.dtype}")
    last = len(tokens) - block_size - 1
    if starts.size and (starts.min() < 0 or starts.max() > last):
        bad = int(starts.min() if starts.min() < 0 else starts.max())
        raise ValueError(f"windows_at: start {bad} is outside [0, {last}] (windows of {block_size} tokens "
                         f"plus the next one, in {len(tokens)} tokens)")
    rows = tokens[starts[:, None] + np.arange(block_size + 1)].astype(np.int64, copy=False)
    return rows[:, :-1], rows[:, 1:]


class TextWindows:
    """``steps`` batches of ``batch_size`` random windows of ``tokens`` per pass (per epoch).

    * ``tokens``: a 1-D array of integer ids (``CharTokenizer().fit(text).encode(text)``);
    * ``block_size``: the window length T (the model's ``sequence_length``);
    * each batch is ``(x, y)``, both int64 of shape (batch_size, block_size), ``y`` being ``x``
      shifted by one token (``windows_at``); ``fit`` accepts the object as it accepts a list of
      batches (``len()`` is ``steps``);
    * ``seed``: an int gives a generator made once, so that successive passes draw new windows
      but the whole sequence repeats from one run to the next; None draws from scratchnn's global
      generator (``scratchnn.utils.set_random_seed``); a ``numpy.random.Generator`` is used as is;
    * ``fixed=True``: the starts are drawn once, here, and every pass yields the very same
      batches: a fixed validation set, so that validation losses of different epochs (or runs)
      are measured on the same text.

    ``starts()`` returns the (steps, batch_size) start positions of the next pass (and draws
    them); iterating calls it.
    """

    def __init__(self, tokens, block_size, batch_size=12, steps=100, seed=None, fixed=False):
        who = "TextWindows"
        self.block_size = check_positive_int(block_size, "block_size", who)
        self.batch_size = check_positive_int(batch_size, "batch_size", who)
        self.steps = check_positive_int(steps, "steps", who)
        self.tokens = _tokens(tokens, self.block_size, who)
        self.fixed = bool(fixed)
        self._rng = None if seed is None else check_random_state(seed, who)
        self._fixed_starts = self._draw() if self.fixed else None

    @property
    def num_windows(self):
        """How many different windows there are: ``len(tokens) - block_size``."""
        return len(self.tokens) - self.block_size

    def _draw(self):
        rng = self._rng if self._rng is not None else check_random_state(None, "TextWindows")
        return rng.integers(0, self.num_windows, size=(self.steps, self.batch_size))

    def starts(self):
        """The (steps, batch_size) start positions of the next pass."""
        return self._fixed_starts if self.fixed else self._draw()

    def __len__(self):
        return self.steps

    def __iter__(self):
        for row in self.starts():
            yield windows_at(self.tokens, row, self.block_size)

    def __repr__(self):
        return (f"TextWindows({len(self.tokens)} tokens, block_size={self.block_size}, "
                f"batch_size={self.batch_size}, steps={self.steps}{', fixed' if self.fixed else ''})")
