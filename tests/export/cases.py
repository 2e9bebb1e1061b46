"""The models the ONNX export is checked on: one (or more) per layer type, and the command line's
three reference models. Shared by the tests (tests/export/) and bench/export_onnx.py (the
figures); nothing here needs onnx.

Each case is ``(name, build)``; ``build()`` returns ``(model, make_inputs)`` where
``make_inputs(rng, n)`` draws a batch of n samples. The weights are random (``randomize``), not
the initial zeros and ones, so that a bias or a statistic put in the wrong place shows; the
reference models keep their initial kernels (random biases), so that their softmax outputs stay
far from 0 and 1, where a difference would not show.
"""
import argparse

import numpy as np

from scratchnn import layers as L
from scratchnn.cli import data, gpt, train
from scratchnn.functional import ACTIVATIONS
from scratchnn.models import GPT, Sequential


def randomize(model, seed=0, biases_only=False):
    """Random weights: variances in [0.5, 1.5], everything else N(0, 0.2^2) (``biases_only``: the
    biases N(0, 0.1^2), the rest as initialized)."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        if "variance" in w.name and not biases_only:
            w.assign(rng.uniform(0.5, 1.5, w.shape))
        elif "bias" in w.name and biases_only:
            w.assign(rng.normal(0, 0.1, w.shape))
        elif not biases_only:
            w.assign(rng.normal(0, 0.2, w.shape))
    return model


def floats(*shape, scale=2.0):
    return lambda rng, n: (rng.normal(0, 1, (n,) + shape) * scale).astype(np.float32)


def token_ids(length, vocabulary, zeros=False):
    """Integer ids; with ``zeros`` each sequence ends with padding (id 0) of random length."""
    def make(rng, n):
        ids = rng.integers(1 if zeros else 0, vocabulary, (n, length))
        if zeros:
            for row, keep in zip(ids, rng.integers(1, length + 1, n)):
                row[keep:] = 0
        return ids.astype(np.int64)
    return make


def stack(input_shape, *layers, seed=0):
    model = Sequential([L.Input(shape=input_shape), *layers])
    return randomize(model, seed)


def _images(*layers, shape=(9, 9, 3)):
    return lambda: (stack(shape, *layers), floats(*shape, scale=1.0))


def _vectors(*layers, shape=(7,), scale=2.0):
    return lambda: (stack(shape, *layers), floats(*shape, scale=scale))


def _activation_cases():
    """Inputs N(0, 1): exp(x) stays below ~100, where float32's spacing is under 1e-5."""
    return [(f"Activation({name!r})", _vectors(L.Activation(name), shape=(3, 7), scale=1.0))
            for name in sorted(ACTIVATIONS.names())]


def _sequence(*layers, length=6, features=8):
    return lambda: (stack((length, features), *layers), floats(length, features, scale=1.0))


def _encoder_with_padding():
    model = randomize(Sequential([L.Input(shape=(7,)), L.Embedding(11, 8, mask_zero=True),
                                  L.TransformerEncoder(16, 2)]), seed=3)
    return model, token_ids(7, 11, zeros=True)


