"""Transformer blocks: ``TransformerEncoder`` and ``TransformerDecoder`` (keras-hub's names,
arguments and call semantics), each a layer that holds its sublayers as attributes (tracked:
their weights train, freeze and save with the block).

One block, after "Attention is all you need" (Vaswani et al. 2017), on x of shape (B, T, D):

    post-norm (normalize_first=False, BERT):   x = LayerNorm(x + Dropout(SelfAttention(x)))
                                               x = LayerNorm(x + Dropout(FeedForward(x)))
    pre-norm (normalize_first=True, GPT-2):    x = x + Dropout(SelfAttention(LayerNorm(x)))
                                               x = x + Dropout(FeedForward(LayerNorm(x)))

with FeedForward(x) = Dense(D)(activation(Dense(intermediate_dim)(x))) applied at every position,
and SelfAttention a ``MultiHeadAttention`` of ``num_heads`` heads of size D // num_heads. The
decoder's self-attention is causal (position i sees positions <= i), and with an encoder sequence
a cross-attention step (queries from the decoder, keys and values from the encoder) comes between
the two.

Implicit masks (keras-hub): a padding mask not given is taken from the input's mask (``get_mask``,
e.g. after ``Embedding(mask_zero=True)``), and the block's output carries the input's mask, so a
stack of blocks sees the padding throughout. At the real tokens the outputs are those of the same
call with the mask passed explicitly; at padded positions (which are padding, to be ignored) they
may differ, since the inner attention also masks the padded queries (as Keras's does).
"""
import numpy as np

from .. import functional as F
from .. import initializers as _initializers
from .. import regularizers as _regularizers
from ..autograd import Tensor
from .attention import MultiHeadAttention
from .base import Layer, format_shape
from .core import Dense, Dropout, serialize_activation, serialize_or_none
from .masking import get_mask
from .normalization import LayerNormalization


def _check_mask(layer, mask, what, expected):
    """A mask of exactly ``expected`` shape (as keras-hub requires), as a boolean array."""
    if mask is None:
        return None
    mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if mask.shape != expected:
        raise ValueError(f"{type(layer).__name__} '{layer.name}': {what} must have shape "
                         f"{format_shape(expected)}, got {format_shape(mask.shape)}")
    return mask if mask.dtype == bool else mask != 0


