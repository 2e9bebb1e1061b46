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
    array ``ids != 0`` (True = a real token), and the output carries it (``get_mask(out)``, Keras's
    implicit mask, see ``layers/masking.py``): the layers after it pass it on, ``MultiHeadAttention``
    and the transformer blocks use it as their padding masks (no position attends to padding), and
    the loss ignores the padded positions. With mask_zero the vocabulary's real tokens are
    1 .. input_dim - 1.
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

    def compute_mask(self, inputs, previous_mask=None):
        """The padding mask ``ids != 0`` (a boolean array of the ids' shape) when ``mask_zero``,
        else None (the ids' own mask, if any, is not used: as in Keras)."""
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


class PositionEmbedding(Layer):
    """A learned vector per position (keras-hub's ``PositionEmbedding``), to add to the token
    embeddings: ``x = tokens + PositionEmbedding(sequence_length)(tokens)``.

    Input (B, T, D) (only its shape is used); output (B, T, D): row ``start_index + t`` of the
    weight ``embeddings`` (sequence_length, D) at position t, the same for every sample. The
    gradient of each row is the sum over the batch. ``sequence_length`` is the longest sequence
    the layer knows: a longer one (counting ``start_index``) raises an error with both lengths.
    A mask on the input passes on to the output.
    """
    supports_masking = True

    def __init__(self, sequence_length, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = _positive_int(sequence_length, "PositionEmbedding: sequence_length")
        self.initializer = _initializers.get(initializer)
        self.position_embeddings = None

    def build(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(f"PositionEmbedding '{self.name}': expected inputs (batch, sequence, features) "
                             f"with a known feature size, got shape {input_shape}")
        self.position_embeddings = self.add_weight("embeddings", (self.sequence_length, input_shape[-1]),
                                                   self.initializer)

    def _check_input(self, shape):
        features = self.position_embeddings.shape[1]
        if len(shape) < 2 or shape[-1] != features:
            raise ValueError(f"PositionEmbedding '{self.name}' expects inputs (..., sequence, {features}), "
                             f"got shape {tuple(shape)}")

    def __call__(self, inputs, start_index=0, training=None):
        """Checks the length before anything is built (a refused call changes nothing)."""
        shape = np.shape(inputs.data if isinstance(inputs, Tensor) else inputs)
        start_index = int(start_index)
        if len(shape) >= 2 and (start_index < 0 or start_index + shape[-2] > self.sequence_length):
            raise ValueError(f"PositionEmbedding '{self.name}': a sequence of length {shape[-2]} (from "
                             f"position {start_index}) is longer than the layer's sequence_length "
                             f"{self.sequence_length}")
        return super().__call__(inputs, start_index=start_index, training=training)

    def call(self, inputs, start_index=0, training=False):
        length = inputs.shape[-2]
        rows = self.position_embeddings[start_index:start_index + length]          # (T, D)
        return F.broadcast_to(rows, inputs.shape)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "sequence_length": self.sequence_length,
                "initializer": _initializers.serialize(self.initializer)}


class SinusoidalPositionEncoding(Layer):
    """The fixed position encoding of "Attention is all you need" (Vaswani et al. 2017), keras-hub's
    ``SinePositionEncoding``: for position p and feature i of D,

        PE(p, 2k)     = sin(p / max_wavelength^(2k / D))
        PE(p, 2k + 1) = cos(p / max_wavelength^(2k / D))

    (even features are sines, odd ones cosines, wavelengths from 2 pi to max_wavelength * 2 pi).
    Input (B, T, D) (only its shape is used); output (B, T, D), to add to the token embeddings;
    positions start at ``start_index``. No weights: nothing to learn, any length works.
    A mask on the input passes on to the output.
    """
    supports_masking = True

    def __init__(self, max_wavelength=10000, **kwargs):
        super().__init__(**kwargs)
        if not max_wavelength > 0:
            raise ValueError(f"SinusoidalPositionEncoding: max_wavelength must be > 0, "
                             f"got {max_wavelength!r}")
        self.max_wavelength = float(max_wavelength)

    def _check_input(self, shape):
        """Any (..., T, D)."""

    def encoding(self, length, features, start_index=0):
        """The (length, features) array PE(start_index + t, i) (in float64)."""
        positions = np.arange(start_index, start_index + length, dtype=np.float64)[:, None]
        even = 2 * (np.arange(features) // 2)                       # 2k for features 2k and 2k + 1
        angles = positions / self.max_wavelength ** (even / features)
        return np.where(np.arange(features) % 2 == 0, np.sin(angles), np.cos(angles))

    def call(self, inputs, start_index=0, training=False):
        if inputs.ndim < 2:
            raise ValueError(f"SinusoidalPositionEncoding '{self.name}': expected inputs (..., sequence, "
                             f"features), got shape {inputs.shape}")
        pe = self.encoding(inputs.shape[-2], inputs.shape[-1], start_index).astype(self.dtype)
        return Tensor.wrap(np.broadcast_to(pe, inputs.shape))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "max_wavelength": self.max_wavelength}


SinePositionEncoding = SinusoidalPositionEncoding     # keras-hub's name
