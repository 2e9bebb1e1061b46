"""``GPT``: a decoder-only transformer language model (GPT-2's architecture, at the size of
nanoGPT's laptop recipe), written with scratchnn's layers so that a student can read it from
top to bottom.

    from scratchnn.models import GPT
    from scratchnn.optimizers import AdamW
    from scratchnn.losses import SparseCategoricalCrossentropy
    from scratchnn.preprocessing import TextWindows           # train_ids: the text's token ids

    model = GPT(vocabulary_size=65, sequence_length=64, num_layers=4, num_heads=4, hidden_dim=128)
    model.compile(optimizer=AdamW(1e-3), loss=SparseCategoricalCrossentropy(from_logits=True))
    model.fit(TextWindows(train_ids, block_size=64, batch_size=12, steps=200, seed=0), epochs=10)

    from scratchnn.generation import generate               # then write: tokenizer.decode(ids)
    ids = generate(model, tokenizer.encode("ROMEO:"), 300, temperature=0.8, top_k=40, block_size=64)

``scratchnn train --model gpt`` does all of this on tiny Shakespeare (``scratchnn/cli/gpt.py``),
``bench/gpt.py`` compares it with the same model in PyTorch.
"""
import math
import numbers

import numpy as np

from .. import initializers as _initializers
from .. import layers as _layers
from ..layers.base import initializing_weights
from ..layers.core import Dense, Dropout
from ..layers.embedding import Embedding, PositionEmbedding
from ..layers.normalization import LayerNormalization
from ..layers.transformer import TransformerDecoder
from .model import Model


def _positive_int(value, what):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"GPT: {what} must be a positive integer, got {value!r}")
    return int(value)