class _Block(Layer):
    """What the encoder and the decoder share: the arguments, the sublayers' settings, the
    feed-forward step and the residual step."""
    supports_masking = True

    def __init__(self, intermediate_dim, num_heads, dropout=0.0, activation="relu", layer_norm_epsilon=1e-5,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, normalize_first=False, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        for arg, value in (("intermediate_dim", intermediate_dim), ("num_heads", num_heads)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name}: {arg} must be a positive integer, got {value!r}")
        if not 0 <= dropout < 1:
            raise ValueError(f"{name}: dropout must be in [0, 1), got {dropout!r}")
        self.intermediate_dim, self.num_heads = int(intermediate_dim), int(num_heads)
        self.dropout = float(dropout)
        self.activation = F.get_activation(activation)
        self.layer_norm_epsilon = float(layer_norm_epsilon)
        self.kernel_initializer = _initializers.get(kernel_initializer)
        self.bias_initializer = _initializers.get(bias_initializer)
        self.kernel_regularizer = _regularizers.get(kernel_regularizer)
        self.bias_regularizer = _regularizers.get(bias_regularizer)
        self.activity_regularizer = _regularizers.get(activity_regularizer)
        self.normalize_first = bool(normalize_first)
        self.hidden_dim = None

    def _sublayer_args(self):
        return {"kernel_initializer": _initializers.get(_initializers.serialize(self.kernel_initializer)),
                "bias_initializer": _initializers.get(_initializers.serialize(self.bias_initializer)),
                "kernel_regularizer": self.kernel_regularizer, "bias_regularizer": self.bias_regularizer,
                "dtype": self.dtype}

    def _attention(self, name, query_shape, value_shape):
        hidden = query_shape[-1]
        if hidden is None or hidden // self.num_heads == 0:
            raise ValueError(f"{type(self).__name__} '{self.name}': the feature size {hidden} of the inputs "
                             f"must be at least num_heads = {self.num_heads} (each head has "
                             "feature size // num_heads values)")
        head = hidden // self.num_heads
        attention = MultiHeadAttention(self.num_heads, head, value_dim=head, dropout=self.dropout, name=name,
                                       **self._sublayer_args())
        attention.build(query_shape, value_shape)
        return attention

    def _norm(self, name, shape):
        norm = LayerNormalization(epsilon=self.layer_norm_epsilon, name=name, dtype=self.dtype)
        norm._build_once(shape)
        return norm

    def _dropout(self, name, shape):
        dropout = Dropout(self.dropout, name=name, dtype=self.dtype)
        dropout._build_once(shape)                           # built for any sequence length
        return dropout

    def _dense(self, units, name, shape, activation=None):
        dense = Dense(units, activation=activation, name=name, **self._sublayer_args())
        dense._build_once(shape)
        return dense

    def _build_feedforward(self, shape):
        inner = self.intermediate_dim
        self._feedforward_intermediate_dense = self._dense(inner, "feedforward_intermediate_dense", shape,
                                                           self.activation)
        self._feedforward_output_dense = self._dense(shape[-1], "feedforward_output_dense",
                                                     (None, None, self.intermediate_dim))

    def _attention_block(self, x, attention, norm, dropout, training, value=None, **masks):
        """x + Dropout(attention(x, value)) (value defaults to x: self-attention), with the layer norm
        applied first to x (pre-norm) or last to the sum (post-norm)."""
        residual = x
        if self.normalize_first:
            x = norm(x)
        x = attention(x, x if value is None else value, training=training, **masks)
        x = residual + dropout(x, training=training)
        return x if self.normalize_first else norm(x)

    def _feedforward_block(self, x, training):
        """x + Dropout(Dense(D)(activation(Dense(intermediate_dim)(x)))), normalized the same way."""
        residual = x
        if self.normalize_first:
            x = self._feedforward_layer_norm(x)
        x = self._feedforward_output_dense(self._feedforward_intermediate_dense(x))
        x = residual + self._feedforward_dropout(x, training=training)
        return x if self.normalize_first else self._feedforward_layer_norm(x)

    def _check_input(self, shape):
        if len(shape) != 3 or shape[-1] != self.hidden_dim:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects inputs (batch, sequence, "
                             f"{self.hidden_dim}), got shape {format_shape(shape)}")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "intermediate_dim": self.intermediate_dim,
                "num_heads": self.num_heads, "dropout": self.dropout,
                "activation": serialize_activation(self.activation),
                "layer_norm_epsilon": self.layer_norm_epsilon,
                "kernel_initializer": _initializers.serialize(self.kernel_initializer),
                "bias_initializer": _initializers.serialize(self.bias_initializer),
                "kernel_regularizer": serialize_or_none(_regularizers, self.kernel_regularizer),
                "bias_regularizer": serialize_or_none(_regularizers, self.bias_regularizer),
                "activity_regularizer": serialize_or_none(_regularizers, self.activity_regularizer),
                "normalize_first": self.normalize_first}


