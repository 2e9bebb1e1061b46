"""The embedding lookup: token ids in, one learned vector per token out.

An embedding table W has one row per token of the vocabulary (``input_dim`` rows of
``output_dim`` values). For integer ids of any shape (batch, T, ...),

    y[b, t, :] = W[ids[b, t], :]                      (a gather: no arithmetic)

Backpropagation: only the rows that were looked up receive gradient, and a token that occurs
several times receives the sum of the gradients of all its occurrences,

    dW[v, :] = sum over the (b, t) with ids[b, t] == v of g[b, t, :]     (a scatter-add)

Ids get no gradient (they are indices, not values). Writing dW[ids] += g would be wrong: NumPy's
fancy-index assignment keeps one of the repeated rows instead of adding them all;
``np.add.at`` adds them all (the readable code below); ``kernels/embedding.py`` computes the
same sums faster by sorting the ids.
"""
import numpy as np

from ..autograd import Function, Tensor
from ..backend import fast_kernels_enabled
from ..kernels import embedding as fast
from ..ops import backward_by_recomputing, lift


def token_ids(ids, vocabulary_size, owner="embedding"):
    """``ids`` (array or Tensor) as an integer array after checking that every id is a whole number
    in [0, vocabulary_size): float ids are accepted when they hold whole numbers (3.0), as a model
    passes them. ``owner`` names who checks, in the error message."""
    arr = np.asarray(ids.data if isinstance(ids, Tensor) else ids)
    if arr.dtype.kind == "f":
        whole = np.isfinite(arr) & (arr == np.round(arr)) if arr.size else np.ones(0, bool)
        if not whole.all():
            bad = arr.reshape(-1)[np.flatnonzero(~whole.reshape(-1))[0]]
            raise ValueError(f"{owner}: token ids must be whole numbers, got {float(bad)!r} "
                             f"(dtype {arr.dtype})")
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "iu":
        raise TypeError(f"{owner}: token ids must be integers, got an array of dtype {arr.dtype}")
    if arr.size:
        low, high = arr.min(), arr.max()
        if low < 0 or high >= vocabulary_size:
            bad = int(low if low < 0 else high)
            raise ValueError(f"{owner}: token id {bad} is outside the vocabulary of {vocabulary_size} "
                             f"tokens (ids must be in [0, {vocabulary_size}))")
    return arr


class EmbeddingLookup(Function):
    """y = W[ids]; dW = scatter-add of g over the ids (see the module docstring)."""

    def forward(self, table, ids):
        self.ids, self.num_rows = ids, table.shape[0]
        return table[ids]

    def backward(self, g):
        ids = self.ids.reshape(-1)
        rows = g.reshape(ids.size, g.shape[-1])
        if fast_kernels_enabled():
            return fast.scatter_add_rows(self.xp, ids, rows, self.num_rows)
        dtable = self.xp.zeros((self.num_rows, g.shape[-1]), dtype=g.dtype)
        self.xp.add.at(dtable, ids, rows)           # adds every occurrence of a repeated id
        return dtable

    def backward_graph(self, g):
        """Second derivatives: the lookup as indexing (``table[ids]``), whose gradient is a
        scatter-add that can be differentiated again."""
        return backward_by_recomputing(self, g, lambda table: table[self.ids])


def embedding(ids, embeddings):
    """The rows of ``embeddings`` (shape (vocabulary, D)) named by the integer ``ids`` (any shape):
    output shape ``ids.shape + (D,)``. Gradient only for ``embeddings`` (a scatter-add)."""
    embeddings = lift(embeddings)
    if embeddings.ndim != 2:
        raise ValueError(f"embedding: the table must have 2 axes (vocabulary, dim), got shape "
                         f"{embeddings.shape}")
    arr = token_ids(ids, embeddings.shape[0])
    return EmbeddingLookup.apply(embeddings, ids=arr)
