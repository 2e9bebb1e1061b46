"""Corpus program: Hands-On Machine Learning (3rd edition), chapter 11: training deep neural
networks on Fashion-MNIST (initialization, batch normalization, better optimizers,
schedules, regularization).

Source: https://github.com/ageron/handson-ml3 (11_training_deep_neural_networks.ipynb)
What it exercises: kernel_initializer="he_normal", LeakyReLU(negative_slope=0.2) as an activation
object, BatchNormalization after Flatten and after Dense layers, reading a layer's variables
(name, trainable), SGD with momentum and nesterov,
LearningRateScheduler with a function of the epoch, ReduceLROnPlateau, Dropout, Monte Carlo
dropout (model(x, training=True)), kernel_constraint=max_norm(1.).
Written for this corpus in scratchnn's own words, following the notebook's API calls,
architectures and settings one for one.
Adaptations: 2 to 3 epochs per model instead of 2 to 25 (time); 10 Monte Carlo samples on 1000
test images instead of 100 on all.
"""
import numpy as np
import tensorflow as tf

(X_train_full, y_train_full), (X_test, y_test) = tf.keras.datasets.fashion_mnist.load_data()
X_train, y_train = X_train_full[:-5000], y_train_full[:-5000]
X_valid, y_valid = X_train_full[-5000:], y_train_full[-5000:]
X_train, X_valid, X_test = X_train / 255, X_valid / 255, X_test / 255

tf.random.set_seed(42)
leaky_relu = tf.keras.layers.LeakyReLU(negative_slope=0.2)
dense = tf.keras.layers.Dense(50, activation=leaky_relu, kernel_initializer="he_normal")

model = tf.keras.Sequential([
    tf.keras.layers.Flatten(input_shape=[28, 28]),
    tf.keras.layers.BatchNormalization(),
    tf.keras.layers.Dense(300, activation="relu", kernel_initializer="he_normal"),
    tf.keras.layers.BatchNormalization(),
    tf.keras.layers.Dense(100, activation="relu", kernel_initializer="he_normal"),
    tf.keras.layers.BatchNormalization(),
    tf.keras.layers.Dense(10, activation="softmax"),
])
model.summary()
print([(var.name, var.trainable) for var in model.layers[1].variables])
model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
model.fit(X_train, y_train, epochs=2, validation_data=(X_valid, y_valid))


def build_model(seed=42):
    tf.random.set_seed(seed)
    return tf.keras.Sequential([
        tf.keras.layers.Flatten(input_shape=[28, 28]),
        tf.keras.layers.Dense(100, activation="relu", kernel_initializer="he_normal"),
        tf.keras.layers.Dense(100, activation="relu", kernel_initializer="he_normal"),
        tf.keras.layers.Dense(100, activation="relu", kernel_initializer="he_normal"),
        tf.keras.layers.Dense(10, activation="softmax"),
    ])


def exponential_decay_fn(epoch):
    return 0.01 * 0.1 ** (epoch / 20)


model = build_model()
optimizer = tf.keras.optimizers.SGD(learning_rate=0.001, momentum=0.9, nesterov=True)
model.compile(loss="sparse_categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"])
lr_scheduler = tf.keras.callbacks.LearningRateScheduler(exponential_decay_fn)
model.fit(X_train, y_train, epochs=3, validation_data=(X_valid, y_valid), callbacks=[lr_scheduler])

model = build_model()
model.compile(loss="sparse_categorical_crossentropy",
              optimizer=tf.keras.optimizers.SGD(learning_rate=0.01, momentum=0.9), metrics=["accuracy"])
lr_scheduler = tf.keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=5)
model.fit(X_train, y_train, epochs=3, validation_data=(X_valid, y_valid), callbacks=[lr_scheduler])

tf.random.set_seed(42)
model = tf.keras.Sequential([
    tf.keras.layers.Flatten(input_shape=[28, 28]),
    tf.keras.layers.Dropout(rate=0.2),
    tf.keras.layers.Dense(100, activation="relu", kernel_initializer="he_normal"),
    tf.keras.layers.Dropout(rate=0.2),
    tf.keras.layers.Dense(100, activation="relu", kernel_initializer="he_normal"),
    tf.keras.layers.Dropout(rate=0.2),
    tf.keras.layers.Dense(10, activation="softmax"),
])
optimizer = tf.keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)
model.compile(loss="sparse_categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"])
model.fit(X_train, y_train, epochs=3, validation_data=(X_valid, y_valid))
model.evaluate(X_test, y_test)

y_probas = np.stack([model(X_test[:1000], training=True) for sample in range(10)])  # ADAPTED
y_proba = y_probas.mean(axis=0)
print("MC dropout accuracy:", (y_proba.argmax(axis=1) == y_test[:1000]).mean())

dense = tf.keras.layers.Dense(100, activation="relu", kernel_initializer="he_normal",
                              kernel_constraint=tf.keras.constraints.max_norm(1.))
model = tf.keras.Sequential([
    tf.keras.layers.Flatten(input_shape=[28, 28]),
    tf.keras.layers.Dense(100, activation="relu", kernel_initializer="he_normal",
                          kernel_constraint=tf.keras.constraints.max_norm(1.)),
    tf.keras.layers.Dense(10, activation="softmax"),
])
model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
model.fit(X_train, y_train, epochs=2, validation_data=(X_valid, y_valid))
model.evaluate(X_test, y_test)