class TransformerEncoder(_Block):
    """One transformer encoder block (keras-hub's ``TransformerEncoder``; see the module docstring).

    ``encoder(x, padding_mask=None, attention_mask=None, training=None, return_attention_scores=False)``
    with x (B, T, D): ``padding_mask`` (B, T), True for real tokens (``Embedding(mask_zero=True)
    .compute_mask(ids)``): no position attends to padding; ``attention_mask`` (B, T, T), True where
    position i may attend to j; both combined with AND. Without ``padding_mask``, x's own mask
    (``get_mask(x)``) is used. Output (B, T, D) (and the attention scores (B, num_heads, T, T) if
    asked).

    ``dropout`` is shared by the attention weights and the two residual branches. Sublayers, in
    keras-hub's order (so ``get_weights`` lists the same arrays): self-attention (8 weights), its
    layer norm, the feed-forward layer norm, the intermediate and the output Dense.
    """

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"TransformerEncoder '{self.name}' expects inputs (batch, sequence, features), "
                             f"got shape {format_shape(input_shape)}")
        shape = (None, None, input_shape[-1])                 # any batch size, any sequence length
        self._self_attention_layer = self._attention("self_attention_layer", shape, shape)
        self._self_attention_layer_norm = self._norm("self_attention_layer_norm", shape)
        self._self_attention_dropout = self._dropout("self_attention_dropout", shape)
        self._feedforward_layer_norm = self._norm("feedforward_layer_norm", shape)
        self._build_feedforward(shape)
        self._feedforward_dropout = self._dropout("feedforward_dropout", shape)
        self.hidden_dim = input_shape[-1]

    def call(self, inputs, padding_mask=None, attention_mask=None, training=False,
             return_attention_scores=False):
        b, t, _ = inputs.shape
        padding_mask = get_mask(inputs) if padding_mask is None else padding_mask     # implicit mask
        padding_mask = _check_mask(self, padding_mask, "padding_mask", (b, t))
        attention_mask = _check_mask(self, attention_mask, "attention_mask", (b, t, t))

        # self-attention block: every position reads every (unmasked) position
        x = inputs
        if self.normalize_first:
            x = self._self_attention_layer_norm(x)
        x = self._self_attention_layer(x, x, value_mask=padding_mask, attention_mask=attention_mask,
                                       return_attention_scores=return_attention_scores, training=training)
        if return_attention_scores:
            x, scores = x
        x = inputs + self._self_attention_dropout(x, training=training)
        if not self.normalize_first:
            x = self._self_attention_layer_norm(x)

        # feed-forward block: the same two Dense layers at every position
        x = self._feedforward_block(x, training)
        return (x, scores) if return_attention_scores else x


