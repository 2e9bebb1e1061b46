"""Corpus program: keras.io guide "Training & evaluation with the built-in methods", its
second half (several inputs and outputs, callbacks, checkpoints, schedules).

Source: https://keras.io/guides/training_with_built_in_methods/
        (keras-team/keras-io, guides/training_with_built_in_methods.py)
What it exercises: a model with an image input and a time-series input (Conv2D +
GlobalMaxPooling2D, Conv1D + GlobalMaxPooling1D), concatenate, two named outputs; compile
with a list of losses, lists of metrics per output, a dict of losses, loss_weights by output
name; fit with lists and with dicts of arrays; EarlyStopping(monitor="val_loss", min_delta,
patience); ModelCheckpoint with "{epoch}" in a .keras file name and save_best_only; an
ExponentialDecay learning-rate schedule passed to an optimizer.
Written for this corpus in scratchnn's own words, following the guide's API calls,
architecture and settings one for one. Adaptations: none (the data are random, as in the
guide).
"""
import keras
import numpy as np
from keras import layers

image_input = keras.Input(shape=(32, 32, 3), name="img_input")
timeseries_input = keras.Input(shape=(None, 10), name="ts_input")
x1 = layers.Conv2D(3, 3)(image_input)
x1 = layers.GlobalMaxPooling2D()(x1)
x2 = layers.Conv1D(3, 3)(timeseries_input)
x2 = layers.GlobalMaxPooling1D()(x2)
x = layers.concatenate([x1, x2])
score_output = layers.Dense(1, name="score_output")(x)
class_output = layers.Dense(5, name="class_output")(x)
model = keras.Model(inputs=[image_input, timeseries_input], outputs=[score_output, class_output])

model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
              loss=[keras.losses.MeanSquaredError(), keras.losses.CategoricalCrossentropy()],
              metrics=[[keras.metrics.MeanAbsolutePercentageError(), keras.metrics.MeanAbsoluteError()],
                       [keras.metrics.CategoricalAccuracy()]])
model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
              loss={"score_output": keras.losses.MeanSquaredError(),
                    "class_output": keras.losses.CategoricalCrossentropy()},
              metrics={"score_output": [keras.metrics.MeanAbsolutePercentageError(),
                                        keras.metrics.MeanAbsoluteError()],
                       "class_output": [keras.metrics.CategoricalAccuracy()]},
              loss_weights={"score_output": 2.0, "class_output": 1.0})

img_data = np.random.random_sample(size=(100, 32, 32, 3))
ts_data = np.random.random_sample(size=(100, 20, 10))
score_targets = np.random.random_sample(size=(100, 1))
class_targets = np.random.random_sample(size=(100, 5))

model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
              loss=[keras.losses.MeanSquaredError(), keras.losses.CategoricalCrossentropy()])
model.fit([img_data, ts_data], [score_targets, class_targets], batch_size=32, epochs=1)
model.fit({"img_input": img_data, "ts_input": ts_data},
          {"score_output": score_targets, "class_output": class_targets}, batch_size=32, epochs=1)


(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.reshape(60000, 784).astype("float32") / 255
x_test = x_test.reshape(10000, 784).astype("float32") / 255


def get_compiled_model(optimizer="rmsprop"):
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    return model


model = get_compiled_model()
callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=1e-2, patience=2, verbose=1)]
model.fit(x_train, y_train, epochs=20, batch_size=64, callbacks=callbacks, validation_split=0.2)

model = get_compiled_model()
callbacks = [keras.callbacks.ModelCheckpoint(filepath="mymodel_{epoch}.keras", save_best_only=True,
                                             monitor="val_loss", verbose=1)]
model.fit(x_train, y_train, epochs=2, batch_size=64, callbacks=callbacks, validation_split=0.2)

initial_learning_rate = 0.1
lr_schedule = keras.optimizers.schedules.ExponentialDecay(initial_learning_rate, decay_steps=100000,
                                                          decay_rate=0.96, staircase=True)
model = get_compiled_model(keras.optimizers.SGD(learning_rate=lr_schedule))
model.fit(x_train, y_train, epochs=1, batch_size=64)
model.evaluate(x_test, y_test, batch_size=128)
