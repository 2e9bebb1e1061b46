"""Corpus program: keras.io example "Simple custom layer example: Antirectifier".

Source: https://keras.io/examples/keras_recipes/antirectifier/
        (keras-team/keras-io, examples/keras_recipes/antirectifier.py)
What it exercises: a custom layer written with keras.ops (mean with keepdims, relu, negation,
concatenate, matmul), keras.initializers.get/serialize, add_weight(shape=, initializer=,
name=, trainable=) in build, get_config merging the base config, Sequential with
keras.Input, RMSprop, SparseCategoricalCrossentropy(from_logits=True) with
SparseCategoricalAccuracy, validation_split, evaluate.
Written for this corpus in scratchnn's own words, following the example's API calls,
architecture and settings one for one.
Adaptations: 3 epochs instead of 20 (time).
"""
import keras
from keras import layers, ops


class Antirectifier(layers.Layer):
    def __init__(self, initializer="he_normal", **kwargs):
        super().__init__(**kwargs)
        self.initializer = keras.initializers.get(initializer)

    def build(self, input_shape):
        output_dim = input_shape[-1]
        self.kernel = self.add_weight(shape=(output_dim * 2, output_dim), initializer=self.initializer,
                                      name="kernel", trainable=True)

    def call(self, inputs):
        inputs -= ops.mean(inputs, axis=-1, keepdims=True)
        pos = ops.relu(inputs)
        neg = ops.relu(-inputs)
        concatenated = ops.concatenate([pos, neg], axis=-1)
        return ops.matmul(concatenated, self.kernel)

    def get_config(self):
        base_config = super().get_config()
        config = {"initializer": keras.initializers.serialize(self.initializer)}
        return dict(list(base_config.items()) + list(config.items()))


batch_size = 128
num_classes = 10
epochs = 3  # ADAPTED: 20 in the source

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.reshape(-1, 784).astype("float32") / 255
x_test = x_test.reshape(-1, 784).astype("float32") / 255

model = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(256),
    Antirectifier(),
    layers.Dense(256),
    Antirectifier(),
    layers.Dropout(0.5),
    layers.Dense(10),
])
model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              optimizer=keras.optimizers.RMSprop(), metrics=[keras.metrics.SparseCategoricalAccuracy()])
model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.15)
model.evaluate(x_test, y_test)
