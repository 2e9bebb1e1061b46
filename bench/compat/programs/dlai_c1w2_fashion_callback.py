"""Corpus program: Fashion-MNIST with a stopping callback, from DeepLearning.AI's course
"Introduction to TensorFlow for Artificial Intelligence" (course 1, week 2).

Source: https://github.com/https-deeplearning-ai/tensorflow-1-public
        (C1/W2/ungraded_labs/C1_W2_Lab_1_beyond_hello_world.ipynb and
        C1_W2_Lab_2_callbacks.ipynb; first published in lmoroney/dlaicourse)
What it exercises: tf.keras.datasets.fashion_mnist, tf.nn.relu and tf.nn.softmax passed as
activations, tf.optimizers.Adam(), a Flatten() with no input shape, predict, a Callback
subclass whose on_epoch_end(self, epoch, logs={}) reads logs.get('loss') and sets
self.model.stop_training.
Written for this corpus in scratchnn's own words, following the labs' API calls and settings
one for one. Adaptations: none.
"""
import tensorflow as tf

fmnist = tf.keras.datasets.fashion_mnist
(training_images, training_labels), (test_images, test_labels) = fmnist.load_data()
training_images = training_images / 255.0
test_images = test_images / 255.0

model = tf.keras.models.Sequential([
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(128, activation=tf.nn.relu),
    tf.keras.layers.Dense(10, activation=tf.nn.softmax),
])
model.compile(optimizer=tf.optimizers.Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(training_images, training_labels, epochs=5)
model.evaluate(test_images, test_labels)
classifications = model.predict(test_images)
print(classifications[0], test_labels[0])


class myCallback(tf.keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs={}):
        if logs.get("loss") < 0.4:
            print("\nLoss is lower than 0.4 so cancelling training!")
            self.model.stop_training = True


callbacks = myCallback()
model = tf.keras.models.Sequential([
    tf.keras.layers.Flatten(input_shape=(28, 28)),
    tf.keras.layers.Dense(512, activation=tf.nn.relu),
    tf.keras.layers.Dense(10, activation=tf.nn.softmax),
])
model.compile(optimizer=tf.optimizers.Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(training_images, training_labels, epochs=10, callbacks=[callbacks])
model.evaluate(test_images, test_labels)
