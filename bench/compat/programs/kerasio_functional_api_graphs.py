"""Corpus program: keras.io guide "The Functional API", its graph-building sections.

Source: https://keras.io/guides/functional_api/
        (keras-team/keras-io, guides/functional_api.py)
What it exercises: one graph of layers giving two models (encoder, autoencoder) with Conv2D,
MaxPooling2D, GlobalMaxPooling2D, Reshape, Conv2DTranspose, UpSampling2D; models called as
layers on an Input (encoder then decoder); an ensemble of three small models merged with
layers.average; a toy ResNet with layers.add residual connections and
GlobalAveragePooling2D; a shared Embedding layer used on two inputs; summary().
Written for this corpus in scratchnn's own words, following the guide's API calls,
architectures and settings one for one.
Adaptations: the toy ResNet is built and called on 8 random 32x32x3 images instead of being
trained on CIFAR-10 (no download); nothing is trained, so the compared number is the total
parameter count of the models built.
"""
# compat-metric: parameters = total_parameters
import keras
import numpy as np
from keras import layers

encoder_input = keras.Input(shape=(28, 28, 1), name="original_img")
x = layers.Conv2D(16, 3, activation="relu")(encoder_input)
x = layers.Conv2D(32, 3, activation="relu")(x)
x = layers.MaxPooling2D(3)(x)
x = layers.Conv2D(32, 3, activation="relu")(x)
x = layers.Conv2D(16, 3, activation="relu")(x)
encoder_output = layers.GlobalMaxPooling2D()(x)
encoder = keras.Model(encoder_input, encoder_output, name="encoder")
encoder.summary()

decoder_input = keras.Input(shape=(16,), name="encoded_img")
x = layers.Reshape((4, 4, 1))(decoder_input)
x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
x = layers.Conv2DTranspose(32, 3, activation="relu")(x)
x = layers.UpSampling2D(3)(x)
x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
decoder_output = layers.Conv2DTranspose(1, 3, activation="relu")(x)
decoder = keras.Model(decoder_input, decoder_output, name="decoder")
decoder.summary()

autoencoder_input = keras.Input(shape=(28, 28, 1), name="img")
encoded_img = encoder(autoencoder_input)
decoded_img = decoder(encoded_img)
autoencoder = keras.Model(autoencoder_input, decoded_img, name="autoencoder")
autoencoder.summary()
print("autoencoder output:", autoencoder(np.random.rand(2, 28, 28, 1).astype("float32")).shape)


def get_model():
    inputs = keras.Input(shape=(128,))
    outputs = layers.Dense(1)(inputs)
    return keras.Model(inputs, outputs)


model1, model2, model3 = get_model(), get_model(), get_model()
inputs = keras.Input(shape=(128,))
outputs = layers.average([model1(inputs), model2(inputs), model3(inputs)])
ensemble_model = keras.Model(inputs=inputs, outputs=outputs)

inputs = keras.Input(shape=(32, 32, 3), name="img")
x = layers.Conv2D(32, 3, activation="relu")(inputs)
x = layers.Conv2D(64, 3, activation="relu")(x)
block_1_output = layers.MaxPooling2D(3)(x)
x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_1_output)
x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
block_2_output = layers.add([x, block_1_output])
x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_2_output)
x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
block_3_output = layers.add([x, block_2_output])
x = layers.Conv2D(64, 3, activation="relu")(block_3_output)
x = layers.GlobalAveragePooling2D()(x)
x = layers.Dense(256, activation="relu")(x)
x = layers.Dropout(0.5)(x)
outputs = layers.Dense(10)(x)
resnet = keras.Model(inputs, outputs, name="toy_resnet")
resnet.summary()
print("toy resnet logits:", resnet(np.random.rand(8, 32, 32, 3).astype("float32")).shape)  # ADAPTED

shared_embedding = layers.Embedding(1000, 128)
text_input_a = keras.Input(shape=(None,), dtype="int32")
text_input_b = keras.Input(shape=(None,), dtype="int32")
encoded_input_a = shared_embedding(text_input_a)
encoded_input_b = shared_embedding(text_input_b)

total_parameters = sum(m.count_params() for m in (encoder, decoder, autoencoder, ensemble_model, resnet))
print("parameters:", total_parameters)
