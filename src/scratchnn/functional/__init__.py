"""Differentiable functions: ``import scratchnn.functional as F``.

* array operations (``F.matmul``, ``F.exp``, ``F.concatenate``, ...) from ``scratchnn.ops``;
* activations (``F.relu``, ``F.softmax``, ...), each with its formula and derivative;
* losses, called ``loss(y_true, y_pred)`` as in Keras (``F.sparse_categorical_crossentropy``);
* the embedding lookup (``F.embedding``) and attention (``F.scaled_dot_product_attention``).
"""
from ..ops import (abs, add, astype, broadcast_to, clip, concatenate, cos, cumsum, div, einsum, exp,
                   expand_dims, flatten, getitem, log, log1p, matmul, max, maximum, mean, min, minimum,
                   mul, neg, pad, permute, power, prod, reshape, sin, split, sqrt, squeeze, stack, sub,
                   sum, transpose, unsqueeze, var, where)
from .activations import (ACTIVATIONS, elu, exponential, gelu, get_activation, hard_sigmoid,
                          leaky_relu, linear, log_softmax, maxout, mish, relu, relu6, selu,
                          sigmoid, silu, softmax, softplus, softsign, step, swish, tanh)
from .losses import (LOSSES, binary_crossentropy, categorical_crossentropy, get_loss, huber,
                     mean_absolute_error, mean_squared_error, sparse_categorical_crossentropy,
                     sum_squared_error)
from ._special import erf_tensor as erf
from .conv import avg_pool2d, conv2d, conv2d_max_pool, max_pool2d
from .conv_variants import (avg_pool1d, conv1d, conv2d_transpose, depthwise_conv2d, global_avg_pool1d,
                            global_avg_pool2d, global_max_pool1d, global_max_pool2d, max_pool1d)
from .resizing import cropping2d, upsampling2d, zero_padding2d
from .nn import dense, dropout
from .embedding import embedding, token_ids
from .attention import scaled_dot_product_attention
from .normalization import batch_norm, batch_norm_train, layer_norm

mse = mean_squared_error
mae = mean_absolute_error
