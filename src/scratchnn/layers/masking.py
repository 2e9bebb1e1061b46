"""Implicit masks, as in Keras: padding found once, at the embedding, reaches every layer after it.

A batch of sequences of different lengths is padded to one length with token id 0. Given
``Embedding(vocab, dim, mask_zero=True)``, the embedding's output carries a *mask*, a boolean
array (batch, time), True at real tokens and False at padding (``get_mask(x)`` reads it). Then
``Layer.__call__`` does, for every layer (Keras's rules):

1. the input's mask is ``previous_mask``; a layer whose ``call`` has a ``mask`` argument receives
   it there (unless the caller passed ``mask=`` itself, which then wins);
2. after ``call``, a layer that ``supports_masking`` attaches ``compute_mask(inputs, previous_mask)``
   to its output: by default the input's mask, unchanged (Dense, Dropout, LayerNormalization,
   Activation and the activation layers, ...: they keep the time axis); ``Embedding`` overrides
   ``compute_mask`` to make a new one; an output that already has a mask keeps it;
3. a layer that does not support masking (``Flatten``, ``Conv1D``, ...: they change or mix the time
   axis) drops the mask, with a warning, since the layers after it will no longer see the padding.

``supports_masking`` is False by default and True when a layer class overrides ``compute_mask``;
set it (``self.supports_masking = True`` or as a class attribute) for a layer that keeps the time
axis. ``MultiHeadAttention`` takes its inputs' masks as its ``query_mask``/``value_mask``/
``key_mask``, the transformer blocks as their padding masks, and a loss ignores the masked
positions of ``y_pred`` (see ``scratchnn.losses``). Plain operations (``x + y``) do not carry
masks; only layers do.
"""
import functools
import inspect
import warnings

from ..autograd import Tensor, get_mask, set_mask


@functools.lru_cache(maxsize=None)
def call_takes_mask(layer_class):
    """Whether ``layer_class.call`` has a ``mask`` argument (looked up once per class)."""
    return "mask" in inspect.signature(layer_class.call).parameters


def input_mask(layer, inputs, kwargs):
    """``previous_mask`` for a call of ``layer``: the ``mask=`` the caller passed, else the mask
    of ``inputs``, which is then passed to ``call`` as ``mask=`` if ``call`` takes one (added to
    ``kwargs``)."""
    mask = kwargs.get("mask")
    if mask is None:
        if isinstance(inputs, (list, tuple)):          # a merge layer: one mask per input
            mask = [get_mask(x) for x in inputs]
            mask = None if all(m is None for m in mask) else mask
        else:
            mask = get_mask(inputs)
        if mask is not None and call_takes_mask(type(layer)):
            kwargs["mask"] = mask
    return mask


def attach_output_mask(layer, inputs, outputs, previous_mask):
    """After a call: the output mask of a layer that supports masking, on its (first) output;
    a warning when a layer that does not drops a mask."""
    if not layer.supports_masking:
        if previous_mask is not None:
            warnings.warn(f"layer '{layer.name}' ({type(layer).__name__}) got an input with a mask but does "
                          "not support masking: its output has no mask, so the layers after it no longer "
                          "see the padding", UserWarning, stacklevel=3)
        return
    several = isinstance(outputs, (tuple, list)) and outputs
    first = outputs[0] if several else outputs
    if not isinstance(first, Tensor) or get_mask(first) is not None:
        return
    mask = layer.compute_mask(inputs, previous_mask)
    if several and isinstance(mask, (tuple, list)) and len(mask) == len(outputs):
        for out, m in zip(outputs, mask):          # one mask per output (a layer that splits)
            if isinstance(out, Tensor) and m is not None:
                set_mask(out, getattr(m, "data", m))
    elif mask is not None:
        set_mask(first, mask)


__all__ = ["get_mask", "set_mask", "call_takes_mask", "input_mask", "attach_output_mask"]