class GPT(Model):
    """A GPT: token ids (batch, T) in, next-token logits (batch, T, vocabulary_size) out.

    The picture, for one sequence of T token ids (D = ``hidden_dim``, V = ``vocabulary_size``)::

        token ids                      (T,)         e.g. "ROMEO:" as 6 ids
          |  token_embedding           (T, D)       row ids[t] of a (V, D) table
          +  position_embedding        (T, D)       row t of a (sequence_length, D) table
          |  dropout
          |  transformer_layers[0]     (T, D)  -+   x = x + SelfAttention(LayerNorm(x))   causal:
          |  ...                                |   x = x + FeedForward(LayerNorm(x))     t sees 0..t
          |  transformer_layers[L-1]   (T, D)  -+   (pre-norm TransformerDecoder blocks)
          |  layer_norm                (T, D)
          |  lm_head (Dense V)         (T, V)       logits of the token that comes after position t
          v

    FeedForward(x) = Dense(D)(GELU(Dense(intermediate_dim)(x))), the same at every position;
    SelfAttention has ``num_heads`` heads of D // num_heads features each. Because the
    attention is causal, the logits at position t depend on tokens 0..t only: one forward pass
    on a window predicts every next token of the window at once, and training compares them
    with the window shifted by one (``y[t] = x[t + 1]``) with
    ``SparseCategoricalCrossentropy(from_logits=True)`` (logits (B, T, V), targets (B, T)).

    Arguments: ``vocabulary_size`` V; ``sequence_length`` (the longest window, nanoGPT's
    ``block_size``: the position table has that many rows, a longer input is refused);
    ``num_layers``, ``num_heads``, ``hidden_dim`` D (a multiple of num_heads);
    ``intermediate_dim`` (default 4 D); ``dropout`` (after the embeddings, on the attention
    weights and on each residual branch, in training only); ``layer_norm_epsilon``;
    ``initializer_range``: every kernel and embedding starts as Normal(0, 0.02) (GPT-2 and
    nanoGPT), biases at 0, and the two projections that write into the residual stream (the
    attention's output kernel and the feed-forward's second kernel) at Normal(0, 0.02 /
    sqrt(2 num_layers)), so that the residual stream's variance does not grow with depth.

    Parameters: V D + sequence_length D + num_layers (4 D^2 + 4 D + 2 D intermediate_dim +
    intermediate_dim + D + 4 D) + 2 D + D V + V (about 0.8 million for nanoGPT's laptop size).
    """

    def __init__(self, vocabulary_size, sequence_length=64, num_layers=4, num_heads=4, hidden_dim=128,
                 intermediate_dim=None, dropout=0.0, layer_norm_epsilon=1e-5, initializer_range=0.02,
                 **kwargs):
        super().__init__(**kwargs)
        self.vocabulary_size = _positive_int(vocabulary_size, "vocabulary_size")
        self.sequence_length = _positive_int(sequence_length, "sequence_length")
        self.num_layers = _positive_int(num_layers, "num_layers")
        self.num_heads = _positive_int(num_heads, "num_heads")
        self.hidden_dim = _positive_int(hidden_dim, "hidden_dim")
        if self.hidden_dim % self.num_heads:
            raise ValueError(f"GPT: hidden_dim ({hidden_dim}) must be a multiple of num_heads ({num_heads}): "
                             "each head gets hidden_dim // num_heads features")
        self.intermediate_dim = (4 * self.hidden_dim if intermediate_dim is None
                                 else _positive_int(intermediate_dim, "intermediate_dim"))
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0 <= dropout < 1:
            raise ValueError(f"GPT: dropout must be a number in [0, 1), got {dropout!r}")
        self.dropout = float(dropout)
        self.layer_norm_epsilon = float(layer_norm_epsilon)
        if isinstance(initializer_range, bool) or not isinstance(initializer_range, numbers.Real) \
                or not initializer_range > 0:
            raise ValueError(f"GPT: initializer_range must be a number > 0, got {initializer_range!r}")
        self.initializer_range = float(initializer_range)

        normal = _initializers.RandomNormal(stddev=self.initializer_range)
        self.token_embedding = Embedding(self.vocabulary_size, self.hidden_dim, embeddings_initializer=normal,
                                         name="token_embedding")
        self.position_embedding = PositionEmbedding(self.sequence_length, initializer=normal,
                                                    name="position_embedding")
        self.embeddings_dropout = Dropout(self.dropout, name="embeddings_dropout")
        self.transformer_layers = [
            TransformerDecoder(self.intermediate_dim, self.num_heads, dropout=self.dropout, activation="gelu",
                               layer_norm_epsilon=self.layer_norm_epsilon, kernel_initializer=normal,
                               normalize_first=True, name=f"transformer_layer_{i}")
            for i in range(self.num_layers)]
        self.layer_norm = LayerNormalization(epsilon=self.layer_norm_epsilon, name="layer_norm")
        self.lm_head = Dense(self.vocabulary_size, kernel_initializer=normal, name="lm_head")

    def call(self, token_ids, training=False):
        x = self.token_embedding(token_ids)                 # (B, T, D): one learned vector per token
        x = x + self.position_embedding(x)                  # + one learned vector per position
        x = self.embeddings_dropout(x, training=training)
        for block in self.transformer_layers:               # causal self-attention, then feed-forward
            x = block(x, training=training)
        x = self.layer_norm(x)
        return self.lm_head(x)                              # (B, T, V): logits of the next token

    def build(self, input_shape):
        """Create the weights (a forward pass on zeros), for windows of any length up to
        ``sequence_length``, then scale down the initial weights of the projections into the
        residual stream (see the class docstring)."""
        any_length = (None, None, self.hidden_dim)
        for layer in (self.embeddings_dropout, self.layer_norm, self.lm_head):
            layer._build_once(any_length)
        super().build(input_shape)
        self.input_shape = (None, None)                     # (batch, T): any T <= sequence_length
        if not initializing_weights():                      # load_model: the file holds the values
            return
        stddev = self.initializer_range / math.sqrt(2 * self.num_layers)
        scaled = _initializers.RandomNormal(stddev=stddev)
        for block in self.transformer_layers:
            for layer in block.walk():
                if layer.name == "self_attention":
                    kernel = layer.output_kernel
                elif layer.name == "feedforward_output_dense":
                    kernel = layer.kernel
                else:
                    continue
                kernel.assign(np.asarray(scaled(kernel.shape, dtype=kernel.dtype)))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:2]) + (self.vocabulary_size,)

    def get_config(self):
        return {**super().get_config(), "vocabulary_size": self.vocabulary_size,
                "sequence_length": self.sequence_length, "num_layers": self.num_layers,
                "num_heads": self.num_heads, "hidden_dim": self.hidden_dim,
                "intermediate_dim": self.intermediate_dim, "dropout": self.dropout,
                "layer_norm_epsilon": self.layer_norm_epsilon, "initializer_range": self.initializer_range}


_layers.LAYERS.add(GPT)        # load_model finds it by name
