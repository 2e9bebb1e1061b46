"""``scratchnn.layers``'s registry (``scratchnn/layers/__init__.py``): every built-in layer
serializes and deserializes, an unknown class lists the known ones, a registered custom layer
deserializes.
"""
import json

import numpy as np
import pytest

from scratchnn import constraints as C
from scratchnn import initializers as I
from scratchnn import layers as L
from scratchnn import regularizers as R

# ================================================================ serialization
_BUILTIN_LAYERS = {
    "InputLayer": lambda: L.InputLayer(shape=(4, 2)),
    "Dense": lambda: L.Dense(4, activation="relu", bias_regularizer=R.L2(0.5),
                             kernel_constraint=C.UnitNorm()),
    "Flatten": lambda: L.Flatten(),
    "Activation": lambda: L.Activation("softmax"),
    "Dropout": lambda: L.Dropout(0.3, noise_shape=(None, 1), seed=1),
    "Reshape": lambda: L.Reshape((2, -1)),
    "ReLU": lambda: L.ReLU(max_value=3.0),
    "LeakyReLU": lambda: L.LeakyReLU(0.01),
    "ELU": lambda: L.ELU(0.2),
    "Softmax": lambda: L.Softmax(axis=-2),
    "Maxout": lambda: L.Maxout(3),
    "Rescaling": lambda: L.Rescaling(1 / 255, offset=-0.5),
    "Normalization": lambda: L.Normalization(mean=[1.0, 2.0], variance=[4.0, 0.25]),
    "Conv2D": lambda: L.Conv2D(4, (3, 2), strides=2, padding="same", activation="relu",
                               kernel_regularizer=R.L2(0.1)),
    "MaxPooling2D": lambda: L.MaxPooling2D(3, strides=2, padding="same"),
    "AveragePooling2D": lambda: L.AveragePooling2D((2, 1)),
    "BatchNormalization": lambda: L.BatchNormalization(momentum=0.9, epsilon=1e-5, center=False,
                                                       gamma_regularizer=R.L2(0.01),
                                                       gamma_constraint=C.NonNeg()),
    "LayerNormalization": lambda: L.LayerNormalization(axis=[1, 2], scale=False,
                                                       beta_initializer="ones"),
    "SpatialDropout2D": lambda: L.SpatialDropout2D(0.25, seed=3),
    "Conv2DTranspose": lambda: L.Conv2DTranspose(3, (3, 2), strides=2, padding="same", output_padding=(1, 1),
                                                 activation="relu", kernel_regularizer=R.L2(0.1)),
    "DepthwiseConv2D": lambda: L.DepthwiseConv2D(3, depth_multiplier=2, padding="same",
                                                 depthwise_constraint=C.NonNeg(), use_bias=False),
    "Conv1D": lambda: L.Conv1D(4, 3, padding="causal", dilation_rate=2, activation="tanh"),
    "MaxPooling1D": lambda: L.MaxPooling1D(3, strides=2, padding="same"),
    "UpSampling2D": lambda: L.UpSampling2D((2, 3)),
    "ZeroPadding2D": lambda: L.ZeroPadding2D(((1, 2), (0, 3))),
    "Cropping2D": lambda: L.Cropping2D((1, 2)),
    "GlobalAveragePooling2D": lambda: L.GlobalAveragePooling2D(keepdims=True),
    "GlobalMaxPooling2D": lambda: L.GlobalMaxPooling2D(),
    "StringLookup": lambda: L.StringLookup(vocabulary=["a", "b"], mask_token="", max_tokens=9),
    "TextVectorization": lambda: L.TextVectorization(max_tokens=9, split="character",
                                                     output_sequence_length=5, vocabulary=["x", "y"]),
    "Embedding": lambda: L.Embedding(50, 8, embeddings_initializer="glorot_uniform", mask_zero=True,
                                     embeddings_regularizer=R.L2(0.01), embeddings_constraint=C.MaxNorm(2.0)),
    "MultiHeadAttention": lambda: L.MultiHeadAttention(4, 8, value_dim=6, dropout=0.1, output_shape=(3, 2),
                                                       kernel_regularizer=R.L2(0.01), seed=5,
                                                       bias_constraint=C.NonNeg()),
    "PositionEmbedding": lambda: L.PositionEmbedding(16, initializer="random_normal"),
    "SinusoidalPositionEncoding": lambda: L.SinusoidalPositionEncoding(max_wavelength=500),
    "TransformerEncoder": lambda: L.TransformerEncoder(32, 4, dropout=0.1, activation="gelu",
                                                       normalize_first=True, kernel_regularizer=R.L2(0.01)),
    "TransformerDecoder": lambda: L.TransformerDecoder(32, 4, layer_norm_epsilon=1e-6,
                                                       bias_initializer="ones"),
    "Add": lambda: L.Add(name="my_add"),
    "Subtract": lambda: L.Subtract(),
    "Multiply": lambda: L.Multiply(),
    "Average": lambda: L.Average(),
    "Maximum": lambda: L.Maximum(),
    "Minimum": lambda: L.Minimum(dtype="float64"),
    "Concatenate": lambda: L.Concatenate(axis=1),
    "Dot": lambda: L.Dot(axes=(1, 2), normalize=True),
    "ConstantOperation": lambda: L.ConstantOperation("/", 255.0, reflected=True),
    "SimpleRNNCell": lambda: L.SimpleRNNCell(4, activation="relu", recurrent_dropout=0.2, seed=1),
    "LSTMCell": lambda: L.LSTMCell(4, unit_forget_bias=False, recurrent_regularizer=R.L2(0.01)),
    "GRUCell": lambda: L.GRUCell(4, reset_after=False, recurrent_constraint=C.MaxNorm(2.0)),
    "RNN": lambda: L.RNN(L.GRUCell(3, dropout=0.1), return_sequences=True, go_backwards=True),
    "SimpleRNN": lambda: L.SimpleRNN(5, return_state=True, kernel_regularizer=R.L2(0.1)),
    "LSTM": lambda: L.LSTM(5, return_sequences=True, dropout=0.2, stateful=True, unroll=True),
    "GRU": lambda: L.GRU(5, reset_after=False, recurrent_initializer="glorot_normal"),
    "Bidirectional": lambda: L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode="sum"),
    "TimeDistributed": lambda: L.TimeDistributed(L.Dense(3, activation="relu")),
    "AveragePooling1D": lambda: L.AveragePooling1D(3, strides=1, padding="same"),
    "GlobalAveragePooling1D": lambda: L.GlobalAveragePooling1D(keepdims=True),
    "GlobalMaxPooling1D": lambda: L.GlobalMaxPooling1D(),
    "Masking": lambda: L.Masking(mask_value=-1.0),
    "RandomFlip": lambda: L.RandomFlip("horizontal", seed=1),
    "RandomCrop": lambda: L.RandomCrop(24, 20),
    "RandomContrast": lambda: L.RandomContrast((0.2, 0.5), value_range=(0, 1), seed=2),
    "RandomBrightness": lambda: L.RandomBrightness(0.1),
    "RandomTranslation": lambda: L.RandomTranslation((-0.1, 0.2), 0.1, fill_mode="constant", fill_value=1.0),
    "RandomRotation": lambda: L.RandomRotation(0.1, interpolation="nearest", seed=3),
    "RandomZoom": lambda: L.RandomZoom(0.2, (-0.1, 0.3), fill_mode="wrap"),
    "Resizing": lambda: L.Resizing(32, 24, interpolation="nearest", crop_to_aspect_ratio=True),
    "CenterCrop": lambda: L.CenterCrop(16, 8),
}


