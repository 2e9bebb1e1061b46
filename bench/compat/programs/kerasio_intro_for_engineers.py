"""Corpus program: keras.io guide "Introduction to Keras for engineers" (Keras 3).

Source: https://keras.io/getting_started/intro_to_keras_for_engineers/
        (keras-team/keras-io, guides/intro_to_keras_for_engineers.py)
What it exercises: a Sequential convnet starting with keras.layers.Input, Conv2D,
MaxPooling2D, GlobalAveragePooling2D, Dropout; SparseCategoricalCrossentropy with a metric
named "acc"; Adam(learning_rate=1e-3); ModelCheckpoint with "{epoch}" in a .keras file name
and EarlyStopping(monitor="val_loss", patience=2); validation_split; evaluate(verbose=0);
model.save to .keras, keras.saving.load_model, predict.
Written for this corpus in scratchnn's own words, following the guide's API calls,
architecture and settings one for one.
Adaptations: the guide first sets KERAS_BACKEND to "jax" (left out: the tensorflow backend
runs it here); 1 epoch instead of up to 20 (time).
"""
import keras
import numpy as np

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.astype("float32") / 255
x_test = x_test.astype("float32") / 255
x_train = np.expand_dims(x_train, -1)
x_test = np.expand_dims(x_test, -1)
print("x_train shape:", x_train.shape, "y_train shape:", y_train.shape)

num_classes = 10
input_shape = (28, 28, 1)
model = keras.Sequential([
    keras.layers.Input(shape=input_shape),
    keras.layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
    keras.layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
    keras.layers.MaxPooling2D(pool_size=(2, 2)),
    keras.layers.Conv2D(128, kernel_size=(3, 3), activation="relu"),
    keras.layers.Conv2D(128, kernel_size=(3, 3), activation="relu"),
    keras.layers.GlobalAveragePooling2D(),
    keras.layers.Dropout(0.5),
    keras.layers.Dense(num_classes, activation="softmax"),
])
model.summary()
model.compile(loss=keras.losses.SparseCategoricalCrossentropy(),
              optimizer=keras.optimizers.Adam(learning_rate=1e-3),
              metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")])

batch_size = 128
epochs = 1  # ADAPTED: 20 in the source
callbacks = [keras.callbacks.ModelCheckpoint(filepath="model_at_epoch_{epoch}.keras"),
             keras.callbacks.EarlyStopping(monitor="val_loss", patience=2)]
model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.15, callbacks=callbacks)
score = model.evaluate(x_test, y_test, verbose=0)

model.save("final_model.keras")
model = keras.saving.load_model("final_model.keras")
predictions = model.predict(x_test)
print(predictions.shape)
