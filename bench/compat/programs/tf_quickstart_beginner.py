"""Corpus program: the TensorFlow 2 quickstart for beginners.

Source: https://www.tensorflow.org/tutorials/quickstart/beginner
        (tensorflow/docs, site/en/tutorials/quickstart/beginner.ipynb)
What it exercises: keras.datasets.mnist, Sequential with Flatten(input_shape=...), Dropout, a
logits Dense layer, calling the untrained model on a batch, tf.nn.softmax on its output, a
SparseCategoricalCrossentropy(from_logits=True) object called directly, compile/fit/evaluate,
and a Sequential wrapping the trained model with a Softmax layer.
Written for this corpus in scratchnn's own words, following the tutorial's API calls,
architecture and settings one for one. Adaptations: none.
"""
import tensorflow as tf

(x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
x_train, x_test = x_train / 255.0, x_test / 255.0

model = tf.keras.models.Sequential([
    tf.keras.layers.Flatten(input_shape=(28, 28)),
    tf.keras.layers.Dense(128, activation="relu"),
    tf.keras.layers.Dropout(0.2),
    tf.keras.layers.Dense(10),
])

logits = model(x_train[:1]).numpy()
print("untrained probabilities:", tf.nn.softmax(logits).numpy())

loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
print("untrained loss (about -log(1/10) = 2.3):", loss_fn(y_train[:1], logits).numpy())

model.compile(optimizer="adam", loss=loss_fn, metrics=["accuracy"])
model.fit(x_train, y_train, epochs=5)
model.evaluate(x_test, y_test, verbose=2)

probability_model = tf.keras.Sequential([model, tf.keras.layers.Softmax()])
print(probability_model(x_test[:5]))
