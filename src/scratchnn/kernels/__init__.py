"""The fast kernels: where scratchnn's speed lives, apart from the code that teaches.

Every op's ``backward``, every layer's ``call`` and every optimizer's ``update_step`` is
written to read like its formula. The faster ways to compute the same numbers live here, and
are used while ``scratchnn.backend.fast_kernels_enabled()`` (the default; switch them off with
``scratchnn.backend.set_fast_kernels(False)`` or ``SCRATCHNN_FAST_KERNELS=0``). Each one is
tested equal to its readable reference.

* ``threads.py``: the batch-parallel loop the memory-bound passes use (``parallel_batches``);
* ``layout.py``: per-channel arithmetic on wide rows (``channel_rows``);
* ``memory.py``: reusing freed memory across steps (``tune_allocator``, ``prepare_process``);
* ``conv.py``: convolution as a taps-major im2col with the bias folded in, threaded passes,
  and convolution + max pooling as one op (``Conv2D.fuse_with``);
* ``conv_pool.py``: convolution + max pooling when the pooling windows tile the output (Keras's
  default ``MaxPooling2D()``): the convolution computed in the order the pooling reads it, so
  the pooling is a few passes over contiguous blocks and unread outputs are skipped;
* ``conv_bn.py``: Conv2D + BatchNormalization (+ ReLU) (+ MaxPooling2D) in training as one op,
  the normalization's backward pass on the pooled gradient (``Conv2D.fuse_with``, ``layers/fused.py``);
* ``pooling.py``: max pooling's first-maximum search with few passes;
* ``normalization.py``: batch normalization's per-channel passes on wide rows; layer
  normalization over the last axis with its row means as matrix-vector products;
* ``embedding.py``: the embedding's gradient, a scatter-add over repeated ids, by sorting;
* ``linear.py``: ``Dense`` on (batch, T, features) inputs as one matrix product of the rows;
* ``activations.py``: the exact GELU in float32, value and derivative in one cache-sized pass;
* ``attention.py``: scaled dot-product attention with the mask as a 0 / -inf bias, the softmax
  in place (``FastScaledDotProductAttention``);
* ``recurrent.py``: the recurrent layers' loop over time as one op with a hand-written
  backpropagation through time (``FusedRecurrence``);
* ``optimizers.py``: the optimizers' updates as in-place NumPy chains (no temporaries).
"""
from .layout import channel_rows
from .memory import prepare_process, tune_allocator
from .threads import num_threads, parallel_batches

__all__ = ["channel_rows", "num_threads", "parallel_batches", "prepare_process", "tune_allocator"]