def layer_cases():
    """(name, build) for every layer type that has a converter, several settings of some."""
    return _activation_cases() + [
        ("Dense 2-D", _vectors(L.Dense(5, activation="tanh"))),
        ("Dense 3-D", _vectors(L.Dense(5), shape=(4, 7))),
        ("Dense no bias", _vectors(L.Dense(4, use_bias=False, activation="softmax"))),
        ("ReLU", _vectors(L.ReLU())),
        ("ReLU(max_value, negative_slope, threshold)",
         _vectors(L.ReLU(max_value=2.5, negative_slope=0.1, threshold=0.5))),
        ("LeakyReLU()", _vectors(L.LeakyReLU())),
        ("LeakyReLU(0.05)", _vectors(L.LeakyReLU(0.05))),
        ("ELU", _vectors(L.ELU(0.7))),
        ("Softmax", _vectors(L.Softmax())),
        ("Softmax(axis=1)", _vectors(L.Softmax(axis=1), shape=(4, 5))),
        ("Maxout", _vectors(L.Dense(12), L.Maxout(4))),
        ("Dropout", _vectors(L.Dropout(0.5), L.Dense(3))),
        ("Flatten", _vectors(L.Flatten(), shape=(3, 4))),
        ("Reshape", _vectors(L.Reshape((2, -1)), L.Dense(3), shape=(12,))),
        ("Rescaling", _vectors(L.Rescaling(1 / 255, offset=-0.5))),
        ("Normalization", _vectors(L.Normalization(mean=np.arange(7.0), variance=np.arange(1.0, 8.0)))),
        ("Normalization(axis=None, invert=True)",
         _vectors(L.Normalization(axis=None, mean=3.0, variance=4.0, invert=True))),
        ("BatchNormalization", _vectors(L.BatchNormalization())),
        ("LayerNormalization", _vectors(L.LayerNormalization(epsilon=1e-3), shape=(3, 7))),
        ("LayerNormalization(axis=[1, 3])", _vectors(L.LayerNormalization(axis=[1, 3]), shape=(3, 4, 5))),
        ("Conv2D same stride 2", _images(L.Conv2D(4, 3, strides=2, padding="same", activation="relu"))),
        ("Conv2D valid dilation 2", _images(L.Conv2D(4, 3, dilation_rate=2, activation="elu"))),
        ("Conv2D even kernel same", _images(L.Conv2D(4, 2, padding="same"), L.Flatten(), L.Dense(3))),
        ("DepthwiseConv2D", _images(L.DepthwiseConv2D(3, padding="same", depth_multiplier=2))),
        ("Conv2DTranspose same stride 2", _images(L.Conv2DTranspose(4, 3, strides=2, padding="same"))),
        ("Conv2DTranspose valid stride 3", _images(L.Conv2DTranspose(2, 2, strides=3))),
        ("Conv2DTranspose output_padding", _images(L.Conv2DTranspose(2, 3, strides=2, output_padding=1))),
        ("MaxPooling2D", _images(L.MaxPooling2D(2))),
        ("MaxPooling2D same", _images(L.MaxPooling2D(3, strides=2, padding="same"))),
        ("AveragePooling2D same", _images(L.AveragePooling2D(3, strides=2, padding="same"))),
        ("AveragePooling2D valid", _images(L.AveragePooling2D(2))),
        ("GlobalAveragePooling2D", _images(L.Conv2D(4, 3), L.GlobalAveragePooling2D())),
        ("GlobalMaxPooling2D(keepdims)", _images(L.GlobalMaxPooling2D(keepdims=True))),
        ("Conv1D causal dilation 2", _sequence(L.Conv1D(5, 3, padding="causal", dilation_rate=2))),
        ("Conv1D same stride 2", _sequence(L.Conv1D(5, 3, strides=2, padding="same", activation="relu"))),
        ("MaxPooling1D", _sequence(L.Conv1D(5, 2), L.MaxPooling1D(2, padding="same"))),
        ("BatchNormalization after Conv2D",
         _images(L.Conv2D(4, 3), L.BatchNormalization(), L.ReLU(), L.Flatten(), L.Dense(3))),
        ("Normalization after Conv2D", _images(L.Conv2D(3, 3), L.Normalization(mean=[1.0, 2, 3],
                                                                              variance=[1.0, 4, 9]))),
        ("SpatialDropout2D", _images(L.SpatialDropout2D(0.5), L.Conv2D(2, 1))),
        ("ZeroPadding2D", _images(L.ZeroPadding2D(((1, 2), (0, 3))))),
        ("ZeroPadding2D after Conv2D", _images(L.Conv2D(2, 3), L.ZeroPadding2D(1), L.Conv2D(2, 3))),
        ("Cropping2D", _images(L.Cropping2D(((1, 0), (2, 1))))),
        ("Cropping2D after Conv2D", _images(L.Conv2D(2, 1), L.Cropping2D(1), L.Flatten())),
        ("UpSampling2D", _images(L.UpSampling2D((2, 3)))),
        ("UpSampling2D after Conv2D", _images(L.Conv2D(2, 3), L.UpSampling2D(2), L.Conv2D(2, 3))),
        ("Embedding", lambda: (stack((5,), L.Embedding(13, 4), L.Flatten(), L.Dense(3)), token_ids(5, 13))),
        ("PositionEmbedding", _sequence(L.PositionEmbedding(9))),
        ("SinusoidalPositionEncoding", _sequence(L.SinusoidalPositionEncoding())),
        ("TransformerEncoder", _sequence(L.TransformerEncoder(16, 2))),
        ("TransformerEncoder pre-norm gelu",
         _sequence(L.TransformerEncoder(12, 4, normalize_first=True, activation="gelu"))),
        ("TransformerDecoder", _sequence(L.TransformerDecoder(16, 2))),
        ("Embedding(mask_zero) + TransformerEncoder", _encoder_with_padding),
        ("nested Sequential", lambda: (stack((6,), Sequential([L.Dense(4, activation="relu"), L.Dense(4)]),
                                             L.Dense(2)), floats(6))),
    ]


def _cli_args(model):
    return argparse.Namespace(model=model, hidden=None, activation="relu", dropout=None, optimizer="adam",
                              lr=None)


def _pixels(rng, n):
    """n MNIST-sized pictures of pixel values 0 .. 255 (as floats, as predict gets them)."""
    return rng.integers(0, 256, (n, 28, 28)).astype(np.float32)


def reference_mlp():
    """``scratchnn train``'s default model: the MNIST MLP (Rescaling, Flatten, Dense(50), Dense(10))."""
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 256, (64, 28, 28)).astype(np.uint8), rng.integers(0, 10, 64)
    model = train.build_model(data.task("mnist"), x, y, 10, _cli_args("mlp"))
    return randomize(model, 1, biases_only=True), _pixels


def reference_cnn():
    """``scratchnn train --model cnn``: two Conv2D + MaxPooling2D blocks, Dense(128), Dropout, Dense(10)."""
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 256, (64, 28, 28)).astype(np.uint8), rng.integers(0, 10, 64)
    model = train.build_model(data.task("mnist"), x, y, 10, _cli_args("cnn"))
    return randomize(model, 2, biases_only=True), _pixels


def reference_gpt():
    """``scratchnn train --model gpt``'s default GPT (its own initial weights: 4 blocks, 4 heads,
    width 128, 64 characters, tiny Shakespeare's 65), on windows of its full length."""
    settings = gpt.DEFAULTS
    model = GPT(65, sequence_length=settings["block_size"], num_layers=settings["layers"],
                num_heads=settings["heads"], hidden_dim=settings["embed"], name="tiny_shakespeare_gpt")
    model.build((None, settings["block_size"]))
    return model, token_ids(settings["block_size"], 65)


REFERENCE_MODELS = {"mlp": reference_mlp, "cnn": reference_cnn, "gpt": reference_gpt}
