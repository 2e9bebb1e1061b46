"""``Embedding``: token ids in, one learned vector per token out (Keras 3's names, arguments and
defaults). The lookup and its gradient are in ``scratchnn.functional.embedding``.
"""
import numpy as np

from .. import constraints as _constraints
from .. import functional as F
from .. import initializers as _initializers
from .. import regularizers as _regularizers
from ..autograd import Tensor
from .base import Layer
from .core import serialize_or_none


def _positive_int(value, what):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return int(value)


class Embedding(Layer):
    """Maps each token id to a learned vector: ``y[..., :] = embeddings[ids[...], :]``.

    ``input_dim``: the vocabulary size (ids are 0 .. input_dim - 1); ``output_dim``: the length
    of each vector. Input: integer ids of any shape (batch, T, ...) (float ids holding whole
    numbers are accepted, as a model passes them); output: shape + (output_dim,). The weight
    ``embeddings`` has shape (input_dim, output_dim), initialised with ``U(-0.05, 0.05)`` (Keras's
    'uniform'). Backpropagation: each row receives the sum of the gradients of the positions that
    looked it up (a scatter-add; see ``F.embedding``). Parameters: input_dim * output_dim.

    An id outside [0, input_dim), or a float id that is not a whole number, raises an error naming
    the layer, the id and the vocabulary size.

    ``mask_zero=True``: id 0 is padding. ``layer.compute_mask(ids)`` then returns the boolean
    array ``ids != 0`` (True = a real token), which the attention layers take as their padding
    masks: ``MultiHeadAttention(...)(x, x, query_mask=mask, value_mask=mask)`` (so that no
    position attends to padding). With mask_zero the vocabulary's real tokens are 1 .. input_dim - 1.
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, activity_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = _positive_int(input_dim, "Embedding: input_dim")
        self.output_dim = _positive_int(output_dim, "Embedding: output_dim")
        self.embeddings_initializer = _initializers.get(embeddings_initializer)
        self.embeddings_regularizer = _regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = _constraints.get(embeddings_constraint)
        self.activity_regularizer = _regularizers.get(activity_regularizer)
        self.mask_zero = bool(mask_zero)
        self.embeddings = None

    def _owner(self):
        return f"Embedding '{self.name}'"

    def __call__(self, inputs, training=None):
        if not isinstance(inputs, Tensor):            # integer ids stay integers
            inputs = Tensor.wrap(F.token_ids(inputs, self.input_dim, self._owner()))
        return super().__call__(inputs, training=training)

    def build(self, input_shape):
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim),
                                          self.embeddings_initializer, self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)

    def _check_input(self, shape):
        """Any shape: sequences may change length from one call to the next."""

    def call(self, inputs, training=False):
        return F.embedding(F.token_ids(inputs, self.input_dim, self._owner()), self.embeddings)

    def compute_mask(self, inputs, mask=None):
        """The padding mask ``ids != 0`` (a boolean array of the ids' shape) when ``mask_zero``,
        else None."""
        if not self.mask_zero:
            return None
        return F.token_ids(inputs, self.input_dim, self._owner()) != 0

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "embeddings_initializer": _initializers.serialize(self.embeddings_initializer),
                "embeddings_regularizer": serialize_or_none(_regularizers, self.embeddings_regularizer),
                "embeddings_constraint": serialize_or_none(_constraints, self.embeddings_constraint),
                "activity_regularizer": serialize_or_none(_regularizers, self.activity_regularizer),
                "mask_zero": self.mask_zero}