def test_every_builtin_layer_is_covered():
    builtin = {name for name, cls in L.LAYERS.items() if cls.__module__.startswith("scratchnn.layers.")}
    assert builtin == set(_BUILTIN_LAYERS)


@pytest.mark.parametrize("class_name", sorted(_BUILTIN_LAYERS))
def test_serialize_deserialize_round_trip(class_name):
    layer = _BUILTIN_LAYERS[class_name]()
    data = L.serialize(layer)
    assert data["class_name"] == class_name
    clone = L.deserialize(data)
    assert type(clone) is type(layer) and clone is not layer
    assert L.serialize(clone) == data
    via_json = L.deserialize(json.loads(json.dumps(data)))
    assert json.loads(json.dumps(L.serialize(via_json))) == json.loads(json.dumps(data))
    assert L.get(data).get_config() == layer.get_config()
    assert L.get(layer) is layer


def test_deserialize_unknown_class_lists_known_and_mentions_register():
    with pytest.raises(ValueError) as err:
        L.deserialize({"class_name": "NoSuchLayer", "config": {}})
    msg = str(err.value)
    assert "NoSuchLayer" in msg and "Dense" in msg and "Maxout" in msg and "register" in msg
    with pytest.raises(ValueError):
        L.get("dense")


class _Scale(L.Layer):
    """y = x * alpha (elementwise, one weight per feature), with a config."""

    def __init__(self, init_value=1.0, **kwargs):
        super().__init__(**kwargs)
        self.init_value = init_value

    def build(self, input_shape):
        self.alpha = self.add_weight("alpha", (input_shape[-1],), I.Constant(self.init_value))

    def call(self, inputs, training=False):
        return inputs * self.alpha

    def get_config(self):
        return {**super().get_config(), "init_value": self.init_value}


def test_register_custom_layer_then_deserialize(rng):
    data = L.serialize(_Scale(2.5, name="scale_me"))
    assert data["class_name"] == "_Scale"
    assert L.register(_Scale) is _Scale
    clone = L.deserialize(data)
    assert isinstance(clone, _Scale) and clone.init_value == 2.5 and clone.name == "scale_me"
    x = rng.normal(size=(3, 4))
    np.testing.assert_allclose(clone(x).data, 2.5 * x.astype(np.float32), rtol=1e-6)
    with pytest.raises(TypeError):
        L.register(int)