class TransformerDecoder(_Block):
    """One transformer decoder block (keras-hub's ``TransformerDecoder``; see the module docstring).

    ``decoder(decoder_sequence, encoder_sequence=None, decoder_padding_mask=None,
    decoder_attention_mask=None, encoder_padding_mask=None, encoder_attention_mask=None,
    use_causal_mask=True, training=None)``:

    * decoder-only (GPT): ``decoder(x)``, causal self-attention then the feed-forward step;
    * encoder-decoder: ``decoder(x, encoder_outputs)`` adds cross-attention (queries from x,
      keys and values from the encoder's outputs) between them. Which of the two is fixed by the
      first call (the cross-attention weights exist only in the second), as in keras-hub.

    Masks (True = may attend): ``decoder_padding_mask`` (B, T) and ``decoder_attention_mask``
    (B, T, T) for the self-attention, with the causal mask unless ``use_causal_mask=False``;
    ``encoder_padding_mask`` (B, S) and ``encoder_attention_mask`` (B, T, S) for the
    cross-attention (a padding mask not given: that of its sequence, ``get_mask``). Output (B, T, D).

    Sublayers, in keras-hub's order: self-attention, its layer norm, [cross-attention, its layer
    norm,] the intermediate and output Dense, the feed-forward layer norm. A built decoder's config
    records the shapes it was built for, so a loaded one has the same weights.
    """

    def __init__(self, intermediate_dim, num_heads, decoder_sequence_shape=None, encoder_sequence_shape=None,
                 **kwargs):
        super().__init__(intermediate_dim, num_heads, **kwargs)
        self._cross_attention_layer = None
        self.encoder_dim = None
        if decoder_sequence_shape is not None:
            self.build(tuple(decoder_sequence_shape),
                       None if encoder_sequence_shape is None else tuple(encoder_sequence_shape))

    def build(self, decoder_sequence_shape, encoder_sequence_shape=None):
        for what, shape in (("decoder_sequence", decoder_sequence_shape),
                            ("encoder_sequence", encoder_sequence_shape)):
            if shape is not None and len(shape) != 3:
                raise ValueError(f"TransformerDecoder '{self.name}': {what} must be (batch, sequence, "
                                 f"features), got shape {format_shape(shape)}")
        shape = (None, None, decoder_sequence_shape[-1])
        self._self_attention_layer = self._attention("self_attention", shape, shape)
        self._self_attention_layer_norm = self._norm("self_attention_layer_norm", shape)
        self._self_attention_dropout = self._dropout("self_attention_dropout", shape)
        if encoder_sequence_shape is not None:
            encoder_shape = (None, None, encoder_sequence_shape[-1])
            self._cross_attention_layer = self._attention("cross_attention", shape, encoder_shape)
            self._cross_attention_layer_norm = self._norm("cross_attention_layer_norm", shape)
            self._cross_attention_dropout = self._dropout("cross_attention_dropout", shape)
            self.encoder_dim = encoder_sequence_shape[-1]
        self._build_feedforward(shape)
        self._feedforward_layer_norm = self._norm("feedforward_layer_norm", shape)
        self._feedforward_dropout = self._dropout("feedforward_dropout", shape)
        self.hidden_dim = decoder_sequence_shape[-1]
        self.input_shape = shape
        self.built = True

    def __call__(self, decoder_sequence, encoder_sequence=None, training=None, **masks):
        x = self._as_tensor(decoder_sequence)
        memory = None if encoder_sequence is None else self._as_tensor(encoder_sequence)
        if not self.built:
            self.build(x.shape, None if memory is None else memory.shape)
        has_cross = self._cross_attention_layer is not None
        if has_cross != (memory is not None):
            usage = "(decoder_sequence, encoder_sequence)" if has_cross else "(decoder_sequence)"
            built = "with" if has_cross else "without"
            raise ValueError(f"TransformerDecoder '{self.name}' was built {built} cross-attention, so call "
                             f"it as decoder{usage}: the inputs must be those of the first call")
        if has_cross and (memory.ndim != 3 or memory.shape[0] != x.shape[0]
                          or memory.shape[-1] != self.encoder_dim):
            raise ValueError(f"TransformerDecoder '{self.name}': encoder_sequence of shape "
                             f"{format_shape(memory.shape)} does not fit decoder_sequence of shape "
                             f"{format_shape(x.shape)}: expected (batch {x.shape[0]}, sequence, "
                             f"{self.encoder_dim})")
        return super().__call__(x, encoder_sequence=memory, training=training, **masks)

    def _as_tensor(self, x):
        return x if isinstance(x, Tensor) else Tensor(x, dtype=self.dtype)

    def call(self, decoder_sequence, encoder_sequence=None, decoder_padding_mask=None,
             decoder_attention_mask=None, encoder_padding_mask=None, encoder_attention_mask=None,
             use_causal_mask=True, training=False):
        b, t, _ = decoder_sequence.shape
        if decoder_padding_mask is None:                                             # implicit masks
            decoder_padding_mask = get_mask(decoder_sequence)
        if encoder_padding_mask is None:
            encoder_padding_mask = get_mask(encoder_sequence)
        decoder_padding_mask = _check_mask(self, decoder_padding_mask, "decoder_padding_mask", (b, t))
        decoder_attention_mask = _check_mask(self, decoder_attention_mask, "decoder_attention_mask",
                                             (b, t, t))

        # causal self-attention block: position i reads positions 0 .. i
        x = self._attention_block(decoder_sequence, self._self_attention_layer,
                                  self._self_attention_layer_norm, self._self_attention_dropout, training,
                                  value_mask=decoder_padding_mask,
                                  attention_mask=decoder_attention_mask, use_causal_mask=use_causal_mask)

        # cross-attention block: each position reads the encoder's outputs
        if self._cross_attention_layer is not None:
            s = encoder_sequence.shape[1]
            encoder_padding_mask = _check_mask(self, encoder_padding_mask, "encoder_padding_mask", (b, s))
            encoder_attention_mask = _check_mask(self, encoder_attention_mask, "encoder_attention_mask",
                                                 (b, t, s))
            x = self._attention_block(x, self._cross_attention_layer, self._cross_attention_layer_norm,
                                      self._cross_attention_dropout, training, value=encoder_sequence,
                                      value_mask=encoder_padding_mask, attention_mask=encoder_attention_mask)

        # feed-forward block
        return self._feedforward_block(x, training)

    def get_config(self):
        config = super().get_config()
        if self.built:
            config["decoder_sequence_shape"] = [None, None, self.hidden_dim]
            encoder = None if self.encoder_dim is None else [None, None, self.encoder_dim]
            config["encoder_sequence_shape"] = encoder
        return config
