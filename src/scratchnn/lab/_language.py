"""The small language models the text lessons share (``attention``, ``transformer``,
``temperature``): a causal transformer built from the library's layers, and helpers to cut a text
into training windows, to record a validation loss during training and to measure it.

A causal transformer (a small "GPT") reads token ids (B, T) and returns, at every position t,
the logits of the token that comes next, computed from the tokens 0..t only:

    h = Embedding(ids) + PositionEmbedding           (B, T, D): what each token is, and where
    h = TransformerEncoder(h, causal mask)           num_layers times (pre-norm blocks, as GPT-2)
    logits = Dense(vocab)(LayerNormalization(h))     (B, T, vocab)

The causal mask (position t may attend to the positions j <= t only) is what makes it a language
model: no position can peek at the token it has to predict.
"""
import numpy as np

from .. import callbacks, layers, losses, optimizers
from ..autograd import Tensor, no_grad
from ..models import Model


def causal_mask(batch, length):
    """(batch, length, length) booleans, True where position i may attend to position j (j <= i)."""
    return np.broadcast_to(np.tril(np.ones((length, length), dtype=bool)), (batch, length, length))


class CausalTransformer(Model):
    """Token embeddings (plus a learned position embedding when ``positions``), ``num_layers``
    causal pre-norm ``TransformerEncoder`` blocks of ``num_heads`` heads, a final layer norm and a
    Dense layer to the logits of the ``vocabulary_size`` tokens.

    ``sequence_length``: the longest input (the position embedding's size).
    ``answer_start``: when set, the model returns the logits of the positions from
    ``answer_start`` on only (a task whose first tokens are a question to read, not text to
    predict); ``logits(ids)`` always returns those of every position.
    """

    def __init__(self, vocabulary_size, sequence_length, dim=64, num_heads=4, num_layers=2,
                 intermediate_dim=None, positions=True, answer_start=None, **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = int(sequence_length)
        self.answer_start = answer_start
        self.token_embedding = layers.Embedding(vocabulary_size, dim, name="token_embedding")
        self.position_embedding = (layers.PositionEmbedding(sequence_length, name="position_embedding")
                                   if positions else None)
        self.blocks = [layers.TransformerEncoder(intermediate_dim or 4 * dim, num_heads, normalize_first=True,
                                                 name=f"block_{i + 1}")
                       for i in range(num_layers)]
        self.final_norm = layers.LayerNormalization(epsilon=1e-5, name="final_norm")
        self.head = layers.Dense(vocabulary_size, name="logits")

    def _embed(self, ids, training):
        h = self.token_embedding(ids, training=training)
        if self.position_embedding is None:
            return h
        return h + self.position_embedding(h, training=training)

    def _logits(self, ids, training):
        h = self._embed(ids, training)
        mask = causal_mask(h.shape[0], h.shape[1])
        for block in self.blocks:
            h = block(h, attention_mask=mask, training=training)
        return self.head(self.final_norm(h, training=training), training=training)

    def call(self, ids, training=False):
        logits = self._logits(ids, training)
        return logits if self.answer_start is None else logits[:, self.answer_start:]

    def logits(self, ids):
        """The next-token logits (B, T, vocab) at every position of ``ids`` (B, T), as a NumPy array
        (what ``generation.generate`` needs)."""
        with no_grad():
            return self._logits(Tensor(np.asarray(ids, dtype=np.int64)), False).data

    def attention_scores(self, ids):
        """The attention weights of every block for ``ids`` (B, T): a list with one array
        (B, num_heads, T, T) per block; row i says how much position i attends to each position."""
        ids = np.asarray(ids, dtype=np.int64)
        scores = []
        with no_grad():
            h = self._embed(Tensor(ids), False)
            mask = causal_mask(*ids.shape)
            for block in self.blocks:
                h, weights = block(h, attention_mask=mask, return_attention_scores=True)
                scores.append(np.asarray(weights.data))
        return scores


def compile_language_model(model, learning_rate):
    """Adam with ``learning_rate``, and the cross-entropy of the next token (the model returns logits)."""
    model.compile(optimizer=optimizers.Adam(learning_rate),
                  loss=losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def windows(ids, length, count, rng):
    """``count`` windows of ``length + 1`` consecutive ids at random places of ``ids``, cut into
    inputs (the first ``length`` ids) and targets (the last ``length``: each input's next id),
    both int64 (count, length)."""
    starts = rng.integers(0, len(ids) - length, size=count)
    rows = ids[starts[:, None] + np.arange(length + 1)]
    return rows[:, :-1], rows[:, 1:]


def cross_entropy(model, x, y, batch_size=256):
    """The mean next-token cross-entropy of ``model`` on inputs ``x`` and targets ``y`` (both
    (n, T) ids), in nats per token: ``-mean log p(target)``."""
    total = 0.0
    with no_grad():
        for i in range(0, len(x), batch_size):
            logits = np.asarray(model(Tensor(x[i:i + batch_size])).data, dtype=np.float64)
            logits -= logits.max(axis=-1, keepdims=True)
            log_p = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
            total -= float(np.take_along_axis(log_p, y[i:i + batch_size][..., None], axis=-1).sum())
    return total / y.size


def validation_curve(model, x_val, y_val, every, steps, values):
    """A callback that appends ``(step, validation cross-entropy)`` to ``values`` after every
    ``every``-th training step (steps counted from 1 over the whole ``fit``)."""
    done = [0]

    def on_train_batch_end(batch, logs):
        done[0] += 1
        if done[0] % every == 0 or done[0] == steps:
            values.append((done[0], cross_entropy(model, x_val, y_val)))
    return callbacks.LambdaCallback(on_train_batch_end=on_train_batch_end)
